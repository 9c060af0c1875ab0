/* log.c: one line per record, "2026-11-23T20:40:01.123Z [info] message",
 * on stderr or appended to a file; libevent's own messages join in. */
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

enum log_level log_min_level = LOG_INFO;

/* NULL means stderr; a file is line-buffered so each record lands whole. */
static FILE *log_fp;

static const char *const level_names[] = {
    [LOG_DEBUG] = "debug",
    [LOG_INFO] = "info",
    [LOG_WARN] = "warn",
    [LOG_ERROR] = "error",
};

int log_level_parse(const char *name, enum log_level *out)
{
    for (int l = LOG_DEBUG; l <= LOG_ERROR; l++) {
        if (strcmp(name, level_names[l]) == 0) {
            *out = (enum log_level)l;
            return 0;
        }
    }
    return -1;
}

int log_open(const char *path)
{
    FILE *f = NULL;
    if (path != NULL && *path != '\0') {
        /* O_CLOEXEC so no child process inherits the log. */
        int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
        if (fd < 0)
            return -1;
        f = fdopen(fd, "a");
        if (f == NULL) {
            int e = errno;
            close(fd);
            errno = e;
            return -1;
        }
        setvbuf(f, NULL, _IOLBF, 0);
    }
    if (log_fp != NULL)
        fclose(log_fp);
    log_fp = f;
    return 0;
}

void log_write(enum log_level level, const char *fmt, ...)
{
    char line[2048];
    struct timespec ts;
    struct tm tm;

    if ((unsigned)level > LOG_ERROR)
        level = LOG_ERROR;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(line, sizeof line, "%Y-%m-%dT%H:%M:%S", &tm);
    n += (size_t)snprintf(line + n, sizeof line - n, ".%03ldZ [%s] ",
                          ts.tv_nsec / 1000000L, level_names[level]);

    size_t start = n;
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof line - n - 1, fmt, ap);
    va_end(ap);
    if (m < 0)
        m = 0;
    n += (size_t)m < sizeof line - n - 1 ? (size_t)m : sizeof line - n - 2;

    /* Control characters (a newline in a peer-supplied name) would forge
     * or split records: one record stays one line. */
    for (size_t i = start; i < n; i++)
        if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
            line[i] = '?';
    line[n++] = '\n';

    FILE *out = log_fp ? log_fp : stderr;
    fwrite(line, 1, n, out);
}

static void libevent_cb(int severity, const char *msg)
{
    enum log_level level;
    switch (severity) {
    case EVENT_LOG_DEBUG: level = LOG_DEBUG; break;
    case EVENT_LOG_MSG: level = LOG_INFO; break;
    case EVENT_LOG_WARN: level = LOG_WARN; break;
    default: level = LOG_ERROR; break;
    }
    log_at(level, "libevent: %s", msg);
}

void log_capture_libevent(void)
{
    event_set_log_callback(libevent_cb);
}
