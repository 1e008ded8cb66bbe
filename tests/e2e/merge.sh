#!/bin/sh
# The hub merge: refs/heads/unified (signed, the union of every city,
# deterministic, idempotent, re-derivable) and refs/heads/public (never a
# service record).
. "$(dirname "$0")/lib.sh"

# three cities with services and one action each, synced to ./hub over file://
three_cities() {
	mkhub hub
	for c in tunis kampala quito; do
		city "$c" 3
		action_json "Action de $c" | "$FS" -C "$c" add action >/dev/null
		"$FS" -C "$c" remote add hub "file://$PWD/hub" >/dev/null
		"$FS" -C "$c" sync >/dev/null
	done
}

# merged_twice CITY TITLE: three cities merged, then one more action of CITY merged
merged_twice() {
	three_cities
	"$FS" -C hub hub merge >/dev/null
	action_json "$2" | "$FS" -C "$1" add action >/dev/null
	"$FS" -C "$1" sync >/dev/null
	"$FS" -C hub hub merge >/dev/null
}

tree_of() {
	git --git-dir="$1" rev-parse "$2^{tree}"
}

merge_is_the_union() {
	three_cities
	run 0 "$FS" -C hub hub merge
	has out "unified: 3 cities, 4 heads merged"
	git --git-dir=hub verify-commit unified 2>verify
	has verify 'Good "git" signature for hub'
	for c in tunis kampala quito; do
		[ "$(git --git-dir=hub rev-parse "unified:cities/$c")" = \
		  "$(git -C "$c/.git" rev-parse "main:cities/$c")" ] || fail "$c differs"
	done
	[ "$(git --git-dir=hub rev-parse unified:hub/signers)" = "$(git --git-dir=hub rev-parse hub:hub/signers)" ] ||
		fail "hub/signers differs"
	git --git-dir=hub ls-tree --name-only unified >top
	printf 'cities\nhub\n' >want
	cmp top want || fail "unexpected top level"
	git --git-dir=hub show unified:hub/unified.json >heads
	[ "$(jq -r .cities.tunis heads)" = "$(git -C tunis/.git rev-parse main)" ] || fail "heads map"
	[ "$(jq -r .hub heads)" = "$(git --git-dir=hub rev-parse hub)" ] || fail "hub head"
	# every city head and the hub's head are parents of the first merge
	[ "$(git --git-dir=hub rev-list --parents -1 unified | wc -w)" = 5 ] || fail "parents"
	# idempotent: nothing new, no commit
	first=$(git --git-dir=hub rev-parse unified)
	run 0 "$FS" -C hub hub merge
	has out "unified is up to date (3 cities)"
	[ "$(git --git-dir=hub rev-parse unified)" = "$first" ] || fail "an empty merge committed"
	# incremental: one city changes, one parent besides the previous head
	action_json "Nouvelle action" | "$FS" -C kampala add action >/dev/null
	"$FS" -C kampala sync >/dev/null
	run 0 "$FS" -C hub hub merge --json
	[ "$(jq -r .made out)" = true ] && [ "$(jq -r .merged out)" = 1 ] || fail "$(cat out)"
	git --git-dir=hub rev-list --parents -1 unified >parents
	[ "$(cut -d' ' -f2 parents)" = "$first" ] || fail "first parent is not the previous unified"
	[ "$(cut -d' ' -f3 parents)" = "$(git -C kampala/.git rev-parse main)" ] || fail "kampala not a parent"
	[ "$(wc -w <parents)" = 3 ] || fail "parents: $(cat parents)"
	[ "$(git --git-dir=hub rev-parse unified:cities/tunis)" = "$(git --git-dir=hub rev-parse "$first:cities/tunis")" ] ||
		fail "an unchanged city's subtree was rebuilt"
	# a change of the registry is merged too
	mknode lima lima
	enroll hub lima lima
	run 0 "$FS" -C hub hub merge
	has out "1 head merged"
	[ "$(git --git-dir=hub rev-parse unified:hub/signers)" = "$(git --git-dir=hub rev-parse hub:hub/signers)" ] ||
		fail "new signers not merged"
	git --git-dir=hub fsck --strict >fsck 2>&1 || { cat fsck; fail "fsck"; }
}

