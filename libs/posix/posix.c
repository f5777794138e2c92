/*
 * __tessera_syscall: where musl's Linux-numbered system calls land. Each is
 * answered here in terms of Tessera: memory by the vm server, files by the
 * file system servers, stdout/stderr by the kernel log, time, TLS and exit by
 * the kernel.
 *
 * Mounts: paths under /data go to init's "data" service (fatfs, the
 * installed system's writable volume) when it runs; everything else, and
 * /data itself when there is no such service, to "fs" (bootfs, read-only). Anything else returns -ENOSYS and is logged once, so a missing
 * call is never a silent success.
 */
#include <common/string.h>
#include <tessera/fs.h>
#include <tessera/runtime.h>
#include <tessera/syscall.h>
#include <tessera/vm.h>
#include "idl/fs.h"
#include "idl/init.h"
#include "idl/vm.h"
#include "linux.h"

unsigned long getauxval(unsigned long type);   /* musl's */

#define MAX_FDS 256
#define PAGE 4096ull

enum fd_kind { FD_FREE, FD_CONSOLE_IN, FD_CONSOLE_OUT, FD_FILE, FD_DIR };

enum mount { MOUNT_FS, MOUNT_DATA };

struct fd {
    enum fd_kind kind;
    handle_t h;            /* file or directory handle from the file system */
    uint64_t offset;       /* files: read/write position; directories: next entry */
    uint64_t size;
    int flags;
    enum mount mount;      /* which file system h is on (rename across them: EXDEV) */
};

static struct fd fds[MAX_FDS] = {
    [0] = {FD_CONSOLE_IN, HANDLE_NONE, 0, 0, 0, MOUNT_FS},
    [1] = {FD_CONSOLE_OUT, HANDLE_NONE, 0, 0, L_O_WRONLY, MOUNT_FS},
    [2] = {FD_CONSOLE_OUT, HANDLE_NONE, 0, 0, L_O_WRONLY, MOUNT_FS},
};

/* ---- errors and services ---- */

static long to_errno(long e) {
    switch (-e) {
    case E_INVAL: return -L_EINVAL;
    case E_BADH: return -L_EBADF;
    case E_PERM: return -L_EACCES;
    case E_FAULT: return -L_EFAULT;
    case E_NOMEM: return -L_ENOMEM;
    case E_NOSPC: return -L_EMFILE;
    case E_AGAIN: return -L_EAGAIN;
    case E_TIMEDOUT: return -L_ETIMEDOUT;
    case E_PEER: return -L_EIO;
    case E_NOSYS: return -L_ENOSYS;
    case E_BUSY: return -L_EBUSY;
    case E_RANGE: return -L_ERANGE;
    case E_NOENT: return -L_ENOENT;
    case E_NOTDIR: return -L_ENOTDIR;
    case E_ISDIR: return -L_EISDIR;
    case E_IO: return -L_EIO;
    case E_NOTSUP: return -L_ENOTSUP;
    case E_ROFS: return -L_EROFS;
    case E_NAMETOOLONG: return -L_ENAMETOOLONG;
    case E_EXISTS: return -L_EEXIST;
    case E_NOTEMPTY: return -L_ENOTEMPTY;
    case E_FULL: return -L_ENOSPC;
    default: return -L_EIO;
    }
}

static handle_t bootstrap(void) {
    unsigned long v = getauxval(AT_TESSERA_BOOTSTRAP);
    return v ? (handle_t)(long)v : HANDLE_NONE;
}

/* A service from init's directory, looked up once. */
static handle_t service(const char *name, handle_t *cache) {
    if (*cache == HANDLE_NONE) {
        handle_t h = HANDLE_NONE;
        if (init_lookup(bootstrap(), name, &h) == 0)
            *cache = h;
    }
    return *cache;
}

static handle_t vm_h = HANDLE_NONE, fs_h = HANDLE_NONE;
static handle_t vm(void) { return service("vm", &vm_h); }
static handle_t fs(void) { return service("fs", &fs_h); }

