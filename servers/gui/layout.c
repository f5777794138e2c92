/*
 * Layout of a decoded tree: a small, predictable flex layout in two passes.
 *
 *  1. measure (bottom-up, by recursion): every node's natural size, from the
 *     theme's metrics and the text measure callback, written into rect.w/h.
 *     Wrapping text learns the width it may use from the top down.
 *  2. place (top-down): each container hands its children their final rects
 *     (columns and rows share spare room among EXPAND children and take a
 *     shortfall back from them; lists stack items and scroll; canvases put
 *     children where the app says), and every node gets its clip.
 *
 * Also hit testing, focus order and the slider's value mapping, which all
 * read the laid-out rects. Sizes are clamped so that no sum can overflow.
 */
#include <string.h>
#include "theme.h"
#include "tree.h"

#define SIZE_MAX_PX (1 << 20)       /* any natural size or content height */
#define POS_MAX_PX (1 << 24)        /* any position */
#define BUTTON_MIN_WIDTH 64
#define INPUT_DEFAULT_WIDTH 200
#define SLIDER_DEFAULT_WIDTH 160
#define CHECKBOX_LABEL_GAP 8
#define LIST_NATURAL_MAX 320        /* a list with h == 0 asks for at most this much */

struct layout {
    struct ui_tree *t;
    const struct theme *th;
    const struct ui_measure *m;
    struct ui_view *view;
    struct {                        /* the view's scroll memory before this layout */
        uint32_t id;
        int32_t offset, last_content_h;
    } old[UI_VIEW_MAX_SCROLL];
    int nold;
};

/* ---- rectangles ---- */

static int32_t clamp64(int64_t v, int64_t lo, int64_t hi) {
    return (int32_t)(v < lo ? lo : v > hi ? hi : v);
}

static int32_t size_px(int64_t v) {
    return clamp64(v, 0, SIZE_MAX_PX);
}

static int32_t pos_px(int64_t v) {
    return clamp64(v, -POS_MAX_PX, POS_MAX_PX);
}

bool ui_rect_empty(struct ui_rect r) {
    return r.w <= 0 || r.h <= 0;
}

struct ui_rect ui_rect_intersect(struct ui_rect a, struct ui_rect b) {
    int64_t x0 = a.x > b.x ? a.x : b.x, y0 = a.y > b.y ? a.y : b.y;
    int64_t ax1 = (int64_t)a.x + a.w, bx1 = (int64_t)b.x + b.w;
    int64_t ay1 = (int64_t)a.y + a.h, by1 = (int64_t)b.y + b.h;
    int64_t x1 = ax1 < bx1 ? ax1 : bx1, y1 = ay1 < by1 ? ay1 : by1;
    if (x1 <= x0 || y1 <= y0)
        return (struct ui_rect){0, 0, 0, 0};
    return (struct ui_rect){(int32_t)x0, (int32_t)y0, (int32_t)(x1 - x0), (int32_t)(y1 - y0)};
}

struct ui_rect ui_rect_union(struct ui_rect a, struct ui_rect b) {
    if (ui_rect_empty(a))
        return ui_rect_empty(b) ? (struct ui_rect){0, 0, 0, 0} : b;
    if (ui_rect_empty(b))
        return a;
    int64_t x0 = a.x < b.x ? a.x : b.x, y0 = a.y < b.y ? a.y : b.y;
    int64_t ax1 = (int64_t)a.x + a.w, bx1 = (int64_t)b.x + b.w;
    int64_t ay1 = (int64_t)a.y + a.h, by1 = (int64_t)b.y + b.h;
    int64_t x1 = ax1 > bx1 ? ax1 : bx1, y1 = ay1 > by1 ? ay1 : by1;
    return (struct ui_rect){(int32_t)x0, (int32_t)y0, clamp64(x1 - x0, 0, INT32_MAX), clamp64(y1 - y0, 0, INT32_MAX)};
}

