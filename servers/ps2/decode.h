/*
 * The pure logic of the ps2 server, with no system calls (host-tested in
 * tests/host/test_ps2.c): scan code set 1 to key events, mouse packets to
 * mouse events, and appending events to a subscriber's ring.
 */
#ifndef PS2_DECODE_H
#define PS2_DECODE_H

#include <stdbool.h>
#include <stdint.h>
#include <tessera/input.h>

/* ---- keyboard ---- */

struct kbd_state {
    bool e0;                  /* the previous byte was the 0xE0 prefix */
    uint8_t e1_left;          /* bytes of a Pause sequence (E1 1D 45 E1 9D C5) still to come */
    uint16_t mods;            /* INPUT_MOD_* */
    uint8_t held[(INPUT_KEY_MAX + 1) / 8];   /* keys down, to mark repeats */
};

void kbd_init(struct kbd_state *k);
/* Feeds one byte of scan code set 1 (what the i8042 gives with translation
 * on). Returns true and fills *ev (time_ns left 0) when a key event results. */
bool kbd_feed(struct kbd_state *k, uint8_t byte, struct input_event *ev);
/* The keyboard's LED byte (command 0xED) for the current lock state. */
uint8_t kbd_leds(const struct kbd_state *k);
/* The character a key gives with the modifiers (US layout), or 0. */
uint32_t key_char(uint16_t code, uint16_t mods);

/* ---- mouse ---- */

#define MOUSE_RESYNC_NS (100ull * 1000000ull)   /* a packet's bytes come within this */

struct mouse_state {
    uint8_t size;             /* bytes per packet: 3, or 4 with a wheel (id 3) */
    uint8_t have;             /* bytes of the current packet so far */
    uint8_t packet[4];
    uint64_t last_ns;         /* when the previous byte came */
    uint32_t resyncs;         /* bytes thrown away to find a packet start */
};

void mouse_init(struct mouse_state *m, int packet_size);
/* Feeds one byte from the aux port at time now_ns; true and *ev when a packet
 * is complete. */
bool mouse_feed(struct mouse_state *m, uint8_t byte, uint64_t now_ns, struct input_event *ev);

/* ---- a subscriber's ring ---- */

struct ring_writer {
    struct input_ring *ring;  /* shared with the subscriber: read only its tail */
    uint32_t capacity;        /* our own copies, whatever the subscriber writes */
    uint32_t head;
    uint32_t dropped;
};

/* Lays out a ring of `bytes` bytes at `mem`; false if it is too small. */
bool ring_start(struct ring_writer *w, void *mem, uint64_t bytes);
/* Appends an event; false (and counted as dropped) if the ring is full. */
bool ring_push(struct ring_writer *w, const struct input_event *ev);

#endif
