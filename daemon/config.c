/* config.c: one typed table drives defaults, the config file, the flags,
 * --help and the documented sample file, so the four can never disagree. */
#include "config.h"
#include "hostport.h"

#include <arpa/inet.h>
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/un.h>

#include "log.h"
#include "xmalloc.h"

#ifndef EM_VERSION
#define EM_VERSION "unknown"
#endif

enum opt_type { OPT_STRING, OPT_INT, OPT_BOOL };

/* Values of secret keys never appear in messages, whatever went wrong. */
#define OPT_SECRET 1u

/* A check beyond the type: fills why and returns -1 when value is bad. */
typedef int opt_check_fn(const char *value, char *why, size_t whylen);

struct opt {
    const char *key;     /* name in the file; "--key" as a flag */
    enum opt_type type;  /* how the text is parsed and stored */
    size_t offset;       /* field in struct config */
    const char *def;     /* default, as it would be written in the file */
    long min, max;       /* OPT_INT range, inclusive */
    unsigned flags;      /* OPT_SECRET */
    opt_check_fn *check; /* NULL or extra validation */
    const char *section; /* heading in --help and the sample file */
    const char *doc;     /* one line for --help and the sample file */
};

static opt_check_fn check_ip, check_hostport, check_log_level, check_sockpath;
static opt_check_fn check_sentinel;
static opt_check_fn check_ip_or_empty, check_client_cert;

#define STR(sec, k, field, def, fl, chk, doc)                                  \
    {                                                                          \
        k, OPT_STRING, offsetof(struct config, field), def, 0, 0, fl, chk,     \
            sec, doc                                                           \
    }
#define INT(sec, k, field, def, lo, hi, doc)                                   \
    {                                                                          \
        k, OPT_INT, offsetof(struct config, field), def, lo, hi, 0, NULL, sec, \
            doc                                                                \
    }

#define S_LISTEN "listening"
#define S_TLS "tls"
#define S_STORE "store"
#define S_SECRET "secrets"
#define S_LOG "logging"
#define S_LIMIT "limits"
#define S_MATCH "matching"
#define S_DASH "dashboard"

