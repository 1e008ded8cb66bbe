#!/bin/sh
# Bad input gets a clear error naming the problem, a non-zero exit, and
# leaves the node exactly as it was: same refs, same objects, same settings.
. "$(dirname "$0")/lib.sh"

# refuse CODE MESSAGE CMD...: CMD fails with CODE, says MESSAGE, changes nothing in ./n
refuse() {
	_code=$1
	_msg=$2
	shift 2
	snapshot n >before
	run "$_code" "$@"
	has err "$_msg"
	grep -q '^error: ' err || fail "no 'error:' line"
	same_as n before
}

node_with_a_record() {
	mknode n tunis
	action_json | "$FS" -C n add action >id
}

malformed_json() {
	node_with_a_record
	printf '{"title": "x",}' >f
	refuse 1 "record: malformed JSON at line 1, column 15: trailing comma" "$FS" -C n add action f
	printf '{"title": "x"' >f
	refuse 1 "malformed JSON at line 1" "$FS" -C n add action f
	printf '{"title": "\351t\351"}' >f
	refuse 1 "invalid UTF-8 in string" "$FS" -C n add action f
	: >f
	refuse 1 "unexpected end of input" "$FS" -C n add action f
	printf '{"a": 1, "a": 2}' >f
	refuse 1 'duplicate key "a"' "$FS" -C n add action f
	printf '[1, 2]' >f
	refuse 1 "record: expected a JSON object, found an array" "$FS" -C n add action f
	printf '{"a": 1}\n{"b": 2}' >f
	refuse 1 "unexpected data after the JSON value" "$FS" -C n add action f
	printf '\n\n  {"a": 01}' >f
	refuse 1 "line 3, column 10: leading zero" "$FS" -C n add action f
}

schema_violations() {
	node_with_a_record
	action_json | jq 'del(.title)' >f
	refuse 1 "record: /title: " "$FS" -C n add action f
	action_json | jq '.priorities = [9]' >f
	refuse 1 "record: /priorities/0: expected one of 1, 2, 3, 4, 5, 6, 7, 8, found 9" "$FS" -C n add action f
	action_json | jq '.priorities = [3, 3]' >f
	refuse 1 "record: /priorities: " "$FS" -C n add action f
	action_json | jq '.priorities = []' >f
	refuse 1 "record: /priorities: " "$FS" -C n add action f
	action_json | jq '.country = "ZZ"' >f
	refuse 1 'record: /country: expected one of the 249 values' "$FS" -C n add action f
	action_json | jq '.commitment = "both"' >f
	refuse 1 'record: /commitment: expected one of "gcr", "gcm", "mirror", "idp", found "both"' "$FS" -C n add action f
	action_json | jq '.start = "2023-13"' >f
	refuse 1 "record: /start: expected a year, a month or a day" "$FS" -C n add action f
	action_json | jq '.start = 2023' >f
	refuse 1 "record: /start: expected a string" "$FS" -C n add action f
	action_json | jq '.start = "2024-05" | .end = "2023"' >f
	refuse 1 "record: /end: expected a date not before /start" "$FS" -C n add action f
	action_json | jq '.figures = {"people_reached": -4}' >f
	refuse 1 "record: /figures/people_reached: " "$FS" -C n add action f
	action_json | jq '.title = ""' >f
	refuse 1 "record: /title: expected at least 1 character" "$FS" -C n add action f
	service_json 2023-02-30 >f
	refuse 1 "record: /date: expected a date as YYYY-MM-DD" "$FS" -C n add service f
	service_json 2026-01-01 health "NOT-A-PSEUDONYM" >f
	refuse 1 "record: /person: expected a pseudonymous person id" "$FS" -C n add service f
	service_json | jq '.sex = "f"' >f
	refuse 1 'record: /sex: expected one of "female", "male", "other", "unknown", found "f"' "$FS" -C n add service f
	# a field the schema does not know, such as a name, is refused
	service_json | jq '.nickname = "somebody"' >f
	refuse 1 "record: /nickname: " "$FS" -C n add service f
	# several problems are all reported
	service_json | jq '.sex = "f" | .age_band = "30" | del(.category)' >f
	refuse 1 "record: /sex: " "$FS" -C n add service f
	has err "record: /age_band: "
	has err "record: /category: "
}

