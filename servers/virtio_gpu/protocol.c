/* Encoding and checking virtio-gpu control messages (see protocol.h). */
#include "protocol.h"
#include <tessera/abi.h>

_Static_assert(sizeof(struct virtio_gpu_ctrl_hdr) == 24, "ctrl_hdr layout");
_Static_assert(sizeof(struct virtio_gpu_display_one) == 24, "display_one layout");
_Static_assert(sizeof(struct virtio_gpu_resp_display_info) == 24 + 16 * 24, "display_info layout");
_Static_assert(sizeof(struct virtio_gpu_resource_create_2d) == 40, "create_2d layout");
_Static_assert(sizeof(struct virtio_gpu_resource_unref) == 32, "unref layout");
_Static_assert(sizeof(struct virtio_gpu_set_scanout) == 48, "set_scanout layout");
_Static_assert(sizeof(struct virtio_gpu_resource_flush) == 48, "resource_flush layout");
_Static_assert(sizeof(struct virtio_gpu_transfer_to_host_2d) == 56, "transfer_to_host_2d layout");
_Static_assert(sizeof(struct virtio_gpu_mem_entry) == 16, "mem_entry layout");
_Static_assert(sizeof(struct virtio_gpu_resource_attach_backing) == 32, "attach_backing layout");
_Static_assert(sizeof(struct vgpu_attach_backing_1) == 48, "attach_backing + 1 entry");
_Static_assert(sizeof(struct virtio_gpu_resource_detach_backing) == 32, "detach_backing layout");
_Static_assert(sizeof(struct vgpu_attach_backing_1) <= VGPU_REQ_MAX, "requests fit VGPU_REQ_MAX");

static void *start(void *buf, size_t len, uint32_t type) {
    __builtin_memset(buf, 0, len);
    ((struct virtio_gpu_ctrl_hdr *)buf)->type = type;
    return buf;
}

static struct virtio_gpu_rect vrect(const struct gpu_rect *r) {
    return (struct virtio_gpu_rect){.x = r->x, .y = r->y, .width = r->w, .height = r->h};
}

size_t vgpu_enc_get_display_info(void *buf) {
    start(buf, sizeof(struct virtio_gpu_ctrl_hdr), VIRTIO_GPU_CMD_GET_DISPLAY_INFO);
    return sizeof(struct virtio_gpu_ctrl_hdr);
}

size_t vgpu_enc_create_2d(void *buf, uint32_t resource, uint32_t format, uint32_t width,
                          uint32_t height) {
    struct virtio_gpu_resource_create_2d *c = start(buf, sizeof(*c), VIRTIO_GPU_CMD_RESOURCE_CREATE_2D);
    c->resource_id = resource;
    c->format = format;
    c->width = width;
    c->height = height;
    return sizeof(*c);
}

size_t vgpu_enc_unref(void *buf, uint32_t resource) {
    struct virtio_gpu_resource_unref *c = start(buf, sizeof(*c), VIRTIO_GPU_CMD_RESOURCE_UNREF);
    c->resource_id = resource;
    return sizeof(*c);
}

size_t vgpu_enc_attach_backing(void *buf, uint32_t resource, uint64_t addr, uint32_t length) {
    struct vgpu_attach_backing_1 *c = start(buf, sizeof(*c), VIRTIO_GPU_CMD_RESOURCE_ATTACH_BACKING);
    c->head.resource_id = resource;
    c->head.nr_entries = 1;
    c->entry.addr = addr;
    c->entry.length = length;
    return sizeof(*c);
}

size_t vgpu_enc_detach_backing(void *buf, uint32_t resource) {
    struct virtio_gpu_resource_detach_backing *c =
        start(buf, sizeof(*c), VIRTIO_GPU_CMD_RESOURCE_DETACH_BACKING);
    c->resource_id = resource;
    return sizeof(*c);
}

size_t vgpu_enc_set_scanout(void *buf, uint32_t scanout, uint32_t resource,
                            const struct gpu_rect *r) {
    struct virtio_gpu_set_scanout *c = start(buf, sizeof(*c), VIRTIO_GPU_CMD_SET_SCANOUT);
    c->r = vrect(r);
    c->scanout_id = scanout;
    c->resource_id = resource;
    return sizeof(*c);
}

