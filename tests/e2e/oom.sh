#!/bin/sh
# Out of memory: the Nth allocation fails (FIELDSYNC_FAIL_ALLOC=N, util/alloc.h:
# ours, libgit2's through its allocator option, cJSON's through its hooks),
# across the whole run of init, add, edit, show, import, bundle create,
# sync to a hub on a path, hub import, hub merge and audit, on small
# repositories, and across the --json output of some of them. Every run that
# reaches N exits 0 with its work done or 5 with an "error:" line about
# memory, never by a signal; it leaves its repositories as they were or with
# the work done, and stock git finds them whole; a --json document is printed
# whole or not at all. In the sanitizer build LeakSanitizer checks each run: a leak exits
# 86 and fails the test.
#
# Each command makes 700 to 12,000 allocations, each run 10 to 40 ms: every
# N of every command would take half an hour. A run tests OOM_RUNS values of
# N per command (100, or 20 in the sanitizer build), every STEP-th from a
# random offset (fixed with OOM_OFFSET), so that successive runs cover other
# N; OOM_RUNS=0 tests every N. OOM_KEEP_GOING=1 lists every bad N instead of
# stopping at the first.
#
# libgit2 1.5 itself crashes or leaks on some of its failed allocations (a
# config snapshot, repository_alloc, git_tree_create_updated): after a
# libgit2 allocation fails, a crash is tolerated (what it leaves is still
# checked) and so is a leak whose every stack goes through libgit2;
# OOM_LIBGIT2_LOG=FILE keeps those reports.
. "$(dirname "$0")/lib.sh"

if ASAN_OPTIONS=help=1 "$FS" version 2>&1 | grep -q AddressSanitizer; then
	OOM_RUNS=${OOM_RUNS:-20}
else
	OOM_RUNS=${OOM_RUNS:-100}
fi
export FIELDSYNC_STALE_LOCK_MS=0
# never off for these runs, whatever the caller set: a leak must fail
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=1:exitcode=86"
unset FIELDSYNC_FAIL_ALLOC FIELDSYNC_COUNT_ALLOC

# everything a failed run must leave as it was, for a node or a bare hub
state() {
	for _r in "$@"; do
		[ -d "$_r/.git" ] && _g="$_r/.git" || _g=$_r
		[ -e "$_g" ] || { echo "$_r: none"; continue; }
		git --git-dir="$_g" for-each-ref --format='%(refname) %(objectname)'
		cat "$_g/HEAD" "$_g/config"
		# objects no ref reaches may stay, as after a kill (git gc drops them)
		(cd "$_g" && find refs -type f | sort)
		ls -a "$_r" "$_r/.fieldsync" "$_r/fieldsync" 2>/dev/null || true
	done 2>&1
}

# judged DONE: the faulted run ended well: done with exit 0, or an error
# about memory with exit 5; $1 says whether its work is there
judged() {
	_rc=$(cat ../rc)
	_git=no
	grep -q '^fieldsync: injected allocation failure .*(libgit2)' ../oom.err && _git=yes
	if [ "$_git" = yes ]; then
		case $_rc in
		# libgit2 1.5's own handling of a failed allocation crashes in places
		# (a config snapshot, repository_alloc): what it leaves is checked, and
		# what LeakSanitizer finds must have been allocated through libgit2
		134 | 139) echo crash >>../libgit2.crashes; return 0 ;;
		# the same in one of the audit's worker processes (util/workers.h)
		5) if grep -q '^error: worker process [0-9]* was killed by signal \(6\|11\) ' ../oom.err ||
			{ grep -q '^error: worker process [0-9]* ended with exit status 86 ' ../oom.err &&
				# two workers' reports interleave; workers _exit, so none is a leak report
				grep -q 'libgit2\.so' ../oom.err && ! grep -q 'LeakSanitizer' ../oom.err; }; then
			echo crash >>../libgit2.crashes
			return 0
		fi ;;
		86) if libgit2_only ../oom.err; then
			echo crash >>../libgit2.crashes
			# OOM_LIBGIT2_LOG=FILE keeps these reports, to look at
			[ -z "${OOM_LIBGIT2_LOG:-}" ] || cat ../oom.err >>"$OOM_LIBGIT2_LOG"
			return 0
		fi ;;
		esac
	fi
	case $_rc in
	0) [ "$1" = yes ] || fail "exit 0, but the work is not there" ;;
	5) grep '^error: ' ../oom.err >../errors || true
		# cli_fail's last resort is for libgit2's misreports; ours say it themselves
		[ "$_git" = yes ] || sed -i '/^error: memory ran out during this run/d' ../errors
		grep -q '[Mm]emory' ../errors ||
			{ cat ../oom.err; fail "exit 5 without an error line about memory"; } ;;
	*) cat ../oom.err; fail "exit $_rc" ;;
	esac
}

