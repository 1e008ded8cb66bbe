/* fieldsync verify: check the signature of every commit */
#include <string.h>

#include "cli/cli.h"
#include "node/signers.h"
#include "node/verify.h"
#include "util/error.h"
#include "util/file.h"
#include "util/time.h"

static const char help[] = N_(
	"Checks the SSH signature (SSHSIG, Ed25519) of every commit in REV-RANGE\n"
	"(default: the whole history of the node) with libsodium. A commit passes\n"
	"when it is signed, the signature holds over the commit's bytes, and the key\n"
	"is the node's own key, or, with --signers, a key that the allowed_signers\n"
	"FILE allows for this city at the commit's time.\n"
	"\n"
	"REV-RANGE is git's syntax: REV (REV and its ancestors) or A..B.\n"
	"\n"
	"options:\n"
	"  --signers FILE  trust the keys in an allowed_signers file (git's format)\n"
	"  -v, --verbose   print every commit, not only the bad ones\n"
	"  --json          {\"checked\", \"bad\", \"commits\": [...]} (bad ones, or all with -v)\n"
	"\n"
	"exit codes: 0 every commit is good, 1 some commit is not, 2 usage,\n"
	"3 no node, 5 the history cannot be read\n");

typedef struct {
	int json, verbose;
	cli_json list; /* --json: the commits reported */
} verify_state;

static int report(const fs_verify_result *r, void *payload)
{
	verify_state *st = payload;
	char hex[GIT_OID_HEXSZ + 1], when[FS_TIME_RFC3339_BYTES];

	if (r->good && !st->verbose)
		return 0;
	git_oid_tostr(hex, sizeof(hex), &r->commit);
	fs_time_rfc3339(when, r->time);
	if (st->json) {
		cJSON *o = cli_json_push(&st->list, st->list.root);
		cli_json_str(&st->list, o, "commit", hex);
		cli_json_str(&st->list, o, "time", when);
		cli_json_bool(&st->list, o, "good", r->good);
		if (r->good)
			cli_json_str(&st->list, o, "signer", r->signer ? r->signer : "");
		else
			cli_json_str(&st->list, o, "problem", r->problem ? r->problem : "");
		cli_json_str(&st->list, o, "summary", r->summary ? r->summary : "");
	} else if (r->good) {
		printf(_("good %s  %s  %s\n"), hex, r->signer ? r->signer : "", r->summary ? r->summary : "");
	} else {
		printf(_("BAD  %s  %s  (%s)\n"), hex, r->problem ? r->problem : "",
		       r->summary ? r->summary : "");
	}
	return 0;
}

static int run(const cli_command *cmd, int argc, char **argv, const cli_context *ctx)
{
	int json = 0, verbose = 0, nargs, rc, exit_code = 0;
	const char *signers_file = NULL;
	const cli_option opts[] = { { "json", 0, NULL, &json }, { "verbose", 'v', NULL, &verbose },
				    { "signers", 0, &signers_file, NULL }, { NULL, 0, NULL, NULL } };
	verify_state st = { 0, 0, CLI_JSON_INIT };
	fs_verify_stats stats = { 0, 0 };
	fs_verify_trust trust;
	fs_signers *signers = NULL;
	fs_buf text = FS_BUF_INIT;
	fs_node *node = NULL;

	if ((rc = cli_parse(cmd, argc, argv, opts, &nargs)) != 0)
		return rc == CLI_HELP ? 0 : rc;
	if (nargs > 1)
		return cli_usage_error(cmd, "verify: expected at most one revision range");
	st.json = json;
	st.verbose = verbose;
	if (signers_file) {
		if ((rc = fs_file_read(&text, signers_file, 16 * 1024 * 1024, _("signers file"))) < 0 ||
		    (rc = fs_signers_parse(&signers, text.ptr, text.size, signers_file)) < 0)
			goto done;
	}
	if ((rc = cli_open_read(&node, ctx)) < 0)
		goto done;
	memset(&trust, 0, sizeof(trust));
	trust.signers = signers;
	trust.principal = fs_node_city(node);
	trust.key = fs_node_public_key(node);
	if (json)
		cli_json_array(&st.list);
	rc = fs_verify_range(fs_node_repo(node), nargs ? argv[1] : NULL, &trust, report, &st, &stats);
	if (rc < 0 && rc != FS_EVERIFY)
		goto done;
	if (json) {
		cli_json j = CLI_JSON_INIT;
		cJSON *o = cli_json_object(&j);
		cli_json_num(&j, o, "checked", (double)stats.checked);
		cli_json_num(&j, o, "bad", (double)stats.bad);
		cli_json_take(&j, o, "commits", &st.list);
		if (cli_json_print(&j) < 0) {
			rc = FS_ENOMEM;
			goto done;
		}
	} else {
		if (stats.bad)
			printf(P_("verified %zu commit: SOME ARE BAD\n",
				  "verified %zu commits: SOME ARE BAD\n", stats.checked), stats.checked);
		else
			printf(P_("verified %zu commit: all good\n", "verified %zu commits: all good\n",
				  stats.checked), stats.checked);
	}
	if (rc == FS_EVERIFY) {
		fprintf(stderr, _("error: %s\n"), fs_error_last()->message);
		exit_code = FS_EXIT_FAILED;
		rc = 0;
	}
done:
	cli_json_dispose(&st.list);
	fs_node_free(node);
	fs_signers_free(signers);
	fs_buf_dispose(&text);
	return rc < 0 ? cli_fail(rc, json) : exit_code;
}

const cli_command cli_cmd_verify = {
	"verify", run, "verify [REV-RANGE] [--signers FILE] [-v] [--json]",
	N_("Verify the signature of every commit, with libsodium."), help
};
