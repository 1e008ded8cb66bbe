#!/bin/sh
# Privacy of the people served: pseudonyms, sealed protected parts, forget,
# keystore backups. Canaries are made-up strings that must never be found in
# any git object of any copy.
. "$(dirname "$0")/lib.sh"

export FIELDSYNC_KEYSTORE_PASSPHRASE="correct horse"
CANARY=CANARY-Zq7-name
CANARY_PHONE=CANARY-555-0199

# private_node DIR [CITY]: a node with a keystore
private_node() {
	mknode "$1" "${2:-$1}"
	"$FS" -C "$1" keystore init >/dev/null
}

# protected_service NODE LOCAL-ID: a service to that person, with a
# protected part of canaries (given to add in plain form, which the node
# seals before anything is written); its id in ./id
protected_service() {
	_p=$("$FS" -C "$1" person id "$2")
	printf '{"date":"2026-11-20","category":"legal-aid","person":"%s","population_group":"refugee","sex":"male","age_band":"18-24","protected":{"name":"%s","phone":"%s","notes":"first visit"}}\n' \
		"$_p" "$CANARY" "$CANARY_PHONE" | "$FS" -C "$1" add service --json | jq -r .id >id
}

# every object of the git repository $1, inflated, on stdout
all_objects() {
	git --git-dir="$1" cat-file --batch-all-objects --batch
}

# no_plaintext GITDIR TEXT...: no object of GITDIR holds any TEXT
no_plaintext() {
	_g=$1
	shift
	all_objects "$_g" >objects
	[ -s objects ] || fail "no objects in $_g"
	for _t in "$@"; do
		! grep -qaF -- "$_t" objects || fail "'$_t' is in plain text in $_g"
	done
}

# the keystore's files, byte for byte
keystore_sum() {
	(cd "$1/.fieldsync" && find keystore -type f 2>/dev/null | sort | xargs -r sha256sum)
}

keystore_and_pseudonyms() {
	mknode n tunis
	snapshot n >before
	# nothing to derive pseudonyms with yet
	fails_clearly 1 "keystore" "$FS" -C n person id case-1
	# a passphrase is mandatory, and there is no terminal to ask on
	FIELDSYNC_KEYSTORE_PASSPHRASE= fails_clearly 3 "passphrase" "$FS" -C n keystore init
	same_as n before
	[ ! -e n/.fieldsync/keystore ] || fail "a refused init left a keystore"

	run 0 "$FS" -C n keystore init
	fails_clearly 3 "has one already" "$FS" -C n keystore init
	p1=$("$FS" -C n person id case-1)
	echo "$p1" | grep -qE '^[0-9a-f]{32}$' || fail "pseudonym '$p1'"
	[ "$("$FS" -C n person id case-1)" = "$p1" ] || fail "pseudonyms are not stable"
	[ "$("$FS" -C n person id case-2)" != "$p1" ] || fail "two people, one pseudonym"
	run 0 "$FS" -C n person id case-1 case-2 --json
	[ "$(jq -r '.[0].person' out)" = "$p1" ] && [ "$(jq -r '.[1].local_id' out)" = case-2 ] ||
		fail "person id --json"
	FIELDSYNC_KEYSTORE_PASSPHRASE=wrong fails_clearly 3 "wrong passphrase" "$FS" -C n person id case-1
	fails_clearly 1 "local id" "$FS" -C n person id ""
	fails_clearly 1 "local id" "$FS" -C n person id "$(printf 'a\tb')"

	# the same local id in another city: another pseudonym; a new keystore
	# for the same city is a new secret too
	private_node quito
	[ "$("$FS" -C quito person id case-1)" != "$p1" ] || fail "two cities, one pseudonym"
	mknode other tunis
	"$FS" -C other keystore init >/dev/null
	[ "$("$FS" -C other person id case-1)" != "$p1" ] || fail "two keystores, one secret"
}

