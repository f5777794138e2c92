/*
 * Drawing a window's content tree and its decorations with Cairo
 * (render.c); fonts are DejaVu from the boot archive through FreeType.
 */
#ifndef GUI_RENDER_H
#define GUI_RENDER_H

#include <cairo.h>
#include "theme.h"
#include "tree.h"

/* Loads the fonts (/fonts/DejaVuSans.ttf, -Bold, Mono); 0 or -E_*. */
int render_init(void);
/* The same from another directory (host tools: /usr/share/fonts/truetype/dejavu). */
int render_init_fonts(const char *dir);
/* The measure callback layout uses (ctx unused). Its text_size argument is
 * the font's size in pixels (layout.c passes th->font_size[node->text_size]),
 * so measuring needs no theme state. */
extern const struct ui_measure render_measure;

/* Draws the content of a laid-out tree, in content coordinates (cr's origin
 * at the content's top-left), only within clip. Paints the window
 * background first. Decoded PNGs are cached by render.c between calls. */
void render_tree(cairo_t *cr, const struct ui_tree *t, const struct theme *th, const struct ui_view *view,
                 struct ui_rect clip);

/*
 * A window's frame: a GUI_BORDER-pixel border around a title bar of
 * th->title_height and the content under it. Content of w x h makes a frame
 * of GUI_FRAME_W(w) x GUI_FRAME_H(h, th) whose content starts at
 * (GUI_CONTENT_X, GUI_CONTENT_Y(th)). The window's shadow reaches
 * th->shadow_size beyond the frame (more below it than above).
 */
#define GUI_BORDER 1
#define GUI_CLOSE_SIZE 18            /* close button diameter (smaller in a low title bar) */
#define GUI_FRAME_W(w) ((w) + 2 * GUI_BORDER)
#define GUI_FRAME_H(h, th) ((h) + (th)->title_height + 2 * GUI_BORDER)
#define GUI_CONTENT_X GUI_BORDER
#define GUI_CONTENT_Y(th) (GUI_BORDER + (th)->title_height)
/* CHECKBOX: the gap between its box and its label (layout and drawing). */
#define GUI_CHECKBOX_GAP 8

/* The close button's rect in frame coordinates, for content w pixels wide. */
struct ui_rect render_close_button_rect(int w, const struct theme *th);

/* Frame around content of w x h: title bar (title, close button) above it,
 * border, rounded top corners; cr's origin at the frame's top-left. The
 * content area itself is not touched. */
struct decoration_state {
    bool focused, not_responding, close_hover, close_pressed;
};
void render_decorations(cairo_t *cr, const char *title, int w, int h, const struct theme *th,
                        const struct decoration_state *st);

/* The soft shadow around a frame of fw x fh at cr's origin (outside it only). */
void render_shadow(cairo_t *cr, int fw, int fh, const struct theme *th);

/* TEXT_INPUT: the byte offset in node->text nearest content x (for carets). */
int render_text_offset_at(const struct ui_node *input, const struct theme *th, int32_t x);

/* The desktop background of a w x h screen from the theme (its wallpaper
 * PNG scaled to cover, or its gradient), into cr at the origin. */
void render_wallpaper(cairo_t *cr, int w, int h, const struct theme *th);

/* One text run with a theme font (the desktop's menu bar and start menu use it too). */
void render_text(cairo_t *cr, int font, int size_px, const char *s, double x, double baseline, uint32_t rgba);
/* Its advance width in pixels. */
double render_text_width(int font, int size_px, const char *s);
void render_set_rgba(cairo_t *cr, uint32_t rgba);
void render_rounded_rect(cairo_t *cr, double x, double y, double w, double h, double r);

#endif
