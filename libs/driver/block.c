/* The one-client-at-a-time part of libs/driver/block.idl, shared by the disk
 * drivers (virtio_blk, ahci, nvme). */
#include <common/string.h>
#include <driver/driver.h>
#include <tessera/runtime.h>
#include <tessera/syscall.h>
#include "idl/block.h"
#include "idl/dm.h"
#include "idl/init.h"

static bool client_alive(const struct drv_block_client *c) {
    struct task_info info;
    return c->task != HANDLE_NONE && sys_task_info(c->task, &info) == 0 && info.state != TASK_STATE_DEAD;
}

void drv_block_close(struct drv_block_client *c) {
    if (c->task != HANDLE_NONE)
        sys_handle_close(c->task);
    c->task = HANDLE_NONE;
    c->id = 0;
    drv_dma_free(&c->buf);
}

int drv_block_check(struct drv_block_client *c, const struct ipc_msg *req) {
    if (c->task != HANDLE_NONE && !client_alive(c))
        drv_block_close(c);
    return c->task != HANDLE_NONE && req->sender == c->id ? 0 : -E_PERM;
}

int drv_block_close_by(struct drv_block_client *c, const struct ipc_msg *req) {
    int err = drv_block_check(c, req);
    if (!err)
        drv_block_close(c);
    return err;
}

int drv_block_open(struct drv_block_client *c, const struct ipc_msg *req, handle_t task, uint32_t size,
                   handle_t *buffer, uint32_t *buffer_size) {
    struct handle_info hi;
    struct task_info ti;
    int err = 0;
    /* The caller's own live task, which we may watch: it tells us when the
     * client has ended, and nobody can make another task the client. */
    if (task == HANDLE_NONE || sys_handle_info(task, &hi) < 0 || hi.type != KOBJ_TASK ||
        !(hi.rights & RIGHT_WATCH) || sys_task_info(task, &ti) < 0 || ti.id != req->sender ||
        ti.state == TASK_STATE_DEAD)
        err = -E_PERM;
    else if (c->task != HANDLE_NONE && c->id != ti.id && client_alive(c))
        err = -E_BUSY;   /* another task has the disk */
    if (err) {
        if (task != HANDLE_NONE)
            sys_handle_close(task);
        return err;
    }
    /* The previous client ended without closing, or the client opens again:
     * either way a fresh buffer (drv_dma_alloc zeroes it), so no old mapping
     * reaches the new client's data. */
    drv_block_close(c);
    err = drv_dma_alloc(size, &c->buf);
    if (!err && c->dma_limit && (c->buf.phys > c->dma_limit || c->buf.size > c->dma_limit - c->buf.phys))
        err = -E_NOMEM;   /* the device cannot reach it */
    long dup = err ? err : sys_handle_dup(c->buf.mem, RIGHT_READ | RIGHT_WRITE | RIGHT_TRANSFER, 0);
    if (dup < 0) {
        log_printf("%s: no %u KiB buffer for task %u: %s\n", c->name, size / 1024, ti.id, err_str((int)dup));
        drv_dma_free(&c->buf);
        sys_handle_close(task);
        return (int)dup;
    }
    c->task = task;
    c->id = ti.id;
    *buffer = (handle_t)dup;
    *buffer_size = size;
    return 0;
}

/* Disks are the services of the block drivers that answer block.info (an
 * AHCI controller without a disk offers a name but no disk). */
static bool is_block_driver(const char *path) {
    return !strcmp(path, "servers/virtio_blk") || !strcmp(path, "servers/ahci") ||
           !strcmp(path, "servers/nvme");
}

int drv_block_disks(handle_t bootstrap, char names[][DRV_BLOCK_NAME_MAX], int max) {
    handle_t dm = HANDLE_NONE;
    int err = init_lookup(bootstrap, "dm", &dm);
    if (err)
        return err;
    int n = 0;
    for (uint32_t i = 0; n < max; i++) {
        uint32_t vendor, device, class_code, location, state, restarts;
        char driver[DM_DEVICE_DRIVER_MAX] = "", name[DM_SERVICE_NAME_MAX] = "";
        if (dm_device(dm, i, &vendor, &device, &class_code, &location, driver, sizeof(driver), &state,
                      &restarts) != 0)
            break;   /* past the last device */
        if (!is_block_driver(driver) || dm_service(dm, i, name, sizeof(name)) != 0 || !name[0] ||
            strlen(name) >= DRV_BLOCK_NAME_MAX)
            continue;
        handle_t disk;
        if (dm_lookup(dm, name, &disk) != 0)
            continue;
        uint32_t sector_size;
        uint64_t sectors;
        bool read_only;
        char model[BLOCK_INFO_MODEL_MAX];
        if (block_info(disk, &sector_size, &sectors, &read_only, model, sizeof(model)) == 0)
            memcpy(names[n++], name, strlen(name) + 1);
        sys_handle_close(disk);
    }
    sys_handle_close(dm);
    return n;
}
