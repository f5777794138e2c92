/*
 * Tests for libs/install on an in-memory disk: a whole install (both FAT
 * partitions clean under the host's fsck.fat, every file byte-equal, GRUB's
 * images patched, the GPT valid), too small a disk refused untouched, a
 * write error at many points (never a valid GPT afterwards, on a blank disk
 * or over an earlier installation), a read-back mismatch caught, bad
 * payloads refused before anything is written, and the description of
 * what a disk holds (an installation, an MBR table, a FAT volume, an ISO,
 * blank, garbage).
 */
// host-test-uses: libs/install/install.c libs/install/cache.c libs/install/describe.c libs/fat/fat.c libs/gpt/gpt.c
#include "test.h"
#include <stdint.h>
#include <stdlib.h>
#include <fat/fat.h>
#include <gpt/gpt.h>
#include <install/install.h>

#include "memdisk.h"

#define MIB 2048ull                          /* sectors */
#define DISK_SECTORS (140 * MIB)             /* a little above the minimum */
#define SEED 12345

/* ---- the disk, with counters and fault hooks ---- */

static struct memdisk disk;
static uint64_t writes, reads, flushes;
static int fail_flush;
static uint64_t corrupt_sector = UINT64_MAX; /* reads of it come back altered */

static int t_read(void *ctx, uint64_t s, uint32_t n, void *buf)
{
    reads++;
    int r = md_read(ctx, s, n, buf);
    if (r == 0 && corrupt_sector >= s && corrupt_sector < s + n)
        ((uint8_t *)buf)[(corrupt_sector - s) * 512 + 7] ^= 0x40;
    return r;
}

static int t_write(void *ctx, uint64_t s, uint32_t n, const void *buf)
{
    writes++;
    return md_write(ctx, s, n, buf);
}

static int t_flush(void *ctx)
{
    flushes++;
    return fail_flush ? -1 : 0;
}

static struct install_device dev;

static void disk_new(uint64_t sectors)
{
    md_alloc(&disk, sectors);
    writes = reads = flushes = 0;
    fail_flush = 0;
    corrupt_sector = UINT64_MAX;
    dev = (struct install_device){&disk, t_read, t_write, t_flush, sectors};
}

/* ---- a payload ---- */

static uint8_t boot_img[512], core_img[40 * 1024 + 100], efi[96 * 1024 + 7], kernel[300 * 1024 + 3];
static const char grub_cfg[] = "menuentry \"Tessera\" {\n    multiboot2 /boot/tessera.elf\n}\n";
static uint8_t tar[64 * 1024];
static size_t tar_len;
static uint8_t app_bin[20000], font[9000];
static const char theme[] = "name = light\n";

static void fill(uint8_t *b, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        b[i] = (uint8_t)(i * 131 + seed + (i >> 11));
}

/* Appends a ustar entry ('0' file or '5' directory) to tar[]. */
static void tar_add(const char *name, char type, const void *data, size_t size)
{
    uint8_t *h = tar + tar_len;
    memset(h, 0, 512);
    snprintf((char *)h, 100, "%s", name);
    snprintf((char *)h + 100, 8, "%07o", type == '5' ? 0755 : 0644);
    snprintf((char *)h + 108, 8, "%07o", 0);
    snprintf((char *)h + 116, 8, "%07o", 0);
    snprintf((char *)h + 124, 12, "%011zo", size);
    snprintf((char *)h + 136, 12, "%011o", 0);
    h[156] = (uint8_t)type;
    memcpy(h + 257, "ustar", 6);
    memcpy(h + 263, "00", 2);
    memset(h + 148, ' ', 8);
    unsigned sum = 0;
    for (int i = 0; i < 512; i++)
        sum += h[i];
    snprintf((char *)h + 148, 8, "%06o", sum);
    tar_len += 512;
    if (size)
        memcpy(tar + tar_len, data, size);
    tar_len += (size + 511) / 512 * 512;
}

