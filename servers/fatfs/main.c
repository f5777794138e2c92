/*
 * fatfs: serves a FAT32 partition read-write over the fs interface
 * (servers/bootfs/fs.idl), as the boot service "data" (init starts it when
 * the boot option data.label=LABEL is given; libposix mounts it at /data).
 *
 * Start-up: every disk dm has (drv_block_disks) is opened as a block client,
 * its GPT read (libs/gpt), and the partition whose FAT volume label or GPT
 * name is LABEL is mounted with libs/fat. A volume that fails libs/fat's
 * checks is refused (we exit, so /data stays unmounted) or, where reading is
 * safe, mounted read-only; corruption found later also turns the volume
 * read-only. Nothing is written to a volume we do not trust.
 *
 * Handles: root handles (minted by init, top bit clear) name the root;
 * open returns handles badged with a slot of the node table (nodes.h).
 *
 * Durability: libs/fat writes through (data, then FAT, then the directory
 * entry, in its power-cut order) on every call, so the volume on the device
 * is consistent after each request. What is left is the device's write
 * cache and the FSInfo free-space hint: fat_sync (hint + device flush) runs
 * on fs.sync, after every change of a directory (create, mkdir, unlink,
 * rename, truncate) and SYNC_DELAY_NS after the last data write. Flushing
 * after every write would cost a device flush per message (198 bytes).
 */
#include <common/string.h>
#include <driver/driver.h>
#include <fat/fat.h>
#include <gpt/gpt.h>
#include <tessera/fs.h>
#include <tessera/runtime.h>
#include <tessera/syscall.h>
#include "idl/fs.h"
#include "idl/init.h"
#include "nodes.h"

#define MS 1000000ull
#define DISK_WAIT_NS (10000 * MS)   /* how long disks may take to appear */
#define SYNC_DELAY_NS (500 * MS)
#define DRIVER_RESTART_NS (10000 * MS)   /* dm restarts a dead driver within this */
#define MAX_DISKS 8
#define LABEL_MAX 36                /* a GPT name's length; FAT labels are 11 */

static handle_t ep;
static char label[LABEL_MAX + 1];
static struct node_table nodes;
static struct node root;          /* the volume's root: not in the table */
static struct fat_volume vol;
static bool dirty;                /* data written since the last fat_sync */

/* ---- the disk: a block client (drv_disk_* in <driver/driver.h>) ---- */

static struct drv_disk disk = {.h = HANDLE_NONE};
static uint64_t part_first, part_sectors;   /* the partition we serve */

static bool disk_reopen(void);

/* count sectors through the driver's buffer. If the driver was restarted
 * (-E_PEER: dm restarts a disk driver that dies), the disk is opened again
 * and the transfer retried, so /data outlives a driver crash. */
static int disk_io(uint64_t sector, uint32_t count, void *buf, bool write) {
    int err = drv_disk_io(&disk, sector, count, buf, write);
    if (err == -E_PEER && disk_reopen())
        err = drv_disk_io(&disk, sector, count, buf, write);
    if (err) {
        log_printf("fatfs: %s: %s sector %llu: %s\n", disk.info.name, write ? "writing" : "reading",
                   (unsigned long long)sector, err_str(err));
        return -1;
    }
    return 0;
}

static int gpt_dev_read(void *ctx, uint64_t s, uint32_t n, void *buf) { return disk_io(s, n, buf, false); }
static int gpt_dev_write(void *ctx, uint64_t s, uint32_t n, const void *buf) { return -1; }   /* never */

static int part_read(void *ctx, uint64_t s, uint32_t n, void *buf) {
    if (s >= part_sectors || n > part_sectors - s)
        return -1;
    return disk_io(part_first + s, n, buf, false);
}

static int part_write(void *ctx, uint64_t s, uint32_t n, const void *buf) {
    if (vol.read_only || s >= part_sectors || n > part_sectors - s)
        return -1;   /* a volume we do not trust is never written, whatever the library does */
    return disk_io(part_first + s, n, (void *)buf, true);
}

