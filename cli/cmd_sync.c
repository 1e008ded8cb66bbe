/* fieldsync sync: push the city's history to its hub, batch by batch */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "cli/cli.h"
#include "sync/sync.h"
#include "util/error.h"
#include "util/time.h"

static const char help[] = N_(
	"Pushes the node's history to refs/heads/cities/<city> on the hub NAME (the\n"
	"only remote when NAME is left out), in batches of bounded size (--batch-bytes,\n"
	"or the setting fieldsync.syncBatchBytes, default 64 KiB: about 10 s on a 2G\n"
	"link). Each batch is a push of an intermediate commit, so a link that drops\n"
	"loses at most the batch in flight; the next sync starts from what the hub\n"
	"has. The hub checks every commit (signature, ownership, schema) and refuses\n"
	"the whole batch if one fails; the message says which commit and why.\n"
	"Progress is shown on a terminal.\n"
	"\n"
	"A link that fails or stays silent for --timeout seconds (setting\n"
	"fieldsync.syncTimeoutMs, default 30 s) is tried again, up to --retries times\n"
	"in a row (fieldsync.syncRetries, default 5) after waits of 1, 2, 4, ... s with\n"
	"some jitter; a batch that lands resets the count. After a cut, batches are\n"
	"sized to what the link carried between cuts, each on a new connection.\n"
	"\n"
	"An ssh:// hub is logged in to with the node's own key (the one the hub\n"
	"enrolled), and only if it shows the host key pinned by 'remote add'.\n"
	"\n"
	"Run on a regional hub, sync sends each city of its unified dataset up to the\n"
	"global hub NAME, signed by the regional hub's key (enrolled there with\n"
	"'hub enroll CITY KEY --regional'): city.json and actions, and the city's\n"
	"services table in place of its service records, unless the setting\n"
	"remote.NAME.fieldsyncSendServices is true.\n"
	"\n"
	"When the hub moved the city's branch it gives a receipt signed by its key\n"
	"(city, head commit, time). The node checks it against the hub key pinned for\n"
	"NAME ('remote add --hub-key', or pinned on the first fetch of public) and\n"
	"keeps it: see 'fieldsync receipts'. A receipt that does not verify is exit 1.\n"
	"\n"
	"With --watch, sync keeps the node in step by itself: it looks at the node's\n"
	"head every --interval seconds (default 60) and syncs when it moved, or when\n"
	"an hour went by; after a failure it waits --backoff seconds (default 10),\n"
	"doubled each time up to 30 minutes, with jitter. One line per attempt on\n"
	"stderr (with syslog levels under systemd, for the journal). SIGTERM or\n"
	"SIGINT stops it, after the batch in flight; exit 0. The project ships a\n"
	"systemd unit for it (dist/systemd/fieldsync-sync@.service).\n"
	"\n"
	"exit codes: 0 synced, 1 the hub refused (a commit, or the node's key, or its\n"
	"host key is not the pinned one), 6 the link failed (sync again later)\n"
	"\n"
	"options:\n"
	"  --batch-bytes N   the size of a batch, in bytes (at least 1024)\n"
	"  --timeout S       give up on a silent link after S seconds\n"
	"  --retries N       tries after a failed link (0: none)\n"
	"  --watch           keep syncing, as described above\n"
	"  --interval S      with --watch: how often to look at the head\n"
	"  --backoff S       with --watch: the first wait after a failure\n"
	"  --json            print {\"remote\", \"commits\", \"batches\", \"bytes\",\n"
	"                    \"retries\", \"receipt\"}\n");

typedef struct {
	int64_t start;
	int tty;
} progress_state;

static void progress(const fs_sync_progress *p, void *payload)
{
	progress_state *ps = payload;
	int64_t secs;

	/* a retry is worth a line in any log; the moving line only on a terminal */
	if (p->retry_in_ms) {
		fputs(ps->tty ? "\n" : "", stderr);
		fprintf(stderr, _("sync: %s; trying again in %.1f s\n"), p->error,
			p->retry_in_ms / 1000.0);
		return;
	}
	if (!ps->tty)
		return;
	fputc('\r', stderr);
	secs = fs_time_now() - ps->start;
	fprintf(stderr, _("sync: batch %zu/%zu, %zu/%zu commits, %zu/%zu objects, "
			  "%zu KiB at %.1f KiB/s, %lld s"),
		p->batch, p->batches, p->commits, p->total, p->objects, p->total_objects,
		p->sent / 1024, p->sent / 1024.0 / (double)(secs > 0 ? secs : 1), (long long)secs);
	fputs("   ", stderr);
	fflush(stderr);
}

