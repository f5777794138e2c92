/*
 * render-check: renders sample windows with the gui server's own code (the
 * tree decoder, layout, render.c and the theme files) into PNGs on Linux, to
 * look at and for documentation screenshots. Built for the host against the
 * same sysroot as the server (make gui-render).
 *
 *   render-check FONT_DIR THEME_DIR OUT_DIR
 *
 * Writes OUT_DIR/NAME.png for every theme NAME in light, dark: a desktop
 * background with a focused window holding every kind of node, an inactive
 * window with a long title and a window whose app does not respond. Prints
 * "render-check: wrote PATH" per file; exit status 1 on any failure.
 */
#include <cairo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../../servers/gui/render.h"
#include "gui_wire_builder.h"

#define SCREEN_W 1100
#define SCREEN_H 720

static int failures;

/* A real PNG for the IMAGE node: a rounded tile with a gradient. */
static cairo_status_t to_buffer(void *closure, const unsigned char *data, unsigned int length) {
    struct wb *b = closure;
    memcpy(b->data + b->data_size, data, length);   /* appended straight into the tree's data */
    b->data_size += length;
    return CAIRO_STATUS_SUCCESS;
}

static void image_png(struct wb *b, uint32_t node) {
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 48, 48);
    cairo_t *cr = cairo_create(s);
    cairo_pattern_t *g = cairo_pattern_create_linear(0, 0, 48, 48);
    cairo_pattern_add_color_stop_rgb(g, 0, 0.98, 0.62, 0.25);
    cairo_pattern_add_color_stop_rgb(g, 1, 0.85, 0.20, 0.45);
    render_rounded_rect(cr, 2, 2, 44, 44, 10);
    cairo_set_source(cr, g);
    cairo_fill(cr);
    cairo_arc(cr, 24, 24, 10, 0, 6.2832);
    cairo_set_source_rgba(cr, 1, 1, 1, 0.9);
    cairo_fill(cr);
    cairo_pattern_destroy(g);
    cairo_destroy(cr);
    uint32_t start = b->data_size;
    cairo_surface_write_to_png_stream(s, to_buffer, b);
    cairo_surface_destroy(s);
    b->nodes[node].data_offset = start;
    b->nodes[node].data_len = b->data_size - start;
}

static uint32_t next_id = 1;

static uint32_t add(struct wb *b, uint32_t parent, uint16_t kind, const char *text) {
    uint32_t i = wb_node(b, parent, kind, next_id++);
    if (text)
        wb_text(b, i, text);
    return i;
}

/* The window with one of everything; ids of interest come back through *view. */
static struct wb *showcase(struct ui_view *view) {
    struct wb *b = wb_new();
    uint32_t win = add(b, UI_NO_PARENT, UI_KIND_WINDOW, "Widget showcase");
    uint32_t col = add(b, win, UI_KIND_COLUMN, NULL);
    b->nodes[col].padding = 16;
    b->nodes[col].spacing = 10;
    uint32_t h = add(b, col, UI_KIND_TEXT, "Appearance");
    b->nodes[h].text_size = UI_SIZE_H2;
    b->nodes[h].font = UI_FONT_SANS_BOLD;
    uint32_t para = add(b, col, UI_KIND_TEXT, "Apps describe their windows as trees of widgets and the server "
                                               "draws them; this paragraph wraps at word boundaries.");
    b->nodes[para].flags = UI_FLAG_WRAP;
    b->nodes[para].w = 380;

    uint32_t buttons = add(b, col, UI_KIND_ROW, NULL);
    b->nodes[buttons].spacing = 8;
    uint32_t ok = add(b, buttons, UI_KIND_BUTTON, "OK");
    uint32_t cancel = add(b, buttons, UI_KIND_BUTTON, "Cancel");
    uint32_t off = add(b, buttons, UI_KIND_BUTTON, "Disabled");
    b->nodes[off].flags = UI_FLAG_DISABLED;
    uint32_t labelled = add(b, buttons, UI_KIND_BUTTON, NULL);
    uint32_t label = add(b, labelled, UI_KIND_TEXT, "Child label");
    b->nodes[label].font = UI_FONT_SANS_BOLD;
    uint32_t blue = add(b, buttons, UI_KIND_BUTTON, "Save");
    b->nodes[blue].flags = UI_FLAG_HAS_BACKGROUND | UI_FLAG_HAS_COLOR;
    b->nodes[blue].background = 0x3584e4ff;
    b->nodes[blue].color = 0xffffffff;

