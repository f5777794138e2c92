// host-test-uses: -I libs/driver/include servers/virtio_gpu/protocol.c servers/fbdev/convert.c
/*
 * Tests for the display drivers' pure parts: flush rectangles and modes
 * (libs/driver/include/driver/gpu.h), virtio-gpu command encoding and
 * response checking (servers/virtio_gpu/protocol.c, checked byte by byte
 * against the layouts of the virtio 1.x specification rather than against
 * our own structs), and fbdev's pixel conversion (servers/fbdev/convert.c).
 */
#include "test.h"
#include <stdint.h>
#include <stdlib.h>
#include <driver/gpu.h>
#include "../../servers/fbdev/convert.h"
#include "../../servers/virtio_gpu/protocol.h"

static uint32_t u32_at(const void *buf, size_t off) {
    uint32_t v;
    memcpy(&v, (const uint8_t *)buf + off, 4);
    return v;
}

static uint64_t u64_at(const void *buf, size_t off) {
    uint64_t v;
    memcpy(&v, (const uint8_t *)buf + off, 8);
    return v;
}

/* ---- rectangles and modes ---- */

static int clip(const struct gpu_rect *in, unsigned nin, struct gpu_rect *out, unsigned *n) {
    return gpu_rects_clip(in, nin * sizeof(*in), 800, 600, out, n);
}

TEST(rects_inside_are_kept) {
    struct gpu_rect in[2] = {{0, 0, 800, 600}, {10, 20, 30, 40}}, out[GPU_MAX_RECTS];
    unsigned n = 99;
    CHECK_EQ(clip(in, 2, out, &n), 0);
    CHECK_EQ(n, 2);
    CHECK(!memcmp(out, in, sizeof(in)));
}

TEST(rects_are_clipped_to_the_buffer) {
    struct gpu_rect in[3] = {{790, 590, 100, 100}, {0, 599, 800, 5}, {799, 0, 0xffff, 1}}, out[GPU_MAX_RECTS];
    unsigned n;
    CHECK_EQ(clip(in, 3, out, &n), 0);
    CHECK_EQ(n, 3);
    CHECK(out[0].x == 790 && out[0].y == 590 && out[0].w == 10 && out[0].h == 10);
    CHECK(out[1].x == 0 && out[1].y == 599 && out[1].w == 800 && out[1].h == 1);
    CHECK(out[2].x == 799 && out[2].w == 1 && out[2].h == 1);
}

TEST(empty_and_outside_rects_are_dropped) {
    struct gpu_rect in[5] = {{0, 0, 0, 10}, {0, 0, 10, 0}, {800, 0, 10, 10}, {0, 600, 10, 10}, {5, 6, 7, 8}},
                    out[GPU_MAX_RECTS];
    unsigned n;
    CHECK_EQ(clip(in, 5, out, &n), 0);
    CHECK_EQ(n, 1);
    CHECK(out[0].x == 5 && out[0].y == 6 && out[0].w == 7 && out[0].h == 8);
    CHECK_EQ(gpu_rects_clip(NULL, 0, 800, 600, out, &n), 0);
    CHECK_EQ(n, 0);
}

TEST(rect_garbage_is_refused) {
    struct gpu_rect in[GPU_MAX_RECTS + 1], out[GPU_MAX_RECTS];
    memset(in, 0, sizeof(in));
    unsigned n = 7;
    CHECK_EQ(gpu_rects_clip(in, sizeof(in[0]) - 1, 800, 600, out, &n), -E_INVAL);
    CHECK_EQ(n, 0);
    CHECK_EQ(gpu_rects_clip(in, sizeof(in[0]) + 4, 800, 600, out, &n), -E_INVAL);
    CHECK_EQ(gpu_rects_clip(in, sizeof(in), 800, 600, out, &n), -E_INVAL);   /* 17 rects */
    CHECK_EQ(gpu_rects_clip(in, GPU_MAX_RECTS * sizeof(in[0]), 800, 600, out, &n), 0);
    CHECK_EQ(gpu_rects_clip(NULL, sizeof(in[0]), 800, 600, out, &n), -E_INVAL);
    in[3] = (struct gpu_rect){0xfffffff0u, 0, 0x11, 1};   /* x + w overflows */
    CHECK_EQ(gpu_rects_clip(in, 4 * sizeof(in[0]), 800, 600, out, &n), -E_INVAL);
    in[3] = (struct gpu_rect){0, 0xffffffffu, 1, 1};      /* y + h overflows */
    CHECK_EQ(gpu_rects_clip(in, 4 * sizeof(in[0]), 800, 600, out, &n), -E_INVAL);
    in[3] = (struct gpu_rect){0xfffffff0u, 0, 0x10, 1};   /* ends at 2^32: does not fit */
    CHECK_EQ(gpu_rects_clip(in, 4 * sizeof(in[0]), 800, 600, out, &n), -E_INVAL);
    in[3] = (struct gpu_rect){0xffffffefu, 0, 0x10, 1};   /* ends at 2^32 - 1: outside, dropped */
    CHECK_EQ(gpu_rects_clip(in, 4 * sizeof(in[0]), 800, 600, out, &n), 0);
    CHECK_EQ(n, 0);
}

