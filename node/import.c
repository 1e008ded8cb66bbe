#include "node/import.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "util/alloc.h"
#include "util/error.h"
#include "util/json.h"
#include "util/i18n.h"

#define TRAILER "Fieldsync-Import: "
#define HASH_BYTES 32
#define MAX_REPORTED 10 /* bad lines described in full; the rest are counted */

/* ---- reading lines without a limit on the file, with one on each line ---- */

typedef struct {
	FILE *f;
	char chunk[65536];
	size_t pos, end;
	fs_buf line;
	size_t lineno;
	int too_long;
	crypto_generichash_state *hash; /* fed every byte read, when set */
	FILE *spool;                    /* copy of every byte read, when set */
	const size_t *source;           /* line i+1 came from line source[i] of the user's file */
	size_t nsource;
} reader;

/* The line number the user knows: of their file, not of the records made from it. */
static size_t user_line(const reader *r)
{
	return r->source && r->lineno <= r->nsource ? r->source[r->lineno - 1] : r->lineno;
}

static int fill(reader *r)
{
	size_t n = fread(r->chunk, 1, sizeof(r->chunk), r->f);

	if (n == 0)
		return ferror(r->f) ? fs_error_os("cannot read the import file") : 0;
	if (r->hash)
		crypto_generichash_update(r->hash, (unsigned char *)r->chunk, n);
	if (r->spool && fwrite(r->chunk, 1, n, r->spool) != n)
		return fs_error_os("cannot write the import spool file");
	r->pos = 0;
	r->end = n;
	return 1;
}

/* 1: a line is in r->line (without its newline); 0: end of file; <0: error. */
static int next_line(reader *r)
{
	int got = 0;

	fs_buf_clear(&r->line);
	r->too_long = 0;
	for (;;) {
		char *nl;
		size_t take;
		if (r->pos == r->end) {
			int rc = fill(r);
			if (rc < 0)
				return rc;
			if (rc == 0)
				break;
		}
		got = 1;
		nl = memchr(r->chunk + r->pos, '\n', r->end - r->pos);
		take = nl ? (size_t)(nl - (r->chunk + r->pos)) : r->end - r->pos;
		if (!r->too_long && r->line.size + take > FS_RECORD_MAX_BYTES)
			r->too_long = 1;
		if (!r->too_long && fs_buf_put(&r->line, r->chunk + r->pos, take) < 0)
			return FS_ENOMEM;
		r->pos += take;
		if (nl) {
			r->pos++;
			break;
		}
	}
	if (!got)
		return 0;
	r->lineno++;
	if (r->line.size && r->line.ptr[r->line.size - 1] == '\r')
		r->line.ptr[--r->line.size] = '\0';
	return 1;
}

static int blank(const fs_buf *b)
{
	for (size_t i = 0; i < b->size; i++)
		if (b->ptr[i] != ' ' && b->ptr[i] != '\t')
			return 0;
	return 1;
}

/* ---- what an earlier run of the same file already committed ------------ */

typedef struct {
	size_t (*v)[2];
	size_t n, cap;
} ranges;

static int in_ranges(const ranges *r, size_t line)
{
	for (size_t i = 0; i < r->n; i++)
		if (line >= r->v[i][0] && line <= r->v[i][1])
			return 1;
	return 0;
}

static int find_done(ranges *out, const fs_node *node, const char *hash)
{
	git_commit *c = NULL, *parent;
	char needle[128];
	int rc;

	snprintf(needle, sizeof(needle), TRAILER "%s ", hash);
	rc = fs_node_head(&c, node);
	if (rc == FS_ENOTFOUND)
		return 0;
	if (rc < 0)
		return rc;
	while (c) {
		const char *msg = git_commit_message(c), *p = msg ? strstr(msg, needle) : NULL;
		size_t a, b;
		if (p && sscanf(p + strlen(needle), "%zu-%zu", &a, &b) == 2) {
			if (out->n == out->cap) {
				size_t cap = out->cap ? out->cap * 2 : 16;
				void *v = fs_realloc(out->v, cap * sizeof(*out->v));
				if (!v) {
					rc = fs_error_set(FS_ENOMEM, "out of memory");
					break;
				}
				out->v = v;
				out->cap = cap;
			}
			out->v[out->n][0] = a;
			out->v[out->n][1] = b;
			out->n++;
		}
		parent = NULL;
		if (git_commit_parentcount(c) > 0 && (rc = git_commit_parent(&parent, c, 0)) < 0) {
			rc = fs_error_git(rc, "cannot read the history");
			break;
		}
		git_commit_free(c);
		c = parent;
	}
	git_commit_free(c);
	return rc < 0 ? rc : 0;
}

/* ---- one batch, one commit ---------------------------------------------- */

typedef struct {
	git_tree_update *upd;
	char **paths;
	size_t n, cap;
	size_t first_line, last_line;
} batch;

static void batch_clear(batch *b)
{
	for (size_t i = 0; i < b->n; i++)
		fs_free(b->paths[i]);
	b->n = 0;
}

