/*
 * The install procedure (install.h): check, wipe the old tables, write and
 * verify the partitions' contents, then write and verify the GPT and MBR.
 *
 * BIOS boot: GRUB's boot.img goes in the MBR with the LBA of core.img at
 * offset 0x5c; core.img goes in the BIOS boot partition, and the blocklist
 * at the end of its first sector (diskboot) names the rest of it. UEFI
 * boot: \EFI\BOOT\BOOTX64.EFI on the ESP. Both GRUBs find the FAT volume
 * labelled TESSERA and read /boot/grub/grub.cfg from it.
 */
#include <install/install.h>
#include <stdarg.h>
#include <common/format.h>
#include <common/string.h>
#include <common/tar.h>
#include <fat/fat.h>
#include <gpt/gpt.h>
#include "cache.h"

/* GRUB i386-pc boot.img / diskboot.img offsets (GRUB's boot.h). */
#define BOOT_KERNEL_SECTOR 0x5c        /* 8 bytes: LBA of core.img's first sector */
#define BOOT_DRIVE_CHECK 0x66          /* 2 bytes: NOPped for hard disks */
#define DISKBOOT_BLOCKLIST (512 - 12)  /* {u64 start, u16 len, u16 segment} */
#define MBR_CODE_BYTES 440

#define CHUNK (64 * 1024)              /* file bytes per fat_write/fat_read */
#define MAX_FILES 128
#define PATH_MAX_LEN 160

/* A partition of the cached disk, as a FAT device. */
struct part {
    struct cache *cache;
    uint64_t first;
    uint64_t sectors;
};

struct file {
    struct fat_volume *vol;            /* the volume it was written to */
    char path[PATH_MAX_LEN];
    const uint8_t *data;
    uint32_t size;
    uint32_t crc;
};

/* Everything one run needs; static because it is large (one install at a time). */
static struct job {
    const struct install_device *dev;
    const struct install_payload *payload;
    const struct install_options *opt;
    struct install_result *res;
    struct cache cache;
    struct gpt_layout layout;
    struct part esp_part, sys_part;
    struct fat_device esp_dev, sys_dev;
    struct fat_volume esp, sys;
    struct file files[MAX_FILES];
    uint32_t nfiles;
    uint8_t boot[512];                 /* patched boot.img */
    uint8_t mbr[512];                  /* the protective MBR, written last */
    uint8_t core0[512];                /* core.img's first sector, patched */
    uint64_t done, total;              /* progress in bytes */
    const char *step;
    uint8_t buf[CHUNK];
} job;

uint64_t install_min_sectors(void) { return GPT_MIN_SECTORS; }

static unsigned long long mib_up(uint64_t sectors) { return (unsigned long long)((sectors + 2047) / 2048); }

int install_check_size(uint64_t sectors, char *msg, size_t len)
{
    if (sectors >= GPT_MIN_SECTORS)
        return INSTALL_OK;
    if (len)
        fmt_snprintf(msg, len, "the disk is too small: it has %llu MiB and Tessera needs at least %llu MiB",
                     (unsigned long long)(sectors / 2048), mib_up(GPT_MIN_SECTORS));
    return INSTALL_ETOOSMALL;
}

/* ---- errors and progress ---- */

/* Records the first failure: the step, what went wrong, and the device
 * error behind it if there was one. Returns err. */
static int FMT_PRINTF(2, 3) fail_with(int err, const char *fmt, ...)
{
    struct install_result *r = job.res;
    if (r->err)
        return r->err;
    r->err = err;
    size_t n = 0;
    if (job.step)
        n = (size_t)fmt_snprintf(r->message, sizeof r->message, "%s: ", job.step);
    if (n >= sizeof r->message)
        return err;
    va_list ap;
    va_start(ap, fmt);
    fmt_vsnprintf(r->message + n, sizeof r->message - n, fmt, ap);
    va_end(ap);
    const struct cache *c = &job.cache;
    n = strnlen(r->message, sizeof r->message);
    if (c->fail_op && n + 1 < sizeof r->message) {
        if (c->fail_count)
            fmt_snprintf(r->message + n, sizeof r->message - n,
                         " (the disk refused a %s of %u sectors at sector %llu)", c->fail_op,
                         c->fail_count, (unsigned long long)c->fail_sector);
        else
            fmt_snprintf(r->message + n, sizeof r->message - n, " (the disk refused a %s)", c->fail_op);
    }
    return err;
}

