/*
 * linkproxy - a bad link between a node and its hub, for the tests
 *
 *   linkproxy PORTFILE TARGET_PORT [--rate BITS/S] [--latency MS]
 *             [--cut-after BYTES] [--flip-at BYTES] [--seed N] [--log FILE]
 *
 * Listens on 127.0.0.1 (an ephemeral port, written to PORTFILE once it
 * listens) and forwards each connection to 127.0.0.1:TARGET_PORT, through a
 * link that is
 *   --rate       slow: each direction at most BITS/S
 *   --latency    far: every chunk arrives MS later than it was sent
 *   --cut-after  unreliable: a connection is cut after BYTES in total (both
 *                directions); with --seed, after a random 1/2..3/2 of BYTES
 *   --flip-at    noisy: the byte at this offset of the stream towards the
 *                server has one bit flipped (once per connection)
 * One process per connection, so that a slow one never holds up another.
 * Stops on SIGTERM.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CHUNK 4096
#define QUEUE 256

typedef struct {
	long long rate;      /* bits per second, 0 = unlimited */
	long long latency;   /* ms */
	long long cut_after; /* bytes, 0 = never */
	long long flip_at;   /* byte offset towards the server, -1 = never */
	unsigned seed;
	const char *log;
} link_opts;

typedef struct {
	unsigned char data[CHUNK];
	size_t len, off;
	long long due; /* ms: not before */
} chunk;

/* One direction: chunks read from `from`, waiting to be written to `to`. */
typedef struct {
	int from, to;
	chunk q[QUEUE];
	size_t head, n;
	long long next_send; /* ms: the rate limit's clock */
	long long moved;
	int eof;
} pipe_;

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void logf_(const link_opts *o, const char *fmt, long long a, long long b, const char *how)
{
	FILE *f;

	if (!o->log || !(f = fopen(o->log, "a")))
		return;
	fprintf(f, fmt, a, b, how);
	fclose(f);
}

static int dial(int port)
{
	struct sockaddr_in a;
	int s = socket(AF_INET, SOCK_STREAM, 0);

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof(a)) < 0) {
		if (s >= 0)
			close(s);
		return -1;
	}
	return s;
}

/* Read what `from` has into a new chunk, due after the latency. */
static int fill(pipe_ *p, const link_opts *o, long long *up_offset, int up)
{
	chunk *c;
	ssize_t n;

	if (p->eof || p->n == QUEUE)
		return 0;
	c = &p->q[(p->head + p->n) % QUEUE];
	n = read(p->from, c->data, sizeof(c->data));
	if (n < 0 && errno == EINTR)
		return 0;
	if (n <= 0) {
		p->eof = 1;
		return 0;
	}
	if (up && o->flip_at >= *up_offset && o->flip_at < *up_offset + n)
		c->data[o->flip_at - *up_offset] ^= 0x10;
	if (up)
		*up_offset += n;
	c->len = (size_t)n;
	c->off = 0;
	c->due = now_ms() + o->latency;
	p->n++;
	return 0;
}

