#!/bin/sh
# The city node from the command line: init, add, show, list, edit, rm, log,
# key, gc, and the shape of the output.
. "$(dirname "$0")/lib.sh"

init_makes_a_node() {
	run 0 "$FS" -C n init --city sao-paulo --name "São Paulo" --country BR
	has out "initialised node 'sao-paulo'"
	has out "public key: ssh-ed25519 "
	[ -d n/.git ] && [ -f n/.fieldsync/key ] || fail "layout"
	[ "$(stat -c %a n/.fieldsync/key)" = 600 ] || fail "key mode $(stat -c %a n/.fieldsync/key)"
	[ "$(git --git-dir=n/.git config fieldsync.city)" = sao-paulo ] || fail "setting"
	[ "$(git --git-dir=n/.git rev-parse --abbrev-ref HEAD)" = main ] || fail "branch"
	git --git-dir=n/.git show HEAD:cities/sao-paulo/city.json >city.json
	has city.json '"name": "São Paulo"'
	has city.json '"schema": "city/1"'
	# the secret key is in no commit, no object
	[ "$(git --git-dir=n/.git ls-tree -r HEAD --name-only)" = cities/sao-paulo/city.json ] ||
		fail "tree holds more than city.json"
	git --git-dir=n/.git fsck --full --strict
}

init_takes_a_positional_dir_and_json() {
	run 0 "$FS" init --city tunis --name Tunis --country TN --json node2
	[ "$(jq -r .city out)" = tunis ] || fail "json city"
	[ "$(jq -r .passphrase out)" = false ] || fail "json passphrase"
	jq -r .public_key out | grep -q '^ssh-ed25519 ' || fail "json key"
	[ -d node2/.git ] || fail "no node2"
}

init_refuses_twice() {
	mknode n tunis
	snapshot n >before
	run 3 "$FS" -C n init --city tunis --name Tunis --country TN
	has err "error: node 'n': already initialised"
	same_as n before
}

init_refuses_bad_options() {
	run 1 "$FS" -C a init --city "Sao Paulo" --name x --country BR
	has err "error: --city 'Sao Paulo': expected a city id"
	run 1 "$FS" -C a init --city x --name x --country ZZ
	has err "error: --country 'ZZ'"
	run 1 "$FS" -C a init --city x --name "" --country BR
	has err "error: --name ''"
	run 2 "$FS" -C a init --city x --name x
	has err "--city, --name and --country are all needed"
	[ ! -e a/.git ] || fail "a failed init left a repository"
}

add_show_list() {
	mknode n tunis
	action_json "Centre d'accueil" "3,4" >a.json
	run 0 "$FS" -C n add action a.json
	id=$(cat out)
	echo "$id" | grep -Eq '^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$' ||
		fail "id '$id'"
	run 0 "$FS" -C n show "$id"
	has out "\"id\": \"$id\""
	has out '"city": "tunis"'
	has out '"schema": "action/1"'
	has out '"title": "Centre d'"'"'accueil"'
	# canonical: sorted keys, two spaces, a trailing newline
	head -2 out | tail -1 | grep -q '^  "city": ' || fail "first key is not city"
	[ "$(tail -c 1 out | od -An -c | tr -d ' ')" = '\n' ] || fail "no trailing newline"
	# the stored blob is exactly what show prints
	path=$(git --git-dir=n/.git ls-tree -r HEAD --name-only | grep "$id")
	# its folders: the leading hex digits of the id's time (docs/node.md)
	want=$(echo "$id" | sed 's|^\(...\)\(.\)\(.\)\(.\)\(.\)\(.\)-\(.\)\(.\)\(.\).*|\1/\2/\3/\4/\5/\6/\7/\8/\9|')
	[ "$path" = "cities/tunis/actions/$want/$id.json" ] || fail "path $path"
	git --git-dir=n/.git show "HEAD:$path" | cmp - out
	service_json | "$FS" -C n add service >out2
	sid=$(cat out2)
	run 0 "$FS" -C n list
	has out "action  $id  2023-10     ongoing    Centre d'accueil"
	has out "service $sid  2026-11-20  health"
	run 0 "$FS" -C n list service --json
	[ "$(jq length out)" = 1 ] || fail "list service --json length"
	[ "$(jq -r '.[0].id' out)" = "$sid" ] || fail "list --json id"
	run 0 "$FS" -C n list action --json
	[ "$(jq -r '.[0].priorities | join(",")' out)" = "3,4" ] || fail "priorities"
}

