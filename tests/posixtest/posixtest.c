/*
 * POSIX through musl and libposix, as an ordinary C program sees it.
 * Prints "posixtest: PASS name" / "posixtest: FAIL name: why" per test and
 * "posixtest: done N passed, M failed"; exits with the failure count.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static int passed, failed;
static const char *current;
static int current_failed;

#define EXPECT(cond)                                                                     \
    do {                                                                                 \
        if (!(cond) && !current_failed) {                                                \
            printf("posixtest: FAIL %s: line %d: %s (errno %d)\n", current, __LINE__, #cond, \
                   errno);                                                               \
            current_failed = 1;                                                          \
        }                                                                                \
    } while (0)

static void run(const char *name, void (*fn)(void)) {
    current = name;
    current_failed = 0;
    fn();
    if (current_failed) {
        failed++;
    } else {
        passed++;
        printf("posixtest: PASS %s\n", name);
    }
    fflush(stdout);
}

static void test_malloc(void) {
    /* small objects, then blocks big enough that musl maps them on their own */
    void *small[1000];
    for (int i = 0; i < 1000; i++) {
        small[i] = malloc((size_t)(16 + i % 200));
        EXPECT(small[i] != NULL);
        memset(small[i], i & 0xff, (size_t)(16 + i % 200));
    }
    for (int i = 0; i < 1000; i++)
        free(small[i]);
    for (size_t size = 1 << 16; size <= (32u << 20); size <<= 1) {
        unsigned char *p = malloc(size);
        EXPECT(p != NULL);
        if (!p)
            break;
        p[0] = 1;
        p[size - 1] = 2;
        EXPECT(p[size / 2] == 0 || 1);   /* fresh pages are readable */
        free(p);
    }
    void *huge = malloc((size_t)1 << 40);
    EXPECT(huge == NULL && errno == ENOMEM);
    char *s = strdup("hello");
    EXPECT(s && !strcmp(s, "hello"));
    free(s);
}

static void test_mmap(void) {
    char *p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    EXPECT(p != MAP_FAILED);
    EXPECT(p[12345] == 0);
    p[12345] = 7;
    EXPECT(mprotect(p, 4096, PROT_READ) == 0);
    EXPECT(p[12345] == 7);
    EXPECT(munmap(p, 1 << 20) == 0);
    errno = 0;
    EXPECT(mmap(NULL, (size_t)1 << 41, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED &&
           errno == ENOMEM);
    int fd = open("/etc/boot.conf", O_RDONLY);
    errno = 0;
    EXPECT(mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0) == MAP_FAILED && errno == ENODEV);
    close(fd);
}

static void test_stdio_files(void) {
    FILE *f = fopen("/etc/boot.conf", "r");
    EXPECT(f != NULL);
    if (!f)
        return;
    char line[256];
    int lines = 0, services = 0;
    while (fgets(line, sizeof(line), f)) {
        lines++;
        if (strstr(line, "service fs servers/bootfs"))
            services++;
    }
    EXPECT(lines > 3 && services == 1);
    EXPECT(fseek(f, 0, SEEK_END) == 0);
    long size = ftell(f);
    EXPECT(size > 100);
    rewind(f);
    char *all = malloc((size_t)size + 1);
    EXPECT(fread(all, 1, (size_t)size + 10, f) == (size_t)size);
    EXPECT(feof(f));
    EXPECT(all[0] == '#');
    free(all);
    fclose(f);
}

static void test_fd_files(void) {
    int fd = open("fonts/DejaVuSans.ttf", O_RDONLY);
    EXPECT(fd >= 3);
    struct stat st;
    EXPECT(fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 100000);
    unsigned char head[4];
    EXPECT(read(fd, head, 4) == 4 && head[0] == 0 && head[1] == 1);   /* a TrueType file */
    EXPECT(lseek(fd, -4, SEEK_END) == st.st_size - 4);
    EXPECT(read(fd, head, 8) == 4 && read(fd, head, 8) == 0);         /* end of file */
    EXPECT(pread(fd, head, 4, 0) == 4 && head[1] == 1);
    EXPECT(close(fd) == 0);
    EXPECT(close(fd) == -1 && errno == EBADF);
    EXPECT(stat("/servers", &st) == 0 && S_ISDIR(st.st_mode));
    EXPECT(access("/tests/posixtest", R_OK) == 0);
}

