/*
 * gui: the desktop (see README.md). Built on musl + Cairo (sysroot/).
 *
 * Double-buffered: a full frame is drawn into the buffer not on screen and
 * then shown; the clock, once a second, is redrawn in the buffer on screen
 * and only its rectangle is flushed (damage only).
 */
#include <cairo.h>
#include <stdio.h>
#include <sys/auxv.h>
#include <string.h>
#include <time.h>
#include <tessera/runtime.h>
#include <tessera/syscall.h>
#include <driver/gpu.h>
#include "idl/dm.h"
#include "idl/gpu_device.h"

#define MS 1000000ull
#define BAR_HEIGHT 28
#define CLOCK_WIDTH 180

static handle_t gpu = HANDLE_NONE;
static uint32_t width, height, stride;
static unsigned char *pixels[2];
static uint64_t mapped[2];
static int shown = -1;

static void sleep_ms(uint64_t ms) {
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* The display: "gpu" at dm (retrying while a driver starts), both buffers mapped. */
static int connect_display(void) {
    if (gpu != HANDLE_NONE)
        sys_handle_close(gpu);
    gpu = HANDLE_NONE;
    for (int i = 0; i < 2; i++) {
        if (pixels[i]) {
            sys_vm_unmap(HANDLE_SELF, (uintptr_t)pixels[i], mapped[i]);
            vm_release((uintptr_t)pixels[i], mapped[i]);
            pixels[i] = NULL;
        }
    }
    handle_t bootstrap = (handle_t)(long)getauxval(AT_TESSERA_BOOTSTRAP);
    int err = driver_lookup(bootstrap, "gpu", 10000 * MS, &gpu);
    if (err)
        return err;
    uint32_t pw, ph;
    if ((err = gpu_device_display_info(gpu, &width, &height, &stride, &pw, &ph)))
        return err;
    for (int i = 0; i < 2; i++) {
        handle_t shm;
        uint32_t w = 0, h = 0, s = 0;
        struct handle_info info;
        if ((err = gpu_device_get_buffer(gpu, (uint32_t)i, &shm, &w, &h, &s)))
            return err;
        if (w != width || h != height || s != stride || sys_handle_info(shm, &info) < 0 ||
            info.size < (uint64_t)stride * height) {
            sys_handle_close(shm);
            return -E_RANGE;
        }
        uintptr_t va = vm_reserve(info.size);
        long r = va ? sys_vm_map(HANDLE_SELF, shm, 0, va, info.size, PROT_R | PROT_W) : -E_NOMEM;
        sys_handle_close(shm);
        if (r < 0)
            return (int)r;
        pixels[i] = (unsigned char *)va;
        mapped[i] = info.size;
    }
    shown = -1;
    return 0;
}

static cairo_t *begin(int buffer, cairo_surface_t **surface) {
    *surface = cairo_image_surface_create_for_data(pixels[buffer], CAIRO_FORMAT_RGB24, (int)width, (int)height,
                                                   (int)stride);
    return cairo_create(*surface);
}

static void end(cairo_t *cr, cairo_surface_t *surface) {
    cairo_destroy(cr);
    cairo_surface_flush(surface);
    cairo_surface_destroy(surface);
}

static void rounded_rect(cairo_t *cr, double x, double y, double w, double h, double r) {
    cairo_new_sub_path(cr);
    cairo_arc(cr, x + w - r, y + r, r, -1.5708, 0);
    cairo_arc(cr, x + w - r, y + h - r, r, 0, 1.5708);
    cairo_arc(cr, x + r, y + h - r, r, 1.5708, 3.14159);
    cairo_arc(cr, x + r, y + r, r, 3.14159, 4.71239);
    cairo_close_path(cr);
}

static void draw_clock(cairo_t *cr) {
    double x = width > CLOCK_WIDTH ? width - CLOCK_WIDTH : 0;
    cairo_rectangle(cr, x, 0, CLOCK_WIDTH, BAR_HEIGHT);
    cairo_set_source_rgb(cr, 0.13, 0.15, 0.18);
    cairo_fill(cr);
    char text[40] = "--:--";
    struct timespec ts;
    if (clock_gettime(CLOCK_REALTIME, &ts) == 0) {
        struct tm tm;
        gmtime_r(&ts.tv_sec, &tm);
        strftime(text, sizeof(text), "%a %d %b  %H:%M:%S", &tm);
    }
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, 14);
    cairo_text_extents_t ext;
    cairo_text_extents(cr, text, &ext);
    cairo_move_to(cr, width - 12 - ext.x_advance, 19);
    cairo_set_source_rgb(cr, 0.92, 0.93, 0.95);
    cairo_show_text(cr, text);
}

static void draw_desktop(cairo_t *cr) {
    cairo_pattern_t *bg = cairo_pattern_create_linear(0, 0, 0, height);
    cairo_pattern_add_color_stop_rgb(bg, 0, 0.11, 0.30, 0.38);
    cairo_pattern_add_color_stop_rgb(bg, 1, 0.04, 0.10, 0.16);
    cairo_set_source(cr, bg);
    cairo_paint(cr);
    cairo_pattern_destroy(bg);
    /* menu bar */
    cairo_rectangle(cr, 0, 0, width, BAR_HEIGHT);
    cairo_set_source_rgb(cr, 0.13, 0.15, 0.18);
    cairo_fill(cr);
    /* the start button, top left */
    rounded_rect(cr, 4, 3, 92, BAR_HEIGHT - 6, 6);
    cairo_set_source_rgb(cr, 0.20, 0.45, 0.80);
    cairo_fill(cr);
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
    cairo_set_font_size(cr, 14);
    cairo_move_to(cr, 16, 19);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_show_text(cr, "Tessera");
    draw_clock(cr);
}

/* A whole new frame in the buffer not on screen, then shown. */
static int present_full(void) {
    int back = shown == 0 ? 1 : 0;
    cairo_surface_t *s;
    cairo_t *cr = begin(back, &s);
    draw_desktop(cr);
    end(cr, s);
    int err = gpu_device_show_buffer(gpu, (uint32_t)back);
    if (!err)
        shown = back;
    return err;
}

/* The clock only, in the buffer on screen: one small rectangle flushed. */
static int present_clock(void) {
    cairo_surface_t *s;
    cairo_t *cr = begin(shown, &s);
    draw_clock(cr);
    end(cr, s);
    struct gpu_rect r = {width > CLOCK_WIDTH ? width - CLOCK_WIDTH : 0, 0, CLOCK_WIDTH, BAR_HEIGHT};
    return gpu_device_flush(gpu, (uint32_t)shown, &r, sizeof(r));
}

int main(int argc, char **argv) {
    (void)argc;
    (void)argv;
    int err;
    for (int failures = 0; failures < 10;) {
        err = connect_display();
        if (!err)
            err = present_full();
        if (err) {
            log_printf("gui: no display (%s); trying again\n", err_str(err));
            failures++;
            sleep_ms(500);
            continue;
        }
        log_printf("gui: desktop on a %ux%u display\n", width, height);
        while (!(err = present_clock()))
            sleep_ms(1000);
        /* The driver went away (restarted by dm): connect again, redraw all. */
        log_printf("gui: display lost (%s); reconnecting\n", err_str(err));
    }
    log_printf("gui: giving up on the display\n");
    return 1;
}
