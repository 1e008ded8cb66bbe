#!/bin/sh
# Hub of hubs: two regional hubs send their cities up to a global hub, signed
# by their own keys, actions and services tables only unless told otherwise.
. "$(dirname "$0")/lib.sh"

regional_key() {
	git --git-dir="$1" config fieldsync.publicKey | cut -d' ' -f1,2
}

# maghreb (tunis, nador) and andes (quito, lima), each merged; a global hub
# that enrolled each regional hub's key for the cities of its region
two_regions() {
	mkhub maghreb
	mkhub andes
	mkhub global
	for pair in maghreb:tunis maghreb:nador andes:quito andes:lima; do
		r=${pair%%:*} c=${pair#*:}
		NOENROLL=1 city "$c" 6
		enroll "$r" "$c" "$c"
		action_json "Action $c" | "$FS" -C "$c" add action >/dev/null
		"$FS" -C "$c" remote add hub "file://$PWD/$r" >/dev/null
		"$FS" -C "$c" sync >/dev/null
	done
	for r in maghreb andes; do
		"$FS" -C "$r" hub merge >/dev/null
	done
	for c in tunis nador; do
		"$FS" -C global hub enroll "$c" "$(regional_key maghreb)" --regional >/dev/null
	done
	for c in quito lima; do
		"$FS" -C global hub enroll "$c" "$(regional_key andes)" --regional >/dev/null
	done
}

hub_of_hubs() {
	two_regions
	# one region over file://, the other over HTTP
	"$FS" -C maghreb remote add global "file://$PWD/global" >/dev/null
	run 0 "$FS" -C maghreb sync global
	serve global
	"$FS" -C andes remote add global "$(cat url)" >/dev/null
	run 0 "$FS" -C andes sync global
	hub_refs global | cut -d' ' -f1 >refs
	for c in lima nador quito tunis; do
		has refs "refs/heads/cities/$c"
	done
	# each city's branch on the global hub is signed by its region's key
	git --git-dir=global verify-commit cities/tunis 2>verify
	has verify 'Good "git" signature for tunis'
	[ "$(git --git-dir=global log -1 --format=%GF cities/lima)" = \
	  "$(git --git-dir=andes log -1 --format=%GF hub)" ] || fail "lima not signed by andes"
	run 0 "$FS" -C global hub merge
	has out "4 cities"
	# by default no service record goes up, only each city's services table
	git --git-dir=global rev-list --objects --all >objects
	grep -q "cities/tunis/actions/" objects || fail "no actions went up"
	for c in lima nador quito tunis; do
		hasnt objects "cities/$c/services"
		r=maghreb
		case $c in quito|lima) r=andes ;; esac
		[ "$(git --git-dir=global show "unified:hub/aggregates/services/$c.csv")" = \
		  "$(git --git-dir="$r" show "unified:hub/aggregates/services/$c.csv")" ] ||
			fail "$c: the services table differs"
	done
	[ -z "$(git --git-dir=global ls-tree -r --name-only unified hub/counts)" ] || fail "exact counts"
	git --git-dir=global show unified:hub/aggregates/actions.csv >actions
	[ "$(tail -n +2 actions | cut -d, -f5 | tr -d '\r' | paste -sd+ | bc)" = 8 ] ||
		fail "actions: $(cat actions)"
	for c in $(git --git-dir=global rev-list --first-parent unified); do
		git --git-dir=global cat-file -e "$c:hub/unified.json" 2>/dev/null || break
		"$FS" -C global hub merge --check "$c" >/dev/null || fail "check $c"
	done
	# the regional hubs took the global public, signed by its key
	"$FS" -C global hub merge >/dev/null
	run 0 "$FS" -C maghreb sync global
	has out "up to date"
	[ "$(git --git-dir=maghreb rev-parse refs/remotes/global/public)" = "$(git --git-dir=global rev-parse public)" ] ||
		fail "public not fetched"
	[ "$(git --git-dir=maghreb config remote.global.fieldsyncHubKey)" = "$(regional_key global)" ] ||
		fail "global key not pinned"
	# a new action in tunis: one more commit on the global hub, a fast-forward
	before=$(git --git-dir=global rev-parse cities/tunis)
	action_json "Encore" 6 | "$FS" -C tunis add action >/dev/null
	"$FS" -C tunis sync >/dev/null
	"$FS" -C maghreb hub merge >/dev/null
	run 0 "$FS" -C maghreb sync global
	has out "1 commit"
	[ "$(git --git-dir=global rev-parse cities/tunis^)" = "$before" ] || fail "not a fast-forward"
	[ "$(git --git-dir=global rev-parse cities/nador)" = "$(git --git-dir=maghreb rev-parse refs/fieldsync/up/global/nador)" ] ||
		fail "nador moved"
	# andes sends its service records too, once told to
	git --git-dir=andes config remote.global.fieldsyncSendServices true
	run 0 "$FS" -C andes sync global
	"$FS" -C global hub merge >/dev/null
	git --git-dir=global ls-tree -r --name-only unified >tree
	has tree "cities/quito/services/"
	hasnt tree "cities/tunis/services/"
	hasnt tree "cities/quito/aggregates/"
	[ "$(git --git-dir=global show unified:hub/counts/quito.json)" = "$(git --git-dir=andes show unified:hub/counts/quito.json)" ] ||
		fail "quito's exact counts differ"
	# the global report: tables sent up count what they show
	run 0 "$FS" -C global report --html site
	tr -d '\n' <site/index.html | grep -o '<tr><td>tunis</td><td>[^<]*</td><td>[A-Z]*</td><td class="n">[0-9]*' >row
	[ "$(sed 's/.*"n">//' row)" = 6 ] || fail "tunis in the global report: $(cat row)"
	# cities of other regions never see a service record through the global public
	git --git-dir=global ls-tree -r --name-only public >pub
	! grep -q '^cities/[^/]*/services/' pub || fail "a service record in public"
	"$FS" -C global hub serve --stop >/dev/null
}

