// host-test-uses: servers/gui/tree.c servers/gui/layout.c servers/gui/diff.c
/*
 * The gui server's layout, hit testing, focus order, slider mapping and
 * damage (servers/gui/layout.c, diff.c) on trees built by hand, with a
 * fixed-width fake font (8 px a byte, a line is the font size + 4 tall) and
 * a theme filled in here, so the numbers below can be worked out on paper.
 */
#include "test.h"
#include <stdint.h>
#include <stdlib.h>
#include <tessera/abi.h>
#include "../../servers/gui/theme.h"
#include "../../servers/gui/tree.h"
#include "gui_wire_builder.h"

static struct theme theme;
static char reason[256];

static void fake_text(void *ctx, int font, int size_px, const char *s, uint32_t len, int wrap, int *w, int *h) {
    (void)ctx, (void)font, (void)s;
    uint32_t per_line = wrap > 0 ? (uint32_t)(wrap / 8 > 0 ? wrap / 8 : 1) : (len ? len : 1);
    uint32_t lines = len ? (len + per_line - 1) / per_line : 1;
    *w = (int)((len < per_line ? len : per_line) * 8);
    *h = (int)lines * (size_px + 4);
}
static const struct ui_measure measure = {NULL, fake_text};

static void setup_theme(void) {
    memset(&theme, 0, sizeof theme);
    int sizes[] = {14, 28, 22, 18, 11};
    memcpy(theme.font_size, sizes, sizeof sizes);
    theme.control_height = 28;
    theme.control_padding = 12;
    theme.checkbox_size = 16;
    theme.slider_height = 20;
    theme.list_item_padding = 4;
    theme.scrollbar_width = 8;
}

/* Decodes and lays out b into t (view may be NULL); 0 or the decode error. */
static int lay_out(struct wb *b, struct ui_tree *t, struct ui_view *view) {
    setup_theme();
    wb_finish(b);
    int err = ui_tree_decode(b->buf, b->size, t, reason, sizeof reason);
    if (err) {
        printf("  decode: %s\n", reason);
        return err;
    }
    ui_layout(t, &theme, &measure, view);
    return 0;
}

static bool rect_is(struct ui_rect r, int32_t x, int32_t y, int32_t w, int32_t h) {
    bool ok = r.x == x && r.y == y && r.w == w && r.h == h;
    if (!ok)
        printf("  rect %d,%d %dx%d, expected %d,%d %dx%d\n", r.x, r.y, r.w, r.h, x, y, w, h);
    return ok;
}

static uint32_t text_node(struct wb *b, uint32_t parent, uint32_t id, const char *s) {
    uint32_t i = wb_node(b, parent, UI_KIND_TEXT, id);
    wb_text(b, i, s);
    return i;
}

static struct wb *window(int32_t w, int32_t h) {
    struct wb *b = wb_new();
    uint32_t win = wb_node(b, UI_NO_PARENT, UI_KIND_WINDOW, 1);
    b->nodes[win].w = w, b->nodes[win].h = h;
    return b;
}

/* ---- rect helpers ---- */

TEST(rect_helpers) {
    struct ui_rect a = {0, 0, 10, 10}, b = {5, 5, 10, 10}, far = {20, 20, 1, 1}, none = {3, 3, 0, 5};
    CHECK(rect_is(ui_rect_intersect(a, b), 5, 5, 5, 5));
    CHECK(ui_rect_empty(ui_rect_intersect(a, far)));
    CHECK(rect_is(ui_rect_union(a, b), 0, 0, 15, 15));
    CHECK(rect_is(ui_rect_union(a, none), 0, 0, 10, 10));
    CHECK(rect_is(ui_rect_union(none, far), 20, 20, 1, 1));
    CHECK(ui_rect_empty(none));
    CHECK(ui_rect_contains(a, 0, 0) && ui_rect_contains(a, 9, 9));
    CHECK(!ui_rect_contains(a, 10, 5) && !ui_rect_contains(a, -1, 5) && !ui_rect_contains(none, 3, 3));
    struct ui_rect huge = {INT32_MAX - 5, INT32_MAX - 5, INT32_MAX, INT32_MAX};   /* no overflow */
    CHECK(ui_rect_contains(huge, INT32_MAX - 1, INT32_MAX - 1));
    CHECK(rect_is(ui_rect_intersect(huge, (struct ui_rect){INT32_MAX - 10, INT32_MAX - 10, 8, 8}),
                  INT32_MAX - 5, INT32_MAX - 5, 3, 3));
}

/* ---- stacks ---- */

TEST(column_natural_size) {
    struct wb *b = window(0, 0);
    uint32_t col = wb_node(b, 0, UI_KIND_COLUMN, 2);
    b->nodes[col].padding = 10, b->nodes[col].spacing = 5;
    uint32_t t1 = text_node(b, col, 3, "abcd"), t2 = text_node(b, col, 4, "ab");
    struct ui_tree t;
    CHECK_EQ(lay_out(b, &t, NULL), 0);
    CHECK_EQ(t.width, 52);
    CHECK_EQ(t.height, 61);
    CHECK(rect_is(t.nodes[0].rect, 0, 0, 52, 61));
    CHECK(rect_is(t.nodes[col].rect, 0, 0, 52, 61));
    CHECK(rect_is(t.nodes[t1].rect, 10, 10, 32, 18));
    CHECK(rect_is(t.nodes[t2].rect, 10, 33, 16, 18));
    CHECK(rect_is(t.nodes[t2].clip, 10, 33, 16, 18));
    ui_tree_free(&t);
    wb_free(b);
}

