/*
 * installer: puts Tessera on a disk (libs/install does the work).
 *
 * On the desktop: the disks with model and size, what the chosen one holds
 * now (all of it will be erased), an explicit confirmation (a checkbox,
 * then Install), a progress bar, the result, and Restart / Power off.
 *
 * Unattended (`installer --auto=DISK`, which init runs for the boot option
 * install.auto=DISK): no questions; progress and the result go to the
 * serial log, and the exit status tells init whether to power off with
 * success (0) or failure (1: the install failed, 2: refused).
 *
 * Serial lines (tests/qemu/test_install.py reads them):
 *   installer: disks: vda (MODEL, 2048 MiB), ...
 *   installer: vda holds: WHAT
 *   installer: installing to vda (MODEL, 2048 MiB)
 *   installer: NN% STEP
 *   installer: refused: WHY            installer: failed: WHY
 *   installer: done: wrote N MiB in T ms, verified
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <tessera/power.h>
#include <tessera/runtime.h>
#include <ui.h>
#include "idl/init.h"
#include "installer.h"

enum { EXIT_OK = 0, EXIT_FAILED = 1, EXIT_REFUSED = 2 };
#define DESC_MAX (INSTALL_MSG_MAX + DRV_BLOCK_NAME_MAX + 8)   /* "NAME holds: ..." */

static handle_t bootstrap;
static struct drv_block_info disks[MAX_DISKS];
static int disk_count;
static struct install_payload payload;
static char payload_error[INSTALL_MSG_MAX];   /* "" once the payload is loaded */

/* ---- the install itself, shared by both modes ---- */

static int last_percent = -1;
static const char *last_step;
static void (*on_progress_ui)(int percent, const char *step);

static void progress(void *ctx, uint64_t done, uint64_t total, const char *step) {
    (void)ctx;
    int percent = total ? (int)(done * 100 / total) : 0;
    /* A line per step and per 10%, so the log stays short. */
    if (step != last_step || percent / 10 != last_percent / 10)
        printf("installer: %d%% %s\n", percent, step);
    last_step = step;
    last_percent = percent;
    if (on_progress_ui)
        on_progress_ui(percent, step);
}

/* Describes the disk ("vda holds: ...") into out; logs it. */
static void describe(const struct drv_block_info *d, char *out, size_t len) {
    struct install_device dev;
    char what[INSTALL_MSG_MAX], why[INSTALL_MSG_MAX - 16];
    if (disk_open(bootstrap, d, &dev, why, sizeof why) == 0)
        install_describe(&dev, what, sizeof what);
    else
        snprintf(what, sizeof what, "unknown (%s)", why);
    disk_close();
    snprintf(out, len, "%s holds: %s", d->name, what);
    printf("installer: %s\n", out);
}

/* Installs on d; result in words into msg. Returns EXIT_*. */
static int install_on(const struct drv_block_info *d, char *msg, size_t len) {
    char label[128];
    disk_label(d, label, sizeof label);
    if (payload_error[0]) {
        snprintf(msg, len, "%s", payload_error);
        printf("installer: failed: %s\n", msg);
        return EXIT_FAILED;
    }
    if (disk_refusal(d, msg, len)) {
        printf("installer: refused: %s\n", msg);
        return EXIT_REFUSED;
    }
    struct install_device dev;
    if (disk_open(bootstrap, d, &dev, msg, len)) {
        printf("installer: failed: %s\n", msg);
        return EXIT_FAILED;
    }
    printf("installer: installing to %s\n", label);
    uint64_t t0 = sys_clock();
    struct install_options opt = {.seed = t0 ^ (uint64_t)d->sectors << 20, .progress = progress};
    static struct install_result res;
    last_percent = -1;
    last_step = NULL;
    int err = install_run(&dev, &payload, &opt, &res);
    disk_close();
    if (err) {
        snprintf(msg, len, "%s", res.message);
        printf("installer: failed: %s\n", msg);
        return EXIT_FAILED;
    }
    unsigned long long ms = (sys_clock() - t0) / 1000000;
    snprintf(msg, len, "Tessera is installed on %s: %u files, %llu MiB written and checked in %llu.%llu s.",
             d->name, res.files, (unsigned long long)(res.bytes >> 20), ms / 1000, ms % 1000 / 100);
    printf("installer: done: wrote %llu MiB in %llu ms, verified\n", (unsigned long long)(res.bytes >> 20), ms);
    return EXIT_OK;
}

static void list_disks(void) {
    disk_count = drv_block_disks(bootstrap, disks, MAX_DISKS);
    if (disk_count < 0) {
        printf("installer: cannot list the disks: %s\n", err_str(disk_count));
        disk_count = 0;
    }
    char line[512] = "", label[128];
    for (int i = 0; i < disk_count; i++) {
        disk_label(&disks[i], label, sizeof label);
        size_t at = strlen(line);
        snprintf(line + at, sizeof line - at, "%s%s", i ? ", " : "", label);
    }
    printf("installer: disks: %s\n", disk_count ? line : "none");
}

