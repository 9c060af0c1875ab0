/* sync_order.c: see sync_order.h. Each bucket remembers the newest
 * look-up sent for it, so that of several overtaken look-ups of one
 * profile only the newest reads again: a burst of writes to one profile
 * costs one extra read, not one per write. */
#include "sync_order.h"

#define BUCKETS 4096

struct bucket {
    uint32_t writes;  /* local writes applied */
    uint32_t answers; /* look-up answers applied */
    uint32_t deletes; /* look-ups answering a delete entry, in flight */
    uint32_t newest;  /* seq of the newest look-up sent here */
    uint64_t newest_key;
    bool newest_pending; /* ...and it is not answered yet */
};

static struct bucket buckets[BUCKETS];
static uint32_t next_seq;

static struct bucket *bucket_of(uint64_t key)
{
    return &buckets[(key ^ key >> 32) % BUCKETS];
}

void order_lookup_sent(uint64_t key, bool after_delete, struct lookup_mark *m)
{
    struct bucket *b = bucket_of(key);
    m->key = key;
    m->seq = ++next_seq;
    m->writes = b->writes;
    m->after_delete = after_delete;
    b->newest = m->seq;
    b->newest_key = key;
    b->newest_pending = true;
    b->deletes += after_delete;
}

enum lookup_verdict order_lookup_answered(const struct lookup_mark *m, bool ok)
{
    struct bucket *b = bucket_of(m->key);
    b->deletes -= m->after_delete;
    bool newest = b->newest == m->seq;
    if (newest)
        b->newest_pending = false;
    if (!ok)
        return LOOKUP_DROP;
    if (b->writes == m->writes) {
        b->answers++;
        return LOOKUP_APPLY;
    }
    /* Overtaken by a local write. A newer look-up of the same key was
     * sent after this one and reads again in its turn if it needs to. */
    return !newest && b->newest_key == m->key ? LOOKUP_DROP : LOOKUP_AGAIN;
}

uint32_t order_write_sent(uint64_t key)
{
    return bucket_of(key)->answers;
}

bool order_write_applied(uint64_t key, uint32_t sent)
{
    struct bucket *b = bucket_of(key);
    b->writes++;
    if (b->answers == sent)
        return false;
    /* A look-up answered meanwhile may have been newer than this write.
     * One of this key still on its way is overtaken now and reads again
     * when it is answered; otherwise read now. */
    return !(b->newest_pending && b->newest_key == key);
}

bool order_delete_pending(uint64_t key)
{
    return bucket_of(key)->deletes > 0;
}
