/*
 * virtio_gpu: the display of a virtio-gpu device (virtio 1.x over PCI,
 * 1af4:1050), 2D only, serving gpu_device (libs/driver/gpu_device.idl).
 *
 * Two buffers, each a host resource (B8G8R8X8, Cairo's layout) whose
 * backing is one physically contiguous memory object the client maps: the
 * client draws, and we only tell the device which rectangles to copy
 * (TRANSFER_TO_HOST_2D) and show (RESOURCE_FLUSH). No pixel passes through
 * this server.
 *
 * Commands go on the control queue (0) with their completions signalled by
 * MSI-X; each batch of commands must finish within CMD_TIMEOUT. A device that
 * does not answer, names descriptors we never gave it or sends nonsense is
 * logged and we exit non-zero: dm restarts us, and the restart resets the
 * device. Error responses to single commands fail the client's call instead.
 *
 * Options, from our arguments or environment (see startup_option(); init passes
 * dotted boot options to every program as environment entries):
 *   gpu.mode=WxH              the mode to start in instead of the device's preferred one
 *   virtio_gpu.crash_after=N  fault on purpose at the flush after N flushes (restart test;
 *                             flushes with nothing to show do not count)
 */
#include <common/cmdline.h>
#include <common/string.h>
#include <driver/driver.h>
#include <driver/gpu.h>
#include <tessera/runtime.h>
#include <tessera/syscall.h>
#include "idl/device.h"
#include "idl/gpu_device.h"
#include "protocol.h"

#define MS 1000000ull
#define CMD_TIMEOUT (1000 * MS)   /* for one batch of commands */
#define POLL_SLICE (10 * MS)      /* look at the used ring at least this often */
#define QUEUE_SIZE 64
#define SLOTS 32                  /* commands in one batch */
#define SLOT_SIZE 512             /* request at 0, response at RESP_OFFSET */
#define RESP_OFFSET VGPU_REQ_MAX
#define NUM_BUFFERS 2
#define SCANOUT 0

_Static_assert(RESP_OFFSET + VGPU_RESP_MAX <= SLOT_SIZE, "a slot holds a request and its response");
_Static_assert(GPU_MAX_RECTS + 1 <= SLOTS, "a flush's transfers (and a set_scanout) fit one batch");

static struct drv_device dev;
static struct virtio_pci vp;
static struct virtq ctrlq;
static struct drv_dma slots;
static handle_t ep, irq_ep;
static bool have_irq;

struct buffer {
    handle_t mem;
    uint64_t phys, size;
    uint32_t resource;   /* 0: none */
};
static struct buffer buffers[NUM_BUFFERS];
static uint32_t width, height, stride, pref_width, pref_height;
static int shown = -1;
static uint32_t next_resource = 1;
static long crash_after = -1, flushes;

/* ---- commands ---- */

static struct {
    size_t req_len, resp_len;
    uint32_t want;       /* the response type that means success */
    int head;            /* descriptor id once submitted */
    bool done;
    uint32_t written;
} batch[SLOTS];

static uint8_t *slot_req(unsigned i) { return (uint8_t *)slots.virt + i * SLOT_SIZE; }
static uint8_t *slot_resp(unsigned i) { return slot_req(i) + RESP_OFFSET; }
static uint64_t slot_phys(unsigned i) { return slots.phys + i * SLOT_SIZE; }

__attribute__((noreturn)) static void die(const char *what) {
    log_printf("virtio_gpu: %s%s; exiting so that dm restarts us\n", what,
               virtio_pci_broken(&vp) ? " (the device wants a reset)" : "");
    exit(2);
}

/* A wait for the interrupt timed out, yet commands had finished: unless
 * the interrupt is there now (it came late), it was lost. A few of those
 * and we say so once: we then run at POLL_SLICE, not at the device's pace. */
static void check_missed_interrupt(void) {
    static unsigned missed;
    if (!have_irq || drv_wait(irq_ep, 1000, NULL, NULL) != 0)
        return;
    if (++missed == 3)
        log_printf("virtio_gpu: commands finish without an interrupt; polling every %llu ms\n",
                   (unsigned long long)(POLL_SLICE / MS));
}

