/* fieldsync hub receive-check: the hub's pre-receive hook */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "sync/check.h"
#include "util/error.h"

static const char help[] = N_(
	"Run by git receive-pack as the hub's pre-receive hook (fieldsync hub init\n"
	"installs it): reads '<old> <new> <ref>' lines on standard input and checks\n"
	"every new commit: signed by a key hub/signers allows for the city at the\n"
	"commit's time, only paths below cities/<city>/, records that parse and\n"
	"validate, a fast-forward of refs/heads/cities/<city> only. Any failure refuses\n"
	"the whole push (exit 1) and says which ref, which commit and why; git shows it\n"
	"to the pusher. The pushed objects are read from git's quarantine.\n");

static int run(const cli_command *cmd, int argc, char **argv, const cli_context *ctx)
{
	git_repository *repo = NULL;
	fs_check *check = NULL;
	char line[1024];
	int nargs, rc, refused = 0;

	(void)ctx;
	if ((rc = cli_parse(cmd, argc, argv, NULL, &nargs)) != 0)
		return rc == CLI_HELP ? 0 : rc;
	if (nargs)
		return cli_usage_error(cmd, "hub receive-check: no arguments");
	fs_i18n_plain(); /* the pusher reads these lines (sync/push.c hub_errors) */
	/* FROM_ENV: GIT_DIR, and the quarantine that holds the pushed objects */
	if ((rc = git_repository_open_ext(&repo, NULL, GIT_REPOSITORY_OPEN_FROM_ENV, NULL)) < 0) {
		rc = fs_error_git(rc, "hub: cannot open the repository (run as a git hook)");
		goto done;
	}
	if ((rc = fs_check_new(&check, repo)) < 0)
		goto done;
	while (fgets(line, sizeof(line), stdin)) {
		char old_hex[64], new_hex[64], ref[900];
		git_oid old, new;
		size_t n;
		if (sscanf(line, "%63s %63s %899s", old_hex, new_hex, ref) != 3 ||
		    git_oid_fromstr(&old, old_hex) < 0 || git_oid_fromstr(&new, new_hex) < 0) {
			rc = fs_error_set(FS_EINVALID, "hub: cannot read the hook's input line '%s'",
					  line);
			goto done;
		}
		rc = fs_check_update(check, ref, &old, &new, &n);
		if (rc == FS_EREFUSED) {
			cli_fail(rc, 0);
			refused = 1;
			continue;
		}
		if (rc < 0)
			goto done;
		fprintf(stderr, P_("fieldsync hub: %s: %zu new commit checked\n",
				   "fieldsync hub: %s: %zu new commits checked\n", n), ref, n);
	}
	rc = refused ? FS_EREFUSED : 0;
	if (refused)
		fprintf(stderr, _("fieldsync hub: push refused; nothing was changed\n"));
done:
	fs_check_free(check);
	git_repository_free(repo);
	if (rc == FS_EREFUSED)
		return FS_EXIT_FAILED;
	return rc < 0 ? cli_fail(rc, 0) : 0;
}

const cli_command cli_cmd_hub_receive_check = {
	"hub receive-check", run, "hub receive-check",
	N_("The pre-receive hook: check every pushed commit."), help
};
