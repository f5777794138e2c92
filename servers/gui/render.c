/*
 * Drawing with Cairo (see render.h): window content trees, decorations, the
 * wallpaper, and the text measurement layout relies on.
 *
 * Text: the three DejaVu fonts are loaded once with FreeType; a Cairo scaled
 * font is made per (font, pixel size) on first use and kept. Text runs are
 * turned into glyphs by Cairo (no shaping: a glyph per character, advances
 * only), so the x of every byte offset of a run is known from one call;
 * measuring, wrapping, caret placement and drawing all go through
 * text_positions and break_lines so they always agree.
 */
#include "render.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tessera/abi.h>
/* Both abi.h and musl's <limits.h> (through FreeType) define it; unused here. */
#undef PAGE_SIZE
#include <cairo-ft.h>
#include <ft2build.h>
#include FT_FREETYPE_H

#define PI 3.14159265358979323846
#define FONT_PX_MAX 128

/* ---- colours and shapes ---- */

void render_set_rgba(cairo_t *cr, uint32_t rgba) {
    cairo_set_source_rgba(cr, (rgba >> 24) / 255.0, (rgba >> 16 & 0xff) / 255.0, (rgba >> 8 & 0xff) / 255.0,
                          (rgba & 0xff) / 255.0);
}

/* rgba with its alpha multiplied by f. */
static uint32_t fade(uint32_t rgba, double f) {
    return (rgba & 0xffffff00u) | (uint32_t)lround((rgba & 0xff) * f);
}

/* t of the way from a to b, every channel (alpha too). */
static uint32_t mix(uint32_t a, uint32_t b, double t) {
    uint32_t out = 0;
    for (int shift = 0; shift < 32; shift += 8) {
        double ca = a >> shift & 0xff, cb = b >> shift & 0xff;
        out |= (uint32_t)lround(ca + (cb - ca) * t) << shift;
    }
    return out;
}

void render_rounded_rect(cairo_t *cr, double x, double y, double w, double h, double r) {
    r = fmin(r, fmin(w, h) / 2);
    if (r <= 0) {
        cairo_rectangle(cr, x, y, w, h);
        return;
    }
    cairo_new_sub_path(cr);
    cairo_arc(cr, x + w - r, y + r, r, -PI / 2, 0);
    cairo_arc(cr, x + w - r, y + h - r, r, 0, PI / 2);
    cairo_arc(cr, x + r, y + h - r, r, PI / 2, PI);
    cairo_arc(cr, x + r, y + r, r, PI, 3 * PI / 2);
    cairo_close_path(cr);
}

/* Rounded at the top only (window frames and title bars). */
static void rounded_top_rect(cairo_t *cr, double x, double y, double w, double h, double r) {
    r = fmin(r, fmin(w / 2, h));
    cairo_new_sub_path(cr);
    cairo_move_to(cr, x, y + h);
    if (r > 0) {
        cairo_arc(cr, x + r, y + r, r, PI, 3 * PI / 2);
        cairo_arc(cr, x + w - r, y + r, r, -PI / 2, 0);
    } else {
        cairo_line_to(cr, x, y);
        cairo_line_to(cr, x + w, y);
    }
    cairo_line_to(cr, x + w, y + h);
    cairo_close_path(cr);
}

/* A 1-pixel outline just inside a rounded rect (crisp on the pixel grid). */
static void stroke_inside(cairo_t *cr, struct ui_rect r, double radius, double width, uint32_t rgba) {
    render_rounded_rect(cr, r.x + width / 2, r.y + width / 2, r.w - width, r.h - width,
                        fmax(0, radius - width / 2));
    render_set_rgba(cr, rgba);
    cairo_set_line_width(cr, width);
    cairo_stroke(cr);
}

static void fill_rounded(cairo_t *cr, struct ui_rect r, double radius, uint32_t rgba) {
    render_rounded_rect(cr, r.x, r.y, r.w, r.h, radius);
    render_set_rgba(cr, rgba);
    cairo_fill(cr);
}

/* ---- fonts ---- */

struct sized_font {
    cairo_scaled_font_t *sf;
    int line_height;     /* pixels from one line's top to the next */
    int ascent;          /* from a line's top to its baseline */
};

static FT_Library ft_library;
static cairo_font_face_t *faces[UI_FONT_MAX + 1];
static cairo_font_options_t *font_options;
static struct sized_font sized_fonts[UI_FONT_MAX + 1][FONT_PX_MAX + 1];

static const char *const font_files[UI_FONT_MAX + 1] = {
    [UI_FONT_SANS] = "DejaVuSans.ttf",
    [UI_FONT_SANS_BOLD] = "DejaVuSans-Bold.ttf",
    [UI_FONT_MONO] = "DejaVuSansMono.ttf",
};

static const cairo_user_data_key_t face_key;
static void done_face(void *face) { FT_Done_Face(face); }

static cairo_font_face_t *load_face(const char *dir, const char *file) {
    char path[256];
    FT_Face face;
    snprintf(path, sizeof path, "%s/%s", dir, file);
    FT_Error err = FT_New_Face(ft_library, path, 0, &face);
    if (err) {
        fprintf(stderr, "gui: font %s: %s\n", path,
                err == FT_Err_Cannot_Open_Resource ? "cannot open it"
                : err == FT_Err_Unknown_File_Format ? "not a font" : "bad font");
        return NULL;
    }
    cairo_font_face_t *cf = cairo_ft_font_face_create_for_ft_face(face, 0);
    if (cairo_font_face_set_user_data(cf, &face_key, face, done_face) != CAIRO_STATUS_SUCCESS) {
        cairo_font_face_destroy(cf);
        FT_Done_Face(face);
        return NULL;
    }
    return cf;
}

int render_init_fonts(const char *dir) {
    if (faces[UI_FONT_SANS])
        return 0;
    if (!ft_library && FT_Init_FreeType(&ft_library) != 0) {
        fprintf(stderr, "gui: FreeType would not start\n");
        return -E_NOMEM;
    }
    font_options = cairo_font_options_create();
    cairo_font_options_set_antialias(font_options, CAIRO_ANTIALIAS_GRAY);
    cairo_font_options_set_hint_style(font_options, CAIRO_HINT_STYLE_SLIGHT);
    cairo_font_options_set_hint_metrics(font_options, CAIRO_HINT_METRICS_ON);
    for (int f = 0; f <= UI_FONT_MAX; f++)
        faces[f] = load_face(dir, font_files[f]);
    if (!faces[UI_FONT_SANS])
        return -E_NOENT;
    /* Without bold or mono, text still shows in the regular face. */
    for (int f = 0; f <= UI_FONT_MAX; f++)
        if (!faces[f])
            faces[f] = cairo_font_face_reference(faces[UI_FONT_SANS]);
    return 0;
}

int render_init(void) { return render_init_fonts("/fonts"); }

