/*
 * file.h - whole-file reads with a size cap, durable writes
 */
#ifndef FS_FILE_H
#define FS_FILE_H

#include <stddef.h>
#include <sys/types.h>

#include "util/buf.h"

/*
 * Read all of `path` ("-" is standard input) into `out`. More than `max`
 * bytes is FS_ETOOBIG, a missing file FS_ENOTFOUND; `what` names the input
 * in messages ("record file 'x.json'").
 */
int fs_file_read(fs_buf *out, const char *path, size_t max, const char *what);

/*
 * Write `data` to `path` so that after a crash the file holds either the old
 * contents or the new ones: a temporary file in the same folder, fsync,
 * rename, fsync of the folder. The file gets `mode`.
 */
int fs_file_write_atomic(const char *path, const void *data, size_t len, mode_t mode);

/*
 * The same for a file that must not exist yet (a backup never replaces an
 * older one): it appears whole or not at all. FS_EEXISTS if it exists.
 */
int fs_file_write_new(const char *path, const void *data, size_t len, mode_t mode);

/* fsync the folder that holds `path`, so that a rename or create in it lasts. */
int fs_file_sync_dir(const char *path);

/* Create a folder and its parents (mode for the ones created). EEXIST is fine. */
int fs_file_mkdir_p(const char *path, mode_t mode);

/* Is there a file or folder at `path`? */
int fs_file_exists(const char *path);

/*
 * Remove `path` and everything below it, never following a symbolic link;
 * 0 also when it is not there. For folders fieldsync made itself (an init
 * cut short, a hub's quarantine).
 */
int fs_file_remove_tree(const char *path);

/*
 * Remove the entries of folder `dir` for which `match(name, arg)` is true,
 * folders with all they hold (fs_file_remove_tree). Returns how many.
 */
int fs_file_remove_matching(const char *dir, int (*match)(const char *name, const void *arg),
			    const void *arg);

/*
 * Remove the temporary files that fs_file_write_atomic and fs_file_write_new
 * left in folder `dir` when their process was killed: "NAME.tmp.PID" whose
 * PID runs no more (a live one may be writing it). Returns how many.
 */
int fs_file_clear_dead_tmp(const char *dir);

#endif
