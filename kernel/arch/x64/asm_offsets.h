/* Offsets into struct cpu (core/percpu.h) and selectors, for assembly. */
#define PERCPU_SELF 0
#define PERCPU_KSTACK_TOP 8
#define PERCPU_USER_RSP 16
#define USER_DS_SEL 0x1b
#define USER_CS_SEL 0x23
