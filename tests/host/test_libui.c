// host-test-uses: libs/libui/widget.c libs/libui/encode.c libs/libui/textedit.c servers/gui/tree.c
/*
 * Tests for libui's IPC-free parts: widgets and their setters, the tree
 * encoder (libs/libui/encode.c) checked by decoding its output with the gui
 * server's own decoder (servers/gui/tree.c), and the text input's editing
 * keys (libs/libui/textedit.c).
 */
#include "test.h"
#include <stdlib.h>
#include <tessera/input.h>
#include "../../libs/libui/internal.h"
#include "../../servers/gui/tree.h"

#define BUF_BYTES (256u << 10)

/* Encodes win and decodes it with the server's decoder; the tree is in *t. */
static int round_trip(ui_window_t win, struct ui_tree *t) {
    static uint8_t buf[BUF_BYTES];
    char reason[200];
    memset(buf, 0xa5, sizeof(buf));   /* nothing may depend on stale bytes */
    long size = ui__encode(win, buf, sizeof(buf), 7, reason, sizeof(reason));
    if (size < 0) {
        printf("  encode: %s\n", reason);
        return (int)size;
    }
    int err = ui_tree_decode(buf, (size_t)size, t, reason, sizeof(reason));
    if (err)
        printf("  decode: %s\n", reason);
    return err;
}

static const struct ui_node *node(const struct ui_tree *t, ui_widget_t w) {
    uint32_t i = ui_tree_find(t, w->id);
    return i == UI_NONE ? NULL : &t->nodes[i];
}

static void close_all_windows(void) {
    while (ui__windows) {
        struct ui_window_state *s = ui__windows;
        if (s->root)
            ui_window_close(s->root);
        ui__window_forget(s);
    }
}

static ui_text_t seed_button_text;
static int seed_clicks;
static void seed_clicked(ui_event_t ev, ui_widget_t w) {
    (void)ev;
    (void)w;
    ui_text_set_body(seed_button_text, "Clicked!");
    seed_clicks++;
}

/* The example in ui.h's comment, line by line. */
TEST(seed_example) {
    ui_window_t win = ui_window();
    ui_window_set_size(win, 200, 300);
    ui_window_set_title(win, "My first application");
    ui_canvas_t canvas = ui_window_get_canvas(win);
    ui_text_t text = ui_text();
    ui_text_set_body(text, "Hello World");
    ui_text_set_size(text, UI_SIZE_H1);
    ui_text_set_rgba(text, 255, 0, 0, 255);
    ui_draw_text(canvas, text, 10, 10);
    ui_button_t button = ui_button();
    seed_button_text = ui_text();
    ui_text_set_body(seed_button_text, "Click here");
    ui_button_set_text(button, seed_button_text);
    ui_on_click(button, seed_clicked);
    ui_draw_button(canvas, button, 10, 60);

    struct ui_tree t;
    CHECK_EQ(round_trip(win, &t), 0);
    CHECK_EQ(t.count, 5u);
    CHECK_EQ(t.generation, 7u);
    const struct ui_node *w = &t.nodes[0];
    CHECK_EQ(w->kind, UI_KIND_WINDOW);
    CHECK_STR(w->text, "My first application");
    CHECK(w->w == 200 && w->h == 300);
    const struct ui_node *c = node(&t, canvas);
    CHECK(c && c->kind == UI_KIND_CANVAS && c->parent == 0 && (c->flags & UI_FLAG_EXPAND));
    const struct ui_node *tx = node(&t, text);
    CHECK(tx && tx->kind == UI_KIND_TEXT && tx->x == 10 && tx->y == 10);
    CHECK_STR(tx->text, "Hello World");
    CHECK_EQ(tx->text_size, UI_SIZE_H1);
    CHECK(tx->color == 0xff0000ffu && (tx->flags & UI_FLAG_HAS_COLOR));
    const struct ui_node *b = node(&t, button);
    CHECK(b && b->kind == UI_KIND_BUTTON && b->x == 10 && b->y == 60);
    CHECK(b->handlers & UI_WANT_CLICK);
    CHECK_EQ(b->child_count, 1u);
    const struct ui_node *label = &t.nodes[b->first_child];
    CHECK_EQ(label->id, seed_button_text->id);
    CHECK_STR(label->text, "Click here");
    CHECK_EQ(label->x, 0);   /* positions only inside a canvas */
    ui_tree_free(&t);

    /* the click handler changes the label, which marks the window dirty */
    win->window->dirty = false;
    struct ui_event ev = {.type = UI_EVENT_CLICK, .node = button->id};
    button->on_click(&ev, button);
    CHECK_EQ(seed_clicks, 1);
    CHECK(win->window->dirty);
    CHECK_EQ(round_trip(win, &t), 0);
    CHECK_STR(t.nodes[node(&t, button)->first_child].text, "Clicked!");
    ui_tree_free(&t);
    close_all_windows();
}

