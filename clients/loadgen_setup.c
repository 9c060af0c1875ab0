/* loadgen_setup.c: before the expo day (not measured as part of it): the
 * event with slots around now, kiosk and app tokens, and the registered
 * participants with badges, products, sectors and text in several
 * languages and scripts. */
#include "loadgen.h"

#include "pack.h"
#include "xmalloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NSLOTS 8
#define SLOT_MINUTES 30

/* A product: its HS code and how people in different places write it. */
struct product {
    const char *hs;
    const char *en;    /* English */
    const char *local; /* another language and script */
};

static const struct product products[] = {
    {"090111", "arabica coffee beans", "กาแฟอาราบิก้า"},
    {"0902", "green tea", "绿茶"},
    {"100630", "jasmine rice", "ข้าวหอมมะลิ"},
    {"6109", "cotton t-shirts", "قمصان قطنية"},
    {"8471", "laptop computers", "ノートパソコン"},
    {"3304", "herbal cosmetics", "เครื่องสำอางสมุนไพร"},
    {"9403", "wooden furniture", "实木家具"},
    {"0803", "dried bananas", "موز مجفف"},
    {"8708", "auto parts", "自動車部品"},
    {"3004", "generic medicines", "תרופות גנריות"},
    {"1511", "palm oil", "minyak sawit"},
    {"0306", "frozen shrimp", "tôm đông lạnh"},
    {"8541", "solar panels", "太阳能电池板"},
    {"4011", "rubber tyres", "ยางรถยนต์"},
    {"5007", "silk fabric", "ผ้าไหม"},
    {"0409", "natural honey", "عسل طبيعي"},
};
#define NPRODUCTS (int)(sizeof products / sizeof products[0])

/* Where participants come from, what they speak, how their firms sound. */
struct origin {
    const char *country;
    const char *lang;
    const char *firm;
};

static const struct origin origins[] = {
    {"TH", "th", "Siam Trading สยาม"}, {"CN", "zh", "Huadong 华东贸易"},
    {"JP", "ja", "Kansai 関西商事"},   {"AE", "ar", "Gulf Link الخليج"},
    {"IL", "he", "Negev נגב"},         {"ID", "id", "Nusantara Niaga"},
    {"VN", "vi", "Mekong Xuất Khẩu"},  {"DE", "de", "Rhein Handel"},
    {"US", "en", "Lakeside Imports"},  {"MY", "ms", "Selat Dagang"},
    {"FR", "fr", "Rhône Négoce"},      {"SA", "ar", "Najd نجد"},
};
#define NORIGINS (int)(sizeof origins / sizeof origins[0])

static const char *const sectors[] = {"A",    "C",  "1079", "46", "2620",
                                      "1410", "10", "2100", "G",  "0111"};
static const char *const cooperation[] = {"trade", "distribution", "licensing",
                                          "joint_venture", "outsourcing"};
static const char *const sizes[] = {"micro", "small", "medium", "large"};
static const char *const sides[] = {"buyer", "seller", "both"};

void lg_part_id(int i, char *buf, size_t cap)
{
    snprintf(buf, cap, "p%06d", i);
}

int lg_part_index(const struct lg *lg, const char *id, size_t len)
{
    if (len != 7 || id[0] != 'p')
        return -1;
    int v = 0;
    for (size_t i = 1; i < len; i++) {
        if (id[i] < '0' || id[i] > '9')
            return -1;
        v = v * 10 + (id[i] - '0');
    }
    return v < lg->o.participants ? v : -1;
}

/* Offers or needs: 1-3 products, each as code, text or both. */
static void pack_items(msgpack_packer *pk, uint64_t *rng, int base)
{
    int n = 1 + lg_randn(rng, 3);
    msgpack_pack_array(pk, (size_t)n);
    for (int j = 0; j < n; j++) {
        const struct product *p = &products[(base + j * 5) % NPRODUCTS];
        int shape = lg_randn(rng, 4); /* 0 code, 1 local text, 2-3 both */
        msgpack_pack_map(pk, shape == 0 || shape == 1 ? 1 : 2);
        if (shape != 1)
            emc_pack_kv(pk, "code", p->hs);
        if (shape != 0)
            emc_pack_kv(pk, "text", shape == 3 ? p->en : p->local);
    }
}

