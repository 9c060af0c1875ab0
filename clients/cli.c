/* cli.c: expomatch-cli's command line: calls one expomatchd method with
 * JSON arguments and prints the result as JSON, for scripts and people; or
 * imports, exports, subscribes, or opens a prompt (cli_repl.c). */
#include "cli.h"

#include "numarg.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_HOST "127.0.0.1"
#define DEFAULT_PORT 7411
#define DEFAULT_TIMEOUT_S 30

static void usage(FILE *f)
{
    fprintf(
        f,
        "usage: expomatch-cli [OPTIONS] METHOD [JSON-ARGS]\n"
        "       expomatch-cli [OPTIONS] subscribe JSON-ARGS\n"
        "       expomatch-cli [OPTIONS] import EVENT FILE.csv\n"
        "       expomatch-cli [OPTIONS] export EVENT [FILE.csv]\n"
        "       expomatch-cli [OPTIONS]                 (interactive prompt)\n"
        "\n"
        "Calls METHOD on expomatchd with JSON-ARGS (a JSON object; '-' reads "
        "it\n"
        "from stdin) as its named arguments, and prints the result as JSON.\n"
        "subscribe prints the result, then each notification as one JSON "
        "line\n"
        "until the connection closes. import registers participants from a "
        "CSV\n"
        "file ('-': stdin); export writes the event's schedule as CSV. See\n"
        "docs/cli.md for the columns.\n"
        "\n"
        "Options:\n"
        "  -h HOST       server host, IPv4/IPv6 literal or name (default %s)\n"
        "  -p PORT       server port (default %d)\n"
        "  -s SOCKET     connect to a Unix socket instead of HOST:PORT\n"
        "  -a TOKEN      authenticate first; -a @FILE reads the token from "
        "FILE so\n"
        "                that it does not show in the process list; default: "
        "the\n"
        "                EXPOMATCH_TOKEN environment variable\n"
        "  -t SECONDS    timeout of the connect and of each call (default %d; "
        "0: none)\n"
        "  --tls         speak TLS to HOST:PORT (the server's TLS port)\n"
        "  --cacert FILE CA certificate(s) the server's certificate must "
        "chain to\n"
        "                (PEM; default: the system's CA store); implies "
        "--tls\n"
        "  --cert FILE   client certificate (PEM), for a server that asks "
        "for one\n"
        "  --key FILE    its private key (default: read from --cert FILE)\n"
        "  --compact     print the result on one line\n"
        "  --raw         print a string (or binary) result as it is, not as "
        "JSON\n"
        "  --help        show this help\n"
        "\n"
        "Binary values print as base64 strings; map keys that are not strings\n"
        "are turned into strings.\n"
        "\n"
        "Exit status: 0 success; 1 the server returned an error (printed as\n"
        "'CODE: message' on stderr); 2 authentication failed (METHOD not "
        "called);\n"
        "3 connection failure; 4 import skipped some rows; 64 usage error; "
        "65 bad\n"
        "JSON-ARGS, token file or CSV header; 66 an input file could not be "
        "opened;\n"
        "74 the result could not be written.\n",
        DEFAULT_HOST, DEFAULT_PORT, DEFAULT_TIMEOUT_S);
}

/* Fills o from the options of argv and returns the index of the first
 * word after them; -1 (after saying why) on a usage error, -2 for --help. */
