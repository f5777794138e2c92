/*
 * The desktop around the windows: the wallpaper, the menu bar (start button
 * at its top-left corner, date and clock at its right), the start menu
 * listing the apps installed in /apps, and the themes in /themes. Each part
 * is a cached surface the compositor copies; the clock redraws only its own
 * rectangle once a second.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <tessera/runtime.h>
#include <tessera/syscall.h>
#include "gui.h"
#include "idl/init.h"

#define MAX_THEMES 8
#define THEME_FILE_MAX 16384
#define MAX_APPS 32
#define APP_CONF_MAX 4096
#define START_X 4
#define START_W 104
#define CLOCK_W 200
#define MENU_ROW_H 44
#define MENU_PAD 6
#define MENU_MIN_W 240
#define ICON_SIZE 32

static struct theme themes[MAX_THEMES];
static int nthemes;

struct app {
    char dir[32];          /* /apps/<dir>/<dir> is the program */
    char name[48];
    cairo_surface_t *icon; /* NULL if it has none */
};
static struct app apps[MAX_APPS];
static int napps;

static cairo_surface_t *wallpaper, *bar, *menu;
static bool menu_open;
static struct ui_rect menu_rect;
static int menu_hover = -1, menu_pressed = -1;

int32_t menu_bar_height(void) {
    return theme.menu_bar_height > 0 ? theme.menu_bar_height : 28;
}

/* ---- files ---- */

/* The whole of a small file, NUL-terminated; NULL if unreadable or too big. */
static char *read_file(const char *path, size_t max, size_t *len) {
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    char *buf = malloc(max + 1);
    size_t n = buf ? fread(buf, 1, max + 1, f) : 0;
    fclose(f);
    if (!buf || n > max) {
        free(buf);
        return NULL;
    }
    buf[n] = 0;
    *len = n;
    return buf;
}

static int by_name(const void *a, const void *b) {
    return strcmp((const char *)a, (const char *)b);
}

/* Sorted names in dir (at most max of them, each < 64 bytes), skipping
 * dot entries; the count. */
static int list_dir(const char *dir, char (*names)[64], int max) {
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < max) {
        if (e->d_name[0] == '.' || strlen(e->d_name) >= 64)
            continue;
        strcpy(names[n++], e->d_name);
    }
    closedir(d);
    qsort(names, (size_t)n, sizeof(names[0]), by_name);
    return n;
}

/* ---- themes ---- */

void themes_load(void) {
    char names[MAX_THEMES * 2][64];
    int n = list_dir("/themes", names, MAX_THEMES * 2);
    for (int i = 0; i < n && nthemes < MAX_THEMES; i++) {
        size_t l = strlen(names[i]);
        if (l < 7 || strcmp(names[i] + l - 6, ".theme"))
            continue;
        char path[96], reason[128] = "";
        snprintf(path, sizeof(path), "/themes/%s", names[i]);
        size_t len;
        char *text = read_file(path, THEME_FILE_MAX, &len);
        if (!text) {
            log_printf("gui: cannot read %s\n", path);
            continue;
        }
        struct theme *th = &themes[nthemes];
        theme_default(th);
        int bad = theme_parse(text, len, th, reason, sizeof(reason));
        free(text);
        if (bad)
            log_printf("gui: %s: %d lines not used, the first: %s\n", path, bad, reason);
        if (!th->name[0] || (nthemes && !strcmp(th->name, themes[0].name))) {
            snprintf(th->name, sizeof(th->name), "%.*s", (int)(l - 6), names[i]);
        }
        nthemes++;
    }
    bool have_light = false;
    for (int i = 0; i < nthemes; i++)
        have_light |= !strcmp(themes[i].name, "light");
    if (!have_light && nthemes < MAX_THEMES) {
        theme_default(&themes[nthemes]);
        snprintf(themes[nthemes].name, sizeof(themes[nthemes].name), "light");
        nthemes++;
    }
}

int themes_count(void) {
    return nthemes;
}

const char *theme_name_at(int i) {
    return i >= 0 && i < nthemes ? themes[i].name : "";
}

int theme_select(const char *name) {
    for (int i = 0; i < nthemes; i++) {
        if (strcmp(themes[i].name, name))
            continue;
        theme = themes[i];
        log_printf("gui: theme %s\n", theme.name);
        if (screen_w > 0) {
            desktop_render();
            wm_rerender_all();
            damage_all();
            clients_post_all(UI_EVENT_THEME);
        }
        return 0;
    }
    return -E_NOENT;
}