TEST(column_cross_align) {
    static const int aligns[] = {UI_ALIGN_START, UI_ALIGN_CENTER, UI_ALIGN_END, UI_ALIGN_STRETCH};
    static const int want_x[] = {0, 92, 184, 0}, want_w[] = {16, 16, 16, 200};
    for (int k = 0; k < 4; k++) {
        struct wb *b = window(200, 0);
        uint32_t col = wb_node(b, 0, UI_KIND_COLUMN, 2);
        b->nodes[col].align = aligns[k];
        uint32_t txt = text_node(b, col, 3, "ab");
        uint32_t fixed = text_node(b, col, 4, "ab");
        b->nodes[fixed].w = 50;   /* its own width wins over STRETCH */
        struct ui_tree t;
        CHECK_EQ(lay_out(b, &t, NULL), 0);
        CHECK(rect_is(t.nodes[col].rect, 0, 0, 200, 36));
        CHECK(rect_is(t.nodes[txt].rect, want_x[k], 0, want_w[k], 18));
        CHECK_EQ(t.nodes[fixed].rect.w, 50);
        ui_tree_free(&t);
        wb_free(b);
    }
}

TEST(window_padding_and_stretch) {
    struct wb *b = window(100, 0);
    b->nodes[0].padding = 5, b->nodes[0].spacing = 3;
    uint32_t a = text_node(b, 0, 2, "a"), c = text_node(b, 0, 3, "b");
    struct ui_tree t;
    CHECK_EQ(lay_out(b, &t, NULL), 0);
    CHECK(rect_is(t.nodes[a].rect, 5, 5, 90, 18));
    CHECK(rect_is(t.nodes[c].rect, 5, 26, 90, 18));
    CHECK_EQ(t.height, 49);
    ui_tree_free(&t);
    wb_free(b);
}

TEST(row_with_spacer) {
    struct wb *b = window(300, 0);
    uint32_t row = wb_node(b, 0, UI_KIND_ROW, 2);
    b->nodes[row].spacing = 10;
    uint32_t ok = wb_node(b, row, UI_KIND_BUTTON, 3);
    wb_text(b, ok, "OK");
    uint32_t sp = wb_node(b, row, UI_KIND_SPACER, 4);
    b->nodes[sp].flags = UI_FLAG_EXPAND;
    uint32_t cancel = wb_node(b, row, UI_KIND_BUTTON, 5);
    wb_text(b, cancel, "Cancel");
    struct ui_tree t;
    CHECK_EQ(lay_out(b, &t, NULL), 0);
    CHECK(rect_is(t.nodes[ok].rect, 0, 0, 64, 28));          /* 2*8 + 2*12 < 64 */
    CHECK(rect_is(t.nodes[sp].rect, 74, 0, 144, 0));
    CHECK(rect_is(t.nodes[cancel].rect, 228, 0, 72, 28));    /* 6*8 + 2*12 */
    CHECK_EQ(t.height, 28);
    ui_tree_free(&t);
    wb_free(b);
}

TEST(row_cross_align) {
    struct wb *b = window(0, 0);
    uint32_t row = wb_node(b, 0, UI_KIND_ROW, 2);
    b->nodes[row].align = UI_ALIGN_CENTER, b->nodes[row].padding = 2;
    uint32_t btn = wb_node(b, row, UI_KIND_BUTTON, 3);
    uint32_t txt = text_node(b, row, 4, "x");
    struct ui_tree t;
    CHECK_EQ(lay_out(b, &t, NULL), 0);
    CHECK(rect_is(t.nodes[row].rect, 0, 0, 64 + 8 + 4, 32));
    CHECK(rect_is(t.nodes[btn].rect, 2, 2, 64, 28));
    CHECK(rect_is(t.nodes[txt].rect, 66, 7, 8, 18));
    ui_tree_free(&t);
    wb_free(b);
}

TEST(expand_shares_spare_room) {
    struct wb *b = window(50, 100);
    uint32_t s[3];
    for (int k = 0; k < 3; k++) {
        s[k] = wb_node(b, 0, UI_KIND_SPACER, 2 + k);
        b->nodes[s[k]].flags = UI_FLAG_EXPAND;
    }
    struct ui_tree t;
    CHECK_EQ(lay_out(b, &t, NULL), 0);
    CHECK(rect_is(t.nodes[s[0]].rect, 0, 0, 50, 34));
    CHECK(rect_is(t.nodes[s[1]].rect, 0, 34, 50, 33));
    CHECK(rect_is(t.nodes[s[2]].rect, 0, 67, 50, 33));
    ui_tree_free(&t);
    wb_free(b);

    /* a spacer's size is a minimum; a column's own height is fixed */
    b = window(50, 100);
    uint32_t min = wb_node(b, 0, UI_KIND_SPACER, 2);
    b->nodes[min].h = 10, b->nodes[min].flags = UI_FLAG_EXPAND;
    uint32_t fixed = wb_node(b, 0, UI_KIND_COLUMN, 3);
    b->nodes[fixed].h = 20, b->nodes[fixed].flags = UI_FLAG_EXPAND;
    uint32_t other = wb_node(b, 0, UI_KIND_SPACER, 4);
    b->nodes[other].flags = UI_FLAG_EXPAND;
    CHECK_EQ(lay_out(b, &t, NULL), 0);
    CHECK(rect_is(t.nodes[min].rect, 0, 0, 50, 45));
    CHECK(rect_is(t.nodes[fixed].rect, 0, 45, 50, 20));
    CHECK(rect_is(t.nodes[other].rect, 0, 65, 50, 35));
    ui_tree_free(&t);
    wb_free(b);
}

/* ---- widgets ---- */