static const struct opt opts[] = {
    STR(S_LISTEN, "bind", bind, "127.0.0.1", 0, check_ip,
        "RPC and HTTP listening address, an IPv4 or IPv6 literal"),
    INT(S_LISTEN, "port", port, "7411", 0, 65535,
        "RPC TCP port; 0 = no TCP listener"),
    STR(S_LISTEN, "unix-socket", unix_socket, "", 0, check_sockpath,
        "RPC Unix socket path; empty = none"),
    INT(S_LISTEN, "http-port", http_port, "7412", 0, 65535,
        "HTTP side port (health, metrics, dashboard); 0 = off"),

    INT(S_TLS, "tls-port", tls_port, "0", 0, 65535,
        "RPC port speaking TLS (1.2 or later); 0 = no TLS listener"),
    STR(S_TLS, "tls-bind", tls_bind, "", 0, check_ip_or_empty,
        "Address of the TLS port, an IP literal; empty = the same as bind"),
    STR(S_TLS, "tls-cert-file", tls_cert_file, "", 0, NULL,
        "PEM file with the server's certificate, then any intermediates"),
    STR(S_TLS, "tls-key-file", tls_key_file, "", 0, NULL,
        "PEM file with the private key of tls-cert-file (keep it 0600)"),
    STR(S_TLS, "tls-ca-cert-file", tls_ca_cert_file, "", 0, NULL,
        "PEM file of the CA(s) whose client certificates are accepted; "
        "needed unless tls-client-cert is none"),
    STR(S_TLS, "tls-client-cert", tls_client_cert, "none", 0, check_client_cert,
        "Client certificates on the TLS port: none (not asked), optional "
        "(checked when sent), kiosk (as optional, and kiosk tokens need a "
        "TLS connection with a valid one), require (every TLS client)"),

    STR(S_STORE, "redis", redis, "127.0.0.1:6379", 0, check_hostport,
        "Redis address, host:port or [v6]:port; a host name is resolved at "
        "start"),
    STR(S_STORE, "redis-password", redis_password, "", OPT_SECRET, NULL,
        "Redis AUTH password; empty = no AUTH"),
    INT(S_STORE, "redis-timeout-ms", redis_timeout_ms, "2000", 10, 600000,
        "Deadline of a Redis connect or command, in milliseconds"),
    STR(S_STORE, "sentinel", sentinel, "", 0, check_sentinel,
        "Redis Sentinel: 'MASTERNAME host:port,host:port,...'; the primary "
        "is asked of them on every connect (redis is then unused); empty = "
        "off"),
    INT(S_STORE, "stream-maxlen", stream_maxlen, "100000", 1000, 1000000000,
        "Approximate cap on the entries of each event's change stream"),
    INT(S_STORE, "audit-maxlen", audit_maxlen, "100000", 10, 100000000,
        "Entries kept in each event's audit trail (audit.list); older ones "
        "are dropped"),

    STR(S_SECRET, "admin-token", admin_token, "", OPT_SECRET, NULL,
        "Admin token; prefer admin-token-file, which keeps it out of ps"),
    STR(S_SECRET, "admin-token-file", admin_token_file, "", 0, NULL,
        "File holding the admin token on its first line"),
    STR(S_SECRET, "secret-key-file", secret_key_file, "", 0, NULL,
        "File holding the HMAC key under which tokens and badges are stored"),

    STR(S_LOG, "log-level", log_level, "info", 0, check_log_level,
        "Least severe level logged: debug, info, warn or error"),
    STR(S_LOG, "log-file", log_file, "", 0, NULL,
        "File the log is appended to; empty = stderr"),

    INT(S_LIMIT, "maxclients", maxclients, "10000", 1, 1000000,
        "Open connections; more get one unavailable reply and are closed"),
    INT(S_LIMIT, "max-request-bytes", max_request_bytes, "1048576", 1024,
        67108864, "Bytes of one request (16 KiB before auth)"),
    INT(S_LIMIT, "max-depth", max_depth, "16", 1, 32,
        "Nesting depth of one request"),
    INT(S_LIMIT, "auth-timeout", auth_timeout, "10", 1, 3600,
        "Seconds a new connection has to authenticate"),
    INT(S_LIMIT, "idle-timeout", idle_timeout, "0", 0, 604800,
        "Seconds of silence before an authenticated connection is closed; 0 = "
        "never"),
    INT(S_LIMIT, "rate-limit", rate_limit, "0", 0, 1000000,
        "Requests per second per connection; 0 = unlimited"),
    INT(S_LIMIT, "subscriber-buffer-limit", subscriber_buffer_limit, "8388608",
        65536, 1073741824,
        "Bytes of unread notifications before a subscriber is disconnected"),
    INT(S_LIMIT, "optimize-budget-ms", optimize_budget_ms, "5000", 1, 600000,
        "Default time budget of schedule.optimize, in milliseconds"),
    INT(S_LIMIT, "shutdown-timeout-ms", shutdown_timeout_ms, "5000", 0, 600000,
        "Grace for in-flight requests after SIGTERM, in milliseconds"),

    INT(S_DASH, "http-heartbeat-ms", http_heartbeat_ms, "15000", 100, 600000,
        "Milliseconds between heartbeats of the dashboard's live feed"),
    INT(S_DASH, "http-max-sessions", http_max_sessions, "1000", 1, 1000000,
        "Dashboard sign-in sessions kept at once; more are refused (503)"),
    INT(S_DASH, "http-max-feeds", http_max_feeds, "64", 1, 100000,
        "Open dashboard live feeds; more are refused (503)"),

    INT(S_MATCH, "match-keep-seconds", match_keep_seconds, "600", 1, 604800,
        "Seconds a participant's top 10 stays up to date (for match.new) "
        "after its last match.top; subscribed ones always are"),
    INT(S_MATCH, "match-keep-max", match_keep_max, "5000", 1, 10000000,
        "Most top-10 lists kept up to date at once; the least recently "
        "asked unsubscribed ones go first (each costs work on every put)"),
};

#define NOPTS (sizeof opts / sizeof opts[0])

/* ---- value checks ---- */

static int check_ip(const char *value, char *why, size_t whylen)
{
    unsigned char addr[sizeof(struct in6_addr)];
    if (inet_pton(AF_INET, value, addr) == 1 ||
        inet_pton(AF_INET6, value, addr) == 1)
        return 0;
    snprintf(why, whylen, "not an IP address literal");
    return -1;
}