static struct install_payload payload;

static void payload_new(void)
{
    fill(boot_img, sizeof boot_img, 1);
    boot_img[510] = 0x55;
    boot_img[511] = 0xAA;
    fill(core_img, sizeof core_img, 2);
    fill(efi, sizeof efi, 3);
    fill(kernel, sizeof kernel, 4);
    memcpy(kernel, "\177ELF", 4);
    fill(app_bin, sizeof app_bin, 5);
    fill(font, sizeof font, 6);
    memset(tar, 0, sizeof tar);
    tar_len = 0;
    tar_add("./", '5', NULL, 0);
    tar_add("./apps/", '5', NULL, 0);
    tar_add("./apps/hello/", '5', NULL, 0);
    tar_add("./apps/hello/hello", '0', app_bin, sizeof app_bin);
    tar_add("./apps/hello/app.conf", '0', "name = Hello\n", 13);
    tar_add("./fonts/DejaVuSans.ttf", '0', font, sizeof font);   /* no directory entry first */
    tar_add("./servers/init", '0', app_bin, 100);                 /* stays inside the archive */
    tar_add("./themes/", '5', NULL, 0);
    tar_add("./themes/light.theme", '0', theme, sizeof theme - 1);
    tar_len += 1024;                                              /* end of archive */
    payload = (struct install_payload){
        .boot_img = {boot_img, sizeof boot_img}, .core_img = {core_img, sizeof core_img},
        .efi = {efi, sizeof efi}, .grub_cfg = {grub_cfg, sizeof grub_cfg - 1},
        .kernel = {kernel, sizeof kernel}, .boot_tar = {tar, tar_len},
    };
}

/* ---- running it ---- */

static uint64_t last_done, last_total;
static int progress_calls, progress_backwards;

static void on_progress(void *ctx, uint64_t done, uint64_t total, const char *step)
{
    if (done < last_done || done > total || !step || !*step)
        progress_backwards++;
    last_done = done;
    last_total = total;
    progress_calls++;
}

static struct install_result res;

static int install(void)
{
    last_done = last_total = 0;
    progress_calls = progress_backwards = 0;
    struct install_options opt = {.seed = SEED, .progress = on_progress};
    return install_run(&dev, &payload, &opt, &res);
}

/* ---- checking the result ---- */

static struct gpt_device gdev_of(void)
{
    return (struct gpt_device){&disk, md_read, md_write, disk.sectors};
}

/* What firmware, GRUB and Linux would take for a GPT disk: a table that
 * reads (either copy) behind a protective MBR. */
static int looks_partitioned(void)
{
    struct gpt_device g = gdev_of();
    static struct gpt_layout l;
    struct gpt_report rep;
    return gpt_read(&g, &l, &rep) == GPT_OK && rep.mbr_protective;
}

static int gpt_complete(void)
{
    struct gpt_device g = gdev_of();
    static struct gpt_layout l;
    struct gpt_report rep;
    return gpt_verify(&g, &l, &rep) == GPT_OK;
}

struct part { uint64_t first, sectors; };

static int p_read(void *ctx, uint64_t s, uint32_t n, void *buf)
{
    struct part *p = ctx;
    return s + n > p->sectors ? -1 : md_read(&disk, p->first + s, n, buf);
}

static int p_write(void *ctx, uint64_t s, uint32_t n, const void *buf) { return -1; }

static struct part part_of(int index)
{
    struct gpt_layout l;
    gpt_layout(disk.sectors, SEED, &l);
    return (struct part){l.part[index].first_lba, l.part[index].last_lba - l.part[index].first_lba + 1};
}

