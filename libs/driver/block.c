/* The one-client-at-a-time part of libs/driver/block.idl, shared by the disk
 * drivers (virtio_blk, ahci, nvme). */
#include <common/string.h>
#include <driver/driver.h>
#include <tessera/runtime.h>
#include <tessera/syscall.h>

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

/* block.crash_after=N: fault on purpose at the client's request after N of
 * them, in the driver's first run only (dm's restart test, tests/blktest). */
static void maybe_crash(const char *name) {
    static long crash_after = -2, requests;
    if (crash_after == -2)
        crash_after = startup_option_int("restarts", 0) == 0 ? startup_option_int("block.crash_after", -1) : -1;
    if (crash_after >= 0 && requests++ >= crash_after)
        drv_crash_on_purpose(name, (unsigned long long)crash_after, "requests");
}

int drv_block_check(struct drv_block_client *c, const struct ipc_msg *req) {
    if (c->task != HANDLE_NONE && !client_alive(c))
        drv_block_close(c);
    if (c->task == HANDLE_NONE || req->sender != c->id)
        return -E_PERM;
    maybe_crash(c->name);
    return 0;
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
