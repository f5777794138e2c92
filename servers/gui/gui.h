/*
 * The gui server's own state, shared by its parts (see README.md):
 * main.c (the loop, the display), client.c (apps, windows, commits, event
 * rings), compositor.c (damage, composite, cursor, present, benchmark),
 * wm.c (stacking, focus, moving, window surfaces), input.c (the input ring,
 * routing), desktop.c (wallpaper, menu bar, clock, start menu, themes).
 * Single-threaded: everything runs from main's loop.
 */
#ifndef GUI_GUI_H
#define GUI_GUI_H

#include <cairo.h>
#include <stdbool.h>
#include <stdint.h>
#include <tessera/abi.h>
#include <tessera/input.h>
#include <ui/wire.h>
#include "render.h"
#include "theme.h"
#include "tree.h"

#define MS 1000000ull
#define SEC 1000000000ull

/* Notification bits on the server's one endpoint. */
#define BIT_INPUT 1ull       /* ps2 appended to our input ring */
#define BIT_CLOCK 2ull       /* the once-a-second timer */
#define BIT_TASK 4ull        /* a watched client task ended (which: sys_task_info) */

#define MAX_CLIENTS 32
#define MAX_WINDOWS 64
#define MAX_WINDOWS_PER_CLIENT 16
#define TITLE_MAX 64
#define MIN_CONTENT_W 120    /* a window's content is never smaller (title and close button fit) */
#define MIN_CONTENT_H 16
#define MAX_CONTENT_SIDE 4096

struct client {
    bool used;
    uint32_t task_id;          /* the badge of its handle */
    handle_t task;             /* RIGHT_WATCH (and maybe RIGHT_CONTROL) */
    bool can_kill;
    handle_t notify;
    uint64_t bits;
    handle_t ring_mem;
    struct ui_event_ring *ring;   /* shared: we write head/dropped, read tail only */
    uint64_t ring_size;
    uint32_t capacity, head, dropped;   /* our own copies */
    bool notify_due;
    /* not reading its events: the tail last seen and since when */
    uint32_t seen_tail;
    uint64_t unread_since;
    bool hung;
    uint64_t click_ns;         /* time of an unanswered click's input, 0 if none */
};

struct window {
    bool used;
    uint32_t id;
    struct client *owner;      /* NULL: an in-server window (benchmark) */
    handle_t tree_mem;
    const void *tree_map;      /* read-only mapping of the app's tree object */
    uint64_t tree_size;
    struct ui_tree tree;
    bool has_tree;             /* had a good commit */
    bool shown;                /* on screen (its first good commit; in-server windows at once) */
    struct ui_view view;
    char title[TITLE_MAX];
    int32_t x, y;              /* frame top-left on screen */
    int32_t cw, ch;            /* content size */
    cairo_surface_t *surface;  /* ARGB32: frame plus a shadow margin on every side */
    int margin;
    bool close_hover, close_pressed;
};

/* ---- main.c: the display and the shared globals ---- */
extern handle_t gui_ep, bootstrap;
extern struct theme theme;
extern int32_t screen_w, screen_h;
extern uint64_t now_ns;        /* sys_clock() at the top of this loop round */
/* Sets a new mode (0 or -E_*); everything is redrawn. */
int display_set_mode(uint32_t w, uint32_t h);
void display_preferred(uint32_t *w, uint32_t *h);
/* The driver's buffers (the compositor draws; main owns the connection). */
struct gpu_rect;
int gpu_show_buffer(int index);
int gpu_flush_rects(int index, const struct gpu_rect *rects, int n);

