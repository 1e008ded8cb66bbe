/*
 * fieldsync - the command
 *
 *   fieldsync [-C DIR] COMMAND [OPTIONS] [ARGS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "util/error.h"
#include "util/i18n.h"

#define FIELDSYNC_VERSION "0.1.0"
/* the same in every language: scripts read it */
#define FIELDSYNC_VERSION_LINE "fieldsync " FIELDSYNC_VERSION

static const cli_command *const commands[] = {
	&cli_cmd_init, &cli_cmd_add,    &cli_cmd_edit,   &cli_cmd_rm,  &cli_cmd_show,
	&cli_cmd_list, &cli_cmd_export, &cli_cmd_report, &cli_cmd_log,    &cli_cmd_import, &cli_cmd_verify, &cli_cmd_audit, &cli_cmd_key,
	&cli_cmd_keystore, &cli_cmd_person, &cli_cmd_forget,
	&cli_cmd_gc,   &cli_cmd_remote, &cli_cmd_sync,   &cli_cmd_status,   &cli_cmd_bundle, &cli_cmd_receipts,
	&cli_cmd_hub,
	&cli_cmd_help, &cli_cmd_version,
};

const cli_command *cli_find_command(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i]->name, name) == 0)
			return commands[i];
	return NULL;
}

void cli_print_commands(FILE *out)
{
	fprintf(out, _("usage: fieldsync [-C DIR] COMMAND [OPTIONS] [ARGS]\n\n"
		     "Records what a city does for the people it hosts, offline, in a signed git\n"
		     "history.\n\ncommands:\n"));
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-9s %s\n", commands[i]->name, _(commands[i]->summary));
	fprintf(out, _("\noptions:\n"
		     "  -C DIR     the node's folder (default: the current folder)\n"
		     "  --help     this text; 'fieldsync COMMAND --help' for one command\n"
		     "  --version  the version\n\n"
		     "exit codes: 0 ok, 1 checked and failed, 2 usage, 3 node unusable,\n"
		     "4 busy (another writer), 5 system error, 6 link failed\n"));
}

static int run_help(const cli_command *cmd, int argc, char **argv, const cli_context *ctx)
{
	const cli_command *target;
	int nargs, rc;
	(void)ctx;

	if ((rc = cli_parse(cmd, argc, argv, NULL, &nargs)) != 0)
		return rc == CLI_HELP ? 0 : rc;
	if (nargs == 0) {
		cli_print_commands(stdout);
		return 0;
	}
	if (!(target = cli_find_command(argv[1])))
		return cli_usage_error(cmd, "help: unknown command '%s'", argv[1]);
	cli_print_help(target, stdout);
	return 0;
}

const cli_command cli_cmd_help = {
	"help", run_help, "help [COMMAND]", N_("Show the commands, or the help of one."), ""
};

static int run_version(const cli_command *cmd, int argc, char **argv, const cli_context *ctx)
{
	int nargs, rc;
	(void)ctx;

	if ((rc = cli_parse(cmd, argc, argv, NULL, &nargs)) != 0)
		return rc == CLI_HELP ? 0 : rc;
	puts(FIELDSYNC_VERSION_LINE);
	return 0;
}

const cli_command cli_cmd_version = {
	"version", run_version, "version", N_("Print the version."), ""
};

int main(int argc, char **argv)
{
	cli_context ctx = { "." };
	const cli_command *cmd;
	int i = 1, rc;

	fs_i18n_init();
	while (i < argc && argv[i][0] == '-') {
		if (strcmp(argv[i], "-C") == 0) {
			if (i + 1 >= argc) {
				fprintf(stderr, _("error: option '-C' needs a folder\n"));
				return FS_EXIT_USAGE;
			}
			ctx.dir = argv[i + 1];
			i += 2;
		} else if (strncmp(argv[i], "-C", 2) == 0) {
			ctx.dir = argv[i] + 2;
			i++;
		} else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			cli_print_commands(stdout);
			return 0;
		} else if (strcmp(argv[i], "--version") == 0) {
			puts(FIELDSYNC_VERSION_LINE);
			return 0;
		} else {
			fprintf(stderr, _("error: unknown option '%s'\nsee 'fieldsync --help'\n"), argv[i]);
			return FS_EXIT_USAGE;
		}
	}
	if (i >= argc) {
		cli_print_commands(stderr);
		return FS_EXIT_USAGE;
	}
	if (!(cmd = cli_find_command(argv[i]))) {
		fprintf(stderr, _("error: unknown command '%s'\nsee 'fieldsync --help'\n"), argv[i]);
		return FS_EXIT_USAGE;
	}
	if ((rc = fs_global_init()) < 0)
		return cli_fail(rc, 0);
	rc = cmd->run(cmd, argc - i, argv + i, &ctx);
	fs_global_shutdown();
	fflush(stdout);
	if (ferror(stdout)) {
		fprintf(stderr, _("error: cannot write the output\n"));
		return FS_EXIT_SYSTEM;
	}
	return rc;
}
