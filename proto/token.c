/* token.c: reading a token argument (see token.h). */
#include "token.h"
#include "xmalloc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SPACE " \t\r\n"

char *emc_token_load(const char *arg, char *errbuf, size_t errlen)
{
    char *tok;
    size_t n;
    if (arg[0] != '@') {
        tok = xstrdup(arg);
        n = strlen(tok);
    } else {
        FILE *f = fopen(arg + 1, "r");
        if (f == NULL) {
            snprintf(errbuf, errlen, "cannot open token file %s: %s", arg + 1,
                     strerror(errno));
            return NULL;
        }
        tok = xmalloc(EMC_TOKEN_FILE_MAX + 1);
        n = fread(tok, 1, EMC_TOKEN_FILE_MAX + 1, f);
        int bad = ferror(f);
        fclose(f);
        if (bad || n > EMC_TOKEN_FILE_MAX) {
            snprintf(errbuf, errlen, "cannot read token file %s: %s", arg + 1,
                     bad ? "read error" : "too large");
            explicit_bzero(tok, EMC_TOKEN_FILE_MAX + 1);
            free(tok);
            return NULL;
        }
        tok[n] = '\0';
    }
    size_t start = 0;
    while (start < n && strchr(SPACE, tok[start]) != NULL)
        start++;
    while (n > start && strchr(SPACE, tok[n - 1]) != NULL)
        n--;
    memmove(tok, tok + start, n - start);
    tok[n - start] = '\0';
    if (tok[0] == '\0' || strlen(tok) != n - start ||
        strpbrk(tok, SPACE) != NULL) {
        snprintf(errbuf, errlen, "%s holds no usable token",
                 arg[0] == '@' ? arg + 1 : "the token argument");
        explicit_bzero(tok, n);
        free(tok);
        return NULL;
    }
    return tok;
}
