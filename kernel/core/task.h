/* Tasks (an address space, a handle table, threads) and threads. */
#ifndef KERNEL_TASK_H
#define KERNEL_TASK_H

#include "kernel.h"
#include "handle.h"
#include "kobj.h"
#include "list.h"
#include "vm.h"
#include "../arch/x64/arch.h"

enum thread_state { THREAD_RUNNABLE, THREAD_RUNNING, THREAD_BLOCKED, THREAD_DEAD };
enum block_reason { BLOCK_NONE, BLOCK_SEND, BLOCK_RECV, BLOCK_REPLY };

struct endpoint;

#define KSTACK_PAGES 4
#define TASK_WATCHERS 4   /* e.g. its pager, its parent and a supervisor */

struct thread {
    struct arch_thread arch;
    struct task *task;          /* NULL for a CPU's idle thread */
    uint32_t tid;
    enum thread_state state;
    enum block_reason block;
    int priority;
    /* scheduling (see SYS_SCHED in the ABI) */
    int64_t quantum_ns;         /* what a refill gives */
    int64_t reset_ns;           /* SCHED_ASK: ask the scheduler instead of refilling */
    int64_t quantum_left_ns;
    uint32_t affinity;          /* CPUs it may run on */
    uint32_t cpu;               /* where it runs or last ran */
    uint64_t run_start_ns;      /* when it was last switched in */
    uint64_t cpu_time_ns;
    uint64_t exhaustions;
    bool quantum_spent;         /* deal with it on the way back to user space */
    bool waiting_sched;         /* in a call to its scheduler, or not yet scheduled at start */
    struct list run_node;       /* on a run queue while runnable */
    struct list wait_node;      /* on an endpoint's send or receive queue */
    struct list timer_node;     /* on the timeout list while it has a deadline */
    uint64_t deadline;          /* ns; 0 = none */
    int wake_result;            /* what the blocking call returns (0 or -E_*) */
    struct endpoint *waiting_on;
    /* IPC */
    struct ipc_msg msg;         /* the message being sent, or the one received */
    uint64_t send_badge;
    bool send_is_call;
    uint32_t reply_seq;         /* makes each call's reply token unique */
    struct task *reply_from;    /* the task that owes this thread a reply */
    void *kstack;
};

struct task {
    struct kobj obj;
    uint32_t id;
    char name[32];
    int state;                  /* TASK_STATE_* */
    int exit_status;
    struct handle_table handles;
    struct vm_space vm;
    struct thread *thread;      /* one thread per task for now */
    struct {                    /* notified with bits when the task ends */
        struct endpoint *ep;
        uint64_t bits;
    } watchers[TASK_WATCHERS];
    struct endpoint *pager;     /* page faults become calls to it (NULL: faults kill) */
    uint64_t pager_badge;
    bool kill_pending;          /* killed while running on another CPU */
    int kill_status;
    struct endpoint *scheduler; /* spent quanta with reset SCHED_ASK become calls to it */
    uint64_t scheduler_badge;
    struct list all_node;
};


struct task *task_create(const char *name);
int task_start(struct task *t, uint64_t entry, uint64_t stack, uint64_t arg, uint32_t flags);
/* Ends a task: frees its memory and handles, wakes whoever waits on it. */
void task_terminate(struct task *t, int status);
/* The current task faulted in user mode: report it on the log and end it. */
__attribute__((noreturn)) void task_fault(const char *what, uint64_t rip);
/* A call to ep made by the kernel on behalf of the current thread (which
 * waits for the reply); 0 and the reply's label, or the IPC error. */
int task_kernel_call(struct endpoint *ep, uint64_t badge, int32_t label, const void *data, size_t len,
                     int *reply_label);
/* Asks the current task's pager to resolve a fault at addr; true if it did
 * (the faulting instruction can be retried). */
bool task_call_pager(uint64_t addr, uint64_t rip, uint32_t access, bool present);
__attribute__((noreturn)) void task_exit_current(int status);
/* A kill from another CPU is due: end the current task now. */
void task_check_kill(void);
#define MAX_THREADS 4096
struct thread *thread_lookup(uint32_t tid);
struct thread *thread_at_slot(unsigned slot);
void task_destroy(struct task *t);   /* kobj destructor */
struct task *current_task(void);

#endif