/* A libs/fat error: an I/O failure is the disk's; anything else the file system's. */
static int fail_fat(int fat_err, const char *what)
{
    return fail_with(fat_err == FAT_EIO ? INSTALL_EIO : INSTALL_EFS, "%s: %s", what, fat_strerror(fat_err));
}

static void progress(uint64_t bytes)
{
    job.done += bytes;
    if (job.opt && job.opt->progress)
        job.opt->progress(job.opt->progress_ctx, job.done, job.total, job.step);
}

static void set_step(const char *step)
{
    job.step = step;
    progress(0);
}

/* ---- the partitions as FAT devices ---- */

static int part_read(void *ctx, uint64_t s, uint32_t n, void *buf)
{
    struct part *p = ctx;
    return s + n > p->sectors ? -1 : cache_read(p->cache, p->first + s, n, buf);
}

static int part_write(void *ctx, uint64_t s, uint32_t n, const void *buf)
{
    struct part *p = ctx;
    return s + n > p->sectors ? -1 : cache_write(p->cache, p->first + s, n, buf);
}

static int part_flush(void *ctx)
{
    struct part *p = ctx;
    return cache_flush(p->cache);
}

static void part_setup(int index, struct part *p, struct fat_device *dev)
{
    const struct gpt_partition *g = &job.layout.part[index];
    p->cache = &job.cache;
    p->first = g->first_lba;
    p->sectors = g->last_lba - g->first_lba + 1;
    *dev = (struct fat_device){.ctx = p, .read = part_read, .write = part_write, .flush = part_flush,
                               .sector_count = p->sectors};
}

static int format(const struct fat_device *dev, struct fat_volume *vol, const char *label)
{
    int err = fat_format(dev, label);
    if (err)
        return fail_fat(err, "formatting FAT32");
    err = fat_mount(dev, vol);
    if (err)
        return fail_with(INSTALL_EFS, "the new FAT32 volume does not mount: %s",
                         vol->reason ? vol->reason : fat_strerror(err));
    return 0;
}

/* ---- files ---- */

/* Creates the directories above path ("a/b/c" -> "a", "a/b"). */
static int make_parents(struct fat_volume *vol, const char *path)
{
    char dir[PATH_MAX_LEN];
    size_t len = strnlen(path, sizeof dir);
    if (len >= sizeof dir)
        return fail_with(INSTALL_EPAYLOAD, "%s: path too long", path);
    for (size_t i = 0; i < len; i++) {
        if (path[i] != '/')
            continue;
        memcpy(dir, path, i);
        dir[i] = 0;
        int err = fat_mkdir(vol, dir);
        if (err && err != FAT_EEXIST)
            return fail_fat(err, dir);
    }
    return 0;
}

