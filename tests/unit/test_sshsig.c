/*
 * SSHSIG as OpenSSH writes it: our signatures must satisfy `ssh-keygen -Y
 * verify`, and ssh-keygen's must satisfy ours. Each test runs in its own
 * temporary folder, where the ssh-keygen files go.
 */
#include "tests/unit/test.h"

#include <stdio.h>
#include <stdlib.h>

#include "node/key.h"
#include "node/sshsig.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/file.h"

static int sh(const char *cmd)
{
	int rc = system(cmd);
	if (rc != 0)
		fprintf(stderr, "    command failed (%d): %s\n", rc, cmd);
	return rc == 0;
}

static int write_file(const char *path, const char *data, size_t n)
{
	return fs_file_write_atomic(path, data, n, 0600) == 0;
}

static char *read_all(const char *path)
{
	fs_buf b = FS_BUF_INIT;
	if (fs_file_read(&b, path, 1 << 20, path) < 0) {
		fs_buf_dispose(&b);
		return NULL;
	}
	return fs_buf_detach(&b);
}

static const char msg[] = "tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nauthor x\n\nadd action\n";

TEST(sshsig, our_signature_verifies_here_and_with_ssh_keygen)
{
	fs_key *k = NULL;
	fs_buf sig = FS_BUF_INIT, line = FS_BUF_INIT;
	unsigned char pk[FS_KEY_PUBLIC_BYTES];

	REQUIRE(fs_key_generate(&k) == 0);
	REQUIRE(fs_sshsig_sign(&sig, k, "git", msg, sizeof(msg) - 1) == 0);
	CHECK(strncmp(sig.ptr, "-----BEGIN SSH SIGNATURE-----\n", 30) == 0);
	CHECK(strcmp(sig.ptr + sig.size - 28, "-----END SSH SIGNATURE-----\n") == 0);
	CHECK(fs_sshsig_verify(sig.ptr, sig.size, "git", msg, sizeof(msg) - 1, pk) == 0);
	CHECK(memcmp(pk, fs_key_public(k), sizeof(pk)) == 0);
	fs_buf_puts(&line, "tunis namespaces=\"git\" ");
	fs_ssh_pubkey_format(&line, fs_key_public(k), NULL);
	fs_buf_putc(&line, '\n');
	REQUIRE(write_file("signers", line.ptr, line.size));
	REQUIRE(write_file("msg", msg, sizeof(msg) - 1));
	REQUIRE(write_file("msg.sig", sig.ptr, sig.size));
	CHECK(sh("ssh-keygen -Y verify -f signers -I tunis -n git -s msg.sig <msg >out 2>&1 && "
		 "grep -q 'Good \"git\" signature for tunis' out"));
	/* ssh-keygen must refuse it in another namespace or for other bytes */
	CHECK(system("ssh-keygen -Y verify -f signers -I tunis -n file -s msg.sig <msg >/dev/null 2>&1") != 0);
	CHECK(system("echo x >>msg; ssh-keygen -Y verify -f signers -I tunis -n git -s msg.sig <msg >/dev/null 2>&1") != 0);
	fs_buf_dispose(&sig);
	fs_buf_dispose(&line);
	fs_key_free(k);
}

TEST(sshsig, ssh_keygen_signature_verifies_here)
{
	char *sig, *pub;
	unsigned char pk[FS_KEY_PUBLIC_BYTES], want[FS_KEY_PUBLIC_BYTES];

	REQUIRE(write_file("msg", msg, sizeof(msg) - 1));
	REQUIRE(sh("ssh-keygen -q -t ed25519 -N '' -C test -f k && ssh-keygen -q -Y sign -n git -f k msg"));
	REQUIRE((sig = read_all("msg.sig")) != NULL);
	REQUIRE((pub = read_all("k.pub")) != NULL);
	CHECK(fs_sshsig_verify(sig, strlen(sig), "git", msg, sizeof(msg) - 1, pk) == 0);
	CHECK(fs_ssh_pubkey_parse(want, pub) == 0);
	CHECK(memcmp(pk, want, sizeof(pk)) == 0);
	CHECK(fs_sshsig_verify(sig, strlen(sig), "file", msg, sizeof(msg) - 1, NULL) == FS_EVERIFY);
	CHECK(strstr(fs_error_last()->message, "namespace 'git', not 'file'") != NULL);
	CHECK(fs_sshsig_verify(sig, strlen(sig), "git", msg, sizeof(msg) - 2, NULL) == FS_EVERIFY);
	free(sig);
	free(pub);
}

