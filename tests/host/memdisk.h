/*
 * An in-memory disk of 512-byte sectors for host tests of the disk code
 * (libs/fat, libs/gpt): read and write callbacks with the signature both
 * libraries' device structs take, and failure injection.
 */
#ifndef TEST_MEMDISK_H
#define TEST_MEMDISK_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct memdisk {
    uint8_t *data;
    uint64_t sectors;
    int fail_writes;    /* every write fails */
    int writes_left;    /* power cut after this many writes; -1: never (0 in a zeroed struct: set it) */
};

/* (Re)allocates the disk: sectors of zeros, no failures set. */
static void md_alloc(struct memdisk *d, uint64_t sectors) {
    free(d->data);
    d->data = calloc(sectors, 512);
    d->sectors = sectors;
    d->fail_writes = 0;
    d->writes_left = -1;
}

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

/* Runs the host's fsck.fat -n over sectors [first, first + count) of the
 * disk (a FAT volume, e.g. one partition), copied sparsely into a temporary
 * file. Returns 0 when clean; prints what fsck.fat said otherwise. */
static int md_fsck_fat(const struct memdisk *d, uint64_t first, uint64_t count) {
    char path[] = "/tmp/tessera-fat-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0 || first + count > d->sectors)
        return -1;
    static const uint8_t zero[512];
    int ok = ftruncate(fd, (off_t)count * 512) == 0;
    for (uint64_t s = 0; ok && s < count; s++)
        if (memcmp(d->data + (first + s) * 512, zero, 512) != 0)
            ok = pwrite(fd, d->data + (first + s) * 512, 512, (off_t)s * 512) == 512;
    close(fd);
    if (!ok) {
        unlink(path);
        return -1;
    }
    if (access("/usr/sbin/fsck.fat", X_OK) != 0 && system("command -v fsck.fat >/dev/null") != 0) {
        printf("fsck.fat not found: install dosfstools\n");
        unlink(path);
        return -1;
    }
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "PATH=$PATH:/usr/sbin:/sbin fsck.fat -n %s 2>&1", path);
    FILE *p = popen(cmd, "r");
    int bad = 0, lines = 0;
    char line[512];
    while (p && fgets(line, sizeof(line), p)) {
        lines++;
        /* Clean output: the version line and the "N files, M/K clusters" summary. */
        if (strncmp(line, "fsck.fat ", 9) != 0 && !strstr(line, " files, ")) {
            printf("fsck.fat: %s", line);
            bad = 1;
        }
    }
    int status = p ? pclose(p) : -1;
    unlink(path);
    return status == 0 && !bad && lines > 0 ? 0 : -1;
}

#endif