/* The font at a pixel size, made on first use; NULL without fonts. */
static struct sized_font *font_at(int font, int px) {
    if (font < 0 || font > UI_FONT_MAX)
        font = UI_FONT_SANS;
    px = px < 1 ? 1 : px > FONT_PX_MAX ? FONT_PX_MAX : px;
    struct sized_font *f = &sized_fonts[font][px];
    if (f->sf)
        return f;
    if (!faces[font])
        return NULL;
    cairo_matrix_t size, identity;
    cairo_matrix_init_scale(&size, px, px);
    cairo_matrix_init_identity(&identity);
    cairo_scaled_font_t *sf = cairo_scaled_font_create(faces[font], &size, &identity, font_options);
    if (cairo_scaled_font_status(sf) != CAIRO_STATUS_SUCCESS) {
        fprintf(stderr, "gui: no font at %d px: %s\n", px, cairo_status_to_string(cairo_scaled_font_status(sf)));
        cairo_scaled_font_destroy(sf);
        return NULL;
    }
    cairo_font_extents_t e;
    cairo_scaled_font_extents(sf, &e);
    f->sf = sf;
    /* With hinted metrics the line spacing can be less than ascent + descent
     * (DejaVu Sans Mono at 14 px: 16 against 13 + 4), and glyphs that reach
     * the descent, such as '_', would fall outside the line's rectangle. */
    f->line_height = (int)ceil(e.height > e.ascent + e.descent ? e.height : e.ascent + e.descent);
    f->ascent = (int)lround(e.ascent);
    return f;
}

/* The font a node's text is drawn in. */
static struct sized_font *node_font(const struct ui_node *n, const struct theme *th) {
    int size = n->text_size <= UI_SIZE_MAX ? n->text_size : UI_SIZE_BODY;
    return font_at(n->font, th->font_size[size]);
}

/* ---- text runs ---- */

static bool char_start(const char *s, int len, int i) {
    return i <= 0 || i >= len || ((unsigned char)s[i] & 0xc0) != 0x80;
}

/* xs[i] = the x of byte offset i from the run's start, for i in 0..len (an
 * offset inside a character gets the character's start). xs has len + 1
 * entries. Without a usable font (or for bad UTF-8) every x is 0. */
static void text_positions(struct sized_font *f, const char *s, int len, double *xs) {
    for (int i = 0; i <= len; i++)
        xs[i] = 0;
    if (!f || len <= 0)
        return;
    cairo_glyph_t *glyphs = NULL;
    cairo_text_cluster_t *clusters = NULL;
    int nglyphs = 0, nclusters = 0;
    cairo_text_cluster_flags_t flags;
    if (cairo_scaled_font_text_to_glyphs(f->sf, 0, 0, s, len, &glyphs, &nglyphs, &clusters, &nclusters,
                                         &flags) != CAIRO_STATUS_SUCCESS)
        return;
    cairo_text_extents_t all;
    cairo_scaled_font_glyph_extents(f->sf, glyphs, nglyphs, &all);
    int byte = 0, glyph = 0;
    for (int c = 0; c < nclusters && byte < len; c++) {
        double x = glyph < nglyphs ? glyphs[glyph].x : all.x_advance;
        for (int b = 0; b < clusters[c].num_bytes && byte < len; b++)
            xs[byte++] = x;
        glyph += clusters[c].num_glyphs;
    }
    xs[len] = nglyphs > 0 ? all.x_advance : 0;
    cairo_glyph_free(glyphs);
    cairo_text_cluster_free(clusters);
}

/* s[start..end) drawn from (x, baseline). */
static void draw_run(cairo_t *cr, struct sized_font *f, const char *s, int start, int end, double x,
                     double baseline) {
    if (!f || end <= start)
        return;
    cairo_glyph_t *glyphs = NULL;
    int n = 0;
    if (cairo_scaled_font_text_to_glyphs(f->sf, x, baseline, s + start, end - start, &glyphs, &n, NULL, NULL,
                                         NULL) != CAIRO_STATUS_SUCCESS)
        return;
    cairo_set_scaled_font(cr, f->sf);
    cairo_show_glyphs(cr, glyphs, n);
    cairo_glyph_free(glyphs);
}

struct text_line {
    int start, end;      /* bytes; spaces at a wrap are in neither line */
    double width;
};

/* Breaks s into lines at '\n' and, with wrap > 0, at spaces so that every
 * line fits in wrap pixels (a word wider than that is broken between
 * characters). Returns the number of lines in *out (free it); 0 only when
 * out of memory. */
static int break_lines(const char *s, int len, const double *xs, int wrap, struct text_line **out) {
    struct text_line *lines = malloc(sizeof *lines * (size_t)(len + 1));
    int n = 0;
    *out = lines;
    if (!lines)
        return 0;
    int a = 0;
    for (;;) {
        const char *nl = memchr(s + a, '\n', (size_t)(len - a));
        int b = nl ? (int)(nl - s) : len;
        int start = a;
        for (;;) {
            if (wrap <= 0 || xs[b] - xs[start] <= wrap) {
                lines[n++] = (struct text_line){start, b, xs[b] - xs[start]};
                break;
            }
            int end = -1, next = -1;
            for (int i = start; i < b; i++) {
                if (s[i] != ' ') {
                    if (xs[i] - xs[start] > wrap)
                        break;  /* any later break is wider still */
                    continue;
                }
                int j = i;
                while (j > start && s[j - 1] == ' ')
                    j--;
                if (j == start)
                    continue;   /* spaces leading the line */
                if (xs[j] - xs[start] > wrap)
                    break;      /* any later break is wider still */
                end = j;
                next = i;
                while (next < b && s[next] == ' ')
                    next++;
            }
            if (end < 0) {
                /* no space to break at: as many characters as fit, at least one */
                end = start + 1;
                while (end < b && !char_start(s, len, end))
                    end++;
                for (int i = end + 1; i <= b; i++)
                    if (char_start(s, len, i)) {
                        if (xs[i] - xs[start] > wrap)
                            break;
                        end = i;
                    }
                next = end;
            }
            lines[n++] = (struct text_line){start, end, xs[end] - xs[start]};
            start = next;
            if (start >= b)
                break;
        }
        if (!nl)
            break;
        a = b + 1;
    }
    *out = lines;
    return n;
}

/* Positions for s[0..len], malloc'd (NULL when out of memory). */
static double *positions_of(struct sized_font *f, const char *s, int len) {
    double *xs = malloc(sizeof *xs * (size_t)(len + 1));
    if (xs)
        text_positions(f, s, len, xs);
    return xs;
}

static void measure_text(struct sized_font *f, const char *s, int len, int wrap, int *w, int *h) {
    int line_height = f ? f->line_height : 16;
    double *xs = positions_of(f, s, len);
    struct text_line *lines = NULL;
    int n = xs ? break_lines(s, len, xs, wrap, &lines) : 0;
    double widest = 0;
    for (int i = 0; i < n; i++)
        widest = fmax(widest, lines[i].width);
    *w = (int)ceil(widest);
    *h = (n > 0 ? n : 1) * line_height;
    free(lines);
    free(xs);
}

/* Multi-line text in r: lines from the top (or centred vertically when
 * `middle`), each aligned by align. */
static void draw_text_block(cairo_t *cr, struct sized_font *f, const char *s, int len, int wrap,
                            struct ui_rect r, int align, bool middle, uint32_t rgba) {
    if (!f || len <= 0)
        return;
    double *xs = positions_of(f, s, len);
    struct text_line *lines = NULL;
    int n = xs ? break_lines(s, len, xs, wrap, &lines) : 0;
    double y = r.y;
    if (middle && n * f->line_height < r.h)
        y += (r.h - n * f->line_height) / 2;
    render_set_rgba(cr, rgba);
    for (int i = 0; i < n; i++, y += f->line_height) {
        if (y > r.y + r.h)
            break;
        double x = r.x;
        if (align == UI_ALIGN_CENTER)
            x += floor((r.w - lines[i].width) / 2);
        else if (align == UI_ALIGN_END)
            x += r.w - lines[i].width;
        draw_run(cr, f, s, lines[i].start, lines[i].end, x, y + f->ascent);
    }
    free(lines);
    free(xs);
}