static int parse_options(int argc, char **argv, struct options *o)
{
    enum {
        OPT_HELP = 256,
        OPT_COMPACT,
        OPT_RAW,
        OPT_TLS,
        OPT_CACERT,
        OPT_CERT,
        OPT_KEY
    };
    static const struct option longopts[] = {
        {"help", no_argument, NULL, OPT_HELP},
        {"compact", no_argument, NULL, OPT_COMPACT},
        {"raw", no_argument, NULL, OPT_RAW},
        {"tls", no_argument, NULL, OPT_TLS},
        {"cacert", required_argument, NULL, OPT_CACERT},
        {"cert", required_argument, NULL, OPT_CERT},
        {"key", required_argument, NULL, OPT_KEY},
        {NULL, 0, NULL, 0},
    };
    long v;
    int ch;

    memset(o, 0, sizeof *o);
    o->host = DEFAULT_HOST;
    o->port = DEFAULT_PORT;
    o->timeout_s = DEFAULT_TIMEOUT_S;
    /* '+': options end at METHOD, so JSON-ARGS is never taken for one. */
    while ((ch = getopt_long(argc, argv, "+h:p:s:a:t:", longopts, NULL)) !=
           -1) {
        switch (ch) {
        case 'h': o->host = optarg; break;
        case 's': o->socket = optarg; break;
        case 'a': o->token_arg = optarg; break;
        case 'p':
            if (emc_parse_long(optarg, 1, 65535, &v) < 0) {
                fprintf(stderr, "expomatch-cli: bad port: %s\n", optarg);
                return -1;
            }
            o->port = (int)v;
            break;
        case 't':
            if (emc_parse_long(optarg, 0, 86400, &v) < 0) {
                fprintf(stderr, "expomatch-cli: bad timeout: %s\n", optarg);
                return -1;
            }
            o->timeout_s = (int)v;
            break;
        case OPT_HELP: return -2;
        case OPT_COMPACT: o->compact = 1; break;
        case OPT_RAW: o->raw = 1; break;
        case OPT_TLS: o->tls = 1; break;
        case OPT_CACERT:
            o->cacert = optarg;
            o->tls = 1;
            break;
        case OPT_CERT: o->cert = optarg; break;
        case OPT_KEY: o->key = optarg; break;
        default: return -1;
        }
    }
    if ((o->cert != NULL || o->key != NULL) && !o->tls) {
        fprintf(stderr, "expomatch-cli: --cert and --key need --tls\n");
        return -1;
    }
    if (o->tls && o->socket != NULL) {
        fprintf(stderr, "expomatch-cli: --tls is for HOST:PORT, not -s\n");
        return -1;
    }
    if (o->token_arg == NULL) {
        const char *env = getenv("EXPOMATCH_TOKEN");
        if (env != NULL && env[0] != '\0')
            o->token_arg = env;
    }
    return optind;
}

/* Runs a command given as words (from argv, or a line of the prompt).
 * Returns its exit status, or -1 for a usage error (already explained). */
int cli_command(struct cli *cli, int argc, char **argv, bool interactive)
{
    const char *cmd = argv[0];
    if (strcmp(cmd, "import") == 0) {
        if (argc != 3) {
            fprintf(stderr, "expomatch-cli: usage: import EVENT FILE.csv\n");
            return -1;
        }
        return cli_import(cli, argv[1], argv[2]);
    }
    if (strcmp(cmd, "export") == 0) {
        if (argc != 2 && argc != 3) {
            fprintf(stderr, "expomatch-cli: usage: export EVENT [FILE.csv]\n");
            return -1;
        }
        return cli_export(cli, argv[1], argc == 3 ? argv[2] : NULL);
    }
    if (argc > 2) {
        fprintf(stderr, "expomatch-cli: unexpected argument: %s\n", argv[2]);
        return -1;
    }
    if (strcmp(cmd, "subscribe") == 0) {
        if (argc != 2) {
            fprintf(stderr, "expomatch-cli: usage: subscribe "
                            "{\"event\": ..., \"topics\": [...]}\n");
            return -1;
        }
        return cli_subscribe(cli, argv[1], interactive);
    }
    return cli_run_method(cli, cmd, argc == 2 ? argv[1] : NULL);
}

int main(int argc, char **argv)
{
    struct options o;
    int first = parse_options(argc, argv, &o);
    if (first == -2) {
        usage(stdout);
        return 0;
    }
    if (first < 0) {
        usage(stderr);
        return EXIT_USAGE;
    }
    struct cli cli = {.o = &o};
    int status;
    if (first >= argc) {
        status = cli_repl(&cli);
    } else {
        status = cli_command(&cli, argc - first, argv + first, false);
        if (status < 0) {
            usage(stderr);
            status = EXIT_USAGE;
        }
    }
    cli_disconnect(&cli);
    return status;
}
