/*
 * Input: the ring ps2 ("input" at dm) fills for us, and routing what is in
 * it. The pointer moves the cursor 1:1 (no acceleration) and goes to the
 * desktop (start button, start menu), then to the window under it: its
 * decorations (close button, title bar drag) or its content, hit-tested to
 * the widget that takes input (hover, press, click on release over the same
 * widget). Keys go to the focused (top) window: Tab moves widget focus,
 * Enter/Space activate, the rest go to a focused text input or the window.
 * Apps get only the events their nodes ask for (UI_WANT_*).
 */
#include <string.h>
#include <sys/auxv.h>
#include <tessera/input.h>
#include <tessera/runtime.h>
#include <tessera/syscall.h>
#include "gui.h"
#include "idl/input.h"

#define RING_BYTES 16384
#define WHEEL_STEP 40            /* pixels a list scrolls per wheel click */

static handle_t ps2 = HANDLE_NONE;
static handle_t ring_mem = HANDLE_NONE;
static struct input_ring *ring;

static uint16_t buttons;         /* held after the last mouse event */
static struct window *drag;      /* title bar drag */
static int32_t drag_dx, drag_dy;
static bool drag_moved;
static struct window *closing;   /* close button pressed */
static struct window *press_win; /* a widget pressed */
static uint32_t press_id;
static int32_t press_value;      /* SLIDER: the value last sent */
static struct window *hover_win; /* the window whose view.hover is set */

/* ---- the subscription ---- */

static void subscribe(uint64_t timeout_ns) {
    if (ps2 != HANDLE_NONE)
        sys_handle_close(ps2);
    ps2 = HANDLE_NONE;
    if (driver_lookup(bootstrap, "input", timeout_ns, &ps2) != 0) {
        ps2 = HANDLE_NONE;
        return;
    }
    if (!ring) {
        ring = mem_alloc(RING_BYTES, &ring_mem);
        if (!ring) {
            log_printf("gui: no memory for the input ring\n");
            return;
        }
    }
    long ring_h = sys_handle_dup(ring_mem, RIGHT_READ | RIGHT_WRITE | RIGHT_TRANSFER, 0);
    long notify_h = sys_handle_dup(gui_ep, RIGHT_NOTIFY | RIGHT_TRANSFER, 0);
    long self_h = sys_handle_dup((handle_t)getauxval(AT_TESSERA_SELF), RIGHT_WATCH | RIGHT_TRANSFER, 0);
    int err = input_subscribe(ps2, ring_h < 0 ? HANDLE_NONE : (handle_t)ring_h,
                              notify_h < 0 ? HANDLE_NONE : (handle_t)notify_h,
                              self_h < 0 ? HANDLE_NONE : (handle_t)self_h, BIT_INPUT);
    if (err) {
        log_printf("gui: cannot subscribe to input: %s\n", err_str(err));
        sys_handle_close(ps2);
        ps2 = HANDLE_NONE;
    }
}

void input_start(void) {
    subscribe(3 * SEC);
    if (ps2 == HANDLE_NONE)
        log_printf("gui: no input driver yet; trying again every second\n");
}

/* Once a second: is ps2 still there? After a restart, subscribe again. */
void input_check(void) {
    if (ps2 != HANDLE_NONE) {
        uint64_t keys, packets, resyncs, dropped;
        uint32_t subs, kbd;
        int32_t mouse;
        if (input_stats(ps2, &keys, &packets, &resyncs, &dropped, &subs, &kbd, &mouse) != -E_PEER)
            return;
        log_printf("gui: the input driver restarted; subscribing again\n");
    }
    subscribe(0);
}

void input_window_gone(struct window *w) {
    if (drag == w)
        drag = NULL;
    if (closing == w)
        closing = NULL;
    if (press_win == w)
        press_win = NULL;
    if (hover_win == w)
        hover_win = NULL;
}

/* ---- helpers ---- */

static void send(struct window *w, uint32_t type, uint32_t node, int32_t value, const struct input_event *in) {
    struct ui_event ev = {.type = type, .node = node, .value = value, .time_ns = in->time_ns};
    client_post(w, &ev);
}

static const struct ui_node *node_by_id(struct window *w, uint32_t id) {
    if (!w || !w->has_tree || !id)
        return NULL;
    uint32_t i = ui_tree_find(&w->tree, id);
    return i == UI_NONE ? NULL : &w->tree.nodes[i];
}

/* Screen point to content coordinates of w. */
static void to_content(const struct window *w, int32_t x, int32_t y, int32_t *cx, int32_t *cy) {
    *cx = x - w->x - GUI_CONTENT_X;
    *cy = y - w->y - GUI_CONTENT_Y(&theme);
}