    uint32_t input = add(b, col, UI_KIND_TEXT_INPUT, "Hello, wide world of text inputs");
    b->nodes[input].w = 260;
    b->nodes[input].value = (int32_t)strlen("Hello, wide world of text inputs");
    b->nodes[input].min = 7;
    uint32_t search = add(b, col, UI_KIND_TEXT_INPUT, NULL);
    wb_data(b, search, "Search\xe2\x80\xa6", 9);

    uint32_t checks = add(b, col, UI_KIND_ROW, NULL);
    b->nodes[checks].spacing = 20;
    uint32_t c1 = add(b, checks, UI_KIND_CHECKBOX, "Dark mode");
    b->nodes[c1].value = 1;
    add(b, checks, UI_KIND_CHECKBOX, "Notifications");
    uint32_t c3 = add(b, checks, UI_KIND_CHECKBOX, "Locked");
    b->nodes[c3].flags = UI_FLAG_DISABLED;
    b->nodes[c3].value = 1;

    uint32_t slider = add(b, col, UI_KIND_SLIDER, NULL);
    b->nodes[slider].max = 100;
    b->nodes[slider].value = 60;
    b->nodes[slider].w = 240;

    uint32_t images = add(b, col, UI_KIND_ROW, NULL);
    b->nodes[images].spacing = 12;
    b->nodes[images].align = UI_ALIGN_CENTER;
    uint32_t img = add(b, images, UI_KIND_IMAGE, NULL);
    image_png(b, img);
    uint32_t bad = add(b, images, UI_KIND_IMAGE, NULL);
    wb_png(b, bad, 40, 40);   /* a header only: cannot be decoded */
    uint32_t mono = add(b, images, UI_KIND_TEXT, "mono: int main(void) { return 0; }");
    b->nodes[mono].font = UI_FONT_MONO;
    uint32_t small = add(b, images, UI_KIND_TEXT, "small print");
    b->nodes[small].text_size = UI_SIZE_SMALL;
    b->nodes[small].flags = UI_FLAG_HAS_COLOR;
    b->nodes[small].color = 0xc01c28ff;

    uint32_t bottom = add(b, col, UI_KIND_ROW, NULL);
    b->nodes[bottom].spacing = 12;
    uint32_t list = add(b, bottom, UI_KIND_LIST, NULL);
    b->nodes[list].h = 150;
    b->nodes[list].w = 200;
    b->nodes[list].value = 1;
    uint32_t hover_item = 0;
    static const char *const items[] = {"Calculator", "Text editor", "System monitor", "Terminal",
                                        "Image viewer", "Settings", "Clock", "Files"};
    for (int i = 0; i < 8; i++) {
        uint32_t it = add(b, list, UI_KIND_TEXT, items[i]);
        if (i == 3)
            hover_item = b->nodes[it].id;
    }
    uint32_t canvas = add(b, bottom, UI_KIND_CANVAS, NULL);
    b->nodes[canvas].w = 250;
    b->nodes[canvas].h = 150;
    b->nodes[canvas].flags = UI_FLAG_HAS_BACKGROUND;
    b->nodes[canvas].background = 0xffffff20;
    uint32_t rect = add(b, canvas, UI_KIND_RECT, NULL);
    b->nodes[rect].x = 10, b->nodes[rect].y = 10, b->nodes[rect].w = 90, b->nodes[rect].h = 60;
    b->nodes[rect].radius = 10;
    b->nodes[rect].flags = UI_FLAG_HAS_BACKGROUND | UI_FLAG_HAS_COLOR;
    b->nodes[rect].background = 0x57e389ff;
    b->nodes[rect].color = 0x26a269ff;
    b->nodes[rect].stroke = 2;
    uint32_t pie = add(b, canvas, UI_KIND_ARC, NULL);
    b->nodes[pie].x = 160, b->nodes[pie].y = 45, b->nodes[pie].radius = 35;
    b->nodes[pie].min = -90, b->nodes[pie].max = 180;
    b->nodes[pie].flags = UI_FLAG_HAS_BACKGROUND;
    b->nodes[pie].background = 0xf6d32dff;
    uint32_t ring = add(b, canvas, UI_KIND_ARC, NULL);
    b->nodes[ring].x = 160, b->nodes[ring].y = 45, b->nodes[ring].radius = 40;
    b->nodes[ring].min = 0, b->nodes[ring].max = 360;
    b->nodes[ring].flags = UI_FLAG_HAS_COLOR;
    b->nodes[ring].color = 0xe5a50aff;
    b->nodes[ring].stroke = 3;
    uint32_t line = add(b, canvas, UI_KIND_LINE, NULL);
    b->nodes[line].x = 10, b->nodes[line].y = 85, b->nodes[line].w = 230, b->nodes[line].h = 0;
    b->nodes[line].flags = UI_FLAG_HAS_COLOR;
    b->nodes[line].color = 0x1c71d8ff;
    uint32_t path = add(b, canvas, UI_KIND_PATH, NULL);
    b->nodes[path].x = 20, b->nodes[path].y = 95;
    static const int32_t tri[] = {0, 45, 40, 0, 80, 45};
    wb_path(b, path, tri, 3);
    b->nodes[path].flags = UI_FLAG_HAS_BACKGROUND | UI_FLAG_HAS_COLOR | UI_FLAG_CLOSED;
    b->nodes[path].background = 0xc061cbff;
    b->nodes[path].color = 0x613583ff;
    b->nodes[path].stroke = 2;
    uint32_t ctext = add(b, canvas, UI_KIND_TEXT, "in a canvas");
    b->nodes[ctext].x = 120, b->nodes[ctext].y = 110;

