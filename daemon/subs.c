/* subs.c: the subscription tables (see subs.h). A topic node per (event,
 * topic) with at least one subscriber here, a member node per (connection,
 * topic); each member sits in its topic's list, in its connection's list
 * and in a hash table, so adding, removing and publishing never scan more
 * than the lists concerned. */
#include "subs.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "args.h"
#include "conn.h"
#include "keys.h"
#include "xmalloc.h"

#define HT_MIN_BUCKETS 64

/* An intrusive hash-table node; the tables below hold topics and members. */
struct hnode {
    struct hnode *next;
    uint64_t hash;
};

struct htab {
    struct hnode **b;
    size_t mask; /* buckets - 1 */
    size_t n;    /* entries */
};

struct topic {
    struct hnode h;           /* in `topics`, keyed by (event, name) */
    struct subs_member *subs; /* its subscribers */
    size_t nsubs;
    unsigned pins;    /* publishes walking `subs`: free only after them */
    const char *name; /* the topic, inside key */
    char key[];       /* "event\0name\0" */
};

struct subs_member {
    struct hnode h; /* in `members`, keyed by (conn, topic) */
    struct conn *c;
    struct topic *t;
    struct subs_member *t_prev, *t_next; /* the topic's subscribers */
    struct subs_member *c_prev, *c_next; /* the connection's topics */
};

static struct htab topics, members;
static subs_watch_fn *watch_fn;

/* ---- hash tables ---- */

static void ht_grow(struct htab *h)
{
    size_t nb = h->b ? (h->mask + 1) * 2 : HT_MIN_BUCKETS;
    struct hnode **b = xcalloc(nb, sizeof *b);
    for (size_t i = 0; h->b && i <= h->mask; i++) {
        struct hnode *e = h->b[i], *next;
        for (; e; e = next) {
            next = e->next;
            e->next = b[e->hash & (nb - 1)];
            b[e->hash & (nb - 1)] = e;
        }
    }
    free(h->b);
    h->b = b;
    h->mask = nb - 1;
}

static void ht_insert(struct htab *h, struct hnode *e)
{
    /* Load factor 1 keeps chains short. */
    if (h->b == NULL || h->n > h->mask)
        ht_grow(h);
    struct hnode **slot = &h->b[e->hash & h->mask];
    e->next = *slot;
    *slot = e;
    h->n++;
}

static void ht_remove(struct htab *h, struct hnode *e)
{
    struct hnode **p = &h->b[e->hash & h->mask];
    while (*p != e)
        p = &(*p)->next;
    *p = e->next;
    h->n--;
}

/* The chain a hash falls into (NULL when the table is empty). */
static struct hnode *ht_chain(const struct htab *h, uint64_t hash)
{
    return h->b ? h->b[hash & h->mask] : NULL;
}

static void ht_free(struct htab *h)
{
    free(h->b);
    memset(h, 0, sizeof *h);
}

