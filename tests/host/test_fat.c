/*
 * Tests for libs/fat: an in-memory 64 MiB device; format, files and
 * directories with long and short names, persistence across remounts,
 * corrupt volumes refused, images checked by the host's fsck.fat and
 * images made by mkfs.fat + mcopy read back.
 */
// host-test-uses: libs/fat/fat.c
#include "test.h"
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include "../../libs/fat/include/fat/fat.h"

#define DISK_SECTORS (64u * 1024 * 1024 / 512)

#include "memdisk.h"

static int md_flush(void *ctx) { (void)ctx; return 0; }

static struct memdisk disk;
static struct fat_device dev;
static struct fat_volume vol;

static void disk_new(uint64_t sectors)
{
    md_alloc(&disk, sectors);
    dev = (struct fat_device){.ctx = &disk, .read = md_read, .write = md_write,
                              .flush = md_flush, .sector_count = sectors};
}

static int fresh_volume(void)
{
    disk_new(DISK_SECTORS);
    if (fat_format(&dev, "TESSERA") != 0)
        return -1;
    return fat_mount(&dev, &vol);
}

static void fill_pattern(uint8_t *buf, size_t len, unsigned seed)
{
    for (size_t i = 0; i < len; i++)
        buf[i] = (uint8_t)(i * 31 + seed + (i >> 9));
}

static long write_file(const char *path, const void *buf, size_t len)
{
    struct fat_file f;
    int r = fat_open(&vol, path, FAT_O_CREATE | FAT_O_TRUNC, &f);
    if (r)
        return r;
    return fat_write(&f, buf, len);
}

/* Reads a whole file into buf (capacity cap); returns its length. */
static long read_file(const char *path, void *buf, size_t cap)
{
    struct fat_file f;
    int r = fat_open(&vol, path, 0, &f);
    if (r)
        return r;
    return fat_read(&f, buf, cap);
}

static int dir_has(const char *dir, const char *name)
{
    struct fat_file d;
    struct fat_dirent e;
    if (fat_open(&vol, dir, 0, &d))
        return -1;
    int r;
    while ((r = fat_readdir(&d, &e)) == 1)
        if (strcmp(e.name, name) == 0)
            return 1;
    return r;
}

static int dir_count(const char *dir)
{
    struct fat_file d;
    struct fat_dirent e;
    if (fat_open(&vol, dir, 0, &d))
        return -1;
    int n = 0, r;
    while ((r = fat_readdir(&d, &e)) == 1)
        n++;
    return r < 0 ? r : n;
}

/* Runs fsck.fat -n over the current disk; returns 0 when clean. */
static int fsck_clean(void)
{
    if (fat_sync(&vol) != 0)
        return -1;
    return md_fsck_fat(&disk, 0, disk.sectors);
}

TEST(format_and_mount)
{
    CHECK_EQ(fresh_volume(), 0);
    CHECK_EQ(vol.read_only, 0);
    CHECK_EQ(vol.root_cluster, 2u);
    CHECK_EQ(vol.sectors_per_cluster, 1u);
    CHECK(vol.cluster_count >= 65525);
    CHECK_EQ(vol.free_count, vol.cluster_count - 1);
    CHECK_EQ(dir_count("/"), 0);   /* the label entry is not listed */
    CHECK_EQ(fsck_clean(), 0);
}

TEST(format_larger_volume)
{
    disk_new(600000);   /* ~293 MiB: 4 KiB clusters */
    CHECK_EQ(fat_format(&dev, NULL), 0);
    CHECK_EQ(fat_mount(&dev, &vol), 0);
    CHECK_EQ(vol.sectors_per_cluster, 8u);
    static uint8_t data[100000], back[100001];
    fill_pattern(data, sizeof(data), 5);
    CHECK_EQ(fat_mkdir(&vol, "EFI"), 0);
    CHECK_EQ(fat_mkdir(&vol, "EFI/BOOT"), 0);
    CHECK_EQ(write_file("EFI/BOOT/BOOTX64.EFI", data, sizeof(data)), (long)sizeof(data));
    CHECK_EQ(read_file("efi/boot/bootx64.efi", back, sizeof(back)), (long)sizeof(data));
    CHECK(memcmp(data, back, sizeof(data)) == 0);
    CHECK_EQ(fsck_clean(), 0);
}

TEST(too_small_refused)
{
    disk_new(20000);
    CHECK_EQ(fat_format(&dev, NULL), FAT_EINVAL);
    CHECK(fat_mount(&dev, &vol) != 0);
    CHECK(vol.reason != NULL);
}

TEST(files_short_and_long_names)
{
    CHECK_EQ(fresh_volume(), 0);
    CHECK_EQ(write_file("README.TXT", "hello", 5), 5);
    CHECK_EQ(write_file("A long file name with spaces.markdown", "long", 4), 4);
    CHECK_EQ(write_file("lower.txt", "low", 3), 3);
    char buf[64];
    CHECK_EQ(read_file("readme.txt", buf, sizeof(buf)), 5);   /* case-insensitive */
    CHECK(memcmp(buf, "hello", 5) == 0);
    CHECK_EQ(read_file("/A LONG FILE NAME WITH SPACES.MARKDOWN", buf, sizeof(buf)), 4);
    CHECK_EQ(dir_has("/", "README.TXT"), 1);
    CHECK_EQ(dir_has("/", "A long file name with spaces.markdown"), 1);
    CHECK_EQ(dir_has("/", "lower.txt"), 1);
    struct fat_dirent st;
    CHECK_EQ(fat_stat(&vol, "A long file name with spaces.markdown", &st), 0);
    CHECK_STR(st.short_name, "ALONGF~1.MAR");
    CHECK_EQ(fat_stat(&vol, "ALONGF~1.MAR", &st), 0);   /* short alias works too */
    /* Same basis name gets the next numeric tail. */
    CHECK_EQ(write_file("A long file name, second.markdown", "x", 1), 1);
    CHECK_EQ(fat_stat(&vol, "A long file name, second.markdown", &st), 0);
    CHECK_STR(st.short_name, "ALONGF~2.MAR");
    struct fat_file f;
    CHECK_EQ(fat_create(&vol, "README.TXT", &f), FAT_EEXIST);
    CHECK_EQ(fat_open(&vol, "nope", 0, &f), FAT_ENOENT);
    CHECK_EQ(fat_create(&vol, "bad:name", &f), FAT_EINVAL);
    /* 255 characters is the longest name. */
    char name[300];
    memset(name, 'n', 255);
    name[255] = 0;
    CHECK_EQ(write_file(name, "max", 3), 3);
    CHECK_EQ(dir_has("/", name), 1);
    name[255] = 'n';
    name[256] = 0;
    CHECK_EQ(fat_create(&vol, name, &f), FAT_ENAMETOOLONG);
    /* UTF-8 names round-trip through UCS-2. */
    CHECK_EQ(write_file("caf\xc3\xa9 \xe2\x82\xac.txt", "u", 1), 1);
    CHECK_EQ(dir_has("/", "caf\xc3\xa9 \xe2\x82\xac.txt"), 1);
    CHECK_EQ(fsck_clean(), 0);
}