/* ---- apps ---- */

/* "name = Hello" from an app.conf ("key = value" lines, '#' comments). */
static bool conf_get(const char *text, const char *key, char *out, size_t cap) {
    size_t klen = strlen(key);
    for (const char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        while (*line == ' ' || *line == '\t')
            line++;
        if (strncmp(line, key, klen))
            continue;
        const char *p = line + klen;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p != '=')
            continue;
        p++;
        while (*p == ' ' || *p == '\t')
            p++;
        size_t n = strcspn(p, "\r\n");
        while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
            n--;
        if (n >= cap)
            n = cap - 1;
        memcpy(out, p, n);
        out[n] = 0;
        return n > 0;
    }
    return false;
}

static void apps_load(void) {
    char names[MAX_APPS][64];
    int n = list_dir("/apps", names, MAX_APPS);
    for (int i = 0; i < n; i++) {
        if (strlen(names[i]) >= sizeof(apps[0].dir))
            continue;
        char path[160];
        snprintf(path, sizeof(path), "/apps/%s/app.conf", names[i]);
        size_t len;
        char *conf = read_file(path, APP_CONF_MAX, &len);
        if (!conf)
            continue;   /* not an app (README.md and the like) */
        struct app *a = &apps[napps];
        memset(a, 0, sizeof(*a));
        strcpy(a->dir, names[i]);
        if (!conf_get(conf, "name", a->name, sizeof(a->name))) {
            log_printf("gui: %s has no name; using \"%s\"\n", path, names[i]);
            snprintf(a->name, sizeof(a->name), "%s", names[i]);
        }
        free(conf);
        snprintf(path, sizeof(path), "/apps/%s/icon.png", names[i]);
        a->icon = cairo_image_surface_create_from_png(path);
        if (cairo_surface_status(a->icon) != CAIRO_STATUS_SUCCESS) {
            log_printf("gui: %s: no icon\n", path);
            cairo_surface_destroy(a->icon);
            a->icon = NULL;
        }
        napps++;
    }
}

static void launch(int i) {
    char path[80];
    snprintf(path, sizeof(path), "apps/%s/%s", apps[i].dir, apps[i].dir);
    start_menu_open(false);
    log_printf("gui: launching %s\n", path);
    handle_t task = HANDLE_NONE;
    int err = init_spawn(bootstrap, path, "", HANDLE_NONE, &task);
    if (err)
        log_printf("gui: cannot start %s: %s\n", path, err_str(err));
    else
        sys_handle_close(task);
}

void desktop_init(void) {
    apps_load();
}

/* ---- drawing ---- */

static struct ui_rect start_rect(void) {
    return (struct ui_rect){START_X, 3, START_W, menu_bar_height() - 6};
}

static struct ui_rect clock_rect(void) {
    int32_t x = screen_w > CLOCK_W ? screen_w - CLOCK_W : 0;
    return (struct ui_rect){x, 0, screen_w - x, menu_bar_height()};
}

static double text_baseline(int32_t top, int32_t h, int size) {
    return top + (h + size * 0.72) / 2;
}

static void draw_clock(cairo_t *cr) {
    struct ui_rect r = clock_rect();
    cairo_rectangle(cr, r.x, r.y, r.w, r.h);
    render_set_rgba(cr, theme.menu_bar);
    cairo_fill(cr);
    char text[48] = "--:--";
    struct timespec ts;
    if (clock_gettime(CLOCK_REALTIME, &ts) == 0) {
        struct tm tm;
        gmtime_r(&ts.tv_sec, &tm);
        strftime(text, sizeof(text), "%a %d %b  %H:%M:%S", &tm);
    }
    int size = theme.font_size[UI_SIZE_BODY];
    double w = render_text_width(UI_FONT_SANS, size, text);
    render_text(cr, UI_FONT_SANS, size, text, screen_w - 12 - w, text_baseline(0, r.h, size), theme.menu_bar_text);
}