bool ui_rect_contains(struct ui_rect r, int32_t x, int32_t y) {
    return x >= r.x && y >= r.y && (int64_t)x < (int64_t)r.x + r.w && (int64_t)y < (int64_t)r.y + r.h;
}

/* ---- view: scroll offsets kept between commits ---- */

int32_t ui_view_scroll(const struct ui_view *v, uint32_t id) {
    int n = v ? v->nscroll : 0;
    for (int i = 0; i < n && i < UI_VIEW_MAX_SCROLL; i++)
        if (v->scroll[i].id == id)
            return v->scroll[i].offset;
    return 0;
}

void ui_view_set_scroll(struct ui_view *v, uint32_t id, int32_t offset) {
    if (!v || id == 0)
        return;
    if (v->nscroll < 0 || v->nscroll > UI_VIEW_MAX_SCROLL)
        v->nscroll = 0;
    for (int i = 0; i < v->nscroll; i++) {
        if (v->scroll[i].id == id) {
            v->scroll[i].offset = offset;
            return;
        }
    }
    if (v->nscroll < UI_VIEW_MAX_SCROLL)
        v->scroll[v->nscroll++] = (typeof(v->scroll[0])){.id = id, .offset = offset, .last_content_h = 0};
}

/* ---- node classes ---- */

static bool is_primitive(const struct ui_node *n) {
    return n->kind >= UI_KIND_LINE && n->kind <= UI_KIND_PATH;
}

/* Does the node's own w (h) fix its width (height)? A SPACER's are minimums
 * and a draw primitive's are geometry. */
static bool fixed_w(const struct ui_node *n) {
    return n->w > 0 && n->kind != UI_KIND_SPACER && !is_primitive(n);
}

static bool fixed_h(const struct ui_node *n) {
    return n->h > 0 && n->kind != UI_KIND_SPACER && !is_primitive(n);
}

static int font_px(const struct theme *th, const struct ui_node *n) {
    return th->font_size[n->text_size <= UI_SIZE_MAX ? n->text_size : UI_SIZE_BODY];
}

static void measure_text(struct layout *L, const struct ui_node *n, int wrap, int32_t *w, int32_t *h) {
    int mw = 0, mh = 0;
    L->m->text(L->m->ctx, n->font, font_px(L->th, n), n->text, n->text_len, wrap, &mw, &mh);
    *w = size_px(mw);
    *h = size_px(mh);
}

/* A draw primitive's bounding box in its canvas (stroke included). */
static struct ui_rect primitive_box(const struct ui_node *n) {
    int64_t half = ((n->stroke ? n->stroke : 1) + 1) / 2;
    int64_t x0 = n->x, y0 = n->y, x1 = n->x, y1 = n->y;
    switch (n->kind) {
    case UI_KIND_LINE:
    case UI_KIND_RECT:
        x1 += n->w, y1 += n->h;
        break;
    case UI_KIND_ARC:
        x0 -= n->radius, y0 -= n->radius, x1 += n->radius, y1 += n->radius;
        break;
    case UI_KIND_PATH:
        for (uint32_t i = 0; i + 8 <= n->data_len; i += 8) {
            int32_t px, py;
            memcpy(&px, n->data + i, 4);
            memcpy(&py, n->data + i + 4, 4);
            int64_t ax = (int64_t)n->x + px, ay = (int64_t)n->y + py;
            if (i == 0 || ax < x0) x0 = ax;
            if (i == 0 || ax > x1) x1 = ax;
            if (i == 0 || ay < y0) y0 = ay;
            if (i == 0 || ay > y1) y1 = ay;
        }
        break;
    }
    if (x1 < x0) { int64_t s = x0; x0 = x1; x1 = s; }
    if (y1 < y0) { int64_t s = y0; y0 = y1; y1 = s; }
    return (struct ui_rect){pos_px(x0 - half), pos_px(y0 - half), size_px(x1 - x0 + 2 * half),
                            size_px(y1 - y0 + 2 * half)};
}

/* ---- pass 1: natural sizes ---- */

/* avail: the width the node may take (for wrapping), or -1 if unknown. */
static void measure(struct layout *L, uint32_t i, int32_t avail);