TEST(nested_directories)
{
    CHECK_EQ(fresh_volume(), 0);
    CHECK_EQ(fat_mkdir(&vol, "boot"), 0);
    CHECK_EQ(fat_mkdir(&vol, "boot/grub"), 0);
    CHECK_EQ(fat_mkdir(&vol, "/boot/grub/Very Long Directory Name"), 0);
    CHECK_EQ(fat_mkdir(&vol, "boot"), FAT_EEXIST);
    CHECK_EQ(fat_mkdir(&vol, "missing/dir"), FAT_ENOENT);
    CHECK_EQ(write_file("boot/grub/Very Long Directory Name/grub.cfg", "menuentry", 9), 9);
    CHECK_EQ(write_file("boot/kernel.elf", "ELF", 3), 3);
    CHECK_EQ(fat_mkdir(&vol, "boot/kernel.elf/x"), FAT_ENOTDIR);
    char buf[32];
    CHECK_EQ(read_file("/boot/./grub/../grub/Very Long Directory Name/grub.cfg", buf, sizeof(buf)), 9);
    CHECK_EQ(dir_count("boot"), 2);
    CHECK_EQ(dir_count("boot/grub"), 1);
    struct fat_file f;
    CHECK_EQ(fat_read(&f, buf, 1) , fat_open(&vol, "boot", 0, &f) == 0 ? FAT_EISDIR : 1);
    /* Many entries: the directory grows past one cluster. */
    for (int i = 0; i < 100; i++) {
        char name[64];
        snprintf(name, sizeof(name), "boot/grub/module number %03d.mod", i);
        CHECK_EQ(write_file(name, name, strlen(name)), (long)strlen(name));
    }
    CHECK_EQ(dir_count("boot/grub"), 101);
    CHECK_EQ(read_file("boot/grub/module number 077.mod", buf, sizeof(buf)),
             (long)strlen("boot/grub/module number 077.mod"));
    CHECK(memcmp(buf, "boot/grub/module number 077.mod", 31) == 0);
    CHECK_EQ(fsck_clean(), 0);
}

TEST(multi_cluster_io)
{
    CHECK_EQ(fresh_volume(), 0);
    size_t big = 300000;
    uint8_t *data = malloc(big), *back = malloc(big + 100);
    fill_pattern(data, big, 7);
    struct fat_file f;
    CHECK_EQ(fat_create(&vol, "big.bin", &f), 0);
    /* Writes in odd-sized pieces exercise partial sectors. */
    size_t off = 0;
    while (off < big) {
        size_t n = big - off < 777 ? big - off : 777;
        CHECK_EQ(fat_write(&f, data + off, n), (long)n);
        off += n;
    }
    CHECK_EQ(read_file("big.bin", back, big + 100), (long)big);
    CHECK(memcmp(data, back, big) == 0);
    /* Append. */
    CHECK_EQ(fat_open(&vol, "big.bin", 0, &f), 0);
    CHECK_EQ(fat_seek(&f, f.size), 0);
    CHECK_EQ(fat_write(&f, "TAIL", 4), 4);
    CHECK_EQ(f.size, big + 4);
    /* Overwrite in the middle, across a sector boundary. */
    CHECK_EQ(fat_seek(&f, 1000), 0);
    CHECK_EQ(fat_write(&f, "MIDDLE", 6), 6);
    memcpy(data + 1000, "MIDDLE", 6);
    CHECK_EQ(read_file("big.bin", back, big + 100), (long)big + 4);
    CHECK(memcmp(data, back, big) == 0);
    CHECK(memcmp(back + big, "TAIL", 4) == 0);
    /* Reads from an offset. */
    CHECK_EQ(fat_seek(&f, 999), 0);
    char small[8];
    CHECK_EQ(fat_read(&f, small, 8), 8);
    CHECK(memcmp(small + 1, "MIDDLE", 6) == 0);
    /* Truncate down, then up (zero-filled). */
    uint32_t free_before = vol.free_count;
    CHECK_EQ(fat_truncate(&f, 1500), 0);
    CHECK(vol.free_count > free_before);
    CHECK_EQ(fat_truncate(&f, 5000), 0);
    CHECK_EQ(read_file("big.bin", back, big), 5000);
    CHECK(memcmp(data, back, 1500) == 0);
    int zeros = 1;
    for (int i = 1500; i < 5000; i++)
        zeros &= back[i] == 0;
    CHECK(zeros);
    /* Writing past the end leaves a zero gap. */
    CHECK_EQ(fat_seek(&f, 9000), 0);
    CHECK_EQ(fat_write(&f, "Z", 1), 1);
    CHECK_EQ(read_file("big.bin", back, big), 9001);
    CHECK(back[8999] == 0 && back[9000] == 'Z');
    CHECK_EQ(fat_truncate(&f, 0), 0);
    CHECK_EQ(f.first_cluster, 0u);
    CHECK_EQ(vol.free_count, vol.cluster_count - 1);
    CHECK_EQ(fat_sync(&vol), 0);
    CHECK_EQ(fsck_clean(), 0);
    free(data);
    free(back);
}

