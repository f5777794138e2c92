/*
 * Apps: their connections (event ring, notification, task watch), their
 * windows' trees (commit: copy, decode, lay out, diff, render the damage)
 * and the rest of gui.idl. Clients are known by the badge of their handle,
 * their task id. Nothing an app sends is trusted, and the server never
 * waits for an app: events go into its ring or are dropped and counted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tessera/gui.h>
#include <tessera/runtime.h>
#include <tessera/syscall.h>
#include "gui.h"
#include "idl/gui.h"
#include "idl/init.h"

#define MAX_DIFF_RECTS 32

struct client clients[MAX_CLIENTS];

static struct client *client_of(uint64_t badge) {
    for (int i = 0; i < MAX_CLIENTS; i++)
        if (clients[i].used && clients[i].task_id == badge)
            return &clients[i];
    return NULL;
}

int clients_count(void) {
    int n = 0;
    for (int i = 0; i < MAX_CLIENTS; i++)
        n += clients[i].used;
    return n;
}

static bool handle_is(handle_t h, uint32_t type, uint32_t rights, struct handle_info *info) {
    return h != HANDLE_NONE && sys_handle_info(h, info) == 0 && info->type == type &&
           (info->rights & rights) == rights;
}

static void close_handle(handle_t *h) {
    if (*h != HANDLE_NONE)
        sys_handle_close(*h);
    *h = HANDLE_NONE;
}

/* ---- events ---- */

static void ring_unmap(struct client *c) {
    if (c->ring) {
        sys_vm_unmap(HANDLE_SELF, (uintptr_t)c->ring, c->ring_size);
        vm_release((uintptr_t)c->ring, c->ring_size);
    }
    c->ring = NULL;
    close_handle(&c->ring_mem);
    close_handle(&c->notify);
}

void client_post(struct window *w, struct ui_event *ev) {
    struct client *c = w ? w->owner : NULL;
    if (!c || !c->ring)
        return;
    ev->window = w->id;
    ev->generation = w->has_tree ? w->tree.generation : 0;
    uint32_t tail = __atomic_load_n(&c->ring->tail, __ATOMIC_ACQUIRE);
    /* more than capacity unread: the app wrote nonsense; a full ring either way */
    if (c->head - tail >= c->capacity) {
        c->dropped++;
        __atomic_store_n(&c->ring->dropped, c->dropped, __ATOMIC_RELAXED);
        return;
    }
    if (c->head == tail) {
        c->seen_tail = tail;
        c->unread_since = now_ns;
    }
    c->ring->events[c->head & (c->capacity - 1)] = *ev;
    c->head++;
    __atomic_store_n(&c->ring->head, c->head, __ATOMIC_RELEASE);
    c->notify_due = true;
    /* The latest click is what the next commit answers (an older one the
     * app did not answer with a commit would count its idle time). */
    if (ev->type == UI_EVENT_CLICK)
        c->click_ns = ev->time_ns;
}

void clients_post_all(uint32_t type) {
    for (int i = 0; i < MAX_CLIENTS; i++) {
        if (!clients[i].used)
            continue;
        /* one event per app, naming one of its windows */
        for (int k = 0; k < nstack; k++) {
            if (stack[k]->owner == &clients[i]) {
                struct ui_event ev = {.type = type, .time_ns = now_ns};
                client_post(stack[k], &ev);
                break;
            }
        }
    }
}

void clients_notify(void) {
    for (int i = 0; i < MAX_CLIENTS; i++) {
        struct client *c = &clients[i];
        if (!c->used || !c->notify_due)
            continue;
        c->notify_due = false;
        if (c->notify != HANDLE_NONE && sys_notify(c->notify, c->bits) < 0)
            close_handle(&c->notify);   /* no good any more; its task watch cleans up */
    }
}

/* ---- windows and clients going away ---- */

void client_close_window(struct window *w, bool log) {
    uint32_t id = w->id;
    window_free(w);
    if (log)
        log_printf("gui: window %u closed\n", id);
}

