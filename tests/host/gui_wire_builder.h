/*
 * Builds content-tree wire buffers (libs/libui/include/ui/wire.h) for the gui
 * server's host tests, independent of libui's own encoder: nodes are plain
 * struct ui_wire_node values a test may set any field of (also bad ones),
 * strings and blobs go into data[], and wb_finish lays out the buffer.
 */
#ifndef GUI_WIRE_BUILDER_H
#define GUI_WIRE_BUILDER_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <ui/wire.h>

#define WB_MAX_NODES (UI_TREE_MAX_NODES + 2)
#define WB_MAX_DATA (UI_TREE_MAX_BYTES + 4096)

struct wb {
    struct ui_wire_header hdr;
    struct ui_wire_node nodes[WB_MAX_NODES];
    uint32_t count;
    uint8_t data[WB_MAX_DATA];
    uint32_t data_size;
    uint8_t *buf;           /* from wb_finish */
    size_t size;
};

static struct wb *wb_new(void) {
    struct wb *b = calloc(1, sizeof *b);
    b->hdr = (struct ui_wire_header){
        .magic = UI_WIRE_MAGIC, .version = UI_WIRE_VERSION, .header_size = sizeof(struct ui_wire_header),
        .node_size = sizeof(struct ui_wire_node), .generation = 1,
    };
    return b;
}

static void wb_free(struct wb *b) {
    free(b->buf);
    free(b);
}

/* A node with id `id` under node index `parent` (UI_NO_PARENT for the root); its index. */
static uint32_t wb_node(struct wb *b, uint32_t parent, uint16_t kind, uint32_t id) {
    uint32_t i = b->count++;
    b->nodes[i] = (struct ui_wire_node){.id = id, .kind = kind, .parent = parent};
    return i;
}

/* Bytes appended to data[]; their offset. */
static uint32_t wb_bytes(struct wb *b, const void *p, uint32_t len) {
    uint32_t off = b->data_size;
    memcpy(b->data + off, p, len);
    b->data_size += len;
    return off;
}

static void wb_text(struct wb *b, uint32_t node, const char *s) {
    b->nodes[node].text_len = (uint32_t)strlen(s);
    b->nodes[node].text_offset = wb_bytes(b, s, (uint32_t)strlen(s));
}

static void wb_data(struct wb *b, uint32_t node, const void *p, uint32_t len) {
    b->nodes[node].data_len = len;
    b->nodes[node].data_offset = wb_bytes(b, p, len);
}

/* A minimal PNG: signature and an IHDR chunk of w x h (the decoder reads no further). */
static void wb_png(struct wb *b, uint32_t node, uint32_t w, uint32_t h) {
    uint8_t png[33] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R'};
    for (int k = 0; k < 4; k++) {
        png[16 + k] = (uint8_t)(w >> (24 - 8 * k));
        png[20 + k] = (uint8_t)(h >> (24 - 8 * k));
    }
    png[24] = 8, png[25] = 6;   /* 8-bit RGBA */
    wb_data(b, node, png, sizeof png);
}

static void wb_path(struct wb *b, uint32_t node, const int32_t *xy, uint32_t points) {
    wb_data(b, node, xy, points * 8);
}

/* The buffer: header (count, sizes filled in unless the test set them), nodes, data. */
static void wb_finish(struct wb *b) {
    free(b->buf);
    if (!b->hdr.node_count)
        b->hdr.node_count = b->count;
    b->hdr.data_size = b->data_size;
    b->size = sizeof b->hdr + (size_t)b->count * sizeof(struct ui_wire_node) + b->data_size;
    if (!b->hdr.total_size)
        b->hdr.total_size = (uint32_t)b->size;
    b->buf = malloc(b->size);
    memcpy(b->buf, &b->hdr, sizeof b->hdr);
    memcpy(b->buf + sizeof b->hdr, b->nodes, (size_t)b->count * sizeof(struct ui_wire_node));
    memcpy(b->buf + sizeof b->hdr + (size_t)b->count * sizeof(struct ui_wire_node), b->data, b->data_size);
}

#endif
