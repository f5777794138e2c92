/*
 * rtc: reads the CMOS real-time clock once at start and serves the wall-clock
 * time (rtc.idl) as that reading plus the monotonic clock at the moment of it,
 * so clients extrapolate with sys_clock() instead of asking us each time.
 *
 * The clock is read between updates: wait until "update in progress" is
 * clear, read every register, and repeat until two readings agree (an update
 * may still have started in between). The CMOS is assumed to hold UTC, as
 * QEMU's does by default, and a year of 20xx.
 *
 * A driver under dm (legacy device ISA_CMOS_RTC): ports 0x70-0x71 are its
 * resource 0; it registers as "rtc" and answers dm's pings. It takes no
 * interrupt: dm would hand it IRQ 8 as irq index 0, but the clock is read
 * once, and the line stays free for ktest's interrupt test (one owner per
 * line).
 *
 * Option (boot option or argument, see startup_option()):
 *   rtc.crash_after=N  fault on purpose at the get_time call after N calls
 *                      (restart test, tests/qemu/test_input.py)
 */
#include <common/string.h>
#include <driver/driver.h>
#include <tessera/runtime.h>
#include <tessera/syscall.h>
#include "idl/rtc.h"
#include "cmos.h"

#define MS 1000000ull
#define PORT_INDEX 0     /* 0x70 */
#define PORT_DATA 1      /* 0x71 */
#define REG_A_UPDATING 0x80

static struct drv_ports io;
static long crash_after = -1, calls;
static bool valid;
static uint64_t unix_at_read, mono_at_read;

static uint8_t cmos_reg(uint8_t reg) {
    /* Bit 7 of the index port is the NMI mask: leave it clear (NMIs on). */
    drv_port_out(&io, PORT_INDEX, 1, reg & 0x7f);
    return (uint8_t)drv_port_in(&io, PORT_DATA, 1);
}

/* An update takes under 2 ms; give up after 20 (a broken or absent clock). */
static bool wait_not_updating(void) {
    uint64_t deadline = sys_clock() + 20 * MS;
    while (cmos_reg(0x0a) & REG_A_UPDATING) {
        if (sys_clock() > deadline)
            return false;
        sys_yield();
    }
    return true;
}

static bool read_once(struct cmos_time *t) {
    if (!wait_not_updating())
        return false;
    t->sec = cmos_reg(0x00);
    t->min = cmos_reg(0x02);
    t->hour = cmos_reg(0x04);
    t->day = cmos_reg(0x07);
    t->mon = cmos_reg(0x08);
    t->year = cmos_reg(0x09);
    t->reg_b = cmos_reg(0x0b);
    return true;
}

static bool same(const struct cmos_time *a, const struct cmos_time *b) {
    return a->sec == b->sec && a->min == b->min && a->hour == b->hour && a->day == b->day &&
           a->mon == b->mon && a->year == b->year && a->reg_b == b->reg_b;
}

static void read_clock(void) {
    struct cmos_time a, b;
    for (int tries = 0; tries < 5; tries++) {
        if (!read_once(&a) || !read_once(&b)) {
            log_printf("rtc: the clock stays in an update; no wall-clock time\n");
            return;
        }
        if (!same(&a, &b))
            continue;
        mono_at_read = sys_clock();
        if (!cmos_to_unix(&a, &unix_at_read)) {
            log_printf("rtc: the clock holds no valid date (%02x-%02x-%02x %02x:%02x:%02x, B=%02x)\n",
                       a.year, a.mon, a.day, a.hour, a.min, a.sec, a.reg_b);
            return;
        }
        valid = true;
        log_printf("rtc: unix time %llu at %llu ns since boot\n", (unsigned long long)unix_at_read,
                   (unsigned long long)mono_at_read);
        return;
    }
    log_printf("rtc: the clock never read the same twice; no wall-clock time\n");
}

static int on_get_time(void *ctx, const struct ipc_msg *req, uint64_t *unix_seconds,
                       uint64_t *monotonic_ns) {
    if (crash_after >= 0 && calls >= crash_after)
        drv_crash_on_purpose("rtc", (unsigned long long)calls, "get_time calls");
    calls++;
    if (!valid)
        return -E_IO;
    *unix_seconds = unix_at_read;
    *monotonic_ns = mono_at_read;
    return 0;
}

static const struct rtc_server server = {.get_time = on_get_time};

static int dispatch(struct ipc_msg *m) { return rtc_dispatch(&server, NULL, m); }

int main(int argc, char **argv) {
    struct drv_device dev;
    int err = drv_open(&dev);
    if (err || dev.vendor != 0 || dev.device != ISA_CMOS_RTC) {
        log_printf("rtc: not started by dm for the CMOS clock: %s\n", err ? err_str(err) : "another device");
        return 1;
    }
    crash_after = startup_option_int("rtc.crash_after", -1);
    long e = sys_endpoint_create();
    if (e < 0) {
        log_printf("rtc: cannot create an endpoint: %s\n", err_str(e));
        return 1;
    }
    handle_t ep = (handle_t)e;
    err = drv_ports(&dev, 0, &io);
    if (err || io.count < 2) {
        log_printf("rtc: cannot have ports 0x70-0x71 from dm: %s\n", err_str(err ? err : -E_RANGE));
    } else {
        read_clock();
    }

    err = drv_ready(&dev, "rtc", ep);
    if (err < 0) {
        log_printf("rtc: ready failed: %s\n", err_str(err));
        return 1;
    }

    drv_serve(ep, dispatch);
}