static int put_file(struct fat_volume *vol, const char *path, const void *data, size_t size)
{
    if (job.nfiles == MAX_FILES)
        return fail_with(INSTALL_EPAYLOAD, "more than %d files to copy", MAX_FILES);
    if (size > 0xFFFFFFFFu)
        return fail_with(INSTALL_EPAYLOAD, "%s is too large for FAT32", path);
    int err = make_parents(vol, path);
    if (err)
        return err;
    struct fat_file f;
    err = fat_open(vol, path, FAT_O_CREATE | FAT_O_TRUNC, &f);
    if (err)
        return fail_fat(err, path);
    const uint8_t *p = data;
    for (size_t off = 0; off < size; off += CHUNK) {
        size_t n = size - off < CHUNK ? size - off : CHUNK;
        long w = fat_write(&f, p + off, n);
        if (w != (long)n)
            return w < 0 ? fail_fat((int)w, path) : fail_with(INSTALL_EFS, "%s: short write", path);
        progress(n);
    }
    struct file *rec = &job.files[job.nfiles++];
    rec->vol = vol;
    memcpy(rec->path, path, strnlen(path, PATH_MAX_LEN - 1) + 1);
    rec->path[PATH_MAX_LEN - 1] = 0;
    rec->data = data;
    rec->size = (uint32_t)size;
    rec->crc = gpt_crc32(0, data, size);
    job.res->files++;
    job.res->bytes += size;
    return 0;
}

/* Entries of the boot archive that are also copied out as files. */
static int visible(const char *name)
{
    static const char *const dirs[] = {"apps/", "fonts/", "themes/"};
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
        if (strncmp(name, dirs[i], strlen(dirs[i])) == 0)
            return 1;
    return 0;
}

/* Walks the archive: bytes of the visible files, or an error message. */
static int tar_scan(const struct install_blob *tar, uint64_t *bytes)
{
    struct tar t;
    struct tar_entry e;
    int r;
    *bytes = 0;
    tar_open(&t, tar->data, tar->size);
    while ((r = tar_next(&t, &e)) == TAR_OK)
        if (e.type == TAR_FILE && visible(e.name))
            *bytes += e.size;
    if (r != TAR_END)
        return fail_with(INSTALL_EPAYLOAD, "boot.tar is not a valid archive: %s", tar_strerror(r));
    return 0;
}

static int copy_from_tar(struct fat_volume *vol, const struct install_blob *tar)
{
    struct tar t;
    static struct tar_entry e;
    int r, err;
    tar_open(&t, tar->data, tar->size);
    while ((r = tar_next(&t, &e)) == TAR_OK) {
        if (!visible(e.name) || (e.type != TAR_FILE && e.type != TAR_DIR))
            continue;
        if (e.type == TAR_DIR) {
            if ((err = make_parents(vol, e.name)))
                return err;
            err = fat_mkdir(vol, e.name);
            if (err && err != FAT_EEXIST)
                return fail_fat(err, e.name);
        } else if ((err = put_file(vol, e.name, e.data, e.size))) {
            return err;
        }
    }
    return r == TAR_END ? 0 : fail_with(INSTALL_EPAYLOAD, "boot.tar: %s", tar_strerror(r));
}

/* ---- checks of the payload ---- */

static int check_payload(const struct install_payload *p, uint64_t *bytes)
{
    job.step = "checking what is to be installed";
    const struct { const struct install_blob *b; const char *name; } need[] = {
        {&p->boot_img, "boot.img"}, {&p->core_img, "core.img"}, {&p->efi, "BOOTX64.EFI"},
        {&p->grub_cfg, "grub.cfg"}, {&p->kernel, "the kernel"}, {&p->boot_tar, "boot.tar"},
    };
    *bytes = 0;
    for (size_t i = 0; i < sizeof need / sizeof need[0]; i++) {
        if (!need[i].b->data || need[i].b->size == 0)
            return fail_with(INSTALL_EPAYLOAD, "%s is missing or empty", need[i].name);
        *bytes += need[i].b->size;
    }
    const uint8_t *boot = p->boot_img.data;
    if (p->boot_img.size != 512 || boot[510] != 0x55 || boot[511] != 0xAA)
        return fail_with(INSTALL_EPAYLOAD, "boot.img is not a 512-byte boot sector (%llu bytes)",
                         (unsigned long long)p->boot_img.size);
    if (p->core_img.size < 1024 || p->core_img.size > (size_t)GPT_BIOS_BOOT_SECTORS * 512)
        return fail_with(INSTALL_EPAYLOAD, "core.img (%llu bytes) does not fit the %u KiB BIOS boot partition",
                         (unsigned long long)p->core_img.size, GPT_BIOS_BOOT_SECTORS / 2);
    if (p->kernel.size < 4 || memcmp(p->kernel.data, "\177ELF", 4) != 0)
        return fail_with(INSTALL_EPAYLOAD, "the kernel is not an ELF file");
    uint64_t tree;
    int err = tar_scan(&p->boot_tar, &tree);
    if (err)
        return err;
    *bytes += tree;
    return 0;
}

