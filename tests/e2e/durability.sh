#!/bin/sh
# One writer at a time, fsync before a record is acknowledged, and a kill at
# any write leaves a node that stock git finds whole and that the next
# command uses without repair.
. "$(dirname "$0")/lib.sh"

# held LOCK SECONDS: hold the flock LOCK in the background for SECONDS, the
# way a running fieldsync does (`wait` for it)
held() {
	flock "$1" sleep "$2" &
	sleep 0.3
}

a_second_writer_waits_then_gives_up() {
	mknode n tunis
	action_json >f
	snapshot n >before
	held n/.fieldsync/lock 3
	run 4 env FIELDSYNC_LOCK_TIMEOUT_MS=200 "$FS" -C n add action f
	has err "another fieldsync is writing"
	same_as n before
	# with a longer wait it goes through once the other writer is done
	run 0 env FIELDSYNC_LOCK_TIMEOUT_MS=10000 "$FS" -C n add action f
	wait
	# readers never wait
	held n/.fieldsync/lock 2
	run 0 env FIELDSYNC_LOCK_TIMEOUT_MS=0 "$FS" -C n list
	wait
}

# a sync holds its own lock (a killed one's debris is then its to clear):
# one sync at a time, while writers go on
a_sync_waits_for_a_sync_not_for_a_writer() {
	mkhub hub
	city tunis 2
	"$FS" -C tunis remote add hub "file://$PWD/hub" >/dev/null
	action_json >f
	held tunis/.fieldsync/synclock 3
	run 4 env FIELDSYNC_LOCK_TIMEOUT_MS=200 "$FS" -C tunis sync
	has err "another fieldsync"
	run 0 env FIELDSYNC_LOCK_TIMEOUT_MS=0 "$FS" -C tunis add action f
	wait
	held tunis/.fieldsync/lock 3
	run 0 env FIELDSYNC_LOCK_TIMEOUT_MS=0 "$FS" -C tunis sync
	wait
	[ "$(git --git-dir=hub rev-parse refs/heads/cities/tunis)" = \
		"$(git --git-dir=tunis/.git rev-parse HEAD)" ] || fail "the hub lacks tunis's head"
}

a_stale_git_lock_does_not_block() {
	mknode n tunis
	# what a writer killed in the middle of a ref update leaves behind
	git --git-dir=n/.git rev-parse HEAD >n/.git/refs/heads/main.lock
	: >n/.git/packed-refs.lock
	action_json >f
	run 0 "$FS" -C n add action f
	[ ! -e n/.git/refs/heads/main.lock ] || fail "stale lock left"
	git --git-dir=n/.git fsck --full --strict
}

records_are_fsynced() {
	mknode n tunis
	action_json >f
	traced -f -qq -e trace=fsync,fdatasync -o trace "$FS" -C n add action f >/dev/null
	# the pack, its index, their folder, then the ref and its folder
	n=$(grep -c 'fsync(' trace)
	[ "$n" -ge 4 ] || { cat trace; fail "only $n fsync calls"; }
	# the ref moves after the new pack and its index are fsynced, and its
	# folder is fsynced right after (what follows is pack upkeep)
	traced -f -qq -e trace=fsync,rename -o trace2 "$FS" -C n add action f >/dev/null
	at=$(grep -n 'rename(.*refs/heads/main.lock' trace2 | cut -d: -f1)
	[ -n "$at" ] || { cat trace2; fail "no ref rename"; }
	before=$(head -n "$at" trace2 | grep -c 'fsync(')
	[ "$before" -ge 3 ] || { cat trace2; fail "only $before fsyncs before the ref moves"; }
	sed -n "$((at + 1))p" trace2 | grep -q 'fsync(' || { cat trace2; fail "no fsync after the ref rename"; }
}

# Run `fieldsync add` with a SIGKILL injected at the Nth call of syscall $1, for
# every N the add makes; after each kill the node must be whole and usable, and
# every acknowledged record present.
kill_at_each() {
	sys=$1
	mknode n tunis
	: >acked
	action_json >f
	traced -f -qq -e trace="$sys" -o count "$FS" -C n add action f >>acked
	calls=$(grep -c "$sys(" count)
	[ "$calls" -ge 1 ] || fail "add makes no $sys call"
	i=1
	while [ "$i" -le "$calls" ]; do
		set +e
		traced -f -qq -o /dev/null -e trace="$sys" -e inject="$sys":signal=SIGKILL:when="$i" \
			"$FS" -C n add action f >out 2>/dev/null
		set -e
		cat out >>acked
		git --git-dir=n/.git fsck --full --strict 2>fsck || { cat fsck; fail "fsck after kill at $sys #$i"; }
		"$FS" -C n add action f >>acked || fail "add after kill at $sys #$i"
		"$FS" -C n verify >/dev/null || fail "verify after kill at $sys #$i"
		i=$((i + 1))
	done
	"$FS" -C n list action >listed
	while read -r id; do
		grep -q "^$id " listed || fail "acknowledged record $id is missing"
	done <acked
	[ "$(wc -l <acked)" -ge "$calls" ] || fail "too few records"
}

kill_at_each_fsync() { kill_at_each fsync; }
kill_at_each_rename() { kill_at_each rename; }
kill_at_each_write() { kill_at_each write; }
kill_at_each_link() { kill_at_each link; }

kill_at_random_moments() {
	mknode n tunis
	: >acked
	service_json >f
	i=0
	while [ $i -lt 25 ]; do
		"$FS" -C n add service f >>acked &
		pid=$!
		sleep "0.00$((i % 10))$((i * 7 % 10))"
		kill -9 "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		i=$((i + 1))
	done
	git --git-dir=n/.git fsck --full --strict
	"$FS" -C n add service f >>acked
	"$FS" -C n list service >listed
	while read -r id; do
		grep -q "^$id " listed || fail "acknowledged record $id is missing"
	done <acked
	"$FS" -C n verify >/dev/null
}

t "a second writer waits, then gives up clearly" a_second_writer_waits_then_gives_up
t "a sync waits for another sync, not for a writer" a_sync_waits_for_a_sync_not_for_a_writer
t "a stale git lock does not block" a_stale_git_lock_does_not_block
t "records are fsynced before the ref moves" records_are_fsynced
t "a kill at each fsync of add" kill_at_each_fsync
t "a kill at each rename of add" kill_at_each_rename
t "a kill at each write of add" kill_at_each_write
t "a kill at each link of add (libgit2 moves the ref with link(2))" kill_at_each_link
t "a kill at random moments of add" kill_at_random_moments
