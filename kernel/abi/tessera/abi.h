/*
 * The kernel/user-space ABI of Tessera: system call numbers, the IPC message,
 * handle rights and error codes. Shared by the kernel, libs/ and host tests;
 * everything here is plain C with fixed-width types.
 */
#ifndef TESSERA_ABI_H
#define TESSERA_ABI_H

#include <stdint.h>

typedef int32_t handle_t;      /* index | generation << 16; always > 0 when valid */
#define HANDLE_NONE ((handle_t)-1)

/* ---- System calls (number in rax, args in rdi, rsi, rdx, r10, r8, r9) ---- */
enum {
    SYS_LOG_WRITE = 1,      /* (const char *buf, size_t len) -> len */
    SYS_HANDLE_CLOSE,       /* (handle) */
    SYS_HANDLE_DUP,         /* (handle, rights, badge) -> new handle; rights must be a subset */
    SYS_HANDLE_INFO,        /* (handle, struct handle_info *) */
    SYS_ENDPOINT_CREATE,    /* () -> handle with all endpoint rights */
    SYS_IPC,                /* (send_h, recv_h, struct ipc_msg *, flags, timeout_ns) */
    SYS_NOTIFY,             /* (endpoint handle, bits) */
    SYS_TASK_CREATE,        /* (const char *name, size_t name_len) -> task handle */
    SYS_TASK_START,         /* (task handle, entry, stack, arg) */
    SYS_TASK_EXIT,          /* (status) -> never returns */
    SYS_TASK_KILL,          /* (task handle) */
    SYS_TASK_GIVE,          /* (task handle, handle, rights) -> handle number in that task; moves the handle */
    SYS_TASK_WATCH,         /* (task handle, endpoint handle, bits): notify when the task ends */
    SYS_TASK_INFO,          /* (task handle, struct task_info *) */
    SYS_MEM_CREATE,         /* (size, flags) -> memory object handle */
    SYS_VM_MAP,             /* (task handle or HANDLE_SELF, mem handle, offset, vaddr, size, prot) */
    SYS_VM_UNMAP,           /* (task handle or HANDLE_SELF, vaddr, size) */
    SYS_IRQ_CREATE,         /* (system handle, irq line) -> irq handle */
    SYS_IRQ_BIND,           /* (irq handle, endpoint handle, bits): an IRQ becomes a notification */
    SYS_IRQ_ACK,            /* (irq handle): unmask after handling */
    SYS_IOPORT_CREATE,      /* (system handle, base, count) -> ioport handle */
    SYS_IOPORT_IN,          /* (ioport handle, port, width 1/2/4) -> value */
    SYS_IOPORT_OUT,         /* (ioport handle, port, width, value) */
    SYS_CLOCK,              /* () -> monotonic nanoseconds since boot */
    SYS_YIELD,              /* () */
    SYS_SET_TLS,            /* (fs_base): the calling thread's TLS pointer */
    SYS_TASK_SET_PAGER,     /* (task handle, endpoint handle): page faults become calls to it */
    SYS_MEM_INFO,           /* (struct mem_info *) */
    SYS_SCHED,              /* (task handle with RIGHT_SCHED, priority, quantum_ms, reset_ms, affinity) */
    SYS_TASK_SET_SCHEDULER, /* (task handle with RIGHT_SCHED, endpoint handle with RIGHT_SEND) */
    SYS_SCHED_INFO,         /* (task handle with RIGHT_WATCH, or HANDLE_SELF; struct sched_info *) */
    SYS_TIMER_CREATE,       /* (endpoint handle with RIGHT_NOTIFY, bits) -> timer handle */
    SYS_TIMER_SET,          /* (timer handle, delay_ns, interval_ns): 0 delay disarms; -> ns that were left */
    SYS_TIMER_GET,          /* (timer handle, struct timer_info *) */
    SYS_CPU_INFO,           /* (struct cpu_info *) */
    SYS_MEM_DEVICE,         /* (system handle, paddr, size, MEM_DEVICE_* flags) -> memory handle over device memory */
    SYS_FB_INFO,            /* (struct fb_info *): the boot loader's linear framebuffer, -E_NOENT if none */
    SYS_POWER,              /* (system handle, POWER_*): returns only if it failed */
    SYS_MAX
};

