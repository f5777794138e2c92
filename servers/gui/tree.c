/*
 * ui_tree_decode: checks an app's tree buffer (libs/libui/include/ui/wire.h)
 * and builds the server's own copy of it. The buffer is shared with the app,
 * so it is copied first and only the copy is read; everything is checked in
 * one forward pass before anything is believed (parents come before their
 * children, so a node's parent is already known to be good).
 *
 * Allocation sizes never come from unchecked numbers: the private copy is at
 * most UI_TREE_MAX_BYTES, the node array at most UI_TREE_MAX_NODES, and the
 * arena holding the strings and blobs at most UI_TREE_MAX_BYTES plus a NUL
 * per node and field.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <common/utf8.h>
#include <tessera/abi.h>
#include "tree.h"

#define MAX_PADDING 256
#define PNG_MIN_BYTES 33   /* signature, IHDR length, type, 13 bytes of IHDR, CRC */

static const char empty_string[] = "";

static void set_reason(char *reason, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void set_reason(char *reason, size_t cap, const char *fmt, ...) {
    if (!reason || cap == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, cap, fmt, ap);
    va_end(ap);
}

/* ---- small helpers ---- */

static bool kind_known(uint32_t kind) {
    return (kind >= UI_KIND_WINDOW && kind <= UI_KIND_SPACER) || (kind >= UI_KIND_LINE && kind <= UI_KIND_PATH);
}

static bool kind_is_primitive(uint32_t kind) {
    return kind >= UI_KIND_LINE && kind <= UI_KIND_PATH;
}

/* Kinds that lay out children (a BUTTON's one label is handled apart). */
static bool kind_is_container(uint32_t kind) {
    return kind == UI_KIND_WINDOW || kind == UI_KIND_COLUMN || kind == UI_KIND_ROW || kind == UI_KIND_LIST ||
           kind == UI_KIND_CANVAS;
}

static const char *kind_name(uint32_t kind) {
    static const char *const names[] = {
        [UI_KIND_WINDOW] = "WINDOW",   [UI_KIND_COLUMN] = "COLUMN",         [UI_KIND_ROW] = "ROW",
        [UI_KIND_CANVAS] = "CANVAS",   [UI_KIND_TEXT] = "TEXT",             [UI_KIND_BUTTON] = "BUTTON",
        [UI_KIND_TEXT_INPUT] = "TEXT_INPUT", [UI_KIND_CHECKBOX] = "CHECKBOX", [UI_KIND_SLIDER] = "SLIDER",
        [UI_KIND_IMAGE] = "IMAGE",     [UI_KIND_LIST] = "LIST",             [UI_KIND_SPACER] = "SPACER",
        [UI_KIND_LINE] = "LINE",       [UI_KIND_RECT] = "RECT",             [UI_KIND_ARC] = "ARC",
        [UI_KIND_PATH] = "PATH",
    };
    return kind < sizeof names / sizeof names[0] && names[kind] ? names[kind] : "?";
}

static uint32_t read_be32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/*
 * Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above
 * U+10FFFF; NUL is refused too (strings are handed on NUL-terminated).
 * Returns the offset of the first bad byte, or len if all is well.
 */
static uint32_t utf8_check(const uint8_t *s, uint32_t len) {
    uint32_t i = 0;
    while (i < len) {
        int n = s[i] ? utf8_char_len(s + i, len - i) : 0;
        if (n <= 0)
            return i;
        i += (uint32_t)n;
    }
    return len;
}

/* ---- the id index: open addressing, a power of two at least twice the nodes ---- */

static uint32_t id_hash(uint32_t id) {
    id ^= id >> 16;
    id *= 0x7feb352du;
    id ^= id >> 15;
    id *= 0x846ca68bu;
    id ^= id >> 16;
    return id;
}

/* Slot of `id` in the index, or of the empty slot where it would go. The
 * index holds node index + 1 (0 = empty). */
static uint32_t id_slot(const struct ui_tree *t, const struct ui_node *nodes, uint32_t id) {
    uint32_t slot = id_hash(id) & t->id_mask;
    while (t->id_index[slot] && nodes[t->id_index[slot] - 1].id != id)
        slot = (slot + 1) & t->id_mask;
    return slot;
}

uint32_t ui_tree_find(const struct ui_tree *t, uint32_t id) {
    if (!t || !t->id_index || id == 0)
        return UI_NONE;
    uint32_t e = t->id_index[id_slot(t, t->nodes, id)];
    return e ? e - 1 : UI_NONE;
}

void ui_tree_free(struct ui_tree *t) {
    if (!t)
        return;
    free(t->nodes);
    free(t->arena);
    free(t->id_index);
    memset(t, 0, sizeof *t);
}

/* ---- header ---- */

static int check_header(const struct ui_wire_header *h, size_t size, char *reason, size_t cap) {
    if (h->magic != UI_WIRE_MAGIC) {
        set_reason(reason, cap, "header: bad magic 0x%08x", h->magic);
        return -E_INVAL;
    }
    if (h->version != UI_WIRE_VERSION) {
        set_reason(reason, cap, "header: version %u, expected %u", h->version, UI_WIRE_VERSION);
        return -E_INVAL;
    }
    if (h->header_size != sizeof(struct ui_wire_header) || h->node_size != sizeof(struct ui_wire_node)) {
        set_reason(reason, cap, "header: header_size %u / node_size %u, expected %zu / %zu", h->header_size,
                   h->node_size, sizeof(struct ui_wire_header), sizeof(struct ui_wire_node));
        return -E_INVAL;
    }
    if (h->reserved != 0) {
        set_reason(reason, cap, "header: reserved is 0x%x, not 0", h->reserved);
        return -E_INVAL;
    }
    if (h->node_count == 0 || h->node_count > UI_TREE_MAX_NODES) {
        set_reason(reason, cap, "header: %u nodes (1 .. %u)", h->node_count, UI_TREE_MAX_NODES);
        return h->node_count == 0 ? -E_INVAL : -E_RANGE;
    }
    if (h->total_size > UI_TREE_MAX_BYTES) {
        set_reason(reason, cap, "header: total_size %u over the limit of %u bytes", h->total_size,
                   UI_TREE_MAX_BYTES);
        return -E_RANGE;
    }
    uint64_t expect = (uint64_t)sizeof(struct ui_wire_header) + (uint64_t)h->node_count * sizeof(struct ui_wire_node) +
                      h->data_size;
    if (h->total_size != expect) {
        set_reason(reason, cap, "header: total_size %u is not header + %u nodes + %u data bytes (%llu)",
                   h->total_size, h->node_count, h->data_size, (unsigned long long)expect);
        return -E_INVAL;
    }
    if (h->total_size > size) {
        set_reason(reason, cap, "header: total_size %u but only %zu bytes committed", h->total_size, size);
        return -E_RANGE;
    }
    return 0;
}

/* ---- one node ---- */

struct decoder {
    const struct ui_wire_header *hdr;
    const uint8_t *data;        /* data[] in the private copy */
    struct ui_tree *t;
    uint64_t arena_need;        /* bytes the strings and blobs will take */
    char *reason;
    size_t cap;
};

#define FAIL(code, ...)                                                                           \
    do {                                                                                          \
        char msg_[160];                                                                           \
        snprintf(msg_, sizeof msg_, __VA_ARGS__);                                                 \
        set_reason(d->reason, d->cap, "node %u (id %u): %s", index, w->id, msg_);                 \
        return (code);                                                                            \
    } while (0)

/* A (offset, len) range inside data[]; 0 or -E_*. */
static int check_range(struct decoder *d, uint32_t index, const struct ui_wire_node *w, const char *what,
                       uint32_t offset, uint32_t len) {
    if (len && (uint64_t)offset + len > d->hdr->data_size)
        FAIL(-E_RANGE, "%s bytes %u + %u outside the %u data bytes", what, offset, len, d->hdr->data_size);
    return 0;
}

static int check_string(struct decoder *d, uint32_t index, const struct ui_wire_node *w, const char *what,
                        uint32_t offset, uint32_t len) {
    int err = check_range(d, index, w, what, offset, len);
    if (err)
        return err;
    if (len > UI_TEXT_MAX_BYTES)
        FAIL(-E_RANGE, "%s is %u bytes (at most %u)", what, len, UI_TEXT_MAX_BYTES);
    uint32_t bad = len ? utf8_check(d->data + offset, len) : 0;
    if (bad != len)
        FAIL(-E_INVAL, "%s is not valid UTF-8 (or has a NUL) at byte %u", what, bad);
    return 0;
}

static int check_png(struct decoder *d, uint32_t index, const struct ui_wire_node *w, uint32_t *width,
                     uint32_t *height) {
    static const uint8_t signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    if (w->data_len > UI_IMAGE_MAX_BYTES)
        FAIL(-E_RANGE, "image is %u bytes (at most %u)", w->data_len, UI_IMAGE_MAX_BYTES);
    if (w->data_len < PNG_MIN_BYTES)
        FAIL(-E_INVAL, "image data is %u bytes, too short for a PNG", w->data_len);
    const uint8_t *p = d->data + w->data_offset;
    if (memcmp(p, signature, sizeof signature) != 0)
        FAIL(-E_INVAL, "image data is not a PNG (bad signature)");
    if (read_be32(p + 8) != 13 || memcmp(p + 12, "IHDR", 4) != 0)
        FAIL(-E_INVAL, "image PNG does not start with a 13-byte IHDR chunk");
    uint32_t iw = read_be32(p + 16), ih = read_be32(p + 20);
    if (iw == 0 || ih == 0 || iw > UI_IMAGE_MAX_SIDE || ih > UI_IMAGE_MAX_SIDE)
        FAIL(-E_RANGE, "image is %ux%u pixels (each side 1 .. %u)", iw, ih, UI_IMAGE_MAX_SIDE);
    *width = iw;
    *height = ih;
    return 0;
}

static int check_path(struct decoder *d, uint32_t index, const struct ui_wire_node *w) {
    if (w->data_len % 8)
        FAIL(-E_INVAL, "path data is %u bytes, not whole (x, y) pairs", w->data_len);
    uint32_t points = w->data_len / 8;
    if (points < 2 || points > UI_PATH_MAX_POINTS)
        FAIL(points < 2 ? -E_INVAL : -E_RANGE, "path has %u points (2 .. %u)", points, UI_PATH_MAX_POINTS);
    const uint8_t *p = d->data + w->data_offset;
    for (uint32_t i = 0; i < points * 2; i++) {
        int32_t v;
        memcpy(&v, p + i * 4, 4);
        if (v < -UI_COORD_MAX || v > UI_COORD_MAX)
            FAIL(-E_RANGE, "path point %u has coordinate %d (|v| <= %d)", i / 2, v, UI_COORD_MAX);
    }
    return 0;
}

/* Is `offset` at a character boundary of the (already checked) string? */
static bool utf8_boundary(const uint8_t *s, uint32_t len, uint32_t offset) {
    return offset == len || (s[offset] & 0xc0) != 0x80;
}

static int decode_node(struct decoder *d, uint32_t index, const struct ui_wire_node *w) {
    struct ui_tree *t = d->t;
    struct ui_node *n = &t->nodes[index];
    uint32_t image_w = 0, image_h = 0;
    int err;

    if (!kind_known(w->kind))
        FAIL(-E_INVAL, "unknown kind %u", w->kind);
    if (w->id == 0)
        FAIL(-E_INVAL, "id 0 is reserved for the window itself");
    if (index == 0) {
        if (w->kind != UI_KIND_WINDOW)
            FAIL(-E_INVAL, "the root is a %s, not a WINDOW", kind_name(w->kind));
        if (w->parent != UI_NO_PARENT)
            FAIL(-E_INVAL, "the root has parent %u, not none", w->parent);
    } else {
        if (w->kind == UI_KIND_WINDOW)
            FAIL(-E_INVAL, "a WINDOW that is not the root");
        if (w->parent >= index)
            FAIL(-E_INVAL, "parent %u is not before it", w->parent);
    }
    uint32_t slot = id_slot(t, t->nodes, w->id);
    if (t->id_index[slot])
        FAIL(-E_INVAL, "id %u is also node %u's", w->id, t->id_index[slot] - 1);
    if (w->flags & ~UI_FLAG_ALL)
        FAIL(-E_INVAL, "unknown flags 0x%x", w->flags & ~UI_FLAG_ALL);
    if (w->handlers & ~UI_WANT_ALL)
        FAIL(-E_INVAL, "unknown handlers 0x%x", w->handlers & ~UI_WANT_ALL);
    if (w->text_size > UI_SIZE_MAX || w->font > UI_FONT_MAX || w->align > UI_ALIGN_MAX)
        FAIL(-E_INVAL, "text_size %u / font %u / align %u out of range", w->text_size, w->font, w->align);
    if (w->padding > MAX_PADDING || w->spacing > MAX_PADDING)
        FAIL(-E_RANGE, "padding %u / spacing %u over %d", w->padding, w->spacing, MAX_PADDING);
    if (w->x < -UI_COORD_MAX || w->x > UI_COORD_MAX || w->y < -UI_COORD_MAX || w->y > UI_COORD_MAX)
        FAIL(-E_RANGE, "position %d,%d outside +-%d", w->x, w->y, UI_COORD_MAX);
    int32_t min_size = w->kind == UI_KIND_LINE ? -UI_COORD_MAX : 0;
    if (w->w < min_size || w->w > UI_COORD_MAX || w->h < min_size || w->h > UI_COORD_MAX)
        FAIL(-E_RANGE, "size %dx%d outside %d .. %d", w->w, w->h, min_size, UI_COORD_MAX);
    if (w->radius > UI_COORD_MAX)
        FAIL(-E_RANGE, "radius %u over %d", w->radius, UI_COORD_MAX);

    /* where it may be */
    if (index > 0) {
        const struct ui_node *p = &t->nodes[w->parent];
        if (p->kind == UI_KIND_BUTTON) {
            if (w->kind != UI_KIND_TEXT || p->child_count > 0)
                FAIL(-E_INVAL, "a BUTTON holds one TEXT label and nothing else (this is a %s)", kind_name(w->kind));
        } else if (!kind_is_container(p->kind)) {
            FAIL(-E_INVAL, "parent %u is a %s, which has no children", w->parent, kind_name(p->kind));
        } else if (kind_is_primitive(w->kind) && p->kind != UI_KIND_CANVAS) {
            FAIL(-E_INVAL, "a %s outside a CANVAS (parent %u is a %s)", kind_name(w->kind), w->parent,
                 kind_name(p->kind));
        }
        if (p->depth + 1 > UI_TREE_MAX_DEPTH)
            FAIL(-E_RANGE, "deeper than %u levels", UI_TREE_MAX_DEPTH);
    }

    /* strings and blobs */
    if ((err = check_string(d, index, w, "text", w->text_offset, w->text_len)))
        return err;
    if ((err = check_range(d, index, w, "data", w->data_offset, w->data_len)))
        return err;
    switch (w->kind) {
    case UI_KIND_IMAGE:
        if ((err = check_png(d, index, w, &image_w, &image_h)))
            return err;
        break;
    case UI_KIND_PATH:
        if ((err = check_path(d, index, w)))
            return err;
        break;
    case UI_KIND_TEXT_INPUT:
        if ((err = check_string(d, index, w, "placeholder", w->data_offset, w->data_len)))
            return err;
        if (w->value < 0 || (uint32_t)w->value > w->text_len || w->min < 0 || (uint32_t)w->min > w->text_len)
            FAIL(-E_RANGE, "caret %d / anchor %d outside the text's %u bytes", w->value, w->min, w->text_len);
        if (!utf8_boundary(d->data + w->text_offset, w->text_len, (uint32_t)w->value) ||
            !utf8_boundary(d->data + w->text_offset, w->text_len, (uint32_t)w->min))
            FAIL(-E_INVAL, "caret %d / anchor %d inside a character", w->value, w->min);
        break;
    case UI_KIND_SLIDER:
        if (w->min > w->max)
            FAIL(-E_INVAL, "slider min %d above max %d", w->min, w->max);
        break;
    case UI_KIND_CHECKBOX:
        if (w->value != 0 && w->value != 1)
            FAIL(-E_INVAL, "checkbox value %d (0 or 1)", w->value);
        break;
    default:
        break;
    }
    d->arena_need += (uint64_t)w->text_len + 1 + (w->data_len ? (uint64_t)w->data_len + 1 : 0);
    if (d->arena_need > UI_TREE_MAX_BYTES + 2ull * (index + 1))
        FAIL(-E_RANGE, "the strings and data of the nodes so far add up to over %u bytes", UI_TREE_MAX_BYTES);

    /* accepted: fill in the node and link it in */
    *n = (struct ui_node){
        .id = w->id, .kind = w->kind, .flags = w->flags, .parent = index ? w->parent : UI_NONE,
        .handlers = w->handlers, .x = w->x, .y = w->y, .w = w->w, .h = w->h,
        .color = w->color, .background = w->background, .text_size = w->text_size, .font = w->font,
        .align = w->align, .stroke = w->stroke, .padding = w->padding, .spacing = w->spacing,
        .value = w->value, .min = w->min, .max = w->max, .radius = w->radius,
        .text = empty_string, .text_len = w->text_len, .data = NULL, .data_len = w->data_len,
        .placeholder = empty_string, .image_w = image_w, .image_h = image_h,
        .first_child = UI_NONE, .last_child = UI_NONE, .next_sibling = UI_NONE,
        .child_count = 0, .depth = 0,
    };
    if (n->kind == UI_KIND_SLIDER)
        n->value = n->value < n->min ? n->min : n->value > n->max ? n->max : n->value;
    if (index > 0) {
        struct ui_node *p = &t->nodes[w->parent];
        n->depth = p->depth + 1;
        if (p->last_child == UI_NONE)
            p->first_child = index;
        else
            t->nodes[p->last_child].next_sibling = index;
        p->last_child = index;
        p->child_count++;
    }
    t->id_index[slot] = index + 1;
    return 0;
}

#undef FAIL

/* Copies the checked strings and blobs into one arena. */
static int fill_arena(struct decoder *d, const struct ui_wire_node *wire) {
    struct ui_tree *t = d->t;
    char *a = malloc(d->arena_need ? d->arena_need : 1);
    if (!a) {
        set_reason(d->reason, d->cap, "out of memory for %llu bytes of strings", (unsigned long long)d->arena_need);
        return -E_NOMEM;
    }
    t->arena = a;
    for (uint32_t i = 0; i < t->count; i++) {
        struct ui_node *n = &t->nodes[i];
        struct ui_wire_node w;
        memcpy(&w, &wire[i], sizeof w);
        memcpy(a, d->data + w.text_offset, w.text_len);
        a[w.text_len] = 0;
        n->text = a;
        a += w.text_len + 1;
        if (w.data_len) {
            memcpy(a, d->data + w.data_offset, w.data_len);
            a[w.data_len] = 0;   /* so a TEXT_INPUT's placeholder is a C string */
            n->data = (const uint8_t *)a;
            if (n->kind == UI_KIND_TEXT_INPUT)
                n->placeholder = a;
            a += w.data_len + 1;
        }
    }
    return 0;
}

int ui_tree_decode(const void *buf, size_t size, struct ui_tree *out, char *reason, size_t reason_cap) {
    struct ui_wire_header hdr;
    int err;

    memset(out, 0, sizeof *out);
    set_reason(reason, reason_cap, "%s", "");
    if (!buf || size < sizeof hdr) {
        set_reason(reason, reason_cap, "header: %zu bytes, less than the %zu-byte header", buf ? size : 0,
                   sizeof hdr);
        return -E_INVAL;
    }
    /* A first look at the header decides how much to copy; the copy's header
     * is what counts (the app may have changed it meanwhile). */
    memcpy(&hdr, buf, sizeof hdr);
    if ((err = check_header(&hdr, size, reason, reason_cap)))
        return err;
    uint32_t copied = hdr.total_size;
    uint8_t *copy = malloc(copied);
    if (!copy) {
        set_reason(reason, reason_cap, "out of memory for a %u-byte tree", copied);
        return -E_NOMEM;
    }
    memcpy(copy, buf, copied);
    memcpy(&hdr, copy, sizeof hdr);
    if ((err = check_header(&hdr, copied, reason, reason_cap)))
        goto out;

    struct ui_tree *t = out;
    t->count = hdr.node_count;
    t->generation = hdr.generation;
    uint32_t index_size = 16;
    while (index_size < 2 * hdr.node_count)
        index_size *= 2;
    t->id_mask = index_size - 1;
    t->nodes = calloc(hdr.node_count, sizeof *t->nodes);
    t->id_index = calloc(index_size, sizeof *t->id_index);
    if (!t->nodes || !t->id_index) {
        set_reason(reason, reason_cap, "out of memory for %u nodes", hdr.node_count);
        err = -E_NOMEM;
        goto out;
    }
    const struct ui_wire_node *wire = (const struct ui_wire_node *)(copy + sizeof hdr);
    struct decoder d = {
        .hdr = &hdr, .data = copy + sizeof hdr + (size_t)hdr.node_count * sizeof(struct ui_wire_node),
        .t = t, .reason = reason, .cap = reason_cap,
    };
    for (uint32_t i = 0; i < hdr.node_count; i++) {
        struct ui_wire_node w;
        memcpy(&w, &wire[i], sizeof w);   /* no alignment assumed */
        if ((err = decode_node(&d, i, &w)))
            goto out;
    }
    /* checks that need the children known */
    for (uint32_t i = 0; i < hdr.node_count; i++) {
        const struct ui_node *n = &t->nodes[i];
        if (n->kind == UI_KIND_LIST && (n->value < -1 || (n->value >= 0 && (uint32_t)n->value >= n->child_count))) {
            set_reason(reason, reason_cap, "node %u (id %u): list selection %d, but it has %u items", i, n->id,
                       n->value, n->child_count);
            err = -E_RANGE;
            goto out;
        }
    }
    err = fill_arena(&d, wire);
out:
    free(copy);
    if (err)
        ui_tree_free(out);
    return err;
}