static void test_errors(void) {
    errno = 0;
    EXPECT(open("/no/such/file", O_RDONLY) == -1 && errno == ENOENT);
    EXPECT(fopen("/etc/nothing-here", "r") == NULL && errno == ENOENT);
    EXPECT(open("/etc/boot.conf/x", O_RDONLY) == -1 && errno == ENOTDIR);
    EXPECT(open("/etc/boot.conf", O_WRONLY) == -1 && errno == EROFS);
    EXPECT(open("/etc/new", O_CREAT | O_WRONLY, 0644) == -1 && errno == EROFS);
    char name[400];
    memset(name, 'a', sizeof(name) - 1);
    name[sizeof(name) - 1] = 0;
    EXPECT(open(name, O_RDONLY) == -1 && errno == ENAMETOOLONG);
    int fd = open("/servers", O_RDONLY | O_DIRECTORY);
    char c;
    EXPECT(fd >= 0 && read(fd, &c, 1) == -1 && errno == EISDIR);
    close(fd);
    EXPECT(read(999, &c, 1) == -1 && errno == EBADF);
    EXPECT(write(1, "", 0) == 0);
}

static void test_directories(void) {
    DIR *d = opendir("/");
    EXPECT(d != NULL);
    if (!d)
        return;
    int found = 0, n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        n++;
        if (!strcmp(e->d_name, "servers") && e->d_type == DT_DIR)
            found |= 1;
        if (!strcmp(e->d_name, "etc") && e->d_type == DT_DIR)
            found |= 2;
        if (!strcmp(e->d_name, "fonts") && e->d_type == DT_DIR)
            found |= 4;
    }
    closedir(d);
    EXPECT(found == 7 && n >= 5);
    d = opendir("/tests");
    int tests = 0;
    while (d && (e = readdir(d)))
        tests += e->d_type == DT_REG;
    if (d)
        closedir(d);
    EXPECT(tests >= 4);
    EXPECT(opendir("/etc/boot.conf") == NULL && errno == ENOTDIR);
}

static void test_time(void) {
    struct timespec a, b;
    EXPECT(clock_gettime(CLOCK_MONOTONIC, &a) == 0);
    struct timespec req = {0, 30 * 1000 * 1000};
    EXPECT(nanosleep(&req, NULL) == 0);
    EXPECT(clock_gettime(CLOCK_MONOTONIC, &b) == 0);
    long long ns = (b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec);
    EXPECT(ns >= 30 * 1000 * 1000 && ns < 2000LL * 1000 * 1000);
    EXPECT(usleep(1000) == 0);
    /* The wall clock comes from the RTC: some time after this was written. */
    time_t now = time(NULL);
    EXPECT(now > 1700000000);
    struct timespec rt;
    EXPECT(clock_gettime(CLOCK_REALTIME, &rt) == 0 && rt.tv_sec >= now && rt.tv_sec - now < 5);
}

static void test_unsupported_calls_fail(void) {
    errno = 0;
    EXPECT(syscall(SYS_socket, 2, 1, 0) == -1 && errno == ENOSYS);
    EXPECT(fork() == -1);   /* no fork: spawn programs through the vm server */
    EXPECT(getpid() > 0);
}

/* The boot file system refuses every change with EROFS; write needs a
 * descriptor opened for writing. */
static void test_bootfs_read_only(void) {
    errno = 0;
    EXPECT(open("/etc/new-file", O_WRONLY | O_CREAT, 0644) == -1 && errno == EROFS);
    EXPECT(open("/etc/boot.conf", O_WRONLY | O_TRUNC) == -1 && errno == EROFS);
    EXPECT(mkdir("/etc/newdir", 0755) == -1 && errno == EROFS);
    EXPECT(unlink("/etc/boot.conf") == -1 && errno == EROFS);
    EXPECT(rmdir("/etc") == -1 && errno == EROFS);
    EXPECT(rename("/etc/boot.conf", "/etc/x") == -1 && errno == EROFS);
    EXPECT(unlink("/etc") == -1 && errno == EISDIR);
    EXPECT(unlink("/no/such/file") == -1 && errno == ENOENT);
    int fd = open("/etc/boot.conf", O_RDONLY);
    EXPECT(fd >= 0);
    EXPECT(write(fd, "x", 1) == -1 && errno == EBADF);
    EXPECT(ftruncate(fd, 0) == -1);
    EXPECT(fsync(fd) == 0);
    close(fd);
}

/* ---- /data (posixtest.data=write|check|ro; tests/qemu/test_data.py) ---- */

#define BIG 10000   /* bytes: many fs.write messages */
static unsigned char pattern(size_t i) { return (unsigned char)(i * 7 + i / 251); }

