/*
 * The virtio-gpu 2D control protocol (virtio 1.x specification, "GPU
 * Device"), as the driver uses it: the request and response layouts and the
 * encoders in protocol.c. Everything is little-endian on the wire, as on x86.
 * Pure code with no system calls, so tests/host/test_gpu.c checks it.
 */
#ifndef VIRTIO_GPU_PROTOCOL_H
#define VIRTIO_GPU_PROTOCOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <driver/gpu.h>

#define VIRTIO_GPU_VENDOR 0x1af4
#define VIRTIO_GPU_DEVICE 0x1050    /* 0x1040 + virtio device id 16 */

/* Device configuration (device_cfg). */
#define VIRTIO_GPU_CFG_EVENTS_READ 0
#define VIRTIO_GPU_CFG_EVENTS_CLEAR 4
#define VIRTIO_GPU_CFG_NUM_SCANOUTS 8

enum {
    /* 2D commands */
    VIRTIO_GPU_CMD_GET_DISPLAY_INFO = 0x0100,
    VIRTIO_GPU_CMD_RESOURCE_CREATE_2D = 0x0101,
    VIRTIO_GPU_CMD_RESOURCE_UNREF = 0x0102,
    VIRTIO_GPU_CMD_SET_SCANOUT = 0x0103,
    VIRTIO_GPU_CMD_RESOURCE_FLUSH = 0x0104,
    VIRTIO_GPU_CMD_TRANSFER_TO_HOST_2D = 0x0105,
    VIRTIO_GPU_CMD_RESOURCE_ATTACH_BACKING = 0x0106,
    VIRTIO_GPU_CMD_RESOURCE_DETACH_BACKING = 0x0107,
    /* success responses */
    VIRTIO_GPU_RESP_OK_NODATA = 0x1100,
    VIRTIO_GPU_RESP_OK_DISPLAY_INFO = 0x1101,
    /* error responses */
    VIRTIO_GPU_RESP_ERR_UNSPEC = 0x1200,
    VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY = 0x1201,
    VIRTIO_GPU_RESP_ERR_INVALID_SCANOUT_ID = 0x1202,
    VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID = 0x1203,
    VIRTIO_GPU_RESP_ERR_INVALID_CONTEXT_ID = 0x1204,
    VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER = 0x1205,
};

/* Bytes B, G, R, X in memory: Cairo's RGB24/ARGB32 on little-endian. */
#define VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM 2
#define VIRTIO_GPU_MAX_SCANOUTS 16

struct virtio_gpu_ctrl_hdr {
    uint32_t type;
    uint32_t flags;
    uint64_t fence_id;
    uint32_t ctx_id;
    uint8_t ring_idx;
    uint8_t padding[3];
};

struct virtio_gpu_rect {
    uint32_t x, y, width, height;
};

struct virtio_gpu_display_one {
    struct virtio_gpu_rect r;
    uint32_t enabled;
    uint32_t flags;
};

struct virtio_gpu_resp_display_info {
    struct virtio_gpu_ctrl_hdr hdr;
    struct virtio_gpu_display_one pmodes[VIRTIO_GPU_MAX_SCANOUTS];
};

struct virtio_gpu_resource_create_2d {
    struct virtio_gpu_ctrl_hdr hdr;
    uint32_t resource_id;
    uint32_t format;
    uint32_t width;
    uint32_t height;
};

struct virtio_gpu_resource_unref {
    struct virtio_gpu_ctrl_hdr hdr;
    uint32_t resource_id;
    uint32_t padding;
};

struct virtio_gpu_set_scanout {
    struct virtio_gpu_ctrl_hdr hdr;
    struct virtio_gpu_rect r;
    uint32_t scanout_id;
    uint32_t resource_id;
};

struct virtio_gpu_resource_flush {
    struct virtio_gpu_ctrl_hdr hdr;
    struct virtio_gpu_rect r;
    uint32_t resource_id;
    uint32_t padding;
};

struct virtio_gpu_transfer_to_host_2d {
    struct virtio_gpu_ctrl_hdr hdr;
    struct virtio_gpu_rect r;
    uint64_t offset;
    uint32_t resource_id;
    uint32_t padding;
};

struct virtio_gpu_mem_entry {
    uint64_t addr;
    uint32_t length;
    uint32_t padding;
};

/* Followed by nr_entries struct virtio_gpu_mem_entry. */
struct virtio_gpu_resource_attach_backing {
    struct virtio_gpu_ctrl_hdr hdr;
    uint32_t resource_id;
    uint32_t nr_entries;
};

struct virtio_gpu_resource_detach_backing {
    struct virtio_gpu_ctrl_hdr hdr;
    uint32_t resource_id;
    uint32_t padding;
};

/* The one-entry form the driver sends (its buffers are contiguous). */
struct vgpu_attach_backing_1 {
    struct virtio_gpu_resource_attach_backing head;
    struct virtio_gpu_mem_entry entry;
};

/* Largest request and response the driver builds. */
#define VGPU_REQ_MAX 64
#define VGPU_RESP_MAX sizeof(struct virtio_gpu_resp_display_info)

/*
 * Encoders: each fills `buf` (at least VGPU_REQ_MAX bytes, zeroed first)
 * with one request and returns its length.
 */
size_t vgpu_enc_get_display_info(void *buf);
size_t vgpu_enc_create_2d(void *buf, uint32_t resource, uint32_t format, uint32_t width,
                          uint32_t height);
size_t vgpu_enc_unref(void *buf, uint32_t resource);
size_t vgpu_enc_attach_backing(void *buf, uint32_t resource, uint64_t addr, uint32_t length);
size_t vgpu_enc_detach_backing(void *buf, uint32_t resource);
/* resource 0 disables the scanout. */
size_t vgpu_enc_set_scanout(void *buf, uint32_t scanout, uint32_t resource,
                            const struct gpu_rect *r);
/* Copies rectangle r of the guest backing (rows of `stride` bytes, 4 bytes
 * per pixel) into the host resource. */
size_t vgpu_enc_transfer_to_host_2d(void *buf, uint32_t resource, const struct gpu_rect *r,
                                    uint32_t stride);
size_t vgpu_enc_resource_flush(void *buf, uint32_t resource, const struct gpu_rect *r);

/* The size of the response whose type means success is `want`. */
size_t vgpu_resp_len(uint32_t want);

/*
 * Checks a response: `written` bytes by the device, expected type `want`.
 * 0 if good; -E_IO for an error response, a wrong type or a short one. A
 * description goes to why (static text) in every failing case.
 */
int vgpu_check_resp(const void *resp, uint32_t written, uint32_t want, const char **why);
const char *vgpu_type_name(uint32_t type);

/*
 * The mode to use from a GET_DISPLAY_INFO response: scanout 0's size if it
 * is enabled and sane (returns 0). If it is disabled or absurd (0 or over
 * GPU_MAX_DIM), *width x *height are set to 1024x768 and -E_RANGE is
 * returned so that the caller can say so.
 */
int vgpu_pick_mode(const struct virtio_gpu_resp_display_info *info, uint32_t *width,
                   uint32_t *height);

#endif