# Two copies of a hub take the same histories in another order, merging at
# other times: the same unified tree.
merge_is_deterministic() {
	mkhub a
	for c in tunis kampala quito; do
		NOENROLL=1 city "$c" 4
		enroll a "$c" "$c"
	done
	cp -a a b
	for c in tunis kampala quito; do
		"$FS" -C "$c" remote add a "file://$PWD/a" >/dev/null
		"$FS" -C "$c" remote add b "file://$PWD/b" >/dev/null
	done
	for c in tunis kampala quito; do
		"$FS" -C "$c" sync a >/dev/null
		"$FS" -C a hub merge >/dev/null
	done
	for c in quito tunis kampala; do
		"$FS" -C "$c" sync b >/dev/null
	done
	"$FS" -C b hub merge >/dev/null
	[ "$(tree_of a unified)" = "$(tree_of b unified)" ] || fail "the trees differ"
	[ "$(tree_of a public)" = "$(tree_of b public)" ] || fail "the public trees differ"
	[ "$(git --git-dir=a rev-list --count unified)" != "$(git --git-dir=b rev-list --count unified)" ] ||
		fail "expected different histories"
}

# --check recomputes every unified tree from its parents; a doctored one is caught.
merge_check() {
	merged_twice quito "Encore"
	for c in $(git --git-dir=hub rev-list --first-parent --merges unified); do
		run 0 "$FS" -C hub hub merge --check "$c"
		has out "its tree is what its parents make"
	done
	# the same parents, another tree: a record of tunis changed by the hub
	path=$(git --git-dir=hub ls-tree -r --name-only unified | grep cities/tunis/services/ | head -1)
	git --git-dir=hub show "unified:$path" | jq -S '.sex = "male"' --indent 2 >changed.json
	mkdir work && git --git-dir=hub --work-tree=work read-tree --index-output="$PWD/idx" unified
	blob=$(git --git-dir=hub hash-object -w changed.json)
	GIT_INDEX_FILE="$PWD/idx" git --git-dir=hub update-index --cacheinfo "100644,$blob,$path"
	tree=$(GIT_INDEX_FILE="$PWD/idx" git --git-dir=hub write-tree)
	parents=
	for p in $(git --git-dir=hub rev-list --parents -1 unified | cut -d' ' -f2-); do
		parents="$parents -p $p"
	done
	# shellcheck disable=SC2086
	forged=$(git --git-dir=hub commit-tree "$tree" $parents -m "unified: forged")
	run 1 "$FS" -C hub hub merge --check "$forged"
	has err "its parents make"
	run 1 "$FS" -C hub hub merge --check hub
	has err "is not a unified commit (it has no hub/unified.json)"
	run 1 "$FS" -C hub hub merge --check "$(git -C tunis/.git rev-parse main)"
	has err "is not a unified commit"
	# unified.json in a tree whose parents are not a previous unified head and parts
	git --git-dir=hub show unified:hub/unified.json >u.json
	blob=$(git --git-dir=hub hash-object -w u.json)
	GIT_INDEX_FILE="$PWD/idx2" git --git-dir=hub update-index --add --cacheinfo "100644,$blob,hub/unified.json"
	orphan=$(git --git-dir=hub commit-tree "$(GIT_INDEX_FILE="$PWD/idx2" git --git-dir=hub write-tree)" -m orphan)
	run 1 "$FS" -C hub hub merge --check "$orphan"
	has err "has no parents"
	run 1 "$FS" -C hub hub merge --check nosuchrev
	has err "'nosuchrev' is not a commit"
	run 2 "$FS" -C hub hub merge --check unified --on-receive
}

