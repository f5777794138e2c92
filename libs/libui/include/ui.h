/*
 * libui: declarative user interfaces for Tessera apps (seed "GUI Server").
 *
 * An app builds a tree of widgets (window -> canvas/containers -> text,
 * buttons, ...). libui sends the tree to the gui server, which lays it out
 * and renders it with Cairo; the app never draws pixels. Changing a widget
 * marks its window dirty and the event loop re-sends the tree before it next
 * waits (the server diffs it, so this is cheap). Events (clicks, changes,
 * keys) come back to the handlers registered with ui_on_*.
 *
 * The seed's example works as written (with its slips fixed):
 *
 *     ui_window_t win = ui_window();
 *     ui_window_set_size(win, 200, 300);
 *     ui_window_set_title(win, "My first application");
 *     ui_canvas_t canvas = ui_window_get_canvas(win);
 *     ui_text_t text = ui_text();
 *     ui_text_set_body(text, "Hello World");
 *     ui_text_set_size(text, UI_SIZE_H1);
 *     ui_text_set_rgba(text, 255, 0, 0, 255);
 *     ui_draw_text(canvas, text, 10, 10);
 *     ui_button_t button = ui_button();
 *     button_text = ui_text();
 *     ui_text_set_body(button_text, "Click here");
 *     ui_button_set_text(button, button_text);
 *     ui_on_click(button, button_clicked);
 *     ui_draw_button(canvas, button, 10, 60);
 *     return ui_main();
 *
 * Every widget handle is a ui_widget_t; the other names are for reading.
 * Functions given a NULL or wrong kind of widget do nothing (and return a
 * neutral value). Single-threaded: call libui from one thread only.
 */
#ifndef UI_H
#define UI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <ui/wire.h>   /* UI_SIZE_*, UI_ALIGN_*, UI_FONT_*, struct ui_event */

typedef struct ui_widget *ui_widget_t;
typedef ui_widget_t ui_window_t, ui_canvas_t, ui_text_t, ui_button_t, ui_container_t, ui_text_input_t,
    ui_checkbox_t, ui_slider_t, ui_image_t, ui_list_t;
/* The event a handler is called for (valid during the call only). */
typedef const struct ui_event *ui_event_t;
typedef void (*ui_handler_t)(ui_event_t ev, ui_widget_t widget);
typedef void (*ui_timer_fn)(void *ctx);

/* ---- windows ---- */
ui_window_t ui_window(void);                 /* shown at the first commit */
void ui_window_set_size(ui_window_t win, int width, int height);   /* content size, pixels */
void ui_window_set_title(ui_window_t win, const char *title);
/* The window's canvas (created on first use; fills the window). */
ui_canvas_t ui_window_get_canvas(ui_window_t win);
void ui_window_close(ui_window_t win);        /* ui_main returns when the last one closes */
/* The close button: the default handler closes the window. */
void ui_on_close(ui_window_t win, ui_handler_t handler);
/* Keys no focused widget took (shortcuts): ev->key, ev->ch, ev->mods. */
void ui_on_key(ui_window_t win, ui_handler_t handler);

/* ---- text ---- */
ui_text_t ui_text(void);
void ui_text_set_body(ui_text_t text, const char *body);
const char *ui_text_get_body(ui_text_t text);
void ui_text_set_size(ui_text_t text, int size);          /* UI_SIZE_* */
void ui_text_set_rgba(ui_text_t text, int r, int g, int b, int a);
void ui_text_set_font(ui_text_t text, int font);          /* UI_FONT_* */
void ui_text_set_wrap(ui_text_t text, bool wrap);

/* ---- buttons ---- */
ui_button_t ui_button(void);
/* The button's label is this text widget (it becomes the button's child). */
void ui_button_set_text(ui_button_t button, ui_text_t text);
void ui_button_set_label(ui_button_t button, const char *label);   /* a plain label */
void ui_on_click(ui_widget_t widget, ui_handler_t handler);         /* buttons, canvases */

/* ---- placing widgets ---- */
/* In a canvas at (x, y); the seed's names. */
void ui_draw_text(ui_canvas_t canvas, ui_text_t text, int x, int y);
void ui_draw_button(ui_canvas_t canvas, ui_button_t button, int x, int y);
void ui_draw_widget(ui_canvas_t canvas, ui_widget_t widget, int x, int y);
/* Containers. */
ui_container_t ui_column(void);
ui_container_t ui_row(void);
ui_canvas_t ui_canvas(int width, int height);   /* 0, 0: as big as what is drawn */
ui_widget_t ui_spacer(void);                    /* expands */
void ui_add(ui_widget_t parent, ui_widget_t child);   /* windows, columns, rows, lists, canvases (at 0,0) */
void ui_remove(ui_widget_t widget);             /* detaches it (keep it to add again) */
void ui_destroy(ui_widget_t widget);            /* detaches and frees it and its children */
void ui_clear(ui_widget_t parent);              /* destroys every child */
void ui_set_padding(ui_widget_t container, int pixels);
void ui_set_spacing(ui_widget_t container, int pixels);
void ui_set_align(ui_widget_t widget, int align);        /* UI_ALIGN_* */
void ui_set_expand(ui_widget_t widget, bool expand);     /* takes spare room */
void ui_set_size(ui_widget_t widget, int width, int height);   /* 0 = natural */
void ui_set_position(ui_widget_t widget, int x, int y);  /* in a canvas */
void ui_set_rgba(ui_widget_t widget, int r, int g, int b, int a);        /* foreground */
void ui_set_background(ui_widget_t widget, int r, int g, int b, int a);
void ui_set_disabled(ui_widget_t widget, bool disabled);
void ui_focus(ui_widget_t widget);              /* keyboard focus to it at the next commit */
void ui_set_data(ui_widget_t widget, void *data);
void *ui_get_data(ui_widget_t widget);

