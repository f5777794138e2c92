/*
 * dmtest: the device manager's test, in two roles.
 *
 * "dmtest driver [crash]": a driver dm starts (only with its test_driver
 * argument, etc/boot-dmtest.conf) for virtio-rng, through the driver SDK:
 * it checks what dm allows and refuses, sets up virtio (capabilities,
 * features, a virtqueue with an MSI-X vector), reads random bytes with one
 * request, reports ready as "dmtest" and serves dmtest.idl, answering dm's
 * pings. With "crash" it faults as soon as it has its device (dm is to give
 * up on it); with "stall" it never reports ready (dm must not wait for it
 * more than its boot wait).
 *
 * "dmtest" (test=dmtest, after READY): the in-guest suite. It lists dm's
 * devices, looks the driver up, crashes it and makes it hang, and checks
 * that dm restarted it each time and gave up on the always-crashing one.
 */
#define GUEST_TEST_NAME "dmtest"
#include <common/string.h>
#include <driver/driver.h>
#include <tessera/runtime.h>
#include <tessera/syscall.h>
#include "idl/device.h"
#include "idl/dm.h"
#include "idl/dmtest.h"
#include "idl/init.h"
#include "../guest_test.h"

#define MS 1000000ull
#define SEC 1000000000ull
#define BIT_IRQ 1ull
#define RANDOM_BYTES 16

/* ======== the driver ======== */

static struct drv_device dev;
static uint32_t random_bytes, irqs, failed_checks, my_id;

static void check(int bit, bool ok, const char *what) {
    if (!ok) {
        failed_checks |= 1u << bit;
        log_printf("dmtest: driver check %d failed: %s\n", bit, what);
    }
}

/* What dm must refuse, and what it must give. */
static void policy_checks(void) {
    struct handle_info info;
    check(0, sys_handle_info(startup.given, &info) == 0 && info.type == KOBJ_ENDPOINT &&
                 !(info.rights & (RIGHT_RECV | RIGHT_DUP)), "the device handle is a plain send handle");
    check(1, sys_ioport_create(startup.given, 0x80, 1) < 0, "no I/O ports from the device handle");
    check(2, drv_pci_write(&dev, 0x10, 4, 0) == -E_PERM, "BAR 0 write refused");
    check(3, drv_pci_write(&dev, 0x24, 2, 0) == -E_PERM, "BAR 5 write refused");
    check(4, drv_pci_write(&dev, 0x100, 4, 0) == -E_INVAL, "write beyond config space refused");
    uint32_t v;
    check(5, drv_pci_read(&dev, 0x03, 2, &v) == -E_INVAL, "misaligned read refused");
    check(6, drv_pci_read(&dev, 0, 4, &v) == 0 && v == (dev.vendor | dev.device << 16), "ids read back");
    struct drv_mmio m;
    check(7, drv_map_bar(&dev, 9, false, &m) == -E_NOENT, "no BAR 9");
    handle_t a = HANDLE_NONE, b = HANDLE_NONE;
    bool io;
    uint64_t base, size;
    check(8, device_resource(dev.dm, 4, false, &a, &io, &base, &size) == 0 &&
                 device_resource(dev.dm, 4, false, &b, &io, &base, &size) == 0 && a != b,
          "a new handle for each resource call");
    if (a != HANDLE_NONE)
        sys_handle_close(a);
    if (b != HANDLE_NONE)
        sys_handle_close(b);
    check(9, drv_ready(&dev, "", HANDLE_NONE) == -E_INVAL, "ready without a name or service refused");
}

/* One request to virtio-rng, completed through an MSI-X interrupt. */
static void read_random(handle_t ep) {
    struct virtio_pci vp;
    struct drv_irq irq;
    struct virtq q;
    struct drv_dma buf;
    int err = virtio_pci_init(&dev, &vp, 0);
    if (!err)
        err = drv_pci_enable(&dev);
    if (!err)
        err = drv_irq_msi(&dev, ep, BIT_IRQ, &irq);
    if (!err)
        err = drv_pci_msix_set(&dev, 0, &irq);
    if (!err)
        err = virtq_setup(&vp, 0, 8, 0, &q);
    if (!err)
        err = virtio_pci_ready(&vp);
    if (!err)
        err = drv_dma_alloc(4096, &buf);
    if (err) {
        log_printf("dmtest: driver: virtio set-up failed: %s\n", err_str(err));
        check(10, false, "virtio set-up");
        return;
    }
    struct virtq_buf vb = {.phys = buf.phys, .len = RANDOM_BYTES, .device_writes = true};
    int head = virtq_submit(&q, &vb, 1);
    long bits = head < 0 ? head : drv_wait(ep, 5 * SEC, NULL, NULL);
    uint32_t len = 0;
    if (bits > 0 && (bits & BIT_IRQ)) {
        irqs++;
        if (virtq_get_used(&q, &len) == head)
            random_bytes = len;
    }
    check(11, random_bytes == RANDOM_BYTES, "random bytes through the virtqueue");
    log_printf("dmtest: driver read %u random bytes (interrupt %s)\n", random_bytes, bits > 0 ? "seen" : "missing");
}

