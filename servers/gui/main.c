/*
 * gui: the desktop and the windows of libui apps (see README.md and gui.h).
 * Built on musl + Cairo (sysroot/).
 *
 * One endpoint, one loop: app calls (gui.idl) and notifications (input,
 * the clock, client tasks ending) arrive on it. Each round handles
 * everything pending, then presents once (coalescing).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <time.h>
#include <tessera/runtime.h>
#include <tessera/syscall.h>
#include <driver/gpu.h>
#include "gui.h"
#include "idl/dm.h"
#include "idl/gpu_device.h"

#define MAX_DRAIN 64    /* messages handled before presenting */
#define MIN_SCREEN_W 640
#define MIN_SCREEN_H 480

handle_t gui_ep = HANDLE_NONE, bootstrap = HANDLE_NONE;
struct theme theme;
int32_t screen_w, screen_h;
uint64_t now_ns;

static handle_t gpu = HANDLE_NONE;
static uint32_t stride, preferred_w, preferred_h;
static unsigned char *pixels[2];
static uint64_t mapped[2];
static cairo_surface_t *buffers[2];

static void unmap_buffers(void) {
    for (int i = 0; i < 2; i++) {
        if (buffers[i])
            cairo_surface_destroy(buffers[i]);
        buffers[i] = NULL;
        if (pixels[i]) {
            sys_vm_unmap(HANDLE_SELF, (uintptr_t)pixels[i], mapped[i]);
            vm_release((uintptr_t)pixels[i], mapped[i]);
            pixels[i] = NULL;
        }
    }
}

/* Both buffers of the current mode mapped and wrapped as Cairo surfaces. */
static int map_buffers(void) {
    unmap_buffers();
    uint32_t w = 0, h = 0;
    int err = gpu_device_display_info(gpu, &w, &h, &stride, &preferred_w, &preferred_h);
    if (err)
        return err;
    if (!gpu_mode_sane(w, h) || stride < w * GPU_BYTES_PER_PIXEL)
        return -E_RANGE;
    for (int i = 0; i < 2; i++) {
        handle_t shm;
        uint32_t bw = 0, bh = 0, bs = 0;
        struct handle_info info;
        if ((err = gpu_device_get_buffer(gpu, (uint32_t)i, &shm, &bw, &bh, &bs)))
            return err;
        if (bw != w || bh != h || bs != stride || sys_handle_info(shm, &info) < 0 ||
            info.size < (uint64_t)stride * h) {
            sys_handle_close(shm);
            return -E_RANGE;
        }
        uintptr_t va = vm_reserve(info.size);
        long r = va ? sys_vm_map(HANDLE_SELF, shm, 0, va, info.size, PROT_R | PROT_W) : -E_NOMEM;
        sys_handle_close(shm);
        if (r < 0) {
            if (va)
                vm_release(va, info.size);
            return (int)r;
        }
        pixels[i] = (unsigned char *)va;
        mapped[i] = info.size;
        buffers[i] = cairo_image_surface_create_for_data(pixels[i], CAIRO_FORMAT_RGB24, (int)w, (int)h,
                                                         (int)stride);
    }
    screen_w = (int32_t)w;
    screen_h = (int32_t)h;
    compositor_display_changed(buffers[0], buffers[1], -1);
    return 0;
}

/* The display: "gpu" at dm (retrying while a driver starts), both buffers mapped. */
static int connect_display(void) {
    if (gpu != HANDLE_NONE)
        sys_handle_close(gpu);
    gpu = HANDLE_NONE;
    unmap_buffers();
    int err = driver_lookup(bootstrap, "gpu", 10000 * MS, &gpu);
    return err ? err : map_buffers();
}

/* After the mode or the display changed: the desktop fits the screen again. */
static void relayout_screen(void) {
    cursor_move_to(cursor_x, cursor_y);
    for (int i = 0; i < nstack; i++)
        window_keep_on_screen(stack[i]);
    desktop_render();
    damage_all();
}

int display_set_mode(uint32_t w, uint32_t h) {
    if (!gpu_mode_sane(w, h) || w < MIN_SCREEN_W || h < MIN_SCREEN_H)
        return -E_INVAL;   /* the desktop needs room for its menu bar and windows */
    int err = gpu_device_set_mode(gpu, w, h);
    if (!err)
        err = map_buffers();
    if (err) {
        log_printf("gui: display_set %ux%u: %s\n", w, h, err_str(err));
        /* whatever mode the driver kept: use it */
        if (map_buffers() == 0)
            relayout_screen();
        return err;
    }
    log_printf("gui: desktop on a %dx%d display\n", screen_w, screen_h);
    wm_rerender_all();   /* windows fit the new screen */
    relayout_screen();
    return 0;
}

void display_preferred(uint32_t *w, uint32_t *h) {
    *w = preferred_w;
    *h = preferred_h;
}

/* Shows what changed; after a driver restart (-E_PEER) connects again and
 * redraws everything (windows survive). false if the display is gone for good. */
