/*
 * fbdev: the boot loader's linear framebuffer (GRUB's VBE or UEFI GOP mode,
 * dm's pseudo-device ISA_BOOT_FB), serving gpu_device
 * (libs/driver/gpu_device.idl) like virtio_gpu does, for real PCs and for
 * QEMU without virtio-gpu.
 *
 * The mode is the one the boot loader set; it cannot change. The two buffers
 * are ordinary memory shared with the client (32-bit B, G, R, X, stride =
 * width * 4); show_buffer copies a whole buffer to the framebuffer, flush
 * only the rectangles, converting when the framebuffer's layout is not the
 * client's (convert.c). The framebuffer is mapped write-combining and only
 * written.
 *
 * Option (boot option or argument, see startup_option()):
 *   fbdev.crash_after=N  fault on purpose at the flush after N flushes (restart
 *                        test, tests/qemu/test_gpu.py; flushes with nothing to
 *                        show do not count)
 */
#include <common/string.h>
#include <driver/driver.h>
#include <driver/gpu.h>
#include <tessera/runtime.h>
#include <tessera/syscall.h>
#include "idl/device.h"
#include "idl/gpu_device.h"
#include "convert.h"

#define NUM_BUFFERS 2

static struct drv_device dev;
static struct drv_mmio fb;
static struct fb_format format;
static uint32_t fb_pitch;
static uint32_t width, height, stride;

struct buffer {
    handle_t mem;
    uint8_t *pixels;
};
static struct buffer buffers[NUM_BUFFERS];
static int shown = -1;
static long crash_after = -1, flushes;

static void copy(int i, const struct gpu_rect *r) {
    fb_copy_rect(&format, fb.base, fb_pitch, buffers[i].pixels, stride, r);
}

/* ---- the gpu_device interface ---- */

static int on_display_info(void *ctx, const struct ipc_msg *req, uint32_t *w, uint32_t *h, uint32_t *s,
                           uint32_t *pw, uint32_t *ph) {
    *w = *pw = width;
    *h = *ph = height;
    *s = stride;
    return 0;
}

static int on_set_mode(void *ctx, const struct ipc_msg *req, uint32_t w, uint32_t h) {
    if (!gpu_mode_sane(w, h))
        return -E_INVAL;
    return w == width && h == height ? 0 : -E_NOTSUP;
}

static int on_num_buffers(void *ctx, const struct ipc_msg *req, uint32_t *count) {
    *count = NUM_BUFFERS;
    return 0;
}

static int on_get_buffer(void *ctx, const struct ipc_msg *req, uint32_t index, handle_t *shm, uint32_t *w,
                         uint32_t *h, uint32_t *s) {
    if (index >= NUM_BUFFERS)
        return -E_INVAL;
    long d = sys_handle_dup(buffers[index].mem, RIGHT_READ | RIGHT_WRITE | RIGHT_TRANSFER, 0);
    if (d < 0)
        return (int)d;
    *shm = (handle_t)d;
    *w = width;
    *h = height;
    *s = stride;
    return 0;
}

static int on_show_buffer(void *ctx, const struct ipc_msg *req, uint32_t index) {
    if (index >= NUM_BUFFERS)
        return -E_INVAL;
    struct gpu_rect all = {0, 0, width, height};
    copy((int)index, &all);
    shown = (int)index;
    return 0;
}

static int on_flush(void *ctx, const struct ipc_msg *req, uint32_t index, const void *rects, size_t len) {
    if (index >= NUM_BUFFERS || (int)index != shown)
        return -E_INVAL;
    struct gpu_rect r[GPU_MAX_RECTS];
    unsigned n;
    int err = gpu_rects_clip(rects, len, width, height, r, &n);
    if (err)
        return err;
    if (n && crash_after >= 0 && flushes >= crash_after)
        drv_crash_on_purpose("fbdev", (unsigned long long)flushes, "flushes");
    if (n)
        flushes++;
    for (unsigned i = 0; i < n; i++)
        copy((int)index, &r[i]);
    return 0;
}