    memset(view, 0, sizeof *view);
    view->hover = hover_item;
    view->focus = b->nodes[input].id;
    view->pressed = b->nodes[cancel].id;
    (void)ok;
    return b;
}

/* A small window: a heading, a paragraph and two buttons. */
static struct wb *dialog(const char *title, const char *message) {
    struct wb *b = wb_new();
    uint32_t win = add(b, UI_NO_PARENT, UI_KIND_WINDOW, title);
    b->nodes[win].w = 300;
    uint32_t col = add(b, win, UI_KIND_COLUMN, NULL);
    b->nodes[col].padding = 16;
    b->nodes[col].spacing = 12;
    b->nodes[col].align = UI_ALIGN_STRETCH;
    uint32_t h = add(b, col, UI_KIND_TEXT, "Tessera");
    b->nodes[h].text_size = UI_SIZE_H1;
    b->nodes[h].font = UI_FONT_SANS_BOLD;
    uint32_t p = add(b, col, UI_KIND_TEXT, message);
    b->nodes[p].flags = UI_FLAG_WRAP;
    uint32_t row = add(b, col, UI_KIND_ROW, NULL);
    b->nodes[row].spacing = 8;
    uint32_t sp = add(b, row, UI_KIND_SPACER, NULL);
    b->nodes[sp].flags = UI_FLAG_EXPAND;
    add(b, row, UI_KIND_BUTTON, "Close");
    return b;
}

struct window {
    struct ui_tree tree;
    struct ui_view view;
};

static bool build(struct wb *b, const struct theme *th, struct window *w) {
    char reason[200];
    wb_finish(b);
    if (ui_tree_decode(b->buf, b->size, &w->tree, reason, sizeof reason) != 0) {
        fprintf(stderr, "render-check: tree rejected: %s\n", reason);
        failures++;
        return false;
    }
    ui_layout(&w->tree, th, &render_measure, &w->view);
    return true;
}

static void draw_window(cairo_t *cr, struct window *w, int x, int y, const struct theme *th,
                        const struct decoration_state *st) {
    int cw = w->tree.width, ch = w->tree.height;
    cairo_save(cr);
    cairo_translate(cr, x, y);
    render_shadow(cr, GUI_FRAME_W(cw), GUI_FRAME_H(ch, th), th);
    render_decorations(cr, w->tree.nodes[0].text, cw, ch, th, st);
    cairo_translate(cr, GUI_CONTENT_X, GUI_CONTENT_Y(th));
    cairo_rectangle(cr, 0, 0, cw, ch);
    cairo_clip(cr);
    render_tree(cr, &w->tree, th, &w->view, (struct ui_rect){0, 0, cw, ch});
    cairo_restore(cr);
}

