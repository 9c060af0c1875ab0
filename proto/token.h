/* token.h: reading the token a client's -a option names. */
#ifndef EM_TOKEN_H
#define EM_TOKEN_H

#include <stddef.h>

/* The longest token file read; tokens are far shorter. */
#define EMC_TOKEN_FILE_MAX 4096

/* arg itself, or with "@FILE" the content of FILE (at most
 * EMC_TOKEN_FILE_MAX bytes, so that it stays out of the process list),
 * without surrounding white space. A new string the caller wipes with
 * explicit_bzero and frees; NULL with a message in errbuf when the file
 * cannot be read or the token is empty or holds white space or NUL. */
char *emc_token_load(const char *arg, char *errbuf, size_t errlen);

#endif
