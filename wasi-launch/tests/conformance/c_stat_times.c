/* stat/lstat/fstat/fstatat fields and utimensat/futimens through libc, with
 * their errors. */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

static long long ns(struct timespec ts) {
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(void) {
  struct stat a, b, d, f;

  /* Types, sizes, identities. */
  CHECK(stat("a.txt", &a) == 0);
  CHECK(S_ISREG(a.st_mode) && a.st_size == 5 && a.st_nlink >= 1);
  CHECK(stat("b.txt", &b) == 0);
  CHECK(a.st_dev == b.st_dev && a.st_ino != b.st_ino);
  CHECK(stat("sub", &d) == 0 && S_ISDIR(d.st_mode));
  CHECK(stat(".", &d) == 0 && S_ISDIR(d.st_mode));
  CHECK(stat("sub/..", &f) == 0 && f.st_ino == d.st_ino);
  CHECK(lstat("a.txt", &f) == 0 && f.st_ino == a.st_ino);
  int fd = open("a.txt", O_RDWR);
  CHECK(fd > 2);
  CHECK(fstat(fd, &f) == 0);
  CHECK(f.st_ino == a.st_ino && f.st_dev == a.st_dev && f.st_size == 5);
  int dfd = open("sub", O_RDONLY | O_DIRECTORY);
  CHECK(dfd > 2);
  CHECK(fstatat(dfd, "c.txt", &f, 0) == 0 && f.st_size == 3);
  CHECK(fstat(dfd, &f) == 0 && S_ISDIR(f.st_mode));

  /* Explicit times, to the nanosecond. */
  struct timespec times[2] = {{1000000000, 123456789}, {1500000000, 987654321}};
  CHECK(utimensat(AT_FDCWD, "a.txt", times, 0) == 0);
  CHECK(stat("a.txt", &f) == 0);
  CHECK(ns(f.st_atim) == 1000000000123456789LL);
  CHECK(ns(f.st_mtim) == 1500000000987654321LL);

  /* UTIME_OMIT keeps a time. (This wasi-libc mishandles UTIME_NOW and a
   * NULL array before calling the host; the raw `*_NOW` flags are covered
   * by wat_path_edges.) */
  struct timespec omit_mtime[2] = {{0, UTIME_OMIT}, {77, 5}};
  CHECK(futimens(fd, omit_mtime) == 0);
  CHECK(fstat(fd, &f) == 0);
  CHECK(ns(f.st_atim) == 1000000000123456789LL);
  CHECK(ns(f.st_mtim) == 77000000005LL);

  /* Times on a directory, through the directory fd (the in-memory sandbox
   * keeps no directory times). */
  if (strcmp(getenv("BACKING"), "host") == 0) {
    CHECK(futimens(dfd, times) == 0);
    CHECK(stat("sub", &f) == 0 && ns(f.st_mtim) == 1500000000987654321LL);
  } else {
    CHECK_ERR(futimens(dfd, times), ENOTSUP);
  }

  /* A write moves the size; fstat sees it at once. */
  CHECK(write(fd, "0123456789", 10) == 10);
  CHECK(fstat(fd, &f) == 0 && f.st_size == 10);
  CHECK(stat("a.txt", &f) == 0 && f.st_size == 10);

  /* Errors. */
  CHECK_ERR(stat("missing", &f), ENOENT);
  CHECK_ERR(stat("a.txt/x", &f), ENOTDIR);
  CHECK_ERR(stat("a.txt/", &f), ENOTDIR);
  CHECK_ERR(stat("../x", &f), ENOTCAPABLE);
  CHECK_ERR(utimensat(AT_FDCWD, "missing", times, 0), ENOENT);
  struct timespec bad[2] = {{0, 1000000000}, {0, 0}};
  CHECK_ERR(utimensat(AT_FDCWD, "a.txt", bad, 0), EINVAL);
  CHECK_ERR(fstat(999, &f), EBADF);
  CHECK_ERR(futimens(999, times), EBADF);

  CHECK(close(fd) == 0);
  CHECK(close(dfd) == 0);
  printf("ok\n");
  return 0;
}