static int part_flush(void *ctx) {
    int err = drv_disk_flush(&disk);
    if (err == -E_PEER && disk_reopen())
        err = drv_disk_flush(&disk);   /* the new driver flushes whatever reached the device */
    return err ? -1 : 0;
}

/* File times: the wall clock (the rtc's reading plus the monotonic clock),
 * as UTC seconds. Without an rtc it counts from boot, which libs/fat
 * clamps to 1980-01-01. */
static uint64_t wall_clock(void *ctx) {
    uint64_t ns;
    realtime_ns(startup.bootstrap, &ns);
    return ns / 1000000000ull;
}

static struct fat_device fat_dev = {.read = part_read, .write = part_write, .flush = part_flush, .now = wall_clock};

/* Becomes the client of disk `name`; false (logged) if it cannot be used.
 * wait_ns: how long the driver may take to come (back) up. */
static bool disk_open_wait(const char *name, uint64_t wait_ns) {
    int err = drv_disk_open(startup.bootstrap, startup.self, name, wait_ns, &disk);
    /* busy: someone else (the installer) has it; no such name: it went away */
    if (err && err != -E_BUSY && err != -E_NOENT && err != -E_AGAIN)
        log_printf("fatfs: cannot open disk %s: %s\n", name, err_str(err));
    return err == 0;
}

static bool disk_reopen(void) {
    char name[DRV_BLOCK_NAME_MAX];
    memcpy(name, disk.info.name, sizeof(name));
    log_printf("fatfs: %s: the disk driver was restarted; opening the disk again\n", name);
    drv_disk_close(&disk);
    if (!disk_open_wait(name, DRIVER_RESTART_NS)) {
        log_printf("fatfs: %s did not come back; /data fails from now on\n", name);
        return false;
    }
    return true;
}

static char upper(char c) { return c >= 'a' && c <= 'z' ? (char)(c - 32) : c; }

/* text (up to len bytes, trailing spaces ignored) is the label we look for. */
static bool is_label(const char *text, size_t len) {
    while (len && (text[len - 1] == ' ' || text[len - 1] == 0))
        len--;
    if (len != strlen(label))
        return false;
    for (size_t i = 0; i < len; i++)
        if (upper(text[i]) != upper(label[i]))
            return false;
    return true;
}

/* The partition of the open disk holding our volume: its index, or -1. */
static int find_partition(void) {
    struct gpt_device gdev = {.read = gpt_dev_read, .write = gpt_dev_write, .sector_count = disk.info.sectors};
    static struct gpt_layout layout;
    struct gpt_report rep;
    int err = gpt_read(&gdev, &layout, &rep);
    if (err) {
        if (err != GPT_ENONE)
            log_printf("fatfs: %s: partition table unreadable: %s\n", disk.info.name, gpt_strerror(err));
        return -1;
    }
    static uint8_t boot[512];
    for (uint32_t i = 0; i < layout.count; i++) {
        const struct gpt_partition *p = &layout.part[i];
        bool match = is_label(p->name, strlen(p->name));
        /* FAT32 boot sector: BS_VolLab (11 bytes) at 71, "FAT32   " at 82. */
        if (!match && disk_io(p->first_lba, 1, boot, false) == 0 && !memcmp(boot + 82, "FAT32", 5))
            match = is_label((const char *)boot + 71, 11);
        if (match) {
            part_first = p->first_lba;
            part_sectors = p->last_lba - p->first_lba + 1;
            return (int)i;
        }
    }
    return -1;
}

