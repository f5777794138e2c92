/*
 * libui and the gui server (servers/gui/gui.idl): the connection (our
 * endpoint for its notifications, the event ring), each window's tree
 * memory, commits, and the desktop calls Settings uses.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <tessera/runtime.h>
#include <tessera/syscall.h>
#include "idl/gui.h"
#include "idl/init.h"
#include "internal.h"

#define MS 1000000ull
#define LOOKUP_TIMEOUT_NS (5000 * MS)
#define LOOKUP_RETRY_NS (50 * MS)

struct ui_connection ui__conn = {.gui = HANDLE_NONE, .ep = HANDLE_NONE};

static handle_t aux_handle(unsigned long type) {
    unsigned long v = getauxval(type);
    return v ? (handle_t)v : HANDLE_NONE;
}

/* A duplicate of h with these rights, or HANDLE_NONE. */
static handle_t dup_handle(handle_t h, uint32_t rights) {
    long r = sys_handle_dup(h, rights, 0);
    return r < 0 ? HANDLE_NONE : (handle_t)r;
}

/* "gui" through init; the desktop may still be starting, so retry a while. */
static int lookup_gui(handle_t *gui) {
    handle_t bootstrap = aux_handle(AT_TESSERA_BOOTSTRAP);
    uint64_t deadline = sys_clock() + LOOKUP_TIMEOUT_NS;
    for (;;) {
        int err = init_lookup(bootstrap, "gui", gui);
        if (err == 0 || (err != -E_NOENT && err != -E_PEER && err != -E_AGAIN) || sys_clock() >= deadline)
            return err;
        sleep_ns(LOOKUP_RETRY_NS);
    }
}

/* A failed connection is not retried: the app gets the same error (printed once). */
static int connect_error;

int ui__connect(void) {
    if (ui__conn.up)
        return 0;
    if (connect_error)
        return connect_error;
    int err = connect_error = lookup_gui(&ui__conn.gui);
    if (err) {
        fprintf(stderr, "%s: cannot reach the gui server: %s\n", program_invocation_short_name, err_str(err));
        return err;
    }
    long ep = sys_endpoint_create();
    handle_t ring_mem = HANDLE_NONE;
    struct ui_event_ring *ring = mem_alloc(UI_RING_BYTES, &ring_mem);
    if (ep < 0 || !ring) {
        fprintf(stderr, "%s: out of memory for the event ring\n", program_invocation_short_name);
        if (ep >= 0)
            sys_handle_close((handle_t)ep);
        if (ring_mem != HANDLE_NONE)
            sys_handle_close(ring_mem);
        return connect_error = ep < 0 ? (int)ep : -E_NOMEM;
    }
    /* our own handle has RIGHT_WATCH (no RIGHT_CONTROL): the gui ends a hung app through init.kill */
    handle_t task = dup_handle(aux_handle(AT_TESSERA_SELF), RIGHT_WATCH | RIGHT_TRANSFER);
    handle_t notify = dup_handle((handle_t)ep, RIGHT_NOTIFY | RIGHT_TRANSFER);
    handle_t events = dup_handle(ring_mem, RIGHT_READ | RIGHT_WRITE | RIGHT_TRANSFER);
    sys_handle_close(ring_mem);   /* the mapping keeps the object */
    err = gui_connect(ui__conn.gui, task, notify, events, UI_NOTIFY_BITS);
    if (!err && (ring->magic != UI_EVENT_RING_MAGIC || ring->capacity == 0 ||
                 (ring->capacity & (ring->capacity - 1)) ||
                 sizeof(*ring) + (uint64_t)ring->capacity * sizeof(struct ui_event) > UI_RING_BYTES))
        err = -E_INVAL;   /* the server did not lay the ring out */
    if (err) {
        fprintf(stderr, "%s: gui.connect failed: %s\n", program_invocation_short_name, err_str(err));
        sys_handle_close((handle_t)ep);
        return connect_error = err;
    }
    ui__conn.ep = (handle_t)ep;
    ui__conn.ring = ring;
    ui__conn.up = true;
    return 0;
}

/* The window's tree memory: lazy, so untouched pages cost nothing. */
static int create_tree_memory(struct ui_window_state *s) {
    long mem = sys_mem_create(UI_TREE_MAX_BYTES, MEM_LAZY);
    if (mem < 0)
        return (int)mem;
    uintptr_t va = vm_reserve(UI_TREE_MAX_BYTES);
    long r = va ? sys_vm_map(HANDLE_SELF, (handle_t)mem, 0, va, UI_TREE_MAX_BYTES, PROT_R | PROT_W) : -E_NOMEM;
    if (r < 0) {
        if (va)
            vm_release(va, UI_TREE_MAX_BYTES);
        sys_handle_close((handle_t)mem);
        return (int)r;
    }
    s->tree_mem = (handle_t)mem;
    s->tree_map = (void *)va;
    return 0;
}

