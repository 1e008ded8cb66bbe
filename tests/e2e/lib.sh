# Sourced by the end-to-end tests. Each test is a shell function run by `t`
# in a subshell with `set -e`, in a fresh folder; it passes when it returns 0.
# Output: "PASS <script>: <name>" or "FAIL ..." followed by the test's log.
set -u

FS=${FIELDSYNC:?FIELDSYNC must name the fieldsync binary}
# the build folder: the test programs and man pages beside the binary
BUILD=$(dirname "$FS")
SRC=${FIELDSYNC_SRC:?FIELDSYNC_SRC must name the source tree}
SCRIPT=$(basename "$0" .sh)
# by its real path, as fieldsync names the hubs under it (stop_servers)
# (two steps: `cd ""` would succeed, and the trap remove the folder we are in)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/fs-e2e-$SCRIPT-XXXXXX") || exit 1
TMP=$(cd "$TMP" && pwd -P) || exit 1
# servers the tests started (lighttpd, sshd) go with the folder; a pid file
# can outlive its server, and the kernel hands its pid (of 32768) to some
# other process, another script's sshd say: only a server whose command line
# names this folder is ours to stop
stop_servers() {
	for _p in $(cat "$TMP"/*/server.pid "$TMP"/*/ssh/sshd.pid 2>/dev/null); do
		{ tr '\0' ' ' <"/proc/$_p/cmdline"; } 2>/dev/null | grep -qF "$TMP/" && kill "$_p" 2>/dev/null
	done
	rm -rf "$TMP"
}
trap stop_servers EXIT
# a fixed identity for stock git, and no user config leaking in
export HOME="$TMP/home" GIT_CONFIG_NOSYSTEM=1
mkdir -p "$HOME"
git config --global user.name "fieldsync tests"
git config --global user.email "tests@fieldsync.invalid"
git config --global init.defaultBranch main
unset FIELDSYNC_PASSPHRASE
# messages in English, whatever the machine's language (tests/e2e/i18n.sh tries others)
export LC_ALL=C.UTF-8
unset LANGUAGE

# FIELDSYNC_VALGRIND=1 (tests/valgrind): every fieldsync a test runs, and
# the hooks of the hubs mkhub makes, go through valgrind's memcheck; any
# report, a definite leak included, fails the test that made it and is shown
# (see `t`). Suppressed: known leaks of the libraries, tests/valgrind.supp.
if [ -n "${FIELDSYNC_VALGRIND:-}" ]; then
	mkdir -p "$TMP/bin" "$TMP/vg"
	cat >"$TMP/bin/fieldsync" <<EOF
#!/bin/sh
exec valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \\
	--show-leak-kinds=definite --num-callers=30 --suppressions="$SRC/tests/valgrind.supp" \\
	--log-file="\${FIELDSYNC_VG_LOGS:-$TMP/vg}/vg.%p" "$FS" "\$@"
EOF
	chmod +x "$TMP/bin/fieldsync"
	FS=$TMP/bin/fieldsync
fi

