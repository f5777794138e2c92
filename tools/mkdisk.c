/*
 * mkdisk: writes a bootable Tessera disk image on the host, with the same
 * libraries the installer uses (libs/gpt, libs/fat).
 *
 *   mkdisk IMAGE SIZE_MIB INSTALL_DIR KERNEL BOOT_TAR GRUB_CFG
 *
 * INSTALL_DIR holds GRUB's boot.img, core.img and BOOTX64.EFI (make
 * install-images). The image is sparse: only what is written takes space.
 *
 * BIOS boot: boot.img's code goes in the MBR with the LBA of core.img at
 * offset 0x5c; core.img goes in the BIOS boot partition, and the blocklist
 * at the end of its first sector (diskboot) names the rest of it.
 * UEFI boot: \EFI\BOOT\BOOTX64.EFI on the ESP. Both GRUBs find the FAT
 * volume labelled TESSERA and read /boot/grub/grub.cfg from it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <fat/fat.h>
#include <gpt/gpt.h>

/* GRUB i386-pc boot.img / diskboot.img offsets (GRUB's boot.h). */
#define BOOT_KERNEL_SECTOR 0x5c        /* 8 bytes: LBA of core.img's first sector */
#define BOOT_DRIVE_CHECK 0x66          /* 2 bytes: NOPped for hard disks */
#define DISKBOOT_BLOCKLIST (512 - 12)  /* {u64 start, u16 len, u16 segment} */

static int image_fd;

struct part_ctx {
    uint64_t first;     /* partition start on the image (LBA) */
    uint64_t sectors;
};

static int io(uint64_t sector, uint32_t count, void *buf, int write)
{
    off_t off = (off_t)sector * 512;
    size_t len = (size_t)count * 512;
    ssize_t n = write ? pwrite(image_fd, buf, len, off) : pread(image_fd, buf, len, off);
    return n == (ssize_t)len ? 0 : -1;
}

static int disk_read(void *ctx, uint64_t s, uint32_t n, void *buf) { return io(s, n, buf, 0); }
static int disk_write(void *ctx, uint64_t s, uint32_t n, const void *buf) { return io(s, n, (void *)buf, 1); }

static int part_read(void *ctx, uint64_t s, uint32_t n, void *buf)
{
    struct part_ctx *p = ctx;
    if (s + n > p->sectors)
        return -1;
    return io(p->first + s, n, buf, 0);
}

static int part_write(void *ctx, uint64_t s, uint32_t n, const void *buf)
{
    struct part_ctx *p = ctx;
    if (s + n > p->sectors)
        return -1;
    return io(p->first + s, n, (void *)buf, 1);
}

static void die(const char *what, const char *detail)
{
    fprintf(stderr, "mkdisk: %s: %s\n", what, detail);
    exit(1);
}

/* Reads a whole host file. */
static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        die(path, strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) != 0)
        die(path, strerror(errno));
    uint8_t *buf = malloc(st.st_size + 1);
    if (!buf || fread(buf, 1, st.st_size, f) != (size_t)st.st_size)
        die(path, "read failed");
    fclose(f);
    *len = st.st_size;
    return buf;
}

static void put_file(struct fat_volume *vol, const char *dest, const char *src)
{
    size_t len;
    uint8_t *data = slurp(src, &len);
    struct fat_file f;
    int err = fat_open(vol, dest, FAT_O_CREATE | FAT_O_TRUNC, &f);
    if (err)
        die(dest, fat_strerror(err));
    long n = fat_write(&f, data, len);
    if (n != (long)len)
        die(dest, n < 0 ? fat_strerror((int)n) : "short write");
    free(data);
}

/* Formats one partition as FAT32 and mounts it. */
static void make_fat(const struct gpt_partition *p, const char *label, struct part_ctx *ctx,
                     struct fat_device *dev, struct fat_volume *vol)
{
    ctx->first = p->first_lba;
    ctx->sectors = p->last_lba - p->first_lba + 1;
    *dev = (struct fat_device){.ctx = ctx, .read = part_read, .write = part_write,
                               .sector_count = ctx->sectors};
    int err = fat_format(dev, label);
    if (!err)
        err = fat_mount(dev, vol);
    if (err)
        die(label, vol->reason ? vol->reason : fat_strerror(err));
}

static void make_dirs(struct fat_volume *vol, const char *const *dirs)
{
    for (; *dirs; dirs++) {
        int err = fat_mkdir(vol, *dirs);
        if (err && err != FAT_EEXIST)
            die(*dirs, fat_strerror(err));
    }
}