/* Finds and opens the disk holding LABEL; the partition index, or -1. */
static int find_volume(void) {
    struct drv_block_info disks[MAX_DISKS];
    char tried[MAX_DISKS][DRV_BLOCK_NAME_MAX];
    int ntried = 0;
    uint64_t deadline = sys_clock() + DISK_WAIT_NS;
    do {
        int n = drv_block_disks(startup.bootstrap, disks, MAX_DISKS);
        for (int d = 0; d < n && ntried < MAX_DISKS; d++) {
            bool done = false;
            for (int k = 0; k < ntried; k++)
                done |= !strcmp(tried[k], disks[d].name);
            if (done)
                continue;
            memcpy(tried[ntried++], disks[d].name, DRV_BLOCK_NAME_MAX);
            /* libs/fat and libs/gpt speak 512-byte sectors only */
            if (disks[d].sector_size != 512 || !disk_open_wait(disks[d].name, 1000 * MS))
                continue;
            int part = find_partition();
            if (part >= 0)
                return part;
            drv_disk_close(&disk);
        }
        sleep_ns(200 * MS);   /* disk drivers may still be starting */
    } while (sys_clock() < deadline);
    return -1;
}

/* ---- errors ---- */

static int fat_err(int r) {
    switch (r) {
    case FAT_ENOENT: return -E_NOENT;
    case FAT_EEXIST: return -E_EXISTS;
    case FAT_ENOTDIR: return -E_NOTDIR;
    case FAT_EISDIR: return -E_ISDIR;
    case FAT_ENOTEMPTY: return -E_NOTEMPTY;
    case FAT_ENOSPC: return -E_FULL;
    case FAT_EINVAL: return -E_INVAL;
    case FAT_EROFS: return -E_ROFS;
    case FAT_ENAMETOOLONG: return -E_NAMETOOLONG;
    case FAT_ECORRUPT:
        if (!vol.read_only) {
            vol.read_only = 1;   /* writing on would spread the damage */
            vol.reason = "corruption found";
            log_printf("fatfs: %s: the volume is corrupt; read-only from now on\n", label);
        }
        return -E_IO;
    default: return -E_IO;
    }
}

/* After a change to a directory: out to the medium, in order. */
static int sync_now(void) {
    dirty = false;
    int r = fat_sync(&vol);
    return r ? fat_err(r) : 0;
}

/* ---- the fs interface ---- */

static int node_of(const struct ipc_msg *req, struct node **out) {
    if (!(req->badge & FILE_BADGE)) {
        *out = &root;
        return 0;
    }
    struct node *n = node_of_badge(&nodes, req->badge);
    if (!n)
        return -E_NOENT;   /* deleted, or its slot was taken over */
    node_touch(&nodes, n);
    *out = n;
    return 0;
}

/* The full path of `rel` from the directory a request's handle names. */
static int full_path(const struct ipc_msg *req, const char *rel, char *out) {
    struct node *d;
    int err = node_of(req, &d);
    if (err)
        return err;
    if (!d->is_dir)
        return -E_NOTDIR;
    return path_join(d->path, rel, out, NODE_PATH_MAX);
}

static uint64_t dir_entries(const struct fat_file *dir) {
    struct fat_file f = *dir;
    static struct fat_dirent de;
    uint64_t n = 0;
    fat_seek(&f, 0);
    while (n < 65536 && fat_readdir(&f, &de) == 1)
        n++;
    return n;
}

static uint64_t node_size(const struct node *n) { return n->is_dir ? dir_entries(&n->file) : n->file.size; }