void lg_pack_profile(const struct lg *lg, int i, msgpack_packer *pk,
                     bool with_private)
{
    const struct lg_part *pt = &lg->parts[i];
    /* Each version is its own deterministic variation of the firm. */
    uint64_t rng = lg->o.seed * 0x9e3779b97f4a7c15ull + (uint64_t)i * 7919 +
                   pt->version * 104729 + 1;
    const struct origin *org = &origins[i % NORIGINS];
    char id[16], company[96];

    lg_part_id(i, id, sizeof id);
    snprintf(company, sizeof company, "%s %d", org->firm, i);
    msgpack_pack_map(pk, with_private ? 16 : 14);
    emc_pack_kv(pk, "event", lg->o.event);
    emc_pack_kv(pk, "id", id);
    emc_pack_kv(pk, "side", sides[pt->side]);
    emc_pack_kv(pk, "company", company);
    emc_pack_kv(pk, "country", org->country);
    emc_pack_cstr(pk, "languages");
    bool en = strcmp(org->lang, "en") != 0 && lg_randn(&rng, 3) > 0;
    msgpack_pack_array(pk, en ? 2 : 1);
    emc_pack_cstr(pk, org->lang);
    if (en)
        emc_pack_cstr(pk, "en");
    emc_pack_cstr(pk, "sectors");
    msgpack_pack_array(pk, 2);
    emc_pack_cstr(pk, sectors[lg_randn(&rng, 10)]);
    emc_pack_cstr(pk, sectors[(i + 3) % 10]);
    /* Sellers offer near where buyers need, so that most find a match. */
    int base = lg_randn(&rng, NPRODUCTS);
    emc_pack_cstr(pk, "offers");
    pack_items(pk, &rng, pt->side == 0 ? base + 1 : base);
    emc_pack_cstr(pk, "needs");
    pack_items(pk, &rng, pt->side == 1 ? base + 2 : base + 3);
    emc_pack_cstr(pk, "cooperation");
    msgpack_pack_array(pk, 2);
    emc_pack_cstr(pk, cooperation[lg_randn(&rng, 5)]);
    emc_pack_cstr(pk, cooperation[(i + 1) % 5]);
    emc_pack_cstr(pk, "markets");
    msgpack_pack_array(pk, 2);
    emc_pack_cstr(pk, origins[lg_randn(&rng, NORIGINS)].country);
    emc_pack_cstr(pk, origins[(i + 5) % NORIGINS].country);
    emc_pack_kv(pk, "size", sizes[lg_randn(&rng, 4)]);
    /* Free in a run of at least half the slots. */
    int first = lg_randn(&rng, lg->nslots / 2 + 1);
    int count = lg->nslots - first;
    emc_pack_cstr(pk, "slots");
    msgpack_pack_array(pk, (size_t)count);
    for (int s = first; s < first + count; s++)
        emc_pack_cstr(pk, lg->slot_ids[s]);
    emc_pack_cstr(pk, "max_meetings");
    msgpack_pack_int(pk, 3 + lg_randn(&rng, 4));
    if (with_private) {
        char email[64];
        snprintf(email, sizeof email, "sales%d@example.com", i);
        emc_pack_cstr(pk, "contact");
        msgpack_pack_map(pk, 2);
        emc_pack_kv(pk, "name", company);
        emc_pack_kv(pk, "email", email);
        emc_pack_kv(pk, "badge", pt->badge);
    }
}

/* ISO 8601 local time (the event is in UTC) of t. */
static void iso_time(time_t t, char *buf, size_t cap)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, cap, "%Y-%m-%dT%H:%M:%S", &tm);
}

