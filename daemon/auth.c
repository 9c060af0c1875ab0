/* auth.c: the deployment key, the admin token and token text. */
#include "auth.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "args.h"
#include "log.h"
#include "xmalloc.h"

#define KEY_MAX 4096

static unsigned char key[KEY_MAX];
static size_t key_len;
static char admin_digest[AUTH_DIGEST_HEX];
static bool have_admin;

/* Reads a small secret file whole, as bytes (a key may be binary). */
static int read_secret_file(const char *path, unsigned char *out, size_t max,
                            size_t *len, struct err *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return err_set(err, ERR_INTERNAL, "cannot open %s: %s", path,
                       strerror(errno));
    size_t n = 0;
    for (;;) {
        unsigned char extra;
        /* Full: one more byte tells a file of exactly max from a longer one. */
        ssize_t r = n < max ? read(fd, out + n, max - n) : read(fd, &extra, 1);
        if (n == max && r > 0) {
            close(fd);
            return err_set(err, ERR_INTERNAL, "%s: longer than %zu bytes", path,
                           max);
        }
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            close(fd);
            return err_set(err, ERR_INTERNAL, "cannot read %s: %s", path,
                           strerror(errno));
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    *len = n;
    return 0;
}

/* A token file holds one token; white space around it (a final newline)
 * is not part of it, as expomatch-cli's -a @FILE reads it too. */
static int token_from_file(const char *path, unsigned char *tok, size_t *len,
                           struct err *err)
{
    size_t n = *len, start = 0;
    while (start < n && strchr(" \t\r\n", tok[start]))
        start++;
    while (n > start && strchr(" \t\r\n", tok[n - 1]))
        n--;
    for (size_t i = start; i < n; i++)
        if (tok[i] <= 0x20 || tok[i] == 0x7f)
            return err_set(err, ERR_INTERNAL,
                           "%s: a token file holds one token, without spaces "
                           "or control characters",
                           path);
    memmove(tok, tok + start, n - start);
    *len = n - start;
    return 0;
}

static void to_hex(const unsigned char *in, size_t n, char *out)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hex[in[i] >> 4];
        out[2 * i + 1] = hex[in[i] & 15];
    }
    out[2 * n] = '\0';
}

int auth_init(const struct config *cfg, struct err *err)
{
    if (cfg->secret_key_file[0]) {
        if (read_secret_file(cfg->secret_key_file, key, sizeof key, &key_len,
                             err) < 0)
            return -1;
        if (key_len < 16)
            return err_set(err, ERR_INTERNAL,
                           "%s: a secret key needs at least 16 bytes",
                           cfg->secret_key_file);
    } else {
        /* Runs on defaults, but digests made now will not verify after a
         * restart: say so loudly. */
        if (RAND_bytes(key, 32) != 1)
            return err_set(err, ERR_INTERNAL, "no randomness for a key");
        key_len = 32;
        log_warn("secret-key-file is not set: using a random key for this "
                 "run only; tokens and badges stored now stop working after "
                 "a restart");
    }
    unsigned char tok[1024];
    size_t tok_len = 0;
    if (cfg->admin_token_file[0]) {
        if (read_secret_file(cfg->admin_token_file, tok, sizeof tok, &tok_len,
                             err) < 0 ||
            token_from_file(cfg->admin_token_file, tok, &tok_len, err) < 0)
            return -1;
    } else if (cfg->admin_token[0]) {
        tok_len = strlen(cfg->admin_token);
        if (tok_len > sizeof tok)
            return err_set(err, ERR_INTERNAL, "admin-token: too long");
        memcpy(tok, cfg->admin_token, tok_len);
    }
    if (tok_len > 0 && tok_len < 16)
        return err_set(err, ERR_INTERNAL,
                       "the admin token needs at least 16 characters");
    have_admin = tok_len > 0;
    if (have_admin)
        auth_digest("admin", "", "", (const char *)tok, tok_len, admin_digest);
    else
        log_warn("no admin-token or admin-token-file: nobody can act as admin");
    OPENSSL_cleanse(tok, sizeof tok);
    return 0;
}

void auth_cleanup(void)
{
    OPENSSL_cleanse(key, sizeof key);
    key_len = 0;
}

void auth_digest(const char *domain, const char *event, const char *id,
                 const char *secret, size_t secret_len,
                 char out[AUTH_DIGEST_HEX])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    /* The fields are NUL-separated so that no two inputs collide. */
    size_t dl = strlen(domain) + 1, el = strlen(event) + 1, il = strlen(id) + 1;
    size_t n = dl + el + il + secret_len;
    unsigned char small[512];
    unsigned char *msg = n <= sizeof small ? small : xmalloc(n);
    memcpy(msg, domain, dl);
    memcpy(msg + dl, event, el);
    memcpy(msg + dl + el, id, il);
    memcpy(msg + dl + el + il, secret, secret_len);
    HMAC(EVP_sha256(), key, (int)key_len, msg, n, md, &mdlen);
    OPENSSL_cleanse(msg, n);
    if (msg != small)
        free(msg);
    to_hex(md, mdlen, out);
}

bool auth_digest_equal(const char *a, const char *b)
{
    return CRYPTO_memcmp(a, b, AUTH_DIGEST_HEX - 1) == 0;
}

bool auth_is_admin(const char *tok, size_t len)
{
    char d[AUTH_DIGEST_HEX];
    auth_digest("admin", "", "", tok, len, d);
    return have_admin && auth_digest_equal(d, admin_digest);
}

int auth_random_hex(char *out, size_t nbytes)
{
    unsigned char b[64];
    if (nbytes > sizeof b || RAND_bytes(b, (int)nbytes) != 1)
        return -1;
    to_hex(b, nbytes, out);
    return 0;
}

static bool is_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

bool auth_token_split(const char *tok, size_t len, char event[65],
                      char id[TOKEN_ID_HEX + 1], const char **secret,
                      size_t *secret_len)
{
    const char *c1 = memchr(tok, ':', len);
    if (c1 == NULL)
        return false;
    size_t elen = (size_t)(c1 - tok);
    const char *rest = c1 + 1;
    size_t rlen = len - elen - 1;
    if (!args_valid_id(tok, elen) ||
        rlen != TOKEN_ID_HEX + 1 + TOKEN_SECRET_HEX ||
        rest[TOKEN_ID_HEX] != ':' || !is_hex(rest, TOKEN_ID_HEX) ||
        !is_hex(rest + TOKEN_ID_HEX + 1, TOKEN_SECRET_HEX))
        return false;
    memcpy(event, tok, elen);
    event[elen] = '\0';
    memcpy(id, rest, TOKEN_ID_HEX);
    id[TOKEN_ID_HEX] = '\0';
    *secret = rest + TOKEN_ID_HEX + 1;
    *secret_len = TOKEN_SECRET_HEX;
    return true;
}