size_t vgpu_enc_transfer_to_host_2d(void *buf, uint32_t resource, const struct gpu_rect *r,
                                    uint32_t stride) {
    struct virtio_gpu_transfer_to_host_2d *c =
        start(buf, sizeof(*c), VIRTIO_GPU_CMD_TRANSFER_TO_HOST_2D);
    c->r = vrect(r);
    /* Where the rectangle's first pixel is in the backing; the device steps
     * by the resource's stride from there. */
    c->offset = (uint64_t)r->y * stride + (uint64_t)r->x * GPU_BYTES_PER_PIXEL;
    c->resource_id = resource;
    return sizeof(*c);
}

size_t vgpu_enc_resource_flush(void *buf, uint32_t resource, const struct gpu_rect *r) {
    struct virtio_gpu_resource_flush *c = start(buf, sizeof(*c), VIRTIO_GPU_CMD_RESOURCE_FLUSH);
    c->r = vrect(r);
    c->resource_id = resource;
    return sizeof(*c);
}

size_t vgpu_resp_len(uint32_t want) {
    return want == VIRTIO_GPU_RESP_OK_DISPLAY_INFO ? sizeof(struct virtio_gpu_resp_display_info)
                                                   : sizeof(struct virtio_gpu_ctrl_hdr);
}

const char *vgpu_type_name(uint32_t type) {
    switch (type) {
    case VIRTIO_GPU_CMD_GET_DISPLAY_INFO: return "GET_DISPLAY_INFO";
    case VIRTIO_GPU_CMD_RESOURCE_CREATE_2D: return "RESOURCE_CREATE_2D";
    case VIRTIO_GPU_CMD_RESOURCE_UNREF: return "RESOURCE_UNREF";
    case VIRTIO_GPU_CMD_SET_SCANOUT: return "SET_SCANOUT";
    case VIRTIO_GPU_CMD_RESOURCE_FLUSH: return "RESOURCE_FLUSH";
    case VIRTIO_GPU_CMD_TRANSFER_TO_HOST_2D: return "TRANSFER_TO_HOST_2D";
    case VIRTIO_GPU_CMD_RESOURCE_ATTACH_BACKING: return "RESOURCE_ATTACH_BACKING";
    case VIRTIO_GPU_CMD_RESOURCE_DETACH_BACKING: return "RESOURCE_DETACH_BACKING";
    case VIRTIO_GPU_RESP_OK_NODATA: return "OK_NODATA";
    case VIRTIO_GPU_RESP_OK_DISPLAY_INFO: return "OK_DISPLAY_INFO";
    case VIRTIO_GPU_RESP_ERR_UNSPEC: return "ERR_UNSPEC";
    case VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY: return "ERR_OUT_OF_MEMORY";
    case VIRTIO_GPU_RESP_ERR_INVALID_SCANOUT_ID: return "ERR_INVALID_SCANOUT_ID";
    case VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID: return "ERR_INVALID_RESOURCE_ID";
    case VIRTIO_GPU_RESP_ERR_INVALID_CONTEXT_ID: return "ERR_INVALID_CONTEXT_ID";
    case VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER: return "ERR_INVALID_PARAMETER";
    default: return "unknown";
    }
}

int vgpu_check_resp(const void *resp, uint32_t written, uint32_t want, const char **why) {
    const struct virtio_gpu_ctrl_hdr *h = resp;
    size_t need = vgpu_resp_len(want);
    if (written < sizeof(*h)) {
        *why = "short response";
        return -E_IO;
    }
    if (h->type >= VIRTIO_GPU_RESP_ERR_UNSPEC && h->type < VIRTIO_GPU_RESP_ERR_UNSPEC + 0x100) {
        *why = vgpu_type_name(h->type);
        return -E_IO;
    }
    if (h->type != want) {
        *why = "unexpected response type";
        return -E_IO;
    }
    if (written < need) {
        *why = "short response";
        return -E_IO;
    }
    *why = "ok";
    return 0;
}

int vgpu_pick_mode(const struct virtio_gpu_resp_display_info *info, uint32_t *width,
                   uint32_t *height) {
    const struct virtio_gpu_display_one *d = &info->pmodes[0];
    if (d->enabled && gpu_mode_sane(d->r.width, d->r.height)) {
        *width = d->r.width;
        *height = d->r.height;
        return 0;
    }
    *width = 1024;
    *height = 768;
    return -E_RANGE;
}
