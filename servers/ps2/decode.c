/*
 * Scan codes, mouse packets and rings; see decode.h. The keyboard runs with
 * the i8042's translation on, so whatever set the keyboard speaks we get scan
 * code set 1: a make code below 0x80, its break code with 0x80 added, 0xE0
 * before the extended keys, and Pause as E1 1D 45 E1 9D C5 (no break).
 */
#include "decode.h"

/* ---- keyboard ---- */

/* E0-prefixed set 1 make codes and their key codes; others are ignored
 * (0x2A/0x36 after E0 are the "fake shifts" some keys send around themselves). */
static const uint8_t e0_keys[][2] = {
    {0x1c, INPUT_KEY_KPENTER}, {0x1d, INPUT_KEY_RIGHTCTRL}, {0x20, INPUT_KEY_MUTE},
    {0x2e, INPUT_KEY_VOLUMEDOWN}, {0x30, INPUT_KEY_VOLUMEUP}, {0x35, INPUT_KEY_KPSLASH},
    {0x37, INPUT_KEY_SYSRQ}, {0x38, INPUT_KEY_RIGHTALT}, {0x46, INPUT_KEY_PAUSE},   /* Ctrl+Pause */
    {0x47, INPUT_KEY_HOME}, {0x48, INPUT_KEY_UP}, {0x49, INPUT_KEY_PAGEUP},
    {0x4b, INPUT_KEY_LEFT}, {0x4d, INPUT_KEY_RIGHT}, {0x4f, INPUT_KEY_END},
    {0x50, INPUT_KEY_DOWN}, {0x51, INPUT_KEY_PAGEDOWN}, {0x52, INPUT_KEY_INSERT},
    {0x53, INPUT_KEY_DELETE}, {0x5b, INPUT_KEY_LEFTMETA}, {0x5c, INPUT_KEY_RIGHTMETA},
    {0x5d, INPUT_KEY_COMPOSE}, {0x5e, INPUT_KEY_POWER},
};

static uint16_t set1_key(uint8_t make, bool e0) {
    if (e0) {
        for (unsigned i = 0; i < sizeof(e0_keys) / sizeof(e0_keys[0]); i++)
            if (e0_keys[i][0] == make)
                return e0_keys[i][1];
        return INPUT_KEY_NONE;
    }
    if (make == 0x54)
        return INPUT_KEY_SYSRQ;   /* Alt+Print Screen */
    /* Up to F12 the Linux codes are the set 1 make codes (0x55 is no key). */
    if (make >= 0x01 && make <= 0x58 && make != 0x55)
        return make;
    return INPUT_KEY_NONE;
}

static bool is_held(const struct kbd_state *k, uint16_t code) {
    return k->held[code / 8] & (1u << (code % 8));
}

static void set_held(struct kbd_state *k, uint16_t code, bool down) {
    if (down)
        k->held[code / 8] |= (uint8_t)(1u << (code % 8));
    else
        k->held[code / 8] &= (uint8_t)~(1u << (code % 8));
}

void kbd_init(struct kbd_state *k) {
    *k = (struct kbd_state){0};
}

/* Shift, ctrl, alt and meta follow the keys held on either side. */
static void update_mods(struct kbd_state *k) {
    uint16_t m = k->mods & (INPUT_MOD_CAPS | INPUT_MOD_NUM);
    if (is_held(k, INPUT_KEY_LEFTSHIFT) || is_held(k, INPUT_KEY_RIGHTSHIFT))
        m |= INPUT_MOD_SHIFT;
    if (is_held(k, INPUT_KEY_LEFTCTRL) || is_held(k, INPUT_KEY_RIGHTCTRL))
        m |= INPUT_MOD_CTRL;
    if (is_held(k, INPUT_KEY_LEFTALT) || is_held(k, INPUT_KEY_RIGHTALT))
        m |= INPUT_MOD_ALT;
    if (is_held(k, INPUT_KEY_LEFTMETA) || is_held(k, INPUT_KEY_RIGHTMETA))
        m |= INPUT_MOD_META;
    k->mods = m;
}

