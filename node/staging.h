/*
 * staging.h - new objects held in memory until they go to disk as one pack
 *
 * An object database backend with the highest priority: every object a
 * command writes lands here first. fs_staging_flush() then writes exactly
 * these objects (not what they refer to) as one pack, fsynced by libgit2's
 * indexer, so a commit costs one pack and its index instead of a file per
 * object. libgit2's own mempack cannot serve: its dump packs each commit's
 * whole tree, which makes every commit cost the size of the repository.
 */
#ifndef FS_STAGING_H
#define FS_STAGING_H

#include <git2.h>
#include <git2/sys/odb_backend.h>

typedef struct fs_staging fs_staging;

/* A new, empty staging backend. */
int fs_staging_new(fs_staging **out);

/* The backend to add to an object database (which then owns and frees it). */
git_odb_backend *fs_staging_backend(fs_staging *st);

/* Number of objects waiting. */
size_t fs_staging_count(const fs_staging *st);

/* Write the waiting objects as one pack in `packdir`, then forget them. */
int fs_staging_flush(fs_staging *st, git_repository *repo, const char *packdir);

/* Forget the waiting objects (after a failure). */
void fs_staging_reset(fs_staging *st);

#endif