/* A full volume: writes stop with a short count or FAT_ENOSPC, nothing
 * already there is damaged, the volume stays clean, and deleting makes
 * room again. */
TEST(full_volume)
{
    CHECK_EQ(fresh_volume(), 0);
    CHECK_EQ(write_file("keep.txt", "still here", 10), 10);
    size_t chunk = 1u << 20;
    uint8_t *data = malloc(chunk), *back = malloc(chunk);
    fill_pattern(data, chunk, 3);
    struct fat_file f;
    CHECK_EQ(fat_create(&vol, "fill.bin", &f), 0);
    long n = (long)chunk;
    int chunks = 0;
    while (n == (long)chunk && chunks < 100) {
        n = fat_write(&f, data, chunk);
        chunks++;
    }
    CHECK(chunks < 100);                     /* 64 MiB ran out */
    CHECK(n == FAT_ENOSPC || (n >= 0 && n < (long)chunk));
    CHECK_EQ(vol.free_count, 0u);
    /* Nothing more fits, and asking is not an error that damages anything. */
    long more = write_file("more.bin", data, 4096);
    CHECK(more == FAT_ENOSPC || more == 0);
    CHECK_EQ(read_file("keep.txt", back, chunk), 10);
    CHECK(memcmp(back, "still here", 10) == 0);
    CHECK_EQ(fsck_clean(), 0);
    /* Deleting the big file gives the space back. */
    CHECK_EQ(fat_unlink(&vol, "fill.bin"), 0);
    CHECK(vol.free_count > 100);
    CHECK_EQ(write_file("after.bin", data, chunk), (long)chunk);
    CHECK_EQ(read_file("after.bin", back, chunk), (long)chunk);
    CHECK(memcmp(data, back, chunk) == 0);
    CHECK_EQ(fsck_clean(), 0);
    free(data);
    free(back);
}

TEST(rename_and_delete)
{
    CHECK_EQ(fresh_volume(), 0);
    CHECK_EQ(fat_mkdir(&vol, "a"), 0);
    CHECK_EQ(fat_mkdir(&vol, "b"), 0);
    CHECK_EQ(fat_mkdir(&vol, "a/sub dir"), 0);
    CHECK_EQ(write_file("a/sub dir/file one.txt", "one", 3), 3);
    CHECK_EQ(write_file("a/two.txt", "two", 3), 3);
    /* Within a directory. */
    CHECK_EQ(fat_rename(&vol, "a/two.txt", "a/Second File.txt"), 0);
    CHECK_EQ(dir_has("a", "two.txt"), 0);
    CHECK_EQ(dir_has("a", "Second File.txt"), 1);
    /* Case-only rename. */
    CHECK_EQ(fat_rename(&vol, "a/Second File.txt", "a/second file.txt"), 0);
    CHECK_EQ(dir_has("a", "second file.txt"), 1);
    /* Across directories, a file and a directory (whose ".." must follow). */
    CHECK_EQ(fat_rename(&vol, "a/second file.txt", "b/moved.txt"), 0);
    CHECK_EQ(fat_rename(&vol, "a/sub dir", "b/sub dir moved"), 0);
    char buf[16];
    CHECK_EQ(read_file("b/sub dir moved/file one.txt", buf, sizeof(buf)), 3);
    CHECK_EQ(read_file("b/sub dir moved/../moved.txt", buf, sizeof(buf)), 3);
    CHECK_EQ(dir_count("a"), 0);
    /* A directory cannot move into itself. */
    CHECK_EQ(fat_rename(&vol, "b", "b/sub dir moved/b"), FAT_EINVAL);
    /* Rename over an existing file replaces it. */
    CHECK_EQ(write_file("b/victim", "victim", 6), 6);
    CHECK_EQ(fat_rename(&vol, "b/moved.txt", "b/victim"), 0);
    CHECK_EQ(read_file("b/victim", buf, sizeof(buf)), 3);
    CHECK_EQ(fat_rename(&vol, "nothing", "b/x"), FAT_ENOENT);
    /* Delete. */
    CHECK_EQ(fat_rmdir(&vol, "b/sub dir moved"), FAT_ENOTEMPTY);
    CHECK_EQ(fat_unlink(&vol, "b/sub dir moved"), FAT_EISDIR);
    CHECK_EQ(fat_rmdir(&vol, "b/victim"), FAT_ENOTDIR);
    CHECK_EQ(fat_unlink(&vol, "b/sub dir moved/file one.txt"), 0);
    CHECK_EQ(fat_rmdir(&vol, "b/sub dir moved"), 0);
    CHECK_EQ(fat_unlink(&vol, "b/victim"), 0);
    CHECK_EQ(fat_rmdir(&vol, "b"), 0);
    CHECK_EQ(fat_rmdir(&vol, "a"), 0);
    CHECK_EQ(fat_rmdir(&vol, "/"), FAT_EINVAL);
    CHECK_EQ(fat_mkdir(&vol, "c"), 0);
    CHECK_EQ(fat_rmdir(&vol, "c/."), FAT_EINVAL);
    CHECK_EQ(fat_rmdir(&vol, "c/.."), FAT_EINVAL);
    CHECK_EQ(fat_rename(&vol, "c/..", "d"), FAT_EINVAL);
    CHECK_EQ(fat_rmdir(&vol, "c"), 0);
    CHECK_EQ(dir_count("/"), 0);
    CHECK_EQ(vol.free_count, vol.cluster_count - 1);
    /* Freed slots are reused. */
    CHECK_EQ(write_file("again.txt", "again", 5), 5);
    CHECK_EQ(fat_sync(&vol), 0);
    CHECK_EQ(fsck_clean(), 0);
}

