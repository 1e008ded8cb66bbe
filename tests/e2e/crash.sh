#!/bin/sh
# A kill at each fsync and each rename of import, sync, hub import and hub
# merge (strace injects SIGKILL at the Nth call, for every N the command
# makes): afterwards stock git finds every repository whole, the same
# command run again succeeds without repair, and the end state is the one an
# uninterrupted run gives. durability.sh does the same for add.
. "$(dirname "$0")/lib.sh"

# a hub ref lock this young may be a live receive-pack's: no waiting for it here
export FIELDSYNC_STALE_LOCK_MS=0

kill_each() {
	_sys=$1
	shift
	fault_each "$_sys" signal=SIGKILL "$@"
}

# ---- import: whole batches, never a record twice --------------------------

import_checks() {
	whole n/.git
	"$FS" -C n import service s.ndjson --batch 2 >/dev/null
	[ "$("$FS" -C n list service | wc -l)" = 6 ] || fail "not exactly the file's 6 records"
	"$FS" -C n verify >/dev/null
}

kill_import() {
	mkdir w
	mknode w/n tunis
	for i in 1 2 3 4 5 6; do service_json "2026-11-0$i" health "$(printf '%032x' "$i")"; done >w/s.ndjson
	mv w tpl
	for sys in fsync rename; do
		kill_each "$sys" tpl import_checks "$FS" -C n import service s.ndjson --batch 2
	done
}

# ---- sync to a hub on a path: the hub checks and takes it all, once ---------

sync_checks() {
	whole tunis/.git hub
	"$FS" -C tunis sync >/dev/null
	[ "$(git --git-dir=hub rev-parse refs/heads/cities/tunis)" = \
		"$(git --git-dir=tunis/.git rev-parse HEAD)" ] || fail "the hub lacks tunis's head"
	"$FS" audit hub >/dev/null
}

kill_sync() {
	mkdir w
	(cd w && mkhub hub && city tunis 5 && "$FS" -C tunis remote add hub "file://$PWD/hub" >/dev/null)
	mv w tpl
	for sys in fsync rename; do
		kill_each "$sys" tpl sync_checks "$FS" -C tunis sync
	done
}

# ---- hub import of a bundle ----------------------------------------------

bundle_checks() {
	whole hub
	"$FS" -C hub hub import tunis.bundle >/dev/null
	[ "$(git --git-dir=hub rev-parse refs/heads/cities/tunis)" = "$(cat head)" ] ||
		fail "the hub lacks the bundle's head"
	"$FS" audit hub >/dev/null
}

kill_hub_import() {
	bundle_template 5
	for sys in fsync rename; do
		kill_each "$sys" tpl bundle_checks "$FS" -C hub hub import tunis.bundle
	done
}

# ---- hub merge: the same unified tree as an uninterrupted merge -------------

merge_checks() {
	whole hub
	"$FS" -C hub hub merge >/dev/null
	[ "$(git --git-dir=hub rev-parse refs/heads/unified^{tree})" = "$(cat ../want)" ] ||
		fail "another unified tree than an uninterrupted merge's"
	"$FS" audit hub >/dev/null
}

kill_hub_merge() {
	merge_template
	for sys in fsync rename; do
		kill_each "$sys" tpl merge_checks "$FS" -C hub hub merge
	done
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
t "a kill at each fsync and rename of import" kill_import
t "a kill at each fsync and rename of sync" kill_sync
t "a kill at each fsync and rename of hub import" kill_hub_import
t "a kill at each fsync and rename of hub merge" kill_hub_merge