static int write_all(const char *path, const void *buf, size_t len) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return -1;
    ssize_t n = write(fd, buf, len);
    int ok = n == (ssize_t)len && fsync(fd) == 0;
    return close(fd) == 0 && ok ? 0 : -1;
}

/* The file holds exactly len bytes equal to want. */
static int holds(const char *path, const void *want, size_t len) {
    static unsigned char got[BIG + 64];
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, got, sizeof(got));
    struct stat st;
    int ok = fstat(fd, &st) == 0 && st.st_size == (off_t)len && n == (ssize_t)len && !memcmp(got, want, len);
    close(fd);
    return ok;
}

static int exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

static unsigned char big[BIG];

static void test_data_files(void) {
    struct stat st;
    EXPECT(stat("/data", &st) == 0 && S_ISDIR(st.st_mode));
    EXPECT(mkdir("/data/ptest", 0755) == 0);
    EXPECT(mkdir("/data/ptest", 0755) == -1 && errno == EEXIST);
    for (size_t i = 0; i < BIG; i++)
        big[i] = pattern(i);
    /* through stdio (musl writes with writev), then read back */
    FILE *f = fopen("/data/ptest/keep.txt", "w");
    EXPECT(f != NULL);
    if (!f)
        return;
    EXPECT(fwrite(big, 1, BIG, f) == BIG);
    EXPECT(fflush(f) == 0 && fsync(fileno(f)) == 0);
    EXPECT(fclose(f) == 0);
    EXPECT(holds("/data/ptest/keep.txt", big, BIG));
    EXPECT(holds("/data/PTEST/KEEP.TXT", big, BIG));   /* FAT: case-insensitive */
    EXPECT(open("/data/ptest/keep.txt", O_WRONLY | O_CREAT | O_EXCL, 0644) == -1 && errno == EEXIST);
    EXPECT(open("/data/ptest/none.txt", O_RDONLY) == -1 && errno == ENOENT);
    /* O_APPEND, pwrite past the end (the gap reads as zeros), ftruncate */
    EXPECT(write_all("/data/ptest/edit.txt", "hello", 5) == 0);
    int fd = open("/data/ptest/edit.txt", O_WRONLY | O_APPEND);
    EXPECT(fd >= 0 && write(fd, " world", 6) == 6);
    close(fd);
    EXPECT(holds("/data/ptest/edit.txt", "hello world", 11));
    fd = open("/data/ptest/edit.txt", O_RDWR);
    EXPECT(fd >= 0 && pwrite(fd, "!", 1, 13) == 1);
    EXPECT(holds("/data/ptest/edit.txt", "hello world\0\0!", 14));
    EXPECT(ftruncate(fd, 5) == 0);
    EXPECT(lseek(fd, 0, SEEK_END) == 5);
    close(fd);
    EXPECT(holds("/data/ptest/edit.txt", "hello", 5));
    /* a long name, kept as it was written */
    EXPECT(write_all("/data/ptest/A long file name, with spaces.text", "long", 4) == 0);
    DIR *d = opendir("/data/ptest");
    EXPECT(d != NULL);
    int seen = 0;
    struct dirent *e;
    while (d && (e = readdir(d))) {
        seen |= !strcmp(e->d_name, "keep.txt") && e->d_type == DT_REG;
        seen |= (!strcmp(e->d_name, "A long file name, with spaces.text")) << 1;
        seen |= (!strcmp(e->d_name, "edit.txt")) << 2;
    }
    if (d)
        closedir(d);
    EXPECT(seen == 7);
}

static void test_data_directories(void) {
    EXPECT(mkdir("/data/ptest/dir", 0755) == 0);
    EXPECT(mkdir("/data/ptest/dir/sub", 0755) == 0);
    EXPECT(write_all("/data/ptest/dir/sub/file.txt", "sub", 3) == 0);
    EXPECT(rmdir("/data/ptest/dir") == -1 && errno == ENOTEMPTY);
    EXPECT(unlink("/data/ptest/dir") == -1 && errno == EISDIR);
    EXPECT(rmdir("/data/ptest/dir/sub/file.txt") == -1 && errno == ENOTDIR);
    EXPECT(mkdir("/data/ptest/nope/x", 0755) == -1 && errno == ENOENT);
    /* relative to a directory descriptor */
    int dfd = open("/data/ptest/dir", O_RDONLY | O_DIRECTORY);
    EXPECT(dfd >= 0);
    EXPECT(mkdirat(dfd, "made-at", 0755) == 0);
    EXPECT(unlinkat(dfd, "made-at", AT_REMOVEDIR) == 0);
    int fd = openat(dfd, "sub/file.txt", O_RDONLY);
    EXPECT(fd >= 0);
    close(fd);
    close(dfd);
    EXPECT(!exists("/data/ptest/dir/made-at"));
}

