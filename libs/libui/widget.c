/*
 * libui's widgets: nodes in memory with the wire properties (ui/wire.h),
 * parent/child links, handlers and user data. Every change marks the window
 * the widget is in as dirty; the event loop re-sends dirty windows.
 * No IPC here (host tests use this file).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <common/utf8.h>
#include "internal.h"

struct ui_window_state *ui__windows;
static uint32_t next_id = 1;

/* ---- helpers ---- */

static bool is(const struct ui_widget *w, int kind) {
    return w && w->kind == kind;
}

static bool is_primitive(const struct ui_widget *w) {
    return w->kind >= UI_KIND_LINE && w->kind <= UI_KIND_PATH;
}

static bool is_container(const struct ui_widget *w) {
    return w && (w->kind == UI_KIND_WINDOW || w->kind == UI_KIND_COLUMN || w->kind == UI_KIND_ROW ||
                 w->kind == UI_KIND_CANVAS || w->kind == UI_KIND_LIST);
}

static int clamp(int v, int lo, int hi) {
    return v < lo ? lo : v > hi ? hi : v;
}

static uint32_t rgba(int r, int g, int b, int a) {
    return UI_RGBA(clamp(r, 0, 255), clamp(g, 0, 255), clamp(b, 0, 255), clamp(a, 0, 255));
}

static struct ui_widget *new_widget(int kind) {
    struct ui_widget *w = calloc(1, sizeof(*w));
    if (!w)
        return NULL;
    w->id = next_id++;
    if (next_id == 0)   /* 4 billion widgets later: ids stay non-zero */
        next_id = 1;
    w->kind = (uint16_t)kind;
    return w;
}

struct ui_window_state *ui__window_of(const struct ui_widget *w) {
    while (w && w->parent)
        w = w->parent;
    return is(w, UI_KIND_WINDOW) ? w->window : NULL;
}

void ui__mark_dirty(struct ui_widget *w) {
    struct ui_window_state *s = ui__window_of(w);
    if (s)
        s->dirty = true;
}

/* Pre-order successor of w within the subtree of root (NULL at the end). */
struct ui_widget *ui__next_in_tree(struct ui_widget *w, struct ui_widget *root) {
    if (w->first_child)
        return w->first_child;
    while (w && w != root) {
        if (w->next)
            return w->next;
        w = w->parent;
    }
    return NULL;
}

struct ui_widget *ui__find(struct ui_widget *root, uint32_t id) {
    for (struct ui_widget *w = root; w; w = ui__next_in_tree(w, root))
        if (w->id == id)
            return w;
    return NULL;
}

void ui__clear_focus(struct ui_widget *root) {
    for (struct ui_widget *w = root; w; w = ui__next_in_tree(w, root))
        w->focus_pending = false;
}

/* Text goes to the server as valid UTF-8 (it refuses a whole tree over one
 * bad byte): anything else becomes U+FFFD, so a stray byte in a file name
 * or a file's contents cannot cost an app its window. */
bool ui__set_text(struct ui_widget *w, const char *s, size_t len) {
    char *copy = NULL;
    if (len) {
        if (!(copy = malloc(len * 3 + 1)))
            return false;
        size_t out = 0;
        for (size_t i = 0; i < len;) {
            int n = s[i] ? utf8_char_len((const unsigned char *)s + i, len - i) : 0;
            if (n > 0) {
                memcpy(copy + out, s + i, (size_t)n);
                out += (size_t)n;
                i += (size_t)n;
            } else {
                memcpy(copy + out, "\xef\xbf\xbd", 3);
                out += 3;
                i++;
            }
        }
        copy[out] = '\0';
        len = out;
    }
    free(w->text);
    w->text = copy;
    w->text_len = (uint32_t)len;
    ui__mark_dirty(w);
    return true;
}