TEST(rects_may_be_unaligned) {
    uint8_t raw[1 + 2 * sizeof(struct gpu_rect)];
    struct gpu_rect in[2] = {{1, 2, 3, 4}, {5, 6, 7, 8}}, out[GPU_MAX_RECTS];
    memcpy(raw + 1, in, sizeof(in));
    unsigned n;
    CHECK_EQ(gpu_rects_clip(raw + 1, sizeof(in), 800, 600, out, &n), 0);
    CHECK_EQ(n, 2);
    CHECK(!memcmp(out, in, sizeof(in)));
}

TEST(modes) {
    uint32_t w = 1, h = 2;
    CHECK(gpu_parse_mode("1280x800", &w, &h));
    CHECK(w == 1280 && h == 800);
    CHECK(gpu_parse_mode("8192x1", &w, &h));
    CHECK(!gpu_parse_mode("8193x600", &w, &h));
    CHECK(!gpu_parse_mode("0x600", &w, &h));
    CHECK(!gpu_parse_mode("800x", &w, &h));
    CHECK(!gpu_parse_mode("x600", &w, &h));
    CHECK(!gpu_parse_mode("800X600", &w, &h));
    CHECK(!gpu_parse_mode("800x600x32", &w, &h));
    CHECK(!gpu_parse_mode("99999999999x1", &w, &h));
    CHECK(!gpu_parse_mode("", &w, &h));
    CHECK(w == 8192 && h == 1);   /* untouched by the failures */
    CHECK(gpu_mode_sane(1, 1) && !gpu_mode_sane(0, 5) && !gpu_mode_sane(5, 8193));
}

/* ---- virtio-gpu commands (offsets from the specification) ---- */

static uint8_t buf[VGPU_REQ_MAX];

static void dirty(void) { memset(buf, 0xa5, sizeof(buf)); }

/* The 24-byte header: type, flags 0, fence 0, ctx 0, ring_idx and padding 0. */
static int header_ok(uint32_t type) {
    for (int i = 4; i < 24; i++)
        if (buf[i])
            return 0;
    return u32_at(buf, 0) == type;
}

TEST(encode_get_display_info) {
    dirty();
    CHECK_EQ(vgpu_enc_get_display_info(buf), 24);
    CHECK(header_ok(0x0100));
    CHECK_EQ(vgpu_resp_len(VIRTIO_GPU_RESP_OK_DISPLAY_INFO), 24 + 16 * 24);
    CHECK_EQ(vgpu_resp_len(VIRTIO_GPU_RESP_OK_NODATA), 24);
}

TEST(encode_create_2d) {
    dirty();
    CHECK_EQ(vgpu_enc_create_2d(buf, 7, VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM, 1280, 800), 40);
    CHECK(header_ok(0x0101));
    CHECK_EQ(u32_at(buf, 24), 7);
    CHECK_EQ(u32_at(buf, 28), 2);   /* B8G8R8X8_UNORM */
    CHECK_EQ(u32_at(buf, 32), 1280);
    CHECK_EQ(u32_at(buf, 36), 800);
}

