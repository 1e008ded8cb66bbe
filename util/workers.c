#include "util/workers.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/alloc.h"
#include "util/error.h"

/* A reply: the work's code, then its bytes (its error message when the code is not 0). */
typedef struct {
	int32_t rc;
	uint32_t pad;
	uint64_t len;
} reply_head;

/* Replies larger than this are not a worker's: the stream is out of step. */
#define REPLY_MAX ((uint64_t)1 << 32)

typedef struct {
	pid_t pid; /* 0: reaped */
	int fd;    /* the socket to it; -1: closed */
	int busy;
	size_t item;
} worker;

typedef struct {
	int ready;
	int rc;
	fs_buf data;
} result;

static void work_one(size_t item, const fs_workers_fns *fns, result *r)
{
	unsigned long failures = fs_alloc_failures();
	int rc = fns->work(item, &r->data, fns->payload);

	if (rc == 0)
		rc = fs_buf_check(&r->data);
	/* whatever the work made of it: a worker's failed allocations are not counted here */
	if (fs_alloc_failures() != failures && rc != FS_ENOMEM)
		rc = fs_error_set(FS_ENOMEM, "memory ran out (an allocation failed)");
	if (rc != 0) {
		fs_buf_dispose(&r->data);
		fs_buf_puts(&r->data, fs_error_last() ? fs_error_last()->message : "");
	}
	r->rc = rc;
	r->ready = 1;
}

/* The item's turn: its error, or `done` on its bytes. */
static int hand(size_t item, result *r, const fs_workers_fns *fns)
{
	int rc;

	if (r->rc != 0)
		rc = fs_error_set(r->rc, "%s", r->data.size ? r->data.ptr : fs_error_name(r->rc));
	else
		rc = fns->done(item, fs_buf_cstr(&r->data), r->data.size, fns->payload);
	fs_buf_dispose(&r->data);
	r->ready = 0;
	return rc;
}

static int run_here(size_t n, const fs_workers_fns *fns)
{
	result r = { 0, 0, FS_BUF_INIT };
	int rc = 0;

	for (size_t i = 0; i < n && rc == 0; i++) {
		work_one(i, fns, &r);
		rc = hand(i, &r, fns);
	}
	return rc;
}

