#!/bin/sh
# A kill at each write, fsync and rename of import, sync, hub import and hub
# merge (strace injects SIGKILL at the Nth call, for every N the command
# makes, of write, pwrite64, fsync, rename and link: libgit2 moves a ref or
# a pack into place with link(2), not rename), and at random moments:
# afterwards stock git finds every repository whole, what the command
# reported done is there, the same command run again succeeds without
# repair, and the end state is the one an uninterrupted run gives.
# durability.sh does the same for add. The commands here make 1 to 25 calls
# of each; fault_each would stride past 40.
. "$(dirname "$0")/lib.sh"

# a hub ref lock this young may be a live receive-pack's: no waiting for it here
export FIELDSYNC_STALE_LOCK_MS=0

# the calls that write, and the ones that move files into place
WRITES="write pwrite64 fsync rename link"

# kill_all TEMPLATE CHECK CMD...: a kill at each of WRITES, then at 8 random moments
kill_all() {
	for sys in $WRITES; do
		fault_each "$sys" signal=SIGKILL "$@"
	done
	kill_at_random 8 "$@"
}

# ---- import: whole batches, never a record twice --------------------------

import_checks() {
	whole n/.git
	had=$("$FS" -C n list service | wc -l)
	[ $((had % 2)) = 0 ] || fail "$had records: not whole batches of 2"
	[ "$had" = 6 ] && landed=yes || landed=no
	acked "$landed"
	"$FS" -C n import service s.ndjson --batch 2 >/dev/null
	[ "$("$FS" -C n list service | wc -l)" = 6 ] || fail "not exactly the file's 6 records"
	"$FS" -C n verify >/dev/null
	no_leftovers n
}

kill_import() {
	mkdir w
	mknode w/n tunis
	for i in 1 2 3 4 5 6; do service_json "2026-11-0$i" health "$(printf '%032x' "$i")"; done >w/s.ndjson
	mv w tpl
	kill_all tpl import_checks "$FS" -C n import service s.ndjson --batch 2
}

# ---- sync to a hub on a path: the hub checks and takes it all, once ---------

# the hub has tunis's head
synced() {
	[ "$(git --git-dir=hub rev-parse -q --verify refs/heads/cities/tunis)" = \
		"$(git --git-dir=tunis/.git rev-parse HEAD)" ]
}

sync_checks() {
	whole tunis/.git hub
	synced && landed=yes || landed=no
	acked "$landed"
	"$FS" -C tunis sync >/dev/null
	synced || fail "the hub lacks tunis's head"
	"$FS" audit hub >/dev/null
	no_leftovers tunis hub
}

kill_sync() {
	mkdir w
	(cd w && mkhub hub && city tunis 5 && "$FS" -C tunis remote add hub "file://$PWD/hub" >/dev/null)
	mv w tpl
	kill_all tpl sync_checks "$FS" -C tunis sync
}

# ---- hub import of a bundle ----------------------------------------------

# the hub has the bundle's head
imported() {
	[ "$(git --git-dir=hub rev-parse -q --verify refs/heads/cities/tunis)" = "$(cat head)" ]
}

bundle_checks() {
	whole hub
	imported && landed=yes || landed=no
	acked "$landed"
	"$FS" -C hub hub import tunis.bundle >/dev/null
	imported || fail "the hub lacks the bundle's head"
	"$FS" audit hub >/dev/null
	no_leftovers hub
}

kill_hub_import() {
	mkdir w
	(cd w && mkhub hub && city tunis 5 &&
		"$FS" -C tunis bundle create "$PWD/tunis.bundle" >/dev/null &&
		git --git-dir=tunis/.git rev-parse HEAD >head)
	mv w tpl
	kill_all tpl bundle_checks "$FS" -C hub hub import tunis.bundle
}

# ---- hub merge: the same unified tree as an uninterrupted merge -------------

# unified is the tree an uninterrupted merge makes
merged() {
	[ "$(git --git-dir=hub rev-parse -q --verify refs/heads/unified^{tree})" = "$(cat ../want)" ]
}

merge_checks() {
	whole hub
	merged && landed=yes || landed=no
	acked "$landed"
	"$FS" -C hub hub merge >/dev/null
	merged || fail "another unified tree than an uninterrupted merge's"
	"$FS" audit hub >/dev/null
	no_leftovers hub
}

kill_hub_merge() {
	merge_template
	kill_all tpl merge_checks "$FS" -C hub hub merge
}

# what a killed hub writer leaves: ref locks that would block every later update
stale_hub_locks_do_not_block() {
	mkhub hub
	city tunis 2
	"$FS" -C tunis remote add hub "file://$PWD/hub" >/dev/null
	mkdir -p hub/refs/heads/cities
	echo junk >hub/refs/heads/cities/tunis.lock
	touch -d '-1 minute' hub/refs/heads/cities/tunis.lock
	FIELDSYNC_STALE_LOCK_MS= run 0 "$FS" -C tunis sync
	[ ! -e hub/refs/heads/cities/tunis.lock ] || fail "an old lock was left"
	# a young one may be a live git receive-pack's: waited on, then judged
	echo junk >hub/refs/heads/unified.lock
	start=$(date +%s%N)
	FIELDSYNC_STALE_LOCK_MS= run 0 "$FS" -C hub hub merge
	waited=$((($(date +%s%N) - start) / 1000000))
	[ "$waited" -ge 1500 ] || fail "a young lock was removed without waiting ($waited ms)"
	[ ! -e hub/refs/heads/unified.lock ] || fail "a stale young lock was left"
	whole hub
}

t "stale ref locks on a hub do not block it" stale_hub_locks_do_not_block
t "a kill at each write, fsync and rename of import, and at random" kill_import
t "a kill at each write, fsync and rename of sync, and at random" kill_sync
t "a kill at each write, fsync and rename of hub import, and at random" kill_hub_import
t "a kill at each write, fsync and rename of hub merge, and at random" kill_hub_merge
