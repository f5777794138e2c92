/*
 * cairo-render: draws a fixed scene with Cairo into a 320x240 ARGB32 image
 * and prints the SHA-256 of its pixels. The same source linked against the
 * same sysroot libraries runs on Linux (tessera-cc --tessera-host) and on
 * Tessera, so equal hashes mean Tessera ran the stack exactly as Linux did.
 *
 *   cairo-render [FONT [PNG [OUT.png]]]
 *
 * FONT  a TrueType font, loaded with FreeType (default /fonts/DejaVuSans.ttf)
 * PNG   an image, decoded by cairo and libpng (default /data/cairo-test.png)
 * OUT   optional: also write the result as a PNG, to look at
 *
 * Prints "cairo-render: sha256=<hex>" (the pixels row by row, width * 4
 * bytes each, as they are in memory) and "cairo-render: done". Exit status:
 * 0 on success, 2 for an unusable font, 3 for an unusable PNG, 1 otherwise.
 */
#include <cairo.h>
#include <cairo-ft.h>
#include <ft2build.h>
#include FT_FREETYPE_H
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define WIDTH 320
#define HEIGHT 240
#define PI 3.14159265358979323846

/* ---- SHA-256 (FIPS 180-4) ---- */

struct sha256 {
    uint32_t h[8];
    uint8_t block[64];
    size_t used;        /* bytes in block */
    uint64_t total;     /* bytes hashed */
};