static int batch_add(batch *b, fs_node *node, fs_kind kind, const cJSON *rec, size_t line)
{
	fs_buf data = FS_BUF_INIT, path = FS_BUF_INIT;
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(rec, "id");
	git_tree_update *u = &b->upd[b->n];
	int rc;

	memset(u, 0, sizeof(*u));
	if ((rc = fs_json_canonical(&data, rec)) < 0 ||
	    (rc = fs_record_path(&path, fs_node_city(node), kind, id->valuestring)) < 0 ||
	    (rc = fs_node_write_blob(node, &u->id, data.ptr, data.size)) < 0)
		goto done;
	u->action = GIT_TREE_UPDATE_UPSERT;
	u->filemode = GIT_FILEMODE_BLOB;
	b->paths[b->n] = fs_buf_detach(&path);
	u->path = b->paths[b->n];
	if (!b->n)
		b->first_line = line;
	b->last_line = line;
	b->n++;
done:
	fs_buf_dispose(&data);
	fs_buf_dispose(&path);
	return rc;
}

static int batch_commit(batch *b, fs_node *node, fs_kind kind, const char *hash, size_t total,
			const fs_import_options *opts, fs_import_stats *st)
{
	fs_buf msg = FS_BUF_INIT;
	size_t n = b->n;
	int rc;

	fs_buf_printf(&msg, "import %s: %zu record%s (lines %zu-%zu)\n\n" TRAILER "%s %zu-%zu\n",
		      fs_kind_name(kind), n, n == 1 ? "" : "s", b->first_line, b->last_line, hash,
		      b->first_line, b->last_line);
	if ((rc = fs_buf_check(&msg)) == 0)
		rc = fs_node_commit(node, b->upd, n, msg.ptr, NULL);
	fs_buf_dispose(&msg);
	batch_clear(b);
	if (rc < 0)
		return rc;
	st->imported += n;
	st->commits++;
	if (opts && opts->progress)
		opts->progress(st->imported + st->skipped, total, opts->payload);
	return 0;
}

/* ---- the two passes ---------------------------------------------------- */

static int check_all(reader *r, fs_node *node, fs_kind kind, size_t *total)
{
	fs_buf report = FS_BUF_INIT;
	size_t bad = 0;
	char what[64];
	int rc;

	*total = 0;
	while ((rc = next_line(r)) > 0) {
		cJSON *rec = NULL;
		if (!r->too_long && blank(&r->line))
			continue;
		(*total)++;
		snprintf(what, sizeof(what), "line %zu", user_line(r));
		if (r->too_long)
			rc = fs_error_set(FS_ETOOBIG, "%s: over the limit of %d bytes (1 MiB)", what,
					  FS_RECORD_MAX_BYTES);
		else
			rc = fs_record_prepare(&rec, node, kind, r->line.ptr, r->line.size, NULL, what);
		cJSON_Delete(rec);
		/* the system failed, not the line */
		if (rc == FS_ENOMEM || rc == FS_EIO || rc == FS_ERROR)
			goto done;
		if (rc < 0 && ++bad <= MAX_REPORTED)
			fs_buf_printf(&report, "%s\n", fs_error_last()->message);
	}
	if (rc < 0)
		goto done;
	if (bad) {
		if (bad > MAX_REPORTED)
			fs_buf_printf(&report, P_("... and %zu more bad line\n",
						  "... and %zu more bad lines\n", bad - MAX_REPORTED),
				      bad - MAX_REPORTED);
		fs_buf_printf(&report, P_("%zu of %zu record is bad; nothing was imported",
					  "%zu of %zu records are bad; nothing was imported", *total),
			      bad, *total);
		rc = fs_error_set(FS_EINVALID, "%s", fs_buf_cstr(&report));
	}
done:
	fs_buf_dispose(&report);
	return rc;
}

static int write_all(reader *r, fs_node *node, fs_kind kind, const char *hash,
		     const ranges *done_ranges, size_t batch_size, size_t total,
		     const fs_import_options *opts, fs_import_stats *st)
{
	batch b = { 0 };
	char what[64];
	int rc;

	b.upd = fs_calloc(batch_size, sizeof(*b.upd));
	b.paths = fs_calloc(batch_size, sizeof(*b.paths));
	if (!b.upd || !b.paths) {
		rc = fs_error_set(FS_ENOMEM, "out of memory");
		goto done;
	}
	while ((rc = next_line(r)) > 0) {
		cJSON *rec = NULL;
		if (blank(&r->line))
			continue;
		if (in_ranges(done_ranges, r->lineno)) {
			st->skipped++;
			continue;
		}
		snprintf(what, sizeof(what), "line %zu", user_line(r));
		/* checked in the first pass; prepared again for its id and times */
		if ((rc = fs_record_prepare(&rec, node, kind, r->line.ptr, r->line.size, NULL, what)) < 0)
			goto done;
		rc = batch_add(&b, node, kind, rec, r->lineno);
		cJSON_Delete(rec);
		if (rc < 0)
			goto done;
		if (b.n == batch_size && (rc = batch_commit(&b, node, kind, hash, total, opts, st)) < 0)
			goto done;
	}
	if (rc < 0)
		goto done;
	if (b.n)
		rc = batch_commit(&b, node, kind, hash, total, opts, st);
done:
	if (rc < 0)
		fs_node_discard(node);
	batch_clear(&b);
	fs_free(b.upd);
	fs_free(b.paths);
	return rc;
}