static void test_data_rename_unlink(void) {
    /* within a directory, then across, then over an existing file */
    EXPECT(write_all("/data/ptest/a.txt", "aaa", 3) == 0);
    EXPECT(rename("/data/ptest/a.txt", "/data/ptest/b.txt") == 0);
    EXPECT(!exists("/data/ptest/a.txt") && holds("/data/ptest/b.txt", "aaa", 3));
    EXPECT(rename("/data/ptest/b.txt", "/data/ptest/dir/sub/b.txt") == 0);
    EXPECT(holds("/data/ptest/dir/sub/b.txt", "aaa", 3));
    EXPECT(write_all("/data/ptest/new.txt", "newer", 5) == 0);
    EXPECT(rename("/data/ptest/new.txt", "/data/ptest/dir/sub/b.txt") == 0);
    EXPECT(holds("/data/ptest/dir/sub/b.txt", "newer", 5) && !exists("/data/ptest/new.txt"));
    /* a whole directory moves */
    EXPECT(rename("/data/ptest/dir", "/data/ptest/moved") == 0);
    EXPECT(!exists("/data/ptest/dir") && holds("/data/ptest/moved/sub/file.txt", "sub", 3));
    EXPECT(rename("/data/ptest/moved", "/data/ptest/moved/sub/x") == -1);   /* not into itself */
    /* an open file follows its rename */
    int fd = open("/data/ptest/edit.txt", O_RDWR);
    EXPECT(fd >= 0);
    EXPECT(rename("/data/ptest/edit.txt", "/data/ptest/edited.txt") == 0);
    EXPECT(pwrite(fd, "HELLO", 5, 0) == 5);
    close(fd);
    EXPECT(holds("/data/ptest/edited.txt", "HELLO", 5));
    /* across mounts */
    EXPECT(rename("/data/ptest/edited.txt", "/etc/edited.txt") == -1 && errno == EXDEV);
    /* unlink; a descriptor to the deleted file no longer reaches anything */
    EXPECT(write_all("/data/ptest/gone.txt", "gone", 4) == 0);
    fd = open("/data/ptest/gone.txt", O_RDWR);
    EXPECT(unlink("/data/ptest/gone.txt") == 0);
    EXPECT(!exists("/data/ptest/gone.txt"));
    char c;
    EXPECT(fd >= 0 && pread(fd, &c, 1, 0) == -1 && errno == ENOENT);
    EXPECT(write(fd, "x", 1) == -1);
    close(fd);
    EXPECT(unlink("/data/ptest/gone.txt") == -1 && errno == ENOENT);
    EXPECT(rmdir("/data/ptest/moved/sub") == -1 && errno == ENOTEMPTY);
}

/* File times come from the wall clock (FAT keeps 2-second steps): a new
 * file is dated now, a later write moves the date on, a rename keeps it.
 * The date is written down for the check phase. */
static void test_data_times(void) {
    time_t before = time(NULL);
    EXPECT(write_all("/data/ptest/dated-new.txt", "first", 5) == 0);
    struct stat st, fst;
    EXPECT(stat("/data/ptest/dated-new.txt", &st) == 0);
    EXPECT(st.st_mtime > before - 60 && st.st_mtime < before + 60);
    time_t first = st.st_mtime;
    struct timespec pause = {2, 100 * 1000 * 1000};   /* past the next 2-second step */
    EXPECT(nanosleep(&pause, NULL) == 0);
    int fd = open("/data/ptest/dated-new.txt", O_WRONLY | O_APPEND);
    EXPECT(fd >= 0 && write(fd, " second", 7) == 7);
    EXPECT(fd >= 0 && fstat(fd, &fst) == 0);
    close(fd);
    EXPECT(stat("/data/ptest/dated-new.txt", &st) == 0 && st.st_mtime == fst.st_mtime);
    EXPECT(st.st_mtime > first && st.st_mtime >= time(NULL) - 60 && st.st_mtime <= time(NULL) + 60);
    time_t written = st.st_mtime;
    EXPECT(nanosleep(&pause, NULL) == 0);
    EXPECT(rename("/data/ptest/dated-new.txt", "/data/ptest/dated.txt") == 0);
    EXPECT(stat("/data/ptest/dated.txt", &st) == 0 && st.st_mtime == written);
    char note[32];
    int len = snprintf(note, sizeof(note), "%lld", (long long)written);
    EXPECT(write_all("/data/ptest/dated.mtime", note, (size_t)len) == 0);
    /* a new directory is dated too */
    EXPECT(mkdir("/data/ptest/dated-dir", 0755) == 0);
    EXPECT(stat("/data/ptest/dated-dir", &st) == 0 && S_ISDIR(st.st_mode));
    EXPECT(st.st_mtime >= written && st.st_mtime <= time(NULL) + 60);
    EXPECT(rmdir("/data/ptest/dated-dir") == 0);
}

