/* DMA memory: physically contiguous, zeroed by the kernel, mapped read/write. */
#include <common/string.h>
#include <driver/driver.h>
#include <tessera/runtime.h>

int drv_dma_alloc(uint64_t size, struct drv_dma *out) {
    memset(out, 0, sizeof(*out));
    out->mem = HANDLE_NONE;
    if (size == 0)
        return -E_INVAL;
    size = (size + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
    long h = sys_mem_create(size, MEM_CONTIGUOUS);
    if (h < 0)
        return (int)h;
    struct handle_info info;
    long r = sys_handle_info((handle_t)h, &info);
    if (r == 0 && !info.phys)
        r = -E_IO;   /* not contiguous after all */
    uintptr_t va = 0;
    if (r == 0) {
        va = vm_reserve(size);
        r = sys_vm_map(HANDLE_SELF, (handle_t)h, 0, va, size, PROT_R | PROT_W);
        if (r < 0)
            vm_release(va, size);
    }
    if (r < 0) {
        sys_handle_close((handle_t)h);
        return (int)r;
    }
    out->virt = (void *)va;
    out->phys = info.phys;
    out->size = size;
    out->mem = (handle_t)h;
    return 0;
}

void drv_dma_free(struct drv_dma *d) {
    if (!d->virt)
        return;
    sys_vm_unmap(HANDLE_SELF, (uintptr_t)d->virt, d->size);
    vm_release((uintptr_t)d->virt, d->size);
    sys_handle_close(d->mem);
    memset(d, 0, sizeof(*d));
    d->mem = HANDLE_NONE;
}
