/* handlers.h: the method handlers named in the method table (methods.c). */
#ifndef EM_HANDLERS_H
#define EM_HANDLERS_H

#include "rpc.h"

method_fn h_ping, h_server_info, h_auth;
method_fn h_token_create, h_token_revoke;
method_fn h_event_put, h_event_get;
method_fn h_profile_put, h_profile_get, h_profile_list, h_profile_delete;
method_fn h_match_top;
method_fn h_subscribe, h_unsubscribe;
method_fn h_meeting_request, h_meeting_create, h_meeting_respond;
method_fn h_meeting_cancel, h_meeting_noshow, h_meeting_feedback;
method_fn h_meeting_get, h_meeting_list, h_meeting_inbox;
method_fn h_agenda_get, h_agenda_ics, h_checkin, h_stats_get;
method_fn h_schedule_optimize;
method_fn h_audit_list;

/* Stops running optimizations and waits for their threads (at exit). */
void schedule_shutdown(void);

/* subscribe's acting participant for kiosk calls (struct method's
 * actor_of): the id of its single participant topic. */
int subscribe_actor(const msgpack_object **found, char out[ARGS_ID_MAX + 1],
                    struct err *err);

/* Copies id arguments (str, 1-64 of A-Za-z0-9_.-) into NUL-terminated
 * buffers; on a bad one replies bad_request naming it and returns -1.
 * The list is pairs of (object, out buffer of 65), fields named in order
 * by `names` ("event id"). */
int arg_ids(struct req *r, const char *names, const msgpack_object *o1,
            char *out1, const msgpack_object *o2, char *out2);

/* Replies {key: true}. */
void reply_flag(struct req *r, const char *key);

#endif
