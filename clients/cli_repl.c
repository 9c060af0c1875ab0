/* cli_repl.c: expomatch-cli's interactive prompt, in the spirit of
 * redis-cli: line editing and history (Debian's libedit) at a terminal,
 * plain lines from a pipe, one command per line. */
#include "cli.h"
#include "xmalloc.h"

#include <ctype.h>
#include <editline/readline.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define HISTORY_LINES 1000
#define MAX_WORDS 4

static void help(void)
{
    puts("Commands, one per line:\n"
         "  METHOD [JSON-ARGS]       call a method, e.g. "
         "event.get {\"event\": \"e1\"}\n"
         "  subscribe JSON-ARGS      print notifications until Ctrl-C\n"
         "  import EVENT FILE.csv    register participants from CSV\n"
         "  export EVENT [FILE.csv]  write the schedule as CSV\n"
         "  help                     this text\n"
         "  quit                     leave (so does Ctrl-D)\n"
         "Lines starting with auth are kept out of the history.");
}

/* ~/.expomatch_cli_history, or $EXPOMATCH_CLI_HISTFILE ("" for none). */
static char *history_path(void)
{
    const char *env = getenv("EXPOMATCH_CLI_HISTFILE");
    if (env != NULL)
        return env[0] != '\0' ? xstrdup(env) : NULL;
    const char *home = getenv("HOME");
    if (home == NULL || home[0] == '\0')
        return NULL;
    size_t n = strlen(home) + sizeof "/.expomatch_cli_history";
    char *p = xmalloc(n);
    snprintf(p, n, "%s/.expomatch_cli_history", home);
    return p;
}

/* Splits line into words: METHOD then the rest as one word (JSON may hold
 * spaces); import and export take space-separated words. Returns the
 * count, 0 for a blank line, -1 when there are too many. */
static int split(char *line, char **w)
{
    int n = 0;
    char *p = line;
    while (*p != '\0') {
        while (isspace((unsigned char)*p))
            p++;
        if (*p == '\0')
            break;
        if (n == MAX_WORDS)
            return -1;
        w[n++] = p;
        bool words = strcmp(w[0], "import") == 0 ||
                     strcmp(w[0], "export") == 0 || n == 1;
        if (!words) {
            /* The rest of the line, without trailing spaces. */
            char *end = p + strlen(p);
            while (end > p && isspace((unsigned char)end[-1]))
                *--end = '\0';
            break;
        }
        while (*p != '\0' && !isspace((unsigned char)*p))
            p++;
        if (*p != '\0')
            *p++ = '\0';
    }
    return n;
}

/* Runs one line; returns its exit status (0 for nothing to do). */
static int run_line(struct cli *cli, char *line, bool *quit)
{
    char *w[MAX_WORDS];
    int n = split(line, w);
    if (n == 0)
        return 0;
    if (n < 0) {
        fprintf(stderr, "expomatch-cli: too many words; type help\n");
        return EXIT_USAGE;
    }
    if (strcmp(w[0], "quit") == 0 || strcmp(w[0], "exit") == 0) {
        *quit = true;
        return 0;
    }
    if (strcmp(w[0], "help") == 0) {
        help();
        return 0;
    }
    int status = cli_command(cli, n, w, true);
    return status < 0 ? EXIT_USAGE : status;
}

static void set_prompt(const struct cli *cli, char *buf, size_t cap)
{
    const struct options *o = cli->o;
    if (cli->c == NULL)
        snprintf(buf, cap, "not connected> ");
    else if (o->socket != NULL)
        snprintf(buf, cap, "%s> ", o->socket);
    else if (strchr(o->host, ':') != NULL)
        snprintf(buf, cap, "[%s]:%d> ", o->host, o->port);
    else
        snprintf(buf, cap, "%s:%d> ", o->host, o->port);
}

/* At a terminal: editing, history, a prompt naming the server. */
static int repl_tty(struct cli *cli)
{
    char *hist = history_path();
    using_history();
    stifle_history(HISTORY_LINES);
    if (hist != NULL)
        read_history(hist);
    if (cli_connect(cli) == 0)
        printf("Connected. Type help for the commands.\n");
    int status = 0;
    bool quit = false;
    char prompt[300];
    while (!quit) {
        set_prompt(cli, prompt, sizeof prompt);
        char *line = readline(prompt);
        if (line == NULL) {
            putchar('\n');
            break;
        }
        char *p = line;
        while (isspace((unsigned char)*p))
            p++;
        if (*p != '\0' && strncmp(p, "auth", 4) != 0)
            add_history(line);
        status = run_line(cli, line, &quit);
        free(line);
    }
    if (hist != NULL) {
        /* History may hold event ids and arguments: owner-only. */
        mode_t old = umask(077);
        write_history(hist);
        umask(old);
        free(hist);
    }
    return status;
}

/* From a pipe: no prompt, no history; the status of the last failed line
 * is the exit status, so a script notices a failure anywhere. */
static int repl_pipe(struct cli *cli)
{
    char *line = NULL;
    size_t cap = 0;
    int status = 0;
    bool quit = false;
    while (!quit && getline(&line, &cap, stdin) >= 0) {
        int s = run_line(cli, line, &quit);
        if (s != 0)
            status = s;
    }
    free(line);
    return status;
}

int cli_repl(struct cli *cli)
{
    return isatty(STDIN_FILENO) ? repl_tty(cli) : repl_pipe(cli);
}
