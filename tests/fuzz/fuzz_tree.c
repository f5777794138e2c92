/*
 * libFuzzer target for the gui server's tree handling (servers/gui/tree.c,
 * layout.c, diff.c): whatever an app writes into its tree buffer must be
 * either rejected with a reason or decoded into a tree that lays out,
 * diffs and hit-tests without a fault. Run by tests/fuzz/run.sh.
 *
 * Besides the sanitizers, a few invariants are checked (abort on failure):
 * rejected trees leave a reason and an empty tree; accepted strings are
 * NUL-terminated at their length; rects have no negative sizes and clips
 * stay inside the content; a tree diffed against its own second decoding
 * has no damage; damage is at most `max` rects inside the content.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../../servers/gui/theme.h"
#include "../../servers/gui/tree.h"

#define DIFF_MAX 8

static struct theme theme;
static struct ui_tree prev;      /* the last accepted tree, laid out */
static struct ui_view view;      /* carried along like the server's */

static void fail(const char *what) {
    fprintf(stderr, "fuzz_tree: invariant broken: %s\n", what);
    abort();
}

/* The host tests' fake font: 8 px a byte, a line the font size + 4 tall. */
static void fake_text(void *ctx, int font, int size_px, const char *s, uint32_t len, int wrap, int *w, int *h) {
    (void)ctx;
    if (font < 0 || font > UI_FONT_MAX || size_px <= 0 || strlen(s) != len)
        fail("measure got a bad font, size or string");
    uint32_t per_line = wrap > 0 ? (uint32_t)(wrap / 8 > 0 ? wrap / 8 : 1) : (len ? len : 1);
    uint32_t lines = len ? (len + per_line - 1) / per_line : 1;
    *w = (int)((len < per_line ? len : per_line) * 8);
    *h = (int)lines * (size_px + 4);
}
static const struct ui_measure measure = {NULL, fake_text};

static bool inside(struct ui_rect r, struct ui_rect outer) {
    if (ui_rect_empty(r))
        return true;
    struct ui_rect i = ui_rect_intersect(r, outer);
    return i.x == r.x && i.y == r.y && i.w == r.w && i.h == r.h;
}

static void check_tree(const struct ui_tree *t) {
    struct ui_rect content = {0, 0, t->width, t->height};
    if (t->count == 0 || t->nodes[0].kind != UI_KIND_WINDOW || t->width < 0 || t->height < 0)
        fail("accepted tree has no window or a negative size");
    for (uint32_t i = 0; i < t->count; i++) {
        const struct ui_node *n = &t->nodes[i];
        if (!n->text || strlen(n->text) != n->text_len || !n->placeholder)
            fail("text not NUL-terminated at its length");
        if (n->rect.w < 0 || n->rect.h < 0 || n->clip.w < 0 || n->clip.h < 0)
            fail("negative rect size");
        if (!inside(n->clip, content) || !inside(n->clip, n->rect))
            fail("clip outside the content or the node's rect");
        if (ui_tree_find(t, n->id) != i)
            fail("id index does not find a node");
    }
}

static void poke(const struct ui_tree *t) {
    /* hit tests at a few places: corners, the middle, each of the first nodes' centres */
    int32_t pts[][2] = {{0, 0}, {t->width / 2, t->height / 2}, {t->width - 1, t->height - 1}, {-1, -1}};
    for (unsigned k = 0; k < sizeof pts / sizeof pts[0]; k++) {
        uint32_t h = ui_hit_test(t, pts[k][0], pts[k][1]);
        uint32_t g = ui_hit_target(t, pts[k][0], pts[k][1]);
        if ((h != UI_NONE && h >= t->count) || (g != UI_NONE && g >= t->count))
            fail("hit test out of range");
    }
    for (uint32_t i = 0; i < t->count && i < 16; i++) {
        struct ui_rect r = t->nodes[i].rect;
        uint32_t g = ui_hit_target(t, r.x + r.w / 2, r.y + r.h / 2);
        if (g != UI_NONE && g >= t->count)
            fail("hit target out of range");
        uint32_t f = ui_focus_next(t, t->nodes[i].id, (i & 1) ? -1 : 1);
        if (f != UI_NONE && f >= t->count)
            fail("focus out of range");
        if (t->nodes[i].kind == UI_KIND_SLIDER) {
            const struct ui_node *s = &t->nodes[i];
            for (int32_t x = r.x - 5; x <= r.x + r.w + 5; x += 7) {
                int32_t v = ui_slider_value_at(s, &theme, x);
                if (v < s->min || v > s->max)
                    fail("slider value outside min..max");
            }
        }
    }
    ui_focus_next(t, 0, 1);
    ui_focus_next(t, 0, -1);
}

