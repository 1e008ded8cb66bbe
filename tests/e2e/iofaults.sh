#!/bin/sh
# A full disk (ENOSPC) and a failing one (EIO) at each write (write and
# pwrite64), fsync and rename (rename and link: libgit2 moves refs and packs
# into place with link(2)) of add, import, sync, hub import and hub merge:
# the command says so (exit 5, an "error:" line), nothing it did not
# acknowledge is taken for done, nothing is corrupt, and the same command
# works once the disk is back. A failed fsync is an error, never retried as
# if it had succeeded.
. "$(dirname "$0")/lib.sh"

export FIELDSYNC_STALE_LOCK_MS=0

# the faulted command succeeded with its work there, or failed clearly; $1:
# is its work there? (A failure may leave it there: a folder's fsync that
# fails after the ref's rename leaves a change whose durability nobody
# knows, and saying so is right.)
judged() {
	_rc=$(cat ../rc)
	if [ "$_rc" = 0 ]; then
		[ "$1" = yes ] || fail "exit 0, but the work is not there"
		return 0
	fi
	grep -q '^error: ' ../fault.err || { cat ../fault.err; fail "exit $_rc without an error line"; }
	[ "$_rc" = 5 ] || { cat ../fault.err; fail "exit $_rc for a disk fault (expected 5)"; }
}

# fault_all TEMPLATE CHECK CMD...: each fault at each call of its kind
fault_all() {
	fault_each write error=ENOSPC "$@"
	fault_each write error=EIO "$@"
	fault_each pwrite64 error=ENOSPC "$@"
	fault_each fsync error=EIO "$@"
	fault_each rename error=ENOSPC "$@"
	fault_each link error=EIO "$@"
}

add_checks() {
	whole n/.git
	[ "$(git --git-dir=n/.git rev-list --count HEAD)" = 2 ] && landed=yes || landed=no
	judged "$landed"
	"$FS" -C n add action f >/dev/null
	"$FS" -C n verify >/dev/null
}

import_checks() {
	whole n/.git
	had=$("$FS" -C n list service | wc -l)
	[ $((had % 2)) = 0 ] || fail "$had records: not whole batches of 2"
	[ "$had" = 6 ] && landed=yes || landed=no
	judged "$landed"
	"$FS" -C n import service s.ndjson --batch 2 >/dev/null
	[ "$("$FS" -C n list service | wc -l)" = 6 ] || fail "not exactly the file's 6 records"
	"$FS" -C n verify >/dev/null
}

faults_in_import() {
	mkdir w
	mknode w/n tunis
	for i in 1 2 3 4 5 6; do service_json "2026-11-0$i" health "$(printf '%032x' "$i")"; done >w/s.ndjson
	mv w tpl
	fault_all tpl import_checks "$FS" -C n import service s.ndjson --batch 2
}

faults_in_add() {
	mkdir w
	mknode w/n tunis
	action_json >w/f
	mv w tpl
	fault_all tpl add_checks "$FS" -C n add action f
}

sync_checks() {
	whole tunis/.git hub
	[ "$(git --git-dir=hub rev-parse -q --verify refs/heads/cities/tunis)" = \
		"$(git --git-dir=tunis/.git rev-parse HEAD)" ] && landed=yes || landed=no
	judged "$landed"
	"$FS" -C tunis sync >/dev/null
	[ "$(git --git-dir=hub rev-parse refs/heads/cities/tunis)" = \
		"$(git --git-dir=tunis/.git rev-parse HEAD)" ] || fail "the hub lacks tunis's head"
}

faults_in_sync() {
	mkdir w
	(cd w && mkhub hub && city tunis 3 && "$FS" -C tunis remote add hub "file://$PWD/hub" >/dev/null)
	mv w tpl
	fault_all tpl sync_checks "$FS" -C tunis sync
}

bundle_checks() {
	whole hub
	[ "$(git --git-dir=hub rev-parse -q --verify refs/heads/cities/tunis)" = "$(cat head)" ] &&
		landed=yes || landed=no
	judged "$landed"
	"$FS" -C hub hub import tunis.bundle >/dev/null
	[ "$(git --git-dir=hub rev-parse refs/heads/cities/tunis)" = "$(cat head)" ] ||
		fail "the hub lacks the bundle's head"
	"$FS" audit hub >/dev/null
}

faults_in_hub_import() {
	mkdir w
	(cd w && mkhub hub && city tunis 3 &&
		"$FS" -C tunis bundle create "$PWD/tunis.bundle" >/dev/null &&
		git --git-dir=tunis/.git rev-parse HEAD >head)
	mv w tpl
	fault_all tpl bundle_checks "$FS" -C hub hub import tunis.bundle
}

merge_checks() {
	whole hub
	git --git-dir=hub rev-parse -q --verify refs/heads/unified >/dev/null && landed=yes || landed=no
	judged "$landed"
	"$FS" -C hub hub merge >/dev/null
	[ "$(git --git-dir=hub rev-parse refs/heads/unified^{tree})" = "$(cat ../want)" ] ||
		fail "another unified tree than an undisturbed merge's"
}

faults_in_hub_merge() {
	merge_template
	fault_all tpl merge_checks "$FS" -C hub hub merge
}

t "ENOSPC and EIO at each write, fsync and rename of add" faults_in_add
t "ENOSPC and EIO at each write, fsync and rename of import" faults_in_import
t "ENOSPC and EIO at each write, fsync and rename of sync" faults_in_sync
t "ENOSPC and EIO at each write, fsync and rename of hub import" faults_in_hub_import
t "ENOSPC and EIO at each write, fsync and rename of hub merge" faults_in_hub_merge
