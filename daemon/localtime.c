/* localtime.c: see localtime.h. ICU's calendar, not the C library's, so
 * that the zone comes from the same data as the event's validation and
 * the process's own TZ does not matter. */
#include "localtime.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <unicode/ucal.h>
#include <unicode/ustring.h>

static void utc_iso(int64_t t, char out[20])
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, 20, "%Y-%m-%dT%H:%M:%S", &tm);
}

int local_time_iso(const char *tz, int64_t t, char out[20])
{
    UChar zone[80];
    if (strlen(tz) >= sizeof zone / sizeof zone[0]) {
        utc_iso(t, out);
        return -1;
    }
    u_uastrcpy(zone, tz);
    UErrorCode st = U_ZERO_ERROR;
    UCalendar *cal = ucal_open(zone, -1, "en_US_POSIX", UCAL_GREGORIAN, &st);
    if (U_FAILURE(st)) {
        utc_iso(t, out);
        return -1;
    }
    ucal_setMillis(cal, (UDate)t * 1000.0, &st);
    int f[6] = {
        ucal_get(cal, UCAL_EXTENDED_YEAR, &st),
        ucal_get(cal, UCAL_MONTH, &st) + 1,
        ucal_get(cal, UCAL_DATE, &st),
        ucal_get(cal, UCAL_HOUR_OF_DAY, &st),
        ucal_get(cal, UCAL_MINUTE, &st),
        ucal_get(cal, UCAL_SECOND, &st),
    };
    ucal_close(cal);
    if (U_FAILURE(st) || f[0] < 0 || f[0] > 9999) {
        utc_iso(t, out);
        return -1;
    }
    char buf[80]; /* room for any int, to keep the compiler sure */
    snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d", f[0], f[1], f[2],
             f[3], f[4], f[5]);
    memcpy(out, buf, 19);
    out[19] = '\0';
    return 0;
}

int64_t civil_days(int64_t y, int64_t m, int64_t d)
{
    /* Years counted from March, so that the leap day ends a year. */
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int64_t stored_time_seconds(const char *s, size_t len)
{
    if (len == 20 && s[19] == 'Z')
        len = 19;
    if (len != 19 || s[4] != '-' || s[7] != '-' || s[10] != 'T' ||
        s[13] != ':' || s[16] != ':')
        return -1;
    static const int at[6] = {0, 5, 8, 11, 14, 17},
                     width[6] = {4, 2, 2, 2, 2, 2};
    int64_t f[6];
    for (int i = 0; i < 6; i++) {
        f[i] = 0;
        for (int j = 0; j < width[i]; j++) {
            char ch = s[at[i] + j];
            if (ch < '0' || ch > '9')
                return -1;
            f[i] = f[i] * 10 + (ch - '0');
        }
    }
    return civil_days(f[0], f[1], f[2]) * 86400 + f[3] * 3600 + f[4] * 60 +
           f[5];
}