# public: every city's actions, the hub's hub/, never a service record, and
# no city's history behind it.
public_has_no_services() {
	merged_twice tunis "Deuxieme"
	git --git-dir=hub rev-list --objects public >objects
	git --git-dir=hub rev-list --objects unified >all
	grep -q /services/ all || fail "the test has no services to leak"
	for c in tunis kampala quito; do
		hasnt objects "cities/$c/services"
	done
	hasnt objects "unified.json"
	hasnt objects "hub/counts"
	has objects "cities/tunis/actions/"
	has objects "hub/signers"
	git --git-dir=hub ls-tree -r --name-only public >pub
	has pub "hub/aggregates/services/tunis.csv"
	# cities fetch public on sync, and nothing of another city's services
	for c in tunis kampala quito; do
		"$FS" -C "$c" sync >/dev/null
		[ "$(git -C "$c/.git" rev-parse refs/remotes/hub/public)" = "$(git --git-dir=hub rev-parse public)" ] ||
			fail "$c did not fetch public"
		git -C "$c/.git" rev-list --objects --all >"$c.objects"
		for o in tunis kampala quito; do
			[ "$o" = "$c" ] || hasnt "$c.objects" "cities/$o/services/"
		done
		has "$c.objects" "cities/$c/services/"
	done
	has tunis.objects "cities/quito/actions/"
	# a linear chain of hub commits: fetching it brings no city history along
	for c in $(git --git-dir=hub rev-list public); do
		[ "$(git --git-dir=hub rev-list --parents -1 "$c" | wc -w)" -le 2 ] || fail "public merge commit"
		git --git-dir=hub verify-commit "$c" 2>/dev/null || fail "public commit $c unsigned"
	done
	[ "$(git --git-dir=hub ls-tree -r --name-only public | grep -c '/actions/')" = 4 ] || fail "actions"
	# over HTTP, stock git sees only public and hub, and cannot fetch a city
	serve hub
	git ls-remote "$(cat url)" >refs
	hasnt refs "refs/heads/cities/"
	hasnt refs "refs/heads/unified"
	has refs "refs/heads/public"
	git init -q --bare peek
	if git -C peek fetch -q "$(cat url)" refs/heads/cities/tunis:refs/heads/x 2>/dev/null; then
		fail "a city's branch was fetched"
	fi
	if git -C peek fetch -q "$(cat url)" "$(git -C tunis/.git rev-parse main)" 2>/dev/null; then
		fail "a city's commit was fetched by id"
	fi
	git -C peek fetch -q "$(cat url)" refs/heads/public:refs/heads/public
	git -C peek rev-list --objects public >peeked
	hasnt peeked "cities/tunis/services"
	hasnt peeked "hub/counts"
	"$FS" -C hub hub serve --stop >/dev/null
}

# A merge never drops a city; a hub without its own branch cannot merge.
merge_refusals() {
	three_cities
	"$FS" -C hub hub merge >/dev/null
	before=$(git --git-dir=hub rev-parse unified)
	git --git-dir=hub update-ref -d refs/heads/cities/quito
	run 1 "$FS" -C hub hub merge
	has err "city 'quito' is in the unified dataset but its branch refs/heads/cities/quito is gone"
	[ "$(git --git-dir=hub rev-parse unified)" = "$before" ] || fail "unified moved"
	run 3 "$FS" -C tunis hub merge
	has err "is a city node, not a hub"
	run 2 "$FS" -C hub hub merge extra
	FIELDSYNC_PASSPHRASE=x run 0 "$FS" hub init locked --passphrase
	run 3 "$FS" -C locked hub merge
	has err "passphrase"
}

# With fieldsync.mergeOnReceive, every accepted push or bundle is merged at once.
merge_on_receive() {
	mkhub hub
	git --git-dir=hub config fieldsync.mergeOnReceive true
	city tunis 2
	"$FS" -C tunis remote add hub "file://$PWD/hub" >/dev/null
	"$FS" -C tunis sync >/dev/null
	[ "$(git --git-dir=hub rev-parse unified:cities/tunis)" = "$(git -C tunis/.git rev-parse main:cities/tunis)" ] ||
		fail "not merged after a file:// push"
	serve hub
	city kampala 2
	"$FS" -C kampala remote add hub "$(cat url)" >/dev/null
	"$FS" -C kampala sync >/dev/null
	[ "$(git --git-dir=hub rev-parse unified:cities/kampala)" = "$(git -C kampala/.git rev-parse main:cities/kampala)" ] ||
		fail "not merged after an HTTP push"
	"$FS" -C hub hub serve --stop >/dev/null
	city quito 2
	"$FS" -C quito bundle create q.bundle >/dev/null
	"$FS" -C hub hub import q.bundle >/dev/null
	[ "$(git --git-dir=hub rev-parse unified:cities/quito)" = "$(git -C quito/.git rev-parse main:cities/quito)" ] ||
		fail "not merged after a bundle"
	for c in $(git --git-dir=hub rev-list --first-parent --merges unified); do
		"$FS" -C hub hub merge --check "$c" >/dev/null || fail "check $c"
	done
	# off: nothing happens on receive
	git --git-dir=hub config fieldsync.mergeOnReceive false
	before=$(git --git-dir=hub rev-parse unified)
	action_json | "$FS" -C tunis add action >/dev/null
	"$FS" -C tunis sync >/dev/null
	[ "$(git --git-dir=hub rev-parse unified)" = "$before" ] || fail "merged while off"
}

