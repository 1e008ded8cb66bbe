/*
 * gather.h - libgit2's http(s) and ssh transports, with their writes gathered
 *
 * libgit2 1.5 streams a pushed pack in the pieces its packbuilder makes, two
 * or three for each object (its header, its deflated data), and each piece
 * goes to the link on its own: over http as a chunk of the request body
 * (8 bytes of framing for about 60 of data: 40 KB on a 285 KB push, measured
 * by bench/sync), over https as TLS records as well, over ssh as a packet
 * each. fieldsync registers the same transports (libgit2's own http and ssh
 * subtransports under its smart protocol) with a stream between them that
 * gathers writes up to FS_GATHER_BYTES and sends them as one, before
 * anything is read and when the stream ends.
 */
#ifndef FS_GATHER_H
#define FS_GATHER_H

#define FS_GATHER_BYTES (64 * 1024)

/* Register the transports for http://, https:// and ssh:// in this process. */
int fs_gather_setup(void);

#endif
