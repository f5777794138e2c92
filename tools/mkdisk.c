/*
 * mkdisk: writes an installed Tessera disk image on the host with the
 * installer's own procedure (libs/install over libs/gpt + libs/fat).
 *
 *   mkdisk IMAGE SIZE_MIB INSTALL_DIR KERNEL BOOT_TAR GRUB_CFG
 *
 * INSTALL_DIR holds GRUB's boot.img, core.img and BOOTX64.EFI (make
 * install-images). The image is sparse: only what is written takes space.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <install/install.h>

static int image_fd;

static int io(uint64_t sector, uint32_t count, void *buf, int write)
{
    off_t off = (off_t)sector * 512;
    size_t len = (size_t)count * 512;
    ssize_t n = write ? pwrite(image_fd, buf, len, off) : pread(image_fd, buf, len, off);
    return n == (ssize_t)len ? 0 : -1;
}

static int disk_read(void *ctx, uint64_t s, uint32_t n, void *buf) { return io(s, n, buf, 0); }
static int disk_write(void *ctx, uint64_t s, uint32_t n, const void *buf) { return io(s, n, (void *)buf, 1); }

static void die(const char *what, const char *detail)
{
    fprintf(stderr, "mkdisk: %s: %s\n", what, detail);
    exit(1);
}

/* Reads a whole host file. */
static struct install_blob slurp(const char *path)
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
    return (struct install_blob){buf, (size_t)st.st_size};
}

static struct install_blob slurp_in(const char *dir, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return slurp(path);
}

int main(int argc, char **argv)
{
    if (argc != 7) {
        fprintf(stderr, "usage: mkdisk IMAGE SIZE_MIB INSTALL_DIR KERNEL BOOT_TAR GRUB_CFG\n");
        return 2;
    }
    const char *image = argv[1], *dir = argv[3];
    uint64_t sectors = strtoull(argv[2], NULL, 10) * 2048;
    char msg[INSTALL_MSG_MAX];
    if (install_check_size(sectors, msg, sizeof msg)) {
        fprintf(stderr, "mkdisk: %s\n", msg);
        return 1;
    }
    struct install_payload p = {
        .boot_img = slurp_in(dir, "boot.img"), .core_img = slurp_in(dir, "core.img"),
        .efi = slurp_in(dir, "BOOTX64.EFI"), .kernel = slurp(argv[4]), .boot_tar = slurp(argv[5]),
        .grub_cfg = slurp(argv[6]),
    };
    image_fd = open(image, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (image_fd < 0 || ftruncate(image_fd, (off_t)sectors * 512) != 0)
        die(image, strerror(errno));
    struct install_device dev = {NULL, disk_read, disk_write, NULL, sectors};
    struct install_options opt = {.seed = (uint64_t)time(NULL) * 1000003u ^ (uint64_t)getpid()};
    struct install_result res;
    if (install_run(&dev, &p, &opt, &res))
        die(image, res.message);
    if (close(image_fd) != 0)
        die(image, strerror(errno));
    printf("mkdisk: %s: %llu MiB, %u files, %llu bytes written and verified\n", image,
           (unsigned long long)(sectors / 2048), res.files, (unsigned long long)res.bytes);
    return 0;
}
