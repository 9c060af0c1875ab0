/* rpc.h: the method table and the dispatcher. Envelope decoding, auth,
 * role, event scope, argument shape and kiosk badges are checked once here;
 * handlers receive checked arguments and answer through rpc_reply_*. */
#ifndef EM_RPC_H
#define EM_RPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#include "args.h"
#include "conn.h"
#include "err.h"
#include "metrics.h"

/* Handler: map is the named-arguments map (NULL when there were none),
 * args[i] the object for the method's arg_spec[i] or NULL. The objects die
 * when the handler returns: copy what an async step needs. */
typedef void method_fn(struct req *r, const msgpack_object *map,
                       const msgpack_object **args);

enum method_flags {
    M_PREAUTH = 1 << 0, /* allowed before auth */
    M_EVENT = 1 << 1,   /* takes `event`; scope-checked for non-admins */
};

#define MAX_ARGS 24

struct method {
    const char *name;
    size_t namelen; /* set by rpc_init */
    method_fn *handler;
    unsigned roles; /* roles allowed besides admin */
    unsigned flags;
    struct arg_spec args[MAX_ARGS];
    size_t nargs;
    /* Kiosk calls act for a participant proven by `badge`: the argument
     * names holding it, first present wins (e.g. "viewer", "id"). */
    const char *actor[2];
    /* Or, where the participant is not one argument (subscribe's topic),
     * finds it in the parsed arguments (indexed like args): 0 with the id
     * in out, or -1 with err. Used in place of actor[] when set. */
    int (*actor_of)(const msgpack_object **found, char out[ARGS_ID_MAX + 1],
                    struct err *err);
    struct method_stats stats; /* calls, errors, latency for /metrics */
};

/* The method table (methods.c). */
extern struct method rpc_methods[];
extern const size_t rpc_nmethods;

/* Registers every method's stats with the metrics registry. */
void rpc_init(void);

/* Decodes and dispatches one complete frame of `len` bytes. Returns -1 when
 * the connection must be closed (an error reply has been queued). */
int rpc_handle_frame(struct conn *c, const char *data, size_t len);

/* A role's wire name ("organizer"...), and back: the exact text of a
 * token role (not admin, which is never a token's role); ROLE_NONE for
 * anything else, an embedded NUL or extra characters included. */
const char *role_name(enum role r);
enum role role_parse(const char *s, size_t n);

/* Looks a method up by name; NULL if unknown. */
struct method *rpc_method_find(const char *name, size_t len);

/* Replying. Begin returns a packer for the result object; the handler
 * packs exactly one object and calls rpc_reply_end. */
msgpack_packer *rpc_reply_begin(struct req *r);
void rpc_reply_end(struct req *r);
void rpc_reply_error(struct req *r, enum errcode code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void rpc_reply_err(struct req *r, const struct err *err);

/* Packs a NUL-terminated string as MessagePack str. */
void mp_pack_cstr(msgpack_packer *pk, const char *s);
void mp_pack_strn(msgpack_packer *pk, const char *s, size_t len);

/* Pages of the list methods (profile.list, meeting.list, audit.list): 1 to
 * LIST_COUNT_MAX items, LIST_COUNT_DEFAULT without `count`. */
#define LIST_COUNT_DEFAULT 100
#define LIST_COUNT_MAX 1000

/* The page size from the `count` argument o (NULL: the default) into
 * *count; false after replying bad_request. */
bool rpc_list_count(struct req *r, const msgpack_object *o, int64_t *count);

/* Packs the "cursor" key of a page and its value: next (len bytes), or nil
 * when empty (the last page). */
void rpc_pack_cursor(msgpack_packer *pk, const char *next, size_t len);

/* Writes bytes that already are MessagePack into the packer's output. */
void mp_pack_raw(msgpack_packer *pk, const void *data, size_t len);

#endif
