/*
 * The installer's disks: how they are shown and refused, and the one being
 * written, as libs/install's device over the driver SDK's disk client
 * (libs/driver/disks.c).
 */
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <tessera/runtime.h>
#include "installer.h"

#define LOOKUP_NS 5000000000ull

static struct drv_disk disk = {.h = HANDLE_NONE};

static unsigned long long disk_mib(const struct drv_block_info *d) {
    return (unsigned long long)(d->sectors * d->sector_size >> 20);
}

void disk_label(const struct drv_block_info *d, char *out, size_t len) {
    snprintf(out, len, "%s (%s, %llu MiB%s)", d->name, d->model, disk_mib(d), d->read_only ? ", read-only" : "");
}

const char *disk_refusal(const struct drv_block_info *d, char *buf, size_t len) {
    if (d->read_only)
        snprintf(buf, len, "%s is read-only: nothing can be written to it", d->name);
    else if (d->sector_size != 512)
        snprintf(buf, len, "%s has %u-byte sectors; the installer writes 512-byte sectors only", d->name,
                 d->sector_size);
    else if (install_check_size(d->sectors, buf, len) == INSTALL_OK)
        return NULL;
    return buf;
}

/* libs/install's device: the disk, through the driver's buffer. */
static int disk_io(uint64_t sector, uint32_t count, void *buf, bool write) {
    int err = drv_disk_io(&disk, sector, count, buf, write);
    if (err)
        printf("installer: %s of %u sectors at %llu: %s\n", write ? "write" : "read", count,
               (unsigned long long)sector, err_str(err));
    return err ? -1 : 0;
}

static int dev_read(void *ctx, uint64_t s, uint32_t n, void *buf) {
    (void)ctx;
    return disk_io(s, n, buf, false);
}

static int dev_write(void *ctx, uint64_t s, uint32_t n, const void *buf) {
    (void)ctx;
    return disk_io(s, n, (void *)buf, true);
}

static int dev_flush(void *ctx) {
    (void)ctx;
    int err = drv_disk_flush(&disk);
    if (err)
        printf("installer: flush: %s\n", err_str(err));
    return err ? -1 : 0;
}

int disk_open(handle_t bootstrap, const struct drv_block_info *d, struct install_device *dev, char *msg,
              size_t len) {
    disk_close();
    handle_t self = (handle_t)(long)getauxval(AT_TESSERA_SELF);
    int err = drv_disk_open(bootstrap, self, d->name, LOOKUP_NS, &disk);
    if (err == -E_BUSY)
        snprintf(msg, len, "%s is in use by another program", d->name);
    else if (err == -E_NOENT)
        snprintf(msg, len, "%s is gone: %s", d->name, err_str(err));
    else if (err)
        snprintf(msg, len, "%s cannot be opened: %s", d->name, err_str(err));
    if (err)
        return err;
    *dev = (struct install_device){NULL, dev_read, dev_write, dev_flush, d->sectors};
    return 0;
}

void disk_close(void) { drv_disk_close(&disk); }