static bool hanging;

static int on_info(void *ctx, const struct ipc_msg *req, uint32_t *task_id, uint32_t *vendor, uint32_t *device,
                   uint32_t *rb, uint32_t *ni, uint32_t *fc) {
    *task_id = my_id;
    *vendor = dev.vendor;
    *device = dev.device;
    *rb = random_bytes;
    *ni = irqs;
    *fc = failed_checks;
    return 0;
}

static int on_crash(void *ctx, const struct ipc_msg *req) {
    log_printf("dmtest: driver crashing on request\n");
    *(volatile int *)0 = 1;
    return 0;
}

static int on_hang(void *ctx, const struct ipc_msg *req) {
    log_printf("dmtest: driver hanging on request\n");
    hanging = true;
    return 0;
}

static const struct dmtest_server server = {.info = on_info, .crash = on_crash, .hang = on_hang};

static int driver_main(const char *mode) {
    int err = drv_open(&dev);
    if (err) {
        log_printf("dmtest: driver: no device: %s\n", err_str(err));
        return 1;
    }
    if (!strcmp(mode, "crash")) {
        log_printf("dmtest: driver for %02x:%02x.%x crashing on purpose\n", dev.bus, dev.slot, dev.func);
        *(volatile int *)0 = 1;
    }
    if (!strcmp(mode, "stall")) {
        log_printf("dmtest: driver for %02x:%02x.%x never getting ready\n", dev.bus, dev.slot, dev.func);
        long dead = sys_endpoint_create();
        struct ipc_msg m;
        for (;;)
            ipc_recv((handle_t)dead, &m);
    }
    struct task_info ti;
    sys_task_info(HANDLE_SELF, &ti);
    my_id = ti.id;
    long e = sys_endpoint_create();
    if (e < 0)
        return 1;
    handle_t ep = (handle_t)e;
    policy_checks();
    read_random(ep);
    err = drv_ready(&dev, "dmtest", ep);
    if (err) {
        log_printf("dmtest: driver: ready failed: %s\n", err_str(err));
        return 1;
    }
    for (;;) {
        struct ipc_msg m;
        if (ipc_recv(ep, &m) < 0)
            continue;
        if (m.flags & IPC_MSG_NOTIFY) {
            irqs++;
            continue;
        }
        if (drv_serve_ping(&m))
            continue;
        int d = dmtest_dispatch(&server, NULL, &m);
        if (d == -E_NOSYS)
            d = idl_reject(&m, -E_NOSYS);
        if (d == 1)
            ipc_reply(&m);
        if (hanging) {
            long dead = sys_endpoint_create();   /* nobody will ever send here */
            for (;;)
                ipc_recv((handle_t)dead, &m);
        }
    }
}

/* ======== the suite ======== */

static handle_t dm = HANDLE_NONE;

struct devinfo {
    uint32_t vendor, device, class_code, location, state, restarts;
    char driver[64];
};

static int device_at(uint32_t i, struct devinfo *d) {
    return dm_device(dm, i, &d->vendor, &d->device, &d->class_code, &d->location, d->driver, sizeof(d->driver),
                     &d->state, &d->restarts);
}

/* The index of the first device vendor:device, or -1. */
static int find(uint32_t vendor, uint32_t device, struct devinfo *d) {
    for (uint32_t i = 0; device_at(i, d) == 0; i++)
        if (d->vendor == vendor && d->device == device)
            return (int)i;
    return -1;
}

/* dm.lookup("dmtest"), retried while dm says it is (re)starting. */
static handle_t lookup_driver(uint64_t timeout_ns, bool *saw_again) {
    uint64_t deadline = sys_clock() + timeout_ns;
    for (;;) {
        handle_t h = HANDLE_NONE;
        int err = dm_lookup(dm, "dmtest", &h);
        if (err == 0)
            return h;
        if (err == -E_AGAIN && saw_again)
            *saw_again = true;
        if ((err != -E_AGAIN && err != -E_NOENT) || sys_clock() > deadline)
            return HANDLE_NONE;
        sleep_ns(50 * MS);
    }
}

struct drvinfo {
    uint32_t task_id, vendor, device, random_bytes, irqs, failed_checks;
};

static int driver_info(handle_t h, struct drvinfo *i) {
    return dmtest_info(h, &i->task_id, &i->vendor, &i->device, &i->random_bytes, &i->irqs, &i->failed_checks);
}

/* The driver's info through a fresh lookup, once it is a task other than
 * `old` (0: any), within timeout_ns. */
static int current_driver(uint32_t old, uint64_t timeout_ns, struct drvinfo *i, bool *saw_again) {
    uint64_t deadline = sys_clock() + timeout_ns;
    while (sys_clock() < deadline) {
        handle_t h = lookup_driver(deadline - sys_clock(), saw_again);
        if (h == HANDLE_NONE)
            return -E_TIMEDOUT;
        int err = driver_info(h, i);
        sys_handle_close(h);
        if (err == 0 && i->task_id != old)
            return 0;
        /* -E_PEER: dm has not seen it end yet; the same task: not restarted yet */
        sleep_ns(50 * MS);
    }
    return -E_TIMEDOUT;
}

