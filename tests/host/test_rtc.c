// host-test-uses: servers/rtc/cmos.c
/*
 * Tests for the rtc server's register conversion (servers/rtc/cmos.c): BCD,
 * binary, 12- and 24-hour modes, leap years and rejected nonsense, checked
 * against the C library's timegm over many dates.
 */
#define _GNU_SOURCE
#include "test.h"
#include <stdint.h>
#include <time.h>
#include "../../servers/rtc/cmos.h"

static uint8_t bcd(unsigned v) {
    return (uint8_t)((v / 10) << 4 | (v % 10));
}

static uint64_t host_time(int y, int mo, int d, int h, int mi, int s) {
    struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d,
                    .tm_hour = h, .tm_min = mi, .tm_sec = s};
    return (uint64_t)timegm(&tm);
}

TEST(bcd) {
    CHECK_EQ(bcd_to_bin(0x00), 0);
    CHECK_EQ(bcd_to_bin(0x09), 9);
    CHECK_EQ(bcd_to_bin(0x10), 10);
    CHECK_EQ(bcd_to_bin(0x59), 59);
    CHECK_EQ(bcd_to_bin(0x99), 99);
}

TEST(days) {
    CHECK_EQ(days_since_epoch(1970, 1, 1), 0);
    CHECK_EQ(days_since_epoch(1970, 1, 2), 1);
    CHECK_EQ(days_since_epoch(1971, 1, 1), 365);
    CHECK_EQ(days_since_epoch(2000, 3, 1), 11017);   /* 2000 is a leap year */
    CHECK_EQ(days_since_epoch(2024, 2, 29) + 1, days_since_epoch(2024, 3, 1));
    CHECK_EQ(days_since_epoch(2100, 3, 1) - days_since_epoch(2100, 2, 28), 1);   /* 2100 is not */
}

TEST(bcd_24_hour) {
    struct cmos_time t = {.sec = 0x56, .min = 0x34, .hour = 0x23, .day = 0x31, .mon = 0x12,
                          .year = 0x24, .reg_b = RTC_B_24H};
    uint64_t u = 0;
    CHECK(cmos_to_unix(&t, &u));
    CHECK_EQ(u, host_time(2024, 12, 31, 23, 34, 56));
}

TEST(binary_24_hour) {
    struct cmos_time t = {.sec = 5, .min = 4, .hour = 3, .day = 2, .mon = 1, .year = 25,
                          .reg_b = RTC_B_24H | RTC_B_BINARY};
    uint64_t u = 0;
    CHECK(cmos_to_unix(&t, &u));
    CHECK_EQ(u, host_time(2025, 1, 2, 3, 4, 5));
}

TEST(twelve_hour) {
    uint64_t u = 0;
    struct cmos_time t = {.sec = 0, .min = 0, .hour = 0x12, .day = 1, .mon = 1, .year = 0x30, .reg_b = 0};
    CHECK(cmos_to_unix(&t, &u));
    CHECK_EQ(u, host_time(2030, 1, 1, 0, 0, 0));            /* 12 AM is midnight */
    t.hour = 0x80 | 0x12;
    CHECK(cmos_to_unix(&t, &u));
    CHECK_EQ(u, host_time(2030, 1, 1, 12, 0, 0));           /* 12 PM is noon */
    t.hour = 0x80 | 0x11;
    CHECK(cmos_to_unix(&t, &u));
    CHECK_EQ(u, host_time(2030, 1, 1, 23, 0, 0));
    t.hour = 0x01;
    CHECK(cmos_to_unix(&t, &u));
    CHECK_EQ(u, host_time(2030, 1, 1, 1, 0, 0));
    struct cmos_time b = {.sec = 0, .min = 0, .hour = 0x80 | 7, .day = 1, .mon = 1, .year = 30,
                          .reg_b = RTC_B_BINARY};
    CHECK(cmos_to_unix(&b, &u));
    CHECK_EQ(u, host_time(2030, 1, 1, 19, 0, 0));           /* binary 12-hour, PM */
}

TEST(nonsense_refused) {
    uint64_t u = 77;
    struct cmos_time t = {.sec = 0x60, .min = 0, .hour = 0, .day = 1, .mon = 1, .year = 0, .reg_b = RTC_B_24H};
    CHECK(!cmos_to_unix(&t, &u));
    t.sec = 0;
    t.mon = 0x13;
    CHECK(!cmos_to_unix(&t, &u));
    t.mon = 0x02;
    t.day = 0x30;
    CHECK(!cmos_to_unix(&t, &u));
    t.day = 0x29;
    t.year = 0x23;                       /* 2023: no 29 February */
    CHECK(!cmos_to_unix(&t, &u));
    t.year = 0x24;
    CHECK(cmos_to_unix(&t, &u));
    t.hour = 0x24;
    CHECK(!cmos_to_unix(&t, &u));
    t.hour = 0x00;
    t.reg_b = 0;                         /* 12-hour mode has no hour 0 */
    CHECK(!cmos_to_unix(&t, &u));
    struct cmos_time ff = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};   /* an absent clock */
    CHECK(!cmos_to_unix(&ff, &u));
}

TEST(many_dates_match_timegm) {
    /* Every 7th day and a spread of times, 2000-2099, BCD and binary. */
    for (int y = 2000; y < 2100; y++) {
        for (int mo = 1; mo <= 12; mo++) {
            for (int d = 1 + (y + mo) % 7; d <= 28; d += 7) {
                int h = (y * 7 + d) % 24, mi = (mo * 13 + d) % 60, s = (y + d * 3) % 60;
                uint64_t want = host_time(y, mo, d, h, mi, s), u = 0;
                struct cmos_time t = {bcd(s), bcd(mi), bcd(h), bcd(d), bcd(mo), bcd(y - 2000), RTC_B_24H};
                CHECK(cmos_to_unix(&t, &u));
                CHECK_EQ(u, want);
                struct cmos_time b = {s, mi, h, d, mo, y - 2000, RTC_B_24H | RTC_B_BINARY};
                CHECK(cmos_to_unix(&b, &u));
                CHECK_EQ(u, want);
            }
        }
    }
}

TEST_MAIN()
