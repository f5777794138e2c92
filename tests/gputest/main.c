/*
 * gputest (test=gputest): the display driver dm offers as "gpu"
 * (servers/virtio_gpu or servers/fbdev), driven through gpu_device the way
 * a client would, with tests/qemu/test_gpu.py looking at the screen:
 *
 *   gputest: pattern shown WxH                 four quadrants: red, green, blue, yellow
 *   gputest: rect flushed X Y W H corner X Y W H decoy X Y W H
 *            magenta rectangles at the first two places (the corner one clipped by
 *            the driver); the decoy was drawn in cyan but not flushed, so the screen
 *            must not show it
 *   gputest: redrawn after restart             (only if the driver crashed: dm restarted it)
 *
 * After each of these lines it waits for a key press (QMP input-send-event,
 * through ps2) so the host can take its screendump first; with no input
 * service it waits GO_FALLBACK instead.
 *
 * The restart test: the driver must die, by the boot option
 * virtio_gpu.crash_after=1 or fbdev.crash_after=1 or, failing that on
 * virtio-gpu, because we reset its device under it (see restart()); our
 * call fails with -E_PEER, and we look "gpu" up again at dm, take the new
 * buffers, redraw and show the same picture. On fbdev without the option
 * there is no restart test.
 *
 * "gputest bench" (bench=gputest/display) times show_buffer and small
 * flushes instead.
 */
#include <common/string.h>
#include <driver/gpu.h>
#include <tessera/input.h>
#include <tessera/runtime.h>
#include <tessera/syscall.h>
#define GUEST_TEST_NAME "gputest"
#include "../guest_test.h"
#include "idl/dm.h"
#include "idl/gpu_device.h"
#include "idl/init.h"
#include "idl/input.h"

#define MS 1000000ull
#define SEC 1000000000ull
#define LOOKUP_TIMEOUT (10 * SEC)
#define GO_TIMEOUT (60 * SEC)
#define GO_FALLBACK (3 * SEC)
#define RING_BYTES 4096

#define RED 0x00ff0000u
#define GREEN 0x0000ff00u
#define BLUE 0x000000ffu
#define YELLOW 0x00ffff00u
#define MAGENTA 0x00ff00ffu
#define CYAN 0x0000ffffu

static handle_t dm = HANDLE_NONE, gpu = HANDLE_NONE;
static uint32_t width, height, stride;
static uint32_t *pixels[2];
static uint64_t mapped_size[2];
static struct gpu_rect target, corner, decoy;
static bool have_display;

/* ---- helpers ---- */


static uint64_t us_since(uint64_t t0) { return (sys_clock() - t0) / 1000; }

/* ---- the go from the host: a key press ---- */

static struct input_ring *ring;
static handle_t ring_ep = HANDLE_NONE;

static void subscribe_input(void) {
    handle_t input = HANDLE_NONE;
    if (dm_lookup_wait(dm, "input", LOOKUP_TIMEOUT, &input)) {
        log_printf("gputest: no input service; waiting %llu s at each step instead\n",
                   (unsigned long long)(GO_FALLBACK / SEC));
        return;
    }
    handle_t mem;
    struct input_ring *r = mem_alloc(RING_BYTES, &mem);
    long ep = sys_endpoint_create();
    if (!r || ep < 0)
        return;
    long ring_h = sys_handle_dup(mem, RIGHT_READ | RIGHT_WRITE | RIGHT_TRANSFER, 0);
    long notify_h = sys_handle_dup((handle_t)ep, RIGHT_NOTIFY | RIGHT_TRANSFER, 0);
    long task_h = sys_handle_dup(startup.self, RIGHT_WATCH | RIGHT_TRANSFER, 0);
    sys_handle_close(mem);
    int err = input_subscribe(input, ring_h < 0 ? HANDLE_NONE : (handle_t)ring_h,
                              notify_h < 0 ? HANDLE_NONE : (handle_t)notify_h,
                              task_h < 0 ? HANDLE_NONE : (handle_t)task_h, 1);
    if (err || r->magic != INPUT_RING_MAGIC) {
        log_printf("gputest: cannot subscribe to input (%s); waiting %llu s at each step instead\n",
                   err_str(err), (unsigned long long)(GO_FALLBACK / SEC));
        return;
    }
    ring = r;
    ring_ep = (handle_t)ep;
}

