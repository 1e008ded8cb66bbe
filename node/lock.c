#include "node/lock.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/alloc.h"
#include "util/error.h"
#include "util/file.h"

struct fs_lock {
	int fd;
};

int fs_lock_acquire(fs_lock **out, const char *path, int timeout_ms)
{
	fs_lock *lock;
	int fd, waited = 0;

	*out = NULL;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return fs_error_os("lock '%s'", path);
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		struct timespec ts = { 0, 20 * 1000 * 1000 };
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK || waited >= timeout_ms) {
			int e = errno;
			close(fd);
			if (e == EWOULDBLOCK)
				return fs_error_set(FS_ELOCKED,
						    "lock '%s': another fieldsync is writing; try again "
						    "when it has finished", path);
			errno = e;
			return fs_error_os("lock '%s'", path);
		}
		nanosleep(&ts, NULL);
		waited += 20;
	}
	lock = fs_malloc(sizeof(*lock));
	if (!lock) {
		close(fd);
		return fs_error_set(FS_ENOMEM, "out of memory");
	}
	lock->fd = fd;
	*out = lock;
	return 0;
}

void fs_lock_release(fs_lock *lock)
{
	if (!lock)
		return;
	close(lock->fd); /* closing the last descriptor drops the flock */
	fs_free(lock);
}

/*
 * A lock younger than `min_age_ms` may belong to a live writer that does not
 * take our lock (git receive-pack on a hub, which holds a ref lock for
 * milliseconds): wait until it is that old, then judge again.
 */
static int is_stale(const char *path, const struct stat *st, int min_age_ms)
{
	struct timespec now;
	struct stat again;
	long long age_ms;

	if (min_age_ms <= 0)
		return 1;
	clock_gettime(CLOCK_REALTIME, &now);
	age_ms = (long long)(now.tv_sec - st->st_mtim.tv_sec) * 1000 +
		 (now.tv_nsec - st->st_mtim.tv_nsec) / 1000000;
	if (age_ms >= min_age_ms)
		return 1;
	usleep((useconds_t)(min_age_ms - age_ms) * 1000);
	/* gone, or renamed into place and made again: a live writer after all */
	return lstat(path, &again) == 0 && again.st_ino == st->st_ino &&
	       again.st_mtim.tv_sec == st->st_mtim.tv_sec &&
	       again.st_mtim.tv_nsec == st->st_mtim.tv_nsec;
}

static int clear_dir(const char *dir, int depth, int min_age_ms)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int removed = 0;

	if (!d)
		return errno == ENOENT ? 0 : fs_error_os("cannot read folder '%s'", dir);
	while ((e = readdir(d)) != NULL) {
		char path[4096];
		size_t n = strlen(e->d_name);
		struct stat st;

		if (e->d_name[0] == '.' && (n == 1 || (n == 2 && e->d_name[1] == '.')))
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= sizeof(path))
			continue;
		if (lstat(path, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			if (depth > 0) {
				int r = clear_dir(path, depth - 1, min_age_ms);
				if (r < 0) {
					closedir(d);
					return r;
				}
				removed += r;
			}
			continue;
		}
		if (n > 5 && strcmp(e->d_name + n - 5, ".lock") == 0 &&
		    is_stale(path, &st, min_age_ms)) {
			if (unlink(path) < 0 && errno != ENOENT) {
				int rc = fs_error_os("cannot remove stale lock '%s'", path);
				closedir(d);
				return rc;
			}
			removed++;
		}
	}
	closedir(d);
	return removed;
}

int fs_lock_clear_stale_in(const char *dir, int depth, int min_age_ms)
{
	return clear_dir(dir, depth, min_age_ms);
}

int fs_lock_clear_stale(const char *gitdir, int min_age_ms)
{
	char refs[4096];
	int a, b;

	a = fs_lock_clear_stale_in(gitdir, 0, min_age_ms);
	if (a < 0)
		return a;
	snprintf(refs, sizeof(refs), "%s/refs", gitdir);
	b = fs_lock_clear_stale_in(refs, 16, min_age_ms);
	return b < 0 ? b : a + b;
}

static int has_prefix(const char *name, const void *prefix)
{
	return strncmp(name, prefix, strlen(prefix)) == 0;
}

int fs_lock_clear_debris(const char *gitdir)
{
	char dir[4096];
	int a, b;

	snprintf(dir, sizeof(dir), "%s/objects/pack", gitdir);
	a = fs_file_remove_matching(dir, has_prefix, "tmp_fieldsync_");
	if (a < 0)
		return a;
	snprintf(dir, sizeof(dir), "%s/objects", gitdir);
	b = fs_file_remove_matching(dir, has_prefix, "incoming-");
	return b < 0 ? b : a + b;
}
