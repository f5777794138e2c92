/*
 * Window management: the window table, stacking (back to front), focus
 * (the top window has it), placing and moving, and each window's surface:
 * frame and shadow rendered with Cairo, redrawn only where something
 * changed.
 */
#include <stdio.h>
#include <string.h>
#include <tessera/runtime.h>
#include <tessera/sched.h>
#include <tessera/syscall.h>
#include "gui.h"
#include "idl/init.h"
#include "idl/sched.h"

#define CASCADE_X 120
#define CASCADE_Y 80
#define CASCADE_STEP 30
#define NODE_SLOP 3        /* focus rings and hover outlines reach a little beyond a node */

struct window windows[MAX_WINDOWS];
struct window *stack[MAX_WINDOWS];
int nstack;
static uint32_t next_window_id = 1;
static int cascade;
static struct window *focused;
static uint32_t interactive_task;   /* the task sched was told is interactive */

struct window *window_by_id(uint32_t id) {
    for (int i = 0; i < MAX_WINDOWS; i++)
        if (windows[i].used && windows[i].id == id)
            return &windows[i];
    return NULL;
}

struct window *window_new(struct client *owner) {
    int mine = 0;
    struct window *free_slot = NULL;
    for (int i = 0; i < MAX_WINDOWS; i++) {
        if (!windows[i].used)
            free_slot = free_slot ? free_slot : &windows[i];
        else if (owner && windows[i].owner == owner)
            mine++;
    }
    if (!free_slot || mine >= MAX_WINDOWS_PER_CLIENT)
        return NULL;
    struct window *w = free_slot;
    memset(w, 0, sizeof(*w));
    w->used = true;
    w->id = next_window_id++;
    w->owner = owner;
    w->tree_mem = HANDLE_NONE;
    stack[nstack++] = w;
    return w;
}

static void stack_remove(struct window *w) {
    for (int i = 0; i < nstack; i++) {
        if (stack[i] == w) {
            memmove(&stack[i], &stack[i + 1], (size_t)(nstack - i - 1) * sizeof(stack[0]));
            nstack--;
            return;
        }
    }
}

void window_free(struct window *w) {
    if (!w || !w->used)
        return;
    if (w->shown)
        damage_add(window_bounds(w));
    input_window_gone(w);
    stack_remove(w);
    if (w->has_tree)
        ui_tree_free(&w->tree);
    if (w->tree_map) {
        sys_vm_unmap(HANDLE_SELF, (uintptr_t)w->tree_map, w->tree_size);
        vm_release((uintptr_t)w->tree_map, w->tree_size);
    }
    if (w->tree_mem != HANDLE_NONE)
        sys_handle_close(w->tree_mem);
    if (w->surface)
        cairo_surface_destroy(w->surface);
    bool was_focused = w == focused;
    if (was_focused)
        focused = NULL;
    memset(w, 0, sizeof(*w));
    if (was_focused)
        wm_focus_changed();
}

struct window *window_top(void) {
    for (int i = nstack - 1; i >= 0; i--)
        if (stack[i]->shown)
            return stack[i];
    return NULL;
}

struct window *window_at(int32_t x, int32_t y) {
    for (int i = nstack - 1; i >= 0; i--)
        if (stack[i]->shown && ui_rect_contains(window_frame(stack[i]), x, y))
            return stack[i];
    return NULL;
}

int32_t window_frame_h(const struct window *w) {
    return GUI_FRAME_H(w->ch, &theme);
}

struct ui_rect window_frame(const struct window *w) {
    return (struct ui_rect){w->x, w->y, GUI_FRAME_W(w->cw), window_frame_h(w)};
}

struct ui_rect window_bounds(const struct window *w) {
    struct ui_rect f = window_frame(w);
    return (struct ui_rect){f.x - w->margin, f.y - w->margin, f.w + 2 * w->margin, f.h + 2 * w->margin};
}

struct ui_rect window_close_rect(const struct window *w) {
    struct ui_rect r = render_close_button_rect(w->cw, &theme);
    r.x += w->x;
    r.y += w->y;
    return r;
}

bool window_not_responding(const struct window *w) {
    return w->owner && w->owner->hung;
}

/* ---- the surface ---- */

