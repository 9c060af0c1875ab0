/* localtime.h: wall-clock time in an event's time zone, the form slot
 * times are written in, for deciding which slot is on now. */
#ifndef EM_LOCALTIME_H
#define EM_LOCALTIME_H

#include <stdint.h>

/* "YYYY-MM-DDTHH:MM:SS" of unix time t in IANA zone tz; -1 when ICU does
 * not know the zone (then out holds the UTC time). */
int local_time_iso(const char *tz, int64_t t, char out[20]);

#endif