static bool set_blob(struct ui_widget *w, const void *p, size_t len) {
    uint8_t *copy = NULL;
    if (len) {
        if (!(copy = malloc(len)))
            return false;
        memcpy(copy, p, len);
    }
    free(w->data);
    w->data = copy;
    w->data_len = (uint32_t)len;
    ui__mark_dirty(w);
    return true;
}

uint32_t ui__handlers(const struct ui_widget *w) {
    uint32_t h = 0;
    switch (w->kind) {
    case UI_KIND_TEXT_INPUT:   /* libui edits the text itself */
        h |= UI_WANT_KEY;
        break;
    case UI_KIND_CHECKBOX:
    case UI_KIND_SLIDER:       /* libui keeps the value */
        h |= UI_WANT_CHANGE;
        break;
    case UI_KIND_LIST:         /* libui keeps the selection */
        h |= UI_WANT_SELECT;
        break;
    default:
        break;
    }
    if (w->on_click)
        h |= UI_WANT_CLICK;
    if (w->on_key)
        h |= UI_WANT_KEY;
    if (w->on_pointer)
        h |= UI_WANT_POINTER;
    return h;
}

/* ---- the tree ---- */

static void detach(struct ui_widget *w) {
    struct ui_widget *p = w->parent;
    if (!p)
        return;
    ui__mark_dirty(p);
    if (w->prev)
        w->prev->next = w->next;
    else
        p->first_child = w->next;
    if (w->next)
        w->next->prev = w->prev;
    else
        p->last_child = w->prev;
    w->parent = w->prev = w->next = NULL;
}

static bool is_ancestor(const struct ui_widget *a, const struct ui_widget *w) {
    for (; w; w = w->parent)
        if (w == a)
            return true;
    return false;
}

/* Appends child to parent (moving it from wherever it was). */
static void attach(struct ui_widget *parent, struct ui_widget *child) {
    if (!is_container(parent) || !child || child->kind == UI_KIND_WINDOW || is_ancestor(child, parent))
        return;
    if (is_primitive(child) && parent->kind != UI_KIND_CANVAS) {
        fprintf(stderr, "libui: a drawing primitive can only go into a canvas\n");
        return;
    }
    detach(child);
    child->parent = parent;
    child->prev = parent->last_child;
    if (parent->last_child)
        parent->last_child->next = child;
    else
        parent->first_child = child;
    parent->last_child = child;
    ui__mark_dirty(parent);
}

static void free_subtree(struct ui_widget *w) {
    struct ui_widget *c = w->first_child;
    while (c) {
        struct ui_widget *next = c->next;
        free_subtree(c);
        c = next;
    }
    free(w->text);
    free(w->data);
    free(w);
}

void ui_add(ui_widget_t parent, ui_widget_t child) {
    attach(parent, child);
}

void ui_remove(ui_widget_t widget) {
    if (widget)
        detach(widget);
}

void ui_destroy(ui_widget_t widget) {
    if (!widget)
        return;
    if (widget->kind == UI_KIND_WINDOW) {
        ui_window_close(widget);
        return;
    }
    detach(widget);
    free_subtree(widget);
}

void ui_clear(ui_widget_t parent) {
    if (!parent)
        return;
    while (parent->first_child)
        ui_destroy(parent->first_child);
}

/* ---- windows ---- */

ui_window_t ui_window(void) {
    struct ui_widget *w = new_widget(UI_KIND_WINDOW);
    struct ui_window_state *s = calloc(1, sizeof(*s));
    if (!w || !s) {
        free(w);
        free(s);
        return NULL;
    }
    w->window = s;
    w->align = UI_ALIGN_STRETCH;   /* content as wide as the window */
    s->root = w;
    s->tree_mem = HANDLE_NONE;
    s->dirty = true;
    /* append: windows open in the order they were made */
    struct ui_window_state **p = &ui__windows;
    while (*p)
        p = &(*p)->next;
    *p = s;
    return w;
}

void ui_window_set_size(ui_window_t win, int width, int height) {
    if (is(win, UI_KIND_WINDOW))
        ui_set_size(win, width, height);
}

