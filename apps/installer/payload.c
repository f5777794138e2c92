/*
 * What the installer writes, from the boot archive's /install directory
 * (the Makefile puts GRUB's images, the installed menu and the kernel
 * there; bootfs serves install/boot.tar as the running archive itself).
 * Each is mapped (fs.map) rather than read: 11 MiB through 200-byte
 * messages would take long.
 */
#include <stdio.h>
#include <string.h>
#include <tessera/runtime.h>
#include "idl/fs.h"
#include "idl/init.h"
#include "installer.h"

static int map_file(handle_t root, const char *path, struct install_blob *b, char *msg, size_t len) {
    handle_t file, mem;
    uint32_t kind;
    uint64_t size, off = 0, bytes = 0;
    int err = fs_open(root, path, 0, &file, &kind, &size);
    if (err) {
        snprintf(msg, len, "cannot open /%s: %s", path, err_str(err));
        return err;
    }
    err = fs_map(file, &mem, &off, &bytes);
    sys_handle_close(file);
    if (err) {
        snprintf(msg, len, "cannot map /%s: %s", path, err_str(err));
        return err;
    }
    uint64_t base = off & ~(PAGE_SIZE - 1);
    uint64_t span = (off - base + bytes + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
    uintptr_t va = span ? vm_reserve(span) : 0;
    long r = va ? sys_vm_map(HANDLE_SELF, mem, base, va, span, PROT_R) : -E_NOMEM;
    sys_handle_close(mem);
    if (r < 0) {
        snprintf(msg, len, "cannot map /%s: %s", path, err_str(r));
        return (int)r;
    }
    *b = (struct install_blob){(const uint8_t *)va + (off - base), bytes};
    return 0;
}

int payload_load(handle_t bootstrap, struct install_payload *p, char *msg, size_t len) {
    handle_t root;
    int err = init_lookup(bootstrap, "fs", &root);
    if (err) {
        snprintf(msg, len, "no file system: %s", err_str(err));
        return err;
    }
    memset(p, 0, sizeof *p);
    if (map_file(root, "install/boot.img", &p->boot_img, msg, len) ||
        map_file(root, "install/grub.cfg", &p->grub_cfg, msg, len) ||
        map_file(root, "install/core.img", &p->core_img, msg, len) ||
        map_file(root, "install/BOOTX64.EFI", &p->efi, msg, len) ||
        map_file(root, "install/tessera.elf", &p->kernel, msg, len) ||
        map_file(root, "install/boot.tar", &p->boot_tar, msg, len))
        err = -E_NOENT;
    sys_handle_close(root);
    return err;
}
