/*
 * cli.h - what the fieldsync commands share
 *
 * Like git's git.c and builtin/: main.c holds the table of commands, each
 * command lives in its own cmd_*.c file with its help text.
 */
#ifndef FS_CLI_H
#define FS_CLI_H

#include <stdio.h>

#include <cjson/cJSON.h>

#include "node/node.h"
#include "util/buf.h"
#include "util/i18n.h"

/* Exit codes (docs/exit-codes.md). */
#define FS_EXIT_OK 0
#define FS_EXIT_FAILED 1 /* checked and failed: bad input, bad signature, no such record */
#define FS_EXIT_USAGE 2  /* the command line is wrong */
#define FS_EXIT_NODE 3   /* the node cannot be used: none here, key problem, exists */
#define FS_EXIT_BUSY 4   /* another fieldsync is writing: try again */
#define FS_EXIT_SYSTEM 5 /* the system failed: disk, memory, library */
#define FS_EXIT_NET 6    /* the link failed: try again later */

/* cli_parse() returns this after printing --help: the command exits 0. */
#define CLI_HELP (-1000)

#define CLI_PASSPHRASE_BYTES 1024

typedef struct cli_command cli_command;

typedef struct {
	const char *dir; /* -C DIR, or "." */
} cli_context;

struct cli_command {
	const char *name;
	int (*run)(const cli_command *cmd, int argc, char **argv, const cli_context *ctx);
	const char *usage;   /* "add action|service [FILE|-]" */
	const char *summary; /* one line for `fieldsync --help` */
	const char *help;    /* the rest of `fieldsync CMD --help` */
};

typedef struct {
	const char *name;   /* "json" for --json */
	char short_name;    /* 'j' for -j, or 0 */
	const char **value; /* options with an argument */
	int *flag;          /* options without one: set to 1 */
} cli_option;

/*
 * Parse argv[1..] of a command: options anywhere, "--" ends them, "-" is an
 * argument. Positional arguments are gathered at the front of argv; their
 * count goes to *nargs and they start at argv[1]. Returns 0, CLI_HELP after
 * printing the help, or FS_EXIT_USAGE after printing what is wrong.
 */
int cli_parse(const cli_command *cmd, int argc, char **argv, const cli_option *opts, int *nargs);