/*
 * Import from `f` (`path` names it in messages; "-": standard input, read
 * once, so spooled for the second pass). `source`: see fs_import_buffer.
 */
static int import_file(fs_node *node, fs_kind kind, FILE *f, const char *path,
		       const size_t *source, size_t nsource, const fs_import_options *opts,
		       fs_import_stats *stats)
{
	fs_import_stats st = { 0, 0, 0, 0 };
	crypto_generichash_state hs;
	unsigned char digest[HASH_BYTES];
	char hash[HASH_BYTES * 2 + 1], spool_path[4200];
	reader r;
	ranges done_ranges = { NULL, 0, 0 };
	size_t batch_size;
	int from_stdin = strcmp(path, "-") == 0, rc;

	memset(&r, 0, sizeof(r));
	spool_path[0] = '\0';
	batch_size = opts && opts->batch ? opts->batch
		     : (size_t)fs_node_config_int(node, "importBatch", FS_IMPORT_BATCH_DEFAULT);
	if (batch_size < 1 || batch_size > FS_IMPORT_BATCH_MAX) {
		rc = fs_error_set(FS_EUSAGE, "import batch size %zu: expected 1 to %d", batch_size,
				  FS_IMPORT_BATCH_MAX);
		goto done;
	}
	r.f = f;
	r.source = source;
	r.nsource = nsource;
	if (from_stdin) {
		/* standard input can be read once: keep a copy for the second pass */
		snprintf(spool_path, sizeof(spool_path), "%s/.fieldsync/import-%ld.tmp",
			 fs_node_dir(node), (long)getpid());
		if (!(r.spool = fopen(spool_path, "w+b"))) {
			rc = fs_error_os("cannot create '%s'", spool_path);
			goto done;
		}
	}
	crypto_generichash_init(&hs, NULL, 0, HASH_BYTES);
	r.hash = &hs;
	if (opts && opts->progress)
		opts->progress(0, 0, opts->payload);
	if ((rc = check_all(&r, node, kind, &st.total)) < 0)
		goto done;
	crypto_generichash_final(&hs, digest, sizeof(digest));
	sodium_bin2hex(hash, sizeof(hash), digest, sizeof(digest));
	if (st.total == 0) {
		rc = fs_error_set(FS_EUNCHANGED, "import file '%s': no records", path);
		goto done;
	}
	if ((rc = find_done(&done_ranges, node, hash)) < 0)
		goto done;

	/* second pass */
	r.hash = NULL;
	if (r.spool) {
		if (fflush(r.spool) != 0) {
			rc = fs_error_os("cannot write '%s'", spool_path);
			goto done;
		}
		r.f = r.spool;
		r.spool = NULL;
	}
	rewind(r.f);
	r.pos = r.end = 0;
	r.lineno = 0;
	rc = write_all(&r, node, kind, hash, &done_ranges, batch_size, st.total, opts, &st);
	if (rc == 0 && st.imported == 0)
		rc = fs_error_set(FS_EUNCHANGED, "import file '%s': all %zu records were imported "
				  "before", path, st.total);
done:
	if (stats)
		*stats = st;
	if (r.f && r.f != stdin && r.f != f)
		fclose(r.f); /* the spool */
	if (r.spool)
		fclose(r.spool);
	if (spool_path[0])
		unlink(spool_path);
	fs_buf_dispose(&r.line);
	fs_free(done_ranges.v);
	return rc;
}

int fs_import(fs_node *node, fs_kind kind, const char *path, const fs_import_options *opts,
	      fs_import_stats *stats)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	int rc;

	if (!f) {
		if (stats)
			memset(stats, 0, sizeof(*stats));
		return errno == ENOENT ? fs_error_set(FS_ENOTFOUND, "import file '%s': no such file",
						      path)
				       : fs_error_os("import file '%s'", path);
	}
	rc = import_file(node, kind, f, path, NULL, 0, opts, stats);
	if (f != stdin)
		fclose(f);
	return rc;
}

int fs_import_buffer(fs_node *node, fs_kind kind, const char *data, size_t len,
		     const char *name, const size_t *source, size_t nsource,
		     const fs_import_options *opts, fs_import_stats *stats)
{
	FILE *f;
	int rc;

	if (len == 0) {
		if (stats)
			memset(stats, 0, sizeof(*stats));
		return fs_error_set(FS_EUNCHANGED, "import of '%s': no records", name);
	}
	/* read in place: what a form export holds never goes to a spool file */
	if (!(f = fmemopen((void *)data, len, "rb"))) {
		if (stats)
			memset(stats, 0, sizeof(*stats));
		return fs_error_os("import of '%s'", name);
	}
	rc = import_file(node, kind, f, name, source, nsource, opts, stats);
	fclose(f);
	return rc;
}
