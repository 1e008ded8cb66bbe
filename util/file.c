/* nftw() is XSI */
#define _XOPEN_SOURCE 700
#include "util/file.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/error.h"

int fs_file_read(fs_buf *out, const char *path, size_t max, const char *what)
{
	int fd, rc = 0;
	int is_stdin = strcmp(path, "-") == 0;

	fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return fs_error_set(FS_ENOTFOUND, "%s: no such file", what);
		return fs_error_os("%s: cannot open", what);
	}
	for (;;) {
		ssize_t n;
		if (fs_buf_grow(out, 65536) < 0) {
			rc = FS_ENOMEM;
			goto done;
		}
		n = read(fd, out->ptr + out->size, out->asize - out->size - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = fs_error_os("%s: cannot read", what);
			goto done;
		}
		if (n == 0)
			break;
		out->size += (size_t)n;
		out->ptr[out->size] = '\0';
		if (out->size > max) {
			rc = fs_error_set(FS_ETOOBIG, "%s: larger than the limit of %zu bytes", what, max);
			goto done;
		}
	}
done:
	if (!is_stdin)
		close(fd);
	return rc;
}

int fs_file_sync_dir(const char *path)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');
	int fd, rc = 0;

	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return fs_error_os("cannot open folder '%s'", dir);
	if (fsync(fd) < 0)
		rc = fs_error_os("cannot fsync folder '%s'", dir);
	close(fd);
	return rc;
}

static int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Write a temporary file, fsync it, then rename it over `path` or link it as a new `path`. */
static int write_then_place(const char *path, const void *data, size_t len, mode_t mode,
			    int exclusive)
{
	char tmp[4096];
	int fd = -1, rc = 0;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >= sizeof(tmp))
		return fs_error_set(FS_EINVALID, "path too long: '%s'", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return fs_error_os("cannot create '%s'", tmp);
	/* open() applies the umask; the mode must be exact (keys are 0600) */
	if (fchmod(fd, mode) < 0 || write_all(fd, data, len) < 0) {
		rc = fs_error_os("cannot write '%s'", tmp);
		goto done;
	}
	/* a failed fsync may have dropped the data: report it, never retry it */
	if (fsync(fd) < 0) {
		rc = fs_error_os("cannot fsync '%s'", tmp);
		goto done;
	}
	if (close(fd) < 0) {
		fd = -1;
		rc = fs_error_os("cannot close '%s'", tmp);
		goto done;
	}
	fd = -1;
	if (exclusive && link(tmp, path) < 0) {
		rc = errno == EEXIST ? fs_error_set(FS_EEXISTS, "'%s' already exists", path)
				     : fs_error_os("cannot link '%s' to '%s'", tmp, path);
		goto done;
	}
	if (!exclusive && rename(tmp, path) < 0) {
		rc = fs_error_os("cannot rename '%s' to '%s'", tmp, path);
		goto done;
	}
	if (exclusive)
		unlink(tmp);
	return fs_file_sync_dir(path);
done:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return rc;
}

int fs_file_write_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
	return write_then_place(path, data, len, mode, 0);
}

int fs_file_write_new(const char *path, const void *data, size_t len, mode_t mode)
{
	return write_then_place(path, data, len, mode, 1);
}

int fs_file_mkdir_p(const char *path, mode_t mode)
{
	char tmp[4096];
	size_t len = strlen(path);

	if (len == 0 || len >= sizeof(tmp))
		return fs_error_set(FS_EINVALID, "bad folder path '%s'", path);
	memcpy(tmp, path, len + 1);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, mode) < 0 && errno != EEXIST)
			return fs_error_os("cannot create folder '%s'", tmp);
		*p = '/';
	}
	if (mkdir(tmp, mode) < 0 && errno != EEXIST)
		return fs_error_os("cannot create folder '%s'", tmp);
	return 0;
}

int fs_file_exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return (flag == FTW_DP ? rmdir(path) : unlink(path)) < 0 && errno != ENOENT ? -1 : 0;
}

int fs_file_remove_tree(const char *path)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : fs_error_os("cannot remove '%s'", path);
	/* depth first, not across symbolic links or into other file systems */
	if (nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) < 0)
		return fs_error_os("cannot remove '%s'", path);
	return 0;
}

/* The PID in "NAME.tmp.PID", or 0 when `name` is not so made. */
static long tmp_owner(const char *name)
{
	const char *t = strstr(name, ".tmp."), *next;
	char *end;
	long pid;

	if (!t)
		return 0;
	while ((next = strstr(t + 1, ".tmp.")) != NULL)
		t = next;
	t += 5;
	if (*t < '1' || *t > '9')
		return 0;
	pid = strtol(t, &end, 10);
	return *end ? 0 : pid;
}

int fs_file_remove_matching(const char *dir, int (*match)(const char *name, const void *arg),
			    const void *arg)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int removed = 0, rc = 0;

	if (!d)
		return errno == ENOENT ? 0 : fs_error_os("cannot read folder '%s'", dir);
	while ((e = readdir(d)) != NULL) {
		char path[4096];

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
		    !match(e->d_name, arg) ||
		    (size_t)snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= sizeof(path))
			continue;
		if ((rc = fs_file_remove_tree(path)) < 0)
			goto done;
		removed++;
	}
	rc = removed;
done:
	closedir(d);
	return rc;
}

/* "NAME.tmp.PID" whose PID runs no more */
static int owner_is_gone(const char *name, const void *arg)
{
	long pid = tmp_owner(name);

	(void)arg;
	return pid > 0 && (pid_t)pid == pid && kill((pid_t)pid, 0) < 0 && errno == ESRCH;
}

int fs_file_clear_dead_tmp(const char *dir)
{
	return fs_file_remove_matching(dir, owner_is_gone, NULL);
}
