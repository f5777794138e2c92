// host-test-uses: -I libs/driver/include servers/dm/bar.c servers/dm/drivers.c servers/dm/restart.c servers/dm/names.c libs/driver/virtq.c
/*
 * Tests for the device manager's pure logic (servers/dm/dm.h): BAR decoding
 * and sizing arithmetic, the configuration-space write policy, the driver
 * table, the restart back-off and give-up decision, the names a driver
 * offers (several per driver, stale while it restarts); and the driver SDK's
 * split virtqueue (libs/driver/virtq.c) against a fake device over plain
 * memory.
 */
#include "test.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <driver/driver.h>
#include "../../servers/dm/dm.h"

/* ---- BARs ---- */

TEST(bar_absent) {
    struct pci_bar b;
    CHECK_EQ(pci_bar_decode(0, 0, 0, 0, &b), BAR_ABSENT);
    CHECK_EQ(b.state, BAR_ABSENT);
    CHECK_EQ(pci_bar_decode(1, 1, 0, 0, &b), BAR_ABSENT);   /* I/O with no writable address bits */
}

TEST(bar_mem32) {
    struct pci_bar b;
    /* 16 KiB non-prefetchable at 0xfebf0000 */
    CHECK_EQ(pci_bar_decode(0xfebf0000, 0xffffc000, 0, 0, &b), BAR_OK);
    CHECK(!b.io && !b.is64 && !b.prefetch);
    CHECK_EQ(b.base, 0xfebf0000ull);
    CHECK_EQ(b.size, 0x4000ull);
    /* 16 MiB prefetchable */
    CHECK_EQ(pci_bar_decode(0xfd000008, 0xff000008, 0, 0, &b), BAR_OK);
    CHECK(b.prefetch);
    CHECK_EQ(b.size, 0x1000000ull);
    /* the smallest: 16 bytes */
    CHECK_EQ(pci_bar_decode(0xfebf1010, 0xfffffff0, 0, 0, &b), BAR_OK);
    CHECK_EQ(b.size, 16ull);
}

TEST(bar_mem64) {
    struct pci_bar b;
    CHECK(pci_bar_is64(0xfe00000c));
    CHECK(!pci_bar_is64(0xfe000008));
    CHECK(!pci_bar_is64(0xc001));   /* I/O: bit 2 is an address bit */
    /* 16 KiB, 64-bit prefetchable, above 4 GiB */
    CHECK_EQ(pci_bar_decode(0x0000000c, 0xffffc00c, 0x8, 0xffffffff, &b), BAR_OK);
    CHECK(b.is64 && b.prefetch && !b.io);
    CHECK_EQ(b.base, 0x800000000ull);
    CHECK_EQ(b.size, 0x4000ull);
    /* 8 GiB: all size bits in the upper half */
    CHECK_EQ(pci_bar_decode(0x0000000c, 0x0000000c, 0x4, 0xfffffffe, &b), BAR_OK);
    CHECK_EQ(b.size, 0x200000000ull);
    CHECK_EQ(b.base, 0x400000000ull);
}

TEST(bar_io) {
    struct pci_bar b;
    CHECK_EQ(pci_bar_decode(0xc041, 0xffffffe1, 0, 0, &b), BAR_OK);
    CHECK(b.io);
    CHECK_EQ(b.base, 0xc040ull);
    CHECK_EQ(b.size, 32ull);
    /* a 16-bit decoder reads zeros in the upper half */
    CHECK_EQ(pci_bar_decode(0xc001, 0x0000ff01, 0, 0, &b), BAR_OK);
    CHECK_EQ(b.size, 256ull);
    CHECK_EQ(b.base, 0xc000ull);
}

