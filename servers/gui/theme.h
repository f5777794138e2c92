/*
 * Themes (themes/NAME.theme): colours, fonts and sizes, corner radius,
 * wallpaper. A theme file is "key = value" lines ('#' comments); colours are
 * #RRGGBB or #RRGGBBAA. Keys not given keep the built-in light theme's value;
 * unknown keys and bad values are reported, not fatal.
 */
#ifndef GUI_THEME_H
#define GUI_THEME_H

#include <stddef.h>
#include <stdint.h>
#include <ui/wire.h>

struct theme {
    char name[32];
    /* colours, 0xRRGGBBAA */
    uint32_t wallpaper_top, wallpaper_bottom;   /* gradient behind everything */
    uint32_t menu_bar, menu_bar_text, start_button, start_button_text;
    uint32_t menu_bg, menu_text, menu_hover;    /* start menu */
    uint32_t window_bg, text, text_dim, border;
    uint32_t title_bar, title_bar_inactive, title_text, title_text_inactive, close_hover;
    uint32_t accent, accent_text;               /* focus ring, selections, checked boxes, slider fill */
    uint32_t button_bg, button_hover, button_pressed, button_text;
    uint32_t input_bg, input_border, selection;
    uint32_t list_bg, list_selected, list_selected_text;
    uint32_t shadow;                            /* alpha = strength */
    uint32_t not_responding;                    /* title bar of a hung app */
    char wallpaper[64];                         /* a PNG in the boot archive, or "" for the gradient */
    /* sizes in pixels */
    int font_size[UI_SIZE_MAX + 1];             /* BODY, H1, H2, H3, SMALL */
    int corner_radius;                          /* windows, buttons, inputs */
    int title_height;                           /* window title bar */
    int control_height;                         /* buttons, text inputs */
    int control_padding;                        /* inside buttons and inputs, left and right */
    int checkbox_size;
    int slider_height;
    int list_item_padding;
    int scrollbar_width;
    int shadow_size;                            /* window shadow spread */
    int menu_bar_height;
};

/* The built-in light theme (also the base every file starts from). */
void theme_default(struct theme *th);
/* Parses a theme file over th (start with theme_default). Returns the number
 * of lines it could not use; the first problem goes to reason. */
int theme_parse(const char *text, size_t len, struct theme *th, char *reason, size_t reason_cap);

#endif