static void measure_cb(void *ctx, int font, int size_px, const char *s, uint32_t len, int wrap_width, int *w,
                       int *h) {
    (void)ctx;
    measure_text(font_at(font, size_px), s, (int)len, wrap_width, w, h);
}

const struct ui_measure render_measure = {NULL, measure_cb};

void render_text(cairo_t *cr, int font, int size_px, const char *s, double x, double baseline, uint32_t rgba) {
    if (!s)
        return;
    render_set_rgba(cr, rgba);
    draw_run(cr, font_at(font, size_px), s, 0, (int)strlen(s), x, baseline);
}

double render_text_width(int font, int size_px, const char *s) {
    int w, h;
    if (!s)
        return 0;
    measure_text(font_at(font, size_px), s, (int)strlen(s), 0, &w, &h);
    return w;
}

/* The longest start of s[0..len) that fits in `room` pixels with an
 * ellipsis after it, drawn so; all of s if it fits. */
static void draw_ellipsised(cairo_t *cr, struct sized_font *f, const char *s, double x, double baseline,
                            double room) {
    static const char ellipsis[] = "\xe2\x80\xa6";
    int len = (int)strlen(s);
    double *xs = positions_of(f, s, len);
    if (!xs || !f)
        goto out;
    if (xs[len] <= room) {
        draw_run(cr, f, s, 0, len, x, baseline);
        goto out;
    }
    double dots[4];
    text_positions(f, ellipsis, 3, dots);
    int end = 0;
    for (int i = 1; i <= len; i++)
        if (char_start(s, len, i) && xs[i] + dots[3] <= room)
            end = i;
    while (end > 0 && s[end - 1] == ' ')
        end--;
    draw_run(cr, f, s, 0, end, x, baseline);
    draw_run(cr, f, ellipsis, 0, 3, x + xs[end], baseline);
out:
    free(xs);
}

/* ---- text inputs (drawing and caret hit-testing share this) ---- */

struct input_geometry {
    struct sized_font *f;
    double *xs;          /* positions of the text, len + 1 */
    int len;
    double text_x;       /* content x of byte offset 0 (scrolled) */
    double top;          /* of the text line */
    int caret, anchor;   /* clamped to character starts */
};

static int clamp_offset(const char *s, int len, int32_t v) {
    int i = v < 0 ? 0 : v > len ? len : (int)v;
    while (i > 0 && !char_start(s, len, i))
        i--;
    return i;
}

/* Scrolled so that the caret shows: the text moves left only as far as
 * needed to keep the caret inside the box. false when out of memory. */
static bool input_geometry(const struct ui_node *n, const struct theme *th, struct input_geometry *g) {
    g->f = node_font(n, th);
    g->len = (int)n->text_len;
    g->xs = positions_of(g->f, n->text, g->len);
    if (!g->xs)
        return false;
    g->caret = clamp_offset(n->text, g->len, n->value);
    g->anchor = clamp_offset(n->text, g->len, n->min);
    int pad = th->control_padding;
    double room = n->rect.w - 2 * pad - 1;   /* the caret's pixel too */
    double scroll = g->xs[g->caret] > room ? g->xs[g->caret] - room : 0;
    g->text_x = n->rect.x + pad - ceil(scroll);
    int line_height = g->f ? g->f->line_height : 16;
    g->top = n->rect.y + (n->rect.h - line_height) / 2;
    return true;
}

int render_text_offset_at(const struct ui_node *input, const struct theme *th, int32_t x) {
    struct input_geometry g;
    if (input->kind != UI_KIND_TEXT_INPUT || !input_geometry(input, th, &g))
        return 0;
    int best = 0;
    double best_dist = INFINITY;
    for (int i = 0; i <= g.len; i++) {
        if (!char_start(input->text, g.len, i))
            continue;
        double d = fabs(g.text_x + g.xs[i] - x);
        if (d < best_dist) {
            best_dist = d;
            best = i;
        }
    }
    free(g.xs);
    return best;
}

/* ---- images ---- */

#define IMAGE_CACHE_SLOTS 16
#define IMAGE_CACHE_MAX_BYTES (24u << 20)

struct cached_image {
    uint64_t hash;        /* of the PNG bytes; 0: free slot */
    uint32_t len;
    cairo_surface_t *surface;   /* NULL: not a usable PNG (remembered, not retried) */
    size_t bytes;
    uint64_t last_used;
};

static struct cached_image image_cache[IMAGE_CACHE_SLOTS];
static uint64_t image_clock;

static uint64_t fnv1a(const uint8_t *p, size_t len) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < len; i++)
        h = (h ^ p[i]) * 0x100000001b3ull;
    return h | 1;   /* never 0, the free mark */
}

struct png_reader {
    const uint8_t *p;
    size_t left;
};

static cairo_status_t read_png(void *closure, unsigned char *data, unsigned int length) {
    struct png_reader *r = closure;
    if (length > r->left)
        return CAIRO_STATUS_READ_ERROR;
    memcpy(data, r->p, length);
    r->p += length;
    r->left -= length;
    return CAIRO_STATUS_SUCCESS;
}

static void cache_evict(struct cached_image *c) {
    if (c->surface)
        cairo_surface_destroy(c->surface);
    *c = (struct cached_image){0};
}

/* The decoded image for PNG bytes (cached), or NULL if they are not one. */
static cairo_surface_t *image_for(const uint8_t *data, uint32_t len) {
    if (!data || len == 0)
        return NULL;
    uint64_t hash = fnv1a(data, len);
    image_clock++;
    for (int i = 0; i < IMAGE_CACHE_SLOTS; i++)
        if (image_cache[i].hash == hash && image_cache[i].len == len) {
            image_cache[i].last_used = image_clock;
            return image_cache[i].surface;
        }
    struct png_reader reader = {data, len};
    cairo_surface_t *s = cairo_image_surface_create_from_png_stream(read_png, &reader);
    size_t bytes = 0;
    if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) {
        fprintf(stderr, "gui: image of %u bytes is not a usable PNG (cairo: %s)\n", len,
                cairo_status_to_string(cairo_surface_status(s)));
        cairo_surface_destroy(s);
        s = NULL;
    } else if (cairo_image_surface_get_width(s) > (int)UI_IMAGE_MAX_SIDE ||
               cairo_image_surface_get_height(s) > (int)UI_IMAGE_MAX_SIDE) {
        fprintf(stderr, "gui: image of %u bytes: larger than %u pixels a side\n", len, UI_IMAGE_MAX_SIDE);
        cairo_surface_destroy(s);
        s = NULL;
    } else {
        bytes = (size_t)cairo_image_surface_get_stride(s) * (size_t)cairo_image_surface_get_height(s);
    }
    /* Room: drop the least recently used until a slot is free and the
     * decoded bytes fit. */
    for (;;) {
        size_t total = bytes;
        int free_slot = -1, oldest = -1;
        for (int i = 0; i < IMAGE_CACHE_SLOTS; i++) {
            if (image_cache[i].hash == 0) {
                free_slot = i;
                continue;
            }
            total += image_cache[i].bytes;
            if (oldest < 0 || image_cache[i].last_used < image_cache[oldest].last_used)
                oldest = i;
        }
        if (free_slot >= 0 && (total <= IMAGE_CACHE_MAX_BYTES || oldest < 0)) {
            image_cache[free_slot] = (struct cached_image){hash, len, s, bytes, image_clock};
            return s;
        }
        cache_evict(&image_cache[oldest]);
    }
}