protected_part_is_sealed() {
	private_node n tunis
	protected_service n case-9
	id=$(cat id)
	run 0 "$FS" -C n show "$id"
	[ "$(jq -r .protected.name out)" = "$CANARY" ] || fail "show does not open the protected part"
	run 0 "$FS" -C n show --raw "$id"
	jq -e '.protected | .v == 1 and (.kid | test("^[0-9a-f]{32}$")) and has("ct")' out >/dev/null ||
		fail "--raw is not the sealed form"
	hasnt out "$CANARY"
	sealed=$(jq -c .protected out)
	# editing something else keeps the ciphertext: the same content, the same blob
	"$FS" -C n show "$id" | jq -c '.category = "health"' | "$FS" -C n edit "$id" >/dev/null
	[ "$("$FS" -C n show --raw "$id" | jq -c .protected)" = "$sealed" ] || fail "resealed for nothing"
	"$FS" -C n show "$id" | jq -c '.protected.notes = "second visit"' | "$FS" -C n edit "$id" >/dev/null
	[ "$("$FS" -C n show "$id" | jq -r .protected.notes)" = "second visit" ] || fail "edit lost"
	no_plaintext n/.git "$CANARY" "$CANARY_PHONE" "first visit" "second visit" case-9
	# the scan does see inside the blobs: the ciphertext is there
	grep -qaF "$(echo "$sealed" | jq -r .ct)" objects || fail "the scan misses blob contents"

	# the record moved to another person: the old sealed part does not go with it
	q=$("$FS" -C n person id case-10)
	"$FS" -C n show --raw "$id" | jq -c ".person = \"$q\"" >moved.json
	snapshot n >before
	fails_clearly 1 "sealed" "$FS" -C n edit "$id" moved.json
	same_as n before
	"$FS" -C n show "$id" | jq -c ".person = \"$q\"" | "$FS" -C n edit "$id" >/dev/null
	run 0 "$FS" -C n show "$id"
	[ "$(jq -r .protected.notes out)" = "second visit" ] || fail "not resealed for the new person"
	[ "$(jq -r .person out)" = "$q" ] || fail "person not changed"
	"$FS" -C n show --raw "$id" | jq -r .protected.kid >kid.new
	[ "$(cat kid.new)" != "$(echo "$sealed" | jq -r .kid)" ] || fail "still under the old person's key"
	"$FS" -C n show "$id" | jq -c ".person = \"$("$FS" -C n person id case-9)\"" | "$FS" -C n edit "$id" >/dev/null

	# bad input changes nothing, keystore included
	p=$("$FS" -C n person id case-9)
	snapshot n >before
	keystore_sum n >ks.before
	action_json | jq -c '.protected = {"name": "x"}' >action.json
	fails_clearly 1 "protected" "$FS" -C n add action action.json
	service_json 2026-11-20 health "$p" | jq -c '.protected = "a name"' >str.json
	fails_clearly 1 "/protected" "$FS" -C n add service str.json
	service_json 2026-11-20 health "$p" | jq -c ".protected = $sealed" >sealed.json
	fails_clearly 1 "sealed" "$FS" -C n add service sealed.json
	service_json 2026-11-20 health "$p" | jq -c '.protected = {"name": "'$CANARY'"}' >new.json
	FIELDSYNC_KEYSTORE_PASSPHRASE=wrong fails_clearly 3 "wrong passphrase" "$FS" -C n add service new.json
	FIELDSYNC_KEYSTORE_PASSPHRASE= fails_clearly 3 "passphrase" "$FS" -C n add service new.json
	FIELDSYNC_KEYSTORE_PASSPHRASE=wrong fails_clearly 3 "wrong passphrase" "$FS" -C n show "$id"
	# a damaged keystore is a clear error, not a crash
	cp n/.fieldsync/keystore/master master.keep
	head -c 100 master.keep >n/.fieldsync/keystore/master
	fails_clearly 3 "keystore: damaged" "$FS" -C n add service new.json
	cp master.keep n/.fieldsync/keystore/master
	same_as n before
	keystore_sum n | cmp -s - ks.before || fail "the keystore changed"

	# a node without a keystore refuses protected parts, and shows sealed ones as they are
	mknode bare tunis
	fails_clearly 1 "keystore" "$FS" -C bare add service new.json
	all_objects bare/.git | grep -qaF "$CANARY" && fail "plaintext reached a node without a keystore"
	# no refusal echoes a protected value
	for f in err out; do hasnt "$f" "$CANARY"; done
	# local ids can stay out of argv; a mistyped pseudonym is not echoed
	[ "$(printf 'case-9\r\ncase-10\n' | "$FS" -C n person id - | head -1)" = "$p" ] ||
		fail "person id - differs"
	snapshot n >before
	keystore_sum n >ks.before
	fails_clearly 1 "expected a pseudonym" "$FS" -C n forget A-2024-0117
	hasnt err A-2024-0117
	fails_clearly 1 "no key and no service record" "$FS" -C n forget 00000000000000000000000000000000
	fails_clearly 2 "expected one PERSON" "$FS" -C n forget "$p" --local case-9
	FIELDSYNC_KEYSTORE_PASSPHRASE=wrong fails_clearly 3 "wrong passphrase" "$FS" -C n forget "$p"
	same_as n before
	keystore_sum n | cmp -s - ks.before || fail "a refused forget changed the keystore"
}

