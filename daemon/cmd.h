/* cmd.h: builds one Redis command's argument vector. Arguments point at
 * the caller's memory (hiredis copies them when the command is sent);
 * numbers are formatted into the builder itself. */
#ifndef EM_CMD_H
#define EM_CMD_H

#include <stddef.h>
#include <stdint.h>

#include "keys.h"
#include "store.h"

#define CMD_MAX_ARGS 1100 /* a profile may name up to 1000 slots */

struct cmd {
    int argc;
    const char *argv[CMD_MAX_ARGS];
    size_t len[CMD_MAX_ARGS];
    char nums[32][24]; /* storage for formatted integers */
    int nnums;
};

void cmd_init(struct cmd *c);
void cmd_add(struct cmd *c, const char *s, size_t len);
void cmd_adds(struct cmd *c, const char *s); /* NUL-terminated */
void cmd_addi(struct cmd *c, int64_t v);
/* An ISO 8601 UTC date-time ("2026-07-13T09:00:00Z"), as stored in
 * meetings' created and updated. */
void cmd_add_iso(struct cmd *c, int64_t unix_seconds);
/* Starts "FCALL name nkeys": a call of the expomatch function library. */
void cmd_fcall(struct cmd *c, const char *name, int nkeys);

/* "FCALL name 1 em:{E}:": a call of the meeting functions
 * (meetings.lua), whose one key is the event's prefix; kp holds that key
 * while c is used. */
void cmd_event_fcall(struct cmd *c, const char *name, const char *event,
                     char kp[KEY_MAX]);
/* The same, then the event, now, now as ISO text and the change stream's
 * length: the head of every meeting function that writes. */
void cmd_event_write(struct cmd *c, const char *name, const char *event,
                     char kp[KEY_MAX], int64_t now, int stream_maxlen);
void cmd_send(struct cmd *c, struct store *st, store_cb *cb, void *priv);

#endif
