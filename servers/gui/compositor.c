/*
 * The compositor: screen damage, compositing the damaged region (wallpaper,
 * windows back to front, menu bar, start menu, cursor) into a display
 * buffer, and presenting it.
 *
 * Damage is drawn into the buffer on screen and only its rectangles are
 * flushed: both display drivers copy to the screen only at flush/show, so
 * the screen never shows a half-drawn frame. A whole frame (first frame,
 * theme switch, mode change, driver restart) is drawn into the other buffer
 * and shown.
 *
 * Speed (pixman's fast paths): the opaque wallpaper and the opaque middle
 * of each window are copied with OPERATOR_SOURCE; OVER is used only where
 * there is alpha (window shadows and rounded corners, the cursor); every
 * paint is clipped to pixel-aligned rectangles.
 */
#include <stdio.h>
#include <string.h>
#include <tessera/runtime.h>
#include <tessera/syscall.h>
#include <driver/gpu.h>
#include "gui.h"

#define MAX_DAMAGE GPU_MAX_RECTS
#define CURSOR_W 14
#define CURSOR_H 22
#define CURSOR_HOT 1      /* the tip is 1 pixel in from the surface's corner (outline) */

static cairo_surface_t *buffers[2];
static int shown = -1;
static struct ui_rect damage[MAX_DAMAGE];
static int ndamage;
static bool full;

static cairo_surface_t *cursor;
int32_t cursor_x, cursor_y;

static uint64_t latency_from;
uint64_t stat_frames, stat_last_frame_ns, stat_last_damage_px, stat_click_latency_ns;

static struct ui_rect screen_rect(void) {
    return (struct ui_rect){0, 0, screen_w, screen_h};
}

static int64_t area(struct ui_rect r) {
    return ui_rect_empty(r) ? 0 : (int64_t)r.w * r.h;
}

/* Damage as a short list: a rect inside another is dropped; when the list
 * is full the new one joins the rect whose union grows least. */
void damage_add(struct ui_rect r) {
    r = ui_rect_intersect(r, screen_rect());
    if (ui_rect_empty(r) || full)
        return;
    for (int i = 0; i < ndamage; i++) {
        struct ui_rect u = ui_rect_union(damage[i], r);
        if (area(u) == area(damage[i]))
            return;   /* already covered */
        if (area(u) == area(r) || area(u) <= area(damage[i]) + area(r)) {
            /* r covers it, or they overlap enough: one rect, then re-add it */
            damage[i] = damage[--ndamage];
            damage_add(u);
            return;
        }
    }
    if (ndamage < MAX_DAMAGE) {
        damage[ndamage++] = r;
        return;
    }
    int best = 0;
    int64_t best_growth = INT64_MAX;
    for (int i = 0; i < ndamage; i++) {
        int64_t growth = area(ui_rect_union(damage[i], r)) - area(damage[i]);
        if (growth < best_growth) {
            best_growth = growth;
            best = i;
        }
    }
    struct ui_rect u = ui_rect_union(damage[best], r);
    damage[best] = damage[--ndamage];
    damage_add(u);
}

void damage_all(void) {
    full = true;
    ndamage = 0;
}

bool damage_pending(void) {
    return full || ndamage > 0;
}

void compositor_display_changed(cairo_surface_t *buf0, cairo_surface_t *buf1, int now_shown) {
    buffers[0] = buf0;
    buffers[1] = buf1;
    shown = now_shown;
    damage_all();
}

/* ---- the cursor: an arrow, white with a dark outline, tip = pointer ---- */

void cursor_init(void) {
    if (!cursor) {
        static const double arrow[][2] = {{0, 0}, {0, 16}, {4, 12.5}, {7, 19}, {9.5, 18},
                                          {6.5, 11.5}, {11.5, 11.5}};
        cursor = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, CURSOR_W, CURSOR_H);
        cairo_t *cr = cairo_create(cursor);
        cairo_translate(cr, CURSOR_HOT + 0.5, CURSOR_HOT + 0.5);
        for (unsigned i = 0; i < sizeof(arrow) / sizeof(arrow[0]); i++)
            cairo_line_to(cr, arrow[i][0], arrow[i][1]);
        cairo_close_path(cr);
        cairo_set_source_rgb(cr, 1, 1, 1);
        cairo_fill_preserve(cr);
        cairo_set_source_rgb(cr, 0.1, 0.1, 0.12);
        cairo_set_line_width(cr, 1.2);
        cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
        cairo_stroke(cr);
        cairo_destroy(cr);
    }
    cursor_x = screen_w / 2;
    cursor_y = screen_h / 2;
}

static struct ui_rect cursor_rect(void) {
    return (struct ui_rect){cursor_x - CURSOR_HOT, cursor_y - CURSOR_HOT, CURSOR_W, CURSOR_H};
}

