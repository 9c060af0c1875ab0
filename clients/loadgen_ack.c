/* loadgen_ack.c: the acknowledgement log of expomatch-loadgen (--ack-log).
 * One line per write the daemon acknowledged, written as the reply
 * arrives, so that a checker can compare it with the store afterwards:
 * whatever the daemon said was done must still be there after a fault.
 * Fields are separated by single spaces; ids never hold spaces.
 *
 *   profile.put EVENT ID VERSION
 *   meeting.request EVENT MEETING STATUS REQUEST_ID FROM TO
 *   meeting.respond EVENT MEETING STATUS
 *   checkin EVENT ID
 */
#include "loadgen.h"
#include "reply.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int lg_ack_open(struct lg *lg, const char *path)
{
    lg->ack = fopen(path, "w");
    if (lg->ack == NULL) {
        fprintf(stderr, "expomatch-loadgen: --ack-log %s: %s\n", path,
                strerror(errno));
        return -1;
    }
    /* Line buffered: each acknowledgement is in the file once its line
     * is complete, even if the run is cut short afterwards. */
    setvbuf(lg->ack, NULL, _IOLBF, 0);
    return 0;
}

void lg_ack_close(struct lg *lg)
{
    if (lg->ack != NULL && fclose(lg->ack) != 0)
        fprintf(stderr, "expomatch-loadgen: writing the ack log failed\n");
    lg->ack = NULL;
}

/* A string field of a result map, or NULL; *len set. */
static const char *str_field(const msgpack_object *m, const char *key, int *len)
{
    const msgpack_object *v = emc_map_get(m, key);
    if (v == NULL || v->type != MSGPACK_OBJECT_STR || v->via.str.size > 128)
        return NULL;
    *len = (int)v->via.str.size;
    return v->via.str.ptr;
}

static long long int_field(const msgpack_object *m, const char *key)
{
    const msgpack_object *v = emc_map_get(m, key);
    return v && v->type == MSGPACK_OBJECT_POSITIVE_INTEGER
               ? (long long)v->via.u64
               : -1;
}

/* A meeting result: "EVENT MEETING STATUS" written, false when the reply
 * lacks them (then nothing is written). */
static bool put_meeting(struct lg *lg, const char *method,
                        const msgpack_object *r)
{
    int ml = 0, sl = 0;
    const char *mid = str_field(r, "meeting", &ml);
    const char *st = str_field(r, "status", &sl);
    if (mid == NULL || st == NULL) {
        fprintf(stderr,
                "expomatch-loadgen: %s acknowledged without a "
                "meeting id or status\n",
                method);
        return false;
    }
    fprintf(lg->ack, "%s %s %.*s %.*s", method, lg->o.event, ml, mid, sl, st);
    return true;
}

void lg_ack_profile(struct lg *lg, int actor, long long version)
{
    char id[16];
    if (lg->ack == NULL)
        return;
    lg_part_id(actor, id, sizeof id);
    fprintf(lg->ack, "profile.put %s %s %lld\n", lg->o.event, id, version);
}

void lg_ack_write(struct lg *lg, const struct lg_session *s,
                  const msgpack_object *result)
{
    char id[16];
    if (lg->ack == NULL)
        return;
    switch (s->method) {
    case LG_PROFILE_PUT:
        lg_ack_profile(lg, s->actor, int_field(result, "version"));
        break;
    case LG_MEETING_REQUEST: {
        int fl = 0, tl = 0;
        const char *from = str_field(result, "from", &fl);
        const char *to = str_field(result, "to", &tl);
        if (put_meeting(lg, "meeting.request", result))
            fprintf(lg->ack, " %s %.*s %.*s\n", s->rid, fl, from ? from : "",
                    tl, to ? to : "");
        break;
    }
    case LG_MEETING_RESPOND:
        if (put_meeting(lg, "meeting.respond", result))
            fputc('\n', lg->ack);
        break;
    case LG_CHECKIN:
        lg_part_id(s->actor, id, sizeof id);
        fprintf(lg->ack, "checkin %s %s\n", lg->o.event, id);
        break;
    default: break; /* reads change nothing */
    }
}