TEST(remount_persists)
{
    CHECK_EQ(fresh_volume(), 0);
    CHECK_EQ(fat_mkdir(&vol, "Documents"), 0);
    uint8_t data[5000];
    fill_pattern(data, sizeof(data), 3);
    CHECK_EQ(write_file("Documents/Report for 2026.doc", data, sizeof(data)), (long)sizeof(data));
    uint32_t free_count = vol.free_count;
    CHECK_EQ(fat_sync(&vol), 0);
    memset(&vol, 0xAA, sizeof(vol));
    CHECK_EQ(fat_mount(&dev, &vol), 0);
    CHECK_EQ(vol.free_count, free_count);
    uint8_t back[6000];
    CHECK_EQ(read_file("documents/report for 2026.doc", back, sizeof(back)), (long)sizeof(data));
    CHECK(memcmp(data, back, sizeof(data)) == 0);
    CHECK_EQ(fsck_clean(), 0);
}

TEST(corrupt_volumes_refused)
{
    CHECK_EQ(fresh_volume(), 0);
    CHECK_EQ(fat_mkdir(&vol, "dir"), 0);
    CHECK_EQ(write_file("dir/f", "x", 1), 1);
    /* Enough entries that "dir" fills its first cluster (no end marker). */
    for (int i = 0; i < 20; i++) {
        char name[32];
        snprintf(name, sizeof(name), "dir/G%d", i);
        CHECK_EQ(write_file(name, "", 0), 0);
    }
    CHECK_EQ(fat_sync(&vol), 0);
    uint8_t saved[512];
    memcpy(saved, disk.data, 512);
    static const struct { int off; uint8_t val; } bad[] = {
        {510, 0}, {0, 0}, {12, 4}, {13, 3}, {16, 0}, {16, 5}, {17, 1}, {22, 1},
        {38, 0xFF}, {44, 0}, {45, 0xFF}, {42, 1}, {14, 0},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        memcpy(disk.data, saved, 512);
        disk.data[bad[i].off] = bad[i].val;
        CHECK(fat_mount(&dev, &vol) != 0);
        CHECK(vol.reason != NULL);
    }
    memcpy(disk.data, saved, 512);
    /* A device smaller than the volume claims. */
    dev.sector_count = DISK_SECTORS / 2;
    CHECK(fat_mount(&dev, &vol) != 0);
    dev.sector_count = DISK_SECTORS;
    CHECK_EQ(fat_mount(&dev, &vol), 0);

    /* FAT mirroring disabled: read-only, reading still works. */
    disk.data[40] = 0x80;
    CHECK_EQ(fat_mount(&dev, &vol), 0);
    CHECK_EQ(vol.read_only, 1);
    CHECK(vol.reason != NULL);
    char buf[4];
    CHECK_EQ(read_file("dir/f", buf, 4), 1);
    struct fat_file f;
    CHECK_EQ(fat_create(&vol, "new", &f), FAT_EROFS);
    CHECK_EQ(fat_mkdir(&vol, "new"), FAT_EROFS);
    disk.data[40] = 0;
    CHECK_EQ(fat_mount(&dev, &vol), 0);

    /* Bad FSInfo is only a hint: recounted. */
    uint32_t free_count = vol.free_count;
    disk.data[512] = 0;
    CHECK_EQ(fat_mount(&dev, &vol), 0);
    CHECK_EQ(vol.free_count, free_count);
    disk.data[512] = 0x52;

    /* Root chain looping onto itself: refused. */
    uint8_t *fat = disk.data + vol.reserved_sectors * 512;
    uint8_t save_root[4];
    memcpy(save_root, fat + 8, 4);
    fat[8] = 2; fat[9] = 0; fat[10] = 0; fat[11] = 0;
    CHECK(fat_mount(&dev, &vol) != 0);
    CHECK(vol.reason != NULL);
    /* Root chain pointing outside the volume: refused. */
    fat[8] = 0xF0; fat[9] = 0xFF; fat[10] = 0xFF; fat[11] = 0x0E;
    CHECK(fat_mount(&dev, &vol) != 0);
    memcpy(fat + 8, save_root, 4);
    CHECK_EQ(fat_mount(&dev, &vol), 0);

    /* A subdirectory whose chain loops: scans end with an error. */
    struct fat_dirent st;
    CHECK_EQ(fat_stat(&vol, "dir", &st), 0);
    uint32_t c = st.first_cluster;
    fat[c * 4] = (uint8_t)c; fat[c * 4 + 1] = (uint8_t)(c >> 8);
    fat[c * 4 + 2] = (uint8_t)(c >> 16); fat[c * 4 + 3] = 0;
    CHECK_EQ(fat_mount(&dev, &vol), 0);
    CHECK_EQ(fat_stat(&vol, "dir/missing", &st), FAT_ECORRUPT);
    /* A file whose size claims more clusters than its chain has. */
    CHECK_EQ(fat_stat(&vol, "dir/f", &st), 0);
    fat[c * 4] = 0xFF; fat[c * 4 + 1] = 0xFF; fat[c * 4 + 2] = 0xFF; fat[c * 4 + 3] = 0x0F;
    CHECK_EQ(fat_mount(&dev, &vol), 0);
    CHECK_EQ(fat_open(&vol, "dir/f", 0, &f), 0);
    f.size = 100000;
    char big[4096];
    long got = 0, r;
    while ((r = fat_read(&f, big, sizeof(big))) > 0)
        got += r;
    CHECK_EQ(r, FAT_ECORRUPT);
    /* A link into the reserved range inside a chain: corrupt, and
     * unlinking the file still terminates. */
    uint32_t fc = st.first_cluster;
    fat[fc * 4] = 1; fat[fc * 4 + 1] = 0; fat[fc * 4 + 2] = 0; fat[fc * 4 + 3] = 0;
    CHECK_EQ(fat_mount(&dev, &vol), 0);
    CHECK_EQ(fat_unlink(&vol, "dir/f"), 0);
    /* Garbage everywhere: refused, no crash. */
    for (int round = 0; round < 50; round++) {
        srand((unsigned)round);
        for (int i = 0; i < 512; i++)
            disk.data[i] = (uint8_t)rand();
        disk.data[510] = 0x55;
        disk.data[511] = 0xAA;
        fat_mount(&dev, &vol);
    }
}