void ui_window_set_title(ui_window_t win, const char *title) {
    if (is(win, UI_KIND_WINDOW) && title)
        ui__set_text(win, title, strlen(title));
}

ui_canvas_t ui_window_get_canvas(ui_window_t win) {
    if (!is(win, UI_KIND_WINDOW))
        return NULL;
    for (struct ui_widget *c = win->first_child; c; c = c->next)
        if (c->kind == UI_KIND_CANVAS && (c->flags & UI_FLAG_EXPAND))
            return c;
    struct ui_widget *c = new_widget(UI_KIND_CANVAS);
    if (!c)
        return NULL;
    c->flags |= UI_FLAG_EXPAND;   /* fills the window */
    attach(win, c);
    return c;
}

/* The state stays listed (closed) until the server has been told. */
void ui_window_close(ui_window_t win) {
    if (!is(win, UI_KIND_WINDOW) || !win->window)
        return;
    struct ui_window_state *s = win->window;
    s->closed = true;
    s->root = NULL;
    free_subtree(win);
}

void ui__window_forget(struct ui_window_state *s) {
    for (struct ui_window_state **p = &ui__windows; *p; p = &(*p)->next) {
        if (*p == s) {
            *p = s->next;
            if (s->root)
                free_subtree(s->root);
            free(s);
            return;
        }
    }
}

int ui__open_windows(void) {
    int n = 0;
    for (struct ui_window_state *s = ui__windows; s; s = s->next)
        n += !s->closed;
    return n;
}

void ui_on_close(ui_window_t win, ui_handler_t handler) {
    if (is(win, UI_KIND_WINDOW))
        win->on_close = handler;
}

void ui_on_key(ui_window_t win, ui_handler_t handler) {
    if (is(win, UI_KIND_WINDOW)) {
        win->on_key = handler;
        ui__mark_dirty(win);
    }
}

const char *ui_last_error(ui_window_t win) {
    return is(win, UI_KIND_WINDOW) && win->window ? win->window->last_error : "";
}

/* ---- text ---- */

ui_text_t ui_text(void) {
    return new_widget(UI_KIND_TEXT);
}

void ui_text_set_body(ui_text_t text, const char *body) {
    if (is(text, UI_KIND_TEXT) && body)
        ui__set_text(text, body, strlen(body));
}

const char *ui_text_get_body(ui_text_t text) {
    return is(text, UI_KIND_TEXT) && text->text ? text->text : "";
}

void ui_text_set_size(ui_text_t text, int size) {
    if (is(text, UI_KIND_TEXT) && size >= 0 && size <= UI_SIZE_MAX) {
        text->text_size = (uint8_t)size;
        ui__mark_dirty(text);
    }
}

void ui_text_set_rgba(ui_text_t text, int r, int g, int b, int a) {
    if (is(text, UI_KIND_TEXT))
        ui_set_rgba(text, r, g, b, a);
}

void ui_text_set_font(ui_text_t text, int font) {
    if (is(text, UI_KIND_TEXT) && font >= 0 && font <= UI_FONT_MAX) {
        text->font = (uint8_t)font;
        ui__mark_dirty(text);
    }
}

void ui_text_set_wrap(ui_text_t text, bool wrap) {
    if (!is(text, UI_KIND_TEXT))
        return;
    text->flags = wrap ? text->flags | UI_FLAG_WRAP : text->flags & ~UI_FLAG_WRAP;
    ui__mark_dirty(text);
}

/* ---- buttons ---- */

ui_button_t ui_button(void) {
    return new_widget(UI_KIND_BUTTON);
}

/* The label is the button's one TEXT child; a previous label widget is
 * detached (not freed: the app may still hold it). */