plaintext_protected_part_is_refused() {
	node_with_a_record
	service_json | jq '.protected = {"notes": "synthetic note"}' >f
	refuse 1 "record: /protected: " "$FS" -C n add service f
	hasnt n/.git/config "synthetic note"
}

wrong_kind() {
	node_with_a_record
	service_json >f
	refuse 1 'record: /schema: expected an action schema such as "action/1", found "service/1"' \
		sh -c "jq '.schema = \"service/1\"' f | '$FS' -C n add action"
	refuse 2 "unknown record kind 'person'" "$FS" -C n add person f
	refuse 2 "unknown record kind 'actions'" "$FS" -C n list actions
	action_json | jq '.schema = "action/7"' >f
	refuse 1 "record: /schema: " "$FS" -C n add action f
}

another_city() {
	node_with_a_record
	action_json | jq '.city = "sousse"' >f
	refuse 1 'record: /city: this node records for city "tunis", found "sousse"' "$FS" -C n add action f
}

ids_with_slashes_or_dots() {
	node_with_a_record
	action_json >f
	for bad in "../x" "a/b" "../../.git/config" "0192f3e4-8c4b-7a21-9f00-3c5d7e8a9b1/" ".."; do
		refuse 1 "record id '$bad': ids never contain '/' or '..'" "$FS" -C n show "$bad"
		refuse 1 "record id '$bad'" "$FS" -C n edit "$bad" f
		refuse 1 "record id '$bad'" "$FS" -C n rm "$bad"
		refuse 1 "record id '$bad'" "$FS" -C n log "$bad"
	done
	refuse 1 "record id 'nope': not a record id" "$FS" -C n show nope
	action_json | jq '.id = "../x"' >f
	refuse 1 "record: /id: set by the node" "$FS" -C n add action f
	refuse 1 "no such record" "$FS" -C n edit 0192f3e4-8c4b-7a21-9f00-3c5d7e8a9b10 f
}

record_over_one_mib() {
	node_with_a_record
	head -c 1100000 /dev/zero | tr '\0' 'a' >big
	printf '{"title":"%s"}' "$(cat big)" >f
	refuse 1 "larger than the limit of 1048576 bytes" "$FS" -C n add action f
	refuse 1 "larger than the limit" sh -c "cat f | '$FS' -C n add action -"
}

missing_or_unreadable_key() {
	node_with_a_record
	action_json >f
	mv n/.fieldsync/key keep
	refuse 3 "key '" "$FS" -C n add action f
	has err "n/.fieldsync/key"
	mv keep n/.fieldsync/key
	if [ "$(id -u)" != 0 ]; then
		chmod 000 n/.fieldsync/key
		refuse 3 "key '" "$FS" -C n add action f
		chmod 600 n/.fieldsync/key
	fi
	cp n/.fieldsync/key keep
	head -c 20 keep >n/.fieldsync/key
	refuse 3 "key '" "$FS" -C n add action f
	cp keep n/.fieldsync/key
	run 0 "$FS" -C n add action f
}

key_with_loose_permissions() {
	node_with_a_record
	action_json >f
	for mode in 644 640 604 660 606 620; do
		chmod "$mode" n/.fieldsync/key
		refuse 3 "lets others read the secret key" "$FS" -C n add action f
		has err "chmod 600"
	done
	chmod 600 n/.fieldsync/key
	run 0 "$FS" -C n add action f
}

a_node_of_another_key() {
	node_with_a_record
	mknode m tunis
	action_json >f
	cp m/.fieldsync/key n/.fieldsync/key
	refuse 3 "it is not the key of node" "$FS" -C n add action f
}

passphrase_protected_key() {
	FIELDSYNC_PASSPHRASE="correct horse" "$FS" -C n init --city tunis --name Tunis --country TN --passphrase >/dev/null
	action_json >f
	FIELDSYNC_PASSPHRASE="correct horse" "$FS" -C n add action f >/dev/null
	refuse 3 "wrong passphrase" env FIELDSYNC_PASSPHRASE="wrong horse" "$FS" -C n add action f
	# no terminal and no FIELDSYNC_PASSPHRASE: a clear message, not a hang
	refuse 3 "passphrase" sh -c "'$FS' -C n add action f </dev/null"
	# reading needs no key at all
	run 0 "$FS" -C n list
}