static int check_hostport(const char *value, char *why, size_t whylen)
{
    char host[256];
    int port;
    if (hostport_split(value, host, sizeof host, &port) == 0)
        return 0;
    snprintf(why, whylen, "not host:port or [v6]:port");
    return -1;
}

/* "NAME host:port[,host:port...]": the shape only; the daemon resolves
 * the hosts at start (daemon/sentinel.c). */
static int check_sentinel(const char *value, char *why, size_t whylen)
{
    const char *sp = strchr(value, ' ');
    if (value[0] == '\0')
        return 0;
    if (sp == NULL || sp == value || sp - value > 64) {
        snprintf(why, whylen, "expected 'MASTERNAME host:port,...'");
        return -1;
    }
    for (const char *p = sp + 1;;) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        char addr[300], host[256];
        int port;
        if (n == 0 || n >= sizeof addr) {
            snprintf(why, whylen, "an empty or overlong sentinel address");
            return -1;
        }
        memcpy(addr, p, n);
        addr[n] = '\0';
        if (hostport_split(addr, host, sizeof host, &port) < 0) {
            snprintf(why, whylen, "sentinel '%s' is not host:port", addr);
            return -1;
        }
        if (end == NULL)
            return 0;
        p = end + 1;
    }
}

static int check_log_level(const char *value, char *why, size_t whylen)
{
    enum log_level lvl;
    if (log_level_parse(value, &lvl) == 0)
        return 0;
    snprintf(why, whylen, "not one of debug, info, warn, error");
    return -1;
}

static int check_sockpath(const char *value, char *why, size_t whylen)
{
    struct sockaddr_un sun;
    if (strlen(value) < sizeof sun.sun_path)
        return 0;
    snprintf(why, whylen, "path longer than %zu bytes",
             sizeof sun.sun_path - 1);
    return -1;
}

static int check_ip_or_empty(const char *value, char *why, size_t whylen)
{
    return *value == '\0' ? 0 : check_ip(value, why, whylen);
}

static int check_client_cert(const char *value, char *why, size_t whylen)
{
    static const char *const modes[] = {"none", "optional", "kiosk", "require"};
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++)
        if (strcmp(value, modes[i]) == 0)
            return 0;
    snprintf(why, whylen, "not one of none, optional, kiosk, require");
    return -1;
}

/* ---- the table applied to a struct ---- */

static void *field_of(struct config *cfg, const struct opt *o)
{
    return (char *)cfg + o->offset;
}

static const struct opt *opt_find(const char *key, size_t len)
{
    for (size_t i = 0; i < NOPTS; i++)
        if (strlen(opts[i].key) == len &&
            strncasecmp(opts[i].key, key, len) == 0)
            return &opts[i];
    return NULL;
}

/* Defaults point at the table's own literals, so config_defaults allocates
 * nothing: a struct holding only defaults needs no config_free, and only
 * values that differ from the table's pointers are ever freed. */
static void str_assign(struct config *cfg, const struct opt *o,
                       const char *value, bool is_default)
{
    char **f = field_of(cfg, o);
    if (*f != NULL && *f != o->def)
        free(*f);
    *f = is_default ? (char *)o->def : xstrdup(value);
}

static int parse_long(const char *s, long *out, char *why, size_t whylen)
{
    char *end;
    errno = 0;
    if (*s == '\0' || isspace((unsigned char)*s))
        goto nan;
    long v = strtol(s, &end, 10);
    if (end == s || *end != '\0')
        goto nan;
    if (errno == ERANGE) {
        snprintf(why, whylen, "out of range");
        return -1;
    }
    *out = v;
    return 0;
nan:
    snprintf(why, whylen, "not a number");
    return -1;
}

static int parse_bool(const char *s, bool *out, char *why, size_t whylen)
{
    static const char *const yes[] = {"yes", "true", "on", "1"};
    static const char *const no[] = {"no", "false", "off", "0"};
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(s, yes[i]) == 0 || strcasecmp(s, no[i]) == 0) {
            *out = strcasecmp(s, yes[i]) == 0;
            return 0;
        }
    }
    snprintf(why, whylen, "not yes or no");
    return -1;
}

