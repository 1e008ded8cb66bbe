/* fieldsync person id: the pseudonym of a person */
#include <string.h>

#include <sodium.h>

#include "cli/cli.h"
#include "node/keystore.h"
#include "util/error.h"

static const char help[] = N_(
	"Prints the pseudonym that service records carry as \"person\" for the person\n"
	"this city knows as LOCAL-ID (a case number, a registration number: whatever\n"
	"the city's own files use). The pseudonym is keyed BLAKE2b of LOCAL-ID under\n"
	"the city secret in the keystore: the same LOCAL-ID always gives the same\n"
	"pseudonym in this city, two cities give unrelated ones, and without the\n"
	"secret nobody can find which LOCAL-ID a pseudonym stands for by trying them.\n"
	"LOCAL-ID is used byte for byte (no trimming, no case folding); it never\n"
	"reaches git. With '-', the local ids are read from stdin, one per line, and\n"
	"stay out of the shell's history and of the process list.\n"
	"\n"
	"options:\n"
	"  --json    [{\"local_id\", \"person\"}, ...]\n");

/* list: the --json document, or NULL to print the pseudonym */
static int one(cli_json *list, const fs_keystore *ks, const char *local, size_t n)
{
	char person[FS_PERSON_HEX_BYTES];
	cJSON *o;

	if (fs_keystore_pseudonym(ks, person, local) < 0)
		return fs_error_prefix("local id %zu", n);
	if (!list) {
		printf("%s\n", person);
		return 0;
	}
	o = cli_json_push(list, list->root);
	cli_json_str(list, o, "local_id", local);
	cli_json_str(list, o, "person", person);
	return 0;
}

static int run(const cli_command *cmd, int argc, char **argv, const cli_context *ctx)
{
	int json = 0, nargs, rc;
	const cli_option opts[] = { { "json", 0, NULL, &json }, { NULL, 0, NULL, NULL } };
	char line[CLI_LOCAL_ID_BYTES];
	cli_json j = CLI_JSON_INIT, *list = NULL;
	fs_node *node = NULL;
	fs_keystore *ks;
	size_t n = 0;

	if ((rc = cli_parse(cmd, argc, argv, opts, &nargs)) != 0)
		return rc == CLI_HELP ? 0 : rc;
	if (nargs < 2 || strcmp(argv[1], "id") != 0)
		return cli_usage_error(cmd, "person: expected 'id LOCAL-ID...' or 'id -'");
	if ((rc = cli_open_read(&node, ctx)) < 0)
		goto done;
	if ((rc = fs_node_keystore(&ks, node)) < 0)
		goto done;
	if (json) {
		list = &j;
		j.secret = 1; /* local ids: wiped, as every copy of them */
		cli_json_array(list);
	}
	if (nargs == 2 && strcmp(argv[2], "-") == 0) {
		while ((rc = cli_read_local_id(line)) == 0 && (rc = one(list, ks, line, ++n)) == 0)
			;
		if (rc == FS_ENOTFOUND)
			fs_error_clear(), rc = 0;
	} else {
		for (int i = 2; i <= nargs && rc == 0; i++)
			rc = one(list, ks, argv[i], ++n);
	}
	if (rc == 0 && json)
		rc = cli_json_print(&j);
done:
	sodium_memzero(line, sizeof(line));
	cli_json_dispose(&j);
	fs_node_free(node);
	return rc < 0 ? cli_fail(rc, json) : 0;
}

const cli_command cli_cmd_person = {
	"person", run, "person id LOCAL-ID...|- [--json]",
	N_("Print the pseudonym of a person the city knows by a local id."), help
};
