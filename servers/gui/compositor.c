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

/* Premultiplied ARGB32 pixel s OVER pixel d: d * (255 - a) / 255 on two
 * channels per multiply, rounded, plus s. Exact at the ends: d for a = 0
 * (s is then 0), s for a = 255. */
static inline uint32_t over(uint32_t s, uint32_t d) {
    uint32_t ia = 255 - (s >> 24);
    uint32_t rb = (d & 0xff00ffu) * ia + 0x800080u;
    rb = ((rb + ((rb >> 8) & 0xff00ffu)) >> 8) & 0xff00ffu;
    uint32_t ag = ((d >> 8) & 0xff00ffu) * ia + 0x800080u;
    ag = (ag + ((ag >> 8) & 0xff00ffu)) & 0xff00ff00u;
    return s + rb + ag;
}

/* n pixels of src blended OVER a 32-bit screen row. No branch per pixel
 * and two pixels per 64-bit load and store: under QEMU's TCG every branch
 * and memory access costs far more than arithmetic (and SSE is emulated
 * slowly), so plain straight-line integer code is fastest. */
static void blend_row(unsigned char *dst, const unsigned char *src, int32_t n) {
    int32_t x = 0;
    for (; x + 2 <= n; x += 2) {
        uint64_t s, d;
        memcpy(&s, src + (size_t)x * 4, 8);
        memcpy(&d, dst + (size_t)x * 4, 8);
        d = over((uint32_t)s, (uint32_t)d) | (uint64_t)over((uint32_t)(s >> 32), (uint32_t)(d >> 32)) << 32;
        memcpy(dst + (size_t)x * 4, &d, 8);
    }
    if (x < n) {
        uint32_t s, d;
        memcpy(&s, src + (size_t)x * 4, 4);
        memcpy(&d, dst + (size_t)x * 4, 4);
        d = over(s, d);
        memcpy(dst + (size_t)x * 4, &d, 4);
    }
}

/* n opaque pixels copied. memcpy moves 8 bytes a step but byte by byte
 * until the destination is 8-aligned and again for a tail, each byte an
 * emulated instruction under TCG: a lone first or last pixel is moved here
 * instead, so memcpy gets whole 8-byte steps only. */
static void copy_row(unsigned char *dst, const unsigned char *src, int32_t n) {
    if (n > 0 && ((uintptr_t)dst & 4)) {
        memcpy(dst, src, 4);
        dst += 4;
        src += 4;
        n--;
    }
    memcpy(dst, src, (size_t)(n & ~1) * 4);
    if (n & 1)
        memcpy(dst + (size_t)(n - 1) * 4, src + (size_t)(n - 1) * 4, 4);
}

/* src blended OVER dst in r (dst coordinates; src's (0, 0) at (sx, sy)). */
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
    for (int32_t y = 0; y < r.h; y++, drow += dstride, srow += sstride)
        blend_row(drow, srow, r.w);
    cairo_surface_mark_dirty_rectangle(dst, r.x, r.y, r.w, r.h);
}

/* The part of a window that is opaque: below the rounded top corners,
 * inside the shadow. */
static struct ui_rect window_solid(const struct window *w) {
    struct ui_rect f = window_frame(w);
    int32_t round = theme.corner_radius > 0 ? theme.corner_radius : 0;
    return (struct ui_rect){f.x, f.y + round, f.w, f.h - round};
}

static bool window_drawn(const struct window *w) {
    return w->shown && w->surface;
}

/*
 * A damage rect is composited in bands of rows: between two neighbouring
 * horizontal edges (of a window's shadow or opaque part, of the menu bar)
 * every row is made of the same runs of layers. A band's runs are worked
 * out once, top layer down: a layer needs only what the opaque layers
 * above it leave uncovered (the menu bar, the solid middle of windows), so
 * each pixel is copied once and only the edges with alpha (shadows,
 * rounded corners) are blended over what is below them. Then the runs are
 * drawn bottom layer up, each down the band's rows: one source and one
 * destination at a time, which TCG's small software TLB handles best
 * (measured: faster than going row by row through all layers). No
 * per-frame allocation and no region library: that bookkeeping cost as
 * much as the wallpaper's copy.
 */

struct span {                   /* [x0, x1) on a screen row */
    int32_t x0, x1;
};

struct run {                    /* one layer's pixels on every row of a band */
    const unsigned char *src;   /* its first pixel on the band's first row */
    int stride;
    int32_t x, w;               /* on the screen */
    bool blend;                 /* premultiplied ARGB OVER; else copied */
};

