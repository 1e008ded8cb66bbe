#include "sync/net.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <git2.h>
#include <git2/sys/stream.h>

#include "node/certs.h"
#include "sync/gather.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/i18n.h"

/* The first four members are libgit2's git_socket_stream (streams/socket.h in 1.5). */
typedef struct {
	git_stream parent;
	char *host;
	char *port;
	int s;
} net_stream;

static int timeout_ms = FS_NET_TIMEOUT_MS;
/* a sync makes one connection at a time: these count the latest */
static uint64_t all_bytes, carried;

static int net_error(const char *what, const net_stream *st)
{
	git_error_set(GIT_ERROR_NET, "%s %s:%s: %s", what, st->host, st->port,
		      errno == EAGAIN || errno == EWOULDBLOCK || errno == ETIMEDOUT
			      ? _("timed out (the link is silent)")
			      : strerror(errno));
	return -1;
}

/* connect() bounded by the timeout: non-blocking, then poll. */
static int connect_one(int s, const struct addrinfo *ai)
{
	struct pollfd p = { s, POLLOUT, 0 };
	int err = 0, flags = fcntl(s, F_GETFL);
	socklen_t len = sizeof(err);

	if (flags < 0 || fcntl(s, F_SETFL, flags | O_NONBLOCK) < 0)
		return -1;
	if (connect(s, ai->ai_addr, ai->ai_addrlen) < 0) {
		if (errno != EINPROGRESS)
			return -1;
		if (poll(&p, 1, timeout_ms) <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		if (getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			return -1;
		if (err) {
			errno = err;
			return -1;
		}
	}
	return fcntl(s, F_SETFL, flags);
}

static int s_connect(git_stream *stream)
{
	net_stream *st = (net_stream *)stream;
	struct addrinfo hints, *res = NULL, *ai;
	struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
	int rc;

	carried = 0;
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_family = AF_UNSPEC;
	if ((rc = getaddrinfo(st->host, st->port, &hints, &res)) != 0) {
		git_error_set(GIT_ERROR_NET, _("cannot resolve %s: %s"), st->host, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		st->s = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (st->s < 0)
			continue;
		if (connect_one(st->s, ai) == 0)
			break;
		close(st->s);
		st->s = -1;
	}
	freeaddrinfo(res);
	if (st->s < 0)
		return net_error(_("cannot connect to"), st);
	/* every later read and write, ours or libssh2's, is bounded too */
	if (setsockopt(st->s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    setsockopt(st->s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0)
		return net_error(_("cannot set a timeout on"), st);
	return 0;
}

static ssize_t s_read(git_stream *stream, void *data, size_t len)
{
	net_stream *st = (net_stream *)stream;
	ssize_t n;

	do
		n = recv(st->s, data, len, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return net_error(_("reading from"), st);
	all_bytes += (uint64_t)n;
	carried += (uint64_t)n;
	return n;
}

static ssize_t s_write(git_stream *stream, const char *data, size_t len, int flags)
{
	net_stream *st = (net_stream *)stream;
	size_t done = 0;

	(void)flags;
	while (done < len) {
		ssize_t n = send(st->s, data + done, len - done, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return net_error(_("writing to"), st);
		done += (size_t)n;
		all_bytes += (uint64_t)n;
		carried += (uint64_t)n;
	}
	return (ssize_t)done;
}

static int s_close(git_stream *stream)
{
	net_stream *st = (net_stream *)stream;
	int rc = 0;

	if (st->s >= 0)
		rc = close(st->s);
	st->s = -1;
	return rc;
}

static void s_free(git_stream *stream)
{
	net_stream *st = (net_stream *)stream;

	s_close(stream);
	fs_free(st->host);
	fs_free(st->port);
	fs_free(st);
}

static int s_init(git_stream **out, const char *host, const char *port)
{
	net_stream *st = fs_calloc(1, sizeof(*st));

	*out = NULL;
	if (!st || !(st->host = fs_strdup(host)) || !(st->port = fs_strdup(port ? port : "80"))) {
		if (st) {
			fs_free(st->host);
			fs_free(st);
		}
		git_error_set_oom();
		return -1;
	}
	st->s = -1;
	st->parent.version = GIT_STREAM_VERSION;
	st->parent.connect = s_connect;
	st->parent.read = s_read;
	st->parent.write = s_write;
	st->parent.close = s_close;
	st->parent.free = s_free;
	*out = &st->parent;
	return 0;
}

int fs_net_setup(int ms)
{
	git_stream_registration reg;
	int rc;

	memset(&reg, 0, sizeof(reg));
	reg.version = GIT_STREAM_VERSION;
	reg.init = s_init;
	timeout_ms = ms > 0 ? ms : FS_NET_TIMEOUT_MS;
	if ((rc = fs_certs_load()) < 0)
		return rc;
	if ((rc = git_stream_register(GIT_STREAM_STANDARD, &reg)) < 0)
		return fs_error_git(rc, "cannot set up the network");
	return fs_gather_setup();
}

uint64_t fs_net_bytes(void)
{
	return all_bytes;
}

uint64_t fs_net_carried(void)
{
	return carried;
}