static int close_windows_of(struct client *c) {
    int n = 0;
    for (int i = 0; i < MAX_WINDOWS; i++) {
        if (windows[i].used && windows[i].owner == c) {
            client_close_window(&windows[i], false);
            n++;
        }
    }
    return n;
}

static void client_drop(struct client *c) {
    close_windows_of(c);
    ring_unmap(c);
    close_handle(&c->task);
    memset(c, 0, sizeof(*c));
}

void clients_reap(void) {
    for (int i = 0; i < MAX_CLIENTS; i++) {
        struct client *c = &clients[i];
        struct task_info info;
        if (!c->used || (sys_task_info(c->task, &info) == 0 && info.state != TASK_STATE_DEAD))
            continue;
        uint32_t task = c->task_id;
        int n = close_windows_of(c);
        client_drop(c);
        log_printf("gui: task %u ended; closed %d windows\n", task, n);
    }
}

/* The user closed a hung app's window: end the app (with its task handle if
 * it gave RIGHT_CONTROL, else through init, which started it); if neither
 * works, at least its windows go. Its watch bit then cleans up. */
void client_end(struct client *c) {
    int err = c->can_kill ? (int)sys_task_kill(c->task) : init_kill(bootstrap, c->task_id);
    log_printf("gui: ending task %u, which does not answer: %s\n", c->task_id, err ? err_str(err) : "done");
    if (!err) {
        clients_reap();
        return;
    }
    int n = close_windows_of(c);
    log_printf("gui: task %u does not answer; closed %d windows\n", c->task_id, n);
}

/* An app that has left events unread for GUI_HANG_MS is not responding. */
void clients_check_hangs(void) {
    for (int i = 0; i < MAX_CLIENTS; i++) {
        struct client *c = &clients[i];
        if (!c->used || !c->ring)
            continue;
        uint32_t tail = __atomic_load_n(&c->ring->tail, __ATOMIC_ACQUIRE);
        bool hung = false;
        if (tail != c->head) {
            if (tail != c->seen_tail) {
                c->seen_tail = tail;
                c->unread_since = now_ns;
            }
            hung = now_ns - c->unread_since > (uint64_t)GUI_HANG_MS * MS;
        }
        if (hung == c->hung)
            continue;
        c->hung = hung;
        for (int k = 0; k < nstack; k++) {
            if (stack[k]->owner != c)
                continue;
            if (hung)
                log_printf("gui: window %u not responding\n", stack[k]->id);
            window_redraw_title(stack[k]);
        }
    }
}

/* ---- gui.idl ---- */