/* Print "error: ..." and the usage line; returns FS_EXIT_USAGE. */
int cli_usage_error(const cli_command *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * A whole number given to an option, from min to max: digits and nothing
 * else (no sign, no space, nothing after them), so that every option reads
 * numbers alike. 0, or -1 when `s` is not one (the caller says what it
 * expected).
 */
int cli_number(long long *out, const char *s, long long min, long long max);

/*
 * Report the last fieldsync error on stderr ("error: " before each line) and,
 * with json set, as {"error": {...}} on stdout. Returns the exit code for `code`.
 */
int cli_fail(int code, int json);

/* The exit code for an error code. */
int cli_exit_code(int code);

void cli_print_help(const cli_command *cmd, FILE *out);

/*
 * Open the node for writing, asking for the key's passphrase if it has one
 * (FIELDSYNC_PASSPHRASE, else the terminal). Both open the keystore when a
 * record needs it (cli_use_keystore).
 */
int cli_open_write(fs_node **out, const cli_context *ctx);
int cli_open_read(fs_node **out, const cli_context *ctx);
/* Load the key of a node opened for reading, asking for its passphrase if it has one. */
int cli_load_key(fs_node *node, const cli_context *ctx);

/*
 * Open the hub in ctx->dir: `flags` as fs_node_open's (FS_NODE_WRITE asks
 * for the key's passphrase as cli_open_write does). FS_ENOTNODE for a city
 * node.
 */
int cli_open_hub(fs_node **out, const cli_context *ctx, unsigned flags);

/* Read a passphrase: FIELDSYNC_PASSPHRASE, else ask on the terminal (twice when `confirm`). */
int cli_read_passphrase(char out[CLI_PASSPHRASE_BYTES], const char *prompt, int confirm);

/* The same from the environment variable `env`. */
int cli_read_secret(char out[CLI_PASSPHRASE_BYTES], const char *env, const char *prompt,
		    int confirm);

#define CLI_KEYSTORE_ENV "FIELDSYNC_KEYSTORE_PASSPHRASE"
#define CLI_BACKUP_ENV "FIELDSYNC_BACKUP_PASSPHRASE"
#define CLI_LOCAL_ID_BYTES 260 /* FS_LOCAL_ID_MAX, a CRLF, a NUL, and one over */

/* Let the node open its keystore when a record needs it, asking for its passphrase then. */
void cli_use_keystore(fs_node *node);

/*
 * Read one local id from stdin ('-' in place of LOCAL-ID keeps it out of
 * argv, shell history and ps): a line without its LF or CRLF. 0, or
 * FS_ENOTFOUND at the end of input.
 */
int cli_read_local_id(char out[CLI_LOCAL_ID_BYTES]);

/*
 * A hub's public key given as --hub-key: the key itself (ssh-ed25519 AAAA...)
 * or a file that holds it (the hub's fieldsync/key.pub). FS_EUSAGE for neither.
 */
int cli_hub_key_arg(unsigned char pk[FS_KEY_PUBLIC_BYTES], const char *arg);

/* A count in the reader's language, for messages with several counts:
 * cli_count(&b, P_("%zu commit", "%zu commits", n), n). Returns b->text. */
typedef struct {
	char text[64];
} cli_count_buf;
const char *cli_count(cli_count_buf *b, const char *fmt, size_t n);

/*
 * --json output, built part by part (cli/json.c). cJSON's Create and Add
 * functions return NULL when an allocation fails and leave the document
 * without that part: printed as it stands, it would tell a script, with exit
 * 0, that a member is not there. A cli_json notes every part it could not
 * make, and cli_json_print then prints nothing and returns FS_ENOMEM. Only
 * the builder's own failures count: an allocation that failed elsewhere in
 * the run, and that the command recovered from, does not refuse a document
 * that is whole.
 *
 *	cli_json j = CLI_JSON_INIT;
 *	cJSON *o = cli_json_object(&j);
 *	cli_json_str(&j, o, "id", id);
 *	rc = cli_json_print(&j);
 *
 * A NULL parent is one the builder could not make (already noted): the
 * functions then do nothing, so a command builds on without a check.
 */
typedef struct {
	cJSON *root;
	int broken; /* a part could not be made: the document is never printed */
	int secret; /* it holds what must not stay in memory (local ids): wiped */
} cli_json;

#define CLI_JSON_INIT { NULL, 0, 0 }

/* Start the document as an empty object or array: j->root, or NULL (noted). */
cJSON *cli_json_object(cli_json *j);
cJSON *cli_json_array(cli_json *j);

/* Member `name` of object `obj`. Strings are copied; a NULL one is null. */
void cli_json_str(cli_json *j, cJSON *obj, const char *name, const char *value);
void cli_json_num(cli_json *j, cJSON *obj, const char *name, double value);
void cli_json_bool(cli_json *j, cJSON *obj, const char *name, int value);
void cli_json_null(cli_json *j, cJSON *obj, const char *name);

/* A new empty object as member `name` of obj, or appended to an array
 * (cli_json_push): the object, or NULL (noted). */
cJSON *cli_json_add_object(cli_json *j, cJSON *obj, const char *name);
cJSON *cli_json_push(cli_json *j, cJSON *array);

/*
 * Move the document of `part` (built alongside, as a list gathered before
 * the object that holds it) into member `name` of obj: what part lacks, j
 * lacks. part is empty afterwards.
 */
void cli_json_take(cli_json *j, cJSON *obj, const char *name, cli_json *part);

/*
 * A value made outside the builder, which only running out of memory can
 * fail (a key's text in an fs_buf): rc < 0 is a part the document lacks.
 * Returns rc.
 */
int cli_json_note(cli_json *j, int rc);

/*
 * Print the document on one line of stdout and free it: 0, or FS_ENOMEM and
 * nothing printed when it lacks a part or cannot be printed.
 */
int cli_json_print(cli_json *j);

/* The same for the next item of an array streamed to stdout: ",\n" before
 * all but the first (n: items printed so far), no newline after. */
int cli_json_print_item(cli_json *j, size_t n);

/* Free the document unprinted. */
void cli_json_dispose(cli_json *j);

/* Is stderr a terminal (progress lines are shown only then)? */
int cli_progress_enabled(void);

/* The command table (main.c) and its lookup, for `fieldsync help`. */
const cli_command *cli_find_command(const char *name);
void cli_print_commands(FILE *out);

/* The commands */
extern const cli_command cli_cmd_init, cli_cmd_add, cli_cmd_edit, cli_cmd_rm, cli_cmd_show,
	cli_cmd_list, cli_cmd_log, cli_cmd_import, cli_cmd_verify, cli_cmd_key, cli_cmd_gc,
	cli_cmd_help, cli_cmd_version, cli_cmd_hub, cli_cmd_hub_init, cli_cmd_hub_enroll,
	cli_cmd_hub_revoke, cli_cmd_hub_receive_check, cli_cmd_hub_post_receive, cli_cmd_hub_import, cli_cmd_hub_merge, cli_cmd_remote,
	cli_cmd_sync, cli_cmd_bundle, cli_cmd_hub_serve, cli_cmd_status, cli_cmd_export, cli_cmd_report,
	cli_cmd_audit, cli_cmd_keystore, cli_cmd_person, cli_cmd_forget, cli_cmd_receipts;

#endif
