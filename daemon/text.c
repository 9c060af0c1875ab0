/* text.c: normalization and ICU word segmentation of profile free text into
 * index tokens; the rules and their reasons are in text.h. */
#include "text.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/ubrk.h>
#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/uscript.h>
#include <unicode/ustring.h>
#include <unicode/utf16.h>

#include "utf8.h"
#include "xmalloc.h"

/* A UTF-16 buffer owned by this module. */
struct ubuf {
    UChar *s;
    int32_t n;
};

/* One word of a Thai/Lao/Khmer/Myanmar run, as offsets into the text. */
struct piece {
    int32_t start, end;
};

/* What one call is building: the normalized text and where tokens go. */
struct ctx {
    const UChar *s;
    struct tokens *out;
    size_t base; /* out->n at the start of the call: dedup looks from here */
    struct piece *run;
    size_t nrun, caprun;
};

static const char *const stop_words[] = {
    "a", "an", "and", "for", "from", "in", "of", "the", "to", "with",
};

const char *token_kind_name(enum token_kind kind)
{
    switch (kind) {
    case TOKEN_WORD: return "word";
    case TOKEN_FRAGMENT: return "fragment";
    case TOKEN_SUB: return "sub";
    }
    return "?";
}

void tokens_free(struct tokens *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->v[i].text);
    free(t->v);
    t->v = NULL;
    t->n = t->cap = 0;
}

/* Applies a normalizer to src, growing the output until it fits (NFKC can
 * expand a code point up to 18 times). ICU errors here can only be
 * internal: the input is already valid. */
static int normalize(const UNormalizer2 *norm, const struct ubuf *src,
                     struct ubuf *dst, struct err *err)
{
    int32_t cap = src->n + 16;
    for (;;) {
        UErrorCode st = U_ZERO_ERROR;
        dst->s = xmalloc((size_t)cap * sizeof(UChar));
        dst->n = unorm2_normalize(norm, src->s, src->n, dst->s, cap, &st);
        if (U_SUCCESS(st))
            return 0;
        free(dst->s);
        dst->s = NULL;
        if (st != U_BUFFER_OVERFLOW_ERROR)
            return err_set(err, ERR_INTERNAL, "text: normalization: %s",
                           u_errorName(st));
        cap = dst->n + 1;
    }
}

static bool folds_accents(UScriptCode sc)
{
    return sc == USCRIPT_LATIN || sc == USCRIPT_GREEK || sc == USCRIPT_CYRILLIC;
}

/* On NFD text: removes nonspacing marks whose base letter is Latin, Greek
 * or Cyrillic, in place. Marks on other scripts carry meaning (Thai
 * vowels, Devanagari signs) and stay. */
static void drop_accents(struct ubuf *b)
{
    UScriptCode base = USCRIPT_COMMON;
    int32_t i = 0, o = 0;
    while (i < b->n) {
        int32_t at = i;
        UChar32 c;
        U16_NEXT(b->s, i, b->n, c);
        if (u_charType(c) == U_NON_SPACING_MARK) {
            if (folds_accents(base))
                continue;
        } else {
            UErrorCode st = U_ZERO_ERROR;
            base = uscript_getScript(c, &st);
        }
        while (at < i)
            b->s[o++] = b->s[at++];
    }
    b->n = o;
}

/* The Arabic and Hebrew rules of text.h on NFC text, in place. Done after
 * recomposition so that ؤ, ئ and Persian/Urdu letters built with hamza
 * stay whole while أ and إ (single code points in NFC) become ا. */
static void fold_semitic(struct ubuf *b)
{
    int32_t o = 0;
    for (int32_t i = 0; i < b->n; i++) {
        UChar c = b->s[i];
        if ((c >= 0x064B && c <= 0x065F) || c == 0x0670 || c == 0x0640)
            continue;
        if (c >= 0x0591 && c <= 0x05C7 && u_charType(c) == U_NON_SPACING_MARK)
            continue;
        switch (c) {
        case 0x0622:
        case 0x0623:
        case 0x0625:
        case 0x0671: c = 0x0627; break;
        case 0x0629: c = 0x0647; break;
        case 0x0649: c = 0x064A; break;
        default: break;
        }
        b->s[o++] = c;
    }
    b->n = o;
}

/* Code points in s[start..end) and, in *letters, those that are not
 * nonspacing marks (a Thai syllable's length as a reader sees it). */
static int32_t count_cp(const UChar *s, int32_t start, int32_t end,
                        int32_t *letters)
{
    int32_t n = 0, l = 0;
    for (int32_t i = start; i < end;) {
        UChar32 c;
        U16_NEXT(s, i, end, c);
        n++;
        if (u_charType(c) != U_NON_SPACING_MARK)
            l++;
    }
    if (letters)
        *letters = l;
    return n;
}

static UScriptCode script_at(const UChar *s, int32_t i, int32_t end)
{
    UChar32 c;
    UErrorCode st = U_ZERO_ERROR;
    U16_NEXT(s, i, end, c);
    return uscript_getScript(c, &st);
}

/* Scripts written without spaces whose ICU dictionaries split unknown
 * words into syllables. */