TEST(device_errors_reported)
{
    CHECK_EQ(fresh_volume(), 0);
    disk.fail_writes = 1;
    struct fat_file f;
    CHECK_EQ(fat_create(&vol, "x", &f), FAT_EIO);
    CHECK_EQ(fat_mkdir(&vol, "d"), FAT_EIO);
    disk.fail_writes = 0;
}

/* Writes the disk to a file, runs a shell command on it, reads it back. */
static int with_image(const char *fmt)
{
    char path[] = "/tmp/tessera-fatimg-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        return -1;
    close(fd);
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), fmt, path, path, path, path, path, path);
    int r = system(cmd);
    FILE *fp = fopen(path, "rb");
    size_t n = 0;
    if (fp) {
        n = fread(disk.data, 512, disk.sectors, fp);
        fclose(fp);
    }
    unlink(path);
    return r == 0 && n == disk.sectors ? 0 : -1;
}

/* Writes the disk to a file and runs a shell command (%s: the file) on it;
 * returns how many bytes of its output are in out (NUL-terminated). */
static size_t image_command(const char *fmt, char *out, size_t cap)
{
    char path[] = "/tmp/tessera-fatimg-XXXXXX";
    int fd = mkstemp(path);
    out[0] = 0;
    if (fd < 0)
        return 0;
    int ok = write(fd, disk.data, (size_t)disk.sectors * 512) == (ssize_t)disk.sectors * 512;
    close(fd);
    char cmd[256];
    snprintf(cmd, sizeof(cmd), fmt, path);
    FILE *p = ok ? popen(cmd, "r") : NULL;
    size_t n = p ? fread(out, 1, cap - 1, p) : 0;
    if (p)
        pclose(p);
    out[n] = 0;
    unlink(path);
    return n;
}

TEST(reads_mkfs_and_mcopy_image)
{
    disk_new(DISK_SECTORS);
    uint8_t data[20000];
    fill_pattern(data, sizeof(data), 11);
    FILE *fp = fopen("/tmp/tessera-fat-src.bin", "wb");
    CHECK(fp != NULL);
    if (!fp)
        return;
    fwrite(data, 1, sizeof(data), fp);
    fclose(fp);
    int r = with_image(
        "rm -f %s && PATH=$PATH:/usr/sbin:/sbin mkfs.fat -F 32 -n HOSTVOL -C %s 65536 >/dev/null && "
        "mmd -i %s ::/Some\\ Directory && "
        "mcopy -i %s /tmp/tessera-fat-src.bin '::/Some Directory/A Long Binary Name.bin' && "
        "echo hello | mcopy -i %s - ::/readme.txt && "
        "mcopy -i %s /tmp/tessera-fat-src.bin ::/BIG.BIN");
    unlink("/tmp/tessera-fat-src.bin");
    if (r != 0)
        printf("mkfs.fat/mtools failed: are dosfstools and mtools installed?\n");
    CHECK_EQ(r, 0);
    CHECK_EQ(fat_mount(&dev, &vol), 0);
    CHECK_EQ(vol.read_only, 0);
    uint8_t back[25000];
    CHECK_EQ(read_file("Some Directory/A Long Binary Name.bin", back, sizeof(back)), (long)sizeof(data));
    CHECK(memcmp(back, data, sizeof(data)) == 0);
    CHECK_EQ(read_file("BIG.BIN", back, sizeof(back)), (long)sizeof(data));
    CHECK(memcmp(back, data, sizeof(data)) == 0);
    CHECK_EQ(read_file("readme.txt", back, sizeof(back)), 6);
    CHECK(memcmp(back, "hello\n", 6) == 0);
    CHECK_EQ(dir_has("/", "Some Directory"), 1);
    CHECK_EQ(dir_has("Some Directory", "A Long Binary Name.bin"), 1);
    /* And we can modify it, keeping fsck.fat happy. */
    CHECK_EQ(write_file("Some Directory/added by tessera.txt", "added", 5), 5);
    CHECK_EQ(fat_unlink(&vol, "BIG.BIN"), 0);
    CHECK_EQ(fat_sync(&vol), 0);
    CHECK_EQ(fsck_clean(), 0);
    /* ...and mtools reads what we wrote. */
    char out[64];
    CHECK_EQ(image_command("mtype -i %s '::/Some Directory/added by tessera.txt'", out, sizeof(out)), 5u);
    CHECK(memcmp(out, "added", 5) == 0);
}

/* ---- time stamps ---- */

static uint64_t fake_now;
static uint64_t fake_clock(void *ctx) { (void)ctx; return fake_now; }

static uint16_t fat_date(int y, int m, int d) { return (uint16_t)((y - 1980) << 9 | m << 5 | d); }
static uint16_t fat_tod(int h, int m, int s) { return (uint16_t)(h << 11 | m << 5 | s / 2); }