static void nop(ui_event_t ev, ui_widget_t w) {
    (void)ev;
    (void)w;
}

static const uint8_t tiny_png[] = {
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00,
    0x00, 0x02, 0x00, 0x00, 0x00, 0x03, 0x08, 0x06, 0x00, 0x00, 0x00, 0xb9, 0xea, 0xde, 0x81, 0x00, 0x00, 0x00,
    0x0e, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0x0f, 0x05, 0x0c, 0x18, 0x0c, 0x00, 0x42, 0xe6, 0x17,
    0xe9, 0x3b, 0xe2, 0x57, 0xe4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82};

/* One of every widget in containers, each field through the wire. */
TEST(every_widget) {
    ui_window_t win = ui_window();
    ui_on_key(win, nop);
    ui_container_t col = ui_column();
    ui_set_padding(col, 8);
    ui_set_spacing(col, 300);   /* clamped to 256 */
    ui_set_align(col, UI_ALIGN_CENTER);
    ui_set_background(col, 1, 2, 3, 4);
    ui_add(win, col);
    ui_container_t row = ui_row();
    ui_set_expand(row, true);
    ui_add(col, row);
    ui_text_t wrapped = ui_text();
    ui_text_set_body(wrapped, "wrapped\xc3\xa9");
    ui_text_set_wrap(wrapped, true);
    ui_text_set_font(wrapped, UI_FONT_MONO);
    ui_text_set_size(wrapped, 99);   /* ignored */
    ui_add(row, wrapped);
    ui_widget_t spacer = ui_spacer();
    ui_add(row, spacer);
    ui_button_t plain = ui_button();
    ui_button_set_label(plain, "OK");
    ui_set_disabled(plain, true);
    ui_add(row, plain);
    ui_text_input_t input = ui_text_input();
    ui_text_input_set_text(input, "abc");
    ui_text_input_set_placeholder(input, "type here");
    ui_set_size(input, 300, 0);
    ui_focus(input);
    ui_add(col, input);
    ui_checkbox_t box = ui_checkbox("Check me");
    ui_checkbox_set_checked(box, true);
    ui_add(col, box);
    ui_slider_t slider = ui_slider(50, -50);   /* swapped */
    ui_slider_set_value(slider, 70);           /* clamped */
    ui_add(col, slider);
    ui_image_t image = ui_image();
    CHECK(ui_image_set_png(image, tiny_png, sizeof(tiny_png)));
    CHECK(!ui_image_set_png(image, "not a png at all", 16));
    ui_add(col, image);
    ui_list_t list = ui_list();
    for (int i = 0; i < 3; i++) {
        ui_text_t item = ui_text();
        ui_text_set_body(item, i == 1 ? "second" : "item");
        ui_add(list, item);
    }
    ui_list_set_selected(list, 1);
    ui_list_set_stick_end(list, true);
    ui_on_select(list, nop);
    ui_add(col, list);

    struct ui_tree t;
    CHECK_EQ(round_trip(win, &t), 0);
    CHECK_EQ(t.count, 14u);
    CHECK(t.nodes[0].handlers & UI_WANT_KEY);
    const struct ui_node *n = node(&t, col);
    CHECK(n && n->kind == UI_KIND_COLUMN && n->padding == 8 && n->spacing == 256 && n->align == UI_ALIGN_CENTER);
    CHECK(n->background == 0x01020304u && (n->flags & UI_FLAG_HAS_BACKGROUND));
    CHECK_EQ(n->child_count, 6u);
    n = node(&t, row);
    CHECK(n && n->kind == UI_KIND_ROW && (n->flags & UI_FLAG_EXPAND) && n->child_count == 3);
    n = node(&t, wrapped);
    CHECK(n && (n->flags & UI_FLAG_WRAP) && n->font == UI_FONT_MONO && n->text_size == UI_SIZE_BODY);
    CHECK_STR(n->text, "wrapped\xc3\xa9");
    n = node(&t, spacer);
    CHECK(n && n->kind == UI_KIND_SPACER && (n->flags & UI_FLAG_EXPAND));
    n = node(&t, plain);
    CHECK(n && n->kind == UI_KIND_BUTTON && (n->flags & UI_FLAG_DISABLED) && n->child_count == 0);
    CHECK_STR(n->text, "OK");
    CHECK_EQ(n->handlers, 0u);
    n = node(&t, input);
    CHECK(n && n->kind == UI_KIND_TEXT_INPUT && n->value == 3 && n->min == 3 && n->w == 300);
    CHECK(n->handlers & UI_WANT_KEY);
    CHECK(n->flags & UI_FLAG_FOCUS);
    CHECK_STR(n->text, "abc");
    CHECK_STR(n->placeholder, "type here");
    n = node(&t, box);
    CHECK(n && n->kind == UI_KIND_CHECKBOX && n->value == 1 && (n->handlers & UI_WANT_CHANGE));
    CHECK_STR(n->text, "Check me");
    n = node(&t, slider);
    CHECK(n && n->kind == UI_KIND_SLIDER && n->min == -50 && n->max == 50 && n->value == 50);
    n = node(&t, image);
    CHECK(n && n->kind == UI_KIND_IMAGE && n->image_w == 2 && n->image_h == 3 && n->data_len == sizeof(tiny_png));
    CHECK(n->data && memcmp(n->data, tiny_png, sizeof(tiny_png)) == 0);
    n = node(&t, list);
    CHECK(n && n->kind == UI_KIND_LIST && n->value == 1 && (n->flags & UI_FLAG_STICK_END) && n->child_count == 3);
    CHECK(n->handlers & UI_WANT_SELECT);
    CHECK_STR(t.nodes[t.nodes[n->first_child].next_sibling].text, "second");
    ui_tree_free(&t);

    /* focus is asked for once: cleared after a commit */
    ui__clear_focus(win);
    CHECK_EQ(round_trip(win, &t), 0);
    CHECK(!(node(&t, input)->flags & UI_FLAG_FOCUS));
    ui_tree_free(&t);
    close_all_windows();
}

