#include "sync/gather.h"

#include <string.h>

#include <git2.h>
#include <git2/sys/transport.h>

#include "util/alloc.h"
#include "util/error.h"

typedef struct {
	git_smart_subtransport_stream parent;
	git_smart_subtransport_stream *inner;
	size_t len;
	char buf[FS_GATHER_BYTES];
} gather_stream;

typedef struct {
	git_smart_subtransport parent;
	git_smart_subtransport *inner;
	gather_stream *current; /* ssh's one stream, asked for again after the ls */
} gather_sub;

static int flush(gather_stream *s)
{
	size_t len = s->len;

	s->len = 0;
	return len ? s->inner->write(s->inner, s->buf, len) : 0;
}

static int s_read(git_smart_subtransport_stream *stream, char *buffer, size_t size, size_t *n)
{
	gather_stream *s = (gather_stream *)stream;
	int rc;

	/* the other side answers what it has been sent, so it must have it all */
	if ((rc = flush(s)) < 0)
		return rc;
	return s->inner->read(s->inner, buffer, size, n);
}

static int s_write(git_smart_subtransport_stream *stream, const char *buffer, size_t len)
{
	gather_stream *s = (gather_stream *)stream;
	int rc;

	if (s->len + len > sizeof(s->buf) && (rc = flush(s)) < 0)
		return rc;
	if (len >= sizeof(s->buf))
		return s->inner->write(s->inner, buffer, len);
	memcpy(s->buf + s->len, buffer, len);
	s->len += len;
	return 0;
}

static void s_free(git_smart_subtransport_stream *stream)
{
	gather_stream *s = (gather_stream *)stream;
	gather_sub *g = (gather_sub *)s->parent.subtransport;

	if (g->current == s)
		g->current = NULL;
	/* ssh's last flush-pkt is written with nothing read after it */
	(void)flush(s);
	s->inner->free(s->inner);
	fs_free(s);
}

static int t_action(git_smart_subtransport_stream **out, git_smart_subtransport *t,
		    const char *url, git_smart_service_t action)
{
	gather_sub *g = (gather_sub *)t;
	git_smart_subtransport_stream *inner = NULL;
	gather_stream *s;
	int rc;

	*out = NULL;
	if ((rc = g->inner->action(&inner, g->inner, url, action)) < 0)
		return rc;
	/* a session (ssh) goes on in the same stream: libgit2 checks it is */
	if (g->current && g->current->inner == inner) {
		*out = &g->current->parent;
		return 0;
	}
	if (!(s = fs_calloc(1, sizeof(*s)))) {
		inner->free(inner);
		git_error_set_oom();
		return -1;
	}
	s->parent.subtransport = t;
	s->parent.read = s_read;
	s->parent.write = s_write;
	s->parent.free = s_free;
	s->inner = inner;
	g->current = s;
	*out = &s->parent;
	return 0;
}

static int t_close(git_smart_subtransport *t)
{
	gather_sub *g = (gather_sub *)t;
	return g->inner->close(g->inner);
}

static void t_free(git_smart_subtransport *t)
{
	gather_sub *g = (gather_sub *)t;
	g->inner->free(g->inner);
	fs_free(g);
}

static int wrap(git_smart_subtransport **out, git_transport *owner, git_smart_subtransport_cb make)
{
	gather_sub *g = fs_calloc(1, sizeof(*g));
	int rc;

	*out = NULL;
	if (!g) {
		git_error_set_oom();
		return -1;
	}
	if ((rc = make(&g->inner, owner, NULL)) < 0) {
		fs_free(g);
		return rc;
	}
	g->parent.action = t_action;
	g->parent.close = t_close;
	g->parent.free = t_free;
	*out = &g->parent;
	return 0;
}

static int http_sub(git_smart_subtransport **out, git_transport *owner, void *param)
{
	(void)param;
	return wrap(out, owner, git_smart_subtransport_http);
}

static int ssh_sub(git_smart_subtransport **out, git_transport *owner, void *param)
{
	(void)param;
	return wrap(out, owner, git_smart_subtransport_ssh);
}

/* As libgit2 defines its own: http is request and response, ssh a session. */
static git_smart_subtransport_definition http_def = { http_sub, 1, NULL };
static git_smart_subtransport_definition ssh_def = { ssh_sub, 0, NULL };

int fs_gather_setup(void)
{
	static int done;
	int rc;

	if (done)
		return 0;
	/* schemes: libgit2 adds the "://" */
	if ((rc = git_transport_register("http", git_transport_smart, &http_def)) < 0 ||
	    (rc = git_transport_register("https", git_transport_smart, &http_def)) < 0 ||
	    (rc = git_transport_register("ssh", git_transport_smart, &ssh_def)) < 0)
		return fs_error_git(rc, "cannot set up the network");
	done = 1;
	return 0;
}