/* The "data" volume, looked up once: where it is not running, /data stays
 * on bootfs. */
static handle_t data_h = HANDLE_NONE;
static bool data_asked;
static handle_t data(void) {
    if (!data_asked) {
        data_asked = true;
        service("data", &data_h);
    }
    return data_h;
}

static void log_once(long n, const char *what) {
    static uint64_t seen[8];
    if (n >= 0 && n < 512) {
        if (seen[n / 64] & (1ull << (n % 64)))
            return;
        seen[n / 64] |= 1ull << (n % 64);
    }
    char name[32];
    struct task_info info;
    sys_task_info(HANDLE_SELF, &info);
    memcpy(name, info.name, sizeof(name));
    log_printf("libposix: %s: system call %ld %s\n", name, n, what);
}

/* ---- memory ---- */

static long do_mmap(uint64_t addr, uint64_t len, uint64_t prot, uint64_t flags, long fd, uint64_t off) {
    if (!(flags & L_MAP_ANONYMOUS))
        return -L_ENODEV;   /* no file mappings: callers (FreeType) fall back to read() */
    if (len == 0 || off % PAGE)
        return -L_EINVAL;
    if (len > VM_MAX_MAPPING)
        return -L_ENOMEM;
    uint32_t vflags = 0;
    if (flags & (L_MAP_FIXED | L_MAP_FIXED_NOREPLACE))
        vflags |= VM_FIXED;
    if (flags & L_MAP_GROWSDOWN)
        vflags |= VM_STACK;
    uint64_t where = 0;
    int err = vm_map_anon(vm(), addr, len, (uint32_t)prot & (PROT_R | PROT_W | PROT_X), vflags, &where);
    return err ? (err == -E_INVAL ? -L_EINVAL : -L_ENOMEM) : (long)where;
}

/* ---- files ---- */

static struct fd *get_fd(long fd) {
    if (fd < 0 || fd >= MAX_FDS || fds[fd].kind == FD_FREE)
        return NULL;
    return &fds[fd];
}

static long new_fd(enum fd_kind kind, handle_t h, uint64_t size, int flags, enum mount mount) {
    for (int i = 3; i < MAX_FDS; i++) {
        if (fds[i].kind == FD_FREE) {
            fds[i] = (struct fd){kind, h, 0, size, flags, mount};
            return i;
        }
    }
    return -L_EMFILE;
}

/* Copy a user path (it may be long or unterminated). */
static long get_path(uint64_t upath, char *buf, size_t cap) {
    const char *p = (const char *)upath;
    if (!p)
        return -L_EFAULT;
    size_t n = strnlen(p, cap);
    if (n == cap)
        return -L_ENAMETOOLONG;
    memcpy(buf, p, n + 1);
    return 0;
}

/*
 * Where a path goes: the directory handle it is relative to (*base, not to be
 * closed), its mount, and the rest of the path (*rel, within buf). Absolute
 * paths, and relative ones with AT_FDCWD (the working directory is always
 * "/"), start at a root; "/data/..." at the data volume's when it runs.
 */
static long resolve(long dirfd, uint64_t upath, char *buf, size_t cap, handle_t *base, enum mount *mount,
                    const char **rel) {
    long err = get_path(upath, buf, cap);
    if (err)
        return err;
    *rel = buf;
    *mount = MOUNT_FS;
    *base = fs();
    if (buf[0] != '/' && dirfd != L_AT_FDCWD) {
        struct fd *d = get_fd(dirfd);
        if (!d)
            return -L_EBADF;
        if (d->kind != FD_DIR)
            return -L_ENOTDIR;
        *base = d->h;
        *mount = d->mount;
        return 0;
    }
    const char *p = buf;
    while (*p == '/')
        p++;
    if (!strncmp(p, "data", 4) && (p[4] == 0 || p[4] == '/') && data() != HANDLE_NONE) {
        *base = data();
        *mount = MOUNT_DATA;
        *rel = p + 4;
    }
    if (*base == HANDLE_NONE)
        return -L_ENOENT;
    return 0;
}