static void release_tree_memory(struct ui_window_state *s) {
    if (s->tree_map) {
        sys_vm_unmap(HANDLE_SELF, (uintptr_t)s->tree_map, UI_TREE_MAX_BYTES);
        vm_release((uintptr_t)s->tree_map, UI_TREE_MAX_BYTES);
        s->tree_map = NULL;
    }
    if (s->tree_mem != HANDLE_NONE)
        sys_handle_close(s->tree_mem);
    s->tree_mem = HANDLE_NONE;
}

/* The server is gone (as opposed to refusing one request). */
static bool unreachable(int err) {
    return err == -E_PEER || err == -E_BADH || err == -E_DEAD;
}

static void reject(struct ui_window_state *s, const char *reason) {
    snprintf(s->last_error, sizeof(s->last_error), "%s", reason);
    fprintf(stderr, "%s: commit rejected: %s\n", program_invocation_short_name, reason);
}

/* Sends one window's tree. A tree the server refuses is reported and kept
 * off the screen; only a failure to reach the server is returned. */
static int commit_window(struct ui_window_state *s) {
    if (s->tree_mem == HANDLE_NONE) {
        int err = create_tree_memory(s);
        if (err) {
            reject(s, "no memory for the tree");
            return 0;
        }
    }
    char reason[GUI_COMMIT_REASON_MAX];
    long size = ui__encode(s->root, s->tree_map, UI_TREE_MAX_BYTES, s->generation + 1, reason, sizeof(reason));
    if (size < 0) {
        reject(s, reason);
        return 0;
    }
    s->generation++;
    if (s->server_id == 0) {
        handle_t ro = dup_handle(s->tree_mem, RIGHT_READ | RIGHT_TRANSFER);
        int err = gui_window_create(ui__conn.gui, ro, &s->server_id);
        if (err) {
            s->server_id = 0;
            if (unreachable(err))
                return err;
            snprintf(reason, sizeof(reason), "window_create: %s", err_str(err));
            reject(s, reason);
            return 0;
        }
    }
    int32_t status = 0;
    int err = gui_commit(ui__conn.gui, s->server_id, (uint32_t)size, &status, reason, sizeof(reason));
    if (err && unreachable(err))
        return err;
    if (err) {   /* the server refused the call itself (say, an unknown window) */
        status = err;
        reason[0] = '\0';
    }
    if (status < 0) {
        reject(s, reason[0] ? reason : err_str(status));
        return 0;
    }
    s->last_error[0] = '\0';
    ui__clear_focus(s->root);
    return 0;
}

int ui_commit(void) {
    int err = ui__connect();
    if (err)
        return err;
    struct ui_window_state *s = ui__windows;
    while (s) {
        struct ui_window_state *next = s->next;
        if (s->closed) {
            if (s->server_id)
                gui_window_close(ui__conn.gui, s->server_id);
            release_tree_memory(s);
            ui__window_forget(s);
        } else if (s->dirty) {
            s->dirty = false;
            if ((err = commit_window(s))) {
                s->dirty = true;
                fprintf(stderr, "%s: lost the gui server: %s\n", program_invocation_short_name, err_str(err));
                return err;
            }
        }
        s = next;
    }
    return 0;
}

/* ---- the desktop ---- */

int ui_theme_get(char *name, size_t cap) {
    int err = ui__connect();
    return err ? err : gui_theme_get(ui__conn.gui, name, cap);
}

int ui_theme_list(int index, char *name, size_t cap) {
    if (index < 0)
        return -E_NOENT;
    int err = ui__connect();
    return err ? err : gui_theme_list(ui__conn.gui, (uint32_t)index, name, cap);
}

int ui_theme_set(const char *name) {
    if (!name)
        return -E_INVAL;
    int err = ui__connect();
    return err ? err : gui_theme_set(ui__conn.gui, name);
}

int ui_display_get(int *width, int *height, int *preferred_width, int *preferred_height) {
    int err = ui__connect();
    uint32_t w = 0, h = 0, pw = 0, ph = 0;
    if (!err)
        err = gui_display_get(ui__conn.gui, &w, &h, &pw, &ph);
    if (err)
        return err;
    if (width)
        *width = (int)w;
    if (height)
        *height = (int)h;
    if (preferred_width)
        *preferred_width = (int)pw;
    if (preferred_height)
        *preferred_height = (int)ph;
    return 0;
}

int ui_display_set(int width, int height) {
    if (width <= 0 || height <= 0)
        return -E_INVAL;
    int err = ui__connect();
    return err ? err : gui_display_set(ui__conn.gui, (uint32_t)width, (uint32_t)height);
}
