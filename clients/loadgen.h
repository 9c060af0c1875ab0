/* loadgen.h: expomatch-loadgen's shared state: the options, the simulated
 * participants, the kiosk and app-backend connections, and the phases of a
 * run (setup in loadgen_setup.c, the expo day in loadgen_flows.c, numbers
 * in loadgen_stats.c, the command line in loadgen.c). */
#ifndef EM_LOADGEN_H
#define EM_LOADGEN_H

#include "aclient.h"
#include "loadgen_stats.h"

#include <event2/event.h>
#include <msgpack.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* Exit statuses; scripts tell the failures apart by them. */
enum {
    LG_EXIT_OK = 0,
    LG_EXIT_ERRORS = 1,  /* real errors in the run (or setup failed) */
    LG_EXIT_AUTH = 2,    /* the server refused the admin token */
    LG_EXIT_CONNECT = 3, /* could not connect */
    LG_EXIT_USAGE = 64
};

/* The methods of the flows, in the report's order. */
enum lg_method {
    LG_PROFILE_PUT,
    LG_MATCH_TOP,
    LG_MEETING_REQUEST,
    LG_MEETING_RESPOND,
    LG_MEETING_INBOX,
    LG_AGENDA_GET,
    LG_CHECKIN,
    LG_NMETHODS
};

extern const char *const lg_method_names[LG_NMETHODS];

struct lg_options {
    const char *host;      /* -h */
    int port;              /* -p */
    const char *socket;    /* -s: Unix socket, wins over host/port */
    char *admin_token;     /* -a, loaded; wiped at exit */
    int kiosks;            /* --kiosks */
    int apps;              /* --apps */
    int app_sessions;      /* --app-sessions: calls in flight per app */
    double seconds;        /* --seconds; 0: no time bound */
    long long ops;         /* --ops; 0: no count bound */
    int participants;      /* --participants */
    char event[65];        /* --event */
    uint64_t seed;         /* --seed */
    double rate;           /* --rate: ops per second over all; 0: as fast
                              as the sessions go */
    double max_error_rate; /* --max-error-rate: errors/ops tolerated */
    int timeout_ms;        /* --timeout: per call */
    int setup_window;      /* registration calls in flight */
    const char *ack_log;   /* --ack-log: file of acknowledged writes */
    int retry;             /* --retry: extra attempts per call after
                              unavailable, timeout or a lost connection
                              (0: none); lost connections are re-made */
};

/* Small fixed lists per participant, filled from replies. */
#define LG_TOP 10  /* match ids remembered */
#define LG_INBOX 4 /* incoming requested meetings remembered */
#define LG_MID 24  /* bytes of a meeting id we keep (longer ones ignored) */

struct lg_part {
    char badge[24];            /* its kiosk secret */
    uint8_t side;              /* 0 buyer, 1 seller, 2 both */
    uint32_t version;          /* profile versions put so far */
    uint8_t ntop;              /* ids in top */
    int32_t top[LG_TOP];       /* indices of its last match.top */
    uint8_t nin;               /* ids in in */
    char in[LG_INBOX][LG_MID]; /* requested meetings it may answer */
};

struct lg_worker;

/* One simulated user flow with at most one call in flight. */
struct lg_session {
    struct lg_worker *w;   /* its connection */
    uint64_t rng;          /* its own random sequence */
    int visitor;           /* kiosk: the participant at the kiosk, -1 none */
    int actor;             /* the participant of the call in flight */
    enum lg_method method; /* the call in flight */
    char mid[LG_MID];      /* meeting.respond: the meeting answered */
    char rid[40];          /* meeting.request: its request_id, kept for
                              retries so that they create nothing twice */
    int64_t t_first;       /* when the call was first sent, us */
    int64_t t_sent;        /* when its current attempt was sent, us */
    int attempts;          /* retries made of the call in flight */
    bool busy;             /* a call in flight (or waiting to retry) */
    bool parked;           /* idle until its connection is back */
    struct event *retry_timer;    /* backoff before the next attempt */
    bool waiting;                 /* queued for the rate limiter */
    struct lg_session *next_wait; /* the rate limiter's queue */
    msgpack_sbuffer args;         /* arguments being packed */
};

/* One kiosk or app-backend connection with its sessions. */
struct lg_worker {
    struct lg *lg;
    struct emca *conn;
    bool kiosk;  /* a kiosk (badge calls) or an app backend */
    int index;   /* among its kind */
    char *token; /* minted in setup; kept for reconnects with --retry */
    bool ready, dead;
    int failures;                  /* reconnects failed in a row */
    struct event *reconnect_timer; /* backoff before reconnecting */
    int nsessions;
    struct lg_session *sessions;
};

