/*
 * Copying rectangles of a client buffer (32-bit B, G, R, X in memory) to a
 * linear framebuffer of another layout. Pure code, checked on the host by
 * tests/host/test_gpu.c.
 */
#ifndef FBDEV_CONVERT_H
#define FBDEV_CONVERT_H

#include <stdbool.h>
#include <stdint.h>
#include <driver/gpu.h>

/* A framebuffer's pixel layout: bits per pixel and where each colour's
 * bits are in a little-endian pixel (struct fb_info's fields). */
struct fb_format {
    uint32_t bpp;
    uint8_t red_pos, red_size, green_pos, green_size, blue_pos, blue_size;
};

/* 16, 24 or 32 bits per pixel, each colour 1 to 16 bits within the pixel. */
bool fb_format_supported(const struct fb_format *f);
/* 32 bits with red at 16, green at 8, blue at 0, 8 bits each: the client's
 * own layout, copied row by row. */
bool fb_format_is_xrgb8888(const struct fb_format *f);
/* One pixel (0xXXRRGGBB as the client stores it) in the framebuffer's layout. */
uint32_t fb_pixel(const struct fb_format *f, uint32_t xrgb);

/*
 * Copies rectangle r (already clipped to both) from src (rows of src_stride
 * bytes, 4 bytes per pixel) to the same place in dst (rows of dst_pitch
 * bytes, f->bpp bits per pixel). dst may be write-combining memory: it is
 * only written, in address order.
 */
void fb_copy_rect(const struct fb_format *f, volatile uint8_t *dst, uint32_t dst_pitch, const uint8_t *src,
                  uint32_t src_stride, const struct gpu_rect *r);

#endif
