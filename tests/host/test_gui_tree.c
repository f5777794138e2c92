// host-test-uses: servers/gui/tree.c
/*
 * The gui server's tree decoder (servers/gui/tree.c): a good tree decodes
 * exactly, and every rule of ui_tree_decode rejects its bad input with the
 * right code and a reason naming the node.
 */
#include "test.h"
#include <stdint.h>
#include <stdlib.h>
#include <tessera/abi.h>
#include "../../servers/gui/tree.h"
#include "gui_wire_builder.h"

static char reason[256];

/* Window (id 1) -> column (id 2) -> text (id 3): the smallest useful tree. */
static struct wb *small_tree(void) {
    struct wb *b = wb_new();
    uint32_t win = wb_node(b, UI_NO_PARENT, UI_KIND_WINDOW, 1);
    uint32_t col = wb_node(b, win, UI_KIND_COLUMN, 2);
    uint32_t txt = wb_node(b, col, UI_KIND_TEXT, 3);
    wb_text(b, txt, "hello");
    return b;
}

static int decode(struct wb *b, struct ui_tree *t) {
    wb_finish(b);
    return ui_tree_decode(b->buf, b->size, t, reason, sizeof reason);
}

/* Decodes b, expects `code` and `needle` in the reason; frees b. */
static int rejects(struct wb *b, int code, const char *needle) {
    struct ui_tree t;
    int err = decode(b, &t);
    int ok = err == code && strstr(reason, needle) != NULL && t.nodes == NULL && t.count == 0;
    if (!ok)
        printf("  got %d \"%s\", expected %d \"...%s...\"\n", err, reason, code, needle);
    if (!err)
        ui_tree_free(&t);
    wb_free(b);
    return ok;
}

static struct ui_wire_header *hdr_of(struct wb *b) {
    return (struct ui_wire_header *)b->buf;
}

static int rejects_buf(struct wb *b, int code, const char *needle) {
    struct ui_tree t;
    int err = ui_tree_decode(b->buf, b->size, &t, reason, sizeof reason);
    int ok = err == code && strstr(reason, needle) != NULL && t.nodes == NULL;
    if (!ok)
        printf("  got %d \"%s\", expected %d \"...%s...\"\n", err, reason, code, needle);
    if (!err)
        ui_tree_free(&t);
    wb_free(b);
    return ok;
}

/* ---- accepted trees ---- */

