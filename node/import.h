/*
 * import.h - many records from one NDJSON file
 *
 * The whole file is checked before anything is written: one bad line and
 * nothing is imported, and the message lists the bad lines by number. Then
 * records are committed in batches (one signed commit and one pack per
 * batch). Each batch commit names the file's BLAKE2b hash and its line
 * range in a trailer ("Fieldsync-Import: <hash> 1-1000"), so running the
 * same import again after a crash or a power cut skips what already landed.
 */
#ifndef FS_IMPORT_H
#define FS_IMPORT_H

#include <stddef.h>

#include "node/node.h"
#include "node/record.h"

#define FS_IMPORT_BATCH_DEFAULT 1000
#define FS_IMPORT_BATCH_MAX 10000

typedef struct {
	size_t batch; /* records per commit; 0: fieldsync.importBatch or the default */
	/* called after each batch, and once before the first with done = 0 */
	void (*progress)(size_t done, size_t total, void *payload);
	void *payload;
} fs_import_options;

typedef struct {
	size_t total;    /* records in the file */
	size_t imported; /* written by this run */
	size_t skipped;  /* written by an earlier run of the same file */
	size_t commits;  /* made by this run */
} fs_import_stats;

/*
 * Import the records in `path` ("-" reads standard input) as records of
 * `kind`. The node must be open for writing. FS_EINVALID when any line is
 * bad (nothing written); FS_EUNCHANGED when everything was imported before.
 */
int fs_import(fs_node *node, fs_kind kind, const char *path, const fs_import_options *opts,
	      fs_import_stats *stats);

/*
 * The same from `len` bytes of NDJSON in memory (never written to disk: a
 * form export's personal columns are in them before sealing). `name` names
 * it in messages; line i+1 of `data` came from line `source[i]` of the
 * user's file (NULL: no such mapping), which is what messages give.
 */
int fs_import_buffer(fs_node *node, fs_kind kind, const char *data, size_t len,
		     const char *name, const size_t *source, size_t nsource,
		     const fs_import_options *opts, fs_import_stats *stats);

#endif