void ui_button_set_text(ui_button_t button, ui_text_t text) {
    if (!is(button, UI_KIND_BUTTON) || !is(text, UI_KIND_TEXT) || text->parent == button)
        return;
    while (button->first_child)
        detach(button->first_child);
    ui__set_text(button, NULL, 0);
    detach(text);
    text->parent = button;
    button->first_child = button->last_child = text;
    ui__mark_dirty(button);
}

/* A plain label: the text child's body if the button has one. */
void ui_button_set_label(ui_button_t button, const char *label) {
    if (!is(button, UI_KIND_BUTTON) || !label)
        return;
    if (is(button->first_child, UI_KIND_TEXT))
        ui_text_set_body(button->first_child, label);
    else
        ui__set_text(button, label, strlen(label));
}

void ui_on_click(ui_widget_t widget, ui_handler_t handler) {
    if (is(widget, UI_KIND_BUTTON) || is(widget, UI_KIND_CANVAS)) {
        widget->on_click = handler;
        ui__mark_dirty(widget);
    }
}

/* ---- placing ---- */

void ui_draw_widget(ui_canvas_t canvas, ui_widget_t widget, int x, int y) {
    if (!is(canvas, UI_KIND_CANVAS) || !widget)
        return;
    ui_set_position(widget, x, y);
    attach(canvas, widget);
}

void ui_draw_text(ui_canvas_t canvas, ui_text_t text, int x, int y) {
    if (is(text, UI_KIND_TEXT))
        ui_draw_widget(canvas, text, x, y);
}

void ui_draw_button(ui_canvas_t canvas, ui_button_t button, int x, int y) {
    if (is(button, UI_KIND_BUTTON))
        ui_draw_widget(canvas, button, x, y);
}

void ui_draw_image(ui_canvas_t canvas, ui_image_t image, int x, int y) {
    if (is(image, UI_KIND_IMAGE))
        ui_draw_widget(canvas, image, x, y);
}

ui_container_t ui_column(void) {
    return new_widget(UI_KIND_COLUMN);
}

ui_container_t ui_row(void) {
    return new_widget(UI_KIND_ROW);
}

ui_canvas_t ui_canvas(int width, int height) {
    struct ui_widget *c = new_widget(UI_KIND_CANVAS);
    if (c)
        ui_set_size(c, width, height);
    return c;
}

ui_widget_t ui_spacer(void) {
    struct ui_widget *s = new_widget(UI_KIND_SPACER);
    if (s)
        s->flags |= UI_FLAG_EXPAND;
    return s;
}

void ui_set_padding(ui_widget_t container, int pixels) {
    if (is_container(container)) {
        container->padding = (uint16_t)clamp(pixels, 0, 256);
        ui__mark_dirty(container);
    }
}

void ui_set_spacing(ui_widget_t container, int pixels) {
    if (is_container(container)) {
        container->spacing = (uint16_t)clamp(pixels, 0, 256);
        ui__mark_dirty(container);
    }
}

void ui_set_align(ui_widget_t widget, int align) {
    if (widget && align >= 0 && align <= UI_ALIGN_MAX) {
        widget->align = (uint8_t)align;
        ui__mark_dirty(widget);
    }
}

void ui_set_expand(ui_widget_t widget, bool expand) {
    if (!widget)
        return;
    widget->flags = expand ? widget->flags | UI_FLAG_EXPAND : widget->flags & ~UI_FLAG_EXPAND;
    ui__mark_dirty(widget);
}

void ui_set_size(ui_widget_t widget, int width, int height) {
    if (!widget || widget->kind == UI_KIND_LINE)   /* a line's w/h are its direction */
        return;
    widget->w = clamp(width, 0, UI_COORD_MAX);
    widget->h = clamp(height, 0, UI_COORD_MAX);
    ui__mark_dirty(widget);
}

void ui_set_position(ui_widget_t widget, int x, int y) {
    if (!widget || widget->kind == UI_KIND_WINDOW)
        return;
    widget->x = clamp(x, -UI_COORD_MAX, UI_COORD_MAX);
    widget->y = clamp(y, -UI_COORD_MAX, UI_COORD_MAX);
    ui__mark_dirty(widget);
}

