/* System call wrappers for Tessera user space (one per SYS_* number). */
#ifndef TESSERA_SYSCALL_H
#define TESSERA_SYSCALL_H

#include <stddef.h>
#include <stdint.h>
#include <tessera/abi.h>

long syscall6(long n, long a1, long a2, long a3, long a4, long a5, long a6);

static inline long sys_log_write(const char *buf, size_t len) {
    return syscall6(SYS_LOG_WRITE, (long)buf, (long)len, 0, 0, 0, 0);
}
static inline long sys_handle_close(handle_t h) {
    return syscall6(SYS_HANDLE_CLOSE, h, 0, 0, 0, 0, 0);
}
static inline long sys_handle_dup(handle_t h, uint32_t rights, uint64_t badge) {
    return syscall6(SYS_HANDLE_DUP, h, rights, (long)badge, 0, 0, 0);
}
static inline long sys_handle_info(handle_t h, struct handle_info *info) {
    return syscall6(SYS_HANDLE_INFO, h, (long)info, 0, 0, 0, 0);
}
static inline long sys_endpoint_create(void) {
    return syscall6(SYS_ENDPOINT_CREATE, 0, 0, 0, 0, 0, 0);
}
static inline long sys_ipc(handle_t send, handle_t recv, struct ipc_msg *m,
                           uint32_t flags, uint64_t timeout_ns) {
    return syscall6(SYS_IPC, send, recv, (long)m, flags, (long)timeout_ns, 0);
}
static inline long sys_notify(handle_t ep, uint64_t bits) {
    return syscall6(SYS_NOTIFY, ep, (long)bits, 0, 0, 0, 0);
}
static inline long sys_task_create(const char *name, size_t len) {
    return syscall6(SYS_TASK_CREATE, (long)name, (long)len, 0, 0, 0, 0);
}
static inline long sys_task_start(handle_t task, uintptr_t entry, uintptr_t stack, uintptr_t arg) {
    return syscall6(SYS_TASK_START, task, (long)entry, (long)stack, (long)arg, 0, 0);
}
static inline long sys_task_start_flags(handle_t task, uintptr_t entry, uintptr_t stack, uintptr_t arg,
                                        uint32_t flags) {
    return syscall6(SYS_TASK_START, task, (long)entry, (long)stack, (long)arg, flags, 0);
}
__attribute__((noreturn)) void sys_task_exit(int status);
static inline long sys_task_kill(handle_t task) {
    return syscall6(SYS_TASK_KILL, task, 0, 0, 0, 0, 0);
}
static inline long sys_task_give(handle_t task, handle_t h, uint32_t rights) {
    return syscall6(SYS_TASK_GIVE, task, h, rights, 0, 0, 0);
}
static inline long sys_task_watch(handle_t task, handle_t ep, uint64_t bits) {
    return syscall6(SYS_TASK_WATCH, task, ep, (long)bits, 0, 0, 0);
}
static inline long sys_task_info(handle_t task, struct task_info *info) {
    return syscall6(SYS_TASK_INFO, task, (long)info, 0, 0, 0, 0);
}
static inline long sys_mem_create(size_t size, uint32_t flags) {
    return syscall6(SYS_MEM_CREATE, (long)size, flags, 0, 0, 0, 0);
}
static inline long sys_vm_map(handle_t task, handle_t mem, uint64_t offset, uintptr_t vaddr,
                              size_t size, uint32_t prot) {
    return syscall6(SYS_VM_MAP, task, mem, (long)offset, (long)vaddr, (long)size, prot);
}
static inline long sys_vm_unmap(handle_t task, uintptr_t vaddr, size_t size) {
    return syscall6(SYS_VM_UNMAP, task, (long)vaddr, (long)size, 0, 0, 0);
}
static inline long sys_irq_create(handle_t system, unsigned irq) {
    return syscall6(SYS_IRQ_CREATE, system, irq, 0, 0, 0, 0);
}
static inline long sys_irq_bind(handle_t irq, handle_t ep, uint64_t bits) {
    return syscall6(SYS_IRQ_BIND, irq, ep, (long)bits, 0, 0, 0);
}
static inline long sys_irq_ack(handle_t irq) {
    return syscall6(SYS_IRQ_ACK, irq, 0, 0, 0, 0, 0);
}
static inline long sys_ioport_create(handle_t system, unsigned base, unsigned count) {
    return syscall6(SYS_IOPORT_CREATE, system, base, count, 0, 0, 0);
}
static inline long sys_ioport_in(handle_t io, unsigned port, unsigned width) {
    return syscall6(SYS_IOPORT_IN, io, port, width, 0, 0, 0);
}
static inline long sys_ioport_out(handle_t io, unsigned port, unsigned width, uint32_t value) {
    return syscall6(SYS_IOPORT_OUT, io, port, width, value, 0, 0);
}
static inline uint64_t sys_clock(void) {
    return (uint64_t)syscall6(SYS_CLOCK, 0, 0, 0, 0, 0, 0);
}
static inline long sys_yield(void) {
    return syscall6(SYS_YIELD, 0, 0, 0, 0, 0, 0);
}
static inline long sys_set_tls(uintptr_t fs_base) {
    return syscall6(SYS_SET_TLS, (long)fs_base, 0, 0, 0, 0, 0);
}
static inline long sys_task_set_pager(handle_t task, handle_t ep) {
    return syscall6(SYS_TASK_SET_PAGER, task, ep, 0, 0, 0, 0);
}
static inline long sys_mem_info(struct mem_info *info) {
    return syscall6(SYS_MEM_INFO, (long)info, 0, 0, 0, 0, 0);
}
static inline long sys_sched(handle_t task, int priority, int quantum_ms, int reset_ms, uint32_t affinity) {
    return syscall6(SYS_SCHED, task, priority, quantum_ms, reset_ms, (long)affinity, 0);
}
static inline long sys_task_set_scheduler(handle_t task, handle_t ep) {
    return syscall6(SYS_TASK_SET_SCHEDULER, task, ep, 0, 0, 0, 0);
}
static inline long sys_sched_info(handle_t task, struct sched_info *info) {
    return syscall6(SYS_SCHED_INFO, task, (long)info, 0, 0, 0, 0);
}
static inline long sys_timer_create(handle_t ep, uint64_t bits) {
    return syscall6(SYS_TIMER_CREATE, ep, (long)bits, 0, 0, 0, 0);
}
static inline long sys_timer_set(handle_t timer, uint64_t delay_ns, uint64_t interval_ns) {
    return syscall6(SYS_TIMER_SET, timer, (long)delay_ns, (long)interval_ns, 0, 0, 0);
}
static inline long sys_timer_get(handle_t timer, struct timer_info *info) {
    return syscall6(SYS_TIMER_GET, timer, (long)info, 0, 0, 0, 0);
}
static inline long sys_cpu_info(struct cpu_info *info) {
    return syscall6(SYS_CPU_INFO, (long)info, 0, 0, 0, 0, 0);
}
static inline long sys_mem_device(handle_t system, uint64_t paddr, uint64_t size, uint32_t flags) {
    return syscall6(SYS_MEM_DEVICE, system, (long)paddr, (long)size, flags, 0, 0);
}
static inline long sys_fb_info(struct fb_info *info) {
    return syscall6(SYS_FB_INFO, (long)info, 0, 0, 0, 0, 0);
}
static inline long sys_power(handle_t system, uint32_t action) {
    return syscall6(SYS_POWER, system, action, 0, 0, 0, 0);
}

/* IPC conveniences used by the generated IDL stubs. Each returns a negative
 * E_* code on a kernel-level failure, else 0 (for calls: the reply is in m and
 * m->label holds the server's status). */
static inline long ipc_call(handle_t ep, struct ipc_msg *m) {
    return sys_ipc(ep, HANDLE_NONE, m, IPC_CALL, 0);
}
static inline long ipc_send(handle_t ep, struct ipc_msg *m) {
    return sys_ipc(ep, HANDLE_NONE, m, IPC_SEND, 0);
}
static inline long ipc_recv(handle_t ep, struct ipc_msg *m) {
    return sys_ipc(HANDLE_NONE, ep, m, IPC_RECV, 0);
}
static inline long ipc_reply(struct ipc_msg *m) {
    return sys_ipc(HANDLE_NONE, HANDLE_NONE, m, IPC_REPLY, 0);
}
static inline long ipc_reply_recv(handle_t ep, struct ipc_msg *m) {
    return sys_ipc(HANDLE_NONE, ep, m, IPC_REPLY | IPC_RECV, 0);
}

#endif