# libgit2_only ASAN_REPORT: every stack in it goes through libgit2
libgit2_only() {
	grep -q 'libgit2\.so' "$1" || return 1
	awk '/^(Direct|Indirect) leak|^==[0-9]+==ERROR: AddressSanitizer/ { if (open && !git) bad = 1; open = 1; git = 0 }
		/libgit2\.so/ { git = 1 }
		END { if (open && !git) bad = 1; exit bad }' "$1"
}

# oom_failed N CMD LOG: the run failing allocation N went wrong; with
# OOM_KEEP_GOING=1 say so and go on to the next N (to list them all)
oom_failed() {
	cat "$3"
	[ -n "${OOM_KEEP_GOING:-}" ] || fail "allocation $1 failed: $2"
	echo "FAILED at allocation $1: $2" | tee -a oom.failed
	OOM_FAILED=1
}

# oom_each TEMPLATE CHECK CMD...: in a copy of folder TEMPLATE at ./w, run CMD
# with allocation N failing, for N from 1 (or OOM_FROM) until a run no longer
# reaches N (no "injected allocation failure" line); CHECK judges each run in
# ./w, with CMD's exit status in ../rc, its stdout in ../oom.out, its stderr
# in ../oom.err and the state before in ../before. A run that changed nothing
# in w (names, sizes and times of every file) leaves the copy for the next N,
# and is judged by its exit status and error line alone unless OOM_CHECK_ALL
# is set. With OOM_TO, N stops there too (json_each: the document is made by
# the calling process, and an audit's worker processes, which inherit the
# count, allocate on far past its last allocation; oom_audit fails theirs).
oom_each() {
	_tpl=$1 _check=$2
	shift 2
	rm -rf w && cp -a "$_tpl" w
	(cd w && FIELDSYNC_COUNT_ALLOC=1 "$@" >/dev/null 2>../oom.err) ||
		{ cat oom.err; fail "without a fault: $*"; }
	_count=$(sed -n 's/^fieldsync: \([0-9]*\) allocations$/\1/p' oom.err | sort -n | tail -n 1)
	_step=1 _n=1
	if [ -n "${OOM_FROM:-}" ]; then
		_n=$OOM_FROM # every N from there (json_each)
	elif [ "$OOM_RUNS" -gt 0 ]; then
		_step=$(((_count + OOM_RUNS - 1) / OOM_RUNS))
		_n=${OOM_OFFSET:-$(shuf -i "1-$_step" -n 1)}
	fi
	echo "$*: $_count allocations, every $_step from $_n"
	rm -rf w && cp -a "$_tpl" w
	find w -printf '%p %s %T@\n' | sort >tree.tpl
	(cd w && state $STATE) >before
	_runs=0
	rm -f libgit2.crashes
	_past=
	while :; do
		if [ -n "${OOM_TO:-}" ] && [ "$_n" -gt "$OOM_TO" ]; then
			_past=1
			break
		fi
		set +e
		(cd w && FIELDSYNC_FAIL_ALLOC=$_n "$@" >../oom.out 2>../oom.err)
		echo $? >rc
		set -e
		grep -q '^fieldsync: injected allocation failure' oom.err || break
		_runs=$((_runs + 1))
		find w -printf '%p %s %T@\n' | sort >tree.now
		if ! cmp -s tree.tpl tree.now || [ "$(cat rc)" != 5 ] || [ -n "${OOM_CHECK_ALL:-}" ]; then
			(cd w && "$_check") >check.log 2>&1 ||
				oom_failed "$_n" "$*" check.log
			rm -rf w && cp -a "$_tpl" w
			find w -printf '%p %s %T@\n' | sort >tree.tpl
		else
			(cd w && judged no) >check.log 2>&1 || oom_failed "$_n" "$*" check.log
		fi
		_n=$((_n + _step))
	done
	[ -n "$_past" ] || [ "$(cat rc)" = 0 ] ||
		{ cat oom.err; fail "exit $(cat rc) with allocation $_n not reached: $*"; }
	echo "$_runs runs, $(cat libgit2.crashes 2>/dev/null | wc -l) of them crashed in libgit2"
	# the list again at the end: a test's last lines are what a failure shows
	[ -z "${OOM_FAILED:-}" ] || { cat oom.failed; fail "some allocations failed badly"; }
}

