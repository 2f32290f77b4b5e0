/* The guest of the preview1_io benchmarks: the same loops the benchmark
 * runs natively over std::fs, through wasi-libc and preview1.
 *
 *   preview1_io write-read FILE BYTES CHUNK   write FILE in CHUNK pieces, then read it back
 *   preview1_io stdout BYTES CHUNK            write BYTES to stdout in CHUNK pieces
 *   preview1_io meta DIR COUNT                create, stat, list and unlink COUNT files in DIR
 *   preview1_io deep PATH COUNT               open and close PATH COUNT times
 *
 * Exits with 0 on success, 1 (with a message on stderr) on any failure. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char buf[1 << 20];

static void die(const char *what) {
  fprintf(stderr, "preview1_io: %s: %s\n", what, strerror(errno));
  exit(1);
}

static void write_all(int fd, size_t bytes, size_t chunk) {
  size_t done = 0;
  while (done < bytes) {
    size_t n = bytes - done < chunk ? bytes - done : chunk;
    ssize_t w = write(fd, buf, n);
    if (w <= 0)
      die("write");
    done += (size_t)w;
  }
}

int main(int argc, char **argv) {
  if (argc < 2)
    die("usage");
  const char *mode = argv[1];
  if (strcmp(mode, "write-read") == 0 && argc == 5) {
    size_t bytes = strtoul(argv[3], NULL, 10), chunk = strtoul(argv[4], NULL, 10);
    if (chunk > sizeof buf)
      die("chunk");
    memset(buf, 'x', chunk);
    int fd = open(argv[2], O_CREAT | O_TRUNC | O_RDWR, 0644);
    if (fd < 0)
      die("open");
    write_all(fd, bytes, chunk);
    if (lseek(fd, 0, SEEK_SET) != 0)
      die("lseek");
    size_t total = 0;
    for (;;) {
      ssize_t r = read(fd, buf, chunk);
      if (r < 0)
        die("read");
      if (r == 0)
        break;
      total += (size_t)r;
    }
    if (total != bytes)
      die("short read");
    close(fd);
  } else if (strcmp(mode, "stdout") == 0 && argc == 4) {
    size_t bytes = strtoul(argv[2], NULL, 10), chunk = strtoul(argv[3], NULL, 10);
    if (chunk > sizeof buf)
      die("chunk");
    memset(buf, 'y', chunk);
    write_all(1, bytes, chunk);
  } else if (strcmp(mode, "meta") == 0 && argc == 4) {
    const char *dir = argv[2];
    int count = atoi(argv[3]);
    char path[256];
    struct stat st;
    for (int i = 0; i < count; i++) {
      snprintf(path, sizeof path, "%s/f%05d", dir, i);
      int fd = open(path, O_CREAT | O_WRONLY, 0644);
      if (fd < 0)
        die("create");
      close(fd);
    }
    for (int i = 0; i < count; i++) {
      snprintf(path, sizeof path, "%s/f%05d", dir, i);
      if (stat(path, &st) != 0)
        die("stat");
    }
    DIR *d = opendir(dir);
    if (d == NULL)
      die("opendir");
    int listed = 0;
    while (readdir(d) != NULL)
      listed++;
    closedir(d);
    if (listed != count + 2)
      die("listing");
    for (int i = 0; i < count; i++) {
      snprintf(path, sizeof path, "%s/f%05d", dir, i);
      if (unlink(path) != 0)
        die("unlink");
    }
  } else if (strcmp(mode, "deep") == 0 && argc == 4) {
    int count = atoi(argv[3]);
    for (int i = 0; i < count; i++) {
      int fd = open(argv[2], O_RDONLY);
      if (fd < 0)
        die("open");
      close(fd);
    }
  } else {
    errno = EINVAL;
    die("usage");
  }
  return 0;
}