/* Parses value for o and stores it; on error fills why (never the value). */
static int opt_apply(struct config *cfg, const struct opt *o, const char *value,
                     char *why, size_t whylen)
{
    switch (o->type) {
    case OPT_STRING:
        if (o->check != NULL && o->check(value, why, whylen) < 0)
            return -1;
        str_assign(cfg, o, value, false);
        return 0;
    case OPT_INT: {
        long v;
        if (parse_long(value, &v, why, whylen) < 0)
            return -1;
        if (v < o->min || v > o->max) {
            snprintf(why, whylen, "out of range %ld..%ld", o->min, o->max);
            return -1;
        }
        *(int *)field_of(cfg, o) = (int)v;
        return 0;
    }
    case OPT_BOOL:
        return parse_bool(value, (bool *)field_of(cfg, o), why, whylen);
    }
    return -1;
}

void config_defaults(struct config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    for (size_t i = 0; i < NOPTS; i++) {
        const struct opt *o = &opts[i];
        if (o->type == OPT_STRING) {
            str_assign(cfg, o, o->def, true);
        } else {
            char why[64];
            int rc = opt_apply(cfg, o, o->def, why, sizeof why);
            assert(rc == 0 && "a default fails its own table entry");
            (void)rc;
        }
    }
}

void config_free(struct config *cfg)
{
    for (size_t i = 0; i < NOPTS; i++) {
        const struct opt *o = &opts[i];
        if (o->type != OPT_STRING)
            continue;
        char **f = field_of(cfg, o);
        if (*f != NULL && *f != o->def)
            free(*f);
        *f = NULL;
    }
    config_defaults(cfg);
}

int config_set(struct config *cfg, const char *key, const char *value,
               struct err *err)
{
    char why[128];
    const struct opt *o = opt_find(key, strlen(key));
    if (o == NULL)
        return err_set(err, ERR_BAD_REQUEST, "%s: unknown key", key);
    if (opt_apply(cfg, o, value, why, sizeof why) < 0)
        return err_set(err, ERR_BAD_REQUEST, "%s: %s", o->key, why);
    return 0;
}

/* ---- the file ---- */

/* Edit distance of two short keys (longer ones count as far apart). */
static size_t edit_distance(const char *a, size_t la, const char *b, size_t lb)
{
    size_t row[65];
    if (la > 64 || lb > 64)
        return 64;
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (tolower((unsigned char)a[i - 1]) !=
                                  tolower((unsigned char)b[j - 1]));
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

/* A typo such as "admin-tokn" is no reason to print a secret either: an
 * unknown key that names a secret or is close to a secret key's name is
 * treated as one. */
static bool looks_secret(const char *key, size_t len)
{
    static const char *const words[] = {"token", "pass", "secret", "pw",
                                        "key",   "auth", "cred"};
    char k[64];
    size_t n = len < sizeof k ? len : sizeof k - 1;
    for (size_t i = 0; i < n; i++)
        k[i] = (char)tolower((unsigned char)key[i]);
    k[n] = '\0';
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strstr(k, words[i]) != NULL)
            return true;
    for (size_t i = 0; i < NOPTS; i++)
        if ((opts[i].flags & OPT_SECRET) &&
            edit_distance(key, len, opts[i].key, strlen(opts[i].key)) <= 3)
            return true;
    return false;
}

/* Splits a line in place into key and value. A blank or comment line gives
 * *key == NULL. Returns -1 with why on a malformed line. */
static int split_line(char *line, char **key, char **value, char *why,
                      size_t whylen)
{
    char *p = line;
    *key = *value = NULL;
    while (isspace((unsigned char)*p))
        p++;
    if (*p == '\0' || *p == '#')
        return 0;
    *key = p;
    while (*p && !isspace((unsigned char)*p))
        p++;
    if (*p)
        *p++ = '\0';
    while (isspace((unsigned char)*p))
        p++;
    if (*p == '\0' || *p == '#') {
        snprintf(why, whylen, "missing value");
        return -1;
    }

    char *rest;
    if (*p == '"') {
        /* Unquote in place; \" and \\ are the only escapes. */
        char *r = p + 1, *w = p;
        *value = p;
        while (*r && *r != '"') {
            if (*r == '\\' && (r[1] == '"' || r[1] == '\\'))
                r++;
            *w++ = *r++;
        }
        if (*r != '"') {
            snprintf(why, whylen, "unterminated quote");
            return -1;
        }
        *w = '\0';
        rest = r + 1;
        if (*rest && !isspace((unsigned char)*rest)) {
            snprintf(why, whylen, "text after the closing quote");
            return -1;
        }
    } else {
        *value = p;
        while (*p && !isspace((unsigned char)*p))
            p++;
        rest = p;
        if (*rest)
            *rest++ = '\0';
    }
    while (isspace((unsigned char)*rest))
        rest++;
    if (*rest && *rest != '#') {
        snprintf(why, whylen, "more than one value (quote values with spaces)");
        return -1;
    }
    return 0;
}