/* Every drawing primitive in a canvas. */
TEST(primitives) {
    ui_window_t win = ui_window();
    ui_canvas_t canvas = ui_canvas(120, 80);
    ui_on_pointer(canvas, nop);
    ui_on_click(canvas, nop);
    ui_add(win, canvas);
    ui_widget_t line = ui_draw_line(canvas, 50, 40, 10, 5, UI_RGBA(1, 2, 3, 255), 2);
    ui_widget_t rect = ui_draw_rect(canvas, 5, 6, 30, 20, UI_RGBA(9, 9, 9, 255), 0, 0);
    ui_widget_t rounded = ui_draw_rounded_rect(canvas, 1, 2, 3, 4, 5, 0, UI_RGBA(7, 7, 7, 128), 3);
    ui_widget_t arc = ui_draw_arc(canvas, 60, 40, 30, -90, 90, UI_RGBA(200, 0, 0, 255), 0, 0);
    int pts[] = {10, 20, 30, 5, 40, 40};
    ui_widget_t path = ui_draw_path(canvas, pts, 3, true, UI_RGBA(0, 0, 255, 255), UI_RGBA(0, 0, 0, 255), 1);
    CHECK(ui_draw_path(canvas, pts, 1, false, 0, 0, 1) == NULL);   /* too few points */
    ui_text_t label = ui_text();
    ui_text_set_body(label, "in a canvas");
    ui_draw_text(canvas, label, 3, 70);
    ui_image_t image = ui_image();
    ui_image_set_png(image, tiny_png, sizeof(tiny_png));
    ui_draw_image(canvas, image, 100, 1);

    struct ui_tree t;
    CHECK_EQ(round_trip(win, &t), 0);
    CHECK_EQ(t.count, 9u);
    const struct ui_node *n = node(&t, canvas);
    CHECK(n && n->w == 120 && n->h == 80 && n->handlers == (UI_WANT_POINTER | UI_WANT_CLICK));
    n = node(&t, line);
    CHECK(n && n->kind == UI_KIND_LINE && n->x == 50 && n->y == 40 && n->w == -40 && n->h == -35);
    CHECK(n->color == UI_RGBA(1, 2, 3, 255) && (n->flags & UI_FLAG_HAS_COLOR) && n->stroke == 2);
    CHECK(!(n->flags & UI_FLAG_HAS_BACKGROUND));
    n = node(&t, rect);
    CHECK(n && n->kind == UI_KIND_RECT && n->x == 5 && n->y == 6 && n->w == 30 && n->h == 20 && n->radius == 0);
    CHECK((n->flags & UI_FLAG_HAS_BACKGROUND) && !(n->flags & UI_FLAG_HAS_COLOR));
    n = node(&t, rounded);
    CHECK(n && n->radius == 5 && (n->flags & UI_FLAG_HAS_COLOR) && n->color == UI_RGBA(7, 7, 7, 128));
    n = node(&t, arc);
    CHECK(n && n->kind == UI_KIND_ARC && n->x == 60 && n->y == 40 && n->radius == 30 && n->min == -90 &&
          n->max == 90);
    n = node(&t, path);
    CHECK(n && n->kind == UI_KIND_PATH && (n->flags & UI_FLAG_CLOSED) && n->x == 10 && n->y == 5);
    CHECK(n->data_len == 24);
    int32_t rel[6];
    memcpy(rel, n->data, sizeof(rel));
    CHECK(rel[0] == 0 && rel[1] == 15 && rel[2] == 20 && rel[3] == 0 && rel[4] == 30 && rel[5] == 35);
    n = node(&t, label);
    CHECK(n && n->x == 3 && n->y == 70);
    n = node(&t, image);
    CHECK(n && n->x == 100 && n->y == 1);
    ui_tree_free(&t);

    /* primitives belong in canvases only */
    ui_container_t col = ui_column();
    ui_add(win, col);
    ui_add(col, line);
    CHECK(line->parent == canvas);
    close_all_windows();
}

