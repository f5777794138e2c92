/*
 * Settings that outlive a reboot: the theme and the display mode, kept in
 * /data/settings/gui.conf on the installed system's data volume (fatfs).
 *
 *   theme = dark
 *   display = 1280x800
 *
 * Read once at start, before the first frame; written whenever a client
 * changes either (gui.theme_set, gui.display_set). Writing goes to a
 * temporary file that is synced and then renamed over the old one, so a
 * power cut leaves the old settings or the new ones, never half a file.
 * Without /data (a live boot) nothing is saved; a missing file means the
 * defaults, a garbled line is logged and skipped.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <tessera/runtime.h>
#include "gui.h"

#define SETTINGS_DIR "/data/settings"
#define SETTINGS_FILE SETTINGS_DIR "/gui.conf"
#define SETTINGS_TMP SETTINGS_DIR "/gui.conf.new"

static char saved_theme[sizeof(theme.name)];
static uint32_t saved_w, saved_h;   /* 0: the display's own mode */

/* One "key = value" line; false if it is garbled. */
static bool parse_line(char *line) {
    char *eq = strchr(line, '=');
    if (!eq)
        return false;
    char *key = line, *value = eq + 1, *end = eq;
    while (*key == ' ' || *key == '\t')
        key++;
    while (end > key && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    *end = 0;
    while (*value == ' ' || *value == '\t')
        value++;
    size_t n = strlen(value);
    while (n && (value[n - 1] == ' ' || value[n - 1] == '\t' || value[n - 1] == '\r'))
        value[--n] = 0;
    if (!strcmp(key, "theme")) {
        if (n == 0 || n >= sizeof(saved_theme))
            return false;
        memcpy(saved_theme, value, n + 1);
        return true;
    }
    if (!strcmp(key, "display")) {
        unsigned w, h;
        char extra;
        if (sscanf(value, "%ux%u%c", &w, &h, &extra) != 2 || w == 0 || h == 0 || w > 16384 || h > 16384)
            return false;
        saved_w = w;
        saved_h = h;
        return true;
    }
    return false;
}

void settings_load(void) {
    FILE *f = fopen(SETTINGS_FILE, "r");
    if (!f)
        return;   /* no /data, or nothing saved yet: the defaults */
    char line[128];
    for (int no = 1; fgets(line, sizeof(line), f); no++) {
        size_t n = strlen(line);
        bool whole = n && line[n - 1] == '\n';
        if (whole)
            line[--n] = 0;
        if (!whole && !feof(f)) {   /* too long: skip the rest of it */
            int c;
            while ((c = fgetc(f)) != EOF && c != '\n')
                ;
        }
        char *p = line;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == 0 || *p == '#')
            continue;
        if (!whole && !feof(f))
            log_printf("gui: %s line %d is too long; ignored\n", SETTINGS_FILE, no);
        else if (!parse_line(p))
            log_printf("gui: %s line %d is garbled; ignored\n", SETTINGS_FILE, no);
    }
    fclose(f);
}

const char *settings_theme(void) { return saved_theme[0] ? saved_theme : NULL; }

void settings_apply_display(void) {
    if (!saved_w || ((uint32_t)screen_w == saved_w && (uint32_t)screen_h == saved_h))
        return;
    if (display_set_mode(saved_w, saved_h) != 0) {
        log_printf("gui: the saved display mode %ux%u is not possible here\n", saved_w, saved_h);
        saved_w = saved_h = 0;   /* not saved again unless chosen again */
    }
}

void settings_display_chosen(void) {
    saved_w = (uint32_t)screen_w;
    saved_h = (uint32_t)screen_h;
}

void settings_save(void) {
    static bool told;
    struct stat st;
    if (stat("/data", &st) != 0 || (mkdir(SETTINGS_DIR, 0755) != 0 && errno != EEXIST)) {
        if (!told)
            log_printf("gui: settings are not saved: no writable /data (%s)\n", strerror(errno));
        told = true;
        return;
    }
    FILE *f = fopen(SETTINGS_TMP, "w");
    bool ok = f != NULL;
    if (ok) {
        fprintf(f, "# written by the gui when the settings change\ntheme = %s\n", theme.name);
        if (saved_w)
            fprintf(f, "display = %ux%u\n", saved_w, saved_h);
        ok = fflush(f) == 0 && fsync(fileno(f)) == 0;
        ok = fclose(f) == 0 && ok;
    }
    if (!ok || rename(SETTINGS_TMP, SETTINGS_FILE) != 0) {
        log_printf("gui: cannot save %s: %s\n", SETTINGS_FILE, strerror(errno));
        unlink(SETTINGS_TMP);
        return;
    }
    if (saved_w)
        log_printf("gui: settings saved (theme %s, display %ux%u)\n", theme.name, saved_w, saved_h);
    else
        log_printf("gui: settings saved (theme %s)\n", theme.name);
}