static void measure_children(struct layout *L, const struct ui_node *n, int32_t avail) {
    for (uint32_t c = n->first_child; c != UI_NONE; c = L->t->nodes[c].next_sibling)
        measure(L, c, avail);
}

static void measure(struct layout *L, uint32_t i, int32_t avail) {
    struct ui_tree *t = L->t;
    const struct theme *th = L->th;
    struct ui_node *n = &t->nodes[i];
    int64_t w = 0, h = 0;
    int32_t own_avail = fixed_w(n) ? n->w : avail;
    int32_t inner_avail = own_avail < 0 ? -1 : (int32_t)size_px((int64_t)own_avail - 2 * n->padding);

    switch (n->kind) {
    case UI_KIND_WINDOW:
    case UI_KIND_COLUMN:
    case UI_KIND_ROW: {
        bool vertical = n->kind != UI_KIND_ROW;
        measure_children(L, n, vertical ? inner_avail : -1);
        int64_t main = 0, cross = 0;
        for (uint32_t c = n->first_child; c != UI_NONE; c = t->nodes[c].next_sibling) {
            const struct ui_rect *r = &t->nodes[c].rect;
            main += (vertical ? r->h : r->w) + (c == n->first_child ? 0 : n->spacing);
            int64_t cr = vertical ? r->w : r->h;
            cross = cr > cross ? cr : cross;
        }
        w = (vertical ? cross : main) + 2 * n->padding;
        h = (vertical ? main : cross) + 2 * n->padding;
        break;
    }
    case UI_KIND_LIST: {
        int32_t pad = th->list_item_padding;
        int32_t item_avail = own_avail < 0 ? -1 : size_px((int64_t)own_avail - 2 * pad - th->scrollbar_width);
        measure_children(L, n, item_avail);
        int64_t content = 0, widest = 0;
        for (uint32_t c = n->first_child; c != UI_NONE; c = t->nodes[c].next_sibling) {
            const struct ui_rect *r = &t->nodes[c].rect;
            content += r->h + 2 * pad;
            widest = r->w > widest ? r->w : widest;
        }
        n->content_h = size_px(content);
        w = widest + 2 * pad;
        h = n->h > 0 ? n->h : (n->content_h < LIST_NATURAL_MAX ? n->content_h : LIST_NATURAL_MAX);
        break;
    }
    case UI_KIND_CANVAS:
        measure_children(L, n, -1);
        for (uint32_t c = n->first_child; c != UI_NONE; c = t->nodes[c].next_sibling) {
            const struct ui_node *cn = &t->nodes[c];
            struct ui_rect box = is_primitive(cn) ? primitive_box(cn)
                                                  : (struct ui_rect){cn->x, cn->y, cn->rect.w, cn->rect.h};
            int64_t right = (int64_t)box.x + box.w, bottom = (int64_t)box.y + box.h;
            w = right > w ? right : w;
            h = bottom > h ? bottom : h;
        }
        break;
    case UI_KIND_TEXT: {
        int wrap = 0;
        if (n->flags & UI_FLAG_WRAP)
            wrap = own_avail > 0 ? own_avail : 0;
        int32_t tw, tht;
        measure_text(L, n, wrap, &tw, &tht);
        w = wrap && tw > wrap ? wrap : tw;
        h = tht;
        break;
    }
    case UI_KIND_BUTTON: {
        int32_t lw = 0, lh = 0;
        measure_children(L, n, -1);
        if (n->text_len || n->first_child == UI_NONE) {
            measure_text(L, n, 0, &lw, &lh);
        } else {
            lw = t->nodes[n->first_child].rect.w;
            lh = t->nodes[n->first_child].rect.h;
        }
        w = (int64_t)lw + 2 * th->control_padding;
        w = w < BUTTON_MIN_WIDTH ? BUTTON_MIN_WIDTH : w;
        h = lh > th->control_height ? lh : th->control_height;
        break;
    }
    case UI_KIND_TEXT_INPUT:
        w = INPUT_DEFAULT_WIDTH;
        h = th->control_height;
        break;
    case UI_KIND_CHECKBOX: {
        w = h = th->checkbox_size;
        if (n->text_len) {
            int32_t lw, lh;
            measure_text(L, n, 0, &lw, &lh);
            w += CHECKBOX_LABEL_GAP + (int64_t)lw;
            h = lh > h ? lh : h;
        }
        break;
    }
    case UI_KIND_SLIDER:
        w = SLIDER_DEFAULT_WIDTH;
        h = th->slider_height;
        break;
    case UI_KIND_IMAGE:
        w = n->image_w, h = n->image_h;
        if (n->w > 0 && n->h == 0 && n->image_w)
            h = (int64_t)n->w * n->image_h / n->image_w;
        else if (n->h > 0 && n->w == 0 && n->image_h)
            w = (int64_t)n->h * n->image_w / n->image_h;
        break;
    case UI_KIND_SPACER:
        w = n->w, h = n->h;
        break;
    default:   /* draw primitives */
        if (is_primitive(n)) {
            struct ui_rect box = primitive_box(n);
            w = box.w, h = box.h;
        }
        break;
    }
    if (fixed_w(n))
        w = n->w;
    if (fixed_h(n))
        h = n->h;
    n->rect = (struct ui_rect){0, 0, size_px(w), size_px(h)};
}

