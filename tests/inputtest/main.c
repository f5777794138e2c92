/*
 * inputtest (test=inputtest): prints the wall-clock time from the rtc
 * driver, checks that the input driver (ps2) drops the subscription of a
 * task that ends, then subscribes to it and prints every event it receives,
 * one line each, for tests/qemu/test_input.py to compare with what it
 * injected:
 *
 *   rtc: unix=N
 *   inputtest: ready
 *   inputtest: key code=30 down=1 mods=0 char=a repeat=0
 *   inputtest: mouse dx=10 dy=-5 buttons=1 wheel=0
 *   inputtest: resubscribed after a restart      (the driver was restarted)
 *   inputtest: done events=N dropped=N
 *
 * Both drivers are found through dm ("input", "rtc"). When no event came for
 * a while it asks the input driver for its stats; if that fails with -E_PEER
 * the driver died (ps2.crash_after=N makes it), and it looks "input" up
 * again and subscribes anew.
 *
 * With rtc.crash_after=N it first reads the clock N + 3 times, looking the
 * driver up again when a read fails with -E_PEER, checks that every time is
 * sane (never backwards, never ahead of the first reading by more than the
 * time passed) and says
 *
 *   rtc: restart survived: reads=R failures=F
 *
 * It stops at the Escape key, after MAX_EVENTS events or after TIMEOUT_NS.
 * "inputtest child" is the subscriber that ends without unsubscribing.
 */
#include <common/format.h>
#include <common/string.h>
#include <tessera/input.h>
#include <tessera/runtime.h>
#include <tessera/syscall.h>
#include "idl/init.h"
#include "idl/input.h"
#include "idl/rtc.h"

#define MS 1000000ull
#define SEC 1000000000ull
#define TIMEOUT_NS (120 * SEC)
#define MAX_EVENTS 500
#define RING_BYTES 8192
#define NOTIFY_BIT 1ull
#define LOOKUP_NS (10 * SEC)     /* for a driver dm is (re)starting */
#define IDLE_CHECK_NS (250 * MS) /* no event this long: is the driver still there? */

static handle_t ps2 = HANDLE_NONE;   /* the "input" driver */

/* Subscribes with a fresh ring; returns it, and the endpoint notified, or NULL. */
static struct input_ring *subscribe(handle_t *ep_out) {
    handle_t mem;
    struct input_ring *ring = mem_alloc(RING_BYTES, &mem);
    long ep = sys_endpoint_create();
    if (!ring || ep < 0)
        return NULL;
    long ring_h = sys_handle_dup(mem, RIGHT_READ | RIGHT_WRITE | RIGHT_TRANSFER, 0);
    long notify_h = sys_handle_dup((handle_t)ep, RIGHT_NOTIFY | RIGHT_TRANSFER, 0);
    long task_h = sys_handle_dup(startup.self, RIGHT_WATCH | RIGHT_TRANSFER, 0);
    sys_handle_close(mem);   /* the mapping keeps the object */
    int err = input_subscribe(ps2, ring_h < 0 ? HANDLE_NONE : (handle_t)ring_h,
                              notify_h < 0 ? HANDLE_NONE : (handle_t)notify_h,
                              task_h < 0 ? HANDLE_NONE : (handle_t)task_h, NOTIFY_BIT);
    if (err) {
        log_printf("inputtest: subscribe: %s\n", err_str(err));
        return NULL;
    }
    if (ring->magic != INPUT_RING_MAGIC || ring->capacity == 0) {
        log_printf("inputtest: ps2 did not set the ring up\n");
        return NULL;
    }
    *ep_out = (handle_t)ep;
    return ring;
}

static uint32_t subscribers(void) {
    uint64_t keys, packets, resyncs, dropped;
    uint32_t subs = 0, kbd;
    int32_t mouse;
    input_stats(ps2, &keys, &packets, &resyncs, &dropped, &subs, &kbd, &mouse);
    return subs;
}


/* The wall-clock time in ns, from the rtc driver behind *rtc (looked up
 * again after a restart: then *failures counts up). */
static int rtc_now(handle_t *rtc, uint64_t *ns, int *failures) {
    for (int tries = 0; tries < 3; tries++) {
        int err = *rtc == HANDLE_NONE ? driver_lookup(startup.bootstrap, "rtc", LOOKUP_NS, rtc) : 0;
        uint64_t secs = 0, mono = 0;
        if (!err)
            err = rtc_get_time(*rtc, &secs, &mono);
        if (!err) {
            *ns = secs * SEC + (sys_clock() - mono);
            return 0;
        }
        if (err != -E_PEER)
            return err;
        (*failures)++;
        sys_handle_close(*rtc);
        *rtc = HANDLE_NONE;
    }
    return -E_PEER;
}

static bool print_rtc(void) {
    handle_t rtc = HANDLE_NONE;
    uint64_t first = 0;
    int failures = 0;
    int err = rtc_now(&rtc, &first, &failures);
    if (err) {
        log_printf("rtc: no time: %s\n", err_str(err));
        return true;
    }
    log_printf("rtc: unix=%llu\n", (unsigned long long)(first / SEC));
    long crash_after = startup_option_int("rtc.crash_after", -1);
    if (crash_after < 0) {
        sys_handle_close(rtc);
        return true;
    }
    /* Across the driver's restart: every reading sane. A new instance reads
     * the CMOS clock again, which has whole seconds: allow one back. */
    uint64_t t0 = sys_clock(), last = first;
    int reads = 1;
    for (; reads < crash_after + 4; reads++) {
        uint64_t t;
        err = rtc_now(&rtc, &t, &failures);
        if (err) {
            log_printf("rtc: read %d failed: %s\n", reads + 1, err_str(err));
            return false;
        }
        uint64_t passed = sys_clock() - t0;
        if (t + SEC < last || t > first + passed + 2 * SEC) {
            log_printf("rtc: read %d is insane: %llu ns, first %llu, %llu ns passed\n", reads + 1,
                       (unsigned long long)t, (unsigned long long)first, (unsigned long long)passed);
            return false;
        }
        if (t > last)
            last = t;
    }
    sys_handle_close(rtc);
    log_printf("rtc: restart survived: reads=%d failures=%d\n", reads, failures);
    return true;
}

