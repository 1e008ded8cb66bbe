#!/bin/sh
# fieldsync import: many records, commits of bounded size, all-or-nothing per
# commit, resumable after a kill.
. "$(dirname "$0")/lib.sh"

# services FILE N: N synthetic service records, one per line
services() {
	i=0
	: >"$1"
	while [ "$i" -lt "$2" ]; do
		printf '{"date":"2026-%02d-%02d","category":"food","person":"%032x","population_group":"migrant","sex":"male","age_band":"18-24"}\n' \
			$((i % 12 + 1)) $((i % 28 + 1)) "$i" >>"$1"
		i=$((i + 1))
	done
}

imports_in_batches() {
	mknode n tunis
	services s.ndjson 250
	printf '\n   \n' >>s.ndjson # blank lines are skipped
	run 0 "$FS" -C n import service s.ndjson --batch 100 --json
	[ "$(jq .total out)" = 250 ] && [ "$(jq .imported out)" = 250 ] && [ "$(jq .commits out)" = 3 ] ||
		{ cat out; fail "counts"; }
	[ "$(git --git-dir=n/.git rev-list --count HEAD)" = 4 ] || fail "1 init + 3 batch commits"
	git --git-dir=n/.git log --format=%s >subjects
	has subjects "import service: 100 records (lines 1-100)"
	has subjects "import service: 50 records (lines 201-250)"
	git --git-dir=n/.git log -1 --format=%B >body
	grep -Eq '^Fieldsync-Import: [0-9a-f]{64} 201-250$' body || { cat body; fail "trailer"; }
	run 0 "$FS" -C n list service --json
	[ "$(jq length out)" = 250 ] || fail "250 records"
	# every record is canonical and validates: re-adding one changes nothing
	"$FS" -C n verify >/dev/null
	git --git-dir=n/.git fsck --full --strict
}

the_batch_setting() {
	mknode n tunis
	services s.ndjson 30
	git --git-dir=n/.git config fieldsync.importBatch 7
	run 0 "$FS" -C n import service s.ndjson
	has out "imported 30 service records in 5 commits"
}

import_from_stdin() {
	mknode n tunis
	services s.ndjson 12
	run 0 sh -c "'$FS' -C n import service - <s.ndjson"
	has out "imported 12 service records in 1 commit"
	[ -z "$(ls n/.fieldsync | grep tmp)" ] || fail "spool file left"
}

the_same_file_twice_adds_nothing() {
	mknode n tunis
	services s.ndjson 20
	"$FS" -C n import service s.ndjson --batch 8 >/dev/null
	head=$(git --git-dir=n/.git rev-parse HEAD)
	run 0 "$FS" -C n import service s.ndjson --batch 8
	has out "all 20 records were imported before"
	[ "$(git --git-dir=n/.git rev-parse HEAD)" = "$head" ] || fail "a commit was made"
	# a different file is imported
	services t.ndjson 21
	run 0 "$FS" -C n import service t.ndjson
	has out "imported 21"
}

a_killed_import_resumes() {
	mknode n tunis
	services s.ndjson 600
	# kill after the second batch commit has moved the ref
	set +e
	traced -f -qq -o /dev/null -e trace=rename \
		-e inject=rename:signal=SIGKILL:when=4 "$FS" -C n import service s.ndjson --batch 100 >/dev/null 2>&1
	set -e
	git --git-dir=n/.git fsck --full --strict
	landed=$("$FS" -C n list service --json | jq length)
	[ "$landed" -gt 0 ] && [ "$landed" -lt 600 ] || fail "$landed records after the kill"
	[ $((landed % 100)) = 0 ] || fail "a batch landed in part: $landed"
	run 0 "$FS" -C n import service s.ndjson --batch 100 --json
	[ "$(jq .skipped out)" = "$landed" ] || { cat out; fail "skipped"; }
	[ "$("$FS" -C n list service --json | jq length)" = 600 ] || fail "not 600 after resuming"
	# no person appears twice: nothing was imported twice
	[ "$("$FS" -C n list service --json | jq '[.[].person] | unique | length')" = 600 ] || fail "duplicates"
}

progress_on_a_terminal() {
	command -v script >/dev/null || { echo "script(1) is needed"; exit 1; }
	mknode n tunis
	services s.ndjson 50
	script -qec "'$FS' -C n import service s.ndjson --batch 10" /dev/null >tty.out
	has tty.out "importing: 50/50 records (100%)"
	# not on a pipe
	"$FS" -C n import service s.ndjson --batch 10 2>pipe.err >/dev/null || true
	hasnt pipe.err "importing:"
}

t "import in batches" imports_in_batches
t "the fieldsync.importBatch setting" the_batch_setting
t "import from standard input" import_from_stdin
t "the same file twice adds nothing" the_same_file_twice_adds_nothing
t "a killed import resumes where it stopped" a_killed_import_resumes
t "progress on a terminal only" progress_on_a_terminal