TEST(encode_unref_and_detach) {
    dirty();
    CHECK_EQ(vgpu_enc_unref(buf, 9), 32);
    CHECK(header_ok(0x0102));
    CHECK_EQ(u32_at(buf, 24), 9);
    CHECK_EQ(u32_at(buf, 28), 0);
    dirty();
    CHECK_EQ(vgpu_enc_detach_backing(buf, 10), 32);
    CHECK(header_ok(0x0107));
    CHECK_EQ(u32_at(buf, 24), 10);
    CHECK_EQ(u32_at(buf, 28), 0);
}

TEST(encode_attach_backing) {
    dirty();
    CHECK_EQ(vgpu_enc_attach_backing(buf, 3, 0x123456789000ull, 4096000), 48);
    CHECK(header_ok(0x0106));
    CHECK_EQ(u32_at(buf, 24), 3);
    CHECK_EQ(u32_at(buf, 28), 1);                 /* nr_entries */
    CHECK_EQ(u64_at(buf, 32), 0x123456789000ull); /* the entry: addr, length, padding */
    CHECK_EQ(u32_at(buf, 40), 4096000);
    CHECK_EQ(u32_at(buf, 44), 0);
}

TEST(encode_set_scanout) {
    dirty();
    struct gpu_rect r = {0, 0, 1024, 768};
    CHECK_EQ(vgpu_enc_set_scanout(buf, 0, 5, &r), 48);
    CHECK(header_ok(0x0103));
    CHECK(u32_at(buf, 24) == 0 && u32_at(buf, 28) == 0 && u32_at(buf, 32) == 1024 && u32_at(buf, 36) == 768);
    CHECK_EQ(u32_at(buf, 40), 0);   /* scanout_id */
    CHECK_EQ(u32_at(buf, 44), 5);   /* resource_id */
}

TEST(encode_transfer_to_host_2d) {
    dirty();
    struct gpu_rect r = {10, 20, 30, 40};
    CHECK_EQ(vgpu_enc_transfer_to_host_2d(buf, 4, &r, 4096), 56);
    CHECK(header_ok(0x0105));
    CHECK(u32_at(buf, 24) == 10 && u32_at(buf, 28) == 20 && u32_at(buf, 32) == 30 && u32_at(buf, 36) == 40);
    CHECK_EQ(u64_at(buf, 40), 20 * 4096 + 10 * 4);   /* first byte of the rectangle */
    CHECK_EQ(u32_at(buf, 48), 4);
    CHECK_EQ(u32_at(buf, 52), 0);
    /* Offsets beyond 4 GiB do not wrap. */
    r = (struct gpu_rect){8191, 8191, 1, 1};
    vgpu_enc_transfer_to_host_2d(buf, 4, &r, 0x100000);
    CHECK_EQ(u64_at(buf, 40), 8191ull * 0x100000 + 8191 * 4);
}

TEST(encode_resource_flush) {
    dirty();
    struct gpu_rect r = {1, 2, 3, 4};
    CHECK_EQ(vgpu_enc_resource_flush(buf, 6, &r), 48);
    CHECK(header_ok(0x0104));
    CHECK(u32_at(buf, 24) == 1 && u32_at(buf, 28) == 2 && u32_at(buf, 32) == 3 && u32_at(buf, 36) == 4);
    CHECK_EQ(u32_at(buf, 40), 6);
    CHECK_EQ(u32_at(buf, 44), 0);
}

static uint8_t resp[VGPU_RESP_MAX];

static void answer(uint32_t type) {
    memset(resp, 0, sizeof(resp));
    memcpy(resp, &type, 4);
}