/* splitmix64's finalizer over the two addresses. */
static uint64_t member_hash(const struct conn *c, const struct topic *t)
{
    uint64_t x =
        (uint64_t)(uintptr_t)c * 0x9e3779b97f4a7c15ull ^ (uint64_t)(uintptr_t)t;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

/* ---- topics and members ---- */

static struct topic *topic_find(const char *event, const char *name)
{
    uint64_t hash = key_hash(event, name);
    for (struct hnode *e = ht_chain(&topics, hash); e; e = e->next) {
        struct topic *t = (struct topic *)e;
        if (e->hash == hash && strcmp(t->key, event) == 0 &&
            strcmp(t->name, name) == 0)
            return t;
    }
    return NULL;
}

static struct topic *topic_new(const char *event, const char *name)
{
    size_t el = strlen(event), nl = strlen(name);
    struct topic *t = xcalloc(1, sizeof *t + el + nl + 2);
    memcpy(t->key, event, el + 1);
    memcpy(t->key + el + 1, name, nl + 1);
    t->name = t->key + el + 1;
    t->h.hash = key_hash(event, name);
    ht_insert(&topics, &t->h);
    return t;
}

static void topic_free(struct topic *t)
{
    ht_remove(&topics, &t->h);
    free(t);
}

static struct subs_member *member_find(const struct conn *c,
                                       const struct topic *t)
{
    uint64_t hash = member_hash(c, t);
    for (struct hnode *e = ht_chain(&members, hash); e; e = e->next) {
        struct subs_member *m = (struct subs_member *)e;
        if (m->c == c && m->t == t)
            return m;
    }
    return NULL;
}

const char *subs_topic_participant(const char *topic)
{
    size_t n = strlen(SUBS_PARTICIPANT);
    return strncmp(topic, SUBS_PARTICIPANT, n) == 0 ? topic + n : NULL;
}

static void notify_watch(const struct topic *t, int delta)
{
    const char *id = subs_topic_participant(t->name);
    if (watch_fn && id)
        watch_fn(t->key, id, delta);
}

static void member_remove(struct subs_member *m)
{
    struct topic *t = m->t;
    struct conn *c = m->c;
    ht_remove(&members, &m->h);
    if (m->t_prev)
        m->t_prev->t_next = m->t_next;
    else
        t->subs = m->t_next;
    if (m->t_next)
        m->t_next->t_prev = m->t_prev;
    if (m->c_prev)
        m->c_prev->c_next = m->c_next;
    else
        c->subs = m->c_next;
    if (m->c_next)
        m->c_next->c_prev = m->c_prev;
    c->nsubs--;
    t->nsubs--;
    free(m);
    if (t->nsubs == 0) {
        notify_watch(t, -1);
        if (t->pins == 0)
            topic_free(t);
    }
}

/* ---- the API ---- */

void subs_init(subs_watch_fn *watch)
{
    watch_fn = watch;
}

void subs_cleanup(void)
{
    ht_free(&topics);
    ht_free(&members);
}

bool subs_valid_topic(const char *s, size_t n)
{
    size_t pl = strlen(SUBS_PARTICIPANT);
    if (n == 5 && memcmp(s, "event", 5) == 0)
        return true;
    return n > pl && memcmp(s, SUBS_PARTICIPANT, pl) == 0 &&
           args_valid_id(s + pl, n - pl);
}

int subs_add(struct conn *c, const char *event, const char *topic)
{
    struct topic *t = topic_find(event, topic);
    if (t && member_find(c, t))
        return 0;
    if (c->nsubs >= SUBS_CONN_MAX)
        return -1;
    if (t == NULL)
        t = topic_new(event, topic);
    struct subs_member *m = xcalloc(1, sizeof *m);
    m->c = c;
    m->t = t;
    m->h.hash = member_hash(c, t);
    ht_insert(&members, &m->h);
    m->t_next = t->subs;
    if (t->subs)
        t->subs->t_prev = m;
    t->subs = m;
    m->c_next = c->subs;
    if (c->subs)
        c->subs->c_prev = m;
    c->subs = m;
    c->nsubs++;
    if (++t->nsubs == 1)
        notify_watch(t, +1);
    return 0;
}

void subs_remove(struct conn *c, const char *event, const char *topic)
{
    struct topic *t = topic_find(event, topic);
    struct subs_member *m = t ? member_find(c, t) : NULL;
    if (m)
        member_remove(m);
}

bool subs_holds(const struct conn *c, const char *event, const char *topic)
{
    struct topic *t = topic_find(event, topic);
    return t && member_find(c, t);
}

size_t subs_count(const struct conn *c)
{
    return c->nsubs;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

size_t subs_list(const struct conn *c, const char *event, const char **out,
                 size_t max)
{
    size_t n = 0;
    for (const struct subs_member *m = c->subs; m && n < max; m = m->c_next)
        if (strcmp(m->t->key, event) == 0)
            out[n++] = m->t->name;
    qsort(out, n, sizeof *out, cmp_str);
    return n;
}

void subs_conn_clear(struct conn *c)
{
    while (c->subs)
        member_remove(c->subs);
    c->subs_epoch++;
}

void subs_conn_closed(struct conn *c)
{
    subs_conn_clear(c);
}

bool subs_has(const char *event, const char *topic)
{
    struct topic *t = topic_find(event, topic);
    return t && t->nsubs > 0;
}

void subs_publish(const char *event, const char *topic, const char *method,
                  const void *params, size_t len)
{
    subs_publish_many(event, &topic, 1, method, params, len);
}

/* Whether c holds one of names[0..n). */
static bool holds_any(const struct conn *c, const char *event,
                      const char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (names[i] && subs_holds(c, event, names[i]))
            return true;
    return false;
}

void subs_publish_many(const char *event, const char *const *names, size_t n,
                       const char *method, const void *params, size_t len)
{
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    for (size_t i = 0; i < n; i++) {
        struct topic *t = names[i] ? topic_find(event, names[i]) : NULL;
        if (t == NULL || t->nsubs == 0)
            continue;
        if (sb.size == 0) {
            msgpack_packer pk;
            msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
            msgpack_pack_array(&pk, 3);
            msgpack_pack_uint32(&pk, 2);
            msgpack_pack_str(&pk, strlen(method));
            msgpack_pack_str_body(&pk, method, strlen(method));
            msgpack_sbuffer_write(&sb, params, len);
        }
        /* A subscriber over its buffer limit is closed from inside
         * conn_notify, which removes its member from this very list: take
         * the next one first, and keep the topic alive until the walk
         * ends. */
        t->pins++;
        struct subs_member *next;
        for (struct subs_member *m = t->subs; m; m = next) {
            next = m->t_next;
            /* Once per connection, under the first topic it holds. */
            if (!holds_any(m->c, event, names, i))
                conn_notify(m->c, sb.data, sb.size);
        }
        if (--t->pins == 0 && t->nsubs == 0)
            topic_free(t);
    }
    msgpack_sbuffer_destroy(&sb);
}