static long open_at(long dirfd, uint64_t upath, long flags, handle_t *h, uint32_t *kind, uint64_t *size,
                    enum mount *mount) {
    char path[FS_OPEN_PATH_MAX];
    handle_t base;
    const char *rel;
    long err = resolve(dirfd, upath, path, sizeof(path), &base, mount, &rel);
    if (err)
        return err;
    uint32_t fsflags = 0;
    if ((flags & L_O_ACCMODE) != 0)
        fsflags |= FS_O_WRITE;
    if (flags & L_O_CREAT)
        fsflags |= FS_O_CREATE;
    if ((flags & L_O_CREAT) && (flags & L_O_EXCL))
        fsflags |= FS_O_EXCL;
    if ((flags & L_O_TRUNC) && (flags & L_O_ACCMODE) != 0)
        fsflags |= FS_O_TRUNC;
    if (flags & L_O_DIRECTORY)
        fsflags |= FS_O_DIRECTORY;
    int e = fs_open(base, rel, fsflags, h, kind, size);
    return e ? to_errno(e) : 0;
}

static long do_openat(long dirfd, uint64_t upath, long flags) {
    handle_t h;
    uint32_t kind;
    uint64_t size;
    enum mount mount;
    long err = open_at(dirfd, upath, flags, &h, &kind, &size, &mount);
    if (err)
        return err;
    long fd = new_fd(kind == FS_KIND_DIR ? FD_DIR : FD_FILE, h, size, (int)flags, mount);
    if (fd < 0)
        sys_handle_close(h);
    return fd;
}

static long do_close(long fd) {
    struct fd *f = get_fd(fd);
    if (!f)
        return -L_EBADF;
    if (f->h != HANDLE_NONE)
        sys_handle_close(f->h);
    f->kind = FD_FREE;
    f->h = HANDLE_NONE;
    return 0;
}

static long read_file(struct fd *f, char *buf, uint64_t count, uint64_t offset) {
    uint64_t done = 0;
    while (done < count) {
        uint32_t want = count - done > FS_READ_DATA_MAX ? FS_READ_DATA_MAX : (uint32_t)(count - done);
        size_t got = 0;
        int err = fs_read(f->h, offset + done, want, buf + done, want, &got);
        if (err)
            return done ? (long)done : to_errno(err);
        if (got == 0)
            break;   /* end of file */
        done += got;
    }
    return (long)done;
}

static long do_read(long fd, uint64_t ubuf, uint64_t count, bool positional, uint64_t pos) {
    struct fd *f = get_fd(fd);
    if (!f)
        return -L_EBADF;
    switch (f->kind) {
    case FD_CONSOLE_IN:
        return 0;   /* no keyboard console: end of input */
    case FD_FILE: {
        long n = read_file(f, (char *)ubuf, count, positional ? pos : f->offset);
        if (n > 0 && !positional)
            f->offset += (uint64_t)n;
        return n;
    }
    case FD_DIR:
        return -L_EISDIR;
    default:
        return -L_EBADF;
    }
}

static long write_file(struct fd *f, const char *buf, uint64_t count, uint64_t offset) {
    uint64_t done = 0;
    while (done < count) {
        uint32_t want = count - done > FS_WRITE_DATA_MAX ? FS_WRITE_DATA_MAX : (uint32_t)(count - done);
        uint32_t wrote = 0;
        int err = fs_write(f->h, offset + done, buf + done, want, &wrote);
        if (err == -E_RANGE)
            err = done ? 0 : -L_EFBIG;
        if (err)
            return done ? (long)done : err == -L_EFBIG ? err : to_errno(err);
        done += wrote;
        if (wrote < want)
            break;   /* the volume is full */
    }
    if (offset + done > f->size)
        f->size = offset + done;
    return (long)done;
}

