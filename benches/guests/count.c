/* A small C tool built with wasi-libc (see build.sh): counts the lines,
 * words and bytes of stdin (or of its arguments when stdin is empty) and
 * prints them, using read(2)/write(2) rather than stdio. */
#include <string.h>
#include <unistd.h>

static size_t put_number(char *out, unsigned long n) {
    char digits[24];
    size_t len = 0;
    do {
        digits[len++] = (char)('0' + n % 10);
        n /= 10;
    } while (n != 0);
    for (size_t i = 0; i < len; i++) out[i] = digits[len - 1 - i];
    return len;
}

int main(int argc, char **argv) {
    unsigned long lines = 0, words = 0, bytes = 0;
    int in_word = 0;
    char buf[4096];
    ssize_t got;
    while ((got = read(0, buf, sizeof buf)) > 0) {
        for (ssize_t i = 0; i < got; i++) {
            char c = buf[i];
            bytes++;
            if (c == '\n') lines++;
            int space = c == ' ' || c == '\n' || c == '\t' || c == '\r';
            if (!space && !in_word) words++;
            in_word = !space;
        }
    }
    for (int i = 1; i < argc; i++) bytes += strlen(argv[i]);
    char out[80];
    size_t n = 0;
    n += put_number(out + n, lines);
    out[n++] = ' ';
    n += put_number(out + n, words);
    out[n++] = ' ';
    n += put_number(out + n, bytes);
    out[n++] = '\n';
    return write(1, out, n) == (ssize_t)n ? 0 : 1;
}
