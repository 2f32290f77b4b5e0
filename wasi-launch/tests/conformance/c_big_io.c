/* Large reads and writes in one call: the host streams them in bounded
 * pieces; the data must arrive intact. */
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "check.h"

#define BIG (8 * 1024 * 1024 + 7)

int main(void) {
  unsigned char *out = malloc(BIG), *in = malloc(BIG);
  CHECK(out != NULL && in != NULL);
  for (size_t i = 0; i < BIG; i++)
    out[i] = (unsigned char)(i * 31 + (i >> 16));

  int fd = open("big.bin", O_CREAT | O_RDWR | O_TRUNC, 0644);
  CHECK(fd > 2);
  CHECK(write(fd, out, BIG) == BIG);
  struct stat st;
  CHECK(fstat(fd, &st) == 0 && st.st_size == BIG);
  CHECK(lseek(fd, 0, SEEK_SET) == 0);
  memset(in, 0, BIG);
  size_t got = 0;
  while (got < BIG) {
    ssize_t n = read(fd, in + got, BIG - got);
    CHECK(n > 0);
    got += (size_t)n;
  }
  CHECK(memcmp(in, out, BIG) == 0);

  /* pread of the whole file at once, then from the middle. */
  memset(in, 0, BIG);
  CHECK(pread(fd, in, BIG, 0) == BIG && memcmp(in, out, BIG) == 0);
  CHECK(pread(fd, in, BIG, BIG - 100) == 100 && memcmp(in, out + BIG - 100, 100) == 0);

  /* writev of three large iovecs, readv back into two. */
  struct iovec wv[3] = {{out, 3000000}, {out + 3000000, 3000000}, {out + 6000000, BIG - 6000000}};
  CHECK(pwritev(fd, wv, 3, 0) == BIG);
  memset(in, 0, BIG);
  struct iovec rv[2] = {{in, 5}, {in + 5, BIG - 5}};
  CHECK(preadv(fd, rv, 2, 0) == BIG && memcmp(in, out, BIG) == 0);
  CHECK(close(fd) == 0);
  printf("ok\n");
  return 0;
}