static void pack_event(struct lg *lg, msgpack_packer *pk)
{
    /* Slots around now, so that check-in's meet_now has a next slot. */
    time_t now = time(NULL);
    time_t start = now - now % (SLOT_MINUTES * 60) - SLOT_MINUTES * 60;
    int tables = lg->o.participants / 4 < 4 ? 4 : lg->o.participants / 4;
    if (tables > 10000)
        tables = 10000;

    lg->nslots = NSLOTS;
    msgpack_pack_map(pk, 7);
    emc_pack_kv(pk, "event", lg->o.event);
    emc_pack_kv(pk, "name", "expomatch-loadgen expo day งานจับคู่ธุรกิจ");
    emc_pack_cstr(pk, "slots");
    msgpack_pack_array(pk, NSLOTS);
    for (int s = 0; s < NSLOTS; s++) {
        char a[32], b[32];
        time_t t = start + (time_t)s * SLOT_MINUTES * 60;
        snprintf(lg->slot_ids[s], sizeof lg->slot_ids[s], "s%02d", s);
        iso_time(t, a, sizeof a);
        iso_time(t + SLOT_MINUTES * 60, b, sizeof b);
        msgpack_pack_map(pk, 3);
        emc_pack_kv(pk, "id", lg->slot_ids[s]);
        emc_pack_kv(pk, "start", a);
        emc_pack_kv(pk, "end", b);
    }
    emc_pack_cstr(pk, "tables");
    msgpack_pack_int(pk, tables);
    emc_pack_cstr(pk, "interpreters");
    static const char *const pairs[][2] = {
        {"th", "en"}, {"zh", "en"}, {"ar", "en"}, {"ja", "en"}, {"th", "zh"}};
    msgpack_pack_array(pk, 5);
    for (int k = 0; k < 5; k++) {
        char id[24];
        snprintf(id, sizeof id, "int-%s-%s", pairs[k][0], pairs[k][1]);
        msgpack_pack_map(pk, 2);
        emc_pack_kv(pk, "id", id);
        emc_pack_cstr(pk, "languages");
        msgpack_pack_array(pk, 2);
        emc_pack_cstr(pk, pairs[k][0]);
        emc_pack_cstr(pk, pairs[k][1]);
    }
    emc_pack_cstr(pk, "meeting_minutes");
    msgpack_pack_int(pk, SLOT_MINUTES);
    emc_pack_kv(pk, "timezone", "UTC");
}

