/* localtime.h: wall-clock time in an event's time zone, the form slot
 * times are written in, for deciding which slot is on now. */
#ifndef EM_LOCALTIME_H
#define EM_LOCALTIME_H

#include <stddef.h>
#include <stdint.h>

/* "YYYY-MM-DDTHH:MM:SS" of unix time t in IANA zone tz; -1 when ICU does
 * not know the zone (then out holds the UTC time). */
int local_time_iso(const char *tz, int64_t t, char out[20]);

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar. */
int64_t civil_days(int64_t y, int64_t m, int64_t d);

/* Seconds since 1970-01-01T00:00:00 of a stored date-time
 * "YYYY-MM-DDTHH:MM:SS" (a trailing "Z" allowed): wall-clock seconds for
 * slot times, unix time for UTC stamps. -1 when s is not that form. */
int64_t stored_time_seconds(const char *s, size_t len);

#endif
