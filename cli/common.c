#include "cli/cli.h"

#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <sodium.h>

#include "node/key.h"
#include "node/sshsig.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/file.h"

const char *cli_count(cli_count_buf *b, const char *fmt, size_t n)
{
	snprintf(b->text, sizeof(b->text), fmt, n);
	return b->text;
}

void cli_print_help(const cli_command *cmd, FILE *out)
{
	fprintf(out, _("usage: fieldsync %s\n\n%s\n"), cmd->usage, _(cmd->summary));
	if (cmd->help && *cmd->help)
		fprintf(out, "\n%s", _(cmd->help));
}

int cli_number(long long *out, const char *s, long long min, long long max)
{
	long long n = 0;

	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || n > (LLONG_MAX - 9) / 10)
			return -1;
		n = n * 10 + (*s - '0');
	}
	if (n < min || n > max)
		return -1;
	*out = n;
	return 0;
}

int cli_usage_error(const cli_command *cmd, const char *fmt, ...)
{
	va_list ap;

	fputs(_("error: "), stderr);
	va_start(ap, fmt);
	vfprintf(stderr, _(fmt), ap);
	va_end(ap);
	fprintf(stderr, _("\nusage: fieldsync %s\nsee 'fieldsync %s --help'\n"), cmd->usage, cmd->name);
	return FS_EXIT_USAGE;
}

static const cli_option *find_long(const cli_option *opts, const char *name, size_t len)
{
	for (; opts && opts->name; opts++)
		if (strlen(opts->name) == len && strncmp(opts->name, name, len) == 0)
			return opts;
	return NULL;
}

static const cli_option *find_short(const cli_option *opts, char c)
{
	for (; opts && opts->name; opts++)
		if (opts->short_name && opts->short_name == c)
			return opts;
	return NULL;
}

int cli_parse(const cli_command *cmd, int argc, char **argv, const cli_option *opts, int *nargs)
{
	int n = 0, only_args = 0;

	for (int i = 1; i < argc; i++) {
		char *a = argv[i];
		const cli_option *o = NULL;
		const char *inline_value = NULL;

		if (only_args || a[0] != '-' || strcmp(a, "-") == 0) {
			argv[1 + n++] = a;
			continue;
		}
		if (strcmp(a, "--") == 0) {
			only_args = 1;
			continue;
		}
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			cli_print_help(cmd, stdout);
			return CLI_HELP;
		}
		if (a[1] == '-') {
			const char *eq = strchr(a + 2, '=');
			size_t len = eq ? (size_t)(eq - (a + 2)) : strlen(a + 2);
			o = find_long(opts, a + 2, len);
			inline_value = eq ? eq + 1 : NULL;
		} else if (a[2] == '\0') {
			o = find_short(opts, a[1]);
		}
		if (!o)
			return cli_usage_error(cmd, "%s: unknown option '%s'", cmd->name, a);
		if (o->flag) {
			if (inline_value)
				return cli_usage_error(cmd, "%s: option '--%s' takes no value", cmd->name,
						       o->name);
			*o->flag = 1;
			continue;
		}
		if (!inline_value) {
			if (i + 1 >= argc)
				return cli_usage_error(cmd, "%s: option '%s' needs a value", cmd->name, a);
			inline_value = argv[++i];
		}
		*o->value = inline_value;
	}
	*nargs = n;
	return 0;
}

int cli_exit_code(int code)
{
	switch (code) {
	case FS_OK:
	case FS_EUNCHANGED:
		return FS_EXIT_OK;
	case FS_EINVALID:
	case FS_EVERIFY:
	case FS_EREFUSED:
	case FS_ETOOBIG:
	case FS_ENOTFOUND:
		return FS_EXIT_FAILED;
	case FS_EUSAGE:
		return FS_EXIT_USAGE;
	case FS_ENOTNODE:
	case FS_EKEY:
	case FS_EEXISTS:
		return FS_EXIT_NODE;
	case FS_ELOCKED:
		return FS_EXIT_BUSY;
	case FS_ENET:
		return FS_EXIT_NET;
	default:
		return FS_EXIT_SYSTEM;
	}
}

