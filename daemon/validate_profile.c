/* validate_profile.c: checks profile.put arguments and packs the public
 * profile that is stored, apart from the kept fields contact and badge
 * (see validate.h for the normalized form). */
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "isocodes.h"
#include "validate.h"
#include "vfield.h"
#include "xmalloc.h"

enum {
    F_EVENT,
    F_ID,
    F_SIDE,
    F_COMPANY,
    F_COUNTRY,
    F_LANGUAGES,
    F_SECTORS,
    F_OFFERS,
    F_NEEDS,
    F_COOPERATION,
    F_MARKETS,
    F_SIZE,
    F_SLOTS,
    F_MAX_MEETINGS,
    F_CONTACT,
    F_BADGE,
    F_IF_VERSION,
    F__COUNT
};

/* ARG_ANY everywhere: the shape is checked here, with messages naming the
 * field; args_parse_map catches unknown, repeated and missing fields. */
static const struct arg_spec profile_spec[F__COUNT] = {
    [F_EVENT] = {"event", ARG_ANY, ARG_REQUIRED},
    [F_ID] = {"id", ARG_ANY, ARG_REQUIRED},
    [F_SIDE] = {"side", ARG_ANY, ARG_REQUIRED},
    [F_COMPANY] = {"company", ARG_ANY, ARG_REQUIRED},
    [F_COUNTRY] = {"country", ARG_ANY, ARG_REQUIRED},
    [F_LANGUAGES] = {"languages", ARG_ANY, ARG_REQUIRED},
    [F_SECTORS] = {"sectors", ARG_ANY, 0},
    [F_OFFERS] = {"offers", ARG_ANY, 0},
    [F_NEEDS] = {"needs", ARG_ANY, 0},
    [F_COOPERATION] = {"cooperation", ARG_ANY, 0},
    [F_MARKETS] = {"markets", ARG_ANY, 0},
    [F_SIZE] = {"size", ARG_ANY, 0},
    [F_SLOTS] = {"slots", ARG_ANY, 0},
    [F_MAX_MEETINGS] = {"max_meetings", ARG_ANY, 0},
    [F_CONTACT] = {"contact", ARG_ANY, ARG_NULLABLE},
    [F_BADGE] = {"badge", ARG_ANY, ARG_NULLABLE},
    [F_IF_VERSION] = {"if_version", ARG_ANY, 0},
};

static const char *const sides[] = {"buyer", "seller", "both"};
static const char *const sizes[] = {"micro", "small", "medium", "large"};
static const char *const cooperations[] = {
    "trade",       "distribution", "licensing", "joint_venture",
    "outsourcing", "investment",   "financing"};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* The index of o among words, or -1. */
static int word_index(const msgpack_object *o, const char *const *words,
                      size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (vf_str_is(o, words[i]))
            return (int)i;
    return -1;
}