/* NULL and wrong kinds do nothing; moving, removing and destroying widgets. */
TEST(tree_operations) {
    ui_text_set_body(NULL, "x");
    ui_button_set_label(NULL, "x");
    CHECK_STR(ui_text_get_body(NULL), "");
    CHECK_EQ(ui_list_get_selected(NULL), -1);
    ui_button_t button = ui_button();
    ui_text_set_body(button, "not a text");   /* wrong kind */
    CHECK(button->text == NULL);
    ui_text_t stray = ui_text();
    ui_add(button, stray);                    /* a button is no container: ignored */
    CHECK(button->first_child == NULL && stray->parent == NULL);
    ui_destroy(stray);

    ui_window_t win = ui_window();
    ui_container_t a = ui_column(), b = ui_row();
    ui_add(win, a);
    ui_add(win, b);
    ui_text_t t1 = ui_text(), t2 = ui_text();
    ui_add(a, t1);
    ui_add(a, t2);
    ui_add(a, a);          /* not into itself */
    ui_add(t1, a);         /* nor under its own child */
    CHECK(a->parent == win);
    win->window->dirty = false;
    ui_add(b, t1);         /* moves */
    CHECK(win->window->dirty);
    CHECK(a->first_child == t2 && a->last_child == t2 && b->first_child == t1);
    ui_remove(t2);
    CHECK(a->first_child == NULL && t2->parent == NULL);
    ui_text_set_body(t2, "detached");   /* marks nothing, crashes nothing */
    ui_add(b, t2);
    ui_clear(b);
    CHECK(b->first_child == NULL);
    /* a button's label: set_label renames the text child it already has */
    ui_text_t label = ui_text();
    ui_button_set_text(button, label);
    ui_button_set_label(button, "renamed");
    CHECK_STR(ui_text_get_body(label), "renamed");
    ui_destroy(button);
    /* a window's canvas is made once */
    CHECK(ui_window_get_canvas(win) == ui_window_get_canvas(win));
    CHECK_EQ(ui__open_windows(), 1);
    ui_window_close(win);
    CHECK_EQ(ui__open_windows(), 0);
    close_all_windows();
}