static int on_connect(void *ctx, const struct ipc_msg *req, handle_t task, handle_t notify, handle_t events,
                      uint64_t bits) {
    (void)ctx;
    struct handle_info ti, ni, mi;
    struct task_info tinfo;
    int err = -E_INVAL;
    const char *why = NULL;
    if (!handle_is(task, KOBJ_TASK, RIGHT_WATCH, &ti))
        why = "no task handle with RIGHT_WATCH";
    else if (!handle_is(notify, KOBJ_ENDPOINT, RIGHT_NOTIFY, &ni))
        why = "no endpoint handle with RIGHT_NOTIFY";
    else if (!handle_is(events, KOBJ_MEMORY, RIGHT_READ | RIGHT_WRITE, &mi) || mi.size < UI_EVENT_RING_MIN_BYTES ||
             mi.size > UI_EVENT_RING_MAX_BYTES)
        why = "the event ring is not a read/write memory object of 4 to 64 KiB";
    else if (bits == 0)
        why = "no notification bits";
    if (why) {
        log_printf("gui: connect of task %llu refused: %s\n", (unsigned long long)req->badge, why);
        goto fail;
    }
    /* the task handle must be the caller's own */
    if (sys_task_info(task, &tinfo) < 0 || tinfo.id != req->badge || tinfo.id != req->sender ||
        tinfo.state == TASK_STATE_DEAD) {
        log_printf("gui: connect of task %llu refused: the task handle is not its own\n",
                   (unsigned long long)req->badge);
        err = -E_PERM;
        goto fail;
    }
    struct client *c = client_of(req->badge);
    bool fresh = !c;
    for (int i = 0; i < MAX_CLIENTS && !c; i++)
        if (!clients[i].used)
            c = &clients[i];
    if (!c) {
        err = -E_NOSPC;
        goto fail;
    }
    uintptr_t va = vm_reserve(mi.size);
    long r = va ? sys_vm_map(HANDLE_SELF, events, 0, va, mi.size, PROT_R | PROT_W) : -E_NOMEM;
    if (r < 0) {
        if (va)
            vm_release(va, mi.size);
        err = (int)r;
        goto fail;
    }
    if (fresh) {
        r = sys_task_watch(task, gui_ep, BIT_TASK);
        if (r < 0) {
            sys_vm_unmap(HANDLE_SELF, va, mi.size);
            vm_release(va, mi.size);
            err = (int)r;
            goto fail;
        }
        memset(c, 0, sizeof(*c));
        c->used = true;
        c->task_id = (uint32_t)req->badge;
        c->task = task;
        c->can_kill = (ti.rights & RIGHT_CONTROL) != 0;
        c->ring_mem = c->notify = HANDLE_NONE;
    } else {
        ring_unmap(c);   /* connecting again replaces the ring */
        close_handle(&task);
    }
    struct ui_event_ring *ring = (struct ui_event_ring *)va;
    uint64_t slots = (mi.size - sizeof(*ring)) / sizeof(struct ui_event);
    uint32_t cap = 1;
    while ((uint64_t)cap * 2 <= slots)
        cap *= 2;
    ring->capacity = cap;
    ring->head = ring->tail = ring->dropped = 0;
    __atomic_store_n(&ring->magic, UI_EVENT_RING_MAGIC, __ATOMIC_RELEASE);
    c->ring = ring;
    c->ring_size = mi.size;
    c->ring_mem = events;
    c->notify = notify;
    c->bits = bits;
    c->capacity = cap;
    c->head = c->dropped = 0;
    c->seen_tail = 0;
    c->hung = false;
    return 0;
fail:
    close_handle(&task);
    close_handle(&notify);
    close_handle(&events);
    return err;
}