static bool all_digits(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

/* ISIC Rev.4: a section letter A-U, or a division/group/class of 2-4
 * digits. */
static bool isic_valid(const char *s, size_t len)
{
    if (len == 1)
        return s[0] >= 'A' && s[0] <= 'U';
    return len >= 2 && len <= 4 && all_digits(s, len);
}

/* HS: a chapter, heading or subheading of 2, 4 or 6 digits. */
static bool hs_valid(const char *s, size_t len)
{
    return (len == 2 || len == 4 || len == 6) && all_digits(s, len);
}

static bool country_ok(const char *s, size_t len)
{
    return iso_country_valid(s, len);
}

static bool isic_ok(const char *s, size_t len)
{
    return isic_valid(s, len);
}

static bool cooperation_ok(const char *s, size_t len)
{
    for (size_t i = 0; i < COUNT(cooperations); i++)
        if (strlen(cooperations[i]) == len &&
            memcmp(cooperations[i], s, len) == 0)
            return true;
    return false;
}

/* A list of short codes each accepted by ok(); repeats are dropped from the
 * stored copy (keep[i] false), since they add nothing. `rule` ends the
 * message for a bad item: "sectors[3]: 'Z' is not <rule>". */
static int check_codes(const msgpack_object *o, const char *path, size_t max,
                       bool (*ok)(const char *, size_t), const char *rule,
                       bool *keep, size_t *nkeep, struct err *err)
{
    *nkeep = 0;
    if (vf_absent(o))
        return 0;
    if (vf_list(o, path, 0, max, err) < 0)
        return -1;
    const msgpack_object *a = o->via.array.ptr;
    char p[VF_PATH], q[32];
    for (size_t i = 0; i < o->via.array.size; i++) {
        vf_index(p, path, i);
        if (vf_str(&a[i], p, err) < 0)
            return -1;
        if (!ok(a[i].via.str.ptr, a[i].via.str.size)) {
            const char *e = vf_echo(&a[i], q);
            return err_set(err, ERR_BAD_REQUEST, "%s: %s%snot %s", p,
                           e ? e : "", e ? " is " : "", rule);
        }
        keep[i] = true;
        for (size_t j = 0; j < i && keep[i]; j++)
            if (a[j].via.str.size == a[i].via.str.size &&
                memcmp(a[j].via.str.ptr, a[i].via.str.ptr, a[i].via.str.size) ==
                    0)
                keep[i] = false;
        *nkeep += keep[i];
    }
    return 0;
}

/* offers/needs: [{code?, text?}], each with at least one of the two. */
static int check_items(const msgpack_object *o, const char *path,
                       struct err *err)
{
    if (vf_absent(o))
        return 0;
    if (vf_list(o, path, 0, PROFILE_ITEMS_MAX, err) < 0)
        return -1;
    static const char *const keys[] = {"code", "text"};
    char p[VF_PATH], f[VF_PATH];
    for (size_t i = 0; i < o->via.array.size; i++) {
        const msgpack_object *v[2];
        vf_index(p, path, i);
        if (vf_map(&o->via.array.ptr[i], p, keys, 2, v, err) < 0)
            return -1;
        if (v[0] == NULL && v[1] == NULL)
            return err_set(err, ERR_BAD_REQUEST, "%s: needs a code or a text",
                           p);
        if (v[0]) {
            vf_member(f, p, "code");
            if (vf_str(v[0], f, err) < 0)
                return -1;
            if (!hs_valid(v[0]->via.str.ptr, v[0]->via.str.size))
                return err_set(err, ERR_BAD_REQUEST,
                               "%s: HS code must be 2, 4 or 6 digits", f);
        }
        if (v[1] && vf_text(v[1], vf_member(f, p, "text"), 1, PROFILE_TEXT_MAX,
                            err) < 0)
            return -1;
    }
    return 0;
}

/* At most max bytes, exactly one '@' with text on both sides, no spaces
 * or control characters; other UTF-8 is allowed (internationalized
 * addresses). */
static bool email_valid(const char *s, size_t len)
{
    if (len > CONTACT_EMAIL_MAX)
        return false;
    size_t at = len, ats = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= 0x20 || c == 0x7f)
            return false;
        if (c == '@') {
            ats++;
            at = i;
        }
    }
    return ats == 1 && at > 0 && at + 1 < len;
}

/* Digits, spaces and + - ( ) . only, with at least one digit. */
static bool phone_valid(const char *s, size_t len)
{
    if (len > CONTACT_PHONE_MAX)
        return false;
    bool digit = false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c >= '0' && c <= '9')
            digit = true;
        else if (!strchr(" +-().", c) || c == '\0')
            return false;
    }
    return digit;
}

