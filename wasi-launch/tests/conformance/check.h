/* Check helpers shared by the C programs of the conformance suite.
 *
 * A failed check prints the file, line, expression and errno to stdout (so
 * the runner shows it next to the expected output) and exits with 1. */
#ifndef CONFORMANCE_CHECK_H
#define CONFORMANCE_CHECK_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FAIL(what)                                                             \
  do {                                                                         \
    printf("%s:%d: %s (errno %d: %s)\n", __FILE__, __LINE__, what, errno,      \
           strerror(errno));                                                   \
    fflush(stdout);                                                            \
    exit(1);                                                                   \
  } while (0)

/* `cond` must hold. */
#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond))                                                               \
      FAIL("CHECK(" #cond ")");                                                \
  } while (0)

/* `expr` must fail (return -1) with errno `err`. */
#define CHECK_ERR(expr, err)                                                   \
  do {                                                                         \
    errno = 0;                                                                 \
    long check_r_ = (long)(expr);                                              \
    if (check_r_ != -1 || errno != (err)) {                                    \
      printf("%s:%d: %s returned %ld errno %d (%s), expected errno %d (%s)\n", \
             __FILE__, __LINE__, #expr, check_r_, errno, strerror(errno),      \
             (err), strerror(err));                                            \
      fflush(stdout);                                                          \
      exit(1);                                                                 \
    }                                                                          \
  } while (0)

/* `expr` must return NULL with errno `err`. */
#define CHECK_NULL_ERR(expr, err)                                              \
  do {                                                                         \
    errno = 0;                                                                 \
    void *check_p_ = (void *)(expr);                                           \
    if (check_p_ != NULL || errno != (err)) {                                  \
      printf("%s:%d: %s returned %p errno %d (%s), expected NULL errno %d\n",  \
             __FILE__, __LINE__, #expr, check_p_, errno, strerror(errno),      \
             (err));                                                           \
      fflush(stdout);                                                          \
      exit(1);                                                                 \
    }                                                                          \
  } while (0)

#endif
