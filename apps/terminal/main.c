/*
 * terminal: a shell in a window. The output is a LIST of one-line mono TEXT
 * widgets that sticks to its end (the gui server scrolls it with the wheel);
 * at most SCROLLBACK_LINES are kept, the oldest dropped first. Below it, a
 * prompt and a one-line TEXT_INPUT: Enter runs the line (commands.c), Up and
 * Down recall earlier lines. Each command and its outcome also go to stdout
 * (the serial log) as "terminal: $ LINE -> OUTCOME" for the tests.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <ui.h>
#include <tessera/input.h>
#include <tessera/runtime.h>
#include <tessera/syscall.h>
#include "parse.h"
#include "terminal.h"

#define SCROLLBACK_LINES 1000
#define HISTORY_LINES 100
/* Longer output lines are cut (with "..."): a full scrollback of them stays
 * well inside UI_TREE_MAX_BYTES. */
#define LINE_MAX_BYTES 512
#define TAB_WIDTH 8
#define MAX_CHILDREN 16
#define CHILD_POLL_MS 500

handle_t term_bootstrap = HANDLE_NONE;

static ui_window_t window;
static ui_list_t output;
static ui_text_input_t input;

/* The scrollback: a ring of text widgets, in the list in the same order. */
static ui_text_t lines[SCROLLBACK_LINES];
static int first_line, line_count;

static char *history[HISTORY_LINES];
static int history_count;
static int history_pos;            /* == history_count: the line being typed */
static char *draft;                /* what was typed before browsing the history */

static char outcome[160];

/* Programs started with `run`, watched until they end. */
static struct child {
    handle_t task;
    uint32_t id;
    char path[64];
} children[MAX_CHILDREN];

/* ---- output ---- */

static void add_line(const char *text) {
    ui_text_t t;
    if (line_count == SCROLLBACK_LINES) {
        /* Full: the oldest line's widget moves to the end with the new text. */
        t = lines[first_line];
        ui_remove(t);
        first_line = (first_line + 1) % SCROLLBACK_LINES;
        line_count--;
    } else {
        t = ui_text();
        if (!t)
            return;
        ui_text_set_font(t, UI_FONT_MONO);
        ui_text_set_wrap(t, true);   /* long lines continue below, not off the edge */
    }
    ui_text_set_body(t, text[0] ? text : " ");   /* an empty line still takes its height */
    ui_add(output, t);
    lines[(first_line + line_count) % SCROLLBACK_LINES] = t;
    line_count++;
}

/* Splits text into lines; tabs become spaces, other control characters and
 * bytes that are not UTF-8 '?' (the gui server refuses a tree with invalid
 * UTF-8, and file names and contents may hold anything). */
void term_write(const char *s) {
    static char buf[LINE_MAX_BYTES + 8];
    size_t n = 0, col = 0;
    bool cut = false;
    for (;; s++) {
        if (*s == '\n' || *s == 0) {
            if (*s == '\n' || n > 0) {
                if (cut) {
                    memcpy(buf + n, "...", 3);
                    n += 3;
                }
                buf[n] = 0;
                add_line(buf);
            }
            if (*s == 0)
                return;
            n = col = 0;
            cut = false;
            continue;
        }
        if (cut)
            continue;
        if (n >= LINE_MAX_BYTES) {
            cut = true;
            continue;
        }
        unsigned char c = (unsigned char)*s;
        if (c == '\t') {
            do
                buf[n++] = ' ';
            while (++col % TAB_WIDTH && n < LINE_MAX_BYTES);
            continue;
        }
        if (c == '\r')
            continue;
        int len = c < 0x20 || c == 0x7f ? 0 : utf8_char_len((const unsigned char *)s, strnlen(s, 4));
        if (len <= 0) {
            buf[n++] = '?';
        } else if (n + (size_t)len > LINE_MAX_BYTES) {
            cut = true;   /* a character that does not fit whole */
        } else {
            memcpy(buf + n, s, (size_t)len);
            n += (size_t)len;
            s += len - 1;
        }
        col++;
    }
}