TEST(bar_absurd) {
    struct pci_bar b;
    /* size bits with a hole: not a power of two */
    CHECK_EQ(pci_bar_decode(0xfe000000, 0xfeff0000, 0, 0, &b), BAR_BAD);
    CHECK(b.why && b.why[0]);
    /* base not aligned to the size */
    CHECK_EQ(pci_bar_decode(0xfebf2000, 0xffffc000, 0, 0, &b), BAR_BAD);
    /* never assigned */
    CHECK_EQ(pci_bar_decode(0x00000000, 0xfff00000, 0, 0, &b), BAR_BAD);
    /* reserved type */
    CHECK_EQ(pci_bar_decode(0xfe000006, 0xfff00006, 0, 0, &b), BAR_BAD);
    /* I/O beyond 0xffff */
    CHECK_EQ(pci_bar_decode(0x1ff01, 0xffffff01, 0, 0, &b), BAR_BAD);
    /* I/O with holes */
    CHECK_EQ(pci_bar_decode(0xc001, 0xffffef01, 0, 0, &b), BAR_BAD);
    /* 64-bit: base + size past 2^52 */
    CHECK_EQ(pci_bar_decode(0x0000000c, 0x0000000c, 0xfffff000, 0xfffff000, &b), BAR_BAD);
}

/* ---- configuration space policy ---- */

TEST(config_check) {
    CHECK_EQ(pci_config_check(0, 4), 0);
    CHECK_EQ(pci_config_check(0xfc, 4), 0);
    CHECK_EQ(pci_config_check(0xff, 1), 0);
    CHECK_EQ(pci_config_check(0x100, 1), -E_INVAL);
    CHECK_EQ(pci_config_check(0x02, 4), -E_INVAL);   /* misaligned */
    CHECK_EQ(pci_config_check(0x01, 2), -E_INVAL);
    CHECK_EQ(pci_config_check(0x04, 3), -E_INVAL);   /* no such width */
    CHECK_EQ(pci_config_check(0x04, 0), -E_INVAL);
    CHECK_EQ(pci_config_check(0xfffffffc, 4), -E_INVAL);   /* no wrap-around */
}

TEST(config_write_type0) {
    CHECK_EQ(pci_config_write_check(0, 0x04, 2), 0);   /* command */
    CHECK_EQ(pci_config_write_check(0, 0x0c, 1), 0);   /* cache line size */
    CHECK_EQ(pci_config_write_check(0, 0x3c, 1), 0);   /* interrupt line */
    CHECK_EQ(pci_config_write_check(0, 0x40, 4), 0);   /* capabilities (MSI) */
    CHECK_EQ(pci_config_write_check(0, 0xfc, 4), 0);
    for (unsigned off = 0x10; off < 0x28; off++)
        CHECK_EQ(pci_config_write_check(0, off, 1), -E_PERM);
    CHECK_EQ(pci_config_write_check(0, 0x10, 4), -E_PERM);
    CHECK_EQ(pci_config_write_check(0, 0x24, 4), -E_PERM);
    CHECK_EQ(pci_config_write_check(0, 0x0c, 4), 0);    /* 0x0c-0x0f: below the BARs */
    CHECK_EQ(pci_config_write_check(0, 0x28, 4), 0);    /* CardBus CIS pointer: after them */
    CHECK_EQ(pci_config_write_check(0, 0x30, 4), -E_PERM);   /* expansion ROM */
    CHECK_EQ(pci_config_write_check(0, 0x100, 4), -E_INVAL);
    CHECK_EQ(pci_config_write_check(0, 0x11, 2), -E_INVAL);
    CHECK_EQ(pci_config_write_check(0x80, 0x10, 4), -E_PERM);   /* the multi-function bit is ignored */
}

TEST(config_write_bridge) {
    CHECK_EQ(pci_config_write_check(1, 0x04, 2), 0);
    CHECK_EQ(pci_config_write_check(1, 0x10, 4), -E_PERM);
    CHECK_EQ(pci_config_write_check(1, 0x14, 4), -E_PERM);
    CHECK_EQ(pci_config_write_check(1, 0x18, 1), -E_PERM);   /* primary bus */
    CHECK_EQ(pci_config_write_check(1, 0x19, 1), -E_PERM);   /* secondary bus */
    CHECK_EQ(pci_config_write_check(1, 0x1a, 1), -E_PERM);   /* subordinate bus */
    CHECK_EQ(pci_config_write_check(1, 0x18, 4), -E_PERM);   /* all of them at once */
    CHECK_EQ(pci_config_write_check(1, 0x1b, 1), 0);         /* secondary latency timer */
    CHECK_EQ(pci_config_write_check(1, 0x20, 4), -E_PERM);   /* memory window */
    CHECK_EQ(pci_config_write_check(1, 0x1e, 2), 0);         /* secondary status */
    CHECK_EQ(pci_config_write_check(1, 0x3e, 2), 0);         /* bridge control */
    CHECK_EQ(pci_config_write_check(2, 0x18, 1), -E_PERM);   /* CardBus */
    CHECK_EQ(pci_config_write_check(2, 0x04, 2), 0);
    CHECK_EQ(pci_config_write_check(0x7f, 0x20, 4), -E_PERM);   /* unknown layout */
}

