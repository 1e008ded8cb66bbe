#include "node/packfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "node/packidx.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/file.h"
#include "util/sha1.h"

static void be32(fs_buf *b, uint32_t v)
{
	unsigned char p[4] = { (unsigned char)(v >> 24), (unsigned char)(v >> 16),
			       (unsigned char)(v >> 8), (unsigned char)v };
	fs_buf_put(b, p, 4);
}

static int type_code(git_object_t t)
{
	switch (t) {
	case GIT_OBJECT_COMMIT: return 1;
	case GIT_OBJECT_TREE: return 2;
	case GIT_OBJECT_BLOB: return 3;
	case GIT_OBJECT_TAG: return 4;
	default: return -1;
	}
}

/*
 * One pack entry: the type-and-size header, then the deflated object. One
 * z_stream serves the whole pack (deflateReset between objects): compress2()
 * would set up and tear down 256 KiB of zlib state for every small record.
 */
static int put_entry(fs_buf *pack, z_stream *z, const fs_pack_object *o, uint32_t *crc)
{
	unsigned char hdr[16];
	size_t n = 0, size = o->len, start = pack->size;
	uLongf bound = compressBound((uLong)o->len);
	int code = type_code(o->type);

	if (code < 0)
		return fs_error_set(FS_EINVALID, "object %s: cannot pack this type", git_oid_tostr_s(&o->id));
	hdr[n] = (unsigned char)(code << 4 | (size & 0x0f));
	size >>= 4;
	while (size) {
		hdr[n++] |= 0x80;
		hdr[n] = size & 0x7f;
		size >>= 7;
	}
	n++;
	fs_buf_put(pack, hdr, n);
	if (fs_buf_grow(pack, bound) < 0)
		return FS_ENOMEM;
	z->next_in = (Bytef *)o->data;
	z->avail_in = (uInt)o->len;
	z->next_out = (Bytef *)pack->ptr + pack->size;
	z->avail_out = (uInt)bound;
	if (deflateReset(z) != Z_OK || deflate(z, Z_FINISH) != Z_STREAM_END)
		return fs_error_set(FS_ENOMEM, "cannot compress object %s", git_oid_tostr_s(&o->id));
	pack->size += bound - z->avail_out;
	*crc = (uint32_t)crc32(0, (const Bytef *)pack->ptr + start, (uInt)(pack->size - start));
	return 0;
}