add_json_output() {
	mknode n tunis
	action_json | "$FS" -C n add action --json >o.json
	[ "$(jq -r .kind o.json)" = action ] || fail "kind"
	id=$(jq -r .id o.json)
	"$FS" -C n show "$id" --json | jq -e ".id == \"$id\"" >/dev/null
}

same_record_same_blob() {
	mknode n tunis
	action_json >a.json
	id=$("$FS" -C n add action a.json)
	"$FS" -C n show "$id" >shown.json
	# editing with exactly what show printed changes nothing and commits nothing
	head=$(git --git-dir=n/.git rev-parse HEAD)
	run 0 "$FS" -C n edit "$id" shown.json
	has out "record '$id': no change"
	[ "$(git --git-dir=n/.git rev-parse HEAD)" = "$head" ] || fail "a commit was made"
	# the same content in another key order and spacing gives the same bytes
	jq -c '{title: .title, status: .status, start: .start, priorities: .priorities,
		description: .description, country: .country, commitment: .commitment, "end": .end}' a.json >b.json
	run 0 "$FS" -C n edit "$id" b.json
	has out "no change"
}

edit_changes_a_record() {
	mknode n tunis
	id=$(action_json | "$FS" -C n add action)
	created=$("$FS" -C n show "$id" | jq -r .created)
	"$FS" -C n show "$id" | jq '.status = "completed" | .end = "2024-06"' >new.json
	run 0 "$FS" -C n edit "$id" new.json
	"$FS" -C n show "$id" >now.json
	[ "$(jq -r .status now.json)" = completed ] || fail "status"
	[ "$(jq -r .created now.json)" = "$created" ] || fail "created changed"
	[ "$(git --git-dir=n/.git log -1 --format=%s)" = "edit action $id" ] || fail "message"
	# a record cannot change its id, creation time, city or kind
	jq ".id = \"0192f3e4-8c4b-7a21-9f00-3c5d7e8a9b10\"" now.json >x.json
	run 1 "$FS" -C n edit "$id" x.json
	has err "/id: set by the node and cannot change"
	jq '.schema = "service/1"' now.json >x.json
	run 1 "$FS" -C n edit "$id" x.json
	has err "/schema: expected an action schema"
}

rm_and_log() {
	mknode n tunis
	id=$(action_json | "$FS" -C n add action)
	"$FS" -C n show "$id" | jq '.status = "completed"' | "$FS" -C n edit "$id" >/dev/null
	run 0 "$FS" -C n rm "$id"
	has out "removed $id"
	run 1 "$FS" -C n show "$id"
	has err "error: record '$id': no such record"
	run 0 "$FS" -C n log "$id"
	[ "$(wc -l <out)" = 3 ] || fail "3 changes expected"
	head -1 out | grep -q "  rm    rm action $id" || fail "newest first: rm"
	sed -n 3p out | grep -q "  add   add action $id" || fail "oldest: add"
	run 0 "$FS" -C n log "$id" --json
	[ "$(jq -r '[.[].change] | join(" ")' out)" = "rm edit add" ] || fail "json log"
	run 0 "$FS" -C n log
	[ "$(wc -l <out)" = 4 ] || fail "whole log has 4 commits"
	has out "init city tunis"
	run 0 "$FS" -C n log -n 2 --json
	[ "$(jq length out)" = 2 ] || fail "-n 2"
	run 1 "$FS" -C n rm "$id"
	has err "no such record"
}