never_initialised() {
	mkdir n
	git init -q --bare n/.git
	snapshot n >before
	action_json >f
	run 3 "$FS" -C n add action f
	has err "is a git repository but not a fieldsync node"
	same_as n before
	mkdir plain
	for cmd in "list" "show 0192f3e4-8c4b-7a21-9f00-3c5d7e8a9b10" "log" "verify" "key show" "gc"; do
		# shellcheck disable=SC2086
		run 3 "$FS" -C plain $cmd
		has err "is not a fieldsync node"
		has err "fieldsync init --city"
	done
	run 3 "$FS" -C plain add action f
	run 3 "$FS" -C does-not-exist list
	[ ! -e plain/.git ] && [ ! -e does-not-exist ] || fail "a read command created something"
}

unknown_commands_and_options() {
	node_with_a_record
	refuse 2 "unknown command 'ad'" "$FS" -C n ad action
	refuse 2 "unknown option '--city'" "$FS" -C n add action --city x
	refuse 2 "option '--batch' needs a value" "$FS" -C n import action f --batch
	refuse 2 "--batch '0': expected 1 to" "$FS" -C n import action f --batch 0
	refuse 2 "option '--json' takes no value" "$FS" -C n list --json=yes
}

# Every option that takes a whole number reads it alike: digits only, in range
numbers_are_digits_only() {
	node_with_a_record
	action_json >f.ndjson
	"$FS" -C n remote add hub "file://$PWD/nowhere" >/dev/null
	for bad in "" " 5" "5 " "+5" "-5" "5x" "0x10" "99999999999999999999999"; do
		refuse 2 "--batch '$bad': expected 1 to" "$FS" -C n import action f.ndjson --batch "$bad"
		refuse 2 "-n '$bad': expected a positive number" "$FS" -C n log -n "$bad"
		refuse 2 "--retries '$bad': expected 0 to 1000" "$FS" -C n sync --retries "$bad"
		refuse 2 "--batch-bytes '$bad': expected a number" "$FS" -C n sync --batch-bytes "$bad"
		refuse 2 "--jobs '$bad': expected 1 to 64" "$FS" -C n audit --jobs "$bad"
	done
	# the edges are taken
	run 0 "$FS" -C n log -n 1
	run 0 "$FS" -C n import action f.ndjson --batch 10000
}

bad_import_writes_nothing() {
	node_with_a_record
	{
		action_json "one"
		action_json "two"
		echo '{"title": "broken",'
		action_json "three" 9
		action_json "four"
	} >f.ndjson
	refuse 1 "line 3: malformed JSON" "$FS" -C n import action f.ndjson --batch 1
	has err "line 4: /priorities/0: "
	has err "2 of 5 records are bad; nothing was imported"
	refuse 1 "import file 'nope.ndjson': no such file" "$FS" -C n import action nope.ndjson
	service_json >s.ndjson
	refuse 1 'line 1: /date: expected no such field' "$FS" -C n import action s.ndjson
	service_json | jq -c '.schema = "service/1"' >s.ndjson
	refuse 1 'line 1: /schema: expected an action schema' "$FS" -C n import action s.ndjson
}

t "malformed JSON" malformed_json
t "schema violations" schema_violations
t "a plaintext protected part is refused" plaintext_protected_part_is_refused
t "a record of the wrong kind" wrong_kind
t "a record for another city" another_city
t "ids with / or .." ids_with_slashes_or_dots
t "a record over 1 MiB" record_over_one_mib
t "a missing or damaged key" missing_or_unreadable_key
t "a key with loose permissions" key_with_loose_permissions
t "the key of another node" a_node_of_another_key
t "a passphrase-protected key" passphrase_protected_key
t "a node that was never initialised" never_initialised
t "unknown commands and options" unknown_commands_and_options
t "a bad import writes nothing" bad_import_writes_nothing
t "whole numbers are digits only, for every option" numbers_are_digits_only
