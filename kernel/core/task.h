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
    struct list all_node;
};


struct task *task_create(const char *name);
int task_start(struct task *t, uint64_t entry, uint64_t stack, uint64_t arg);
/* Ends a task: frees its memory and handles, wakes whoever waits on it. */
void task_terminate(struct task *t, int status);
/* The current task faulted in user mode: report it on the log and end it. */
__attribute__((noreturn)) void task_fault(const char *what, uint64_t rip);
/* Asks the current task's pager to resolve a fault at addr; true if it did
 * (the faulting instruction can be retried). */
bool task_call_pager(uint64_t addr, uint64_t rip, uint32_t access, bool present);
__attribute__((noreturn)) void task_exit_current(int status);
#define MAX_THREADS 4096
struct thread *thread_lookup(uint32_t tid);
struct thread *thread_at_slot(unsigned slot);
void task_destroy(struct task *t);   /* kobj destructor */
struct task *current_task(void);

#endif
