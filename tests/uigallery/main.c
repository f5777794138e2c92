/*
 * uigallery: every libui widget and drawing primitive in one window, each
 * in its own cell of a canvas at a known place, so tests/qemu/test_gui.py
 * can crop one screenshot per widget (they are the golden images and the
 * pictures in docs/libui.md). Started with test=uigallery init.desktop;
 * prints "uigallery: ready" once its window is committed, and what happens
 * to it (clicks, changes, text) on the serial log.
 */
#include <stdio.h>
#include <ui.h>

/* A cell is CELL_W x CELL_H; cell i is at column i % 3, row i / 3. */
#define CELL_W 220
#define CELL_H 110
#define MARGIN 10

static void place(ui_canvas_t canvas, int cell, ui_widget_t w) {
    ui_draw_widget(canvas, w, MARGIN + (cell % 3) * CELL_W, MARGIN + (cell / 3) * CELL_H);
}

static void clicked(ui_event_t ev, ui_widget_t button) {
    (void)ev;
    (void)button;
    printf("uigallery: button clicked\n");
    fflush(stdout);
}

static void changed(ui_event_t ev, ui_widget_t w) {
    (void)w;
    printf("uigallery: changed to %d\n", ev->value);
    fflush(stdout);
}

static void text_changed(ui_event_t ev, ui_widget_t input) {
    (void)ev;
    printf("uigallery: text \"%s\"\n", ui_text_input_get_text(input));
    fflush(stdout);
}

int main(int argc, char **argv) {
    (void)argc;
    (void)argv;
    ui_window_t win = ui_window();
    ui_window_set_title(win, "libui gallery");
    ui_window_set_size(win, 3 * CELL_W + MARGIN, 3 * CELL_H + MARGIN);
    ui_canvas_t canvas = ui_window_get_canvas(win);

    /* 0: text in the seed's sizes */
    ui_container_t texts = ui_column();
    const char *names[] = {"Heading 1", "Heading 2", "Body text", "Small print"};
    int sizes[] = {UI_SIZE_H1, UI_SIZE_H2, UI_SIZE_BODY, UI_SIZE_SMALL};
    for (int i = 0; i < 4; i++) {
        ui_text_t t = ui_text();
        ui_text_set_body(t, names[i]);
        ui_text_set_size(t, sizes[i]);
        ui_add(texts, t);
    }
    place(canvas, 0, texts);

    /* 1: buttons (one disabled) in a row */
    ui_container_t buttons = ui_row();
    ui_set_spacing(buttons, 8);
    ui_button_t ok = ui_button();
    ui_button_set_label(ok, "OK");
    ui_on_click(ok, clicked);
    ui_button_t off = ui_button();
    ui_button_set_label(off, "Disabled");
    ui_set_disabled(off, true);
    ui_add(buttons, ok);
    ui_add(buttons, off);
    place(canvas, 1, buttons);

    /* 2: a text input with text and one empty with a placeholder */
    ui_container_t inputs = ui_column();
    ui_set_spacing(inputs, 8);
    ui_text_input_t input = ui_text_input();
    ui_text_input_set_text(input, "Hello, Tessera");
    ui_on_change(input, text_changed);
    ui_text_input_t empty = ui_text_input();
    ui_text_input_set_placeholder(empty, "Type here");
    ui_add(inputs, input);
    ui_add(inputs, empty);
    place(canvas, 2, inputs);

    /* 3: checkboxes */
    ui_container_t boxes = ui_column();
    ui_set_spacing(boxes, 6);
    ui_checkbox_t on = ui_checkbox("Checked");
    ui_checkbox_set_checked(on, true);
    ui_on_change(on, changed);
    ui_add(boxes, on);
    ui_add(boxes, ui_checkbox("Not checked"));
    place(canvas, 3, boxes);

    /* 4: a slider */
    ui_slider_t slider = ui_slider(0, 100);
    ui_slider_set_value(slider, 60);
    ui_on_change(slider, changed);
    place(canvas, 4, slider);

    /* 5: an image (an app icon, scaled up) */
    ui_image_t image = ui_image();
    if (!ui_image_load(image, "/apps/hello/icon.png"))
        printf("uigallery: cannot load /apps/hello/icon.png\n");
    ui_set_size(image, 64, 64);
    place(canvas, 5, image);

    /* 6: a scrollable list with a selection */
    ui_list_t list = ui_list();
    ui_set_size(list, 200, 90);
    const char *items[] = {"Apples", "Bananas", "Cherries", "Dates", "Elderberries", "Figs"};
    for (int i = 0; i < 6; i++) {
        ui_text_t t = ui_text();
        ui_text_set_body(t, items[i]);
        ui_add(list, t);
    }
    ui_list_set_selected(list, 1);
    place(canvas, 6, list);

    /* 7: drawing primitives in a canvas of their own */
    ui_canvas_t shapes = ui_canvas(200, 90);
    ui_draw_rect(shapes, 0, 0, 60, 40, UI_RGBA(52, 120, 246, 255), 0, 0);
    ui_draw_rounded_rect(shapes, 70, 0, 60, 40, 10, UI_RGBA(255, 204, 0, 255), UI_RGBA(0, 0, 0, 255), 2);
    ui_draw_arc(shapes, 165, 20, 20, 0, 270, UI_RGBA(52, 199, 89, 255), 0, 0);
    ui_draw_line(shapes, 0, 50, 60, 88, UI_RGBA(255, 59, 48, 255), 3);
    int points[] = {80, 88, 100, 50, 120, 88};
    ui_draw_path(shapes, points, 3, true, UI_RGBA(175, 82, 222, 255), 0, 0);
    ui_text_t label = ui_text();
    ui_text_set_body(label, "Canvas");
    ui_draw_text(shapes, label, 140, 60);
    place(canvas, 7, shapes);

    /* 8: the seed's text in red */
    ui_text_t red = ui_text();
    ui_text_set_body(red, "Hello World");
    ui_text_set_size(red, UI_SIZE_H1);
    ui_text_set_rgba(red, 255, 0, 0, 255);
    place(canvas, 8, red);

    int err = ui_commit();
    if (err) {
        printf("uigallery: commit failed (%d): %s\n", err, ui_last_error(win));
        return 1;
    }
    printf("uigallery: ready\n");
    fflush(stdout);
    return ui_main();
}