TEST(widget_natural_sizes) {
    struct wb *b = window(0, 0);
    uint32_t col = wb_node(b, 0, UI_KIND_COLUMN, 2);
    uint32_t btn = wb_node(b, col, UI_KIND_BUTTON, 3);
    uint32_t lbl = text_node(b, btn, 4, "Hi");
    uint32_t big = wb_node(b, col, UI_KIND_BUTTON, 5);
    wb_text(b, big, "A much longer label");    /* 19 * 8 + 24 */
    uint32_t cb = wb_node(b, col, UI_KIND_CHECKBOX, 6);
    wb_text(b, cb, "ab");
    uint32_t cb2 = wb_node(b, col, UI_KIND_CHECKBOX, 7);
    uint32_t sl = wb_node(b, col, UI_KIND_SLIDER, 8);
    uint32_t sl2 = wb_node(b, col, UI_KIND_SLIDER, 9);
    b->nodes[sl2].w = 100;
    uint32_t in = wb_node(b, col, UI_KIND_TEXT_INPUT, 10);
    uint32_t img = wb_node(b, col, UI_KIND_IMAGE, 11);
    wb_png(b, img, 48, 32);
    uint32_t img_w = wb_node(b, col, UI_KIND_IMAGE, 12);
    wb_png(b, img_w, 48, 32);
    b->nodes[img_w].w = 96;
    uint32_t img_h = wb_node(b, col, UI_KIND_IMAGE, 13);
    wb_png(b, img_h, 48, 32);
    b->nodes[img_h].h = 16;
    uint32_t sp = wb_node(b, col, UI_KIND_SPACER, 14);
    b->nodes[sp].w = 7, b->nodes[sp].h = 9;
    uint32_t h1 = text_node(b, col, 15, "H");
    b->nodes[h1].text_size = UI_SIZE_H1;
    struct ui_tree t;
    CHECK_EQ(lay_out(b, &t, NULL), 0);
    CHECK(rect_is(t.nodes[btn].rect, 0, 0, 64, 28));
    CHECK(rect_is(t.nodes[lbl].rect, 24, 5, 16, 18));     /* centred in the button */
    CHECK_EQ(t.nodes[big].rect.w, 176);
    CHECK_EQ(t.nodes[cb].rect.w, 40);
    CHECK_EQ(t.nodes[cb].rect.h, 18);
    CHECK_EQ(t.nodes[cb2].rect.w, 16);
    CHECK_EQ(t.nodes[cb2].rect.h, 16);
    CHECK_EQ(t.nodes[sl].rect.w, 160);
    CHECK_EQ(t.nodes[sl].rect.h, 20);
    CHECK_EQ(t.nodes[sl2].rect.w, 100);
    CHECK_EQ(t.nodes[in].rect.w, 200);
    CHECK_EQ(t.nodes[in].rect.h, 28);
    CHECK_EQ(t.nodes[img].rect.w, 48);
    CHECK_EQ(t.nodes[img].rect.h, 32);
    CHECK_EQ(t.nodes[img_w].rect.h, 64);
    CHECK_EQ(t.nodes[img_h].rect.w, 24);
    CHECK_EQ(t.nodes[sp].rect.w, 7);
    CHECK_EQ(t.nodes[sp].rect.h, 9);
    CHECK_EQ(t.nodes[h1].rect.h, 32);
    CHECK_EQ(t.width, 200);
    ui_tree_free(&t);
    wb_free(b);
}

TEST(wrapped_text) {
    struct wb *b = window(100, 0);
    uint32_t txt = text_node(b, 0, 2, "thirty bytes of text, wrapped");   /* 29 bytes */
    b->nodes[txt].flags = UI_FLAG_WRAP;
    uint32_t plain = text_node(b, 0, 3, "thirty bytes of text, not wrapped");
    struct ui_tree t;
    CHECK_EQ(lay_out(b, &t, NULL), 0);
    CHECK(rect_is(t.nodes[txt].rect, 0, 0, 100, 54));    /* 12 a line: 3 lines; stretched */
    CHECK_EQ(t.nodes[plain].rect.h, 18);
    CHECK_EQ(t.height, 72);
    ui_tree_free(&t);
    wb_free(b);
}

/* ---- canvas ---- */

TEST(canvas_places_and_clips) {
    struct wb *b = window(0, 0);
    uint32_t cv = wb_node(b, 0, UI_KIND_CANVAS, 2);
    uint32_t txt = text_node(b, cv, 3, "abc");
    b->nodes[txt].x = 10, b->nodes[txt].y = 20;
    uint32_t rect = wb_node(b, cv, UI_KIND_RECT, 4);
    b->nodes[rect].x = -5, b->nodes[rect].w = 10, b->nodes[rect].h = 10, b->nodes[rect].stroke = 2;
    uint32_t line = wb_node(b, cv, UI_KIND_LINE, 5);
    b->nodes[line].x = 50, b->nodes[line].y = 50, b->nodes[line].w = -10, b->nodes[line].h = 10;
    uint32_t arc = wb_node(b, cv, UI_KIND_ARC, 6);
    b->nodes[arc].x = 20, b->nodes[arc].y = 20, b->nodes[arc].radius = 5, b->nodes[arc].stroke = 4;
    uint32_t path = wb_node(b, cv, UI_KIND_PATH, 7);
    int32_t pts[] = {0, 0, 8, -4, -2, 6};
    wb_path(b, path, pts, 3);
    b->nodes[path].x = 30, b->nodes[path].y = 10;
    struct ui_tree t;
    CHECK_EQ(lay_out(b, &t, NULL), 0);
    CHECK(rect_is(t.nodes[cv].rect, 0, 0, 51, 61));
    CHECK(rect_is(t.nodes[txt].rect, 10, 20, 24, 18));
    CHECK(rect_is(t.nodes[rect].rect, -6, -1, 12, 12));
    CHECK(rect_is(t.nodes[rect].clip, 0, 0, 6, 11));
    CHECK(rect_is(t.nodes[line].rect, 39, 49, 12, 12));
    CHECK(rect_is(t.nodes[arc].rect, 13, 13, 14, 14));
    CHECK(rect_is(t.nodes[path].rect, 27, 5, 12, 12));
    ui_tree_free(&t);
    wb_free(b);

    /* a fixed-size canvas cuts off what is outside it */
    b = window(0, 0);
    cv = wb_node(b, 0, UI_KIND_CANVAS, 2);
    b->nodes[cv].w = 30, b->nodes[cv].h = 30;
    uint32_t col = wb_node(b, cv, UI_KIND_COLUMN, 3);
    b->nodes[col].x = 10, b->nodes[col].y = 20;
    txt = text_node(b, col, 4, "abc");
    CHECK_EQ(lay_out(b, &t, NULL), 0);
    CHECK(rect_is(t.nodes[txt].rect, 10, 20, 24, 18));
    CHECK(rect_is(t.nodes[txt].clip, 10, 20, 20, 10));
    CHECK_EQ(ui_hit_test(&t, 25, 25), txt);
    CHECK_EQ(ui_hit_test(&t, 31, 25), UI_NONE);   /* the text is there, but cut off */
    ui_tree_free(&t);
    wb_free(b);
}