/* ---- the driver table ---- */

TEST(driver_table) {
    const struct driver_entry *e = driver_match(dm_drivers, dm_num_drivers, 0x1af4, 0x1050, false);
    CHECK(e && !strcmp(e->path, "servers/virtio_gpu"));
    e = driver_match(dm_drivers, dm_num_drivers, 0, ISA_BOOT_FB, false);
    CHECK(e && !strcmp(e->path, "servers/fbdev"));
    /* virtio-rng: nobody's, except the test driver in test mode */
    CHECK(driver_match(dm_drivers, dm_num_drivers, 0x1af4, 0x1044, false) == NULL);
    e = driver_match(dm_drivers, dm_num_drivers, 0x1af4, 0x1044, true);
    CHECK(e && !strcmp(e->path, "tests/dmtest") && e->test);
    CHECK(driver_match(dm_drivers, dm_num_drivers, 0x1af4, 0x1005, true) == NULL);   /* transitional rng */
    CHECK(driver_match(dm_drivers, dm_num_drivers, 0x8086, 0x1050, false) == NULL);   /* another vendor */
    e = driver_match(dm_drivers, dm_num_drivers, 0, ISA_I8042, false);
    CHECK(e && !strcmp(e->path, "servers/ps2") && !e->test);
    e = driver_match(dm_drivers, dm_num_drivers, 0, ISA_CMOS_RTC, false);
    CHECK(e && !strcmp(e->path, "servers/rtc") && !e->test);
    /* the virtio-gpu entry is not a test entry: found in test mode as well */
    e = driver_match(dm_drivers, dm_num_drivers, 0x1af4, 0x1050, true);
    CHECK(e && !e->test);
    /* every entry names a program */
    for (size_t i = 0; i < dm_num_drivers; i++)
        CHECK(dm_drivers[i].path && dm_drivers[i].path[0] && dm_drivers[i].args);
    /* first match wins */
    static const struct driver_entry t[] = {
        {1, 2, "a", "", true}, {1, 2, "b", "", false}, {1, 2, "c", "", false},
    };
    CHECK(!strcmp(driver_match(t, 3, 1, 2, false)->path, "b"));
    CHECK(!strcmp(driver_match(t, 3, 1, 2, true)->path, "a"));
    CHECK(driver_match(t, 0, 1, 2, true) == NULL);
}

/* ---- restarting ---- */

#define MS 1000000ull
#define SEC 1000000000ull

TEST(isa_devices) {
    const struct isa_device *k = isa_find(ISA_I8042), *r = isa_find(ISA_CMOS_RTC);
    CHECK(k && r);
    CHECK(isa_find(ISA_BOOT_FB) == NULL);   /* only if the boot loader left one */
    CHECK(isa_find(0) == NULL);
    /* i8042: ports 0x60 and 0x64 (resources 0 and 1), IRQs 1 and 12 (indexes 0 and 1) */
    CHECK_EQ(k->num_ports, 2u);
    CHECK(k->ports[0].base == 0x60 && k->ports[0].count == 1);
    CHECK(k->ports[1].base == 0x64 && k->ports[1].count == 1);
    CHECK(k->num_irqs == 2 && k->irqs[0] == 1 && k->irqs[1] == 12);
    /* CMOS clock: ports 0x70-0x71, IRQ 8 */
    CHECK(r->num_ports == 1 && r->ports[0].base == 0x70 && r->ports[0].count == 2);
    CHECK(r->num_irqs == 1 && r->irqs[0] == 8);
    /* every legacy device has a driver */
    for (size_t i = 0; i < isa_num_devices; i++)
        CHECK(driver_match(dm_drivers, dm_num_drivers, 0, isa_devices[i].id, false) != NULL);
}