static const uint32_t sha256_k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static uint32_t ror(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

static void sha256_init(struct sha256 *s) {
    static const uint32_t h0[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    memcpy(s->h, h0, sizeof h0);
    s->used = 0;
    s->total = 0;
}

static void sha256_block(struct sha256 *s, const uint8_t *p) {
    uint32_t w[64], v[8];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    memcpy(v, s->h, sizeof v);
    for (int i = 0; i < 64; i++) {
        uint32_t e = v[4], a = v[0];
        uint32_t t1 = v[7] + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) + ((e & v[5]) ^ (~e & v[6])) + sha256_k[i] + w[i];
        uint32_t t2 = (ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) + ((a & v[1]) ^ (a & v[2]) ^ (v[1] & v[2]));
        memmove(v + 1, v, 7 * sizeof v[0]);
        v[4] += t1;
        v[0] = t1 + t2;
    }
    for (int i = 0; i < 8; i++)
        s->h[i] += v[i];
}

static void sha256_update(struct sha256 *s, const void *data, size_t len) {
    const uint8_t *p = data;
    s->total += len;
    while (len > 0) {
        size_t n = 64 - s->used < len ? 64 - s->used : len;
        memcpy(s->block + s->used, p, n);
        s->used += n;
        p += n;
        len -= n;
        if (s->used == 64) {
            sha256_block(s, s->block);
            s->used = 0;
        }
    }
}

static void sha256_hex(struct sha256 *s, char out[65]) {
    uint64_t bits = s->total * 8;
    uint8_t pad = 0x80, len[8];
    sha256_update(s, &pad, 1);
    pad = 0;
    while (s->used != 56)
        sha256_update(s, &pad, 1);
    for (int i = 0; i < 8; i++)
        len[i] = (uint8_t)(bits >> (56 - 8 * i));
    sha256_update(s, len, 8);
    for (int i = 0; i < 8; i++)
        snprintf(out + 8 * i, 9, "%08x", s->h[i]);
}

/* The FIPS 180-4 example, so that a wrong hash is never mistaken for wrong pixels. */
static int sha256_selftest(void) {
    struct sha256 s;
    char hex[65];
    sha256_init(&s);
    sha256_update(&s, "abc", 3);
    sha256_hex(&s, hex);
    return strcmp(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad") == 0;
}

/* ---- the scene ---- */

static void rounded_rect(cairo_t *cr, double x, double y, double w, double h, double r) {
    cairo_new_sub_path(cr);
    cairo_arc(cr, x + w - r, y + r, r, -PI / 2, 0);
    cairo_arc(cr, x + w - r, y + h - r, r, 0, PI / 2);
    cairo_arc(cr, x + r, y + h - r, r, PI / 2, PI);
    cairo_arc(cr, x + r, y + r, r, PI, 3 * PI / 2);
    cairo_close_path(cr);
}

static void text(cairo_t *cr, double x, double y, double size, const char *s) {
    cairo_set_font_size(cr, size);
    cairo_set_source_rgba(cr, 0, 0, 0, 0.5);   /* shadow */
    cairo_move_to(cr, x + 1.5, y + 1.5);
    cairo_show_text(cr, s);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_move_to(cr, x, y);
    cairo_show_text(cr, s);
}

static void draw(cairo_t *cr, cairo_font_face_t *font, cairo_surface_t *image) {
    /* background: a vertical linear gradient */
    cairo_pattern_t *p = cairo_pattern_create_linear(0, 0, 0, HEIGHT);
    cairo_pattern_add_color_stop_rgb(p, 0, 0.12, 0.16, 0.28);
    cairo_pattern_add_color_stop_rgb(p, 1, 0.55, 0.65, 0.85);
    cairo_set_source(cr, p);
    cairo_paint(cr);
    cairo_pattern_destroy(p);

    /* a panel filled with a radial gradient, with a soft outline */
    rounded_rect(cr, 16, 16, 180, 120, 14);
    p = cairo_pattern_create_radial(70, 50, 5, 106, 76, 110);
    cairo_pattern_add_color_stop_rgba(p, 0, 1, 0.95, 0.8, 1);
    cairo_pattern_add_color_stop_rgba(p, 0.5, 0.95, 0.5, 0.15, 0.95);
    cairo_pattern_add_color_stop_rgba(p, 1, 0.5, 0.1, 0.1, 0.9);
    cairo_set_source(cr, p);
    cairo_fill_preserve(cr);
    cairo_pattern_destroy(p);
    cairo_set_line_width(cr, 2);
    cairo_set_source_rgba(cr, 0, 0, 0, 0.6);
    cairo_stroke(cr);

    /* a translucent panel over it, with a dashed outline */
    rounded_rect(cr, 130, 90, 170, 120, 20);
    cairo_set_source_rgba(cr, 0.2, 0.7, 0.4, 0.55);
    cairo_fill_preserve(cr);
    static const double dash[] = {6, 3};
    cairo_set_dash(cr, dash, 2, 0);
    cairo_set_line_width(cr, 1.5);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_stroke(cr);
    cairo_set_dash(cr, NULL, 0, 0);

    /* a ring stroked with a diagonal gradient */
    cairo_arc(cr, 255, 50, 30, 0, 2 * PI);
    p = cairo_pattern_create_linear(225, 20, 285, 80);
    cairo_pattern_add_color_stop_rgb(p, 0, 1, 0.85, 0.2);
    cairo_pattern_add_color_stop_rgb(p, 0.5, 0.9, 0.2, 0.5);
    cairo_pattern_add_color_stop_rgb(p, 1, 0.2, 0.4, 1);
    cairo_set_source(cr, p);
    cairo_set_line_width(cr, 6);
    cairo_stroke(cr);
    cairo_pattern_destroy(p);

    /* the PNG, as it is and half transparent inside a rounded clip */
    cairo_set_source_surface(cr, image, 240, 150);
    cairo_paint(cr);
    cairo_save(cr);
    rounded_rect(cr, 150, 150, 80, 50, 10);
    cairo_clip(cr);
    cairo_set_source_surface(cr, image, 160, 155);
    cairo_paint_with_alpha(cr, 0.6);
    cairo_restore(cr);

    /* anti-aliased text through FreeType, one line of it rotated */
    cairo_font_options_t *fo = cairo_font_options_create();
    cairo_font_options_set_antialias(fo, CAIRO_ANTIALIAS_GRAY);
    cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_SLIGHT);
    cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_ON);
    cairo_set_font_options(cr, fo);
    cairo_font_options_destroy(fo);
    cairo_set_font_face(cr, font);
    text(cr, 20, 185, 30, "Tessera");
    text(cr, 22, 210, 14, "Cairo \xc2\xb7 FreeType \xc2\xb7 pixman");
    cairo_save(cr);
    cairo_translate(cr, 310, 232);
    cairo_rotate(cr, -PI / 2);
    text(cr, 0, 0, 11, "320\xc3\x97" "240 ARGB32");
    cairo_restore(cr);
}

