/*
 * The installer's procedure: writes Tessera onto a whole disk (libs/gpt's
 * layout, GRUB for BIOS and UEFI, two FAT32 partitions) and checks what it
 * wrote by reading it back. Pure C over callbacks, no allocation and no IPC,
 * so the installer app (apps/installer, over the block interface) and the
 * host tool tools/mkdisk.c (over an image file) run the same code. Sectors
 * are 512 bytes.
 *
 * Order, so that a failure never leaves a disk that looks installed: the old
 * partition tables (MBR, both GPT copies) are wiped first; then the ESP, the
 * system partition and core.img are written, flushed and verified (every
 * file and image read back and compared by CRC-32, IEEE, as GPT uses); only
 * then the GPT (backup, then primary) and last the protective MBR with
 * GRUB's boot.img are written, flushed and verified. Firmware, GRUB and
 * Linux see a GPT only behind a protective MBR, so until that one-sector
 * write the disk is not partitioned at all.
 */
#ifndef INSTALL_INSTALL_H
#define INSTALL_INSTALL_H

#include <stddef.h>
#include <stdint.h>

#define INSTALL_MSG_MAX 256        /* error messages and disk descriptions */

enum {
    INSTALL_OK = 0,
    INSTALL_ETOOSMALL = -1,        /* the disk is below the minimum size */
    INSTALL_EPAYLOAD = -2,         /* a payload file is missing or malformed */
    INSTALL_EIO = -3,              /* the device refused a read, write or flush */
    INSTALL_EVERIFY = -4,          /* what was read back differs from what was written */
    INSTALL_EFS = -5,              /* the FAT or GPT library refused (message says why) */
};

struct install_device {
    void *ctx;
    int (*read)(void *ctx, uint64_t sector, uint32_t count, void *buf);
    int (*write)(void *ctx, uint64_t sector, uint32_t count, const void *buf);
    int (*flush)(void *ctx);       /* may be NULL */
    uint64_t sector_count;
};

struct install_blob {
    const void *data;
    size_t size;
};

/* What goes onto the disk. */
struct install_payload {
    struct install_blob boot_img;  /* GRUB i386-pc boot.img, 512 bytes (MBR code) */
    struct install_blob core_img;  /* GRUB i386-pc core.img (BIOS boot partition) */
    struct install_blob efi;       /* GRUB x86_64-efi, \EFI\BOOT\BOOTX64.EFI on the ESP */
    struct install_blob grub_cfg;  /* /boot/grub/grub.cfg on the system partition */
    struct install_blob kernel;    /* /boot/tessera.elf */
    struct install_blob boot_tar;  /* /boot/boot.tar; its apps/, fonts/ and themes/
                                      are also copied out as files */
};

struct install_options {
    uint64_t seed;                 /* for the GPT's GUIDs */
    /* Called as the work advances: done of total bytes (writing and reading
     * back), and what is being done in words. May be NULL. */
    void (*progress)(void *ctx, uint64_t done, uint64_t total, const char *step);
    void *progress_ctx;
};

struct install_result {
    int err;                       /* INSTALL_OK or an INSTALL_E* code */
    char message[INSTALL_MSG_MAX]; /* on failure: which step, which sector, why */
    uint64_t bytes;                /* bytes of files and images written */
    uint32_t files;                /* files written (and verified) */
};

/* The smallest disk install_run accepts, in sectors. */
uint64_t install_min_sectors(void);

/* INSTALL_OK, or INSTALL_ETOOSMALL with msg saying the size and the minimum
 * in MiB. */
int install_check_size(uint64_t sectors, char *msg, size_t len);

/* What is on the disk now, in words, for the confirmation text: a GPT with
 * its partitions (names, sizes), a Tessera installation, an MBR table, a
 * FAT or ISO 9660 file system, blank, or unrecognised data. Returns
 * INSTALL_OK, or INSTALL_EIO when the disk cannot be read (out says so). */
int install_describe(const struct install_device *dev, char *out, size_t len);

/* Installs (see the order above). Returns res->err. */
int install_run(const struct install_device *dev, const struct install_payload *payload,
                const struct install_options *opt, struct install_result *res);

#endif