/* ---- lists ---- */

/* Window 200 x 100: a text, then a list (h 0: fill) of `items` texts. */
static struct wb *list_window(int items, uint16_t list_flags) {
    struct wb *b = window(200, 100);
    text_node(b, 0, 2, "title");
    uint32_t list = wb_node(b, 0, UI_KIND_LIST, 3);
    b->nodes[list].flags = list_flags;
    b->nodes[list].value = -1;
    for (int k = 0; k < items; k++)
        text_node(b, list, 100 + k, "item");
    return b;
}

TEST(list_fills_and_shrinks) {
    struct wb *b = list_window(10, 0);
    struct ui_tree t;
    struct ui_view view = {0};
    CHECK_EQ(lay_out(b, &t, &view), 0);
    const struct ui_node *list = &t.nodes[2];
    CHECK(rect_is(list->rect, 0, 18, 200, 82));
    CHECK_EQ(list->content_h, 260);
    CHECK_EQ(list->scroll, 0);
    /* items inset by the padding, narrowed by the scrollbar, clipped to the list */
    CHECK(rect_is(t.nodes[3].rect, 4, 22, 184, 18));
    CHECK(rect_is(t.nodes[5].rect, 4, 74, 184, 18));
    CHECK(rect_is(t.nodes[6].rect, 4, 100, 184, 18));
    CHECK(ui_rect_empty(t.nodes[6].clip));
    CHECK(rect_is(t.nodes[5].clip, 4, 74, 184, 18));
    ui_tree_free(&t);
    wb_free(b);

    /* few items: no scrollbar, the list still takes the room left */
    b = list_window(2, 0);
    CHECK_EQ(lay_out(b, &t, NULL), 0);
    CHECK(rect_is(t.nodes[2].rect, 0, 18, 200, 82));
    CHECK(rect_is(t.nodes[3].rect, 4, 22, 192, 18));
    CHECK_EQ(t.nodes[2].content_h, 52);
    ui_tree_free(&t);
    wb_free(b);
}

TEST(list_scroll_is_clamped) {
    struct wb *b = list_window(10, 0);
    struct ui_tree t;
    struct ui_view view = {0};
    ui_view_set_scroll(&view, 3, 40);
    CHECK_EQ(ui_view_scroll(&view, 3), 40);
    CHECK_EQ(lay_out(b, &t, &view), 0);
    CHECK_EQ(t.nodes[2].scroll, 40);
    CHECK(rect_is(t.nodes[3].rect, 4, -18, 184, 18));
    CHECK(ui_rect_empty(t.nodes[3].clip));
    CHECK(rect_is(t.nodes[4].rect, 4, 8, 184, 18));
    CHECK(rect_is(t.nodes[4].clip, 4, 18, 184, 8));      /* partly under the list's top edge */
    CHECK(rect_is(t.nodes[5].rect, 4, 34, 184, 18));
    ui_view_set_scroll(&view, 3, 1000);
    ui_layout(&t, &theme, &measure, &view);
    CHECK_EQ(t.nodes[2].scroll, 178);
    CHECK_EQ(ui_view_scroll(&view, 3), 178);
    ui_view_set_scroll(&view, 3, -5);
    ui_layout(&t, &theme, &measure, &view);
    CHECK_EQ(t.nodes[2].scroll, 0);
    CHECK_EQ(ui_view_scroll(&view, 3), 0);
    CHECK_EQ(ui_view_scroll(&view, 99), 0);
    ui_tree_free(&t);
    wb_free(b);
}

TEST(list_stick_end) {
    struct ui_tree t;
    struct ui_view view = {0};
    /* a new STICK_END list starts at its end */
    struct wb *b = list_window(10, UI_FLAG_STICK_END);
    CHECK_EQ(lay_out(b, &t, &view), 0);
    CHECK_EQ(t.nodes[2].scroll, 178);
    ui_tree_free(&t);
    wb_free(b);
    /* it grows while at the end: stays at the end */
    b = list_window(11, UI_FLAG_STICK_END);
    CHECK_EQ(lay_out(b, &t, &view), 0);
    CHECK_EQ(t.nodes[2].scroll, 204);
    ui_tree_free(&t);
    wb_free(b);
    /* the user scrolls up; growing leaves it there */
    ui_view_set_scroll(&view, 3, 26);
    b = list_window(12, UI_FLAG_STICK_END);
    CHECK_EQ(lay_out(b, &t, &view), 0);
    CHECK_EQ(t.nodes[2].scroll, 26);
    ui_tree_free(&t);
    wb_free(b);
    /* without the flag a growing list keeps its offset */
    struct ui_view plain = {0};
    b = list_window(10, 0);
    CHECK_EQ(lay_out(b, &t, &plain), 0);
    ui_tree_free(&t);
    wb_free(b);
    b = list_window(12, 0);
    CHECK_EQ(lay_out(b, &t, &plain), 0);
    CHECK_EQ(t.nodes[2].scroll, 0);
    ui_tree_free(&t);
    wb_free(b);
}