hub_of_hubs_refusals() {
	two_regions
	# a key signs for one city unless it is a regional hub's
	fails_clearly 1 "enrolled with --regional" "$FS" -C global hub enroll quito "$(regional_key maghreb)"
	# tunis, enrolled in andes too, cannot reach the global hub through andes:
	# the global hub allows only maghreb's key for tunis
	enroll andes tunis tunis
	"$FS" -C tunis remote add andes "file://$PWD/andes" >/dev/null
	"$FS" -C tunis sync andes >/dev/null
	"$FS" -C andes hub merge >/dev/null
	"$FS" -C andes remote add global "file://$PWD/global" >/dev/null
	fails_clearly 1 "city 'tunis'" "$FS" -C andes sync global
	has err "not allowed"
	hub_refs global >refs
	hasnt refs "cities/tunis"
	has refs "cities/quito"
	"$FS" -C maghreb remote add global "file://$PWD/global" >/dev/null
	"$FS" -C maghreb sync global >/dev/null
	# the global hub stops taking nador from maghreb (a revocation holds from
	# the next second: signers' times are whole seconds, valid-before inclusive)
	"$FS" -C global hub revoke nador >/dev/null
	sleep 1
	action_json "Nouvelle" | "$FS" -C nador add action >/dev/null
	"$FS" -C nador sync >/dev/null
	"$FS" -C maghreb hub merge >/dev/null
	action_json "Aussi" | "$FS" -C tunis add action >/dev/null
	"$FS" -C tunis sync hub >/dev/null
	"$FS" -C maghreb hub merge >/dev/null
	before=$(hub_refs global)
	fails_clearly 1 "city 'nador'" "$FS" -C maghreb sync global
	has err "not allowed"
	[ "$(hub_refs global | grep cities/nador)" = "$(echo "$before" | grep cities/nador)" ] ||
		fail "nador moved after its revocation"
	# tunis comes after nador, and went up all the same
	[ "$(git --git-dir=global rev-parse cities/tunis)" = "$(git --git-dir=maghreb rev-parse refs/fieldsync/up/global/tunis)" ] ||
		fail "a refused city held the others back"
	# a sync from a hub that never merged says so
	mkhub empty
	"$FS" -C empty remote add global "file://$PWD/global" >/dev/null
	fails_clearly 1 "nothing to send up yet" "$FS" -C empty sync global
}

t "hub of hubs: two regions up to a global hub, actions and tables only" hub_of_hubs
t "hub of hubs: refusals" hub_of_hubs_refusals
