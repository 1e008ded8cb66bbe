/* fieldsync hub serve: the hub over git's smart HTTP (lighttpd + git http-backend) */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "util/embed.h"
#include "util/error.h"
#include "util/file.h"

extern const fs_embedded_file fs_serve_files[];

static const char help[] = N_(
	"Serves the hub over git's smart HTTP: starts lighttpd (Debian's package)\n"
	"in front of stock 'git http-backend', with the configuration the project\n"
	"ships (serve/lighttpd.conf, written to HUB/fieldsync/lighttpd.conf). Cities\n"
	"add the printed URL with 'fieldsync remote add'. Every push runs the hub's\n"
	"pre-receive hook. The server runs in the background; --stop stops it.\n"
	"\n"
	"options:\n"
	"  --listen ADDR:PORT   where to listen (default 127.0.0.1:8418; 0.0.0.0:PORT\n"
	"                       for every interface)\n"
	"  --stop               stop the server of this hub\n"
	"  --json               print {\"url\", \"pid\"}\n");

#define LIGHTTPD "/usr/sbin/lighttpd"

/* Replace each @KEY@ of the template. */
static int render(fs_buf *out, const char *tpl, const char *const *kv)
{
	for (const char *p = tpl; *p;) {
		const char *at = strchr(p, '@'), *end;
		size_t i;
		if (!at) {
			fs_buf_puts(out, p);
			break;
		}
		fs_buf_put(out, p, (size_t)(at - p));
		end = strchr(at + 1, '@');
		for (i = 0; end && kv[i]; i += 2)
			if (strlen(kv[i]) == (size_t)(end - at - 1) && !strncmp(kv[i], at + 1, (size_t)(end - at - 1)))
				break;
		if (!end || !kv[i]) {
			fs_buf_putc(out, '@');
			p = at + 1;
			continue;
		}
		fs_buf_puts(out, kv[i + 1]);
		p = end + 1;
	}
	return fs_buf_check(out);
}

/*
 * Whether process `pid` is the lighttpd `start` ran: its command line is
 * the one it was given. A pid file outlives its server (a crash, a power
 * cut), and the kernel gives its pid to some other process: that one is
 * neither "a server running already" nor to be stopped.
 */
static int ours(int pid, const char *conf)
{
	char at[64], want[4200], got[sizeof(want)];
	int len = snprintf(want, sizeof(want), "lighttpd%c-f%c%s", 0, 0, conf);
	ssize_t n = -1;
	int fd;

	if (len < 0 || (size_t)len + 1 >= sizeof(want))
		return 0;
	snprintf(at, sizeof(at), "/proc/%d/cmdline", pid);
	if ((fd = open(at, O_RDONLY | O_CLOEXEC)) >= 0) {
		n = read(fd, got, sizeof(got));
		close(fd);
	}
	return n == len + 1 && memcmp(got, want, (size_t)n) == 0;
}

static int read_pid(const char *private_dir)
{
	fs_buf path = FS_BUF_INIT, text = FS_BUF_INIT, conf = FS_BUF_INIT;
	int pid = 0;

	fs_buf_printf(&path, "%s/lighttpd.pid", private_dir);
	fs_buf_printf(&conf, "%s/lighttpd.conf", private_dir);
	if (fs_buf_check(&path) == 0 && fs_buf_check(&conf) == 0 && fs_file_exists(path.ptr) &&
	    fs_file_read(&text, path.ptr, 64, _("pid file")) == 0)
		pid = atoi(text.ptr);
	fs_error_clear();
	if (pid > 1 && !ours(pid, conf.ptr))
		pid = 0;
	fs_buf_dispose(&path);
	fs_buf_dispose(&text);
	fs_buf_dispose(&conf);
	return pid;
}

