/*
 * GUID partition tables (UEFI 2.x, chapter 5; facts only).
 *
 * Pure C, no allocation and no IPC: the caller supplies the disk as
 * callbacks, so the installer and host tools share this code. Sectors are
 * 512 bytes.
 *
 * gpt_layout() plans Tessera's installed disk:
 *   LBA 0                protective MBR
 *   LBA 1, 2..33         primary header and 128 entries
 *   1 MiB   (1 MiB)      1: BIOS boot partition (GRUB's core.img)
 *   2 MiB   (64 MiB)     2: EFI system partition "TESSERA-ESP" (FAT32)
 *   66 MiB  (the rest)   3: basic data "TESSERA" (FAT32), at least 64 MiB
 *   last-33..last-1, last  backup entries and header
 * Partitions start and end on 1 MiB boundaries.
 */
#ifndef GPT_GPT_H
#define GPT_GPT_H

#include <stdint.h>
#include <stddef.h>

#define GPT_SECTOR_SIZE 512
#define GPT_ENTRY_COUNT 128
#define GPT_ENTRY_SIZE 128
#define GPT_ENTRY_SECTORS (GPT_ENTRY_COUNT * GPT_ENTRY_SIZE / GPT_SECTOR_SIZE)
#define GPT_MAX_PARTS 16      /* partitions gpt_read keeps; more is refused */
#define GPT_NAME_MAX 36       /* UTF-16 units in an entry's name */

#define GPT_ALIGN_SECTORS 2048u                 /* 1 MiB */
#define GPT_BIOS_BOOT_SECTORS 2048u             /* 1 MiB */
#define GPT_ESP_SECTORS (64u * 2048)            /* 64 MiB: FAT32 needs >= 33 */
#define GPT_DATA_MIN_SECTORS (64u * 2048)       /* 64 MiB */
/* 1 MiB gap + BIOS boot + ESP + data + the backup table after it. */
#define GPT_MIN_SECTORS ((uint64_t)GPT_ALIGN_SECTORS + GPT_BIOS_BOOT_SECTORS + \
                         GPT_ESP_SECTORS + GPT_DATA_MIN_SECTORS + GPT_ENTRY_SECTORS + 1)

enum {
    GPT_OK = 0,
    GPT_EIO = -1,          /* the device callback failed */
    GPT_ETOOSMALL = -2,    /* below GPT_MIN_SECTORS */
    GPT_ENONE = -3,        /* no GPT signature on the disk */
    GPT_ECORRUPT = -4,     /* a table is present but fails its checks */
    GPT_EINVAL = -5,
};
const char *gpt_strerror(int err);

/* GUIDs are kept in their on-disk byte order (first three fields little-endian). */
typedef struct { uint8_t b[16]; } gpt_guid;

/* "C12A7328-F81F-11D2-BA4B-00A0C93EC93B" (either case) -> on-disk bytes. */
int gpt_guid_parse(const char *text, gpt_guid *out);
/* 36 characters, upper case, plus the NUL. */
void gpt_guid_format(const gpt_guid *g, char out[37]);
int gpt_guid_equal(const gpt_guid *a, const gpt_guid *b);

#define GPT_TYPE_BIOS_BOOT "21686148-6449-6E6F-744E-656564454649"
#define GPT_TYPE_ESP "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"
#define GPT_TYPE_BASIC_DATA "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7"

struct gpt_partition {
    gpt_guid type;
    gpt_guid guid;
    uint64_t first_lba;
    uint64_t last_lba;                  /* inclusive */
    uint64_t attributes;
    char name[GPT_NAME_MAX + 1];        /* ASCII; other characters read as '?' */
};

struct gpt_layout {
    uint64_t disk_sectors;
    gpt_guid disk_guid;
    uint64_t first_usable;
    uint64_t last_usable;
    uint32_t count;                     /* used entries in part[] */
    struct gpt_partition part[GPT_MAX_PARTS];
};

/* Indexes into part[] of gpt_layout()'s plan. */
enum { GPT_PART_BIOS = 0, GPT_PART_ESP = 1, GPT_PART_DATA = 2 };

struct gpt_device {
    void *ctx;
    int (*read)(void *ctx, uint64_t sector, uint32_t count, void *buf);
    int (*write)(void *ctx, uint64_t sector, uint32_t count, const void *buf);
    uint64_t sector_count;
};

/* CRC-32 (IEEE 802.3, reflected, as GPT uses); start with crc = 0. */
uint32_t gpt_crc32(uint32_t crc, const void *buf, size_t len);

/* Plans the layout above; GUIDs come from seed (different seeds, different
 * GUIDs). GPT_ETOOSMALL below GPT_MIN_SECTORS. */
int gpt_layout(uint64_t disk_sectors, uint64_t seed, struct gpt_layout *out);

/* Writes protective MBR, primary and backup tables. boot_code: the MBR's
 * first 440 bytes (GRUB's boot.img), or NULL for zeros. */
int gpt_write(const struct gpt_device *dev, const struct gpt_layout *layout,
              const uint8_t *boot_code);

/* What gpt_read found. problem: the first thing wrong, or NULL. */
struct gpt_report {
    int primary_ok;
    int backup_ok;
    int consistent;                     /* both ok and describe the same table */
    int mbr_protective;                 /* LBA 0 has a 0xEE entry */
    const char *problem;
};

/* Reads the table (primary, or the backup if the primary is damaged) into
 * *out. GPT_ENONE without a GPT; GPT_ECORRUPT if neither copy is valid. */
int gpt_read(const struct gpt_device *dev, struct gpt_layout *out, struct gpt_report *rep);
/* gpt_read, and GPT_ECORRUPT unless both copies are valid and agree. */
int gpt_verify(const struct gpt_device *dev, struct gpt_layout *out, struct gpt_report *rep);

#endif