/* A picture that could not be decoded: a grey box with a cross. */
static void draw_broken_image(cairo_t *cr, struct ui_rect r, const struct theme *th) {
    cairo_rectangle(cr, r.x, r.y, r.w, r.h);
    render_set_rgba(cr, fade(th->text_dim, 0.25));
    cairo_fill(cr);
    render_set_rgba(cr, th->text_dim);
    cairo_set_line_width(cr, 1);
    cairo_rectangle(cr, r.x + 0.5, r.y + 0.5, r.w - 1, r.h - 1);
    cairo_move_to(cr, r.x + 0.5, r.y + 0.5);
    cairo_line_to(cr, r.x + r.w - 0.5, r.y + r.h - 0.5);
    cairo_move_to(cr, r.x + r.w - 0.5, r.y + 0.5);
    cairo_line_to(cr, r.x + 0.5, r.y + r.h - 0.5);
    cairo_stroke(cr);
}

static void draw_image(cairo_t *cr, const struct ui_node *n, const struct theme *th) {
    struct ui_rect r = n->rect;
    if (r.w <= 0 || r.h <= 0)
        return;
    cairo_surface_t *s = image_for(n->data, n->data_len);
    if (!s) {
        draw_broken_image(cr, r, th);
        return;
    }
    int iw = cairo_image_surface_get_width(s), ih = cairo_image_surface_get_height(s);
    if (iw <= 0 || ih <= 0)
        return;
    cairo_save(cr);
    cairo_translate(cr, r.x, r.y);
    cairo_scale(cr, (double)r.w / iw, (double)r.h / ih);
    cairo_set_source_surface(cr, s, 0, 0);
    cairo_pattern_set_filter(cairo_get_source(cr), iw == r.w && ih == r.h ? CAIRO_FILTER_NEAREST
                                                                           : CAIRO_FILTER_GOOD);
    cairo_rectangle(cr, 0, 0, iw, ih);
    cairo_fill(cr);
    cairo_restore(cr);
}

/* ---- widgets ---- */

/* What a node inherits from its ancestors while drawing. */
#define NODE_DISABLED 0x1u      /* it or an ancestor is disabled */
#define NODE_SELECTED 0x2u      /* it is, or is inside, the selected item of a list */

struct paint {
    cairo_t *cr;
    const struct ui_tree *t;
    const struct theme *th;
    const struct ui_view *view;
    struct ui_rect clip;
    uint8_t *state;             /* NODE_* per node index */
};

static bool hovered(const struct paint *p, const struct ui_node *n) { return p->view && p->view->hover == n->id; }
static bool pressed(const struct paint *p, const struct ui_node *n) { return p->view && p->view->pressed == n->id; }
static bool focused(const struct paint *p, const struct ui_node *n) { return p->view && p->view->focus == n->id; }

static double control_radius(const struct theme *th, struct ui_rect r) {
    return fmin(th->corner_radius, fmin(r.w, r.h) / 2.0);
}

/* The focus ring: 2 pixels of accent just inside the control's edge. */
static void draw_focus_ring(cairo_t *cr, struct ui_rect r, double radius, const struct theme *th) {
    stroke_inside(cr, r, radius, 2, th->accent);
}

/* A widget drawn at half strength when disabled: drawn into a group first. */
static bool greyed(uint16_t kind) {
    return kind == UI_KIND_BUTTON || kind == UI_KIND_TEXT_INPUT || kind == UI_KIND_CHECKBOX ||
           kind == UI_KIND_SLIDER || kind == UI_KIND_IMAGE;
}

static uint32_t text_color(const struct paint *p, uint32_t index, uint32_t otherwise) {
    const struct ui_node *n = &p->t->nodes[index];
    if ((p->state[index] & NODE_DISABLED) && !greyed(n->kind))   /* greyed widgets fade whole */
        return p->th->text_dim;
    if (n->flags & UI_FLAG_HAS_COLOR)
        return n->color;
    if (p->state[index] & NODE_SELECTED)
        return p->th->list_selected_text;
    return otherwise;
}

static void draw_text_node(const struct paint *p, uint32_t index) {
    const struct ui_node *n = &p->t->nodes[index];
    bool wrap = n->flags & UI_FLAG_WRAP;
    /* Labels sit in the middle of the room they get; wrapped text reads from the top. */
    bool label = n->parent != UI_NONE && p->t->nodes[n->parent].kind == UI_KIND_BUTTON;
    draw_text_block(p->cr, node_font(n, p->th), n->text, (int)n->text_len, wrap ? n->rect.w : 0, n->rect,
                    n->align, !wrap, text_color(p, index, label ? p->th->button_text : p->th->text));
}

static void draw_button(const struct paint *p, uint32_t index) {
    const struct ui_node *n = &p->t->nodes[index];
    const struct theme *th = p->th;
    cairo_t *cr = p->cr;
    bool disabled = p->state[index] & NODE_DISABLED;
    double radius = control_radius(th, n->rect);
    uint32_t bg = n->flags & UI_FLAG_HAS_BACKGROUND ? n->background : th->button_bg;
    if (!disabled && pressed(p, n))
        bg = n->flags & UI_FLAG_HAS_BACKGROUND ? mix(bg, 0x000000ff, 0.18) : th->button_pressed;
    else if (!disabled && hovered(p, n))
        bg = n->flags & UI_FLAG_HAS_BACKGROUND ? mix(bg, 0xffffffff, 0.12) : th->button_hover;
    fill_rounded(cr, n->rect, radius, bg);
    stroke_inside(cr, n->rect, radius, 1, mix(bg, 0x000000ff, 0.16));
    if (n->text_len > 0) {
        /* Labels are centred; the text box is the button less its padding. */
        struct ui_rect box = {n->rect.x + th->control_padding / 2, n->rect.y,
                              n->rect.w - th->control_padding, n->rect.h};
        draw_text_block(cr, node_font(n, th), n->text, (int)n->text_len, 0, box, UI_ALIGN_CENTER, true,
                        text_color(p, index, th->button_text));
    }
    if (!disabled && focused(p, n))
        draw_focus_ring(cr, n->rect, radius, th);
}

