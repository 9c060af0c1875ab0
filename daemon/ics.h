/* ics.h: one participant's scheduled meetings as an RFC 5545 calendar
 * (agenda.ics), with a VTIMEZONE built from ICU's data for the event's
 * zone. A pure function: no Redis, no shared state; every ICU object it
 * uses is opened and closed within the call, so it is safe on any thread.
 *
 * What the calendar holds, and why:
 *
 * - VERSION:2.0, PRODID, CALSCALE:GREGORIAN, METHOD:PUBLISH, X-WR-CALNAME
 *   (the event's name), X-WR-CALDESC (whose agenda) and X-WR-TIMEZONE (the
 *   zone name as given): the X-WR- names are what Apple, Google and
 *   Outlook show when the file is imported or subscribed to.
 * - One VEVENT per meeting: UID "<event>/<meeting>@expomatch" (ids are
 *   A-Za-z0-9_.- so "/" and "@" keep the pair unambiguous; the same
 *   meeting has the same UID in both partners' calendars and across
 *   exports, so a re-import updates instead of duplicating), DTSTAMP (the
 *   time of the export: RFC 5545 3.8.7.2 says so when METHOD is present),
 *   LAST-MODIFIED (the meeting's `updated`, when > 0), DTSTART/DTEND,
 *   SUMMARY "Meeting with <company>", LOCATION "Table <t>, interpreter
 *   <i>", DESCRIPTION (partner and id, then the note), STATUS:CONFIRMED.
 *   Nothing else about the partner: no contact details, no badge.
 * - Times: an event zone that is UTC for all time (UTC, Etc/UTC, Etc/GMT
 *   ...) gets times in UTC with "Z": the one form RFC 5545 defines for UTC
 *   and that every client reads, with no VTIMEZONE to depend on. Any other
 *   zone gets DTSTART;TZID=<zone> in local wall-clock time exactly as
 *   stored, and one VTIMEZONE.
 * - The VTIMEZONE lists, for the instants of the meetings (one day either
 *   side), the observance in effect and every transition, each as its own
 *   STANDARD or DAYLIGHT sub-component (DTSTART, TZOFFSETFROM, TZOFFSETTO,
 *   TZNAME) without RRULE: exact for those dates, including rule changes
 *   that an RRULE could not express. It says nothing reliable about dates
 *   far from the meetings (clients that know the IANA name use their own
 *   data there anyway). A calendar with no meetings still gets the
 *   VTIMEZONE for the day of `now_utc` (for UTC: TZID <zone>, +0000),
 *   because RFC 5545's grammar wants at least one component.
 * - TZNAME: ICU's English abbreviation ("EST", "CET" for Europe/... zones)
 *   when it has one, else its GMT form ("GMT+8", "GMT+5:30").
 * - DST gaps and overlaps, the rule of RFC 5545 3.3.5 (the one a client
 *   applies to the TZID times written here): a local time that does not
 *   exist is read with the offset in effect before the gap (02:30 on the
 *   spring-forward night of Europe/Berlin is 03:30 CEST); a local time that
 *   occurs twice means its first occurrence (02:30 CEST, not CET). A
 *   meeting that starts in a gap could then end before it starts (02:30 to
 *   03:00 becomes 03:30 to 03:00 CEST): such a meeting gets DURATION (its
 *   stored length) instead of DTEND, so it becomes 03:30 to 04:00.
 *
 * Text is escaped as RFC 5545 TEXT (\\ \; \, and \n for any line break);
 * other control characters, which TEXT may not hold, are dropped. Lines end
 * in CRLF and are folded so that no line exceeds ICS_LINE_MAX octets, never
 * inside a UTF-8 sequence or an escape. */
#ifndef EM_ICS_H
#define EM_ICS_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"

/* Octets in one line, CRLF not counted (RFC 5545 3.1). */
#define ICS_LINE_MAX 75

struct ics_meeting {
    const char *meeting_id; /* an id ("m42"): 1-64 of A-Za-z0-9_.- */
    /* Local wall-clock seconds since 1970-01-01T00:00:00 in the event's
     * zone, no offset applied (as struct event_in's slots); end > start,
     * years 0001-9999. */
    int64_t start, end;
    const char *partner_company; /* UTF-8, any script; "" uses the id */
    const char *partner_id;      /* an id */
    const char *table;           /* a table id, or NULL */
    const char *interpreter;     /* an interpreter id, or NULL */
    const char *note;            /* UTF-8 free text, or NULL */
    int64_t updated; /* unix seconds (UTC) of the last change; 0: unknown */
};

/* Appends the calendar of participant_id's meetings m[0..n) at event_id to
 * out, in the order given, and returns 0. zone_name is an IANA name that ICU
 * knows (as validate_event checks: "Asia/Shanghai", "UTC"); event_name is
 * UTF-8; now_utc (unix seconds) is the DTSTAMP. Returns -1 with err set
 * (ERR_INTERNAL: bad data from the store, such as an invalid id, invalid
 * UTF-8, end <= start or a zone unknown to ICU, or an ICU failure), leaving
 * out as it was. */
int ics_render(struct buf *out, const char *event_id, const char *event_name,
               const char *zone_name, const char *participant_id,
               const struct ics_meeting *m, size_t n, int64_t now_utc,
               struct err *err);

#endif