static int on_open(void *ctx, const struct ipc_msg *req, const char *path, uint32_t flags,
                   handle_t *file, uint32_t *kind, uint64_t *size) {
    static char full[NODE_PATH_MAX];
    if (flags & ~FS_O_ALL)
        return -E_INVAL;
    int err = full_path(req, path, full);
    if (err)
        return err;
    bool writing = flags & (FS_O_WRITE | FS_O_CREATE | FS_O_TRUNC);
    if (writing && vol.read_only)
        return -E_ROFS;
    struct node *n = &root;
    uint64_t badge = 0;   /* the root: a badge with the top bit clear */
    if (full[0]) {
        struct fat_file f;
        int fflags = (flags & FS_O_CREATE ? FAT_O_CREATE : 0) | (flags & FS_O_EXCL ? FAT_O_EXCL : 0);
        int r = fat_open(&vol, full, fflags, &f);
        if (r)
            return fat_err(r);
        n = node_find(&nodes, f.entry_sector, f.entry_offset);
        if (!n) {
            uint32_t i = node_add(&nodes, full, f.attr & FAT_ATTR_DIRECTORY, &f);
            n = &nodes.n[i];
            if (flags & FS_O_CREATE) {
                nodes_dirs_changed(&nodes);
                if ((err = sync_now()))   /* a new entry may have been made */
                    return err;
            }
        }
        badge = node_badge(&nodes, (uint32_t)(n - nodes.n));
    } else if (flags & FS_O_EXCL) {
        return -E_EXISTS;
    }
    if ((flags & FS_O_DIRECTORY) && !n->is_dir)
        return -E_NOTDIR;
    if (n->is_dir && (flags & (FS_O_WRITE | FS_O_TRUNC)))
        return -E_ISDIR;
    if ((flags & FS_O_TRUNC) && n->file.size) {
        int r = fat_truncate(&n->file, 0);
        if (r)
            return fat_err(r);
        if ((err = sync_now()))
            return err;
    }
    long h = sys_handle_dup(ep, RIGHT_SEND | RIGHT_TRANSFER, badge);
    if (h < 0)
        return (int)h;
    *file = (handle_t)h;
    *kind = n->is_dir ? FS_KIND_DIR : FS_KIND_FILE;
    *size = node_size(n);
    return 0;
}

static int on_read(void *ctx, const struct ipc_msg *req, uint64_t offset, uint32_t len, void *data,
                   size_t *data_len) {
    struct node *n;
    int err = node_of(req, &n);
    if (err)
        return err;
    if (n->is_dir)
        return -E_ISDIR;
    *data_len = 0;
    if (offset >= n->file.size)
        return 0;
    fat_seek(&n->file, (uint32_t)offset);
    long got = fat_read(&n->file, data, len < FS_READ_DATA_MAX ? len : FS_READ_DATA_MAX);
    if (got < 0)
        return fat_err((int)got);
    *data_len = (size_t)got;
    return 0;
}

/* The file a writing request's handle names. */
static int writable_file(const struct ipc_msg *req, struct node **n) {
    int err = node_of(req, n);
    if (err)
        return err;
    if ((*n)->is_dir)
        return -E_ISDIR;
    return vol.read_only ? -E_ROFS : 0;
}

static int on_write(void *ctx, const struct ipc_msg *req, uint64_t offset, const void *data, size_t len,
                    uint32_t *written) {
    struct node *n;
    int err = writable_file(req, &n);
    if (err)
        return err;
    if (offset + len > 0xFFFFFFFFull)
        return -E_RANGE;   /* FAT files end below 4 GiB */
    fat_seek(&n->file, (uint32_t)offset);
    long r = fat_write(&n->file, data, len);
    dirty = true;
    if (r < 0)
        return fat_err((int)r);
    *written = (uint32_t)r;
    return 0;
}

static int on_truncate(void *ctx, const struct ipc_msg *req, uint64_t size) {
    struct node *n;
    int err = writable_file(req, &n);
    if (err)
        return err;
    if (size > 0xFFFFFFFFull)
        return -E_RANGE;
    int r = fat_truncate(&n->file, (uint32_t)size);
    if (r)
        return fat_err(r);
    return sync_now();
}

static int on_sync(void *ctx, const struct ipc_msg *req) {
    struct node *n;
    int err = node_of(req, &n);
    return err ? err : sync_now();
}