/* Redraws fr (frame coordinates) of the surface: shadow, content, frame. */
void window_redraw_frame_rect(struct window *w, struct ui_rect fr) {
    if (!w->surface)
        return;
    struct ui_rect all = {-w->margin, -w->margin, GUI_FRAME_W(w->cw) + 2 * w->margin,
                          window_frame_h(w) + 2 * w->margin};
    fr = ui_rect_intersect(fr, all);
    if (ui_rect_empty(fr))
        return;
    cairo_t *cr = cairo_create(w->surface);
    cairo_translate(cr, w->margin, w->margin);
    cairo_rectangle(cr, fr.x, fr.y, fr.w, fr.h);
    cairo_clip(cr);
    cairo_set_operator(cr, CAIRO_OPERATOR_CLEAR);
    cairo_paint(cr);
    cairo_set_operator(cr, CAIRO_OPERATOR_OVER);
    int fw = GUI_FRAME_W(w->cw), fh = window_frame_h(w);
    render_shadow(cr, fw, fh, &theme);
    struct ui_rect content = {GUI_CONTENT_X, GUI_CONTENT_Y(&theme), w->cw, w->ch};
    struct ui_rect cclip = ui_rect_intersect(fr, content);
    if (!ui_rect_empty(cclip)) {
        cairo_save(cr);
        cairo_rectangle(cr, content.x, content.y, content.w, content.h);
        cairo_clip(cr);
        cairo_translate(cr, content.x, content.y);
        if (w->has_tree) {
            cclip.x -= content.x;
            cclip.y -= content.y;
            render_tree(cr, &w->tree, &theme, &w->view, cclip);
        } else {
            render_set_rgba(cr, theme.window_bg);
            cairo_paint(cr);
        }
        cairo_restore(cr);
    }
    struct decoration_state st = {
        .focused = w == focused,
        .not_responding = window_not_responding(w),
        .close_hover = w->close_hover,
        .close_pressed = w->close_pressed,
    };
    render_decorations(cr, w->title, w->cw, w->ch, &theme, &st);
    cairo_destroy(cr);
    cairo_surface_flush(w->surface);
    if (w->shown)
        damage_add((struct ui_rect){w->x + fr.x, w->y + fr.y, fr.w, fr.h});
}

void window_redraw_content_rect(struct window *w, struct ui_rect r) {
    r = ui_rect_intersect(r, (struct ui_rect){0, 0, w->cw, w->ch});
    if (ui_rect_empty(r))
        return;
    r.x += GUI_CONTENT_X;
    r.y += GUI_CONTENT_Y(&theme);
    window_redraw_frame_rect(w, r);
}

void window_redraw_title(struct window *w) {
    window_redraw_frame_rect(w, (struct ui_rect){0, 0, GUI_FRAME_W(w->cw), GUI_CONTENT_Y(&theme)});
}

void window_redraw_node(struct window *w, uint32_t id) {
    if (!w->has_tree || !id)
        return;
    uint32_t i = ui_tree_find(&w->tree, id);
    if (i == UI_NONE)
        return;
    const struct ui_node *n = &w->tree.nodes[i];
    struct ui_rect r = ui_rect_intersect(n->rect, n->clip);
    if (ui_rect_empty(r))
        return;
    r = (struct ui_rect){r.x - NODE_SLOP, r.y - NODE_SLOP, r.w + 2 * NODE_SLOP, r.h + 2 * NODE_SLOP};
    window_redraw_content_rect(w, r);
}

/* Content no smaller than a title bar needs and no larger than the screen
 * (what is beyond is cut off): surfaces stay within memory. */
static int32_t clamp_side(int32_t v, int32_t lo, int32_t hi) {
    if (hi > MAX_CONTENT_SIDE)
        hi = MAX_CONTENT_SIDE;
    if (hi < lo)
        hi = lo;
    return v < lo ? lo : v > hi ? hi : v;
}

static int32_t max_content_w(void) {
    return screen_w - 2 * GUI_BORDER;
}

static int32_t max_content_h(void) {
    return screen_h - menu_bar_height() - GUI_FRAME_H(0, &theme);
}

void window_content_size(const struct ui_tree *t, int32_t *cw, int32_t *ch) {
    *cw = clamp_side(t->width, MIN_CONTENT_W, max_content_w());
    *ch = clamp_side(t->height, MIN_CONTENT_H, max_content_h());
}