static struct drvinfo first;

static void t_devices(void) {
    struct devinfo d;
    int rng = find(0x1af4, 0x1044, &d);
    EXPECT(rng >= 0);
    EXPECT(!strcmp(d.driver, "tests/dmtest"));
    EXPECT(d.state == 2 || d.state == 1);
    EXPECT(d.location >> 16 != 0);   /* behind the root port: not bus 0 */
    /* A device without a driver: the host bridge at 00:00.0. */
    EXPECT(device_at(0, &d) == 0 && d.location == 0 && d.state == 0 && d.driver[0] == 0);
    uint32_t n = 0;
    while (device_at(n, &d) == 0)
        n++;
    EXPECT(n >= 4);
    EXPECT(device_at(n, &d) == -E_NOENT);
}

static void t_driver_works(void) {
    EXPECT(current_driver(0, 10 * SEC, &first, NULL) == 0);
    EXPECT(first.vendor == 0x1af4 && first.device == 0x1044);
    EXPECT(first.failed_checks == 0);
    EXPECT(first.random_bytes == RANDOM_BYTES);
    EXPECT(first.irqs >= 1);
}

static void t_not_a_device(void) {
    /* Our handle to dm (from init) does not reach the device interface. */
    uint32_t v;
    EXPECT(device_config_read(dm, 0, 4, &v) == -E_NOSYS);
    handle_t h = HANDLE_NONE;
    EXPECT(dm_lookup(dm, "no-such-driver", &h) == -E_NOENT && h == HANDLE_NONE);
}

static void t_crash_restart(void) {
    handle_t h = lookup_driver(5 * SEC, NULL);
    EXPECT(h != HANDLE_NONE);
    EXPECT(dmtest_crash(h) == -E_PEER);
    sys_handle_close(h);
    struct drvinfo now;
    bool saw_again = false;
    EXPECT(current_driver(first.task_id, 10 * SEC, &now, &saw_again) == 0);
    EXPECT(now.task_id != first.task_id && now.failed_checks == 0 && now.random_bytes == RANDOM_BYTES);
    EXPECT(saw_again);   /* during the back-off dm says "try again" */
    struct devinfo d;
    EXPECT(find(0x1af4, 0x1044, &d) >= 0 && d.restarts == 1 && d.state == 2);
    first = now;
}

static void t_hang_restart(void) {
    handle_t h = lookup_driver(5 * SEC, NULL);
    EXPECT(h != HANDLE_NONE);
    EXPECT(dmtest_hang(h) == 0);
    sys_handle_close(h);
    /* Do not call the hung one: wait for dm to count a restart. */
    struct devinfo d;
    uint64_t deadline = sys_clock() + 15 * SEC;
    while (sys_clock() < deadline && !(find(0x1af4, 0x1044, &d) >= 0 && d.restarts == 2 && d.state == 2)) {
        sleep_ns(100 * MS);
    }
    EXPECT(d.restarts == 2 && d.state == 2);
    struct drvinfo now;
    EXPECT(current_driver(first.task_id, 10 * SEC, &now, NULL) == 0);
    EXPECT(now.task_id != first.task_id && now.failed_checks == 0);
}

static void t_gave_up(void) {
    /* virtio-balloon's driver crashes every time: dm gives up on it. */
    struct devinfo d;
    uint64_t deadline = sys_clock() + 20 * SEC;
    while (sys_clock() < deadline && !(find(0x1af4, 0x1045, &d) >= 0 && d.state == 3)) {
        sleep_ns(100 * MS);
    }
    EXPECT(find(0x1af4, 0x1045, &d) >= 0);
    EXPECT(d.state == 3 && d.restarts == 5 && !strcmp(d.driver, "tests/dmtest"));
}

static void t_never_ready(void) {
    /* virtio-input's driver never reports ready: still starting, not
     * restarted yet (that takes 20 s), and nobody waited for it. */
    struct devinfo d;
    EXPECT(find(0x1af4, 0x1052, &d) >= 0);
    EXPECT(d.state == 1 && d.restarts == 0);
}

static int suite_main(void) {
    int err = init_lookup(startup.bootstrap, "dm", &dm);
    if (err) {
        log_printf("dmtest: cannot look dm up: %s\n", err_str(err));
        return 1;
    }
    run("devices", t_devices);
    run("driver_works", t_driver_works);
    run("not_a_device", t_not_a_device);
    run("crash_restart", t_crash_restart);
    run("hang_restart", t_hang_restart);
    run("gave_up", t_gave_up);
    run("never_ready", t_never_ready);
    return guest_done();
}

int main(int argc, char **argv) {
    if (argc >= 2 && !strcmp(argv[1], "driver"))
        return driver_main(argc >= 3 ? argv[2] : "");
    return suite_main();
}