/* ---- wm.c ---- */
extern struct window windows[MAX_WINDOWS];
extern struct window *stack[MAX_WINDOWS];   /* back to front */
extern int nstack;
struct window *window_new(struct client *owner);
void window_free(struct window *w);          /* damages its frame, logs nothing */
struct window *window_by_id(uint32_t id);
struct window *window_top(void);             /* the focused (top visible) window, or NULL */
void window_raise(struct window *w);         /* to the top, focus follows */
void window_place_new(struct window *w);     /* cascade position for a first showing */
void window_move(struct window *w, int32_t x, int32_t y);
void window_keep_on_screen(struct window *w);
struct ui_rect window_frame(const struct window *w);     /* screen coords */
struct ui_rect window_bounds(const struct window *w);    /* frame plus shadow */
int32_t window_frame_h(const struct window *w);
/* A tree's laid-out size as a window's content size (within limits). */
void window_content_size(const struct ui_tree *t, int32_t *cw, int32_t *ch);
/* (Re)creates the surface for the current content size and renders all. */
bool window_resize_surface(struct window *w);
/* Re-renders a rect in frame coordinates into the surface; damages the screen. */
void window_redraw_frame_rect(struct window *w, struct ui_rect fr);
void window_redraw_content_rect(struct window *w, struct ui_rect cr);
void window_redraw_title(struct window *w);
void window_redraw_node(struct window *w, uint32_t id);
struct window *window_at(int32_t x, int32_t y);   /* top visible window whose frame is there */
struct ui_rect window_close_rect(const struct window *w);   /* screen coords */
bool window_not_responding(const struct window *w);
/* Focus changed to the top window: tell the apps, redraw title bars. */
void wm_focus_changed(void);
/* Relayout every window (theme change) and render them fully. */
void wm_rerender_all(void);

/* ---- client.c ---- */
extern struct client clients[MAX_CLIENTS];
void gui_handle_request(struct ipc_msg *m);       /* replies when it must */
void client_post(struct window *w, struct ui_event *ev);   /* fills window, generation */
void clients_notify(void);                         /* the notifications due */
void clients_reap(void);                           /* BIT_TASK */
void clients_check_hangs(void);                    /* once a second */
void clients_post_all(uint32_t type);              /* UI_EVENT_THEME */
void client_close_window(struct window *w, bool log);
void client_end(struct client *c);                 /* the user closed a hung app */
int clients_count(void);

/* ---- compositor.c ---- */
void damage_add(struct ui_rect r);      /* screen coords */
void damage_all(void);                  /* the next present draws and shows a whole frame */
bool damage_pending(void);
/* Composites the damage into the display and flushes it (or shows a whole
 * frame). 0 or -E_* from the display driver. */
int present(void);
void compositor_display_changed(cairo_surface_t *buf0, cairo_surface_t *buf1, int shown);
void cursor_init(void);
void cursor_move_to(int32_t x, int32_t y);
extern int32_t cursor_x, cursor_y;
void latency_mark(uint64_t input_ns);   /* a commit answering a click: measure at present */
void bench_composite(int frames);
/* stats() */
extern uint64_t stat_frames, stat_last_frame_ns, stat_last_damage_px, stat_click_latency_ns;

/* ---- input.c ---- */
void input_start(void);                 /* subscribe to ps2 "input" */
void input_drain(void);                 /* BIT_INPUT */
void input_check(void);                 /* once a second: re-subscribe after a ps2 restart */
void input_window_gone(struct window *w);   /* forget drags and presses on it */

/* ---- desktop.c ---- */
void themes_load(void);
int themes_count(void);
const char *theme_name_at(int i);
int theme_select(const char *name);     /* 0, or -E_NOENT; redraws everything */

/* settings.c: theme and display mode kept in /data/settings/gui.conf */
void settings_load(void);                /* at start: read what was saved */
const char *settings_theme(void);        /* the saved theme, or NULL */
void settings_apply_display(void);       /* the saved mode, once the display is up */
void settings_display_chosen(void);      /* a client chose the current mode */
void settings_save(void);                /* after a client's change */
void desktop_init(void);                /* apps list */
void desktop_render(void);              /* wallpaper, menu bar (theme or mode changed) */
void desktop_clock_tick(void);
int32_t menu_bar_height(void);
/* composite helpers, clipped by the caller */
cairo_surface_t *desktop_wallpaper(void);   /* RGB24, screen-sized */
cairo_surface_t *desktop_bar(void);         /* RGB24, screen-wide */
void desktop_paint_menu(cairo_t *cr);
bool start_menu_is_open(void);
void start_menu_open(bool open);
/* Pointer on the desktop: true if the desktop took it. */
bool desktop_pointer(int32_t x, int32_t y, bool pressed, bool released);
bool desktop_key(const struct input_event *ev);

#endif
