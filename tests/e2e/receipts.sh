#!/bin/sh
# Receipts: the hub signs what it took from a city (file:// and HTTP pushes,
# a bundle on a stick), the node checks and keeps them, stock ssh-keygen
# agrees, a forged one changes nothing, and an audit with them shows what a
# hub dropped.
. "$(dirname "$0")/lib.sh"

receipts_of() {
	"$FS" -C "$1" receipts --json
}

# stock_verify FILE: ssh-keygen's verdict on a receipt, with the hub's key as allowed signer
stock_verify() {
	sed '/^-----BEGIN SSH SIGNATURE-----$/,$d' "$1" >text
	sed -n '/^-----BEGIN SSH SIGNATURE-----$/,$p' "$1" >sig
	echo "hub namespaces=\"fieldsync-receipt\" $(cat hub/fieldsync/key.pub)" >allowed
	ssh-keygen -Y verify -n fieldsync-receipt -f allowed -I hub -s sig <text
}

file_sync_gives_a_receipt_that_ssh_keygen_accepts() {
	mkhub hub
	city tunis 3
	"$FS" -C tunis remote add hub "file://$PWD/hub" >/dev/null
	run 0 "$FS" -C tunis sync
	has out "receipt is kept"
	receipts_of tunis >list
	head=$(git -C tunis/.git rev-parse main)
	jq -e --arg h "$head" 'length == 1 and .[0].head == $h and .[0].city == "tunis" and
		.[0].hub == "Test hub"' list >/dev/null || { cat list; fail "receipts"; }
	stock_verify "$(jq -r '.[0].file' list)" >stock 2>&1 || { cat stock; fail "ssh-keygen"; }
	has stock 'Good "fieldsync-receipt" signature for hub'
	# the next push gives the next one, listed last; nothing pushed gives none
	action_json | "$FS" -C tunis add action >/dev/null
	sleep 1
	run 0 "$FS" -C tunis sync --json
	jq -e '.receipt' out >/dev/null || fail "no receipt on the second sync"
	run 0 "$FS" -C tunis sync --json
	jq -e '.receipt == false' out >/dev/null || fail "a receipt for nothing"
	receipts_of tunis >list
	jq -e --arg h "$(git -C tunis/.git rev-parse main)" 'length == 2 and .[1].head == $h' list \
		>/dev/null || { cat list; fail "newest last"; }
	run 0 "$FS" -C tunis receipts
	[ "$(wc -l <out)" -eq 2 ] || fail "two lines"
}

http_sync_gives_a_receipt() {
	mkhub hub
	city tunis 3
	city quito 2
	serve hub
	"$FS" -C tunis remote add hub "$(cat url)" --hub-key hub/fieldsync/key.pub >/dev/null
	run 0 "$FS" -C tunis sync --json
	jq -e '.receipt' out >/dev/null || { cat out err; fail "no receipt over http"; }
	receipts_of tunis >list
	jq -e --arg h "$(git -C tunis/.git rev-parse main)" 'length == 1 and .[0].head == $h' list \
		>/dev/null || { cat list; fail "receipts"; }
	# no key pinned yet and no public to learn it from: the push lands, no receipt is kept
	"$FS" -C quito remote add hub "$(cat url)" >/dev/null
	run 0 "$FS" -C quito sync --json
	has err "receipt is not kept: its key is not known yet"
	[ "$(receipts_of quito)" = "[]" ] || fail "an unchecked receipt was kept"
	# a pinned key that is not the hub's: the receipt is refused, nothing kept
	mkhub other
	"$FS" -C tunis remote add wrong "$(cat url)" --hub-key other/fieldsync/key.pub >/dev/null
	action_json | "$FS" -C tunis add action >/dev/null
	fails_clearly 1 "which is not the hub's key" "$FS" -C tunis sync wrong
	[ "$(receipts_of tunis | jq length)" = 1 ] || fail "a refused receipt was kept"
	"$FS" -C hub hub serve --stop >/dev/null
}