struct lg {
    struct lg_options o;
    struct event_base *base;
    struct lg_part *parts;     /* o.participants of them */
    struct lg_worker *workers; /* kiosks first, then apps */
    int nworkers;
    int nready, nfailed; /* workers connected, failed to */
    uint64_t rng;        /* setup's random sequence */

    /* Setup. */
    struct emca *admin;         /* the admin connection */
    int setup_phase;            /* 0 event, 1 tokens, 2 profiles, 3 done */
    int setup_sent, setup_done; /* calls of the current phase */
    int64_t t_setup;            /* setup start, us */
    double setup_seconds;
    struct lg_hist setup_lat;         /* profile.put latency in setup */
    struct setup_call *setup_waiting; /* --retry: calls in their backoff */
    char slot_ids[16][16];            /* the event's slots */
    int nslots;

    /* The run. */
    int64_t t_start, t_end; /* flows' start; last reply, us */
    long long started;      /* calls started */
    long long finished;     /* calls finished */
    int inflight;           /* calls in flight */
    bool stopping;          /* no new calls: time, count or SIGINT */
    bool forced;            /* a second SIGINT, or the drain deadline */
    int exit_status;        /* set on a fatal failure */
    struct lg_session *wait_head, *wait_tail; /* rate limiter's queue */
    struct event *rate_timer;
    struct event *stop_timer;  /* --seconds */
    struct event *drain_timer; /* the bound on draining */
    int32_t recipients[256];   /* participants recently sent a request */
    unsigned nrecipients;      /* pushed so far (ring) */
    struct lg_method_stats stats[LG_NMETHODS];

    /* Faults (--retry) and the ack log (--ack-log). */
    FILE *ack;                  /* NULL without --ack-log */
    long long unavailable;      /* `unavailable` replies, every attempt */
    long long retries;          /* attempts re-sent */
    long long reconnects;       /* connections made again */
    long long attempt_timeouts; /* attempts that hit --timeout */
    int64_t max_attempt_us;     /* longest single attempt */
};

/* Microseconds on the monotonic clock. */
int64_t lg_now_us(void);
/* xorshift64*: the only source of randomness, so --seed reproduces. */
uint64_t lg_rand(uint64_t *state);
/* An integer in [0, n). */
int lg_randn(uint64_t *state, int n);

/* Connection options with the run's timeouts. */
void lg_conn_options(const struct lg *lg, struct emca_options *o,
                     const char *token);
/* Connects as configured (-s or -h/-p); NULL after printing why. */
struct emca *lg_connect(struct lg *lg, const struct emca_options *o);

/* A participant's id ("p000042"). */
void lg_part_id(int i, char *buf, size_t cap);
/* The index of an id made by lg_part_id, or -1. */
int lg_part_index(const struct lg *lg, const char *id, size_t len);

/* Packs participant i's whole profile (version v) as one map. */
void lg_pack_profile(const struct lg *lg, int i, msgpack_packer *pk,
                     bool with_private);

/* Setup: the event, the tokens and the participants, over the admin
 * connection; then lg_flows_start(). */
void lg_setup_start(struct lg *lg);
/* Frees setup calls still waiting to be sent again. */
void lg_setup_free(struct lg *lg);
/* Stops the run with a fatal message and status. */
void lg_fatal(struct lg *lg, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* --retry's backoff before attempt n + 1 (n = 1, 2...), in ms. */
int lg_retry_delay_ms(int n);

/* The expo day: connects the kiosks and apps and runs their flows. */
void lg_flows_start(struct lg *lg);
/* Stops starting calls; the loop ends once the last one finished. */
void lg_flows_stop(struct lg *lg);
/* Ends now: in-flight calls fail as "closed". */
void lg_flows_force(struct lg *lg);
/* Frees the workers. */
void lg_flows_free(struct lg *lg);

/* The ack log (loadgen_ack.c): opened before setup (-1 after saying
 * why), one line per acknowledged write, closed at exit. */
int lg_ack_open(struct lg *lg, const char *path);
void lg_ack_profile(struct lg *lg, int actor, long long version);
void lg_ack_write(struct lg *lg, const struct lg_session *s,
                  const msgpack_object *result);
void lg_ack_close(struct lg *lg);

#endif