/* A tree over the buffer is refused with a reason, never written past it. */
TEST(encode_limits) {
    ui_window_t win = ui_window();
    ui_text_t text = ui_text();
    char big[5000];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = 0;
    ui_text_set_body(text, big);
    ui_add(win, text);
    uint8_t *buf = malloc(4096);
    char reason[128] = "unchanged";
    CHECK(ui__encode(win, buf, 4096, 1, reason, sizeof(reason)) == -E_RANGE);
    CHECK(strstr(reason, "bytes") != NULL);
    free(buf);
    /* too many nodes */
    ui_list_t list = ui_list();
    ui_add(win, list);
    for (unsigned i = 0; i < UI_TREE_MAX_NODES; i++)
        ui_add(list, ui_spacer());
    buf = malloc(UI_TREE_MAX_BYTES);
    CHECK(ui__encode(win, buf, UI_TREE_MAX_BYTES, 1, reason, sizeof(reason)) == -E_RANGE);
    CHECK(strstr(reason, "nodes") != NULL);
    free(buf);
    CHECK(ui__encode(text, NULL, 0, 1, reason, sizeof(reason)) == -E_INVAL);   /* not a window */
    close_all_windows();
}

/* Bytes that are not UTF-8 (a stray Latin-1 byte, a lone continuation
 * byte, an overlong, a surrogate) become U+FFFD instead of costing the app
 * its window: the server refuses a tree with bad UTF-8. */
TEST(invalid_utf8_is_replaced) {
    ui_window_t win = ui_window();
    ui_text_t text = ui_text();
    ui_text_set_body(text, "caf\xe9 \x80 \xc0\xaf \xed\xa0\x80 ok \xe2\x82\xac");
    ui_add(win, text);
    struct ui_tree t;
    CHECK_EQ(round_trip(win, &t), 0);
    const struct ui_node *n = node(&t, text);
    CHECK(n != NULL);
    if (n)
        CHECK(strcmp(n->text, "caf\xef\xbf\xbd \xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd "
                              "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd ok \xe2\x82\xac") == 0);
    ui_tree_free(&t);
    close_all_windows();
}

/* ---- text editing ---- */

static enum ui_edit_result key(ui_text_input_t in, uint32_t k, uint32_t ch, uint16_t mods) {
    return ui__text_edit_key(in, k, ch, mods);
}

static void type(ui_text_input_t in, const char *s) {
    for (; *s; s++)
        key(in, INPUT_KEY_NONE, (unsigned char)*s, 0);
}

TEST(edit_insert_and_backspace_utf8) {
    ui_text_input_t in = ui_text_input();
    type(in, "ab");
    CHECK_STR(ui_text_input_get_text(in), "ab");
    CHECK(key(in, INPUT_KEY_E, 0xe9, 0) == UI_EDIT_CHANGED);       /* é: 2 bytes */
    CHECK(key(in, INPUT_KEY_NONE, 0x20ac, 0) == UI_EDIT_CHANGED);  /* €: 3 bytes */
    CHECK_STR(ui_text_input_get_text(in), "ab\xc3\xa9\xe2\x82\xac");
    CHECK_EQ(in->value, 7);
    CHECK(key(in, INPUT_KEY_BACKSPACE, '\b', 0) == UI_EDIT_CHANGED);
    CHECK_STR(ui_text_input_get_text(in), "ab\xc3\xa9");
    CHECK_EQ(in->value, 4);
    key(in, INPUT_KEY_LEFT, 0, 0);
    CHECK_EQ(in->value, 2);   /* over é in one step */
    key(in, INPUT_KEY_DELETE, 0, 0);
    CHECK_STR(ui_text_input_get_text(in), "ab");
    key(in, INPUT_KEY_HOME, 0, 0);
    CHECK(key(in, INPUT_KEY_BACKSPACE, '\b', 0) == UI_EDIT_MOVED);   /* nothing before the caret */
    CHECK(key(in, INPUT_KEY_NONE, 0xd800, 0) == UI_EDIT_UNUSED);      /* a surrogate is no character */
    CHECK(key(in, INPUT_KEY_C, 'c', INPUT_MOD_CTRL) == UI_EDIT_UNUSED);   /* shortcut, not text */
    CHECK(key(in, INPUT_KEY_ESC, 0x1b, 0) == UI_EDIT_UNUSED);
    CHECK(key(in, INPUT_KEY_UP, 0, 0) == UI_EDIT_UNUSED);
    CHECK(key(in, INPUT_KEY_ENTER, '\n', 0) == UI_EDIT_SUBMIT);
    CHECK_STR(ui_text_input_get_text(in), "ab");
    type(in, "X");
    CHECK_STR(ui_text_input_get_text(in), "Xab");
    ui_destroy(in);
}