int cli_fail(int code, int json)
{
	const fs_error *e = fs_error_last();
	const char *msg = e && e->message && *e->message ? e->message : _("unknown error");
	const char *p = msg;

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		fprintf(stderr, _("error: %.*s\n"), (int)len, p);
		p += len + (nl ? 1 : 0);
	}
	/*
	 * libgit2 1.5 reports some failed allocations as other errors ("object
	 * not found", "unexpected data at the end of the pack"): after one, the
	 * error is the system's, whatever it says
	 */
	if (code != FS_ENOMEM && cli_exit_code(code) != FS_EXIT_OK && fs_alloc_failures() > 0) {
		fprintf(stderr, _("error: memory ran out during this run (%lu allocations failed): "
				  "the error above may come from that\n"), fs_alloc_failures());
		code = FS_ENOMEM;
	}
	/* an error object that cannot be made whole is not printed: the lines above stand */
	if (json) {
		cli_json j = CLI_JSON_INIT;
		cJSON *err = cli_json_add_object(&j, cli_json_object(&j), "error");
		cli_json_str(&j, err, "code", fs_error_name(code));
		cli_json_str(&j, err, "message", msg);
		cli_json_print(&j);
	}
	return cli_exit_code(code);
}

int cli_progress_enabled(void)
{
	return isatty(STDERR_FILENO);
}

/* ---- passphrases ---------------------------------------------------------- */

/* What needs the passphrase that `env` holds, for the message when there is none. */
static const char *secret_of(const char *env)
{
	if (strcmp(env, CLI_KEYSTORE_ENV) == 0)
		return _("the keystore has a passphrase");
	if (strcmp(env, CLI_BACKUP_ENV) == 0)
		return _("a keystore backup needs a passphrase");
	return _("the key has a passphrase");
}

static int prompt_tty(char out[CLI_PASSPHRASE_BYTES], const char *prompt, const char *env)
{
	struct termios old, quiet;
	int fd = open("/dev/tty", O_RDWR | O_CLOEXEC), rc = 0;
	size_t n = 0;
	char c;

	if (fd < 0)
		return fs_error_set(FS_EKEY, "%s: set %s or run on a terminal", secret_of(env), env);
	if (write(fd, prompt, strlen(prompt)) < 0 || tcgetattr(fd, &old) < 0) {
		rc = fs_error_os("cannot ask for the passphrase");
		goto done;
	}
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	tcsetattr(fd, TCSAFLUSH, &quiet);
	while (read(fd, &c, 1) == 1 && c != '\n' && c != '\r') {
		if (n + 1 < CLI_PASSPHRASE_BYTES)
			out[n++] = c;
	}
	out[n] = '\0';
	c = 0;
	tcsetattr(fd, TCSAFLUSH, &old);
	if (write(fd, "\n", 1) < 0)
		rc = 0;
done:
	close(fd);
	return rc;
}

int cli_read_secret(char out[CLI_PASSPHRASE_BYTES], const char *env, const char *prompt,
		    int confirm)
{
	char again[CLI_PASSPHRASE_BYTES];
	const char *value = getenv(env);
	int rc = 0;

	if (value) {
		if (strlen(value) >= CLI_PASSPHRASE_BYTES)
			return fs_error_set(FS_EKEY, "%s is too long", env);
		memcpy(out, value, strlen(value) + 1);
		return 0;
	}
	if ((rc = prompt_tty(out, prompt, env)) < 0)
		goto done;
	if (confirm) {
		if ((rc = prompt_tty(again, _("again: "), env)) < 0)
			goto done;
		if (strcmp(out, again) != 0)
			rc = fs_error_set(FS_EKEY, "the two passphrases differ");
	}
done:
	sodium_memzero(again, sizeof(again));
	if (rc < 0)
		sodium_memzero(out, CLI_PASSPHRASE_BYTES);
	return rc;
}

int cli_read_passphrase(char out[CLI_PASSPHRASE_BYTES], const char *prompt, int confirm)
{
	return cli_read_secret(out, "FIELDSYNC_PASSPHRASE", prompt, confirm);
}

int cli_read_local_id(char out[CLI_LOCAL_ID_BYTES])
{
	size_t n;

	if (!fgets(out, CLI_LOCAL_ID_BYTES, stdin))
		return ferror(stdin) ? fs_error_os("cannot read local ids from stdin")
				     : fs_error_set(FS_ENOTFOUND, "no more local ids on stdin");
	n = strlen(out);
	if (n && out[n - 1] == '\n')
		out[--n] = '\0';
	else if (!feof(stdin))
		return fs_error_set(FS_EINVALID, "a local id on stdin is over 256 bytes");
	if (n && out[n - 1] == '\r')
		out[--n] = '\0';
	return 0;
}