static bool present_or_reconnect(void) {
    int err = present();
    for (int failures = 0; err; ) {
        log_printf("gui: display lost (%s); reconnecting\n", err_str(err));
        if (++failures > 10) {
            log_printf("gui: giving up on the display\n");
            return false;
        }
        err = connect_display();
        /* a mode the display took but cannot show: back to its preferred one */
        if (!err && failures > 1 && gpu_mode_sane(preferred_w, preferred_h) &&
            ((uint32_t)screen_w != preferred_w || (uint32_t)screen_h != preferred_h) &&
            gpu_device_set_mode(gpu, preferred_w, preferred_h) == 0)
            err = map_buffers();
        if (err) {
            sleep_ns(500 * MS);
            continue;
        }
        relayout_screen();
        err = present();
        if (!err)
            log_printf("gui: display back (%dx%d); everything redrawn\n", screen_w, screen_h);
    }
    return true;
}

int gpu_show_buffer(int index) {
    return gpu_device_show_buffer(gpu, (uint32_t)index);
}

/* As many rects a call as fit in one message (fewer than GPU_MAX_RECTS). */
int gpu_flush_rects(int index, const struct gpu_rect *rects, int n) {
    const int per_call = (int)(GPU_DEVICE_FLUSH_RECTS_MAX / sizeof(*rects));
    for (int i = 0; i < n; i += per_call) {
        int k = n - i < per_call ? n - i : per_call;
        int err = gpu_device_flush(gpu, (uint32_t)index, rects + i, (size_t)k * sizeof(*rects));
        if (err)
            return err;
    }
    return 0;
}

static void on_notify(uint64_t bits) {
    if (bits & BIT_INPUT)
        input_drain();
    if (bits & BIT_TASK)
        clients_reap();
    if (bits & BIT_CLOCK) {
        desktop_clock_tick();
        clients_check_hangs();
        input_check();
    }
}

static void handle(struct ipc_msg *m) {
    now_ns = sys_clock();
    if (m->flags & IPC_MSG_NOTIFY) {
        uint64_t bits;
        memcpy(&bits, m->data, sizeof(bits));
        on_notify(bits);
        return;
    }
    gui_handle_request(m);
}

/* The clock ticks at each whole second of wall-clock time. */
static void start_clock(void) {
    long t = sys_timer_create(gui_ep, BIT_CLOCK);
    if (t < 0) {
        log_printf("gui: no timer (%s); the clock stands still\n", err_str(t));
        return;
    }
    struct timespec ts;
    uint64_t delay = SEC;
    if (clock_gettime(CLOCK_REALTIME, &ts) == 0)
        delay = SEC - (uint64_t)ts.tv_nsec + MS;
    sys_timer_set((handle_t)t, delay, SEC);
}

int main(int argc, char **argv) {
    (void)argc;
    (void)argv;
    bootstrap = (handle_t)getauxval(AT_TESSERA_BOOTSTRAP);
    long e = sys_endpoint_create();
    if (e < 0) {
        log_printf("gui: cannot create an endpoint: %s\n", err_str(e));
        return 1;
    }
    gui_ep = (handle_t)e;
    int err = render_init();
    if (err)
        log_printf("gui: fonts: %s (text will be missing)\n", err_str(err));
    themes_load();
    settings_load();
    const char *want = getenv("gui.theme");   /* the boot option wins over what was saved */
    if (!want)
        want = settings_theme();
    if (!want || theme_select(want) != 0) {
        if (want)
            log_printf("gui: no theme \"%s\"; using light\n", want);
        if (theme_select("light") != 0)
            theme_default(&theme);
    }
    desktop_init();

    for (int failures = 0;;) {
        err = connect_display();
        if (!err) {
            cursor_init();
            settings_apply_display();
            relayout_screen();
            err = present();
        }
        if (!err)
            break;
        log_printf("gui: no display (%s); trying again\n", err_str(err));
        if (++failures >= 10) {
            log_printf("gui: giving up on the display\n");
            return 1;
        }
        sleep_ns(500 * MS);
    }
    log_printf("gui: desktop on a %dx%d display\n", screen_w, screen_h);
    /* Ready (and so TESSERA READY) means usable: the mouse and keyboard too. */
    input_start();
    start_clock();
    err = service_ready(bootstrap, gui_ep);
    if (err)
        log_printf("gui: init did not take the ready report: %s\n", err_str(err));
    const char *bench = getenv("gui.bench");
    if (bench && !strcmp(bench, "composite"))
        bench_composite(20);

    struct ipc_msg m;
    for (;;) {
        long r = ipc_recv(gui_ep, &m);
        if (r == 0)
            handle(&m);
        for (int i = 0; i < MAX_DRAIN; i++) {
            if (sys_ipc(HANDLE_NONE, gui_ep, &m, IPC_RECV | IPC_NONBLOCK, 0) < 0)
                break;
            handle(&m);
        }
        clients_notify();
        if (damage_pending() && !present_or_reconnect())
            return 1;
    }
}
