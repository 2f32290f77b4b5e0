/* stdin, stdout and stderr: reading fed bytes to the end, writing, fstat,
 * fcntl and what the streams refuse. */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

int main(void) {
  char buf[64] = {0};
  CHECK(read(0, buf, 3) == 3 && memcmp(buf, "hel", 3) == 0);
  CHECK(read(0, buf + 3, sizeof buf - 3) == 4 && strcmp(buf, "hello\n!") == 0);
  CHECK(read(0, buf, sizeof buf) == 0);

  struct stat st;
  CHECK(fstat(0, &st) == 0 && fstat(1, &st) == 0 && fstat(2, &st) == 0);
  CHECK_ERR(lseek(0, 0, SEEK_CUR), ESPIPE);
  CHECK_ERR(lseek(1, 0, SEEK_SET), ESPIPE);
  CHECK_ERR(write(0, "x", 1), EBADF);
  CHECK_ERR(read(1, buf, 1), EBADF);
  CHECK_ERR(pwrite(1, "x", 1, 0), ESPIPE);
  CHECK(fcntl(1, F_SETFL, O_NONBLOCK) == 0);
  CHECK((fcntl(1, F_GETFL) & O_NONBLOCK) == O_NONBLOCK);
  CHECK(fcntl(1, F_SETFL, 0) == 0);

  CHECK(write(2, "to stderr\n", 10) == 10);
  CHECK(write(1, "out: ", 5) == 5);
  CHECK(write(1, buf, 0) == 0);
  printf("%s\n", "hello");
  return 0;
}
