/*
 * An in-memory disk of 512-byte sectors for host tests of the disk code
 * (libs/fat, libs/gpt): read and write callbacks with the signature both
 * libraries' device structs take, and failure injection.
 */
#ifndef TEST_MEMDISK_H
#define TEST_MEMDISK_H

#include <stdint.h>
#include <string.h>

struct memdisk {
    uint8_t *data;
    uint64_t sectors;
    int fail_writes;    /* every write fails */
    int writes_left;    /* power cut after this many writes; -1: never (0 in a zeroed struct: set it) */
};

static int md_read(void *ctx, uint64_t sector, uint32_t count, void *buf) {
    struct memdisk *d = ctx;
    if (sector + count > d->sectors)
        return -1;
    memcpy(buf, d->data + sector * 512, (size_t)count * 512);
    return 0;
}

static int md_write(void *ctx, uint64_t sector, uint32_t count, const void *buf) {
    struct memdisk *d = ctx;
    if (d->fail_writes || d->writes_left == 0 || sector + count > d->sectors)
        return -1;
    if (d->writes_left > 0)
        d->writes_left--;
    memcpy(d->data + sector * 512, buf, (size_t)count * 512);
    return 0;
}

#endif