/* ---- the steps ---- */

/* Zeroes the MBR, the primary GPT and the backup GPT: from here until the
 * last step the disk holds no partition table at all. */
static int wipe_tables(void)
{
    memset(job.buf, 0, (2 + GPT_ENTRY_SECTORS) * 512);
    uint64_t last = job.dev->sector_count;
    if (cache_write(&job.cache, 0, 2 + GPT_ENTRY_SECTORS, job.buf) ||
        cache_write(&job.cache, last - 1 - GPT_ENTRY_SECTORS, 1 + GPT_ENTRY_SECTORS, job.buf) ||
        cache_flush(&job.cache))
        return fail_with(INSTALL_EIO, "the disk could not be written");
    return 0;
}

/* boot.img pointed at core.img, core.img's blocklist naming its rest. */
static void patch_grub(void)
{
    const struct install_payload *p = job.payload;
    uint64_t core_lba = job.layout.part[GPT_PART_BIOS].first_lba;
    uint64_t core_sectors = (p->core_img.size + 511) / 512;
    memcpy(job.boot, p->boot_img.data, 512);
    for (int i = 0; i < 8; i++)
        job.boot[BOOT_KERNEL_SECTOR + i] = (core_lba >> (8 * i)) & 0xFF;
    job.boot[BOOT_DRIVE_CHECK] = 0x90;   /* skip the floppy check: this is a hard disk */
    job.boot[BOOT_DRIVE_CHECK + 1] = 0x90;
    memcpy(job.core0, p->core_img.data, 512);
    uint8_t *bl = job.core0 + DISKBOOT_BLOCKLIST;
    uint64_t rest = core_lba + 1;
    for (int i = 0; i < 8; i++)
        bl[i] = (rest >> (8 * i)) & 0xFF;
    bl[8] = (core_sectors - 1) & 0xFF;
    bl[9] = (core_sectors - 1) >> 8;
}

/* CRC-32 of the core image as written: the patched first sector, then the
 * rest, the last sector zero-padded. */
static uint32_t core_crc(void)
{
    const struct install_payload *p = job.payload;
    uint32_t crc = gpt_crc32(0, job.core0, 512);
    crc = gpt_crc32(crc, (const uint8_t *)p->core_img.data + 512, p->core_img.size - 512);
    size_t pad = (512 - p->core_img.size % 512) % 512;
    static const uint8_t zero[512];
    return gpt_crc32(crc, zero, pad);
}

static int write_core(void)
{
    const struct install_payload *p = job.payload;
    uint64_t lba = job.layout.part[GPT_PART_BIOS].first_lba;
    const uint8_t *src = p->core_img.data;
    if (cache_write(&job.cache, lba, 1, job.core0))
        return fail_with(INSTALL_EIO, "writing core.img failed");
    for (size_t off = 512; off < p->core_img.size; off += CHUNK) {
        size_t n = p->core_img.size - off < CHUNK ? p->core_img.size - off : CHUNK;
        size_t padded = (n + 511) / 512 * 512;
        memset(job.buf, 0, padded);
        memcpy(job.buf, src + off, n);
        if (cache_write(&job.cache, lba + off / 512, (uint32_t)(padded / 512), job.buf))
            return fail_with(INSTALL_EIO, "writing core.img failed");
    }
    progress(p->core_img.size);
    job.res->bytes += p->core_img.size;
    return 0;
}