static void draw_text_input(const struct paint *p, uint32_t index) {
    const struct ui_node *n = &p->t->nodes[index];
    const struct theme *th = p->th;
    cairo_t *cr = p->cr;
    bool disabled = p->state[index] & NODE_DISABLED;
    bool has_focus = !disabled && focused(p, n);
    double radius = control_radius(th, n->rect);
    fill_rounded(cr, n->rect, radius, n->flags & UI_FLAG_HAS_BACKGROUND ? n->background : th->input_bg);
    if (has_focus)
        draw_focus_ring(cr, n->rect, radius, th);
    else
        stroke_inside(cr, n->rect, radius, 1, hovered(p, n) && !disabled ? mix(th->input_border, th->accent, 0.5)
                                                                         : th->input_border);
    struct input_geometry g;
    if (!input_geometry(n, th, &g))
        return;
    int pad = th->control_padding;
    int line_height = g.f ? g.f->line_height : 16;
    cairo_save(cr);
    cairo_rectangle(cr, n->rect.x + pad - 1, n->rect.y + 2, n->rect.w - 2 * pad + 2, n->rect.h - 4);
    cairo_clip(cr);
    if (g.len == 0) {
        struct ui_rect box = {n->rect.x + pad, (int)g.top, n->rect.w - 2 * pad, line_height};
        draw_text_block(cr, g.f, n->placeholder, (int)strlen(n->placeholder), 0, box, UI_ALIGN_START, false,
                        th->text_dim);
    } else {
        if (g.anchor != g.caret && !disabled) {
            double x0 = g.text_x + g.xs[g.anchor < g.caret ? g.anchor : g.caret];
            double x1 = g.text_x + g.xs[g.anchor < g.caret ? g.caret : g.anchor];
            cairo_rectangle(cr, round(x0), g.top, round(x1) - round(x0), line_height);
            render_set_rgba(cr, has_focus ? th->selection : fade(th->selection, 0.6));
            cairo_fill(cr);
        }
        render_set_rgba(cr, text_color(p, index, th->text));
        draw_run(cr, g.f, n->text, 0, g.len, g.text_x, g.top + (g.f ? g.f->ascent : 12));
    }
    if (has_focus) {
        cairo_rectangle(cr, round(g.text_x + g.xs[g.caret]), g.top, 1, line_height);
        render_set_rgba(cr, th->text);
        cairo_fill(cr);
    }
    cairo_restore(cr);
    free(g.xs);
}

static void draw_checkbox(const struct paint *p, uint32_t index) {
    const struct ui_node *n = &p->t->nodes[index];
    const struct theme *th = p->th;
    cairo_t *cr = p->cr;
    bool disabled = p->state[index] & NODE_DISABLED;
    int size = th->checkbox_size;
    struct ui_rect box = {n->rect.x, n->rect.y + (n->rect.h - size) / 2, size, size};
    double radius = fmax(2, th->corner_radius / 2.0);
    bool has_focus = !disabled && focused(p, n);
    if (n->value) {
        fill_rounded(cr, box, radius, !disabled && hovered(p, n) ? mix(th->accent, 0x000000ff, 0.1) : th->accent);
        if (has_focus)   /* the focus ring inside the box: the node's clip is tight around it */
            stroke_inside(cr, box, radius, 2, mix(th->accent, 0x000000ff, 0.35));
        /* the tick */
        cairo_move_to(cr, box.x + size * 0.24, box.y + size * 0.52);
        cairo_line_to(cr, box.x + size * 0.43, box.y + size * 0.70);
        cairo_line_to(cr, box.x + size * 0.77, box.y + size * 0.31);
        cairo_set_line_width(cr, fmax(1.5, size / 8.0));
        cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
        cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
        render_set_rgba(cr, th->accent_text);
        cairo_stroke(cr);
    } else {
        fill_rounded(cr, box, radius, th->input_bg);
        if (has_focus)
            stroke_inside(cr, box, radius, 2, th->accent);
        else
            stroke_inside(cr, box, radius, 1, !disabled && hovered(p, n) ? th->accent : th->input_border);
    }
    if (n->text_len > 0) {
        struct ui_rect label = {box.x + size + GUI_CHECKBOX_GAP, n->rect.y,
                                n->rect.w - size - GUI_CHECKBOX_GAP, n->rect.h};
        draw_text_block(cr, node_font(n, th), n->text, (int)n->text_len, 0, label, UI_ALIGN_START, true,
                        text_color(p, index, th->text));
    }
}

static void draw_slider(const struct paint *p, uint32_t index) {
    const struct ui_node *n = &p->t->nodes[index];
    const struct theme *th = p->th;
    cairo_t *cr = p->cr;
    bool disabled = p->state[index] & NODE_DISABLED;
    struct ui_rect r = n->rect;
    /* The knob's centre runs from one end of the track to the other, half a
     * knob in from each side (ui_slider_value_at reads the same track). */
    double knob = th->slider_height / 2;   /* whole pixels, as ui_slider_value_at */
    double x0 = r.x + knob, x1 = r.x + r.w - knob, cy = r.y + r.h / 2.0;
    double t = n->max > n->min ? (double)(n->value - n->min) / ((double)n->max - n->min) : 0;
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    double kx = x0 + (x1 - x0) * t;
    double track = 4;
    render_rounded_rect(cr, x0 - track / 2, cy - track / 2, x1 - x0 + track, track, track / 2);
    render_set_rgba(cr, th->input_border);
    cairo_fill(cr);
    render_rounded_rect(cr, x0 - track / 2, cy - track / 2, kx - x0 + track, track, track / 2);
    render_set_rgba(cr, disabled ? th->text_dim : th->accent);
    cairo_fill(cr);
    double kr = knob - 1;
    if (!disabled && focused(p, n)) {
        cairo_arc(cr, kx, cy, kr + 1, 0, 2 * PI);
        render_set_rgba(cr, fade(th->accent, 0.35));
        cairo_fill(cr);
        kr -= 1;
    }
    cairo_arc(cr, kx, cy + 0.5, kr, 0, 2 * PI);   /* a soft shadow under the knob */
    render_set_rgba(cr, 0x00000030);
    cairo_fill(cr);
    cairo_arc(cr, kx, cy, kr, 0, 2 * PI);
    uint32_t face = th->input_bg == th->window_bg ? th->button_bg : 0xffffffff;
    if (!disabled && (pressed(p, n) || hovered(p, n)))
        face = mix(face, th->accent, pressed(p, n) ? 0.25 : 0.1);
    render_set_rgba(cr, face);
    cairo_fill_preserve(cr);
    cairo_set_line_width(cr, 1);
    render_set_rgba(cr, mix(th->input_border, 0x000000ff, 0.1));
    cairo_stroke(cr);
}

/* The index of the selected child of a list, or UI_NONE. */
static uint32_t list_selected(const struct ui_tree *t, const struct ui_node *list) {
    if (list->value < 0)
        return UI_NONE;
    uint32_t c = list->first_child;
    for (int32_t i = 0; c != UI_NONE && i < list->value; i++)
        c = t->nodes[c].next_sibling;
    return c;
}