/* ---- pass 2: placing ---- */

static void place(struct layout *L, uint32_t i, int64_t x, int64_t y, int64_t w, int64_t h, struct ui_rect clip);

/* Does child c take a share of its stack's spare room (and give back when
 * there is too little)? */
static bool expands(const struct ui_node *c, bool vertical) {
    if (vertical ? fixed_h(c) : fixed_w(c))
        return false;
    return (c->flags & UI_FLAG_EXPAND) || (vertical && c->kind == UI_KIND_LIST && c->h == 0);
}

/* WINDOW, COLUMN (vertical) and ROW: children one after the other. */
static void place_stack(struct layout *L, struct ui_node *n, bool vertical, int align, struct ui_rect clip) {
    struct ui_tree *t = L->t;
    int64_t ix = (int64_t)n->rect.x + n->padding, iy = (int64_t)n->rect.y + n->padding;
    int64_t iw = size_px((int64_t)n->rect.w - 2 * n->padding), ih = size_px((int64_t)n->rect.h - 2 * n->padding);
    int64_t main_room = vertical ? ih : iw, cross_room = vertical ? iw : ih;

    /* main-axis sizes: natural, then spare room shared or a shortfall taken back */
    int64_t total = 0;
    uint32_t expanders = 0;
    for (uint32_t c = n->first_child; c != UI_NONE; c = t->nodes[c].next_sibling) {
        const struct ui_node *cn = &t->nodes[c];
        total += (vertical ? cn->rect.h : cn->rect.w) + (c == n->first_child ? 0 : n->spacing);
        expanders += expands(cn, vertical);
    }
    int64_t spare = main_room - total;
    if (spare > 0 && expanders) {
        int64_t share = spare / expanders, extra = spare % expanders;
        for (uint32_t c = n->first_child; c != UI_NONE; c = t->nodes[c].next_sibling) {
            struct ui_node *cn = &t->nodes[c];
            if (!expands(cn, vertical))
                continue;
            int32_t *main = vertical ? &cn->rect.h : &cn->rect.w;
            *main = size_px(*main + share + (extra > 0));
            extra--;
        }
    } else if (spare < 0 && expanders) {
        int64_t deficit = -spare;
        bool took = true;
        while (deficit > 0 && took) {
            uint32_t active = 0;
            for (uint32_t c = n->first_child; c != UI_NONE; c = t->nodes[c].next_sibling) {
                const struct ui_node *cn = &t->nodes[c];
                active += expands(cn, vertical) && (vertical ? cn->rect.h : cn->rect.w) > 0;
            }
            int64_t share = active ? deficit / active : 0;
            share = share < 1 ? 1 : share;
            took = false;
            for (uint32_t c = n->first_child; c != UI_NONE && deficit > 0; c = t->nodes[c].next_sibling) {
                struct ui_node *cn = &t->nodes[c];
                int32_t *main = vertical ? &cn->rect.h : &cn->rect.w;
                if (!expands(cn, vertical) || *main <= 0)
                    continue;
                int64_t take = share < *main ? share : *main;
                take = take < deficit ? take : deficit;
                *main -= (int32_t)take;
                deficit -= take;
                took = true;
            }
        }
    }

    int64_t pos = vertical ? iy : ix;
    for (uint32_t c = n->first_child; c != UI_NONE; c = t->nodes[c].next_sibling) {
        struct ui_node *cn = &t->nodes[c];
        int64_t main = vertical ? cn->rect.h : cn->rect.w;
        int64_t cross = vertical ? cn->rect.w : cn->rect.h;
        bool cross_fixed = vertical ? fixed_w(cn) : fixed_h(cn);
        /* lists take the column's width, and a row's height unless they have one */
        bool stretch = align == UI_ALIGN_STRETCH || (cn->kind == UI_KIND_LIST && (vertical || cn->h == 0));
        int64_t off = 0;
        if (stretch && !cross_fixed)
            cross = cross_room;
        else if (align == UI_ALIGN_CENTER)
            off = (cross_room - cross) / 2;
        else if (align == UI_ALIGN_END)
            off = cross_room - cross;
        if (vertical)
            place(L, c, ix + off, pos, cross, main, clip);
        else
            place(L, c, pos, iy + off, main, cross, clip);
        pos = pos_px(pos + main + n->spacing);
    }
}