/* Sends commands 0..n-1 (filled in by the caller) and waits for all of them.
 * 0, or -E_IO if the device refused one (logged). Never returns if the device
 * misbehaves. */
static int run_batch(unsigned n) {
    unsigned submitted = 0, completed = 0;
    bool timed_out = false;
    for (unsigned i = 0; i < n; i++) {
        batch[i].done = false;
        batch[i].head = -1;
        memset(slot_resp(i), 0, VGPU_RESP_MAX);
    }
    drv_barrier();
    uint64_t deadline = sys_clock() + CMD_TIMEOUT;
    for (;;) {
        while (submitted < n) {
            struct virtq_buf b[2] = {
                {.phys = slot_phys(submitted), .len = (uint32_t)batch[submitted].req_len},
                {.phys = slot_phys(submitted) + RESP_OFFSET, .len = (uint32_t)batch[submitted].resp_len,
                 .device_writes = true},
            };
            int head = virtq_submit(&ctrlq, b, 2);
            if (head == -E_AGAIN)
                break;   /* queue full: wait for some to finish */
            if (head < 0)
                die("cannot submit a command");
            batch[submitted++].head = head;
        }
        unsigned reaped = 0;
        for (;; reaped++) {
            uint32_t len = 0;
            int id = virtq_get_used(&ctrlq, &len);
            if (id == -E_AGAIN)
                break;
            if (id < 0)
                die("the used ring names a descriptor that is not in flight");
            unsigned i = 0;
            while (i < submitted && (batch[i].head != id || batch[i].done))
                i++;
            if (i == submitted)
                die("a completion for a command we did not send");
            batch[i].done = true;
            batch[i].written = len;
            completed++;
        }
        if (reaped && timed_out)
            check_missed_interrupt();
        timed_out = false;
        if (completed == n)
            break;
        uint64_t now = sys_clock();
        if (now >= deadline) {
            log_printf("virtio_gpu: %u of %u commands (first %s) unanswered after %llu ms\n",
                       n - completed, n, vgpu_type_name(((struct virtio_gpu_ctrl_hdr *)slot_req(0))->type),
                       (unsigned long long)(CMD_TIMEOUT / MS));
            die("the device does not answer");
        }
        uint64_t wait = deadline - now < POLL_SLICE ? deadline - now : POLL_SLICE;
        long r = drv_wait(irq_ep, have_irq ? wait : MS, NULL, NULL);
        timed_out = r == 0;
        if (r < 0 && r != -E_TIMEDOUT)
            die("waiting for the device failed");
    }
    int err = 0;
    for (unsigned i = 0; i < n; i++) {
        const char *why;
        if (vgpu_check_resp(slot_resp(i), batch[i].written, batch[i].want, &why) < 0) {
            log_printf("virtio_gpu: %s refused: %s (response 0x%x, %u bytes)\n",
                       vgpu_type_name(((struct virtio_gpu_ctrl_hdr *)slot_req(i))->type), why,
                       ((struct virtio_gpu_ctrl_hdr *)slot_resp(i))->type, batch[i].written);
            err = -E_IO;
        }
    }
    return err;
}

/* The next free slot's request buffer; set() records its lengths. */
static void set(unsigned i, size_t req_len, uint32_t want) {
    batch[i].req_len = req_len;
    batch[i].resp_len = vgpu_resp_len(want);
    batch[i].want = want;
}

static int cmd_display_info(struct virtio_gpu_resp_display_info *out) {
    set(0, vgpu_enc_get_display_info(slot_req(0)), VIRTIO_GPU_RESP_OK_DISPLAY_INFO);
    int err = run_batch(1);
    if (!err)
        memcpy(out, slot_resp(0), sizeof(*out));
    return err;
}

/* ---- buffers ---- */

static struct gpu_rect whole(void) { return (struct gpu_rect){0, 0, width, height}; }