TEST(view_forgets_lists_that_went) {
    struct ui_view view = {0};
    for (uint32_t id = 1000; id < 1000 + UI_VIEW_MAX_SCROLL + 5; id++)
        ui_view_set_scroll(&view, id, 7);
    CHECK_EQ(view.nscroll, UI_VIEW_MAX_SCROLL);
    struct ui_tree t;
    struct wb *b = list_window(10, 0);
    CHECK_EQ(lay_out(b, &t, &view), 0);
    CHECK_EQ(view.nscroll, 1);
    CHECK_EQ(view.scroll[0].id, 3u);
    CHECK_EQ(view.scroll[0].last_content_h, 260);
    ui_tree_free(&t);
    wb_free(b);
}

/* ---- hit testing ---- */

TEST(hit_buttons_and_disabled) {
    struct wb *b = window(200, 0);
    uint32_t btn = wb_node(b, 0, UI_KIND_BUTTON, 2);
    uint32_t lbl = text_node(b, btn, 3, "Hi");
    uint32_t off = wb_node(b, 0, UI_KIND_BUTTON, 4);
    b->nodes[off].flags = UI_FLAG_DISABLED;
    uint32_t col = wb_node(b, 0, UI_KIND_COLUMN, 5);
    b->nodes[col].flags = UI_FLAG_DISABLED;
    uint32_t inner = wb_node(b, col, UI_KIND_CHECKBOX, 6);
    uint32_t txt = text_node(b, 0, 7, "just text");
    struct ui_tree t;
    CHECK_EQ(lay_out(b, &t, NULL), 0);
    /* button 0..28 (full width), disabled button 28..56, column 56..72, text 72..90 */
    CHECK_EQ(ui_hit_test(&t, 100, 10), lbl);
    CHECK_EQ(ui_hit_target(&t, 100, 10), btn);
    CHECK_EQ(ui_hit_target(&t, 5, 5), btn);
    CHECK_EQ(ui_hit_test(&t, 5, 30), off);
    CHECK_EQ(ui_hit_target(&t, 5, 30), UI_NONE);
    CHECK_EQ(ui_hit_test(&t, 5, 60), inner);
    CHECK_EQ(ui_hit_target(&t, 5, 60), UI_NONE);
    CHECK_EQ(ui_hit_test(&t, 5, 80), txt);
    CHECK_EQ(ui_hit_target(&t, 5, 80), UI_NONE);
    CHECK_EQ(ui_hit_test(&t, 5, 95), UI_NONE);     /* below the content */
    CHECK_EQ(ui_hit_test(&t, -1, 5), UI_NONE);
    ui_tree_free(&t);
    wb_free(b);
}

TEST(hit_list_items) {
    struct wb *b = list_window(10, 0);
    uint32_t item3 = 6;
    b->nodes[item3].flags = UI_FLAG_DISABLED;   /* a greyed item still lies in an enabled list */
    struct ui_tree t;
    struct ui_view view = {0};
    ui_view_set_scroll(&view, 3, 40);
    CHECK_EQ(lay_out(b, &t, &view), 0);
    /* the list starts at y 18; item 0 is scrolled above it (y -18..0), item 1
     * partly (y 8..26), item 2 is at 34..52, item 3 at 60..78, item 4 at
     * 86..104 (cut at 100) */
    CHECK_EQ(ui_hit_test(&t, 50, 5), 1u);         /* the title text, not item 0 */
    CHECK_EQ(ui_hit_test(&t, 50, 12), 1u);        /* nor item 1 */
    CHECK_EQ(ui_hit_target(&t, 50, 20), 4u);      /* item 1's visible part */
    CHECK_EQ(ui_hit_test(&t, 50, 28), 2u);        /* in the padding between items 1 and 2 */
    CHECK_EQ(ui_hit_target(&t, 50, 28), 4u);      /* the slot below item 1 is still item 1's */
    CHECK_EQ(ui_hit_target(&t, 50, 30), 5u);      /* then item 2's */
    CHECK_EQ(ui_hit_target(&t, 198, 65), UI_NONE);   /* item 3 is disabled, also beside it */
    CHECK_EQ(ui_hit_target(&t, 50, 65), UI_NONE);
    CHECK_EQ(ui_hit_target(&t, 50, 90), 7u);
    CHECK_EQ(ui_hit_target(&t, 50, 101), UI_NONE);
    ui_tree_free(&t);
    wb_free(b);
}

TEST(hit_canvas_and_stacking) {
    struct wb *b = window(0, 0);
    uint32_t cv = wb_node(b, 0, UI_KIND_CANVAS, 2);
    b->nodes[cv].w = 100, b->nodes[cv].h = 50, b->nodes[cv].handlers = UI_WANT_POINTER;
    uint32_t r1 = wb_node(b, cv, UI_KIND_RECT, 3);
    b->nodes[r1].w = 40, b->nodes[r1].h = 40;
    uint32_t r2 = wb_node(b, cv, UI_KIND_RECT, 4);
    b->nodes[r2].x = 20, b->nodes[r2].w = 40, b->nodes[r2].h = 40;
    uint32_t plain = wb_node(b, 0, UI_KIND_CANVAS, 5);
    b->nodes[plain].w = 100, b->nodes[plain].h = 10;
    struct ui_tree t;
    CHECK_EQ(lay_out(b, &t, NULL), 0);
    CHECK_EQ(ui_hit_test(&t, 10, 10), r1);
    CHECK_EQ(ui_hit_test(&t, 30, 10), r2);    /* the later sibling is on top */
    CHECK_EQ(ui_hit_target(&t, 30, 10), cv);
    CHECK_EQ(ui_hit_target(&t, 90, 45), cv);
    CHECK_EQ(ui_hit_test(&t, 90, 55), plain);
    CHECK_EQ(ui_hit_target(&t, 90, 55), UI_NONE);
    ui_tree_free(&t);
    wb_free(b);
}