/* The list's scroll offset for this layout: the view's, clamped, or the end
 * for a STICK_END list that grew while its end was in view (or is new). The
 * view remembers it with the content height. */
static int32_t list_scroll(struct layout *L, const struct ui_node *n) {
    int32_t max_offset = n->content_h > n->rect.h ? n->content_h - n->rect.h : 0;
    int32_t offset = 0;
    bool known = false;
    int32_t last = 0;
    for (int k = 0; k < L->nold; k++) {
        if (L->old[k].id == n->id) {
            offset = L->old[k].offset, last = L->old[k].last_content_h, known = true;
            break;
        }
    }
    if ((n->flags & UI_FLAG_STICK_END) &&
        (!known || (n->content_h > last && (int64_t)offset + n->rect.h >= last)))
        offset = max_offset;
    offset = offset < 0 ? 0 : offset > max_offset ? max_offset : offset;
    struct ui_view *v = L->view;
    if (v && v->nscroll < UI_VIEW_MAX_SCROLL)
        v->scroll[v->nscroll++] = (typeof(v->scroll[0])){.id = n->id, .offset = offset, .last_content_h = n->content_h};
    return offset;
}

static void place_list(struct layout *L, struct ui_node *n, struct ui_rect clip) {
    struct ui_tree *t = L->t;
    int32_t pad = L->th->list_item_padding;
    n->scroll = list_scroll(L, n);
    int64_t item_w = (int64_t)n->rect.w - 2 * pad - (n->content_h > n->rect.h ? L->th->scrollbar_width : 0);
    int64_t y = (int64_t)n->rect.y - n->scroll;
    for (uint32_t c = n->first_child; c != UI_NONE; c = t->nodes[c].next_sibling) {
        int64_t item_h = t->nodes[c].rect.h;
        place(L, c, (int64_t)n->rect.x + pad, y + pad, size_px(item_w), item_h, clip);
        y += item_h + 2 * pad;
    }
}

static void place_canvas(struct layout *L, struct ui_node *n, struct ui_rect clip) {
    struct ui_tree *t = L->t;
    for (uint32_t c = n->first_child; c != UI_NONE; c = t->nodes[c].next_sibling) {
        struct ui_node *cn = &t->nodes[c];
        struct ui_rect box = is_primitive(cn) ? primitive_box(cn)
                                              : (struct ui_rect){cn->x, cn->y, cn->rect.w, cn->rect.h};
        place(L, c, (int64_t)n->rect.x + box.x, (int64_t)n->rect.y + box.y, box.w, box.h, clip);
    }
}