void term_print(const char *fmt, ...) {
    static char buf[16384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    term_write(buf);
}

void term_clear(void) {
    for (int i = 0; i < line_count; i++)
        ui_destroy(lines[(first_line + i) % SCROLLBACK_LINES]);
    first_line = line_count = 0;
}

void term_outcome(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(outcome, sizeof(outcome), fmt, ap);
    va_end(ap);
}

void term_close(void) {
    ui_window_close(window);
}

/* ---- programs started with run ---- */

void term_watch_child(handle_t task, uint32_t id, const char *path) {
    for (int i = 0; i < MAX_CHILDREN; i++) {
        if (children[i].task == HANDLE_NONE) {
            children[i].task = task;
            children[i].id = id;
            snprintf(children[i].path, sizeof(children[i].path), "%s", path);
            return;
        }
    }
    sys_handle_close(task);   /* too many to watch: it runs on, unreported */
}

static void poll_children(void *ctx) {
    (void)ctx;
    for (int i = 0; i < MAX_CHILDREN; i++) {
        struct child *c = &children[i];
        struct task_info info;
        if (c->task == HANDLE_NONE)
            continue;
        long err = sys_task_info(c->task, &info);
        if (err == 0 && info.state != TASK_STATE_DEAD)
            continue;
        if (err == 0) {
            char how[48];
            if (info.exit_status == TASK_EXIT_KILLED)
                snprintf(how, sizeof(how), "was ended");
            else if (info.exit_status == TASK_EXIT_FAULT)
                snprintf(how, sizeof(how), "crashed");
            else
                snprintf(how, sizeof(how), "exited with status %d", info.exit_status);
            term_print("[%u] %s %s\n", c->id, c->path, how);
            printf("terminal: task %u %s\n", c->id, how);
        }
        sys_handle_close(c->task);
        c->task = HANDLE_NONE;
    }
}

/* ---- history ---- */

static void history_add(const char *line) {
    if (!line[0] || (history_count && !strcmp(history[history_count - 1], line)))
        return;
    char *copy = strdup(line);
    if (!copy)
        return;
    if (history_count == HISTORY_LINES) {
        free(history[0]);
        memmove(history, history + 1, sizeof(history[0]) * (HISTORY_LINES - 1));
        history_count--;
    }
    history[history_count++] = copy;
}

static void history_move(int step) {
    int pos = history_pos + step;
    if (pos < 0 || pos > history_count)
        return;
    if (history_pos == history_count) {   /* leaving the line being typed: keep it */
        free(draft);
        draft = strdup(ui_text_input_get_text(input));
    }
    history_pos = pos;
    ui_text_input_set_text(input, pos == history_count ? (draft ? draft : "") : history[pos]);
}

/* ---- events ---- */

static void on_submit(ui_event_t ev, ui_widget_t widget) {
    (void)ev;
    (void)widget;
    static char line[1024];
    snprintf(line, sizeof(line), "%s", ui_text_input_get_text(input));
    ui_text_input_set_text(input, "");
    history_add(line);
    history_pos = history_count;
    free(draft);
    draft = NULL;

    term_print("$ %s\n", line);
    char echo[sizeof(line)];
    memcpy(echo, line, sizeof(line));
    outcome[0] = 0;
    term_run_line(line);   /* modifies line */
    if (echo[strspn(echo, " \t")])
        printf("terminal: $ %s -> %s\n", echo, outcome[0] ? outcome : "ok");
}

static void on_input_key(ui_event_t ev, ui_widget_t widget) {
    (void)widget;
    if (ev->key == INPUT_KEY_UP)
        history_move(-1);
    else if (ev->key == INPUT_KEY_DOWN)
        history_move(+1);
    else if (ev->key == INPUT_KEY_L && (ev->mods & INPUT_MOD_CTRL))
        term_clear();
    else if (ev->key == INPUT_KEY_ESC)
        ui_text_input_set_text(input, "");
}

int main(int argc, char **argv) {
    (void)argc;
    (void)argv;
    setvbuf(stdout, NULL, _IOLBF, 0);
    term_bootstrap = (handle_t)(long)getauxval(AT_TESSERA_BOOTSTRAP);
    for (int i = 0; i < MAX_CHILDREN; i++)
        children[i].task = HANDLE_NONE;

    window = ui_window();
    ui_window_set_title(window, "Terminal");
    ui_window_set_size(window, 640, 400);
    ui_container_t column = ui_column();
    ui_set_padding(column, 4);
    ui_set_expand(column, true);   /* fills the window, so the list gets the height */
    ui_set_spacing(column, 4);
    ui_set_align(column, UI_ALIGN_STRETCH);
    ui_add(window, column);

    output = ui_list();
    ui_list_set_stick_end(output, true);
    ui_set_expand(output, true);
    ui_add(column, output);

    ui_container_t prompt_row = ui_row();
    ui_set_spacing(prompt_row, 6);
    ui_set_align(prompt_row, UI_ALIGN_CENTER);
    ui_text_t prompt = ui_text();
    ui_text_set_body(prompt, "$");
    ui_text_set_font(prompt, UI_FONT_MONO);
    ui_add(prompt_row, prompt);
    input = ui_text_input();
    ui_text_input_set_placeholder(input, "a command; help lists them");
    ui_set_expand(input, true);
    ui_on_submit(input, on_submit);
    ui_text_input_on_key(input, on_input_key);
    ui_add(prompt_row, input);
    ui_add(column, prompt_row);
    ui_focus(input);

    term_print("Tessera terminal. Type help for the commands.\n");
    ui_timer(CHILD_POLL_MS, poll_children, NULL);
    int err = ui_commit();   /* the window is up (libui has said why if not) */
    if (!err) {
        printf("terminal: started\n");
        err = ui_main();
    }
    return err < 0 ? 1 : 0;
}
