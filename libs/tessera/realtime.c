/* The wall clock (see <tessera/runtime.h>): the rtc driver's reading, taken
 * once per program, plus the monotonic clock since. libposix's
 * CLOCK_REALTIME and fatfs's file times both come from here. Like lookup.c,
 * nothing here may need `startup` (libposix links it too). */
#include <tessera/runtime.h>
#include <tessera/syscall.h>
#include "idl/rtc.h"

#define RTC_LOOKUP_NS 2000000000ull   /* dm may be (re)starting the driver */

static int known;   /* 0 not asked yet, 1 from the rtc, -1 no rtc */
static uint64_t rtc_unix, rtc_mono;

static void ask_rtc(handle_t bootstrap) {
    known = -1;
    /* A call failing with -E_PEER: the driver was restarted meanwhile. */
    for (int tries = 0; tries < 3 && known < 0; tries++) {
        handle_t rtc;
        if (driver_lookup(bootstrap, "rtc", RTC_LOOKUP_NS, &rtc)) {
            if (rtc != HANDLE_NONE)
                sys_handle_close(rtc);
            break;
        }
        int err = rtc_get_time(rtc, &rtc_unix, &rtc_mono);
        sys_handle_close(rtc);
        if (err == 0)
            known = 1;
        else if (err != -E_PEER)
            break;
    }
}

bool realtime_ns(handle_t bootstrap, uint64_t *ns) {
    if (!known)
        ask_rtc(bootstrap);
    uint64_t mono = sys_clock();
    if (known < 0) {
        *ns = mono;
        return false;
    }
    *ns = rtc_unix * 1000000000ull + (mono - rtc_mono);
    return true;
}
