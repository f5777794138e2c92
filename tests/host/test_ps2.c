// host-test-uses: servers/ps2/decode.c
/*
 * Tests for the ps2 server's decoding (servers/ps2/decode.c): scan code set 1
 * to key codes, modifiers and characters, repeats, the E0 and Pause
 * sequences, mouse packets with and without a wheel, resynchronisation, and
 * the subscriber ring (full rings, nonsense written by the subscriber).
 */
#include "test.h"
#include <stdint.h>
#include <stdlib.h>
#include <tessera/input.h>
#include "../../servers/ps2/decode.h"

/* Feeds bytes; returns the events they gave (up to max). */
static int feed_kbd(struct kbd_state *k, const uint8_t *bytes, int n, struct input_event *out, int max) {
    int got = 0;
    for (int i = 0; i < n; i++) {
        struct input_event ev;
        if (kbd_feed(k, bytes[i], &ev) && got < max)
            out[got++] = ev;
    }
    return got;
}

TEST(plain_key_press_and_release) {
    struct kbd_state k;
    kbd_init(&k);
    struct input_event ev[4];
    const uint8_t a[] = {0x1e, 0x9e};
    CHECK_EQ(feed_kbd(&k, a, 2, ev, 4), 2);
    CHECK_EQ(ev[0].type, INPUT_EV_KEY);
    CHECK_EQ(ev[0].code, INPUT_KEY_A);
    CHECK_EQ(ev[0].down, 1);
    CHECK_EQ(ev[0].ch, 'a');
    CHECK_EQ(ev[0].mods, 0);
    CHECK_EQ(ev[1].code, INPUT_KEY_A);
    CHECK_EQ(ev[1].down, 0);
    CHECK_EQ(ev[1].ch, 0);
}

TEST(shift_and_caps_lock) {
    struct kbd_state k;
    kbd_init(&k);
    struct input_event ev[8];
    const uint8_t shift_b[] = {0x2a, 0x30, 0xb0, 0xaa};   /* LShift down, B, LShift up */
    CHECK_EQ(feed_kbd(&k, shift_b, 4, ev, 8), 4);
    CHECK_EQ(ev[0].code, INPUT_KEY_LEFTSHIFT);
    CHECK_EQ(ev[0].mods, INPUT_MOD_SHIFT);
    CHECK_EQ(ev[1].ch, 'B');
    CHECK_EQ(ev[1].mods, INPUT_MOD_SHIFT);
    CHECK_EQ(ev[3].mods, 0);

    const uint8_t caps_a[] = {0x3a, 0xba, 0x1e, 0x9e, 0x02, 0x82};
    CHECK_EQ(feed_kbd(&k, caps_a, 6, ev, 8), 6);
    CHECK_EQ(ev[0].mods, INPUT_MOD_CAPS);
    CHECK_EQ(kbd_leds(&k), 4);
    CHECK_EQ(ev[2].ch, 'A');            /* caps lock: capital letters */
    CHECK_EQ(ev[4].ch, '1');            /* but not other keys */
    const uint8_t shift_caps_a[] = {0x36, 0x1e, 0x9e, 0xb6};
    CHECK_EQ(feed_kbd(&k, shift_caps_a, 4, ev, 8), 4);
    CHECK_EQ(ev[1].ch, 'a');            /* shift undoes caps lock for letters */
    const uint8_t caps_again[] = {0x3a, 0xba};
    feed_kbd(&k, caps_again, 2, ev, 8);
    CHECK_EQ(k.mods, 0);
    CHECK_EQ(kbd_leds(&k), 0);
}

TEST(ctrl_alt_meta_either_side) {
    struct kbd_state k;
    kbd_init(&k);
    struct input_event ev[8];
    const uint8_t seq[] = {0x1d, 0xe0, 0x38, 0xe0, 0x5c, 0x2e};   /* LCtrl, RAlt, RMeta, C */
    CHECK_EQ(feed_kbd(&k, seq, 6, ev, 8), 4);
    CHECK_EQ(ev[1].code, INPUT_KEY_RIGHTALT);
    CHECK_EQ(ev[2].code, INPUT_KEY_RIGHTMETA);
    CHECK_EQ(ev[3].mods, INPUT_MOD_CTRL | INPUT_MOD_ALT | INPUT_MOD_META);
    CHECK_EQ(ev[3].ch, 'c');            /* ctrl is left to the client */
    const uint8_t up[] = {0x9d, 0xe0, 0xb8};
    feed_kbd(&k, up, 3, ev, 8);
    CHECK_EQ(k.mods, INPUT_MOD_META);
}

