/*
 * libui's event loop: commit dirty windows, wait on our endpoint for the
 * server's notification (or the next timer), drain the event ring and call
 * the handlers registered for each (window, node).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <tessera/runtime.h>
#include <tessera/syscall.h>
#include "internal.h"

#define MS 1000000ull
#define MAX_TIMERS 32

static struct timer {
    int id;              /* 0: free */
    uint64_t interval_ns;
    uint64_t deadline;   /* sys_clock() */
    ui_timer_fn fn;
    void *ctx;
} timers[MAX_TIMERS];
static int next_timer_id = 1;
static bool quit_requested;
static ui_handler_t theme_handler;
static uint32_t dropped_seen;

/* ---- timers ---- */

int ui_timer(int interval_ms, ui_timer_fn fn, void *ctx) {
    if (interval_ms <= 0 || !fn)
        return -E_INVAL;
    for (int i = 0; i < MAX_TIMERS; i++) {
        if (timers[i].id)
            continue;
        timers[i] = (struct timer){
            .id = next_timer_id++,
            .interval_ns = (uint64_t)interval_ms * MS,
            .deadline = sys_clock() + (uint64_t)interval_ms * MS,
            .fn = fn,
            .ctx = ctx,
        };
        return timers[i].id;
    }
    fprintf(stderr, "%s: more than %d timers\n", program_invocation_short_name, MAX_TIMERS);
    return -E_NOSPC;
}

void ui_timer_cancel(int id) {
    for (int i = 0; i < MAX_TIMERS; i++)
        if (id > 0 && timers[i].id == id)
            timers[i].id = 0;
}

/* The earliest deadline, or 0 if there are no timers. */
static uint64_t next_deadline(void) {
    uint64_t d = 0;
    for (int i = 0; i < MAX_TIMERS; i++)
        if (timers[i].id && (!d || timers[i].deadline < d))
            d = timers[i].deadline;
    return d;
}

static void run_timers(void) {
    uint64_t now = sys_clock();
    for (int i = 0; i < MAX_TIMERS; i++) {
        struct timer *t = &timers[i];
        if (!t->id || t->deadline > now)
            continue;
        /* Next period; a loop that fell far behind skips periods rather than bursting. */
        t->deadline += t->interval_ns;
        if (t->deadline <= now)
            t->deadline = now + t->interval_ns;
        t->fn(t->ctx);   /* may cancel or add timers */
    }
}

/* ---- events ---- */

void ui_on_theme(ui_handler_t handler) {
    theme_handler = handler;
}

static bool ring_pop(struct ui_event_ring *r, struct ui_event *ev) {
    uint32_t tail = r->tail;
    uint32_t head = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);
    uint32_t cap = r->capacity;
    if (tail == head || cap == 0 || (cap & (cap - 1)) ||
        sizeof(*r) + (uint64_t)cap * sizeof(*ev) > UI_RING_BYTES)
        return false;
    *ev = r->events[tail & (cap - 1)];
    __atomic_store_n(&r->tail, tail + 1, __ATOMIC_RELEASE);
    return true;
}

static bool ring_empty(void) {
    struct ui_event_ring *r = ui__conn.ring;
    return !r || __atomic_load_n(&r->head, __ATOMIC_ACQUIRE) == r->tail;
}

static struct ui_window_state *window_by_server_id(uint32_t id) {
    for (struct ui_window_state *s = ui__windows; s; s = s->next)
        if (!s->closed && s->server_id == id && id)
            return s;
    return NULL;
}

static int child_count(const struct ui_widget *w) {
    int n = 0;
    for (const struct ui_widget *c = w->first_child; c; c = c->next)
        n++;
    return n;
}

static void key_event(struct ui_widget *win, struct ui_widget *w, const struct ui_event *ev) {
    if (w->kind == UI_KIND_TEXT_INPUT) {
        switch (ui__text_edit_key(w, ev->key, ev->ch, ev->mods)) {
        case UI_EDIT_CHANGED:
            if (w->on_change)
                w->on_change(ev, w);
            return;
        case UI_EDIT_SUBMIT:
            if (w->on_submit)
                w->on_submit(ev, w);
            return;
        case UI_EDIT_MOVED:
            return;
        case UI_EDIT_UNUSED:
            break;
        }
    }
    if (w != win && w->on_key)
        w->on_key(ev, w);
    else if (win->on_key)
        win->on_key(ev, win);
}