/* contact: nil clears, a map {name?, email?, phone?} replaces. */
static int check_contact(const msgpack_object *o, struct profile_in *p,
                         struct err *err)
{
    if (o == NULL) {
        p->contact_mode = KEEP;
        return 0;
    }
    if (o->type == MSGPACK_OBJECT_NIL) {
        p->contact_mode = CLEAR;
        return 0;
    }
    static const char *const keys[] = {"name", "email", "phone"};
    const msgpack_object *v[3];
    if (vf_map(o, "contact", keys, 3, v, err) < 0)
        return -1;
    if (v[0] && vf_text(v[0], "contact.name", 1, CONTACT_NAME_MAX, err) < 0)
        return -1;
    if (v[1]) {
        /* Bytes, not characters, bound an address: check the shape
         * first so that one message explains it. */
        if (vf_str(v[1], "contact.email", err) < 0)
            return -1;
        if (v[1]->via.str.size <= CONTACT_EMAIL_MAX &&
            vf_text(v[1], "contact.email", 0, CONTACT_EMAIL_MAX, err) < 0)
            return -1;
        if (!email_valid(v[1]->via.str.ptr, v[1]->via.str.size))
            return err_set(err, ERR_BAD_REQUEST,
                           "contact.email: up to %d bytes, one '@' with text "
                           "on both sides, no spaces",
                           CONTACT_EMAIL_MAX);
    }
    if (v[2]) {
        if (vf_str(v[2], "contact.phone", err) < 0)
            return -1;
        if (!phone_valid(v[2]->via.str.ptr, v[2]->via.str.size))
            return err_set(err, ERR_BAD_REQUEST,
                           "contact.phone: up to %d of digits, spaces and "
                           "+-().",
                           CONTACT_PHONE_MAX);
    }
    p->contact_mode = SET;
    msgpack_packer pk;
    msgpack_packer_init(&pk, &p->contact, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, (v[0] != NULL) + (v[1] != NULL) + (v[2] != NULL));
    for (size_t i = 0; i < 3; i++) {
        if (v[i]) {
            vf_pack_cstr(&pk, keys[i]);
            vf_pack_obj_str(&pk, v[i]);
        }
    }
    return 0;
}

/* badge: nil clears, a secret of 8-128 printable ASCII (no spaces) sets. */
static int check_badge(const msgpack_object *o, struct profile_in *p,
                       struct err *err)
{
    if (o == NULL) {
        p->badge_mode = KEEP;
        return 0;
    }
    if (o->type == MSGPACK_OBJECT_NIL) {
        p->badge_mode = CLEAR;
        return 0;
    }
    if (vf_str(o, "badge", err) < 0)
        return -1;
    if (!args_valid_badge(o->via.str.ptr, o->via.str.size))
        return err_set(err, ERR_BAD_REQUEST,
                       "badge: 8-128 printable ASCII characters, no spaces");
    memcpy(p->badge, o->via.str.ptr, o->via.str.size);
    p->badge[o->via.str.size] = '\0';
    p->badge_mode = SET;
    return 0;
}

/* The list's items whose keep[] is set, as str. */
static void pack_kept(msgpack_packer *pk, const msgpack_object *o,
                      const bool *keep, size_t nkeep)
{
    msgpack_pack_array(pk, nkeep);
    for (size_t i = 0; nkeep && i < o->via.array.size; i++)
        if (keep[i])
            vf_pack_obj_str(pk, &o->via.array.ptr[i]);
}

static void pack_items(msgpack_packer *pk, const msgpack_object *o)
{
    if (vf_absent(o)) {
        msgpack_pack_array(pk, 0);
        return;
    }
    msgpack_pack_array(pk, o->via.array.size);
    for (size_t i = 0; i < o->via.array.size; i++) {
        const msgpack_object *it = &o->via.array.ptr[i];
        const msgpack_object *code = NULL, *text = NULL;
        /* Keys were checked: only code and text, each at most once. */
        for (uint32_t k = 0; k < it->via.map.size; k++) {
            const msgpack_object *val = &it->via.map.ptr[k].val;
            if (val->type == MSGPACK_OBJECT_NIL)
                continue;
            if (vf_str_is(&it->via.map.ptr[k].key, "code"))
                code = val;
            else
                text = val;
        }
        msgpack_pack_map(pk, (code != NULL) + (text != NULL));
        if (code) {
            vf_pack_cstr(pk, "code");
            vf_pack_obj_str(pk, code);
        }
        if (text) {
            vf_pack_cstr(pk, "text");
            vf_pack_obj_str(pk, text);
        }
    }
}

