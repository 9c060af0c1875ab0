/* cli_conn.c: expomatch-cli's connection: connect and authenticate, call,
 * print results, errors and notifications. */
#include "cli.h"
#include "xmalloc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Authenticates on a new connection. Returns 0 or an exit status. */
static int authenticate(struct cli *cli)
{
    char *token = cli_load_token(cli->o->token_arg);
    if (token == NULL)
        return EXIT_DATAERR;
    struct emc_error err;
    enum emc_status st = emc_auth(cli->c, token, NULL, &err);
    explicit_bzero(token, strlen(token));
    free(token);
    if (st == EMC_REPLY_ERROR) {
        fprintf(stderr, "auth failed: %s: %s\n", err.code, err.message);
        return EXIT_AUTH_FAILED;
    }
    if (st == EMC_FAILED) {
        fprintf(stderr, "expomatch-cli: auth: %s\n", emc_errstr(cli->c));
        return EXIT_CONNECTION;
    }
    return 0;
}

int cli_connect(struct cli *cli)
{
    if (cli->c != NULL)
        return 0;
    const struct options *o = cli->o;
    char errbuf[256];
    int timeout_ms = o->timeout_s * 1000;
    struct emc_tls tls = {
        .ca_file = o->cacert, .cert_file = o->cert, .key_file = o->key};
    if (o->socket != NULL)
        cli->c = emc_connect_unix(o->socket, timeout_ms, errbuf, sizeof errbuf);
    else if (o->tls)
        cli->c = emc_connect_tls(o->host, o->port, timeout_ms, &tls, errbuf,
                                 sizeof errbuf);
    else
        cli->c = emc_connect_tcp(o->host, o->port, timeout_ms, errbuf,
                                 sizeof errbuf);
    if (cli->c == NULL) {
        fprintf(stderr, "expomatch-cli: %s\n", errbuf);
        return EXIT_CONNECTION;
    }
    emc_set_notify(cli->c, cli_print_notification, (void *)o);
    int status = o->token_arg != NULL ? authenticate(cli) : 0;
    if (status != 0)
        cli_disconnect(cli);
    return status;
}

void cli_disconnect(struct cli *cli)
{
    emc_close(cli->c);
    cli->c = NULL;
}

int cli_call(struct cli *cli, const char *method, const msgpack_sbuffer *args,
             struct emc_result *res)
{
    return cli_call_quiet(cli, method, args, res, NULL);
}

int cli_call_quiet(struct cli *cli, const char *method,
                   const msgpack_sbuffer *args, struct emc_result *res,
                   struct emc_error *reply_error)
{
    int status = cli_connect(cli);
    if (status != 0)
        return status;
    struct emc_error own, *err = reply_error != NULL ? reply_error : &own;
    const void *data = args != NULL ? args->data : NULL;
    size_t size = args != NULL ? args->size : 0;
    switch (emc_call_packed(cli->c, method, data, size, res, err)) {
    case EMC_OK: return 0;
    case EMC_REPLY_ERROR:
        if (reply_error == NULL)
            fprintf(stderr, "%s: %s\n", err->code, err->message);
        return EXIT_REPLY_ERROR;
    case EMC_FAILED:
        fprintf(stderr, "expomatch-cli: %s: %s\n", method, emc_errstr(cli->c));
        cli_disconnect(cli);
        return EXIT_CONNECTION;
    }
    return EXIT_CONNECTION;
}

int cli_call_json(struct cli *cli, const char *method, json_t *args,
                  struct emc_result *res, struct emc_error *reply_error)
{
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    if (args != NULL) {
        msgpack_packer pk;
        msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
        cli_pack_json(&pk, args);
    }
    int status = cli_call_quiet(cli, method, args != NULL ? &sb : NULL, res,
                                reply_error);
    msgpack_sbuffer_destroy(&sb);
    return status;
}

int cli_print(const msgpack_object *obj, const struct options *o)
{
    if (o->raw && obj->type == MSGPACK_OBJECT_STR) {
        fwrite(obj->via.str.ptr, 1, obj->via.str.size, stdout);
    } else if (o->raw && obj->type == MSGPACK_OBJECT_BIN) {
        fwrite(obj->via.bin.ptr, 1, obj->via.bin.size, stdout);
    } else {
        json_t *j = cli_to_json(obj);
        size_t flags =
            JSON_ENCODE_ANY | (o->compact ? JSON_COMPACT : JSON_INDENT(2));
        json_dumpf(j, stdout, flags);
        json_decref(j);
        fputc('\n', stdout);
    }
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "expomatch-cli: cannot write the result: %s\n",
                strerror(errno));
        return EXIT_IOERR;
    }
    return 0;
}

/* One line per notification, whatever --compact says, so that a script
 * reading the stream can take it line by line. */
void cli_print_notification(const char *method, size_t len,
                            const msgpack_object *params, void *arg)
{
    msgpack_object m = {.type = MSGPACK_OBJECT_STR};
    m.via.str.ptr = method;
    m.via.str.size = (uint32_t)len;
    json_t *j = json_object();
    json_object_set_new(j, "method", cli_to_json(&m));
    json_object_set_new(j, "params", cli_to_json(params));
    json_dumpf(j, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(j);
    fputc('\n', stdout);
    fflush(stdout);
}

int cli_run_method(struct cli *cli, const char *method, const char *json_args)
{
    msgpack_sbuffer args;
    msgpack_sbuffer_init(&args);
    if (json_args != NULL && cli_load_args(json_args, &args) < 0) {
        msgpack_sbuffer_destroy(&args);
        return EXIT_DATAERR;
    }
    struct emc_result res;
    int status = cli_call(cli, method, json_args != NULL ? &args : NULL, &res);
    msgpack_sbuffer_destroy(&args);
    if (status == 0) {
        status = cli_print(&res.obj, cli->o);
        emc_result_free(&res);
    }
    return status;
}
