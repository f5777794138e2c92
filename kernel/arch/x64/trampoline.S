/*
 * Application processors start here in 16-bit real mode (SIPI vector 0x08:
 * physical 0x8000). smp.c copies this block there and fills in the fields at
 * the end; the code climbs to long mode on the kernel's page tables (plus a
 * temporary identity map of the first 2 MiB) and jumps to ap_main.
 */
#define TRAMP_BASE 0x8000
#define REL(x) ((x) - ap_trampoline + TRAMP_BASE)

    .section .rodata
    .global ap_trampoline, ap_trampoline_end
    .code16
ap_trampoline:
    cli
    cld
    xor %ax, %ax
    mov %ax, %ds
    lgdtl REL(tramp_gdt_ptr)
    mov %cr0, %eax
    and $0x9fffffff, %eax           /* caches on: INIT leaves CD and NW set */
    or $1, %eax
    mov %eax, %cr0
    ljmpl $0x08, $REL(tramp_pm32)

    .code32
tramp_pm32:
    mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    mov %cr4, %eax
    or $(1 << 5), %eax              /* PAE */
    mov %eax, %cr4
    mov REL(tramp_cr3), %eax
    mov %eax, %cr3
    mov $0xc0000080, %ecx
    rdmsr
    or REL(tramp_efer), %eax        /* LME (+NXE) */
    wrmsr
    mov %cr0, %eax
    or $0x80010000, %eax            /* PG | WP */
    mov %eax, %cr0
    ljmpl $0x18, $REL(tramp_lm64)

    .code64
tramp_lm64:
    mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    mov REL(tramp_stack), %rsp
    mov REL(tramp_cpu), %edi
    mov REL(tramp_entry), %rax
    jmp *%rax

    .align 16
tramp_gdt:
    .quad 0
    .quad 0x00cf9a000000ffff        /* 0x08: 32-bit code */
    .quad 0x00cf92000000ffff        /* 0x10: data */
    .quad 0x00af9a000000ffff        /* 0x18: 64-bit code */
tramp_gdt_ptr:
    .short tramp_gdt_ptr - tramp_gdt - 1
    .long REL(tramp_gdt)
    .align 8
    .global ap_tramp_params
ap_tramp_params:                    /* struct tramp_params in smp.c */
tramp_cr3: .long 0
tramp_efer: .long 0
tramp_stack: .quad 0
tramp_entry: .quad 0
tramp_cpu: .long 0
    .long 0
ap_trampoline_end:

    .section .note.GNU-stack, "", @progbits
