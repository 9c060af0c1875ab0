/* config.h: the daemon's settings. One typed table in config.c drives
 * defaults, the `key value` file, `--key value` flags (flags win), --help and
 * the documented sample in config/expomatchd.conf. */
#ifndef EM_CONFIG_H
#define EM_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "err.h"

struct config {
    /* listening */
    char *bind;        /* RPC and HTTP address, default 127.0.0.1 */
    int port;          /* RPC TCP port, default 7411; 0 = off */
    char *unix_socket; /* RPC Unix socket path, default "" = off */
    int http_port;     /* HTTP side port, default 7412; 0 = off */
    /* TLS listener (transport_tls.c) */
    int tls_port;           /* TLS RPC port, default 0 = off */
    char *tls_bind;         /* its address, default "" = same as bind */
    char *tls_cert_file;    /* PEM certificate (chain) of the server */
    char *tls_key_file;     /* PEM private key of that certificate */
    char *tls_ca_cert_file; /* CA that signs client certificates */
    char *tls_client_cert;  /* none, optional, kiosk or require */
    /* store */
    char *redis;          /* host:port or [v6]:port, 127.0.0.1:6379 */
    char *redis_password; /* default "" = none */
    int redis_timeout_ms; /* command and connect deadline, 2000 */
    char *sentinel;       /* "NAME host:port,..." or "" = use redis */
    int stream_maxlen;    /* approximate cap of each change stream */
    int audit_maxlen;     /* entries kept in each audit stream, 100000 */
    /* secrets */
    char *admin_token;      /* default "" */
    char *admin_token_file; /* default "" */
    char *secret_key_file;  /* HMAC key for tokens and badges */
    /* logging */
    char *log_level; /* debug, info, warn, error */
    char *log_file;  /* default "" = stderr */
    /* limits (PROTOCOL.md, Limits) */
    int maxclients;              /* 10000 */
    int max_request_bytes;       /* 1048576 */
    int max_depth;               /* 16 */
    int auth_timeout;            /* seconds, 10 */
    int idle_timeout;            /* seconds, 0 = never */
    int rate_limit;              /* requests/s per connection, 0 = off */
    int subscriber_buffer_limit; /* bytes, 8388608 */
    int optimize_budget_ms;      /* 5000 */
    int shutdown_timeout_ms;     /* grace for in-flight requests, 5000 */
    /* the organizer dashboard on the HTTP port */
    int http_heartbeat_ms; /* live feed heartbeat, 15000 */
    int http_max_sessions; /* signed-in browser sessions, 1000 */
    int http_max_feeds;    /* open live feeds, 64 */
    /* matching */
    int match_keep_seconds; /* an asked top list is kept up to date, 600 */
    int match_keep_max;     /* most top lists kept up to date, 5000 */
};

/* Outcome of config_load besides success. */
enum config_result { CONFIG_OK = 0, CONFIG_EXIT = 1, CONFIG_ERROR = -1 };

/* Sets every field to its default. */
void config_defaults(struct config *cfg);

/* Reads --config FILE (if given) and then the remaining --key value flags.
 * Handles --help and --version by printing and returning CONFIG_EXIT. On a
 * bad line or flag, fills err with "FILE:LINE: message: the line" and
 * returns CONFIG_ERROR. */
enum config_result config_load(struct config *cfg, int argc, char **argv,
                               struct err *err);

/* Parses one file into cfg (used by config_load and by tests). */
int config_load_file(struct config *cfg, const char *path, struct err *err);

/* Sets one key from text, as a file line or a flag would. */
int config_set(struct config *cfg, const char *key, const char *value,
               struct err *err);

/* Writes the documented sample file (every key, its default, a comment). */
void config_print_sample(FILE *out);

void config_free(struct config *cfg);

#endif
