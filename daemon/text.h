/* text.h: turns the free text of a profile's offers and needs into
 * normalized tokens (features) for the inverted index. */
#ifndef EM_TEXT_H
#define EM_TEXT_H

#include <stddef.h>

#include "err.h"

/* Input longer than this many bytes is refused (a profile text is at most
 * 500 code points, i.e. at most 2000 bytes of UTF-8). */
#define TEXT_MAX_BYTES 4096

/* A token's UTF-8 text is at most this many bytes; a longer word is
 * DROPPED, not truncated: a cut word would falsely equal every other long
 * word sharing its first 64 bytes. */
#define TOKEN_MAX_BYTES 64

/*
 * How text becomes tokens, and why (for an organizer reading a match reason):
 *
 * 1. NFKC with full case folding (ICU's NFKC_Casefold): "ＣＯＦＦＥＥ",
 *    "Coffee" and "COFFEE" are one word; "Straße" becomes "strasse";
 *    ligatures and compatibility forms are spelled out; invisible format
 *    characters (zero-width joiners...) are removed.
 * 2. Accents are FOLDED for Latin, Greek and Cyrillic: a nonspacing mark on
 *    a letter of those scripts is dropped ("café" = "cafe", "açaí" = "acai",
 *    "Ελληνικός" = "ελληνικος", "й" = "и"). Our choice: buyers type in a
 *    hurry, often without accents; the rare pair told apart only by an
 *    accent (Vietnamese tones included) is worth less than the misses.
 * 3. Arabic: harakat/tashkeel (U+064B-U+065F, U+0670) and tatweel (U+0640)
 *    removed; alef forms آ أ إ ٱ become ا; ta marbuta ة becomes ه; alef
 *    maqsura ى becomes ي; a leading definite article ال is removed when at
 *    least 2 letters remain, and و/ف/ب/ك + ال or لل when at least 3 remain
 *    (the stricter limit keeps words like والده whole). Hamza on و/ي and
 *    Persian/Urdu letters are left as written.
 * 4. Hebrew: niqqud and cantillation (nonspacing marks U+0591-U+05C7) are
 *    removed, so pointed and unpointed spellings meet.
 * 5. Words come from ICU's word break iterator (dictionary based for Thai,
 *    Lao, Khmer, Myanmar, Chinese and Japanese). Kept: letters, kana,
 *    ideographs, and numbers of 2+ digits. Dropped: punctuation, spaces,
 *    one-letter words (except a single Han ideograph or Hangul syllable,
 *    which are often whole words: 豆, 茶, 차) and a few English stop words
 *    (a an and for from in of the to with).
 * 6. Thai, Lao, Khmer, Myanmar: ICU splits a word missing from its
 *    dictionary (a loanword such as Thai อาราบิก้า, "arabica") into
 *    syllables. A piece with fewer than 3 code points, not counting
 *    nonspacing vowel and tone marks, is short; a short piece next to
 *    another short piece in the same unbroken run is a TOKEN_FRAGMENT
 *    (it cannot make a match by itself). A short piece standing alone
 *    between longer words stays a TOKEN_WORD, since many real words are
 *    that short (ชา "tea"). Each chain of 2+ adjacent fragments is also
 *    given joined as a TOKEN_SUB (the loanword as written), and so is the
 *    whole run when it has several pieces and some are fragments.
 * 7. Chinese and Japanese: for an all-ideograph word of 3+ characters,
 *    each 2-character substring is also given as a TOKEN_SUB, so a
 *    compound meets the shorter word inside it (咖啡豆 holds 咖啡).
 */

enum token_kind {
    TOKEN_WORD,     /* a whole word: may match on its own */
    TOKEN_FRAGMENT, /* a syllable of a word ICU's dictionary split: counts
                       only together with a WORD match */
    TOKEN_SUB,      /* a shorter word inside a CJK compound, or a joined
                       chain/run of fragments */
};

struct token {
    char *text; /* normalized UTF-8, NUL-terminated */
    enum token_kind kind;
};

struct tokens {
    struct token *v;
    size_t n, cap;
};

/* Appends the tokens of utf8[0..len) to out, never the same text and kind
 * twice within one call, in order of appearance. Returns 0, or -1 with err
 * (ERR_BAD_REQUEST) for invalid UTF-8 or input over TEXT_MAX_BYTES; out is
 * left as it was on error. */
int text_tokenize(const char *utf8, size_t len, struct tokens *out,
                  struct err *err);

/* Frees every token and the array; leaves t empty and reusable. */
void tokens_free(struct tokens *t);

/* A short name of a kind ("word", "fragment", "sub") for logs and reasons. */
const char *token_kind_name(enum token_kind kind);

#endif
