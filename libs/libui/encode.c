/*
 * A window's widget tree -> the wire format of ui/wire.h: the header, the
 * nodes in pre-order (so every parent comes before its children, children in
 * order) and the data area with the strings and blobs. No IPC here (host
 * tests use this file); connect.c writes into the window's shared memory.
 */
#include <stdio.h>
#include <string.h>
#include "internal.h"

/* Pre-order successor of w within the tree rooted at root, or NULL. */
static uint32_t align4(uint32_t n) {
    return (n + 3u) & ~3u;
}

/* The bytes a node needs in the data area (blobs start 4-aligned: path points are int32). */
static uint64_t data_need(const struct ui_widget *w) {
    uint64_t n = w->text_len;
    if (w->data_len)
        n += 3 + (uint64_t)w->data_len;
    return n;
}

long ui__encode(struct ui_widget *win, void *buf, size_t cap, uint32_t generation, char *reason,
                size_t reason_cap) {
    if (!win || win->kind != UI_KIND_WINDOW) {
        snprintf(reason, reason_cap, "not a window");
        return -E_INVAL;
    }
    /* Pass 1: count nodes and data to check the size before writing anything. */
    uint64_t count = 0, data = 0;
    for (struct ui_widget *w = win; w; w = ui__next_in_tree(w, win)) {
        count++;
        data += data_need(w);
    }
    if (count > UI_TREE_MAX_NODES) {
        snprintf(reason, reason_cap, "%llu nodes (at most %u)", (unsigned long long)count, UI_TREE_MAX_NODES);
        return -E_RANGE;
    }
    uint64_t nodes_end = sizeof(struct ui_wire_header) + count * sizeof(struct ui_wire_node);
    uint64_t limit = cap < UI_TREE_MAX_BYTES ? cap : UI_TREE_MAX_BYTES;
    if (nodes_end + data > limit) {
        snprintf(reason, reason_cap, "the tree needs %llu bytes (at most %llu)",
                 (unsigned long long)(nodes_end + data), (unsigned long long)limit);
        return -E_RANGE;
    }

    /* Pass 2: nodes and data. */
    uint8_t *out = buf;
    struct ui_wire_node *nodes = (struct ui_wire_node *)(out + sizeof(struct ui_wire_header));
    uint8_t *data_area = out + nodes_end;
    uint32_t used = 0, index = 0;
    for (struct ui_widget *w = win; w; w = ui__next_in_tree(w, win), index++) {
        struct ui_wire_node n;
        memset(&n, 0, sizeof(n));
        w->wire_index = index;
        bool in_canvas = w->parent && w->parent->kind == UI_KIND_CANVAS;
        n.id = w->id;
        n.kind = w->kind;
        n.flags = (uint16_t)((w->flags & UI_FLAG_ALL & ~UI_FLAG_FOCUS) | (w->focus_pending ? UI_FLAG_FOCUS : 0));
        n.parent = w->parent ? w->parent->wire_index : UI_NO_PARENT;
        n.handlers = ui__handlers(w);
        n.x = in_canvas ? w->x : 0;
        n.y = in_canvas ? w->y : 0;
        n.w = w->w;
        n.h = w->h;
        n.color = w->color;
        n.background = w->background;
        n.text_size = w->text_size;
        n.font = w->font;
        n.align = w->align;
        n.stroke = w->stroke;
        n.padding = w->padding;
        n.spacing = w->spacing;
        n.value = w->value;
        if (w->kind == UI_KIND_LIST && w->value >= 0) {
            /* A selection past the last item (the list was emptied) is none. */
            int items = 0;
            for (struct ui_widget *c = w->first_child; c; c = c->next)
                items++;
            if (w->value >= items)
                n.value = -1;
        }
        n.min = w->min;
        n.max = w->max;
        n.radius = w->radius;
        if (w->text_len) {
            memcpy(data_area + used, w->text, w->text_len);
            n.text_offset = used;
            n.text_len = w->text_len;
            used += w->text_len;
        }
        if (w->data_len) {
            uint32_t start = align4(used);
            memset(data_area + used, 0, start - used);
            memcpy(data_area + start, w->data, w->data_len);
            n.data_offset = start;
            n.data_len = w->data_len;
            used = start + w->data_len;
        }
        memcpy(&nodes[index], &n, sizeof(n));
    }

    struct ui_wire_header h = {
        .magic = UI_WIRE_MAGIC,
        .version = UI_WIRE_VERSION,
        .header_size = sizeof(struct ui_wire_header),
        .total_size = (uint32_t)(nodes_end + used),
        .node_count = (uint32_t)count,
        .node_size = sizeof(struct ui_wire_node),
        .data_size = used,
        .generation = generation,
    };
    memcpy(out, &h, sizeof(h));
    if (reason_cap)
        reason[0] = '\0';
    return (long)h.total_size;
}