static void wait_for_go(void) {
    if (!ring) {
        sleep_ns(GO_FALLBACK);
        return;
    }
    uint64_t deadline = sys_clock() + GO_TIMEOUT;
    for (;;) {
        struct input_event ev;
        while (input_ring_pop(ring, &ev))
            if (ev.type == INPUT_EV_KEY && ev.down)
                return;
        uint64_t now = sys_clock();
        if (now >= deadline) {
            log_printf("gputest: no key press from the host in %llu s; going on\n",
                       (unsigned long long)(GO_TIMEOUT / SEC));
            return;
        }
        struct ipc_msg m;
        sys_ipc(HANDLE_NONE, ring_ep, &m, IPC_RECV, deadline - now);
    }
}

/* ---- the display ---- */

/* Looks "gpu" up at dm, retrying while the driver (re)starts. */
static int connect(void) {
    if (gpu != HANDLE_NONE)
        sys_handle_close(gpu);
    gpu = HANDLE_NONE;
    return dm_lookup_wait(dm, "gpu", LOOKUP_TIMEOUT, &gpu);
}

static void unmap_buffers(void) {
    for (int i = 0; i < 2; i++) {
        if (pixels[i]) {
            sys_vm_unmap(HANDLE_SELF, (uintptr_t)pixels[i], mapped_size[i]);
            vm_release((uintptr_t)pixels[i], mapped_size[i]);
        }
        pixels[i] = NULL;
    }
}

/* display_info, then both buffers mapped. */
static int map_buffers(void) {
    unmap_buffers();
    uint32_t pw, ph;
    int err = gpu_device_display_info(gpu, &width, &height, &stride, &pw, &ph);
    if (err)
        return err;
    for (int i = 0; i < 2; i++) {
        handle_t shm;
        uint32_t w, h, s;
        err = gpu_device_get_buffer(gpu, (uint32_t)i, &shm, &w, &h, &s);
        if (err)
            return err;
        struct handle_info info;
        if (w != width || h != height || s != stride || sys_handle_info(shm, &info) < 0 ||
            info.size < (uint64_t)stride * height) {
            sys_handle_close(shm);
            return -E_RANGE;
        }
        uintptr_t va = vm_reserve(info.size);
        long r = sys_vm_map(HANDLE_SELF, shm, 0, va, info.size, PROT_R | PROT_W);
        sys_handle_close(shm);   /* the mapping keeps it */
        if (r < 0)
            return (int)r;
        pixels[i] = (uint32_t *)va;
        mapped_size[i] = info.size;
    }
    return 0;
}

static void fill(uint32_t *p, const struct gpu_rect *r, uint32_t colour) {
    for (uint32_t y = r->y; y < r->y + r->h && y < height; y++)
        for (uint32_t x = r->x; x < r->x + r->w && x < width; x++)
            p[(uint64_t)y * (stride / 4) + x] = colour;
}

static void draw_pattern(uint32_t *p) {
    uint32_t hw = width / 2, hh = height / 2;
    fill(p, &(struct gpu_rect){0, 0, hw, hh}, RED);
    fill(p, &(struct gpu_rect){hw, 0, width - hw, hh}, GREEN);
    fill(p, &(struct gpu_rect){0, hh, hw, height - hh}, BLUE);
    fill(p, &(struct gpu_rect){hw, hh, width - hw, height - hh}, YELLOW);
}

/* ---- a device that stops answering ---- */

#define PCI_ADDR 0xcf8
#define VIRTIO_CAP_COMMON 1
#define COMMON_DEVICE_STATUS 20

static handle_t pci_io = HANDLE_NONE;

static uint32_t pci_read(uint32_t slot, uint32_t offset) {
    sys_ioport_out(pci_io, PCI_ADDR, 4, 0x80000000u | slot << 11 | (offset & 0xfc));
    return (uint32_t)sys_ioport_in(pci_io, PCI_ADDR + 4, 4);
}

/*
 * Resets the virtio-gpu behind its driver's back, as a device that stops
 * answering would look to it: finds 1af4:1050 on PCI bus 0 through the
 * configuration ports (tests get the root resource), then its common
 * configuration (virtio vendor capability, cfg_type 1) and writes 0 to
 * device_status there. Config space is dm's; it is idle by now (all its
 * drivers are up). -E_NOENT if there is no virtio-gpu (fbdev).
 */
