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