/* ---- focus ---- */

TEST(focus_order) {
    struct wb *b = window(0, 0);
    uint32_t col = wb_node(b, 0, UI_KIND_COLUMN, 2);
    uint32_t a = wb_node(b, col, UI_KIND_BUTTON, 10);
    text_node(b, col, 11, "not focusable");
    /* tree order is not index order: this row's child comes later in the buffer */
    uint32_t row = wb_node(b, col, UI_KIND_ROW, 12);
    uint32_t in = wb_node(b, col, UI_KIND_TEXT_INPUT, 13);
    uint32_t cb = wb_node(b, col, UI_KIND_CHECKBOX, 14);
    b->nodes[cb].flags = UI_FLAG_DISABLED;
    uint32_t sl = wb_node(b, col, UI_KIND_SLIDER, 15);
    uint32_t list = wb_node(b, col, UI_KIND_LIST, 16);
    b->nodes[list].value = -1;
    uint32_t off = wb_node(b, col, UI_KIND_COLUMN, 17);
    b->nodes[off].flags = UI_FLAG_DISABLED;
    wb_node(b, off, UI_KIND_BUTTON, 18);
    uint32_t in_row = wb_node(b, row, UI_KIND_BUTTON, 19);
    struct ui_tree t;
    CHECK_EQ(lay_out(b, &t, NULL), 0);
    CHECK_EQ(ui_focus_next(&t, 0, 1), a);
    CHECK_EQ(ui_focus_next(&t, 10, 1), in_row);
    CHECK_EQ(ui_focus_next(&t, 19, 1), in);
    CHECK_EQ(ui_focus_next(&t, 13, 1), sl);
    CHECK_EQ(ui_focus_next(&t, 15, 1), list);
    CHECK_EQ(ui_focus_next(&t, 16, 1), a);          /* wraps */
    CHECK_EQ(ui_focus_next(&t, 0, -1), list);
    CHECK_EQ(ui_focus_next(&t, 10, -1), list);      /* wraps */
    CHECK_EQ(ui_focus_next(&t, 13, -1), in_row);
    CHECK_EQ(ui_focus_next(&t, 14, 1), sl);         /* from a node no longer focusable */
    CHECK_EQ(ui_focus_next(&t, 999, 1), a);         /* from one that went */
    ui_tree_free(&t);
    wb_free(b);

    b = window(0, 0);
    uint32_t only = wb_node(b, 0, UI_KIND_BUTTON, 2);
    text_node(b, 0, 3, "x");
    CHECK_EQ(lay_out(b, &t, NULL), 0);
    CHECK_EQ(ui_focus_next(&t, 2, 1), only);
    CHECK_EQ(ui_focus_next(&t, 2, -1), only);
    ui_tree_free(&t);
    wb_free(b);

    b = window(0, 0);
    text_node(b, 0, 2, "nothing to focus");
    CHECK_EQ(lay_out(b, &t, NULL), 0);
    CHECK_EQ(ui_focus_next(&t, 0, 1), UI_NONE);
    CHECK_EQ(ui_focus_next(&t, 2, -1), UI_NONE);
    ui_tree_free(&t);
    wb_free(b);
}

/* ---- slider ---- */

TEST(slider_value_mapping) {
    struct wb *b = window(0, 0);
    uint32_t s = wb_node(b, 0, UI_KIND_SLIDER, 2);
    b->nodes[s].w = 120, b->nodes[s].max = 100;
    uint32_t neg = wb_node(b, 0, UI_KIND_SLIDER, 3);
    b->nodes[neg].w = 120, b->nodes[neg].min = -2000000000, b->nodes[neg].max = 2000000000;
    uint32_t flat = wb_node(b, 0, UI_KIND_SLIDER, 4);
    b->nodes[flat].min = b->nodes[flat].max = 5;
    struct ui_tree t;
    CHECK_EQ(lay_out(b, &t, NULL), 0);
    /* the knob (20 px) centre runs from x 10 to x 110 */
    const struct ui_node *n = &t.nodes[s];
    CHECK_EQ(ui_slider_value_at(n, &theme, -50), 0);
    CHECK_EQ(ui_slider_value_at(n, &theme, 10), 0);
    CHECK_EQ(ui_slider_value_at(n, &theme, 11), 1);
    CHECK_EQ(ui_slider_value_at(n, &theme, 60), 50);
    CHECK_EQ(ui_slider_value_at(n, &theme, 110), 100);
    CHECK_EQ(ui_slider_value_at(n, &theme, 5000), 100);
    CHECK_EQ(ui_slider_value_at(&t.nodes[neg], &theme, 60), 0);
    CHECK_EQ(ui_slider_value_at(&t.nodes[neg], &theme, 110), 2000000000);
    CHECK_EQ(ui_slider_value_at(&t.nodes[flat], &theme, 80), 5);
    ui_tree_free(&t);
    wb_free(b);
}

/* ---- damage ---- */

/* Window 200 x 100: column (id 2) of texts with ids 10, 11, ...; the texts
 * given, NULL skipped (so a test can remove one). */
