/* dict.c: the feature dictionary (see dict.h): a chained hash table over
 * an array of entries, so that fids stay small and dense. */
#include "dict.h"

#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

/* FNV-1a over the kind and the text: kinds share one table. */
static uint32_t hash(enum feat_kind kind, const char *s)
{
    uint32_t h = 2166136261u ^ (uint32_t)kind;
    h *= 16777619u;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 16777619u;
    }
    return h;
}

void dict_init(struct dict *d)
{
    memset(d, 0, sizeof *d);
    d->free_head = DICT_NONE;
    d->nbuckets = 1024;
    d->bucket = xmalloc(d->nbuckets * sizeof *d->bucket);
    memset(d->bucket, 0xff, d->nbuckets * sizeof *d->bucket);
}

void dict_free(struct dict *d)
{
    for (uint32_t i = 0; i < d->n; i++)
        free(d->e[i].text);
    free(d->e);
    free(d->bucket);
    memset(d, 0, sizeof *d);
}

static void rehash(struct dict *d)
{
    uint32_t nb = d->nbuckets * 2;
    uint32_t *b = xmalloc(nb * sizeof *b);
    memset(b, 0xff, nb * sizeof *b);
    for (uint32_t i = 0; i < d->n; i++) {
        struct dict_entry *e = &d->e[i];
        if (e->text == NULL)
            continue;
        uint32_t h = hash(e->kind, e->text) & (nb - 1);
        e->next = b[h];
        b[h] = i;
    }
    free(d->bucket);
    d->bucket = b;
    d->nbuckets = nb;
}

uint32_t dict_find(const struct dict *d, enum feat_kind kind, const char *text)
{
    uint32_t h = hash(kind, text) & (d->nbuckets - 1);
    for (uint32_t i = d->bucket[h]; i != DICT_NONE; i = d->e[i].next)
        if (d->e[i].kind == kind && strcmp(d->e[i].text, text) == 0)
            return i;
    return DICT_NONE;
}

uint32_t dict_intern(struct dict *d, enum feat_kind kind, int level,
                     const char *text)
{
    uint32_t fid = dict_find(d, kind, text);
    if (fid != DICT_NONE)
        return fid;
    if (d->free_head != DICT_NONE) {
        fid = d->free_head;
        d->free_head = d->e[fid].next;
    } else {
        if (d->n == d->cap) {
            d->cap = d->cap ? d->cap * 2 : 1024;
            d->e = xrealloc(d->e, d->cap * sizeof *d->e);
        }
        fid = d->n++;
    }
    struct dict_entry *e = &d->e[fid];
    e->text = xstrdup(text);
    e->refs = 0;
    e->df = 0;
    e->kind = (uint8_t)kind;
    e->level = (uint8_t)level;
    d->live++;
    if (d->live > d->nbuckets)
        rehash(d);
    else {
        uint32_t h = hash(kind, text) & (d->nbuckets - 1);
        e->next = d->bucket[h];
        d->bucket[h] = fid;
    }
    return fid;
}

void dict_ref(struct dict *d, uint32_t fid)
{
    d->e[fid].refs++;
}

void dict_unref(struct dict *d, uint32_t fid)
{
    struct dict_entry *e = &d->e[fid];
    if (--e->refs > 0)
        return;
    uint32_t *p = &d->bucket[hash(e->kind, e->text) & (d->nbuckets - 1)];
    while (*p != fid)
        p = &d->e[*p].next;
    *p = e->next;
    free(e->text);
    e->text = NULL;
    e->next = d->free_head;
    d->free_head = fid;
    d->live--;
}
