/*
 * A tiny host unit-test framework. Each test file defines tests with TEST()
 * and ends with TEST_MAIN(). Output, one line per test:
 *   PASS <file>:<name>
 *   FAIL <file>:<name>: <file>:<line>: <expression>
 * The runner (tests/run.py) counts these lines; the exit code is non-zero when
 * any test failed.
 */
#ifndef TESSERA_HOST_TEST_H
#define TESSERA_HOST_TEST_H

#include <stdio.h>
#include <string.h>

typedef void (*test_fn)(void);
struct test_case { const char *name; test_fn fn; };

#define TEST_MAX 256
static struct test_case test_cases[TEST_MAX];
static int test_count;
static int test_failed_now;

#define TEST(name)                                                        \
    static void test_##name(void);                                        \
    __attribute__((constructor)) static void test_register_##name(void) { \
        if (test_count < TEST_MAX)                                        \
            test_cases[test_count++] = (struct test_case){#name, test_##name}; \
    }                                                                     \
    static void test_##name(void)

#define CHECK(cond)                                                       \
    do {                                                                  \
        if (!(cond) && !test_failed_now) {                                \
            printf("FAIL %s:%s: %s:%d: %s\n", test_suite_name(),          \
                   test_current, __FILE__, __LINE__, #cond);              \
            test_failed_now = 1;                                          \
        }                                                                 \
    } while (0)

#define CHECK_EQ(a, b) CHECK((a) == (b))
#define CHECK_STR(a, b) CHECK(strcmp((a), (b)) == 0)

static const char *test_current = "";

static const char *test_suite_name(void) {
    const char *s = __BASE_FILE__;
    const char *slash = strrchr(s, '/');
    return slash ? slash + 1 : s;
}

#define TEST_MAIN()                                                       \
    int main(void) {                                                      \
        int failed = 0;                                                   \
        setvbuf(stdout, NULL, _IOLBF, 0); /* keep lines if a test crashes */ \
        for (int i = 0; i < test_count; i++) {                            \
            test_current = test_cases[i].name;                            \
            test_failed_now = 0;                                          \
            test_cases[i].fn();                                           \
            if (test_failed_now)                                          \
                failed++;                                                 \
            else                                                          \
                printf("PASS %s:%s\n", test_suite_name(), test_current);  \
        }                                                                 \
        return failed ? 1 : 0;                                            \
    }

#endif
