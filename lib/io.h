/*
 * io.h - full writes and reads that survive short counts and EINTR.
 */
#ifndef IO_H
#define IO_H

#include <stddef.h>
#include <sys/types.h>

/* Write all n bytes of buf (borrowed) to fd.  0 on success, -1 with errno. */
int write_all(int fd, const void *buf, size_t n);

/* read(2) retried on EINTR.  Returns bytes read, 0 at EOF, -1 with errno. */
ssize_t read_retry(int fd, void *buf, size_t n);

/*
 * Read until n bytes or EOF.  Returns bytes read (less than n only at EOF),
 * -1 with errno on error.
 */
ssize_t read_full(int fd, void *buf, size_t n);

/* Set or clear O_NONBLOCK.  0 or -1 with errno. */
int fd_nonblock(int fd, int on);

/*
 * For filters that check stdout was really written before exiting (sbase):
 * returns 0 when fd 1 is still good, reports and returns -1 otherwise.
 */
int close_stdout(void);

#endif
