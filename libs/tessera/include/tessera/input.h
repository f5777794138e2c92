/*
 * Input events (keyboard and mouse) as the ps2 server delivers them, and the
 * shared ring a subscriber reads them from (servers/ps2/input.idl). Plain C
 * with fixed-width types: usable by freestanding programs and musl ones.
 *
 * Key codes are Linux's input event codes (KEY_A = 30 ...), named INPUT_KEY_*
 * here so they clash with nothing. For the keys of a PC keyboard they are the
 * scan code set 1 make codes, with the E0-prefixed keys moved above 95.
 */
#ifndef TESSERA_INPUT_H
#define TESSERA_INPUT_H

#include <stdbool.h>
#include <stdint.h>

/* ---- events ---- */

enum { INPUT_EV_KEY = 1, INPUT_EV_MOUSE = 2 };

/* Modifier state after the event (shift/ctrl/alt/meta: either side held;
 * caps/num: the lock is on). */
#define INPUT_MOD_SHIFT 0x01u
#define INPUT_MOD_CTRL 0x02u
#define INPUT_MOD_ALT 0x04u
#define INPUT_MOD_META 0x08u
#define INPUT_MOD_CAPS 0x10u
#define INPUT_MOD_NUM 0x20u

/* Mouse buttons held after the event. */
#define INPUT_BTN_LEFT 0x01u
#define INPUT_BTN_RIGHT 0x02u
#define INPUT_BTN_MIDDLE 0x04u

struct input_event {
    uint64_t time_ns;   /* sys_clock() when the device's byte was handled */
    uint16_t type;      /* INPUT_EV_* */
    uint16_t code;      /* key: INPUT_KEY_*; mouse: 0 */
    uint8_t down;       /* key: 1 pressed (or repeating), 0 released */
    uint8_t repeat;     /* key: 1 if this is the keyboard's typematic repeat of a held key */
    uint16_t mods;      /* INPUT_MOD_* after this event */
    uint32_t ch;        /* key presses: the character (Unicode, US layout) ignoring
                           ctrl/alt/meta, '\n' Enter, '\t' Tab, '\b' Backspace,
                           0x1b Escape; 0 for other keys and for releases */
    int16_t dx, dy;     /* mouse: motion in counts; dx > 0 right, dy > 0 down */
    int16_t wheel;      /* mouse: wheel clicks; > 0 up (away from the user) */
    uint16_t buttons;   /* mouse: INPUT_BTN_* held after this event */
    uint32_t reserved;
};
_Static_assert(sizeof(struct input_event) == 32, "input_event is 32 bytes");

/* ---- the ring a subscriber shares with ps2 ----
 * The subscriber creates a memory object (INPUT_RING_MIN_BYTES to
 * INPUT_RING_MAX_BYTES), maps it read/write and hands ps2 a handle to it. ps2
 * fills in the header when subscribe succeeds and from then on is the only
 * writer of head and dropped; the subscriber is the only writer of tail.
 * head and tail count events and wrap freely; slot = index & (capacity - 1).
 * ps2 trusts nothing it reads back: a full (or nonsensical) ring makes it
 * drop the event and count it in `dropped`, never wait. */
#define INPUT_RING_MAGIC 0x474e5249u   /* "IRNG" */
#define INPUT_RING_MIN_BYTES 4096u
#define INPUT_RING_MAX_BYTES 65536u

struct input_ring {
    uint32_t magic;      /* INPUT_RING_MAGIC once subscribed */
    uint32_t capacity;   /* events in events[]: a power of two */
    uint32_t head;       /* events written (ps2) */
    uint32_t tail;       /* events read (subscriber) */
    uint32_t dropped;    /* events lost because the ring was full (ps2) */
    uint32_t reserved[11];
    struct input_event events[];
};
_Static_assert(sizeof(struct input_ring) == 64, "input_ring header is 64 bytes");

/* Subscriber side: take the oldest event; false if the ring is empty. */
static inline bool input_ring_pop(struct input_ring *r, struct input_event *ev) {
    uint32_t tail = r->tail;
    uint32_t head = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);
    uint32_t cap = r->capacity;
    if (tail == head || cap == 0 || (cap & (cap - 1)))
        return false;
    *ev = r->events[tail & (cap - 1)];
    __atomic_store_n(&r->tail, tail + 1, __ATOMIC_RELEASE);
    return true;
}