static long do_write(long fd, uint64_t ubuf, uint64_t count, bool positional, uint64_t pos) {
    struct fd *f = get_fd(fd);
    if (!f)
        return -L_EBADF;
    if (f->kind == FD_FILE) {
        if ((f->flags & L_O_ACCMODE) == 0)
            return -L_EBADF;   /* opened for reading only */
        if ((f->flags & L_O_APPEND) && !positional) {
            uint32_t kind, mode;
            uint64_t mtime;
            int err = fs_stat(f->h, &kind, &f->size, &mode, &mtime);
            if (err)
                return to_errno(err);
            f->offset = f->size;
        }
        long n = write_file(f, (const char *)ubuf, count, positional ? pos : f->offset);
        if (n > 0 && !positional)
            f->offset += (uint64_t)n;
        return n;
    }
    if (f->kind != FD_CONSOLE_OUT)
        return f->kind == FD_DIR ? -L_EISDIR : -L_EBADF;
    long n = sys_log_write((const char *)ubuf, count > 65536 ? 65536 : count);
    return n < 0 ? to_errno(n) : n;
}

/* ftruncate, fsync: calls on an open file. */
static long do_ftruncate(long fd, int64_t size) {
    struct fd *f = get_fd(fd);
    if (!f)
        return -L_EBADF;
    if (f->kind != FD_FILE || (f->flags & L_O_ACCMODE) == 0)
        return f->kind == FD_DIR ? -L_EISDIR : -L_EINVAL;
    if (size < 0)
        return -L_EINVAL;
    int err = fs_truncate(f->h, (uint64_t)size);
    if (err)
        return err == -E_RANGE ? -L_EFBIG : to_errno(err);
    f->size = (uint64_t)size;
    return 0;
}

static long do_fsync(long fd) {
    struct fd *f = get_fd(fd);
    if (!f)
        return -L_EBADF;
    if (f->kind != FD_FILE && f->kind != FD_DIR)
        return 0;   /* the console is written at once */
    int err = fs_sync(f->h);
    return err ? to_errno(err) : 0;
}

/* The kind of what a path names (for rmdir/unlink's checks); 0 or -errno. */
static long kind_of(long dirfd, uint64_t upath, uint32_t *kind) {
    handle_t h;
    uint64_t size;
    enum mount mount;
    long err = open_at(dirfd, upath, 0, &h, kind, &size, &mount);
    if (!err)
        sys_handle_close(h);
    return err;
}

static long do_mkdirat(long dirfd, uint64_t upath) {
    char path[FS_MKDIR_PATH_MAX];
    handle_t base;
    enum mount mount;
    const char *rel;
    long err = resolve(dirfd, upath, path, sizeof(path), &base, &mount, &rel);
    if (err)
        return err;
    int e = fs_mkdir(base, rel);
    return e ? to_errno(e) : 0;
}

static long do_unlinkat(long dirfd, uint64_t upath, long flags) {
    if (flags & ~(long)L_AT_REMOVEDIR)
        return -L_EINVAL;
    uint32_t kind;
    long err = kind_of(dirfd, upath, &kind);
    if (err)
        return err;
    if (kind == FS_KIND_DIR && !(flags & L_AT_REMOVEDIR))
        return -L_EISDIR;
    if (kind != FS_KIND_DIR && (flags & L_AT_REMOVEDIR))
        return -L_ENOTDIR;
    char path[FS_UNLINK_PATH_MAX];
    handle_t base;
    enum mount mount;
    const char *rel;
    if ((err = resolve(dirfd, upath, path, sizeof(path), &base, &mount, &rel)))
        return err;
    int e = fs_unlink(base, rel);
    return e ? to_errno(e) : 0;
}

