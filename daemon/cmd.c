/* cmd.c: Redis argument vectors (see cmd.h). */
#include "cmd.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void cmd_init(struct cmd *c)
{
    c->argc = 0;
    c->nnums = 0;
}

void cmd_add(struct cmd *c, const char *s, size_t len)
{
    /* Callers bound their lists well below CMD_MAX_ARGS; overflowing it
     * would be a bug, not bad input. */
    if (c->argc == CMD_MAX_ARGS)
        abort();
    c->argv[c->argc] = s;
    c->len[c->argc] = len;
    c->argc++;
}

void cmd_adds(struct cmd *c, const char *s)
{
    cmd_add(c, s, strlen(s));
}

void cmd_addi(struct cmd *c, int64_t v)
{
    if (c->nnums == 32)
        abort();
    char *p = c->nums[c->nnums++];
    int n = snprintf(p, 24, "%" PRId64, v);
    cmd_add(c, p, (size_t)n);
}

void cmd_add_iso(struct cmd *c, int64_t unix_seconds)
{
    if (c->nnums == 32)
        abort();
    char *p = c->nums[c->nnums++];
    time_t t = (time_t)unix_seconds;
    struct tm tm;
    gmtime_r(&t, &tm);
    size_t n = strftime(p, 24, "%Y-%m-%dT%H:%M:%SZ", &tm);
    cmd_add(c, p, n);
}

void cmd_fcall(struct cmd *c, const char *name, int nkeys)
{
    cmd_init(c);
    cmd_adds(c, "FCALL");
    cmd_adds(c, name);
    cmd_addi(c, nkeys);
}

void cmd_event_fcall(struct cmd *c, const char *name, const char *event,
                     char kp[KEY_MAX])
{
    cmd_fcall(c, name, 1);
    cmd_adds(c, key_fmt(kp, event, "", NULL));
}

void cmd_event_write(struct cmd *c, const char *name, const char *event,
                     char kp[KEY_MAX], int64_t now, int stream_maxlen)
{
    cmd_event_fcall(c, name, event, kp);
    cmd_adds(c, event);
    cmd_addi(c, now);
    cmd_add_iso(c, now);
    cmd_addi(c, stream_maxlen);
}

void cmd_send(struct cmd *c, struct store *st, store_cb *cb, void *priv)
{
    store_commandv(st, c->argc, c->argv, c->len, cb, priv);
}