static bool key_event(struct kbd_state *k, uint16_t code, bool down, struct input_event *ev) {
    bool repeat = down && is_held(k, code);
    set_held(k, code, down);
    if (down && !repeat && code == INPUT_KEY_CAPSLOCK)
        k->mods ^= INPUT_MOD_CAPS;
    if (down && !repeat && code == INPUT_KEY_NUMLOCK)
        k->mods ^= INPUT_MOD_NUM;
    update_mods(k);
    *ev = (struct input_event){0};
    ev->type = INPUT_EV_KEY;
    ev->code = code;
    ev->down = down;
    ev->repeat = repeat;
    ev->mods = k->mods;
    ev->ch = down ? key_char(code, k->mods) : 0;
    return true;
}

bool kbd_feed(struct kbd_state *k, uint8_t byte, struct input_event *ev) {
    if (k->e1_left) {   /* inside Pause: E1 1D 45 E1 9D C5 */
        k->e1_left--;
        if (k->e1_left == 3)
            return key_event(k, INPUT_KEY_PAUSE, true, ev);
        if (k->e1_left == 0)
            return key_event(k, INPUT_KEY_PAUSE, false, ev);
        return false;
    }
    if (byte == 0xe0) {
        k->e0 = true;
        return false;
    }
    if (byte == 0xe1) {
        k->e0 = false;
        k->e1_left = 5;
        return false;
    }
    bool e0 = k->e0;
    k->e0 = false;
    /* 0x00/0xFF: errors or overrun; 0xFA ack, 0xFE resend, 0xEE echo: replies,
     * not keys (their "make codes" name no key). */
    if (byte == 0x00 || byte == 0xff || byte == 0xfa || byte == 0xfe || byte == 0xee)
        return false;
    uint16_t code = set1_key(byte & 0x7f, e0);
    if (code == INPUT_KEY_NONE)
        return false;
    bool down = !(byte & 0x80);
    if (!down && !is_held(k, code) && code != INPUT_KEY_PAUSE)
        return false;   /* a release we never saw pressed (e.g. held during boot) */
    return key_event(k, code, down, ev);
}

uint8_t kbd_leds(const struct kbd_state *k) {
    /* bit 0 scroll lock, bit 1 num lock, bit 2 caps lock */
    return (uint8_t)(((k->mods & INPUT_MOD_NUM) ? 2 : 0) | ((k->mods & INPUT_MOD_CAPS) ? 4 : 0));
}

/* US layout, by key code (codes 0..57). */
static const char plain[58] = {
    [INPUT_KEY_1] = '1', '2', '3', '4', '5', '6', '7', '8', '9', '0', '-', '=', '\b', '\t',
    [INPUT_KEY_Q] = 'q', 'w', 'e', 'r', 't', 'y', 'u', 'i', 'o', 'p', '[', ']', '\n',
    [INPUT_KEY_A] = 'a', 's', 'd', 'f', 'g', 'h', 'j', 'k', 'l', ';', '\'', '`',
    [INPUT_KEY_BACKSLASH] = '\\', 'z', 'x', 'c', 'v', 'b', 'n', 'm', ',', '.', '/',
    [INPUT_KEY_KPASTERISK] = '*', [INPUT_KEY_SPACE] = ' ', [INPUT_KEY_ESC] = 0x1b,
};
static const char shifted[58] = {
    [INPUT_KEY_1] = '!', '@', '#', '$', '%', '^', '&', '*', '(', ')', '_', '+', '\b', '\t',
    [INPUT_KEY_Q] = 'Q', 'W', 'E', 'R', 'T', 'Y', 'U', 'I', 'O', 'P', '{', '}', '\n',
    [INPUT_KEY_A] = 'A', 'S', 'D', 'F', 'G', 'H', 'J', 'K', 'L', ':', '"', '~',
    [INPUT_KEY_BACKSLASH] = '|', 'Z', 'X', 'C', 'V', 'B', 'N', 'M', '<', '>', '?',
    [INPUT_KEY_KPASTERISK] = '*', [INPUT_KEY_SPACE] = ' ', [INPUT_KEY_ESC] = 0x1b,
};
/* The keypad's digits and dot with num lock on, KP7 .. KPDOT. */
static const char keypad[] = "789-456+1230.";