static int stop(const char *private_dir)
{
	int pid = read_pid(private_dir);

	if (!pid)
		return fs_error_set(FS_ENOTFOUND, "hub: no server is running");
	kill(pid, SIGTERM);
	for (int i = 0; i < 100 && kill(pid, 0) == 0; i++) {
		struct timespec ts = { 0, 50 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	if (kill(pid, 0) == 0)
		return fs_error_set(FS_ERROR, "hub: the server (pid %d) does not stop", pid);
	return 0;
}

static int start(const char *hubdir, const char *private_dir, const char *listen, int *pid_out)
{
	char addr[256], port[16], root[4096], www[4200];
	const char *colon = strrchr(listen, ':'), *base = strrchr(hubdir, '/');
	const char *kv[14];
	fs_buf conf = FS_BUF_INIT, path = FS_BUF_INIT;
	int rc, status;
	pid_t child;

	if (!colon || colon == listen || (size_t)(colon - listen) >= sizeof(addr) ||
	    strspn(colon + 1, "0123456789") != strlen(colon + 1) || !colon[1] ||
	    atoi(colon + 1) < 1 || atoi(colon + 1) > 65535)
		return fs_error_set(FS_EUSAGE, "--listen '%s': expected ADDRESS:PORT", listen);
	if (access(LIGHTTPD, X_OK) < 0)
		return fs_error_set(FS_ENOTFOUND, "hub serve: %s is missing (apt-get install "
				    "lighttpd, or run scripts/install-deps)", LIGHTTPD);
	if (read_pid(private_dir))
		return fs_error_set(FS_EEXISTS, "hub serve: a server of this hub is running already "
				    "(fieldsync hub serve --stop)");
	snprintf(addr, sizeof(addr), "%.*s", (int)(colon - listen), listen);
	snprintf(port, sizeof(port), "%s", colon + 1);
	snprintf(root, sizeof(root), "%.*s", base ? (int)(base - hubdir) : 1, base ? hubdir : "/");
	snprintf(www, sizeof(www), "%s/www", private_dir);
	if ((rc = fs_file_mkdir_p(www, 0755)) < 0)
		return rc;
	kv[0] = "ADDRESS"; kv[1] = addr;
	kv[2] = "PORT"; kv[3] = port;
	kv[4] = "PRIVATE"; kv[5] = private_dir;
	kv[6] = "ROOT"; kv[7] = root;
	/* lighttpd drops root for this user; as anyone else it runs as that user */
	kv[8] = "USER"; kv[9] = "";
	kv[10] = NULL;
	if ((rc = render(&conf, fs_serve_files[0].data, kv)) < 0)
		goto done;
	fs_buf_printf(&path, "%s/lighttpd.conf", private_dir);
	if ((rc = fs_buf_check(&path)) < 0 ||
	    (rc = fs_file_write_atomic(path.ptr, conf.ptr, conf.size, 0644)) < 0)
		goto done;
	fflush(NULL);
	/* lighttpd forks into the background once it listens; its exit status says whether it could */
	if ((child = fork()) < 0) {
		rc = fs_error_os("cannot start lighttpd");
		goto done;
	}
	if (child == 0) {
		execl(LIGHTTPD, "lighttpd", "-f", path.ptr, (char *)NULL);
		_exit(127);
	}
	if (waitpid(child, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		rc = fs_error_set(FS_ERROR, "hub serve: lighttpd did not start (see %s/lighttpd-error.log; "
				  "is port %s taken?)", private_dir, port);
		goto done;
	}
	for (int i = 0; i < 100 && !(*pid_out = read_pid(private_dir)); i++) {
		struct timespec ts = { 0, 20 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
done:
	fs_buf_dispose(&conf);
	fs_buf_dispose(&path);
	return rc;
}

static int run(const cli_command *cmd, int argc, char **argv, const cli_context *ctx)
{
	int json = 0, do_stop = 0, nargs, rc, pid = 0;
	const char *listen = "127.0.0.1:8418";
	const cli_option opts[] = { { "json", 0, NULL, &json }, { "stop", 0, NULL, &do_stop },
				    { "listen", 0, &listen, NULL }, { NULL, 0, NULL, NULL } };
	fs_node *hub = NULL;
	fs_buf url = FS_BUF_INIT;
	const char *base;

	if ((rc = cli_parse(cmd, argc, argv, opts, &nargs)) != 0)
		return rc == CLI_HELP ? 0 : rc;
	if (nargs)
		return cli_usage_error(cmd, "hub serve: no arguments (the hub is -C HUB)");
	if ((rc = cli_open_hub(&hub, ctx, FS_NODE_READ)) < 0)
		goto done;
	if (do_stop) {
		if ((rc = stop(fs_node_private_dir(hub))) == 0 && !json)
			printf(_("stopped the server of hub '%s'\n"), fs_node_name(hub));
		goto done;
	}
	if ((rc = start(fs_node_dir(hub), fs_node_private_dir(hub), listen, &pid)) < 0)
		goto done;
	base = strrchr(fs_node_dir(hub), '/');
	fs_buf_printf(&url, "http://%s/git/%s", listen, base ? base + 1 : fs_node_dir(hub));
	if ((rc = fs_buf_check(&url)) < 0)
		goto done;
	if (json) {
		cli_json j = CLI_JSON_INIT;
		cJSON *o = cli_json_object(&j);
		cli_json_str(&j, o, "url", url.ptr);
		cli_json_num(&j, o, "pid", pid);
		rc = cli_json_print(&j);
	} else {
		printf(_("serving hub '%s' at %s (pid %d)\n"), fs_node_name(hub), url.ptr, pid);
	}
done:
	fs_buf_dispose(&url);
	fs_node_free(hub);
	if (rc == FS_EUSAGE)
		return cli_usage_error(cmd, "%s", fs_error_last()->message);
	return rc < 0 ? cli_fail(rc, json) : 0;
}

const cli_command cli_cmd_hub_serve = {
	"hub serve", run, "hub serve [--listen ADDR:PORT] [--stop] [--json]",
	N_("Serve the hub over HTTP (lighttpd + git http-backend)."), help
};
