#include <tessera/runtime.h>
int main(int argc, char **argv) {
    log_printf("ktest: placeholder\n");
    return 0;
}