uint32_t key_char(uint16_t code, uint16_t mods) {
    bool shift = mods & INPUT_MOD_SHIFT;
    if (code < sizeof(plain)) {
        char c = plain[code];
        if (c >= 'a' && c <= 'z')   /* caps lock inverts shift for letters only */
            return (uint32_t)(shift != !!(mods & INPUT_MOD_CAPS) ? c - 'a' + 'A' : c);
        return (uint32_t)(unsigned char)(shift ? shifted[code] : c);
    }
    if (code >= INPUT_KEY_KP7 && code <= INPUT_KEY_KPDOT) {
        char c = keypad[code - INPUT_KEY_KP7];
        if (c == '-' || c == '+')
            return (uint32_t)c;
        /* Shift with num lock gives the navigation keys, as on PCs. */
        return ((mods & INPUT_MOD_NUM) && !shift) ? (uint32_t)c : 0;
    }
    if (code == INPUT_KEY_KPSLASH)
        return '/';
    if (code == INPUT_KEY_KPENTER)
        return '\n';
    return 0;
}

/* ---- mouse ---- */

void mouse_init(struct mouse_state *m, int packet_size) {
    *m = (struct mouse_state){0};
    m->size = packet_size == 4 ? 4 : 3;
}

bool mouse_feed(struct mouse_state *m, uint8_t byte, uint64_t now_ns, struct input_event *ev) {
    /* A pause inside a packet means we lost bytes: start afresh. */
    if (m->have && now_ns - m->last_ns > MOUSE_RESYNC_NS) {
        m->resyncs += m->have;
        m->have = 0;
    }
    m->last_ns = now_ns;
    /* The first byte always has bit 3 set; anything else cannot start a packet. */
    if (m->have == 0 && !(byte & 0x08)) {
        m->resyncs++;
        return false;
    }
    m->packet[m->have++] = byte;
    if (m->have < m->size)
        return false;
    m->have = 0;

    uint8_t b0 = m->packet[0];
    /* 9-bit two's complement: the sign bits are in byte 0. */
    int dx = m->packet[1] - ((b0 & 0x10) ? 256 : 0);
    int dy = m->packet[2] - ((b0 & 0x20) ? 256 : 0);
    if (b0 & 0x40)   /* overflow: the count is meaningless */
        dx = 0;
    if (b0 & 0x80)
        dy = 0;
    int wheel = 0;
    if (m->size == 4) {
        /* IntelliMouse: byte 3 is z, two's complement; the device counts
         * towards the user as positive, we the other way. */
        wheel = -(int)(int8_t)m->packet[3];
    }
    *ev = (struct input_event){0};
    ev->type = INPUT_EV_MOUSE;
    ev->dx = (int16_t)dx;
    ev->dy = (int16_t)-dy;   /* PS/2 counts up as positive; screens count down */
    ev->wheel = (int16_t)wheel;
    ev->buttons = b0 & (INPUT_BTN_LEFT | INPUT_BTN_RIGHT | INPUT_BTN_MIDDLE);
    return true;
}

/* ---- rings ---- */

bool ring_start(struct ring_writer *w, void *mem, uint64_t bytes) {
    *w = (struct ring_writer){0};
    if (bytes < sizeof(struct input_ring) + sizeof(struct input_event))
        return false;
    uint64_t slots = (bytes - sizeof(struct input_ring)) / sizeof(struct input_event);
    uint32_t cap = 1;
    while ((uint64_t)cap * 2 <= slots)
        cap *= 2;
    struct input_ring *r = mem;
    r->capacity = cap;
    r->head = 0;
    r->tail = 0;
    r->dropped = 0;
    __atomic_store_n(&r->magic, INPUT_RING_MAGIC, __ATOMIC_RELEASE);
    w->ring = r;
    w->capacity = cap;
    return true;
}

bool ring_push(struct ring_writer *w, const struct input_event *ev) {
    uint32_t tail = __atomic_load_n(&w->ring->tail, __ATOMIC_ACQUIRE);
    /* More than `capacity` unread means the subscriber wrote nonsense into
     * tail; treat it like a full ring. */
    if (w->head - tail >= w->capacity) {
        w->dropped++;
        __atomic_store_n(&w->ring->dropped, w->dropped, __ATOMIC_RELAXED);
        return false;
    }
    w->ring->events[w->head & (w->capacity - 1)] = *ev;
    w->head++;
    __atomic_store_n(&w->ring->head, w->head, __ATOMIC_RELEASE);
    return true;
}
