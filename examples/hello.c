/* A C hello world built with wasi-libc (see build.sh): prints a greeting and
 * its argument count, then exits 0. */
#include <stdio.h>

int main(int argc, char **argv) {
    (void)argv;
    printf("Hello, world! argc=%d\n", argc);
    return 0;
}