static int verify_core(void)
{
    const struct install_payload *p = job.payload;
    uint64_t lba = job.layout.part[GPT_PART_BIOS].first_lba;
    uint64_t sectors = (p->core_img.size + 511) / 512;
    uint32_t crc = 0;
    for (uint64_t s = 0; s < sectors; s += CHUNK / 512) {
        uint32_t n = sectors - s < CHUNK / 512 ? (uint32_t)(sectors - s) : CHUNK / 512;
        if (cache_read(&job.cache, lba + s, n, job.buf))
            return fail_with(INSTALL_EIO, "reading back core.img failed");
        crc = gpt_crc32(crc, job.buf, (size_t)n * 512);
    }
    progress(p->core_img.size);
    uint32_t want = core_crc();
    if (crc != want)
        return fail_with(INSTALL_EVERIFY, "core.img read back differs from what was written "
                         "(CRC-32 %08x, expected %08x)", crc, want);
    return 0;
}

static int verify_file(const struct file *rec)
{
    struct fat_file f;
    int err = fat_open(rec->vol, rec->path, 0, &f);
    if (err)
        return fail_fat(err, rec->path);
    if (f.size != rec->size)
        return fail_with(INSTALL_EVERIFY, "%s reads back as %u bytes, %u were written", rec->path, f.size,
                         rec->size);
    uint32_t crc = 0, total = 0;
    for (;;) {
        long n = fat_read(&f, job.buf, CHUNK);
        if (n < 0)
            return fail_fat((int)n, rec->path);
        if (n == 0)
            break;
        crc = gpt_crc32(crc, job.buf, (size_t)n);
        total += (uint32_t)n;
        progress((uint64_t)n);
    }
    if (total != rec->size || crc != rec->crc)
        return fail_with(INSTALL_EVERIFY, "%s read back differs from what was written (CRC-32 %08x, "
                         "expected %08x)", rec->path, crc, rec->crc);
    return 0;
}

/* Remounts both volumes from the disk (fresh caches) and checks every file. */
static int verify_files(void)
{
    if (cache_forget(&job.cache))
        return fail_with(INSTALL_EIO, "flushing the disk failed");
    static struct fat_volume esp, sys;
    int err;
    if ((err = fat_mount(&job.esp_dev, &esp)) || (err = fat_mount(&job.sys_dev, &sys)))
        return fail_with(err == FAT_EIO ? INSTALL_EIO : INSTALL_EVERIFY,
                         "a partition written a moment ago does not mount: %s", fat_strerror(err));
    for (uint32_t i = 0; i < job.nfiles; i++) {
        struct file rec = job.files[i];
        rec.vol = job.files[i].vol == &job.esp ? &esp : &sys;
        if ((err = verify_file(&rec)))
            return err;
    }
    return 0;
}

/* The tables go out in gpt_write's order (backup, then primary), each
 * write flushed at once, except the MBR (LBA 0): it is held back and
 * written last. Firmware, GRUB and Linux take a disk for GPT only with a
 * protective MBR, and the wipe zeroed LBA 0, so the MBR is the one-sector
 * commit: a failure before it leaves a disk that is not partitioned. */
static int table_read(void *ctx, uint64_t s, uint32_t n, void *buf)
{
    (void)ctx;
    return cache_read(&job.cache, s, n, buf);
}

static int table_write(void *ctx, uint64_t s, uint32_t n, const void *buf)
{
    (void)ctx;
    if (s == 0) {
        memcpy(job.mbr, buf, 512);
        if (n == 1)
            return 0;
        s++, n--, buf = (const uint8_t *)buf + 512;
    }
    return cache_write(&job.cache, s, n, buf) || cache_flush(&job.cache) ? -1 : 0;
}