static struct wb *texts_window(const char *const *texts, int n, const char *title) {
    struct wb *b = window(200, 100);
    wb_text(b, 0, title);
    uint32_t col = wb_node(b, 0, UI_KIND_COLUMN, 2);
    for (int k = 0; k < n; k++)
        if (texts[k])
            text_node(b, col, 10 + k, texts[k]);
    return b;
}

static int diff_of(const char *const *before, int nb, const char *const *after, int na, const char *title,
                   struct ui_rect *out, int max) {
    struct ui_tree a, c;
    struct wb *b1 = texts_window(before, nb, "title"), *b2 = texts_window(after, na, title);
    lay_out(b1, &a, NULL);
    lay_out(b2, &c, NULL);
    int n = ui_tree_diff(&a, &c, out, max);
    ui_tree_free(&a);
    ui_tree_free(&c);
    wb_free(b1);
    wb_free(b2);
    return n;
}

/* Is r inside one of out[0..n)? */
static bool covered(struct ui_rect r, const struct ui_rect *out, int n) {
    for (int i = 0; i < n; i++) {
        struct ui_rect in = ui_rect_intersect(r, out[i]);
        if (in.x == r.x && in.y == r.y && in.w == r.w && in.h == r.h)
            return true;
    }
    return false;
}

static struct ui_rect bounds(const struct ui_rect *out, int n) {
    struct ui_rect u = {0, 0, 0, 0};
    for (int i = 0; i < n; i++)
        u = ui_rect_union(u, out[i]);
    return u;
}

TEST(diff_whole_without_old) {
    static const char *const texts[] = {"a"};
    struct ui_tree t;
    struct wb *b = texts_window(texts, 1, "x");
    CHECK_EQ(lay_out(b, &t, NULL), 0);
    struct ui_rect out[4];
    CHECK_EQ(ui_tree_diff(NULL, &t, out, 4), 1);
    CHECK(rect_is(out[0], 0, 0, 200, 100));
    CHECK_EQ(ui_tree_diff(&t, &t, out, 4), 0);
    CHECK_EQ(ui_tree_diff(NULL, &t, out, 0), 0);
    ui_tree_free(&t);
    wb_free(b);
}

TEST(diff_only_the_changed_text) {
    static const char *const before[] = {"one", "two", "three"};
    static const char *const after[] = {"one", "2", "three"};
    static const char *const longer[] = {"one", "twotwotwo", "three"};
    struct ui_rect out[8];
    CHECK_EQ(diff_of(before, 3, before, 3, "title", out, 8), 0);
    CHECK_EQ(diff_of(before, 3, before, 3, "new title", out, 8), 0);   /* the title is not content */
    CHECK_EQ(diff_of(before, 3, after, 3, "title", out, 8), 1);
    CHECK(rect_is(out[0], 0, 18, 24, 18));
    CHECK_EQ(diff_of(before, 3, longer, 3, "title", out, 8), 1);
    CHECK(rect_is(out[0], 0, 18, 72, 18));
}

TEST(diff_moved_added_removed) {
    static const char *const before[] = {NULL, "one", "two", "three"};
    static const char *const added[] = {"zero", "one", "two", "three"};
    static const char *const removed[] = {NULL, "one", NULL, "three"};
    struct ui_rect out[8];
    /* a text added at the top moves the others down: every row, and no more */
    int n = diff_of(before, 4, added, 4, "title", out, 8);
    CHECK_EQ(n, 4);
    for (int row = 0; row < 4; row++)
        CHECK(covered((struct ui_rect){0, 18 * row, 24, 18}, out, n));
    CHECK(covered((struct ui_rect){0, 0, 32, 18}, out, n) && covered((struct ui_rect){0, 36, 40, 18}, out, n) &&
          covered((struct ui_rect){0, 54, 40, 18}, out, n));
    CHECK(rect_is(bounds(out, n), 0, 0, 40, 72));
    /* removing "two" moves "three" up over where it was; "one" is untouched */
    n = diff_of(before, 4, removed, 4, "title", out, 8);
    CHECK_EQ(n, 2);
    CHECK(covered((struct ui_rect){0, 18, 40, 18}, out, n) && covered((struct ui_rect){0, 36, 40, 18}, out, n));
    CHECK(rect_is(bounds(out, n), 0, 18, 40, 36));
}

