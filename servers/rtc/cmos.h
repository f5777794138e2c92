/*
 * Turning the CMOS clock's registers into UNIX time: no system calls, so the
 * host tests (tests/host/test_rtc.c) run it as it is.
 */
#ifndef RTC_CMOS_H
#define RTC_CMOS_H

#include <stdbool.h>
#include <stdint.h>

/* Register B bits */
#define RTC_B_24H 0x02       /* hours 0..23, else 1..12 with bit 7 = PM */
#define RTC_B_BINARY 0x04    /* binary values, else BCD */

struct cmos_time {
    uint8_t sec, min, hour, day, mon, year;   /* registers 0, 2, 4, 7, 8, 9 as read */
    uint8_t reg_b;
};

/* A BCD byte (0x59 -> 59). */
unsigned bcd_to_bin(uint8_t v);
/* Days from 1970-01-01 to year-mon-day (proleptic Gregorian, year >= 1970). */
uint64_t days_since_epoch(unsigned year, unsigned mon, unsigned day);
/* The registers as UNIX seconds (UTC; years 2000-2099); false if a field is
 * out of range. */
bool cmos_to_unix(const struct cmos_time *t, uint64_t *unix_seconds);

#endif
