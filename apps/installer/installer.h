/*
 * The installer (apps/installer): the disks there are (drv_block_disks in
 * <driver/driver.h>), the files it installs, and the block device
 * libs/install writes through.
 */
#ifndef INSTALLER_H
#define INSTALLER_H

#include <stdbool.h>
#include <stdint.h>
#include <driver/driver.h>
#include <install/install.h>
#include <tessera/syscall.h>

#define MAX_DISKS 8

/* "vda (QEMU HARDDISK, 2048 MiB)" */
void disk_label(const struct drv_block_info *d, char *out, size_t len);

/* Why this disk cannot be installed on, in words, or NULL if it can. */
const char *disk_refusal(const struct drv_block_info *d, char *buf, size_t len);

/* Becomes the disk's client (block.open) and fills dev for libs/install.
 * On failure msg says why. */
int disk_open(handle_t bootstrap, const struct drv_block_info *d, struct install_device *dev, char *msg, size_t len);
/* Gives the disk up again. */
void disk_close(void);

/* Maps or reads the files in /install (the boot archive's copy of what is installed). */
int payload_load(handle_t bootstrap, struct install_payload *p, char *msg, size_t len);

#endif