static int open_keystore(fs_keystore **out, const fs_node *node, void *payload)
{
	char pass[CLI_PASSPHRASE_BYTES];
	int rc;
	(void)payload;

	/* no prompt for a keystore that is not there: that message is the useful one */
	if (!fs_keystore_exists(fs_node_private_dir(node)))
		return fs_keystore_open(out, fs_node_private_dir(node), fs_node_city(node), NULL);
	if ((rc = cli_read_secret(pass, CLI_KEYSTORE_ENV, _("passphrase of the keystore: "), 0)) == 0)
		rc = fs_keystore_open(out, fs_node_private_dir(node), fs_node_city(node), pass);
	sodium_memzero(pass, sizeof(pass));
	return rc;
}

void cli_use_keystore(fs_node *node)
{
	fs_node_set_keystore_source(node, open_keystore, NULL);
}

/* The passphrase of the key of the node in `dir`, asked for only when the key has one. */
static int ask_passphrase(char pass[CLI_PASSPHRASE_BYTES], const char *dir)
{
	fs_buf path = FS_BUF_INIT;
	int rc, encrypted;

	pass[0] = '\0';
	if ((rc = fs_node_key_path(&path, dir)) < 0)
		goto done;
	/* a node that is not there gets that message, not one about its key */
	encrypted = fs_key_file_encrypted(path.ptr);
	if (encrypted < 0)
		fs_error_clear(); /* fs_node_open says what is wrong */
	if (encrypted == 1)
		rc = cli_read_passphrase(pass, _("passphrase of the node key: "), 0);
done:
	fs_buf_dispose(&path);
	return rc;
}

int cli_open_write(fs_node **out, const cli_context *ctx)
{
	char pass[CLI_PASSPHRASE_BYTES];
	int rc;

	if ((rc = ask_passphrase(pass, ctx->dir)) == 0 &&
	    (rc = fs_node_open(out, ctx->dir, FS_NODE_WRITE, pass[0] ? pass : NULL)) == 0)
		cli_use_keystore(*out);
	sodium_memzero(pass, sizeof(pass));
	return rc;
}

int cli_load_key(fs_node *node, const cli_context *ctx)
{
	char pass[CLI_PASSPHRASE_BYTES];
	int rc;

	if ((rc = ask_passphrase(pass, ctx->dir)) == 0)
		rc = fs_node_load_key(node, pass[0] ? pass : NULL);
	sodium_memzero(pass, sizeof(pass));
	return rc;
}

int cli_open_read(fs_node **out, const cli_context *ctx)
{
	int rc = fs_node_open(out, ctx->dir, FS_NODE_READ, NULL);

	if (rc == 0)
		cli_use_keystore(*out);
	return rc;
}

int cli_open_hub(fs_node **out, const cli_context *ctx, unsigned flags)
{
	int rc = flags & FS_NODE_WRITE ? cli_open_write(out, ctx)
				       : fs_node_open(out, ctx->dir, flags, NULL);

	if (rc == 0 && !fs_node_is_hub(*out)) {
		rc = fs_error_set(FS_ENOTNODE, "'%s' is a city node, not a hub (the hub's folder "
				  "is the one 'fieldsync hub init' made)", fs_node_dir(*out));
		fs_node_free(*out);
		*out = NULL;
	}
	return rc;
}

int cli_hub_key_arg(unsigned char pk[FS_KEY_PUBLIC_BYTES], const char *arg)
{
	fs_buf text = FS_BUF_INIT;
	int rc;

	if (fs_ssh_pubkey_parse(pk, arg) == 0)
		return 0;
	if (!fs_file_exists(arg))
		return fs_error_set(FS_EUSAGE, "--hub-key '%s': neither a public key "
				    "(ssh-ed25519 AAAA...) nor a file", arg);
	if ((rc = fs_file_read(&text, arg, 64 * 1024, _("hub key file"))) == 0 &&
	    fs_ssh_pubkey_parse(pk, fs_buf_cstr(&text)) < 0)
		rc = fs_error_set(FS_EINVALID, "--hub-key '%s': the file holds no ssh-ed25519 "
				  "public key", arg);
	fs_buf_dispose(&text);
	return rc;
}
