#!/bin/sh
# fieldsync audit: a hub's whole history judged on a clone, and a tamper
# corpus of histories built on purpose (stock git plus tests/forge, which
# signs any commit with a node's key), each of which must be flagged
# precisely; stock `git verify-commit` must agree wherever it can judge.
. "$(dirname "$0")/lib.sh"

FORGE=$BUILD/tests/forge

# ./hub with tunis and quito (lib.sh), merged once
audited_hub() {
	tunis_and_quito
	"$FS" -C hub hub merge >/dev/null
}

g() {
	git --git-dir=hub "$@"
}

# signed KEYNODE TREE PARENT... -- MESSAGE: a commit of ./hub signed with KEYNODE's key
signed() {
	_key=$1 _tree=$2
	shift 2
	_args=""
	while [ "$1" != "--" ]; do
		_args="$_args -p $1"
		shift
	done
	# shellcheck disable=SC2086
	_raw=$(g commit-tree "$_tree" $_args -m "$2")
	g cat-file commit "$_raw" | "$FORGE" "$_key" --sign | g hash-object -t commit -w --stdin
}

# with_entry TREE PATH MODE OBJECT: TREE with PATH set to OBJECT with MODE (a tree id)
with_entry() {
	rm -f "$TMP/idx"
	GIT_INDEX_FILE="$TMP/idx" g read-tree "$1"
	GIT_INDEX_FILE="$TMP/idx" g update-index --add --cacheinfo "$3,$4,$2"
	GIT_INDEX_FILE="$TMP/idx" g write-tree
}

# with_file TREE PATH FILE: TREE with PATH set to FILE's bytes
with_file() {
	with_entry "$1" "$2" 100644 "$(g hash-object -w "$3")"
}

# stock_git COMMIT: stock git's verdict, with the hub's registry as allowed signers
stock_git() {
	g -c gpg.ssh.allowedSignersFile="$PWD/hub/fieldsync/signers" verify-commit "$1" >stock 2>&1
}

