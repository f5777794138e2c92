/*
 * The content-tree wire format between libui (apps) and the gui server, and
 * the event ring the server answers through (servers/gui/gui.idl).
 *
 * An app describes each window as a tree of nodes (seed "GUI Server":
 * Window -> Canvas -> Text, Button, ...). libui writes the tree into a memory
 * object the app shares with the server and calls gui.commit; the server
 * copies it out, validates all of it (ui_tree_decode in servers/gui/tree.c),
 * diffs it against the previous tree, lays it out and renders it with Cairo.
 * Apps never draw pixels.
 *
 * Layout of a tree buffer (little-endian, no pointers):
 *
 *     struct ui_wire_header
 *     struct ui_wire_node nodes[node_count]      node 0 is the UI_KIND_WINDOW
 *     uint8_t data[data_size]                    strings (UTF-8, no NUL needed),
 *                                                PNG images, path points
 *
 * A node names its parent by index, and a parent always comes before its
 * children, so the tree is valid in one forward pass; children are in index
 * order. Strings and blobs are (offset, length) pairs into data[].
 *
 * Plain C with fixed-width types: used by musl programs and host tests.
 */
#ifndef UI_WIRE_H
#define UI_WIRE_H

#include <stdint.h>

#define UI_WIRE_MAGIC 0x52544955u      /* "UITR" */
#define UI_WIRE_VERSION 1u

/* Limits the server enforces (a tree over them is rejected, not truncated). */
#define UI_TREE_MAX_BYTES (1u << 20)   /* one tree, header to end of data */
#define UI_TREE_MAX_NODES 4096u
#define UI_TREE_MAX_DEPTH 32u
#define UI_TEXT_MAX_BYTES 16384u       /* one string */
#define UI_IMAGE_MAX_BYTES (512u << 10)  /* one PNG */
#define UI_IMAGE_MAX_SIDE 2048u        /* decoded image width or height */
#define UI_PATH_MAX_POINTS 1024u
#define UI_COORD_MAX 16384             /* |x|, |y|, w, h, and every length */

struct ui_wire_header {
    uint32_t magic;          /* UI_WIRE_MAGIC */
    uint16_t version;        /* UI_WIRE_VERSION */
    uint16_t header_size;    /* sizeof(struct ui_wire_header) */
    uint32_t total_size;     /* header + nodes + data, <= UI_TREE_MAX_BYTES */
    uint32_t node_count;     /* 1 .. UI_TREE_MAX_NODES */
    uint32_t node_size;      /* sizeof(struct ui_wire_node) */
    uint32_t data_size;      /* bytes after the nodes */
    uint32_t generation;     /* the app's commit counter; events echo it */
    uint32_t reserved;       /* 0 */
};
_Static_assert(sizeof(struct ui_wire_header) == 32, "ui_wire_header is 32 bytes");

/* ---- node kinds ----
 * Containers lay out their children; widgets are leaves (a BUTTON may hold
 * one TEXT child as its label, as in the seed's example); draw primitives
 * are leaves of a CANVAS, placed by x/y in the canvas. */