static void free_buffers(void) {
    unsigned n = 0;
    if (shown >= 0) {
        struct gpu_rect none = {0, 0, 0, 0};
        set(n, vgpu_enc_set_scanout(slot_req(n), SCANOUT, 0, &none), VIRTIO_GPU_RESP_OK_NODATA);
        n++;
        run_batch(n);
        n = 0;
        shown = -1;
    }
    for (int i = 0; i < NUM_BUFFERS; i++) {
        if (buffers[i].resource) {
            set(n, vgpu_enc_detach_backing(slot_req(n), buffers[i].resource), VIRTIO_GPU_RESP_OK_NODATA);
            n++;
        }
    }
    if (n)
        run_batch(n);
    n = 0;
    for (int i = 0; i < NUM_BUFFERS; i++) {
        if (buffers[i].resource) {
            set(n, vgpu_enc_unref(slot_req(n), buffers[i].resource), VIRTIO_GPU_RESP_OK_NODATA);
            n++;
        }
    }
    if (n)
        run_batch(n);
    for (int i = 0; i < NUM_BUFFERS; i++) {
        if (buffers[i].mem != HANDLE_NONE)
            sys_handle_close(buffers[i].mem);
        buffers[i] = (struct buffer){.mem = HANDLE_NONE};
    }
}