int main(int argc, char **argv)
{
    if (argc != 7) {
        fprintf(stderr, "usage: mkdisk IMAGE SIZE_MIB INSTALL_DIR KERNEL BOOT_TAR GRUB_CFG\n");
        return 2;
    }
    const char *image = argv[1], *dir = argv[3];
    uint64_t sectors = strtoull(argv[2], NULL, 10) * 2048;
    char path[4096];

    struct gpt_layout layout;
    uint64_t seed = (uint64_t)time(NULL) * 1000003u ^ (uint64_t)getpid();
    int err = gpt_layout(sectors, seed, &layout);
    if (err == GPT_ETOOSMALL) {
        fprintf(stderr, "mkdisk: %s MiB is too small; at least %llu MiB are needed\n", argv[2],
                (unsigned long long)(GPT_MIN_SECTORS + 2047) / 2048);
        return 1;
    }

    /* boot.img: point it at core.img and skip the floppy drive check. */
    size_t boot_len, core_len;
    snprintf(path, sizeof path, "%s/boot.img", dir);
    uint8_t *boot = slurp(path, &boot_len);
    if (boot_len != 512)
        die(path, "not 512 bytes");
    snprintf(path, sizeof path, "%s/core.img", dir);
    uint8_t *core = slurp(path, &core_len);
    uint64_t core_lba = layout.part[GPT_PART_BIOS].first_lba;
    uint64_t core_sectors = (core_len + 511) / 512;
    if (core_len < 1024 || core_sectors > GPT_BIOS_BOOT_SECTORS)
        die(path, "core.img does not fit the BIOS boot partition");
    for (int i = 0; i < 8; i++)
        boot[BOOT_KERNEL_SECTOR + i] = (core_lba >> (8 * i)) & 0xFF;
    boot[BOOT_DRIVE_CHECK] = 0x90;
    boot[BOOT_DRIVE_CHECK + 1] = 0x90;

    /* core.img: its first sector loads the rest from the blocklist. */
    uint8_t *bl = core + DISKBOOT_BLOCKLIST;
    uint64_t rest_lba = core_lba + 1;
    for (int i = 0; i < 8; i++)
        bl[i] = (rest_lba >> (8 * i)) & 0xFF;
    bl[8] = (core_sectors - 1) & 0xFF;
    bl[9] = (core_sectors - 1) >> 8;

    image_fd = open(image, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (image_fd < 0 || ftruncate(image_fd, (off_t)sectors * 512) != 0)
        die(image, strerror(errno));
    struct gpt_device gdev = {NULL, disk_read, disk_write, sectors};
    err = gpt_write(&gdev, &layout, boot);
    if (err)
        die("GPT", gpt_strerror(err));
    uint8_t *padded = calloc(core_sectors, 512);
    memcpy(padded, core, core_len);
    if (io(core_lba, core_sectors, padded, 1) != 0)
        die(image, "writing core.img failed");

    struct part_ctx esp_ctx, sys_ctx;
    struct fat_device esp_dev, sys_dev;
    static struct fat_volume esp, sys;
    make_fat(&layout.part[GPT_PART_ESP], "TESSERA-ESP", &esp_ctx, &esp_dev, &esp);
    make_dirs(&esp, (const char *const[]){"EFI", "EFI/BOOT", NULL});
    snprintf(path, sizeof path, "%s/BOOTX64.EFI", dir);
    put_file(&esp, "EFI/BOOT/BOOTX64.EFI", path);
    if ((err = fat_sync(&esp)))
        die("ESP", fat_strerror(err));

    make_fat(&layout.part[GPT_PART_DATA], "TESSERA", &sys_ctx, &sys_dev, &sys);
    make_dirs(&sys, (const char *const[]){"boot", "boot/grub", NULL});
    put_file(&sys, "boot/tessera.elf", argv[4]);
    put_file(&sys, "boot/boot.tar", argv[5]);
    put_file(&sys, "boot/grub/grub.cfg", argv[6]);
    if ((err = fat_sync(&sys)))
        die("system partition", fat_strerror(err));

    struct gpt_report rep;
    err = gpt_verify(&gdev, &layout, &rep);
    if (err)
        die("GPT check after writing", rep.problem ? rep.problem : gpt_strerror(err));
    if (close(image_fd) != 0)
        die(image, strerror(errno));
    printf("mkdisk: %s: %llu MiB, ESP at LBA %llu, system at LBA %llu\n", image,
           (unsigned long long)(sectors / 2048),
           (unsigned long long)layout.part[GPT_PART_ESP].first_lba,
           (unsigned long long)layout.part[GPT_PART_DATA].first_lba);
    return 0;
}
