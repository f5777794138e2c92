/*
 * Multiboot2 entry. GRUB enters _start in 32-bit protected mode with paging
 * off, eax = magic, ebx = physical address of the boot information. We build
 * throw-away page tables (identity 0..4 GiB and the kernel image at -2 GiB),
 * enable long mode and jump to kmain() in the higher half; kmain builds the
 * real page tables.
 */
#define MB2_MAGIC 0xe85250d6
#define MB2_ARCH_I386 0
#define PTE_P 1
#define PTE_W 2
#define PTE_PS 0x80

    .section .boot.header, "a"
    .align 8
mb2_header:
    .long MB2_MAGIC
    .long MB2_ARCH_I386
    .long mb2_header_end - mb2_header
    .long -(MB2_MAGIC + MB2_ARCH_I386 + (mb2_header_end - mb2_header))
    /* framebuffer tag (optional): a linear 32-bit mode for the fbdev server;
     * 1024x768 is a preference: GRUB falls back to a mode it has */
    .align 8
    .short 5
    .short 1
    .long 20
    .long 1024
    .long 768
    .long 32
    /* end tag */
    .align 8
    .short 0
    .short 0
    .long 8
mb2_header_end:

    .section .boot.text, "ax"
    .code32
    .global _start
_start:
    cli
    cld
    mov %eax, boot_magic
    mov %ebx, boot_mbi

    /* Long mode available? (CPUID 0x80000001 EDX bit 29) */
    mov $0x80000000, %eax
    cpuid
    cmp $0x80000001, %eax
    jb no_long_mode
    mov $0x80000001, %eax
    cpuid
    test $(1 << 29), %edx
    jz no_long_mode
    mov %edx, %ebp              /* keep: bit 20 = NX */

    /* 4 page directories of 2 MiB pages: identity map 0..4 GiB. */
    mov $boot_pd, %edi
    xor %ecx, %ecx
1:  mov %ecx, %eax
    shl $21, %eax
    or $(PTE_P | PTE_W | PTE_PS), %eax
    mov %eax, (%edi,%ecx,8)
    mov %ecx, %eax
    shr $11, %eax               /* high dword: (i * 2 MiB) >> 32 */
    mov %eax, 4(%edi,%ecx,8)
    inc %ecx
    cmp $2048, %ecx
    jne 1b

    /* PDPT (low): 4 entries, one per page directory. */
    mov $boot_pdpt_low, %edi
    mov $boot_pd, %eax
    or $(PTE_P | PTE_W), %eax
    mov %eax, 0(%edi)
    add $4096, %eax
    mov %eax, 8(%edi)
    add $4096, %eax
    mov %eax, 16(%edi)
    add $4096, %eax
    mov %eax, 24(%edi)

    /* PDPT (high): -2 GiB -> physical 0..2 GiB. */
    mov $boot_pdpt_high, %edi
    mov $boot_pd, %eax
    or $(PTE_P | PTE_W), %eax
    mov %eax, (510 * 8)(%edi)
    add $4096, %eax
    mov %eax, (511 * 8)(%edi)

    mov $boot_pml4, %edi
    mov $boot_pdpt_low, %eax
    or $(PTE_P | PTE_W), %eax
    mov %eax, 0(%edi)
    mov $boot_pdpt_high, %eax
    or $(PTE_P | PTE_W), %eax
    mov %eax, (511 * 8)(%edi)

    /* PAE, then CR3, then EFER.LME (+NXE if present), then paging. */
    mov %cr4, %eax
    or $(1 << 5), %eax
    mov %eax, %cr4
    mov $boot_pml4, %eax
    mov %eax, %cr3
    mov $0xc0000080, %ecx
    rdmsr
    or $(1 << 8), %eax
    test $(1 << 20), %ebp
    jz 2f
    or $(1 << 11), %eax
2:  wrmsr
    mov %cr0, %eax
    or $0x80010001, %eax        /* PG | WP | PE */
    mov %eax, %cr0

    lgdt boot_gdt_ptr
    ljmp $8, $long_mode_entry

no_long_mode:
    /* Say so on COM1; there is nothing else we can do. */
    mov $no_lm_msg, %esi
3:  lodsb
    test %al, %al
    jz 4f
    mov $0x3f8, %dx
    out %al, %dx
    jmp 3b
4:  hlt
    jmp 4b

    .code64
long_mode_entry:
    mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    xor %ax, %ax
    mov %ax, %fs
    mov %ax, %gs
    movabs $boot_stack_top, %rsp
    xor %ebp, %ebp
    mov boot_magic, %edi
    mov boot_mbi, %esi
    movabs $kmain, %rax
    call *%rax
5:  cli
    hlt
    jmp 5b

    .section .boot.data, "aw"
    .align 16
boot_gdt:
    .quad 0
    .quad 0x00af9a000000ffff    /* 64-bit code */
    .quad 0x00cf92000000ffff    /* data */
boot_gdt_ptr:
    .short boot_gdt_ptr - boot_gdt - 1
    .long boot_gdt
boot_magic: .long 0
boot_mbi: .long 0
no_lm_msg: .asciz "Tessera: this CPU has no 64-bit long mode; halted.\r\n"

    .align 4096
boot_pml4: .fill 4096, 1, 0
boot_pdpt_low: .fill 4096, 1, 0
boot_pdpt_high: .fill 4096, 1, 0
boot_pd: .fill 4 * 4096, 1, 0

    .section .bss
    .align 16
    .global boot_stack_top
boot_stack: .skip 16384
boot_stack_top:

    .section .note.GNU-stack, "", @progbits