static bool syllable_script(UScriptCode sc)
{
    return sc == USCRIPT_THAI || sc == USCRIPT_LAO || sc == USCRIPT_KHMER ||
           sc == USCRIPT_MYANMAR;
}

static bool all_han(const UChar *s, int32_t start, int32_t end)
{
    for (int32_t i = start; i < end;) {
        UChar32 c;
        UErrorCode st = U_ZERO_ERROR;
        U16_NEXT(s, i, end, c);
        if (uscript_getScript(c, &st) != USCRIPT_HAN)
            return false;
    }
    return true;
}

/* Adds s[start..end) as a token unless too long or already given in this
 * call with the same kind. */
static void emit(struct ctx *cx, int32_t start, int32_t end,
                 enum token_kind kind)
{
    char buf[TOKEN_MAX_BYTES + 1];
    int32_t blen = 0;
    UErrorCode st = U_ZERO_ERROR;
    if (end <= start)
        return;
    u_strToUTF8(buf, (int32_t)sizeof buf, &blen, cx->s + start, end - start,
                &st);
    /* blen == sizeof buf means no room for the NUL: over the cap. */
    if (U_FAILURE(st) || blen > TOKEN_MAX_BYTES)
        return;
    buf[blen] = '\0';
    struct tokens *out = cx->out;
    for (size_t i = cx->base; i < out->n; i++)
        if (out->v[i].kind == kind && strcmp(out->v[i].text, buf) == 0)
            return;
    if (out->n == out->cap) {
        out->cap = out->cap ? out->cap * 2 : 16;
        out->v = xrealloc(out->v, out->cap * sizeof *out->v);
    }
    out->v[out->n].text = xstrndup(buf, (size_t)blen);
    out->v[out->n].kind = kind;
    out->n++;
}

static bool is_stop_word(const UChar *s, int32_t start, int32_t end)
{
    char w[8];
    int32_t n = end - start;
    if (n >= (int32_t)sizeof w)
        return false;
    for (int32_t i = 0; i < n; i++) {
        if (s[start + i] > 0x7F)
            return false;
        w[i] = (char)s[start + i];
    }
    w[n] = '\0';
    for (size_t i = 0; i < sizeof stop_words / sizeof *stop_words; i++)
        if (strcmp(w, stop_words[i]) == 0)
            return true;
    return false;
}

/* Where an Arabic word starts once a leading article is removed (see
 * text.h for the lengths kept). */
static int32_t skip_arabic_article(const UChar *s, int32_t start, int32_t end)
{
    int32_t n = end - start; /* Arabic letters are single UTF-16 units */
    const UChar *w = s + start;
    if (n >= 4 && w[0] == 0x0627 && w[1] == 0x0644)
        return start + 2;
    if (n >= 6 && w[1] == 0x0627 && w[2] == 0x0644 &&
        (w[0] == 0x0648 || w[0] == 0x0641 || w[0] == 0x0628 || w[0] == 0x0643))
        return start + 3;
    if (n >= 5 && w[0] == 0x0644 && w[1] == 0x0644)
        return start + 2;
    return start;
}

/* A word outside the syllable scripts: filters, Arabic article, CJK
 * bigrams. */
static void word(struct ctx *cx, int32_t start, int32_t end, int32_t status)
{
    const UChar *s = cx->s;
    int32_t ncp = count_cp(s, start, end, NULL);
    if (status < UBRK_WORD_NUMBER_LIMIT) {
        if (ncp >= 2)
            emit(cx, start, end, TOKEN_WORD);
        return;
    }
    UScriptCode sc = script_at(s, start, end);
    if (sc == USCRIPT_ARABIC) {
        start = skip_arabic_article(s, start, end);
        ncp = count_cp(s, start, end, NULL);
    }
    if (ncp == 1 && sc != USCRIPT_HAN && sc != USCRIPT_HANGUL)
        return;
    if (is_stop_word(s, start, end))
        return;
    emit(cx, start, end, TOKEN_WORD);
    if (ncp >= 3 && all_han(s, start, end)) {
        for (int32_t i = start; i < end;) {
            int32_t j = i;
            U16_FWD_1(s, j, end);
            int32_t k = j;
            if (k >= end)
                break;
            U16_FWD_1(s, k, end);
            emit(cx, i, k, TOKEN_SUB);
            i = j;
        }
    }
}

/* Emits a finished run of syllable-script pieces (rule 6 of text.h). */
static void flush_run(struct ctx *cx)
{
    size_t n = cx->nrun;
    struct piece *p = cx->run;
    bool any_frag = false;
    if (n == 0)
        return;
    cx->nrun = 0;
    bool *frag = xcalloc(n, sizeof *frag);
    bool *shrt = xcalloc(n, sizeof *shrt);
    for (size_t i = 0; i < n; i++) {
        int32_t letters;
        count_cp(cx->s, p[i].start, p[i].end, &letters);
        shrt[i] = letters < 3;
    }
    for (size_t i = 0; i < n; i++) {
        frag[i] =
            shrt[i] && ((i > 0 && shrt[i - 1]) || (i + 1 < n && shrt[i + 1]));
        any_frag = any_frag || frag[i];
        emit(cx, p[i].start, p[i].end, frag[i] ? TOKEN_FRAGMENT : TOKEN_WORD);
    }
    /* Chains of adjacent fragments, joined: the loanword as written. */
    for (size_t i = 0; i < n;) {
        if (!frag[i]) {
            i++;
            continue;
        }
        size_t j = i;
        while (j + 1 < n && frag[j + 1])
            j++;
        if (j > i)
            emit(cx, p[i].start, p[j].end, TOKEN_SUB);
        i = j + 1;
    }
    if (n > 1 && any_frag)
        emit(cx, p[0].start, p[n - 1].end, TOKEN_SUB);
    free(frag);
    free(shrt);
}

