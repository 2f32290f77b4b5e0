/* rename of files and directories through libc, with its errors and
 * trailing-slash rules. */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

static void make(const char *path, const char *contents) {
  int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0644);
  CHECK(fd > 2);
  CHECK(write(fd, contents, strlen(contents)) == (ssize_t)strlen(contents));
  CHECK(close(fd) == 0);
}

static void expect(const char *path, const char *contents) {
  char buf[64] = {0};
  int fd = open(path, O_RDONLY);
  CHECK(fd > 2);
  CHECK(read(fd, buf, sizeof buf) == (ssize_t)strlen(contents));
  CHECK(strcmp(buf, contents) == 0);
  CHECK(close(fd) == 0);
}

int main(void) {
  struct stat st;

  /* A file to a new name, then over an existing file. */
  make("f1", "one");
  CHECK(rename("f1", "f2") == 0);
  CHECK_ERR(stat("f1", &st), ENOENT);
  expect("f2", "one");
  make("f3", "three");
  CHECK(rename("f2", "f3") == 0);
  expect("f3", "one");
  CHECK_ERR(stat("f2", &st), ENOENT);
  /* Renaming a name onto itself changes nothing. */
  CHECK(rename("f3", "f3") == 0);
  expect("f3", "one");

  /* Into and out of a subdirectory. */
  CHECK(mkdir("d1", 0755) == 0);
  CHECK(rename("f3", "d1/f") == 0);
  expect("d1/f", "one");
  CHECK(rename("d1/f", "f") == 0);

  /* A directory to a new name keeps its contents; over an empty
   * directory it replaces it. */
  make("d1/inner", "in");
  CHECK(rename("d1", "d2") == 0);
  expect("d2/inner", "in");
  CHECK(mkdir("empty", 0755) == 0);
  CHECK(rename("d2", "empty") == 0);
  expect("empty/inner", "in");
  CHECK_ERR(stat("d2", &st), ENOENT);
  /* Trailing slashes are fine on directories. */
  CHECK(rename("empty/", "d3/") == 0);
  CHECK(stat("d3/inner", &st) == 0);

  /* Errors. */
  CHECK(mkdir("full", 0755) == 0);
  make("full/x", "x");
  CHECK(mkdir("dir", 0755) == 0);
  CHECK_ERR(rename("dir", "full"), ENOTEMPTY);
  CHECK_ERR(rename("f", "dir"), EISDIR);
  CHECK_ERR(rename("dir", "f"), ENOTDIR);
  CHECK_ERR(rename("missing", "x"), ENOENT);
  CHECK_ERR(rename("f", "missing/x"), ENOENT);
  CHECK_ERR(rename("f/", "g"), ENOTDIR);
  CHECK_ERR(rename("f", "g/"), ENOTDIR);
  CHECK_ERR(rename("dir", "dir/sub"), EINVAL);
  CHECK_ERR(rename("f", "../f"), ENOTCAPABLE);
  CHECK_ERR(rename("../f", "f"), ENOTCAPABLE);
  /* Nothing moved. */
  expect("f", "one");
  CHECK(stat("dir", &st) == 0 && S_ISDIR(st.st_mode));
  expect("full/x", "x");
  printf("ok\n");
  return 0;
}