TEST(decodes_every_kind) {
    struct wb *b = wb_new();
    uint32_t win = wb_node(b, UI_NO_PARENT, UI_KIND_WINDOW, 100);
    wb_text(b, win, "Title \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");   /* é € 😀 */
    b->nodes[win].w = 320, b->nodes[win].h = 200;
    uint32_t col = wb_node(b, win, UI_KIND_COLUMN, 101);
    b->nodes[col].padding = 8, b->nodes[col].spacing = 4, b->nodes[col].align = UI_ALIGN_STRETCH;
    b->nodes[col].flags = UI_FLAG_EXPAND | UI_FLAG_HAS_BACKGROUND, b->nodes[col].background = 0x11223344;
    uint32_t btn = wb_node(b, col, UI_KIND_BUTTON, 102);
    b->nodes[btn].handlers = UI_WANT_CLICK;
    uint32_t lbl = wb_node(b, btn, UI_KIND_TEXT, 103);
    wb_text(b, lbl, "Click here");
    b->nodes[lbl].text_size = UI_SIZE_H1, b->nodes[lbl].font = UI_FONT_SANS_BOLD;
    b->nodes[lbl].flags = UI_FLAG_HAS_COLOR, b->nodes[lbl].color = 0xff0000ff;
    uint32_t in = wb_node(b, col, UI_KIND_TEXT_INPUT, 104);
    wb_text(b, in, "ab\xc3\xa9");
    wb_data(b, in, "Type here", 9);
    b->nodes[in].value = 4, b->nodes[in].min = 2, b->nodes[in].handlers = UI_WANT_KEY | UI_WANT_CHANGE;
    uint32_t cb = wb_node(b, col, UI_KIND_CHECKBOX, 105);
    wb_text(b, cb, "Check");
    b->nodes[cb].value = 1;
    uint32_t sl = wb_node(b, col, UI_KIND_SLIDER, 106);
    b->nodes[sl].min = -10, b->nodes[sl].max = 10, b->nodes[sl].value = 99;   /* clamped */
    uint32_t img = wb_node(b, col, UI_KIND_IMAGE, 107);
    wb_png(b, img, 48, 32);
    uint32_t list = wb_node(b, col, UI_KIND_LIST, 108);
    b->nodes[list].value = 1, b->nodes[list].flags = UI_FLAG_STICK_END;
    wb_text(b, wb_node(b, list, UI_KIND_TEXT, 109), "one");
    wb_text(b, wb_node(b, list, UI_KIND_TEXT, 110), "two");
    uint32_t row = wb_node(b, col, UI_KIND_ROW, 111);
    wb_node(b, row, UI_KIND_SPACER, 112);
    uint32_t cv = wb_node(b, col, UI_KIND_CANVAS, 113);
    b->nodes[cv].handlers = UI_WANT_POINTER;
    uint32_t line = wb_node(b, cv, UI_KIND_LINE, 114);
    b->nodes[line].x = 5, b->nodes[line].w = -5, b->nodes[line].h = 7, b->nodes[line].stroke = 3;
    uint32_t rect = wb_node(b, cv, UI_KIND_RECT, 115);
    b->nodes[rect].radius = 4, b->nodes[rect].w = 10, b->nodes[rect].h = 10;
    uint32_t arc = wb_node(b, cv, UI_KIND_ARC, 116);
    b->nodes[arc].radius = 9, b->nodes[arc].min = 0, b->nodes[arc].max = 270;
    uint32_t path = wb_node(b, cv, UI_KIND_PATH, 117);
    int32_t pts[] = {0, 0, 10, 0, 10, -10};
    wb_path(b, path, pts, 3);
    b->nodes[path].flags = UI_FLAG_CLOSED;
    wb_text(b, wb_node(b, cv, UI_KIND_TEXT, 118), "in canvas");
    wb_png(b, wb_node(b, cv, UI_KIND_IMAGE, 119), 1, 2048);
    b->hdr.generation = 77;

    struct ui_tree t;
    CHECK_EQ(decode(b, &t), 0);
    CHECK_STR(reason, "");
    CHECK_EQ(t.count, b->count);
    CHECK_EQ(t.generation, 77u);
    const struct ui_node *n = t.nodes;
    CHECK_STR(n[win].text, "Title \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
    CHECK_EQ(n[win].parent, UI_NONE);
    CHECK_EQ(n[win].w, 320);
    CHECK_EQ(n[win].first_child, col);
    CHECK_EQ(n[win].child_count, 1u);
    CHECK_EQ(n[col].padding, 8);
    CHECK_EQ(n[col].background, 0x11223344u);
    CHECK_EQ(n[col].child_count, 8u);
    CHECK_EQ(n[col].first_child, btn);
    CHECK_EQ(n[col].last_child, cv);
    CHECK_EQ(n[btn].next_sibling, in);
    CHECK_EQ(n[cv].next_sibling, UI_NONE);
    CHECK_EQ(n[lbl].depth, 3u);
    CHECK_EQ(n[lbl].parent, btn);
    CHECK_STR(n[lbl].text, "Click here");
    CHECK_EQ(n[lbl].text_len, 10u);
    CHECK_EQ(n[lbl].color, 0xff0000ffu);
    CHECK_EQ(n[lbl].text_size, UI_SIZE_H1);
    CHECK_STR(n[in].placeholder, "Type here");
    CHECK_EQ(n[in].data_len, 9u);
    CHECK_EQ(n[in].value, 4);
    CHECK_EQ(n[in].min, 2);
    CHECK_EQ(n[sl].value, 10);
    CHECK_EQ(n[img].image_w, 48u);
    CHECK_EQ(n[img].image_h, 32u);
    CHECK(n[img].data && n[img].data[1] == 'P');
    CHECK_EQ(n[list].value, 1);
    CHECK_EQ(n[list].child_count, 2u);
    CHECK_EQ(n[line].w, -5);
    CHECK_EQ(n[path].data_len, 24u);
    int32_t third_y;
    memcpy(&third_y, n[path].data + 20, 4);
    CHECK_EQ(third_y, -10);
    CHECK_STR(n[btn].text, "");          /* never NULL */
    CHECK(n[btn].data == NULL);
    CHECK_STR(n[btn].placeholder, "");
    CHECK_EQ(ui_tree_find(&t, 117), path);
    CHECK_EQ(ui_tree_find(&t, 100), 0u);
    CHECK_EQ(ui_tree_find(&t, 999), UI_NONE);
    CHECK_EQ(ui_tree_find(&t, 0), UI_NONE);
    ui_tree_free(&t);
    CHECK(t.nodes == NULL && t.count == 0);
    ui_tree_free(&t);   /* twice is harmless */
    wb_free(b);
}

TEST(decode_copies_the_buffer) {
    struct wb *b = small_tree();
    struct ui_tree t;
    CHECK_EQ(decode(b, &t), 0);
    memset(b->buf, 0xee, b->size);   /* the app scribbles over the shared memory */
    CHECK_STR(t.nodes[2].text, "hello");
    CHECK_EQ(t.nodes[2].id, 3u);
    ui_tree_free(&t);
    wb_free(b);
}

TEST(decode_takes_a_larger_buffer) {
    struct wb *b = small_tree();
    wb_finish(b);
    uint8_t *big = calloc(1, b->size + 100);
    memcpy(big, b->buf, b->size);
    struct ui_tree t;
    CHECK_EQ(ui_tree_decode(big, b->size + 100, &t, reason, sizeof reason), 0);
    CHECK_EQ(t.count, 3u);
    ui_tree_free(&t);
    free(big);
    wb_free(b);
}

TEST(decode_many_nodes_and_deep) {
    /* the limits themselves are fine: 4096 nodes, depth 32 */
    struct wb *b = wb_new();
    uint32_t p = wb_node(b, UI_NO_PARENT, UI_KIND_WINDOW, 1);
    for (uint32_t d = 1; d <= UI_TREE_MAX_DEPTH; d++)
        p = wb_node(b, p, UI_KIND_COLUMN, 1 + d);
    while (b->count < UI_TREE_MAX_NODES)
        wb_node(b, p - 1, UI_KIND_SPACER, 7919u * b->count + 100000);   /* spread ids, depth 32 */
    struct ui_tree t;
    int err = decode(b, &t);
    CHECK_EQ(err, 0);
    if (err) {
        printf("  %s\n", reason);
        wb_free(b);
        return;
    }
    CHECK_EQ(t.count, UI_TREE_MAX_NODES);
    CHECK_EQ(t.nodes[UI_TREE_MAX_DEPTH].depth, UI_TREE_MAX_DEPTH);
    CHECK_EQ(ui_tree_find(&t, 7919u * 4000 + 100000), 4000u);
    ui_tree_free(&t);
    wb_free(b);
}

/* ---- the header ---- */

TEST(reject_short_buffer) {
    struct wb *b = small_tree();
    wb_finish(b);
    b->size = 31;
    CHECK(rejects_buf(b, -E_INVAL, "less than the 32-byte header"));
    struct ui_tree t;
    CHECK_EQ(ui_tree_decode(NULL, 100, &t, reason, sizeof reason), -E_INVAL);
}

TEST(reject_header_fields) {
    struct wb *b = small_tree();
    wb_finish(b);
    hdr_of(b)->magic = 0x12345678;
    CHECK(rejects_buf(b, -E_INVAL, "bad magic 0x12345678"));
    b = small_tree(), wb_finish(b), hdr_of(b)->version = 2;
    CHECK(rejects_buf(b, -E_INVAL, "version 2"));
    b = small_tree(), wb_finish(b), hdr_of(b)->header_size = 36;
    CHECK(rejects_buf(b, -E_INVAL, "header_size 36"));
    b = small_tree(), wb_finish(b), hdr_of(b)->node_size = 84;
    CHECK(rejects_buf(b, -E_INVAL, "node_size 84"));
    b = small_tree(), wb_finish(b), hdr_of(b)->reserved = 1;
    CHECK(rejects_buf(b, -E_INVAL, "reserved"));
}

TEST(reject_sizes) {
    struct wb *b = small_tree();
    wb_finish(b);
    hdr_of(b)->total_size += 1;
    CHECK(rejects_buf(b, -E_INVAL, "is not header +"));
    b = small_tree(), wb_finish(b), hdr_of(b)->data_size += 4, hdr_of(b)->total_size += 4;
    CHECK(rejects_buf(b, -E_RANGE, "only"));    /* more than committed */
    b = small_tree(), wb_finish(b), b->size -= 1;
    CHECK(rejects_buf(b, -E_RANGE, "bytes committed"));
    b = small_tree(), wb_finish(b), hdr_of(b)->total_size = UI_TREE_MAX_BYTES + 1;
    CHECK(rejects_buf(b, -E_RANGE, "over the limit"));
    b = small_tree(), wb_finish(b), hdr_of(b)->node_count = 0;
    CHECK(rejects_buf(b, -E_INVAL, "0 nodes"));
    b = small_tree(), wb_finish(b), hdr_of(b)->node_count = UI_TREE_MAX_NODES + 1;
    CHECK(rejects_buf(b, -E_RANGE, "4097 nodes"));
    b = small_tree(), wb_finish(b), hdr_of(b)->data_size = 0xfffffff0u;   /* wraps in 32 bits */
    CHECK(rejects_buf(b, -E_INVAL, "is not header +"));
}

TEST(reject_too_many_nodes_built) {
    struct wb *b = wb_new();
    uint32_t w = wb_node(b, UI_NO_PARENT, UI_KIND_WINDOW, 1);
    while (b->count < UI_TREE_MAX_NODES + 1)
        wb_node(b, w, UI_KIND_SPACER, b->count + 1);
    CHECK(rejects(b, -E_RANGE, "4097 nodes"));
}

/* ---- structure ---- */

TEST(reject_root_and_parents) {
    struct wb *b = small_tree();
    b->nodes[0].kind = UI_KIND_COLUMN;
    CHECK(rejects(b, -E_INVAL, "node 0 (id 1): the root is a COLUMN, not a WINDOW"));
    b = small_tree(), b->nodes[0].parent = 0;
    CHECK(rejects(b, -E_INVAL, "node 0 (id 1): the root has parent 0"));
    b = small_tree(), b->nodes[2].kind = UI_KIND_WINDOW;
    CHECK(rejects(b, -E_INVAL, "node 2 (id 3): a WINDOW that is not the root"));
    b = small_tree(), b->nodes[2].parent = 2;
    CHECK(rejects(b, -E_INVAL, "node 2 (id 3): parent 2 is not before it"));
    b = small_tree(), b->nodes[1].parent = 2;
    CHECK(rejects(b, -E_INVAL, "node 1 (id 2): parent 2 is not before it"));
    b = small_tree(), b->nodes[2].parent = UI_NO_PARENT;
    CHECK(rejects(b, -E_INVAL, "node 2 (id 3): parent 4294967295 is not before it"));
}

TEST(reject_depth) {
    struct wb *b = wb_new();
    uint32_t p = wb_node(b, UI_NO_PARENT, UI_KIND_WINDOW, 1);
    for (uint32_t d = 1; d <= UI_TREE_MAX_DEPTH + 1; d++)
        p = wb_node(b, p, UI_KIND_COLUMN, 1 + d);
    CHECK(rejects(b, -E_RANGE, "node 33 (id 34): deeper than 32 levels"));
}

TEST(reject_ids) {
    struct wb *b = small_tree();
    b->nodes[1].id = 0;
    CHECK(rejects(b, -E_INVAL, "node 1 (id 0): id 0 is reserved"));
    b = small_tree(), b->nodes[2].id = 1;
    CHECK(rejects(b, -E_INVAL, "node 2 (id 1): id 1 is also node 0's"));
    /* many ids that collide in the low bits still work, and a late duplicate is found */
    b = wb_new();
    uint32_t w = wb_node(b, UI_NO_PARENT, UI_KIND_WINDOW, 1 << 20);
    for (uint32_t k = 1; k < 3000; k++)
        wb_node(b, w, UI_KIND_SPACER, (k + 1) << 20);
    wb_node(b, w, UI_KIND_SPACER, 1500u << 20);
    CHECK(rejects(b, -E_INVAL, "node 3000 (id 1572864000): id 1572864000 is also node 1499's"));
}

TEST(reject_kind_flags_handlers) {
    static const uint16_t bad_kinds[] = {0, 13, 15, 20, 0xffff};
    for (unsigned k = 0; k < sizeof bad_kinds / sizeof bad_kinds[0]; k++) {
        struct wb *b = small_tree();
        b->nodes[2].kind = bad_kinds[k];
        char want[64];
        snprintf(want, sizeof want, "node 2 (id 3): unknown kind %u", bad_kinds[k]);
        CHECK(rejects(b, -E_INVAL, want));
    }
    struct wb *b = small_tree();
    b->nodes[2].flags = 0x100;
    CHECK(rejects(b, -E_INVAL, "node 2 (id 3): unknown flags 0x100"));
    b = small_tree(), b->nodes[2].handlers = 0x20 | UI_WANT_CLICK;
    CHECK(rejects(b, -E_INVAL, "node 2 (id 3): unknown handlers 0x20"));
}

TEST(reject_field_ranges) {
    struct wb *b = small_tree();
    b->nodes[2].text_size = UI_SIZE_MAX + 1;
    CHECK(rejects(b, -E_INVAL, "text_size 5"));
    b = small_tree(), b->nodes[2].font = UI_FONT_MAX + 1;
    CHECK(rejects(b, -E_INVAL, "font 3"));
    b = small_tree(), b->nodes[2].align = UI_ALIGN_MAX + 1;
    CHECK(rejects(b, -E_INVAL, "align 4"));
    b = small_tree(), b->nodes[1].padding = 257;
    CHECK(rejects(b, -E_RANGE, "node 1 (id 2): padding 257"));
    b = small_tree(), b->nodes[1].spacing = 300;
    CHECK(rejects(b, -E_RANGE, "spacing 300 over 256"));
    b = small_tree(), b->nodes[1].padding = 256, b->nodes[1].spacing = 256;
    struct ui_tree t;
    CHECK_EQ(decode(b, &t), 0);
    ui_tree_free(&t);
    wb_free(b);
}

TEST(reject_coordinates) {
    struct wb *b = small_tree();
    b->nodes[2].x = UI_COORD_MAX + 1;
    CHECK(rejects(b, -E_RANGE, "position 16385,0"));
    b = small_tree(), b->nodes[2].y = -UI_COORD_MAX - 1;
    CHECK(rejects(b, -E_RANGE, "position 0,-16385"));
    b = small_tree(), b->nodes[2].w = -1;
    CHECK(rejects(b, -E_RANGE, "node 2 (id 3): size -1x0 outside 0 .. 16384"));
    b = small_tree(), b->nodes[2].h = UI_COORD_MAX + 1;
    CHECK(rejects(b, -E_RANGE, "size 0x16385"));
    b = small_tree(), b->nodes[2].radius = UI_COORD_MAX + 1;
    CHECK(rejects(b, -E_RANGE, "radius 16385"));
    /* a LINE may go left and up, but not beyond the limit either */
    b = wb_new();
    uint32_t cv = wb_node(b, wb_node(b, UI_NO_PARENT, UI_KIND_WINDOW, 1), UI_KIND_CANVAS, 2);
    uint32_t line = wb_node(b, cv, UI_KIND_LINE, 3);
    b->nodes[line].w = -UI_COORD_MAX, b->nodes[line].h = -1;
    struct ui_tree t;
    CHECK_EQ(decode(b, &t), 0);
    ui_tree_free(&t);
    b->nodes[line].w = -UI_COORD_MAX - 1;
    CHECK(rejects(b, -E_RANGE, "size -16385x-1 outside -16384 .. 16384"));
}

TEST(reject_placement) {
    struct wb *b = small_tree();
    wb_node(b, 2, UI_KIND_TEXT, 4);   /* under a TEXT */
    CHECK(rejects(b, -E_INVAL, "node 3 (id 4): parent 2 is a TEXT, which has no children"));
    b = small_tree(), wb_node(b, 1, UI_KIND_RECT, 4);
    CHECK(rejects(b, -E_INVAL, "node 3 (id 4): a RECT outside a CANVAS (parent 1 is a COLUMN)"));
    b = small_tree(), wb_node(b, 0, UI_KIND_PATH, 4);
    CHECK(rejects(b, -E_INVAL, "a PATH outside a CANVAS (parent 0 is a WINDOW)"));
    b = small_tree();
    uint32_t btn = wb_node(b, 1, UI_KIND_BUTTON, 4);
    wb_node(b, btn, UI_KIND_TEXT, 5);
    wb_node(b, btn, UI_KIND_TEXT, 6);
    CHECK(rejects(b, -E_INVAL, "node 5 (id 6): a BUTTON holds one TEXT label and nothing else (this is a TEXT)"));
    b = small_tree(), btn = wb_node(b, 1, UI_KIND_BUTTON, 4), wb_node(b, btn, UI_KIND_IMAGE, 5);
    CHECK(rejects(b, -E_INVAL, "(this is a IMAGE)"));
    static const uint16_t leaves[] = {UI_KIND_TEXT_INPUT, UI_KIND_CHECKBOX, UI_KIND_SLIDER, UI_KIND_SPACER};
    for (unsigned k = 0; k < 4; k++) {
        b = small_tree();
        uint32_t leaf = wb_node(b, 1, leaves[k], 4);
        wb_node(b, leaf, UI_KIND_TEXT, 5);
        CHECK(rejects(b, -E_INVAL, "which has no children"));
    }
    b = wb_new();
    uint32_t cv = wb_node(b, wb_node(b, UI_NO_PARENT, UI_KIND_WINDOW, 1), UI_KIND_CANVAS, 2);
    uint32_t rect = wb_node(b, cv, UI_KIND_RECT, 3);
    wb_node(b, rect, UI_KIND_LINE, 4);
    CHECK(rejects(b, -E_INVAL, "parent 2 is a RECT, which has no children"));
    /* containers go anywhere containers go, also inside a canvas */
    b = wb_new();
    cv = wb_node(b, wb_node(b, UI_NO_PARENT, UI_KIND_WINDOW, 1), UI_KIND_CANVAS, 2);
    uint32_t col = wb_node(b, cv, UI_KIND_COLUMN, 3);
    uint32_t list = wb_node(b, col, UI_KIND_LIST, 4);
    wb_node(b, wb_node(b, list, UI_KIND_ROW, 5), UI_KIND_BUTTON, 6);
    struct ui_tree t;
    CHECK_EQ(decode(b, &t), 0);
    ui_tree_free(&t);
    wb_free(b);
}

/* ---- strings ---- */

static struct wb *text_tree(const char *bytes, uint32_t len) {
    struct wb *b = small_tree();
    b->nodes[2].text_offset = wb_bytes(b, bytes, len);
    b->nodes[2].text_len = len;
    return b;
}

TEST(reject_bad_utf8) {
    static const struct { const char *s; uint32_t len, at; } bad[] = {
        {"ab\xc0\x80", 4, 2},            /* overlong NUL */
        {"\xe0\x80\xaf", 3, 0},          /* overlong '/' */
        {"x\xed\xa0\x80", 4, 1},         /* surrogate */
        {"\xf4\x90\x80\x80", 4, 0},      /* above U+10FFFF */
        {"\xf8\x88\x80\x80\x80", 5, 0},  /* 5-byte form */
        {"abc\xe2\x82", 5, 3},           /* cut short */
        {"\x80", 1, 0},                  /* lone continuation */
        {"a\xc3(", 3, 1},                /* bad continuation */
        {"nul\0inside", 10, 3},
        {"\xff", 1, 0},
    };
    for (unsigned k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        char want[80];
        snprintf(want, sizeof want, "node 2 (id 3): text is not valid UTF-8 (or has a NUL) at byte %u", bad[k].at);
        CHECK(rejects(text_tree(bad[k].s, bad[k].len), -E_INVAL, want));
    }
    /* the largest of each length is fine */
    struct ui_tree t;
    struct wb *b = text_tree("\x7f\xdf\xbf\xef\xbf\xbf\xf4\x8f\xbf\xbf\xee\x80\x80", 13);
    CHECK_EQ(decode(b, &t), 0);
    CHECK_EQ(t.nodes[2].text_len, 13u);
    ui_tree_free(&t);
    wb_free(b);
}

TEST(reject_string_ranges) {
    struct wb *b = small_tree();
    b->nodes[2].text_offset = 1;   /* "hello" is 5 bytes at 0: 1 + 5 > 5 */
    CHECK(rejects(b, -E_RANGE, "node 2 (id 3): text bytes 1 + 5 outside the 5 data bytes"));
    b = small_tree(), b->nodes[2].text_offset = 0xfffffffeu;   /* wraps in 32 bits */
    CHECK(rejects(b, -E_RANGE, "text bytes 4294967294 + 5 outside"));
    b = small_tree(), b->nodes[1].data_offset = 3, b->nodes[1].data_len = 3;
    CHECK(rejects(b, -E_RANGE, "node 1 (id 2): data bytes 3 + 3 outside"));
    /* an empty string may have any offset */
    b = small_tree(), b->nodes[1].text_offset = 0xffffffffu;
    struct ui_tree t;
    CHECK_EQ(decode(b, &t), 0);
    ui_tree_free(&t);
    wb_free(b);
    char *big = malloc(UI_TEXT_MAX_BYTES + 1);
    memset(big, 'a', UI_TEXT_MAX_BYTES + 1);
    b = text_tree(big, UI_TEXT_MAX_BYTES);
    CHECK_EQ(decode(b, &t), 0);
    ui_tree_free(&t);
    wb_free(b);
    CHECK(rejects(text_tree(big, UI_TEXT_MAX_BYTES + 1), -E_RANGE, "text is 16385 bytes (at most 16384)"));
    free(big);
}

TEST(reject_shared_strings_over_the_limit) {
    /* every node naming the same 16 KiB would copy 64 MiB */
    char *big = malloc(UI_TEXT_MAX_BYTES);
    memset(big, 'a', UI_TEXT_MAX_BYTES);
    struct wb *b = wb_new();
    uint32_t w = wb_node(b, UI_NO_PARENT, UI_KIND_WINDOW, 1);
    uint32_t off = wb_bytes(b, big, UI_TEXT_MAX_BYTES);
    while (b->count < 200) {
        uint32_t t = wb_node(b, w, UI_KIND_TEXT, b->count + 1);
        b->nodes[t].text_offset = off, b->nodes[t].text_len = UI_TEXT_MAX_BYTES;
    }
    CHECK(rejects(b, -E_RANGE, "the strings and data of the nodes so far add up to over"));
    free(big);
}

/* ---- per kind ---- */

static struct wb *image_tree(const uint8_t *png, uint32_t len) {
    struct wb *b = small_tree();
    uint32_t img = wb_node(b, 1, UI_KIND_IMAGE, 4);
    wb_data(b, img, png, len);
    return b;
}

TEST(reject_images) {
    struct wb *b = small_tree();
    wb_png(b, wb_node(b, 1, UI_KIND_IMAGE, 4), 16, 16);
    wb_finish(b);
    uint8_t good[33];
    memcpy(good, b->data + b->nodes[3].data_offset, 33);
    wb_free(b);
    uint8_t png[33];

    CHECK(rejects(image_tree(good, 0), -E_INVAL, "node 3 (id 4): image data is 0 bytes, too short for a PNG"));
    CHECK(rejects(image_tree(good, 32), -E_INVAL, "image data is 32 bytes, too short"));
    memcpy(png, good, 33), png[1] = 'Q';
    CHECK(rejects(image_tree(png, 33), -E_INVAL, "not a PNG (bad signature)"));
    memcpy(png, good, 33), png[12] = 'i';
    CHECK(rejects(image_tree(png, 33), -E_INVAL, "does not start with a 13-byte IHDR"));
    memcpy(png, good, 33), png[11] = 14;
    CHECK(rejects(image_tree(png, 33), -E_INVAL, "does not start with a 13-byte IHDR"));
    memcpy(png, good, 33), png[19] = 0;
    CHECK(rejects(image_tree(png, 33), -E_RANGE, "image is 0x16 pixels"));
    memcpy(png, good, 33), png[18] = 0x08, png[19] = 0x01;   /* 2049 */
    CHECK(rejects(image_tree(png, 33), -E_RANGE, "image is 2049x16 pixels"));
    memcpy(png, good, 33), png[20] = 0x80;
    CHECK(rejects(image_tree(png, 33), -E_RANGE, "image is 16x2147483664 pixels"));
    uint8_t *huge = calloc(1, UI_IMAGE_MAX_BYTES + 1);
    memcpy(huge, good, 33);
    CHECK(rejects(image_tree(huge, UI_IMAGE_MAX_BYTES + 1), -E_RANGE, "image is 524289 bytes (at most 524288)"));
    struct ui_tree t;
    b = image_tree(huge, UI_IMAGE_MAX_BYTES);
    CHECK_EQ(decode(b, &t), 0);
    CHECK_EQ(t.nodes[3].image_w, 16u);
    ui_tree_free(&t);
    wb_free(b);
    free(huge);
}

static struct wb *path_tree(const int32_t *xy, uint32_t bytes) {
    struct wb *b = wb_new();
    uint32_t cv = wb_node(b, wb_node(b, UI_NO_PARENT, UI_KIND_WINDOW, 1), UI_KIND_CANVAS, 2);
    wb_data(b, wb_node(b, cv, UI_KIND_PATH, 3), xy, bytes);
    return b;
}

TEST(reject_paths) {
    static int32_t pts[2 * (UI_PATH_MAX_POINTS + 1)];
    CHECK(rejects(path_tree(pts, 12), -E_INVAL, "node 2 (id 3): path data is 12 bytes, not whole (x, y) pairs"));
    CHECK(rejects(path_tree(pts, 8), -E_INVAL, "path has 1 points (2 .. 1024)"));
    CHECK(rejects(path_tree(pts, 0), -E_INVAL, "path has 0 points"));
    CHECK(rejects(path_tree(pts, 8 * (UI_PATH_MAX_POINTS + 1)), -E_RANGE, "path has 1025 points"));
    pts[3] = -UI_COORD_MAX - 1;
    CHECK(rejects(path_tree(pts, 16), -E_RANGE, "path point 1 has coordinate -16385"));
    pts[3] = 0;
    struct ui_tree t;
    struct wb *b = path_tree(pts, 8 * UI_PATH_MAX_POINTS);
    CHECK_EQ(decode(b, &t), 0);
    ui_tree_free(&t);
    wb_free(b);
}

static struct wb *input_tree(const char *text, int32_t caret, int32_t anchor) {
    struct wb *b = small_tree();
    uint32_t in = wb_node(b, 1, UI_KIND_TEXT_INPUT, 4);
    wb_text(b, in, text);
    b->nodes[in].value = caret, b->nodes[in].min = anchor;
    return b;
}

TEST(reject_text_inputs) {
    CHECK(rejects(input_tree("abc", 4, 0), -E_RANGE, "node 3 (id 4): caret 4 / anchor 0 outside the text's 3 bytes"));
    CHECK(rejects(input_tree("abc", 0, -1), -E_RANGE, "caret 0 / anchor -1 outside"));
    CHECK(rejects(input_tree("a\xc3\xa9", 2, 2), -E_INVAL, "caret 2 / anchor 2 inside a character"));
    struct wb *b = input_tree("ok", 2, 0);
    wb_data(b, 3, "bad\xc3", 4);
    CHECK(rejects(b, -E_INVAL, "node 3 (id 4): placeholder is not valid UTF-8"));
    struct ui_tree t;
    b = input_tree("a\xc3\xa9", 3, 1);
    CHECK_EQ(decode(b, &t), 0);
    CHECK_STR(t.nodes[3].placeholder, "");
    ui_tree_free(&t);
    wb_free(b);
}

TEST(reject_slider_checkbox_list) {
    struct wb *b = small_tree();
    uint32_t s = wb_node(b, 1, UI_KIND_SLIDER, 4);
    b->nodes[s].min = 5, b->nodes[s].max = 4;
    CHECK(rejects(b, -E_INVAL, "node 3 (id 4): slider min 5 above max 4"));
    b = small_tree(), b->nodes[wb_node(b, 1, UI_KIND_CHECKBOX, 4)].value = 2;
    CHECK(rejects(b, -E_INVAL, "node 3 (id 4): checkbox value 2 (0 or 1)"));
    b = small_tree();
    uint32_t list = wb_node(b, 1, UI_KIND_LIST, 4);
    wb_node(b, list, UI_KIND_TEXT, 5);
    wb_node(b, list, UI_KIND_TEXT, 6);
    b->nodes[list].value = 2;
    CHECK(rejects(b, -E_RANGE, "node 3 (id 4): list selection 2, but it has 2 items"));
    b = small_tree(), list = wb_node(b, 1, UI_KIND_LIST, 4), b->nodes[list].value = -2;
    CHECK(rejects(b, -E_RANGE, "list selection -2, but it has 0 items"));
    b = small_tree(), list = wb_node(b, 1, UI_KIND_LIST, 4), b->nodes[list].value = 0;
    CHECK(rejects(b, -E_RANGE, "list selection 0, but it has 0 items"));
    b = small_tree(), list = wb_node(b, 1, UI_KIND_LIST, 4), b->nodes[list].value = -1;
    struct ui_tree t;
    CHECK_EQ(decode(b, &t), 0);
    ui_tree_free(&t);
    wb_free(b);
}

TEST(reason_may_be_small_or_absent) {
    struct wb *b = small_tree();
    b->nodes[2].kind = 99;
    wb_finish(b);
    struct ui_tree t;
    char tiny[8];
    CHECK_EQ(ui_tree_decode(b->buf, b->size, &t, tiny, sizeof tiny), -E_INVAL);
    CHECK_STR(tiny, "node 2 ");
    CHECK_EQ(ui_tree_decode(b->buf, b->size, &t, NULL, 0), -E_INVAL);
    wb_free(b);
}

TEST_MAIN()
