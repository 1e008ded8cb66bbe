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
JUDGE=judged

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
	[ "$(git --git-dir=n/.git rev-list --count HEAD)" = 3 ] && landed=yes || landed=no
	judged "$landed"
	"$FS" -C n add action f >/dev/null
	"$FS" -C n verify >/dev/null
	no_leftovers n
}

faults_in_add() {
	mkdir w
	mknode w/n tunis
	action_json >w/f
	# a second add merges the two small packs it finds (node/pack.h): pwrite64 too
	"$FS" -C w/n add action w/f >/dev/null
	mv w tpl
	fault_all tpl add_checks "$FS" -C n add action f
}

# The hub's side of a sync over HTTP, out of reach of the faults above (it
# runs under the web server). Of its hooks only the merge on receive writes
# to the hub's disk (the check and the receipt write their lines to git, on
# stderr): a full or failing disk at each of its writes, fsyncs and moves.
# The push has landed by then; the sync says done, and the next merge makes
# what the failed one did not.
hub_hooks_faulted() {
	hooks_template
	for stage in merge:write merge:fsync merge:rename merge:link; do
		for fault in error=ENOSPC error=EIO; do
			hook_each "${stage%:*}" "${stage#*:}" "$fault" hook_checks
		done
	done
	kill "$(cat server.pid)"
}

t "ENOSPC and EIO at each write, fsync and rename of add" faults_in_add
t "ENOSPC and EIO at each write, fsync and rename of import" on_import fault_all
t "ENOSPC and EIO at each write, fsync and rename of sync" on_sync fault_all
t "ENOSPC and EIO at each write, fsync and rename of hub import" on_hub_import fault_all
t "ENOSPC and EIO at each write, fsync and rename of hub merge" on_hub_merge fault_all
t "ENOSPC and EIO on the hub's side of an HTTP sync: its merge on receive" hub_hooks_faulted