static void check_diff(const struct ui_tree *old, const struct ui_tree *now) {
    struct ui_rect out[DIFF_MAX + 1];
    struct ui_rect content = {0, 0, now->width, now->height};
    out[DIFF_MAX] = (struct ui_rect){12345, 0, 0, 0};
    for (int max = 1; max <= DIFF_MAX; max += DIFF_MAX - 1) {
        int n = ui_tree_diff(old, now, out, max);
        if (n < 0 || n > max || out[DIFF_MAX].x != 12345)
            fail("diff wrote more rects than allowed");
        for (int i = 0; i < n; i++)
            if (ui_rect_empty(out[i]) || !inside(out[i], content))
                fail("diff rect empty or outside the content");
    }
}

/* The whole pipeline on one buffer. */
static void exercise(const uint8_t *data, size_t size) {
    struct ui_tree t, again;
    char reason[200];
    int err = ui_tree_decode(data, size, &t, reason, sizeof reason);
    if (err) {
        if (err > 0 || !reason[0] || t.nodes || t.count)
            fail("rejected without a reason or with a tree left over");
        return;
    }
    struct ui_view before = view;
    ui_layout(&t, &theme, &measure, &view);
    check_tree(&t);
    poke(&t);

    /* the same bytes again, laid out from the same view: nothing to redraw */
    if (ui_tree_decode(data, size, &again, reason, sizeof reason) != 0)
        fail("the same bytes decoded differently");
    ui_layout(&again, &theme, &measure, &before);
    struct ui_rect out[DIFF_MAX];
    if (ui_tree_diff(&t, &again, out, DIFF_MAX) != 0)
        fail("a tree differs from itself");
    ui_tree_free(&again);

    check_diff(NULL, &t);
    if (prev.count)
        check_diff(&prev, &t);
    ui_tree_free(&prev);
    prev = t;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static bool ready;
    if (!ready) {
        theme_default(&theme);
        ready = true;
    }
    exercise(data, size);

    /* Most mutations break the header's sizes, and the nodes behind it are
     * never looked at; so also try the input with a header that fits it. */
    struct ui_wire_header h;
    if (size < sizeof h || size > UI_TREE_MAX_BYTES)
        return 0;
    uint8_t *copy = malloc(size);
    memcpy(copy, data, size);
    memcpy(&h, copy, sizeof h);
    h.magic = UI_WIRE_MAGIC;
    h.version = UI_WIRE_VERSION;
    h.header_size = sizeof h;
    h.node_size = sizeof(struct ui_wire_node);
    h.reserved = 0;
    size_t room = (size - sizeof h) / sizeof(struct ui_wire_node);
    if (h.node_count == 0 || h.node_count > room)
        h.node_count = (uint32_t)(room ? room : 1);
    h.data_size = (uint32_t)(size - sizeof h - (size_t)h.node_count * sizeof(struct ui_wire_node));
    h.total_size = (uint32_t)size;
    if (room) {
        memcpy(copy, &h, sizeof h);
        exercise(copy, size);
    }
    free(copy);
    return 0;
}