static bool in_content(const struct window *w, int32_t cx, int32_t cy) {
    return cx >= 0 && cy >= 0 && cx < w->cw && cy < w->ch;
}

/* The widget taking pointer input at screen (x, y) in w, or NULL. */
static const struct ui_node *target_at(struct window *w, int32_t x, int32_t y) {
    int32_t cx, cy;
    if (!w || !w->has_tree)
        return NULL;
    to_content(w, x, y, &cx, &cy);
    if (!in_content(w, cx, cy))
        return NULL;
    uint32_t i = ui_hit_target(&w->tree, cx, cy);
    return i < w->tree.count ? &w->tree.nodes[i] : NULL;
}

static void set_focus(struct window *w, uint32_t id) {
    uint32_t old = w->view.focus;
    if (old == id)
        return;
    w->view.focus = id;
    window_redraw_node(w, old);
    window_redraw_node(w, id);
}

static void set_hover(struct window *w, uint32_t id, bool close_hover) {
    if (hover_win && hover_win != w) {
        uint32_t old = hover_win->view.hover;
        hover_win->view.hover = 0;
        window_redraw_node(hover_win, old);
        if (hover_win->close_hover) {
            hover_win->close_hover = false;
            window_redraw_title(hover_win);
        }
    }
    hover_win = w;
    if (!w)
        return;
    if (w->view.hover != id) {
        uint32_t old = w->view.hover;
        w->view.hover = id;
        window_redraw_node(w, old);
        window_redraw_node(w, id);
    }
    if (w->close_hover != close_hover) {
        w->close_hover = close_hover;
        window_redraw_title(w);
    }
}

static int32_t rel_x(const struct window *w, const struct ui_node *n, int32_t x) {
    return x - w->x - GUI_CONTENT_X - n->rect.x;
}

static int32_t rel_y(const struct window *w, const struct ui_node *n, int32_t y) {
    return y - w->y - GUI_CONTENT_Y(&theme) - n->rect.y;
}

/* Events a pressed widget sends while the pointer moves with the button held. */
static void pressed_drag(const struct input_event *in) {
    const struct ui_node *n = node_by_id(press_win, press_id);
    if (!n)
        return;
    int32_t cx, cy;
    to_content(press_win, cursor_x, cursor_y, &cx, &cy);
    if (n->kind == UI_KIND_SLIDER && (n->handlers & UI_WANT_CHANGE)) {
        int32_t v = ui_slider_value_at(n, &theme, cx);
        if (v != press_value) {
            press_value = v;
            send(press_win, UI_EVENT_CHANGE, n->id, v, in);
        }
    } else if (n->kind == UI_KIND_TEXT_INPUT && (n->handlers & UI_WANT_KEY)) {
        /* a drag extends the selection: down = 1 */
        struct ui_event ev = {.type = UI_EVENT_CARET, .node = n->id, .value = render_text_offset_at(n, &theme, cx),
                              .down = 1, .time_ns = in->time_ns};
        client_post(press_win, &ev);
    } else if (n->kind == UI_KIND_CANVAS && (n->handlers & UI_WANT_POINTER)) {
        struct ui_event ev = {.type = UI_EVENT_POINTER, .node = n->id, .x = rel_x(press_win, n, cursor_x),
                              .y = rel_y(press_win, n, cursor_y), .down = buttons, .time_ns = in->time_ns};
        client_post(press_win, &ev);
    }
}

/* ---- the pointer ---- */

static void pointer_moved(const struct input_event *in) {
    if (drag) {
        window_move(drag, cursor_x - drag_dx, cursor_y - drag_dy);
        drag_moved = true;
        return;
    }
    if (closing) {
        bool over = ui_rect_contains(window_close_rect(closing), cursor_x, cursor_y);
        if (over != closing->close_pressed) {
            closing->close_pressed = over;
            window_redraw_title(closing);
        }
        return;
    }
    if (press_win) {
        pressed_drag(in);
        return;
    }
    if (desktop_pointer(cursor_x, cursor_y, false, false)) {
        set_hover(NULL, 0, false);
        return;
    }
    struct window *w = window_at(cursor_x, cursor_y);
    const struct ui_node *n = target_at(w, cursor_x, cursor_y);
    set_hover(w, n ? n->id : 0, w && ui_rect_contains(window_close_rect(w), cursor_x, cursor_y));
}

