/* The e2e test's guest (see build.sh): prints what it was given and does
 * what its arguments ask, one line each, flushing as it goes.
 *   read=PATH   prints "read PATH: <first line>" or "read PATH: failed"
 *   grow=PAGES  prints "grow PAGES: ok" or "grow PAGES: failed"
 *   sleep       prints "sleeping", then sleeps an hour
 *   spin        prints "spinning", then loops for ever
 *   exit=N      exits with N (after everything else)
 * Every argument and the variables GREETING and FROM_RUN are printed
 * first. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
    int code = 0;
    for (int i = 0; i < argc; i++) printf("arg[%d]=%s\n", i, argv[i]);
    const char *names[] = {"GREETING", "FROM_RUN"};
    for (int i = 0; i < 2; i++) {
        const char *value = getenv(names[i]);
        printf("env %s=%s\n", names[i], value ? value : "(unset)");
    }
    fflush(stdout);
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strncmp(arg, "read=", 5) == 0) {
            FILE *f = fopen(arg + 5, "r");
            char line[256] = "";
            if (f && fgets(line, sizeof line, f)) {
                line[strcspn(line, "\n")] = 0;
                printf("read %s: %s\n", arg + 5, line);
            } else {
                printf("read %s: failed\n", arg + 5);
            }
            if (f) fclose(f);
        } else if (strncmp(arg, "grow=", 5) == 0) {
            int pages = atoi(arg + 5);
            int got = __builtin_wasm_memory_grow(0, pages);
            printf("grow %d: %s\n", pages, got == -1 ? "failed" : "ok");
        } else if (strcmp(arg, "sleep") == 0) {
            printf("sleeping\n");
            fflush(stdout);
            sleep(3600);
        } else if (strcmp(arg, "spin") == 0) {
            printf("spinning\n");
            fflush(stdout);
            for (volatile unsigned long n = 0;; n++) {
            }
        } else if (strncmp(arg, "exit=", 5) == 0) {
            code = atoi(arg + 5);
        }
        fflush(stdout);
    }
    return code;
}
