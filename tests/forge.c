/*
 * forge - make the commits a honest node never makes, for the tests
 *
 *   forge NODE PATH FILE [MESSAGE]   a commit on NODE's main, signed with NODE's
 *                                    key, that sets PATH to FILE's bytes as they
 *                                    are (no parsing, no schema, any path)
 *   forge NODE --rm PATH [MESSAGE]   a signed commit that removes PATH
 *   forge NODE --sign                the raw commit on stdin (as `git cat-file
 *                                    commit` prints one, unsigned) signed with
 *                                    NODE's key, on stdout: for the auditor's
 *                                    tamper corpus, any tree, parents and time
 *
 * A hub must refuse what comes out of this even though the signature is
 * good: ownership and schema are checked separately from signatures.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node/node.h"
#include "node/sshsig.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/file.h"

/* git's form: the armor as a "gpgsig" header, its lines continued with a space */
static int sign_stdin(fs_node *node)
{
	fs_buf raw = FS_BUF_INIT, sig = FS_BUF_INIT;
	const char *body;
	char chunk[4096];
	size_t n;
	int rc;

	while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0)
		fs_buf_put(&raw, chunk, n);
	if ((rc = fs_buf_check(&raw)) < 0)
		goto done;
	if (!(body = strstr(fs_buf_cstr(&raw), "\n\n"))) {
		rc = fs_error_set(FS_EINVALID, "stdin: not a raw commit");
		goto done;
	}
	if ((rc = fs_sshsig_sign(&sig, fs_node_key(node), "git", raw.ptr, raw.size)) < 0)
		goto done;
	fwrite(raw.ptr, 1, (size_t)(body - raw.ptr) + 1, stdout);
	fputs("gpgsig ", stdout);
	for (const char *p = sig.ptr; *p; p++) {
		putchar(*p);
		if (*p == '\n' && p[1])
			putchar(' ');
	}
	fputs(body + 1, stdout);
done:
	fs_buf_dispose(&raw);
	fs_buf_dispose(&sig);
	return rc;
}

int main(int argc, char **argv)
{
	fs_node *node = NULL;
	fs_buf data = FS_BUF_INIT;
	git_tree_update upd;
	git_oid id;
	int rm, rc;

	if (argc == 3 && strcmp(argv[2], "--sign") == 0) {
		if ((rc = fs_global_init()) == 0 &&
		    (rc = fs_node_open(&node, argv[1], FS_NODE_WRITE,
				       getenv("FIELDSYNC_PASSPHRASE"))) == 0)
			rc = sign_stdin(node);
		goto done;
	}
	if (argc < 4 || argc > 5) {
		fprintf(stderr, "usage: forge NODE PATH FILE [MESSAGE] | forge NODE --rm PATH [MESSAGE]\n");
		return 2;
	}
	rm = strcmp(argv[2], "--rm") == 0;
	memset(&upd, 0, sizeof(upd));
	upd.action = rm ? GIT_TREE_UPDATE_REMOVE : GIT_TREE_UPDATE_UPSERT;
	upd.filemode = GIT_FILEMODE_BLOB;
	upd.path = rm ? argv[3] : argv[2];
	if ((rc = fs_global_init()) < 0 ||
	    (rc = fs_node_open(&node, argv[1], FS_NODE_WRITE, getenv("FIELDSYNC_PASSPHRASE"))) < 0)
		goto done;
	if (!rm && ((rc = fs_file_read(&data, argv[3], 16 << 20, "forge input")) < 0 ||
		    (rc = fs_node_write_blob(node, &upd.id, data.ptr, data.size)) < 0))
		goto done;
	if ((rc = fs_node_commit(node, &upd, 1, argc == 5 ? argv[4] : "forged", &id)) < 0)
		goto done;
	printf("%s\n", git_oid_tostr_s(&id));
done:
	if (rc < 0)
		fprintf(stderr, "forge: %s\n", fs_error_last() ? fs_error_last()->message : "failed");
	fs_buf_dispose(&data);
	fs_node_free(node);
	fs_global_shutdown();
	return rc < 0 ? 1 : 0;
}
