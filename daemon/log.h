/* log.h: levelled, timestamped log lines on stderr or a file. Callers never
 * pass tokens, badges or contact details. */
#ifndef EM_LOG_H
#define EM_LOG_H

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

extern enum log_level log_min_level;

/* Parses "debug", "info", "warn" or "error"; returns -1 on anything else. */
int log_level_parse(const char *name, enum log_level *out);

/* Opens path for appending (NULL or "" means stderr); 0 or -1. */
int log_open(const char *path);

/* Routes libevent's own messages into this log. */
void log_capture_libevent(void);

void log_write(enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The level test is inline so that a disabled level costs one comparison
 * and no argument evaluation. */
#define log_at(lvl, ...)                                                       \
    do {                                                                       \
        if ((lvl) >= log_min_level)                                            \
            log_write((lvl), __VA_ARGS__);                                     \
    } while (0)
#define log_debug(...) log_at(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_at(LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_at(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_at(LOG_ERROR, __VA_ARGS__)

#endif