/* A subscriber that ends without unsubscribing must not stay subscribed. */
static bool check_dead_subscriber(void) {
    handle_t task = HANDLE_NONE;
    int err = init_spawn(startup.bootstrap, "tests/inputtest", "child", HANDLE_NONE, &task);
    long ep = sys_endpoint_create();
    if (err || ep < 0 || sys_task_watch(task, (handle_t)ep, 1) < 0) {
        log_printf("inputtest: cannot start the child: %s\n", err_str(err));
        return false;
    }
    struct ipc_msg m;
    if (sys_ipc(HANDLE_NONE, (handle_t)ep, &m, IPC_RECV, 30 * SEC) < 0) {
        log_printf("inputtest: the child did not end\n");
        return false;
    }
    struct task_info info;
    sys_task_info(task, &info);
    sys_handle_close(task);
    sys_handle_close((handle_t)ep);
    if (info.exit_status != 0) {
        log_printf("inputtest: the child failed (status %d)\n", info.exit_status);
        return false;
    }
    /* ps2 hears of the end by notification; give it a moment. */
    for (int i = 0; i < 100; i++) {
        if (subscribers() == 0)
            return true;
        sleep_ns(20 * MS);
    }
    log_printf("inputtest: ps2 kept the subscription of a task that ended\n");
    return false;
}

static void print_event(const struct input_event *ev) {
    if (ev->type == INPUT_EV_MOUSE) {
        log_printf("inputtest: mouse dx=%d dy=%d buttons=%u wheel=%d\n", ev->dx, ev->dy,
                   ev->buttons, ev->wheel);
        return;
    }
    char ch[8];
    if (ev->ch > 0x20 && ev->ch < 0x7f) {
        ch[0] = (char)ev->ch;
        ch[1] = 0;
    } else if (ev->ch) {
        fmt_snprintf(ch, sizeof(ch), "0x%02x", ev->ch);
    } else {
        memcpy(ch, "-", 2);
    }
    log_printf("inputtest: key code=%u down=%u mods=%u char=%s repeat=%u\n", ev->code, ev->down,
               ev->mods, ch, ev->repeat);
}

/* The input driver ended (a call failed with -E_PEER): find its new
 * instance and subscribe to it with a fresh ring. */
static struct input_ring *resubscribe(struct input_ring *old, handle_t *ep) {
    sys_vm_unmap(HANDLE_SELF, (uintptr_t)old, RING_BYTES);
    vm_release((uintptr_t)old, RING_BYTES);
    sys_handle_close(*ep);
    sys_handle_close(ps2);
    int err = driver_lookup(startup.bootstrap, "input", LOOKUP_NS, &ps2);
    if (err) {
        log_printf("inputtest: no input driver after its restart: %s\n", err_str(err));
        return NULL;
    }
    struct input_ring *ring = subscribe(ep);
    if (ring)
        log_printf("inputtest: resubscribed after a restart\n");
    return ring;
}

int main(int argc, char **argv) {
    int err = driver_lookup(startup.bootstrap, "input", LOOKUP_NS, &ps2);
    if (err) {
        log_printf("inputtest: no input driver: %s\n", err_str(err));
        return 1;
    }
    if (argc > 1 && !strcmp(argv[1], "child")) {
        handle_t ep;
        return subscribe(&ep) ? 0 : 1;   /* and end, still subscribed */
    }

    if (!print_rtc())
        return 1;
    if (!check_dead_subscriber())
        return 1;
    log_printf("inputtest: dead subscriber dropped\n");

    handle_t ep;
    struct input_ring *ring = subscribe(&ep);
    if (!ring)
        return 1;
    log_printf("inputtest: ready\n");

    uint64_t deadline = sys_clock() + TIMEOUT_NS;
    int events = 0;
    bool done = false;
    while (!done && events < MAX_EVENTS) {
        uint64_t now = sys_clock();
        if (now >= deadline) {
            log_printf("inputtest: timed out\n");
            break;
        }
        struct ipc_msg m;
        uint64_t wait = deadline - now < IDLE_CHECK_NS ? deadline - now : IDLE_CHECK_NS;
        long r = sys_ipc(HANDLE_NONE, ep, &m, IPC_RECV, wait);
        if (r < 0 && r != -E_TIMEDOUT) {
            log_printf("inputtest: receive: %s\n", err_str(r));
            return 1;
        }
        struct input_event ev;
        bool any = false;
        while (!done && input_ring_pop(ring, &ev)) {
            print_event(&ev);
            events++;
            any = true;
            done = ev.type == INPUT_EV_KEY && ev.code == INPUT_KEY_ESC && ev.down;
        }
        if (r == -E_TIMEDOUT && !any) {
            uint64_t keys, packets, resyncs, dropped;
            uint32_t subs, kbd;
            int32_t mouse;
            if (input_stats(ps2, &keys, &packets, &resyncs, &dropped, &subs, &kbd, &mouse) == -E_PEER) {
                ring = resubscribe(ring, &ep);
                if (!ring)
                    return 1;
            }
        }
    }
    log_printf("inputtest: done events=%d dropped=%u\n", events, ring->dropped);
    return input_unsubscribe(ps2) == 0 ? 0 : 1;
}
