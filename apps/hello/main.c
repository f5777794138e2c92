/*
 * hello: the seed's first application, as written there: a window with a
 * red heading and a button whose label changes when it is clicked.
 */
#include <stdio.h>
#include <ui.h>

static ui_text_t button_text;

static void button_clicked(ui_event_t ev, ui_widget_t button) {
    (void)ev;
    (void)button;
    ui_text_set_body(button_text, "Clicked!");
    printf("hello: clicked\n");
}

int main(int argc, char **argv) {
    (void)argc;
    (void)argv;
    setvbuf(stdout, NULL, _IOLBF, 0);
    ui_window_t win = ui_window();
    ui_window_set_size(win, 200, 300);
    ui_window_set_title(win, "My first application");
    ui_canvas_t canvas = ui_window_get_canvas(win);
    ui_text_t text = ui_text();
    ui_text_set_body(text, "Hello World");
    ui_text_set_size(text, UI_SIZE_H1);
    ui_text_set_rgba(text, 255, 0, 0, 255);
    ui_draw_text(canvas, text, 10, 10);
    ui_button_t button = ui_button();
    button_text = ui_text();
    ui_text_set_body(button_text, "Click here");
    ui_button_set_text(button, button_text);
    ui_on_click(button, button_clicked);
    ui_draw_button(canvas, button, 10, 60);
    printf("hello: started\n");
    int err = ui_main();
    printf("hello: exit %d\n", err);
    return err ? 1 : 0;
}