static int on_stat(void *ctx, const struct ipc_msg *req, uint32_t *kind, uint64_t *size, uint32_t *mode,
                   uint64_t *mtime) {
    struct node *n;
    int err = node_of(req, &n);
    if (err)
        return err;
    *kind = n->is_dir ? FS_KIND_DIR : FS_KIND_FILE;
    *size = node_size(n);
    *mode = (n->is_dir ? 0755 : 0644) & ((n->file.attr & FAT_ATTR_READ_ONLY) || vol.read_only ? 0555 : 0777);
    *mtime = n->file.mtime;   /* the entry's last write (UTC); 0 for the root, which has no entry */
    return 0;
}

static int on_readdir(void *ctx, const struct ipc_msg *req, uint32_t index, char *name, uint32_t *kind,
                      uint64_t *size) {
    static struct fat_dirent de;
    struct node *n;
    int err = node_of(req, &n);
    if (err)
        return err;
    if (!n->is_dir)
        return -E_NOTDIR;
    /* Listing goes 0, 1, 2, ...: carry on from where the last call ended. */
    if (index != n->dir_next) {
        fat_seek(&n->file, 0);
        n->dir_next = 0;
    }
    for (;;) {
        int r = fat_readdir(&n->file, &de);
        if (r < 0)
            return fat_err(r);
        if (r == 0)
            return -E_NOENT;
        if (n->dir_next++ == index)
            break;
    }
    /* A long name that does not fit a reply is given by its 8.3 alias. */
    const char *shown = strlen(de.name) <= FS_NAME_MAX ? de.name : de.short_name;
    memcpy(name, shown, strlen(shown) + 1);
    *kind = de.attr & FAT_ATTR_DIRECTORY ? FS_KIND_DIR : FS_KIND_FILE;
    *size = de.size;
    return 0;
}

static int on_map(void *ctx, const struct ipc_msg *req, handle_t *memory, uint64_t *offset, uint64_t *size) {
    return -E_NOTSUP;   /* files are on the disk, not in memory */
}

/* full_path() of a name a call will change: -E_ROFS on a read-only volume. */
static int path_to_change(const struct ipc_msg *req, const char *rel, char *out) {
    int err = full_path(req, rel, out);
    return err ? err : vol.read_only ? -E_ROFS : 0;
}

static int on_mkdir(void *ctx, const struct ipc_msg *req, const char *path) {
    static char full[NODE_PATH_MAX];
    int err = path_to_change(req, path, full);
    if (err)
        return err;
    if (!full[0])
        return -E_EXISTS;
    int r = fat_mkdir(&vol, full);
    if (r)
        return fat_err(r);
    nodes_dirs_changed(&nodes);
    return sync_now();
}

static int on_unlink(void *ctx, const struct ipc_msg *req, const char *path) {
    static char full[NODE_PATH_MAX];
    int err = path_to_change(req, path, full);
    if (err)
        return err;
    if (!full[0])
        return -E_INVAL;   /* the root stays */
    struct fat_file f;
    int r = fat_open(&vol, full, 0, &f);
    if (r)
        return fat_err(r);
    r = f.attr & FAT_ATTR_DIRECTORY ? fat_rmdir(&vol, full) : fat_unlink(&vol, full);
    if (r)
        return fat_err(r);
    struct node *gone = node_find(&nodes, f.entry_sector, f.entry_offset);
    if (gone)
        node_kill(gone);
    nodes_dirs_changed(&nodes);
    return sync_now();
}