static void run_add(struct ctx *cx, int32_t start, int32_t end)
{
    if (cx->nrun > 0 && cx->run[cx->nrun - 1].end != start)
        flush_run(cx);
    if (cx->nrun == cx->caprun) {
        cx->caprun = cx->caprun ? cx->caprun * 2 : 16;
        cx->run = xrealloc(cx->run, cx->caprun * sizeof *cx->run);
    }
    cx->run[cx->nrun].start = start;
    cx->run[cx->nrun].end = end;
    cx->nrun++;
}

/* Walks ICU's word boundaries over the normalized text. */
static int segment(struct ctx *cx, int32_t n, struct err *err)
{
    /* Opening a word breaker loads its rules and dictionaries: one is
     * opened once and given each text in turn (the daemon is one thread). */
    static UBreakIterator *bi;
    UErrorCode st = U_ZERO_ERROR;
    if (bi == NULL)
        bi = ubrk_open(UBRK_WORD, "", NULL, 0, &st);
    if (!U_FAILURE(st))
        ubrk_setText(bi, cx->s, n, &st);
    if (U_FAILURE(st))
        return err_set(err, ERR_INTERNAL, "text: word breaker: %s",
                       u_errorName(st));
    int32_t start = ubrk_first(bi);
    for (int32_t end = ubrk_next(bi); end != UBRK_DONE;
         start = end, end = ubrk_next(bi)) {
        int32_t status = ubrk_getRuleStatus(bi);
        if (status < UBRK_WORD_NUMBER || status >= UBRK_WORD_IDEO_LIMIT) {
            flush_run(cx);
            continue;
        }
        if (status >= UBRK_WORD_LETTER &&
            syllable_script(script_at(cx->s, start, end)))
            run_add(cx, start, end);
        else {
            flush_run(cx);
            word(cx, start, end, status);
        }
    }
    flush_run(cx);
    return 0;
}

/* NFKC_Casefold, accent folding, then the Arabic/Hebrew folds; leaves the
 * result in *out. */
static int prepare(const struct ubuf *in, struct ubuf *out, struct err *err)
{
    UErrorCode st = U_ZERO_ERROR;
    const UNormalizer2 *nfkc_cf = unorm2_getNFKCCasefoldInstance(&st);
    const UNormalizer2 *nfd = unorm2_getNFDInstance(&st);
    const UNormalizer2 *nfc = unorm2_getNFCInstance(&st);
    if (U_FAILURE(st))
        return err_set(err, ERR_INTERNAL, "text: normalizer: %s",
                       u_errorName(st));
    struct ubuf a, b;
    if (normalize(nfkc_cf, in, &a, err) < 0)
        return -1;
    int rc = normalize(nfd, &a, &b, err);
    free(a.s);
    if (rc < 0)
        return -1;
    drop_accents(&b);
    rc = normalize(nfc, &b, out, err);
    free(b.s);
    if (rc < 0)
        return -1;
    fold_semitic(out);
    return 0;
}

int text_tokenize(const char *utf8, size_t len, struct tokens *out,
                  struct err *err)
{
    if (len > TEXT_MAX_BYTES)
        return err_set(err, ERR_BAD_REQUEST,
                       "text: %zu bytes, more than the %d allowed", len,
                       TEXT_MAX_BYTES);
    if (!utf8_valid(utf8, len, NULL))
        return err_set(err, ERR_BAD_REQUEST, "text: not valid UTF-8");
    if (len == 0)
        return 0;

    /* Valid UTF-8 of len bytes never needs more than len UTF-16 units. */
    struct ubuf in = {xmalloc(len * sizeof(UChar)), 0};
    UErrorCode st = U_ZERO_ERROR;
    u_strFromUTF8(in.s, (int32_t)len, &in.n, utf8, (int32_t)len, &st);
    if (U_FAILURE(st)) {
        free(in.s);
        return err_set(err, ERR_BAD_REQUEST, "text: not valid UTF-8");
    }
    struct ubuf norm = {NULL, 0};
    int rc = prepare(&in, &norm, err);
    free(in.s);
    if (rc < 0)
        return -1;

    struct ctx cx = {.s = norm.s, .out = out, .base = out->n};
    rc = segment(&cx, norm.n, err);
    free(cx.run);
    free(norm.s);
    if (rc < 0) {
        /* Leave out as it was: drop what this call appended. */
        while (out->n > cx.base)
            free(out->v[--out->n].text);
    }
    return rc;
}
