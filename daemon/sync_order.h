/* sync_order.h: which of this daemon's own writes and its look-ups of
 * other daemons' writes crossed. Look-ups travel on a Redis link of their
 * own, so a look-up and a write of the same profile (or event) can be
 * answered here in the other order than Redis ran them: a read made just
 * before this daemon's delete would bring the profile back, a write
 * confirmed after a newer read would undo that read. This module says,
 * for each answer, whether it can be applied or the profile must be read
 * again. Pure bookkeeping, no I/O: sync.c does the reading.
 *
 * State is per bucket of a 64-bit key hash, fixed in size: a collision
 * costs one extra read, never a wrong state. */
#ifndef EM_SYNC_ORDER_H
#define EM_SYNC_ORDER_H

#include <stdbool.h>
#include <stdint.h>

/* Keys are keys.h's key_hash(event, id): a profile, or with id NULL the
 * event itself. */

/* One look-up in flight. */
struct lookup_mark {
    uint64_t key;
    uint32_t seq;    /* when it was sent, among all look-ups */
    uint32_t writes; /* its bucket's local writes then */
    bool after_delete;
};

enum lookup_verdict {
    LOOKUP_APPLY, /* the newest state: apply it, even over a higher version */
    LOOKUP_DROP,  /* overtaken, and a newer look-up of it is on its way */
    LOOKUP_AGAIN, /* overtaken: read it again */
};

/* A look-up is sent; after_delete: it answers a delete entry. */
void order_lookup_sent(uint64_t key, bool after_delete, struct lookup_mark *m);

/* Its answer arrived (ok false: an error, nothing to apply). */
enum lookup_verdict order_lookup_answered(const struct lookup_mark *m, bool ok);

/* This daemon's own write: order_write_sent as it goes to Redis, its
 * result passed to order_write_applied once the engine has the write,
 * which says whether the profile must be read again. */
uint32_t order_write_sent(uint64_t key);
bool order_write_applied(uint64_t key, uint32_t sent);

/* Whether a look-up answering a delete entry is on its way: the engine
 * may then hold an earlier life of the profile (versions restart after a
 * delete), so its version says nothing about a put entry's. */
bool order_delete_pending(uint64_t key);

#endif