/* ---- key codes (Linux input event codes) ---- */
enum {
    INPUT_KEY_NONE = 0,
    INPUT_KEY_ESC = 1,
    INPUT_KEY_1 = 2, INPUT_KEY_2, INPUT_KEY_3, INPUT_KEY_4, INPUT_KEY_5,
    INPUT_KEY_6, INPUT_KEY_7, INPUT_KEY_8, INPUT_KEY_9, INPUT_KEY_0,
    INPUT_KEY_MINUS = 12, INPUT_KEY_EQUAL = 13, INPUT_KEY_BACKSPACE = 14, INPUT_KEY_TAB = 15,
    INPUT_KEY_Q = 16, INPUT_KEY_W, INPUT_KEY_E, INPUT_KEY_R, INPUT_KEY_T,
    INPUT_KEY_Y, INPUT_KEY_U, INPUT_KEY_I, INPUT_KEY_O, INPUT_KEY_P,
    INPUT_KEY_LEFTBRACE = 26, INPUT_KEY_RIGHTBRACE = 27, INPUT_KEY_ENTER = 28,
    INPUT_KEY_LEFTCTRL = 29,
    INPUT_KEY_A = 30, INPUT_KEY_S, INPUT_KEY_D, INPUT_KEY_F, INPUT_KEY_G,
    INPUT_KEY_H, INPUT_KEY_J, INPUT_KEY_K, INPUT_KEY_L,
    INPUT_KEY_SEMICOLON = 39, INPUT_KEY_APOSTROPHE = 40, INPUT_KEY_GRAVE = 41,
    INPUT_KEY_LEFTSHIFT = 42, INPUT_KEY_BACKSLASH = 43,
    INPUT_KEY_Z = 44, INPUT_KEY_X, INPUT_KEY_C, INPUT_KEY_V, INPUT_KEY_B,
    INPUT_KEY_N, INPUT_KEY_M,
    INPUT_KEY_COMMA = 51, INPUT_KEY_DOT = 52, INPUT_KEY_SLASH = 53,
    INPUT_KEY_RIGHTSHIFT = 54, INPUT_KEY_KPASTERISK = 55, INPUT_KEY_LEFTALT = 56,
    INPUT_KEY_SPACE = 57, INPUT_KEY_CAPSLOCK = 58,
    INPUT_KEY_F1 = 59, INPUT_KEY_F2, INPUT_KEY_F3, INPUT_KEY_F4, INPUT_KEY_F5,
    INPUT_KEY_F6, INPUT_KEY_F7, INPUT_KEY_F8, INPUT_KEY_F9, INPUT_KEY_F10,
    INPUT_KEY_NUMLOCK = 69, INPUT_KEY_SCROLLLOCK = 70,
    INPUT_KEY_KP7 = 71, INPUT_KEY_KP8 = 72, INPUT_KEY_KP9 = 73, INPUT_KEY_KPMINUS = 74,
    INPUT_KEY_KP4 = 75, INPUT_KEY_KP5 = 76, INPUT_KEY_KP6 = 77, INPUT_KEY_KPPLUS = 78,
    INPUT_KEY_KP1 = 79, INPUT_KEY_KP2 = 80, INPUT_KEY_KP3 = 81, INPUT_KEY_KP0 = 82,
    INPUT_KEY_KPDOT = 83,
    INPUT_KEY_102ND = 86,   /* the extra key left of Z on ISO keyboards */
    INPUT_KEY_F11 = 87, INPUT_KEY_F12 = 88,
    INPUT_KEY_KPENTER = 96, INPUT_KEY_RIGHTCTRL = 97, INPUT_KEY_KPSLASH = 98,
    INPUT_KEY_SYSRQ = 99,   /* Print Screen */
    INPUT_KEY_RIGHTALT = 100,
    INPUT_KEY_HOME = 102, INPUT_KEY_UP = 103, INPUT_KEY_PAGEUP = 104,
    INPUT_KEY_LEFT = 105, INPUT_KEY_RIGHT = 106, INPUT_KEY_END = 107,
    INPUT_KEY_DOWN = 108, INPUT_KEY_PAGEDOWN = 109, INPUT_KEY_INSERT = 110,
    INPUT_KEY_DELETE = 111,
    INPUT_KEY_MUTE = 113, INPUT_KEY_VOLUMEDOWN = 114, INPUT_KEY_VOLUMEUP = 115,
    INPUT_KEY_POWER = 116, INPUT_KEY_PAUSE = 119,
    INPUT_KEY_LEFTMETA = 125, INPUT_KEY_RIGHTMETA = 126,
    INPUT_KEY_COMPOSE = 127,   /* the menu key */
    INPUT_KEY_MAX = 255
};

#endif
