/* fieldsync sync: push the city's history to its hub, batch by batch */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "sync/sync.h"
#include "util/error.h"
#include "util/time.h"

static const char help[] =
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
	"some jitter; a batch that lands resets the count.\n"
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
	"exit codes: 0 synced, 1 the hub refused (a commit, or the node's key, or its\n"
	"host key is not the pinned one), 6 the link failed (sync again later)\n"
	"\n"
	"options:\n"
	"  --batch-bytes N   the size of a batch, in bytes (at least 1024)\n"
	"  --timeout S       give up on a silent link after S seconds\n"
	"  --retries N       tries after a failed link (0: none)\n"
	"  --json            print {\"remote\", \"commits\", \"batches\", \"bytes\",\n"
	"                    \"retries\", \"receipt\"}\n";

typedef struct {
	int64_t start;
	int tty;
} progress_state;

static void progress(const fs_sync_progress *p, void *payload)
{
	progress_state *ps = payload;

	/* a retry is worth a line in any log; the moving line only on a terminal */
	if (p->retry_in_ms) {
		fprintf(stderr, "%ssync: %s; trying again in %.1f s\n", ps->tty ? "\n" : "",
			p->error, p->retry_in_ms / 1000.0);
		return;
	}
	if (!ps->tty)
		return;
	fprintf(stderr, "\rsync: batch %zu/%zu, %zu/%zu commits, %zu/%zu objects, %zu KiB, %lld s   ",
		p->batch, p->batches, p->commits, p->total, p->objects, p->total_objects,
		p->bytes / 1024, (long long)(fs_time_now() - ps->start));
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
	if (names->count != 1)
		return fs_error_set(FS_EUSAGE, "sync: %s; name one: fieldsync sync NAME",
				    names->count ? "there are several remotes"
						 : "no remote yet: fieldsync remote add NAME URL");
	*out = names->strings[0];
	return 0;
}

static int run(const cli_command *cmd, int argc, char **argv, const cli_context *ctx)
{
	int json = 0, nargs, rc;
	const char *batch = NULL, *name = NULL, *timeout = NULL, *retries = NULL;
	const cli_option opts[] = { { "json", 0, NULL, &json }, { "batch-bytes", 0, &batch, NULL },
				    { "timeout", 0, &timeout, NULL }, { "retries", 0, &retries, NULL },
				    { NULL, 0, NULL, NULL } };
	git_strarray names = { NULL, 0 };
	progress_state ps = { fs_time_now(), 0 };
	fs_sync_options so = { 0, 0, -1, 0, NULL, NULL };
	fs_sync_stats st;
	fs_node *node = NULL;
	fs_buf url = FS_BUF_INIT;

	if ((rc = cli_parse(cmd, argc, argv, opts, &nargs)) != 0)
		return rc == CLI_HELP ? 0 : rc;
	if (nargs > 1)
		return cli_usage_error(cmd, "sync: too many arguments");
	if (batch) {
		char *end;
		long long b = strtoll(batch, &end, 10);
		if (*end || b < 1024 || b > (1LL << 32))
			return cli_usage_error(cmd, "sync: --batch-bytes '%s': expected a number of "
					       "bytes from 1024", batch);
		so.batch_bytes = (size_t)b;
	}
	if (timeout) {
		char *end;
		double t = strtod(timeout, &end);
		if (*end || !(t >= 0.1 && t <= 3600))
			return cli_usage_error(cmd, "sync: --timeout '%s': expected seconds, 0.1 to 3600",
					       timeout);
		so.timeout_ms = (int)(t * 1000);
	}
	if (retries) {
		char *end;
		long r = strtol(retries, &end, 10);
		if (*end || r < 0 || r > 1000)
			return cli_usage_error(cmd, "sync: --retries '%s': expected 0 to 1000", retries);
		so.retries = (int)r;
	}
	/* for the tests: short waits between tries */
	if (getenv("FIELDSYNC_BACKOFF_MS"))
		so.backoff_ms = atoi(getenv("FIELDSYNC_BACKOFF_MS"));
	ps.tty = cli_progress_enabled() && !json;
	so.progress = progress;
	so.payload = &ps;
	if ((rc = cli_open_read(&node, ctx)) < 0)
		goto done;
	/* a hub sends its cities up: it signs what it sends, and holds its lock meanwhile */
	if (fs_node_is_hub(node)) {
		fs_node_free(node);
		node = NULL;
		if ((rc = cli_open_hub(&node, ctx, FS_NODE_WRITE)) < 0)
			goto done;
	}
	if ((rc = pick(&name, node, nargs, argv, &names)) < 0)
		goto done;
	/* an ssh hub lets the node in by its key */
	if ((rc = fs_remote_url(&url, node, name)) < 0 ||
	    (!fs_node_is_hub(node) && strncmp(url.ptr, "ssh://", 6) == 0 &&
	     (rc = cli_load_key(node, ctx)) < 0))
		goto done;
	rc = fs_sync_push(node, name, &so, &st);
	if (ps.tty && st.batches)
		fputc('\n', stderr);
	if (rc < 0)
		goto done;
	if (json) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "remote", name);
		cJSON_AddNumberToObject(o, "commits", (double)st.commits);
		cJSON_AddNumberToObject(o, "batches", (double)st.batches);
		cJSON_AddNumberToObject(o, "bytes", (double)st.bytes);
		cJSON_AddNumberToObject(o, "retries", (double)st.retries);
		cJSON_AddBoolToObject(o, "receipt", st.receipt);
		rc = cli_print_json(o);
	} else if (st.up_to_date) {
		printf("'%s' is up to date\n", name);
	} else {
		printf("synced with '%s': %zu commit%s in %zu batch%s, %zu bytes\n", name, st.commits,
		       st.commits == 1 ? "" : "s", st.batches, st.batches == 1 ? "" : "es", st.bytes);
	}
	if (!json && st.receipt)
		printf("the hub's receipt is kept (fieldsync receipts)\n");
done:
	git_strarray_dispose(&names);
	fs_buf_dispose(&url);
	fs_node_free(node);
	if (rc == FS_EUSAGE) {
		fprintf(stderr, "error: %s\n", fs_error_last()->message);
		return FS_EXIT_USAGE;
	}
	return rc < 0 ? cli_fail(rc, json) : 0;
}

const cli_command cli_cmd_sync = {
	"sync", run, "sync [NAME] [--batch-bytes N] [--json]",
	"Push the city's history to its hub, in batches that survive a cut link.", help
};
