/*
 * lock.h - one writer at a time
 *
 * A writer holds an flock() on a lock file for as long as it writes. The
 * kernel drops the lock when the process dies, however it dies, so holding
 * it proves that no other writer is alive: any git "*.lock" file found then
 * is debris of a crash and can be removed (libgit2 would answer GIT_ELOCKED
 * forever otherwise).
 */
#ifndef FS_LOCK_H
#define FS_LOCK_H

typedef struct fs_lock fs_lock;

/*
 * Take the lock at `path`, waiting up to `timeout_ms` for another writer to
 * finish (0: do not wait). FS_ELOCKED if it stays busy.
 */
int fs_lock_acquire(fs_lock **out, const char *path, int timeout_ms);

/* Release (and free). Accepts NULL. */
void fs_lock_release(fs_lock *lock);

/*
 * With the lock held: remove the "*.lock" files that a crashed git writer
 * left in `gitdir` (at its top and under refs/). A lock file younger than
 * `min_age_ms` is waited on until it is that old, and left if it went away
 * or changed meanwhile (0: every lock file is debris). Returns how many it
 * removed, or a negative code.
 */
int fs_lock_clear_stale(const char *gitdir, int min_age_ms);

/* The same for the lock files in folder `dir` and its subfolders `depth` levels down. */
int fs_lock_clear_stale_in(const char *dir, int depth, int min_age_ms);

/*
 * With the lock held: remove what a killed fieldsync writer left in
 * `gitdir`'s objects, a temporary pack (objects/pack/tmp_fieldsync_*) or a
 * hub's quarantine (objects/incoming-*). Only lock holders make those, so
 * they are debris whatever their age; git's own temporaries are git's.
 * Returns how many it removed, or a negative code.
 */
int fs_lock_clear_debris(const char *gitdir);

/* On a hub, where git receive-pack moves refs without our lock: no ref lock lives this long. */
#define FS_HUB_STALE_LOCK_MS 2000

#endif