# unchanged: the repositories in $STATE are as ../before says. A crashed
# run may leave git's lock files, as a kill does: the next writer of the
# node or hub clears them (fs_node_open), tests/e2e/crash.sh shows it.
unchanged() {
	state $STATE >../after
	case $(cat ../rc) in
	134 | 139 | 86) sed -i '/\.lock$/d' ../after ;;
	esac
	cmp -s ../before ../after || { diff ../before ../after; fail "changed: $STATE"; }
}

# yes_if TEST...: judge the run by whether TEST finds the work done; when it
# does not, nothing may have changed
yes_if() {
	if "$@"; then
		judged yes
	else
		unchanged
		judged no
	fi
}

# ---- a node ----------------------------------------------------------------

init_check() {
	if [ -e n/.git ]; then
		whole n/.git
		"$FS" -C n verify >/dev/null
		judged yes
	else
		# what a failed init may leave (a folder, its staging) the next one clears
		judged no
		[ ! -e n ] || "$FS" -C n init --city tunis --name Tunis --country TN >/dev/null
	fi
}

oom_init() {
	mkdir tpl
	STATE=n oom_each tpl init_check "$FS" -C n init --city tunis --name Tunis --country TN
}

commits() {
	[ "$(git --git-dir=n/.git rev-list --count HEAD)" = "$1" ]
}

add_check() {
	whole n/.git
	yes_if commits 2
	# an add that failed stored nothing: run again, it must not store twice
	[ "$(cat ../rc)" = 0 ] || ! commits 2 || { cat ../oom.err; fail "failed, but the record landed"; }
}

oom_add() {
	mkdir tpl
	mknode tpl/n tunis
	action_json >tpl/a.json
	STATE=n oom_each tpl add_check "$FS" -C n add action a.json
}

# a node with an action (its id in ./id) and a service, at ./tpl
node_tpl() {
	mkdir tpl
	mknode tpl/n tunis
	action_json | "$FS" -C tpl/n add action >tpl/id
	service_json | "$FS" -C tpl/n add service >/dev/null
}

edited() {
	"$FS" -C n show "$(cat id)" | jq -e '.title == "Edited"' >/dev/null
}

edit_check() {
	whole n/.git
	yes_if edited
}

oom_edit() {
	node_tpl
	"$FS" -C tpl/n show "$(cat tpl/id)" | jq -c '.title = "Edited"' >tpl/e.json
	STATE=n oom_each tpl edit_check "$FS" -C n edit "$(cat tpl/id)" e.json
}

shown() {
	[ "$(cat ../rc)" = 0 ] && cmp -s ../oom.out want
}

show_check() {
	yes_if shown
}

oom_show() {
	node_tpl
	"$FS" -C tpl/n show "$(cat tpl/id)" >tpl/want
	STATE=n oom_each tpl show_check "$FS" -C n show "$(cat tpl/id)"
}

imported() {
	[ "$("$FS" -C n list service | wc -l)" = 3 ]
}

import_check() {
	whole n/.git
	yes_if imported
}

oom_import() {
	mkdir tpl
	mknode tpl/n tunis
	for i in 1 2 3; do service_json "2026-11-0$i" health "$(printf '%032x' "$i")"; done >tpl/s.ndjson
	STATE=n oom_each tpl import_check "$FS" -C n import service s.ndjson
}

bundled() {
	[ -e t.bundle ] && git --git-dir=n/.git bundle verify t.bundle >/dev/null 2>&1
}