/* The remote to use: the one named, or the only one. */
static int pick(const char **out, fs_node *node, int nargs, char **argv, git_strarray *names)
{
	int rc;

	if (nargs == 1) {
		*out = argv[1];
		return 0;
	}
	if ((rc = fs_remote_list(names, node)) < 0)
		return rc;
	if (names->count > 1)
		return fs_error_set(FS_EUSAGE,
				    "sync: there are several remotes; name one: fieldsync sync NAME");
	if (names->count == 0)
		return fs_error_set(FS_EUSAGE, "sync: no remote yet: fieldsync remote add NAME URL; "
					       "name one: fieldsync sync NAME");
	*out = names->strings[0];
	return 0;
}

/*
 * One sync: open the node (a hub: under its lock, as it signs what it sends
 * up; a city: under its sync lock, writers go on), pick the remote, push. The remote's name goes to `name`.
 */
static int sync_once(const cli_context *ctx, int nargs, char **argv, fs_sync_options *so,
		     fs_sync_stats *st, char *name, size_t size)
{
	git_strarray names = { NULL, 0 };
	const char *picked = NULL;
	fs_node *node = NULL;
	fs_buf url = FS_BUF_INIT;
	int rc;

	memset(st, 0, sizeof(*st));
	if ((rc = cli_open_read(&node, ctx)) < 0)
		goto done;
	if (fs_node_is_hub(node)) {
		fs_node_free(node);
		node = NULL;
		if ((rc = cli_open_hub(&node, ctx, FS_NODE_WRITE)) < 0)
			goto done;
	} else if ((rc = fs_node_lock_sync(node)) < 0) {
		goto done;
	}
	if ((rc = pick(&picked, node, nargs, argv, &names)) < 0)
		goto done;
	snprintf(name, size, "%s", picked);
	/* an ssh hub lets the node in by its key */
	if ((rc = fs_remote_url(&url, node, picked)) < 0 ||
	    (!fs_node_is_hub(node) && strncmp(url.ptr, "ssh://", 6) == 0 &&
	     (rc = cli_load_key(node, ctx)) < 0))
		goto done;
	rc = fs_sync_push(node, picked, so, st);
done:
	git_strarray_dispose(&names);
	fs_buf_dispose(&url);
	fs_node_free(node);
	return rc;
}

/* ---- --watch ------------------------------------------------------------ */

static volatile sig_atomic_t stop_requested;

static void on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/*
 * One line per attempt. Under systemd (JOURNAL_STREAM set) each starts with
 * its syslog level, "<6>" info to "<3>" error, which the journal reads.
 */