/* The file at path on partition index equals data. */
static int file_equals(int index, const char *path, const void *data, size_t size)
{
    struct part p = part_of(index);
    struct fat_device d = {.ctx = &p, .read = p_read, .write = p_write, .sector_count = p.sectors};
    static struct fat_volume v;
    struct fat_file f;
    static uint8_t buf[1 << 20];
    if (fat_mount(&d, &v) || fat_open(&v, path, 0, &f))
        return 0;
    long n = fat_read(&f, buf, sizeof buf);
    return n == (long)size && memcmp(buf, data, size) == 0;
}

static int file_exists(int index, const char *path)
{
    struct part p = part_of(index);
    struct fat_device d = {.ctx = &p, .read = p_read, .write = p_write, .sector_count = p.sectors};
    static struct fat_volume v;
    struct fat_dirent e;
    return fat_mount(&d, &v) == 0 && fat_stat(&v, path, &e) == 0;
}

static uint64_t get64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

/* ---- tests ---- */

TEST(install_writes_a_complete_disk)
{
    payload_new();
    disk_new(DISK_SECTORS);
    CHECK_EQ(install(), INSTALL_OK);
    CHECK_STR(res.message, "");
    CHECK(gpt_complete());
    /* apps/hello/hello, apps/hello/app.conf, fonts/..., themes/... + 4 of our own. */
    CHECK_EQ(res.files, 8u);
    CHECK(progress_calls > 10);
    CHECK_EQ(progress_backwards, 0);
    CHECK(last_done == last_total && last_total > 0);

    CHECK(file_equals(GPT_PART_ESP, "EFI/BOOT/BOOTX64.EFI", efi, sizeof efi));
    CHECK(file_equals(GPT_PART_DATA, "boot/tessera.elf", kernel, sizeof kernel));
    CHECK(file_equals(GPT_PART_DATA, "boot/boot.tar", tar, tar_len));
    CHECK(file_equals(GPT_PART_DATA, "boot/grub/grub.cfg", grub_cfg, sizeof grub_cfg - 1));
    CHECK(file_equals(GPT_PART_DATA, "apps/hello/hello", app_bin, sizeof app_bin));
    CHECK(file_equals(GPT_PART_DATA, "fonts/DejaVuSans.ttf", font, sizeof font));
    CHECK(file_equals(GPT_PART_DATA, "themes/light.theme", theme, sizeof theme - 1));
    CHECK(!file_exists(GPT_PART_DATA, "servers/init"));

    /* GRUB for BIOS: the MBR code points at core.img; its blocklist at the rest. */
    struct part bios = part_of(GPT_PART_BIOS);
    const uint8_t *mbr = disk.data;
    CHECK(memcmp(mbr, boot_img, 0x5c) == 0);
    CHECK_EQ(get64(mbr + 0x5c), bios.first);
    CHECK(mbr[0x66] == 0x90 && mbr[0x67] == 0x90);
    const uint8_t *core = disk.data + bios.first * 512;
    CHECK_EQ(get64(core + 500), bios.first + 1);
    CHECK_EQ(core[508] | core[509] << 8, (int)((sizeof core_img + 511) / 512 - 1));
    CHECK(memcmp(core + 512, core_img + 512, sizeof core_img - 512) == 0);

    struct part esp = part_of(GPT_PART_ESP), sys = part_of(GPT_PART_DATA);
    CHECK_EQ(md_fsck_fat(&disk, esp.first, esp.sectors), 0);
    CHECK_EQ(md_fsck_fat(&disk, sys.first, sys.sectors), 0);
    /* Combined writes: far fewer device requests than sectors. */
    CHECK(writes < 2000);
}

TEST(too_small_disk_is_refused_untouched)
{
    payload_new();
    disk_new(install_min_sectors() - 1);
    CHECK_EQ(install(), INSTALL_ETOOSMALL);
    char want[64];
    snprintf(want, sizeof want, "at least %llu MiB", (unsigned long long)(install_min_sectors() + 2047) / 2048);
    CHECK(strstr(res.message, want) != NULL);
    CHECK(strstr(res.message, "too small") != NULL);
    CHECK_EQ(writes, 0u);
    char msg[INSTALL_MSG_MAX];
    CHECK_EQ(install_check_size(install_min_sectors(), msg, sizeof msg), INSTALL_OK);
    CHECK_EQ(install_check_size(100 * MIB, msg, sizeof msg), INSTALL_ETOOSMALL);
    CHECK(strstr(msg, "it has 100 MiB") != NULL);
}

