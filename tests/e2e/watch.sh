#!/bin/sh
# sync --watch: keeps a node in step with its hub by itself, backs off while
# the link is down (never a busy loop), stops cleanly on SIGTERM.
. "$(dirname "$0")/lib.sh"

# wait_for SECONDS CMD...: until CMD succeeds, or fail
wait_for() {
	_n=$(($1 * 10))
	shift
	while ! "$@" 2>/dev/null; do
		_n=$((_n - 1))
		[ "$_n" -gt 0 ] || fail "waited in vain for: $*"
		sleep 0.1
	done
}

hub_has_head() {
	[ "$(git --git-dir=hub rev-parse -q --verify refs/heads/cities/tunis)" = \
		"$(git --git-dir=tunis/.git rev-parse HEAD)" ]
}

follows_the_node_and_stops_on_sigterm() {
	mkhub hub
	city tunis 2
	"$FS" -C tunis remote add hub "file://$PWD/hub" >/dev/null
	"$FS" -C tunis sync --watch --interval 0.2 2>log &
	pid=$!
	wait_for 20 hub_has_head
	# a record added while it runs reaches the hub without anyone asking
	action_json | "$FS" -C tunis add action >/dev/null
	wait_for 20 hub_has_head
	# and another writer is never kept out for long: the lock is taken per attempt
	action_json | FIELDSYNC_LOCK_TIMEOUT_MS=5000 "$FS" -C tunis add action >/dev/null
	wait_for 20 hub_has_head
	kill -TERM "$pid"
	set +e
	wait "$pid"
	rc=$?
	set -e
	[ "$rc" = 0 ] || { cat log; fail "exit $rc after SIGTERM"; }
	has log "sync --watch: started"
	has log "sync --watch: stopped"
	[ "$(grep -c "sync 'hub': .* commit" log)" -ge 2 ] || { cat log; fail "one line per sync"; }
	# under systemd, lines carry syslog levels for the journal
	JOURNAL_STREAM=8:1 "$FS" -C tunis sync --watch --interval 0.2 2>jlog &
	pid=$!
	wait_for 20 grep -q "up to date" jlog
	kill -INT "$pid"
	wait "$pid"
	grep -q '^<6>sync --watch: stopped' jlog || { cat jlog; fail "no syslog level"; }
}

backs_off_while_the_link_is_down() {
	mknode tunis tunis
	# a port where nothing listens: every attempt fails at once
	"$FS" -C tunis remote add hub "http://127.0.0.1:9/hub" >/dev/null
	"$FS" -C tunis sync --watch --interval 0.1 --backoff 0.5 --retries 0 2>log &
	pid=$!
	sleep 3.6
	kill -TERM "$pid"
	wait "$pid"
	# waits of about 0.5, 1, 2 s: 3 or 4 attempts in 3.6 s, not hundreds
	n=$(grep -c "next try in" log)
	[ "$n" -ge 2 ] && [ "$n" -le 5 ] || { cat log; fail "$n attempts in 3.6 s"; }
	grep -q '^.* sync .hub.: .*; next try in [0-9.]* s$' log || { cat log; fail "log line"; }
}

bad_watch_options() {
	mknode n tunis
	fails_clearly 2 "go with --watch" "$FS" -C n sync --interval 5
	fails_clearly 2 "no --json" "$FS" -C n sync --watch --json
	fails_clearly 2 "--interval '0'" "$FS" -C n sync --watch --interval 0
	# no remote: waiting would mend nothing, so it says so and stops
	fails_clearly 2 "no remote yet" "$FS" -C n sync --watch
}

# the units `make install` writes (the same substitution) are ones systemd takes
units_are_valid() {
	for u in "$SRC"/dist/systemd/*.service; do
		name=$(basename "$u" | sed 's/@/@srv-fieldsync-x/')
		sed -e "s|@BINDIR@|$BUILD|g" -e 's|@DOCDIR@|/usr/share/doc/fieldsync|g' "$u" >"$name"
		systemd-analyze verify --man=no "./$name" >verify 2>&1 || { cat verify; fail "$name"; }
		[ ! -s verify ] || { cat verify; fail "systemd-analyze complains about $name"; }
	done
	grep -q 'sync --watch' fieldsync-sync@srv-fieldsync-x.service
	# and the check would see a broken one
	sed 's/^Type=simple/Type=bogus/' fieldsync-sync@srv-fieldsync-x.service >bad@x.service
	systemd-analyze verify --man=no ./bad@x.service >verify 2>&1 || true
	has verify "service type"
}

t "the shipped systemd units are valid" units_are_valid
t "sync --watch follows the node and stops on SIGTERM" follows_the_node_and_stops_on_sigterm
t "sync --watch backs off while the link is down" backs_off_while_the_link_is_down
t "sync --watch: bad options" bad_watch_options
