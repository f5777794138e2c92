/*
 * libui's private view of widgets and windows, shared by its files:
 *   widget.c    the widget tree in memory and every ui.h setter
 *   encode.c    a window's tree -> the wire format (ui/wire.h)
 *   textedit.c  editing keys for text inputs
 *   connect.c   the gui server: connection, window memory, commits, desktop calls
 *   loop.c      the event loop: the event ring, dispatch, timers
 * The first three use no IPC, so host unit tests run them on Linux.
 */
#ifndef LIBUI_INTERNAL_H
#define LIBUI_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <tessera/abi.h>
#include <ui.h>

struct ui_window_state;

struct ui_widget {
    uint32_t id;                 /* the wire id: unique, never 0 */
    uint16_t kind;               /* enum ui_kind */
    uint16_t flags;              /* UI_FLAG_* except FOCUS */
    /* wire properties (see ui/wire.h for what each kind uses) */
    int32_t x, y, w, h;
    uint32_t color, background;
    uint8_t text_size, font, align, stroke;
    uint16_t padding, spacing;
    int32_t value, min, max;
    uint32_t radius;
    char *text;                  /* NUL-terminated, or NULL for "" */
    uint32_t text_len;
    uint8_t *data;               /* blob (PNG, path points, placeholder), or NULL */
    uint32_t data_len;
    bool focus_pending;          /* ui_focus: UI_FLAG_FOCUS at the next commit */
    /* the tree */
    struct ui_widget *parent, *first_child, *last_child, *prev, *next;
    uint32_t wire_index;         /* scratch for the encoder */
    /* handlers */
    ui_handler_t on_click, on_change, on_select, on_key, on_submit, on_pointer, on_close;
    void *user;
    struct ui_window_state *window;   /* WINDOW only */
};

/* A window: its root widget and what the server knows of it. States stay
 * on the list after ui_window_close until connect.c has told the server. */
struct ui_window_state {
    struct ui_widget *root;      /* NULL once closed */
    struct ui_window_state *next;
    uint32_t server_id;          /* from gui.window_create; 0 = not created yet */
    handle_t tree_mem;           /* our read/write handle to the tree memory object */
    void *tree_map;              /* its mapping, UI_TREE_MAX_BYTES */
    uint32_t generation;         /* commits sent */
    bool dirty;
    bool closed;
    char last_error[IPC_DATA_MAX];   /* why the last commit was rejected, "" if it was not */
};

extern struct ui_window_state *ui__windows;

/* widget.c */
struct ui_window_state *ui__window_of(const struct ui_widget *w);
void ui__mark_dirty(struct ui_widget *w);
struct ui_widget *ui__find(struct ui_widget *root, uint32_t id);
/* Pre-order walk of root's subtree: the node after w, or NULL. */
struct ui_widget *ui__next_in_tree(struct ui_widget *w, struct ui_widget *root);
void ui__clear_focus(struct ui_widget *root);
void ui__window_forget(struct ui_window_state *s);   /* unlinks and frees a closed window's state */
int ui__open_windows(void);
bool ui__set_text(struct ui_widget *w, const char *s, size_t len);   /* copies; false if out of memory */
uint32_t ui__handlers(const struct ui_widget *w);   /* UI_WANT_* for the wire */

/* encode.c: writes the tree of `win` into buf (at most cap bytes) with this
 * generation. Returns the size written, or a negative E_* code with a
 * one-line reason (the tree is too large for cap or the wire's limits). */
long ui__encode(struct ui_widget *win, void *buf, size_t cap, uint32_t generation, char *reason,
                size_t reason_cap);

/* textedit.c: what an editing key did to a TEXT_INPUT. */
enum ui_edit_result {
    UI_EDIT_UNUSED = 0,   /* not an editing key: give it to on_key */
    UI_EDIT_MOVED,        /* caret or selection moved */
    UI_EDIT_CHANGED,      /* the text changed (on_change) */
    UI_EDIT_SUBMIT,       /* Enter (on_submit) */
};
enum ui_edit_result ui__text_edit_key(struct ui_widget *input, uint32_t key, uint32_t ch, uint16_t mods);
/* A caret (and selection anchor) from the server, snapped to characters. */
void ui__text_set_caret(struct ui_widget *input, int32_t caret, bool extend);
/* The nearest character boundary at or before off, within the text. */
uint32_t ui__utf8_floor(const char *s, uint32_t len, int64_t off);

/* connect.c: the gui server (the IPC half of libui, not on the host). */
#define UI_RING_BYTES 16384u
#define UI_NOTIFY_BITS 1u
struct ui_connection {
    bool up;
    handle_t gui;                /* send handle to the gui server */
    handle_t ep;                 /* our endpoint: the server's notifications arrive here */
    struct ui_event_ring *ring;  /* UI_RING_BYTES, mapped read/write */
};
extern struct ui_connection ui__conn;
/* Connects once (waiting up to ~5 s for the gui to be up); 0 or a negative E_* code. */
int ui__connect(void);

#endif
