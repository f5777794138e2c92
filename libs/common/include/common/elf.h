/*
 * Validating parser for static ELF64 x86-64 executables (ET_EXEC), used by
 * the kernel to load init and by user space to load programs.
 *
 * elf_parse checks everything a loader relies on, overflow-safely: the
 * header, the program header table, and each PT_LOAD segment (filesz <= memsz,
 * file range inside the file, address range below the caller's limit,
 * vaddr % 4096 == offset % 4096, sorted by address and not overlapping) and
 * PT_TLS. After it succeeds, the loader can copy segments without further
 * checks. Two segments may still share a page at their boundaries (with
 * different flags); the loader must handle that.
 */
#ifndef COMMON_ELF_H
#define COMMON_ELF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ELF_PAGE_SIZE 4096
#define ELF_USER_LIMIT 0x0000800000000000ULL   /* end of x86-64 user space */

/* Segment flags (p_flags). */
#define ELF_PF_X 0x1
#define ELF_PF_W 0x2
#define ELF_PF_R 0x4

/* Program header types. */
#define ELF_PT_NULL     0
#define ELF_PT_LOAD     1
#define ELF_PT_DYNAMIC  2
#define ELF_PT_INTERP   3
#define ELF_PT_NOTE     4
#define ELF_PT_PHDR     6
#define ELF_PT_TLS      7

enum {
    ELF_OK = 0,
    ELF_ERR_ARG = -1,          /* NULL argument */
    ELF_ERR_TRUNCATED = -2,    /* smaller than the ELF header */
    ELF_ERR_MAGIC = -3,        /* not an ELF file */
    ELF_ERR_CLASS = -4,        /* not 64-bit */
    ELF_ERR_DATA = -5,         /* not little endian */
    ELF_ERR_VERSION = -6,      /* unknown ELF version */
    ELF_ERR_TYPE = -7,         /* not ET_EXEC */
    ELF_ERR_MACHINE = -8,      /* not x86-64 */
    ELF_ERR_PHDR = -9,         /* bad phentsize/phnum/phoff */
    ELF_ERR_NOLOAD = -10,      /* no PT_LOAD segment */
    ELF_ERR_SEG_SIZE = -11,    /* filesz > memsz */
    ELF_ERR_SEG_FILE = -12,    /* segment data past the end of the file */
    ELF_ERR_SEG_ADDR = -13,    /* address range overflows or crosses the limit */
    ELF_ERR_SEG_ALIGN = -14,   /* vaddr and offset disagree modulo the page size */
    ELF_ERR_OVERLAP = -15,     /* segments unsorted or overlapping */
    ELF_ERR_ENTRY = -16,       /* entry point not in an executable segment */
    ELF_ERR_TLS = -17,         /* bad or duplicate PT_TLS */
    ELF_ERR_INTERP = -18,      /* dynamically linked (PT_INTERP) */
};

/* One PT_LOAD segment. */
struct elf_segment {
    uint64_t vaddr;
    uint64_t memsz;
    uint64_t filesz;    /* <= memsz; the rest is zero-filled */
    uint64_t offset;    /* file offset of the filesz bytes */
    uint32_t flags;     /* ELF_PF_R | ELF_PF_W | ELF_PF_X */
    const void *data;   /* the filesz bytes, inside the image */
};

/* The PT_TLS template, if any. */
struct elf_tls {
    uint64_t vaddr;     /* where the initialised part lives once loaded */
    uint64_t memsz;
    uint64_t filesz;
    uint64_t offset;
    uint64_t align;     /* 0/1 or a power of two */
    const void *data;   /* the filesz bytes, inside the image */
};

struct elf_image {
    const unsigned char *base;
    size_t size;
    uint64_t entry;
    uint64_t phoff;         /* file offset of the program headers */
    uint16_t phnum;         /* for AT_PHNUM */
    uint16_t phentsize;     /* for AT_PHENT */
    uint64_t phdr_vaddr;    /* for AT_PHDR: where the program headers are once
                               loaded, or 0 if no segment maps them */
    size_t nload;           /* number of PT_LOAD segments */
    uint64_t lo, hi;        /* [lo, hi): lowest vaddr, end of highest segment */
    bool has_tls;
    struct elf_tls tls;
};

/*
 * Validates the executable in [data, data + size) with every segment below
 * limit (e.g. ELF_USER_LIMIT) and fills *img. Returns ELF_OK or ELF_ERR_*.
 */
int elf_parse(struct elf_image *img, const void *data, size_t size,
              uint64_t limit);

/*
 * Iterates PT_LOAD segments of a parsed image in address order:
 *     size_t it = 0; struct elf_segment s;
 *     while (elf_next_load(&img, &it, &s)) ...
 */
bool elf_next_load(const struct elf_image *img, size_t *it,
                   struct elf_segment *seg);

const char *elf_strerror(int err);

#endif
