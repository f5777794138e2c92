/*
 * ELF64 executable validation. The file is untrusted: fields are read byte by
 * byte (no alignment assumptions) and every sum is checked for overflow
 * before it is used.
 */
#include <common/elf.h>

#define EHDR_SIZE 64
#define PHDR_SIZE 56
#define ET_EXEC 2
#define EM_X86_64 62
#define PN_XNUM 0xffff

struct phdr {
    uint32_t type;
    uint32_t flags;
    uint64_t offset;
    uint64_t vaddr;
    uint64_t filesz;
    uint64_t memsz;
    uint64_t align;
};

static uint16_t rd16(const unsigned char *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t rd32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static uint64_t rd64(const unsigned char *p)
{
    return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

/* Only called once the table is known to lie inside the file. */
static void read_phdr(const struct elf_image *img, size_t i, struct phdr *ph)
{
    const unsigned char *p = img->base + img->phoff + i * PHDR_SIZE;

    ph->type = rd32(p + 0);
    ph->flags = rd32(p + 4);
    ph->offset = rd64(p + 8);
    ph->vaddr = rd64(p + 16);
    /* p_paddr at 24 is unused */
    ph->filesz = rd64(p + 32);
    ph->memsz = rd64(p + 40);
    ph->align = rd64(p + 48);
}

static bool pow2_or_zero(uint64_t x)
{
    return (x & (x - 1)) == 0;
}

/* File range [off, off + len) inside the image? */
static bool in_file(const struct elf_image *img, uint64_t off, uint64_t len)
{
    return off <= img->size && len <= img->size - off;
}

/* Address range [va, va + len) below limit, without overflow? */
static bool in_limit(uint64_t va, uint64_t len, uint64_t limit)
{
    return va <= limit && len <= limit - va;
}

static int check_header(struct elf_image *img)
{
    const unsigned char *h = img->base;
    uint64_t table;

    if (img->size < EHDR_SIZE)
        return ELF_ERR_TRUNCATED;
    if (h[0] != 0x7f || h[1] != 'E' || h[2] != 'L' || h[3] != 'F')
        return ELF_ERR_MAGIC;
    if (h[4] != 2)
        return ELF_ERR_CLASS;
    if (h[5] != 1)
        return ELF_ERR_DATA;
    if (h[6] != 1 || rd32(h + 20) != 1)
        return ELF_ERR_VERSION;
    if (rd16(h + 16) != ET_EXEC)
        return ELF_ERR_TYPE;
    if (rd16(h + 18) != EM_X86_64)
        return ELF_ERR_MACHINE;

    img->entry = rd64(h + 24);
    img->phoff = rd64(h + 32);
    img->phentsize = rd16(h + 54);
    img->phnum = rd16(h + 56);

    if (rd16(h + 52) != EHDR_SIZE || img->phentsize != PHDR_SIZE)
        return ELF_ERR_PHDR;
    /* PN_XNUM means the real count is in section 0; not supported. */
    if (img->phnum == PN_XNUM)
        return ELF_ERR_PHDR;
    if (img->phnum == 0)
        return ELF_ERR_NOLOAD;
    table = (uint64_t)img->phnum * PHDR_SIZE;   /* < 2^22, no overflow */
    if (!in_file(img, img->phoff, table))
        return ELF_ERR_PHDR;
    return ELF_OK;
}

static int check_load(const struct elf_image *img, const struct phdr *ph,
                      uint64_t limit)
{
    if (ph->filesz > ph->memsz)
        return ELF_ERR_SEG_SIZE;
    if (!in_file(img, ph->offset, ph->filesz))
        return ELF_ERR_SEG_FILE;
    if (!in_limit(ph->vaddr, ph->memsz, limit))
        return ELF_ERR_SEG_ADDR;
    /* Pages are mapped from the file, so a segment's page offset must be
     * the same in memory and in the file. */
    if ((ph->vaddr - ph->offset) % ELF_PAGE_SIZE != 0)
        return ELF_ERR_SEG_ALIGN;
    if (!pow2_or_zero(ph->align) ||
        (ph->align > 1 && (ph->vaddr - ph->offset) % ph->align != 0))
        return ELF_ERR_SEG_ALIGN;
    return ELF_OK;
}

static int check_tls(const struct elf_image *img, const struct phdr *ph,
                     uint64_t limit)
{
    if (ph->filesz > ph->memsz || !in_file(img, ph->offset, ph->filesz) ||
        !in_limit(ph->vaddr, ph->memsz, limit) || !pow2_or_zero(ph->align))
        return ELF_ERR_TLS;
    return ELF_OK;
}

int elf_parse(struct elf_image *img, const void *data, size_t size,
              uint64_t limit)
{
    struct phdr ph;
    uint64_t prev_end = 0;
    uint64_t table_end;
    bool entry_ok = false, phdr_found = false;
    int r;

    if (img == NULL || data == NULL)
        return ELF_ERR_ARG;
    *img = (struct elf_image){ 0 };
    img->base = data;
    img->size = size;

    r = check_header(img);
    if (r != ELF_OK)
        return r;
    table_end = img->phoff + (uint64_t)img->phnum * PHDR_SIZE;

    for (size_t i = 0; i < img->phnum; i++) {
        read_phdr(img, i, &ph);
        switch (ph.type) {
        case ELF_PT_LOAD:
            r = check_load(img, &ph, limit);
            if (r != ELF_OK)
                return r;
            /* The ELF spec requires PT_LOAD in ascending vaddr order, which
             * makes the overlap check linear. */
            if (img->nload > 0 && ph.vaddr < prev_end)
                return ELF_ERR_OVERLAP;
            if (img->nload == 0)
                img->lo = ph.vaddr;
            prev_end = ph.vaddr + ph.memsz;
            img->hi = prev_end;
            img->nload++;

            if ((ph.flags & ELF_PF_X) && img->entry >= ph.vaddr &&
                img->entry - ph.vaddr < ph.memsz)
                entry_ok = true;
            /* AT_PHDR: the segment whose file bytes hold the table. */
            if (!phdr_found && img->phoff >= ph.offset &&
                table_end <= ph.offset + ph.filesz) {
                img->phdr_vaddr = ph.vaddr + (img->phoff - ph.offset);
                phdr_found = true;
            }
            break;
        case ELF_PT_TLS:
            if (img->has_tls)
                return ELF_ERR_TLS;
            r = check_tls(img, &ph, limit);
            if (r != ELF_OK)
                return r;
            img->has_tls = true;
            img->tls.vaddr = ph.vaddr;
            img->tls.memsz = ph.memsz;
            img->tls.filesz = ph.filesz;
            img->tls.offset = ph.offset;
            img->tls.align = ph.align;
            img->tls.data = img->base + ph.offset;
            break;
        case ELF_PT_INTERP:
            return ELF_ERR_INTERP;
        default:
            break;   /* PT_NOTE, PT_GNU_STACK, ...: nothing to check */
        }
    }

    if (img->nload == 0)
        return ELF_ERR_NOLOAD;
    if (!entry_ok)
        return ELF_ERR_ENTRY;
    return ELF_OK;
}

/* The image must not have changed since elf_parse validated it. */
bool elf_next_load(const struct elf_image *img, size_t *it,
                   struct elf_segment *seg)
{
    struct phdr ph;

    if (img == NULL || it == NULL || seg == NULL || img->base == NULL)
        return false;
    for (size_t i = *it; i < img->phnum; i++) {
        read_phdr(img, i, &ph);
        if (ph.type != ELF_PT_LOAD)
            continue;
        seg->vaddr = ph.vaddr;
        seg->memsz = ph.memsz;
        seg->filesz = ph.filesz;
        seg->offset = ph.offset;
        seg->flags = ph.flags & (ELF_PF_R | ELF_PF_W | ELF_PF_X);
        seg->data = img->base + ph.offset;
        *it = i + 1;
        return true;
    }
    *it = img->phnum;
    return false;
}

const char *elf_strerror(int err)
{
    switch (err) {
    case ELF_OK: return "ok";
    case ELF_ERR_ARG: return "bad argument";
    case ELF_ERR_TRUNCATED: return "file too small for an ELF header";
    case ELF_ERR_MAGIC: return "not an ELF file";
    case ELF_ERR_CLASS: return "not a 64-bit ELF file";
    case ELF_ERR_DATA: return "not little endian";
    case ELF_ERR_VERSION: return "unknown ELF version";
    case ELF_ERR_TYPE: return "not a static executable (ET_EXEC)";
    case ELF_ERR_MACHINE: return "not an x86-64 executable";
    case ELF_ERR_PHDR: return "bad program header table";
    case ELF_ERR_NOLOAD: return "no loadable segment";
    case ELF_ERR_SEG_SIZE: return "segment file size exceeds memory size";
    case ELF_ERR_SEG_FILE: return "segment data past end of file";
    case ELF_ERR_SEG_ADDR: return "segment address out of range";
    case ELF_ERR_SEG_ALIGN: return "segment misaligned";
    case ELF_ERR_OVERLAP: return "segments unsorted or overlapping";
    case ELF_ERR_ENTRY: return "entry point not in an executable segment";
    case ELF_ERR_TLS: return "bad TLS segment";
    case ELF_ERR_INTERP: return "dynamically linked executable";
    default: return "unknown ELF error";
    }
}
