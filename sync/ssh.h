/*
 * ssh.h - a hub behind ssh://: its host key pinned, the node's own key to log in
 *
 * A node never connects to an ssh server whose key it was not given: the
 * remote's setting remote.NAME.fieldsyncHostKey holds the pinned keys, and
 * libgit2's certificate check compares the key the server presents with them,
 * byte for byte (there is no "accept on first use"). The node logs in with its
 * own Ed25519 key, the one the hub enrolled: libssh2's challenge is signed in
 * this process, so the secret never leaves libsodium's guarded memory and no
 * ssh-agent or key file is involved.
 */
#ifndef FS_SSH_H
#define FS_SSH_H

#include <git2.h>

#include "node/node.h"
#include "util/buf.h"

/* The remote's setting holding the pins, "TYPE BASE64, SHA256:..., ...". */
#define FS_SSH_PINS_SETTING "fieldsyncHostKey"

/*
 * Parse host keys as `ssh-keyscan`, a host's .pub file or known_hosts give
 * them ("[host] TYPE BASE64 [comment]", one a line, '#' comments), or as
 * fingerprints "SHA256:..." (`ssh-keygen -lf`), into the pin list appended to
 * `out`. FS_EINVALID naming the line when a line holds no key or a damaged
 * one, or when there is no key at all.
 */
int fs_ssh_pins_parse(fs_buf *out, const char *text);

/* One connection's login: what to accept and what happened. */
typedef struct {
	const fs_node *node;  /* its key logs in */
	const char *remote;   /* for messages */
	const char *pins;     /* borrowed: the remote's pin list */
	int refused;          /* the host key or the login was refused: do not retry */
	int tries;            /* credentials asked for */
	char why[640];        /* when refused */
} fs_ssh_login;

/* git_transport_certificate_check_cb: ssh host keys against the pins; TLS as libgit2 does. */
int fs_ssh_check_host(fs_ssh_login *login, git_cert *cert, const char *host);

/* git_credential_acquire_cb: the node's key (and a user name when the URL has none). */
int fs_ssh_credentials(fs_ssh_login *login, git_credential **out, const char *user,
		       unsigned int allowed);

#endif