void cursor_move_to(int32_t x, int32_t y) {
    if (x < 0)
        x = 0;
    if (y < 0)
        y = 0;
    if (x >= screen_w)
        x = screen_w - 1;
    if (y >= screen_h)
        y = screen_h - 1;
    if (x == cursor_x && y == cursor_y)
        return;
    damage_add(cursor_rect());
    cursor_x = x;
    cursor_y = y;
    damage_add(cursor_rect());
}

/* ---- compositing ---- */

static void paint_rect(cairo_t *cr, struct ui_rect r, cairo_surface_t *s, double sx, double sy,
                       cairo_operator_t op) {
    if (ui_rect_empty(r))
        return;
    cairo_save(cr);
    cairo_rectangle(cr, r.x, r.y, r.w, r.h);
    cairo_clip(cr);
    cairo_set_operator(cr, op);
    cairo_set_source_surface(cr, s, sx, sy);
    cairo_paint(cr);
    cairo_restore(cr);
}

/* Opaque pixels copied row by row (32-bit ARGB32 or RGB24 both ways: the
 * screen ignores alpha): as fast as memcpy, which pixman's SOURCE path is
 * not here. r is in dst coordinates; src's (0, 0) is at (sx, sy). */
static void copy_rect(cairo_surface_t *dst, cairo_surface_t *src, int32_t sx, int32_t sy, struct ui_rect r) {
    struct ui_rect d = {0, 0, cairo_image_surface_get_width(dst), cairo_image_surface_get_height(dst)};
    struct ui_rect s = {sx, sy, cairo_image_surface_get_width(src), cairo_image_surface_get_height(src)};
    r = ui_rect_intersect(ui_rect_intersect(r, d), s);
    if (ui_rect_empty(r))
        return;
    int dstride = cairo_image_surface_get_stride(dst), sstride = cairo_image_surface_get_stride(src);
    unsigned char *dp = cairo_image_surface_get_data(dst) + (size_t)r.y * dstride + (size_t)r.x * 4;
    const unsigned char *sp = cairo_image_surface_get_data(src) + (size_t)(r.y - sy) * sstride + (size_t)(r.x - sx) * 4;
    if (dstride == sstride && (size_t)r.w * 4 == (size_t)dstride) {
        memcpy(dp, sp, (size_t)r.h * dstride);   /* whole rows: one copy */
    } else {
        for (int32_t y = 0; y < r.h; y++, dp += dstride, sp += sstride)
            memcpy(dp, sp, (size_t)r.w * 4);
    }
    cairo_surface_mark_dirty_rectangle(dst, r.x, r.y, r.w, r.h);
}

/* Premultiplied ARGB32 blended OVER a 32-bit screen, row by row; pixels
 * with no alpha are skipped and opaque ones copied (most of a shadow's
 * outer rings and a frame's edges), which pixman cannot know. */
static void blend_rect(cairo_surface_t *dst, cairo_surface_t *src, int32_t sx, int32_t sy, struct ui_rect r) {
    struct ui_rect d = {0, 0, cairo_image_surface_get_width(dst), cairo_image_surface_get_height(dst)};
    struct ui_rect s = {sx, sy, cairo_image_surface_get_width(src), cairo_image_surface_get_height(src)};
    r = ui_rect_intersect(ui_rect_intersect(r, d), s);
    if (ui_rect_empty(r))
        return;
    int dstride = cairo_image_surface_get_stride(dst), sstride = cairo_image_surface_get_stride(src);
    unsigned char *drow = cairo_image_surface_get_data(dst) + (size_t)r.y * dstride + (size_t)r.x * 4;
    const unsigned char *srow =
        cairo_image_surface_get_data(src) + (size_t)(r.y - sy) * sstride + (size_t)(r.x - sx) * 4;
    for (int32_t y = 0; y < r.h; y++, drow += dstride, srow += sstride) {
        uint32_t *dp = (uint32_t *)drow;
        const uint32_t *sp = (const uint32_t *)srow;
        for (int32_t x = 0; x < r.w; x++) {
            uint32_t sv = sp[x], a = sv >> 24;
            if (a == 0)
                continue;
            if (a == 255) {
                dp[x] = sv;
                continue;
            }
            /* d * (255 - a) / 255 on two channels at a time, rounded */
            uint32_t dv = dp[x], ia = 255 - a;
            uint32_t rb = (dv & 0xff00ffu) * ia + 0x800080u;
            rb = ((rb + ((rb >> 8) & 0xff00ffu)) >> 8) & 0xff00ffu;
            uint32_t ag = ((dv >> 8) & 0xff00ffu) * ia + 0x800080u;
            ag = (ag + ((ag >> 8) & 0xff00ffu)) & 0xff00ff00u;
            dp[x] = sv + rb + ag;
        }
    }
    cairo_surface_mark_dirty_rectangle(dst, r.x, r.y, r.w, r.h);
}