/* What a message may show of a line: the line, or its key alone. */
static void line_for_message(const char *line, char *out, size_t outlen)
{
    const char *p = line;
    while (isspace((unsigned char)*p))
        p++;
    /* The key ends where split_line ends it: at any white space. */
    size_t klen = 0;
    while (p[klen] && !isspace((unsigned char)p[klen]))
        klen++;
    const struct opt *o = opt_find(p, klen);
    bool secret = o ? (o->flags & OPT_SECRET) != 0 : looks_secret(p, klen);
    if (secret && p[klen] != '\0')
        snprintf(out, outlen, "%.*s <hidden>", (int)klen, p);
    else
        snprintf(out, outlen, "%s", p);
}

static int file_line(struct config *cfg, const char *path, long lineno,
                     char *line, struct err *err)
{
    char shown[200], why[128];
    size_t n = strlen(line);
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = '\0';
    line_for_message(line, shown, sizeof shown);

    char *key, *value;
    if (split_line(line, &key, &value, why, sizeof why) < 0)
        goto bad;
    if (key == NULL)
        return 0;
    const struct opt *o = opt_find(key, strlen(key));
    if (o == NULL) {
        snprintf(why, sizeof why, "unknown key");
        goto bad;
    }
    if (opt_apply(cfg, o, value, why, sizeof why) < 0)
        goto bad;
    return 0;
bad:
    return err_set(err, ERR_BAD_REQUEST, "%s:%ld: %s: %s", path, lineno, why,
                   shown);
}

int config_load_file(struct config *cfg, const char *path, struct err *err)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return err_set(err, ERR_BAD_REQUEST, "%s: cannot open: %s", path,
                       strerror(errno));
    char *line = NULL;
    size_t cap = 0;
    long lineno = 0;
    int rc = 0;
    while (getline(&line, &cap, f) >= 0) {
        lineno++;
        if (file_line(cfg, path, lineno, line, err) < 0) {
            rc = -1;
            break;
        }
    }
    if (rc == 0 && ferror(f))
        rc = err_set(err, ERR_BAD_REQUEST, "%s: read error: %s", path,
                     strerror(errno));
    free(line);
    fclose(f);
    return rc;
}

/* ---- flags ---- */

static void print_help(FILE *out)
{
    static const char *const metavar[] = {
        [OPT_STRING] = "TEXT", [OPT_INT] = "N", [OPT_BOOL] = "yes|no"};
    const char *section = NULL;
    char left[64];

    fprintf(
        out,
        "usage: expomatchd [--config FILE] [--KEY VALUE | --KEY=VALUE ...]\n"
        "\n"
        "Every KEY of the config file is also a flag. The file is read\n"
        "first, wherever --config appears; flags then win.\n"
        "\n"
        "  %-28s %s\n  %-28s %s\n  %-28s %s\n  %-28s %s\n",
        "--config FILE", "read settings from FILE", "--help",
        "print this help and exit", "--version", "print the version and exit",
        "--print-sample", "print the documented sample config file and exit");
    for (size_t i = 0; i < NOPTS; i++) {
        const struct opt *o = &opts[i];
        if (section == NULL || strcmp(section, o->section) != 0) {
            section = o->section;
            fprintf(out, "\n%s:\n", section);
        }
        snprintf(left, sizeof left, "--%s %s", o->key, metavar[o->type]);
        fprintf(out, "  %-28s %s\n  %-28s (default %s%s%s", left, o->doc, "",
                *o->def ? "" : "\"", o->def, *o->def ? "" : "\"");
        if (o->type == OPT_INT)
            fprintf(out, "; %ld..%ld", o->min, o->max);
        fprintf(out, ")\n");
    }
}

