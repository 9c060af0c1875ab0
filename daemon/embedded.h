/* embedded.h: files built into the daemon (the organizer dashboard), so
 * that it needs none on disk whatever its working directory. */
#ifndef EM_EMBEDDED_H
#define EM_EMBEDDED_H

#include <stddef.h>

struct em_file {
    const char *name;          /* base name, e.g. "index.html"; NULL ends */
    const unsigned char *data; /* len bytes, then a NUL */
    size_t len;
};

/* The files of daemon/dashboard/, ended by an entry whose name is NULL. */
extern const struct em_file em_dashboard_files[];

#endif
