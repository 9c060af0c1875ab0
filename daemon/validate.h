/* validate.h: checks every field of an event (event.put) and a profile
 * (profile.put) as the wire contract's tables say, and produces the
 * normalized copy that is stored: fixed key order, defaults filled in, all
 * text as str, so equal input gives equal bytes. Messages name the field,
 * with an index for list items ("offers[2].code: ..."). */
#ifndef EM_VALIDATE_H
#define EM_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#include "err.h"

/* Bounds on what one event or profile may hold. */
#define EVENT_NAME_MAX 200 /* code points */
#define EVENT_SLOTS_MAX 1000
#define EVENT_TABLES_MAX 10000
#define EVENT_INTERPRETERS_MAX 1000
#define EVENT_TIMEZONE_MAX 64 /* bytes of an IANA zone name */
#define EVENT_MEETING_MINUTES_MAX 1440
#define EVENT_MAX_PENDING_MAX 1000000
#define EVENT_TTL_HOURS_MAX 87600 /* ten years */

#define PROFILE_COMPANY_MAX 200 /* code points */
#define PROFILE_LANGUAGES_MAX 50
#define PROFILE_SECTORS_MAX 200
#define PROFILE_ITEMS_MAX 200      /* offers, needs */
#define PROFILE_TEXT_MAX 500       /* code points of an offer/need text */
#define PROFILE_COOPERATION_MAX 50 /* items as given; repeats dropped */
#define PROFILE_MARKETS_MAX 250
#define PROFILE_SLOTS_MAX 1000
#define PROFILE_MAX_MEETINGS_MAX 1000000
#define CONTACT_NAME_MAX 200  /* code points */
#define CONTACT_EMAIL_MAX 254 /* bytes */
#define CONTACT_PHONE_MAX 32  /* bytes */

struct event_interpreter {
    char id[65];
    size_t nlanguages;
    char (*languages)[3]; /* ISO 639-1 codes, as listed */
};

struct event_in {
    char id[65];
    /* The normalized event map to store, keys in this order: event, name,
     * slots [{id, start, end}], tables (count or [names]), interpreters
     * ([{id, languages}], [] by default), meeting_minutes (30),
     * timezone ("UTC"), then max_pending_requests and request_ttl_hours
     * only when given. Times as "YYYY-MM-DDTHH:MM:SS". */
    msgpack_sbuffer packed;
    size_t nslots;
    char (*slot_ids)[65]; /* in listed order */
    /* Slot times as local wall-clock seconds since 1970-01-01T00:00:00,
     * in the event's zone with no offset applied (convert with ICU). */
    int64_t *slot_start, *slot_end;
    uint32_t ntables;
    char (*table_ids)[65]; /* a count n gives "1".."n" */
    bool tables_counted;   /* tables was given as a count */
    size_t ninterpreters;
    struct event_interpreter *interpreters;
    uint32_t meeting_minutes;
    char timezone[EVENT_TIMEZONE_MAX + 1];
    int64_t max_pending_requests; /* 0: not given (unlimited) */
    int64_t request_ttl_hours;    /* 0: not given (never expire) */
};

/* args: the event.put arguments map (NULL: none given). On success fills
 * *out, which the caller releases with event_in_free; on failure *out
 * holds nothing to release. */
int validate_event(const msgpack_object *args, struct event_in *out,
                   struct err *err);
void event_in_free(struct event_in *ev);

/* What profile.put does with a field that is kept across puts. */
enum keep_mode {
    KEEP,  /* left out: keep the stored value */
    CLEAR, /* nil: erase it */
    SET    /* a value: replace it */
};

struct profile_in {
    char event[65], id[65];
    char side[8]; /* buyer, seller or both */
    /* The normalized public profile, keys in this order: event, id, side,
     * company, country, languages, sectors, offers ([{code?, text?}]),
     * needs, cooperation, markets (lists [] by default), then size, slots
     * and max_meetings only when given. Never contact, badge, if_version. */
    msgpack_sbuffer packed;
    bool has_slots; /* slots given (else: free in all) */
    size_t nslots;
    char (*slots)[65]; /* to check against the event's slots */
    bool has_max_meetings;
    int64_t max_meetings;
    enum keep_mode contact_mode;
    msgpack_sbuffer contact; /* packed {name?, email?, phone?}, SET */
    enum keep_mode badge_mode;
    char badge[129]; /* the secret, SET only */
    bool has_if_version;
    int64_t if_version;
};

/* args: the profile.put arguments map (NULL: none given). Same ownership
 * as validate_event. */
int validate_profile(const msgpack_object *args, struct profile_in *out,
                     struct err *err);
void profile_in_free(struct profile_in *p);

#endif