/* Write what is due and what the rate allows; -1 when the other side is gone. */
static int drain(pipe_ *p, const link_opts *o, long long budget, long long *sent)
{
	long long t = now_ms();

	while (p->n && budget > 0) {
		chunk *c = &p->q[p->head];
		size_t len = c->len - c->off;
		ssize_t n;
		if (c->due > t || p->next_send > t)
			break;
		if ((long long)len > budget)
			len = (size_t)budget;
		/* at most 512 bytes per write on a slow link, so the rate is smooth */
		if (o->rate && len > 512)
			len = 512;
		n = write(p->to, c->data + c->off, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		c->off += (size_t)n;
		p->moved += n;
		*sent += n;
		budget -= n;
		if (o->rate)
			p->next_send = (p->next_send > t ? p->next_send : t) + n * 8000 / o->rate;
		if (c->off == c->len) {
			p->head = (p->head + 1) % QUEUE;
			p->n--;
		}
	}
	if (p->eof && p->n == 0)
		shutdown(p->to, SHUT_WR);
	return 0;
}

static int next_wake(const pipe_ *p)
{
	long long t = now_ms(), w;

	if (!p->n)
		return -1;
	w = p->q[p->head].due > p->next_send ? p->q[p->head].due : p->next_send;
	return w <= t ? 0 : (int)(w - t);
}

static void serve(int client, int target_port, const link_opts *o, long long conn)
{
	pipe_ *up = calloc(2, sizeof(*up)), *down;
	long long total = 0, up_offset = 0, cut = o->cut_after;
	int server = dial(target_port);
	const char *how = "closed";

	if (!up || server < 0)
		_exit(1);
	down = up + 1;
	if (cut && o->seed) {
		srand(o->seed + (unsigned)conn);
		cut = cut / 2 + rand() % (cut + 1);
	}
	up->from = client, up->to = server;
	down->from = server, down->to = client;
	for (;;) {
		struct pollfd pf[2] = { { client, 0, 0 }, { server, 0, 0 } };
		int wait = -1, w;
		if (!up->eof && up->n < QUEUE)
			pf[0].events = POLLIN;
		if (!down->eof && down->n < QUEUE)
			pf[1].events = POLLIN;
		if (up->eof && down->eof && !up->n && !down->n)
			break;
		if ((w = next_wake(up)) >= 0)
			wait = w;
		if ((w = next_wake(down)) >= 0 && (wait < 0 || w < wait))
			wait = w;
		if (poll(pf, 2, wait) < 0 && errno != EINTR)
			break;
		if (pf[0].revents & (POLLIN | POLLHUP | POLLERR))
			fill(up, o, &up_offset, 1);
		if (pf[1].revents & (POLLIN | POLLHUP | POLLERR))
			fill(down, o, &up_offset, 0);
		if (drain(up, o, cut ? cut - total : 1LL << 62, &total) < 0 ||
		    drain(down, o, cut ? cut - total : 1LL << 62, &total) < 0)
			break;
		if (cut && total >= cut) {
			how = "cut";
			break;
		}
	}
	logf_(o, "conn: up %lld down %lld, %s\n", up->moved, down->moved, how);
	/* a cut is abrupt: a reset, not an orderly close */
	if (!strcmp(how, "cut")) {
		struct linger l = { 1, 0 };
		setsockopt(client, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
		setsockopt(server, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	}
	close(client);
	close(server);
	free(up);
	_exit(0);
}

static volatile sig_atomic_t stop;
static void on_term(int sig) { (void)sig; stop = 1; }

int main(int argc, char **argv)
{
	link_opts o = { 0, 0, 0, -1, 0, NULL };
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	struct sigaction sa;
	char tmp[4200];
	long long conn = 0;
	int ls, one = 1;
	FILE *f;

	if (argc < 3) {
		fprintf(stderr, "usage: linkproxy PORTFILE TARGET_PORT [--rate B] [--latency MS] "
				"[--cut-after BYTES] [--flip-at BYTES] [--seed N] [--log FILE]\n");
		return 2;
	}
	for (int i = 3; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--rate")) o.rate = atoll(argv[i + 1]);
		else if (!strcmp(argv[i], "--latency")) o.latency = atoll(argv[i + 1]);
		else if (!strcmp(argv[i], "--cut-after")) o.cut_after = atoll(argv[i + 1]);
		else if (!strcmp(argv[i], "--flip-at")) o.flip_at = atoll(argv[i + 1]);
		else if (!strcmp(argv[i], "--seed")) o.seed = (unsigned)atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--log")) o.log = argv[i + 1];
		else {
			fprintf(stderr, "linkproxy: unknown option '%s'\n", argv[i]);
			return 2;
		}
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGCHLD, SIG_IGN); /* children reap themselves */
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((ls = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
	    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(ls, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(ls, 64) < 0 ||
	    getsockname(ls, (struct sockaddr *)&a, &alen) < 0) {
		perror("linkproxy: cannot listen");
		return 1;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", argv[1]);
	if (!(f = fopen(tmp, "w")) || fprintf(f, "%d\n", ntohs(a.sin_port)) < 0 || fclose(f) != 0 ||
	    rename(tmp, argv[1]) < 0) {
		perror("linkproxy: cannot write the port file");
		return 1;
	}
	while (!stop) {
		int c = accept(ls, NULL, NULL);
		pid_t pid;
		if (c < 0)
			continue;
		conn++;
		if ((pid = fork()) == 0) {
			close(ls);
			serve(c, atoi(argv[2]), &o, conn);
		}
		close(c);
	}
	close(ls);
	return 0;
}