static const struct gpu_device_server gpu_server = {
    .display_info = on_display_info,
    .set_mode = on_set_mode,
    .num_buffers = on_num_buffers,
    .get_buffer = on_get_buffer,
    .show_buffer = on_show_buffer,
    .flush = on_flush,
};

static int dispatch(struct ipc_msg *m) { return gpu_device_dispatch(&gpu_server, NULL, m); }

/* ---- start-up ---- */

static bool make_buffers(void) {
    uint64_t size = ((uint64_t)stride * height + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
    for (int i = 0; i < NUM_BUFFERS; i++) {
        long m = sys_mem_create(size, 0);
        if (m < 0) {
            log_printf("fbdev: no memory for a %ux%u buffer: %s\n", width, height, err_str(m));
            return false;
        }
        uintptr_t va = vm_reserve(size);
        long err = sys_vm_map(HANDLE_SELF, (handle_t)m, 0, va, size, PROT_R | PROT_W);
        if (err < 0) {
            log_printf("fbdev: cannot map a buffer: %s\n", err_str(err));
            return false;
        }
        buffers[i] = (struct buffer){.mem = (handle_t)m, .pixels = (uint8_t *)va};
    }
    return true;
}

int main(int argc, char **argv) {
    int err = drv_open(&dev);
    if (err) {
        log_printf("fbdev: no device from dm: %s\n", err_str(err));
        return 1;
    }
    if (dev.vendor != 0 || dev.device != ISA_BOOT_FB) {
        log_printf("fbdev: %04x:%04x is not the boot framebuffer\n", dev.vendor, dev.device);
        return 1;
    }
    crash_after = startup_option_int("fbdev.crash_after", -1);
    struct fb_info info;
    long r = sys_fb_info(&info);
    if (r < 0) {
        log_printf("fbdev: the boot loader left no framebuffer: %s\n", err_str(r));
        return 1;
    }
    format = (struct fb_format){
        .bpp = info.bpp, .red_pos = info.red_pos, .red_size = info.red_size, .green_pos = info.green_pos,
        .green_size = info.green_size, .blue_pos = info.blue_pos, .blue_size = info.blue_size,
    };
    uint32_t bytes = info.bpp / 8;
    if (!fb_format_supported(&format) || !gpu_mode_sane(info.width, info.height) ||
        info.pitch < (uint64_t)info.width * bytes || info.pitch % (bytes == 3 ? 1 : bytes)) {
        log_printf("fbdev: cannot drive a %ux%u framebuffer of %u bpp (pitch %u, red %u@%u green %u@%u "
                   "blue %u@%u)\n",
                   info.width, info.height, info.bpp, info.pitch, info.red_size, info.red_pos,
                   info.green_size, info.green_pos, info.blue_size, info.blue_pos);
        return 1;
    }
    width = info.width;
    height = info.height;
    stride = width * GPU_BYTES_PER_PIXEL;
    fb_pitch = info.pitch;

    err = drv_map_bar(&dev, 0, true, &fb);
    if (err) {
        log_printf("fbdev: cannot map the framebuffer: %s\n", err_str(err));
        return 1;
    }
    if (fb.size < (uint64_t)fb_pitch * height) {
        log_printf("fbdev: the framebuffer resource has %llu bytes, %ux%u needs %llu\n",
                   (unsigned long long)fb.size, width, height, (unsigned long long)fb_pitch * height);
        return 1;
    }
    if (!make_buffers())
        return 1;

    long e = sys_endpoint_create();
    if (e < 0) {
        log_printf("fbdev: cannot create an endpoint: %s\n", err_str(e));
        return 1;
    }
    handle_t ep = (handle_t)e;
    err = drv_ready(&dev, "gpu", ep);
    if (err) {
        log_printf("fbdev: ready failed: %s\n", err_str(err));
        return 1;
    }
    log_printf("fbdev: %ux%u, %u bpp (pitch %u)%s\n", width, height, info.bpp, fb_pitch,
               fb_format_is_xrgb8888(&format) ? "" : ", converting");

    drv_serve(ep, dispatch);
}