static int on_window_create(void *ctx, const struct ipc_msg *req, handle_t tree, uint32_t *window) {
    (void)ctx;
    struct client *c = client_of(req->badge);
    struct handle_info info;
    int err = -E_INVAL;
    if (!c) {
        err = -E_PERM;   /* connect first */
        goto fail;
    }
    if (!handle_is(tree, KOBJ_MEMORY, RIGHT_READ, &info) || info.size < sizeof(struct ui_wire_header))
        goto fail;
    struct window *w = window_new(c);
    if (!w) {
        err = -E_NOSPC;
        goto fail;
    }
    uint64_t size = info.size > UI_TREE_MAX_BYTES ? UI_TREE_MAX_BYTES : info.size;
    size = (size + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
    if (size > info.size)
        size = info.size;
    uintptr_t va = vm_reserve(size);
    long r = va ? sys_vm_map(HANDLE_SELF, tree, 0, va, size, PROT_R) : -E_NOMEM;
    if (r < 0) {
        if (va)
            vm_release(va, size);
        window_free(w);
        err = (int)r;
        goto fail;
    }
    w->tree_mem = tree;
    w->tree_map = (const void *)va;
    w->tree_size = size;
    *window = w->id;
    return 0;
fail:
    close_handle(&tree);
    return err;
}

static struct window *window_of(const struct ipc_msg *req, uint32_t id) {
    struct window *w = window_by_id(id);
    return w && w->owner && w->owner->task_id == req->badge ? w : NULL;
}

/* The first node asking for focus (UI_FLAG_FOCUS, once per commit). */
static void take_focus_request(struct window *w) {
    for (uint32_t i = 0; i < w->tree.count; i++) {
        if (w->tree.nodes[i].flags & UI_FLAG_FOCUS) {
            w->view.focus = w->tree.nodes[i].id;
            return;
        }
    }
}

/* Hover, press and focus on nodes that are gone are forgotten. */
static void drop_stale_view(struct window *w) {
    uint32_t *ids[] = {&w->view.hover, &w->view.pressed, &w->view.focus};
    for (unsigned i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
        if (*ids[i] && ui_tree_find(&w->tree, *ids[i]) == UI_NONE)
            *ids[i] = 0;
}

static int on_commit(void *ctx, const struct ipc_msg *req, uint32_t window, uint32_t size, int32_t *status,
                     char *reason) {
    (void)ctx;
    struct window *w = window_of(req, window);
    if (!w)
        return -E_NOENT;
    struct ui_tree nt;
    memset(&nt, 0, sizeof(nt));
    int err;
    if (size > w->tree_size || size > UI_TREE_MAX_BYTES) {
        err = -E_RANGE;
        snprintf(reason, GUI_COMMIT_REASON_MAX, "size %u is more than the tree object's %llu bytes", size,
                 (unsigned long long)w->tree_size);
    } else {
        /* a private copy first: the app may change the shared bytes at any time */
        void *copy = malloc(size ? size : 1);
        if (!copy) {
            err = -E_NOMEM;
            snprintf(reason, GUI_COMMIT_REASON_MAX, "out of memory");
        } else {
            memcpy(copy, w->tree_map, size);
            err = ui_tree_decode(copy, size, &nt, reason, GUI_COMMIT_REASON_MAX);
            free(copy);
        }
    }
    if (err) {
        *status = err;
        log_printf("gui: commit rejected for window %u: %s\n", w->id, reason);
        return 0;
    }
    struct ui_tree old = w->tree;
    bool had = w->has_tree;
    w->tree = nt;
    w->has_tree = true;
    take_focus_request(w);
    drop_stale_view(w);
    ui_layout(&w->tree, &theme, &render_measure, &w->view);
    /* the title, cut at a character boundary if it is long */
    const struct ui_node *root = &w->tree.nodes[0];
    char title[TITLE_MAX];
    size_t tl = root->text_len;
    if (tl > TITLE_MAX - 1) {
        tl = TITLE_MAX - 1;
        while (tl > 0 && ((unsigned char)root->text[tl] & 0xc0) == 0x80)
            tl--;
    }
    memcpy(title, root->text, tl);
    title[tl] = 0;
    bool title_changed = strcmp(title, w->title) != 0;
    memcpy(w->title, title, tl + 1);

    int32_t cw, ch;
    window_content_size(&w->tree, &cw, &ch);
    if (!had || !w->surface || cw != w->cw || ch != w->ch) {
        if (w->shown)
            damage_add(window_bounds(w));
        w->cw = cw;
        w->ch = ch;
        if (!window_resize_surface(w)) {
            /* keep what was shown, if anything */
            ui_tree_free(&w->tree);
            w->tree = old;
            w->has_tree = had;
            *status = -E_NOMEM;
            snprintf(reason, GUI_COMMIT_REASON_MAX, "no memory for a %dx%d window", cw, ch);
            log_printf("gui: commit rejected for window %u: %s\n", w->id, reason);
            return 0;
        }
        if (w->shown) {
            window_keep_on_screen(w);
            damage_add(window_bounds(w));
        }
    } else {
        struct ui_rect rects[MAX_DIFF_RECTS];
        int n = ui_tree_diff(had ? &old : NULL, &w->tree, rects, MAX_DIFF_RECTS);
        for (int i = 0; i < n; i++)
            window_redraw_content_rect(w, rects[i]);
        if (title_changed)
            window_redraw_title(w);
    }
    if (had)
        ui_tree_free(&old);
    if (!w->shown) {
        w->shown = true;
        window_place_new(w);
        struct ui_rect f = window_frame(w);
        log_printf("gui: window %u \"%s\" of task %u shown at %d,%d %dx%d content at %d,%d\n", w->id, w->title,
                   w->owner->task_id, f.x, f.y, f.w, f.h, f.x + GUI_CONTENT_X, f.y + GUI_CONTENT_Y(&theme));
        window_raise(w);
        damage_add(window_bounds(w));
    }
    if (w->owner->click_ns) {
        latency_mark(w->owner->click_ns);
        w->owner->click_ns = 0;
    }
    return 0;
}

static int on_window_close(void *ctx, const struct ipc_msg *req, uint32_t window) {
    (void)ctx;
    struct window *w = window_of(req, window);
    if (!w)
        return -E_NOENT;
    client_close_window(w, true);
    return 0;
}

static int on_theme_get(void *ctx, const struct ipc_msg *req, char *name) {
    (void)ctx;
    (void)req;
    strncpy(name, theme.name, GUI_THEME_GET_NAME_MAX - 1);
    return 0;
}

static int on_theme_list(void *ctx, const struct ipc_msg *req, uint32_t index, char *name) {
    (void)ctx;
    (void)req;
    if (index >= (uint32_t)themes_count())
        return -E_NOENT;
    strncpy(name, theme_name_at((int)index), GUI_THEME_LIST_NAME_MAX - 1);
    return 0;
}

static int on_theme_set(void *ctx, const struct ipc_msg *req, const char *name) {
    (void)ctx;
    (void)req;
    int err = theme_select(name);
    if (!err)
        settings_save();
    return err;
}

static int on_display_get(void *ctx, const struct ipc_msg *req, uint32_t *width, uint32_t *height,
                          uint32_t *pw, uint32_t *ph) {
    (void)ctx;
    (void)req;
    *width = (uint32_t)screen_w;
    *height = (uint32_t)screen_h;
    display_preferred(pw, ph);
    return 0;
}

static int on_display_set(void *ctx, const struct ipc_msg *req, uint32_t width, uint32_t height) {
    (void)ctx;
    (void)req;
    int err = display_set_mode(width, height);
    if (!err) {
        settings_display_chosen();
        settings_save();
    }
    return err;
}

static int on_window_info(void *ctx, const struct ipc_msg *req, uint32_t index, uint32_t *window,
                          uint32_t *task_id, int32_t *x, int32_t *y, uint32_t *width, uint32_t *height,
                          uint32_t *flags, char *title) {
    (void)ctx;
    (void)req;
    if (index >= (uint32_t)nstack)
        return -E_NOENT;
    struct window *w = stack[index];
    struct ui_rect f = window_frame(w);
    *window = w->id;
    *task_id = w->owner ? w->owner->task_id : 0;
    *x = f.x;
    *y = f.y;
    *width = (uint32_t)f.w;
    *height = (uint32_t)f.h;
    *flags = (w == window_top() ? GUI_WINDOW_FOCUSED : 0) | (window_not_responding(w) ? GUI_WINDOW_NOT_RESPONDING : 0) |
             (w->shown ? GUI_WINDOW_VISIBLE : 0);
    strncpy(title, w->title, GUI_WINDOW_INFO_TITLE_MAX - 1);
    return 0;
}

static int on_stats(void *ctx, const struct ipc_msg *req, uint64_t *frames, uint64_t *last_frame_ns,
                    uint64_t *last_damage_pixels, uint64_t *click_latency_ns, uint32_t *nwindows,
                    uint32_t *nclients) {
    (void)ctx;
    (void)req;
    *frames = stat_frames;
    *last_frame_ns = stat_last_frame_ns;
    *last_damage_pixels = stat_last_damage_px;
    *click_latency_ns = stat_click_latency_ns;
    *nwindows = (uint32_t)nstack;
    *nclients = (uint32_t)clients_count();
    return 0;
}

static const struct gui_server server = {
    .connect = on_connect,
    .window_create = on_window_create,
    .commit = on_commit,
    .window_close = on_window_close,
    .theme_get = on_theme_get,
    .theme_list = on_theme_list,
    .theme_set = on_theme_set,
    .display_get = on_display_get,
    .display_set = on_display_set,
    .window_info = on_window_info,
    .stats = on_stats,
};

void gui_handle_request(struct ipc_msg *m) {
    int d = gui_dispatch(&server, NULL, m);
    if (d == -E_NOSYS)
        d = idl_reject(m, -E_NOSYS);
    if (d == 1)
        ipc_reply(m);
}
