/* badge.c: checks a kiosk call's badge against the stored digest and
 * keeps the wrong-badge lockout in Redis (see badge.h). */
#include "badge.h"

#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "cmd.h"
#include "keys.h"
#include "rpc.h"
#include "server.h"
#include "xmalloc.h"

struct badge_wait {
    struct req *r;
    char event[65];
    char participant[65];
    char digest[AUTH_DIGEST_HEX];
    void (*cont)(struct req *r, void *arg);
    void *arg;
    void (*free_arg)(void *arg);
};

static void give_up(struct badge_wait *w, enum errcode code, const char *msg)
{
    rpc_reply_error(w->r, code, "%s", msg);
    w->free_arg(w->arg);
    free(w);
}

static void on_fail_counted(void *priv, const redisReply *reply,
                            const struct err *err)
{
    struct badge_wait *w = priv;
    if (err) {
        give_up(w, err->code, err->msg);
        return;
    }
    give_up(w, ERR_FORBIDDEN, "wrong badge");
}

static void on_badge(void *priv, const redisReply *reply, const struct err *err)
{
    struct badge_wait *w = priv;
    if (err) {
        give_up(w, err->code, err->msg);
        return;
    }
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 ||
        reply->element[0]->type != REDIS_REPLY_STRING ||
        reply->element[1]->type != REDIS_REPLY_INTEGER) {
        give_up(w, ERR_INTERNAL, "unexpected badge reply from the store");
        return;
    }
    if (reply->element[1]->integer != 0) {
        give_up(w, ERR_RATE_LIMITED,
                "too many wrong badges for this participant; try again later");
        return;
    }
    const redisReply *stored = reply->element[0];
    /* A participant without a badge, or that does not exist, fails like a
     * wrong badge: a kiosk learns nothing about who is registered. */
    if (stored->len == AUTH_DIGEST_HEX - 1 &&
        auth_digest_equal(stored->str, w->digest)) {
        w->cont(w->r, w->arg);
        free(w);
        return;
    }
    char kfail[KEY_MAX], klock[KEY_MAX];
    struct cmd c;
    cmd_fcall(&c, "em_badge_fail", 2);
    cmd_adds(&c, key_fmt(kfail, w->event, "bf", w->participant));
    cmd_adds(&c, key_fmt(klock, w->event, "bl", w->participant));
    cmd_addi(&c, BADGE_MAX_FAILURES);
    cmd_addi(&c, BADGE_WINDOW_SECONDS);
    cmd_send(&c, srv_global->store, on_fail_counted, w);
}

void badge_check(struct req *r, const char *event, const char *participant,
                 const char *badge, size_t badge_len,
                 void (*cont)(struct req *r, void *arg), void *arg,
                 void (*free_arg)(void *arg))
{
    struct badge_wait *w = xcalloc(1, sizeof *w);
    w->r = r;
    snprintf(w->event, sizeof w->event, "%s", event);
    snprintf(w->participant, sizeof w->participant, "%s", participant);
    auth_digest("badge", event, participant, badge, badge_len, w->digest);
    w->cont = cont;
    w->arg = arg;
    w->free_arg = free_arg;
    char kp[KEY_MAX], klock[KEY_MAX];
    struct cmd c;
    cmd_fcall(&c, "em_badge_get", 2);
    cmd_adds(&c, key_fmt(kp, event, "p", participant));
    cmd_adds(&c, key_fmt(klock, event, "bl", participant));
    cmd_send(&c, srv_global->store, on_badge, w);
}