TEST(restart_backoff_doubles_then_gives_up) {
    struct restart_state s = {0};
    uint64_t now = 10 * SEC;
    /* A driver that crashes right after each start. */
    CHECK_EQ(restart_next(&s, now, 10 * MS, true), (int64_t)(100 * MS));
    now += 150 * MS;
    CHECK_EQ(restart_next(&s, now, 10 * MS, true), (int64_t)(200 * MS));
    now += 250 * MS;
    CHECK_EQ(restart_next(&s, now, 10 * MS, true), (int64_t)(400 * MS));
    now += 450 * MS;
    CHECK_EQ(restart_next(&s, now, 10 * MS, true), (int64_t)(800 * MS));
    now += 850 * MS;
    CHECK_EQ(restart_next(&s, now, 10 * MS, true), (int64_t)(1600 * MS));
    now += 1650 * MS;
    CHECK_EQ(restart_next(&s, now, 10 * MS, true), -1);   /* the sixth end within 30 s */
    CHECK_EQ(restart_next(&s, now + 1, 0, true), -1);     /* and it stays given up inside the window */
}

TEST(restart_window_forgets) {
    struct restart_state s = {0};
    uint64_t now = 0;
    /* Four quick failures, then a long quiet run: the window empties and
     * the back-off starts over. */
    for (int i = 0; i < 4; i++, now += 2 * SEC)
        CHECK(restart_next(&s, now, SEC, true) > 0);
    now += 40 * SEC;
    CHECK_EQ(restart_next(&s, now, 40 * SEC, true), (int64_t)(100 * MS));
    CHECK_EQ(s.count, 1u);
}

TEST(restart_five_within_window_sixth_outside) {
    struct restart_state s = {0};
    /* Five restarts spread over 29 s; the sixth failure at 31 s: the first
     * one left the window, so it restarts. */
    uint64_t t[] = {0, 7 * SEC, 14 * SEC, 21 * SEC, 29 * SEC};
    for (int i = 0; i < 5; i++)
        CHECK(restart_next(&s, t[i], SEC, true) > 0);
    CHECK(restart_next(&s, 31 * SEC, SEC, true) > 0);
    /* but one more right away is the fifth within 30 s of the last four and
     * this: give up */
    CHECK_EQ(restart_next(&s, 31 * SEC + 1, 0, true), -1);
}

TEST(restart_never_ready) {
    struct restart_state s = {0};
    uint64_t now = 0;
    /* Instances that never report ready and are killed 20 s after their
     * start: never 5 within 30 s, yet given up after 5 restarts. */
    for (int i = 0; i < 5; i++, now += 21 * SEC)
        CHECK(restart_next(&s, now, 20 * SEC, false) > 0);
    CHECK_EQ(restart_next(&s, now, 20 * SEC, false), -1);
    /* One that became ready in between starts the count over. */
    struct restart_state t = {0};
    now = 0;
    for (int i = 0; i < 4; i++, now += 21 * SEC)
        CHECK(restart_next(&t, now, 20 * SEC, false) > 0);
    CHECK(restart_next(&t, now, 20 * SEC, true) > 0);
    now += 21 * SEC;
    for (int i = 0; i < 5; i++, now += 21 * SEC)
        CHECK(restart_next(&t, now, 20 * SEC, false) > 0);
    CHECK_EQ(restart_next(&t, now, 20 * SEC, false), -1);
}

TEST(restart_backoff_capped) {
    struct restart_state s = {0};
    uint64_t now = 0;
    int64_t last = 0;
    /* Failures 31 s apart never give up, and the delay stays capped. */
    for (int i = 0; i < 20; i++, now += 31 * SEC) {
        last = restart_next(&s, now, SEC, true);
        CHECK(last > 0 && last <= (int64_t)RESTART_MAX_DELAY_NS);
    }
    CHECK_EQ(last, (int64_t)RESTART_MAX_DELAY_NS);
}

/* ---- the names a driver offers ---- */

static const char *live_name(const struct dm_names *t, unsigned which) {
    const struct dm_name *e = names_live(t, which);
    return e ? e->name : NULL;
}