# finds REF COMMIT TEXT: the audit in ./out (--json) has that finding
finds() {
	jq -e --arg r "$1" --arg c "$2" --arg t "$3" '.findings | any(.ref == $r and
		((.commit // "") | startswith($c)) and (.problem | contains($t)))' out >/dev/null ||
		{ cat out; fail "no finding on $1 ${2:-(the ref)}: $3"; }
}

audit_snapshot() {
	{ hub_refs hub; (cd hub && find objects -type f | sort); } >"$1"
}

clean_history_passes() {
	audited_hub
	audit_snapshot before
	run 0 "$FS" audit hub
	has out "2 cities"
	has out ": clean"
	has out "taken from the registry's first commit"
	audit_snapshot after
	cmp -s before after || fail "the audit changed the hub"
	# every commit of every branch, counted once per branch it is checked on
	unified=0
	for c in $(g rev-list --first-parent refs/heads/unified); do
		if g cat-file -e "$c:hub/unified.json" 2>/dev/null; then unified=$((unified + 1)); fi
	done
	want=$(($(g rev-list --count refs/heads/hub) + $(g rev-list --count refs/heads/cities/tunis) +
		$(g rev-list --count refs/heads/cities/quito) + $(g rev-list --count refs/heads/public) + unified))
	run 0 "$FS" audit "file://$PWD/hub" --hub-key hub/fieldsync/key.pub --json
	jq -e --argjson n "$want" '.clean and .cities == 2 and .commits == $n and
		.hub_key_from == "given" and (.findings | length) == 0 and .records >= 14' out >/dev/null ||
		{ cat out; fail "summary (want $want commits)"; }
	[ "$(jq -r .hub_key out)" = "$(cut -d' ' -f1,2 hub/fieldsync/key.pub)" ] || fail "hub key"
	# stock git agrees on every signature
	for c in $(g rev-list refs/heads/hub refs/heads/cities/tunis refs/heads/cities/quito \
		refs/heads/public); do
		stock_git "$c" || { cat stock; fail "stock git rejects $c"; }
	done
	# an ordinary clone holds what the hub publishes, and the audit says what it saw
	git clone -q "file://$PWD/hub" pub
	run 0 "$FS" audit pub --json
	jq -e '.clean and .cities == 0' out >/dev/null || { cat out; fail "public clone"; }
	# and a mirror (a copy of the hub's folder) is a clone too, as is a bundle's
	cp -a hub mirror
	run 0 "$FS" audit mirror --hub-key "$(cat hub/fieldsync/key.pub)"
	g bundle create -q "$PWD/all.bundle" --all
	git clone -q --mirror all.bundle from-bundle
	run 0 "$FS" audit from-bundle --json
	jq -e --argjson n "$want" '.clean and .cities == 2 and .commits == $n' out >/dev/null ||
		{ cat out; fail "a clone of a bundle"; }
	# and the bundle itself, as it came on a USB stick, with nothing left behind
	export TMPDIR="$PWD/tmp"
	mkdir tmp
	run 0 "$FS" audit all.bundle --json
	jq -e --argjson n "$want" '.clean and .cities == 2 and .commits == $n' out >/dev/null ||
		{ cat out; fail "a bundle"; }
	[ -z "$(ls tmp)" ] || fail "the unpacked bundle was left in $TMPDIR"
	# a bundle of part of a history, or a damaged one, is an error, not a verdict
	g bundle create -q "$PWD/part.bundle" refs/heads/hub~1..refs/heads/hub
	fails_clearly 1 "does not carry" "$FS" audit part.bundle
	head -c 300 all.bundle >cut.bundle
	fails_clearly 1 "cut.bundle" "$FS" audit cut.bundle
	[ -z "$(ls tmp)" ] || fail "a refused bundle left $(ls tmp)"
}

# forge_tunis: ./hub's tunis branch moved on to $forged, a child of its tip
# that carries the tip's own signature over other bytes
forge_tunis() {
	_tip=$(g rev-parse refs/heads/cities/tunis)
	forged=$(g cat-file commit "$_tip" | sed "s/^parent .*/parent $_tip/" |
		g hash-object -t commit -w --stdin)
	g update-ref refs/heads/cities/tunis "$forged"
}

forged_signature_is_found() {
	audited_hub
	forge_tunis
	run 1 "$FS" audit hub --json
	finds cities/tunis "$forged" "bad signature"
	[ "$(jq '.findings | length' out)" = 1 ] || { cat out; fail "one finding expected"; }
	! stock_git "$forged" || { cat stock; fail "stock git accepts the forged signature"; }
	run 1 "$FS" audit hub
	has out "BAD  cities/tunis ${forged%"${forged#????????????}"}  "
	has out ": 1 FINDING"
}

another_citys_key_is_found() {
	audited_hub
	tip=$(g rev-parse refs/heads/cities/tunis)
	c=$(signed quito "$tip^{tree}" "$tip" -- "signed by quito for tunis")
	g update-ref refs/heads/cities/tunis "$c"
	run 1 "$FS" audit hub --json
	finds cities/tunis "$c" "not allowed for 'tunis'"
	# stock git sees quito's good signature: which city owns a branch is the hub's rule
	stock_git "$c" || { cat stock; fail "stock git"; }
	has stock 'signature for quito'
}

merge_on_a_city_branch_is_found() {
	audited_hub
	tip=$(g rev-parse refs/heads/cities/tunis)
	c=$(signed tunis "$tip^{tree}" "$tip" "$tip~1" -- "a merge")
	g update-ref refs/heads/cities/tunis "$c"
	run 1 "$FS" audit hub --json
	finds cities/tunis "$c" "a merge commit"
	[ "$(jq '.findings | length' out)" = 1 ] || { cat out; fail "one finding expected"; }
	# its signature is good: the one-line rule is the hub's, not git's
	stock_git "$c" || { cat stock; fail "stock git"; }
}

commit_after_revocation_is_found() {
	audited_hub
	"$FS" -C hub hub revoke tunis >/dev/null
	tip=$(g rev-parse refs/heads/cities/tunis)
	later="@$(($(date +%s) + 3600)) +0000"
	c=$(GIT_COMMITTER_DATE="$later" GIT_AUTHOR_DATE="$later" signed tunis "$tip^{tree}" "$tip" -- "after")
	g update-ref refs/heads/cities/tunis "$c"
	run 1 "$FS" audit hub --json
	finds cities/tunis "$c" "not allowed for 'tunis' at that time"
	[ "$(jq '.findings | length' out)" = 1 ] || { cat out; fail "one finding expected"; }
	# stock git checks the key's validity at the commit's time too
	! stock_git "$c" || { cat stock; fail "stock git accepts a commit after the revocation"; }
	stock_git "$tip" || { cat stock; fail "stock git rejects the commit before it"; }
}

hub_changing_a_city_record_is_found() {
	audited_hub
	tip=$(g rev-parse refs/heads/cities/tunis)
	path=$(g ls-tree -r --name-only "$tip" -- cities/tunis/services | head -n 1)
	g cat-file blob "$tip:$path" >orig.json
	sed -E 's/"category": "[a-z-]+"/"category": "education"/' orig.json >changed.json
	! cmp -s orig.json changed.json || fail "no change"
	# on the city's branch, signed by the hub
	c=$(signed hub "$(with_file "$tip^{tree}" "$path" changed.json)" "$tip" -- "hub edit")
	g update-ref refs/heads/cities/tunis "$c"
	run 1 "$FS" audit hub --json
	finds cities/tunis "$c" "not allowed for 'tunis'"
	stock_git "$c" && has stock 'signature for hub'
	# in the unified dataset, signed by the hub: the tree is not what its parents make
	g update-ref refs/heads/cities/tunis "$tip"
	u=$(g rev-parse refs/heads/unified)
	c=$(signed hub "$(with_file "$u^{tree}" "$path" changed.json)" "$u" -- "unified: edited")
	g update-ref refs/heads/unified "$c"
	audit_snapshot before
	run 1 "$FS" audit hub --json
	finds unified "$c" "but its parents make"
	[ "$(jq '.findings | length' out)" = 1 ] || { cat out; fail "one finding expected"; }
	stock_git "$c" || { cat stock; fail "stock git: the signature itself is good"; }
	# recomputing the tree wrote nothing into the clone
	audit_snapshot after
	cmp -s before after || fail "the audit wrote into the hub"
}

rewritten_city_branch_is_found() {
	audited_hub
	tip=$(g rev-parse refs/heads/cities/tunis)
	# a force push: the last commit replaced by another, properly signed by tunis
	c=$(signed tunis "$tip~1^{tree}" "$tip~1" -- "rewritten")
	g update-ref refs/heads/cities/tunis "$c"
	run 1 "$FS" audit hub --json
	finds unified "$(g rev-parse refs/heads/unified)" "which the branch cities/tunis no longer holds"
	# every signature is good: only the history shows it
	stock_git "$c" || { cat stock; fail "stock git"; }
	jq -e '[.findings[] | select(.ref == "cities/tunis")] | length == 0' out >/dev/null || fail "city"
}

unified_leaving_a_city_out_is_found() {
	audited_hub
	u=$(g rev-parse refs/heads/unified)
	rm -f "$TMP/idx"
	GIT_INDEX_FILE="$TMP/idx" g read-tree "$u"
	GIT_INDEX_FILE="$TMP/idx" g rm -q --cached -r cities/quito
	tree=$(GIT_INDEX_FILE="$TMP/idx" g write-tree)
	c=$(signed hub "$tree" "$u" -- "unified: without quito")
	g update-ref refs/heads/unified "$c"
	run 1 "$FS" audit hub --json
	finds unified "$c" "its tree is $tree, but its parents make"
	# unified moved to a commit that is no merge at all
	g update-ref refs/heads/unified refs/heads/cities/tunis
	run 1 "$FS" audit hub --json
	finds unified "$(g rev-parse refs/heads/cities/tunis)" "not a merge of the unified dataset"
}

services_in_public_are_found() {
	audited_hub
	p=$(g rev-parse refs/heads/public)
	rm -f "$TMP/idx"
	GIT_INDEX_FILE="$TMP/idx" g read-tree "$p"
	GIT_INDEX_FILE="$TMP/idx" g --work-tree=. read-tree --prefix=cities/tunis/services/ \
		"refs/heads/cities/tunis:cities/tunis/services"
	c=$(signed hub "$(GIT_INDEX_FILE="$TMP/idx" g write-tree)" "$p" -- "public: with services")
	g update-ref refs/heads/public "$c"
	run 1 "$FS" audit hub --json
	finds public "$c" "cities/tunis/services: service records in public"
	[ "$(jq '.findings | length' out)" = 1 ] || { cat out; fail "one finding expected"; }
}

dropped_city_is_found_once() {
	audited_hub
	service_json 2026-11-23 food "$(printf '%032x' 999)" | "$FS" -C quito add service >/dev/null
	"$FS" -C quito sync >/dev/null
	"$FS" -C hub hub merge >/dev/null
	g update-ref -d refs/heads/cities/quito
	run 1 "$FS" audit hub --json
	finds unified "" "the unified dataset holds quito, whose branch cities/quito is gone"
	[ "$(jq '[.findings[] | select(.problem | contains("quito"))] | length' out)" = 1 ] ||
		{ cat out; fail "one finding per dropped city"; }
	jq -e '.cities == 1' out >/dev/null || fail "cities"
}

invalid_record_is_found() {
	audited_hub
	path=$(g ls-tree -r --name-only refs/heads/cities/tunis -- cities/tunis/services | head -n 1)
	g cat-file blob "refs/heads/cities/tunis:$path" | sed 's/"female"/"femme"/' >bad.json
	# signed by tunis itself, never through the hub's checks: straight into its refs
	c=$("$FORGE" tunis "$path" bad.json "a record outside the schema")
	g fetch -q "$PWD/tunis/.git" "+$c:refs/heads/cities/tunis"
	run 1 "$FS" audit hub --json
	jq -e --arg c "$c" --arg p "$path" '.findings | any(.commit == $c and .path == $p)' out \
		>/dev/null || { cat out; fail "finding with the record's path"; }
	finds cities/tunis "$c" "sex"
	stock_git "$c" || { cat stock; fail "stock git: the signature is good"; }
}

odd_entries_are_found() {
	audited_hub
	tip=$(g rev-parse refs/heads/cities/tunis)
	path=$(g ls-tree -r --name-only "$tip" -- cities/tunis/services | head -n 1)
	blob=$(g rev-parse "$tip:$path")
	deep=cities/tunis/$(printf 'd/%.0s' $(seq 1 40))x.json
	for e in "100755 $blob $path" "120000 $blob $path" "160000 $tip cities/tunis/sub" \
		"100644 $blob $deep"; do
		set -- $e
		c=$(signed tunis "$(with_entry "$tip" "$3" "$1" "$2")" "$tip" -- "odd")
		g update-ref refs/heads/cities/tunis "$c"
		run 1 "$FS" audit hub --json
		case $1 in
		100644) finds cities/tunis "$c" "folders nested deeper than 32" ;;
		*) finds cities/tunis "$c" "$3: not a regular file (mode $1)" ;;
		esac
	done
}

# findings in every city, each audited by whichever worker process is free
same_report_for_any_number_of_processes() {
	audited_hub
	forge_tunis
	qtip=$(g rev-parse refs/heads/cities/quito)
	c=$(signed tunis "$qtip^{tree}" "$qtip" -- "signed by tunis for quito")
	g update-ref refs/heads/cities/quito "$c"
	g update-ref refs/heads/cities/Not_A_City "$qtip"
	g symbolic-ref refs/heads/cities/zz refs/heads/cities/quito
	run 1 "$FS" audit hub --json --jobs 1
	mv out one.json
	finds_in() { jq -e --arg r "$1" --arg t "$2" '.findings | any(.ref == $r and
		(.problem | contains($t)))' one.json >/dev/null || { cat one.json; fail "$1: $2"; }; }
	finds_in cities/tunis "bad signature"
	finds_in cities/quito "not allowed for 'quito'"
	finds_in cities/Not_A_City "not a city's branch"
	finds_in cities/zz "a symbolic ref"
	run 1 "$FS" audit hub --jobs 1
	mv out one.txt
	for jobs in 2 3 4 64; do
		run 1 "$FS" audit hub --json --jobs "$jobs"
		cmp -s one.json out || { diff one.json out; fail "--jobs $jobs: another report"; }
		run 1 "$FS" audit hub --jobs "$jobs"
		cmp -s one.txt out || { diff one.txt out; fail "--jobs $jobs: another report"; }
	done
	run 1 "$FS" audit hub --json
	cmp -s one.json out || { diff one.json out; fail "the default: another report"; }
	for bad in 0 65 -1 2x "" ' 2'; do
		run 2 "$FS" audit hub --jobs "$bad"
		has err "audit: --jobs '$bad': expected 1 to 64"
	done
}

registry_tampering_is_found() {
	audited_hub
	h=$(g rev-parse refs/heads/hub)
	g cat-file blob "$h:hub/signers" >signers
	# a change signed by a city, not by the hub
	printf '# a comment\n' >>signers
	c=$(signed tunis "$(with_file "$h^{tree}" hub/signers signers)" "$h" -- "by tunis")
	g update-ref refs/heads/hub "$c"
	run 1 "$FS" audit hub --json
	finds hub "$c" "not the hub's key"
	# a new key for tunis, valid long before the change that adds it
	ssh-keygen -q -t ed25519 -N '' -f other >/dev/null
	g cat-file blob "$h:hub/signers" >signers
	printf 'tunis namespaces="git",valid-after="20200101000000Z" %s\n' "$(cut -d' ' -f1,2 other.pub)" >>signers
	c=$(signed hub "$(with_file "$h^{tree}" hub/signers signers)" "$h" -- "backdated")
	g update-ref refs/heads/hub "$c"
	run 1 "$FS" audit hub --json
	finds hub "$c" "a key is never backdated"
	# a key erased from the registry
	g cat-file blob "$h:hub/signers" | grep -v '^quito ' >signers
	c=$(signed hub "$(with_file "$h^{tree}" hub/signers signers)" "$h" -- "erased")
	g update-ref refs/heads/hub "$c"
	run 1 "$FS" audit hub --json
	finds hub "$c" "erases the key"
	finds cities/quito "" "not allowed for 'quito'"
}

wrong_hub_key_is_found() {
	audited_hub
	run 1 "$FS" audit hub --hub-key "$("$FS" -C quito key show --json | jq -r .public_key)" --json
	finds hub "$(g rev-list --max-parents=0 refs/heads/hub)" "not the key given"
	finds unified "$(g rev-parse refs/heads/unified)" "not the hub's key"
	jq -e '.hub_key_from == "given"' out >/dev/null || fail "key source"
}

checkpoint_catches_a_hidden_rollback() {
	audited_hub
	FIELDSYNC_PASSPHRASE="" "$FS" key new auditor >/dev/null
	run 0 "$FS" audit hub --checkpoint cp --key auditor --json
	jq -e '.clean and .checkpoint == "written"' out >/dev/null || { cat out; fail "first"; }
	grep -qx "ref cities/tunis $(g rev-parse refs/heads/cities/tunis)" cp || { cat cp; fail "tunis head"; }
	# ssh-keygen checks the auditor's signature of it
	sed '/^-----BEGIN SSH SIGNATURE-----/,$d' cp >cp.body
	sed -n '/^-----BEGIN SSH SIGNATURE-----/,$p' cp >cp.sig
	printf 'auditor %s\n' "$(cut -d' ' -f1,2 auditor.pub)" >allowed
	ssh-keygen -Y verify -f allowed -I auditor -n fieldsync-audit -s cp.sig <cp.body >/dev/null
	# the city goes on: the checkpoint moves forward with it
	service_json 2026-11-24 food "$(printf '%032x' 777)" | "$FS" -C tunis add service >/dev/null
	"$FS" -C tunis sync >/dev/null
	"$FS" -C hub hub merge >/dev/null
	run 0 "$FS" audit hub --checkpoint cp --key auditor
	has out "moved forward"
	cp cp saved
	# the hub rolls tunis and unified back together: the history alone is consistent
	g update-ref refs/heads/cities/tunis refs/heads/cities/tunis~1
	g update-ref refs/heads/unified refs/heads/unified^1
	run 1 "$FS" audit hub --checkpoint cp --key auditor --json
	finds cities/tunis "" "does not contain it (history rewritten or rolled back)"
	finds unified "" "does not contain it"
	[ "$(jq '.findings | length' out)" = 2 ] || { cat out; fail "only the checkpoint sees it"; }
	cmp -s cp saved || fail "a checkpoint moved over findings"
	# a checkpoint changed after it was written is refused before any audit
	sed 's/^time .*/time 2020-01-01T00:00:00Z/' cp >forged
	fails_clearly 1 "checkpoint 'forged': not signed by this auditor's key" \
		"$FS" audit hub --checkpoint forged --key auditor
	FIELDSYNC_PASSPHRASE="" "$FS" key new other >/dev/null
	fails_clearly 1 "not signed by this auditor's key" "$FS" audit hub --checkpoint cp --key other
	fails_clearly 2 "--checkpoint needs the auditor's --key" "$FS" audit hub --checkpoint cp
	echo "not a checkpoint" >garbage
	fails_clearly 1 "checkpoint 'garbage': not a signed fieldsync checkpoint" \
		"$FS" audit hub --checkpoint garbage --key auditor
	[ "$(cat garbage)" = "not a checkpoint" ] || fail "garbage rewritten"
	fails_clearly 3 "key 'nokey': missing" "$FS" audit hub --checkpoint cp --key nokey
	cp auditor auditor.saved
	fails_clearly 3 "key 'auditor': the file exists" env FIELDSYNC_PASSPHRASE= "$FS" key new auditor
	cmp -s auditor auditor.saved || fail "a key was overwritten"
	cmp -s cp saved || fail "the checkpoint changed"
}

bad_input_is_refused() {
	audited_hub
	audit_snapshot before
	fails_clearly 1 "'nowhere': not a git repository" "$FS" audit nowhere
	fails_clearly 2 "--hub-key 'nokey': neither a public key" "$FS" audit hub --hub-key nokey
	echo "not a key" >k.pub
	fails_clearly 1 "--hub-key 'k.pub': the file holds no ssh-ed25519" "$FS" audit hub --hub-key k.pub
	fails_clearly 1 "no hub history here" "$FS" audit tunis/.git
	fails_clearly 2 "expected at most one" "$FS" audit hub hub
	fails_clearly 6 "cannot clone 'http://127.0.0.1:1/hub'" "$FS" audit http://127.0.0.1:1/hub
	run 1 "$FS" audit nowhere --json
	jq -e '.error' err >/dev/null 2>&1 || jq -e '.error' out >/dev/null || fail "json error"
	audit_snapshot after
	cmp -s before after || fail "the hub changed"
}

t "a clean history passes, on the hub, a mirror and a URL; stock git agrees" clean_history_passes
t "a forged signature is found, and stock git agrees" forged_signature_is_found
t "a commit signed with another city's key is found" another_citys_key_is_found
t "a commit after its key's revocation is found, and stock git agrees" commit_after_revocation_is_found
t "a merge on a city branch is found, though its signature is good" merge_on_a_city_branch_is_found
t "a record changed by the hub in a city's namespace is found" hub_changing_a_city_record_is_found
t "a force-pushed rewrite of a city branch is found" rewritten_city_branch_is_found
t "a unified tree that is not the union of its parents is found" unified_leaving_a_city_out_is_found
t "service records in public are found" services_in_public_are_found
t "a dropped city is found, once" dropped_city_is_found_once
t "a record that fails its schema is found, with its path" invalid_record_is_found
t "executables, links, submodules and deep folders are found" odd_entries_are_found
t "the same report with one process or several, in the order of the branches" same_report_for_any_number_of_processes
t "registry changes not signed by the hub, backdated or erasing a key are found" registry_tampering_is_found
t "a wrong hub key is found" wrong_hub_key_is_found
t "a checkpoint catches a rollback the history hides, and is signed by the auditor" checkpoint_catches_a_hidden_rollback
t "bad input: a clear error, nothing changed" bad_input_is_refused