static int write_tables(void)
{
    struct gpt_device g = {NULL, table_read, table_write, job.dev->sector_count};
    int err = gpt_write(&g, &job.layout, job.boot);
    if (err)
        return fail_with(err == GPT_EIO ? INSTALL_EIO : INSTALL_EFS, "%s", gpt_strerror(err));
    if (cache_write(&job.cache, 0, 1, job.mbr) || cache_forget(&job.cache))
        return fail_with(INSTALL_EIO, "writing the MBR failed");
    static struct gpt_layout check;
    struct gpt_report rep;
    err = gpt_verify(&g, &check, &rep);
    if (err || !rep.mbr_protective)
        return fail_with(err == GPT_EIO ? INSTALL_EIO : INSTALL_EVERIFY, "the partition table read back is wrong: %s",
                         rep.problem ? rep.problem : err ? gpt_strerror(err) : "the MBR is not protective");
    if (cache_read(&job.cache, 0, 1, job.buf))
        return fail_with(INSTALL_EIO, "reading back the MBR failed");
    if (memcmp(job.buf, job.mbr, 512) != 0)
        return fail_with(INSTALL_EVERIFY, "the MBR read back differs from what was written");
    return 0;
}

int install_run(const struct install_device *dev, const struct install_payload *payload,
                const struct install_options *opt, struct install_result *res)
{
    memset(res, 0, sizeof *res);
    job.dev = dev;
    job.payload = payload;
    job.opt = opt;
    job.res = res;
    job.nfiles = 0;
    job.done = job.total = 0;
    job.step = "checking the disk";
    cache_init(&job.cache, dev);

    if (install_check_size(dev->sector_count, res->message, sizeof res->message))
        return res->err = INSTALL_ETOOSMALL;
    uint64_t bytes;
    if (check_payload(payload, &bytes))
        return res->err;
    job.total = 2 * bytes;   /* written, then read back */
    if (gpt_layout(dev->sector_count, opt ? opt->seed : 0, &job.layout))
        return fail_with(INSTALL_ETOOSMALL, "no room for the partitions");
    patch_grub();
    part_setup(GPT_PART_ESP, &job.esp_part, &job.esp_dev);
    part_setup(GPT_PART_DATA, &job.sys_part, &job.sys_dev);

    set_step("erasing the old partition table");
    if (wipe_tables())
        return res->err;

    set_step("writing the EFI system partition");
    if (format(&job.esp_dev, &job.esp, "TESSERA-ESP") ||
        put_file(&job.esp, "EFI/BOOT/BOOTX64.EFI", payload->efi.data, payload->efi.size))
        return res->err;
    int err = fat_sync(&job.esp);
    if (err)
        return fail_fat(err, "finishing the ESP");

    set_step("writing the system partition");
    if (format(&job.sys_dev, &job.sys, "TESSERA") ||
        put_file(&job.sys, "boot/tessera.elf", payload->kernel.data, payload->kernel.size) ||
        put_file(&job.sys, "boot/boot.tar", payload->boot_tar.data, payload->boot_tar.size) ||
        put_file(&job.sys, "boot/grub/grub.cfg", payload->grub_cfg.data, payload->grub_cfg.size) ||
        copy_from_tar(&job.sys, &payload->boot_tar))
        return res->err;
    if ((err = fat_sync(&job.sys)))
        return fail_fat(err, "finishing the system partition");

    set_step("writing GRUB's core image");
    if (write_core())
        return res->err;
    /* boot.img goes out with the tables, last; it is counted here and after
     * the checks so that the bar's two halves (writing, reading back) match. */
    progress(payload->boot_img.size);

    set_step("reading back and checking every file");
    if (verify_files() || verify_core())
        return res->err;
    progress(payload->boot_img.size);

    set_step("writing the partition table");
    if (write_tables()) {
        /* Not installed: take the tables away again if the disk lets us. */
        wipe_tables();
        return res->err;
    }
    job.step = "done";
    progress(job.total - job.done);
    return INSTALL_OK;
}
