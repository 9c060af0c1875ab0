/* cli.h: the parts of expomatch-cli shared by its files: exit statuses,
 * options, the connection with its token, JSON <-> MessagePack, and the
 * commands (one call, the prompt, import, export, subscribe). */
#ifndef EM_CLI_H
#define EM_CLI_H

#include "client.h"

#include <jansson.h>
#include <msgpack.h>
#include <stdbool.h>
#include <stdio.h>

/* Exit statuses; scripts tell the failures apart by them. */
enum {
    EXIT_REPLY_ERROR = 1,  /* the server answered with an error */
    EXIT_AUTH_FAILED = 2,  /* auth was refused; the method was not called */
    EXIT_CONNECTION = 3,   /* could not connect, or the connection failed */
    EXIT_ROWS_SKIPPED = 4, /* import: some rows were bad and skipped */
    EXIT_USAGE = 64,       /* bad command line (as sysexits' EX_USAGE) */
    EXIT_DATAERR = 65,     /* bad JSON arguments, token or CSV file */
    EXIT_NOINPUT = 66,     /* an input file could not be opened */
    EXIT_IOERR = 74        /* could not write the result */
};

struct options {
    const char *host;      /* -h */
    int port;              /* -p */
    const char *socket;    /* -s: Unix socket path, wins over host/port */
    const char *token_arg; /* -a, or EXPOMATCH_TOKEN */
    int timeout_s;         /* -t; 0 waits forever */
    int compact;           /* --compact: one line */
    int raw;               /* --raw: a str or bin result printed as is */
    int tls;               /* --tls: TLS to HOST:PORT */
    const char *cacert;    /* --cacert: CA file for the server's cert */
    const char *cert;      /* --cert: client certificate file */
    const char *key;       /* --key: its private key file */
};

/* A connection and what it takes to make it again. */
struct cli {
    const struct options *o;
    struct emc *c; /* NULL until connected, and after a failure */
};

/* Connects (and authenticates when a token was given) unless already
 * connected. Returns 0 or an exit status, after saying why. */
int cli_connect(struct cli *cli);

/* Drops the connection; the next cli_connect makes a new one. */
void cli_disconnect(struct cli *cli);

/* Calls method with packed args (NULL for none). On EMC_OK the caller frees
 * *res. Errors are printed as "CODE: message" (reply errors) or with the
 * method (transport failures, which also drop the connection). Returns 0
 * or an exit status. */
int cli_call(struct cli *cli, const char *method, const msgpack_sbuffer *args,
             struct emc_result *res);

/* Same, but a reply error goes to *reply_error instead of stderr (when
 * reply_error is not NULL). */
int cli_call_quiet(struct cli *cli, const char *method,
                   const msgpack_sbuffer *args, struct emc_result *res,
                   struct emc_error *reply_error);

/* Calls method with a JSON object of arguments (NULL for none);
 * reply_error as for cli_call_quiet. */
int cli_call_json(struct cli *cli, const char *method, json_t *args,
                  struct emc_result *res, struct emc_error *reply_error);

/* Prints a result as JSON (or raw, with --raw). Returns 0 or EXIT_IOERR. */
int cli_print(const msgpack_object *obj, const struct options *o);

/* Prints a server notification as one JSON line {"method", "params"}. */
void cli_print_notification(const char *method, size_t len,
                            const msgpack_object *params, void *arg);

/* Runs a command given as words: METHOD [JSON-ARGS], subscribe, import or
 * export. Returns its exit status, or -1 for a usage error (explained). */
int cli_command(struct cli *cli, int argc, char **argv, bool interactive);

/* The one-call command: METHOD [JSON-ARGS]; "-" reads JSON-ARGS from
 * stdin. Returns the exit status. */
int cli_run_method(struct cli *cli, const char *method, const char *json_args);

/* subscribe JSON-ARGS: prints the result, then each notification as it
 * comes, until the connection closes or (interactive) Ctrl-C. */
int cli_subscribe(struct cli *cli, const char *json_args, bool interactive);

/* import EVENT FILE ("-": stdin): participants from CSV. */
int cli_import(struct cli *cli, const char *event, const char *path);

/* export EVENT [FILE]: the schedule as CSV, to stdout without FILE. */
int cli_export(struct cli *cli, const char *event, const char *path);

/* The interactive prompt. */
int cli_repl(struct cli *cli);

/* JSON <-> MessagePack (cli_json.c). */
void cli_pack_json(msgpack_packer *pk, const json_t *j);
json_t *cli_to_json(const msgpack_object *o);
/* Parses JSON-ARGS text (or stdin for "-") into sb; -1 after saying why. */
int cli_load_args(const char *arg, msgpack_sbuffer *sb);
/* All of f up to max bytes, NUL-terminated; NULL with errno (EFBIG). */
char *cli_read_all(FILE *f, size_t max, size_t *lenp);
/* The token itself: the argument or the trimmed content of @FILE. */
char *cli_load_token(const char *arg);

/* A str value of a map as a NUL-terminated copy in buf ("" when absent or
 * not a string). */
const char *cli_map_str(const msgpack_object *map, const char *key, char *buf,
                        size_t cap);

#endif
