/*
 * net.h - the sockets under libgit2's http and ssh transports, with timeouts
 *
 * libgit2 1.5 has no network timeouts (they came in 1.7): a link that goes
 * silent in the middle of a push hangs it forever. fieldsync registers its
 * own plain socket stream (libgit2 puts TLS on top of it for https) that
 * bounds the connect and every read and write. libgit2's ssh transport hands
 * the socket to libssh2 directly; the stream keeps the layout of libgit2's
 * own socket stream so that it can, and the socket's SO_RCVTIMEO and
 * SO_SNDTIMEO bound libssh2 too.
 */
#ifndef FS_NET_H
#define FS_NET_H

#include <stdint.h>

/* The default: a link silent this long is given up on. */
#define FS_NET_TIMEOUT_MS 30000

/* Install the stream for this process, with this timeout (ms, > 0), and
 * read the CA certificates (node/certs.h). */
int fs_net_setup(int timeout_ms);

/*
 * Bytes the stream read and wrote: on all its connections, and on the latest
 * since it connected (what sync/link.h learns a link from). Written counts
 * what the kernel took, not what arrived. An ssh link's library reads and
 * writes the socket itself: not counted.
 */
uint64_t fs_net_bytes(void);
uint64_t fs_net_carried(void);

#endif