enum ui_kind {
    UI_KIND_WINDOW = 1,    /* root only. text: title; w, h: content size (0: natural);
                              background: content colour. One child (or more, stacked as a column). */
    UI_KIND_COLUMN = 2,    /* children top to bottom; padding, spacing, align (cross axis) */
    UI_KIND_ROW = 3,       /* children left to right; padding, spacing, align (cross axis) */
    UI_KIND_CANVAS = 4,    /* children at their x, y (top-left, in canvas pixels); w, h: size
                              (0: the bounding box of the children); background fills it */
    UI_KIND_TEXT = 5,      /* text: body; text_size, font, color; UI_FLAG_WRAP wraps to the
                              width it gets; align: UI_ALIGN_START/CENTER/END horizontally */
    UI_KIND_BUTTON = 6,    /* text: label, or its one TEXT child; UI_EVENT_CLICK */
    UI_KIND_TEXT_INPUT = 7,/* text: the value; value: caret (byte offset); min: selection
                              anchor (== value: no selection); data: placeholder text;
                              w: width in pixels (0: 200); keys arrive as UI_EVENT_KEY */
    UI_KIND_CHECKBOX = 8,  /* text: label; value: 0 or 1; UI_EVENT_CHANGE carries the new value */
    UI_KIND_SLIDER = 9,    /* value in [min, max]; w: length (0: 160); UI_EVENT_CHANGE */
    UI_KIND_IMAGE = 10,    /* data: PNG bytes; w, h: shown size (0: the image's) */
    UI_KIND_LIST = 11,     /* a scrollable column of items (its children); value: selected
                              child index or -1; h: visible height (0: fill); UI_EVENT_SELECT;
                              UI_FLAG_STICK_END keeps the end in view as items are added */
    UI_KIND_SPACER = 12,   /* empty; w, h: minimum size; usually UI_FLAG_EXPAND */
    /* draw primitives (children of a CANVAS only) */
    UI_KIND_LINE = 16,     /* from (x, y) to (x + w, y + h); color; stroke: width */
    UI_KIND_RECT = 17,     /* x, y, w, h; radius: corner radius; background: fill;
                              color + stroke: outline (either may be absent) */
    UI_KIND_ARC = 18,      /* centre (x, y), radius; from angle min to max (degrees,
                              0 = 3 o'clock, clockwise); background: fill as a pie;
                              color + stroke: outline */
    UI_KIND_PATH = 19,     /* data: int32 pairs (x, y) relative to (x, y), 2 ..
                              UI_PATH_MAX_POINTS; UI_FLAG_CLOSED; background: fill;
                              color + stroke: outline */
    /* TEXT and IMAGE are also allowed in a canvas, placed at x, y. */
    UI_KIND_MAX = 19,
};

/* ---- node flags ---- */
#define UI_FLAG_EXPAND 0x0001u          /* takes a share of the parent's spare room (main axis) */
#define UI_FLAG_DISABLED 0x0002u        /* drawn greyed, gets no events */
#define UI_FLAG_HAS_COLOR 0x0004u       /* color is set (else the theme's) */
#define UI_FLAG_HAS_BACKGROUND 0x0008u  /* background is set (else none / the theme's) */
#define UI_FLAG_FOCUS 0x0010u           /* the app asks for keyboard focus here (once per commit) */
#define UI_FLAG_STICK_END 0x0020u       /* LIST: scroll to the end when it grows */
#define UI_FLAG_CLOSED 0x0040u          /* PATH: close the path */
#define UI_FLAG_WRAP 0x0080u            /* TEXT: wrap to the width given */
#define UI_FLAG_ALL 0x00ffu             /* any other bit is rejected */

/* text_size: the seed's UI_SIZE_* names (libui's ui.h uses the same values) */
enum { UI_SIZE_BODY = 0, UI_SIZE_H1 = 1, UI_SIZE_H2 = 2, UI_SIZE_H3 = 3, UI_SIZE_SMALL = 4,
       UI_SIZE_MAX = 4 };
/* font */
enum { UI_FONT_SANS = 0, UI_FONT_SANS_BOLD = 1, UI_FONT_MONO = 2, UI_FONT_MAX = 2 };
/* align: cross axis of a container's children; horizontal for TEXT */
enum { UI_ALIGN_START = 0, UI_ALIGN_CENTER = 1, UI_ALIGN_END = 2, UI_ALIGN_STRETCH = 3,
       UI_ALIGN_MAX = 3 };

/* handlers: the events an app wants for a node (the server sends no others) */
#define UI_WANT_CLICK (1u << 0)
#define UI_WANT_CHANGE (1u << 1)
#define UI_WANT_SELECT (1u << 2)
#define UI_WANT_KEY (1u << 3)     /* TEXT_INPUT, or the WINDOW for shortcuts */
#define UI_WANT_POINTER (1u << 4) /* CANVAS: press, release, move with the button held */
#define UI_WANT_ALL 0x1fu