static int on_rename(void *ctx, const struct ipc_msg *req, const char *from, const char *to) {
    static char src[NODE_PATH_MAX], dst[NODE_PATH_MAX];
    int err = path_to_change(req, from, src);
    if (!err)
        err = path_to_change(req, to, dst);
    if (err)
        return err;
    if (!src[0] || !dst[0])
        return -E_INVAL;
    struct fat_file f, old;
    int r = fat_open(&vol, src, 0, &f);
    if (r)
        return fat_err(r);
    bool replaces = fat_open(&vol, dst, 0, &old) == 0 &&
                    (old.entry_sector != f.entry_sector || old.entry_offset != f.entry_offset);
    if ((r = fat_rename(&vol, src, dst)))
        return fat_err(r);
    struct node *gone = replaces ? node_find(&nodes, old.entry_sector, old.entry_offset) : NULL;
    if (gone)
        node_kill(gone);
    /* Handles to the moved entry follow it: its entry is new, its clusters
     * (and so everything below a moved directory) are where they were. */
    struct node *moved = nodes_renamed(&nodes, src, dst);
    if (moved) {
        if (fat_open(&vol, moved->path, 0, &f) == 0)
            moved->file = f;
        else
            node_kill(moved);
    }
    nodes_dirs_changed(&nodes);
    return sync_now();
}

static const struct fs_server server = {
    .open = on_open, .read = on_read, .stat = on_stat, .readdir = on_readdir, .map = on_map,
    .write = on_write, .truncate = on_truncate, .sync = on_sync, .mkdir = on_mkdir,
    .unlink = on_unlink, .rename = on_rename,
};

/* ---- start-up and the loop ---- */


static unsigned long long mib(uint64_t clusters) {
    return (unsigned long long)((clusters * vol.cluster_bytes) >> 20);
}

int main(int argc, char **argv) {
    if (!startup_option("data.label", label, sizeof(label)) || !label[0]) {
        log_printf("fatfs: no volume named: boot with data.label=LABEL\n");
        return 1;
    }
    int part = find_volume();
    if (part < 0) {
        log_printf("fatfs: no FAT volume labelled %s on any disk; /data is not mounted\n", label);
        return 1;
    }
    fat_dev.sector_count = part_sectors;
    int r = fat_mount(&fat_dev, &vol);
    if (r) {
        log_printf("fatfs: refusing %s (%s partition %d): %s; /data is not mounted\n", label, disk.info.name,
                   part + 1, vol.reason ? vol.reason : fat_strerror(r));
        drv_disk_close(&disk);
        return 1;
    }
    if (vol.read_only)
        log_printf("fatfs: mounted %s read-only (%s partition %d, %llu MiB, %llu MiB free): %s\n", label,
                   disk.info.name, part + 1, mib(vol.cluster_count), mib(vol.free_count), vol.reason);
    else
        log_printf("fatfs: mounted %s (%s partition %d, %llu MiB, %llu MiB free)\n", label, disk.info.name,
                   part + 1, mib(vol.cluster_count), mib(vol.free_count));
    uint64_t ns;
    if (!vol.read_only && !realtime_ns(startup.bootstrap, &ns))   /* read once, now, not in a request */
        log_printf("fatfs: no rtc: new and changed files are dated 1980-01-01\n");
    nodes_init(&nodes);
    root.live = true;
    root.is_dir = true;
    r = fat_open(&vol, "", 0, &root.file);
    if (r) {
        log_printf("fatfs: cannot open the root of %s: %s\n", label, fat_strerror(r));
        return 1;
    }

    long e = service_start(startup.bootstrap, "fatfs");
    if (e < 0)
        return 1;
    ep = (handle_t)e;
    struct ipc_msg m;
    for (;;) {
        long got = sys_ipc(HANDLE_NONE, ep, &m, IPC_RECV, dirty ? SYNC_DELAY_NS : 0);
        if (got == -E_TIMEDOUT) {
            int s = sync_now();
            if (s)
                log_printf("fatfs: sync: %s\n", err_str(s));
            continue;
        }
        if (got < 0) {
            log_printf("fatfs: receive failed: %s\n", err_str(got));
            continue;
        }
        int d = fs_dispatch(&server, NULL, &m);
        if (d == -E_NOSYS)
            d = idl_reject(&m, -E_NOSYS);   /* not the fs interface: closes its handles */
        if (d == 1)
            ipc_reply_or_close(&m);
    }
}
