/*
 * The virtio 1.x split virtqueue over plain memory: descriptors, available
 * and used rings, and the free list. No device registers here (virtio.c
 * tells the device), so tests/host/test_dm.c runs it with a fake device.
 *
 * Layout of one allocation: desc[size] (16 bytes each), avail {flags, idx,
 * ring[size], used_event}, padding to 4, used {flags, idx, {id, len}[size],
 * avail_event}, then chain_len[size] (ours: the length of the chain each
 * in-flight head starts, 0 for descriptors that are not heads in flight).
 * Free descriptors are linked through their next fields from free_head.
 */
#include <driver/driver.h>

#define USED_F_NO_NOTIFY 1

static size_t align_up(size_t v, size_t a) { return (v + a - 1) & ~(a - 1); }

size_t virtq_ring_bytes(unsigned size, size_t *avail_off, size_t *used_off) {
    size_t avail = 16 * (size_t)size;
    size_t used = align_up(avail + 6 + 2 * (size_t)size, 4);
    size_t chain = align_up(used + 6 + 8 * (size_t)size, 2);
    if (avail_off)
        *avail_off = avail;
    if (used_off)
        *used_off = used;
    return chain + 2 * (size_t)size;
}

static volatile uint16_t *used_idx(const struct virtq *q) {
    return (volatile uint16_t *)(q->used + 2);
}

void virtq_ring_init(struct virtq *q, void *mem, uint16_t size) {
    size_t avail_off, used_off;
    size_t total = virtq_ring_bytes(size, &avail_off, &used_off);
    uint8_t *base = mem;
    q->size = size;
    q->desc = (volatile struct virtq_desc *)base;
    q->avail = (volatile uint16_t *)(base + avail_off);
    q->used = base + used_off;
    q->chain_len = (uint16_t *)(base + total - 2 * (size_t)size);
    for (uint16_t i = 0; i < size; i++) {
        q->desc[i].addr = 0;
        q->desc[i].len = 0;
        q->desc[i].flags = 0;
        q->desc[i].next = (uint16_t)(i + 1 < size ? i + 1 : 0);
        q->chain_len[i] = 0;
    }
    q->avail[0] = q->avail[1] = 0;
    *(volatile uint16_t *)q->used = 0;
    *used_idx(q) = 0;
    q->free_head = 0;
    q->num_free = size;
    q->last_used = 0;
}

int virtq_ring_add(struct virtq *q, const struct virtq_buf *bufs, unsigned n) {
    if (n == 0 || n > q->size)
        return -E_INVAL;
    for (unsigned i = 1; i < n; i++)
        if (bufs[i - 1].device_writes && !bufs[i].device_writes)
            return -E_INVAL;   /* device-readable buffers come first */
    if (q->num_free < n)
        return -E_AGAIN;
    uint16_t head = q->free_head, d = head;
    for (unsigned i = 0; i < n; i++) {
        if (d >= q->size)
            return -E_IO;   /* the free list was overwritten */
        q->desc[d].addr = bufs[i].phys;
        q->desc[d].len = bufs[i].len;
        q->desc[d].flags = (uint16_t)((bufs[i].device_writes ? VIRTQ_DESC_F_WRITE : 0) |
                                      (i + 1 < n ? VIRTQ_DESC_F_NEXT : 0));
        uint16_t next = q->desc[d].next;
        if (i + 1 == n)
            q->free_head = next;
        else
            d = next;
    }
    q->num_free = (uint16_t)(q->num_free - n);
    q->chain_len[head] = (uint16_t)n;
    uint16_t idx = q->avail[1];
    q->avail[2 + idx % q->size] = head;
    drv_barrier();   /* the entry before the index that publishes it */
    q->avail[1] = (uint16_t)(idx + 1);
    drv_barrier();   /* the index before we read the device's flags */
    return head;
}

bool virtq_ring_needs_notify(const struct virtq *q) {
    return !(*(volatile uint16_t *)q->used & USED_F_NO_NOTIFY);
}

int virtq_get_used(struct virtq *q, uint32_t *len) {
    uint16_t idx = *used_idx(q);
    uint16_t pending = (uint16_t)(idx - q->last_used);
    if (pending == 0)
        return -E_AGAIN;
    if (pending > q->size)
        return -E_IO;   /* more finished than ever were in flight */
    drv_barrier();      /* the index before the entry it publishes */
    volatile uint32_t *elem = (volatile uint32_t *)(q->used + 4 + 8 * (size_t)(q->last_used % q->size));
    uint32_t id = elem[0], got = elem[1];
    if (id >= q->size || q->chain_len[id] == 0)
        return -E_IO;   /* not a chain we handed over */
    unsigned n = q->chain_len[id];
    uint16_t last = (uint16_t)id;
    for (unsigned i = 1; i < n; i++) {
        last = q->desc[last].next;
        if (last >= q->size)
            return -E_IO;
    }
    q->desc[last].next = q->free_head;
    q->free_head = (uint16_t)id;
    q->num_free = (uint16_t)(q->num_free + n);
    q->chain_len[id] = 0;
    q->last_used++;
    if (len)
        *len = got;
    return (int)id;
}
