/*
 * link.h - how big a batch a bad link carries, learned while it is used
 *
 * A cut loses the batch in flight and everything after the last batch that
 * landed on its connection, so a cut wastes up to what one connection
 * carries. fieldsync keeps what it has seen of the link in one sync: `bad`,
 * the least one connection carried when it was cut, and `good`, the most one
 * carried with every batch on it landed. Until the first cut, batches grow
 * to the setting on one connection. After it, a connection's budget is half
 * of `bad`, or `good` when a connection carried more than that and landed,
 * never above nine tenths of `bad`; a batch that would take the connection
 * past its budget goes on a new one, and batches are sized to fill one. A
 * search closer to `bad` would cost a whole connection's bytes for each
 * probe that is cut, more than the smaller batches' overhead it could save.
 * Sizes are planned from each commit's estimate (sync/push.c), turned into
 * bytes on the wire by the ratio the landed batches showed.
 *
 * Bytes are those fieldsync read and wrote on the connection (sync/net.h),
 * or for an ssh link, whose library does its own I/O, the pack's bytes.
 * docs/sync.md says why and what the benchmark shows.
 */
#ifndef FS_LINK_H
#define FS_LINK_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
	size_t max, min;  /* the batch setting and the least batch (estimate units) */
	size_t limit;     /* the next batch (estimate units) */
	uint64_t good;    /* most bytes a connection carried, all landed; 0: none */
	uint64_t bad;     /* least bytes a connection carried when cut; 0: never cut */
	uint64_t wire;    /* bytes the landed batches took on the wire... */
	uint64_t planned; /* ...against their estimates (both halved at each one) */
} fs_link;

void fs_link_init(fs_link *l, size_t max, size_t min);

/* What a connection may carry now; 0: no limit known. */
uint64_t fs_link_budget(const fs_link *l);

/* Bytes on the wire for a batch estimated at `estimate`, by the landed batches' ratio. */
uint64_t fs_link_wire(const fs_link *l, size_t estimate);

/*
 * Should a batch estimated at `estimate` go on a new connection, this one
 * having carried `carried` bytes (0: none yet, or not known)?
 */
int fs_link_fresh(const fs_link *l, uint64_t carried, size_t estimate);

/*
 * A batch estimated at `estimate` landed: it took `wire` bytes and its
 * connection has carried `carried` bytes in all.
 */
void fs_link_landed(fs_link *l, size_t estimate, uint64_t wire, uint64_t carried);

/*
 * The link failed after its connection carried `carried` bytes (0: not
 * known, as when nothing connected), with a batch estimated at `inflight`
 * in flight (0: none); `landed` when a batch got through in this try. The
 * next batch is smaller than the one cut, whatever the budget says: an
 * estimate can be short of the wire, and a batch cut every time would
 * never land.
 */
void fs_link_cut(fs_link *l, uint64_t carried, int landed, size_t inflight);

#endif