static void render_theme(const char *theme_dir, const char *name, const char *out_dir) {
    char path[512];
    struct theme th;
    theme_default(&th);
    snprintf(path, sizeof path, "%s/%s.theme", theme_dir, name);
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "render-check: %s: cannot open it\n", path);
        failures++;
        return;
    }
    static char text[65536];
    size_t len = fread(text, 1, sizeof text, f);
    fclose(f);
    char reason[200];
    if (theme_parse(text, len, &th, reason, sizeof reason) != 0) {
        fprintf(stderr, "render-check: %s: %s\n", path, reason);
        failures++;
    }

    cairo_surface_t *screen = cairo_image_surface_create(CAIRO_FORMAT_RGB24, SCREEN_W, SCREEN_H);
    cairo_t *cr = cairo_create(screen);
    render_wallpaper(cr, SCREEN_W, SCREEN_H, &th);

    struct window about = {0}, hung = {0}, main_window = {0};
    struct ui_view view;
    struct wb *b1 = dialog("About this computer and its very long window title", "A capability-based "
                           "microkernel desktop: every window here was drawn by the gui server from a tree.");
    struct wb *b2 = dialog("Busy app", "This app stopped reading its events.");
    struct wb *b3 = showcase(&view);
    main_window.view = view;
    if (build(b1, &th, &about))
        draw_window(cr, &about, 640, 40, &th, &(struct decoration_state){.focused = false});
    if (build(b2, &th, &hung))
        draw_window(cr, &hung, 680, 400, &th, &(struct decoration_state){.not_responding = true});
    if (build(b3, &th, &main_window))
        draw_window(cr, &main_window, 40, 40, &th,
                    &(struct decoration_state){.focused = true, .close_hover = true});
    cairo_destroy(cr);
    snprintf(path, sizeof path, "%s/%s.png", out_dir, name);
    if (cairo_surface_write_to_png(screen, path) != CAIRO_STATUS_SUCCESS) {
        fprintf(stderr, "render-check: cannot write %s\n", path);
        failures++;
    } else {
        printf("render-check: wrote %s\n", path);
    }
    cairo_surface_destroy(screen);
    ui_tree_free(&about.tree);
    ui_tree_free(&hung.tree);
    ui_tree_free(&main_window.tree);
    wb_free(b1);
    wb_free(b2);
    wb_free(b3);
}

/* ---- measuring, wrapping and caret placement agree ---- */