static int reset_virtio_gpu(void) {
    if (pci_io == HANDLE_NONE) {
        long io = sys_ioport_create(startup.given, PCI_ADDR, 8);
        if (io < 0)
            return (int)io;
        pci_io = (handle_t)io;
    }
    for (uint32_t slot = 0; slot < 32; slot++) {
        if (pci_read(slot, 0) != (0x1050u << 16 | 0x1af4u))
            continue;
        unsigned guard = 0;
        for (uint32_t cap = pci_read(slot, 0x34) & 0xfc; cap && guard < 48; guard++) {
            uint32_t head = pci_read(slot, cap);
            if ((head & 0xff) == 0x09 && (head >> 24 & 0xff) == VIRTIO_CAP_COMMON) {
                uint32_t bar = pci_read(slot, cap + 4) & 0xff, offset = pci_read(slot, cap + 8);
                if (bar > 5)
                    return -E_IO;
                uint32_t lo = pci_read(slot, 0x10 + 4 * bar);
                uint64_t base = lo & ~0xfull;
                if ((lo & 0x7) == 0x4 && bar < 5)
                    base |= (uint64_t)pci_read(slot, 0x14 + 4 * bar) << 32;
                uint64_t addr = base + offset, page = addr & ~(PAGE_SIZE - 1);
                long mem = sys_mem_device(startup.given, page, PAGE_SIZE, 0);
                if (mem < 0)
                    return (int)mem;
                uintptr_t va = vm_reserve(PAGE_SIZE);
                long r = sys_vm_map(HANDLE_SELF, (handle_t)mem, 0, va, PAGE_SIZE, PROT_R | PROT_W);
                sys_handle_close((handle_t)mem);
                if (r < 0)
                    return (int)r;
                *(volatile uint8_t *)(va + (addr - page) + COMMON_DEVICE_STATUS) = 0;
                sys_vm_unmap(HANDLE_SELF, va, PAGE_SIZE);
                log_printf("gputest: reset the virtio-gpu at 00:%02x.0 behind its driver\n", slot);
                return 0;
            }
            cap = head >> 8 & 0xfc;
        }
        return -E_IO;
    }
    return -E_NOENT;
}

/* ---- tests ---- */

static void test_lookup(void) {
    int err = connect();
    if (err)
        log_printf("gputest: dm lookup of gpu: %s\n", err_str(err));
    EXPECT(err == 0);
}

static void test_display_info(void) {
    uint32_t w = 0, h = 0, s = 0, pw = 0, ph = 0, n = 0;
    EXPECT(gpu_device_display_info(gpu, &w, &h, &s, &pw, &ph) == 0);
    EXPECT(gpu_mode_sane(w, h));
    EXPECT(s >= w * 4 && s % 4 == 0);
    EXPECT(gpu_mode_sane(pw, ph));
    EXPECT(gpu_device_num_buffers(gpu, &n) == 0);
    EXPECT(n >= 2);
    log_printf("gputest: display %ux%u stride %u, preferred %ux%u, %u buffers\n", w, h, s, pw, ph, n);
}

/* A new mode where the driver can change it (virtio_gpu), -E_NOTSUP where
 * it cannot (fbdev); the current mode is always accepted. */
static void test_set_mode(void) {
    uint32_t w0, h0, s0, pw, ph;
    EXPECT(gpu_device_display_info(gpu, &w0, &h0, &s0, &pw, &ph) == 0);
    int err = gpu_device_set_mode(gpu, 640, 480);
    EXPECT(err == 0 || err == -E_NOTSUP);
    uint32_t w, h, s;
    EXPECT(gpu_device_display_info(gpu, &w, &h, &s, &pw, &ph) == 0);
    if (err == 0) {
        EXPECT(w == 640 && h == 480 && s >= 640 * 4);
        handle_t shm;
        uint32_t bw = 0, bh = 0, bs = 0;
        EXPECT(gpu_device_get_buffer(gpu, 1, &shm, &bw, &bh, &bs) == 0);
        EXPECT(bw == 640 && bh == 480 && bs == s);
        sys_handle_close(shm);
    } else {
        EXPECT(w == w0 && h == h0);
    }
    EXPECT(gpu_device_set_mode(gpu, w0, h0) == 0);
    EXPECT(gpu_device_display_info(gpu, &w, &h, &s, &pw, &ph) == 0);
    EXPECT(w == w0 && h == h0 && s == s0);
}

