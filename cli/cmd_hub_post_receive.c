/* fieldsync hub post-receive: the hub's receipts for a push over the network */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "sync/check.h"
#include "sync/receipt.h"
#include "util/error.h"
#include "util/time.h"

/* the marker and namespace are spelled out: a catalogue needs one literal (receipt.h) */
static const char help[] = N_(
	"Run by git receive-pack after a push moved the hub's refs, from the hub's\n"
	"post-receive hook (fieldsync hub init installs it): reads '<old> <new> <ref>'\n"
	"lines on standard input and, for each refs/heads/cities/<city> that now\n"
	"holds <new>, signs a receipt (city, head commit, time) with the hub's key and\n"
	"prints it on standard error, each line after 'fieldsync-receipt: '. git\n"
	"sends it to the pusher as 'remote:' lines, where 'fieldsync sync' checks and\n"
	"keeps it. The hub's key must open without a prompt (no passphrase, or\n"
	"FIELDSYNC_PASSPHRASE in the server's environment). Nothing it does changes\n"
	"what was accepted: it always exits 0, and says why when it gives no receipt.\n");

/* One receipt, if the ref is a city's and holds `head` now. */
static int receipt(fs_node *hub, const char *ref, const git_oid *head)
{
	const char *city = ref + strlen(FS_CITY_REF_PREFIX);
	fs_buf text = FS_BUF_INIT;
	git_oid now;
	int rc;

	if ((rc = git_reference_name_to_id(&now, fs_node_repo(hub), ref)) < 0) {
		rc = fs_error_git(rc, "%s", ref);
		goto done;
	}
	/* only what the ref holds now is receipted, whatever the input says */
	if (!git_oid_equal(&now, head)) {
		char hex[GIT_OID_HEXSZ + 1];
		rc = fs_error_set(FS_EINVALID, "it holds %s, not %s", git_oid_tostr(hex, sizeof(hex), &now),
				  git_oid_tostr_s(head));
		goto done;
	}
	if ((rc = fs_receipt_issue(&text, fs_node_key(hub), fs_node_name(hub), city, head,
				   fs_time_now())) < 0)
		goto done;
	for (const char *p = text.ptr; *p;) {
		size_t n = strcspn(p, "\n");
		fprintf(stderr, FS_RECEIPT_MARKER "%.*s\n", (int)n, p);
		p += n + (p[n] == '\n');
	}
done:
	fs_buf_dispose(&text);
	return rc;
}

static int run(const cli_command *cmd, int argc, char **argv, const cli_context *ctx)
{
	fs_node *hub = NULL;
	char line[1024];
	int nargs, rc, key = -1;

	if ((rc = cli_parse(cmd, argc, argv, NULL, &nargs)) != 0)
		return rc == CLI_HELP ? 0 : rc;
	if (nargs)
		return cli_usage_error(cmd, "hub post-receive: no arguments");
	fs_i18n_plain(); /* its lines go to the pushing node, whatever language that reads */
	while (fgets(line, sizeof(line), stdin)) {
		char old_hex[64], new_hex[64], ref[900];
		git_oid head;
		if (sscanf(line, "%63s %63s %899s", old_hex, new_hex, ref) != 3 ||
		    git_oid_fromstr(&head, new_hex) < 0 || git_oid_is_zero(&head) ||
		    strncmp(ref, FS_CITY_REF_PREFIX, strlen(FS_CITY_REF_PREFIX)) != 0)
			continue;
		/* the key is opened once, and only when there is something to sign */
		if (key < 0)
			key = cli_open_hub(&hub, ctx, FS_NODE_READ) == 0 && cli_load_key(hub, ctx) == 0;
		if (!key || receipt(hub, ref, &head) < 0) {
			fprintf(stderr, _("fieldsync hub: no receipt for %s: %s\n"), ref,
				fs_error_last() ? fs_error_last()->message : _("the hub cannot sign"));
			fs_error_clear();
		}
	}
	fs_node_free(hub);
	return 0;
}

const cli_command cli_cmd_hub_post_receive = {
	"hub post-receive", run, "hub post-receive",
	N_("The post-receive hook: a signed receipt for each city branch that moved."), help
};
