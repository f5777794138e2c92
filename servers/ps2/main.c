/*
 * ps2: the i8042 keyboard controller, its keyboard (port 1, IRQ 1) and mouse
 * (aux port, IRQ 12), serving the input interface (input.idl). A driver
 * under dm (legacy device ISA_I8042): ports 0x60 and 0x64 are its resources
 * 0 and 1, IRQs 1 and 12 its irq indexes 0 and 1; it registers as "input"
 * and answers dm's pings.
 *
 * Set-up polls the controller with a deadline on every byte, so a missing or
 * stuck controller costs at most one timeout and one log line; the service
 * reports ready in every case. Afterwards bytes arrive as IRQ notifications.
 * The keyboard is left in scan code set 2 with the controller translating to
 * set 1, which every PC keyboard supports (decode.c reads set 1).
 *
 * Subscribers share a ring with us (see <tessera/input.h>): we append and
 * notify, never wait for them, and drop a subscription when its task ends
 * (we watch the task handle it gives us) or its notification handle fails.
 * Subscriptions do not outlive us: after a restart by dm, subscribers whose
 * calls fail with -E_PEER look "input" up again and subscribe anew.
 *
 * Option (boot option or argument, see startup_option()):
 *   ps2.crash_after=N  fault on purpose once N key events have been delivered
 *                      (restart test, tests/qemu/test_input.py)
 */
#include <common/string.h>
#include <driver/driver.h>
#include <tessera/input.h>
#include <tessera/runtime.h>
#include <tessera/syscall.h>
#include "idl/input.h"
#include "decode.h"

#define MS 1000000ull
/* Ports 0x60 (data) and 0x64 (write: command; read: status): resources 0 and 1. */
#define ST_OUT_FULL 0x01       /* a byte waits for us in PORT_DATA */
#define ST_IN_FULL 0x02        /* the controller has not taken our last byte yet */
#define ST_AUX 0x20            /* the waiting byte came from the mouse */

#define CFG_IRQ1 0x01
#define CFG_IRQ12 0x02
#define CFG_NO_CLOCK1 0x10
#define CFG_NO_CLOCK2 0x20
#define CFG_TRANSLATE 0x40

#define DEV_ACK 0xfa
#define DEV_RESEND 0xfe

#define BIT_KBD 1ull
#define BIT_MOUSE 2ull
#define WATCH_SHIFT 8          /* subscriber i's task ended: bit WATCH_SHIFT + i */
#define MAX_SUBS 8
#define MAX_BYTES_PER_WAKE 256

static struct drv_device dev;
static struct drv_ports io_data, io_cmd;
static struct drv_irq irq_kbd, irq_mouse;
static handle_t ep;
static long crash_after = -1;

static bool have_kbd, have_mouse;
static int mouse_id = -1;
static struct kbd_state kbd;
static struct mouse_state mouse;
static uint64_t stat_keys, stat_packets, stat_dropped;

/* ---- the controller, polled ---- */

static uint8_t status(void) {
    long v = drv_port_in(&io_cmd, 0, 1);
    return v < 0 ? 0xff : (uint8_t)v;
}

static bool wait_input_empty(void) {
    uint64_t deadline = sys_clock() + 50 * MS;
    while (status() & ST_IN_FULL) {
        if (sys_clock() > deadline)
            return false;
        sys_yield();
    }
    return true;
}

static bool write_cmd(uint8_t c) {
    if (!wait_input_empty())
        return false;
    drv_port_out(&io_cmd, 0, 1, c);
    return true;
}

static bool write_data(uint8_t b) {
    if (!wait_input_empty())
        return false;
    drv_port_out(&io_data, 0, 1, b);
    return true;
}

/* The next byte within timeout_ns, or -1. from: 0 keyboard/controller, 1
 * mouse, -1 either; bytes from the other device are thrown away (only
 * during set-up, when nobody listens yet). */
static int read_byte(uint64_t timeout_ns, int from) {
    uint64_t deadline = sys_clock() + timeout_ns;
    for (;;) {
        uint8_t st = status();
        if (st & ST_OUT_FULL) {
            uint8_t b = (uint8_t)drv_port_in(&io_data, 0, 1);
            if (from < 0 || from == !!(st & ST_AUX))
                return b;
            continue;
        }
        if (sys_clock() > deadline)
            return -1;
        sys_yield();
    }
}

