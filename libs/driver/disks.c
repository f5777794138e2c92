/* The client side of disks (the installer, fatfs): drv_block_disks lists
 * them, drv_disk_* open one and move data through the driver's buffer. Its
 * own file: programs that are not drivers (musl ones too) link it without
 * the rest of the SDK, so it needs nothing of `startup`. */
#include <common/string.h>
#include <driver/driver.h>
#include <tessera/runtime.h>
#include <tessera/syscall.h>
#include "idl/block.h"
#include "idl/dm.h"
#include "idl/init.h"

/* Disks are the services of the block drivers that answer block.info (an
 * AHCI controller without a disk offers a name but no disk). */
static bool is_block_driver(const char *path) {
    return !strcmp(path, "servers/virtio_blk") || !strcmp(path, "servers/ahci") ||
           !strcmp(path, "servers/nvme");
}

static void set_model(struct drv_block_info *info, const char *model) {
    size_t n = strnlen(model, DRV_BLOCK_MODEL_MAX - 1);   /* long models are cut */
    memcpy(info->model, model, n);
    info->model[n] = 0;
}

/* block.info of `name` into *out; false if it is not a disk. */
static bool disk_info(handle_t dm, const char *name, struct drv_block_info *out) {
    handle_t disk;
    if (strlen(name) >= DRV_BLOCK_NAME_MAX || dm_lookup(dm, name, &disk) != 0)
        return false;
    char model[BLOCK_INFO_MODEL_MAX];
    bool ok = block_info(disk, &out->sector_size, &out->sectors, &out->read_only, model, sizeof(model)) == 0;
    sys_handle_close(disk);
    if (ok) {
        memcpy(out->name, name, strlen(name) + 1);
        set_model(out, model);
    }
    return ok;
}

int drv_block_disks(handle_t bootstrap, struct drv_block_info *out, int max) {
    handle_t dm = HANDLE_NONE;
    int err = init_lookup(bootstrap, "dm", &dm);
    if (err)
        return err;
    int n = 0;
    for (uint32_t i = 0; n < max; i++) {
        uint32_t vendor, device, class_code, location, state, restarts;
        char driver[DM_DEVICE_DRIVER_MAX] = "";
        if (dm_device(dm, i, &vendor, &device, &class_code, &location, driver, sizeof(driver), &state,
                      &restarts) != 0)
            break;   /* past the last device */
        if (!is_block_driver(driver))
            continue;
        /* Every name its driver offers (an AHCI controller: one per disk). */
        char name[DM_SERVICE_NAME_MAX] = "";
        for (uint32_t which = 0; n < max && dm_service(dm, i, which, name, sizeof(name)) == 0; which++)
            if (disk_info(dm, name, &out[n]))
                n++;
    }
    sys_handle_close(dm);
    return n;
}

/* ---- a disk's client ---- */

int drv_disk_open(handle_t bootstrap, handle_t self, const char *name, uint64_t wait_ns, struct drv_disk *d) {
    memset(d, 0, sizeof(*d));
    d->h = HANDLE_NONE;
    if (strlen(name) >= DRV_BLOCK_NAME_MAX)
        return -E_INVAL;
    memcpy(d->info.name, name, strlen(name) + 1);
    int err = driver_lookup(bootstrap, name, wait_ns, &d->h);
    if (err) {
        d->h = HANDLE_NONE;
        return err;
    }
    char model[BLOCK_INFO_MODEL_MAX];
    err = block_info(d->h, &d->info.sector_size, &d->info.sectors, &d->info.read_only, model, sizeof(model));
    if (!err)
        set_model(&d->info, model);
    long task = err ? err : sys_handle_dup(self, RIGHT_WATCH | RIGHT_TRANSFER, 0);
    handle_t mem = HANDLE_NONE;
    err = task < 0 ? (int)task : block_open(d->h, (handle_t)task, &mem, &d->buf_size);
    if (!err) {
        uintptr_t va = vm_reserve(d->buf_size);
        long r = va ? sys_vm_map(HANDLE_SELF, mem, 0, va, d->buf_size, PROT_R | PROT_W) : -E_NOMEM;
        sys_handle_close(mem);   /* the mapping keeps it */
        if (r == 0 && d->buf_size >= d->info.sector_size && d->info.sector_size)
            d->buf = (uint8_t *)va;
        else
            err = r < 0 ? (int)r : -E_INVAL;
    }
    if (err)
        drv_disk_close(d);
    return err;
}

int drv_disk_io(struct drv_disk *d, uint64_t sector, uint32_t count, void *buf, bool write) {
    if (d->h == HANDLE_NONE || !d->buf)
        return -E_BADH;
    uint32_t per = d->buf_size / d->info.sector_size;
    uint8_t *p = buf;
    while (count) {
        uint32_t n = count < per ? count : per;
        size_t bytes = (size_t)n * d->info.sector_size;
        int err;
        if (write) {
            memcpy(d->buf, p, bytes);
            err = block_write(d->h, sector, n);
        } else {
            err = block_read(d->h, sector, n);
            if (!err)
                memcpy(p, d->buf, bytes);
        }
        if (err)
            return err;
        p += bytes;
        sector += n;
        count -= n;
    }
    return 0;
}

int drv_disk_flush(struct drv_disk *d) {
    return d->h == HANDLE_NONE ? -E_BADH : block_flush(d->h);
}

void drv_disk_close(struct drv_disk *d) {
    if (d->h != HANDLE_NONE) {
        block_close(d->h);   /* fails harmlessly if the driver is gone */
        sys_handle_close(d->h);
    }
    if (d->buf)
        sys_vm_unmap(HANDLE_SELF, (uintptr_t)d->buf, d->buf_size);
    d->h = HANDLE_NONE;
    d->buf = NULL;
}