static void place(struct layout *L, uint32_t i, int64_t x, int64_t y, int64_t w, int64_t h, struct ui_rect clip) {
    struct ui_node *n = &L->t->nodes[i];
    n->rect = (struct ui_rect){pos_px(x), pos_px(y), size_px(w), size_px(h)};
    n->clip = ui_rect_intersect(n->rect, clip);
    n->scroll = 0;
    if (n->kind != UI_KIND_LIST)
        n->content_h = 0;
    /* lists and canvases clip what is inside them */
    struct ui_rect inner = n->kind == UI_KIND_LIST || n->kind == UI_KIND_CANVAS ? n->clip : clip;
    switch (n->kind) {
    case UI_KIND_WINDOW:
        place_stack(L, n, true, UI_ALIGN_STRETCH, inner);
        break;
    case UI_KIND_COLUMN:
    case UI_KIND_ROW:
        place_stack(L, n, n->kind == UI_KIND_COLUMN, n->align, inner);
        break;
    case UI_KIND_LIST:
        place_list(L, n, inner);
        break;
    case UI_KIND_CANVAS:
        place_canvas(L, n, inner);
        break;
    case UI_KIND_BUTTON:
        if (n->first_child != UI_NONE) {   /* the label, centred */
            const struct ui_rect *lr = &L->t->nodes[n->first_child].rect;
            place(L, n->first_child, n->rect.x + ((int64_t)n->rect.w - lr->w) / 2,
                  n->rect.y + ((int64_t)n->rect.h - lr->h) / 2, lr->w, lr->h, inner);
        }
        break;
    default:
        break;
    }
}

void ui_layout(struct ui_tree *t, const struct theme *th, const struct ui_measure *m, struct ui_view *view) {
    if (!t || t->count == 0)
        return;
    struct layout L = {.t = t, .th = th, .m = m, .view = view};
    if (view) {
        int n = view->nscroll < 0 || view->nscroll > UI_VIEW_MAX_SCROLL ? 0 : view->nscroll;
        for (int k = 0; k < n; k++) {
            L.old[k].id = view->scroll[k].id;
            L.old[k].offset = view->scroll[k].offset;
            L.old[k].last_content_h = view->scroll[k].last_content_h;
        }
        L.nold = n;
        view->nscroll = 0;   /* rebuilt from the lists this tree has */
    }
    struct ui_node *root = &t->nodes[0];
    measure(&L, 0, root->w > 0 ? root->w : -1);
    t->width = root->rect.w;
    t->height = root->rect.h;
    struct ui_rect content = {0, 0, t->width, t->height};
    place(&L, 0, 0, 0, t->width, t->height, content);
}

/* ---- hit testing and focus ---- */

/* The node after i in tree (paint) order: depth first, children in order. */
static uint32_t next_in_order(const struct ui_tree *t, uint32_t i) {
    if (t->nodes[i].first_child != UI_NONE)
        return t->nodes[i].first_child;
    while (i != UI_NONE && t->nodes[i].next_sibling == UI_NONE)
        i = t->nodes[i].parent;
    return i == UI_NONE ? UI_NONE : t->nodes[i].next_sibling;
}

/* DISABLED itself or under a DISABLED node. */
static bool disabled(const struct ui_tree *t, uint32_t i) {
    for (; i != UI_NONE; i = t->nodes[i].parent)
        if (t->nodes[i].flags & UI_FLAG_DISABLED)
            return true;
    return false;
}

uint32_t ui_hit_test(const struct ui_tree *t, int32_t x, int32_t y) {
    uint32_t hit = UI_NONE;
    if (!t || t->count == 0)
        return UI_NONE;
    /* the last node painted there is the one on top */
    for (uint32_t i = 0; i != UI_NONE; i = next_in_order(t, i))
        if (ui_rect_contains(t->nodes[i].clip, x, y))
            hit = i;
    return hit;
}

