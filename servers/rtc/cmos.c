/* CMOS clock registers to UNIX time; see cmos.h. */
#include "cmos.h"

unsigned bcd_to_bin(uint8_t v) {
    return (v >> 4) * 10u + (v & 0x0fu);
}

static bool leap(unsigned y) {
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned month_days(unsigned year, unsigned mon) {
    static const uint8_t days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return mon == 2 && leap(year) ? 29 : days[mon - 1];
}

uint64_t days_since_epoch(unsigned year, unsigned mon, unsigned day) {
    uint64_t days = 0;
    for (unsigned y = 1970; y < year; y++)
        days += leap(y) ? 366 : 365;
    for (unsigned m = 1; m < mon; m++)
        days += month_days(year, m);
    return days + day - 1;
}

bool cmos_to_unix(const struct cmos_time *t, uint64_t *unix_seconds) {
    bool binary = t->reg_b & RTC_B_BINARY;
    unsigned sec = binary ? t->sec : bcd_to_bin(t->sec);
    unsigned min = binary ? t->min : bcd_to_bin(t->min);
    /* In 12-hour mode bit 7 of the hour is PM, whatever the encoding. */
    bool pm = !(t->reg_b & RTC_B_24H) && (t->hour & 0x80);
    uint8_t h = t->reg_b & RTC_B_24H ? t->hour : (uint8_t)(t->hour & 0x7f);
    unsigned hour = binary ? h : bcd_to_bin(h);
    unsigned day = binary ? t->day : bcd_to_bin(t->day);
    unsigned mon = binary ? t->mon : bcd_to_bin(t->mon);
    unsigned year = 2000 + (binary ? t->year : bcd_to_bin(t->year));   /* no century register read */
    if (!(t->reg_b & RTC_B_24H)) {
        if (hour < 1 || hour > 12)
            return false;
        hour = hour % 12 + (pm ? 12 : 0);   /* 12 AM is 0, 12 PM is 12 */
    }
    if (sec > 59 || min > 59 || hour > 23 || mon < 1 || mon > 12 || year > 2099 || day < 1 ||
        day > month_days(year, mon))
        return false;
    *unix_seconds = days_since_epoch(year, mon, day) * 86400ull + hour * 3600ull + min * 60ull + sec;
    return true;
}
