/* meeting_pack.c: flat meetings from Redis to the contract's map (see
 * meeting_pack.h). */
#include "meeting_pack.h"

#include <stdlib.h>
#include <string.h>

#include "rpc.h"

const char *const meeting_statuses[MEETING_NSTATUS] = {
    "requested", "accepted", "scheduled", "declined",
    "cancelled", "expired",  "noshow"};

bool meeting_reply_ok(const redisReply *r)
{
    if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements % 2 != 1)
        return false;
    for (size_t i = 0; i < r->elements; i++)
        if (r->element[i]->type != REDIS_REPLY_STRING)
            return false;
    return true;
}

const redisReply *meeting_field(const redisReply *r, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 1; i + 1 < r->elements; i += 2) {
        const redisReply *k = r->element[i];
        if (k->len == n && memcmp(k->str, name, n) == 0)
            return r->element[i + 1];
    }
    return NULL;
}

static void pack_str(msgpack_packer *pk, const redisReply *v)
{
    mp_pack_strn(pk, v->str, v->len);
}

/* Optional string fields, in the order they are shown. */
static const char *const optional[] = {
    "note", "slot", "start", "end", "table", "interpreter", "reported_by"};

/* "fb:<id>" values are "<happened 0/1>" or "<happened> <rating>". */
static void pack_feedback(msgpack_packer *pk, const redisReply *r, size_t n)
{
    msgpack_pack_map(pk, n);
    for (size_t i = 1; i + 1 < r->elements; i += 2) {
        const redisReply *k = r->element[i], *v = r->element[i + 1];
        if (k->len <= 3 || memcmp(k->str, "fb:", 3) != 0)
            continue;
        mp_pack_strn(pk, k->str + 3, k->len - 3);
        bool rated = v->len > 2;
        msgpack_pack_map(pk, rated ? 2 : 1);
        mp_pack_cstr(pk, "happened");
        if (v->len > 0 && v->str[0] == '1')
            msgpack_pack_true(pk);
        else
            msgpack_pack_false(pk);
        if (rated) {
            mp_pack_cstr(pk, "rating");
            msgpack_pack_int(pk, atoi(v->str + 2));
        }
    }
}

/* slots: stored space separated. */
static void pack_slot_list(msgpack_packer *pk, const redisReply *v)
{
    size_t n = 0;
    for (size_t i = 0; i < v->len; i++)
        if (v->str[i] != ' ' && (i == 0 || v->str[i - 1] == ' '))
            n++;
    msgpack_pack_array(pk, n);
    for (size_t i = 0; i < v->len;) {
        if (v->str[i] == ' ') {
            i++;
            continue;
        }
        size_t j = i;
        while (j < v->len && v->str[j] != ' ')
            j++;
        mp_pack_strn(pk, v->str + i, j - i);
        i = j;
    }
}

void pack_meeting(msgpack_packer *pk, const char *event, const redisReply *r,
                  bool agenda)
{
    static const char *const required[] = {"from", "to", "status"};
    const redisReply *req[3], *opt[sizeof optional / sizeof optional[0]];
    size_t n = 2 + 2; /* meeting, event; created, updated */
    for (size_t i = 0; i < 3; i++)
        n += (req[i] = meeting_field(r, required[i])) != NULL;
    for (size_t i = 0; i < sizeof optional / sizeof optional[0]; i++)
        n += (opt[i] = meeting_field(r, optional[i])) != NULL;
    const redisReply *slots = meeting_field(r, "slots");
    n += slots != NULL;
    size_t nfb = 0;
    for (size_t i = 1; i + 1 < r->elements; i += 2)
        nfb +=
            r->element[i]->len > 3 && memcmp(r->element[i]->str, "fb:", 3) == 0;
    n += nfb > 0;
    const redisReply *partner = agenda ? meeting_field(r, "partner") : NULL;
    n += partner != NULL;

    msgpack_pack_map(pk, n);
    mp_pack_cstr(pk, "meeting");
    pack_str(pk, r->element[0]);
    mp_pack_cstr(pk, "event");
    mp_pack_cstr(pk, event);
    for (size_t i = 0; i < 3; i++)
        if (req[i]) {
            mp_pack_cstr(pk, required[i]);
            pack_str(pk, req[i]);
        }
    if (opt[0]) {
        mp_pack_cstr(pk, "note");
        pack_str(pk, opt[0]);
    }
    if (slots) {
        mp_pack_cstr(pk, "slots");
        pack_slot_list(pk, slots);
    }
    for (size_t i = 1; i < sizeof optional / sizeof optional[0]; i++)
        if (opt[i]) {
            mp_pack_cstr(pk, optional[i]);
            pack_str(pk, opt[i]);
        }
    if (nfb) {
        mp_pack_cstr(pk, "feedback");
        pack_feedback(pk, r, nfb);
    }
    const redisReply *created = meeting_field(r, "created"),
                     *updated = meeting_field(r, "updated");
    mp_pack_cstr(pk, "created");
    if (created)
        pack_str(pk, created);
    else
        msgpack_pack_nil(pk);
    mp_pack_cstr(pk, "updated");
    if (updated)
        pack_str(pk, updated);
    else
        msgpack_pack_nil(pk);
    if (partner) {
        const redisReply *company = meeting_field(r, "partner_company"),
                         *country = meeting_field(r, "partner_country");
        mp_pack_cstr(pk, "partner");
        msgpack_pack_map(pk, 3);
        mp_pack_cstr(pk, "id");
        pack_str(pk, partner);
        mp_pack_cstr(pk, "company");
        company ? pack_str(pk, company) : mp_pack_cstr(pk, "");
        mp_pack_cstr(pk, "country");
        country ? pack_str(pk, country) : mp_pack_cstr(pk, "");
    }
}