TEST(names_several_per_driver) {
    struct dm_names t = {0};
    handle_t old;
    CHECK_EQ(names_offer(&t, "sda", 11, &old), 0);
    CHECK_EQ(old, HANDLE_NONE);
    CHECK_EQ(names_offer(&t, "sdb", 12, &old), 0);
    CHECK_EQ(names_find(&t, "sda")->service, 11);
    CHECK_EQ(names_find(&t, "sdb")->service, 12);
    CHECK(names_find(&t, "sdc") == NULL);
    CHECK(names_find(&t, "sd") == NULL);
    CHECK_STR(live_name(&t, 0), "sda");
    CHECK_STR(live_name(&t, 1), "sdb");
    CHECK(live_name(&t, 2) == NULL);
    /* The same name again replaces its service (the old one is the
     * caller's to close) and keeps its place. */
    CHECK_EQ(names_offer(&t, "sda", 21, &old), 0);
    CHECK_EQ(old, 11);
    CHECK_EQ(t.count, 2u);
    CHECK_STR(live_name(&t, 0), "sda");
    CHECK_EQ(names_find(&t, "sda")->service, 21);
}

TEST(names_refused) {
    struct dm_names t = {0};
    handle_t old = 5;
    char longest[DM_NAME_MAX], too_long[DM_NAME_MAX + 1];
    memset(longest, 'x', sizeof(longest) - 1);
    longest[sizeof(longest) - 1] = 0;
    memset(too_long, 'y', sizeof(too_long) - 1);
    too_long[sizeof(too_long) - 1] = 0;
    CHECK_EQ(names_offer(&t, "", 1, &old), -E_INVAL);
    CHECK_EQ(old, HANDLE_NONE);
    CHECK_EQ(names_offer(&t, too_long, 1, &old), -E_INVAL);
    CHECK_EQ(names_offer(&t, longest, 1, &old), 0);
    CHECK_STR(live_name(&t, 0), longest);
    /* DM_NAMES_MAX live names, then no more; replacing one still works. */
    char name[16];
    for (int i = 1; i < DM_NAMES_MAX; i++) {
        snprintf(name, sizeof(name), "n%d", i);
        CHECK_EQ(names_offer(&t, name, 100 + i, &old), 0);
    }
    CHECK_EQ(names_offer(&t, "one-more", 200, &old), -E_NOSPC);
    CHECK(names_find(&t, "one-more") == NULL);
    CHECK_EQ(names_offer(&t, "n3", 300, &old), 0);
    CHECK_EQ(old, 103);
}

TEST(names_stale_after_the_driver_ends) {
    struct dm_names t = {0};
    handle_t old, closed[DM_NAMES_MAX];
    CHECK_EQ(names_offer(&t, "sda", 11, &old), 0);
    CHECK_EQ(names_offer(&t, "sdb", 12, &old), 0);
    CHECK_EQ(names_offer(&t, "sdc", 13, &old), 0);
    /* The driver ended: every service to close, the names kept, stale. */
    CHECK_EQ(names_end(&t, closed), 3u);
    CHECK(closed[0] == 11 && closed[1] == 12 && closed[2] == 13);
    CHECK(names_find(&t, "sdb") != NULL);
    CHECK_EQ(names_find(&t, "sdb")->service, HANDLE_NONE);
    CHECK(live_name(&t, 0) == NULL);
    CHECK_EQ(names_end(&t, closed), 0u);   /* nothing twice */
    /* The next instance offers them again (a disk fewer): the listing
     * holds only what it offered, in the old order. */
    CHECK_EQ(names_offer(&t, "sdc", 23, &old), 0);
    CHECK_EQ(old, HANDLE_NONE);
    CHECK_EQ(names_offer(&t, "sda", 21, &old), 0);
    CHECK_STR(live_name(&t, 0), "sda");
    CHECK_STR(live_name(&t, 1), "sdc");
    CHECK(live_name(&t, 2) == NULL);
    CHECK_EQ(t.count, 3u);
}

TEST(names_full_reuses_stale) {
    struct dm_names t = {0};
    handle_t old, closed[DM_NAMES_MAX];
    char name[16];
    for (int i = 0; i < DM_NAMES_MAX; i++) {
        snprintf(name, sizeof(name), "old%d", i);
        CHECK_EQ(names_offer(&t, name, 10 + i, &old), 0);
    }
    CHECK_EQ(names_end(&t, closed), (unsigned)DM_NAMES_MAX);
    /* A new instance with other names: the stale ones make room. */
    for (int i = 0; i < DM_NAMES_MAX; i++) {
        snprintf(name, sizeof(name), "new%d", i);
        CHECK_EQ(names_offer(&t, name, 20 + i, &old), 0);
        CHECK_EQ(old, HANDLE_NONE);
    }
    CHECK_EQ(names_offer(&t, "new-more", 99, &old), -E_NOSPC);
    for (int i = 0; i < DM_NAMES_MAX; i++) {
        snprintf(name, sizeof(name), "new%d", i);
        CHECK_STR(live_name(&t, (unsigned)i), name);
    }
    CHECK(names_find(&t, "old0") == NULL);
}

