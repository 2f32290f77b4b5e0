/* open/read/write/lseek/pread/pwrite/fstat/ftruncate/fcntl through libc,
 * with their errors. */
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "check.h"

static off_t size_of(int fd) {
  struct stat st;
  CHECK(fstat(fd, &st) == 0);
  return st.st_size;
}

int main(void) {
  char buf[256];

  /* Create, write, seek, read. */
  int fd = open("data.txt", O_CREAT | O_EXCL | O_RDWR, 0644);
  CHECK(fd > 2);
  CHECK(write(fd, "hello world", 11) == 11);
  CHECK(lseek(fd, 0, SEEK_CUR) == 11);
  CHECK(lseek(fd, 6, SEEK_SET) == 6);
  CHECK(read(fd, buf, sizeof buf) == 5 && memcmp(buf, "world", 5) == 0);
  CHECK(read(fd, buf, sizeof buf) == 0);
  CHECK(lseek(fd, -5, SEEK_END) == 6);
  CHECK_ERR(lseek(fd, -100, SEEK_CUR), EINVAL);
  CHECK_ERR(lseek(fd, 0, 42), EINVAL);
  CHECK(lseek(fd, 0, SEEK_CUR) == 6);
  /* Seeking past the end is allowed; a write there leaves a hole of zeros. */
  CHECK(lseek(fd, 100, SEEK_SET) == 100);
  CHECK(lseek(fd, 0, SEEK_CUR) == 100);
  CHECK(lseek(fd, 6, SEEK_SET) == 6);

  /* pread/pwrite leave the position alone. */
  CHECK(pwrite(fd, "HELLO", 5, 0) == 5);
  CHECK(lseek(fd, 0, SEEK_CUR) == 6);
  memset(buf, 0, sizeof buf);
  CHECK(pread(fd, buf, 5, 0) == 5 && memcmp(buf, "HELLO", 5) == 0);
  CHECK(pread(fd, buf, 10, 1000) == 0);
  CHECK(pwrite(fd, "!", 1, 20) == 1);
  CHECK(size_of(fd) == 21);
  memset(buf, 'x', sizeof buf);
  CHECK(pread(fd, buf, sizeof buf, 0) == 21);
  CHECK(buf[11] == 0 && buf[19] == 0 && buf[20] == '!');
  CHECK_ERR(pread(fd, buf, 1, -1), EINVAL);
  CHECK(lseek(fd, 0, SEEK_CUR) == 6);

  /* readv/writev with several iovecs. */
  CHECK(lseek(fd, 0, SEEK_SET) == 0);
  struct iovec wv[3] = {{"ab", 2}, {"", 0}, {"cde", 3}};
  CHECK(writev(fd, wv, 3) == 5);
  char r1[2], r2[10];
  struct iovec rv[2] = {{r1, 2}, {r2, 3}};
  CHECK(lseek(fd, 0, SEEK_SET) == 0);
  CHECK(readv(fd, rv, 2) == 5);
  CHECK(memcmp(r1, "ab", 2) == 0 && memcmp(r2, "cde", 3) == 0);

  /* ftruncate shrinks and grows. */
  CHECK(ftruncate(fd, 5) == 0);
  CHECK(size_of(fd) == 5);
  CHECK(ftruncate(fd, 4096) == 0);
  CHECK(size_of(fd) == 4096);
  CHECK(pread(fd, buf, 1, 4095) == 1 && buf[0] == 0);
  CHECK_ERR(ftruncate(fd, -1), EINVAL);
  CHECK(fsync(fd) == 0);
  CHECK(fdatasync(fd) == 0);
  CHECK(posix_fadvise(fd, 0, 10, POSIX_FADV_SEQUENTIAL) == 0);
  CHECK(posix_fallocate(fd, 0, 8192) == 0);
  CHECK(size_of(fd) == 8192);
  CHECK(posix_fallocate(fd, 0, 10) == 0);
  CHECK(size_of(fd) == 8192);
  CHECK(close(fd) == 0);
  CHECK_ERR(close(fd), EBADF);

  /* Append mode, switched off with fcntl. */
  fd = open("log.txt", O_CREAT | O_WRONLY | O_APPEND, 0644);
  CHECK(fd > 2);
  CHECK((fcntl(fd, F_GETFL) & O_APPEND) == O_APPEND);
  CHECK(write(fd, "a", 1) == 1);
  CHECK(lseek(fd, 0, SEEK_SET) == 0);
  CHECK(write(fd, "b", 1) == 1);
  CHECK(lseek(fd, 0, SEEK_CUR) == 2);
  CHECK(fcntl(fd, F_SETFL, 0) == 0);
  CHECK((fcntl(fd, F_GETFL) & O_APPEND) == 0);
  CHECK(lseek(fd, 0, SEEK_SET) == 0);
  CHECK(write(fd, "c", 1) == 1);
  CHECK(close(fd) == 0);
  fd = open("log.txt", O_RDONLY);
  CHECK(fd > 2);
  CHECK(read(fd, buf, sizeof buf) == 2 && memcmp(buf, "cb", 2) == 0);
  CHECK(close(fd) == 0);

  /* O_TRUNC empties an existing file. */
  fd = open("log.txt", O_WRONLY | O_TRUNC);
  CHECK(fd > 2);
  CHECK(size_of(fd) == 0);
  CHECK(close(fd) == 0);

  /* O_TRUNC with O_APPEND (and O_CREAT): emptied, then every write appends. */
  fd = open("log.txt", O_CREAT | O_TRUNC | O_WRONLY | O_APPEND, 0644);
  CHECK(fd > 2);
  CHECK(size_of(fd) == 0);
  CHECK(write(fd, "ab", 2) == 2);
  CHECK(lseek(fd, 0, SEEK_SET) == 0);
  CHECK(write(fd, "cd", 2) == 2);
  CHECK(lseek(fd, 0, SEEK_CUR) == 4);
  CHECK(size_of(fd) == 4);
  CHECK(close(fd) == 0);

  /* Reading a write-only fd and writing a read-only one: EBADF. */
  fd = open("data.txt", O_RDONLY);
  CHECK(fd > 2);
  CHECK_ERR(write(fd, "x", 1), EBADF);
  CHECK_ERR(ftruncate(fd, 0), ENOTCAPABLE);
  CHECK(close(fd) == 0);
  fd = open("data.txt", O_WRONLY);
  CHECK(fd > 2);
  CHECK_ERR(read(fd, buf, 1), EBADF);
  CHECK(close(fd) == 0);
  CHECK_ERR(read(1234, buf, 1), EBADF);
  CHECK_ERR(write(1234, buf, 1), EBADF);
  CHECK_ERR(lseek(1234, 0, SEEK_SET), EBADF);

  /* Opening errors. */
  CHECK_ERR(open("missing.txt", O_RDONLY), ENOENT);
  CHECK_ERR(open("data.txt", O_CREAT | O_EXCL | O_WRONLY, 0644), EEXIST);
  CHECK_ERR(open("data.txt/", O_RDONLY), ENOTDIR);
  CHECK_ERR(open("data.txt/x", O_RDONLY), ENOTDIR);
  CHECK_ERR(open("missing/x", O_CREAT | O_WRONLY, 0644), ENOENT);
  CHECK_ERR(open("data.txt", O_RDONLY | O_DIRECTORY), ENOTDIR);
  CHECK(mkdir("d", 0755) == 0);
  CHECK_ERR(open("d", O_WRONLY), EISDIR);
  CHECK_ERR(open("d", O_RDWR), EISDIR);
  CHECK_ERR(open("d", O_RDONLY | O_TRUNC), EISDIR);
  fd = open("d", O_RDONLY);
  CHECK(fd > 2);
  CHECK_ERR(read(fd, buf, 1), EBADF);
  CHECK(close(fd) == 0);
  CHECK_ERR(open("../escape", O_RDONLY), ENOTCAPABLE);
  CHECK_ERR(open("d/../../escape", O_CREAT | O_WRONLY, 0644), ENOTCAPABLE);
  CHECK(open("d/../data.txt", O_RDONLY) > 2);

  printf("ok\n");
  return 0;
}