/* The calling task's own handle table slot 0 is never used; this pseudo
 * handle names "my own task" in SYS_VM_MAP/UNMAP and SYS_TASK_INFO. */
#define HANDLE_SELF ((handle_t)0)

/* ---- Error codes (returned negated) ---- */
enum {
    E_OK = 0,
    E_INVAL = 1,     /* bad argument */
    E_BADH = 2,      /* not a handle, closed, or of the wrong type */
    E_PERM = 3,      /* the handle lacks the right */
    E_FAULT = 4,     /* bad user pointer */
    E_NOMEM = 5,     /* out of memory */
    E_NOSPC = 6,     /* handle table full */
    E_AGAIN = 7,     /* would block (IPC_NONBLOCK) */
    E_TIMEDOUT = 8,
    E_PEER = 9,      /* the other side is gone */
    E_NOSYS = 10,    /* no such system call */
    E_BUSY = 11,     /* already bound / in use */
    E_RANGE = 12,    /* address or size out of range */
    E_DEAD = 13,     /* the task has ended */
    /* for servers (files and the like) */
    E_NOENT = 14,    /* no such file or directory */
    E_NOTDIR = 15,
    E_ISDIR = 16,
    E_IO = 17,       /* the data is corrupt or the device failed */
    E_NOTSUP = 18,   /* not supported by this server */
    E_ROFS = 19,     /* read-only file system */
    E_NAMETOOLONG = 20,
    E_EXISTS = 21,   /* the name is taken */
    E_NOTEMPTY = 22, /* a directory that still has entries */
    E_FULL = 23,     /* no room left on the volume */
    E_MAX
};

/* ---- Handles ---- */
enum {
    KOBJ_NONE = 0,
    KOBJ_TASK,
    KOBJ_ENDPOINT,
    KOBJ_MEMORY,
    KOBJ_IRQ,
    KOBJ_IOPORT,
    KOBJ_SYSTEM,     /* the root resource: creates IRQ and I/O port handles */
    KOBJ_TIMER,
};

enum {
    RIGHT_SEND = 1u << 0,      /* endpoint: send and call */
    RIGHT_RECV = 1u << 1,      /* endpoint: receive */
    RIGHT_NOTIFY = 1u << 2,    /* endpoint: post notification bits */
    RIGHT_READ = 1u << 3,      /* memory: map readable */
    RIGHT_WRITE = 1u << 4,     /* memory: map writable */
    RIGHT_EXEC = 1u << 5,      /* memory: map executable */
    RIGHT_CONTROL = 1u << 6,   /* task: start, kill, map into, give to; irq: bind/ack; ioport: use */
    RIGHT_DUP = 1u << 7,       /* may be duplicated */
    RIGHT_TRANSFER = 1u << 8,  /* may be moved into another task (IPC or give) */
    RIGHT_WATCH = 1u << 9,     /* task: watch for its end, read its info */
    RIGHT_SCHED = 1u << 10,    /* task: set its priority, quantum, affinity and scheduler */
    RIGHTS_ALL = 0x7ff,
};

struct handle_info {
    uint32_t type;    /* KOBJ_* */
    uint32_t rights;
    uint64_t badge;
    uint64_t size;    /* memory objects: size in bytes */
    uint64_t phys;    /* physically contiguous memory objects: the physical address, for DMA */
    uint64_t msi_addr;   /* MSI IRQs: what the device must write where to raise it */
    uint32_t msi_data;
    uint32_t reserved;
};

/* SYS_IRQ_CREATE with this "line": a message-signalled interrupt (PCI MSI or
 * MSI-X) on a vector of its own; SYS_HANDLE_INFO tells the address and data
 * to program into the device. Edge-triggered: SYS_IRQ_ACK is not needed. */
#define IRQ_MSI 0x10000u

