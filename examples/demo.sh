#!/bin/sh
# make demo: city nodes with real actions from the Call to Local Action report
# and a few hundred synthetic service records (no real people), verified by
# fieldsync and by stock git.
#
#   examples/demo.sh [FIELDSYNC] [CITY...]     (default cities: amman nairobi sao-paulo)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
FS=$(cd "$(dirname "${1:-build/fieldsync}")" && pwd)/$(basename "${1:-build/fieldsync}")
[ $# -gt 0 ] && shift
cities=${*:-amman nairobi sao-paulo}
out=$(mktemp -d "${TMPDIR:-/tmp}/fieldsync-demo-XXXXXX")
services_per_city=120

say() { printf '\n== %s\n' "$*"; }
show() { printf '$ %s\n' "$*"; "$@"; }

# synthetic services: pseudonyms are hashes of a made-up counter, dates in 2026
services() {
	awk -v city="$1" -v n="$2" -v action="$3" 'BEGIN {
		srand(length(city) * 7919);
		split("shelter food cash health psychosocial education language legal-aid documentation employment", cat, " ");
		split("refugee asylum-seeker migrant idp stateless returnee host-community", grp, " ");
		split("female male female male other unknown", sex, " ");
		split("0-4 5-11 12-17 18-24 25-59 25-59 60+", age, " ");
		for (i = 0; i < n; i++) {
			person = sprintf("%08x%08x%08x%08x", i + 1, length(city) * 7919, (i * 40503) % 2147483647, 305419896 + i);
			printf("{\"date\":\"2026-%02d-%02d\",\"category\":\"%s\",\"person\":\"%s\",\"population_group\":\"%s\",\"sex\":\"%s\",\"age_band\":\"%s\",\"action\":\"%s\"}\n",
			       int(rand() * 10) + 1, int(rand() * 28) + 1, cat[int(rand() * 10) + 1], person,
			       grp[int(rand() * 7) + 1], sex[int(rand() * 6) + 1], age[int(rand() * 7) + 1], action);
		}
	}'
}

echo "fieldsync demo: nodes in $out"
for city in $cities; do
	line=$(grep "^$city	" "$here/cities.tsv") || { echo "no city '$city' in examples/cities.tsv" >&2; exit 2; }
	name=$(echo "$line" | cut -f2)
	country=$(echo "$line" | cut -f3)
	node="$out/$city"
	say "$name ($country)"
	show "$FS" -C "$node" init --city "$city" --name "$name" --country "$country"
	show "$FS" -C "$node" import action "$here/actions/$city.ndjson"
	action=$("$FS" -C "$node" list action | head -1 | cut -d' ' -f1)
	services "$city" "$services_per_city" "$action" >"$out/$city-services.ndjson"
	show "$FS" -C "$node" import service "$out/$city-services.ndjson" --batch 50
	# one more the way a clerk records it, one at a time
	services "$city-clerk" 1 "$action" | "$FS" -C "$node" add service >/dev/null
	"$FS" -C "$node" list action
	show "$FS" -C "$node" verify
	printf '$ git -C %s verify-commit HEAD\n' "$node"
	git -C "$node" verify-commit HEAD
done

say "what the demo did"
for city in $cities; do
	node="$out/$city"
	printf '%-12s %2d actions %4d services %3d signed commits, %s on disk\n' "$city" \
		"$("$FS" -C "$node" list action | wc -l)" "$("$FS" -C "$node" list service | wc -l)" \
		"$(git -C "$node" rev-list --count HEAD)" "$(du -sh "$node/.git" | cut -f1)"
done
echo
echo "look around:  $FS -C $out/$(echo "$cities" | cut -d' ' -f1) log"
echo "              git -C $out/$(echo "$cities" | cut -d' ' -f1) log --show-signature -3"
echo "clean up:     rm -rf $out"