#define EXPECT(cond)                                                                  \
    do {                                                                              \
        if (!(cond)) {                                                                \
            fprintf(stderr, "render-check: FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); \
            failures++;                                                               \
        }                                                                             \
    } while (0)

static void measure(const char *s, int wrap, int *w, int *h) {
    render_measure.text(render_measure.ctx, UI_FONT_SANS, 14, s, (uint32_t)strlen(s), wrap, w, h);
}

static void text_checks(void) {
    int w, h, line, w1, w2;
    measure("", 0, &w, &line);
    EXPECT(w == 0 && line >= 14 && line <= 20);
    measure("hello world", 0, &w, &h);
    EXPECT(h == line && w > 40 && w < 120);
    EXPECT(render_text_width(UI_FONT_SANS, 14, "hello world") == w);
    measure("hello", 0, &w1, &h);
    measure("a\nb\n", 0, &w, &h);
    EXPECT(h == 3 * line);
    /* wrapped at the space, each line no wider than allowed */
    measure("hello hello", w1 + 2, &w, &h);
    EXPECT(h == 2 * line && w <= w1 + 2);
    measure("hello     hello hello", w1 + 2, &w, &h);
    EXPECT(h == 3 * line && w <= w1 + 2);
    /* a word wider than the room is broken between characters */
    measure("abcdefghijklmnopqrstuvwxyz", 40, &w, &h);
    EXPECT(h > 3 * line && w <= 40);
    measure("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 1, &w, &h);   /* one character per line, never half of one */
    EXPECT(h == 4 * line);
    measure("mono", 0, &w1, &h);
    render_measure.text(NULL, UI_FONT_MONO, 14, "iiii", 4, 0, &w2, &h);
    render_measure.text(NULL, UI_FONT_MONO, 14, "MMMM", 4, 0, &w, &h);
    EXPECT(w == w2);   /* monospaced */

    /* caret offsets: UTF-8 aware, ends and scrolling */
    struct wb *b = wb_new();
    uint32_t win = add(b, UI_NO_PARENT, UI_KIND_WINDOW, "t");
    const char *text = "h\xc3\xa9llo w\xc3\xb6rld, a long line that does not fit the box";
    uint32_t in = add(b, win, UI_KIND_TEXT_INPUT, text);
    b->nodes[in].w = 120;
    b->nodes[in].value = 0;
    struct theme th;
    theme_default(&th);
    struct window win0 = {0};
    if (!build(b, &th, &win0))
        return;
    const struct ui_node *n = &win0.tree.nodes[1];
    EXPECT(render_text_offset_at(n, &th, n->rect.x - 50) == 0);
    EXPECT(render_text_offset_at(n, &th, n->rect.x + th.control_padding) == 0);
    for (int x = n->rect.x; x < n->rect.x + n->rect.w; x++) {
        int off = render_text_offset_at(n, &th, x);
        EXPECT(off >= 0 && off <= (int)strlen(text) && (text[off] & 0xc0) != 0x80);
    }
    int far = render_text_offset_at(n, &th, n->rect.x + n->rect.w - th.control_padding);
    EXPECT(far > 3 && far < (int)strlen(text));
    /* caret at the end: scrolled so the end shows at the right */
    ((struct ui_node *)n)->value = (int32_t)strlen(text);
    EXPECT(render_text_offset_at(n, &th, n->rect.x + n->rect.w - th.control_padding) == (int)strlen(text));
    EXPECT(render_text_offset_at(n, &th, n->rect.x + th.control_padding) > 10);
    ui_tree_free(&win0.tree);
    wb_free(b);
}

/* Extreme but valid trees draw without trouble (ASan-free host build: a
 * crash or a hang is the failure). */
static void hostile_checks(void) {
    struct theme th;
    theme_default(&th);
    struct wb *b = wb_new();
    uint32_t win = add(b, UI_NO_PARENT, UI_KIND_WINDOW, "hostile");
    b->nodes[win].w = 300, b->nodes[win].h = 200;
    uint32_t col = add(b, win, UI_KIND_COLUMN, NULL);
    static char word[UI_TEXT_MAX_BYTES + 1];
    memset(word, 'W', UI_TEXT_MAX_BYTES);
    uint32_t t = add(b, col, UI_KIND_TEXT, word);
    b->nodes[t].flags = UI_FLAG_WRAP;
    b->nodes[t].w = 1;
    uint32_t in = add(b, col, UI_KIND_TEXT_INPUT, word);
    b->nodes[in].value = UI_TEXT_MAX_BYTES;
    uint32_t sl = add(b, col, UI_KIND_SLIDER, NULL);
    b->nodes[sl].min = INT32_MIN, b->nodes[sl].max = INT32_MAX, b->nodes[sl].value = 0;
    uint32_t cv = add(b, col, UI_KIND_CANVAS, NULL);
    uint32_t arc = add(b, cv, UI_KIND_ARC, NULL);
    b->nodes[arc].radius = UI_COORD_MAX, b->nodes[arc].min = -UI_COORD_MAX, b->nodes[arc].max = UI_COORD_MAX;
    b->nodes[arc].flags = UI_FLAG_HAS_BACKGROUND | UI_FLAG_HAS_COLOR;
    b->nodes[arc].background = 0x11223344, b->nodes[arc].stroke = 255;
    uint32_t r = add(b, cv, UI_KIND_RECT, NULL);
    b->nodes[r].x = -UI_COORD_MAX, b->nodes[r].w = UI_COORD_MAX, b->nodes[r].h = UI_COORD_MAX;
    b->nodes[r].radius = UI_COORD_MAX, b->nodes[r].flags = UI_FLAG_HAS_COLOR, b->nodes[r].stroke = 255;
    uint32_t img = add(b, cv, UI_KIND_IMAGE, NULL);
    wb_png(b, img, UI_IMAGE_MAX_SIDE, UI_IMAGE_MAX_SIDE);
    b->nodes[img].w = UI_COORD_MAX, b->nodes[img].h = UI_COORD_MAX;
    uint32_t list = add(b, col, UI_KIND_LIST, NULL);
    b->nodes[list].value = 499;
    for (int i = 0; i < 500; i++)
        add(b, list, UI_KIND_TEXT, "item");
    struct window w = {0};
    if (!build(b, &th, &w))
        return;
    /* what the decoder never lets through must not hurt either */
    w.tree.nodes[ui_tree_find(&w.tree, b->nodes[in].id)].value = INT32_MAX;
    w.tree.nodes[ui_tree_find(&w.tree, b->nodes[in].id)].min = INT32_MIN;
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, 300, 200);
    cairo_t *cr = cairo_create(s);
    render_tree(cr, &w.tree, &th, &w.view, (struct ui_rect){0, 0, 300, 200});
    render_tree(cr, &w.tree, &th, &w.view, (struct ui_rect){-UI_COORD_MAX, -UI_COORD_MAX, 2 * UI_COORD_MAX,
                                                             2 * UI_COORD_MAX});
    render_decorations(cr, word, 0, 0, &th, &(struct decoration_state){.not_responding = true});
    render_decorations(cr, "", 1, 1, &th, &(struct decoration_state){0});
    EXPECT(cairo_status(cr) == CAIRO_STATUS_SUCCESS);
    cairo_destroy(cr);
    cairo_surface_destroy(s);
    ui_tree_free(&w.tree);
    wb_free(b);
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: render-check FONT_DIR THEME_DIR OUT_DIR\n");
        return 1;
    }
    if (render_init_fonts(argv[1]) != 0) {
        fprintf(stderr, "render-check: no fonts in %s\n", argv[1]);
        return 1;
    }
    text_checks();
    hostile_checks();
    render_theme(argv[2], "light", argv[3]);
    render_theme(argv[2], "dark", argv[3]);
    return failures ? 1 : 0;
}