static void draw_list(const struct paint *p, uint32_t index) {
    const struct ui_node *n = &p->t->nodes[index];
    const struct theme *th = p->th;
    cairo_t *cr = p->cr;
    double radius = control_radius(th, n->rect);
    fill_rounded(cr, n->rect, radius, n->flags & UI_FLAG_HAS_BACKGROUND ? n->background : th->list_bg);
    /* The item rows: the selected one highlighted, the hovered one tinted,
     * each across the list's whole width. */
    bool disabled = p->state[index] & NODE_DISABLED;
    uint32_t selected = list_selected(p->t, n);
    cairo_save(cr);
    render_rounded_rect(cr, n->rect.x, n->rect.y, n->rect.w, n->rect.h, radius);
    cairo_clip(cr);
    int pad = th->list_item_padding;
    for (uint32_t c = n->first_child; c != UI_NONE; c = p->t->nodes[c].next_sibling) {
        const struct ui_node *item = &p->t->nodes[c];
        struct ui_rect row = {n->rect.x, item->rect.y - pad, n->rect.w, item->rect.h + 2 * pad};
        if (row.y > n->rect.y + n->rect.h)
            break;
        if (row.y + row.h < n->rect.y)
            continue;
        uint32_t shade;
        if (c == selected)
            shade = disabled ? th->text_dim : th->list_selected;
        else if (!disabled && hovered(p, item))
            shade = fade(th->accent, 0.12);
        else
            continue;
        cairo_rectangle(cr, row.x, row.y, row.w, row.h);
        render_set_rgba(cr, shade);
        cairo_fill(cr);
    }
    cairo_restore(cr);
}

/* Over the list's items: its frame (rounded, the focus ring if it has focus)
 * and a thin scrollbar when they do not all fit. */
static void draw_list_overlay(const struct paint *p, uint32_t index) {
    const struct ui_node *n = &p->t->nodes[index];
    const struct theme *th = p->th;
    cairo_t *cr = p->cr;
    double radius = control_radius(th, n->rect);
    if (!(p->state[index] & NODE_DISABLED) && focused(p, n))
        draw_focus_ring(cr, n->rect, radius, th);
    else
        stroke_inside(cr, n->rect, radius, 1, th->input_border);
    if (n->content_h <= n->rect.h || n->rect.h <= 4)
        return;
    double track = n->rect.h - 4;
    double thumb = fmax(fmin(20, track), track * n->rect.h / n->content_h);
    double range = n->content_h - n->rect.h;
    double at = range > 0 ? (track - thumb) * fmin(1, fmax(0, (double)n->scroll / range)) : 0;
    double w = fmax(2, th->scrollbar_width - 2);
    render_rounded_rect(cr, n->rect.x + n->rect.w - w - 3, n->rect.y + 2 + at, w, thumb, w / 2);
    render_set_rgba(cr, fade(th->text, 0.4));
    cairo_fill(cr);
}

/* ---- canvas primitives ---- */

/* Outline and fill of the current path as a primitive asks. */
static void finish_shape(cairo_t *cr, const struct ui_node *n, bool fillable) {
    if (fillable && (n->flags & UI_FLAG_HAS_BACKGROUND)) {
        render_set_rgba(cr, n->background);
        if (n->flags & UI_FLAG_HAS_COLOR)
            cairo_fill_preserve(cr);
        else
            cairo_fill(cr);
    }
    if (n->flags & UI_FLAG_HAS_COLOR) {
        render_set_rgba(cr, n->color);
        cairo_set_line_width(cr, n->stroke ? n->stroke : 1);
        cairo_stroke(cr);
    }
    cairo_new_path(cr);
}

static void draw_primitive(const struct paint *p, uint32_t index) {
    const struct ui_node *n = &p->t->nodes[index];
    cairo_t *cr = p->cr;
    if (n->parent == UI_NONE)
        return;
    /* Primitives are placed in their canvas's pixels. */
    const struct ui_node *canvas = &p->t->nodes[n->parent];
    double ox = canvas->rect.x + n->x, oy = canvas->rect.y + n->y;
    int width = n->stroke ? n->stroke : 1;
    double half = width % 2 ? 0.5 : 0;   /* odd widths on pixel centres stay crisp */
    cairo_save(cr);
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_BUTT);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_MITER);
    switch (n->kind) {
    case UI_KIND_LINE:
        if (n->w == 0 || n->h == 0) {
            cairo_move_to(cr, ox + half, oy + half);
            cairo_line_to(cr, ox + n->w + half, oy + n->h + half);
        } else {
            cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
            cairo_move_to(cr, ox, oy);
            cairo_line_to(cr, ox + n->w, oy + n->h);
        }
        if (!(n->flags & UI_FLAG_HAS_COLOR)) {
            render_set_rgba(cr, p->th->text);   /* a line is only ever stroked */
            cairo_set_line_width(cr, width);
            cairo_stroke(cr);
        }
        finish_shape(cr, n, false);
        break;
    case UI_KIND_RECT: {
        /* The outline is inside the rect, as the fill is. */
        double inset = (n->flags & UI_FLAG_HAS_COLOR) ? width / 2.0 : 0;
        if (n->flags & UI_FLAG_HAS_BACKGROUND) {
            render_rounded_rect(cr, ox, oy, n->w, n->h, n->radius);
            render_set_rgba(cr, n->background);
            cairo_fill(cr);
        }
        if (n->flags & UI_FLAG_HAS_COLOR) {
            render_rounded_rect(cr, ox + inset, oy + inset, n->w - 2 * inset, n->h - 2 * inset,
                                fmax(0, n->radius - inset));
            render_set_rgba(cr, n->color);
            cairo_set_line_width(cr, width);
            cairo_stroke(cr);
        }
        break;
    }
    case UI_KIND_ARC: {
        double a0 = n->min * PI / 180, a1 = n->max * PI / 180;
        bool full = (int64_t)n->max - n->min >= 360 || (int64_t)n->min - n->max >= 360;
        if (n->flags & UI_FLAG_HAS_BACKGROUND) {
            if (full) {
                cairo_arc(cr, ox, oy, n->radius, 0, 2 * PI);
            } else {
                cairo_move_to(cr, ox, oy);
                cairo_arc(cr, ox, oy, n->radius, a0, a1);
                cairo_close_path(cr);
            }
            finish_shape(cr, n, true);
        } else {
            if (full)
                cairo_arc(cr, ox, oy, n->radius, 0, 2 * PI);
            else
                cairo_arc(cr, ox, oy, n->radius, a0, a1);
            finish_shape(cr, n, false);
        }
        break;
    }
    case UI_KIND_PATH: {
        uint32_t points = n->data_len / 8;
        if (points < 2 || !n->data)
            break;
        for (uint32_t i = 0; i < points; i++) {
            int32_t xy[2];
            memcpy(xy, n->data + 8 * i, sizeof xy);
            if (i == 0)
                cairo_move_to(cr, ox + xy[0] + half, oy + xy[1] + half);
            else
                cairo_line_to(cr, ox + xy[0] + half, oy + xy[1] + half);
        }
        if (n->flags & UI_FLAG_CLOSED)
            cairo_close_path(cr);
        cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
        finish_shape(cr, n, true);
        break;
    }
    }
    cairo_restore(cr);
}

/* ---- the tree ---- */

