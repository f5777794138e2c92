/*
 * sysmon: the system monitor. Once a second it asks the scheduler for every
 * task (sched.task_stats) and the vm server for their memory
 * (vm.task_memory, joined by task id), and shows them as a LIST of ROWs with
 * fixed-width columns; CPU % is the task's CPU time over the last interval.
 * A header line has the CPUs, the memory and the uptime. "End task" ends the
 * selected task through init.kill; the selection follows the task (by id)
 * across refreshes. Errors are shown in the status line and logged.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <ui.h>
#include <tessera/runtime.h>
#include <tessera/sched.h>
#include <tessera/syscall.h>
#include "idl/init.h"
#include "idl/sched.h"
#include "idl/vm.h"

#define REFRESH_MS 1000
#define MAX_TASKS 256
#define NAME_MAX_BYTES 32

enum { COL_ID, COL_NAME, COL_CLASS, COL_PRIO, COL_CPU, COL_TIME, COL_MEM, NUM_COLS };
static const struct column {
    const char *title;
    int width;       /* pixels */
    bool numeric;    /* right-aligned */
} columns[NUM_COLS] = {
    [COL_ID] = {"ID", 44, true},        [COL_NAME] = {"Name", 170, false}, [COL_CLASS] = {"Class", 110, false},
    [COL_PRIO] = {"Prio", 44, true},    [COL_CPU] = {"CPU %", 64, true},   [COL_TIME] = {"CPU time", 96, true},
    [COL_MEM] = {"Memory", 96, true},
};

struct task {
    uint32_t id;
    char name[NAME_MAX_BYTES];
    uint32_t class;
    int32_t priority;
    uint64_t cpu_time_ns;
    uint64_t memory;     /* bytes; valid if has_memory */
    bool has_memory;
};

/* One row of the list, reused across refreshes. */
struct row {
    ui_widget_t row;
    ui_text_t cells[NUM_COLS];
};

/* CPU time at the previous refresh, by task id, for the CPU % column. */
struct sample {
    uint32_t id;
    uint64_t cpu_time_ns;
};

static handle_t bootstrap = HANDLE_NONE;
static handle_t sched = HANDLE_NONE, vm = HANDLE_NONE;

static ui_window_t window;
static ui_text_t header, status;
static ui_list_t list;

static struct task tasks[MAX_TASKS];
static int num_tasks;
static struct row rows[MAX_TASKS];
static int num_rows;
static struct sample previous[MAX_TASKS];
static int num_previous;
static uint64_t previous_ns;          /* sys_clock() of the previous refresh, 0 before the first */
static uint64_t previous_idle_ns;     /* summed over the CPUs */
static uint32_t selected_id;          /* 0: none */
static bool reported;                 /* the first refresh was logged */

/* ---- helpers ---- */

static void set_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void set_status(const char *fmt, ...) {
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    ui_text_set_body(status, buf);
    if (buf[0])
        printf("sysmon: %s\n", buf);
}

/* A service from init, looked up again after its server went away. */
static int service(const char *name, handle_t *h) {
    if (*h != HANDLE_NONE)
        return 0;
    int err = init_lookup(bootstrap, name, h);
    if (err)
        *h = HANDLE_NONE;
    return err;
}

static void forget_on_peer_error(int err, handle_t *h) {
    if ((err == -E_PEER || err == -E_BADH) && *h != HANDLE_NONE) {
        sys_handle_close(*h);
        *h = HANDLE_NONE;
    }
}

static void format_bytes(char *buf, size_t cap, uint64_t bytes) {
    if (bytes >= (1ull << 30))
        snprintf(buf, cap, "%.1f GiB", (double)bytes / (1ull << 30));
    else if (bytes >= (1ull << 20))
        snprintf(buf, cap, "%.1f MiB", (double)bytes / (1ull << 20));
    else
        snprintf(buf, cap, "%llu KiB", (unsigned long long)(bytes >> 10));
}

/* m:ss.cc */
static void format_cpu_time(char *buf, size_t cap, uint64_t ns) {
    uint64_t cs = ns / 10000000ull;
    snprintf(buf, cap, "%llu:%02llu.%02llu", (unsigned long long)(cs / 6000), (unsigned long long)(cs / 100 % 60),
             (unsigned long long)(cs % 100));
}

static int compare_tasks(const void *a, const void *b) {
    const struct task *x = a, *y = b;
    return x->id < y->id ? -1 : x->id > y->id;
}

/* ---- reading the system ---- */