TEST(responses_are_checked) {
    const char *why = NULL;
    answer(0x1100);
    CHECK_EQ(vgpu_check_resp(resp, 24, VIRTIO_GPU_RESP_OK_NODATA, &why), 0);
    CHECK_EQ(vgpu_check_resp(resp, 23, VIRTIO_GPU_RESP_OK_NODATA, &why), -E_IO);   /* short */
    CHECK_STR(why, "short response");
    CHECK_EQ(vgpu_check_resp(resp, 0, VIRTIO_GPU_RESP_OK_NODATA, &why), -E_IO);
    for (uint32_t t = 0x1200; t <= 0x1205; t++) {
        answer(t);
        CHECK_EQ(vgpu_check_resp(resp, 24, VIRTIO_GPU_RESP_OK_NODATA, &why), -E_IO);
        CHECK(!strncmp(why, "ERR_", 4));
    }
    answer(0x1203);
    vgpu_check_resp(resp, 24, VIRTIO_GPU_RESP_OK_NODATA, &why);
    CHECK_STR(why, "ERR_INVALID_RESOURCE_ID");
    answer(0x12ff);   /* an error we do not know is still an error */
    CHECK_EQ(vgpu_check_resp(resp, 24, VIRTIO_GPU_RESP_OK_NODATA, &why), -E_IO);
    answer(0x1101);   /* the wrong success */
    CHECK_EQ(vgpu_check_resp(resp, 408, VIRTIO_GPU_RESP_OK_NODATA, &why), -E_IO);
    CHECK_STR(why, "unexpected response type");
    CHECK_EQ(vgpu_check_resp(resp, 408, VIRTIO_GPU_RESP_OK_DISPLAY_INFO, &why), 0);
    CHECK_EQ(vgpu_check_resp(resp, 200, VIRTIO_GPU_RESP_OK_DISPLAY_INFO, &why), -E_IO);
    answer(0);        /* nothing written at all */
    CHECK_EQ(vgpu_check_resp(resp, 24, VIRTIO_GPU_RESP_OK_NODATA, &why), -E_IO);
}

static void display(uint32_t enabled, uint32_t w, uint32_t h) {
    answer(0x1101);
    memcpy(resp + 24 + 8, &w, 4);    /* pmodes[0].r.width */
    memcpy(resp + 24 + 12, &h, 4);
    memcpy(resp + 24 + 16, &enabled, 4);
    uint32_t big = 4000;             /* scanout 1 is not ours */
    memcpy(resp + 48 + 8, &big, 4);
    memcpy(resp + 48 + 12, &big, 4);
}

TEST(display_mode_from_the_device) {
    uint32_t w = 0, h = 0;
    display(1, 1280, 800);
    CHECK_EQ(vgpu_pick_mode((const void *)resp, &w, &h), 0);
    CHECK(w == 1280 && h == 800);
    display(0, 1280, 800);   /* disabled */
    CHECK_EQ(vgpu_pick_mode((const void *)resp, &w, &h), -E_RANGE);
    CHECK(w == 1024 && h == 768);
    display(1, 0, 0);
    w = h = 0;
    CHECK_EQ(vgpu_pick_mode((const void *)resp, &w, &h), -E_RANGE);
    CHECK(w == 1024 && h == 768);
    display(1, 100000, 600);
    CHECK_EQ(vgpu_pick_mode((const void *)resp, &w, &h), -E_RANGE);
    display(1, 8192, 8192);
    CHECK_EQ(vgpu_pick_mode((const void *)resp, &w, &h), 0);
    CHECK(w == 8192 && h == 8192);
}

/* ---- fbdev pixel conversion ---- */

static const struct fb_format XRGB8888 = {32, 16, 8, 8, 8, 0, 8};
static const struct fb_format XBGR8888 = {32, 0, 8, 8, 8, 16, 8};
static const struct fb_format RGB888 = {24, 16, 8, 8, 8, 0, 8};
static const struct fb_format RGB565 = {16, 11, 5, 5, 6, 0, 5};
static const struct fb_format RGB555 = {16, 10, 5, 5, 5, 0, 5};
static const struct fb_format XRGB2101010 = {32, 20, 10, 10, 10, 0, 10};

TEST(formats_supported) {
    CHECK(fb_format_supported(&XRGB8888) && fb_format_is_xrgb8888(&XRGB8888));
    CHECK(fb_format_supported(&XBGR8888) && !fb_format_is_xrgb8888(&XBGR8888));
    CHECK(fb_format_supported(&RGB888) && !fb_format_is_xrgb8888(&RGB888));
    CHECK(fb_format_supported(&RGB565) && fb_format_supported(&RGB555) && fb_format_supported(&XRGB2101010));
    struct fb_format f = {8, 5, 3, 2, 3, 0, 2};   /* 8 bpp: no */
    CHECK(!fb_format_supported(&f));
    f = (struct fb_format){16, 11, 6, 5, 6, 0, 5};   /* red runs past bit 15 */
    CHECK(!fb_format_supported(&f));
    f = (struct fb_format){32, 16, 0, 8, 8, 0, 8};   /* no red bits */
    CHECK(!fb_format_supported(&f));
    f = (struct fb_format){32, 16, 8, 8, 8, 0, 8};
    f.bpp = 0;
    CHECK(!fb_format_supported(&f));
}