static long do_renameat(long olddirfd, uint64_t uold, long newdirfd, uint64_t unew, long flags) {
    if (flags)
        return -L_EINVAL;   /* RENAME_NOREPLACE, _EXCHANGE: not offered */
    char from[FS_RENAME_FROM_MAX], to[FS_RENAME_TO_MAX];
    handle_t fbase, tbase;
    enum mount fmount, tmount;
    const char *frel, *trel;
    long err = resolve(olddirfd, uold, from, sizeof(from), &fbase, &fmount, &frel);
    if (!err)
        err = resolve(newdirfd, unew, to, sizeof(to), &tbase, &tmount, &trel);
    if (err)
        return err;
    /* One call names both paths from one directory handle: other pairs are
     * treated as different file systems, which callers handle by copying. */
    if (fmount != tmount || fbase != tbase)
        return -L_EXDEV;
    if (strlen(frel) + strlen(trel) + 2 > IPC_DATA_MAX)
        return -L_ENAMETOOLONG;
    int e = fs_rename(fbase, frel, trel);
    return e ? to_errno(e) : 0;
}

static long do_writev(long fd, uint64_t uiov, long cnt) {
    if (cnt < 0 || cnt > 1024)
        return -L_EINVAL;
    const struct l_iovec *iov = (const struct l_iovec *)uiov;
    long total = 0;
    for (long i = 0; i < cnt; i++) {
        if (!iov[i].len)
            continue;
        long n = do_write(fd, iov[i].base, iov[i].len, false, 0);
        if (n < 0)
            return total ? total : n;
        total += n;
    }
    return total;
}

static long do_readv(long fd, uint64_t uiov, long cnt) {
    if (cnt < 0 || cnt > 1024)
        return -L_EINVAL;
    const struct l_iovec *iov = (const struct l_iovec *)uiov;
    long total = 0;
    for (long i = 0; i < cnt; i++) {
        long n = do_read(fd, iov[i].base, iov[i].len, false, 0);
        if (n < 0)
            return total ? total : n;
        total += n;
        if ((uint64_t)n < iov[i].len)
            break;
    }
    return total;
}

static long do_lseek(long fd, int64_t off, long whence) {
    struct fd *f = get_fd(fd);
    if (!f)
        return -L_EBADF;
    if (f->kind != FD_FILE)
        return -L_ESPIPE;
    int64_t base = whence == L_SEEK_SET ? 0 : whence == L_SEEK_CUR ? (int64_t)f->offset
                 : whence == L_SEEK_END ? (int64_t)f->size : -1;
    if (base < 0 || (whence != L_SEEK_SET && whence != L_SEEK_CUR && whence != L_SEEK_END))
        return -L_EINVAL;
    if (base + off < 0)
        return -L_EINVAL;
    f->offset = (uint64_t)(base + off);
    return (long)f->offset;
}

static void fill_stat(struct l_stat *st, uint32_t kind, uint64_t size, uint32_t mode, uint64_t mtime, handle_t h) {
    memset(st, 0, sizeof(*st));
    st->st_dev = 1;
    st->st_ino = (uint64_t)(uint32_t)h;
    st->st_nlink = 1;
    st->st_mode = (kind == FS_KIND_DIR ? L_S_IFDIR : L_S_IFREG) | (mode & 07777);
    st->st_size = (int64_t)size;
    st->st_blksize = 4096;
    st->st_blocks = (int64_t)((size + 511) / 512);
    st->st_atim.tv_sec = st->st_mtim.tv_sec = st->st_ctim.tv_sec = (int64_t)mtime;
}

static long stat_handle(handle_t h, uint64_t ust) {
    uint32_t kind, mode;
    uint64_t size, mtime;
    int err = fs_stat(h, &kind, &size, &mode, &mtime);
    if (err)
        return to_errno(err);
    fill_stat((struct l_stat *)ust, kind, size, mode, mtime, h);
    return 0;
}

