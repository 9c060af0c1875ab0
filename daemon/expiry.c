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
    cmd_event_write(&c, "em_meeting_expire", event, kp, now_unix(),
                    srv_global->cfg->stream_maxlen);
    cmd_send(&c, st, on_expired, NULL);
}

void expiry_sweep(struct store *st, const struct follow *f)
{
    if (!store_is_up(st))
        return;
    follow_each(f, sweep_event, st);
}