/* Bound on a band's runs: the k-th window from the top (k from 0) finds at
 * most k covered spans (the bar covers all), so at most k + 1 uncovered
 * ones, split by its frame's two edges: k + 3 runs; the wallpaper at most
 * MAX_WINDOWS + 1, the bar one. */
#define MAX_RUNS (MAX_WINDOWS * (MAX_WINDOWS + 5) / 2 + MAX_WINDOWS + 3)

static struct run runs[MAX_RUNS];
static int nruns;

/* The parts of [x0, x1) outside the sorted, disjoint spans cov. */
static int uncovered(int32_t x0, int32_t x1, const struct span *cov, int ncov, struct span *out) {
    int n = 0;
    for (int i = 0; i < ncov && x0 < x1; i++) {
        if (cov[i].x1 <= x0)
            continue;
        if (cov[i].x0 >= x1)
            break;
        if (cov[i].x0 > x0)
            out[n++] = (struct span){x0, cov[i].x0};
        x0 = cov[i].x1;
    }
    if (x0 < x1)
        out[n++] = (struct span){x0, x1};
    return n;
}

/* Adds [x0, x1) to the sorted, disjoint spans cov (room for one more). */
static int cover(struct span *cov, int ncov, int32_t x0, int32_t x1) {
    if (x0 >= x1)
        return ncov;
    int i = 0;
    while (i < ncov && cov[i].x1 < x0)
        i++;
    int j = i;   /* cov[i..j) touch [x0, x1): merged into one */
    while (j < ncov && cov[j].x0 <= x1) {
        if (cov[j].x0 < x0)
            x0 = cov[j].x0;
        if (cov[j].x1 > x1)
            x1 = cov[j].x1;
        j++;
    }
    memmove(&cov[i + 1], &cov[j], (size_t)(ncov - j) * sizeof(*cov));
    cov[i] = (struct span){x0, x1};
    return ncov - (j - i) + 1;
}

/* Layer s (its (0, 0) at (sx, sy) on the screen) on [x0, x1) of the band
 * starting at row y, clipped to s. */
static void add_run(cairo_surface_t *s, int32_t sx, int32_t sy, int32_t x0, int32_t x1, int32_t y, bool blend) {
    int32_t sw = cairo_image_surface_get_width(s), sh = cairo_image_surface_get_height(s);
    if (x0 < sx)
        x0 = sx;
    if (x1 > sx + sw)
        x1 = sx + sw;
    if (x0 >= x1 || y < sy || y >= sy + sh || nruns == MAX_RUNS)
        return;
    int stride = cairo_image_surface_get_stride(s);
    runs[nruns++] = (struct run){cairo_image_surface_get_data(s) + (size_t)(y - sy) * stride + (size_t)(x0 - sx) * 4,
                                 stride, x0, x1 - x0, blend};
}

