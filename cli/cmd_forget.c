/* fieldsync forget: erase a person from every copy of the history */
#include <string.h>

#include <sodium.h>

#include "cli/cli.h"
#include "node/forget.h"
#include "util/error.h"

static const char help[] = N_(
	"Destroys the key that seals the protected part of PERSON's service records\n"
	"(PERSON: the pseudonym, or --local LOCAL-ID to derive it), then records the\n"
	"erasure as a signed record (erasure/1: the pseudonym and the key ids, nothing\n"
	"else). No history is rewritten: every signature still verifies and every\n"
	"copy (the hub's, an auditor's clone) keeps ciphertext that nobody can open\n"
	"any more. The rest of the records (date, category, age band) stays: it is\n"
	"what the aggregates count. What forget cannot reach (decrypted output that\n"
	"was copied elsewhere, backups of the keystore made before): docs/privacy.md.\n"
	"\n"
	"Running it again after an interruption finishes the job; on a person\n"
	"already forgotten it changes nothing.\n"
	"\n"
	"options:\n"
	"  --local ID   the person's local id instead of the pseudonym ('-': read it\n"
	"               from stdin, to keep it out of the shell's history)\n"
	"  --json       {\"person\", \"erasure\", \"records\", \"keys\"}\n");

static int run(const cli_command *cmd, int argc, char **argv, const cli_context *ctx)
{
	int json = 0, nargs, rc;
	const char *local = NULL, *person;
	const cli_option opts[] = { { "json", 0, NULL, &json },
				    { "local", 0, &local, NULL },
				    { NULL, 0, NULL, NULL } };
	char derived[FS_PERSON_HEX_BYTES], erasure[FS_ID_BYTES], line[CLI_LOCAL_ID_BYTES];
	size_t records = 0, keys = 0;
	fs_node *node = NULL;
	fs_keystore *ks;

	if ((rc = cli_parse(cmd, argc, argv, opts, &nargs)) != 0)
		return rc == CLI_HELP ? 0 : rc;
	if ((nargs != 1 || local) && (nargs != 0 || !local))
		return cli_usage_error(cmd, "forget: expected one PERSON, or --local ID");
	if ((rc = cli_open_write(&node, ctx)) < 0)
		goto done;
	person = nargs ? argv[1] : derived;
	if (local && strcmp(local, "-") == 0) {
		if ((rc = cli_read_local_id(line)) < 0)
			goto done;
		local = line;
	}
	if (local && ((rc = fs_node_keystore(&ks, node)) < 0 ||
		      (rc = fs_keystore_pseudonym(ks, derived, local)) < 0))
		goto done;
	rc = fs_person_forget(node, person, erasure, &records, &keys);
	if (rc == FS_EUNCHANGED && !json) {
		printf(_("%s: nothing to do\n"), fs_error_last()->message);
		rc = 0;
		goto done;
	}
	if (rc < 0 && rc != FS_EUNCHANGED)
		goto done;
	if (json) {
		cli_json j = CLI_JSON_INIT;
		cJSON *o = cli_json_object(&j);
		cli_json_str(&j, o, "person", person);
		cli_json_str(&j, o, "erasure", erasure);
		cli_json_bool(&j, o, "changed", rc == 0);
		cli_json_num(&j, o, "records", (double)records);
		cli_json_num(&j, o, "keys", (double)keys);
		rc = cli_json_print(&j);
	} else if (!*erasure) {
		cli_count_buf c;
		printf(_("forgot person %s: %s destroyed; no record names them, so none was needed\n"),
		       person, cli_count(&c, P_("%zu key", "%zu keys", keys), keys));
	} else {
		cli_count_buf c[2];
		printf(_("forgot person %s: %s destroyed, %s sealed under them can no longer be "
			 "read (erasure %s)\n"), person,
		       cli_count(&c[0], P_("%zu key", "%zu keys", keys), keys),
		       cli_count(&c[1], P_("%zu service record", "%zu service records", records), records),
		       erasure);
	}
done:
	fs_node_free(node);
	sodium_memzero(derived, sizeof(derived));
	sodium_memzero(line, sizeof(line));
	return rc < 0 ? cli_fail(rc, json) : 0;
}

const cli_command cli_cmd_forget = {
	"forget", run, "forget PERSON | --local ID [--json]",
	N_("Erase a person: destroy the key of their protected data, record it."), help
};
