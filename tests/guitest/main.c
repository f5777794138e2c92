/*
 * guitest: the gui server's protocol from an app's side, with hand-made
 * trees (no libui), in the guest (test=guitest init.desktop). What a bad or
 * dying app can do to the server must stay with that app:
 * malformed, oversized and lying trees are refused with a reason, memory
 * objects too small are refused, windows of a crashed app vanish, and the
 * server keeps serving others. Also themes, the display and counters.
 *
 *   guitest          the suite
 *   guitest child    connects, shows a window, then crashes (used by the suite)
 *   guitest hang     connects, shows a window, then never reads its events
 */
#define GUEST_TEST_NAME "guitest"
#include <string.h>
#include <sys/auxv.h>
#include <tessera/gui.h>
#include <tessera/runtime.h>
#include <tessera/syscall.h>
#include <ui/wire.h>
#include "guest_test.h"
#include "idl/gui.h"
#include "idl/init.h"

#define SEC 1000000000ull
#define TREE_BYTES (256u << 10)

static handle_t bootstrap, gui = HANDLE_NONE;
static unsigned char *tree_buf;
static handle_t tree_mem;

/* ---- building trees by hand ---- */

struct builder {
    unsigned char *buf;
    uint32_t nodes, data;   /* node count, data bytes */
};

static struct ui_wire_node *node_at(struct builder *b, uint32_t i) {
    return (struct ui_wire_node *)(b->buf + sizeof(struct ui_wire_header) + i * sizeof(struct ui_wire_node));
}

/* Nodes go first (the data area is laid out behind them at the end), so
 * strings are kept aside until finish(). */
static char strings[4096];
static uint32_t strings_len;

static uint32_t add_node(struct builder *b, uint32_t id, uint16_t kind, uint32_t parent, const char *text) {
    struct ui_wire_node *n = node_at(b, b->nodes);
    memset(n, 0, sizeof(*n));
    n->id = id;
    n->kind = kind;
    n->parent = parent;
    if (text) {
        n->text_offset = strings_len;
        n->text_len = (uint32_t)strlen(text);
        memcpy(strings + strings_len, text, n->text_len);
        strings_len += n->text_len;
    }
    return b->nodes++;
}

static uint32_t finish(struct builder *b) {
    struct ui_wire_header *h = (struct ui_wire_header *)b->buf;
    uint32_t nodes_end = sizeof(*h) + b->nodes * (uint32_t)sizeof(struct ui_wire_node);
    memcpy(b->buf + nodes_end, strings, strings_len);
    memset(h, 0, sizeof(*h));
    h->magic = UI_WIRE_MAGIC;
    h->version = UI_WIRE_VERSION;
    h->header_size = sizeof(*h);
    h->node_count = b->nodes;
    h->node_size = sizeof(struct ui_wire_node);
    h->data_size = strings_len;
    h->total_size = nodes_end + strings_len;
    return h->total_size;
}

/* A small good window: title, a column with a text and a button. */
static uint32_t good_tree(const char *title) {
    struct builder b = {tree_buf, 0, 0};
    strings_len = 0;
    uint32_t win = add_node(&b, 1, UI_KIND_WINDOW, UI_NO_PARENT, title);
    node_at(&b, win)->w = 240;
    node_at(&b, win)->h = 120;
    uint32_t col = add_node(&b, 2, UI_KIND_COLUMN, win, NULL);
    node_at(&b, col)->padding = 8;
    add_node(&b, 3, UI_KIND_TEXT, col, "guitest window");
    uint32_t button = add_node(&b, 4, UI_KIND_BUTTON, col, "Press");
    node_at(&b, button)->handlers = UI_WANT_CLICK;
    return finish(&b);
}

/* ---- connecting ---- */

static int connect_app(handle_t *notify_ep) {
    int err = init_lookup(bootstrap, "gui", &gui);
    if (err)
        return err;
    long ep = sys_endpoint_create();
    if (ep < 0)
        return (int)ep;
    *notify_ep = (handle_t)ep;
    long notify = sys_handle_dup((handle_t)ep, RIGHT_NOTIFY | RIGHT_TRANSFER, 0);
    handle_t ring;
    if (!mem_alloc(UI_EVENT_RING_MIN_BYTES * 4, &ring))
        return -E_NOMEM;
    long self = sys_handle_dup((handle_t)getauxval(AT_TESSERA_SELF), RIGHT_WATCH | RIGHT_TRANSFER, 0);
    if (notify < 0 || self < 0)
        return -E_NOMEM;
    return gui_connect(gui, (handle_t)self, (handle_t)notify, ring, 1);
}

