/*
 * clock: an analog face drawn with canvas primitives (ticks and hands are
 * lines, the face and the hub are filled arcs) and the time and date as
 * text, updated every second. The face is drawn once; each second only the
 * hands are replaced, so the server redraws just around them.
 */
#include <math.h>
#include <stdio.h>
#include <time.h>
#include <ui.h>

#define FACE 220                 /* canvas side */
#define CENTRE (FACE / 2)
#define RADIUS 100
#define PI 3.14159265358979323846

static ui_canvas_t canvas;
static ui_text_t time_text, date_text;
static ui_widget_t hands[4];     /* hour, minute, second, hub */
static int last_minute = -1;
static int align_timer;

/* The point at `radius` from the centre, `fraction` of a turn clockwise from 12 o'clock. */
static void polar(double fraction, double radius, int *x, int *y) {
    double a = fraction * 2 * PI;
    *x = CENTRE + (int)lround(sin(a) * radius);
    *y = CENTRE - (int)lround(cos(a) * radius);
}

static ui_widget_t hand(double fraction, double length, double tail, uint32_t rgba, int width) {
    int x1, y1, x2, y2;
    polar(fraction + 0.5, tail, &x1, &y1);
    polar(fraction, length, &x2, &y2);
    return ui_draw_line(canvas, x1, y1, x2, y2, rgba, width);
}

static void draw_face(void) {
    ui_draw_arc(canvas, CENTRE, CENTRE, RADIUS + 6, 0, 360, UI_RGBA(0x37, 0x41, 0x51, 255), 0, 0);
    ui_draw_arc(canvas, CENTRE, CENTRE, RADIUS, 0, 360, UI_RGBA(0xf9, 0xfa, 0xfb, 255), 0, 0);
    for (int i = 0; i < 60; i++) {
        bool hour = i % 5 == 0;
        int x1, y1, x2, y2;
        polar(i / 60.0, hour ? RADIUS - 14 : RADIUS - 7, &x1, &y1);
        polar(i / 60.0, RADIUS - 3, &x2, &y2);
        ui_draw_line(canvas, x1, y1, x2, y2, hour ? UI_RGBA(0x11, 0x18, 0x27, 255) : UI_RGBA(0x6b, 0x72, 0x80, 255),
                     hour ? 3 : 1);
    }
}

static void update(void *ctx) {
    (void)ctx;
    struct timespec ts;
    struct tm tm = {0};
    if (clock_gettime(CLOCK_REALTIME, &ts) == 0)
        gmtime_r(&ts.tv_sec, &tm);
    for (int i = 0; i < 4; i++)
        ui_destroy(hands[i]);
    double sec = tm.tm_sec, min = tm.tm_min + sec / 60, hr = (tm.tm_hour % 12) + min / 60;
    hands[0] = hand(hr / 12, RADIUS * 0.5, 10, UI_RGBA(0x11, 0x18, 0x27, 255), 6);
    hands[1] = hand(min / 60, RADIUS * 0.78, 12, UI_RGBA(0x11, 0x18, 0x27, 255), 4);
    hands[2] = hand(sec / 60, RADIUS * 0.88, 18, UI_RGBA(0xdc, 0x26, 0x26, 255), 2);
    hands[3] = ui_draw_arc(canvas, CENTRE, CENTRE, 5, 0, 360, UI_RGBA(0xdc, 0x26, 0x26, 255), 0, 0);

    char buf[64];
    strftime(buf, sizeof(buf), "%H:%M:%S", &tm);
    ui_text_set_body(time_text, buf);
    strftime(buf, sizeof(buf), "%A %d %B %Y", &tm);
    ui_text_set_body(date_text, buf);
    if (tm.tm_min != last_minute) {
        last_minute = tm.tm_min;
        printf("clock: %02d:%02d\n", tm.tm_hour, tm.tm_min);
    }
}

/* The first update at the turn of a second, then one every second. */
static void start_ticking(void *ctx) {
    (void)ctx;
    ui_timer_cancel(align_timer);
    update(NULL);
    if (ui_timer(1000, update, NULL) < 0)
        fprintf(stderr, "clock: no timer\n");
}

int main(int argc, char **argv) {
    (void)argc;
    (void)argv;
    setvbuf(stdout, NULL, _IOLBF, 0);
    ui_window_t win = ui_window();
    ui_window_set_title(win, "Clock");
    ui_container_t column = ui_column();
    ui_set_padding(column, 12);
    ui_set_spacing(column, 6);
    ui_set_align(column, UI_ALIGN_CENTER);
    ui_add(win, column);
    canvas = ui_canvas(FACE, FACE);
    ui_add(column, canvas);
    time_text = ui_text();
    ui_text_set_size(time_text, UI_SIZE_H1);
    ui_text_set_font(time_text, UI_FONT_MONO);
    ui_add(column, time_text);
    date_text = ui_text();
    ui_add(column, date_text);
    draw_face();
    update(NULL);
    struct timespec ts = {0};
    clock_gettime(CLOCK_REALTIME, &ts);
    align_timer = ui_timer(1000 - (int)(ts.tv_nsec / 1000000), start_ticking, NULL);
    if (align_timer < 0)
        return 1;
    printf("clock: started\n");
    int err = ui_main();
    printf("clock: exit %d\n", err);
    return err ? 1 : 0;
}