struct ui_wire_node {
    uint32_t id;            /* the app's name for it: not 0, unique in the tree; events carry it */
    uint16_t kind;          /* enum ui_kind */
    uint16_t flags;         /* UI_FLAG_* */
    uint32_t parent;        /* index of the parent (< own index); UI_NO_PARENT for node 0 only */
    uint32_t handlers;      /* UI_WANT_* */
    int32_t x, y;           /* in a CANVAS: position; otherwise 0 */
    int32_t w, h;           /* see the kinds; 0 = natural size; never negative except LINE */
    uint32_t color;         /* 0xRRGGBBAA, with UI_FLAG_HAS_COLOR */
    uint32_t background;    /* 0xRRGGBBAA, with UI_FLAG_HAS_BACKGROUND */
    uint8_t text_size;      /* UI_SIZE_* */
    uint8_t font;           /* UI_FONT_* */
    uint8_t align;          /* UI_ALIGN_* */
    uint8_t stroke;         /* line width in pixels for LINE/RECT/ARC/PATH (0: 1) */
    uint16_t padding;       /* containers: inner margin on every side, <= 256 */
    uint16_t spacing;       /* containers: gap between children, <= 256 */
    int32_t value;          /* see the kinds */
    int32_t min, max;       /* see the kinds */
    uint32_t radius;        /* RECT corners, ARC radius, <= UI_COORD_MAX */
    uint32_t text_offset, text_len;   /* UTF-8 in data[] */
    uint32_t data_offset, data_len;   /* blob in data[] */
};
#define UI_NO_PARENT 0xffffffffu
_Static_assert(sizeof(struct ui_wire_node) == 80, "ui_wire_node is 80 bytes");

/* ---- events: server -> app ----
 * A ring in a memory object the app creates (UI_EVENT_RING_MIN_BYTES ..
 * UI_EVENT_RING_MAX_BYTES, read/write) and hands over with gui.connect; the
 * server posts the connect's notification bits after appending. The same
 * single-writer rules as the input ring (<tessera/input.h>): the server
 * writes head and dropped, the app writes tail, both count freely and wrap;
 * the server trusts nothing it reads back and never waits for the app. */
enum ui_event_type {
    UI_EVENT_CLICK = 1,     /* BUTTON (or a CANVAS with UI_WANT_CLICK): activated */
    UI_EVENT_CHANGE = 2,    /* CHECKBOX/SLIDER: value is the new value (the app re-commits it) */
    UI_EVENT_SELECT = 3,    /* LIST: value is the chosen child index */
    UI_EVENT_KEY = 4,       /* key press for the focused TEXT_INPUT (node) or the window (node 0) */
    UI_EVENT_CARET = 5,     /* TEXT_INPUT clicked/dragged: value = byte offset under the pointer,
                               down = 1 if it extends a selection (drag or shift-click) */
    UI_EVENT_POINTER = 6,   /* CANVAS with UI_WANT_POINTER: x, y in the canvas; down = buttons */
    UI_EVENT_CLOSE = 7,     /* the window's close button (node 0) */
    UI_EVENT_FOCUS = 8,     /* the window got (value 1) or lost (value 0) keyboard focus */
    UI_EVENT_THEME = 9,     /* the theme changed (everything is re-rendered anyway) */
    UI_EVENT_ERROR = 10,    /* a commit was rejected after it was accepted for later (value: -E_*) */
};

struct ui_event {
    uint32_t type;          /* enum ui_event_type */
    uint32_t window;        /* from gui.window_create */
    uint32_t node;          /* node id, 0 = the window itself */
    int32_t value;
    int32_t x, y;           /* pointer position relative to the node's top-left */
    uint32_t key;           /* INPUT_KEY_* (<tessera/input.h>) */
    uint32_t ch;            /* the character typed (Unicode), 0 if none */
    uint16_t mods;          /* INPUT_MOD_* */
    uint16_t down;          /* see the types */
    uint32_t generation;    /* the tree generation the server had when it sent this */
    uint64_t time_ns;       /* sys_clock() of the input that caused it (latency measurement) */
};
_Static_assert(sizeof(struct ui_event) == 48, "ui_event is 48 bytes");

#define UI_EVENT_RING_MAGIC 0x54564555u   /* "UEVT" */
#define UI_EVENT_RING_MIN_BYTES 4096u
#define UI_EVENT_RING_MAX_BYTES 65536u

struct ui_event_ring {
    uint32_t magic;         /* UI_EVENT_RING_MAGIC once connected (server) */
    uint32_t capacity;      /* events in events[]: a power of two (server) */
    uint32_t head;          /* events written (server) */
    uint32_t tail;          /* events read (app) */
    uint32_t dropped;       /* events lost to a full ring (server) */
    uint32_t reserved[11];
    struct ui_event events[];
};
_Static_assert(sizeof(struct ui_event_ring) == 64, "ui_event_ring header is 64 bytes");

#endif
