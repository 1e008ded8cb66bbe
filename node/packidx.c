#include "node/packidx.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/alloc.h"
#include "util/error.h"
#include "util/i18n.h"

#define IN_BUF (16 * 1024)
#define OUT_BUF (64 * 1024)
#define HEAD (8 + 256 * 4) /* magic, version, fan-out */
#define ID 20

/* One section of an input index, read in order through a small buffer. */
typedef struct {
	int fd;
	uint64_t at, end;
	size_t pos, len;
	unsigned char buf[IN_BUF];
} reader;

typedef struct {
	const char *name;
	int fd;
	uint32_t count, left;
	uint64_t pack_size, shift, big_at, idx_size;
	unsigned char id[ID]; /* the entry at the front of the merge */
	reader ids, crcs, offs;
} input;

struct fs_packidx {
	input *in;
	size_t count;
	uint32_t objects;
	uint64_t end; /* where the index written ends, before its checksums */
};

/* One section of the output index, written at its place through a buffer. */
typedef struct {
	int fd;
	const char *path;
	uint64_t at;
	size_t len;
	unsigned char buf[OUT_BUF];
} writer;

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void set32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

/* pread all of [at, at + n), or say why not. */
static int read_at(int fd, void *out, size_t n, uint64_t at, const char *what)
{
	unsigned char *p = out;

	while (n) {
		ssize_t got = pread(fd, p, n, (off_t)at);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return fs_error_os("cannot read %s", what);
		if (got == 0)
			return fs_error_set(FS_EINVALID, "%s: truncated", what);
		p += got;
		n -= (size_t)got;
		at += (uint64_t)got;
	}
	return 0;
}

static int write_at(int fd, const void *data, size_t n, uint64_t at, const char *path)
{
	const unsigned char *p = data;

	while (n) {
		ssize_t w = pwrite(fd, p, n, (off_t)at);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return fs_error_os("cannot write '%s'", path);
		p += w;
		n -= (size_t)w;
		at += (uint64_t)w;
	}
	return 0;
}

static int take(reader *r, unsigned char *out, size_t n, const char *name)
{
	while (n) {
		size_t k;
		if (r->pos == r->len) {
			size_t want = r->end - r->at < IN_BUF ? (size_t)(r->end - r->at) : IN_BUF;
			int rc;
			if (want == 0)
				return fs_error_set(FS_EINVALID, "pack index '%s': truncated", name);
			if ((rc = read_at(r->fd, r->buf, want, r->at, _("a pack index"))) < 0)
				return rc;
			r->at += want;
			r->pos = 0;
			r->len = want;
		}
		k = n < r->len - r->pos ? n : r->len - r->pos;
		memcpy(out, r->buf + r->pos, k);
		r->pos += k;
		out += k;
		n -= k;
	}
	return 0;
}

static int flush(writer *w)
{
	int rc = write_at(w->fd, w->buf, w->len, w->at, w->path);
	w->at += w->len;
	w->len = 0;
	return rc;
}

static int put(writer *w, const unsigned char *p, size_t n)
{
	int rc;

	if (w->len + n > sizeof(w->buf) && (rc = flush(w)) < 0)
		return rc;
	memcpy(w->buf + w->len, p, n);
	w->len += n;
	return 0;
}

