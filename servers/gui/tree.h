/*
 * The gui server's view of a window's content: the decoded, validated tree
 * (tree.c), its layout (layout.c), the damage between two trees (diff.c) and
 * hit-testing (layout.c). Pure logic: no Cairo, no IPC, so host unit tests
 * and the fuzzer (tests/host/test_gui_*.c, tests/fuzz/) run it on Linux.
 */
#ifndef GUI_TREE_H
#define GUI_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <ui/wire.h>

struct theme;

#define UI_NONE 0xffffffffu

struct ui_rect {
    int32_t x, y, w, h;
};

struct ui_node {
    /* from the wire, checked (see ui_tree_decode) */
    uint32_t id;
    uint16_t kind, flags;
    uint32_t parent;          /* index, UI_NONE for the root */
    uint32_t handlers;
    int32_t x, y, w, h;
    uint32_t color, background;
    uint8_t text_size, font, align, stroke;
    uint16_t padding, spacing;
    int32_t value, min, max;
    uint32_t radius;
    const char *text;         /* NUL-terminated copy (valid UTF-8, no NUL inside), never NULL */
    uint32_t text_len;
    const uint8_t *data;      /* copy, or NULL when data_len is 0 */
    uint32_t data_len;
    const char *placeholder;  /* TEXT_INPUT: data as a NUL-terminated string, never NULL */
    uint32_t image_w, image_h;   /* IMAGE: size from the PNG header */
    /* structure (index links, UI_NONE at the ends) */
    uint32_t first_child, last_child, next_sibling;
    uint32_t child_count, depth;
    /* layout (layout.c), window content coordinates */
    struct ui_rect rect;      /* where it is drawn */
    struct ui_rect clip;      /* what of it may show (scrolled lists, canvases clip) */
    int32_t content_h;        /* LIST: height of all its items */
    int32_t scroll;           /* LIST: the offset applied (from ui_view) */
};

struct ui_tree {
    uint32_t count;           /* nodes[0] is the WINDOW */
    struct ui_node *nodes;
    void *arena;              /* strings and blobs the nodes point into */
    uint32_t generation;
    int32_t width, height;    /* content size after layout */
    uint32_t *id_index;       /* ids to node index + 1 (0: empty slot), open addressing */
    uint32_t id_mask;         /* slots - 1 (a power of two minus one) */
};

/*
 * Checks a whole tree buffer and builds *out from a private copy (the buffer
 * may change under us: it is shared with the app). Everything in wire.h is
 * checked: header fields, limits, node kinds and flags, parents before
 * children, depth, ids non-zero and unique, kinds allowed under their parent,
 * field ranges, strings in bounds and valid UTF-8, PNG signature and IHDR
 * sizes, path point counts. On error returns a negative E_* code, writes a
 * one-line reason ("node 12 (id 40): parent 15 is not before it") and leaves
 * *out empty. 0 on success; free with ui_tree_free.
 */
int ui_tree_decode(const void *buf, size_t size, struct ui_tree *out, char *reason, size_t reason_cap);
void ui_tree_free(struct ui_tree *t);
/* Index of the node with this id, or UI_NONE. */
uint32_t ui_tree_find(const struct ui_tree *t, uint32_t id);

/* Text measurement, supplied by the renderer (render.c: Cairo and FreeType;
 * host tests: a fixed-width fake). text_size is in pixels (layout passes the
 * theme's font_size[] for the node's UI_SIZE_*); wrap_width > 0: wrap at
 * that width. */
struct ui_measure {
    void *ctx;
    void (*text)(void *ctx, int font, int text_size, const char *s, uint32_t len, int wrap_width, int *w,
                 int *h);
};

/* Per-window state the server keeps between commits (not from the app). */
#define UI_VIEW_MAX_SCROLL 32
struct ui_view {
    uint32_t hover;           /* node ids, 0 = none */
    uint32_t pressed;
    uint32_t focus;
    struct {
        uint32_t id;          /* a LIST */
        int32_t offset;       /* pixels scrolled from the top */
        int32_t last_content_h;
    } scroll[UI_VIEW_MAX_SCROLL];
    int nscroll;
};
/* The scroll offset of list `id` (0 if unknown); set clamps nothing. */
int32_t ui_view_scroll(const struct ui_view *v, uint32_t id);
void ui_view_set_scroll(struct ui_view *v, uint32_t id, int32_t offset);

/*
 * Sizes and places every node (rect, clip, content_h, scroll) and sets
 * t->width/height. Natural sizes come from the theme (font sizes, control
 * heights, padding) and the measure callback; WINDOW w/h fix the content
 * size (0: natural). Scroll offsets come from view and are clamped to the
 * list's content (and STICK_END lists that grew are scrolled to the end),
 * written back to view.
 */
void ui_layout(struct ui_tree *t, const struct theme *th, const struct ui_measure *m, struct ui_view *view);

/*
 * What must be redrawn going from `old` to `now` (both laid out): the old
 * and new rects (clipped) of every node added, removed, moved or changed
 * (matched by id), merged. Returns the number of rects written (<= max; if
 * more would be needed, fewer larger ones). old may be NULL (everything).
 */
int ui_tree_diff(const struct ui_tree *old, const struct ui_tree *now, struct ui_rect *out, int max);

/* The deepest node under (x, y) (content coordinates, inside its clip), or
 * UI_NONE. */
uint32_t ui_hit_test(const struct ui_tree *t, int32_t x, int32_t y);
/* The node that takes pointer input there: BUTTON, TEXT_INPUT, CHECKBOX,
 * SLIDER, a LIST item (the list's child), or a CANVAS with UI_WANT_CLICK or
 * UI_WANT_POINTER; not DISABLED (nor under a disabled node). UI_NONE if none. */
uint32_t ui_hit_target(const struct ui_tree *t, int32_t x, int32_t y);
/* Keyboard focus order: the focusable node after (dir 1) or before (dir -1)
 * the one with id `from` (0: the first/last); UI_NONE if there is none. */
uint32_t ui_focus_next(const struct ui_tree *t, uint32_t from, int dir);
/* SLIDER: the value at content x. */
int32_t ui_slider_value_at(const struct ui_node *slider, const struct theme *th, int32_t x);

/* Rectangle helpers (one place). */
bool ui_rect_empty(struct ui_rect r);
struct ui_rect ui_rect_intersect(struct ui_rect a, struct ui_rect b);
struct ui_rect ui_rect_union(struct ui_rect a, struct ui_rect b);
bool ui_rect_contains(struct ui_rect r, int32_t x, int32_t y);

#endif