/* Finds --config FILE and the flags that end the run; pass one of two. */
static enum config_result scan_special(int argc, char **argv, const char **path,
                                       struct err *err)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            print_help(stdout);
            return CONFIG_EXIT;
        }
        if (strcmp(a, "--version") == 0) {
            printf("expomatchd %s\n", EM_VERSION);
            return CONFIG_EXIT;
        }
        if (strcmp(a, "--print-sample") == 0) {
            config_print_sample(stdout);
            return CONFIG_EXIT;
        }
        if (strcmp(a, "--config") == 0) {
            if (i + 1 >= argc) {
                err_set(err, ERR_BAD_REQUEST, "--config: missing value");
                return CONFIG_ERROR;
            }
            *path = argv[++i];
        } else if (strncmp(a, "--config=", 9) == 0) {
            *path = a + 9;
        } else if (strncmp(a, "--", 2) == 0 && strchr(a, '=') == NULL &&
                   opt_find(a + 2, strlen(a + 2)) != NULL) {
            i++; /* its value, which may itself look like a flag */
        }
    }
    return CONFIG_OK;
}

/* Applies every --key value / --key=value; pass two of two. */
static int apply_flags(struct config *cfg, int argc, char **argv,
                       struct err *err)
{
    char why[128];
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--config") == 0) {
            i++;
            continue;
        }
        if (strncmp(a, "--config=", 9) == 0)
            continue;
        if (strncmp(a, "--", 2) != 0)
            return err_set(err, ERR_BAD_REQUEST,
                           "%s: unexpected argument (flags are --key value)",
                           a);
        const char *name = a + 2, *eq = strchr(name, '=');
        size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
        const struct opt *o = opt_find(name, nlen);
        if (o == NULL)
            return err_set(err, ERR_BAD_REQUEST,
                           "--%.*s: unknown option (see --help)", (int)nlen,
                           name);
        const char *value;
        if (eq != NULL)
            value = eq + 1;
        else if (i + 1 < argc)
            value = argv[++i];
        else
            return err_set(err, ERR_BAD_REQUEST, "--%s: missing value", o->key);
        if (opt_apply(cfg, o, value, why, sizeof why) < 0)
            return err_set(err, ERR_BAD_REQUEST, "--%s: %s: %s", o->key, why,
                           (o->flags & OPT_SECRET) ? "<hidden>" : value);
    }
    return 0;
}

enum config_result config_load(struct config *cfg, int argc, char **argv,
                               struct err *err)
{
    /* Built on a fresh copy so that cfg need not be initialised and is left
     * at the defaults, never half-loaded, when loading stops early. */
    struct config tmp;
    const char *path = NULL;
    enum config_result res = scan_special(argc, argv, &path, err);

    config_defaults(cfg);
    if (res != CONFIG_OK)
        return res;
    config_defaults(&tmp);
    if ((path != NULL && config_load_file(&tmp, path, err) < 0) ||
        apply_flags(&tmp, argc, argv, err) < 0) {
        config_free(&tmp);
        return CONFIG_ERROR;
    }
    *cfg = tmp;
    return CONFIG_OK;
}

/* ---- the sample file ---- */

static void print_value(FILE *out, const char *v)
{
    if (*v != '\0' && strpbrk(v, " \t\"#\\") == NULL) {
        fputs(v, out);
        return;
    }
    fputc('"', out);
    for (; *v; v++) {
        if (*v == '"' || *v == '\\')
            fputc('\\', out);
        fputc(*v, out);
    }
    fputc('"', out);
}

void config_print_sample(FILE *out)
{
    const char *section = NULL;
    fputs("# expomatchd.conf: settings of the expomatch daemon.\n"
          "#\n"
          "# One `key value` per line; `#` starts a comment; quote a value\n"
          "# that holds spaces (\"like this\", with \\\" and \\\\ inside).\n"
          "# Every key is also a flag, `--key value` or `--key=value`, and\n"
          "# flags win over this file. The values below are the defaults.\n"
          "# Generated by `expomatchd --print-sample` from the table in\n"
          "# daemon/config.c; a unit test keeps the two equal.\n",
          out);
    for (size_t i = 0; i < NOPTS; i++) {
        const struct opt *o = &opts[i];
        if (section == NULL || strcmp(section, o->section) != 0) {
            section = o->section;
            fprintf(out, "\n# ---- %s ----\n", section);
        }
        fprintf(out, "\n# %s", o->doc);
        if (o->type == OPT_INT)
            fprintf(out, "; range %ld..%ld", o->min, o->max);
        fprintf(out, ".\n%s ", o->key);
        print_value(out, o->def);
        fputc('\n', out);
    }
}
