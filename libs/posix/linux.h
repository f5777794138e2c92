/* The Linux x86-64 ABI that musl speaks: system call numbers, errno values,
 * flags and structures. Fixed by Linux; written out here because libposix is
 * built without musl's headers. */
#ifndef POSIX_LINUX_H
#define POSIX_LINUX_H

#include <stdint.h>

enum {
    NR_read = 0, NR_write = 1, NR_open = 2, NR_close = 3, NR_stat = 4, NR_fstat = 5,
    NR_lstat = 6, NR_lseek = 8, NR_mmap = 9, NR_mprotect = 10, NR_munmap = 11, NR_brk = 12,
    NR_rt_sigaction = 13, NR_rt_sigprocmask = 14, NR_ioctl = 16, NR_pread64 = 17,
    NR_pwrite64 = 18, NR_readv = 19, NR_writev = 20, NR_access = 21, NR_sched_yield = 24, NR_madvise = 28,
    NR_nanosleep = 35, NR_getpid = 39, NR_exit = 60, NR_uname = 63, NR_fcntl = 72,
    NR_fsync = 74, NR_fdatasync = 75, NR_truncate = 76, NR_ftruncate = 77, NR_rename = 82,
    NR_mkdir = 83, NR_rmdir = 84, NR_unlink = 87, NR_mkdirat = 258, NR_unlinkat = 263,
    NR_renameat = 264, NR_renameat2 = 316,
    NR_getcwd = 79, NR_gettimeofday = 96, NR_getuid = 102, NR_getgid = 104, NR_geteuid = 107,
    NR_getegid = 108, NR_arch_prctl = 158, NR_gettid = 186, NR_tkill = 200, NR_time = 201,
    NR_futex = 202, NR_getdents64 = 217, NR_set_tid_address = 218, NR_clock_gettime = 228,
    NR_clock_getres = 229, NR_clock_nanosleep = 230, NR_exit_group = 231, NR_tgkill = 234,
    NR_openat = 257, NR_newfstatat = 262, NR_faccessat = 269, NR_prlimit64 = 302,
};

enum {
    L_EPERM = 1, L_ENOENT = 2, L_EIO = 5, L_EBADF = 9, L_EAGAIN = 11, L_ENOMEM = 12,
    L_EACCES = 13, L_EFAULT = 14, L_EBUSY = 16, L_EEXIST = 17, L_ENOTDIR = 20, L_EISDIR = 21,
    L_EINVAL = 22, L_EMFILE = 24, L_ENOTTY = 25, L_ESPIPE = 29, L_EROFS = 30, L_EPIPE = 32,
    L_ERANGE = 34, L_ENAMETOOLONG = 36, L_ENOSYS = 38, L_ENODEV = 19, L_ENOTSUP = 95,
    L_ETIMEDOUT = 110, L_EXDEV = 18, L_ENOSPC = 28, L_ENOTEMPTY = 39, L_EFBIG = 27,
};

#define L_O_ACCMODE 03
#define L_O_WRONLY 01
#define L_O_RDWR 02
#define L_O_CREAT 0100
#define L_O_EXCL 0200
#define L_O_TRUNC 01000
#define L_O_APPEND 02000
#define L_AT_REMOVEDIR 0x200
#define L_O_DIRECTORY 0200000
#define L_AT_FDCWD (-100)
#define L_MAP_SHARED 0x01
#define L_MAP_FIXED 0x10
#define L_MAP_ANONYMOUS 0x20
#define L_MAP_GROWSDOWN 0x100
#define L_MAP_FIXED_NOREPLACE 0x100000
#define L_ARCH_SET_FS 0x1002
#define L_TIOCGWINSZ 0x5413
#define L_F_DUPFD 0
#define L_F_GETFD 1
#define L_F_SETFD 2
#define L_F_GETFL 3
#define L_F_SETFL 4
#define L_SEEK_SET 0
#define L_SEEK_CUR 1
#define L_SEEK_END 2
#define L_CLOCK_REALTIME 0
#define L_CLOCK_MONOTONIC 1
#define L_S_IFDIR 0040000
#define L_S_IFREG 0100000
#define L_S_IFCHR 0020000
#define L_DT_DIR 4
#define L_DT_REG 8
#define L_FUTEX_WAIT 0
#define L_FUTEX_WAKE 1

struct l_timespec {
    int64_t tv_sec, tv_nsec;
};

struct l_stat {
    uint64_t st_dev, st_ino, st_nlink;
    uint32_t st_mode, st_uid, st_gid, pad0;
    uint64_t st_rdev;
    int64_t st_size, st_blksize, st_blocks;
    struct l_timespec st_atim, st_mtim, st_ctim;
    int64_t unused[3];
};
_Static_assert(sizeof(struct l_stat) == 144, "Linux x86-64 struct stat");

struct l_iovec {
    uint64_t base, len;
};

struct l_dirent64 {
    uint64_t d_ino;
    int64_t d_off;
    uint16_t d_reclen;
    uint8_t d_type;
    char d_name[];
};

struct l_utsname {
    char sysname[65], nodename[65], release[65], version[65], machine[65], domainname[65];
};

#endif