bundle_check() {
	whole n/.git
	yes_if bundled
}

oom_bundle_create() {
	node_tpl
	STATE=n oom_each tpl bundle_check "$FS" -C n bundle create "$PWD/w/t.bundle"
}

# ---- a hub -----------------------------------------------------------------

synced() {
	[ "$(git --git-dir=hub rev-parse -q --verify refs/heads/cities/tunis)" = \
		"$(git --git-dir=tunis/.git rev-parse HEAD)" ]
}

sync_check() {
	whole tunis/.git hub
	yes_if synced
}

oom_sync() {
	mkdir w
	(cd w && mkhub hub && city tunis 3 && "$FS" -C tunis remote add hub "file://$PWD/hub" >/dev/null)
	mv w tpl
	STATE="hub tunis" oom_each tpl sync_check "$FS" -C tunis sync
}

hub_imported() {
	[ "$(git --git-dir=hub rev-parse -q --verify refs/heads/cities/tunis)" = "$(cat head)" ]
}

hub_import_check() {
	whole hub
	yes_if hub_imported
}

oom_hub_import() {
	bundle_template 3
	STATE=hub oom_each tpl hub_import_check "$FS" -C hub hub import tunis.bundle
}

oom_merged() {
	git --git-dir=hub rev-parse -q --verify refs/heads/unified >/dev/null &&
		{ [ "$(git --git-dir=hub rev-parse refs/heads/unified^{tree})" = "$(cat ../want)" ] ||
			fail "another unified tree than an undisturbed merge's"; }
}

merge_check() {
	whole hub
	yes_if oom_merged
}

oom_hub_merge() {
	merge_template
	STATE=hub oom_each tpl merge_check "$FS" -C hub hub merge
}

audited() {
	[ "$(cat ../rc)" = 0 ]
}

audit_check() {
	yes_if audited
}

oom_audit() {
	merge_template
	"$FS" -C tpl/hub hub merge >/dev/null
	STATE=hub oom_each tpl audit_check "$FS" audit hub
}

# ---- --json output -----------------------------------------------------------
#
# A command makes its --json document last, in a few dozen of cJSON's
# allocations that the runs above, every STEP-th N, seldom hit. cJSON's Add
# functions return NULL when one fails and leave the member out: the rest
# was printed with exit 0. json_each fails each of the last allocations of
# a run instead: as many as --json adds to the command, and OOM_JSON_MARGIN
# (20) before them.

# allocs ERRFILE: the count FIELDSYNC_COUNT_ALLOC=1 printed (the largest: a
# hook counts its own)
allocs() {
	sed -n 's/^fieldsync: \([0-9]*\) allocations$/\1/p' "$1" | sort -n | tail -n 1
}

# json_each TEMPLATE CHECK NORM CMD...: oom_each for CMD --json, from the
# allocation where CMD alone starts to differ; ./json.want is what an
# undisturbed run prints, through jq NORM (which blanks what differs from
# run to run, as a new record's id)
json_each() {
	_tpl=$1 _check=$2 _norm=$3
	shift 3
	rm -rf w && cp -a "$_tpl" w
	(cd w && FIELDSYNC_COUNT_ALLOC=1 "$@" >/dev/null 2>../plain.err) ||
		{ cat plain.err; fail "without a fault: $*"; }
	rm -rf w && cp -a "$_tpl" w
	(cd w && FIELDSYNC_COUNT_ALLOC=1 "$@" --json >../plain.out 2>../plainj.err) ||
		fail "without a fault: $* --json"
	jq -cS "$_norm" plain.out >json.want
	_from=$(($(allocs plain.err) - ${OOM_JSON_MARGIN:-20}))
	JSON_NORM=$_norm OOM_FROM=$((_from > 1 ? _from : 1)) OOM_TO=$(allocs plainj.err) \
		OOM_CHECK_ALL=1 oom_each "$_tpl" "$_check" "$@" --json
}