/* ---- unattended ---- */

static int run_auto(const char *name) {
    char msg[DESC_MAX];
    if (!name[0]) {
        printf("installer: refused: no disk named (give one: install.auto=vda, sda, nvme0, ...)\n");
        return EXIT_REFUSED;
    }
    const struct drv_block_info *d = NULL;
    for (int i = 0; i < disk_count; i++)
        if (!strcmp(disks[i].name, name))
            d = &disks[i];
    if (!d) {
        printf("installer: refused: there is no disk %s\n", name);
        return EXIT_REFUSED;
    }
    describe(d, msg, sizeof msg);
    return install_on(d, msg, sizeof msg);
}

/* ---- the window ---- */

/* Where things are in the window's canvas (content coordinates); logged at
 * start so that tests find them. */
#define WIN_W 560
#define WIN_H 430
#define LIST_X 16
#define LIST_Y 80
#define LIST_W 528
#define LIST_H 96
#define CONFIRM_X 16
#define CONFIRM_Y 264
#define INSTALL_X 16
#define INSTALL_Y 296
#define BAR_X 130
#define BAR_Y 304
#define BAR_W 414
#define BAR_H 14
#define RESTART_X 16
#define POWER_X 130
#define POWER_Y 388

static ui_window_t win;
static ui_list_t list;
static ui_text_t about, status;
static ui_checkbox_t confirm;
static ui_button_t install_button, restart_button, power_button;
static ui_canvas_t bar;
static int chosen = -1;
static bool busy;
static uint64_t last_redraw;

static void draw_bar(int percent) {
    ui_clear(bar);
    ui_draw_rounded_rect(bar, 0, 0, BAR_W, BAR_H, 4, UI_RGBA(209, 213, 219, 255), 0, 0);
    if (percent > 0)
        ui_draw_rounded_rect(bar, 0, 0, BAR_W * percent / 100, BAR_H, 4, UI_RGBA(37, 99, 235, 255), 0, 0);
}

static void update_buttons(void) {
    bool usable = chosen >= 0 && !busy;
    char why[INSTALL_MSG_MAX];
    if (usable && disk_refusal(&disks[chosen], why, sizeof why))
        usable = false;
    ui_set_disabled(confirm, !usable);
    ui_set_disabled(install_button, !usable || !ui_checkbox_get_checked(confirm));
    ui_set_disabled(list, busy);
    ui_set_disabled(restart_button, busy);
    ui_set_disabled(power_button, busy);
}

static void confirm_changed(ui_event_t ev, ui_widget_t w) {
    (void)w;
    printf("installer: confirmation %s\n", ev->value ? "given" : "withdrawn");
    update_buttons();
}

static void disk_chosen(ui_event_t ev, ui_widget_t w) {
    (void)w;
    if (busy || ev->value < 0 || ev->value >= disk_count)
        return;
    chosen = ev->value;
    const struct drv_block_info *d = &disks[chosen];
    char text[DESC_MAX + INSTALL_MSG_MAX + 64], what[DESC_MAX], why[INSTALL_MSG_MAX];
    describe(d, what, sizeof what);
    if (disk_refusal(d, why, sizeof why)) {
        printf("installer: refused: %s\n", why);
        snprintf(text, sizeof text, "%s.\nTessera cannot be installed here: %s.", what, why);
    } else {
        snprintf(text, sizeof text, "%s.\nAll of it will be erased.", what);
    }
    ui_text_set_body(about, text);
    ui_checkbox_set_checked(confirm, false);
    update_buttons();
}


/* Keeps the window alive during the install: redraws the bar and serves
 * events (at most every 100 ms), so the desktop never sees a hung app. */
static void progress_ui(int percent, const char *step) {
    uint64_t now = sys_clock();
    if (now - last_redraw < 100000000ull && percent < 100)
        return;
    last_redraw = now;
    draw_bar(percent);
    char text[160];
    snprintf(text, sizeof text, "%d%%: %s", percent, step);
    ui_text_set_body(status, text);
    ui_run_once(0);
}

static void install_clicked(ui_event_t ev, ui_widget_t w) {
    (void)ev, (void)w;
    if (busy || chosen < 0 || !ui_checkbox_get_checked(confirm))
        return;
    busy = true;
    update_buttons();
    ui_text_set_body(status, "Starting...");
    ui_commit();
    on_progress_ui = progress_ui;
    char msg[INSTALL_MSG_MAX + 64], result[INSTALL_MSG_MAX];
    int r = install_on(&disks[chosen], result, sizeof result);
    on_progress_ui = NULL;
    busy = false;
    ui_checkbox_set_checked(confirm, false);
    draw_bar(r == EXIT_OK ? 100 : 0);
    if (r == EXIT_OK)
        snprintf(msg, sizeof msg, "%s\nRemove the CD and restart to boot it.", result);
    else
        snprintf(msg, sizeof msg, "Not installed: %s", result);
    ui_text_set_body(status, msg);
    update_buttons();
}