static long do_fstat(long fd, uint64_t ust) {
    struct fd *f = get_fd(fd);
    if (!f)
        return -L_EBADF;
    if (f->kind == FD_CONSOLE_IN || f->kind == FD_CONSOLE_OUT) {
        struct l_stat *st = (struct l_stat *)ust;
        memset(st, 0, sizeof(*st));
        st->st_mode = L_S_IFCHR | 0620;
        st->st_blksize = 4096;
        return 0;
    }
    return stat_handle(f->h, ust);
}

static long do_fstatat(long dirfd, uint64_t upath, uint64_t ust) {
    const char *p = (const char *)upath;
    if (p && !p[0])   /* AT_EMPTY_PATH: the fd itself */
        return do_fstat(dirfd, ust);
    handle_t h;
    uint32_t kind;
    uint64_t size;
    enum mount mount;
    long err = open_at(dirfd, upath, 0, &h, &kind, &size, &mount);
    if (err)
        return err;
    err = stat_handle(h, ust);
    sys_handle_close(h);
    return err;
}

static long do_getdents64(long fd, uint64_t ubuf, uint64_t count) {
    struct fd *f = get_fd(fd);
    if (!f)
        return -L_EBADF;
    if (f->kind != FD_DIR)
        return -L_ENOTDIR;
    uint64_t used = 0;
    for (;;) {
        char name[FS_READDIR_NAME_MAX];
        uint32_t kind = 0;
        uint64_t size = 0;
        int err = fs_readdir(f->h, (uint32_t)f->offset, name, sizeof(name), &kind, &size);
        if (err == -E_NOENT)
            break;   /* no more entries */
        if (err)
            return used ? (long)used : to_errno(err);
        size_t len = strlen(name);
        size_t reclen = (sizeof(struct l_dirent64) + len + 1 + 7) & ~(size_t)7;
        if (used + reclen > count) {
            if (!used)
                return -L_EINVAL;   /* the buffer cannot hold even one entry */
            break;
        }
        struct l_dirent64 *d = (struct l_dirent64 *)(ubuf + used);
        d->d_ino = f->offset + 1;
        d->d_off = (int64_t)f->offset + 1;
        d->d_reclen = (uint16_t)reclen;
        d->d_type = kind == FS_KIND_DIR ? L_DT_DIR : L_DT_REG;
        memcpy(d->d_name, name, len + 1);
        used += reclen;
        f->offset++;
    }
    return (long)used;
}

static long do_fcntl(long fd, long cmd, long arg) {
    struct fd *f = get_fd(fd);
    if (!f)
        return -L_EBADF;
    switch (cmd) {
    case L_F_GETFD:
    case L_F_SETFD:
        return 0;   /* no exec, so close-on-exec changes nothing */
    case L_F_GETFL:
        return f->flags;
    case L_F_SETFL:
        return 0;
    default:
        log_once(NR_fcntl, "command not supported");
        return -L_EINVAL;
    }
}

/* ---- time ---- */

/* CLOCK_REALTIME: the runtime's wall clock (the rtc driver's reading plus
 * the monotonic time since); without an rtc, time counts from boot. */
static long do_clock_gettime(long clk, uint64_t uts) {
    struct l_timespec *ts = (struct l_timespec *)uts;
    uint64_t ns = sys_clock();
    if (clk == L_CLOCK_REALTIME && !realtime_ns(bootstrap(), &ns))
        log_once(NR_clock_gettime, "CLOCK_REALTIME: no rtc service; time counts from boot");
    ts->tv_sec = (int64_t)(ns / 1000000000ull);
    ts->tv_nsec = (int64_t)(ns % 1000000000ull);
    return 0;
}

static long do_nanosleep(uint64_t ureq) {
    const struct l_timespec *ts = (const struct l_timespec *)ureq;
    if (!ts || ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= 1000000000)
        return -L_EINVAL;
    long err = sleep_ns((uint64_t)ts->tv_sec * 1000000000ull + (uint64_t)ts->tv_nsec);
    return err ? to_errno(err) : 0;
}

