/* poll, nanosleep and clock_nanosleep through libc (poll_oneoff with fd and
 * clock subscriptions). */
#include <fcntl.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

static long long now_ns(clockid_t clock) {
  struct timespec ts;
  CHECK(clock_gettime(clock, &ts) == 0);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(void) {
  /* stdout is always writable; stdin (fed from bytes) readable. */
  struct pollfd fds[2] = {{1, POLLOUT, 0}, {0, POLLIN, 0}};
  CHECK(poll(fds, 2, -1) == 2);
  CHECK(fds[0].revents == POLLOUT && fds[1].revents == POLLIN);

  /* A regular file is ready at once, for both directions. */
  int fd = open("file.txt", O_RDWR);
  CHECK(fd > 2);
  struct pollfd f = {fd, POLLIN | POLLOUT, 0};
  long long t0 = now_ns(CLOCK_MONOTONIC);
  CHECK(poll(&f, 1, 5000) == 1);
  CHECK(f.revents == (POLLIN | POLLOUT));
  CHECK(now_ns(CLOCK_MONOTONIC) - t0 < 1000000000LL);

  /* No fds: a pure timeout. */
  t0 = now_ns(CLOCK_MONOTONIC);
  CHECK(poll(NULL, 0, 20) == 0);
  CHECK(now_ns(CLOCK_MONOTONIC) - t0 >= 20000000LL);

  /* nanosleep and relative clock_nanosleep. */
  t0 = now_ns(CLOCK_MONOTONIC);
  struct timespec ten_ms = {0, 10000000};
  CHECK(nanosleep(&ten_ms, NULL) == 0);
  CHECK(clock_nanosleep(CLOCK_MONOTONIC, 0, &ten_ms, NULL) == 0);
  CHECK(now_ns(CLOCK_MONOTONIC) - t0 >= 20000000LL);

  /* Absolute clock_nanosleep on the monotonic clock. */
  long long deadline = now_ns(CLOCK_MONOTONIC) + 15000000LL;
  struct timespec abs = {deadline / 1000000000LL, deadline % 1000000000LL};
  CHECK(clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &abs, NULL) == 0);
  CHECK(now_ns(CLOCK_MONOTONIC) >= deadline);

  /* An absolute realtime deadline in the past returns at once. */
  t0 = now_ns(CLOCK_MONOTONIC);
  struct timespec past = {1, 0};
  CHECK(clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &past, NULL) == 0);
  CHECK(now_ns(CLOCK_MONOTONIC) - t0 < 1000000000LL);

  /* A zero timeout polls without waiting. */
  CHECK(poll(NULL, 0, 0) == 0);
  CHECK(close(fd) == 0);
  printf("ok\n");
  return 0;
}