static void test_bad_requests(void) {
    handle_t shm;
    uint32_t w, h, s;
    EXPECT(gpu_device_get_buffer(gpu, 2, &shm, &w, &h, &s) == -E_INVAL);
    EXPECT(gpu_device_get_buffer(gpu, 0xffffffffu, &shm, &w, &h, &s) == -E_INVAL);
    EXPECT(gpu_device_show_buffer(gpu, 7) == -E_INVAL);
    EXPECT(gpu_device_set_mode(gpu, 0, 480) == -E_INVAL);
    EXPECT(gpu_device_set_mode(gpu, 100000, 100000) == -E_INVAL);
    struct gpu_rect r[GPU_MAX_RECTS + 1];
    memset(r, 0, sizeof(r));
    /* Nothing is on screen yet: flushing a buffer that is not shown is refused. */
    EXPECT(gpu_device_flush(gpu, 0, r, sizeof(r[0])) == -E_INVAL);
    EXPECT(gpu_device_flush(gpu, 5, r, sizeof(r[0])) == -E_INVAL);
}

static void test_map_buffers(void) {
    int err = map_buffers();
    if (err)
        log_printf("gputest: mapping the buffers: %s\n", err_str(err));
    EXPECT(err == 0);
    if (err)
        return;
    /* Both are writable and distinct. */
    pixels[0][0] = 0x12345678u;
    pixels[1][0] = 0x9abcdef0u;
    EXPECT(pixels[0][0] == 0x12345678u && pixels[1][0] == 0x9abcdef0u);
    have_display = true;
}

static void test_show_pattern(void) {
    if (!have_display) {
        EXPECT(have_display);
        return;
    }
    draw_pattern(pixels[0]);
    fill(pixels[1], &(struct gpu_rect){0, 0, width, height}, 0);
    uint64_t t0 = sys_clock();
    int err = gpu_device_show_buffer(gpu, 0);
    uint64_t us = us_since(t0);
    EXPECT(err == 0);
    log_printf("gputest: show_buffer of %ux%u took %llu us\n", width, height, (unsigned long long)us);
    /* Garbage in flush, now that buffer 0 is shown. */
    struct gpu_rect r[GPU_MAX_RECTS + 1];
    memset(r, 0, sizeof(r));
    EXPECT(gpu_device_flush(gpu, 1, r, sizeof(r[0])) == -E_INVAL);         /* not on screen */
    EXPECT(gpu_device_flush(gpu, 0, r, sizeof(r[0]) - 1) == -E_INVAL);     /* not whole rects */
    EXPECT(gpu_device_flush(gpu, 0, r, sizeof(r)) == -E_INVAL);            /* too many */
    r[0] = (struct gpu_rect){0xfffffff0u, 0, 0x20, 1};
    EXPECT(gpu_device_flush(gpu, 0, r, sizeof(r[0])) == -E_INVAL);         /* overflows */
    log_printf("gputest: pattern shown %ux%u\n", width, height);
    wait_for_go();
}

static void draw_flushed_state(uint32_t *p) {
    fill(p, &target, MAGENTA);
    fill(p, &corner, MAGENTA);
}

static void test_flush_rect(void) {
    if (!have_display) {
        EXPECT(have_display);
        return;
    }
    target = (struct gpu_rect){width / 8, height / 8, 64, 48};
    decoy = (struct gpu_rect){width / 8 + 96, height / 8, 64, 48};
    corner = (struct gpu_rect){width - 16, height - 12, 16, 12};
    fill(pixels[0], &decoy, CYAN);
    draw_flushed_state(pixels[0]);
    struct gpu_rect rects[4] = {
        target,
        {corner.x, corner.y, 100, 100},   /* the driver clips it to the corner */
        {width + 10, 0, 5, 5},            /* off screen: dropped */
        {0, 0, 0, 5},                     /* empty: dropped */
    };
    uint64_t t0 = sys_clock();
    int err = gpu_device_flush(gpu, 0, rects, sizeof(rects));
    uint64_t us = us_since(t0);
    EXPECT(err == 0);
    EXPECT(gpu_device_flush(gpu, 0, NULL, 0) == 0);   /* nothing to do */
    log_printf("gputest: flush of %ux%u and %ux%u took %llu us\n", target.w, target.h, corner.w, corner.h,
               (unsigned long long)us);
    log_printf("gputest: rect flushed %u %u %u %u corner %u %u %u %u decoy %u %u %u %u\n", target.x, target.y,
               target.w, target.h, corner.x, corner.y, corner.w, corner.h, decoy.x, decoy.y, decoy.w, decoy.h);
    wait_for_go();
}

/*
 * The driver dies and dm restarts it: with virtio_gpu.crash_after=1 or
 * fbdev.crash_after=1 it faults at this second flush; otherwise we reset the virtio-gpu under it
 * (a device that stops answering), and its next command times out. Returns true if the restart test ran (not on fbdev).
 */