void ui_set_rgba(ui_widget_t widget, int r, int g, int b, int a) {
    if (!widget)
        return;
    widget->color = rgba(r, g, b, a);
    widget->flags |= UI_FLAG_HAS_COLOR;
    ui__mark_dirty(widget);
}

void ui_set_background(ui_widget_t widget, int r, int g, int b, int a) {
    if (!widget)
        return;
    widget->background = rgba(r, g, b, a);
    widget->flags |= UI_FLAG_HAS_BACKGROUND;
    ui__mark_dirty(widget);
}

void ui_set_disabled(ui_widget_t widget, bool disabled) {
    if (!widget)
        return;
    widget->flags = disabled ? widget->flags | UI_FLAG_DISABLED : widget->flags & ~UI_FLAG_DISABLED;
    ui__mark_dirty(widget);
}

void ui_focus(ui_widget_t widget) {
    if (!widget)
        return;
    widget->focus_pending = true;
    ui__mark_dirty(widget);
}

void ui_set_data(ui_widget_t widget, void *data) {
    if (widget)
        widget->user = data;
}

void *ui_get_data(ui_widget_t widget) {
    return widget ? widget->user : NULL;
}

/* ---- text input ---- */

ui_text_input_t ui_text_input(void) {
    return new_widget(UI_KIND_TEXT_INPUT);
}

void ui_text_input_set_text(ui_text_input_t input, const char *text) {
    if (!is(input, UI_KIND_TEXT_INPUT) || !text)
        return;
    size_t len = strlen(text);
    if (len > UI_TEXT_MAX_BYTES)
        len = ui__utf8_floor(text, UI_TEXT_MAX_BYTES, UI_TEXT_MAX_BYTES);
    if (ui__set_text(input, text, len))
        input->value = input->min = (int32_t)input->text_len;
}

const char *ui_text_input_get_text(ui_text_input_t input) {
    return is(input, UI_KIND_TEXT_INPUT) && input->text ? input->text : "";
}

void ui_text_input_set_placeholder(ui_text_input_t input, const char *placeholder) {
    if (is(input, UI_KIND_TEXT_INPUT) && placeholder)
        set_blob(input, placeholder, strlen(placeholder));
}

void ui_text_input_get_selection(ui_text_input_t input, int *start, int *end) {
    int a = 0, b = 0;
    if (is(input, UI_KIND_TEXT_INPUT)) {
        a = input->value < input->min ? input->value : input->min;
        b = input->value < input->min ? input->min : input->value;
    }
    if (start)
        *start = a;
    if (end)
        *end = b;
}

void ui_on_change(ui_widget_t widget, ui_handler_t handler) {
    if (is(widget, UI_KIND_TEXT_INPUT) || is(widget, UI_KIND_CHECKBOX) || is(widget, UI_KIND_SLIDER))
        widget->on_change = handler;
}

void ui_on_submit(ui_text_input_t input, ui_handler_t handler) {
    if (is(input, UI_KIND_TEXT_INPUT))
        input->on_submit = handler;
}

void ui_text_input_on_key(ui_text_input_t input, ui_handler_t handler) {
    if (is(input, UI_KIND_TEXT_INPUT))
        input->on_key = handler;
}

/* ---- checkbox, slider ---- */

ui_checkbox_t ui_checkbox(const char *label) {
    struct ui_widget *b = new_widget(UI_KIND_CHECKBOX);
    if (b && label)
        ui__set_text(b, label, strlen(label));
    return b;
}

void ui_checkbox_set_checked(ui_checkbox_t box, bool checked) {
    if (is(box, UI_KIND_CHECKBOX)) {
        box->value = checked;
        ui__mark_dirty(box);
    }
}

bool ui_checkbox_get_checked(ui_checkbox_t box) {
    return is(box, UI_KIND_CHECKBOX) && box->value;
}