static void flush_output(void) {
    for (int i = 0; i < 64 && (status() & ST_OUT_FULL); i++)
        drv_port_in(&io_data, 0, 1);
}

/* A controller command that answers one byte; -1 on timeout. */
static int cmd_read(uint8_t c) {
    if (!write_cmd(c))
        return -1;
    return read_byte(100 * MS, 0);
}

/* A byte to the keyboard (aux false) or the mouse, waiting for its ack and
 * resending when asked to. */
static bool dev_send(bool aux, uint8_t b) {
    for (int tries = 0; tries < 3; tries++) {
        if ((aux && !write_cmd(0xd4)) || !write_data(b))
            return false;
        for (;;) {
            int r = read_byte(200 * MS, aux);
            if (r == DEV_ACK)
                return true;
            if (r == DEV_RESEND)
                break;
            if (r < 0)
                return false;
            /* anything else is a stray key or packet byte: keep waiting */
        }
    }
    return false;
}

static void setup_keyboard(void) {
    /* Set 2 (translated to set 1 by the controller); some keyboards refuse
     * the command but speak set 2 anyway. */
    if (dev_send(false, 0xf0))
        dev_send(false, 0x02);
    if (!dev_send(false, 0xed) || !dev_send(false, kbd_leds(&kbd)) || !dev_send(false, 0xf4)) {
        log_printf("ps2: the keyboard does not answer; no keyboard\n");
        return;
    }
    have_kbd = true;
}

static void setup_mouse(void) {
    /* Reset: ack, then self-test passed (0xAA) and the id; a real mouse may
     * take half a second. */
    if (!dev_send(true, 0xff) || read_byte(1000 * MS, 1) != 0xaa) {
        log_printf("ps2: no mouse on the aux port\n");
        return;
    }
    read_byte(200 * MS, 1);
    /* Sample rates 200, 100, 80 switch an IntelliMouse to id 3, which adds
     * a wheel byte to each packet. */
    static const uint8_t knock[] = {0xf3, 200, 0xf3, 100, 0xf3, 80, 0xf2};
    bool ok = dev_send(true, 0xf6);
    for (unsigned i = 0; ok && i < sizeof(knock); i++)
        ok = dev_send(true, knock[i]);
    int id = ok ? read_byte(200 * MS, 1) : -1;
    /* A normal rate again, then streaming. */
    if (id < 0 || !dev_send(true, 0xf3) || !dev_send(true, 100) || !dev_send(true, 0xf4)) {
        log_printf("ps2: the mouse stopped answering during set-up; no mouse\n");
        return;
    }
    mouse_id = id;
    mouse_init(&mouse, id == 3 ? 4 : 3);
    have_mouse = true;
}

/* Returns the configuration byte to run with, or -1 if the controller is
 * absent or broken (said in one line). */
static int setup_controller(void) {
    if (status() == 0xff) {
        log_printf("ps2: no i8042 controller (status reads 0xff); no keyboard or mouse\n");
        return -1;
    }
    if (!write_cmd(0xad) || !write_cmd(0xa7)) {   /* both ports off while we work */
        log_printf("ps2: the i8042 does not take commands; no keyboard or mouse\n");
        return -1;
    }
    flush_output();
    int cfg = cmd_read(0x20);
    if (cfg < 0) {
        log_printf("ps2: the i8042 did not return its configuration; no keyboard or mouse\n");
        return -1;
    }
    cfg &= ~(CFG_IRQ1 | CFG_IRQ12 | CFG_TRANSLATE);   /* polled during set-up */
    write_cmd(0x60);
    write_data((uint8_t)cfg);
    int r = cmd_read(0xaa);
    if (r != 0x55) {
        log_printf("ps2: i8042 self-test %s (0x%x); no keyboard or mouse\n",
                   r < 0 ? "timed out" : "failed", r < 0 ? 0 : r);
        return -1;
    }
    write_cmd(0x60);   /* the self-test may have reset the configuration */
    write_data((uint8_t)cfg);

    /* Two ports if enabling the second one starts its clock. */
    write_cmd(0xa8);
    int c2 = cmd_read(0x20);
    bool dual = c2 >= 0 && !(c2 & CFG_NO_CLOCK2);
    write_cmd(0xa7);

    bool port1 = cmd_read(0xab) == 0x00;
    bool port2 = dual && cmd_read(0xa9) == 0x00;
    if (port1) {
        write_cmd(0xae);
        setup_keyboard();
    } else {
        log_printf("ps2: the keyboard port failed its test; no keyboard\n");
    }
    if (port2) {
        write_cmd(0xa8);
        setup_mouse();
    } else {
        log_printf("ps2: the i8042 has no working aux port; no mouse\n");
    }
    cfg |= CFG_TRANSLATE;
    if (have_kbd)
        cfg = (cfg | CFG_IRQ1) & ~CFG_NO_CLOCK1;
    if (have_mouse)
        cfg = (cfg | CFG_IRQ12) & ~CFG_NO_CLOCK2;
    return cfg;
}