/* ---- the split virtqueue, with a fake device ---- */

struct ring {
    struct virtq q;
    void *mem;
};

static void ring_new(struct ring *r, uint16_t size) {
    size_t bytes = virtq_ring_bytes(size, NULL, NULL);
    r->mem = malloc(bytes);
    memset(r->mem, 0xa5, bytes);   /* virtq_ring_init must not rely on zeroed memory */
    memset(&r->q, 0, sizeof(r->q));
    virtq_ring_init(&r->q, r->mem, size);
}

/* The device: takes the next available chain and marks it used. */
static int device_take(struct virtq *q, uint16_t *avail_seen, uint32_t written) {
    uint16_t idx = q->avail[1];
    if (*avail_seen == idx)
        return -1;
    uint16_t head = q->avail[2 + *avail_seen % q->size];
    (*avail_seen)++;
    volatile uint16_t *used_idx = (volatile uint16_t *)(q->used + 2);
    uint16_t u = *used_idx;
    volatile uint32_t *elem = (volatile uint32_t *)(q->used + 4 + 8 * (u % q->size));
    elem[0] = head;
    elem[1] = written;
    *used_idx = (uint16_t)(u + 1);
    return head;
}

TEST(virtq_layout) {
    size_t avail, used;
    size_t total = virtq_ring_bytes(8, &avail, &used);
    CHECK_EQ(avail, 128u);                /* 8 descriptors of 16 bytes */
    CHECK_EQ(used % 4, 0u);               /* the used ring is 4-aligned */
    CHECK(used >= avail + 6 + 2 * 8);
    CHECK(total >= used + 6 + 8 * 8 + 2 * 8);
    CHECK_EQ(sizeof(struct virtq_desc), 16u);
    struct ring r;
    ring_new(&r, 8);
    CHECK_EQ(r.q.num_free, 8);
    CHECK_EQ(r.q.avail[1], 0);
    CHECK_EQ(*(volatile uint16_t *)(r.q.used + 2), 0);
    free(r.mem);
}

TEST(virtq_chain_and_use) {
    struct ring r;
    ring_new(&r, 8);
    struct virtq *q = &r.q;
    struct virtq_buf bufs[3] = {
        {.phys = 0x1000, .len = 16, .device_writes = false},
        {.phys = 0x2000, .len = 32, .device_writes = false},
        {.phys = 0x3000, .len = 64, .device_writes = true},
    };
    int head = virtq_ring_add(q, bufs, 3);
    CHECK(head >= 0 && head < 8);
    CHECK_EQ(q->num_free, 5);
    CHECK_EQ(q->avail[1], 1);
    CHECK_EQ(q->avail[2], head);
    /* the chain as the device walks it */
    uint16_t d = (uint16_t)head;
    CHECK_EQ(q->desc[d].addr, 0x1000ull);
    CHECK_EQ(q->desc[d].flags, VIRTQ_DESC_F_NEXT);
    d = q->desc[d].next;
    CHECK_EQ(q->desc[d].addr, 0x2000ull);
    CHECK_EQ(q->desc[d].flags, VIRTQ_DESC_F_NEXT);
    d = q->desc[d].next;
    CHECK_EQ(q->desc[d].addr, 0x3000ull);
    CHECK_EQ(q->desc[d].len, 64u);
    CHECK_EQ(q->desc[d].flags, VIRTQ_DESC_F_WRITE);
    uint32_t len = 0;
    CHECK_EQ(virtq_get_used(q, &len), -E_AGAIN);   /* nothing finished yet */
    uint16_t seen = 0;
    CHECK_EQ(device_take(q, &seen, 40), head);
    CHECK_EQ(virtq_get_used(q, &len), head);
    CHECK_EQ(len, 40u);
    CHECK_EQ(q->num_free, 8);
    CHECK_EQ(virtq_get_used(q, &len), -E_AGAIN);
    free(r.mem);
}

