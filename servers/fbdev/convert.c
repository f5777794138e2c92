/* Pixel layout conversion for fbdev (see convert.h). */
#include "convert.h"
#include <common/string.h>

static bool channel_ok(uint32_t bpp, uint8_t pos, uint8_t size) {
    return size >= 1 && size <= 16 && (uint32_t)pos + size <= bpp;
}

bool fb_format_supported(const struct fb_format *f) {
    if (f->bpp != 16 && f->bpp != 24 && f->bpp != 32)
        return false;
    return channel_ok(f->bpp, f->red_pos, f->red_size) && channel_ok(f->bpp, f->green_pos, f->green_size) &&
           channel_ok(f->bpp, f->blue_pos, f->blue_size);
}

bool fb_format_is_xrgb8888(const struct fb_format *f) {
    return f->bpp == 32 && f->red_pos == 16 && f->red_size == 8 && f->green_pos == 8 && f->green_size == 8 &&
           f->blue_pos == 0 && f->blue_size == 8;
}

/* An 8-bit channel value widened or narrowed to `size` bits: the top bits
 * kept, or the value repeated into the new low bits (so 0xff stays all ones). */
static uint32_t scale(uint32_t v, uint8_t size) {
    if (size <= 8)
        return v >> (8 - size);
    uint32_t wide = v << (size - 8);
    return wide | (v >> (16 - size));
}

uint32_t fb_pixel(const struct fb_format *f, uint32_t xrgb) {
    uint32_t r = (xrgb >> 16) & 0xff, g = (xrgb >> 8) & 0xff, b = xrgb & 0xff;
    return scale(r, f->red_size) << f->red_pos | scale(g, f->green_size) << f->green_pos |
           scale(b, f->blue_size) << f->blue_pos;
}

void fb_copy_rect(const struct fb_format *f, volatile uint8_t *dst, uint32_t dst_pitch, const uint8_t *src,
                  uint32_t src_stride, const struct gpu_rect *r) {
    uint32_t bytes = f->bpp / 8;
    for (uint32_t y = r->y; y < r->y + r->h; y++) {
        const uint8_t *s = src + (uint64_t)y * src_stride + (uint64_t)r->x * 4;
        volatile uint8_t *d = dst + (uint64_t)y * dst_pitch + (uint64_t)r->x * bytes;
        if (fb_format_is_xrgb8888(f)) {
            memcpy((void *)d, s, (size_t)r->w * 4);
            continue;
        }
        for (uint32_t x = 0; x < r->w; x++) {
            uint32_t px;
            memcpy(&px, s + x * 4, 4);
            uint32_t v = fb_pixel(f, px);
            if (bytes == 4) {
                *(volatile uint32_t *)(d + x * 4) = v;
            } else if (bytes == 2) {
                *(volatile uint16_t *)(d + x * 2) = (uint16_t)v;
            } else {
                d[x * 3] = (uint8_t)v;
                d[x * 3 + 1] = (uint8_t)(v >> 8);
                d[x * 3 + 2] = (uint8_t)(v >> 16);
            }
        }
    }
}