static void draw_node(const struct paint *p, uint32_t index) {
    const struct ui_node *n = &p->t->nodes[index];
    cairo_t *cr = p->cr;
    switch (n->kind) {
    case UI_KIND_TEXT:
        draw_text_node(p, index);
        break;
    case UI_KIND_BUTTON:
        draw_button(p, index);
        break;
    case UI_KIND_TEXT_INPUT:
        draw_text_input(p, index);
        break;
    case UI_KIND_CHECKBOX:
        draw_checkbox(p, index);
        break;
    case UI_KIND_SLIDER:
        draw_slider(p, index);
        break;
    case UI_KIND_IMAGE:
        draw_image(cr, n, p->th);
        break;
    case UI_KIND_LIST:
        draw_list(p, index);
        break;
    case UI_KIND_COLUMN:
    case UI_KIND_ROW:
    case UI_KIND_CANVAS:
        if (n->flags & UI_FLAG_HAS_BACKGROUND) {
            cairo_rectangle(cr, n->rect.x, n->rect.y, n->rect.w, n->rect.h);
            render_set_rgba(cr, n->background);
            cairo_fill(cr);
        }
        break;
    case UI_KIND_LINE:
    case UI_KIND_RECT:
    case UI_KIND_ARC:
    case UI_KIND_PATH:
        draw_primitive(p, index);
        break;
    default:   /* WINDOW (painted first), SPACER */
        break;
    }
}

/* Paints a node then its children (tree order), each clipped to its clip. */
static void paint_subtree(const struct paint *p, uint32_t index) {
    const struct ui_node *n = &p->t->nodes[index];
    cairo_t *cr = p->cr;
    struct ui_rect visible = ui_rect_intersect(n->clip, p->clip);
    bool shown = !ui_rect_empty(visible);
    if (shown && index != 0) {
        cairo_save(cr);
        cairo_rectangle(cr, visible.x, visible.y, visible.w, visible.h);
        cairo_clip(cr);
        bool group = (p->state[index] & NODE_DISABLED) && greyed(n->kind);
        if (group)
            cairo_push_group(cr);
        draw_node(p, index);
        if (group) {
            cairo_pop_group_to_source(cr);
            cairo_paint_with_alpha(cr, 0.5);
        }
        cairo_restore(cr);
    }
    for (uint32_t c = n->first_child; c != UI_NONE; c = p->t->nodes[c].next_sibling)
        paint_subtree(p, c);
    if (shown && n->kind == UI_KIND_LIST) {
        cairo_save(cr);
        cairo_rectangle(cr, visible.x, visible.y, visible.w, visible.h);
        cairo_clip(cr);
        draw_list_overlay(p, index);
        cairo_restore(cr);
    }
}

void render_tree(cairo_t *cr, const struct ui_tree *t, const struct theme *th, const struct ui_view *view,
                 struct ui_rect clip) {
    if (!t || t->count == 0 || ui_rect_empty(clip))
        return;
    uint8_t *state = calloc(t->count, 1);
    if (!state) {
        fprintf(stderr, "gui: out of memory drawing a window\n");
        return;
    }
    /* Parents come before their children, so one forward pass settles what
     * each node inherits. */
    for (uint32_t i = 0; i < t->count; i++) {
        const struct ui_node *n = &t->nodes[i];
        if (n->flags & UI_FLAG_DISABLED)
            state[i] |= NODE_DISABLED;
        if (n->parent != UI_NONE && n->parent < i)
            state[i] |= state[n->parent];
        if (n->kind == UI_KIND_LIST) {
            uint32_t sel = list_selected(t, n);
            if (sel != UI_NONE)
                state[sel] |= NODE_SELECTED;
        }
    }
    cairo_save(cr);
    cairo_rectangle(cr, clip.x, clip.y, clip.w, clip.h);
    cairo_clip(cr);
    const struct ui_node *root = &t->nodes[0];
    render_set_rgba(cr, root->flags & UI_FLAG_HAS_BACKGROUND ? root->background : th->window_bg);
    cairo_paint(cr);
    struct paint p = {cr, t, th, view, clip, state};
    paint_subtree(&p, 0);
    cairo_restore(cr);
    free(state);
}

/* ---- decorations ---- */

/* Drops a UTF-8 character that a length limit cut short at the end of s. */
static void cut_partial_utf8(char *s) {
    size_t n = strlen(s), k = n;
    while (k > 0 && ((unsigned char)s[k - 1] & 0xc0) == 0x80)
        k--;
    if (k == 0)
        return;
    unsigned char lead = (unsigned char)s[k - 1];
    size_t need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
    if (n - (k - 1) < need)
        s[k - 1] = '\0';
}

struct ui_rect render_close_button_rect(int w, const struct theme *th) {
    int size = GUI_CLOSE_SIZE < th->title_height - 8 ? GUI_CLOSE_SIZE : th->title_height - 8;
    int right_gap = (th->title_height - size) / 2 + 2;
    return (struct ui_rect){GUI_BORDER + w - right_gap - size, GUI_BORDER + (th->title_height - size) / 2, size,
                            size};
}

void render_decorations(cairo_t *cr, const char *title, int w, int h, const struct theme *th,
                        const struct decoration_state *st) {
    int fw = GUI_FRAME_W(w), fh = GUI_FRAME_H(h, th);
    int radius = th->corner_radius;
    uint32_t bar = st->not_responding ? th->not_responding : st->focused ? th->title_bar : th->title_bar_inactive;
    uint32_t ink = st->focused || st->not_responding ? th->title_text : th->title_text_inactive;
    cairo_save(cr);
    /* title bar: a faint top-down sheen, then a hairline under it */
    rounded_top_rect(cr, GUI_BORDER, GUI_BORDER, w, th->title_height, radius - GUI_BORDER);
    cairo_pattern_t *sheen = cairo_pattern_create_linear(0, GUI_BORDER, 0, GUI_BORDER + th->title_height);
    uint32_t top = mix(bar, 0xffffffff, 0.06);
    cairo_pattern_add_color_stop_rgba(sheen, 0, (top >> 24) / 255.0, (top >> 16 & 0xff) / 255.0,
                                      (top >> 8 & 0xff) / 255.0, (top & 0xff) / 255.0);
    cairo_pattern_add_color_stop_rgba(sheen, 1, (bar >> 24) / 255.0, (bar >> 16 & 0xff) / 255.0,
                                      (bar >> 8 & 0xff) / 255.0, (bar & 0xff) / 255.0);
    cairo_set_source(cr, sheen);
    cairo_fill(cr);
    cairo_pattern_destroy(sheen);
    cairo_rectangle(cr, GUI_BORDER, GUI_CONTENT_Y(th) - 1, w, 1);
    render_set_rgba(cr, fade(th->border, 0.7));
    cairo_fill(cr);

    /* close button: a circle with an x, red when the pointer is on it */
    struct ui_rect close = render_close_button_rect(w, th);
    double cx = close.x + close.w / 2.0, cy = close.y + close.h / 2.0, cr_ = close.w / 2.0;
    cairo_arc(cr, cx, cy, cr_, 0, 2 * PI);
    if (st->close_pressed)
        render_set_rgba(cr, mix(th->close_hover, 0x000000ff, 0.2));
    else if (st->close_hover)
        render_set_rgba(cr, th->close_hover);
    else
        render_set_rgba(cr, fade(ink, 0.12));
    cairo_fill(cr);
    double arm = cr_ * 0.38;
    cairo_move_to(cr, cx - arm, cy - arm);
    cairo_line_to(cr, cx + arm, cy + arm);
    cairo_move_to(cr, cx + arm, cy - arm);
    cairo_line_to(cr, cx - arm, cy + arm);
    cairo_set_line_width(cr, 1.5);
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
    render_set_rgba(cr, st->close_hover || st->close_pressed ? 0xffffffff : ink);
    cairo_stroke(cr);

    /* title: bold, centred on the frame if it fits beside the close button */
    char text[256];
    snprintf(text, 200, "%s", title ? title : "");
    cut_partial_utf8(text);
    if (st->not_responding)
        strcat(text, " (not responding)");
    struct sized_font *f = font_at(UI_FONT_SANS_BOLD, th->font_size[UI_SIZE_BODY] - 1);
    if (f) {
        double baseline = GUI_BORDER + (th->title_height - f->line_height) / 2 + f->ascent;
        double side = fw - close.x;   /* room kept free on both sides, so it centres */
        double room = fw - 2 * side;
        double tw = render_text_width(UI_FONT_SANS_BOLD, th->font_size[UI_SIZE_BODY] - 1, text);
        render_set_rgba(cr, ink);
        if (tw <= room) {
            draw_run(cr, f, text, 0, (int)strlen(text), floor((fw - tw) / 2), baseline);
        } else {
            double left = GUI_BORDER + 12;
            draw_ellipsised(cr, f, text, left, baseline, close.x - 8 - left);
        }
    }

    /* the border: around title bar and content, rounded at the top */
    rounded_top_rect(cr, 0.5, 0.5, fw - 1, fh - 1, radius);
    cairo_set_line_width(cr, 1);
    render_set_rgba(cr, st->focused ? th->border : fade(th->border, 0.8));
    cairo_stroke(cr);
    cairo_restore(cr);
}