/* Fills tasks[] from sched and vm; 0 or the scheduler's error. */
static int read_tasks(void) {
    int err = service("sched", &sched);
    if (err)
        return err;
    int n = 0;
    for (uint32_t i = 0; n < MAX_TASKS; i++) {
        struct task *t = &tasks[n];
        char name[SCHED_TASK_STATS_NAME_MAX] = "";
        uint32_t cpu = 0;
        uint64_t exhaustions = 0;
        err = sched_task_stats(sched, i, &t->id, name, sizeof(name), &t->class, &t->priority, &cpu,
                               &t->cpu_time_ns, &exhaustions);
        if (err == -E_NOENT)
            break;
        if (err) {
            forget_on_peer_error(err, &sched);
            return err;
        }
        /* Task names are ASCII program names; anything else becomes '?' so
         * that the tree stays valid UTF-8 (the server refuses it otherwise). */
        snprintf(t->name, sizeof(t->name), "%s", name);
        for (char *c = t->name; *c; c++)
            if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
                *c = '?';
        t->has_memory = false;
        n++;
    }
    num_tasks = n;
    qsort(tasks, (size_t)num_tasks, sizeof(tasks[0]), compare_tasks);

    /* Memory, by task id; tasks vm did not start keep "-". */
    if (service("vm", &vm) == 0) {
        for (uint32_t i = 0; i < 4 * MAX_TASKS; i++) {
            uint32_t id = 0;
            uint64_t bytes = 0;
            int verr = vm_task_memory(vm, i, &id, &bytes);
            if (verr) {
                if (verr != -E_NOENT) {
                    forget_on_peer_error(verr, &vm);
                    log_printf("sysmon: vm.task_memory: %s\n", err_str(verr));
                }
                break;
            }
            struct task key = {.id = id};
            struct task *t = bsearch(&key, tasks, (size_t)num_tasks, sizeof(tasks[0]), compare_tasks);
            if (t) {
                t->memory = bytes;
                t->has_memory = true;
            }
        }
    }
    return 0;
}

static bool previous_cpu_time(uint32_t id, uint64_t *ns) {
    for (int i = 0; i < num_previous; i++) {
        if (previous[i].id == id) {
            *ns = previous[i].cpu_time_ns;
            return true;
        }
    }
    return false;
}

/* ---- the window ---- */

static void set_row(struct row *r, const struct task *t, uint64_t interval_ns) {
    char cell[NUM_COLS][48];
    snprintf(cell[COL_ID], sizeof(cell[0]), "%u", t->id);
    snprintf(cell[COL_NAME], sizeof(cell[0]), "%s", t->name[0] ? t->name : "?");
    snprintf(cell[COL_CLASS], sizeof(cell[0]), "%s", sched_class_name(t->class));
    snprintf(cell[COL_PRIO], sizeof(cell[0]), "%d", t->priority);
    uint64_t before;
    if (interval_ns && previous_cpu_time(t->id, &before) && t->cpu_time_ns >= before)
        snprintf(cell[COL_CPU], sizeof(cell[0]), "%.1f", 100.0 * (double)(t->cpu_time_ns - before) / (double)interval_ns);
    else
        snprintf(cell[COL_CPU], sizeof(cell[0]), "-");
    format_cpu_time(cell[COL_TIME], sizeof(cell[0]), t->cpu_time_ns);
    if (t->has_memory)
        format_bytes(cell[COL_MEM], sizeof(cell[0]), t->memory);
    else
        snprintf(cell[COL_MEM], sizeof(cell[0]), "-");
    for (int c = 0; c < NUM_COLS; c++) {
        const char *shown = ui_text_get_body(r->cells[c]);
        if (!shown || strcmp(shown, cell[c]))   /* unchanged cells stay clean */
            ui_text_set_body(r->cells[c], cell[c]);
    }
}

/* A row of fixed-width cells (the list's items and the column titles). */
static ui_widget_t make_row(ui_text_t cells[NUM_COLS], int font) {
    ui_widget_t row = ui_row();
    ui_set_spacing(row, 8);
    for (int c = 0; c < NUM_COLS; c++) {
        cells[c] = ui_text();
        ui_text_set_font(cells[c], font);
        ui_set_size(cells[c], columns[c].width, 0);
        if (columns[c].numeric)
            ui_set_align(cells[c], UI_ALIGN_END);
        ui_add(row, cells[c]);
    }
    return row;
}

static void update_header(uint64_t now, uint64_t interval_ns) {
    struct cpu_info cpus;
    struct mem_info mem;
    char line[256], total[32], free_[32], busy[32] = "";
    size_t n = 0;
    if (sys_cpu_info(&cpus) == 0) {
        uint32_t ncpu = cpus.num_cpus < 16 ? cpus.num_cpus : 16;
        uint64_t idle = 0;
        for (uint32_t i = 0; i < ncpu; i++)
            idle += cpus.idle_ns[i];
        if (interval_ns && ncpu && idle >= previous_idle_ns) {
            double idle_share = (double)(idle - previous_idle_ns) / ((double)interval_ns * ncpu);
            snprintf(busy, sizeof(busy), ", %.0f%% busy", idle_share < 1 ? 100.0 * (1 - idle_share) : 0.0);
        }
        previous_idle_ns = idle;
        n += (size_t)snprintf(line + n, sizeof(line) - n, "%u CPU%s%s", cpus.num_cpus,
                              cpus.num_cpus == 1 ? "" : "s", busy);
    }
    if (sys_mem_info(&mem) == 0 && n < sizeof(line)) {
        format_bytes(total, sizeof(total), mem.total_bytes);
        format_bytes(free_, sizeof(free_), mem.free_bytes);
        n += (size_t)snprintf(line + n, sizeof(line) - n, "%sMemory %s, %s free", n ? "   " : "", total, free_);
    }
    uint64_t s = now / 1000000000ull;
    if (n < sizeof(line))
        snprintf(line + n, sizeof(line) - n, "%sUp %llu:%02llu:%02llu", n ? "   " : "",
                 (unsigned long long)(s / 3600), (unsigned long long)(s / 60 % 60), (unsigned long long)(s % 60));
    ui_text_set_body(header, line);
}