/* After a reboot: the date the write phase saw. */
static void test_data_times_persisted(void) {
    char note[32] = "";
    int fd = open("/data/ptest/dated.mtime", O_RDONLY);
    EXPECT(fd >= 0 && read(fd, note, sizeof(note) - 1) > 0);
    close(fd);
    long long written = atoll(note);
    struct stat st;
    EXPECT(written > 1700000000);
    EXPECT(stat("/data/ptest/dated.txt", &st) == 0 && st.st_mtime == written);
    EXPECT(st.st_mtime <= time(NULL));
    EXPECT(holds("/data/ptest/dated.txt", "first second", 12));
}

/* After a reboot: what the write phase left. */
static void test_data_persisted(void) {
    for (size_t i = 0; i < BIG; i++)
        big[i] = pattern(i);
    EXPECT(holds("/data/ptest/keep.txt", big, BIG));
    EXPECT(holds("/data/ptest/edited.txt", "HELLO", 5));
    EXPECT(holds("/data/ptest/A long file name, with spaces.text", "long", 4));
    EXPECT(holds("/data/ptest/moved/sub/b.txt", "newer", 5));
    EXPECT(holds("/data/ptest/moved/sub/file.txt", "sub", 3));
    EXPECT(!exists("/data/ptest/gone.txt") && !exists("/data/ptest/dir") && !exists("/data/ptest/a.txt"));
    /* then clean up, which must work too */
    EXPECT(unlink("/data/ptest/moved/sub/b.txt") == 0 && unlink("/data/ptest/moved/sub/file.txt") == 0);
    EXPECT(rmdir("/data/ptest/moved/sub") == 0 && rmdir("/data/ptest/moved") == 0);
    EXPECT(exists("/data/ptest/keep.txt"));
}

/* A volume mounted read-only: reading works, every change is EROFS. */
static void test_data_read_only(void) {
    struct stat st;
    EXPECT(stat("/data/boot/grub/grub.cfg", &st) == 0 && st.st_size > 0);
    EXPECT(open("/data/new.txt", O_WRONLY | O_CREAT, 0644) == -1 && errno == EROFS);
    EXPECT(mkdir("/data/newdir", 0755) == -1 && errno == EROFS);
    EXPECT(unlink("/data/boot/grub/grub.cfg") == -1 && errno == EROFS);
    EXPECT(rename("/data/boot", "/data/boot2") == -1 && errno == EROFS);
}

int main(void) {
    const char *phase = getenv("posixtest.data");
    if (phase) {
        printf("posixtest: /data phase %s\n", phase);
        if (!strcmp(phase, "write")) {
            run("data_files", test_data_files);
            run("data_directories", test_data_directories);
            run("data_rename_unlink", test_data_rename_unlink);
            run("data_times", test_data_times);
        } else if (!strcmp(phase, "check")) {
            run("data_persisted", test_data_persisted);
            run("data_times_persisted", test_data_times_persisted);
        } else if (!strcmp(phase, "ro")) {
            run("data_read_only", test_data_read_only);
        } else {
            printf("posixtest: FAIL data_phase: unknown posixtest.data=%s\n", phase);
            failed++;
        }
        printf("posixtest: done %d passed, %d failed\n", passed, failed);
        return failed;
    }
    printf("posixtest: starting\n");
    run("malloc", test_malloc);
    run("mmap", test_mmap);
    run("stdio_files", test_stdio_files);
    run("fd_files", test_fd_files);
    run("errors", test_errors);
    run("directories", test_directories);
    run("time", test_time);
    run("unsupported_calls_fail", test_unsupported_calls_fail);
    run("bootfs_read_only", test_bootfs_read_only);
    printf("posixtest: done %d passed, %d failed\n", passed, failed);
    return failed;
}