/* A write error after k successful writes, for many k (every one near both
 * ends): the install fails with a message naming the sector, and the disk
 * is left without a partition table (the protective MBR is the last
 * write). over: an earlier installation is on the disk. */
static void write_errors(int over)
{
    payload_new();
    disk_new(DISK_SECTORS);
    CHECK_EQ(install(), INSTALL_OK);
    uint64_t total = writes;
    static uint8_t *installed;
    free(installed);
    installed = malloc(DISK_SECTORS * 512);
    memcpy(installed, disk.data, DISK_SECTORS * 512);
    CHECK(total > 20);
    for (uint64_t k = 0; k < total && !test_failed_now; k += (k < 8 || k + 8 >= total) ? 1 : total / 23) {
        disk_new(DISK_SECTORS);
        if (over)
            memcpy(disk.data, installed, DISK_SECTORS * 512);
        disk.writes_left = (int)k;
        int err = install();
        CHECK_EQ(err, INSTALL_EIO);
        CHECK(strstr(res.message, "the disk refused a write") != NULL);
        CHECK(strstr(res.message, "at sector") != NULL);
        /* Untouched (the very first write failed) or not partitioned at all. */
        if (over && k == 0)
            CHECK(memcmp(disk.data, installed, DISK_SECTORS * 512) == 0);
        else if (looks_partitioned()) {
            printf("write error after %llu of %llu writes left a partitioned disk (%s)\n",
                   (unsigned long long)k, (unsigned long long)total, res.message);
            CHECK(!looks_partitioned());
        }
    }
}

TEST(write_error_on_a_blank_disk) { write_errors(0); }
TEST(write_error_over_an_installation) { write_errors(1); }

TEST(flush_error_is_reported)
{
    payload_new();
    disk_new(DISK_SECTORS);
    fail_flush = 1;
    CHECK_EQ(install(), INSTALL_EIO);
    CHECK(strstr(res.message, "refused a flush") != NULL);
    CHECK(!looks_partitioned());
}

/* The sector holding byte `offset` of a file on the system partition. */
static uint64_t sector_of(const char *path, uint32_t offset)
{
    struct part p = part_of(GPT_PART_DATA);
    struct fat_device d = {.ctx = &p, .read = p_read, .write = p_write, .sector_count = p.sectors};
    static struct fat_volume v;
    struct fat_dirent e;
    if (fat_mount(&d, &v) || fat_stat(&v, path, &e))
        return UINT64_MAX;
    /* Files are written into free clusters in order: contiguous here. */
    return p.first + v.data_start + (uint64_t)(e.first_cluster - 2) * v.sectors_per_cluster + offset / 512;
}

TEST(read_back_mismatch_is_caught)
{
    payload_new();
    disk_new(DISK_SECTORS);
    CHECK_EQ(install(), INSTALL_OK);
    uint64_t bad = sector_of("boot/boot.tar", 8192);
    CHECK(bad != UINT64_MAX);
    disk_new(DISK_SECTORS);
    corrupt_sector = bad;
    CHECK_EQ(install(), INSTALL_EVERIFY);
    CHECK(strstr(res.message, "boot/boot.tar") != NULL);
    CHECK(strstr(res.message, "CRC-32") != NULL);
    CHECK(!looks_partitioned());

    /* core.img's second sector. */
    disk_new(DISK_SECTORS);
    corrupt_sector = part_of(GPT_PART_BIOS).first + 1;
    CHECK_EQ(install(), INSTALL_EVERIFY);
    CHECK(strstr(res.message, "core.img") != NULL);
    CHECK(!looks_partitioned());
}