/* ---- text input (one line; cursor, selection, editing keys) ---- */
ui_text_input_t ui_text_input(void);
void ui_text_input_set_text(ui_text_input_t input, const char *text);   /* caret to the end */
const char *ui_text_input_get_text(ui_text_input_t input);
void ui_text_input_set_placeholder(ui_text_input_t input, const char *placeholder);
void ui_text_input_get_selection(ui_text_input_t input, int *start, int *end);   /* byte offsets */
void ui_on_change(ui_widget_t widget, ui_handler_t handler);   /* text inputs, checkboxes, sliders */
void ui_on_submit(ui_text_input_t input, ui_handler_t handler); /* Enter */
/* Keys the input does not use itself (Up, Down, Page Up/Down, Escape...). */
void ui_text_input_on_key(ui_text_input_t input, ui_handler_t handler);

/* ---- checkbox, slider ---- */
ui_checkbox_t ui_checkbox(const char *label);
void ui_checkbox_set_checked(ui_checkbox_t box, bool checked);
bool ui_checkbox_get_checked(ui_checkbox_t box);
ui_slider_t ui_slider(int min, int max);
void ui_slider_set_value(ui_slider_t slider, int value);
int ui_slider_get_value(ui_slider_t slider);

/* ---- images (PNG) ---- */
ui_image_t ui_image(void);
bool ui_image_set_png(ui_image_t image, const void *png, size_t len);   /* copied */
bool ui_image_load(ui_image_t image, const char *path);                 /* a PNG file */
void ui_draw_image(ui_canvas_t canvas, ui_image_t image, int x, int y);

/* ---- scrollable list ---- */
ui_list_t ui_list(void);             /* items: ui_add any widgets */
void ui_list_set_selected(ui_list_t list, int index);   /* -1: none */
int ui_list_get_selected(ui_list_t list);
void ui_list_set_stick_end(ui_list_t list, bool stick);  /* keep the last item in view */
void ui_on_select(ui_list_t list, ui_handler_t handler);   /* ev->value: the index */

/* ---- canvas drawing primitives (each returns its widget; colours 0xRRGGBBAA, 0 = none) ---- */
#define UI_RGBA(r, g, b, a) (((uint32_t)(r) << 24) | ((uint32_t)(g) << 16) | ((uint32_t)(b) << 8) | (uint32_t)(a))
ui_widget_t ui_draw_line(ui_canvas_t canvas, int x1, int y1, int x2, int y2, uint32_t rgba, int width);
ui_widget_t ui_draw_rect(ui_canvas_t canvas, int x, int y, int w, int h, uint32_t fill, uint32_t stroke,
                         int width);
ui_widget_t ui_draw_rounded_rect(ui_canvas_t canvas, int x, int y, int w, int h, int radius, uint32_t fill,
                                 uint32_t stroke, int width);
/* Angles in degrees, 0 = 3 o'clock, clockwise; a fill makes a pie slice. */
ui_widget_t ui_draw_arc(ui_canvas_t canvas, int cx, int cy, int radius, int from_deg, int to_deg,
                        uint32_t fill, uint32_t stroke, int width);
/* points: n (x, y) pairs in canvas pixels. */
ui_widget_t ui_draw_path(ui_canvas_t canvas, const int *points, int n, bool closed, uint32_t fill,
                         uint32_t stroke, int width);
/* Pointer events on a canvas (press, drag, release): ev->x, ev->y, ev->down. */
void ui_on_pointer(ui_canvas_t canvas, ui_handler_t handler);

/* ---- the event loop ---- */
/* Connects to the gui server if needed, commits dirty windows, dispatches
 * events and timers until the last window closes or ui_quit. Returns 0, or
 * a negative E_* code (also printed) if the gui cannot be reached. */
int ui_main(void);
void ui_quit(void);
/* One round: commit, wait up to timeout_ms (-1: forever) for events or a
 * timer, dispatch them. Returns 0, or a negative E_* code. */
int ui_run_once(int timeout_ms);
/* Sends every dirty window now (ui_main does it before waiting). */
int ui_commit(void);
/* Calls fn(ctx) every interval_ms (first after interval_ms); returns an id. */
int ui_timer(int interval_ms, ui_timer_fn fn, void *ctx);
void ui_timer_cancel(int id);
/* Why the last commit of a window was rejected ("" if it was not). */
const char *ui_last_error(ui_window_t win);

/* ---- the desktop (for Settings) ---- */
int ui_theme_get(char *name, size_t cap);
int ui_theme_list(int index, char *name, size_t cap);   /* -E_NOENT past the last */
int ui_theme_set(const char *name);
void ui_on_theme(ui_handler_t handler);                   /* the theme changed */
int ui_display_get(int *width, int *height, int *preferred_width, int *preferred_height);
int ui_display_set(int width, int height);

#endif