struct task_info {
    uint32_t id;
    int32_t state;    /* TASK_STATE_* */
    int32_t exit_status;
    char name[32];
};

enum { TASK_STATE_CREATED = 0, TASK_STATE_RUNNING = 1, TASK_STATE_DEAD = 2 };

/* ---- Scheduling (mechanism; the policy is the sched server's) ----
 * NUM priorities, 0 the highest. The highest-priority runnable task runs;
 * equal priorities take turns every SCHED_SLICE_MS. Each task also has a
 * quantum: when it has run that long the kernel refills it with `reset`, or,
 * if reset is SCHED_ASK (-1), calls the task's scheduler on its behalf (label
 * SCHED_QUANTUM_LABEL, data struct sched_event; badge of the scheduler handle)
 * and the task waits until the scheduler replies (having called SYS_SCHED).
 * If the scheduler is gone, the task falls back to the defaults. */
#define SCHED_PRIORITIES 32
#define SCHED_PRIO_LOWEST 31
#define SCHED_SLICE_MS 10
#define SCHED_DEFAULT_QUANTUM_MS 100
#define SCHED_ASK (-1)
#define SCHED_QUANTUM_LABEL 0x7ffffffd
#define SCHED_AFFINITY_ANY 0xffffffffu

struct sched_event {
    uint32_t task_id;
    uint32_t cpu;
    uint64_t cpu_time_ns;     /* run so far, in all */
    uint64_t exhaustions;     /* quanta spent so far */
};

struct sched_info {
    int32_t priority;
    int32_t quantum_ms;
    int32_t reset_ms;         /* SCHED_ASK: the scheduler decides */
    uint32_t affinity;        /* bit n: may run on CPU n */
    uint32_t cpu;             /* where it runs or last ran */
    uint32_t waiting;         /* 1: waits for its scheduler */
    uint64_t cpu_time_ns;
    uint64_t exhaustions;
    uint64_t quantum_left_ns;
};

struct timer_info {
    uint64_t left_ns;         /* until it fires next; 0 = disarmed */
    uint64_t interval_ns;     /* 0 = one-shot */
    uint64_t fired;           /* times it fired */
};

struct cpu_info {
    uint32_t num_cpus;
    uint32_t this_cpu;
    uint64_t tsc_hz;
    uint64_t idle_ns[16];     /* per CPU: time spent halted */
    uint64_t ticks[16];       /* per CPU: timer interrupts taken */
};

/* SYS_POWER actions: ACPI S5, or a reset (the FADT's reset register, else
 * the keyboard controller's). -E_NOTSUP: the firmware described no way. */
#define POWER_OFF 0u
#define POWER_RESET 1u

/* SYS_TASK_START flags (5th argument) */
#define TASK_START_WAIT_SCHED 1u   /* runnable only once SYS_SCHED is called */

/* Exit statuses the kernel sets for a task it killed. */
#define TASK_EXIT_FAULT (-1000)
#define TASK_EXIT_KILLED (-1001)

/* ---- Memory ---- */
#define MEM_CONTIGUOUS 1u     /* SYS_MEM_CREATE: physically contiguous (DMA) */
#define MEM_LAZY 2u           /* SYS_MEM_CREATE: pages are allocated when first mapped */
/* SYS_MEM_DEVICE: device memory (MMIO registers, a framebuffer), never RAM.
 * Mapped uncached unless MEM_DEVICE_WC asks for write-combining (frame
 * buffers: fast streaming writes, no reads expected). */
#define MEM_DEVICE_WC 1u

/* The linear framebuffer the boot loader set up (multiboot2 tag 8). */
struct fb_info {
    uint64_t phys;       /* physical address of the first pixel */
    uint32_t width, height;
    uint32_t pitch;      /* bytes per line */
    uint8_t bpp;         /* bits per pixel */
    uint8_t red_pos, red_size, green_pos, green_size, blue_pos, blue_size;
    uint8_t reserved;
};

struct mem_info {
    uint64_t total_bytes;
    uint64_t free_bytes;
};