TEST(time_encoding)
{
    uint16_t date, time;
    /* The lower bound, and anything before it, is 1980-01-01 00:00:00. */
    fat_time_encode(FAT_TIME_MIN, &date, &time);
    CHECK_EQ(date, fat_date(1980, 1, 1));
    CHECK_EQ(time, 0);
    fat_time_encode(0, &date, &time);
    CHECK_EQ(date, fat_date(1980, 1, 1));
    CHECK_EQ(time, 0);
    fat_time_encode(FAT_TIME_MIN - 1, &date, &time);
    CHECK_EQ(date, fat_date(1980, 1, 1));
    CHECK_EQ(fat_time_decode(fat_date(1980, 1, 1), 0), FAT_TIME_MIN);
    /* The upper bound, and anything after it, is 2107-12-31 23:59:58. */
    fat_time_encode(FAT_TIME_MAX, &date, &time);
    CHECK_EQ(date, fat_date(2107, 12, 31));
    CHECK_EQ(time, fat_tod(23, 59, 58));
    CHECK_EQ(fat_time_decode(date, time), FAT_TIME_MAX);
    uint64_t later[] = {FAT_TIME_MAX + 1, 4354819200ull /* 2108 */, 7258118400ull /* 2200 */, UINT64_MAX};
    for (size_t i = 0; i < sizeof(later) / sizeof(later[0]); i++) {
        fat_time_encode(later[i], &date, &time);
        CHECK_EQ(date, fat_date(2107, 12, 31));
        CHECK_EQ(time, fat_tod(23, 59, 58));
    }
    /* Leap days: 2000 (divisible by 400) and 2024 have a 29 February,
     * 2100 (divisible by 100) does not. */
    fat_time_encode(951827696, &date, &time);   /* 2000-02-29 12:34:56 */
    CHECK_EQ(date, fat_date(2000, 2, 29));
    CHECK_EQ(time, fat_tod(12, 34, 56));
    CHECK_EQ(fat_time_decode(date, time), 951827696u);
    fat_time_encode(1709210097, &date, &time);   /* 2024-02-29 12:34:57: seconds round down */
    CHECK_EQ(date, fat_date(2024, 2, 29));
    CHECK_EQ(time, fat_tod(12, 34, 56));
    fat_time_encode(4107542400ull, &date, &time);   /* 2100-03-01 00:00:00 */
    CHECK_EQ(date, fat_date(2100, 3, 1));
    fat_time_encode(4107542400ull - 1, &date, &time);
    CHECK_EQ(date, fat_date(2100, 2, 28));
    CHECK_EQ(time, fat_tod(23, 59, 58));
    /* Not a valid date or time: 0. */
    CHECK_EQ(fat_time_decode(0, 0), 0u);
    CHECK_EQ(fat_time_decode(fat_date(2100, 2, 29), 0), 0u);
    CHECK_EQ(fat_time_decode(fat_date(2023, 2, 29), 0), 0u);
    CHECK_EQ(fat_time_decode(fat_date(2024, 13, 1), 0), 0u);
    CHECK_EQ(fat_time_decode(fat_date(2024, 4, 31), 0), 0u);
    CHECK_EQ(fat_time_decode(fat_date(2024, 1, 1), fat_tod(24, 0, 0)), 0u);
    CHECK_EQ(fat_time_decode(fat_date(2024, 1, 1), fat_tod(0, 60, 0)), 0u);
    CHECK_EQ(fat_time_decode(fat_date(2024, 1, 1), 30), 0u);   /* 60 seconds */
    /* Every day of the range, at a time of day that moves along, agrees
     * with the host's gmtime and comes back to the even second. */
    for (uint64_t t = FAT_TIME_MIN; t <= FAT_TIME_MAX && !test_failed_now; t += 86400 + 3607) {
        time_t tt = (time_t)t;
        struct tm tm;
        gmtime_r(&tt, &tm);
        fat_time_encode(t, &date, &time);
        CHECK_EQ(date, fat_date(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday));
        CHECK_EQ(time, fat_tod(tm.tm_hour, tm.tm_min, tm.tm_sec));
        CHECK_EQ(fat_time_decode(date, time), t & ~1ull);
    }
}

/* Reads the raw 32-byte entry `index` of a directory's first cluster. */
static const uint8_t *dir_raw(const char *dir, int index)
{
    struct fat_dirent st;
    if (fat_stat(&vol, dir, &st))
        return NULL;
    uint32_t s = vol.data_start + (st.first_cluster - 2) * vol.sectors_per_cluster;
    return disk.data + (size_t)s * 512 + index * 32;
}

static uint64_t raw_mtime(const uint8_t *e)
{
    return fat_time_decode((uint16_t)(e[24] | e[25] << 8), (uint16_t)(e[22] | e[23] << 8));
}