bool window_resize_surface(struct window *w) {
    w->cw = clamp_side(w->cw, MIN_CONTENT_W, max_content_w());
    w->ch = clamp_side(w->ch, MIN_CONTENT_H, max_content_h());
    if (w->surface)
        cairo_surface_destroy(w->surface);
    w->margin = theme.shadow_size > 0 ? theme.shadow_size + 1 : 0;   /* render_shadow's reach */
    w->surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, GUI_FRAME_W(w->cw) + 2 * w->margin,
                                            window_frame_h(w) + 2 * w->margin);
    if (cairo_surface_status(w->surface) != CAIRO_STATUS_SUCCESS) {
        log_printf("gui: no memory for window %u's surface (%dx%d)\n", w->id, w->cw, w->ch);
        cairo_surface_destroy(w->surface);
        w->surface = NULL;
        return false;
    }
    window_redraw_frame_rect(w, (struct ui_rect){-w->margin, -w->margin, GUI_FRAME_W(w->cw) + 2 * w->margin,
                                                 window_frame_h(w) + 2 * w->margin});
    return true;
}

/* ---- placing ---- */

void window_keep_on_screen(struct window *w) {
    struct ui_rect f = window_frame(w);
    int32_t top = menu_bar_height();
    /* the whole title bar on screen (or as much of it as fits, close button first) */
    int32_t xlo = screen_w - f.w < 0 ? screen_w - f.w : 0, xhi = screen_w - f.w > 0 ? screen_w - f.w : 0;
    int32_t ylo = top, yhi = screen_h - GUI_CONTENT_Y(&theme);
    if (yhi < ylo)
        yhi = ylo;
    int32_t x = w->x < xlo ? xlo : w->x > xhi ? xhi : w->x;
    int32_t y = w->y < ylo ? ylo : w->y > yhi ? yhi : w->y;
    if (x != w->x || y != w->y) {
        if (w->shown)
            damage_add(window_bounds(w));
        w->x = x;
        w->y = y;
        if (w->shown)
            damage_add(window_bounds(w));
    }
}

void window_place_new(struct window *w) {
    for (int tries = 0; tries < 2; tries++) {
        w->x = CASCADE_X + cascade * CASCADE_STEP;
        w->y = CASCADE_Y + cascade * CASCADE_STEP;
        cascade++;
        if (w->x + GUI_FRAME_W(w->cw) <= screen_w && w->y + window_frame_h(w) <= screen_h)
            break;
        cascade = 0;   /* off the bottom right: start again at the top left */
    }
    window_keep_on_screen(w);
}

void window_move(struct window *w, int32_t x, int32_t y) {
    if (w->shown)
        damage_add(window_bounds(w));
    w->x = x;
    w->y = y;
    window_keep_on_screen(w);
    if (w->shown)
        damage_add(window_bounds(w));
}

/* ---- stacking and focus ---- */

void window_raise(struct window *w) {
    if (nstack && stack[nstack - 1] != w) {
        stack_remove(w);
        stack[nstack++] = w;
        if (w->shown)
            damage_add(window_bounds(w));
    }
    wm_focus_changed();
}

/* The focused app's task is interactive for the scheduler (cheap: one call
 * per focus change; errors only mean no boost). */
static void tell_sched(struct window *w) {
    static handle_t sched = HANDLE_NONE;
    static bool looked_up;
    uint32_t task = w && w->owner ? w->owner->task_id : 0;
    if (task == interactive_task)
        return;
    if (!looked_up) {
        looked_up = true;
        if (init_lookup(bootstrap, "sched", &sched) != 0)
            sched = HANDLE_NONE;
    }
    if (sched == HANDLE_NONE)
        return;
    if (interactive_task)
        sched_set_class(sched, interactive_task, SCHED_CLASS_NORMAL);
    if (task)
        sched_set_class(sched, task, SCHED_CLASS_INTERACTIVE);
    interactive_task = task;
}

void wm_focus_changed(void) {
    struct window *top = window_top();
    if (top == focused)
        return;
    struct window *old = focused;
    focused = top;
    if (old) {
        struct ui_event ev = {.type = UI_EVENT_FOCUS, .value = 0, .time_ns = now_ns};
        client_post(old, &ev);
        window_redraw_title(old);
    }
    if (top) {
        struct ui_event ev = {.type = UI_EVENT_FOCUS, .value = 1, .time_ns = now_ns};
        client_post(top, &ev);
        window_redraw_title(top);
    }
    tell_sched(top);
}

void wm_rerender_all(void) {
    for (int i = 0; i < nstack; i++) {
        struct window *w = stack[i];
        if (!w->owner)
            continue;
        if (w->shown)
            damage_add(window_bounds(w));
        if (w->has_tree) {
            ui_layout(&w->tree, &theme, &render_measure, &w->view);
            window_content_size(&w->tree, &w->cw, &w->ch);
        }
        if (w->has_tree || w->surface)
            window_resize_surface(w);
        window_keep_on_screen(w);
        if (w->shown)
            damage_add(window_bounds(w));
    }
}