# Aggregates: actions exact, services per city with counts under the
# threshold suppressed; updated from the diff, equal to counting afresh.
aggregates() {
	tunis_and_quito
	run 0 "$FS" -C hub hub merge
	git --git-dir=hub show unified:hub/aggregates/actions.csv >got
	crlf >want <<-EOF
	priority,country,year,commitment,actions
	3,EC,2024,gcr,1
	3,TN,2023,mirror,1
	4,TN,2023,mirror,1
	EOF
	cmp got want || { cat -A got; fail "actions.csv"; }
	git --git-dir=hub show unified:hub/aggregates/services/tunis.csv >got
	crlf >want <<-EOF
	month,category,population_group,sex,age_band,services
	2026-10,food,refugee,female,25-59,<5
	2026-11,health,refugee,female,25-59,7
	EOF
	cmp got want || { cat -A got; fail "tunis.csv"; }
	git --git-dir=hub show unified:hub/aggregates/services/quito.json >got
	[ "$(jq -c .rows got)" = '[["2026-11","health","refugee","female","25-59","<5"]]' ] || fail "$(cat got)"
	[ "$(jq .suppress_below got)" = 5 ] || fail "threshold"
	git --git-dir=hub show unified:hub/counts/tunis.json >got
	[ "$(jq -c '[.rows[][5]]' got)" = '[2,7]' ] || fail "exact counts: $(cat got)"
	# public: the suppressed tables, never the exact counts
	git --git-dir=hub show public:hub/aggregates/services/tunis.csv >got
	has got "<5"
	git --git-dir=hub ls-tree -r --name-only public >pub
	hasnt pub "hub/counts"
	has pub "hub/aggregates/actions.json"
	# incremental: three more food services, one health service removed
	for i in 3 4 5; do
		service_json 2026-10-0$i food "$(printf '%032x' $((100 + i)))"
	done | "$FS" -C tunis import service - >/dev/null
	id=$("$FS" -C tunis list service --json | jq -r '[.[] | select(.category == "health")][0].id')
	"$FS" -C tunis rm "$id" >/dev/null
	"$FS" -C tunis sync >/dev/null
	run 0 "$FS" -C hub hub merge
	git --git-dir=hub show unified:hub/aggregates/services/tunis.csv >got
	has got "2026-10,food,refugee,female,25-59,5"
	has got "2026-11,health,refugee,female,25-59,6"
	# the same as counting everything afresh, on a copy of the hub that never merged
	cp -a hub fresh
	git --git-dir=fresh update-ref -d refs/heads/unified
	git --git-dir=fresh update-ref -d refs/heads/public
	"$FS" -C fresh hub merge >/dev/null
	for part in hub/aggregates hub/counts; do
		[ "$(git --git-dir=hub rev-parse "unified:$part")" = "$(git --git-dir=fresh rev-parse "unified:$part")" ] ||
			fail "$part: the diff and a full count differ"
	done
	# another threshold: a new merge with no new head, every city written again
	git --git-dir=hub config fieldsync.suppressBelow 7
	run 0 "$FS" -C hub hub merge
	git --git-dir=hub show unified:hub/aggregates/services/tunis.csv >got
	has got "2026-10,food,refugee,female,25-59,<7"
	has got "2026-11,health,refugee,female,25-59,<7"
	git --git-dir=hub show unified:hub/aggregates/services/quito.csv >got
	has got ",<7"
	[ "$(git --git-dir=hub show unified:hub/unified.json | jq .suppress_below)" = 7 ] || fail "recorded threshold"
	run 0 "$FS" -C hub hub merge
	has out "up to date"
	n=0
	for c in $(git --git-dir=hub rev-list --first-parent unified); do
		git --git-dir=hub cat-file -e "$c:hub/unified.json" 2>/dev/null || break
		"$FS" -C hub hub merge --check "$c" >/dev/null || fail "check $c"
		n=$((n + 1))
	done
	[ "$n" = 3 ] || fail "checked $n unified commits"
	# bad settings: a clear error, nothing moves
	before=$(hub_refs hub)
	for v in 0 1001 -3 many; do
		git --git-dir=hub config fieldsync.suppressBelow "$v"
		fails_clearly 1 "fieldsync.suppressBelow" "$FS" -C hub hub merge
		[ "$(hub_refs hub)" = "$before" ] || fail "refs moved with suppressBelow=$v"
	done
}

