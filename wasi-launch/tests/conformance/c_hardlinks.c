/* link through libc: link counts, shared inodes, errors. Host directories
 * only (the in-memory sandbox has no hard links). */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

int main(void) {
  struct stat a, b;
  CHECK(link("file", "same") == 0);
  CHECK(stat("file", &a) == 0 && stat("same", &b) == 0);
  CHECK(a.st_ino == b.st_ino && a.st_dev == b.st_dev && a.st_nlink == 2);
  CHECK(mkdir("sub", 0755) == 0);
  CHECK(link("file", "sub/third") == 0);
  CHECK(stat("same", &b) == 0 && b.st_nlink == 3);

  /* Writes through one name show through the others. */
  int fd = open("same", O_WRONLY | O_APPEND);
  CHECK(fd > 2 && write(fd, "+", 1) == 1 && close(fd) == 0);
  CHECK(stat("sub/third", &b) == 0 && b.st_size == 5);

  /* A link to a symlink links the symlink itself. */
  CHECK(symlink("nowhere", "dangling") == 0);
  CHECK(link("dangling", "dangling2") == 0);
  CHECK(lstat("dangling2", &b) == 0 && S_ISLNK(b.st_mode));

  /* Errors. */
  CHECK_ERR(link("file", "same"), EEXIST);
  CHECK_ERR(link("file", "file"), EEXIST);
  CHECK_ERR(link("file", "sub"), EEXIST);
  CHECK_ERR(link("sub", "subdir-link"), EPERM);
  CHECK_ERR(link("missing", "x"), ENOENT);
  CHECK_ERR(link("file", "missing/x"), ENOENT);
  CHECK_ERR(link("file", "x/"), ENOENT);
  CHECK_ERR(link("file", "../x"), ENOTCAPABLE);
  CHECK_ERR(link("../file", "x"), ENOTCAPABLE);

  CHECK(unlink("same") == 0 && unlink("sub/third") == 0);
  CHECK(stat("file", &a) == 0 && a.st_nlink == 1);
  printf("ok\n");
  return 0;
}