void render_shadow(cairo_t *cr, int fw, int fh, const struct theme *th) {
    int size = th->shadow_size;
    if (size <= 0 || (th->shadow & 0xff) == 0)
        return;
    double drop = size / 4.0;   /* light from above: more shadow below than above */
    cairo_save(cr);
    /* Only outside the frame. */
    cairo_set_fill_rule(cr, CAIRO_FILL_RULE_EVEN_ODD);
    cairo_rectangle(cr, -2 * size, -2 * size, fw + 4 * size, fh + 4 * size);
    rounded_top_rect(cr, 0, 0, fw, fh, th->corner_radius);
    cairo_clip(cr);
    /* Rings of falling strength, each the band between two rounded rects
     * (even-odd); the innermost is filled whole. */
    for (int i = 0; i < size; i++) {
        double t = (double)(size - i) / size;   /* 1 next to the frame, falling outwards */
        double out = i + 1;
        render_rounded_rect(cr, -out, -out + drop, fw + 2 * out, fh + 2 * out - drop, th->corner_radius + out);
        if (i > 0)
            render_rounded_rect(cr, -i, -i + drop, fw + 2 * i, fh + 2 * i - drop, th->corner_radius + i);
        render_set_rgba(cr, fade(th->shadow, t * t * 0.8));
        cairo_fill(cr);
    }
    cairo_restore(cr);
}

/* ---- the desktop background ---- */

/* The finished background is kept for the size and theme it was made for, so
 * repainting a damaged part of the screen is a copy. */
static struct {
    cairo_surface_t *picture;
    int w, h;
    uint32_t top, bottom;
    char path[sizeof ((struct theme *)0)->wallpaper];
} wallpaper;

/* The theme's PNG scaled to cover w x h, centred (what sticks out is cut). */
static bool paint_wallpaper_png(cairo_t *cr, int w, int h, const char *path) {
    cairo_surface_t *img = cairo_image_surface_create_from_png(path);
    if (cairo_surface_status(img) != CAIRO_STATUS_SUCCESS || cairo_image_surface_get_width(img) <= 0 ||
        cairo_image_surface_get_height(img) <= 0) {
        fprintf(stderr, "gui: wallpaper %s: %s (using the gradient)\n", path,
                cairo_status_to_string(cairo_surface_status(img)));
        cairo_surface_destroy(img);
        return false;
    }
    int iw = cairo_image_surface_get_width(img), ih = cairo_image_surface_get_height(img);
    double scale = fmax((double)w / iw, (double)h / ih);
    cairo_save(cr);
    cairo_translate(cr, (w - iw * scale) / 2, (h - ih * scale) / 2);
    cairo_scale(cr, scale, scale);
    cairo_set_source_surface(cr, img, 0, 0);
    cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_GOOD);
    cairo_paint(cr);
    cairo_restore(cr);
    cairo_surface_destroy(img);
    return true;
}

/* The gradient from top to bottom, with a soft glow from the upper left. */
static void paint_gradient(cairo_t *cr, int w, int h, uint32_t top, uint32_t bottom) {
    cairo_pattern_t *g = cairo_pattern_create_linear(0, 0, 0, h);
    cairo_pattern_add_color_stop_rgb(g, 0, (top >> 24) / 255.0, (top >> 16 & 0xff) / 255.0,
                                     (top >> 8 & 0xff) / 255.0);
    cairo_pattern_add_color_stop_rgb(g, 1, (bottom >> 24) / 255.0, (bottom >> 16 & 0xff) / 255.0,
                                     (bottom >> 8 & 0xff) / 255.0);
    cairo_set_source(cr, g);
    cairo_paint(cr);
    cairo_pattern_destroy(g);
    double reach = fmax(w, h) * 0.9;
    cairo_pattern_t *glow = cairo_pattern_create_radial(w * 0.2, h * 0.1, 0, w * 0.2, h * 0.1, reach);
    cairo_pattern_add_color_stop_rgba(glow, 0, 1, 1, 1, 0.16);
    cairo_pattern_add_color_stop_rgba(glow, 1, 1, 1, 1, 0);
    cairo_set_source(cr, glow);
    cairo_paint(cr);
    cairo_pattern_destroy(glow);
}

void render_wallpaper(cairo_t *cr, int w, int h, const struct theme *th) {
    if (w <= 0 || h <= 0)
        return;
    if (!wallpaper.picture || wallpaper.w != w || wallpaper.h != h || wallpaper.top != th->wallpaper_top ||
        wallpaper.bottom != th->wallpaper_bottom || strcmp(wallpaper.path, th->wallpaper) != 0) {
        if (wallpaper.picture)
            cairo_surface_destroy(wallpaper.picture);
        wallpaper.picture = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
        if (cairo_surface_status(wallpaper.picture) != CAIRO_STATUS_SUCCESS) {
            cairo_surface_destroy(wallpaper.picture);
            wallpaper.picture = NULL;
            /* no memory for a copy: straight onto the screen */
            if (!th->wallpaper[0] || !paint_wallpaper_png(cr, w, h, th->wallpaper))
                paint_gradient(cr, w, h, th->wallpaper_top, th->wallpaper_bottom);
            return;
        }
        wallpaper.w = w;
        wallpaper.h = h;
        wallpaper.top = th->wallpaper_top;
        wallpaper.bottom = th->wallpaper_bottom;
        snprintf(wallpaper.path, sizeof wallpaper.path, "%s", th->wallpaper);
        cairo_t *pc = cairo_create(wallpaper.picture);
        if (!th->wallpaper[0] || !paint_wallpaper_png(pc, w, h, th->wallpaper))
            paint_gradient(pc, w, h, th->wallpaper_top, th->wallpaper_bottom);
        cairo_destroy(pc);
        cairo_surface_flush(wallpaper.picture);
    }
    cairo_save(cr);
    cairo_set_source_surface(cr, wallpaper.picture, 0, 0);
    cairo_rectangle(cr, 0, 0, w, h);
    cairo_fill(cr);
    cairo_restore(cr);
}