static int write_all_fd(int fd, const void *data, size_t len, const char *path)
{
	const char *p = data;

	while (len) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return fs_error_os("cannot write '%s'", path);
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/* fsync (a failure may have lost data: fail, never retry), make read-only, close. */
static int close_synced(int fd, const char *path)
{
	int rc = 0;

	if (fsync(fd) < 0)
		rc = fs_error_os("cannot fsync '%s'", path);
	if (rc == 0 && fchmod(fd, 0444) < 0)
		rc = fs_error_os("cannot chmod '%s'", path);
	if (close(fd) < 0 && rc == 0)
		rc = fs_error_os("cannot close '%s'", path);
	return rc;
}

static int open_tmp(char *path, const char *dir)
{
	int fd;

	sprintf(path, "%s/tmp_fieldsync_XXXXXX", dir);
	if ((fd = mkstemp(path)) < 0) {
		path[0] = '\0';
		return fs_error_os("cannot create a file in '%s'", dir);
	}
	return fd;
}

static int write_tmp(char *path, const char *dir, const fs_buf *data)
{
	int fd, rc;

	if ((fd = open_tmp(path, dir)) < 0)
		return fd;
	if ((rc = write_all_fd(fd, data->ptr, data->size, path)) < 0) {
		close(fd);
	} else if ((rc = close_synced(fd, path)) == 0) {
		return 0;
	}
	unlink(path);
	path[0] = '\0';
	return rc;
}

typedef struct {
	git_oid id;
	uint32_t crc;
	uint64_t offset;
} entry;

static int by_entry_id(const void *a, const void *b)
{
	return git_oid_cmp(&((const entry *)a)->id, &((const entry *)b)->id);
}

/*
 * Both files are written and fsynced: rename them into place, the pack first
 * (git readers only see a pack through its index), then fsync the folder.
 */
static int place(const char *packdir, char *tmp_pack, char *tmp_idx,
		 const unsigned char sum[FS_SHA1_BYTES], char *name)
{
	char hex[2 * FS_SHA1_BYTES + 1], final_path[4300];

	for (size_t i = 0; i < FS_SHA1_BYTES; i++)
		sprintf(hex + 2 * i, "%02x", sum[i]);
	snprintf(final_path, sizeof(final_path), "%s/pack-%s.pack", packdir, hex);
	if (rename(tmp_pack, final_path) < 0)
		return fs_error_os("cannot rename '%s' to '%s'", tmp_pack, final_path);
	tmp_pack[0] = '\0';
	snprintf(final_path, sizeof(final_path), "%s/pack-%s.idx", packdir, hex);
	if (rename(tmp_idx, final_path) < 0)
		return fs_error_os("cannot rename '%s' to '%s'", tmp_idx, final_path);
	tmp_idx[0] = '\0';
	sprintf(name, "pack-%s", hex);
	return fs_file_sync_dir(final_path);
}

/*
 * The pack is written (tmp_pack, fsynced) and `sum` is its checksum: write
 * the index of entries `e`, then place both.
 */
static int install(const char *packdir, char *tmp_pack, const unsigned char sum[FS_SHA1_BYTES],
		   entry *e, size_t n, char *name)
{
	fs_buf idx = FS_BUF_INIT;
	unsigned char isum[FS_SHA1_BYTES];
	char tmp_idx[4200];
	size_t big = 0;
	fs_sha1 h;
	int rc = 0;

	tmp_idx[0] = '\0';
	qsort(e, n, sizeof(*e), by_entry_id);
	for (size_t i = 1; i < n; i++)
		if (git_oid_equal(&e[i - 1].id, &e[i].id)) {
			rc = fs_error_set(FS_EEXISTS, "object %s twice in one pack",
					  git_oid_tostr_s(&e[i].id));
			goto done;
		}
	/* the index: fan-out, ids, CRCs, offsets (and 64-bit ones past 2 GiB) */
	fs_buf_put(&idx, "\377tOc", 4);
	be32(&idx, 2);
	for (size_t b = 0, i = 0; b < 256; b++) {
		while (i < n && e[i].id.id[0] <= b)
			i++;
		be32(&idx, (uint32_t)i);
	}
	for (size_t i = 0; i < n; i++)
		fs_buf_put(&idx, e[i].id.id, GIT_OID_RAWSZ);
	for (size_t i = 0; i < n; i++)
		be32(&idx, e[i].crc);
	for (size_t i = 0; i < n; i++)
		be32(&idx, e[i].offset < 0x80000000u ? (uint32_t)e[i].offset
						     : (uint32_t)(0x80000000u | big++));
	for (size_t i = 0; i < n; i++)
		if (e[i].offset >= 0x80000000u) {
			be32(&idx, (uint32_t)(e[i].offset >> 32));
			be32(&idx, (uint32_t)e[i].offset);
		}
	fs_buf_put(&idx, sum, FS_SHA1_BYTES);
	fs_sha1_init(&h);
	fs_sha1_update(&h, idx.ptr, idx.size);
	fs_sha1_final(&h, isum);
	fs_buf_put(&idx, isum, sizeof(isum));
	if ((rc = fs_buf_check(&idx)) < 0 || (rc = write_tmp(tmp_idx, packdir, &idx)) < 0)
		goto done;
	rc = place(packdir, tmp_pack, tmp_idx, sum, name);
done:
	if (tmp_idx[0])
		unlink(tmp_idx);
	fs_buf_dispose(&idx);
	return rc;
}

int fs_packfile_write(const char *packdir, fs_pack_object *objs, size_t n, char *name)
{
	fs_buf pack = FS_BUF_INIT;
	unsigned char sum[FS_SHA1_BYTES];
	char tmp_pack[4200];
	entry *e = NULL;
	z_stream z = { 0 };
	fs_sha1 h;
	int rc = 0;

	tmp_pack[0] = '\0';
	if (strlen(packdir) > 4000)
		return fs_error_set(FS_EINVALID, "path too long: '%s'", packdir);
	if (deflateInit(&z, Z_DEFAULT_COMPRESSION) != Z_OK)
		return fs_error_set(FS_ENOMEM, "out of memory");
	if (!(e = fs_calloc(n ? n : 1, sizeof(*e)))) {
		rc = fs_error_set(FS_ENOMEM, "out of memory");
		goto done;
	}
	fs_buf_put(&pack, "PACK", 4);
	be32(&pack, 2);
	be32(&pack, (uint32_t)n);
	for (size_t i = 0; i < n; i++) {
		git_oid_cpy(&e[i].id, &objs[i].id);
		e[i].offset = pack.size;
		if ((rc = put_entry(&pack, &z, &objs[i], &e[i].crc)) < 0)
			goto done;
	}
	fs_sha1_init(&h);
	fs_sha1_update(&h, pack.ptr, pack.size);
	fs_sha1_final(&h, sum);
	fs_buf_put(&pack, sum, sizeof(sum));
	if ((rc = fs_buf_check(&pack)) < 0 || (rc = write_tmp(tmp_pack, packdir, &pack)) < 0)
		goto done;
	rc = install(packdir, tmp_pack, sum, e, n, name);
done:
	if (tmp_pack[0])
		unlink(tmp_pack);
	deflateEnd(&z);
	fs_free(e);
	fs_buf_dispose(&pack);
	return rc;
}


/* Copy bytes [12, size - 20) of a pack to `out`, hashing them on the way. */
static int copy_entries(int out, fs_sha1 *h, const char *packdir, const char *name, uint64_t size)
{
	static unsigned char chunk[1 << 20];
	char path[4300];
	uint64_t at = 12, end = size - 20;
	int fd, rc = 0;

	snprintf(path, sizeof(path), "%s/%s.pack", packdir, name);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return fs_error_os("pack '%s'", path);
	while (at < end) {
		size_t want = end - at < sizeof(chunk) ? (size_t)(end - at) : sizeof(chunk);
		ssize_t got = pread(fd, chunk, want, (off_t)at);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			rc = got < 0 ? fs_error_os("cannot read '%s'", path)
				     : fs_error_set(FS_EINVALID, "pack '%s': shorter than it says", path);
			break;
		}
		fs_sha1_update(h, chunk, (size_t)got);
		if ((rc = write_all_fd(out, chunk, (size_t)got, path)) < 0)
			break;
		at += (uint64_t)got;
	}
	close(fd);
	return rc;
}