# tunis (with a keystore, three people) and quito synced to ./hub, merged,
# quito synced again so it holds what the hub publishes
private_cities() {
	mkhub hub
	private_node tunis
	enroll hub tunis tunis
	for i in 1 2 3; do
		p=$("$FS" -C tunis person id "case-$i")
		printf '{"date":"2026-11-2%s","category":"health","person":"%s","population_group":"refugee","sex":"female","age_band":"25-59","protected":{"name":"%s-%s","phone":"%s"}}\n' \
			"$i" "$p" "$CANARY" "$i" "$CANARY_PHONE"
	done >people.ndjson
	"$FS" -C tunis import service people.ndjson >/dev/null
	action_json | "$FS" -C tunis add action >/dev/null
	city quito 2
	for c in tunis quito; do
		"$FS" -C "$c" remote add hub "file://$PWD/hub" >/dev/null
		"$FS" -C "$c" sync >/dev/null
	done
	"$FS" -C hub hub merge >/dev/null
	for c in tunis quito; do "$FS" -C "$c" sync >/dev/null; done
}

no_plaintext_in_any_copy() {
	private_cities
	for g in tunis/.git hub quito/.git; do
		no_plaintext "$g" "$CANARY" "$CANARY_PHONE" case-1 case-2 case-3
	done
	# the sealed parts did travel (the hub holds the ciphertext) ...
	git --git-dir=hub grep -q '"ct"' refs/heads/cities/tunis || fail "no sealed part on the hub"
	# ... but not to another city, nor into the public branch
	git --git-dir=hub ls-tree -r --name-only refs/heads/public | grep -q '^cities/.*/services/' &&
		fail "services in public"
	git --git-dir=quito/.git log --all --format=%H -- 'cities/tunis/services' | grep -q . &&
		fail "tunis's services reached quito"
	# every check of the hub still holds on ciphertext
	run 0 "$FS" audit hub
	run 0 "$FS" -C tunis show "$(git --git-dir=tunis/.git ls-tree -r --name-only HEAD cities/tunis/services | head -1 | xargs basename | sed 's/\.json$//')"
	has out "$CANARY-"
}

