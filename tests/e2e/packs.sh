#!/bin/sh
# Pack upkeep on a hub: packs rolled up after merges, gc by concatenation,
# objects that arrived twice, all checked by stock git.
. "$(dirname "$0")/lib.sh"

# packs_ok GITDIR: every pack verifies and is the one git index-pack would index
packs_ok() {
	git --git-dir="$1" fsck --full --no-dangling
	for idx in "$1"/objects/pack/*.idx; do
		git --git-dir="$1" verify-pack "$idx"
		git --git-dir="$1" index-pack -o "$TMP/re.idx" "${idx%.idx}.pack" >/dev/null
		cmp "$idx" "$TMP/re.idx" || fail "git index-pack makes another index for $idx"
		rm -f "$TMP/re.idx"
	done
}

# rounds N: N times, each city adds a service and syncs, then the hub merges
rounds() {
	_r=0
	while [ "$_r" -lt "$1" ]; do
		for c in tunis quito; do
			service_json 2026-11-2$((_r % 8 + 1)) food "$(printf '%032x' $((_r + 1000)))" |
				"$FS" -C "$c" add service >/dev/null
			"$FS" -C "$c" sync >/dev/null
		done
		"$FS" -C hub hub merge >/dev/null
		_r=$((_r + 1))
	done
}

hub_packs_rolled_up() {
	tunis_and_quito
	"$FS" -C hub hub merge >/dev/null
	rounds 12
	packs=$(ls hub/objects/pack/*.pack | wc -l)
	# two pushes and a merge a round: 37 packs without upkeep
	[ "$packs" -le 8 ] || fail "$packs packs after 12 rounds"
	packs_ok hub
	run 0 "$FS" -C hub export service --format csv
	[ "$(grep -c '^' out)" = $((1 + 9 + 3 + 24)) ] || fail "records after the roll-ups"
}

hub_gc_concatenates() {
	tunis_and_quito
	"$FS" -C hub hub merge >/dev/null
	rounds 3
	# a pack of everything once more, with deltas, as stock git writes it:
	# every object is then in two packs
	git --git-dir=hub rev-list --objects --all |
		git --git-dir=hub pack-objects -q --delta-base-offset hub/objects/pack/pack >/dev/null
	git --git-dir=hub cat-file --batch-all-objects --batch-check >before
	git --git-dir=hub cat-file --batch-all-objects --batch >before.all
	run 0 "$FS" -C hub gc --json
	[ "$(jq .after.packs out)" = 1 ] || fail "one pack after gc"
	[ "$(jq .objects out)" = "$(wc -l <before)" ] || fail "each object once in the pack"
	packs_ok hub
	git --git-dir=hub cat-file --batch-all-objects --batch-check | cmp - before
	git --git-dir=hub cat-file --batch-all-objects --batch | cmp - before.all
	# the hub goes on
	rounds 1
	run 0 "$FS" -C hub export service --format csv
	[ "$(grep -c '^' out)" = $((1 + 9 + 3 + 8)) ] || fail "records after gc"
	packs_ok hub
}

t "hub: packs rolled up after merges" hub_packs_rolled_up
t "hub: gc concatenates, an object twice kept once" hub_gc_concatenates