static void paint_region(cairo_t *cr, const cairo_region_t *region, cairo_surface_t *s, int32_t sx, int32_t sy,
                         cairo_operator_t op) {
    int n = cairo_region_num_rectangles(region);
    for (int i = 0; i < n; i++) {
        cairo_rectangle_int_t r;
        cairo_region_get_rectangle(region, i, &r);
        struct ui_rect u = {r.x, r.y, r.width, r.height};
        if (op == CAIRO_OPERATOR_SOURCE)
            copy_rect(cairo_get_target(cr), s, sx, sy, u);
        else
            blend_rect(cairo_get_target(cr), s, sx, sy, u);
    }
}

static cairo_rectangle_int_t cairo_rect(struct ui_rect r) {
    return (cairo_rectangle_int_t){r.x, r.y, r.w, r.h};
}

/* The part of a window that is opaque: below the rounded top corners,
 * inside the shadow. */
static struct ui_rect window_solid(const struct window *w) {
    struct ui_rect f = window_frame(w);
    int32_t round = theme.corner_radius > 0 ? theme.corner_radius : 0;
    return (struct ui_rect){f.x, f.y + round, f.w, f.h - round};
}

/*
 * Damage rect r, composited. Each pixel is drawn once where possible: going
 * top down, a layer needs only what the opaque layers above it leave
 * uncovered (the menu bar, the solid middle of windows); then the layers
 * are drawn bottom up, each clipped to what it needs, opaque parts copied
 * (SOURCE) and only the edges with alpha blended (OVER).
 */
static void compose(cairo_t *cr, struct ui_rect r) {
    cairo_rectangle_int_t rr = cairo_rect(r);
    cairo_region_t *covered = cairo_region_create();
    cairo_region_t *need[MAX_WINDOWS];
    int count = 0;
    struct ui_rect bar = {0, 0, screen_w, menu_bar_height()};
    cairo_rectangle_int_t br = cairo_rect(bar);
    cairo_region_union_rectangle(covered, &br);
    for (int i = nstack - 1; i >= 0; i--) {
        struct window *w = stack[i];
        need[i] = NULL;
        if (!w->shown || !w->surface)
            continue;
        struct ui_rect b = ui_rect_intersect(window_bounds(w), r);
        if (ui_rect_empty(b))
            continue;
        cairo_rectangle_int_t bb = cairo_rect(b), sr = cairo_rect(window_solid(w));
        need[i] = cairo_region_create_rectangle(&bb);
        cairo_region_subtract(need[i], covered);
        cairo_region_union_rectangle(covered, &sr);
        count++;
    }
    cairo_region_t *wall = cairo_region_create_rectangle(&rr);
    cairo_region_subtract(wall, covered);
    paint_region(cr, wall, desktop_wallpaper(), 0, 0, CAIRO_OPERATOR_SOURCE);
    cairo_region_destroy(wall);
    for (int i = 0; i < nstack && count; i++) {
        if (!need[i])
            continue;
        struct window *w = stack[i];
        int32_t sx = w->x - w->margin, sy = w->y - w->margin;
        cairo_rectangle_int_t sr = cairo_rect(window_solid(w));
        cairo_region_t *solid = cairo_region_copy(need[i]);
        cairo_region_intersect_rectangle(solid, &sr);
        cairo_region_subtract_rectangle(need[i], &sr);
        paint_region(cr, solid, w->surface, sx, sy, CAIRO_OPERATOR_SOURCE);
        paint_region(cr, need[i], w->surface, sx, sy, CAIRO_OPERATOR_OVER);
        cairo_region_destroy(solid);
        cairo_region_destroy(need[i]);
    }
    cairo_region_destroy(covered);
    copy_rect(cairo_get_target(cr), desktop_bar(), 0, 0, ui_rect_intersect(bar, r));
    cairo_save(cr);
    cairo_rectangle(cr, r.x, r.y, r.w, r.h);
    cairo_clip(cr);
    if (start_menu_is_open())
        desktop_paint_menu(cr);
    struct ui_rect c = ui_rect_intersect(cursor_rect(), r);
    if (!ui_rect_empty(c))
        paint_rect(cr, c, cursor, cursor_x - CURSOR_HOT, cursor_y - CURSOR_HOT, CAIRO_OPERATOR_OVER);
    cairo_restore(cr);
}

void latency_mark(uint64_t input_ns) {
    if (!latency_from || input_ns < latency_from)
        latency_from = input_ns;
}