static bool restart(void) {
    int err = gpu_device_flush(gpu, 0, &target, sizeof(target));
    if (err == 0) {
        int r = reset_virtio_gpu();
        if (r == -E_NOENT) {
            log_printf("gputest: no virtio-gpu to fail; no restart test\n");
            return false;
        }
        if (r < 0) {
            log_printf("gputest: cannot reset the virtio-gpu: %s\n", err_str(r));
            EXPECT(r == 0);
            return true;
        }
        uint64_t t0 = sys_clock();
        err = gpu_device_flush(gpu, 0, &target, sizeof(target));
        log_printf("gputest: flush to the reset device failed after %llu ms\n",
                   (unsigned long long)(us_since(t0) / 1000));
    }
    log_printf("gputest: flush failed (%s); looking the driver up again\n", err_str(err));
    EXPECT(err == -E_PEER);
    uint64_t t0 = sys_clock();
    err = connect();
    EXPECT(err == 0);
    if (err) {
        log_printf("gputest: no gpu after the restart: %s\n", err_str(err));
        return true;
    }
    log_printf("gputest: the driver was back after %llu ms\n", (unsigned long long)(us_since(t0) / 1000));
    err = map_buffers();
    EXPECT(err == 0);
    if (err) {
        log_printf("gputest: buffers after the restart: %s\n", err_str(err));
        return true;
    }
    draw_pattern(pixels[0]);
    draw_flushed_state(pixels[0]);
    EXPECT(gpu_device_show_buffer(gpu, 0) == 0);
    log_printf("gputest: redrawn after restart\n");
    wait_for_go();
    return true;
}

/* ---- bench=gputest/display ---- */

static void sort(uint64_t *v, int n) {
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
            uint64_t t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
}

static int bench(void) {
    if (connect() || map_buffers()) {
        log_printf("gputest: no display to time\n");
        return 1;
    }
    enum { N = 20 };
    uint64_t show[N], small[N], row[N];
    draw_pattern(pixels[0]);
    draw_pattern(pixels[1]);
    struct gpu_rect r = {width / 4, height / 4, 64, 64}, line = {0, height / 2, width, 16};
    for (int i = 0; i < N; i++) {
        uint64_t t0 = sys_clock();
        gpu_device_show_buffer(gpu, (uint32_t)(i & 1));
        show[i] = sys_clock() - t0;
    }
    gpu_device_show_buffer(gpu, 0);
    for (int i = 0; i < N; i++) {
        uint64_t t0 = sys_clock();
        gpu_device_flush(gpu, 0, &r, sizeof(r));
        small[i] = sys_clock() - t0;
        t0 = sys_clock();
        gpu_device_flush(gpu, 0, &line, sizeof(line));
        row[i] = sys_clock() - t0;
    }
    sort(show, N);
    sort(small, N);
    sort(row, N);
    log_printf("bench: gpu show_buffer %ux%u us min=%llu median=%llu\n", width, height,
               (unsigned long long)show[0] / 1000, (unsigned long long)show[N / 2] / 1000);
    log_printf("bench: gpu flush 64x64 us min=%llu median=%llu\n", (unsigned long long)small[0] / 1000,
               (unsigned long long)small[N / 2] / 1000);
    log_printf("bench: gpu flush %ux16 us min=%llu median=%llu\n", width, (unsigned long long)row[0] / 1000,
               (unsigned long long)row[N / 2] / 1000);
    return 0;
}

int main(int argc, char **argv) {
    int err = init_lookup(startup.bootstrap, "dm", &dm);
    if (err) {
        log_printf("gputest: no dm: %s\n", err_str(err));
        return 1;
    }
    if (argc > 1 && !strcmp(argv[1], "bench"))
        return bench();
    subscribe_input();
    run("lookup", test_lookup);
    if (gpu == HANDLE_NONE)
        return guest_done();
    run("display_info", test_display_info);
    run("set_mode", test_set_mode);
    run("bad_requests", test_bad_requests);
    run("map_buffers", test_map_buffers);
    run("show_pattern", test_show_pattern);
    run("flush_rect", test_flush_rect);
    if (have_display) {
        /* Counted only if the driver was made to crash. */
        current = "restart";
        current_failed = false;
        if (restart()) {
            if (current_failed) {
                failed++;
            } else {
                passed++;
                log_printf("gputest: PASS restart\n");
            }
        }
    }
    unmap_buffers();
    return guest_done();
}