/* A page fault of a task with a pager arrives at the pager as a call with
 * this label (badge: the badge of the pager handle given to SYS_TASK_SET_PAGER,
 * sender: the faulting task). Reply with label 0 after mapping the page to
 * resume the task, or with a negative E_* code to have it killed. */
#define PAGER_FAULT_LABEL 0x7ffffffe
struct pager_fault {
    uint64_t addr;      /* faulting address */
    uint64_t rip;
    uint32_t access;    /* PROT_R, PROT_W or PROT_X */
    uint32_t present;   /* 1: the page was mapped (a protection fault) */
};
#define PROT_R 1u
#define PROT_W 2u
#define PROT_X 4u
#define USER_SPACE_END 0x0000800000000000ull
#define PAGE_SIZE 4096ull

/* ---- IPC ---- */
#define IPC_DATA_MAX 208
#define IPC_HANDLES_MAX 4

struct ipc_msg {
    int32_t label;          /* message type; in a reply, 0 or a negative E_* code */
    uint16_t len;           /* payload bytes used in data[] */
    uint8_t nhandles;       /* handles[] entries moved with the message */
    uint8_t flags;          /* set by the kernel on receive: IPC_MSG_* */
    uint64_t badge;         /* set by the kernel: badge of the handle the sender used */
    uint64_t reply_token;   /* set by the kernel for calls; give it back with IPC_REPLY */
    uint32_t sender;        /* set by the kernel: sender task id (0 = kernel) */
    handle_t handles[IPC_HANDLES_MAX];
    uint32_t reserved;
    uint8_t data[IPC_DATA_MAX];
};
#define IPC_HEADER_SIZE ((uint32_t)__builtin_offsetof(struct ipc_msg, data))
_Static_assert(sizeof(struct ipc_msg) == 256, "ipc_msg is 256 bytes");

/* SYS_IPC flags: the operations are done in the order SEND/CALL/REPLY, then RECV. */
#define IPC_SEND 1u        /* send to send_h, wait until a receiver takes it */
#define IPC_CALL 2u        /* send to send_h, then wait for the reply (into the same msg) */
#define IPC_REPLY 4u       /* reply to msg->reply_token; never blocks */
#define IPC_RECV 8u        /* receive on recv_h */
#define IPC_NONBLOCK 16u   /* fail with E_AGAIN instead of blocking */

/* ipc_msg.flags on receive */
#define IPC_MSG_CALL 1u      /* the sender waits for a reply */
#define IPC_MSG_NOTIFY 2u    /* a notification: data holds the uint64_t bits */

/* Labels below 0 are error replies; the kernel uses this one for notifications. */
#define IPC_LABEL_NOTIFY 0x7fffffff

/* ---- Process start-up ----
 * Every task starts with the System V x86-64 initial stack (argc, argv, envp,
 * auxiliary vector). Tessera adds these auxiliary vector entries: */
#define AT_TESSERA_BOOTINFO 0x7e00   /* init only: address of struct tessera_bootinfo */
#define AT_TESSERA_SELF 0x7e01       /* handle to the task itself */
#define AT_TESSERA_BOOTSTRAP 0x7e02  /* handle to the parent's endpoint (send) */
#define AT_TESSERA_GIVEN 0x7e03      /* an extra handle the parent passed */

#define USER_STACK_TOP 0x00007fff00000000ull
#define USER_STACK_SIZE (256 * 1024ull)
#define INIT_BOOTINFO_ADDR 0x00007fff10000000ull
#define INIT_ARCHIVE_ADDR 0x0000100000000000ull

#define BOOTINFO_MAGIC 0x2141524553534554ull   /* "TESSERA!" */
struct tessera_bootinfo {
    uint64_t magic;
    handle_t system;         /* the root resource (IRQs, I/O ports) */
    handle_t archive;        /* memory object holding the boot archive (ustar) */
    uint64_t archive_addr;   /* where the kernel mapped it, read-only */
    uint64_t archive_size;
    char cmdline[1024];      /* boot options */
};

#endif