int present(void) {
    if (!damage_pending())
        return 0;
    if (!buffers[0] || !buffers[1])
        return -E_PEER;
    uint64_t t0 = sys_clock();
    int err;
    uint64_t pixels = 0;
    if (full || shown < 0) {
        int back = shown == 0 ? 1 : 0;
        cairo_t *cr = cairo_create(buffers[back]);
        compose(cr, screen_rect());
        cairo_destroy(cr);
        cairo_surface_flush(buffers[back]);
        pixels = (uint64_t)screen_w * (uint64_t)screen_h;
        err = gpu_show_buffer(back);
        if (!err)
            shown = back;
    } else {
        struct gpu_rect rects[MAX_DAMAGE];
        cairo_t *cr = cairo_create(buffers[shown]);
        for (int i = 0; i < ndamage; i++) {
            compose(cr, damage[i]);
            rects[i] = (struct gpu_rect){(uint32_t)damage[i].x, (uint32_t)damage[i].y, (uint32_t)damage[i].w,
                                         (uint32_t)damage[i].h};
            pixels += (uint64_t)area(damage[i]);
        }
        cairo_destroy(cr);
        cairo_surface_flush(buffers[shown]);
        err = gpu_flush_rects(shown, rects, ndamage);
    }
    if (err)
        return err;
    full = false;
    ndamage = 0;
    uint64_t t1 = sys_clock();
    stat_frames++;
    stat_last_frame_ns = t1 - t0;
    stat_last_damage_px = pixels;
    if (latency_from) {
        stat_click_latency_ns = t1 > latency_from ? t1 - latency_from : 0;
        log_printf("gui: click to present %llu us\n", (unsigned long long)(stat_click_latency_ns / 1000));
        latency_from = 0;
    }
    return 0;
}

/* ---- the composite benchmark (gui.bench=composite) ---- */

static void bench_window_content(struct window *w, int k) {
    cairo_t *cr = cairo_create(w->surface);
    cairo_translate(cr, w->margin, w->margin + theme.title_height);
    for (int row = 0; row < w->ch; row += 24) {
        render_set_rgba(cr, (row / 24 + k) % 2 ? theme.window_bg : theme.list_bg);
        cairo_rectangle(cr, 0, row, w->cw, 24);
        cairo_fill(cr);
        render_text(cr, UI_FONT_SANS, theme.font_size[UI_SIZE_BODY], "The quick brown fox jumps over the lazy dog",
                    10, row + 17, theme.text);
    }
    render_set_rgba(cr, theme.accent);
    render_rounded_rect(cr, 20, 20, 140, 40, theme.corner_radius);
    cairo_fill(cr);
    cairo_destroy(cr);
}

void bench_composite(int frames) {
    struct window *ws[5] = {0};
    int n = 0;
    for (; n < 5; n++) {
        struct window *w = window_new(NULL);
        if (!w)
            break;
        snprintf(w->title, sizeof(w->title), "Benchmark %d", n + 1);
        w->cw = screen_w * 2 / 5;
        w->ch = screen_h / 2;
        if (!window_resize_surface(w)) {
            window_free(w);
            break;
        }
        w->shown = true;
        window_move(w, screen_w / 10 + n * screen_w / 9, menu_bar_height() + 30 + n * screen_h / 14);
        bench_window_content(w, n);
        ws[n] = w;
    }
    int back = shown == 0 ? 1 : 0;
    cairo_surface_t *dst = buffers[back], *src = buffers[shown < 0 ? 0 : shown];
    cairo_t *cr = cairo_create(dst);
    compose(cr, screen_rect());   /* warm caches and the font */
    uint64_t t0 = sys_clock();
    for (int i = 0; i < frames; i++)
        compose(cr, screen_rect());
    cairo_surface_flush(dst);
    uint64_t t1 = sys_clock();
    cairo_destroy(cr);
    size_t bytes = (size_t)cairo_image_surface_get_stride(dst) * (size_t)screen_h;
    unsigned char *d = cairo_image_surface_get_data(dst), *s = cairo_image_surface_get_data(src);
    memcpy(d, s, bytes);
    uint64_t t2 = sys_clock();
    for (int i = 0; i < frames; i++) {
        memcpy(d, s, bytes);
        __asm__ volatile("" ::"r"(d) : "memory");   /* every copy happens */
    }
    uint64_t t3 = sys_clock();
    uint64_t full_us = (t1 - t0) / 1000 / (uint64_t)frames, copy_us = (t3 - t2) / 1000 / (uint64_t)frames;
    uint64_t ratio100 = copy_us ? (full_us * 100 + copy_us / 2) / copy_us : 0;
    log_printf("gui: bench composite %dx%d windows=%d full=%llu us memcpy=%llu us ratio=%llu.%02llu\n", screen_w,
               screen_h, n, (unsigned long long)full_us, (unsigned long long)copy_us,
               (unsigned long long)(ratio100 / 100), (unsigned long long)(ratio100 % 100));
    for (int i = 0; i < n; i++)
        window_free(ws[i]);
    damage_all();
}
