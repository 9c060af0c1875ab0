/* cli_subscribe.c: `subscribe`: prints notifications as they come, one
 * JSON line each, so that a script can follow an event with a pipe. */
#include "cli.h"

#include <signal.h>
#include <string.h>

static volatile sig_atomic_t interrupted;

static void on_sigint(int sig)
{
    (void)sig;
    interrupted = 1;
}

/* Waits for notifications until the connection ends or, at the prompt,
 * Ctrl-C. Returns 0 when interrupted, EXIT_CONNECTION otherwise. */
static int listen_loop(struct cli *cli, bool interactive)
{
    struct sigaction sa, old;
    if (interactive) {
        /* No SA_RESTART: the wait must return when Ctrl-C comes. */
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_sigint;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGINT, &sa, &old);
        interrupted = 0;
        fprintf(stderr, "(listening; Ctrl-C returns to the prompt)\n");
    }
    int status = 0;
    while (!interrupted) {
        if (emc_wait_notification(cli->c, -1) < 0) {
            fprintf(stderr, "expomatch-cli: subscribe: %s\n",
                    emc_errstr(cli->c));
            cli_disconnect(cli);
            status = EXIT_CONNECTION;
            break;
        }
    }
    if (interactive)
        sigaction(SIGINT, &old, NULL);
    return status;
}

int cli_subscribe(struct cli *cli, const char *json_args, bool interactive)
{
    msgpack_sbuffer args;
    msgpack_sbuffer_init(&args);
    if (cli_load_args(json_args, &args) < 0) {
        msgpack_sbuffer_destroy(&args);
        return EXIT_DATAERR;
    }
    struct emc_result res;
    int status = cli_call(cli, "subscribe", &args, &res);
    if (status == 0) {
        status = cli_print(&res.obj, cli->o);
        emc_result_free(&res);
    }
    if (status == 0)
        status = listen_loop(cli, interactive);
    /* Back at the prompt, later calls should not be interleaved with this
     * stream: the same topics are dropped again. */
    if (status == 0 && interactive &&
        cli_call(cli, "unsubscribe", &args, &res) == 0)
        emc_result_free(&res);
    msgpack_sbuffer_destroy(&args);
    return status;
}