/* The new pack: a header counting every entry, each input's entries, the checksum. */
static int concat_pack(int fd, const char *tmp, fs_packidx *x, const char *packdir,
		       const char *const *names, size_t count, unsigned char sum[FS_SHA1_BYTES])
{
	unsigned char hdr[12];
	uint32_t n = fs_packidx_objects(x);
	fs_sha1 h;
	int rc;

	memcpy(hdr, "PACK\0\0\0\2", 8);
	hdr[8] = (unsigned char)(n >> 24);
	hdr[9] = (unsigned char)(n >> 16);
	hdr[10] = (unsigned char)(n >> 8);
	hdr[11] = (unsigned char)n;
	fs_sha1_init(&h);
	fs_sha1_update(&h, hdr, sizeof(hdr));
	if ((rc = write_all_fd(fd, hdr, sizeof(hdr), tmp)) < 0)
		return rc;
	for (size_t i = 0; i < count; i++)
		if ((rc = copy_entries(fd, &h, packdir, names[i], fs_packidx_pack_size(x, i))) < 0)
			return rc;
	fs_sha1_final(&h, sum);
	return write_all_fd(fd, sum, FS_SHA1_BYTES, tmp);
}

int fs_packfile_concat(const char *packdir, const char *const *names, size_t count, char *name,
		       unsigned char *twice)
{
	unsigned char sum[FS_SHA1_BYTES];
	char tmp_pack[4200], tmp_idx[4200];
	fs_packidx *x = NULL;
	int fd = -1, ifd = -1, rc = 0;

	tmp_pack[0] = tmp_idx[0] = '\0';
	if (strlen(packdir) > 4000)
		return fs_error_set(FS_EINVALID, "path too long: '%s'", packdir);
	/* the index first: it finds the objects in two packs before a byte of the pack is copied */
	if ((rc = fs_packidx_open(&x, packdir, names, count)) < 0 ||
	    (ifd = rc = open_tmp(tmp_idx, packdir)) < 0 ||
	    (rc = fs_packidx_write(x, ifd, tmp_idx, twice)) < 0 ||
	    (fd = rc = open_tmp(tmp_pack, packdir)) < 0 ||
	    (rc = concat_pack(fd, tmp_pack, x, packdir, names, count, sum)) < 0 ||
	    (rc = fs_packidx_seal(x, ifd, tmp_idx, sum)) < 0)
		goto done;
	rc = close_synced(fd, tmp_pack);
	fd = -1;
	if (rc == 0)
		rc = close_synced(ifd, tmp_idx);
	ifd = -1;
	if (rc == 0)
		rc = place(packdir, tmp_pack, tmp_idx, sum, name);
done:
	if (fd >= 0)
		close(fd);
	if (ifd >= 0)
		close(ifd);
	if (tmp_pack[0])
		unlink(tmp_pack);
	if (tmp_idx[0])
		unlink(tmp_idx);
	fs_packidx_free(x);
	return rc;
}
