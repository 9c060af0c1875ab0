/* kiosk_session.h: the kiosk's side of the wire: one connection to
 * expomatchd authenticated with a kiosk token (made again after a
 * failure), the event it serves, and what a scanned participant's screen
 * shows, read with the participant's badge: its company and languages,
 * check-in with agenda and meet-now suggestions, incoming requests, and
 * the answers to them.
 *
 * Replies are untrusted: every field is checked for its type and copied
 * out (bounded) before the reply is freed; a field of the wrong shape is
 * left out, never a crash. Contact details are never read from a reply,
 * so they cannot reach the screen. */
#ifndef EM_KIOSK_SESSION_H
#define EM_KIOSK_SESSION_H

#include "client.h"
#include "kiosk_scan.h"

#include <stdbool.h>
#include <stddef.h>

/* Bounds on what one screen holds; more is left out. */
#define KIOSK_MAX_AGENDA 64
#define KIOSK_MAX_REQUESTS 32
#define KIOSK_MAX_SUGGESTIONS 10
#define KIOSK_MAX_LANGUAGES 8
#define KIOSK_MAX_SLOTS 512

/* How a step went, as the screen needs to tell it. */
enum kiosk_outcome {
    KIOSK_OK = 0,
    KIOSK_UNAVAILABLE, /* no connection, a timeout, unavailable, internal */
    KIOSK_BAD_BADGE,   /* forbidden or not_found: the badge does not open */
    KIOSK_LOCKED,      /* rate_limited: too many wrong badges lately */
    KIOSK_REFUSED,     /* the token was refused, or it is not a kiosk's */
    KIOSK_CONFLICT,    /* respond: already answered, cancelled, expired */
    KIOSK_FAILED       /* another error reply */
};

/* Where and how to connect. Strings are borrowed; token is owned by the
 * caller and must outlive the client. */
struct kiosk_config {
    const char *host;
    int port;
    const char *socket; /* Unix socket path; wins over host and port */
    const char *token;
    int call_timeout_ms; /* connect and each call */
    const char *event;   /* --event, or NULL to take the token's */
    bool tls;            /* TCP with TLS: settings in tls */
    struct emc_tls tls_opts;
};

struct kiosk_slot {
    char *id, *start, *end; /* start and end: local times as stored */
};

/* The connection and the event it serves. */
struct kiosk_client {
    const struct kiosk_config *cfg;
    struct emc *c;                /* NULL until connected, after a failure */
    char event[KIOSK_ID_MAX + 1]; /* "" until known */
    char *event_name;             /* NULL until read */
    struct kiosk_slot *slots;     /* the event's, for meet-now times */
    size_t nslots;
    char errstr[640]; /* what went wrong last, for staff (never a secret) */
};

/* An agenda entry: a meeting accepted or scheduled. */
struct kiosk_meeting {
    char *meeting;
    char *status;
    char *start, *end; /* NULL while waiting for a slot */
    char *table;
    char *interpreter;
    char *partner; /* the partner's company (its id when the name is missing) */
};

enum kiosk_answer {
    KIOSK_OPEN = 0,  /* not answered yet */
    KIOSK_ACCEPTED,  /* accepted, waiting for a slot */
    KIOSK_SCHEDULED, /* accepted and booked: start, table */
    KIOSK_DECLINED,  /* declined */
    KIOSK_GONE       /* answered elsewhere, withdrawn or expired */
};

/* An incoming request. */
struct kiosk_request {
    char *meeting;
    char *from;    /* the requester's id */
    char *company; /* the requester's company, or NULL */
    char *note;
    enum kiosk_answer answer;
    char *start, *table; /* where it was booked, once KIOSK_SCHEDULED */
};

/* A meet-now suggestion. */
struct kiosk_suggestion {
    char *id, *company, *slot, *table;
    char *start; /* the slot's start from the event, or NULL */
    double score;
};

/* What the screen shows of one scanned participant. */
struct kiosk_person {
    struct kiosk_badge badge;
    char *company;
    char *languages[KIOSK_MAX_LANGUAGES];
    size_t nlanguages;
    struct kiosk_meeting agenda[KIOSK_MAX_AGENDA];
    size_t nagenda;
    struct kiosk_request requests[KIOSK_MAX_REQUESTS];
    size_t nrequests;
    size_t noutgoing; /* requests it sent that wait for an answer */
    struct kiosk_suggestion suggestions[KIOSK_MAX_SUGGESTIONS];
    size_t nsuggestions;
};

/* Connects and authenticates unless connected; learns the event (from
 * cfg->event or the token's scope) and reads its name and slots. */
enum kiosk_outcome kiosk_client_open(struct kiosk_client *k);

/* Drops the connection (the next call connects again) and, with forget,
 * the event's data too. */
void kiosk_client_close(struct kiosk_client *k, bool forget);

/* Reads everything the screen shows for badge into *p (which it clears
 * first): the profile, then check-in (agenda, meet now), then the inbox
 * and each requester's company. */
enum kiosk_outcome kiosk_person_load(struct kiosk_client *k,
                                     const struct kiosk_badge *badge,
                                     struct kiosk_person *p);

/* Answers request i of p, records the outcome in it, and reads the agenda
 * again when accepted. */
enum kiosk_outcome kiosk_person_respond(struct kiosk_client *k,
                                        struct kiosk_person *p, size_t i,
                                        bool accept);

/* Frees and wipes everything of p, the badge secret included. */
void kiosk_person_clear(struct kiosk_person *p);

#endif