static void done_face(void *face) { FT_Done_Face(face); }

int main(int argc, char **argv) {
    const char *font_path = argc > 1 ? argv[1] : "/fonts/DejaVuSans.ttf";
    const char *png_path = argc > 2 ? argv[2] : "/data/cairo-test.png";
    const char *out_path = argc > 3 ? argv[3] : NULL;

    if (!sha256_selftest()) {
        fprintf(stderr, "cairo-render: SHA-256 self-test failed\n");
        return 1;
    }

    FT_Library ft;
    FT_Face face;
    FT_Error err = FT_Init_FreeType(&ft);
    if (err) {
        fprintf(stderr, "cairo-render: FreeType did not start (error %d)\n", err);
        return 1;
    }
    err = FT_New_Face(ft, font_path, 0, &face);
    if (err) {
        fprintf(stderr, "cairo-render: cannot load font %s: FreeType error %d (%s)\n", font_path, err,
                err == FT_Err_Cannot_Open_Resource ? "cannot open it"
                : err == FT_Err_Unknown_File_Format ? "not a font" : "bad font");
        return 2;
    }
    cairo_font_face_t *font = cairo_ft_font_face_create_for_ft_face(face, 0);
    static const cairo_user_data_key_t face_key;
    if (cairo_font_face_set_user_data(font, &face_key, face, done_face) != CAIRO_STATUS_SUCCESS) {
        fprintf(stderr, "cairo-render: out of memory\n");
        return 1;
    }

    cairo_surface_t *image = cairo_image_surface_create_from_png(png_path);
    cairo_status_t st = cairo_surface_status(image);
    if (st != CAIRO_STATUS_SUCCESS) {
        fprintf(stderr, "cairo-render: cannot read PNG %s: %s\n", png_path, cairo_status_to_string(st));
        return 3;
    }

    cairo_surface_t *surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, WIDTH, HEIGHT);
    cairo_t *cr = cairo_create(surface);
    draw(cr, font, image);
    st = cairo_status(cr);
    cairo_destroy(cr);
    cairo_surface_flush(surface);
    if (st == CAIRO_STATUS_SUCCESS)
        st = cairo_surface_status(surface);
    if (st != CAIRO_STATUS_SUCCESS) {
        fprintf(stderr, "cairo-render: drawing failed: %s\n", cairo_status_to_string(st));
        return 1;
    }

    struct sha256 s;
    char hex[65];
    const unsigned char *pixels = cairo_image_surface_get_data(surface);
    int stride = cairo_image_surface_get_stride(surface);
    sha256_init(&s);
    for (int y = 0; y < HEIGHT; y++)
        sha256_update(&s, pixels + (size_t)y * stride, WIDTH * 4);
    sha256_hex(&s, hex);
    printf("cairo-render: sha256=%s\n", hex);

    if (out_path) {
        st = cairo_surface_write_to_png(surface, out_path);
        if (st != CAIRO_STATUS_SUCCESS) {
            fprintf(stderr, "cairo-render: cannot write %s: %s\n", out_path, cairo_status_to_string(st));
            return 1;
        }
    }

    cairo_surface_destroy(surface);
    cairo_surface_destroy(image);
    cairo_font_face_destroy(font);
    printf("cairo-render: done\n");
    return 0;
}
