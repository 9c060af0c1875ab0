/* dict.h: one event's dictionary of matching features. A feature is an HS
 * code at one level, an ISIC code at one level, or a text token; each gets
 * a small integer id (fid) used by profiles and posting lists. Ids are
 * reference counted: the last profile that lets one go frees it for reuse,
 * so the dictionary never grows beyond what live profiles use. */
#ifndef EM_DICT_H
#define EM_DICT_H

#include <stddef.h>
#include <stdint.h>

enum feat_kind {
    FEAT_HS,    /* product code; level 1 (chapter) to 3 (subheading) */
    FEAT_ISIC,  /* sector code; level 1 (section) to 4 (class) */
    FEAT_TOKEN, /* a normalized word of offer or need text */
};

struct dict_entry {
    char *text;    /* the code or token, NUL-terminated; NULL when free */
    uint32_t refs; /* profiles referring to it (in any role) */
    uint32_t df;   /* profiles whose offers or needs hold it (tokens) */
    uint8_t kind;  /* enum feat_kind */
    uint8_t level; /* code level; 0 for tokens */
    uint32_t next; /* hash chain, or free list; DICT_NONE ends it */
    uint32_t rar;  /* cached rarity (match_score.c) for this... */
    uint32_t rar_df, rar_n; /* ...df and this many profiles */
};

#define DICT_NONE UINT32_MAX

struct dict {
    struct dict_entry *e; /* indexed by fid */
    uint32_t n, cap;      /* fids handed out, allocated */
    uint32_t free_head;   /* freed fids for reuse */
    uint32_t *bucket;     /* hash table heads */
    uint32_t nbuckets;    /* power of two */
    uint32_t live;        /* fids in use */
};

void dict_init(struct dict *d);
void dict_free(struct dict *d);

/* The fid of (kind, text), created with refs 0 if new. */
uint32_t dict_intern(struct dict *d, enum feat_kind kind, int level,
                     const char *text);

/* The fid of (kind, text), or DICT_NONE. */
uint32_t dict_find(const struct dict *d, enum feat_kind kind, const char *text);

/* One more / one less profile refers to fid; the last release frees it. */
void dict_ref(struct dict *d, uint32_t fid);
void dict_unref(struct dict *d, uint32_t fid);

static inline const struct dict_entry *dict_get(const struct dict *d,
                                                uint32_t fid)
{
    return &d->e[fid];
}

#endif