forget_reaches_every_copy() {
	private_cities
	p=$("$FS" -C tunis person id case-2)
	[ -s tunis/.fieldsync/keystore/people/"$p" ] || fail "no key file for the person"
	"$FS" -C tunis keystore export before.fskb </dev/null >/dev/null 2>&1 &&
		fail "export without a backup passphrase"
	FIELDSYNC_BACKUP_PASSPHRASE=backup-pass "$FS" -C tunis keystore export before.fskb >/dev/null

	fails_clearly 1 "person" "$FS" -C tunis forget 00000000000000000000000000000000
	run 0 "$FS" -C tunis forget --local case-2 --json
	[ "$(jq -r .person out)" = "$p" ] && [ "$(jq .keys out)" = 1 ] && [ "$(jq .records out)" = 1 ] ||
		fail "forget --json: $(cat out)"
	erasure=$(jq -r .erasure out)
	[ ! -e tunis/.fieldsync/keystore/people/"$p" ] || fail "the key file is still there"
	run 0 "$FS" -C tunis forget "$p"
	has out "nothing to do"

	# the erasure record carries nothing personal, and is signed like any commit
	run 0 "$FS" -C tunis show "$erasure"
	[ "$(jq -r .person out)" = "$p" ] && [ "$(jq -r '.keys | length' out)" = 1 ] || fail "erasure record"
	run 0 "$FS" -C tunis log "$erasure" --json
	[ "$(jq -r '[.[].change] | join(" ")' out)" = add ] || { cat out; fail "log of the erasure"; }
	git -C tunis -c gpg.format=ssh -c gpg.ssh.allowedSignersFile="$PWD/tunis/.fieldsync/allowed_signers" \
		verify-commit HEAD 2>/dev/null || fail "git verify-commit"

	# the person's record shows sealed, with why; the others still open
	svc=$(for f in $(git --git-dir=tunis/.git ls-tree -r --name-only HEAD cities/tunis/services); do
		git --git-dir=tunis/.git cat-file blob "HEAD:$f" | jq -r "select(.person == \"$p\") | .id"
	done)
	run 0 "$FS" -C tunis show "$svc"
	has err "forgotten"
	has err "$erasure"
	jq -e '.protected.ct' out >/dev/null || fail "not the sealed form"
	hasnt out "$CANARY-2"

	# the erasure travels; every copy still verifies; history was not rewritten
	old_head=$(git --git-dir=hub rev-parse refs/heads/cities/tunis)
	"$FS" -C tunis sync >/dev/null
	git --git-dir=hub merge-base --is-ancestor "$old_head" refs/heads/cities/tunis || fail "history rewritten"
	"$FS" -C hub hub merge >/dev/null
	run 0 "$FS" audit hub
	git --git-dir=hub ls-tree -r --name-only refs/heads/cities/tunis | grep -q '/erasures/' ||
		fail "the erasure did not reach the hub"
	git --git-dir=hub ls-tree -r --name-only refs/heads/public | grep -q '^cities/.*/erasures/' &&
		fail "an erasure in public"

	# an old backup does not bring the person back
	rm -rf tunis/.fieldsync/keystore
	FIELDSYNC_BACKUP_PASSPHRASE=backup-pass run 0 "$FS" -C tunis keystore import before.fskb
	[ ! -e tunis/.fieldsync/keystore/people/"$p" ] || fail "an old backup restored a forgotten key"
	run 0 "$FS" -C tunis show "$svc"
	has err "forgotten"
	for g in tunis/.git hub; do no_plaintext "$g" "$CANARY" case-2; done
}

