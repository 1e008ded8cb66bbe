/* fieldsync hub: the regional hub's commands, one file each (cmd_hub_*.c) */
#include <string.h>

#include "cli/cli.h"

static const cli_command *const subcommands[] = {
	&cli_cmd_hub_init,   &cli_cmd_hub_enroll,        &cli_cmd_hub_revoke,
	&cli_cmd_hub_import, &cli_cmd_hub_serve,         &cli_cmd_hub_receive_check,
	&cli_cmd_hub_merge,  &cli_cmd_hub_post_receive,
};
#define N_SUB (sizeof(subcommands) / sizeof(subcommands[0]))

static void list(FILE *out)
{
	fprintf(out, _("usage: fieldsync [-C HUB] hub COMMAND [OPTIONS] [ARGS]\n\ncommands:\n"));
	for (size_t i = 0; i < N_SUB; i++)
		fprintf(out, "  %-14s %s\n", subcommands[i]->name + 4, _(subcommands[i]->summary));
}

static int run(const cli_command *cmd, int argc, char **argv, const cli_context *ctx)
{
	(void)cmd;
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		list(argc < 2 ? stderr : stdout);
		return argc < 2 ? FS_EXIT_USAGE : 0;
	}
	for (size_t i = 0; i < N_SUB; i++)
		if (strcmp(subcommands[i]->name + 4, argv[1]) == 0)
			return subcommands[i]->run(subcommands[i], argc - 1, argv + 1, ctx);
	fprintf(stderr, _("error: unknown hub command '%s'\nsee 'fieldsync hub --help'\n"), argv[1]);
	return FS_EXIT_USAGE;
}

const cli_command cli_cmd_hub = {
	"hub", run, "hub COMMAND [OPTIONS] [ARGS]",
	N_("The regional hub: init, enroll, revoke, import, serve, receive-check, merge, post-receive."),
	N_("commands: init, enroll, revoke, import, serve, receive-check, merge, post-receive; see 'fieldsync hub COMMAND --help'\n")
};