static int new_tree_mem(uint32_t bytes, handle_t *mem) {
    long m = sys_mem_create(bytes, MEM_LAZY);
    if (m < 0)
        return (int)m;
    *mem = (handle_t)m;
    return 0;
}

static int create_window(uint32_t *window) {
    long dup = sys_handle_dup(tree_mem, RIGHT_READ | RIGHT_TRANSFER, 0);
    if (dup < 0)
        return (int)dup;
    return gui_window_create(gui, (handle_t)dup, window);
}

static int commit(uint32_t window, uint32_t size, char *reason, size_t cap) {
    int32_t status = 0;
    int err = gui_commit(gui, window, size, &status, reason, cap);
    return err ? err : status;
}

/* Windows the server lists for task `task_id` (0: all). */
static int count_windows(uint32_t task_id, uint32_t *visible) {
    int n = 0;
    *visible = 0;
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t w = 0, t = 0, width, height, flags = 0;
        int32_t x, y;
        char title[64];
        if (gui_window_info(gui, i, &w, &t, &x, &y, &width, &height, &flags, title, sizeof(title)))
            break;
        if (task_id && t != task_id)
            continue;
        n++;
        if (flags & GUI_WINDOW_VISIBLE)
            (*visible)++;
    }
    return n;
}

static uint32_t my_id(void) {
    struct task_info info;
    sys_task_info(HANDLE_SELF, &info);
    return info.id;
}

/* ---- the tests ---- */

static uint32_t main_window;

static void test_good_commit(void) {
    char reason[160];
    EXPECT(create_window(&main_window) == 0);
    EXPECT(commit(main_window, good_tree("guitest"), reason, sizeof(reason)) == 0);
    EXPECT(reason[0] == 0);
    uint32_t visible;
    EXPECT(count_windows(my_id(), &visible) == 1);
    EXPECT(visible == 1);
}

static void expect_rejected(uint32_t size, const char *what) {
    char reason[160] = "";
    int r = commit(main_window, size, reason, sizeof(reason));
    if (r >= 0 || !reason[0]) {
        log_printf("guitest: %s was not refused with a reason (status %d)\n", what, r);
        EXPECT(!"refused with a reason");
    } else {
        log_printf("guitest: %s refused: %s\n", what, reason);
    }
}

static void test_malformed_trees(void) {
    struct ui_wire_header *h = (struct ui_wire_header *)tree_buf;
    uint32_t size = good_tree("guitest");
    h->magic ^= 1;
    expect_rejected(size, "bad magic");
    size = good_tree("guitest");
    h->version = 99;
    expect_rejected(size, "unknown version");
    size = good_tree("guitest");
    node_at(&(struct builder){tree_buf, 0, 0}, 2)->parent = 3;   /* a parent after its child */
    expect_rejected(size, "parent after child");
    size = good_tree("guitest");
    node_at(&(struct builder){tree_buf, 0, 0}, 3)->id = 3;       /* duplicate id */
    expect_rejected(size, "duplicate id");
    size = good_tree("guitest");
    node_at(&(struct builder){tree_buf, 0, 0}, 2)->text_len = 1u << 30;   /* string out of bounds */
    expect_rejected(size, "string out of bounds");
    size = good_tree("guitest");
    node_at(&(struct builder){tree_buf, 0, 0}, 2)->kind = 77;
    expect_rejected(size, "unknown kind");
    size = good_tree("guitest");
    h->total_size = size + 4096;                                   /* claims more than sent */
    expect_rejected(size, "total size larger than the commit");
    size = good_tree("guitest");
    expect_rejected(TREE_BYTES + 4096, "commit larger than the memory object");
    expect_rejected(UI_TREE_MAX_BYTES + 1, "oversized tree");
    /* The last good tree is still what the window shows. */
    uint32_t visible;
    EXPECT(count_windows(my_id(), &visible) == 1 && visible == 1);
    char reason[160];
    EXPECT(commit(main_window, good_tree("guitest again"), reason, sizeof(reason)) == 0);
}

