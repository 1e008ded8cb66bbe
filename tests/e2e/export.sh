#!/bin/sh
# fieldsync export: CSV (RFC 4180), HXL, NDJSON, from a node and from a hub.
. "$(dirname "$0")/lib.sh"

# One action whose fields need quoting, and one service.
node_with_records() {
	mknode tunis tunis
	printf '{"country":"TN","title":"Centre, \\"accueil\\"","description":"Deux\\nlignes.","start":"2023-10","end":null,"commitment":"mirror","priorities":[3,4],"status":"ongoing","partners":["HCR","OIM"],"figures":{"people_reached":120,"beds":30}}\n' |
		"$FS" -C tunis add action >aid
	service_json 2026-11-20 health | "$FS" -C tunis add service >sid
}

export_csv_and_hxl() {
	node_with_records
	a=$(cat aid) s=$(cat sid)
	ts=$("$FS" -C tunis show "$a" --json | jq -r .updated)
	run 0 "$FS" -C tunis export action
	{
		echo "id,city,country,title,description,start,end,commitment,priorities,categories,target_groups,partners,status,mayor,funding,figures,created,updated"
		echo "$a,tunis,TN,\"Centre, \"\"accueil\"\"\",\"Deux"
		echo "lignes.\",2023-10,,mirror,3; 4,,,HCR; OIM,ongoing,,,beds=30; people_reached=120,$ts,$ts"
	} >want
	# CRLF ends each row; the newline inside the quoted description stays as stored
	printf '%s\r\n%s\n%s\r\n' "$(sed -n 1p want)" "$(sed -n 2p want)" "$(sed -n 3p want)" >want.csv
	cmp out want.csv || { cat -A out; cat -A want.csv; fail "action csv"; }
	ts=$("$FS" -C tunis show "$s" --json | jq -r .updated)
	run 0 "$FS" -C tunis export service --format hxl
	crlf >want <<-EOF
	id,city,date,category,person,population_group,sex,age_band,nationality,action,referred_to,created,updated
	#meta+id,#loc+code,#date,#sector+service,#beneficiary+code,#beneficiary+type,#beneficiary+sex,#beneficiary+age,#beneficiary+nationality,#activity+id,#org+referral,#date+created,#date+updated
	$s,tunis,2026-11-20,health,0123456789abcdef0123456789abcdef,refugee,female,25-59,,,,$ts,$ts
	EOF
	cmp out want || { cat -A out; fail "service hxl"; }
	# HXL tags start with # and every column has one
	[ "$(sed -n 2p out | tr ',' '\n' | grep -vc '^#')" = 0 ] || fail "a column without a hashtag"
}

# NDJSON: every record whole, one object per line, equal to what is stored.
export_ndjson() {
	node_with_records
	run 0 "$FS" -C tunis export --format ndjson
	[ "$(wc -l <out)" = 2 ] || fail "lines"
	while read -r line; do
		id=$(printf '%s' "$line" | jq -r .id)
		printf '%s' "$line" | jq -S . >a.json
		"$FS" -C tunis show "$id" --json | jq -S . >b.json
		cmp a.json b.json || fail "record $id differs"
		# compact and canonical: keys sorted, no whitespace between tokens
		[ "$line" = "$(printf '%s' "$line" | jq -cS .)" ] || fail "not compact and sorted: $id"
	done <out
	run 0 "$FS" -C tunis export service --format ndjson
	[ "$(wc -l <out)" = 1 ] && [ "$(jq -r .schema out)" = service/1 ] || fail "service only"
	# --since: by the time a record was last updated
	run 0 "$FS" -C tunis export --format ndjson --since 2099
	[ ! -s out ] || fail "records from the future"
	run 0 "$FS" -C tunis export --format ndjson --since 2000-01-01
	[ "$(wc -l <out)" = 2 ] || fail "--since 2000"
}

# On a hub: every city of the unified dataset, --city to pick one.
export_from_hub() {
	mkhub hub
	run 1 "$FS" -C hub export action
	has err "has no unified dataset yet"
	for c in tunis quito; do
		city "$c" 3
		action_json "Action $c" | "$FS" -C "$c" add action >/dev/null
		"$FS" -C "$c" remote add hub "file://$PWD/hub" >/dev/null
		"$FS" -C "$c" sync >/dev/null
	done
	"$FS" -C hub hub merge >/dev/null
	run 0 "$FS" -C hub export service
	[ "$(wc -l <out)" = 7 ] || fail "header and 6 services"
	[ "$(cut -d, -f2 out | sort | uniq -c | awk '{print $1 $2}' | tr '\n' ' ')" = "1city 3quito 3tunis " ] ||
		fail "cities: $(cut -d, -f2 out | sort | uniq -c)"
	# cities in name order, each city's records in creation order
	cut -d, -f1,2 out | tail -n +2 >order
	sort -t, -k2,2 -k1,1 order | cmp - order || fail "order"
	run 0 "$FS" -C hub export action --format ndjson --city quito
	[ "$(jq -r .title out)" = "Action quito" ] || fail "--city"
	run 1 "$FS" -C hub export action --city lima
	has err "--city 'lima': no such city in the unified dataset"
	# a city node exports only its own records, never what it fetched
	"$FS" -C tunis sync >/dev/null
	run 0 "$FS" -C tunis export action --format ndjson
	[ "$(jq -r .city out | sort -u)" = tunis ] || fail "a city exported another's"
	# list --all: other cities' actions, as the last sync fetched them
	run 0 "$FS" -C tunis list --all
	has out "quito       action  "
	has out "Action quito"
	has out "tunis       service "
	hasnt out "quito       service"
	run 0 "$FS" -C tunis list action --all --json
	[ "$(jq -r '[.[].city] | join(" ")' out)" = "tunis quito" ] || fail "$(cat out)"
	run 0 "$FS" -C tunis list action
	hasnt out "Action quito"
}

export_bad_input() {
	node_with_records
	snapshot tunis >before
	fails_clearly 2 "format 'xml': expected csv, ndjson or hxl" "$FS" -C tunis export action --format xml
	fails_clearly 2 "holds one kind of record" "$FS" -C tunis export
	fails_clearly 2 "holds one kind of record" "$FS" -C tunis export --format hxl
	fails_clearly 2 "--since '2026-1-1'" "$FS" -C tunis export action --since 2026-1-1
	fails_clearly 2 "--since '2026-11-25T10:00'" "$FS" -C tunis export action --since 2026-11-25T10:00
	fails_clearly 2 "--city 'Tunis'" "$FS" -C tunis export action --city Tunis
	fails_clearly 2 "pledge" "$FS" -C tunis export pledge
	fails_clearly 2 "at most one" "$FS" -C tunis export action service
	fails_clearly 3 "" "$FS" -C nowhere export action
	# a full disk: exit 5, said
	rc=0
	"$FS" -C tunis export action >/dev/full 2>err || rc=$?
	[ "$rc" = 5 ] || fail "exit $rc on a full disk"
	has err "error: cannot write the export"
	same_as tunis before
}

t "export: RFC 4180 CSV and HXL" export_csv_and_hxl
t "export: NDJSON, whole records; --since" export_ndjson
t "export: a hub's unified dataset, --city; list --all" export_from_hub
t "export: bad input is refused" export_bad_input