bundle_receipt_is_added_and_forgeries_are_refused() {
	mkhub hub
	city tunis 3
	city quito 2
	"$FS" -C tunis bundle create tunis.bundle >/dev/null
	run 0 "$FS" -C hub hub import tunis.bundle --receipt tunis.receipt
	has out "receipt written to 'tunis.receipt'"
	stock_verify tunis.receipt >stock 2>&1 || { cat stock; fail "ssh-keygen"; }
	# the node knows no hub key yet: it must be given
	fails_clearly 1 "no hub key is known here" "$FS" -C tunis receipts add tunis.receipt
	# forged: another head, another city, another hub's key, not a receipt
	sed "s/^head .*/head $(git -C tunis/.git rev-parse main~1)/" tunis.receipt >changed.receipt
	"$FS" -C quito bundle create quito.bundle >/dev/null
	"$FS" -C hub hub import quito.bundle --receipt quito.receipt >/dev/null
	mkhub other
	enroll other tunis tunis
	"$FS" -C other hub import tunis.bundle --receipt other.receipt >/dev/null
	echo "fieldsync receipt 1" >garbage.receipt
	snapshot tunis >before
	fails_clearly 1 "the signature does not hold" \
		"$FS" -C tunis receipts add changed.receipt --hub-key hub/fieldsync/key.pub
	fails_clearly 1 "it is for city 'quito'" \
		"$FS" -C tunis receipts add quito.receipt --hub-key hub/fieldsync/key.pub
	fails_clearly 1 "which is not the hub's key" \
		"$FS" -C tunis receipts add other.receipt --hub-key hub/fieldsync/key.pub
	fails_clearly 1 "no signature block" \
		"$FS" -C tunis receipts add garbage.receipt --hub-key hub/fieldsync/key.pub
	same_as tunis before
	run 0 "$FS" -C tunis receipts add tunis.receipt --hub-key hub/fieldsync/key.pub --json
	jq -e --arg h "$(git -C tunis/.git rev-parse main)" '.head == $h and .city == "tunis"' out \
		>/dev/null || { cat out; fail "added"; }
	[ "$(receipts_of tunis | jq length)" = 1 ] || fail "not listed"
	# the key given is kept: the node's next receipts from that hub need no --hub-key
	[ "$(git -C tunis/.git config --get-all fieldsync.hubKey | wc -l)" = 1 ] || fail "key not kept"
	# a receipt for a commit the node does not have
	git -C tunis/.git update-ref refs/heads/main main~1
	fails_clearly 1 "is not in this node's history" \
		"$FS" -C tunis receipts add tunis.receipt --hub-key hub/fieldsync/key.pub
}