TEST(times_written_and_read_back)
{
    const uint64_t t1 = 1709210097;   /* 2024-02-29 12:34:57 */
    const uint64_t day1 = 1709164800; /* its midnight */
    disk_new(DISK_SECTORS);
    dev.now = fake_clock;
    fake_now = t1;
    CHECK_EQ(fat_format(&dev, "TIMES"), 0);
    CHECK_EQ(fat_mount(&dev, &vol), 0);
    /* Create: all three times are now (creation keeps the odd second). */
    struct fat_file f;
    CHECK_EQ(fat_create(&vol, "A long name.txt", &f), 0);
    CHECK_EQ(f.mtime, t1 - 1);
    struct fat_dirent st;
    CHECK_EQ(fat_stat(&vol, "A long name.txt", &st), 0);
    CHECK_EQ(st.mtime, t1 - 1);
    CHECK_EQ(st.crtime, t1);
    CHECK_EQ(st.atime, day1);
    /* Write: last write and access move, creation stays. */
    fake_now = t1 + 86400 * 366;   /* 2025-03-01 */
    CHECK_EQ(fat_write(&f, "hello", 5), 5);
    CHECK_EQ(f.mtime, fake_now - 1);
    CHECK_EQ(fat_stat(&vol, "a long name.txt", &st), 0);
    CHECK_EQ(st.mtime, fake_now - 1);
    CHECK_EQ(st.crtime, t1);
    CHECK_EQ(st.atime, day1 + 86400 * 366);
    /* Truncate, down and up. */
    fake_now += 100;
    CHECK_EQ(fat_truncate(&f, 2), 0);
    CHECK_EQ(fat_stat(&vol, "a long name.txt", &st), 0);
    CHECK_EQ(st.mtime, fake_now - 1);
    fake_now += 100;
    CHECK_EQ(fat_truncate(&f, 4000), 0);
    CHECK_EQ(fat_stat(&vol, "a long name.txt", &st), 0);
    CHECK_EQ(st.mtime, fake_now - 1);
    uint64_t written = st.mtime;
    /* O_TRUNC of a file with data is a write. */
    fake_now += 100;
    CHECK_EQ(write_file("short.txt", "x", 1), 1);
    CHECK_EQ(fat_stat(&vol, "short.txt", &st), 0);
    CHECK_EQ(st.mtime, fake_now - 1);
    fake_now += 100;
    CHECK_EQ(fat_open(&vol, "short.txt", FAT_O_TRUNC, &f), 0);
    CHECK_EQ(fat_stat(&vol, "short.txt", &st), 0);
    CHECK_EQ(st.mtime, fake_now - 1);
    CHECK_EQ(st.size, 0u);
    /* mkdir: the entry, ".", and ".." all carry the time. */
    fake_now = 951827696;   /* 2000-02-29 12:34:56 */
    CHECK_EQ(fat_mkdir(&vol, "Leap Day"), 0);
    CHECK_EQ(fat_mkdir(&vol, "Leap Day/inner"), 0);
    CHECK_EQ(fat_stat(&vol, "Leap Day", &st), 0);
    CHECK_EQ(st.mtime, fake_now);
    CHECK_EQ(st.crtime, fake_now);
    const uint8_t *dot = dir_raw("Leap Day/inner", 0);
    CHECK(dot != NULL && memcmp(dot, ".          ", 11) == 0 && raw_mtime(dot) == fake_now);
    CHECK(dot != NULL && memcmp(dot + 32, "..         ", 11) == 0 && raw_mtime(dot + 32) == fake_now);
    CHECK_EQ(fat_open(&vol, "Leap Day", 0, &f), 0);
    CHECK_EQ(f.mtime, fake_now);
    /* Rename, within and across directories, keeps every time. */
    fake_now = 1800000000;
    CHECK_EQ(fat_rename(&vol, "A long name.txt", "Leap Day/renamed.txt"), 0);
    CHECK_EQ(fat_rename(&vol, "Leap Day/renamed.txt", "Leap Day/RENAMED.txt"), 0);
    CHECK_EQ(fat_stat(&vol, "Leap Day/renamed.txt", &st), 0);
    CHECK_EQ(st.mtime, written);
    CHECK_EQ(st.crtime, t1);
    CHECK_EQ(fat_rename(&vol, "Leap Day/inner", "inner moved"), 0);
    CHECK_EQ(fat_stat(&vol, "inner moved", &st), 0);
    CHECK_EQ(st.mtime, 951827696u);
    /* The root has no entry: no time. */
    CHECK_EQ(fat_stat(&vol, "/", &st), 0);
    CHECK_EQ(st.mtime, 0u);
    /* Clocks outside FAT's range are clamped. */
    fake_now = 5;
    CHECK_EQ(write_file("from 1970.txt", "old", 3), 3);
    CHECK_EQ(fat_stat(&vol, "from 1970.txt", &st), 0);
    CHECK_EQ(st.mtime, FAT_TIME_MIN);
    CHECK_EQ(st.crtime, FAT_TIME_MIN);
    fake_now = 7258118401ull;   /* 2200 */
    CHECK_EQ(write_file("from 2200.txt", "new", 3), 3);
    CHECK_EQ(fat_stat(&vol, "from 2200.txt", &st), 0);
    CHECK_EQ(st.mtime, FAT_TIME_MAX);
    CHECK_EQ(st.crtime, FAT_TIME_MAX);
    /* readdir gives the same times. */
    struct fat_file d;
    struct fat_dirent de;
    int found = 0;
    CHECK_EQ(fat_open(&vol, "Leap Day", 0, &d), 0);
    while (fat_readdir(&d, &de) == 1)
        if (strcmp(de.name, "RENAMED.txt") == 0)
            found = de.mtime == written && de.crtime == t1;
    CHECK(found);
    /* Everything survives a remount, and fsck.fat is happy. */
    CHECK_EQ(fat_sync(&vol), 0);
    CHECK_EQ(fat_mount(&dev, &vol), 0);
    CHECK_EQ(fat_stat(&vol, "Leap Day/renamed.txt", &st), 0);
    CHECK_EQ(st.mtime, written);
    CHECK_EQ(st.crtime, t1);
    CHECK_EQ(fsck_clean(), 0);
    dev.now = NULL;
}

TEST(times_without_a_clock_are_fixed)
{
    CHECK_EQ(fresh_volume(), 0);
    CHECK_EQ(write_file("f", "x", 1), 1);
    CHECK_EQ(fat_mkdir(&vol, "d"), 0);
    struct fat_dirent st;
    CHECK_EQ(fat_stat(&vol, "f", &st), 0);
    CHECK_EQ(st.mtime, FAT_DEFAULT_TIME);
    CHECK_EQ(st.crtime, FAT_DEFAULT_TIME);
    CHECK_EQ(st.atime, FAT_DEFAULT_TIME);
    CHECK_EQ(fat_stat(&vol, "d", &st), 0);
    CHECK_EQ(st.mtime, FAT_DEFAULT_TIME);
}