static void pointer_pressed(const struct input_event *in) {
    if (desktop_pointer(cursor_x, cursor_y, true, false))
        return;
    struct window *w = window_at(cursor_x, cursor_y);
    if (!w)
        return;
    window_raise(w);
    if (ui_rect_contains(window_close_rect(w), cursor_x, cursor_y)) {
        closing = w;
        w->close_pressed = true;
        window_redraw_title(w);
        return;
    }
    if (cursor_y - w->y < GUI_CONTENT_Y(&theme)) {
        drag = w;
        drag_dx = cursor_x - w->x;
        drag_dy = cursor_y - w->y;
        drag_moved = false;
        return;
    }
    const struct ui_node *n = target_at(w, cursor_x, cursor_y);
    if (!n)
        return;
    press_win = w;
    press_id = n->id;
    press_value = n->value;
    w->view.pressed = n->id;
    window_redraw_node(w, n->id);
    int32_t cx, cy;
    to_content(w, cursor_x, cursor_y, &cx, &cy);
    if (n->kind == UI_KIND_TEXT_INPUT) {
        set_focus(w, n->id);
        if (n->handlers & UI_WANT_KEY) {
            struct ui_event ev = {.type = UI_EVENT_CARET, .node = n->id,
                                  .value = render_text_offset_at(n, &theme, cx),
                                  .down = (in->mods & INPUT_MOD_SHIFT) ? 1 : 0, .time_ns = in->time_ns};
            client_post(w, &ev);
        }
    } else if (n->kind == UI_KIND_SLIDER) {
        pressed_drag(in);   /* the value under the pointer, if it differs */
    } else if (n->kind == UI_KIND_CANVAS && (n->handlers & UI_WANT_POINTER)) {
        pressed_drag(in);
    }
}

/* The index of child c among its parent's children. */
static int32_t child_index(const struct ui_tree *t, const struct ui_node *parent, const struct ui_node *c) {
    int32_t k = 0;
    for (uint32_t i = parent->first_child; i != UI_NONE && i < t->count; i = t->nodes[i].next_sibling, k++)
        if (&t->nodes[i] == c)
            return k;
    return -1;
}

static void pointer_released(const struct input_event *in) {
    if (drag) {
        if (drag_moved)
            log_printf("gui: window %u moved to %d,%d\n", drag->id, drag->x, drag->y);
        drag = NULL;
        return;
    }
    if (closing) {
        struct window *w = closing;
        closing = NULL;
        bool over = ui_rect_contains(window_close_rect(w), cursor_x, cursor_y);
        w->close_pressed = false;
        window_redraw_title(w);
        if (over) {
            if (window_not_responding(w))
                client_end(w->owner);
            else
                send(w, UI_EVENT_CLOSE, 0, 0, in);
        }
        return;
    }
    if (press_win) {
        struct window *w = press_win;
        press_win = NULL;
        w->view.pressed = 0;
        window_redraw_node(w, press_id);
        const struct ui_node *n = node_by_id(w, press_id);
        if (!n)
            return;
        if (n->kind == UI_KIND_CANVAS && (n->handlers & UI_WANT_POINTER)) {
            struct ui_event ev = {.type = UI_EVENT_POINTER, .node = n->id, .x = rel_x(w, n, cursor_x),
                                  .y = rel_y(w, n, cursor_y), .down = buttons, .time_ns = in->time_ns};
            client_post(w, &ev);
        }
        if (target_at(window_at(cursor_x, cursor_y), cursor_x, cursor_y) != n)
            return;   /* released elsewhere: no click */
        if ((n->kind == UI_KIND_BUTTON || n->kind == UI_KIND_CANVAS) && (n->handlers & UI_WANT_CLICK))
            send(w, UI_EVENT_CLICK, n->id, 0, in);
        else if (n->kind == UI_KIND_CHECKBOX && (n->handlers & UI_WANT_CHANGE))
            send(w, UI_EVENT_CHANGE, n->id, !n->value, in);
        else if (n->parent < w->tree.count && w->tree.nodes[n->parent].kind == UI_KIND_LIST) {
            const struct ui_node *list = &w->tree.nodes[n->parent];
            if (list->handlers & UI_WANT_SELECT)
                send(w, UI_EVENT_SELECT, list->id, child_index(&w->tree, list, n), in);
        }
        return;
    }
    desktop_pointer(cursor_x, cursor_y, false, true);
}

/* The wheel scrolls the list under the pointer. */
static void pointer_wheel(int wheel) {
    struct window *w = window_at(cursor_x, cursor_y);
    if (!w || !w->has_tree)
        return;
    int32_t cx, cy;
    to_content(w, cursor_x, cursor_y, &cx, &cy);
    if (!in_content(w, cx, cy))
        return;
    uint32_t i = ui_hit_test(&w->tree, cx, cy);
    while (i < w->tree.count && w->tree.nodes[i].kind != UI_KIND_LIST)
        i = w->tree.nodes[i].parent;
    if (i >= w->tree.count)
        return;
    uint32_t id = w->tree.nodes[i].id;
    int32_t before = w->tree.nodes[i].scroll;
    ui_view_set_scroll(&w->view, id, before - wheel * WHEEL_STEP);
    ui_layout(&w->tree, &theme, &render_measure, &w->view);
    i = ui_tree_find(&w->tree, id);
    if (i == UI_NONE || w->tree.nodes[i].scroll == before)
        return;
    window_redraw_content_rect(w, w->tree.nodes[i].rect);
}