# A node takes public only when every new commit is signed by the hub's key,
# pinned on the first fetch; a forged public changes nothing on the node.
public_is_verified() {
	three_cities
	"$FS" -C hub hub merge >/dev/null
	"$FS" -C tunis sync >/dev/null
	hubkey=$(git --git-dir=hub config fieldsync.publicKey | cut -d' ' -f1,2)
	[ "$(git -C tunis/.git config remote.hub.fieldsyncHubKey)" = "$hubkey" ] || fail "hub key not pinned"
	good=$(git -C tunis/.git rev-parse refs/remotes/hub/public)
	# a public commit made with stock git on the hub, unsigned
	forged=$(git --git-dir=hub commit-tree "public^{tree}" -p public -m "forged")
	git --git-dir=hub update-ref refs/heads/public "$forged"
	fails_clearly 1 "public commit $forged is not the hub's" "$FS" -C tunis sync
	[ "$(git -C tunis/.git rev-parse refs/remotes/hub/public)" = "$good" ] || fail "forged public taken"
	# over HTTP too
	serve hub
	"$FS" -C kampala remote add web "$(cat url)" >/dev/null
	git -C kampala/.git config remote.web.fieldsyncHubKey "$hubkey"
	fails_clearly 1 "is not the hub's" "$FS" -C kampala sync web
	if git -C kampala/.git rev-parse -q --verify refs/remotes/web/public >/dev/null; then
		fail "forged public taken over HTTP"
	fi
	[ -z "$(git -C kampala/.git for-each-ref refs/fieldsync/incoming)" ] || fail "incoming ref left"
	# a pinned key that is not a key: said, and nothing taken
	git --git-dir=hub update-ref refs/heads/public "$good"
	action_json "Plus" | "$FS" -C kampala add action >/dev/null
	"$FS" -C kampala sync hub >/dev/null
	"$FS" -C hub hub merge >/dev/null
	git -C tunis/.git config remote.hub.fieldsyncHubKey "ssh-ed25519 not-base64"
	fails_clearly 1 "setting remote.hub.fieldsyncHubKey" "$FS" -C tunis sync
	[ "$(git -C tunis/.git rev-parse refs/remotes/hub/public)" = "$good" ] || fail "public moved"
	git -C tunis/.git config remote.hub.fieldsyncHubKey "$hubkey"
	run 0 "$FS" -C tunis sync
	# a node that pinned another key refuses even the hub's real public
	git -C quito/.git config remote.hub.fieldsyncHubKey "$("$FS" -C quito key show --json | jq -r .public_key)"
	fails_clearly 1 "is not the hub's" "$FS" -C quito sync
	git -C quito/.git config remote.hub.fieldsyncHubKey "$hubkey"
	run 0 "$FS" -C quito sync
	"$FS" -C hub hub serve --stop >/dev/null
}

t "merge: the union of every city, signed, idempotent, incremental" merge_is_the_union
t "merge: two hubs, another order, the same tree" merge_is_deterministic
t "merge --check recomputes a unified tree from its parents" merge_check
t "public: never a service record, never a city's history" public_has_no_services
t "merge refusals change nothing" merge_refusals
t "merge on receive: file://, HTTP, bundles" merge_on_receive
t "aggregates: exact actions, suppressed services, from the diff" aggregates
t "public: taken only when signed by the pinned hub key" public_is_verified
