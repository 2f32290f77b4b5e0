/* A read-only preopen at / with a writable one at /w: every mutation of /
 * fails and leaves the host directory untouched (the runner checks it);
 * reading works. */
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

int main(void) {
  char buf[64] = {0};
  struct stat st;

  /* Reading works. */
  int fd = open("/file.txt", O_RDONLY);
  CHECK(fd > 2);
  CHECK(read(fd, buf, sizeof buf) == 8 && strcmp(buf, "original") == 0);
  CHECK(fstat(fd, &st) == 0 && st.st_size == 8);
  DIR *d = opendir("/");
  CHECK(d != NULL && closedir(d) == 0);
  CHECK(readlink("/link", buf, sizeof buf) == 8);

  /* The fd cannot be used to change the file. */
  CHECK_ERR(write(fd, "x", 1), EBADF);
  CHECK_ERR(ftruncate(fd, 0), ENOTCAPABLE);
  struct timespec times[2] = {{1, 0}, {1, 0}};
  CHECK_ERR(futimens(fd, times), ENOTCAPABLE);
  CHECK(posix_fallocate(fd, 0, 100) == ENOTCAPABLE);
  CHECK(close(fd) == 0);

  /* Opening for writing gives an fd without write rights. */
  fd = open("/file.txt", O_WRONLY);
  if (fd >= 0) {
    CHECK_ERR(write(fd, "x", 1), EBADF);
    CHECK(close(fd) == 0);
  }
  fd = open("/file.txt", O_RDWR | O_APPEND);
  if (fd >= 0) {
    CHECK_ERR(write(fd, "x", 1), EBADF);
    CHECK(close(fd) == 0);
  }

  /* Every path mutation is refused. */
  CHECK_ERR(open("/file.txt", O_WRONLY | O_TRUNC), ENOTCAPABLE);
  CHECK_ERR(open("/file.txt", O_RDONLY | O_TRUNC), ENOTCAPABLE);
  CHECK_ERR(open("/new.txt", O_CREAT | O_WRONLY, 0644), ENOTCAPABLE);
  CHECK_ERR(open("/sub/new.txt", O_CREAT | O_WRONLY, 0644), ENOTCAPABLE);
  CHECK_ERR(mkdir("/newdir", 0755), ENOTCAPABLE);
  CHECK_ERR(rmdir("/sub"), ENOTCAPABLE);
  CHECK_ERR(unlink("/file.txt"), ENOTCAPABLE);
  CHECK_ERR(unlink("/link"), ENOTCAPABLE);
  CHECK_ERR(rename("/file.txt", "/renamed.txt"), ENOTCAPABLE);
  CHECK_ERR(symlink("file.txt", "/newlink"), ENOTCAPABLE);
  CHECK_ERR(link("/file.txt", "/hardlink"), ENOTCAPABLE);
  CHECK_ERR(utimensat(AT_FDCWD, "/file.txt", times, 0), ENOTCAPABLE);

  /* Nothing moves out of it or into it through the writable preopen. */
  CHECK_ERR(rename("/file.txt", "/w/stolen.txt"), ENOTCAPABLE);
  CHECK_ERR(link("/file.txt", "/w/linked.txt"), ENOTCAPABLE);
  fd = open("/w/mine.txt", O_CREAT | O_WRONLY, 0644);
  CHECK(fd > 2 && write(fd, "w", 1) == 1 && close(fd) == 0);
  CHECK_ERR(rename("/w/mine.txt", "/mine.txt"), ENOTCAPABLE);
  CHECK_ERR(link("/w/mine.txt", "/mine.txt"), ENOTCAPABLE);
  CHECK_ERR(symlink("/w/mine.txt", "/mine.txt"), ENOTCAPABLE);
  CHECK(stat("/w/mine.txt", &st) == 0);
  CHECK_ERR(stat("/w/stolen.txt", &st), ENOENT);

  /* The file still holds its contents. */
  fd = open("/file.txt", O_RDONLY);
  memset(buf, 0, sizeof buf);
  CHECK(fd > 2 && read(fd, buf, sizeof buf) == 8 && strcmp(buf, "original") == 0);
  CHECK(close(fd) == 0);
  printf("ok\n");
  return 0;
}