static void mouse_event(const struct input_event *in) {
    uint16_t was = buttons;
    buttons = in->buttons;
    if (in->dx || in->dy) {
        cursor_move_to(cursor_x + in->dx, cursor_y + in->dy);
        pointer_moved(in);
    }
    if (in->wheel)
        pointer_wheel(in->wheel);
    bool left = buttons & INPUT_BTN_LEFT, was_left = was & INPUT_BTN_LEFT;
    if (left && !was_left)
        pointer_pressed(in);
    else if (!left && was_left)
        pointer_released(in);
}

/* ---- keys ---- */

static void key_event(const struct input_event *in) {
    if (!in->down)
        return;
    if (desktop_key(in))
        return;
    struct window *w = window_top();
    if (!w || !w->has_tree)
        return;
    const struct ui_node *f = node_by_id(w, w->view.focus);
    if (in->code == INPUT_KEY_TAB && !(in->mods & (INPUT_MOD_CTRL | INPUT_MOD_ALT | INPUT_MOD_META))) {
        uint32_t next = ui_focus_next(&w->tree, w->view.focus, (in->mods & INPUT_MOD_SHIFT) ? -1 : 1);
        if (next < w->tree.count)
            set_focus(w, w->tree.nodes[next].id);
        return;
    }
    bool activate = in->code == INPUT_KEY_ENTER || in->code == INPUT_KEY_KPENTER || in->code == INPUT_KEY_SPACE;
    if (f && f->kind == UI_KIND_BUTTON && activate) {
        if (f->handlers & UI_WANT_CLICK)
            send(w, UI_EVENT_CLICK, f->id, 0, in);
        return;
    }
    if (f && f->kind == UI_KIND_CHECKBOX && in->code == INPUT_KEY_SPACE) {
        if (f->handlers & UI_WANT_CHANGE)
            send(w, UI_EVENT_CHANGE, f->id, !f->value, in);
        return;
    }
    /* Arrow keys choose in a focused list and move a focused slider. */
    if (f && f->kind == UI_KIND_LIST && f->child_count > 0) {
        int32_t last = (int32_t)f->child_count - 1, to = f->value;
        if (in->code == INPUT_KEY_UP)
            to = f->value < 0 ? last : f->value - 1;
        else if (in->code == INPUT_KEY_DOWN)
            to = f->value + 1;
        else if (in->code == INPUT_KEY_HOME)
            to = 0;
        else if (in->code == INPUT_KEY_END)
            to = last;
        to = to < 0 ? 0 : to > last ? last : to;
        if (to != f->value && (f->handlers & UI_WANT_SELECT))
            send(w, UI_EVENT_SELECT, f->id, to, in);
        if (to != f->value || in->code == INPUT_KEY_UP || in->code == INPUT_KEY_DOWN)
            return;
    }
    if (f && f->kind == UI_KIND_SLIDER && (in->code == INPUT_KEY_LEFT || in->code == INPUT_KEY_RIGHT)) {
        int64_t step = ((int64_t)f->max - f->min) / 20;
        step = step < 1 ? 1 : step;
        int64_t to = f->value + (in->code == INPUT_KEY_RIGHT ? step : -step);
        to = to < f->min ? f->min : to > f->max ? f->max : to;
        if (to != f->value && (f->handlers & UI_WANT_CHANGE))
            send(w, UI_EVENT_CHANGE, f->id, (int32_t)to, in);
        return;
    }
    uint32_t node;
    if (f && f->kind == UI_KIND_TEXT_INPUT && (f->handlers & UI_WANT_KEY))
        node = f->id;
    else if (w->tree.nodes[0].handlers & UI_WANT_KEY)
        node = 0;
    else
        return;
    struct ui_event ev = {.type = UI_EVENT_KEY, .node = node, .key = in->code, .ch = in->ch, .mods = in->mods,
                          .down = 1, .time_ns = in->time_ns};
    client_post(w, &ev);
}

void input_drain(void) {
    struct input_event ev;
    for (int i = 0; ring && i < 1024 && input_ring_pop(ring, &ev); i++) {
        if (ev.type == INPUT_EV_MOUSE)
            mouse_event(&ev);
        else if (ev.type == INPUT_EV_KEY)
            key_event(&ev);
    }
}