/* Checked list fields kept for packing. */
struct kept {
    bool sectors[PROFILE_SECTORS_MAX];
    bool cooperation[PROFILE_COOPERATION_MAX];
    bool markets[PROFILE_MARKETS_MAX];
    size_t nsectors, ncooperation, nmarkets;
};

static void pack_profile(struct profile_in *p, const msgpack_object **f,
                         const struct kept *k)
{
    msgpack_packer pk;
    msgpack_packer_init(&pk, &p->packed, msgpack_sbuffer_write);
    bool has_size = !vf_absent(f[F_SIZE]);
    msgpack_pack_map(&pk, 11 + has_size + p->has_slots + p->has_max_meetings);
    vf_pack_cstr(&pk, "event");
    vf_pack_cstr(&pk, p->event);
    vf_pack_cstr(&pk, "id");
    vf_pack_cstr(&pk, p->id);
    vf_pack_cstr(&pk, "side");
    vf_pack_cstr(&pk, p->side);
    vf_pack_cstr(&pk, "company");
    vf_pack_obj_str(&pk, f[F_COMPANY]);
    vf_pack_cstr(&pk, "country");
    vf_pack_obj_str(&pk, f[F_COUNTRY]);
    vf_pack_cstr(&pk, "languages");
    const msgpack_object *langs = f[F_LANGUAGES];
    msgpack_pack_array(&pk, langs->via.array.size);
    for (size_t i = 0; i < langs->via.array.size; i++)
        vf_pack_obj_str(&pk, &langs->via.array.ptr[i]);
    vf_pack_cstr(&pk, "sectors");
    pack_kept(&pk, f[F_SECTORS], k->sectors, k->nsectors);
    vf_pack_cstr(&pk, "offers");
    pack_items(&pk, f[F_OFFERS]);
    vf_pack_cstr(&pk, "needs");
    pack_items(&pk, f[F_NEEDS]);
    vf_pack_cstr(&pk, "cooperation");
    pack_kept(&pk, f[F_COOPERATION], k->cooperation, k->ncooperation);
    vf_pack_cstr(&pk, "markets");
    pack_kept(&pk, f[F_MARKETS], k->markets, k->nmarkets);
    if (has_size) {
        vf_pack_cstr(&pk, "size");
        vf_pack_obj_str(&pk, f[F_SIZE]);
    }
    if (p->has_slots) {
        vf_pack_cstr(&pk, "slots");
        msgpack_pack_array(&pk, p->nslots);
        for (size_t i = 0; i < p->nslots; i++)
            vf_pack_cstr(&pk, p->slots[i]);
    }
    if (p->has_max_meetings) {
        vf_pack_cstr(&pk, "max_meetings");
        msgpack_pack_int64(&pk, p->max_meetings);
    }
}

