/*
 * Damage between two laid-out trees of one window: nodes are matched by id;
 * a node that was added, removed, moved or changed damages its clipped rect
 * before and after. Containers that draw nothing of their own (a COLUMN,
 * ROW or CANVAS without a background, a SPACER) damage nothing by
 * themselves: their children report what moved. The rects are then merged
 * so the renderer gets a few of them.
 */
#include <stdlib.h>
#include <string.h>
#include "tree.h"

/* Past this many raw rects, one bounding rect is as good as any merge. */
#define DIFF_MAX_RAW 128

struct damage {
    struct ui_rect r[DIFF_MAX_RAW];
    int n;
    bool overflow;
    struct ui_rect bounds;   /* of everything added */
};

static void add(struct damage *d, struct ui_rect r) {
    if (ui_rect_empty(r))
        return;
    d->bounds = ui_rect_union(d->bounds, r);
    if (d->n < DIFF_MAX_RAW)
        d->r[d->n++] = r;
    else
        d->overflow = true;
}

static bool paints_itself(const struct ui_node *n) {
    switch (n->kind) {
    case UI_KIND_COLUMN:
    case UI_KIND_ROW:
    case UI_KIND_CANVAS:
        return (n->flags & UI_FLAG_HAS_BACKGROUND) != 0;
    case UI_KIND_SPACER:
        return false;
    default:
        return true;
    }
}

static bool greyed(const struct ui_tree *t, uint32_t i) {
    for (; i != UI_NONE; i = t->nodes[i].parent)
        if (t->nodes[i].flags & UI_FLAG_DISABLED)
            return true;
    return false;
}

static uint32_t parent_id(const struct ui_tree *t, const struct ui_node *n) {
    return n->parent == UI_NONE ? 0 : t->nodes[n->parent].id;
}

static bool same_rect(struct ui_rect a, struct ui_rect b) {
    return a.x == b.x && a.y == b.y && a.w == b.w && a.h == b.h;
}

/* Would a and b (the same id in the old and the new tree) look different? */
static bool looks_changed(const struct ui_tree *ot, uint32_t oi, const struct ui_tree *nt, uint32_t ni) {
    const struct ui_node *a = &ot->nodes[oi], *b = &nt->nodes[ni];
    if (a->kind != b->kind || a->flags != b->flags || a->handlers != b->handlers || a->x != b->x ||
        a->y != b->y || a->w != b->w || a->h != b->h || a->color != b->color || a->background != b->background ||
        a->text_size != b->text_size || a->font != b->font || a->align != b->align || a->stroke != b->stroke ||
        a->padding != b->padding || a->spacing != b->spacing || a->value != b->value || a->min != b->min ||
        a->max != b->max || a->radius != b->radius || a->data_len != b->data_len)
        return true;
    /* the window's text is its title, drawn in the decoration, not the content */
    if (a->kind != UI_KIND_WINDOW &&
        (a->text_len != b->text_len || memcmp(a->text, b->text, a->text_len) != 0))
        return true;
    if (a->data_len && memcmp(a->data, b->data, a->data_len) != 0)
        return true;
    if (!same_rect(a->rect, b->rect) || !same_rect(a->clip, b->clip) || a->scroll != b->scroll ||
        a->content_h != b->content_h)
        return true;
    return parent_id(ot, a) != parent_id(nt, b) || greyed(ot, oi) != greyed(nt, ni);
}

/* Merges rects that overlap until none do. */
static void merge_overlapping(struct damage *d) {
    bool merged = true;
    while (merged) {
        merged = false;
        for (int i = 0; i < d->n; i++) {
            for (int j = i + 1; j < d->n; j++) {
                if (ui_rect_empty(ui_rect_intersect(d->r[i], d->r[j])))
                    continue;
                d->r[i] = ui_rect_union(d->r[i], d->r[j]);
                d->r[j] = d->r[--d->n];
                merged = true;
                j = i;   /* r[i] grew: look at everything again */
            }
        }
    }
}

static int64_t area(struct ui_rect r) {
    return ui_rect_empty(r) ? 0 : (int64_t)r.w * r.h;
}

/* Merges the pair whose union adds the least area, until at most max are left. */
static void merge_to(struct damage *d, int max) {
    while (d->n > max) {
        int bi = 0, bj = 1;
        int64_t best = INT64_MAX;
        for (int i = 0; i < d->n; i++) {
            for (int j = i + 1; j < d->n; j++) {
                int64_t waste = area(ui_rect_union(d->r[i], d->r[j])) - area(d->r[i]) - area(d->r[j]);
                if (waste < best)
                    best = waste, bi = i, bj = j;
            }
        }
        d->r[bi] = ui_rect_union(d->r[bi], d->r[bj]);
        d->r[bj] = d->r[--d->n];
        merge_overlapping(d);   /* the bigger rect may now overlap others */
    }
}

int ui_tree_diff(const struct ui_tree *old, const struct ui_tree *now, struct ui_rect *out, int max) {
    if (!now || now->count == 0 || max <= 0)
        return 0;
    struct ui_rect content = {0, 0, now->width, now->height};
    struct damage *d = calloc(1, sizeof *d);
    if (!d || !old || old->count == 0 || old->width != now->width || old->height != now->height) {
        free(d);
        /* no old tree, a resized window, or no memory: all of it */
        if (ui_rect_empty(content))
            return 0;
        out[0] = content;
        return 1;
    }
    for (uint32_t i = 0; i < now->count; i++) {
        const struct ui_node *b = &now->nodes[i];
        uint32_t oi = ui_tree_find(old, b->id);
        if (oi == UI_NONE) {
            if (paints_itself(b))
                add(d, b->clip);
        } else if (looks_changed(old, oi, now, i)) {
            const struct ui_node *a = &old->nodes[oi];
            if (paints_itself(a))
                add(d, a->clip);
            if (paints_itself(b))
                add(d, b->clip);
        }
    }
    for (uint32_t i = 0; i < old->count; i++) {
        const struct ui_node *a = &old->nodes[i];
        if (ui_tree_find(now, a->id) == UI_NONE && paints_itself(a))
            add(d, a->clip);
    }
    int n;
    if (d->overflow) {
        out[0] = ui_rect_intersect(d->bounds, content);
        n = ui_rect_empty(out[0]) ? 0 : 1;
    } else {
        for (int i = 0; i < d->n; i++)
            d->r[i] = ui_rect_intersect(d->r[i], content);
        int k = 0;
        for (int i = 0; i < d->n; i++)
            if (!ui_rect_empty(d->r[i]))
                d->r[k++] = d->r[i];
        d->n = k;
        merge_overlapping(d);
        merge_to(d, max);
        memcpy(out, d->r, (size_t)d->n * sizeof *out);
        n = d->n;
    }
    free(d);
    return n;
}
