/* mkdir/rmdir/opendir/readdir/rewinddir/seekdir/telldir/fdopendir through
 * libc, with their errors. */
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

/* Prints "name type" for every entry, in the order readdir returns them. */
static void list(const char *path) {
  DIR *d = opendir(path);
  CHECK(d != NULL);
  struct dirent *e;
  printf("%s:", path);
  while ((e = readdir(d)) != NULL) {
    char t = e->d_type == DT_DIR ? 'd' : e->d_type == DT_REG ? 'f' : e->d_type == DT_LNK ? 'l' : '?';
    printf(" %s/%c", e->d_name, t);
  }
  printf("\n");
  CHECK(closedir(d) == 0);
}

static int count(DIR *d) {
  int n = 0;
  while (readdir(d) != NULL)
    n++;
  return n;
}

int main(void) {
  CHECK(mkdir("a", 0755) == 0);
  CHECK(mkdir("a/b", 0755) == 0);
  CHECK(mkdir("a/b/", 0755) == -1 && errno == EEXIST);
  int fd = open("a/f1", O_CREAT | O_WRONLY, 0644);
  CHECK(fd > 2 && close(fd) == 0);
  fd = open("a/f2", O_CREAT | O_WRONLY, 0644);
  CHECK(fd > 2 && close(fd) == 0);
  CHECK(symlink("f1", "a/l") == 0);
  list("a");
  list("a/b");

  /* Inode numbers agree with stat. */
  struct stat st_a, st_f1;
  CHECK(stat("a", &st_a) == 0 && stat("a/f1", &st_f1) == 0);
  DIR *d = opendir("a");
  CHECK(d != NULL);
  struct dirent *e;
  int seen = 0;
  while ((e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, ".") == 0) {
      CHECK(e->d_ino == st_a.st_ino);
      seen |= 1;
    }
    if (strcmp(e->d_name, "f1") == 0) {
      CHECK(e->d_ino == st_f1.st_ino);
      seen |= 2;
    }
  }
  CHECK(seen == 3);

  /* rewinddir, telldir and seekdir. */
  rewinddir(d);
  CHECK(count(d) == 6);
  rewinddir(d);
  CHECK(readdir(d) != NULL && readdir(d) != NULL);
  long pos = telldir(d);
  e = readdir(d);
  CHECK(e != NULL);
  char third[256];
  strcpy(third, e->d_name);
  CHECK(count(d) == 3);
  seekdir(d, pos);
  e = readdir(d);
  CHECK(e != NULL && strcmp(e->d_name, third) == 0);
  CHECK(closedir(d) == 0);

  /* fdopendir over an fd from open(O_DIRECTORY). */
  fd = open("a/b", O_RDONLY | O_DIRECTORY);
  CHECK(fd > 2);
  d = fdopendir(fd);
  CHECK(d != NULL);
  CHECK(count(d) == 2);
  CHECK(closedir(d) == 0);

  /* Many entries with long names: several fd_readdir calls per pass. */
  CHECK(mkdir("many", 0755) == 0);
  char name[300];
  for (int i = 0; i < 300; i++) {
    snprintf(name, sizeof name, "many/%03d-%0200d", i, i);
    fd = open(name, O_CREAT | O_WRONLY, 0644);
    CHECK(fd > 2 && close(fd) == 0);
  }
  d = opendir("many");
  CHECK(d != NULL);
  CHECK(count(d) == 302);
  /* Removing every entry while listing sees each entry exactly once. */
  rewinddir(d);
  int removed = 0;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.')
      continue;
    snprintf(name, sizeof name, "many/%s", e->d_name);
    CHECK(unlink(name) == 0);
    removed++;
  }
  CHECK(removed == 300);
  CHECK(closedir(d) == 0);
  d = opendir("many");
  CHECK(d != NULL && count(d) == 2 && closedir(d) == 0);
  CHECK(rmdir("many") == 0);

  /* Errors. */
  CHECK_ERR(mkdir("a", 0755), EEXIST);
  CHECK_ERR(mkdir("a/f1", 0755), EEXIST);
  CHECK_ERR(mkdir("a/f1/x", 0755), ENOTDIR);
  CHECK_ERR(mkdir("missing/x", 0755), ENOENT);
  CHECK_ERR(mkdir("../x", 0755), ENOTCAPABLE);
  CHECK_ERR(rmdir("a"), ENOTEMPTY);
  CHECK_ERR(rmdir("a/f1"), ENOTDIR);
  CHECK_ERR(rmdir("a/l"), ENOTDIR);
  CHECK_ERR(rmdir("missing"), ENOENT);
  CHECK_ERR(unlink("a/b"), EISDIR);
  CHECK_ERR(unlink("a/f1/"), ENOTDIR);
  CHECK_ERR(unlink("missing"), ENOENT);
  CHECK_NULL_ERR(opendir("a/f1"), ENOTDIR);
  CHECK_NULL_ERR(opendir("missing"), ENOENT);

  /* Removal. */
  CHECK(rmdir("a/b/") == 0);
  struct stat st;
  CHECK_ERR(stat("a/b", &st), ENOENT);
  CHECK(unlink("a/l") == 0);
  CHECK(stat("a/f1", &st) == 0);
  CHECK(unlink("a/f1") == 0 && unlink("a/f2") == 0);
  CHECK(rmdir("a") == 0);
  list(".");
  printf("ok\n");
  return 0;
}