/* The pack's size and object count, the index's header; sections set up. */
static int open_input(input *in, const char *packdir, const char *name)
{
	unsigned char hdr[HEAD];
	char path[4300];
	struct stat st;
	uint64_t c;
	int fd, rc;

	in->name = name;
	snprintf(path, sizeof(path), "%s/%s.pack", packdir, name);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return fs_error_os("pack '%s'", path);
	if (fstat(fd, &st) < 0)
		rc = fs_error_os("pack '%s'", path);
	else if ((rc = read_at(fd, hdr, 12, 0, _("a pack"))) == 0 &&
		 (st.st_size < 32 || memcmp(hdr, "PACK", 4) != 0 ||
		  (get32(hdr + 4) != 2 && get32(hdr + 4) != 3)))
		rc = fs_error_set(FS_EINVALID, "pack '%s': not a version 2 pack", name);
	close(fd);
	if (rc < 0)
		return rc;
	in->pack_size = (uint64_t)st.st_size;
	in->count = get32(hdr + 8);
	snprintf(path, sizeof(path), "%s/%s.idx", packdir, name);
	if ((in->fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return fs_error_os("pack index '%s'", path);
	if (fstat(in->fd, &st) < 0)
		return fs_error_os("pack index '%s'", path);
	in->idx_size = (uint64_t)st.st_size;
	if ((rc = read_at(in->fd, hdr, HEAD, 0, _("a pack index"))) < 0)
		return rc;
	if (memcmp(hdr, "\377tOc", 4) != 0 || get32(hdr + 4) != 2)
		return fs_error_set(FS_EINVALID, "pack index '%s': not a version 2 index", name);
	if (get32(hdr + HEAD - 4) != in->count)
		return fs_error_set(FS_EINVALID, "pack index '%s': %u objects, its pack %u", name,
				    get32(hdr + HEAD - 4), in->count);
	c = in->count;
	in->big_at = HEAD + c * (ID + 8);
	if (in->idx_size < in->big_at + 2 * ID || (in->idx_size - in->big_at - 2 * ID) % 8)
		return fs_error_set(FS_EINVALID, "pack index '%s': truncated", name);
	in->ids = (reader){ .fd = in->fd, .at = HEAD, .end = HEAD + c * ID };
	in->crcs = (reader){ .fd = in->fd, .at = HEAD + c * ID, .end = HEAD + c * (ID + 4) };
	in->offs = (reader){ .fd = in->fd, .at = HEAD + c * (ID + 4), .end = in->big_at };
	in->left = in->count;
	return 0;
}

int fs_packidx_open(fs_packidx **out, const char *packdir, const char *const *names,
		    size_t count)
{
	fs_packidx *x;
	uint64_t shift = 12, total = 0;
	int rc = 0;

	*out = NULL;
	if (!(x = fs_calloc(1, sizeof(*x))) || !(x->in = fs_calloc(count ? count : 1, sizeof(input)))) {
		fs_free(x);
		return fs_error_set(FS_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < count; i++)
		x->in[i].fd = -1;
	x->count = count;
	for (size_t i = 0; i < count; i++) {
		input *in = &x->in[i];
		if ((rc = open_input(in, packdir, names[i])) < 0)
			goto done;
		/* the entries of each pack move as one block: their offsets shift by one amount */
		in->shift = shift;
		shift += in->pack_size - 32;
		total += in->count;
	}
	if (total > UINT32_MAX) {
		rc = fs_error_set(FS_ETOOBIG, "packs in '%s': too many objects for one pack", packdir);
		goto done;
	}
	x->objects = (uint32_t)total;
done:
	if (rc < 0)
		fs_packidx_free(x);
	else
		*out = x;
	return rc;
}

uint32_t fs_packidx_objects(const fs_packidx *x) { return x->objects; }

uint64_t fs_packidx_pack_size(const fs_packidx *x, size_t i) { return x->in[i].pack_size; }

void fs_packidx_free(fs_packidx *x)
{
	if (!x)
		return;
	for (size_t i = 0; i < x->count; i++)
		if (x->in[i].fd >= 0)
			close(x->in[i].fd);
	fs_free(x->in);
	fs_free(x);
}

/* Ties go to the earlier pack: equal ids stay in pack order, as git sorts them. */
static int before(const fs_packidx *x, size_t a, size_t b)
{
	int c = memcmp(x->in[a].id, x->in[b].id, ID);
	return c < 0 || (c == 0 && a < b);
}

static void sift_down(const fs_packidx *x, size_t *heap, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, m = i;
		if (l < n && before(x, heap[l], heap[m]))
			m = l;
		if (l + 1 < n && before(x, heap[l + 1], heap[m]))
			m = l + 1;
		if (m == i)
			return;
		size_t t = heap[i];
		heap[i] = heap[m];
		heap[m] = t;
		i = m;
	}
}

/* The CRC and shifted offset of the entry at the front of `in`; its next id loaded. */
static int next_entry(input *in, unsigned char crc[4], uint64_t *offset)
{
	unsigned char o[8], prev[ID];
	uint64_t off;
	int rc;

	if ((rc = take(&in->crcs, crc, 4, in->name)) < 0 ||
	    (rc = take(&in->offs, o, 4, in->name)) < 0)
		return rc;
	off = get32(o);
	if (off & 0x80000000u) {
		uint64_t at = in->big_at + (off & 0x7fffffffu) * 8;
		if (at + 8 > in->idx_size - 2 * ID)
			return fs_error_set(FS_EINVALID, "pack index '%s': bad offset", in->name);
		if ((rc = read_at(in->fd, o, 8, at, _("a pack index"))) < 0)
			return rc;
		off = (uint64_t)get32(o) << 32 | get32(o + 4);
	}
	if (off < 12 || off >= in->pack_size - 20)
		return fs_error_set(FS_EINVALID, "pack index '%s': offset past the pack", in->name);
	*offset = off - 12 + in->shift;
	if (--in->left == 0)
		return 0;
	memcpy(prev, in->id, ID);
	if ((rc = take(&in->ids, in->id, ID, in->name)) < 0)
		return rc;
	/* the merge is only right if every input is sorted */
	if (memcmp(prev, in->id, ID) > 0)
		return fs_error_set(FS_EINVALID, "pack index '%s': ids out of order", in->name);
	return 0;
}

int fs_packidx_write(fs_packidx *x, int fd, const char *path, unsigned char *twice)
{
	enum { IDS, CRCS, OFFS, BIGS };
	unsigned char head[HEAD], be[4];
	uint32_t fan[256] = { 0 }, big = 0;
	unsigned char last[ID];
	uint64_t n = x->objects;
	writer *w = NULL;
	size_t *heap = NULL, live = 0, last_in = SIZE_MAX;
	int rc = 0, dup = 0;

	if (!(w = fs_calloc(4, sizeof(*w))) || !(heap = fs_calloc(x->count + 1, sizeof(*heap)))) {
		rc = fs_error_set(FS_ENOMEM, "out of memory");
		goto done;
	}
	for (int s = IDS; s <= BIGS; s++) {
		w[s].fd = fd;
		w[s].path = path;
	}
	w[IDS].at = HEAD;
	w[CRCS].at = HEAD + n * ID;
	w[OFFS].at = HEAD + n * (ID + 4);
	w[BIGS].at = HEAD + n * (ID + 8);
	for (size_t i = 0; i < x->count; i++) {
		if (x->in[i].left == 0)
			continue;
		if ((rc = take(&x->in[i].ids, x->in[i].id, ID, x->in[i].name)) < 0)
			goto done;
		heap[live++] = i;
	}
	for (size_t i = live / 2; i-- > 0;)
		sift_down(x, heap, live, i);
	while (live) {
		input *in = &x->in[heap[0]];
		unsigned char crc[4], big_be[8];
		uint64_t off = 0;

		/* ties come out in pack order: the earlier pack holds it again later */
		if (last_in != SIZE_MAX && memcmp(last, in->id, ID) == 0) {
			if (!dup++)
				fs_error_set(FS_EEXISTS, "pack '%s': an object found again further on",
					     x->in[last_in].name);
			twice[last_in] = 1;
		}
		memcpy(last, in->id, ID);
		last_in = heap[0];
		fan[in->id[0]]++;
		if ((rc = put(&w[IDS], in->id, ID)) < 0 || (rc = next_entry(in, crc, &off)) < 0 ||
		    (rc = put(&w[CRCS], crc, 4)) < 0)
			goto done;
		/* past 2 GiB an offset goes to the table of 64-bit ones, as git writes it */
		if (off < 0x80000000u) {
			set32(be, (uint32_t)off);
		} else {
			set32(be, 0x80000000u | big++);
			set32(big_be, (uint32_t)(off >> 32));
			set32(big_be + 4, (uint32_t)off);
			if ((rc = put(&w[BIGS], big_be, 8)) < 0)
				goto done;
		}
		if ((rc = put(&w[OFFS], be, 4)) < 0)
			goto done;
		if (in->left == 0)
			heap[0] = heap[--live];
		sift_down(x, heap, live, 0);
	}
	for (int s = IDS; s <= BIGS; s++)
		if ((rc = flush(&w[s])) < 0)
			goto done;
	memcpy(head, "\377tOc\0\0\0\2", 8);
	for (uint32_t b = 0, sum = 0; b < 256; b++) {
		sum += fan[b];
		set32(head + 8 + 4 * b, sum);
	}
	x->end = HEAD + n * (ID + 8) + (uint64_t)big * 8;
	if (dup)
		rc = FS_EEXISTS;
	else
		rc = write_at(fd, head, HEAD, 0, path);
done:
	fs_free(heap);
	fs_free(w);
	return rc;
}

int fs_packidx_seal(fs_packidx *x, int fd, const char *path,
		    const unsigned char pack_sum[FS_SHA1_BYTES])
{
	unsigned char buf[OUT_BUF], sum[FS_SHA1_BYTES];
	uint64_t end = x->end + FS_SHA1_BYTES;
	fs_sha1 h;
	int rc;

	if ((rc = write_at(fd, pack_sum, FS_SHA1_BYTES, x->end, path)) < 0)
		return rc;
	/* the sections were written out of order: hash them back from the file */
	fs_sha1_init(&h);
	for (uint64_t at = 0; at < end;) {
		size_t n = end - at < sizeof(buf) ? (size_t)(end - at) : sizeof(buf);
		if ((rc = read_at(fd, buf, n, at, _("the new pack index"))) < 0)
			return rc;
		fs_sha1_update(&h, buf, n);
		at += n;
	}
	fs_sha1_final(&h, sum);
	return write_at(fd, sum, sizeof(sum), end, path);
}
