/*
 * FAT32 file system library.
 *
 * Pure C, no allocation and no IPC: the caller owns every structure and
 * supplies the block device as callbacks, so the same code runs inside a
 * Tessera server and in host tests. Sectors are 512 bytes.
 *
 * Paths are '/'-separated, relative to the volume root, UTF-8 (stored as
 * UCS-2 long names). Name matching is ASCII case-insensitive, as on FAT.
 *
 * Every call returns 0 (or a byte count) on success and a negative FAT_E*
 * code on failure; fat_strerror() names it. A volume that fails the mount
 * checks is refused (reason in fat_mount_reason) or, for problems that make
 * writing unsafe but reading fine, mounted read-only (vol->read_only and
 * vol->reason say why).
 *
 * Times: FAT stores a local date and time with no zone. We store UTC (what
 * the device's clock callback returns) and read every stamp back as UTC.
 * Write times have 2-second resolution, creation times 1 second, access
 * times are dates only; stamps run from 1980-01-01 to 2107-12-31.
 */
#ifndef FAT_FAT_H
#define FAT_FAT_H

#include <stdint.h>
#include <stddef.h>

#define FAT_SECTOR_SIZE 512
#define FAT_NAME_MAX 255                 /* UCS-2 characters in a long name */
#define FAT_NAME_BYTES (FAT_NAME_MAX * 3 + 1) /* as UTF-8, with the NUL */

enum {
    FAT_OK = 0,
    FAT_EIO = -1,          /* the device callback failed */
    FAT_ENOENT = -2,
    FAT_EEXIST = -3,
    FAT_ENOTDIR = -4,
    FAT_EISDIR = -5,
    FAT_ENOTEMPTY = -6,
    FAT_ENOSPC = -7,
    FAT_EINVAL = -8,
    FAT_ECORRUPT = -9,     /* on-disk structure out of range or looping */
    FAT_EROFS = -10,
    FAT_ENAMETOOLONG = -11,
};

const char *fat_strerror(int err);

#define FAT_DEFAULT_TIME 1767225600ull   /* 2026-01-01 00:00:00 UTC */
#define FAT_TIME_MIN 315532800ull        /* 1980-01-01 00:00:00 UTC */
#define FAT_TIME_MAX 4354819198ull       /* 2107-12-31 23:59:58 UTC */

/* Unix seconds (UTC) to a FAT date and time: clamped to FAT_TIME_MIN..
 * FAT_TIME_MAX, odd seconds rounded down. */
void fat_time_encode(uint64_t unix_seconds, uint16_t *date, uint16_t *time);
/* A FAT date and time to Unix seconds; 0 if it is no valid date and time
 * (date 0 is what many tools leave in fields they do not keep). */
uint64_t fat_time_decode(uint16_t date, uint16_t time);

struct fat_device {
    void *ctx;
    int (*read)(void *ctx, uint64_t sector, uint32_t count, void *buf);
    int (*write)(void *ctx, uint64_t sector, uint32_t count, const void *buf);
    int (*flush)(void *ctx);            /* may be NULL */
    /* Seconds since the Unix epoch, UTC, for new and changed entries.
     * NULL: every stamp is FAT_DEFAULT_TIME, so images are reproducible. */
    uint64_t (*now)(void *ctx);
    uint64_t sector_count;
};

struct fat_volume {
    const struct fat_device *dev;
    int read_only;
    const char *reason;                 /* why read-only, or NULL */
    uint32_t sectors_per_cluster;
    uint32_t cluster_bytes;
    uint32_t reserved_sectors;
    uint32_t num_fats;
    uint32_t fat_sectors;               /* per FAT copy */
    uint32_t total_sectors;
    uint32_t data_start;                /* first sector of cluster 2 */
    uint32_t cluster_count;             /* valid clusters: 2..cluster_count+1 */
    uint32_t root_cluster;
    uint32_t fsinfo_sector;             /* 0 if none usable */
    uint32_t free_count;                /* hint; 0xFFFFFFFF if unknown */
    uint32_t next_free;                 /* allocation search start */
    int fsinfo_dirty;
    /* One-sector caches: FAT entries and everything else. */
    uint32_t fat_cache_sector;
    uint32_t data_cache_sector;
    uint8_t fat_cache[FAT_SECTOR_SIZE];
    uint8_t data_cache[FAT_SECTOR_SIZE];
    uint8_t scratch[FAT_SECTOR_SIZE];
};

/* An open file or directory. */
struct fat_file {
    struct fat_volume *vol;
    uint32_t first_cluster;
    uint32_t size;
    uint32_t pos;
    uint8_t attr;
    uint32_t entry_sector;              /* where its short entry lives; 0: root */
    uint32_t entry_offset;
    uint32_t cur_cluster;               /* cached chain position */
    uint32_t cur_index;
    uint64_t mtime;                     /* last write, Unix seconds; 0 for the root */
};

#define FAT_ATTR_READ_ONLY 0x01
#define FAT_ATTR_HIDDEN 0x02
#define FAT_ATTR_SYSTEM 0x04
#define FAT_ATTR_VOLUME_ID 0x08
#define FAT_ATTR_DIRECTORY 0x10
#define FAT_ATTR_ARCHIVE 0x20

struct fat_dirent {
    char name[FAT_NAME_BYTES];          /* long name, or the short name */
    char short_name[13];                /* "NAME.EXT" */
    uint8_t attr;
    uint32_t size;
    uint32_t first_cluster;
    uint64_t mtime;                     /* last write, Unix seconds (UTC) */
    uint64_t crtime;                    /* creation */
    uint64_t atime;                     /* last access: a date, so midnight */
};

/* Lays out FAT32 over the whole device. label: up to 11 chars or NULL. */
int fat_format(const struct fat_device *dev, const char *label);

/* Checks and mounts. On refusal vol->reason says why. */
int fat_mount(const struct fat_device *dev, struct fat_volume *vol);
/* Writes the FSInfo hint and flushes the device. */
int fat_sync(struct fat_volume *vol);

#define FAT_O_CREATE 1
#define FAT_O_EXCL 2
#define FAT_O_TRUNC 4
/* Opens a file or directory (directories only for fat_readdir). */
int fat_open(struct fat_volume *vol, const char *path, int flags, struct fat_file *f);
int fat_create(struct fat_volume *vol, const char *path, struct fat_file *f);
/* Returns bytes read (0 at end of file). */
long fat_read(struct fat_file *f, void *buf, size_t len);
/* Writes at f->pos (zero-filling a gap past the end); returns bytes written. */
long fat_write(struct fat_file *f, const void *buf, size_t len);
int fat_seek(struct fat_file *f, uint32_t pos);
int fat_truncate(struct fat_file *f, uint32_t size);

int fat_mkdir(struct fat_volume *vol, const char *path);
/* Returns 1 with *out filled, 0 at the end. Skips ".", ".." and labels. */
int fat_readdir(struct fat_file *dir, struct fat_dirent *out);
int fat_stat(struct fat_volume *vol, const char *path, struct fat_dirent *out);
int fat_rename(struct fat_volume *vol, const char *from, const char *to);
int fat_unlink(struct fat_volume *vol, const char *path);
int fat_rmdir(struct fat_volume *vol, const char *path);

#endif