TEST(extended_keys_and_fake_shifts) {
    struct kbd_state k;
    kbd_init(&k);
    struct input_event ev[8];
    /* Print Screen: E0 2A E0 37 (fake shift around it), then E0 B7 E0 AA. */
    const uint8_t prtsc[] = {0xe0, 0x2a, 0xe0, 0x37, 0xe0, 0xb7, 0xe0, 0xaa};
    CHECK_EQ(feed_kbd(&k, prtsc, 8, ev, 8), 2);
    CHECK_EQ(ev[0].code, INPUT_KEY_SYSRQ);
    CHECK_EQ(ev[1].down, 0);
    CHECK_EQ(k.mods, 0);
    const uint8_t arrows[] = {0xe0, 0x48, 0xe0, 0xc8, 0xe0, 0x1c, 0x4b};
    CHECK_EQ(feed_kbd(&k, arrows, 7, ev, 8), 4);
    CHECK_EQ(ev[0].code, INPUT_KEY_UP);
    CHECK_EQ(ev[2].code, INPUT_KEY_KPENTER);
    CHECK_EQ(ev[2].ch, '\n');
    CHECK_EQ(ev[3].code, INPUT_KEY_KP4);   /* the same byte without E0 */
    CHECK_EQ(ev[3].ch, 0);                 /* num lock off */
}

TEST(num_lock_keypad) {
    struct kbd_state k;
    kbd_init(&k);
    struct input_event ev[8];
    const uint8_t seq[] = {0x45, 0xc5, 0x4f, 0xcf, 0x53, 0x4e, 0xe0, 0x35};
    CHECK_EQ(feed_kbd(&k, seq, 8, ev, 8), 7);
    CHECK_EQ(kbd_leds(&k), 2);
    CHECK_EQ(ev[2].ch, '1');
    CHECK_EQ(ev[4].ch, '.');
    CHECK_EQ(ev[5].ch, '+');
    CHECK_EQ(ev[6].ch, '/');
}

TEST(repeat_is_marked) {
    struct kbd_state k;
    kbd_init(&k);
    struct input_event ev[8];
    const uint8_t seq[] = {0x1e, 0x1e, 0x1e, 0x9e, 0x1e};
    CHECK_EQ(feed_kbd(&k, seq, 5, ev, 8), 5);
    CHECK_EQ(ev[0].repeat, 0);
    CHECK_EQ(ev[1].repeat, 1);
    CHECK_EQ(ev[1].ch, 'a');
    CHECK_EQ(ev[2].repeat, 1);
    CHECK_EQ(ev[4].repeat, 0);
    /* A held caps lock toggles once. */
    const uint8_t caps[] = {0x3a, 0x3a, 0x3a, 0xba};
    feed_kbd(&k, caps, 4, ev, 8);
    CHECK_EQ(k.mods & INPUT_MOD_CAPS, INPUT_MOD_CAPS);
}

TEST(pause_and_noise) {
    struct kbd_state k;
    kbd_init(&k);
    struct input_event ev[8];
    const uint8_t pause[] = {0xe1, 0x1d, 0x45, 0xe1, 0x9d, 0xc5};
    CHECK_EQ(feed_kbd(&k, pause, 6, ev, 8), 2);
    CHECK_EQ(ev[0].code, INPUT_KEY_PAUSE);
    CHECK_EQ(ev[0].down, 1);
    CHECK_EQ(ev[1].code, INPUT_KEY_PAUSE);
    CHECK_EQ(ev[1].down, 0);
    CHECK_EQ(k.mods, 0);                   /* its 1D/9D are not Ctrl */
    /* Acks, errors, unknown codes and releases of keys never pressed. */
    const uint8_t noise[] = {0xfa, 0xfe, 0x00, 0xff, 0xee, 0x55, 0x7f, 0x9e, 0xe0, 0x11};
    CHECK_EQ(feed_kbd(&k, noise, 10, ev, 8), 0);
}