TEST(sshsig, public_keys_match_openssh)
{
	fs_buf line = FS_BUF_INIT, fp = FS_BUF_INIT;
	unsigned char pk[FS_KEY_PUBLIC_BYTES];
	char *pub, *lf;

	REQUIRE(sh("ssh-keygen -q -t ed25519 -N '' -C comment -f k"));
	REQUIRE((pub = read_all("k.pub")) != NULL);
	REQUIRE(fs_ssh_pubkey_parse(pk, pub) == 0);
	REQUIRE(fs_ssh_pubkey_format(&line, pk, "comment") == 0);
	fs_buf_putc(&line, '\n');
	CHECK_STR(line.ptr, pub);
	REQUIRE(fs_ssh_pubkey_fingerprint(&fp, pk) == 0);
	REQUIRE(sh("ssh-keygen -lf k.pub | cut -d' ' -f2 >fp"));
	REQUIRE((lf = read_all("fp")) != NULL);
	lf[strcspn(lf, "\n")] = '\0';
	CHECK_STR(fp.ptr, lf);
	/* and refusals */
	CHECK(fs_ssh_pubkey_parse(pk, "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQC") == FS_EINVALID);
	CHECK(strstr(fs_error_last()->message, "only ssh-ed25519") != NULL);
	CHECK(fs_ssh_pubkey_parse(pk, "ssh-ed25519 !!!") == FS_EINVALID);
	CHECK(fs_ssh_pubkey_parse(pk, "ssh-ed25519") == FS_EINVALID);
	CHECK(fs_ssh_pubkey_parse(pk, "") == FS_EINVALID);
	free(pub);
	free(lf);
	fs_buf_dispose(&line);
	fs_buf_dispose(&fp);
}

static int refused(const char *sig, size_t len, const char *needle)
{
	int rc = fs_sshsig_verify(sig, len, "git", msg, sizeof(msg) - 1, NULL);
	int ok = rc == FS_EVERIFY && strstr(fs_error_last()->message, needle);

	if (!ok)
		fprintf(stderr, "    rc %d, message: %s\n", rc, fs_error_last() ? fs_error_last()->message : "-");
	return ok;
}

TEST(sshsig, damaged_signatures_are_refused)
{
	fs_key *k = NULL;
	fs_buf sig = FS_BUF_INIT, bad = FS_BUF_INIT;
	char *rsa;

	REQUIRE(fs_key_generate(&k) == 0);
	REQUIRE(fs_sshsig_sign(&sig, k, "git", msg, sizeof(msg) - 1) == 0);
	CHECK(refused(sig.ptr, sig.size - 30, "no '-----END SSH SIGNATURE-----' line"));
	CHECK(refused(sig.ptr + 5, sig.size - 5, "no '-----BEGIN SSH SIGNATURE-----' line"));
	fs_buf_put(&bad, sig.ptr, sig.size);
	fs_buf_puts(&bad, "trailing\n");
	CHECK(refused(bad.ptr, bad.size, "data after the armor"));
	/* every base64 character changed in turn: refused, never accepted, never a crash */
	for (size_t i = 31; i < sig.size - 30; i++) {
		char c = sig.ptr[i];
		if (c == '\n')
			continue;
		fs_buf_clear(&bad);
		fs_buf_put(&bad, sig.ptr, sig.size);
		bad.ptr[i] = c == 'A' ? 'B' : 'A';
		if (fs_sshsig_verify(bad.ptr, bad.size, "git", msg, sizeof(msg) - 1, NULL) == 0) {
			CHECK(!"a changed signature verified");
			break;
		}
	}
	fs_buf_clear(&bad);
	fs_buf_put(&bad, sig.ptr, sig.size);
	bad.ptr[40] = '*';
	CHECK(refused(bad.ptr, bad.size, "bad base64"));
	/* a signature by an RSA key is refused by type, not by accident */
	REQUIRE(write_file("msg", msg, sizeof(msg) - 1));
	REQUIRE(sh("ssh-keygen -q -t rsa -b 2048 -N '' -f r && ssh-keygen -q -Y sign -n git -f r msg"));
	REQUIRE((rsa = read_all("msg.sig")) != NULL);
	CHECK(refused(rsa, strlen(rsa), "only ssh-ed25519 keys are supported"));
	free(rsa);
	fs_buf_dispose(&sig);
	fs_buf_dispose(&bad);
	fs_key_free(k);
}