static void test_bad_requests(void) {
    char reason[160];
    EXPECT(commit(12345, good_tree("x"), reason, sizeof(reason)) < 0);   /* not our window */
    EXPECT(gui_window_close(gui, 12345) < 0);
    /* A tree object too small to hold even a header is refused somewhere
     * before it is used. */
    handle_t tiny = HANDLE_NONE;
    EXPECT(new_tree_mem(4096, &tiny) == 0);
    uint32_t w = 0;
    int r = gui_window_create(gui, tiny, &w);
    if (r == 0) {
        EXPECT(commit(w, 8192, reason, sizeof(reason)) < 0);
        EXPECT(gui_window_close(gui, w) == 0);
    }
}

static void test_window_limit_and_close(void) {
    uint32_t windows[40];
    int made = 0;
    for (; made < 40; made++) {
        if (create_window(&windows[made]))
            break;
    }
    log_printf("guitest: the server gave %d more windows before refusing\n", made);
    EXPECT(made < 40);   /* there is a per-app limit */
    for (int i = 0; i < made; i++)
        EXPECT(gui_window_close(gui, windows[i]) == 0);
    uint32_t visible;
    EXPECT(count_windows(my_id(), &visible) == 1);
}

static void test_crashing_app(void) {
    handle_t task;
    EXPECT(init_spawn(bootstrap, "tests/guitest", "child", HANDLE_NONE, &task) == 0);
    struct task_info info;
    sys_task_info(task, &info);
    int status = guest_wait_task(task, 30 * SEC);
    EXPECT(status == TASK_EXIT_FAULT);
    /* Give the server a moment to hear of it. */
    uint32_t visible = 0;
    int n = 1;
    for (int i = 0; i < 50 && n; i++) {
        n = count_windows(info.id, &visible);
        sleep_ns(100000000ull);
    }
    EXPECT(n == 0);
    char reason[160];
    EXPECT(commit(main_window, good_tree("still here"), reason, sizeof(reason)) == 0);
}

/* The first window of task_id: its flags, or -1 if it has none. */
static int window_flags_of(uint32_t task_id) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t w = 0, t = 0, width, height, flags = 0;
        int32_t x, y;
        char title[64];
        if (gui_window_info(gui, i, &w, &t, &x, &y, &width, &height, &flags, title, sizeof(title)))
            break;
        if (t == task_id)
            return (int)flags;
    }
    return -1;
}

/* An app that stops reading its events is marked not responding after
 * GUI_HANG_MS; the server and other apps go on; it can be ended. */
static void test_hung_app(void) {
    handle_t task;
    EXPECT(init_spawn(bootstrap, "tests/guitest", "hang", HANDLE_NONE, &task) == 0);
    struct task_info info;
    sys_task_info(task, &info);
    int flags = -1;
    for (int i = 0; i < 100 && !(flags >= 0 && (flags & GUI_WINDOW_VISIBLE)); i++) {
        flags = window_flags_of(info.id);
        sleep_ns(100000000ull);
    }
    EXPECT(flags >= 0 && (flags & GUI_WINDOW_VISIBLE) && !(flags & GUI_WINDOW_NOT_RESPONDING));
    /* A theme switch sends every app an event; this one will not read it. */
    char name[40] = "light";
    gui_theme_get(gui, name, sizeof(name));
    uint64_t start = sys_clock();
    EXPECT(gui_theme_set(gui, strcmp(name, "dark") ? "dark" : "light") == 0);
    EXPECT(gui_theme_set(gui, name) == 0);
    while (window_flags_of(info.id) >= 0 && !(window_flags_of(info.id) & GUI_WINDOW_NOT_RESPONDING) &&
           sys_clock() - start < (GUI_HANG_MS + 5000) * 1000000ull)
        sleep_ns(200000000ull);
    flags = window_flags_of(info.id);
    uint64_t waited_ms = (sys_clock() - start) / 1000000ull;
    log_printf("guitest: hung app marked after %llu ms (flags %d)\n", (unsigned long long)waited_ms, flags);
    EXPECT(flags >= 0 && (flags & GUI_WINDOW_NOT_RESPONDING));
    EXPECT(waited_ms + 500 >= GUI_HANG_MS);
    char reason[160];
    EXPECT(commit(main_window, good_tree("others go on"), reason, sizeof(reason)) == 0);
    EXPECT(init_kill(bootstrap, info.id) == 0);
    EXPECT(guest_wait_task(task, 10 * SEC) == TASK_EXIT_KILLED);
    for (int i = 0; i < 50 && window_flags_of(info.id) >= 0; i++)
        sleep_ns(100000000ull);
    EXPECT(window_flags_of(info.id) < 0);
}