TEST(characters) {
    CHECK_EQ(key_char(INPUT_KEY_2, INPUT_MOD_SHIFT), '@');
    CHECK_EQ(key_char(INPUT_KEY_APOSTROPHE, INPUT_MOD_SHIFT), '"');
    CHECK_EQ(key_char(INPUT_KEY_GRAVE, 0), '`');
    CHECK_EQ(key_char(INPUT_KEY_BACKSLASH, INPUT_MOD_SHIFT), '|');
    CHECK_EQ(key_char(INPUT_KEY_SLASH, INPUT_MOD_SHIFT | INPUT_MOD_CAPS), '?');
    CHECK_EQ(key_char(INPUT_KEY_ENTER, 0), '\n');
    CHECK_EQ(key_char(INPUT_KEY_TAB, 0), '\t');
    CHECK_EQ(key_char(INPUT_KEY_BACKSPACE, 0), '\b');
    CHECK_EQ(key_char(INPUT_KEY_ESC, 0), 0x1b);
    CHECK_EQ(key_char(INPUT_KEY_SPACE, INPUT_MOD_SHIFT), ' ');
    CHECK_EQ(key_char(INPUT_KEY_LEFTSHIFT, 0), 0);
    CHECK_EQ(key_char(INPUT_KEY_F1, 0), 0);
    CHECK_EQ(key_char(INPUT_KEY_UP, 0), 0);
    CHECK_EQ(key_char(INPUT_KEY_M, INPUT_MOD_CAPS), 'M');
    CHECK_EQ(key_char(INPUT_KEY_KP5, INPUT_MOD_NUM | INPUT_MOD_SHIFT), 0);
}

static int feed_mouse(struct mouse_state *m, const uint8_t *bytes, int n, uint64_t t,
                      struct input_event *out, int max) {
    int got = 0;
    for (int i = 0; i < n; i++) {
        struct input_event ev;
        if (mouse_feed(m, bytes[i], t, &ev) && got < max)
            out[got++] = ev;
    }
    return got;
}

TEST(mouse_three_byte_packets) {
    struct mouse_state m;
    mouse_init(&m, 3);
    struct input_event ev[4];
    /* left button, dx +10, dy +5 (up) */
    const uint8_t p1[] = {0x09, 10, 5};
    CHECK_EQ(feed_mouse(&m, p1, 3, 0, ev, 4), 1);
    CHECK_EQ(ev[0].type, INPUT_EV_MOUSE);
    CHECK_EQ(ev[0].dx, 10);
    CHECK_EQ(ev[0].dy, -5);
    CHECK_EQ(ev[0].buttons, INPUT_BTN_LEFT);
    CHECK_EQ(ev[0].wheel, 0);
    /* negative both ways, right + middle */
    const uint8_t p2[] = {0x08 | 0x10 | 0x20 | 0x06, 0xfd, 0xf0};
    CHECK_EQ(feed_mouse(&m, p2, 3, 0, ev, 4), 1);
    CHECK_EQ(ev[0].dx, -3);
    CHECK_EQ(ev[0].dy, 16);
    CHECK_EQ(ev[0].buttons, INPUT_BTN_RIGHT | INPUT_BTN_MIDDLE);
    /* overflow: motion dropped, buttons kept */
    const uint8_t p3[] = {0x08 | 0x40 | 0x80 | 0x01, 0x7f, 0x7f};
    CHECK_EQ(feed_mouse(&m, p3, 3, 0, ev, 4), 1);
    CHECK_EQ(ev[0].dx, 0);
    CHECK_EQ(ev[0].dy, 0);
    CHECK_EQ(ev[0].buttons, INPUT_BTN_LEFT);
}