/* Rows [y0, y1) of damage rect r: the runs, then the pixels. */
static void compose_band(unsigned char *dst, int dstride, struct ui_rect r, int32_t y0, int32_t y1) {
    struct span cov[MAX_WINDOWS + 2], part[MAX_WINDOWS + 3];
    int ncov = 0;
    int32_t rx1 = r.x + r.w;
    nruns = 0;
    if (y0 < menu_bar_height()) {   /* the bar is on top of every window */
        add_run(desktop_bar(), 0, 0, r.x, rx1, y0, false);
        ncov = cover(cov, ncov, r.x, rx1);
    }
    for (int i = nstack - 1; i >= 0; i--) {
        struct window *w = stack[i];
        if (!window_drawn(w))
            continue;
        struct ui_rect b = window_bounds(w), s = window_solid(w);
        if (y0 < b.y || y0 >= b.y + b.h)
            continue;
        bool solid_row = y0 >= s.y && y0 < s.y + s.h;
        int32_t x0 = b.x > r.x ? b.x : r.x, x1 = b.x + b.w < rx1 ? b.x + b.w : rx1;
        int n = uncovered(x0, x1, cov, ncov, part);
        for (int k = 0; k < n; k++) {
            struct span p = part[k];
            if (!solid_row) {
                add_run(w->surface, b.x, b.y, p.x0, p.x1, y0, true);
                continue;
            }
            /* blended left of the frame, copied inside it, blended right */
            int32_t in0 = p.x0 > s.x ? p.x0 : s.x, in1 = p.x1 < s.x + s.w ? p.x1 : s.x + s.w;
            if (in0 >= in1) {
                add_run(w->surface, b.x, b.y, p.x0, p.x1, y0, true);
                continue;
            }
            add_run(w->surface, b.x, b.y, p.x0, in0, y0, true);
            add_run(w->surface, b.x, b.y, in0, in1, y0, false);
            add_run(w->surface, b.x, b.y, in1, p.x1, y0, true);
        }
        if (solid_row)
            ncov = cover(cov, ncov, s.x > x0 ? s.x : x0, s.x + s.w < x1 ? s.x + s.w : x1);
    }
    int n = uncovered(r.x, rx1, cov, ncov, part);
    for (int k = 0; k < n; k++)
        add_run(desktop_wallpaper(), 0, 0, part[k].x0, part[k].x1, y0, false);

    /* One opaque run across whole rows (above or below the windows, the
     * bar): one copy. */
    if (nruns == 1 && !runs[0].blend && runs[0].w * 4 == dstride && runs[0].stride == dstride) {
        memcpy(dst + (size_t)y0 * dstride, runs[0].src, (size_t)(y1 - y0) * dstride);
        return;
    }
    for (int k = nruns - 1; k >= 0; k--) {   /* found top down, drawn bottom up */
        const struct run *u = &runs[k];
        unsigned char *drow = dst + (size_t)y0 * dstride + (size_t)u->x * 4;
        const unsigned char *srow = u->src;
        for (int32_t y = y0; y < y1; y++, drow += dstride, srow += u->stride) {
            if (u->blend)
                blend_row(drow, srow, u->w);
            else
                copy_row(drow, srow, u->w);
        }
    }
}

static void add_edge(int32_t *edges, int *n, int32_t y, struct ui_rect r) {
    if (y > r.y && y < r.y + r.h)
        edges[(*n)++] = y;
}

/* Damage rect r, composited: the layers in bands, then the start menu and
 * the cursor. */
static void compose(cairo_t *cr, struct ui_rect r) {
    cairo_surface_t *target = cairo_get_target(cr);
    r = ui_rect_intersect(r, (struct ui_rect){0, 0, cairo_image_surface_get_width(target),
                                              cairo_image_surface_get_height(target)});
    if (ui_rect_empty(r))
        return;
    /* the bands' edges, sorted */
    int32_t edges[4 * MAX_WINDOWS + 5];
    int nedges = 0;
    edges[nedges++] = r.y;
    add_edge(edges, &nedges, menu_bar_height(), r);
    add_edge(edges, &nedges, cairo_image_surface_get_height(desktop_bar()), r);
    add_edge(edges, &nedges, cairo_image_surface_get_height(desktop_wallpaper()), r);
    for (int i = 0; i < nstack; i++) {
        struct window *w = stack[i];
        if (!window_drawn(w))
            continue;
        struct ui_rect b = window_bounds(w), s = window_solid(w);
        if (ui_rect_empty(ui_rect_intersect(b, r)))
            continue;
        add_edge(edges, &nedges, b.y, r);
        add_edge(edges, &nedges, b.y + b.h, r);
        add_edge(edges, &nedges, s.y, r);
        add_edge(edges, &nedges, s.y + s.h, r);
    }
    edges[nedges++] = r.y + r.h;
    for (int i = 1; i < nedges; i++)   /* insertion sort: a few dozen at most */
        for (int j = i; j > 0 && edges[j - 1] > edges[j]; j--) {
            int32_t t = edges[j];
            edges[j] = edges[j - 1];
            edges[j - 1] = t;
        }
    unsigned char *dst = cairo_image_surface_get_data(target);
    int dstride = cairo_image_surface_get_stride(target);
    cairo_surface_flush(target);
    for (int i = 0; i + 1 < nedges; i++)
        if (edges[i] < edges[i + 1])
            compose_band(dst, dstride, r, edges[i], edges[i + 1]);
    cairo_surface_mark_dirty_rectangle(target, r.x, r.y, r.w, r.h);
    if (start_menu_is_open()) {
        cairo_save(cr);
        cairo_rectangle(cr, r.x, r.y, r.w, r.h);
        cairo_clip(cr);
        desktop_paint_menu(cr);
        cairo_restore(cr);
    }
    blend_rect(target, cursor, cursor_x - CURSOR_HOT, cursor_y - CURSOR_HOT, ui_rect_intersect(cursor_rect(), r));
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
