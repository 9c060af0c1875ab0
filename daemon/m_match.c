/* m_match.c: match.top, answered from the in-memory matching engine
 * without a Redis round trip; and the packing of match entries, shared
 * with the match.new notification. */
#include "m_match.h"

#include "handlers.h"
#include "server.h"

static const char *const reason_names[] = {
    [REASON_PRODUCT] = "product",
    [REASON_SECTOR] = "sector",
    [REASON_KEYWORD] = "keyword",
    [REASON_MARKET] = "market",
    [REASON_LANGUAGE] = "language",
    [REASON_COOPERATION] = "cooperation",
    [REASON_AVAILABILITY] = "availability",
    [REASON_SIZE] = "size",
};

void pack_match_entry(msgpack_packer *pk, const struct match_entry *e)
{
    msgpack_pack_map(pk, 5);
    mp_pack_cstr(pk, "id");
    mp_pack_cstr(pk, e->id);
    mp_pack_cstr(pk, "score");
    msgpack_pack_double(pk, e->score);
    mp_pack_cstr(pk, "company");
    mp_pack_cstr(pk, e->company);
    mp_pack_cstr(pk, "country");
    mp_pack_cstr(pk, e->country);
    mp_pack_cstr(pk, "reasons");
    msgpack_pack_array(pk, e->why.n);
    for (unsigned i = 0; i < e->why.n; i++) {
        msgpack_pack_map(pk, 2);
        mp_pack_cstr(pk, "kind");
        mp_pack_cstr(pk, reason_names[e->why.r[i].kind]);
        mp_pack_cstr(pk, "detail");
        mp_pack_cstr(pk, e->why.r[i].detail);
    }
}

/* args: event, id, k, badge */
void h_match_top(struct req *r, const msgpack_object *map,
                 const msgpack_object **args)
{
    char event[65], id[65];
    if (arg_ids(r, "event id", args[0], event, args[1], id) < 0)
        return;
    size_t k = MATCH_KEEP;
    if (args[2]) {
        if (args[2]->type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
            args[2]->via.u64 < 1 || args[2]->via.u64 > MATCH_K_MAX) {
            rpc_reply_error(r, ERR_BAD_REQUEST, "k: an integer 1-%d",
                            MATCH_K_MAX);
            return;
        }
        k = (size_t)args[2]->via.u64;
    }
    static struct match_entry out[MATCH_K_MAX];
    struct err err;
    int n = match_top(event, id, k, out, &err);
    if (n < 0) {
        rpc_reply_err(r, &err);
        return;
    }
    msgpack_packer *pk = rpc_reply_begin(r);
    msgpack_pack_array(pk, (size_t)n);
    for (int i = 0; i < n; i++)
        pack_match_entry(pk, &out[i]);
    rpc_reply_end(r);
}
