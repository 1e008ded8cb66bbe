#!/bin/sh
# Every commit is signed in git's SSH signature format: stock git and
# ssh-keygen must agree with `fieldsync verify`, on good and on bad commits.
. "$(dirname "$0")/lib.sh"

# A node with a few kinds of commits.
history() {
	mknode n tunis
	id=$(action_json | "$FS" -C n add action)
	service_json | "$FS" -C n add service >/dev/null
	"$FS" -C n show "$id" | jq '.status = "completed"' | "$FS" -C n edit "$id" >/dev/null
	{ service_json 2026-01-01; service_json 2026-01-02 food; service_json 2026-01-03 cash; } >s.ndjson
	"$FS" -C n import service s.ndjson --batch 2 >/dev/null
	"$FS" -C n rm "$id" >/dev/null
}

# Split commit $1 of repo $2 into the signature (sig) and the signed bytes (data).
split_commit() {
	git --git-dir="$2" cat-file commit "$1" >raw
	awk -v sig=sig -v data=data '
		body { print > data; next }
		/^$/ { body = 1; print > data; next }
		/^gpgsig / { insig = 1; print substr($0, 8) > sig; next }
		insig && /^ / { print substr($0, 2) > sig; next }
		{ insig = 0; print > data }
	' raw
}

stock_git_says_good() {
	history
	n=0
	for c in $(git --git-dir=n/.git rev-list HEAD); do
		git -C n verify-commit "$c" 2>v.txt || { cat v.txt; fail "git verify-commit $c"; }
		has v.txt 'Good "git" signature for tunis with ED25519 key SHA256:'
		n=$((n + 1))
	done
	[ "$n" = 7 ] || fail "expected 7 commits, saw $n"
	git -C n log --show-signature --format=%H >log.txt 2>&1
	[ "$(grep -c 'Good "git" signature' log.txt)" = 7 ] || { cat log.txt; fail "git log"; }
	git --git-dir=n/.git fsck --full --strict
}

ssh_keygen_accepts_the_signature() {
	history
	for c in $(git --git-dir=n/.git rev-list HEAD); do
		split_commit "$c" n/.git
		has sig "-----BEGIN SSH SIGNATURE-----"
		ssh-keygen -Y verify -f n/.fieldsync/allowed_signers -I tunis -n git -s sig <data >v.txt 2>&1 ||
			{ cat v.txt; fail "ssh-keygen -Y verify $c"; }
		has v.txt 'Good "git" signature for tunis'
	done
}

fieldsync_verify_all_good() {
	history
	run 0 "$FS" -C n verify
	has out "verified 7 commits: all good"
	run 0 "$FS" -C n verify --json -v
	[ "$(jq .checked out)" = 7 ] && [ "$(jq .bad out)" = 0 ] || fail "json counts"
	[ "$(jq -r '[.commits[].signer] | unique | join(",")' out)" = tunis ] || fail "signer"
	run 0 "$FS" -C n verify HEAD~2..HEAD
	has out "verified 2 commits: all good"
	run 0 "$FS" -C n verify --signers n/.fieldsync/allowed_signers
	has out "all good"
}

# Change byte $3 (a digit or lower-case letter) of commit $1 in repo $2, keeping
# hex digits hex; print the new commit id.
tamper() {
	git --git-dir="$2" cat-file commit "$1" >raw
	size=$(wc -c <raw)
	[ "$3" -lt "$size" ] || fail "offset $3 past $size"
	head -c "$3" raw >bad
	tail -c +"$(($3 + 1))" raw | head -c 1 | tr '0123456789abcdefghijklmnopqrstuvwxyz' '1234567890bcdefahijklmnopqrstuvwxyzg' >>bad
	tail -c +"$(($3 + 2))" raw >>bad
	cmp -s raw bad && fail "tamper changed nothing"
	git --git-dir="$2" hash-object -t commit -w bad
}