static void dispatch(const struct ui_event *ev) {
    if (ev->type == UI_EVENT_THEME) {
        if (theme_handler)
            theme_handler(ev, NULL);
        return;
    }
    struct ui_window_state *s = window_by_server_id(ev->window);
    if (!s)
        return;   /* a window closed since */
    struct ui_widget *win = s->root;
    struct ui_widget *w = ev->node ? ui__find(win, ev->node) : win;
    if (!w)
        return;   /* a node removed since the server's tree */
    switch (ev->type) {
    case UI_EVENT_CLICK:
        if (w->on_click)
            w->on_click(ev, w);
        break;
    case UI_EVENT_CHANGE:
        if (w->kind == UI_KIND_CHECKBOX)
            ui_checkbox_set_checked(w, ev->value != 0);
        else if (w->kind == UI_KIND_SLIDER)
            ui_slider_set_value(w, ev->value);
        else
            break;
        if (w->on_change)
            w->on_change(ev, w);
        break;
    case UI_EVENT_SELECT:
        if (w->kind != UI_KIND_LIST || ev->value < 0 || ev->value >= child_count(w))
            break;
        ui_list_set_selected(w, ev->value);
        if (w->on_select)
            w->on_select(ev, w);
        break;
    case UI_EVENT_KEY:
        key_event(win, w, ev);
        break;
    case UI_EVENT_CARET:
        ui__text_set_caret(w, ev->value, ev->down != 0);
        break;
    case UI_EVENT_POINTER:
        if (w->on_pointer)
            w->on_pointer(ev, w);
        break;
    case UI_EVENT_CLOSE:
        if (win->on_close)
            win->on_close(ev, win);
        else
            ui_window_close(win);
        break;
    case UI_EVENT_ERROR:
        snprintf(s->last_error, sizeof(s->last_error), "tree %u: %s", ev->generation, err_str(ev->value));
        fprintf(stderr, "%s: commit rejected: %s\n", program_invocation_short_name, s->last_error);
        break;
    default:   /* UI_EVENT_FOCUS, and types newer than this library */
        break;
    }
}

static void drain_events(void) {
    struct ui_event_ring *r = ui__conn.ring;
    struct ui_event ev;
    while (r && ring_pop(r, &ev))
        dispatch(&ev);
    uint32_t dropped = r ? __atomic_load_n(&r->dropped, __ATOMIC_ACQUIRE) : 0;
    if (dropped != dropped_seen) {
        fprintf(stderr, "%s: %u events lost (the event ring was full)\n", program_invocation_short_name,
                dropped - dropped_seen);
        dropped_seen = dropped;
    }
}

/* ---- the loop ---- */

int ui_run_once(int timeout_ms) {
    int err = ui_commit();
    if (err)
        return err;
    uint64_t now = sys_clock();
    uint64_t deadline = timeout_ms < 0 ? 0 : now + (uint64_t)timeout_ms * MS;   /* 0: none */
    uint64_t timer = next_deadline();
    if (timer && (!deadline || timer < deadline))
        deadline = timer;
    if (ring_empty()) {
        struct ipc_msg m;
        uint32_t flags = IPC_RECV;
        uint64_t wait_ns = 0;   /* the kernel's "no timeout" */
        if (deadline && deadline <= now)
            flags |= IPC_NONBLOCK;
        else if (deadline)
            wait_ns = deadline - now;
        long r = sys_ipc(HANDLE_NONE, ui__conn.ep, &m, flags, wait_ns);
        if (r == 0 && (m.flags & IPC_MSG_CALL)) {   /* nobody should call us: refuse it */
            m.label = -E_NOSYS;
            m.len = 0;
            m.nhandles = 0;
            ipc_reply(&m);
        } else if (r < 0 && r != -E_TIMEDOUT && r != -E_AGAIN) {
            fprintf(stderr, "%s: waiting for events failed: %s\n", program_invocation_short_name, err_str(r));
            return (int)r;
        }
    }
    drain_events();
    run_timers();
    return 0;
}

void ui_quit(void) {
    quit_requested = true;
}

int ui_main(void) {
    quit_requested = false;
    int err = 0;
    while (!quit_requested && ui__open_windows() > 0 && !(err = ui_run_once(-1)))
        ;
    if (!err)
        err = ui_commit();   /* the server closes the windows that were closed last */
    return err;
}