/* ---- subscribers ---- */

struct sub {
    bool used, pending;
    uint32_t task_id;
    handle_t task, notify, mem;
    uintptr_t va;
    uint64_t size, bits;
    struct ring_writer w;
};
static struct sub subs[MAX_SUBS];
static int num_subs;

static void sub_drop(struct sub *s) {
    sys_vm_unmap(HANDLE_SELF, s->va, s->size);
    vm_release(s->va, s->size);
    sys_handle_close(s->mem);
    sys_handle_close(s->notify);
    sys_handle_close(s->task);
    s->used = false;
    num_subs--;
}

static struct sub *sub_of(uint32_t task_id) {
    for (int i = 0; i < MAX_SUBS; i++)
        if (subs[i].used && subs[i].task_id == task_id)
            return &subs[i];
    return NULL;
}

static void deliver(struct input_event *ev) {
    ev->time_ns = sys_clock();
    for (int i = 0; i < MAX_SUBS; i++) {
        if (!subs[i].used)
            continue;
        if (ring_push(&subs[i].w, ev))
            subs[i].pending = true;
        else
            stat_dropped++;
    }
}

static void notify_subscribers(void) {
    for (int i = 0; i < MAX_SUBS; i++) {
        struct sub *s = &subs[i];
        if (!s->used || !s->pending)
            continue;
        s->pending = false;
        if (sys_notify(s->notify, s->bits) < 0)
            sub_drop(s);   /* its handle is no good any more */
    }
}

/* A watched task ended: drop its subscription (the bit may be stale if the
 * slot was reused, so look at the task itself). */
static void reap(uint64_t bits) {
    for (int i = 0; i < MAX_SUBS; i++) {
        struct task_info info;
        if (!(bits & (1ull << (WATCH_SHIFT + i))) || !subs[i].used)
            continue;
        if (sys_task_info(subs[i].task, &info) < 0 || info.state == TASK_STATE_DEAD)
            sub_drop(&subs[i]);
    }
}

static bool handle_is(handle_t h, uint32_t type, uint32_t rights, struct handle_info *info) {
    return h != HANDLE_NONE && sys_handle_info(h, info) == 0 && info->type == type &&
           (info->rights & rights) == rights;
}