audit_with_receipts_finds_dropped_data() {
	mkhub hub
	city tunis 3
	"$FS" -C tunis remote add hub "file://$PWD/hub" >/dev/null
	"$FS" -C tunis sync >/dev/null
	sleep 1
	action_json | "$FS" -C tunis add action >/dev/null
	"$FS" -C tunis sync >/dev/null
	mkdir copies && cp tunis/.fieldsync/receipts/*.receipt copies/
	run 0 "$FS" audit hub --receipts copies
	has out "2 receipts, clean"
	# the hub rolls the city back with stock git: the newest receipt shows it
	git --git-dir=hub update-ref refs/heads/cities/tunis "$(git --git-dir=hub rev-parse cities/tunis~1)"
	run 1 "$FS" audit hub --receipts copies --json
	jq -e --arg h "$(git -C tunis/.git rev-parse main)" '.receipts == 2 and
		(.findings | length == 1) and .findings[0].ref == "cities/tunis" and
		.findings[0].commit == $h and (.findings[0].problem | contains("does not contain it"))' \
		out >/dev/null || { cat out; fail "rollback not found"; }
	# the hub drops the city: every receipt shows it
	git --git-dir=hub update-ref -d refs/heads/cities/tunis
	run 1 "$FS" audit hub --receipts copies --json
	jq -e '[.findings[] | select(.problem | contains("the branch is gone"))] | length == 2' out \
		>/dev/null || { cat out; fail "dropped city not found"; }
	# a receipt that is not the hub's is a finding, not a crash
	sed 's/^city tunis$/city quito/' "$(ls copies/*.receipt | head -n 1)" >copies/forged.receipt
	run 1 "$FS" audit hub --receipts copies --json
	jq -e '.findings | any(.ref == "receipts" and (.path | endswith("forged.receipt")) and
		(.problem | contains("signature does not hold")))' out >/dev/null || { cat out; fail "forged"; }
	fails_clearly 2 "--receipts 'nowhere': no such folder" "$FS" audit hub --receipts nowhere
}

http_hub_replaying_an_old_receipt_is_caught() {
	mkhub hub
	city tunis 3
	serve hub
	"$FS" -C tunis remote add hub "$(cat url)" --hub-key hub/fieldsync/key.pub >/dev/null
	"$FS" -C tunis sync >/dev/null
	old=$(receipts_of tunis | jq -r '.[0].file')
	[ -f "$old" ] || fail "no first receipt"
	# the hub's post-receive hook now sends the old receipt again, as a hub that
	# dropped the new commits would, to pass for having taken them
	cat >hub/hooks/post-receive <<EOF
#!/bin/sh
cat >/dev/null
sed 's/^/fieldsync-receipt: /' '$old' >&2
EOF
	action_json | "$FS" -C tunis add action >/dev/null
	fails_clearly 1 "the push landed, but the hub's receipt is for commit" "$FS" -C tunis sync
	has err "not for the one pushed ($(git -C tunis/.git rev-parse --short=12 main))"
	[ "$(receipts_of tunis | jq length)" = 1 ] || fail "the replayed receipt was kept"
	"$FS" -C hub hub serve --stop >/dev/null
}

two_hubs_each_give_their_receipts() {
	mkhub hub
	mkhub other
	city tunis 3
	enroll other tunis tunis
	"$FS" -C tunis remote add hub "file://$PWD/hub" >/dev/null
	"$FS" -C tunis remote add other "file://$PWD/other" >/dev/null
	"$FS" -C tunis sync hub >/dev/null
	"$FS" -C tunis sync other >/dev/null
	receipts_of tunis >list
	jq -e --arg a "$(ssh-keygen -lf hub/fieldsync/key.pub | cut -d' ' -f2)" \
		--arg b "$(ssh-keygen -lf other/fieldsync/key.pub | cut -d' ' -f2)" \
		'length == 2 and ([.[].hub_key] | sort) == ([$a, $b] | sort) and
		 ([.[].file] | unique | length) == 2' list >/dev/null || { cat list; fail "two receipts"; }
	# each hub is audited with all of them: its own judged, the other's counted apart
	for h in hub other; do
		run 0 "$FS" audit "$h" --receipts tunis/.fieldsync/receipts --json
		jq -e '.receipts == 1 and .receipts_other == 1 and (.findings | length == 0)' out \
			>/dev/null || { cat out; fail "$h: receipts"; }
	done
	# one hub drops the city: only its own receipt says so
	git --git-dir=other update-ref -d refs/heads/cities/tunis
	run 1 "$FS" audit other --receipts tunis/.fieldsync/receipts --json
	jq -e '.findings | length == 1 and (.[0].problem | contains("the branch is gone"))' out \
		>/dev/null || { cat out; fail "dropped city"; }
	run 0 "$FS" audit hub --receipts tunis/.fieldsync/receipts
}

t "a file:// sync gives a receipt that stock ssh-keygen accepts" file_sync_gives_a_receipt_that_ssh_keygen_accepts
t "an HTTP sync gives a receipt through the post-receive hook" http_sync_gives_a_receipt
t "a bundle's receipt is added; forged ones are refused and change nothing" bundle_receipt_is_added_and_forgeries_are_refused
t "an audit with receipts finds a rolled-back or dropped city; a clean hub passes" audit_with_receipts_finds_dropped_data
t "an HTTP hub that sends an old receipt again is caught; nothing kept" http_hub_replaying_an_old_receipt_is_caught
t "two hubs give their own receipts; each audit judges its own" two_hubs_each_give_their_receipts