static void logline(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void logline(int level, const char *fmt, ...)
{
	char when[FS_TIME_RFC3339_BYTES];
	va_list ap;

	if (getenv("JOURNAL_STREAM")) {
		fprintf(stderr, "<%d>", level);
	} else {
		fs_time_rfc3339(when, fs_time_now());
		fprintf(stderr, "%s ", when);
	}
	va_start(ap, fmt);
	vfprintf(stderr, _(fmt), ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
}

/* Sleep `ms`, cut short by SIGTERM or SIGINT. */
static void nap(int64_t ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };

	if (ms > 0 && !stop_requested)
		nanosleep(&ts, NULL);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The node's head, as text ("" when unreadable: then a sync says why). */
static void head_of(char out[GIT_OID_HEXSZ + 1], const cli_context *ctx)
{
	fs_node *node = NULL;
	git_commit *head = NULL;

	out[0] = '\0';
	if (cli_open_read(&node, ctx) == 0 && fs_node_head(&head, node) == 0)
		git_oid_tostr(out, GIT_OID_HEXSZ + 1, git_commit_id(head));
	fs_error_clear();
	git_commit_free(head);
	fs_node_free(node);
}

#define WATCH_REFRESH_MS (3600 * 1000) /* sync even with nothing new: public moves too */
#define WATCH_MAX_WAIT_MS (30 * 60 * 1000)

/*
 * Keep the node in step with its hub: sync when the head moved (looked at
 * every `interval_ms`) or an hour went by; after a failure wait `backoff_ms`,
 * doubled each time up to 30 minutes, with jitter, so a dead link is never
 * hammered. SIGTERM or SIGINT stops it between attempts (a push under way
 * ends first: at most one batch, bounded by the timeout).
 */
static int watch(const cli_context *ctx, int nargs, char **argv, fs_sync_options *so,
		 int64_t interval_ms, int64_t backoff_ms)
{
	char synced[GIT_OID_HEXSZ + 1] = "", head[GIT_OID_HEXSZ + 1], name[256] = "hub";
	int64_t last_ok = 0, next_try = 0;
	unsigned failures = 0;
	struct sigaction sa;
	fs_sync_stats st;
	cli_count_buf c[2];

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop; /* no SA_RESTART: a nap ends at once */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	logline(6, "sync --watch: started (looking every %.1f s)", interval_ms / 1000.0);
	while (!stop_requested) {
		int64_t now = now_ms();
		int rc;
		head_of(head, ctx);
		if (failures ? now < next_try
			     : strcmp(head, synced) == 0 && last_ok && now - last_ok < WATCH_REFRESH_MS) {
			nap(failures && next_try - now < interval_ms ? next_try - now : interval_ms);
			continue;
		}
		rc = sync_once(ctx, nargs, argv, so, &st, name, sizeof(name));
		if (rc == FS_EUSAGE || rc == FS_ENOTNODE) /* no remote, no node: waiting mends nothing */
			return rc;
		if (rc == 0) {
			failures = 0;
			last_ok = now_ms();
			snprintf(synced, sizeof(synced), "%s", head);
			if (st.up_to_date)
				logline(6, "sync '%s': up to date", name);
			else
				logline(6, st.receipt ? N_("sync '%s': %s in %s, %zu bytes, receipt kept")
						      : N_("sync '%s': %s in %s, %zu bytes"), name,
					cli_count(&c[0], P_("%zu commit", "%zu commits", st.commits), st.commits),
					cli_count(&c[1], P_("%zu batch", "%zu batches", st.batches), st.batches),
					st.bytes);
		} else {
			int64_t wait = backoff_ms << (failures < 12 ? failures : 12);
			if (wait > WATCH_MAX_WAIT_MS)
				wait = WATCH_MAX_WAIT_MS;
			/* +-25 %: many nodes behind one link do not come back at once */
			wait += (int64_t)randombytes_uniform((uint32_t)(wait / 2 + 1)) - wait / 4;
			failures++;
			next_try = now_ms() + wait;
			logline(rc == FS_ENET ? 4 : 3, "sync '%s': %s; next try in %.1f s", name,
				fs_error_last() ? fs_error_last()->message : _("failed"), wait / 1000.0);
			fs_error_clear();
		}
	}
	logline(6, "sync --watch: stopped");
	return 0;
}

/* Seconds as milliseconds, from `min` to an hour; -1 for anything else. */
static int64_t seconds(const char *s, double min)
{
	char *end;
	double v = strtod(s, &end);

	return *end || !(v >= min && v <= 3600) ? -1 : (int64_t)(v * 1000);
}

static int run(const cli_command *cmd, int argc, char **argv, const cli_context *ctx)
{
	int json = 0, watching = 0, nargs, rc;
	const char *batch = NULL, *timeout = NULL, *retries = NULL, *interval = NULL,
		   *backoff = NULL;
	const cli_option opts[] = { { "json", 0, NULL, &json }, { "batch-bytes", 0, &batch, NULL },
				    { "timeout", 0, &timeout, NULL }, { "retries", 0, &retries, NULL },
				    { "watch", 0, NULL, &watching }, { "interval", 0, &interval, NULL },
				    { "backoff", 0, &backoff, NULL }, { NULL, 0, NULL, NULL } };
	progress_state ps = { fs_time_now(), 0 };
	fs_sync_options so = { 0, 0, -1, 0, NULL, NULL };
	int64_t interval_ms = 60000, backoff_ms = 10000;
	fs_sync_stats st;
	char name[256];

	if ((rc = cli_parse(cmd, argc, argv, opts, &nargs)) != 0)
		return rc == CLI_HELP ? 0 : rc;
	if (nargs > 1)
		return cli_usage_error(cmd, "sync: too many arguments");
	if (batch) {
		long long b;
		if (cli_number(&b, batch, 1024, 1LL << 32) < 0)
			return cli_usage_error(cmd, "sync: --batch-bytes '%s': expected a number of "
					       "bytes from 1024", batch);
		so.batch_bytes = (size_t)b;
	}
	if (timeout) {
		int64_t t = seconds(timeout, 0.1);
		if (t < 0)
			return cli_usage_error(cmd, "sync: --timeout '%s': expected seconds, 0.1 to 3600",
					       timeout);
		so.timeout_ms = (int)t;
	}
	if (retries) {
		long long r;
		if (cli_number(&r, retries, 0, 1000) < 0)
			return cli_usage_error(cmd, "sync: --retries '%s': expected 0 to 1000", retries);
		so.retries = (int)r;
	}
	if ((interval || backoff) && !watching)
		return cli_usage_error(cmd, "sync: --interval and --backoff go with --watch");
	if (watching && json)
		return cli_usage_error(cmd, "sync: --watch logs lines, it has no --json");
	if (interval && (interval_ms = seconds(interval, 0.1)) < 0)
		return cli_usage_error(cmd, "sync: --interval '%s': expected seconds, 0.1 to 3600",
				       interval);
	if (backoff && (backoff_ms = seconds(backoff, 0.1)) < 0)
		return cli_usage_error(cmd, "sync: --backoff '%s': expected seconds, 0.1 to 3600",
				       backoff);
	/* for the tests: short waits between tries */
	if (getenv("FIELDSYNC_BACKOFF_MS"))
		so.backoff_ms = atoi(getenv("FIELDSYNC_BACKOFF_MS"));
	ps.tty = cli_progress_enabled() && !json && !watching;
	so.progress = progress;
	so.payload = &ps;
	if (watching) {
		rc = watch(ctx, nargs, argv, &so, interval_ms, backoff_ms);
		goto done;
	}
	rc = sync_once(ctx, nargs, argv, &so, &st, name, sizeof(name));
	if (ps.tty && st.batches)
		fputc('\n', stderr);
	if (rc < 0)
		goto done;
	if (json) {
		cli_json j = CLI_JSON_INIT;
		cJSON *o = cli_json_object(&j);
		cli_json_str(&j, o, "remote", name);
		cli_json_num(&j, o, "commits", (double)st.commits);
		cli_json_num(&j, o, "batches", (double)st.batches);
		cli_json_num(&j, o, "bytes", (double)st.bytes);
		cli_json_num(&j, o, "retries", (double)st.retries);
		cli_json_bool(&j, o, "receipt", st.receipt);
		rc = cli_json_print(&j);
	} else if (st.up_to_date) {
		printf(_("'%s' is up to date\n"), name);
	} else {
		cli_count_buf c[2];
		printf(_("synced with '%s': %s in %s, %zu bytes\n"), name,
		       cli_count(&c[0], P_("%zu commit", "%zu commits", st.commits), st.commits),
		       cli_count(&c[1], P_("%zu batch", "%zu batches", st.batches), st.batches), st.bytes);
	}
	if (!json && st.receipt)
		printf(_("the hub's receipt is kept (fieldsync receipts)\n"));
done:
	if (rc == FS_EUSAGE) {
		fprintf(stderr, _("error: %s\n"), fs_error_last()->message);
		return FS_EXIT_USAGE;
	}
	return rc < 0 ? cli_fail(rc, json) : 0;
}

const cli_command cli_cmd_sync = {
	"sync", run, "sync [NAME] [--batch-bytes N] [--json] | sync [NAME] --watch [--interval S] [--backoff S]",
	N_("Push the city's history to its hub, in batches that survive a cut link."), help
};