/* Every check in field order, so the first bad field is the one named. */
static int check_profile(const msgpack_object *args, struct profile_in *p,
                         struct kept *k, struct err *err)
{
    const msgpack_object *f[F__COUNT];
    if (args_parse_map(args, profile_spec, F__COUNT, f, err) < 0)
        return -1;
    if (vf_get_id(f[F_EVENT], "event", p->event, err) < 0 ||
        vf_get_id(f[F_ID], "id", p->id, err) < 0 ||
        vf_str(f[F_SIDE], "side", err) < 0)
        return -1;
    int side = word_index(f[F_SIDE], sides, COUNT(sides));
    if (side < 0)
        return err_set(err, ERR_BAD_REQUEST,
                       "side: must be buyer, seller or both");
    memcpy(p->side, sides[side], strlen(sides[side]) + 1);
    if (vf_text(f[F_COMPANY], "company", 1, PROFILE_COMPANY_MAX, err) < 0 ||
        vf_str(f[F_COUNTRY], "country", err) < 0)
        return -1;
    const msgpack_object *c = f[F_COUNTRY];
    if (!iso_country_valid(c->via.str.ptr, c->via.str.size)) {
        char q[32];
        const char *e = vf_echo(c, q);
        return err_set(err, ERR_BAD_REQUEST,
                       "country: %s%snot an ISO 3166-1 alpha-2 code (two "
                       "upper-case letters)",
                       e ? e : "", e ? " is " : "");
    }
    if (vf_languages(f[F_LANGUAGES], "languages", 1, PROFILE_LANGUAGES_MAX,
                     NULL, NULL, err) < 0 ||
        check_codes(f[F_SECTORS], "sectors", PROFILE_SECTORS_MAX, isic_ok,
                    "an ISIC Rev.4 code (a section letter A-U or 2-4 digits)",
                    k->sectors, &k->nsectors, err) < 0 ||
        check_items(f[F_OFFERS], "offers", err) < 0 ||
        check_items(f[F_NEEDS], "needs", err) < 0 ||
        check_codes(f[F_COOPERATION], "cooperation", PROFILE_COOPERATION_MAX,
                    cooperation_ok,
                    "one of trade, distribution, licensing, joint_venture, "
                    "outsourcing, investment, financing",
                    k->cooperation, &k->ncooperation, err) < 0 ||
        check_codes(f[F_MARKETS], "markets", PROFILE_MARKETS_MAX, country_ok,
                    "an ISO 3166-1 alpha-2 code (two upper-case letters)",
                    k->markets, &k->nmarkets, err) < 0)
        return -1;
    if (!vf_absent(f[F_SIZE])) {
        if (vf_str(f[F_SIZE], "size", err) < 0)
            return -1;
        if (word_index(f[F_SIZE], sizes, COUNT(sizes)) < 0)
            return err_set(err, ERR_BAD_REQUEST,
                           "size: must be micro, small, medium or large");
    }
    if (!vf_absent(f[F_SLOTS])) {
        if (vf_id_list(f[F_SLOTS], "slots", 0, PROFILE_SLOTS_MAX, &p->slots,
                       &p->nslots, err) < 0)
            return -1;
        p->has_slots = true;
    }
    if (!vf_absent(f[F_MAX_MEETINGS])) {
        if (vf_int(f[F_MAX_MEETINGS], "max_meetings", 0,
                   PROFILE_MAX_MEETINGS_MAX, &p->max_meetings, err) < 0)
            return -1;
        p->has_max_meetings = true;
    }
    if (check_contact(f[F_CONTACT], p, err) < 0 ||
        check_badge(f[F_BADGE], p, err) < 0)
        return -1;
    if (!vf_absent(f[F_IF_VERSION])) {
        if (vf_int(f[F_IF_VERSION], "if_version", 0, INT64_MAX, &p->if_version,
                   err) < 0)
            return -1;
        p->has_if_version = true;
    }
    pack_profile(p, f, k);
    return 0;
}

int validate_profile(const msgpack_object *args, struct profile_in *out,
                     struct err *err)
{
    memset(out, 0, sizeof *out);
    msgpack_sbuffer_init(&out->packed);
    msgpack_sbuffer_init(&out->contact);
    struct kept *k = xcalloc(1, sizeof *k);
    int rc = check_profile(args, out, k, err);
    free(k);
    if (rc < 0)
        profile_in_free(out);
    return rc;
}

void profile_in_free(struct profile_in *p)
{
    /* Contact details and the badge secret are personal data: wipe them
     * rather than leave them in freed memory. */
    if (p->contact.data)
        explicit_bzero(p->contact.data, p->contact.alloc);
    msgpack_sbuffer_destroy(&p->contact);
    msgpack_sbuffer_destroy(&p->packed);
    free(p->slots);
    explicit_bzero(p, sizeof *p);
    msgpack_sbuffer_init(&p->packed);
    msgpack_sbuffer_init(&p->contact);
}