one_changed_byte_fails_everywhere() {
	history
	head=$(git --git-dir=n/.git rev-parse HEAD)
	git --git-dir=n/.git cat-file commit "$head" >raw
	# a byte of the message, a byte of the author line, a byte of the tree id
	msg_at=$(($(wc -c <raw) - 5))
	author_at=$(grep -bo '^author ' raw | cut -d: -f1)
	for off in "$msg_at" "$((author_at + 8))" 7; do
		bad=$(tamper "$head" n/.git "$off")
		git --git-dir=n/.git update-ref refs/heads/tampered "$bad"
		if git -C n verify-commit "$bad" 2>v.txt; then fail "git accepted a changed commit (offset $off)"; fi
		run 1 "$FS" -C n verify tampered
		has out "BAD  $bad"
		has out "bad signature"
		has out "verified 7 commits: SOME ARE BAD"
		split_commit "$bad" n/.git
		if ssh-keygen -Y verify -f n/.fieldsync/allowed_signers -I tunis -n git -s sig <data >/dev/null 2>&1; then
			fail "ssh-keygen accepted a changed commit (offset $off)"
		fi
	done
}

unsigned_and_foreign_commits_fail() {
	history
	git clone -q n w
	cd w
	echo x >note.txt
	git add note.txt
	git commit -qm "unsigned, by stock git"
	ssh-keygen -q -t ed25519 -N '' -f ../other >/dev/null
	echo y >>note.txt
	git -c gpg.format=ssh -c user.signingkey=../other.pub commit -qaS -m "signed by another key"
	git push -q ../n HEAD:refs/heads/other
	cd ..
	run 1 "$FS" -C n verify other --json
	[ "$(jq .bad out)" = 2 ] || fail "two bad commits"
	jq -r '.commits[].problem' out >problems
	has problems "not signed"
	has problems "not the node's key"
	# stock git agrees on both
	for c in $(git --git-dir=n/.git rev-list -2 other); do
		if git -C n verify-commit "$c" 2>/dev/null; then fail "git accepted $c"; fi
	done
	# with an allowed_signers file that names the other key for tunis, fieldsync accepts it too
	cp n/.fieldsync/allowed_signers signers
	echo "tunis namespaces=\"git\" $(cut -d' ' -f1,2 other.pub)" >>signers
	run 1 "$FS" -C n verify other --signers signers --json
	[ "$(jq .bad out)" = 1 ] || fail "only the unsigned commit is bad"
}

verify_agrees_with_git_on_every_commit() {
	history
	git clone -q n w
	(cd w && echo x >f && git add f && git commit -qm unsigned && git push -q ../n HEAD:refs/heads/mixed)
	bad=$(tamper "$(git --git-dir=n/.git rev-parse HEAD~2)" n/.git 12)
	git --git-dir=n/.git update-ref refs/heads/tampered "$bad"
	for ref in main mixed tampered; do
		"$FS" -C n verify "$ref" --json -v >v.json || true
		for c in $(git --git-dir=n/.git rev-list "$ref"); do
			ours=$(jq -r ".commits[] | select(.commit == \"$c\") | .good" v.json)
			if git -C n verify-commit "$c" 2>/dev/null; then theirs=true; else theirs=false; fi
			[ "$ours" = "$theirs" ] || fail "$ref $c: fieldsync says $ours, git says $theirs"
		done
	done
}

t "stock git verify-commit says Good signature" stock_git_says_good
t "ssh-keygen -Y verify accepts the signatures" ssh_keygen_accepts_the_signature
t "fieldsync verify: all good" fieldsync_verify_all_good
t "one changed byte fails git, ssh-keygen and fieldsync" one_changed_byte_fails_everywhere
t "unsigned and foreign-key commits fail" unsigned_and_foreign_commits_fail
t "fieldsync verify agrees with git on every commit" verify_agrees_with_git_on_every_commit