TEST(diff_containers) {
    struct ui_tree a, c;
    struct ui_rect out[8];
    /* a column's background colour: its whole rect */
    struct wb *b1 = window(200, 100), *b2 = window(200, 100);
    for (int k = 0; k < 2; k++) {
        struct wb *b = k ? b2 : b1;
        uint32_t col = wb_node(b, 0, UI_KIND_COLUMN, 2);
        b->nodes[col].flags = UI_FLAG_HAS_BACKGROUND | UI_FLAG_EXPAND;
        b->nodes[col].background = k ? 0xff0000ff : 0x00ff00ff;
        b->nodes[col].padding = 10;
        text_node(b, col, 3, "a");
    }
    lay_out(b1, &a, NULL);
    lay_out(b2, &c, NULL);
    CHECK_EQ(ui_tree_diff(&a, &c, out, 8), 1);
    CHECK(rect_is(out[0], 0, 0, 200, 100));
    ui_tree_free(&a);
    ui_tree_free(&c);
    wb_free(b1);
    wb_free(b2);

    /* a column without a background that moves its child: only the child */
    b1 = window(200, 100), b2 = window(200, 100);
    for (int k = 0; k < 2; k++) {
        struct wb *b = k ? b2 : b1;
        uint32_t col = wb_node(b, 0, UI_KIND_COLUMN, 2);
        b->nodes[col].padding = k ? 20 : 10;
        text_node(b, col, 3, "a");
    }
    lay_out(b1, &a, NULL);
    lay_out(b2, &c, NULL);
    CHECK_EQ(ui_tree_diff(&a, &c, out, 8), 2);
    CHECK((rect_is(out[0], 10, 10, 8, 18) && rect_is(out[1], 20, 20, 8, 18)) ||
          (rect_is(out[1], 10, 10, 8, 18) && rect_is(out[0], 20, 20, 8, 18)));
    ui_tree_free(&a);
    ui_tree_free(&c);
    wb_free(b1);
    wb_free(b2);

    /* a disabled column greys its children */
    b1 = window(200, 100), b2 = window(200, 100);
    for (int k = 0; k < 2; k++) {
        struct wb *b = k ? b2 : b1;
        uint32_t col = wb_node(b, 0, UI_KIND_COLUMN, 2);
        b->nodes[col].flags = k ? UI_FLAG_DISABLED : 0;
        text_node(b, col, 3, "a");
    }
    lay_out(b1, &a, NULL);
    lay_out(b2, &c, NULL);
    CHECK_EQ(ui_tree_diff(&a, &c, out, 8), 1);
    CHECK(rect_is(out[0], 0, 0, 8, 18));
    ui_tree_free(&a);
    ui_tree_free(&c);
    wb_free(b1);
    wb_free(b2);

    /* a resized window: all of it */
    b1 = window(200, 100), b2 = window(220, 100);
    lay_out(b1, &a, NULL);
    lay_out(b2, &c, NULL);
    CHECK_EQ(ui_tree_diff(&a, &c, out, 8), 1);
    CHECK(rect_is(out[0], 0, 0, 220, 100));
    ui_tree_free(&a);
    ui_tree_free(&c);
    wb_free(b1);
    wb_free(b2);
}

/* A 400 x 400 canvas with `n` 10 x 10 rects on a diagonal; colour c. */
static struct wb *dots(int n, uint32_t changed_mask) {
    struct wb *b = window(0, 0);
    uint32_t cv = wb_node(b, 0, UI_KIND_CANVAS, 2);
    b->nodes[cv].w = 400, b->nodes[cv].h = 400;
    for (int k = 0; k < n; k++) {
        uint32_t r = wb_node(b, cv, UI_KIND_RECT, 10 + k);
        b->nodes[r].x = 1 + 40 * k, b->nodes[r].y = 1 + 40 * k, b->nodes[r].w = 8, b->nodes[r].h = 8;
        b->nodes[r].flags = UI_FLAG_HAS_BACKGROUND;
        b->nodes[r].background = (changed_mask >> k) & 1 ? 0xff0000ff : 0x0000ffff;
    }
    return b;
}


TEST(diff_merges_to_the_limit) {
    struct ui_tree a, c;
    struct wb *b1 = dots(10, 0), *b2 = dots(10, 0x3ff);
    lay_out(b1, &a, NULL);
    lay_out(b2, &c, NULL);
    struct ui_rect out[16];
    CHECK_EQ(ui_tree_diff(&a, &c, out, 16), 10);
    for (int k = 0; k < 10; k++)
        CHECK(covered((struct ui_rect){40 * k, 40 * k, 10, 10}, out, 10));
    for (int max = 1; max <= 9; max++) {
        int n = ui_tree_diff(&a, &c, out, max);
        CHECK(n >= 1 && n <= max);
        for (int k = 0; k < 10; k++)
            CHECK(covered((struct ui_rect){40 * k, 40 * k, 10, 10}, out, n));
        for (int i = 0; i < n; i++)     /* merged rects do not overlap */
            for (int j = i + 1; j < n; j++)
                CHECK(ui_rect_empty(ui_rect_intersect(out[i], out[j])));
    }
    CHECK_EQ(ui_tree_diff(&a, &c, out, 1), 1);
    CHECK(rect_is(out[0], 0, 0, 370, 370));
    ui_tree_free(&a);
    ui_tree_free(&c);
    wb_free(b1);
    wb_free(b2);

    /* overlapping damage is one rect */
    b1 = dots(2, 0), b2 = dots(2, 3);
    b1->nodes[3].x = b2->nodes[3].x = 5, b1->nodes[3].y = b2->nodes[3].y = 5;
    lay_out(b1, &a, NULL);
    lay_out(b2, &c, NULL);
    CHECK_EQ(ui_tree_diff(&a, &c, out, 16), 1);
    CHECK(rect_is(out[0], 0, 0, 14, 14));
    ui_tree_free(&a);
    ui_tree_free(&c);
    wb_free(b1);
    wb_free(b2);
}

TEST(diff_many_changes_fall_back_to_bounds) {
    struct ui_tree a, c;
    struct wb *b1 = window(0, 0), *b2 = window(0, 0);
    for (int k = 0; k < 2; k++) {
        struct wb *b = k ? b2 : b1;
        uint32_t cv = wb_node(b, 0, UI_KIND_CANVAS, 2);
        for (int i = 0; i < 300; i++) {
            uint32_t r = wb_node(b, cv, UI_KIND_RECT, 10 + i);
            b->nodes[r].x = 3 * i, b->nodes[r].y = (i % 2) * 100, b->nodes[r].w = 1, b->nodes[r].h = 1;
            b->nodes[r].color = k;
        }
    }
    lay_out(b1, &a, NULL);
    lay_out(b2, &c, NULL);
    struct ui_rect out[8];
    int n = ui_tree_diff(&a, &c, out, 8);
    CHECK(n >= 1 && n <= 8);
    for (int i = 0; i < 300; i++)
        CHECK(covered(c.nodes[i + 2].clip, out, n));
    ui_tree_free(&a);
    ui_tree_free(&c);
    wb_free(b1);
    wb_free(b2);
}

TEST_MAIN()
