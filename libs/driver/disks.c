/* drv_block_disks: the disks there are, for their clients (the installer,
 * fatfs). Its own file: programs that are not drivers (musl ones too) link
 * it without the rest of the SDK, so it needs nothing of `startup`. */
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

/* Whether `name` is a disk that answers block.info. */
static bool is_disk(handle_t dm, const char *name) {
    handle_t disk;
    if (strlen(name) >= DRV_BLOCK_NAME_MAX || dm_lookup(dm, name, &disk) != 0)
        return false;
    uint32_t sector_size;
    uint64_t sectors;
    bool read_only;
    char model[BLOCK_INFO_MODEL_MAX];
    bool ok = block_info(disk, &sector_size, &sectors, &read_only, model, sizeof(model)) == 0;
    sys_handle_close(disk);
    return ok;
}

int drv_block_disks(handle_t bootstrap, char names[][DRV_BLOCK_NAME_MAX], int max) {
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
            if (is_disk(dm, name))
                memcpy(names[n++], name, strlen(name) + 1);
    }
    sys_handle_close(dm);
    return n;
}
