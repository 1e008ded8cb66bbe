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

/* Print a cJSON value on one line to stdout, then free it. */
int cli_print_json(cJSON *value);

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