static long task_id(void) {
    struct task_info info;
    sys_task_info(HANDLE_SELF, &info);
    return info.id;
}

long __tessera_syscall(long n, long a1, long a2, long a3, long a4, long a5, long a6) {
    switch (n) {
    case NR_read: return do_read(a1, (uint64_t)a2, (uint64_t)a3, false, 0);
    case NR_pread64: return do_read(a1, (uint64_t)a2, (uint64_t)a3, true, (uint64_t)a4);
    case NR_readv: return do_readv(a1, (uint64_t)a2, a3);
    case NR_write: return do_write(a1, (uint64_t)a2, (uint64_t)a3, false, 0);
    case NR_pwrite64: return do_write(a1, (uint64_t)a2, (uint64_t)a3, true, (uint64_t)a4);
    case NR_ftruncate: return do_ftruncate(a1, a2);
    case NR_truncate: {
        long fd = do_openat(L_AT_FDCWD, (uint64_t)a1, L_O_WRONLY);
        if (fd < 0)
            return fd;
        long err = do_ftruncate(fd, a2);
        do_close(fd);
        return err;
    }
    case NR_fsync:
    case NR_fdatasync: return do_fsync(a1);
    case NR_mkdir: return do_mkdirat(L_AT_FDCWD, (uint64_t)a1);
    case NR_mkdirat: return do_mkdirat(a1, (uint64_t)a2);
    case NR_unlink: return do_unlinkat(L_AT_FDCWD, (uint64_t)a1, 0);
    case NR_rmdir: return do_unlinkat(L_AT_FDCWD, (uint64_t)a1, L_AT_REMOVEDIR);
    case NR_unlinkat: return do_unlinkat(a1, (uint64_t)a2, a3);
    case NR_rename: return do_renameat(L_AT_FDCWD, (uint64_t)a1, L_AT_FDCWD, (uint64_t)a2, 0);
    case NR_renameat: return do_renameat(a1, (uint64_t)a2, a3, (uint64_t)a4, 0);
    case NR_renameat2: return do_renameat(a1, (uint64_t)a2, a3, (uint64_t)a4, a5);
    case NR_writev: return do_writev(a1, (uint64_t)a2, a3);
    case NR_open: return do_openat(L_AT_FDCWD, (uint64_t)a1, a2);
    case NR_openat: return do_openat(a1, (uint64_t)a2, a3);
    case NR_close: return do_close(a1);
    case NR_lseek: return do_lseek(a1, a2, a3);
    case NR_fstat: return do_fstat(a1, (uint64_t)a2);
    case NR_stat:
    case NR_lstat: return do_fstatat(L_AT_FDCWD, (uint64_t)a1, (uint64_t)a2);
    case NR_newfstatat: return do_fstatat(a1, (uint64_t)a2, (uint64_t)a3);
    case NR_access: {
        struct l_stat st;
        return do_fstatat(L_AT_FDCWD, (uint64_t)a1, (uint64_t)&st);
    }
    case NR_faccessat: {
        struct l_stat st;
        return do_fstatat(a1, (uint64_t)a2, (uint64_t)&st);
    }
    case NR_getdents64: return do_getdents64(a1, (uint64_t)a2, (uint64_t)a3);
    case NR_fcntl: return do_fcntl(a1, a2, a3);
    case NR_ioctl:
        return -L_ENOTTY;   /* no terminals */
    case NR_getcwd: {
        if ((uint64_t)a2 < 2)
            return -L_ERANGE;
        memcpy((char *)a1, "/", 2);
        return 2;
    }
    case NR_mmap: return do_mmap((uint64_t)a1, (uint64_t)a2, (uint64_t)a3, (uint64_t)a4, a5, (uint64_t)a6);
    case NR_munmap: {
        int err = vm_unmap(vm(), (uint64_t)a1, (uint64_t)a2);
        return err ? to_errno(err) : 0;
    }
    case NR_mprotect: {
        int err = vm_protect(vm(), (uint64_t)a1, (uint64_t)a2, (uint32_t)a3 & (PROT_R | PROT_W | PROT_X));
        return err ? to_errno(err) : 0;
    }
    case NR_brk:
        return 0;   /* no brk heap: musl's malloc then uses mmap */
    case NR_madvise:
        return 0;   /* advice only */
    case NR_arch_prctl:
        if (a1 != L_ARCH_SET_FS)
            return -L_EINVAL;
        return sys_set_tls((uintptr_t)a2) < 0 ? -L_EPERM : 0;
    case NR_set_tid_address:
    case NR_gettid:
    case NR_getpid:
        return task_id();
    case NR_getuid:
    case NR_geteuid:
    case NR_getgid:
    case NR_getegid:
        return 0;   /* one user */
    case NR_uname: {
        struct l_utsname *u = (struct l_utsname *)a1;
        memset(u, 0, sizeof(*u));
        memcpy(u->sysname, "Tessera", 8);
        memcpy(u->nodename, "tessera", 8);
        memcpy(u->release, "0.1", 4);
        memcpy(u->version, "0.1", 4);
        memcpy(u->machine, "x86_64", 7);
        return 0;
    }
    case NR_clock_gettime: return do_clock_gettime(a1, (uint64_t)a2);
    case NR_clock_getres: {
        struct l_timespec *ts = (struct l_timespec *)a2;
        if (ts) {
            ts->tv_sec = 0;
            ts->tv_nsec = 1;
        }
        return 0;
    }
    case NR_gettimeofday: {
        struct l_timespec ts;
        do_clock_gettime(L_CLOCK_REALTIME, (uint64_t)&ts);
        if (a1) {
            int64_t *tv = (int64_t *)a1;
            tv[0] = ts.tv_sec;
            tv[1] = ts.tv_nsec / 1000;
        }
        return 0;
    }
    case NR_time: {
        struct l_timespec ts;
        do_clock_gettime(L_CLOCK_REALTIME, (uint64_t)&ts);
        if (a1)
            *(int64_t *)a1 = ts.tv_sec;
        return ts.tv_sec;
    }
    case NR_nanosleep: return do_nanosleep((uint64_t)a1);
    case NR_clock_nanosleep:
        if (a2 & 1)   /* TIMER_ABSTIME */
            return -L_EINVAL;
        return do_nanosleep((uint64_t)a3);
    case NR_sched_yield:
        sys_yield();
        return 0;
    case NR_rt_sigprocmask:
        if (a3)
            memset((void *)a3, 0, (size_t)(a4 > 0 && a4 <= 128 ? a4 : 8));
        return 0;   /* no signals are ever delivered, so every mask holds */
    case NR_rt_sigaction:
        if (a3)
            memset((void *)a3, 0, 32);
        log_once(n, "(signal handlers): no signals are delivered on Tessera");
        return 0;
    case NR_tkill:
    case NR_tgkill: {
        long sig = n == NR_tkill ? a2 : a3;
        log_printf("libposix: signal %ld raised: ending the task\n", sig);
        sys_task_exit(128 + (int)sig);
    }
    case NR_exit:
    case NR_exit_group:
        sys_task_exit((int)a1);
    case NR_futex:
        /* One thread per task: a wait whose value still matches would wait forever. */
        if ((a2 & 0x7f) == L_FUTEX_WAKE)
            return 0;
        if ((a2 & 0x7f) == L_FUTEX_WAIT && *(volatile int *)a1 != (int)a3)
            return -L_EAGAIN;
        log_once(n, "futex wait in a single-threaded task");
        return -L_ENOSYS;
    default:
        log_once(n, "is not supported (returning ENOSYS)");
        return -L_ENOSYS;
    }
    (void)a4;
    (void)a5;
    (void)a6;
}