static int on_subscribe(void *ctx, const struct ipc_msg *req, handle_t ring, handle_t notify,
                        handle_t task, uint64_t bits) {
    struct handle_info mi, ni, ti;
    struct task_info tinfo;
    int err = -E_INVAL;
    if (!handle_is(ring, KOBJ_MEMORY, RIGHT_READ | RIGHT_WRITE, &mi) || mi.size < INPUT_RING_MIN_BYTES ||
        mi.size > INPUT_RING_MAX_BYTES || !handle_is(notify, KOBJ_ENDPOINT, RIGHT_NOTIFY, &ni) ||
        !handle_is(task, KOBJ_TASK, RIGHT_WATCH, &ti) || bits == 0)
        goto fail;
    /* The task handle must be the caller's own: the kernel vouches for sender. */
    if (sys_task_info(task, &tinfo) < 0 || tinfo.id != req->sender || tinfo.state == TASK_STATE_DEAD) {
        err = -E_PERM;
        goto fail;
    }
    struct sub *old = sub_of(req->sender);
    if (old)
        sub_drop(old);
    struct sub *s = NULL;
    for (int i = 0; i < MAX_SUBS && !s; i++)
        if (!subs[i].used)
            s = &subs[i];
    if (!s) {
        err = -E_NOSPC;
        goto fail;
    }
    uintptr_t va = vm_reserve(mi.size);
    long r = sys_vm_map(HANDLE_SELF, ring, 0, va, mi.size, PROT_R | PROT_W);
    if (r < 0) {
        vm_release(va, mi.size);
        err = (int)r;
        goto fail;
    }
    r = sys_task_watch(task, ep, 1ull << (WATCH_SHIFT + (s - subs)));
    if (r < 0 || !ring_start(&s->w, (void *)va, mi.size)) {
        sys_vm_unmap(HANDLE_SELF, va, mi.size);
        vm_release(va, mi.size);
        err = r < 0 ? (int)r : -E_INVAL;
        goto fail;
    }
    s->used = true;
    s->pending = false;
    s->task_id = req->sender;
    s->task = task;
    s->notify = notify;
    s->mem = ring;
    s->va = va;
    s->size = mi.size;
    s->bits = bits;
    num_subs++;
    return 0;
fail:
    if (ring != HANDLE_NONE)
        sys_handle_close(ring);
    if (notify != HANDLE_NONE)
        sys_handle_close(notify);
    if (task != HANDLE_NONE)
        sys_handle_close(task);
    return err;
}

static int on_unsubscribe(void *ctx, const struct ipc_msg *req) {
    struct sub *s = sub_of(req->sender);
    if (!s)
        return -E_NOENT;
    sub_drop(s);
    return 0;
}

static int on_stats(void *ctx, const struct ipc_msg *req, uint64_t *keys, uint64_t *packets,
                    uint64_t *resyncs, uint64_t *dropped, uint32_t *subscribers, uint32_t *keyboard,
                    int32_t *mid) {
    *keys = stat_keys;
    *packets = stat_packets;
    *resyncs = mouse.resyncs;
    *dropped = stat_dropped;
    *subscribers = (uint32_t)num_subs;
    *keyboard = have_kbd;
    *mid = mouse_id;
    return 0;
}

static const struct input_server server = {
    .subscribe = on_subscribe, .unsubscribe = on_unsubscribe, .stats = on_stats,
};

/* ---- running ---- */

/* The LEDs follow the lock keys: 0xED, ack, the LED byte, ack. The acks
 * arrive with the key bytes, so this is a small state machine rather than a
 * wait; a keyboard that never acks is given up on after a while. */
static int led_step;          /* 0 idle, 1 sent 0xED, 2 sent the LED byte */
static bool led_again;        /* the locks changed while we were busy */
static uint64_t led_deadline;

static void led_update(void) {
    if (led_step) {
        led_again = true;
        return;
    }
    led_again = false;
    if (write_data(0xed)) {
        led_step = 1;
        led_deadline = sys_clock() + 200 * MS;
    }
}

/* Whether a keyboard byte was an answer to the LED commands. */
static bool led_byte(uint8_t b) {
    if (!led_step || (b != DEV_ACK && b != DEV_RESEND))
        return false;
    if (b == DEV_RESEND) {
        led_step = 0;
        led_update();
    } else if (led_step == 1) {
        led_step = write_data(kbd_leds(&kbd)) ? 2 : 0;
    } else {
        led_step = 0;
        if (led_again)
            led_update();
    }
    return true;
}

static void kbd_byte(uint8_t b) {
    if (led_byte(b))
        return;
    uint8_t leds = kbd_leds(&kbd);
    struct input_event ev;
    if (kbd_feed(&kbd, b, &ev)) {
        stat_keys++;
        deliver(&ev);
    }
    if (kbd_leds(&kbd) != leds)
        led_update();
}

static void mouse_byte(uint8_t b) {
    struct input_event ev;
    if (mouse_feed(&mouse, b, sys_clock(), &ev)) {
        stat_packets++;
        deliver(&ev);
    }
}