/* Buffers of w x h, black. On failure nothing is left allocated. */
static int make_buffers(uint32_t w, uint32_t h) {
    if (!gpu_mode_sane(w, h))
        return -E_INVAL;
    uint64_t size = (uint64_t)w * h * GPU_BYTES_PER_PIXEL;
    size = (size + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
    for (int i = 0; i < NUM_BUFFERS; i++) {
        long m = sys_mem_create(size, MEM_CONTIGUOUS);
        struct handle_info info;
        if (m < 0 || sys_handle_info((handle_t)m, &info) < 0) {
            log_printf("virtio_gpu: no %llu KiB of contiguous memory for a %ux%u buffer: %s\n",
                       (unsigned long long)(size >> 10), w, h, err_str(m < 0 ? m : -E_NOMEM));
            if (m >= 0)
                sys_handle_close((handle_t)m);
            for (int j = 0; j < i; j++) {
                sys_handle_close(buffers[j].mem);
                buffers[j].mem = HANDLE_NONE;
            }
            return -E_NOMEM;
        }
        buffers[i] = (struct buffer){.mem = (handle_t)m, .phys = info.phys, .size = size};
    }
    uint32_t ids[NUM_BUFFERS];
    for (unsigned i = 0; i < NUM_BUFFERS; i++) {
        ids[i] = next_resource++;
        set(i, vgpu_enc_create_2d(slot_req(i), ids[i], VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM, w, h),
            VIRTIO_GPU_RESP_OK_NODATA);
    }
    int err = run_batch(NUM_BUFFERS);
    for (unsigned i = 0; i < NUM_BUFFERS; i++)
        if (((struct virtio_gpu_ctrl_hdr *)slot_resp(i))->type == VIRTIO_GPU_RESP_OK_NODATA)
            buffers[i].resource = ids[i];   /* created: free_buffers unrefs it */
    if (!err) {
        for (unsigned i = 0; i < NUM_BUFFERS; i++)
            set(i, vgpu_enc_attach_backing(slot_req(i), ids[i], buffers[i].phys, (uint32_t)size),
                VIRTIO_GPU_RESP_OK_NODATA);
        err = run_batch(NUM_BUFFERS);
    }
    if (err) {
        free_buffers();
        return err;
    }
    width = w;
    height = h;
    stride = w * GPU_BYTES_PER_PIXEL;
    return 0;
}

/* Copies rectangles of buffer i to the host and shows them: all transfers
 * first, then the flushes once the copies are done. */
static int update(int i, const struct gpu_rect *rects, unsigned n, bool set_scanout) {
    unsigned k = 0;
    for (unsigned j = 0; j < n; j++, k++)
        set(k, vgpu_enc_transfer_to_host_2d(slot_req(k), buffers[i].resource, &rects[j], stride),
            VIRTIO_GPU_RESP_OK_NODATA);
    if (set_scanout) {
        struct gpu_rect all = whole();
        set(k, vgpu_enc_set_scanout(slot_req(k), SCANOUT, buffers[i].resource, &all),
            VIRTIO_GPU_RESP_OK_NODATA);
        k++;
    }
    int err = run_batch(k);
    if (err)
        return err;
    if (set_scanout)
        shown = i;
    for (unsigned j = 0; j < n; j++)
        set(j, vgpu_enc_resource_flush(slot_req(j), buffers[i].resource, &rects[j]),
            VIRTIO_GPU_RESP_OK_NODATA);
    return run_batch(n);
}

/* ---- the gpu_device interface ---- */

static int on_display_info(void *ctx, const struct ipc_msg *req, uint32_t *w, uint32_t *h,
                           uint32_t *s, uint32_t *pw, uint32_t *ph) {
    *w = width;
    *h = height;
    *s = stride;
    *pw = pref_width;
    *ph = pref_height;
    return 0;
}

static int on_set_mode(void *ctx, const struct ipc_msg *req, uint32_t w, uint32_t h) {
    if (!gpu_mode_sane(w, h))
        return -E_INVAL;
    uint32_t old_w = width, old_h = height;
    bool was_shown = shown >= 0;
    free_buffers();
    int err = make_buffers(w, h);
    if (err) {
        log_printf("virtio_gpu: cannot switch to %ux%u (%s); staying at %ux%u\n", w, h, err_str(err), old_w,
                   old_h);
        if (make_buffers(old_w, old_h) < 0)
            die("cannot restore the previous mode");
        w = old_w;
        h = old_h;
    } else {
        log_printf("virtio_gpu: mode %ux%u\n", w, h);
    }
    if (was_shown) {
        struct gpu_rect all = whole();
        update(0, &all, 1, true);
    }
    return err;
}

static int on_num_buffers(void *ctx, const struct ipc_msg *req, uint32_t *count) {
    *count = NUM_BUFFERS;
    return 0;
}

static int on_get_buffer(void *ctx, const struct ipc_msg *req, uint32_t index, handle_t *shm, uint32_t *w,
                         uint32_t *h, uint32_t *s) {
    if (index >= NUM_BUFFERS || buffers[index].mem == HANDLE_NONE)
        return -E_INVAL;
    long d = sys_handle_dup(buffers[index].mem, RIGHT_READ | RIGHT_WRITE | RIGHT_TRANSFER, 0);
    if (d < 0)
        return (int)d;
    *shm = (handle_t)d;
    *w = width;
    *h = height;
    *s = stride;
    return 0;
}

static int on_show_buffer(void *ctx, const struct ipc_msg *req, uint32_t index) {
    if (index >= NUM_BUFFERS || !buffers[index].resource)
        return -E_INVAL;
    struct gpu_rect all = whole();
    return update((int)index, &all, 1, shown != (int)index);
}

static int on_flush(void *ctx, const struct ipc_msg *req, uint32_t index, const void *rects, size_t len) {
    if (index >= NUM_BUFFERS || (int)index != shown)
        return -E_INVAL;
    struct gpu_rect r[GPU_MAX_RECTS];
    unsigned n;
    int err = gpu_rects_clip(rects, len, width, height, r, &n);
    if (err)
        return err;
    if (n == 0)
        return 0;
    if (crash_after >= 0 && flushes >= crash_after)
        drv_crash_on_purpose("virtio_gpu", (unsigned long long)flushes, "flushes");
    flushes++;
    return update((int)index, r, n, false);
}

static const struct gpu_device_server gpu_server = {
    .display_info = on_display_info,
    .set_mode = on_set_mode,
    .num_buffers = on_num_buffers,
    .get_buffer = on_get_buffer,
    .show_buffer = on_show_buffer,
    .flush = on_flush,
};

static int dispatch(struct ipc_msg *m) { return gpu_device_dispatch(&gpu_server, NULL, m); }

/* ---- start-up ---- */

static void setup_irq(void) {
    struct drv_irq irq;
    int err = drv_irq_msix(&dev, 0, irq_ep, 1, &irq);
    if (err) {
        log_printf("virtio_gpu: no MSI-X interrupt (%s); polling the control queue\n", err_str(err));
        return;
    }
    have_irq = true;
}

int main(int argc, char **argv) {
    for (int i = 0; i < NUM_BUFFERS; i++)
        buffers[i].mem = HANDLE_NONE;
    int err = drv_open(&dev);
    if (err) {
        log_printf("virtio_gpu: no device from dm: %s\n", err_str(err));
        return 1;
    }
    if (dev.vendor != VIRTIO_GPU_VENDOR || dev.device != VIRTIO_GPU_DEVICE) {
        log_printf("virtio_gpu: %04x:%04x is not a virtio-gpu\n", dev.vendor, dev.device);
        return 1;
    }
    crash_after = startup_option_int("virtio_gpu.crash_after", -1);

    long e1 = sys_endpoint_create(), e2 = sys_endpoint_create();
    if (e1 < 0 || e2 < 0) {
        log_printf("virtio_gpu: cannot create endpoints\n");
        return 1;
    }
    ep = (handle_t)e1;
    irq_ep = (handle_t)e2;

    /* Bus mastering: the device's DMA and its MSI-X writes need it. */
    err = drv_pci_enable(&dev);
    if (err) {
        log_printf("virtio_gpu: cannot enable the device: %s\n", err_str(err));
        return 1;
    }
    err = virtio_pci_init(&dev, &vp, 0);
    if (err) {
        log_printf("virtio_gpu: virtio set-up failed: %s\n", err_str(err));
        return 1;
    }
    uint32_t scanouts = vp.device_cfg ? *(volatile uint32_t *)(vp.device_cfg + VIRTIO_GPU_CFG_NUM_SCANOUTS) : 0;
    if (scanouts < 1 || scanouts > VIRTIO_GPU_MAX_SCANOUTS)
        log_printf("virtio_gpu: the device reports %u scanouts; using scanout 0 anyway\n", scanouts);
    err = drv_dma_alloc(SLOTS * SLOT_SIZE, &slots);
    if (err) {
        log_printf("virtio_gpu: no DMA memory for commands: %s\n", err_str(err));
        return 1;
    }
    setup_irq();
    err = virtq_setup(&vp, 0, QUEUE_SIZE, have_irq ? 0 : 0xffff, &ctrlq);
    if (!err && ctrlq.size < 2) {
        log_printf("virtio_gpu: the control queue has %u entries\n", ctrlq.size);
        err = -E_IO;
    }
    if (!err)
        err = virtio_pci_ready(&vp);
    if (err) {
        log_printf("virtio_gpu: control queue set-up failed: %s\n", err_str(err));
        return 1;
    }

    struct virtio_gpu_resp_display_info info;
    if (cmd_display_info(&info) < 0)
        die("GET_DISPLAY_INFO failed");
    if (vgpu_pick_mode(&info, &pref_width, &pref_height) < 0)
        log_printf("virtio_gpu: scanout 0 reports %ux%u (enabled %u); using 1024x768\n",
                   info.pmodes[0].r.width, info.pmodes[0].r.height, info.pmodes[0].enabled);
    uint32_t w = pref_width, h = pref_height;
    char val[32];
    if (startup_option("gpu.mode", val, sizeof(val)) && !gpu_parse_mode(val, &w, &h)) {
        log_printf("virtio_gpu: gpu.mode=%s is not WxH within 1..%u; using %ux%u\n", val, GPU_MAX_DIM, w, h);
        w = pref_width;
        h = pref_height;
    }
    err = make_buffers(w, h);
    if (err && (w != 1024 || h != 768)) {
        log_printf("virtio_gpu: %ux%u failed (%s); trying 1024x768\n", w, h, err_str(err));
        err = make_buffers(1024, 768);
    }
    if (err)
        die("cannot create the buffers");

    err = drv_ready(&dev, "gpu", ep);
    if (err) {
        log_printf("virtio_gpu: ready failed: %s\n", err_str(err));
        return 1;
    }
    log_printf("virtio_gpu: %ux%u (preferred %ux%u), %s\n", width, height, pref_width, pref_height,
               have_irq ? "MSI-X" : "polled");

    drv_serve(ep, dispatch);
}