static void power(uint32_t action) {
    printf("installer: %s\n", action == INIT_POWER_OFF ? "power off" : "restart");
    int err = init_power(bootstrap, action, false);
    char msg[96];
    snprintf(msg, sizeof msg, "The machine did not %s: %s", action == INIT_POWER_OFF ? "power off" : "restart",
             err_str(err));
    ui_text_set_body(status, msg);
}

static void restart_clicked(ui_event_t ev, ui_widget_t w) {
    (void)ev, (void)w;
    power(INIT_POWER_RESTART);
}

static void power_clicked(ui_event_t ev, ui_widget_t w) {
    (void)ev, (void)w;
    power(INIT_POWER_OFF);
}

static ui_text_t text_at(ui_canvas_t c, const char *body, int size, int x, int y, int w) {
    ui_text_t t = ui_text();
    ui_text_set_body(t, body);
    ui_text_set_size(t, size);
    if (w) {
        ui_text_set_wrap(t, true);
        ui_set_size(t, w, 0);
    }
    ui_draw_text(c, t, x, y);
    return t;
}

static ui_button_t button_at(ui_canvas_t c, const char *label, int x, int y, ui_handler_t fn) {
    ui_button_t b = ui_button();
    ui_button_set_label(b, label);
    ui_on_click(b, fn);
    ui_draw_button(c, b, x, y);
    return b;
}

static int run_window(void) {
    win = ui_window();
    ui_window_set_title(win, "Install Tessera");
    ui_window_set_size(win, WIN_W, WIN_H);
    ui_canvas_t c = ui_window_get_canvas(win);
    text_at(c, "Install Tessera", UI_SIZE_H2, 16, 12, 0);
    text_at(c, "Choose the disk to install on. Everything on it will be erased.", UI_SIZE_BODY, 16, 50, LIST_W);

    list = ui_list();
    ui_set_size(list, LIST_W, LIST_H);
    char label[128];
    for (int i = 0; i < disk_count; i++) {
        disk_label(&disks[i], label, sizeof label);
        ui_text_t t = ui_text();
        ui_text_set_body(t, label);
        ui_add(list, t);
    }
    ui_on_select(list, disk_chosen);
    ui_draw_widget(c, list, LIST_X, LIST_Y);

    about = text_at(c, disk_count ? "Choose a disk above." : "There is no disk to install on.", UI_SIZE_BODY, 16,
                    LIST_Y + LIST_H + 10, LIST_W);
    confirm = ui_checkbox("Erase the chosen disk and install Tessera on it");
    ui_on_change(confirm, confirm_changed);
    ui_draw_widget(c, confirm, CONFIRM_X, CONFIRM_Y);
    install_button = button_at(c, "Install", INSTALL_X, INSTALL_Y, install_clicked);
    bar = ui_canvas(BAR_W, BAR_H);
    ui_draw_widget(c, bar, BAR_X, BAR_Y);
    draw_bar(0);
    status = text_at(c, payload_error[0] ? payload_error : "", UI_SIZE_BODY, 16, INSTALL_Y + 40, LIST_W);
    restart_button = button_at(c, "Restart", RESTART_X, POWER_Y, restart_clicked);
    power_button = button_at(c, "Power off", POWER_X, POWER_Y, power_clicked);
    update_buttons();
    printf("installer: window: list at %d,%d, row height 24, confirm at %d,%d, install at %d,%d, "
           "restart at %d,%d, power off at %d,%d\n", LIST_X, LIST_Y, CONFIRM_X, CONFIRM_Y, INSTALL_X,
           INSTALL_Y, RESTART_X, POWER_Y, POWER_X, POWER_Y);
    return ui_main();
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    bootstrap = (handle_t)(long)getauxval(AT_TESSERA_BOOTSTRAP);
    const char *auto_disk = NULL;
    for (int i = 1; i < argc; i++)
        if (!strncmp(argv[i], "--auto=", 7))
            auto_disk = argv[i] + 7;
        else if (!strcmp(argv[i], "--auto"))
            auto_disk = "";
    printf("installer: started%s\n", auto_disk ? " (unattended)" : "");
    if (payload_load(bootstrap, &payload, payload_error, sizeof payload_error))
        printf("installer: %s\n", payload_error);
    list_disks();
    if (auto_disk)
        return run_auto(auto_disk);
    return run_window();
}