/* Everything the controller holds, to its device's decoder. */
static void drain(void) {
    for (int i = 0; i < MAX_BYTES_PER_WAKE; i++) {
        uint8_t st = status();
        if (!(st & ST_OUT_FULL))
            break;
        uint8_t b = (uint8_t)drv_port_in(&io_data, 0, 1);
        if (st & ST_AUX) {
            if (have_mouse)
                mouse_byte(b);
        } else if (have_kbd) {
            kbd_byte(b);
        }
    }
    if (led_step && sys_clock() > led_deadline) {
        led_step = 0;   /* no ack: forget it, the next lock change tries again */
        led_again = false;
    }
    notify_subscribers();
    if (crash_after >= 0 && stat_keys >= (uint64_t)crash_after)
        drv_crash_on_purpose("ps2", (unsigned long long)stat_keys, "key events");
}

/* IRQs 1 and 12 from dm, bound to ep (irq indexes 0 and 1). */
static bool start_irqs(void) {
    int err = drv_irq_legacy(&dev, 0, ep, BIT_KBD, &irq_kbd);
    if (!err)
        err = drv_irq_legacy(&dev, 1, ep, BIT_MOUSE, &irq_mouse);
    if (err)
        log_printf("ps2: cannot have IRQs 1 and 12: %s\n", err_str(err));
    return err == 0;
}

int main(int argc, char **argv) {
    int err = drv_open(&dev);
    if (err || dev.vendor != 0 || dev.device != ISA_I8042) {
        log_printf("ps2: not started by dm for the i8042: %s\n", err ? err_str(err) : "another device");
        return 1;
    }
    crash_after = startup_option_int("ps2.crash_after", -1);
    long e = sys_endpoint_create();
    if (e < 0) {
        log_printf("ps2: cannot create an endpoint: %s\n", err_str(e));
        return 1;
    }
    ep = (handle_t)e;
    kbd_init(&kbd);
    mouse_init(&mouse, 3);

    int pd = drv_ports(&dev, 0, &io_data), pc = pd ? 0 : drv_ports(&dev, 1, &io_cmd);
    if (pd || pc) {
        log_printf("ps2: cannot have ports 0x60 and 0x64 from dm: %s\n", err_str(pd ? pd : pc));
    } else {
        int cfg = setup_controller();
        if (cfg >= 0 && (have_kbd || have_mouse)) {
            /* Bind first: a byte that comes before would leave its edge unseen. */
            if (start_irqs()) {
                write_cmd(0x60);
                write_data((uint8_t)cfg);
                log_printf("ps2: keyboard %s, mouse %s (id %d)\n", have_kbd ? "on" : "absent",
                           have_mouse ? (mouse_id == 3 ? "with wheel" : "on") : "absent", mouse_id);
            } else {
                have_kbd = have_mouse = false;
            }
        }
    }

    err = drv_ready(&dev, "input", ep);
    if (err < 0) {
        log_printf("ps2: ready failed: %s\n", err_str(err));
        return 1;
    }

    for (;;) {
        struct ipc_msg m;
        /* A timeout now and then: the LED state machine's deadline, and a
         * poll in case an interrupt was lost after all. */
        long r = sys_ipc(HANDLE_NONE, ep, &m, IPC_RECV, led_step ? 50 * MS : 1000 * MS);
        if (r == 0 && (m.flags & IPC_MSG_NOTIFY)) {
            uint64_t bits;
            memcpy(&bits, m.data, sizeof(bits));
            reap(bits);
            if (bits & (BIT_KBD | BIT_MOUSE)) {
                drain();
                /* Unmask, then look again: a byte that came while the line
                 * was masked raised no interrupt we will ever see. */
                if (bits & BIT_KBD)
                    drv_irq_ack(&irq_kbd);
                if (bits & BIT_MOUSE)
                    drv_irq_ack(&irq_mouse);
            }
        } else if (r == 0 && !drv_serve_ping(&m)) {
            int dr = input_dispatch(&server, NULL, &m);
            if (dr == -E_NOSYS)
                dr = idl_reject(&m, -E_NOSYS);
            if (dr == 1)
                ipc_reply(&m);
        }
        if (have_kbd || have_mouse)
            drain();
    }
}
