/* expiry.c: see expiry.h. */
#include "expiry.h"

#include "cmd.h"
#include "keys.h"
#include "log.h"
#include "server.h"

static void on_expired(void *priv, const redisReply *reply,
                       const struct err *err)
{
    /* A store hiccup: the next sweep tries again. */
    if (err && err->code != ERR_UNAVAILABLE)
        log_warn("expiring requests: %s", err->msg);
}

static void sweep_event(const char *event, void *priv)
{
    struct store *st = priv;
    char kp[KEY_MAX];
    struct cmd c;
    cmd_fcall(&c, "em_meeting_expire", 1);
    cmd_adds(&c, key_fmt(kp, event, "", NULL));
    cmd_adds(&c, event);
    int64_t now = now_unix();
    cmd_addi(&c, now);
    cmd_add_iso(&c, now);
    cmd_addi(&c, srv_global->cfg->stream_maxlen);
    cmd_send(&c, st, on_expired, NULL);
}

void expiry_sweep(struct store *st, const struct follow *f)
{
    if (!store_is_up(st))
        return;
    follow_each(f, sweep_event, st);
}