void lg_fatal(struct lg *lg, int status, const char *fmt, ...)
{
    va_list ap;
    fputs("expomatch-loadgen: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    if (lg->exit_status == LG_EXIT_OK)
        lg->exit_status = status;
    event_base_loopbreak(lg->base);
}

static void setup_next(struct lg *lg);

/* A setup call kept whole: with --retry, an `unavailable` reply (Redis slow
 * or away for a moment) sends it again after the day's backoff instead of
 * ending the run. Every setup call is a whole-state write or a fresh token,
 * so a second attempt is harmless. */
struct setup_call {
    struct lg *lg;
    const char *method;
    char *args;
    size_t len;
    emca_reply_fn cb;
    void *arg;
    int attempts;
    struct event *timer;     /* while waiting to be sent again */
    struct setup_call *next; /* in lg->setup_waiting */
};

static void setup_call_free(struct setup_call *sc)
{
    if (sc->timer != NULL)
        event_free(sc->timer);
    free(sc->args);
    free(sc);
}

static void on_setup_reply(struct emca *c, struct emca_reply *r, void *arg);

static uint32_t setup_send(struct setup_call *sc)
{
    return emca_call_packed(sc->lg->admin, sc->method, sc->args, sc->len,
                            on_setup_reply, sc);
}

static void on_setup_timer(evutil_socket_t fd, short what, void *arg)
{
    struct setup_call *sc = arg;
    struct lg *lg = sc->lg;
    (void)fd;
    (void)what;
    for (struct setup_call **pp = &lg->setup_waiting; *pp != NULL;
         pp = &(*pp)->next)
        if (*pp == sc) {
            *pp = sc->next;
            break;
        }
    if (lg->exit_status != LG_EXIT_OK) {
        setup_call_free(sc);
        return;
    }
    if (setup_send(sc) == 0) {
        lg_fatal(lg, LG_EXIT_CONNECT, "setup: %s: the connection is gone",
                 sc->method);
        setup_call_free(sc);
    }
}

/* Plans another attempt of sc if the run allows one. */
static bool setup_retry_later(struct setup_call *sc)
{
    struct lg *lg = sc->lg;
    if (sc->attempts >= lg->o.retry || lg->exit_status != LG_EXIT_OK)
        return false;
    if (sc->timer == NULL)
        sc->timer = evtimer_new(lg->base, on_setup_timer, sc);
    if (sc->timer == NULL)
        return false;
    sc->attempts++;
    lg->retries++;
    int ms = lg_retry_delay_ms(sc->attempts);
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    evtimer_add(sc->timer, &tv);
    sc->next = lg->setup_waiting;
    lg->setup_waiting = sc;
    return true;
}

static void on_setup_reply(struct emca *c, struct emca_reply *r, void *arg)
{
    struct setup_call *sc = arg;
    if (r->status == EMCA_REPLY_ERROR &&
        strcmp(r->error.code, "unavailable") == 0) {
        sc->lg->unavailable++;
        if (setup_retry_later(sc))
            return;
    }
    sc->cb(c, r, sc->arg);
    setup_call_free(sc);
}

/* Sends method with the packed args in sb; 0 when the connection refused
 * the call (cb then never runs). */
static uint32_t setup_call(struct lg *lg, const char *method,
                           const msgpack_sbuffer *sb, emca_reply_fn cb,
                           void *arg)
{
    struct setup_call *sc = xcalloc(1, sizeof *sc);
    sc->lg = lg;
    sc->method = method;
    sc->args = xmalloc(sb->size);
    memcpy(sc->args, sb->data, sb->size);
    sc->len = sb->size;
    sc->cb = cb;
    sc->arg = arg;
    uint32_t id = setup_send(sc);
    if (id == 0)
        setup_call_free(sc);
    return id;
}

void lg_setup_free(struct lg *lg)
{
    while (lg->setup_waiting != NULL) {
        struct setup_call *sc = lg->setup_waiting;
        lg->setup_waiting = sc->next;
        setup_call_free(sc);
    }
}

/* Any setup call that fails ends the run: without the event, tokens and
 * participants there is nothing to measure. */
static bool setup_reply_ok(struct lg *lg, struct emca_reply *r,
                           const char *what)
{
    if (r->status == EMCA_OK)
        return true;
    if (lg->exit_status == LG_EXIT_OK)
        lg_fatal(
            lg, r->status == EMCA_FAILED ? LG_EXIT_CONNECT : LG_EXIT_ERRORS,
            "setup: %s failed: %s: %s", what, r->error.code, r->error.message);
    return false;
}

static void on_event_put(struct emca *c, struct emca_reply *r, void *arg)
{
    struct lg *lg = arg;
    if (!setup_reply_ok(lg, r, "event.put"))
        return;
    lg->setup_phase = 1;
    setup_next(lg);
}

/* The token string of a token.create result. */
static char *token_of(const msgpack_object *o)
{
    if (o->type != MSGPACK_OBJECT_MAP)
        return NULL;
    for (uint32_t i = 0; i < o->via.map.size; i++) {
        const msgpack_object *k = &o->via.map.ptr[i].key;
        const msgpack_object *v = &o->via.map.ptr[i].val;
        if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == 5 &&
            memcmp(k->via.str.ptr, "token", 5) == 0 &&
            v->type == MSGPACK_OBJECT_STR && v->via.str.size > 0 &&
            v->via.str.size < 1024)
            return xstrndup(v->via.str.ptr, v->via.str.size);
    }
    return NULL;
}

static void on_token(struct emca *c, struct emca_reply *r, void *arg)
{
    struct lg_worker *w = arg;
    struct lg *lg = w->lg;
    if (!setup_reply_ok(lg, r, "token.create"))
        return;
    w->token = token_of(&r->result);
    if (w->token == NULL) {
        lg_fatal(lg, LG_EXIT_ERRORS, "setup: token.create: no token in reply");
        return;
    }
    if (++lg->setup_done == lg->nworkers) {
        lg->setup_phase = 2;
        lg->setup_sent = lg->setup_done = 0;
    }
    setup_next(lg);
}