ui_slider_t ui_slider(int min, int max) {
    struct ui_widget *s = new_widget(UI_KIND_SLIDER);
    if (!s)
        return NULL;
    if (max < min) {
        int t = min;
        min = max;
        max = t;
    }
    s->min = min;
    s->max = max;
    s->value = min;
    return s;
}

void ui_slider_set_value(ui_slider_t slider, int value) {
    if (is(slider, UI_KIND_SLIDER)) {
        slider->value = clamp(value, slider->min, slider->max);
        ui__mark_dirty(slider);
    }
}

int ui_slider_get_value(ui_slider_t slider) {
    return is(slider, UI_KIND_SLIDER) ? slider->value : 0;
}

/* ---- images ---- */

ui_image_t ui_image(void) {
    return new_widget(UI_KIND_IMAGE);
}

bool ui_image_set_png(ui_image_t image, const void *png, size_t len) {
    static const uint8_t signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    if (!is(image, UI_KIND_IMAGE) || !png || len < 8 || len > UI_IMAGE_MAX_BYTES ||
        memcmp(png, signature, 8)) {
        fprintf(stderr, "libui: not a PNG of at most %u bytes\n", UI_IMAGE_MAX_BYTES);
        return false;
    }
    return set_blob(image, png, len);
}

bool ui_image_load(ui_image_t image, const char *path) {
    if (!is(image, UI_KIND_IMAGE) || !path)
        return false;
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "libui: cannot open %s\n", path);
        return false;
    }
    uint8_t *buf = malloc(UI_IMAGE_MAX_BYTES + 1);
    size_t n = buf ? fread(buf, 1, UI_IMAGE_MAX_BYTES + 1, f) : 0;
    fclose(f);
    bool ok = buf && n <= UI_IMAGE_MAX_BYTES && ui_image_set_png(image, buf, n);
    if (buf && !ok)
        fprintf(stderr, "libui: %s is not a usable PNG\n", path);
    free(buf);
    return ok;
}

/* ---- lists ---- */

ui_list_t ui_list(void) {
    struct ui_widget *l = new_widget(UI_KIND_LIST);
    if (l)
        l->value = -1;
    return l;
}

void ui_list_set_selected(ui_list_t list, int index) {
    if (is(list, UI_KIND_LIST)) {
        list->value = index < 0 ? -1 : index;
        ui__mark_dirty(list);
    }
}

int ui_list_get_selected(ui_list_t list) {
    return is(list, UI_KIND_LIST) ? list->value : -1;
}

void ui_list_set_stick_end(ui_list_t list, bool stick) {
    if (!is(list, UI_KIND_LIST))
        return;
    list->flags = stick ? list->flags | UI_FLAG_STICK_END : list->flags & ~UI_FLAG_STICK_END;
    ui__mark_dirty(list);
}

void ui_on_select(ui_list_t list, ui_handler_t handler) {
    if (is(list, UI_KIND_LIST))
        list->on_select = handler;
}

void ui_on_pointer(ui_canvas_t canvas, ui_handler_t handler) {
    if (is(canvas, UI_KIND_CANVAS)) {
        canvas->on_pointer = handler;
        ui__mark_dirty(canvas);
    }
}

/* ---- drawing primitives ---- */

/* Outline colour and width, fill: 0 means none. */
static void set_paint(struct ui_widget *p, uint32_t fill, uint32_t stroke, int width) {
    if (fill) {
        p->background = fill;
        p->flags |= UI_FLAG_HAS_BACKGROUND;
    }
    if (stroke) {
        p->color = stroke;
        p->flags |= UI_FLAG_HAS_COLOR;
    }
    p->stroke = (uint8_t)clamp(width, 0, 255);
}

static struct ui_widget *primitive(ui_canvas_t canvas, int kind) {
    if (!is(canvas, UI_KIND_CANVAS))
        return NULL;
    struct ui_widget *p = new_widget(kind);
    if (p)
        attach(canvas, p);
    return p;
}