TEST(bad_payload_is_refused_before_writing)
{
    payload_new();
    disk_new(DISK_SECTORS);
    payload.efi = (struct install_blob){NULL, 0};
    CHECK_EQ(install(), INSTALL_EPAYLOAD);
    CHECK(strstr(res.message, "BOOTX64.EFI is missing") != NULL);
    CHECK_EQ(writes, 0u);

    payload_new();
    payload.core_img.size = 2 * 1024 * 1024;
    CHECK_EQ(install(), INSTALL_EPAYLOAD);
    CHECK(strstr(res.message, "core.img") != NULL);

    payload_new();
    tar[148] ^= 1;   /* first header's checksum */
    CHECK_EQ(install(), INSTALL_EPAYLOAD);
    CHECK(strstr(res.message, "boot.tar") != NULL);

    payload_new();
    kernel[0] = 0;
    CHECK_EQ(install(), INSTALL_EPAYLOAD);
    CHECK(strstr(res.message, "ELF") != NULL);
    CHECK_EQ(writes, 0u);
}

static char desc[INSTALL_MSG_MAX];

static const char *describe(void)
{
    CHECK_EQ(install_describe(&dev, desc, sizeof desc), INSTALL_OK);
    return desc;
}

TEST(describe_blank_and_garbage)
{
    disk_new(DISK_SECTORS);
    CHECK(strstr(describe(), "blank") != NULL);
    memset(disk.data + 3 * 512, 0x5a, 100);
    CHECK(strstr(describe(), "unrecognised data") != NULL);
}

TEST(describe_an_installation)
{
    payload_new();
    disk_new(DISK_SECTORS);
    CHECK_EQ(install(), INSTALL_OK);
    describe();
    CHECK(strncmp(desc, "a Tessera installation (GPT, 3 partitions): ", 44) == 0);
    CHECK(strstr(desc, "BIOS boot \"BIOS boot\" 1 MiB") != NULL);
    CHECK(strstr(desc, "EFI system \"TESSERA-ESP\" 64 MiB") != NULL);
    CHECK(strstr(desc, "data \"TESSERA\" 73 MiB") != NULL);
    /* Only the backup left: still described, as damaged. */
    memset(disk.data + 512, 0, 512);
    describe();
    CHECK(strstr(desc, "damaged") != NULL);
}

TEST(describe_mbr_fat_and_iso)
{
    disk_new(DISK_SECTORS);
    uint8_t *e = disk.data + 446;
    e[4] = 0x0c;                        /* FAT32 LBA, 100 MiB at 1 MiB */
    e[8] = 0x00, e[9] = 0x08;
    uint32_t n = 100 * MIB;
    e[12] = n & 0xff, e[13] = n >> 8 & 0xff, e[14] = n >> 16 & 0xff, e[15] = n >> 24;
    disk.data[510] = 0x55, disk.data[511] = 0xAA;
    CHECK_STR(describe(), "an MBR partition table: type 0x0c 100 MiB");

    disk_new(DISK_SECTORS);
    struct fat_device fd = {.ctx = &disk, .read = md_read, .write = md_write, .sector_count = DISK_SECTORS};
    CHECK_EQ(fat_format(&fd, "STICK"), 0);
    CHECK_STR(describe(), "a FAT file system without a partition table");

    disk_new(DISK_SECTORS);
    memcpy(disk.data + 32769, "CD001", 5);
    CHECK(strstr(describe(), "ISO 9660") != NULL);
}

TEST(describe_unreadable_disk)
{
    disk_new(10);   /* reads past the end fail */
    dev.sector_count = 40;
    CHECK_EQ(install_describe(&dev, desc, sizeof desc), INSTALL_EIO);
    CHECK(strstr(desc, "unreadable") != NULL);
}

TEST_MAIN()
