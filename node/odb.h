/*
 * odb.h - whether the object database holds an object
 *
 * libgit2 1.5's git_odb_exists answers 1 or 0 and nothing else: when an
 * allocation fails under it (the path of a loose object, the list of packs
 * read again) it answers 0. Code that acts on "not there" (a bundle called
 * incomplete, a receipted commit called dropped, a push refused) would act
 * on a lack of memory. fs_odb_has tells the two apart.
 */
#ifndef FS_ODB_H
#define FS_ODB_H

#include <git2.h>

/* 1 when `odb` holds `id`, 0 when it does not, FS_ENOMEM when it could not tell. */
int fs_odb_has(git_odb *odb, const git_oid *id);

#endif
