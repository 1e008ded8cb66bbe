/*
 * certs.h - the system's CA certificates, read when a connection needs them
 *
 * libgit2 1.5 as Debian builds it (with mbedTLS) parses every certificate
 * of /etc/ssl/certs/ca-certificates.crt inside git_libgit2_init: 53 M
 * instructions, about 11 ms, two thirds of an `add`, in every fieldsync
 * process, though only an https:// connection reads them. fieldsync defers
 * that parse (node/certs.c stands in for mbedTLS's two loaders while
 * libgit2 starts) and makes it before it connects to anything.
 *
 * With a libgit2 built otherwise (OpenSSL, which reads certificates when a
 * connection verifies one) nothing is deferred and both calls do nothing.
 * A connection made without fs_certs_load fails closed: it has no trusted
 * certificate, so every https:// server is refused.
 */
#ifndef FS_CERTS_H
#define FS_CERTS_H

/* Around git_libgit2_init: 1 before, 0 after. */
void fs_certs_defer(int on);

/* Before any connection: the deferred certificates, once per process. */
int fs_certs_load(void);

#endif