static void draw_bar(void) {
    cairo_t *cr = cairo_create(bar);
    int32_t h = menu_bar_height();
    cairo_rectangle(cr, 0, 0, screen_w, h);
    render_set_rgba(cr, theme.menu_bar);
    cairo_fill(cr);
    /* the start button: a small mosaic (tessera) and the name */
    struct ui_rect s = start_rect();
    render_rounded_rect(cr, s.x, s.y, s.w, s.h, theme.corner_radius);
    render_set_rgba(cr, theme.start_button);
    cairo_fill(cr);
    int tile = (s.h - 8) / 2 > 2 ? (s.h - 8) / 2 : 2;
    for (int k = 0; k < 4; k++) {
        cairo_rectangle(cr, s.x + 8 + (k % 2) * (tile + 2), s.y + (s.h - 2 * tile - 2) / 2 + (k / 2) * (tile + 2),
                        tile, tile);
    }
    render_set_rgba(cr, theme.start_button_text);
    cairo_fill(cr);
    int size = theme.font_size[UI_SIZE_BODY];
    render_text(cr, UI_FONT_SANS_BOLD, size, "Tessera", s.x + 14 + 2 * tile, text_baseline(0, h, size),
                theme.start_button_text);
    draw_clock(cr);
    cairo_destroy(cr);
    cairo_surface_flush(bar);
}

static struct ui_rect menu_row(int i) {
    return (struct ui_rect){menu_rect.x + MENU_PAD, menu_rect.y + MENU_PAD + i * MENU_ROW_H,
                            menu_rect.w - 2 * MENU_PAD, MENU_ROW_H};
}

static void draw_menu(void) {
    if (!menu)
        return;
    cairo_t *cr = cairo_create(menu);
    cairo_set_operator(cr, CAIRO_OPERATOR_CLEAR);
    cairo_paint(cr);
    cairo_set_operator(cr, CAIRO_OPERATOR_OVER);
    cairo_translate(cr, -menu_rect.x, -menu_rect.y);
    render_rounded_rect(cr, menu_rect.x + 0.5, menu_rect.y + 0.5, menu_rect.w - 1, menu_rect.h - 1,
                        theme.corner_radius);
    render_set_rgba(cr, theme.menu_bg);
    cairo_fill_preserve(cr);
    render_set_rgba(cr, theme.border);
    cairo_set_line_width(cr, 1);
    cairo_stroke(cr);
    int size = theme.font_size[UI_SIZE_BODY];
    for (int i = 0; i < napps; i++) {
        struct ui_rect r = menu_row(i);
        if (i == menu_hover) {
            render_rounded_rect(cr, r.x, r.y, r.w, r.h, theme.corner_radius);
            render_set_rgba(cr, theme.menu_hover);
            cairo_fill(cr);
        }
        double iy = r.y + (MENU_ROW_H - ICON_SIZE) / 2;
        if (apps[i].icon) {
            cairo_save(cr);
            int iw = cairo_image_surface_get_width(apps[i].icon), ih = cairo_image_surface_get_height(apps[i].icon);
            cairo_translate(cr, r.x + 8, iy);
            if (iw > 0 && ih > 0)
                cairo_scale(cr, (double)ICON_SIZE / iw, (double)ICON_SIZE / ih);
            cairo_set_source_surface(cr, apps[i].icon, 0, 0);
            cairo_paint(cr);
            cairo_restore(cr);
        } else {
            render_rounded_rect(cr, r.x + 8, iy, ICON_SIZE, ICON_SIZE, 4);
            render_set_rgba(cr, theme.accent);
            cairo_fill(cr);
        }
        render_text(cr, UI_FONT_SANS, size, apps[i].name, r.x + 16 + ICON_SIZE, text_baseline(r.y, r.h, size),
                    theme.menu_text);
    }
    if (!napps)
        render_text(cr, UI_FONT_SANS, size, "No apps installed", menu_rect.x + 16,
                    text_baseline(menu_rect.y, menu_rect.h, size), theme.text_dim);
    cairo_destroy(cr);
    cairo_surface_flush(menu);
}

void desktop_render(void) {
    if (screen_w <= 0 || screen_h <= 0)
        return;
    if (wallpaper)
        cairo_surface_destroy(wallpaper);
    if (bar)
        cairo_surface_destroy(bar);
    wallpaper = cairo_image_surface_create(CAIRO_FORMAT_RGB24, screen_w, screen_h);
    bar = cairo_image_surface_create(CAIRO_FORMAT_RGB24, screen_w, menu_bar_height());
    cairo_t *cr = cairo_create(wallpaper);
    render_wallpaper(cr, screen_w, screen_h, &theme);
    cairo_destroy(cr);
    cairo_surface_flush(wallpaper);
    draw_bar();
    if (menu_open) {
        start_menu_open(false);
        start_menu_open(true);
    }
}