TEST(virtq_full_and_wraparound) {
    struct ring r;
    ring_new(&r, 4);
    struct virtq *q = &r.q;
    struct virtq_buf b = {.phys = 0x1000, .len = 8, .device_writes = true};
    uint16_t seen = 0;
    /* Many more requests than the ring has room for, so the 16-bit indexes
     * and the free list wrap many times; out of order completion too. */
    for (int round = 0; round < 20000; round++) {
        int h[4];
        for (int i = 0; i < 4; i++) {
            h[i] = virtq_ring_add(q, &b, 1);
            CHECK(h[i] >= 0);
        }
        CHECK_EQ(virtq_ring_add(q, &b, 1), -E_AGAIN);   /* full */
        for (int i = 0; i < 4; i++)
            CHECK_EQ(device_take(q, &seen, (uint32_t)i), h[i]);
        uint32_t len;
        for (int i = 0; i < 4; i++) {
            CHECK_EQ(virtq_get_used(q, &len), h[i]);
            CHECK_EQ(len, (uint32_t)i);
        }
        CHECK_EQ(q->num_free, 4);
        if (test_failed_now)
            break;
    }
    /* a two-descriptor chain needs two free ones */
    struct virtq_buf two[2] = {{.phys = 1, .len = 1}, {.phys = 2, .len = 2, .device_writes = true}};
    CHECK(virtq_ring_add(q, two, 2) >= 0);
    CHECK(virtq_ring_add(q, two, 2) >= 0);
    CHECK_EQ(virtq_ring_add(q, two, 2), -E_AGAIN);
    CHECK_EQ(virtq_ring_add(q, &b, 1), -E_AGAIN);
    free(r.mem);
}

TEST(virtq_refuses_bad_requests) {
    struct ring r;
    ring_new(&r, 4);
    struct virtq_buf wrong_order[2] = {{.phys = 1, .len = 1, .device_writes = true}, {.phys = 2, .len = 2}};
    CHECK_EQ(virtq_ring_add(&r.q, wrong_order, 2), -E_INVAL);
    CHECK_EQ(virtq_ring_add(&r.q, wrong_order, 0), -E_INVAL);
    struct virtq_buf many[5] = {{0}};
    CHECK_EQ(virtq_ring_add(&r.q, many, 5), -E_INVAL);   /* longer than the ring */
    CHECK_EQ(r.q.num_free, 4);
    CHECK_EQ(r.q.avail[1], 0);
    free(r.mem);
}

TEST(virtq_broken_device) {
    struct ring r;
    ring_new(&r, 4);
    struct virtq *q = &r.q;
    struct virtq_buf b = {.phys = 0x1000, .len = 8, .device_writes = true};
    int h = virtq_ring_add(q, &b, 1);
    CHECK(h >= 0);
    volatile uint16_t *used_idx = (volatile uint16_t *)(q->used + 2);
    volatile uint32_t *elem = (volatile uint32_t *)(q->used + 4);
    uint32_t len;
    /* a used entry naming a descriptor that is not in flight */
    elem[0] = (uint32_t)((h + 1) % 4);
    elem[1] = 0;
    *used_idx = 1;
    CHECK_EQ(virtq_get_used(q, &len), -E_IO);
    /* an id past the ring */
    elem[0] = 99;
    CHECK_EQ(virtq_get_used(q, &len), -E_IO);
    /* more used than were ever in flight */
    elem[0] = (uint32_t)h;
    *used_idx = 9;
    CHECK_EQ(virtq_get_used(q, &len), -E_IO);
    /* the right one is accepted once, not twice */
    *used_idx = 1;
    CHECK_EQ(virtq_get_used(q, &len), h);
    *used_idx = 2;
    elem[2] = (uint32_t)h;
    CHECK_EQ(virtq_get_used(q, &len), -E_IO);
    free(r.mem);
}

TEST(virtq_notify_suppression) {
    struct ring r;
    ring_new(&r, 4);
    CHECK(virtq_ring_needs_notify(&r.q));
    *(volatile uint16_t *)r.q.used = 1;   /* VIRTQ_USED_F_NO_NOTIFY */
    CHECK(!virtq_ring_needs_notify(&r.q));
    free(r.mem);
}

TEST_MAIN()