static bool takes_pointer(const struct ui_node *n) {
    switch (n->kind) {
    case UI_KIND_BUTTON:
    case UI_KIND_TEXT_INPUT:
    case UI_KIND_CHECKBOX:
    case UI_KIND_SLIDER:
        return true;
    case UI_KIND_CANVAS:
        return (n->handlers & (UI_WANT_CLICK | UI_WANT_POINTER)) != 0;
    default:
        return false;
    }
}

uint32_t ui_hit_target(const struct ui_tree *t, int32_t x, int32_t y) {
    uint32_t i = ui_hit_test(t, x, y);
    if (i == UI_NONE)
        return UI_NONE;
    const struct ui_node *n = &t->nodes[i];
    if (n->kind == UI_KIND_LIST) {
        /* between items: the item whose slot (with its padding, which is
         * also how far in from the list's left it is) is there */
        for (uint32_t c = n->first_child; c != UI_NONE; c = t->nodes[c].next_sibling) {
            struct ui_rect r = t->nodes[c].rect;
            int32_t pad = r.x - n->rect.x;
            struct ui_rect slot = {n->rect.x, r.y - pad, n->rect.w, r.h + 2 * pad};
            if (ui_rect_contains(slot, x, y)) {
                i = c;
                break;
            }
        }
    }
    for (; i != UI_NONE; i = t->nodes[i].parent) {
        uint32_t p = t->nodes[i].parent;
        if (takes_pointer(&t->nodes[i]) || (p != UI_NONE && t->nodes[p].kind == UI_KIND_LIST))
            break;
    }
    return i == UI_NONE || disabled(t, i) ? UI_NONE : i;
}

static bool focusable(const struct ui_tree *t, uint32_t i) {
    switch (t->nodes[i].kind) {
    case UI_KIND_BUTTON:
    case UI_KIND_TEXT_INPUT:
    case UI_KIND_CHECKBOX:
    case UI_KIND_SLIDER:
    case UI_KIND_LIST:
        return !disabled(t, i);
    default:
        return false;
    }
}

uint32_t ui_focus_next(const struct ui_tree *t, uint32_t from, int dir) {
    if (!t || t->count == 0)
        return UI_NONE;
    uint32_t start = from ? ui_tree_find(t, from) : UI_NONE;
    uint32_t first = UI_NONE, last = UI_NONE, before = UI_NONE, after = UI_NONE;
    bool passed = false;
    for (uint32_t i = 0; i != UI_NONE; i = next_in_order(t, i)) {
        if (i == start) {
            passed = true;
            continue;
        }
        if (!focusable(t, i))
            continue;
        if (first == UI_NONE)
            first = i;
        last = i;
        if (!passed)
            before = i;
        else if (after == UI_NONE)
            after = i;
    }
    /* wrap around; the starting node itself only when it is the only one */
    bool start_ok = start != UI_NONE && focusable(t, start);
    if (dir >= 0)
        return start == UI_NONE ? first : after != UI_NONE ? after : first != UI_NONE ? first : start_ok ? start : UI_NONE;
    return start == UI_NONE ? last : before != UI_NONE ? before : last != UI_NONE ? last : start_ok ? start : UI_NONE;
}

int32_t ui_slider_value_at(const struct ui_node *s, const struct theme *th, int32_t x) {
    /* the knob's centre runs from one end of the track to the other */
    int64_t knob = th->slider_height / 2;
    int64_t x0 = (int64_t)s->rect.x + knob, x1 = (int64_t)s->rect.x + s->rect.w - knob;
    if (x1 <= x0 || x <= x0)
        return s->min;
    if (x >= x1)
        return s->max;
    int64_t range = (int64_t)s->max - s->min;
    int64_t v = s->min + ((x - x0) * range * 2 + (x1 - x0)) / (2 * (x1 - x0));   /* rounded */
    return clamp64(v, s->min, s->max);
}