TEST(mouse_wheel_packets) {
    struct mouse_state m;
    mouse_init(&m, 4);
    struct input_event ev[4];
    const uint8_t up[] = {0x08, 0, 0, 0xff};   /* z = -1: the wheel turned away from the user */
    CHECK_EQ(feed_mouse(&m, up, 4, 0, ev, 4), 1);
    CHECK_EQ(ev[0].wheel, 1);
    const uint8_t down[] = {0x08, 1, 0, 0x02};
    CHECK_EQ(feed_mouse(&m, down, 4, 0, ev, 4), 1);
    CHECK_EQ(ev[0].wheel, -2);
    CHECK_EQ(ev[0].dx, 1);
}

TEST(mouse_resync) {
    struct mouse_state m;
    mouse_init(&m, 3);
    struct input_event ev[4];
    /* Bytes without bit 3 cannot start a packet and are skipped. */
    const uint8_t junk[] = {0x00, 0x05, 0x09, 1, 2};
    CHECK_EQ(feed_mouse(&m, junk, 5, 0, ev, 4), 1);
    CHECK_EQ(m.resyncs, 2);
    CHECK_EQ(ev[0].dx, 1);
    /* A partial packet followed by a long pause is thrown away. */
    const uint8_t part[] = {0x09, 7};
    CHECK_EQ(feed_mouse(&m, part, 2, 1000, ev, 4), 0);
    const uint8_t next[] = {0x0a, 3, 4};
    CHECK_EQ(feed_mouse(&m, next, 3, 1000 + MOUSE_RESYNC_NS + 1, ev, 4), 1);
    CHECK_EQ(ev[0].buttons, INPUT_BTN_RIGHT);
    CHECK_EQ(ev[0].dx, 3);
    CHECK_EQ(ev[0].dy, -4);
}

TEST(ring_fills_and_drops) {
    uint64_t bytes = 4096;
    struct input_ring *r = calloc(1, bytes);
    struct ring_writer w;
    CHECK(!ring_start(&w, r, 64));       /* no room for one event */
    CHECK(ring_start(&w, r, bytes));
    CHECK_EQ(r->magic, INPUT_RING_MAGIC);
    CHECK_EQ(r->capacity, 64);          /* (4096 - 64) / 32 = 126, rounded down */
    struct input_event ev = {.type = INPUT_EV_KEY};
    for (int i = 0; i < 70; i++) {
        ev.code = (uint16_t)i;
        CHECK_EQ(ring_push(&w, &ev), i < 64);
    }
    CHECK_EQ(r->head, 64);
    CHECK_EQ(r->dropped, 6);
    struct input_event out;
    CHECK(input_ring_pop(r, &out));
    CHECK_EQ(out.code, 0);
    CHECK(ring_push(&w, &ev));           /* one slot free again */
    CHECK(!ring_push(&w, &ev));
    int n = 1;
    while (input_ring_pop(r, &out))
        n++;
    CHECK_EQ(n, 65);
    CHECK_EQ(out.code, 69);
    free(r);
}

TEST(ring_survives_a_lying_subscriber) {
    uint64_t bytes = 8192;
    struct input_ring *r = calloc(1, bytes);
    struct ring_writer w;
    CHECK(ring_start(&w, r, bytes));
    CHECK_EQ(r->capacity, 128);
    struct input_event ev = {.type = INPUT_EV_MOUSE};
    /* The subscriber scribbles over everything: we use our own copies and
     * only ever write inside the events we laid out. */
    r->capacity = 0xffffffff;
    r->head = 12345;
    r->tail = 0x80000000u;             /* "more read than written" */
    CHECK(!ring_push(&w, &ev));
    CHECK_EQ(w.dropped, 1);
    r->tail = 5;                        /* ahead of head by 5: also nonsense */
    CHECK(!ring_push(&w, &ev));
    r->tail = 0;
    for (int i = 0; i < 1000; i++) {
        ring_push(&w, &ev);
        r->tail = w.head - (uint32_t)(i % 3);   /* reads almost everything */
    }
    CHECK_EQ(w.head, 1000);
    CHECK_EQ(r->head, 1000);
    free(r);
}

TEST_MAIN()