void desktop_clock_tick(void) {
    if (!bar)
        return;
    cairo_t *cr = cairo_create(bar);
    draw_clock(cr);
    cairo_destroy(cr);
    cairo_surface_flush(bar);
    damage_add(clock_rect());
}

cairo_surface_t *desktop_wallpaper(void) {
    return wallpaper;
}

cairo_surface_t *desktop_bar(void) {
    return bar;
}

void desktop_paint_menu(cairo_t *cr) {
    if (!menu)
        return;
    cairo_save(cr);
    cairo_rectangle(cr, menu_rect.x, menu_rect.y, menu_rect.w, menu_rect.h);
    cairo_clip(cr);
    cairo_set_source_surface(cr, menu, menu_rect.x, menu_rect.y);
    cairo_paint(cr);
    cairo_restore(cr);
}

/* ---- the start menu ---- */

bool start_menu_is_open(void) {
    return menu_open;
}

void start_menu_open(bool open) {
    if (open == menu_open)
        return;
    if (!open) {
        damage_add(menu_rect);
        if (menu)
            cairo_surface_destroy(menu);
        menu = NULL;
        menu_open = false;
        log_printf("gui: start menu closed\n");
        return;
    }
    int size = theme.font_size[UI_SIZE_BODY];
    int32_t w = MENU_MIN_W;
    for (int i = 0; i < napps; i++) {
        int32_t need = (int32_t)render_text_width(UI_FONT_SANS, size, apps[i].name) + ICON_SIZE + 48;
        if (need > w)
            w = need;
    }
    int rows = napps ? napps : 1;
    menu_rect = (struct ui_rect){START_X, menu_bar_height() + 2, w, 2 * MENU_PAD + rows * MENU_ROW_H};
    menu = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, menu_rect.w, menu_rect.h);
    if (cairo_surface_status(menu) != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(menu);
        menu = NULL;
        return;
    }
    menu_open = true;
    menu_hover = menu_pressed = -1;
    draw_menu();
    damage_add(menu_rect);
    log_printf("gui: start menu open\n");
    for (int i = 0; i < napps; i++) {
        struct ui_rect r = menu_row(i);
        log_printf("gui: start menu item %d \"%s\" at %d,%d %dx%d\n", i, apps[i].name, r.x, r.y, r.w, r.h);
    }
}

static void set_menu_hover(int row) {
    if (row == menu_hover)
        return;
    menu_hover = row;
    draw_menu();
    damage_add(menu_rect);
}

static int row_at(int32_t x, int32_t y) {
    for (int i = 0; i < napps; i++)
        if (ui_rect_contains(menu_row(i), x, y))
            return i;
    return -1;
}

bool desktop_pointer(int32_t x, int32_t y, bool pressed, bool released) {
    struct ui_rect start = {0, 0, START_X + START_W + 4, menu_bar_height()};
    bool on_start = ui_rect_contains(start, x, y);
    if (menu_open) {
        if (ui_rect_contains(menu_rect, x, y)) {
            int row = row_at(x, y);
            set_menu_hover(row);
            if (pressed)
                menu_pressed = row;
            if (released && row >= 0 && row == menu_pressed)
                launch(row);
            return true;
        }
        set_menu_hover(-1);
        if (pressed) {
            start_menu_open(false);   /* an outside click (or the start button again) closes it */
            return true;
        }
        return y < menu_bar_height();
    }
    if (pressed && on_start) {
        start_menu_open(true);
        return true;
    }
    return y < menu_bar_height();
}

bool desktop_key(const struct input_event *ev) {
    bool meta = ev->code == INPUT_KEY_LEFTMETA || ev->code == INPUT_KEY_RIGHTMETA;
    if (meta || (ev->code == INPUT_KEY_ESC && (ev->mods & INPUT_MOD_CTRL))) {
        start_menu_open(!menu_open);
        return true;
    }
    if (!menu_open)
        return false;
    switch (ev->code) {
    case INPUT_KEY_ESC: start_menu_open(false); break;
    case INPUT_KEY_UP: set_menu_hover(menu_hover > 0 ? menu_hover - 1 : napps - 1); break;
    case INPUT_KEY_DOWN: set_menu_hover(menu_hover + 1 < napps ? menu_hover + 1 : 0); break;
    case INPUT_KEY_ENTER:
    case INPUT_KEY_KPENTER:
        if (menu_hover >= 0 && menu_hover < napps)
            launch(menu_hover);
        break;
    }
    return true;   /* the open menu takes the keyboard */
}
