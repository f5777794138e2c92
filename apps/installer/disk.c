/*
 * The installer's disks: listing them (dm, then block.info for each) and
 * writing one through the block interface (libs/driver/block.idl) with the
 * DMA buffer the driver shares.
 */
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <tessera/runtime.h>
#include "idl/block.h"
#include "installer.h"

#define LOOKUP_NS 5000000000ull

static handle_t disk_h = HANDLE_NONE;
static uint8_t *buffer;
static uint32_t buffer_size;

int disks_list(handle_t bootstrap, struct disk *out, int max) {
    char names[MAX_DISKS][DRV_BLOCK_NAME_MAX];
    int n = drv_block_disks(bootstrap, names, max < MAX_DISKS ? max : MAX_DISKS);
    if (n < 0)
        return n;
    int k = 0;
    for (int i = 0; i < n; i++) {
        handle_t h;
        if (driver_lookup(bootstrap, names[i], LOOKUP_NS, &h) != 0)
            continue;
        struct disk *d = &out[k];
        char model[BLOCK_INFO_MODEL_MAX];
        memset(d, 0, sizeof *d);
        memcpy(d->name, names[i], sizeof d->name);
        d->name[sizeof d->name - 1] = 0;
        int err = block_info(h, &d->sector_size, &d->sectors, &d->read_only, model, sizeof model);
        sys_handle_close(h);
        if (err)
            continue;
        model[sizeof d->model - 1] = 0;   /* long models are cut */
        memcpy(d->model, model, strlen(model) + 1);
        k++;
    }
    return k;
}

static unsigned long long disk_mib(const struct disk *d) {
    return (unsigned long long)(d->sectors * d->sector_size >> 20);
}

void disk_label(const struct disk *d, char *out, size_t len) {
    snprintf(out, len, "%s (%s, %llu MiB%s)", d->name, d->model, disk_mib(d), d->read_only ? ", read-only" : "");
}

const char *disk_refusal(const struct disk *d, char *buf, size_t len) {
    if (d->read_only)
        snprintf(buf, len, "%s is read-only: nothing can be written to it", d->name);
    else if (d->sector_size != 512)
        snprintf(buf, len, "%s has %u-byte sectors; the installer writes 512-byte sectors only", d->name,
                 d->sector_size);
    else if (install_check_size(d->sectors, buf, len) == INSTALL_OK)
        return NULL;
    return buf;
}

/* libs/install's device: whole buffers at a time through the shared buffer. */
static int disk_io(uint64_t sector, uint32_t count, uint8_t *buf, bool write) {
    uint32_t per = buffer_size / 512;
    while (count) {
        uint32_t n = count < per ? count : per;
        int err;
        if (write) {
            memcpy(buffer, buf, (size_t)n * 512);
            err = block_write(disk_h, sector, n);
        } else {
            err = block_read(disk_h, sector, n);
            if (!err)
                memcpy(buf, buffer, (size_t)n * 512);
        }
        if (err) {
            printf("installer: %s of %u sectors at %llu: %s\n", write ? "write" : "read", n,
                   (unsigned long long)sector, err_str(err));
            return -1;
        }
        sector += n;
        count -= n;
        buf += (size_t)n * 512;
    }
    return 0;
}

static int dev_read(void *ctx, uint64_t s, uint32_t n, void *buf) {
    (void)ctx;
    return disk_io(s, n, buf, false);
}

static int dev_write(void *ctx, uint64_t s, uint32_t n, const void *buf) {
    (void)ctx;
    return disk_io(s, n, (uint8_t *)buf, true);
}

static int dev_flush(void *ctx) {
    (void)ctx;
    int err = block_flush(disk_h);
    if (err)
        printf("installer: flush: %s\n", err_str(err));
    return err ? -1 : 0;
}

int disk_open(handle_t bootstrap, const struct disk *d, struct install_device *dev, char *msg, size_t len) {
    disk_close();
    int err = driver_lookup(bootstrap, d->name, LOOKUP_NS, &disk_h);
    if (err) {
        snprintf(msg, len, "%s is gone: %s", d->name, err_str(err));
        disk_h = HANDLE_NONE;
        return err;
    }
    handle_t self = (handle_t)(long)getauxval(AT_TESSERA_SELF);
    long task = sys_handle_dup(self, RIGHT_WATCH | RIGHT_TRANSFER, 0);
    handle_t mem = HANDLE_NONE;
    err = task < 0 ? (int)task : block_open(disk_h, (handle_t)task, &mem, &buffer_size);
    if (err == -E_BUSY) {
        snprintf(msg, len, "%s is in use by another program", d->name);
        disk_close();
        return err;
    }
    if (err) {
        snprintf(msg, len, "%s cannot be opened: %s", d->name, err_str(err));
        disk_close();
        return err;
    }
    uintptr_t va = vm_reserve(buffer_size);
    long r = va ? sys_vm_map(HANDLE_SELF, mem, 0, va, buffer_size, PROT_R | PROT_W) : -E_NOMEM;
    sys_handle_close(mem);
    if (r < 0 || buffer_size < 512) {
        snprintf(msg, len, "%s: its buffer cannot be mapped: %s", d->name, err_str(r));
        disk_close();
        return r < 0 ? (int)r : -E_INVAL;
    }
    buffer = (uint8_t *)va;
    *dev = (struct install_device){NULL, dev_read, dev_write, dev_flush, d->sectors};
    return 0;
}

void disk_close(void) {
    if (disk_h == HANDLE_NONE)
        return;
    block_close(disk_h);
    sys_handle_close(disk_h);
    disk_h = HANDLE_NONE;
    if (buffer)
        sys_vm_unmap(HANDLE_SELF, (uintptr_t)buffer, buffer_size);
    buffer = NULL;
}
