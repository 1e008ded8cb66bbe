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

JUDGE=acked

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

# The hub's side of a sync over HTTP: its pre-receive check, its receipt and
# merge --on-receive killed at each call that writes (the check, the receipt)
# or moves a file into place (the merge; the hub merge test above kills one at
# every call). git's own receive-pack is git's business.
hub_hooks_killed() {
	hooks_template
	for stage in receive-check:write post-receive:write merge:rename merge:link; do
		hook_each "${stage%:*}" "${stage#*:}" signal=SIGKILL hook_checks
	done
	kill "$(cat server.pid)"
}

t "stale ref locks on a hub do not block it" stale_hub_locks_do_not_block
t "a kill on the hub's side of an HTTP sync: its check, receipt and merge" hub_hooks_killed
t "a kill at each write, fsync and rename of import, and at random" on_import kill_all
t "a kill at each write, fsync and rename of sync, and at random" on_sync kill_all
t "a kill at each write, fsync and rename of hub import, and at random" on_hub_import kill_all
t "a kill at each write, fsync and rename of hub merge, and at random" on_hub_merge kill_all