struct put_ctx {
    struct lg *lg;
    int64_t t0;
    int i; /* the participant */
};

static void on_profile_put(struct emca *c, struct emca_reply *r, void *arg)
{
    struct put_ctx *p = arg;
    struct lg *lg = p->lg;
    int i = p->i;
    lg_hist_record(&lg->setup_lat, (uint64_t)(lg_now_us() - p->t0));
    free(p);
    if (!setup_reply_ok(lg, r, "profile.put"))
        return;
    lg_ack_profile(lg, i, 1);
    lg->setup_done++;
    setup_next(lg);
}

/* Sends what the current phase still has to send, within the window. */
static void setup_next(struct lg *lg)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;

    if (lg->exit_status != LG_EXIT_OK)
        return;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    switch (lg->setup_phase) {
    case 0:
        pack_event(lg, &pk);
        setup_call(lg, "event.put", &sb, on_event_put, lg);
        break;
    case 1:
        if (lg->setup_sent > 0)
            break;
        for (int i = 0; i < lg->nworkers; i++, lg->setup_sent++) {
            msgpack_sbuffer_clear(&sb);
            msgpack_pack_map(&pk, 3);
            emc_pack_kv(&pk, "event", lg->o.event);
            emc_pack_kv(&pk, "role", lg->workers[i].kiosk ? "kiosk" : "app");
            emc_pack_cstr(&pk, "ttl_hours");
            msgpack_pack_int(&pk, 24);
            setup_call(lg, "token.create", &sb, on_token, &lg->workers[i]);
        }
        break;
    case 2:
        while (lg->setup_sent < lg->o.participants &&
               lg->setup_sent - lg->setup_done < lg->o.setup_window) {
            struct put_ctx *p = xmalloc(sizeof *p);
            p->lg = lg;
            p->t0 = lg_now_us();
            p->i = lg->setup_sent;
            msgpack_sbuffer_clear(&sb);
            lg_pack_profile(lg, lg->setup_sent++, &pk, true);
            if (setup_call(lg, "profile.put", &sb, on_profile_put, p) == 0) {
                free(p);
                break;
            }
        }
        if (lg->setup_done == lg->o.participants) {
            lg->setup_phase = 3;
            lg->setup_seconds = (double)(lg_now_us() - lg->t_setup) / 1e6;
            emca_free(lg->admin);
            lg->admin = NULL;
            lg_flows_start(lg);
        }
        break;
    default: break;
    }
    msgpack_sbuffer_destroy(&sb);
}

static void on_admin_state(struct emca *c, enum emca_state st, void *arg)
{
    struct lg *lg = arg;
    if (st == EMCA_ST_READY) {
        if (strcmp(emca_role(c), "admin") != 0) {
            lg_fatal(lg, LG_EXIT_AUTH,
                     "the token given with -a is a %s token; setup needs the "
                     "admin token",
                     emca_role(c));
            return;
        }
        setup_next(lg);
        return;
    }
    if (lg->setup_phase == 3)
        return; /* closed after setup */
    lg_fatal(lg, emca_err(c) == EMCA_ERR_AUTH ? LG_EXIT_AUTH : LG_EXIT_CONNECT,
             "%s", emca_errstr(c));
}

void lg_setup_start(struct lg *lg)
{
    struct emca_options o;
    lg->parts = xcalloc((size_t)lg->o.participants, sizeof *lg->parts);
    for (int i = 0; i < lg->o.participants; i++) {
        struct lg_part *p = &lg->parts[i];
        /* Badges: 16 characters from the run's random sequence. */
        snprintf(p->badge, sizeof p->badge, "b%015llx",
                 (unsigned long long)(lg_rand(&lg->rng) >> 4));
        p->side = (uint8_t)(i % 5 == 4 ? 2 : i % 2);
    }
    lg_hist_init(&lg->setup_lat);
    lg->t_setup = lg_now_us();
    lg_conn_options(lg, &o, lg->o.admin_token);
    o.on_state = on_admin_state;
    o.state_arg = lg;
    lg->admin = lg_connect(lg, &o);
    if (lg->admin == NULL)
        lg->exit_status = LG_EXIT_CONNECT;
}
