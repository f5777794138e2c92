/*
 * settings: the desktop's theme (chosen from the installed ones, applied at
 * once) and the screen resolution (a list of common modes and the display's
 * preferred one, applied with a button), each showing the current value.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tessera/runtime.h>
#include <ui.h>

#define MAX_THEMES 16
#define MAX_MODES 12
#define NAME_BYTES 64

static char themes[MAX_THEMES][NAME_BYTES];
static int theme_count;
static struct mode {
    int w, h;
} modes[MAX_MODES];
static int mode_count;
static int preferred_w, preferred_h;

static ui_list_t theme_list, mode_list;
static ui_text_t theme_status, mode_status;

static const struct mode common_modes[] = {
    {800, 600}, {1024, 768}, {1280, 720}, {1280, 800}, {1280, 1024}, {1920, 1080},
};

static void set_status(ui_text_t text, const char *fmt, const char *value) {
    char buf[128];
    snprintf(buf, sizeof(buf), fmt, value);
    ui_text_set_body(text, buf);
}

/* ---- theme ---- */

static int theme_index(const char *name) {
    for (int i = 0; i < theme_count; i++)
        if (!strcmp(themes[i], name))
            return i;
    return -1;
}

static void show_current_theme(void) {
    char name[NAME_BYTES];
    int err = ui_theme_get(name, sizeof(name));
    if (err) {
        set_status(theme_status, "Current theme: unknown (%s)", err_str(err));
        return;
    }
    set_status(theme_status, "Current theme: %s", name);
    ui_list_set_selected(theme_list, theme_index(name));
}

static void theme_chosen(ui_event_t ev, ui_widget_t list) {
    (void)list;
    if (ev->value < 0 || ev->value >= theme_count)
        return;
    const char *name = themes[ev->value];
    int err = ui_theme_set(name);
    if (err) {
        printf("settings: theme %s failed: %s\n", name, err_str(err));
        set_status(theme_status, "Could not switch the theme: %s", err_str(err));
        return;
    }
    printf("settings: theme %s\n", name);
    show_current_theme();
}

/* Someone (perhaps us) switched the theme. */
static void theme_changed(ui_event_t ev, ui_widget_t w) {
    (void)ev;
    (void)w;
    show_current_theme();
}

/* ---- resolution ---- */

static void add_mode(int w, int h) {
    if (w <= 0 || h <= 0 || mode_count == MAX_MODES)
        return;
    for (int i = 0; i < mode_count; i++)
        if (modes[i].w == w && modes[i].h == h)
            return;
    /* keep the list ordered by size */
    int i = mode_count++;
    while (i > 0 && (long)modes[i - 1].w * modes[i - 1].h > (long)w * h) {
        modes[i] = modes[i - 1];
        i--;
    }
    modes[i] = (struct mode){w, h};
}

static void show_current_mode(void) {
    int w = 0, h = 0;
    int err = ui_display_get(&w, &h, NULL, NULL);
    char buf[128];
    if (err) {
        set_status(mode_status, "Current resolution: unknown (%s)", err_str(err));
        return;
    }
    snprintf(buf, sizeof(buf), "Current resolution: %dx%d", w, h);
    ui_text_set_body(mode_status, buf);
    for (int i = 0; i < mode_count; i++)
        if (modes[i].w == w && modes[i].h == h)
            ui_list_set_selected(mode_list, i);
}

static void apply_mode(ui_event_t ev, ui_widget_t button) {
    (void)ev;
    (void)button;
    int i = ui_list_get_selected(mode_list);
    if (i < 0 || i >= mode_count) {
        ui_text_set_body(mode_status, "Choose a resolution first");
        return;
    }
    int err = ui_display_set(modes[i].w, modes[i].h);
    if (err) {
        printf("settings: resolution %dx%d failed: %s\n", modes[i].w, modes[i].h, err_str(err));
        set_status(mode_status, "Could not change the resolution: %s", err_str(err));
        return;
    }
    printf("settings: resolution %dx%d\n", modes[i].w, modes[i].h);
    show_current_mode();
}

/* ---- the window ---- */

static ui_text_t heading(ui_container_t parent, const char *title) {
    ui_text_t t = ui_text();
    ui_text_set_body(t, title);
    ui_text_set_size(t, UI_SIZE_H2);
    ui_add(parent, t);
    return t;
}

static ui_text_t item(ui_list_t list, const char *label) {
    ui_text_t t = ui_text();
    ui_text_set_body(t, label);
    ui_add(list, t);
    return t;
}

int main(int argc, char **argv) {
    (void)argc;
    (void)argv;
    setvbuf(stdout, NULL, _IOLBF, 0);
    ui_window_t win = ui_window();
    ui_window_set_title(win, "Settings");
    ui_window_set_size(win, 360, 0);   /* as tall as the content */
    ui_container_t column = ui_column();
    ui_set_padding(column, 14);
    ui_set_spacing(column, 8);
    ui_set_expand(column, true);
    ui_add(win, column);

    heading(column, "Theme");
    theme_list = ui_list();
    ui_set_size(theme_list, 0, 90);
    ui_on_select(theme_list, theme_chosen);
    ui_add(column, theme_list);
    for (theme_count = 0; theme_count < MAX_THEMES; theme_count++) {
        if (ui_theme_list(theme_count, themes[theme_count], NAME_BYTES))
            break;
        item(theme_list, themes[theme_count]);
    }
    theme_status = ui_text();
    ui_add(column, theme_status);
    ui_on_theme(theme_changed);

    heading(column, "Screen resolution");
    int current_w = 0, current_h = 0;
    int err = ui_display_get(&current_w, &current_h, &preferred_w, &preferred_h);
    if (err)
        fprintf(stderr, "settings: display_get: %s\n", err_str(err));
    for (size_t i = 0; i < sizeof(common_modes) / sizeof(common_modes[0]); i++)
        add_mode(common_modes[i].w, common_modes[i].h);
    add_mode(preferred_w, preferred_h);
    add_mode(current_w, current_h);
    mode_list = ui_list();
    ui_set_size(mode_list, 0, 160);
    ui_add(column, mode_list);
    for (int i = 0; i < mode_count; i++) {
        char label[48];
        snprintf(label, sizeof(label), "%d x %d%s", modes[i].w, modes[i].h,
                 modes[i].w == preferred_w && modes[i].h == preferred_h ? "  (preferred)" : "");
        item(mode_list, label);
    }
    ui_container_t row = ui_row();
    ui_set_spacing(row, 10);
    ui_set_align(row, UI_ALIGN_CENTER);
    ui_add(column, row);
    ui_button_t apply = ui_button();
    ui_button_set_label(apply, "Apply");
    ui_on_click(apply, apply_mode);
    ui_add(row, apply);
    mode_status = ui_text();
    ui_add(row, mode_status);

    show_current_theme();
    show_current_mode();
    char theme[NAME_BYTES] = "?";
    ui_theme_get(theme, sizeof(theme));
    printf("settings: started (theme %s, resolution %dx%d)\n", theme, current_w, current_h);
    err = ui_main();
    printf("settings: exit %d\n", err);
    return err ? 1 : 0;
}