ui_widget_t ui_draw_line(ui_canvas_t canvas, int x1, int y1, int x2, int y2, uint32_t rgba_, int width) {
    struct ui_widget *p = primitive(canvas, UI_KIND_LINE);
    if (!p)
        return NULL;
    p->x = clamp(x1, -UI_COORD_MAX, UI_COORD_MAX);
    p->y = clamp(y1, -UI_COORD_MAX, UI_COORD_MAX);
    p->w = clamp(x2 - p->x, -UI_COORD_MAX, UI_COORD_MAX);
    p->h = clamp(y2 - p->y, -UI_COORD_MAX, UI_COORD_MAX);
    set_paint(p, 0, rgba_, width);
    return p;
}

ui_widget_t ui_draw_rounded_rect(ui_canvas_t canvas, int x, int y, int w, int h, int radius, uint32_t fill,
                                 uint32_t stroke, int width) {
    struct ui_widget *p = primitive(canvas, UI_KIND_RECT);
    if (!p)
        return NULL;
    ui_set_position(p, x, y);
    ui_set_size(p, w, h);
    p->radius = (uint32_t)clamp(radius, 0, UI_COORD_MAX);
    set_paint(p, fill, stroke, width);
    return p;
}

ui_widget_t ui_draw_rect(ui_canvas_t canvas, int x, int y, int w, int h, uint32_t fill, uint32_t stroke,
                         int width) {
    return ui_draw_rounded_rect(canvas, x, y, w, h, 0, fill, stroke, width);
}

ui_widget_t ui_draw_arc(ui_canvas_t canvas, int cx, int cy, int radius, int from_deg, int to_deg, uint32_t fill,
                        uint32_t stroke, int width) {
    struct ui_widget *p = primitive(canvas, UI_KIND_ARC);
    if (!p)
        return NULL;
    ui_set_position(p, cx, cy);
    p->radius = (uint32_t)clamp(radius, 0, UI_COORD_MAX);
    p->min = from_deg;
    p->max = to_deg;
    set_paint(p, fill, stroke, width);
    return p;
}

/* The points are stored relative to their top-left corner, placed at x, y. */
ui_widget_t ui_draw_path(ui_canvas_t canvas, const int *points, int n, bool closed, uint32_t fill,
                         uint32_t stroke, int width) {
    if (!is(canvas, UI_KIND_CANVAS))
        return NULL;
    if (!points || n < 2 || n > (int)UI_PATH_MAX_POINTS) {
        fprintf(stderr, "libui: a path needs 2 to %u points (got %d)\n", UI_PATH_MAX_POINTS, n);
        return NULL;
    }
    int min_x = points[0], min_y = points[1];
    for (int i = 1; i < n; i++) {
        min_x = points[2 * i] < min_x ? points[2 * i] : min_x;
        min_y = points[2 * i + 1] < min_y ? points[2 * i + 1] : min_y;
    }
    min_x = clamp(min_x, -UI_COORD_MAX, UI_COORD_MAX);
    min_y = clamp(min_y, -UI_COORD_MAX, UI_COORD_MAX);
    int32_t *rel = malloc((size_t)n * 2 * sizeof(int32_t));
    struct ui_widget *p = rel ? primitive(canvas, UI_KIND_PATH) : NULL;
    if (!p) {
        free(rel);
        return NULL;
    }
    for (int i = 0; i < n; i++) {
        rel[2 * i] = clamp(points[2 * i] - min_x, 0, UI_COORD_MAX);
        rel[2 * i + 1] = clamp(points[2 * i + 1] - min_y, 0, UI_COORD_MAX);
    }
    p->x = min_x;
    p->y = min_y;
    p->data = (uint8_t *)rel;
    p->data_len = (uint32_t)((size_t)n * 2 * sizeof(int32_t));
    if (closed)
        p->flags |= UI_FLAG_CLOSED;
    set_paint(p, fill, stroke, width);
    return p;
}
