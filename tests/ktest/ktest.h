#ifndef KTEST_H
#define KTEST_H

#define FUZZ_CALLS 20000
#define FUZZ_TASKS 6

int child_main(int argc, char **argv);

#endif