# json_out: the run printed the whole document an undisturbed run prints
# and exited 0; or it failed, and printed nothing or a whole error object:
# never a document that lacks a member
json_out() {
	if [ "$(cat ../rc)" = 0 ]; then
		jq -cS "$JSON_NORM" ../oom.out >../got 2>&1 && cmp -s ../got ../json.want ||
			{ cat ../oom.out; fail "exit 0, but not the whole document"; }
	elif [ -s ../oom.out ]; then
		jq -e '(keys == ["error"]) and (.error | keys == ["code", "message"])' \
			../oom.out >/dev/null 2>&1 ||
			{ cat ../oom.out; fail "exit $(cat ../rc) with a document that lacks a part"; }
	fi
}

# a command that only reads: nothing changed, the document whole or none
json_read_check() {
	unchanged
	judged yes
	json_out
}

json_add_check() {
	whole n/.git
	yes_if commits 2
	json_out
	# a failure once the record landed must say so: an add run again stores it twice
	if [ "$(cat ../rc)" != 0 ] && commits 2; then
		cat ../oom.out ../oom.err | grep -q "record '.*' was added (do not add it again)" ||
			{ cat ../oom.out ../oom.err; fail "the record landed, but the error does not say so"; }
	fi
}

oom_json_add() {
	mkdir tpl
	mknode tpl/n tunis
	action_json >tpl/a.json
	STATE=n json_each tpl json_add_check '.id = "ID"' "$FS" -C n add action a.json
}

oom_json_verify() {
	node_tpl
	STATE=n json_each tpl json_read_check . "$FS" -C n verify -v
}

oom_json_key_show() {
	node_tpl
	STATE=n json_each tpl json_read_check . "$FS" -C n key show
}

oom_json_status() {
	node_tpl
	"$FS" -C tpl/n remote add hub "file://$PWD/hub" >/dev/null
	STATE=n json_each tpl json_read_check . "$FS" -C n status
}

oom_json_audit() {
	merge_template
	"$FS" -C tpl/hub hub merge >/dev/null
	STATE=hub json_each tpl json_read_check . "$FS" audit hub
}

# An error is printed as {"error": {"code", "message"}} with --json: a
# failure while making it prints none, never one without its message; the
# exit status is the error's (1: no such record), or 5 for a failure before
oom_json_error() {
	node_tpl
	_id=01928f3e-8c4b-7a21-9f00-3c5d7e8a9b10
	(cd tpl && FIELDSYNC_COUNT_ALLOC=1 "$FS" -C n show $_id --json >../want 2>../plain.err) &&
		fail "show of no record succeeded"
	jq -e '.error.code == "not-found"' want >/dev/null
	_n=$(($(allocs plain.err) - ${OOM_JSON_MARGIN:-20}))
	while :; do
		set +e
		(cd tpl && FIELDSYNC_FAIL_ALLOC=$_n "$FS" -C n show $_id --json >../oom.out 2>../oom.err)
		echo $? >rc
		set -e
		grep -q '^fieldsync: injected allocation failure' oom.err || break
		case $(cat rc) in
		1 | 5) grep -q '^error: ' oom.err || { cat oom.err; fail "exit $(cat rc) without an error line"; } ;;
		*) cat oom.err; fail "exit $(cat rc) at allocation $_n" ;;
		esac
		(mkdir -p x && cd x && json_out) || fail "allocation $_n"
		_n=$((_n + 1))
	done
	cmp -s oom.out want || fail "not the error an undisturbed run prints"
}

t "out of memory at allocation N of init" oom_init
t "out of memory at allocation N of add" oom_add
t "out of memory at allocation N of edit" oom_edit
t "out of memory at allocation N of show" oom_show
t "out of memory at allocation N of import" oom_import
t "out of memory at allocation N of bundle create" oom_bundle_create
t "out of memory at allocation N of sync to a hub on a path" oom_sync
t "out of memory at allocation N of hub import" oom_hub_import
t "out of memory at allocation N of hub merge" oom_hub_merge
t "out of memory at allocation N of audit" oom_audit
t "out of memory while making the --json output of add" oom_json_add
t "out of memory while making the --json output of verify" oom_json_verify
t "out of memory while making the --json output of key show" oom_json_key_show
t "out of memory while making the --json output of status" oom_json_status
t "out of memory while making the --json output of audit" oom_json_audit
t "out of memory while making an error's --json output" oom_json_error
