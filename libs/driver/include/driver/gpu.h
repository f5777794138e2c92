/*
 * The display interface (libs/driver/gpu_device.idl), shared by its servers
 * (servers/virtio_gpu, servers/fbdev) and their clients: the rectangles of
 * gpu_device.flush and how a server checks them. Freestanding, static inline,
 * so host tests use it as is.
 *
 * Pixels are 32 bits, Cairo's ARGB32/RGB24 in memory: bytes B, G, R, X.
 */
#ifndef DRIVER_GPU_H
#define DRIVER_GPU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <tessera/abi.h>

/* One damaged rectangle: x, y, w, h in pixels, as packed in flush's bytes. */
struct gpu_rect {
    uint32_t x, y, w, h;
};
_Static_assert(sizeof(struct gpu_rect) == 16, "gpu_rect is packed");

#define GPU_MAX_RECTS 16
#define GPU_BYTES_PER_PIXEL 4
/* The largest mode either server accepts (each side). */
#define GPU_MAX_DIM 8192

/*
 * Reads flush's `rects` for a buffer of width x height and clips them to it.
 * -E_INVAL (garbage) if len is not a whole number of rectangles, there are
 * more than GPU_MAX_RECTS, or a rectangle's right or bottom edge overflows
 * 32 bits. A rectangle that is empty or lies wholly outside the buffer is
 * dropped; the others are cut to the buffer and stored in out[0..*n).
 * No rectangles at all (len 0) is allowed and means nothing to do.
 */
static inline int gpu_rects_clip(const void *bytes, size_t len, uint32_t width, uint32_t height,
                                 struct gpu_rect out[GPU_MAX_RECTS], unsigned *n) {
    *n = 0;
    if (len % sizeof(struct gpu_rect) || len / sizeof(struct gpu_rect) > GPU_MAX_RECTS)
        return -E_INVAL;
    if (len && !bytes)
        return -E_INVAL;
    const uint8_t *p = bytes;
    for (size_t i = 0; i < len / sizeof(struct gpu_rect); i++) {
        struct gpu_rect r;
        __builtin_memcpy(&r, p + i * sizeof(r), sizeof(r));   /* bytes may be unaligned */
        if (r.w > UINT32_MAX - r.x || r.h > UINT32_MAX - r.y)
            return -E_INVAL;
        if (r.w == 0 || r.h == 0 || r.x >= width || r.y >= height)
            continue;
        if (r.w > width - r.x)
            r.w = width - r.x;
        if (r.h > height - r.y)
            r.h = height - r.y;
        out[(*n)++] = r;
    }
    return 0;
}

/* A mode either server could hold: both sides 1..GPU_MAX_DIM. */
static inline bool gpu_mode_sane(uint32_t width, uint32_t height) {
    return width >= 1 && height >= 1 && width <= GPU_MAX_DIM && height <= GPU_MAX_DIM;
}

/* Reads "WxH" (e.g. "1280x800"); false if it is not two decimal numbers
 * making a sane mode. */
static inline bool gpu_parse_mode(const char *s, uint32_t *width, uint32_t *height) {
    uint32_t v[2] = {0, 0};
    for (int k = 0; k < 2; k++) {
        int digits = 0;
        while (*s >= '0' && *s <= '9') {
            if (++digits > 5)
                return false;
            v[k] = v[k] * 10 + (uint32_t)(*s++ - '0');
        }
        if (!digits || *s != (k == 0 ? 'x' : '\0'))
            return false;
        s++;
    }
    if (!gpu_mode_sane(v[0], v[1]))
        return false;
    *width = v[0];
    *height = v[1];
    return true;
}

#endif