key_show() {
	mknode n tunis
	run 0 "$FS" -C n key show
	has out "public key:      ssh-ed25519 "
	has out "allowed signers: tunis namespaces=\"git\" ssh-ed25519 "
	run 0 "$FS" -C n key show --json
	pub=$(jq -r .public_key out)
	[ "$pub" = "$(cat n/.fieldsync/key.pub)" ] || fail "key.pub differs"
	# the fingerprint is the one ssh-keygen computes
	echo "$pub" >k.pub
	[ "$(jq -r .fingerprint out)" = "$(ssh-keygen -lf k.pub | cut -d' ' -f2)" ] || fail "fingerprint"
}

gc_packs_everything() {
	mknode n tunis
	for i in 1 2 3 4 5 6 7 8 9 10; do service_json "2026-11-0$((i % 9 + 1))" | "$FS" -C n add service >/dev/null; done
	run 0 "$FS" -C n gc --json
	[ "$(jq .after.packs out)" = 1 ] || fail "one pack after gc"
	[ "$(jq .after.loose out)" = 0 ] || fail "no loose objects after gc"
	git --git-dir=n/.git fsck --full --strict
	run 0 "$FS" -C n list service
	[ "$(wc -l <out)" = 10 ] || fail "records after gc"
}

no_loose_objects_and_few_packs() {
	mknode n tunis
	i=0
	while [ $i -lt 40 ]; do
		service_json | "$FS" -C n add service >/dev/null
		i=$((i + 1))
	done
	loose=$(find n/.git/objects -path '*/pack' -prune -o -type f -print | grep -vc info || true)
	[ "$loose" = 0 ] || fail "$loose loose objects"
	packs=$(ls n/.git/objects/pack/*.pack | wc -l)
	# geometric roll-up: about log2(41) packs, never one per commit
	[ "$packs" -le 8 ] || fail "$packs packs for 41 commits"
	git --git-dir=n/.git fsck --full --strict
	# our packs and indexes are what git itself would write
	for idx in n/.git/objects/pack/*.idx; do
		git --git-dir=n/.git verify-pack "$idx"
		git --git-dir=n/.git index-pack -o "$TMP/re.idx" "${idx%.idx}.pack" >/dev/null
		cmp "$idx" "$TMP/re.idx" || fail "git index-pack makes another index for $idx"
		rm -f "$TMP/re.idx"
	done
}

help_on_every_command() {
	for c in init add edit rm show list log import verify key gc help version; do
		run 0 "$FS" "$c" --help
		has out "usage: fieldsync $c"
	done
	run 0 "$FS" --help
	has out "commands:"
	run 0 "$FS" help add
	has out "usage: fieldsync add"
	run 0 "$FS" --version
	has out "fieldsync "
}

usage_errors() {
	run 2 "$FS" frobnicate
	has err "error: unknown command 'frobnicate'"
	run 2 "$FS" --frob
	has err "error: unknown option '--frob'"
	run 2 "$FS" list --frob
	has err "error: list: unknown option '--frob'"
	has err "usage: fieldsync list"
	run 2 "$FS" add
	has err "add: expected a record kind"
	run 2 "$FS" add thing
	has err "unknown record kind 'thing'"
	run 2 "$FS" -C
	run 2 "$FS" log -n zero
	run 2 "$FS"
}

t "init makes a node" init_makes_a_node
t "init takes a positional dir and --json" init_takes_a_positional_dir_and_json
t "init refuses an existing node" init_refuses_twice
t "init refuses bad options" init_refuses_bad_options
t "add, show, list" add_show_list
t "add --json" add_json_output
t "the same record is the same blob" same_record_same_blob
t "edit changes a record" edit_changes_a_record
t "rm and log" rm_and_log
t "key show" key_show
t "gc packs everything" gc_packs_everything
t "no loose objects, few packs" no_loose_objects_and_few_packs
t "--help on every command" help_on_every_command
t "usage errors" usage_errors