/* 1: all of it; 0: the other end closed; -1: an error (errno) */
static int read_full(int fd, void *p, size_t len)
{
	char *at = p;

	while (len > 0) {
		ssize_t got = read(fd, at, len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return (int)got;
		at += got;
		len -= (size_t)got;
	}
	return 1;
}

/* No SIGPIPE when the other end is gone: EPIPE, which the caller handles. */
static int send_full(int fd, const void *p, size_t len)
{
	const char *at = p;

	while (len > 0) {
		ssize_t sent = send(fd, at, len, MSG_NOSIGNAL);
		if (sent < 0 && errno == EINTR)
			continue;
		if (sent < 0)
			return -1;
		at += sent;
		len -= (size_t)sent;
	}
	return 0;
}

static void reap(worker *w, int *status)
{
	*status = 0;
	while (w->pid > 0 && waitpid(w->pid, status, 0) < 0 && errno == EINTR)
		;
	w->pid = 0;
}

/* A worker process: items in, replies out, until the caller closes its end. */
static void child_main(int fd, const fs_workers_fns *fns)
{
	result r = { 0, 0, FS_BUF_INIT };
	uint64_t item;

	while (read_full(fd, &item, sizeof(item)) == 1) {
		reply_head h;
		work_one((size_t)item, fns, &r);
		memset(&h, 0, sizeof(h));
		h.rc = r.rc;
		h.len = r.data.size;
		if (send_full(fd, &h, sizeof(h)) < 0 || send_full(fd, fs_buf_cstr(&r.data), r.data.size) < 0)
			break;
		fs_buf_dispose(&r.data);
	}
	fs_buf_dispose(&r.data);
	if (fns->end)
		fns->end(fns->payload);
	close(fd);
	/* the caller's stdio buffers and exit handlers are the caller's */
	_exit(0);
}

/* The worker is gone or out of step: why, in words. */
static int lost(worker *w)
{
	int status, pid = (int)w->pid;

	close(w->fd);
	w->fd = -1;
	reap(w, &status);
	if (WIFSIGNALED(status))
		return fs_error_set(FS_ERROR, "worker process %d was killed by signal %d (%s)", pid,
				    WTERMSIG(status), strsignal(WTERMSIG(status)));
	if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
		return fs_error_set(FS_ERROR, "worker process %d ended with exit status %d before it "
				    "answered", pid, WEXITSTATUS(status));
	return fs_error_set(FS_EIO, "worker process %d stopped answering", pid);
}

static int receive(worker *w, result *r)
{
	reply_head h;

	if (read_full(w->fd, &h, sizeof(h)) != 1 || h.len > REPLY_MAX)
		return lost(w);
	if (fs_buf_grow(&r->data, (size_t)h.len) < 0)
		return FS_ENOMEM;
	if (h.len && read_full(w->fd, r->data.ptr, (size_t)h.len) != 1)
		return lost(w);
	r->data.size = (size_t)h.len;
	r->data.ptr[r->data.size] = '\0';
	r->rc = h.rc;
	r->ready = 1;
	w->busy = 0;
	return 0;
}

/* Start up to `jobs` workers; how many started. */
static unsigned start(worker *w, unsigned jobs, const fs_workers_fns *fns)
{
	unsigned started = 0;

	/* a child flushes nothing of ours, but what is buffered now would be written twice */
	fflush(NULL);
	for (; started < jobs; started++) {
		int sv[2];
		pid_t pid;
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
			break;
		if ((pid = fork()) < 0) {
			close(sv[0]);
			close(sv[1]);
			break;
		}
		if (pid == 0) {
			/* the others' sockets too: a worker sees the end of its own only if no one else holds it */
			close(sv[0]);
			for (unsigned k = 0; k < started; k++)
				close(w[k].fd);
			child_main(sv[1], fns);
		}
		close(sv[1]);
		w[started] = (worker){ pid, sv[0], 0, 0 };
	}
	return started;
}

/* Each item once: a duplicate would leave another never given out, and the run waiting on it. */
static int check_order(size_t n, const size_t *order)
{
	unsigned char *seen;
	int rc = 0;

	if (!order || !n)
		return 0;
	if (!(seen = fs_calloc(n, 1)))
		return fs_error_set(FS_ENOMEM, "out of memory");
	for (size_t i = 0; i < n && rc == 0; i++)
		if (order[i] >= n || seen[order[i]]++)
			rc = fs_error_set(FS_EUSAGE, "the order of the items is not one of 0 to %zu, "
					  "each once (%zu at %zu)", n - 1, order[i], i);
	fs_free(seen);
	return rc;
}

int fs_workers_run(size_t n, unsigned jobs, const fs_workers_fns *fns)
{
	worker w[FS_WORKERS_MAX];
	struct pollfd pfd[FS_WORKERS_MAX];
	unsigned at[FS_WORKERS_MAX], started, polled;
	result *res = NULL;
	size_t next = 0, handed = 0;
	int rc = 0, status;

	if ((rc = check_order(n, fns->order)) < 0)
		return rc;
	if (jobs > FS_WORKERS_MAX)
		jobs = FS_WORKERS_MAX;
	if (jobs > n)
		jobs = (unsigned)n;
	if (jobs <= 1)
		return run_here(n, fns);
	if (!(res = fs_calloc(n, sizeof(*res))))
		return fs_error_set(FS_ENOMEM, "out of memory");
	if ((started = start(w, jobs, fns)) == 0) {
		fs_free(res);
		return run_here(n, fns);
	}
	while (handed < n) {
		if (res[handed].ready) {
			if ((rc = hand(handed, &res[handed], fns)) != 0)
				goto done;
			handed++;
			continue;
		}
		polled = 0;
		for (unsigned k = 0; k < started; k++) {
			if (w[k].fd < 0)
				continue;
			if (!w[k].busy && next < n) {
				uint64_t item = fns->order ? fns->order[next] : next;
				if (send_full(w[k].fd, &item, sizeof(item)) < 0) {
					rc = lost(&w[k]);
					goto done;
				}
				w[k].busy = 1;
				w[k].item = (size_t)item;
				next++;
			}
			if (w[k].busy) {
				pfd[polled] = (struct pollfd){ w[k].fd, POLLIN, 0 };
				at[polled++] = k;
			}
		}
		if (polled == 0) {
			rc = fs_error_set(FS_ERROR, "no worker process is left");
			goto done;
		}
		if (poll(pfd, polled, -1) < 0) {
			if (errno == EINTR)
				continue;
			rc = fs_error_os("cannot wait for the worker processes");
			goto done;
		}
		for (unsigned i = 0; i < polled; i++)
			if (pfd[i].revents && (rc = receive(&w[at[i]], &res[w[at[i]].item])) < 0)
				goto done;
	}
done:
	for (unsigned k = 0; k < started; k++) {
		/* a run that stops does not wait for the items under way */
		if (rc != 0 && w[k].busy && w[k].pid > 0)
			kill(w[k].pid, SIGKILL);
		if (w[k].fd >= 0)
			close(w[k].fd);
		reap(&w[k], &status);
	}
	for (size_t i = 0; i < n; i++)
		fs_buf_dispose(&res[i].data);
	fs_free(res);
	return rc;
}

unsigned fs_workers_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > FS_WORKERS_MAX ? FS_WORKERS_MAX : (unsigned)n;
}