TEST(edit_selection) {
    ui_text_input_t in = ui_text_input();
    ui_text_input_set_text(in, "hello world");
    CHECK_EQ(in->value, 11);
    key(in, INPUT_KEY_LEFT, 0, INPUT_MOD_SHIFT);
    key(in, INPUT_KEY_LEFT, 0, INPUT_MOD_SHIFT);
    int s, e;
    ui_text_input_get_selection(in, &s, &e);
    CHECK(s == 9 && e == 11);
    type(in, "X");   /* replaces the selection */
    CHECK_STR(ui_text_input_get_text(in), "hello worX");
    key(in, INPUT_KEY_HOME, 0, INPUT_MOD_SHIFT);
    ui_text_input_get_selection(in, &s, &e);
    CHECK(s == 0 && e == 10);
    key(in, INPUT_KEY_RIGHT, 0, 0);   /* collapses to the end of the selection */
    ui_text_input_get_selection(in, &s, &e);
    CHECK(s == 10 && e == 10);
    key(in, INPUT_KEY_A, 'a', INPUT_MOD_CTRL);   /* select all */
    ui_text_input_get_selection(in, &s, &e);
    CHECK(s == 0 && e == 10);
    CHECK(key(in, INPUT_KEY_BACKSPACE, '\b', 0) == UI_EDIT_CHANGED);
    CHECK_STR(ui_text_input_get_text(in), "");
    ui_text_input_set_text(in, "abcdef");
    key(in, INPUT_KEY_HOME, 0, 0);
    key(in, INPUT_KEY_RIGHT, 0, 0);
    key(in, INPUT_KEY_END, 0, INPUT_MOD_SHIFT);
    key(in, INPUT_KEY_DELETE, 0, 0);
    CHECK_STR(ui_text_input_get_text(in), "a");
    key(in, INPUT_KEY_END, 0, 0);
    CHECK_EQ(in->value, 1);
    ui_destroy(in);
}

TEST(edit_caret_from_server) {
    ui_text_input_t in = ui_text_input();
    ui_text_input_set_text(in, "x\xc3\xa9y");   /* x é y: bytes 0, 1-2, 3 */
    ui__text_set_caret(in, 2, false);   /* inside é: snapped back */
    CHECK(in->value == 1 && in->min == 1);
    ui__text_set_caret(in, 99, true);   /* past the end: clamped, extends */
    CHECK(in->value == 4 && in->min == 1);
    ui__text_set_caret(in, -5, false);
    CHECK(in->value == 0 && in->min == 0);
    /* a caret left inside a character is fixed before editing */
    in->value = in->min = 2;
    type(in, "Z");
    CHECK_STR(ui_text_input_get_text(in), "xZ\xc3\xa9y");
    ui_destroy(in);
}

TEST(edit_in_a_window_round_trips) {
    ui_window_t win = ui_window();
    ui_text_input_t in = ui_text_input();
    ui_add(win, in);
    type(in, "na\xc3");   /* ch 0xc3 is the character U+00C3: two bytes in UTF-8 */
    key(in, INPUT_KEY_LEFT, 0, INPUT_MOD_SHIFT);
    struct ui_tree t;
    CHECK_EQ(round_trip(win, &t), 0);
    const struct ui_node *n = node(&t, in);
    CHECK(n && n->text_len == 4 && n->value == 2 && n->min == 4);
    ui_tree_free(&t);
    close_all_windows();
}

TEST_MAIN()