# FIELDSYNC_TESTS: a grep -E pattern; only the tests whose "script: name" matches run.
# FIELDSYNC_SHARD=K/N: of those, only every Nth from the Kth (tests/check runs
# a long script as N jobs at once).
_t_seen=0
t() {
	_name=$1
	shift
	if [ -n "${FIELDSYNC_TESTS:-}" ] && ! echo "$SCRIPT: $_name" | grep -Eq -- "$FIELDSYNC_TESTS"; then
		return 0
	fi
	_t_seen=$((_t_seen + 1))
	if [ -n "${FIELDSYNC_SHARD:-}" ] &&
		[ $(((_t_seen - 1) % ${FIELDSYNC_SHARD#*/})) -ne "${FIELDSYNC_SHARD%/*}" ]; then
		return 0
	fi
	_dir="$TMP/t$(printf '%s' "$_name" | tr -c 'a-zA-Z0-9' '_')"
	mkdir -p "$_dir" "$_dir.vg"
	# not inside `if`: errexit must stay on in the subshell
	(cd "$_dir" || exit 1; set -e; export FIELDSYNC_VG_LOGS="$_dir.vg"; "$@") >"$_dir.log" 2>&1
	_rc=$?
	# valgrind -q logs nothing but its reports; hooks log to $TMP/vg
	mv "$TMP"/vg/* "$_dir.vg" 2>/dev/null || true
	if [ -n "$(cat "$_dir.vg"/* 2>/dev/null)" ]; then
		echo "FAIL $SCRIPT: $_name (valgrind)"
		cat "$_dir.vg"/* | head -n 200 | sed 's/^/    /'
	elif [ "$_rc" -eq 0 ]; then
		echo "PASS $SCRIPT: $_name"
	else
		echo "FAIL $SCRIPT: $_name (exit $_rc)"
		tail -n 60 "$_dir.log" | sed 's/^/    /'
	fi
}

fail() {
	echo "assertion failed: $*" >&2
	exit 1
}

# run CODE CMD...: run CMD, expect exit status CODE; output in ./out and ./err
run() {
	_want=$1
	shift
	set +e
	"$@" >out 2>err
	_got=$?
	set -e
	if [ "$_got" != "$_want" ]; then
		echo "--- stdout"; cat out; echo "--- stderr"; cat err
		fail "expected exit $_want, got $_got: $*"
	fi
}

# fails_clearly CODE TEXT CMD...: CMD exits CODE with an "error: " line, saying TEXT
fails_clearly() {
	_code=$1 _text=$2
	shift 2
	run "$_code" "$@"
	[ -z "$_text" ] || has err "$_text"
	grep -q '^error: ' err || fail "no 'error:' line: $*"
}

# has FILE TEXT: FILE contains TEXT (fixed string)
has() {
	[ -n "$2" ] || fail "has: nothing to look for in '$1'"
	grep -qF -- "$2" "$1" || { echo "--- $1:"; cat "$1"; fail "'$1' lacks: $2"; }
}

hasnt() {
	! grep -qF -- "$2" "$1" || { echo "--- $1:"; cat "$1"; fail "'$1' has: $2"; }
}

# Everything a failed command must leave as it was: refs, objects, settings.
snapshot() {
	{
		git --git-dir="$1/.git" for-each-ref --format='%(refname) %(objectname)'
		cat "$1/.git/HEAD" "$1/.git/config"
		(cd "$1/.git" && find objects refs -type f | sort)
		ls -a "$1" "$1/.fieldsync" || true
	} 2>&1
}

same_as() {
	snapshot "$1" >"$TMP/snap.now"
	if ! cmp -s "$2" "$TMP/snap.now"; then
		diff "$2" "$TMP/snap.now" || true
		fail "node '$1' changed"
	fi
}

# A node for city $2 ("tunis") in folder $1.
mknode() {
	"$FS" -C "$1" init --city "$2" --name "${3:-$2}" --country "${4:-TN}" >/dev/null
}

action_json() {
	printf '{"country":"TN","title":"%s","description":"Une action locale.","start":"2023-10","end":null,"commitment":"mirror","priorities":[%s],"status":"ongoing"}\n' "${1:-Centre d accueil}" "${2:-3,4}"
}

service_json() {
	printf '{"date":"%s","category":"%s","person":"%s","population_group":"refugee","sex":"female","age_band":"25-59"}\n' "${1:-2026-11-20}" "${2:-health}" "${3:-0123456789abcdef0123456789abcdef}"
}

# strace for fault injection; LeakSanitizer cannot run under ptrace
traced() {
	ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" strace "$@"
}

# check_w CHECK WHAT: run CHECK in ./w with errexit on (not inside `||`,
# where sh ignores it, for every command of CHECK); fail, saying WHAT and
# showing CHECK's output, if it fails
check_w() {
	set +e
	(cd w && set -e && "$1") >check.log 2>&1
	_crc=$?
	set -e
	[ "$_crc" = 0 ] || { cat check.log; fail "$2"; }
}

# fault_each SYS INJECT TEMPLATE CHECK CMD...: in a fresh copy of folder
# TEMPLATE, at ./w, run CMD with strace's fault INJECT (signal=SIGKILL,
# error=ENOSPC) at call N of SYS, for every N CMD makes (up to FAULT_ALL, 40:
# past that a stride that keeps it to about 40 more); then CHECK in that copy,
# with CMD's exit status in ../rc, its stdout in ../fault.out and its stderr
# in ../fault.err. Templates are built at ./w and moved, so remotes name
# file://$PWD/w/hub.
fault_each() {
	_sys=$1 _inject=$2 _tpl=$3 _check=$4
	shift 4
	rm -rf w && cp -a "$_tpl" w
	(cd w && traced -f -qq -e trace="$_sys" -o ../count "$@" >/dev/null 2>&1)
	_calls=$(grep -c "$_sys(" count || true)
	[ "$_calls" -ge 1 ] || fail "no $_sys call in: $*"
	_all=${FAULT_ALL:-40}
	_i=1
	while [ "$_i" -le "$_calls" ]; do
		rm -rf w && cp -a "$_tpl" w
		set +e
		(cd w && traced -f -qq -o /dev/null -e trace="$_sys" \
			-e inject="$_sys":"$_inject":when="$_i" "$@" >../fault.out 2>../fault.err)
		echo $? >rc
		set -e
		check_w "$_check" "after $_inject at $_sys #$_i of $_calls: $*"
		if [ "$_i" -lt "$_all" ]; then
			_i=$((_i + 1))
		else
			_i=$((_i + (_calls - _all) / _all + 1))
		fi
	done
	echo "$_inject at each of $_calls $_sys calls: $*"
}

# kill_at_random N TEMPLATE CHECK CMD...: N times, in a fresh copy of
# TEMPLATE at ./w, start CMD in a session of its own and SIGKILL the whole
# session (hooks CMD started too, as a power cut does) at a random moment
# within the time an undisturbed run takes; then CHECK as fault_each does.
kill_at_random() {
	_n=$1 _tpl=$2 _check=$3
	shift 3
	rm -rf w && cp -a "$_tpl" w
	_t0=$(date +%s%N)
	(cd w && "$@" >/dev/null 2>&1)
	_ms=$((($(date +%s%N) - _t0) / 1000000 + 1))
	_i=0
	while [ "$_i" -lt "$_n" ]; do
		rm -rf w && cp -a "$_tpl" w
		_at=$(shuf -i 0-"$_ms" -n 1)
		(cd w && exec setsid "$@" >../fault.out 2>../fault.err) &
		_pid=$!
		sleep "$((_at / 1000)).$(printf %03d $((_at % 1000)))"
		kill -9 -- "-$_pid" 2>/dev/null || kill -9 "$_pid" 2>/dev/null || true
		set +e
		wait "$_pid"
		echo $? >rc
		set -e
		check_w "$_check" "after a kill at $_at ms of $_ms: $*"
		_i=$((_i + 1))
	done
	echo "killed at $_n random moments of $_ms ms: $*"
}

# acked YES|NO: a faulted command that reported success (exit 0, ../rc) has
# its work there (YES)
acked() {
	[ "$(cat ../rc)" != 0 ] || [ "$1" = yes ] ||
		{ cat ../fault.out; fail "reported success, but its work is not there"; }
}

# whole GITDIR...: stock git finds every object and ref sound
whole() {
	for _g in "$@"; do
		git --git-dir="$_g" fsck --full --strict >/dev/null 2>fsck || { cat fsck; fail "fsck $_g"; }
	done
}

# no_leftovers DIR...: nothing a writer killed earlier left behind (temporary
# packs and files, quarantines, locks) is still there
no_leftovers() {
	find "$@" \( -name 'tmp_*' -o -name 'pack_git2_*' -o -name 'incoming-*' \
		-o -name '*.tmp.*' -o -name '*.lock' \) -print >leftovers
	[ ! -s leftovers ] || { cat leftovers; fail "left behind"; }
}

# ---- the hub's side of an HTTP sync, under strace (crash.sh, iofaults.sh) ----

# ./tpl: a hub that merges on receive and tunis with 5 records, its remote
# the hub served at ./w/hub: every fresh copy of the template at ./w
hooks_template() {
	mkdir w
	(cd w && mkhub hub && git --git-dir=hub config fieldsync.mergeOnReceive true && city tunis 5)
	mv w tpl
	cp -a tpl w
	serve w/hub
	"$FS" -C tpl/tunis remote add hub "$(cat url)" --hub-key tpl/hub/fieldsync/key.pub >/dev/null
}

# hook_run STAGE SYS N ACTION: in a fresh ./w, the hub's hook STAGE
# (receive-check, post-receive or merge) runs under strace, which injects
# ACTION (signal=SIGKILL, error=ENOSPC) at its call N of SYS (0: its calls
# logged to ./count), while the node syncs over HTTP: its exit status in
# ./rc, its output in ./fault.out and ./fault.err
hook_run() {
	rm -rf w && cp -a tpl w
	if [ "$3" = 0 ]; then _how="-o $PWD/count"; else _how="-o /dev/null -e inject=$2:$4:when=$3"; fi
	# the web server passes no environment on; LeakSanitizer cannot run under ptrace
	sed -i "s|'\([^']*\)' hub $1|env ASAN_OPTIONS=detect_leaks=0 strace -f -qq -e trace=$2 $_how '\1' hub $1|" \
		w/hub/hooks/pre-receive w/hub/hooks/post-receive
	set +e
	(cd w && "$FS" -C tunis sync >../fault.out 2>../fault.err)
	echo $? >rc
	set -e
}

# hook_checks, in ./w after hook_run: both sides whole; "$JUDGE" on whether
# the push landed (crash.sh: a sync reported done is there; iofaults.sh: a
# failed one says so, exit 5); one reported done has the hub's receipt or a
# word that there is none; the next sync and merge need no repair; the hub
# audits; nothing is left behind
hook_checks() {
	cp ../tpl/hub/hooks/pre-receive ../tpl/hub/hooks/post-receive hub/hooks/
	whole tunis/.git hub
	synced && landed=yes || landed=no
	"$JUDGE" "$landed"
	[ "$(cat ../rc)" != 0 ] || grep -q "receipt is kept" ../fault.out ||
		grep -q "gave no receipt" ../fault.err || fail "synced without a receipt, silently"
	"$FS" -C tunis sync >/dev/null
	synced || fail "not synced after: sync"
	"$FS" -C hub hub merge >/dev/null
	"$FS" audit hub >/dev/null
	no_leftovers tunis hub
}

# hook_each STAGE SYS ACTION CHECK: ACTION at each call of SYS the hook
# STAGE makes, CHECK (run in ./w) after each
hook_each() {
	hook_run "$1" "$2" 0 "$3"
	_calls=$(grep -c "$2(" count || true)
	[ "$_calls" -ge 1 ] || fail "no $2 call in the hub's $1"
	_n=1
	while [ "$_n" -le "$_calls" ]; do
		hook_run "$1" "$2" "$_n" "$3"
		check_w "$4" "after $3 in the hub's $1 at $2 #$_n of $_calls"
		_n=$((_n + 1))
	done
	echo "$3 in the hub's $1 at each of its $_calls $2 calls"
}

# ---- hubs ----

hub_refs() {
	git --git-dir="$1" for-each-ref --format='%(refname) %(objectname)'
}

# mkhub DIR: a hub (under valgrind, its hooks' fieldsync too)
mkhub() {
	"$FS" hub init "$1" --name "Test hub" >/dev/null
	[ -z "${FIELDSYNC_VALGRIND:-}" ] ||
		sed -i "s|'[^']*' hub|'$FS' hub|g" "$1/hooks/pre-receive" "$1/hooks/post-receive"
}

# enroll HUB NODE CITY
enroll() {
	"$FS" -C "$1" hub enroll "$3" "$("$FS" -C "$2" key show --json | jq -r .public_key)" >/dev/null
}

# serve HUB: serve it over HTTP on a free port; its URL in ./url
serve() {
	for _i in 1 2 3 4 5 6 7 8; do
		_port=$(shuf -i 20000-60000 -n 1)
		if "$FS" -C "$1" hub serve --listen "127.0.0.1:$_port" --json >serve.json 2>serve.err; then
			jq -r .url serve.json >url
			jq -r .pid serve.json >"$PWD/server.pid"
			return 0
		fi
	done
	cat serve.err
	fail "cannot serve the hub"
}

# a city node with N service records, enrolled on ./hub unless NOENROLL is set
city() {
	mknode "$1" "$1"
	[ -n "${NOENROLL:-}" ] || enroll hub "$1" "$1"
	_i=0
	while [ "$_i" -lt "${2:-3}" ]; do
		service_json "2026-11-$(printf %02d $((_i % 28 + 1)))" health "$(printf '%032x' $((_i + 7)))"
		_i=$((_i + 1))
	done >"$1.ndjson"
	"$FS" -C "$1" import service "$1.ndjson" --batch 2 >/dev/null
}

# ./hub with two cities synced over file://: tunis 7 health services in
# 2026-11 and 2 food in 2026-10, an action for priorities 3 and 4 (TN);
# quito 3 health services in 2026-11, an action for priority 3 (EC)
tunis_and_quito() {
	mkhub hub
	city tunis 7
	for i in 1 2; do
		service_json 2026-10-0$i food "$(printf '%032x' $((100 + i)))"
	done | "$FS" -C tunis import service - >/dev/null
	action_json "Accueil" | "$FS" -C tunis add action >/dev/null
	city quito 3
	printf '{"country":"EC","title":"Casa","description":"x","start":"2024","end":null,"commitment":"gcr","priorities":[3],"status":"ongoing"}\n' |
		"$FS" -C quito add action >/dev/null
	for c in tunis quito; do
		"$FS" -C "$c" remote add hub "file://$PWD/hub" >/dev/null
		"$FS" -C "$c" sync >/dev/null
	done
}

# ---- the commands the crash and I/O fault tests disturb -------------------
# X_template builds ./tpl at ./w for fault_each and kill_at_random; X_checks
# judges a disturbed run in its copy: whole repositories, then "$JUDGE"
# yes|no (is the work there? crash.sh: acked, iofaults.sh: judged), then the
# same command again, the end state an undisturbed run gives, and nothing
# left behind.

# import of 6 records in batches of 2: whole batches, never a record twice
import_template() {
	mkdir w
	mknode w/n tunis
	for i in 1 2 3 4 5 6; do service_json "2026-11-0$i" health "$(printf '%032x' "$i")"; done >w/s.ndjson
	mv w tpl
}

import_checks() {
	whole n/.git
	had=$("$FS" -C n list service | wc -l)
	[ $((had % 2)) = 0 ] || fail "$had records: not whole batches of 2"
	[ "$had" = 6 ] && landed=yes || landed=no
	"$JUDGE" "$landed"
	"$FS" -C n import service s.ndjson --batch 2 >/dev/null
	[ "$("$FS" -C n list service | wc -l)" = 6 ] || fail "not exactly the file's 6 records"
	"$FS" -C n verify >/dev/null
	no_leftovers n
}

# sync of 5 services to a hub on a path: the hub checks and takes it all, once
sync_template() {
	mkdir w
	(cd w && mkhub hub && city tunis 5 && "$FS" -C tunis remote add hub "file://$PWD/hub" >/dev/null)
	mv w tpl
}

# the hub has tunis's head
synced() {
	[ "$(git --git-dir=hub rev-parse -q --verify refs/heads/cities/tunis)" = \
		"$(git --git-dir=tunis/.git rev-parse HEAD)" ]
}

# rerun_checks WORK GITDIRS DIRS CMD...: the GITDIRS whole, "$JUDGE" whether
# WORK (a function) holds, CMD again, then WORK holds, the hub audits, and
# nothing is left behind in DIRS
rerun_checks() {
	_work=$1 _gitdirs=$2 _dirs=$3
	shift 3
	whole $_gitdirs
	"$_work" && landed=yes || landed=no
	"$JUDGE" "$landed"
	"$@" >/dev/null
	"$_work" || fail "not $_work after: $*"
	"$FS" audit hub >/dev/null
	no_leftovers $_dirs
}

sync_checks() {
	rerun_checks synced "tunis/.git hub" "tunis hub" "$FS" -C tunis sync
}

# on_import, on_sync, on_hub_import, on_hub_merge RUNNER: the command's
# template built, then RUNNER TEMPLATE CHECK CMD... over it (crash.sh's
# kill_all, iofaults.sh's fault_all): the same workloads for kills and faults
on_import() {
	import_template
	"$1" tpl import_checks "$FS" -C n import service s.ndjson --batch 2
}

on_sync() {
	sync_template
	"$1" tpl sync_checks "$FS" -C tunis sync
}

on_hub_import() {
	bundle_template
	"$1" tpl bundle_checks "$FS" -C hub hub import tunis.bundle
}

on_hub_merge() {
	merge_template
	"$1" tpl merge_checks "$FS" -C hub hub merge
}

# bundle_template [N]: ./tpl, built at ./w for fault_each: ./hub with tunis
# enrolled, tunis with N services (5), tunis.bundle of its history, its head in ./head
bundle_template() {
	mkdir w
	(cd w && mkhub hub && city tunis "${1:-5}" &&
		"$FS" -C tunis bundle create "$PWD/tunis.bundle" >/dev/null &&
		git --git-dir=tunis/.git rev-parse HEAD >head)
	mv w tpl
}

# the hub has the bundle's head
imported() {
	[ "$(git --git-dir=hub rev-parse -q --verify refs/heads/cities/tunis)" = "$(cat head)" ]
}

bundle_checks() {
	rerun_checks imported hub hub "$FS" -C hub hub import tunis.bundle
}

# hub merge of tunis_and_quito; ./want, the unified tree an undisturbed
# merge of it makes
merge_template() {
	mkdir w
	(cd w && tunis_and_quito)
	mv w tpl
	cp -a tpl ref
	"$FS" -C ref/hub hub merge >/dev/null
	git --git-dir=ref/hub rev-parse refs/heads/unified^{tree} >want
}

# unified is the tree an undisturbed merge makes
merged() {
	[ "$(git --git-dir=hub rev-parse -q --verify refs/heads/unified^{tree})" = "$(cat ../want)" ]
}

merge_checks() {
	rerun_checks merged hub hub "$FS" -C hub hub merge
}

# crlf: stdin with CRLF line ends, as RFC 4180 writes CSV
crlf() {
	sed 's/$/\r/'
}
