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

int main(void) {
    printf("posixtest: starting\n");
    run("malloc", test_malloc);
    run("mmap", test_mmap);
    run("stdio_files", test_stdio_files);
    run("fd_files", test_fd_files);
    run("errors", test_errors);
    run("directories", test_directories);
    run("time", test_time);
    run("unsupported_calls_fail", test_unsupported_calls_fail);
    printf("posixtest: done %d passed, %d failed\n", passed, failed);
    return failed;
}