/* mtools and we agree on what a time stamp means (read as UTC). */
TEST(times_agree_with_mtools)
{
    disk_new(DISK_SECTORS);
    FILE *fp = fopen("/tmp/tessera-fat-time.txt", "wb");
    CHECK(fp != NULL);
    if (!fp)
        return;
    fputs("dated\n", fp);
    fclose(fp);
    /* mtools writes a file dated 2024-02-29 12:34:56 UTC; we read it. */
    int r = with_image(
        "rm -f %s && PATH=$PATH:/usr/sbin:/sbin mkfs.fat -F 32 -C %s 65536 >/dev/null && "
        "TZ=UTC touch -d '2024-02-29 12:34:56' /tmp/tessera-fat-time.txt && "
        "TZ=UTC mcopy -m -i %s /tmp/tessera-fat-time.txt '::/Dated by mtools.txt'");
    unlink("/tmp/tessera-fat-time.txt");
    CHECK_EQ(r, 0);
    CHECK_EQ(fat_mount(&dev, &vol), 0);
    struct fat_dirent st;
    CHECK_EQ(fat_stat(&vol, "Dated by mtools.txt", &st), 0);
    CHECK_EQ(st.mtime, 1709210096u);
    /* We write a file dated 2107-12-31 23:59:58; mdir shows that date. */
    dev.now = fake_clock;
    fake_now = FAT_TIME_MAX;
    CHECK_EQ(write_file("Dated by tessera.txt", "late", 4), 4);
    fake_now = 946684800;   /* 2000-01-01 00:00:00 */
    CHECK_EQ(fat_mkdir(&vol, "Y2K"), 0);
    dev.now = NULL;
    CHECK_EQ(fsck_clean(), 0);
    char out[2048];
    image_command("TZ=UTC mdir -i %s ::/", out, sizeof(out));
    CHECK(strstr(out, "2107-12-31  23:59  Dated by tessera.txt") != NULL);
    CHECK(strstr(out, "2000-01-01   0:00") != NULL || strstr(out, "2000-01-01  00:00") != NULL);
    CHECK(strstr(out, "2024-02-29  12:34  Dated by mtools.txt") != NULL);
    if (test_failed_now)
        printf("mdir said:\n%s", out);
}

/* Random operations on a few files checked against a shadow copy, then
 * fsck.fat must find the volume clean. */
TEST(random_operations_stay_consistent)
{
    CHECK_EQ(fresh_volume(), 0);
    enum { FILES = 6, MAXLEN = 70000 };
    static uint8_t shadow[FILES][MAXLEN], back[MAXLEN + 16], chunk[9000];
    uint32_t len[FILES] = {0};
    int exists[FILES] = {0};
    CHECK_EQ(fat_mkdir(&vol, "stress dir"), 0);
    srand(1234);
    for (int step = 0; step < 600 && !test_failed_now; step++) {
        int i = rand() % FILES;
        char path[64];
        snprintf(path, sizeof(path), "%sfile number %d.dat", i % 2 ? "stress dir/" : "", i);
        struct fat_file f;
        int op = rand() % 10;
        if (op < 5) {          /* write somewhere at or a bit past the end */
            uint32_t pos = exists[i] ? (uint32_t)rand() % (len[i] + 2000) : 0;
            uint32_t n = (uint32_t)rand() % sizeof(chunk);
            if (pos + n > MAXLEN)
                continue;
            fill_pattern(chunk, n, (unsigned)step);
            CHECK_EQ(fat_open(&vol, path, FAT_O_CREATE, &f), 0);
            CHECK_EQ(fat_seek(&f, pos), 0);
            CHECK_EQ(fat_write(&f, chunk, n), (long)n);
            if (!exists[i])
                len[i] = 0;
            if (pos > len[i])
                memset(shadow[i] + len[i], 0, pos - len[i]);
            memcpy(shadow[i] + pos, chunk, n);
            if (pos + n > len[i])
                len[i] = pos + n;
            exists[i] = 1;
        } else if (op < 7 && exists[i]) {
            uint32_t n = (uint32_t)rand() % (len[i] + 3000);
            if (n > MAXLEN)
                continue;
            CHECK_EQ(fat_open(&vol, path, 0, &f), 0);
            CHECK_EQ(fat_truncate(&f, n), 0);
            if (n > len[i])
                memset(shadow[i] + len[i], 0, n - len[i]);
            len[i] = n;
        } else if (op < 8 && exists[i]) {
            CHECK_EQ(fat_unlink(&vol, path), 0);
            exists[i] = 0;
        } else if (exists[i]) {
            CHECK_EQ(read_file(path, back, sizeof(back)), (long)len[i]);
            CHECK(memcmp(back, shadow[i], len[i]) == 0);
        }
    }
    CHECK_EQ(fat_sync(&vol), 0);
    CHECK_EQ(fat_mount(&dev, &vol), 0);
    for (int i = 0; i < FILES; i++) {
        char path[64];
        snprintf(path, sizeof(path), "%sfile number %d.dat", i % 2 ? "stress dir/" : "", i);
        if (exists[i]) {
            CHECK_EQ(read_file(path, back, sizeof(back)), (long)len[i]);
            CHECK(memcmp(back, shadow[i], len[i]) == 0);
        } else {
            CHECK_EQ(read_file(path, back, sizeof(back)), FAT_ENOENT);
        }
    }
    CHECK_EQ(fsck_clean(), 0);
}

/* Power cut after every possible number of writes during an append, a
 * mkdir and an unlink: the volume still mounts and the old data is intact. */
TEST(power_cut_keeps_old_data)
{
    static uint8_t data[3000], back[20000];
    fill_pattern(data, sizeof(data), 9);
    for (int cut = 0; cut < 80 && !test_failed_now; cut++) {
        CHECK_EQ(fresh_volume(), 0);
        CHECK_EQ(write_file("keep.txt", data, sizeof(data)), (long)sizeof(data));
        CHECK_EQ(write_file("gone.txt", data, 10), 10);
        CHECK_EQ(fat_sync(&vol), 0);
        disk.writes_left = cut;
        struct fat_file f;
        if (fat_open(&vol, "keep.txt", 0, &f) == 0 && fat_seek(&f, f.size) == 0)
            fat_write(&f, data, sizeof(data));
        fat_mkdir(&vol, "new directory");
        fat_unlink(&vol, "gone.txt");
        disk.writes_left = -1;
        CHECK_EQ(fat_mount(&dev, &vol), 0);
        long n = read_file("keep.txt", back, sizeof(back));
        CHECK(n == (long)sizeof(data) || n == 2 * (long)sizeof(data));
        CHECK(memcmp(back, data, sizeof(data)) == 0);
        CHECK(dir_count("/") >= 1);
    }
}

TEST_MAIN()