TEST(pixels_converted) {
    CHECK_EQ(fb_pixel(&XRGB8888, 0x00123456), 0x00123456);
    CHECK_EQ(fb_pixel(&XBGR8888, 0x00123456), 0x00563412);
    CHECK_EQ(fb_pixel(&RGB888, 0x00abcdef), 0xabcdef);
    CHECK_EQ(fb_pixel(&RGB565, 0x00ffffff), 0xffff);
    CHECK_EQ(fb_pixel(&RGB565, 0x00ff0000), 0xf800);
    CHECK_EQ(fb_pixel(&RGB565, 0x0000ff00), 0x07e0);
    CHECK_EQ(fb_pixel(&RGB565, 0x000000ff), 0x001f);
    CHECK_EQ(fb_pixel(&RGB555, 0x00ffffff), 0x7fff);
    CHECK_EQ(fb_pixel(&RGB555, 0x00080808), 0x0421);
    CHECK_EQ(fb_pixel(&XRGB2101010, 0x00ff0000), 0x3ff00000u);   /* all ones stay all ones */
    CHECK_EQ(fb_pixel(&XRGB2101010, 0x00000080), 0x202);
    CHECK_EQ(fb_pixel(&XRGB8888, 0xff000000), 0);   /* the X byte is not a colour */
}

#define W 40
#define H 30

/* Copies rect r of a patterned source to a framebuffer of format f filled
 * with 0xee and checks every byte: converted inside r (copied as it is,
 * X byte included, for the client's own layout), untouched outside. */
static int copy_ok(const struct fb_format *f, uint32_t pitch, struct gpu_rect r) {
    uint32_t *src = malloc(W * H * 4);
    uint8_t *fb = malloc((size_t)pitch * H);
    for (int i = 0; i < W * H; i++)
        src[i] = 0x00010203u * (uint32_t)i ^ 0xff000000u;
    memset(fb, 0xee, (size_t)pitch * H);
    fb_copy_rect(f, fb, pitch, (const uint8_t *)src, W * 4, &r);
    uint32_t bytes = f->bpp / 8;
    int ok = 1;
    for (uint32_t y = 0; y < H; y++) {
        for (uint32_t x = 0; x < pitch; x++) {
            uint32_t px = x / bytes;
            bool inside = px < W && px >= r.x && px < r.x + r.w && y >= r.y && y < r.y + r.h;
            uint8_t want = 0xee;
            if (inside) {
                uint32_t v = src[y * W + px];
                want = (uint8_t)((fb_format_is_xrgb8888(f) ? v : fb_pixel(f, v)) >> (8 * (x % bytes)));
            }
            if (fb[(size_t)y * pitch + x] != want)
                ok = 0;
        }
    }
    free(src);
    free(fb);
    return ok;
}

TEST(rect_copies_touch_only_the_rect) {
    struct gpu_rect r = {3, 5, 17, 9};
    CHECK(copy_ok(&XRGB8888, W * 4, r));
    CHECK(copy_ok(&XRGB8888, W * 4 + 64, r));   /* pitch wider than the line */
    CHECK(copy_ok(&XBGR8888, W * 4, r));
    CHECK(copy_ok(&RGB888, W * 3, r));
    CHECK(copy_ok(&RGB888, W * 3 + 1, r));      /* odd pitch */
    CHECK(copy_ok(&RGB565, W * 2, r));
    CHECK(copy_ok(&RGB555, W * 2 + 6, r));
    CHECK(copy_ok(&XRGB2101010, W * 4, r));
    CHECK(copy_ok(&XRGB8888, W * 4, (struct gpu_rect){0, 0, W, H}));
    CHECK(copy_ok(&RGB565, W * 2, (struct gpu_rect){W - 1, H - 1, 1, 1}));
    CHECK(copy_ok(&RGB888, W * 3, (struct gpu_rect){0, 0, 0, 0}));
}

TEST_MAIN()