static void refresh(void *ctx) {
    (void)ctx;
    uint64_t now = sys_clock();
    uint64_t interval_ns = previous_ns && now > previous_ns ? now - previous_ns : 0;
    update_header(now, interval_ns);

    int err = read_tasks();
    if (err) {
        set_status("Cannot read the task list from the scheduler: %s", err_str(err));
        return;   /* keep showing the last list */
    }

    /* As many rows as tasks: reuse, add, or drop them at the end. */
    while (num_rows < num_tasks) {
        struct row *r = &rows[num_rows++];
        r->row = make_row(r->cells, UI_FONT_MONO);
        ui_add(list, r->row);
    }
    while (num_rows > num_tasks)
        ui_destroy(rows[--num_rows].row);
    int selected = -1;
    for (int i = 0; i < num_tasks; i++) {
        set_row(&rows[i], &tasks[i], interval_ns);
        if (tasks[i].id == selected_id)
            selected = i;
    }
    if (selected < 0)
        selected_id = 0;   /* the selected task is gone */
    if (ui_list_get_selected(list) != selected)
        ui_list_set_selected(list, selected);

    for (int i = 0; i < num_tasks; i++)
        previous[i] = (struct sample){tasks[i].id, tasks[i].cpu_time_ns};
    num_previous = num_tasks;
    previous_ns = now;
    if (!reported) {
        printf("sysmon: %d tasks\n", num_tasks);
        reported = true;
    }
}

static void on_select(ui_event_t ev, ui_widget_t widget) {
    (void)widget;
    int index = ev->value;
    if (index < 0 || index >= num_tasks) {
        selected_id = 0;
        ui_list_set_selected(list, -1);
        return;
    }
    selected_id = tasks[index].id;
    ui_list_set_selected(list, index);
    ui_text_set_body(status, "");   /* an old message no longer applies */
}

static void on_end_task(ui_event_t ev, ui_widget_t widget) {
    (void)ev;
    (void)widget;
    const struct task *t = NULL;
    for (int i = 0; i < num_tasks; i++)
        if (tasks[i].id == selected_id)
            t = &tasks[i];
    if (!t) {
        set_status("Select a task first.");
        return;
    }
    uint32_t id = t->id;
    char name[NAME_MAX_BYTES];
    snprintf(name, sizeof(name), "%s", t->name);
    int err = init_kill(bootstrap, id);
    if (err == 0)
        set_status("Ended task %u (%s).", id, name);
    else if (err == -E_PERM)
        set_status("Task %u (%s) is a system service: it cannot be ended.", id, name);
    else if (err == -E_NOENT)
        set_status("Task %u (%s) is not a program started by init (or has ended).", id, name);
    else
        set_status("Cannot end task %u (%s): %s", id, name, err_str(err));
    refresh(NULL);
}

int main(int argc, char **argv) {
    (void)argc;
    (void)argv;
    setvbuf(stdout, NULL, _IOLBF, 0);
    bootstrap = (handle_t)(long)getauxval(AT_TESSERA_BOOTSTRAP);

    window = ui_window();
    ui_window_set_title(window, "System Monitor");
    ui_window_set_size(window, 720, 440);
    ui_container_t column = ui_column();
    ui_set_padding(column, 8);
    ui_set_expand(column, true);   /* fills the window, so the list gets the height */
    ui_set_spacing(column, 6);
    ui_set_align(column, UI_ALIGN_STRETCH);
    ui_add(window, column);

    header = ui_text();
    ui_add(column, header);
    ui_text_t titles[NUM_COLS];
    ui_widget_t title_row = make_row(titles, UI_FONT_SANS_BOLD);
    ui_set_padding(title_row, 5);   /* over the list's items: its border and the themes' item padding */
    for (int c = 0; c < NUM_COLS; c++)
        ui_text_set_body(titles[c], columns[c].title);
    ui_add(column, title_row);

    list = ui_list();
    ui_set_expand(list, true);
    ui_on_select(list, on_select);
    ui_add(column, list);

    ui_container_t bottom = ui_row();
    ui_set_spacing(bottom, 8);
    ui_set_align(bottom, UI_ALIGN_CENTER);
    status = ui_text();
    ui_set_expand(status, true);
    ui_add(bottom, status);
    ui_button_t end_task = ui_button();
    ui_button_set_label(end_task, "End task");
    ui_on_click(end_task, on_end_task);
    ui_add(bottom, end_task);
    ui_add(column, bottom);

    int err = ui_commit();   /* the window is up (libui has said why if not) */
    if (err)
        return 1;
    refresh(NULL);
    ui_timer(REFRESH_MS, refresh, NULL);
    return ui_main() < 0 ? 1 : 0;
}