# forget killed at its last steps, and a keystore restored from before it
forget_is_finished_by_a_rerun() {
	private_node n tunis
	protected_service n case-5
	id=$(cat id)
	p=$("$FS" -C n person id case-5)
	keyfile=n/.fieldsync/keystore/people/$p
	cp -a n/.fieldsync/keystore stale
	# killed as the key file is being removed (overwritten already) ...
	run 137 traced -f -o /dev/null -P "$keyfile" -e trace=unlink,unlinkat \
		-e inject=unlink,unlinkat:signal=SIGKILL "$FS" -C n forget "$p"
	[ -e "$keyfile" ] || fail "the kill came too late"
	git -C n log -1 --format=%s | grep -q '^add erasure' || fail "no erasure committed first"
	run 0 "$FS" -C n show "$id"
	has err "forgotten"
	hasnt out "$CANARY"
	FIELDSYNC_BACKUP_PASSPHRASE=b run 0 "$FS" -C n keystore export during.fskb
	run 0 "$FS" -C n forget "$p" --json
	[ "$(jq .keys out)" = 1 ] || fail "the rerun destroyed nothing: $(cat out)"
	[ ! -e "$keyfile" ] || fail "the key file survived the rerun"
	run 0 "$FS" -C n forget "$p"
	has out "nothing to do"
	# ... and a keystore put back from before the forget (history fetched later)
	rm -rf n/.fieldsync/keystore
	cp -a stale n/.fieldsync/keystore
	run 0 "$FS" -C n show "$id"
	has err "forgotten"
	hasnt out "$CANARY"
	run 0 "$FS" -C n forget "$p"
	has out "1 key destroyed"
	[ ! -e "$keyfile" ] || fail "the stale key survived forget"
	run 0 "$FS" -C n verify
}

backup_and_restore() {
	private_node n tunis
	protected_service n case-4
	id=$(cat id)
	p=$("$FS" -C n person id case-4)
	export FIELDSYNC_BACKUP_PASSPHRASE=backup-pass
	run 0 "$FS" -C n keystore export keys.fskb
	fails_clearly 3 "exists" "$FS" -C n keystore export keys.fskb
	grep -qaF "$CANARY" keys.fskb && fail "plaintext in the backup"
	! grep -qaF case-4 keys.fskb || fail "a local id in the backup"
	private_node quito
	FIELDSYNC_BACKUP_PASSPHRASE=q "$FS" -C quito keystore export quito.fskb >/dev/null

	# the disk died: the history comes back from a copy, the keys from the backup
	git clone -q --mirror n/.git mirror.git
	rm -rf n/.fieldsync/keystore
	snapshot n >before
	FIELDSYNC_BACKUP_PASSPHRASE=wrong fails_clearly 3 "passphrase" "$FS" -C n keystore import keys.fskb
	head -c 50 keys.fskb >short.fskb
	fails_clearly 1 "short.fskb" "$FS" -C n keystore import short.fskb
	printf 'not a backup at all\n' >garbage.fskb
	fails_clearly 1 "garbage.fskb" "$FS" -C n keystore import garbage.fskb
	FIELDSYNC_BACKUP_PASSPHRASE=q fails_clearly 1 "quito" "$FS" -C n keystore import quito.fskb
	fails_clearly 1 "missing.fskb" "$FS" -C n keystore import missing.fskb
	same_as n before
	[ ! -e n/.fieldsync/keystore ] || fail "a refused import left a keystore"
	# with no keystore the record shows sealed, with a note, and nothing crashes
	run 0 "$FS" -C n show "$id"
	has err "keystore"
	jq -e .protected.ct out >/dev/null || fail "not the sealed form"

	run 0 "$FS" -C n keystore import keys.fskb
	fails_clearly 3 "has one already" "$FS" -C n keystore import keys.fskb
	[ "$("$FS" -C n person id case-4)" = "$p" ] || fail "the restored secret gives another pseudonym"
	run 0 "$FS" -C n show "$id"
	[ "$(jq -r .protected.name out)" = "$CANARY" ] || fail "the restored key does not open the record"
}

t "keystore: pseudonyms stable, keyed, unlinkable; passphrase mandatory" keystore_and_pseudonyms
t "protected parts are sealed; bad input changes nothing" protected_part_is_sealed
t "no plaintext in any object of node, hub or another city after sync and merge" no_plaintext_in_any_copy
t "forget destroys the key; every copy still verifies and audits" forget_reaches_every_copy
t "forget is finished by a rerun after a kill or a stale keystore" forget_is_finished_by_a_rerun
t "keystore backup and restore; bad backups change nothing" backup_and_restore