static void test_themes_and_display(void) {
    char name[40], first[40];
    EXPECT(gui_theme_get(gui, name, sizeof(name)) == 0);
    int n = 0;
    bool light = false, dark = false;
    for (uint32_t i = 0; i < 32; i++) {
        char t[40];
        if (gui_theme_list(gui, i, t, sizeof(t)))
            break;
        light |= !strcmp(t, "light");
        dark |= !strcmp(t, "dark");
        n++;
    }
    EXPECT(light && dark);
    EXPECT(gui_theme_set(gui, "no-such-theme") < 0);
    EXPECT(gui_theme_set(gui, "dark") == 0);
    EXPECT(gui_theme_get(gui, first, sizeof(first)) == 0 && !strcmp(first, "dark"));
    EXPECT(gui_theme_set(gui, name) == 0);
    uint32_t w = 0, h = 0, pw, ph;
    EXPECT(gui_display_get(gui, &w, &h, &pw, &ph) == 0 && w >= 640 && h >= 480);
    EXPECT(gui_display_set(gui, 5, 5) < 0);   /* absurd modes are refused */
    /* Another resolution and back (Settings does this); windows stay. */
    uint32_t w2 = 0, h2 = 0, visible;
    EXPECT(gui_display_set(gui, 1024, 768) == 0);
    EXPECT(gui_display_get(gui, &w2, &h2, &pw, &ph) == 0 && w2 == 1024 && h2 == 768);
    EXPECT(count_windows(my_id(), &visible) == 1 && visible == 1);
    EXPECT(gui_display_set(gui, w, h) == 0);
    EXPECT(gui_display_get(gui, &w2, &h2, &pw, &ph) == 0 && w2 == w && h2 == h);
    uint64_t frames = 0, last_ns, damage, click;
    uint32_t windows = 0, clients = 0;
    EXPECT(gui_stats(gui, &frames, &last_ns, &damage, &click, &windows, &clients) == 0);
    EXPECT(frames > 0 && clients >= 1 && windows >= 1);
}

static void child(void) {
    handle_t ep;
    char reason[160];
    uint32_t w = 0;
    if (connect_app(&ep) || create_window(&w) || commit(w, good_tree("doomed"), reason, sizeof(reason))) {
        log_printf("guitest: child could not show its window\n");
        exit(1);
    }
    log_printf("guitest: child window up; crashing on purpose\n");
    volatile uintptr_t bad = 16;
    *(volatile int *)bad = 1;
}

static void hang(void) {
    handle_t ep;
    char reason[160];
    uint32_t w = 0;
    if (connect_app(&ep) || create_window(&w) || commit(w, good_tree("stuck"), reason, sizeof(reason))) {
        log_printf("guitest: hanging child could not show its window\n");
        exit(1);
    }
    log_printf("guitest: child window up; not reading events from now on\n");
    for (;;)
        sleep_ns(1000000000ull);
}

int main(int argc, char **argv) {
    bootstrap = (handle_t)getauxval(AT_TESSERA_BOOTSTRAP);
    if (new_tree_mem(TREE_BYTES, &tree_mem)) {
        log_printf("guitest: no memory\n");
        return 1;
    }
    long va = (long)vm_reserve(TREE_BYTES);
    if (!va || sys_vm_map(HANDLE_SELF, tree_mem, 0, (uintptr_t)va, TREE_BYTES, PROT_R | PROT_W) < 0) {
        log_printf("guitest: cannot map the tree buffer\n");
        return 1;
    }
    tree_buf = (unsigned char *)va;
    if (argc > 1 && !strcmp(argv[1], "child")) {
        child();
        return 1;
    }
    if (argc > 1 && !strcmp(argv[1], "hang"))
        hang();
    handle_t ep;
    int err = connect_app(&ep);
    if (err) {
        log_printf("guitest: cannot connect to the gui: %s\n", err_str(err));
        return 1;
    }
    run("good_commit", test_good_commit);
    run("malformed_trees", test_malformed_trees);
    run("bad_requests", test_bad_requests);
    run("window_limit_and_close", test_window_limit_and_close);
    run("crashing_app", test_crashing_app);
    run("hung_app", test_hung_app);
    run("themes_and_display", test_themes_and_display);
    return guest_done();
}
