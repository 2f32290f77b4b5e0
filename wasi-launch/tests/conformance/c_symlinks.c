/* symlink/readlink/lstat and symlink following through libc, with dangling
 * links, loops, O_NOFOLLOW and escapes. */
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

int main(void) {
  struct stat st, lst;
  char buf[64];

  /* A link to a file: stat follows, lstat does not. */
  CHECK(symlink("target.txt", "link") == 0);
  CHECK(stat("link", &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 6);
  CHECK(lstat("link", &lst) == 0 && S_ISLNK(lst.st_mode));
  CHECK(lst.st_size == 10 && lst.st_ino != st.st_ino);
  memset(buf, 0, sizeof buf);
  CHECK(readlink("link", buf, sizeof buf) == 10 && strcmp(buf, "target.txt") == 0);
  /* A short buffer gets the start of the target. */
  memset(buf, 0, sizeof buf);
  CHECK(readlink("link", buf, 4) == 4 && strcmp(buf, "targ") == 0);
  int fd = open("link", O_RDONLY);
  CHECK(fd > 2);
  CHECK(read(fd, buf, sizeof buf) == 6 && memcmp(buf, "target", 6) == 0);
  CHECK(close(fd) == 0);

  /* Links to directories are walked through, also in the middle of a path. */
  CHECK(mkdir("dir", 0755) == 0);
  CHECK(symlink("dir", "dirlink") == 0);
  CHECK(symlink("../target.txt", "dir/up") == 0);
  fd = open("dirlink/new.txt", O_CREAT | O_WRONLY, 0644);
  CHECK(fd > 2 && close(fd) == 0);
  CHECK(stat("dir/new.txt", &st) == 0);
  CHECK(stat("dirlink/up", &st) == 0 && st.st_size == 6);
  CHECK(stat("dirlink/", &st) == 0 && S_ISDIR(st.st_mode));
  DIR *d = opendir("dirlink");
  CHECK(d != NULL && closedir(d) == 0);

  /* Dangling links: lstat works, stat and open do not; O_CREAT through a
   * dangling link creates its target. */
  CHECK(symlink("nowhere", "dangling") == 0);
  CHECK(lstat("dangling", &lst) == 0 && S_ISLNK(lst.st_mode));
  CHECK_ERR(stat("dangling", &st), ENOENT);
  CHECK_ERR(open("dangling", O_RDONLY), ENOENT);
  fd = open("dangling", O_CREAT | O_WRONLY, 0644);
  CHECK(fd > 2 && close(fd) == 0);
  CHECK(stat("nowhere", &st) == 0 && S_ISREG(st.st_mode));
  CHECK_ERR(open("dangling", O_CREAT | O_EXCL | O_WRONLY, 0644), EEXIST);

  /* Loops. */
  CHECK(symlink("loop2", "loop1") == 0);
  CHECK(symlink("loop1", "loop2") == 0);
  CHECK_ERR(stat("loop1", &st), ELOOP);
  CHECK_ERR(open("loop1", O_RDONLY), ELOOP);
  CHECK_ERR(open("loop1/x", O_RDONLY), ELOOP);
  CHECK(lstat("loop1", &lst) == 0 && S_ISLNK(lst.st_mode));

  /* O_NOFOLLOW refuses a final symlink. */
  CHECK_ERR(open("link", O_RDONLY | O_NOFOLLOW), ELOOP);
  fd = open("target.txt", O_RDONLY | O_NOFOLLOW);
  CHECK(fd > 2 && close(fd) == 0);

  /* Links leading out of the preopen are refused. */
  CHECK_ERR(symlink("/etc/passwd", "abs"), ENOTCAPABLE);
  CHECK(symlink("../../outside", "out") == 0);
  CHECK_ERR(stat("out", &st), ENOTCAPABLE);
  CHECK_ERR(open("out", O_CREAT | O_WRONLY, 0644), ENOTCAPABLE);
  CHECK(lstat("out", &lst) == 0 && S_ISLNK(lst.st_mode));

  /* Errors. */
  CHECK_ERR(symlink("x", "link"), EEXIST);
  CHECK_ERR(symlink("x", "target.txt"), EEXIST);
  CHECK_ERR(symlink("x", "missing/l"), ENOENT);
  CHECK_ERR(readlink("target.txt", buf, sizeof buf), EINVAL);
  CHECK_ERR(readlink("missing", buf, sizeof buf), ENOENT);
  CHECK_ERR(readlink("dir", buf, sizeof buf), EINVAL);

  /* unlink removes the link, not its target; rmdir refuses a link to a
   * directory. */
  CHECK_ERR(rmdir("dirlink"), ENOTDIR);
  CHECK(unlink("dirlink") == 0);
  CHECK(stat("dir", &st) == 0 && S_ISDIR(st.st_mode));
  CHECK(unlink("link") == 0);
  CHECK(stat("target.txt", &st) == 0);
  CHECK(unlink("loop1") == 0 && unlink("loop2") == 0 && unlink("dangling") == 0);
  printf("ok\n");
  return 0;
}
