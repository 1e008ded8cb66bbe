#!/bin/sh
# import service --from kobo|odk: form tools' CSV exports, as those tools
# write them, through a map; personal columns sealed or pseudonymised.
# Every name, phone and local id below is made up.
. "$(dirname "$0")/lib.sh"

export FIELDSYNC_KEYSTORE_PASSPHRASE="correct horse"

# KoboToolbox: a byte order mark, ';', every field quoted, groups as "group/",
# a note spanning two lines, empty cells, its own metadata columns
kobo_csv() {
	printf '\357\273\277"start";"group_visit/visit_date";"group_visit/service";"status";"sex";"age";"case_number";"full_name";"phone";"notes";"_id";"_uuid";"_submission_time"\r\n'
	printf '"2026-11-20T09:00:00.000+01:00";"2026-11-20";"sante";"refugee";"f";"25-59";"case-0001";"CANARY-NAME-1";"CANARY-PHONE-1";"first ""visit""\r\nCANARY-NOTE";"1";"u-1";"2026-11-20T10:00:00"\r\n'
	printf '"2026-11-21T09:00:00.000+01:00";"2026-11-21T11:30:00.000+01:00";"alimentation";"asylum-seeker";"m";"18-24";"case-0002";"CANARY-NAME-2";"";"";"2";"u-2";"2026-11-21T12:00:00"\r\n'
	printf '"2026-11-22T09:00:00.000+01:00";"2026-11-22";"sante";"refugee";"f";"25-59";"case-0001";"CANARY-NAME-1";"";"";"3";"u-3";"2026-11-22T10:00:00"\r\n'
}

# the map's values are the export's column names, not data
kobo_map() {
	cat <<'JSON'
{"columns": {"date": "visit_date", "category": "service", "population_group": "status",
             "sex": "sex", "age_band": "age"},
 "values": {"category": {"sante": "health", "alimentation": "food"},
            "sex": {"f": "female", "m": "male"}},
 "person": "case_number",
 "protected": {"name": "full_name", "phone": "phone", "notes": "notes"}}
JSON
}

from_kobo() {
	mknode n tunis
	"$FS" -C n keystore init >/dev/null
	kobo_csv >export.csv
	kobo_map >map.json
	run 0 "$FS" -C n import service --from kobo export.csv --map map.json --json
	[ "$(jq .imported out)" = 3 ] || fail "imported: $(cat out)"
	"$FS" -C n list service --json >list.json
	[ "$(jq length list.json)" = 3 ] || fail "not 3 services"
	p1=$("$FS" -C n person id case-0001)
	[ "$(jq --arg p "$p1" '[.[] | select(.person == $p)] | length' list.json)" = 2 ] ||
		fail "case-0001's two visits do not share a pseudonym"
	id=$(jq -r --arg p "$p1" '[.[] | select(.person == $p)][0].id' list.json)
	run 0 "$FS" -C n show "$id"
	jq -e '.category == "health" and .sex == "female" and .date == "2026-11-20" and
		.protected.name == "CANARY-NAME-1" and
		.protected.notes == "first \"visit\"\r\nCANARY-NOTE"' out >/dev/null ||
		{ cat out; fail "the first row"; }
	# a date-time cell gives its date; empty cells give nothing
	id2=$(jq -r '.[] | select(.category == "food") | .id' list.json)
	run 0 "$FS" -C n show "$id2"
	jq -e '.date == "2026-11-21" and .protected == {"name": "CANARY-NAME-2"}' out >/dev/null ||
		{ cat out; fail "the second row"; }
	# nothing personal in plain text anywhere in git, nor a column the map does not name
	git --git-dir=n/.git cat-file --batch-all-objects --batch >objects
	for t in CANARY case-000 u-1 _submission_time; do
		! grep -qaF "$t" objects || fail "'$t' reached git"
	done
	# the same file again adds nothing
	run 0 "$FS" -C n import service --from kobo export.csv --map map.json --json
	[ "$(jq .imported out)" = 0 ] || fail "imported twice: $(cat out)"
	[ "$("$FS" -C n list service | wc -l)" = 3 ] || fail "records twice"
	[ -z "$(ls n/.fieldsync | grep import)" ] || fail "a spool file was left"
}

# ODK Central: ',', no quotes unless needed, CRLF, groups as "group-"
odk_csv() {
	printf 'SubmissionDate,visit-date,visit-category,person-status,person-sex,person-age,person-case,person-name,meta-instanceID,KEY\r\n'
	printf '2026-11-21T08:00:00.000Z,2026-11-21,health,migrant,male,18-24,case-0003,"CANARY, NAME-3",uuid:a,uuid:a\r\n'
	printf '2026-11-22T08:00:00.000Z,2026-11-22,shelter,idp,female,60+,case-0004,,uuid:b,uuid:b\r\n'
}

from_odk() {
	mknode n tunis
	"$FS" -C n keystore init >/dev/null
	odk_csv >odk.csv
	echo '{"columns": {"date": "date", "category": "category", "population_group": "status",
	  "sex": "sex", "age_band": "age"}, "person": "case", "protected": {"name": "name"}}' >map.json
	run 0 "$FS" -C n import service --from odk odk.csv --map map.json
	has out "imported 2 service records"
	p=$("$FS" -C n person id case-0003)
	id=$("$FS" -C n list service --json | jq -r --arg p "$p" '.[] | select(.person == $p) | .id')
	run 0 "$FS" -C n show "$id"
	jq -e '.protected.name == "CANARY, NAME-3" and .population_group == "migrant"' out >/dev/null ||
		{ cat out; fail "odk row"; }
}

bad_forms_change_nothing() {
	mknode n tunis
	"$FS" -C n keystore init >/dev/null
	kobo_csv >export.csv
	snapshot n >before
	# a personal column into a plain field: refused before anything is read
	kobo_map | jq '.columns.nationality = "full_name"' >leak.json
	fails_clearly 1 "is personal" "$FS" -C n import service --from kobo export.csv --map leak.json
	kobo_map | jq 'del(.person)' >noperson.json
	fails_clearly 1 "/person" "$FS" -C n import service --from kobo export.csv --map noperson.json
	kobo_map | jq '.columns.schema = "x"' >field.json
	fails_clearly 1 "not a field a map can fill" "$FS" -C n import service --from kobo export.csv --map field.json
	kobo_map | jq '.columns.date = "when"' >nocol.json
	fails_clearly 1 "column 'when' is not in the header" "$FS" -C n import service --from kobo export.csv --map nocol.json
	kobo_map | jq '.extra = 1' >extra.json
	fails_clearly 1 "/extra: unknown" "$FS" -C n import service --from kobo export.csv --map extra.json
	echo '{' >broken.json
	fails_clearly 1 "broken.json" "$FS" -C n import service --from kobo export.csv --map broken.json
	kobo_map >map.json
	# a row that fails its schema, after a record spanning two lines: named by its line
	{ kobo_csv; printf '"x";"2026-11-23";"xyz";"refugee";"f";"25-59";"case-9";"";"";"";"4";"u-4";"x"\r\n'; } >bad.csv
	fails_clearly 1 "line 6" "$FS" -C n import service --from kobo bad.csv --map map.json
	has err "nothing was imported"
	hasnt err CANARY
	printf '"a";"b"\r\n"1";"2";"3"\r\n' >ragged.csv
	fails_clearly 1 "line 2: 3 fields, the header has 2" "$FS" -C n import service --from kobo ragged.csv --map map.json
	printf '"a";"b\r\n' >open.csv
	fails_clearly 1 "never closes" "$FS" -C n import service --from kobo open.csv --map map.json
	fails_clearly 2 "go together" "$FS" -C n import service --from kobo export.csv
	fails_clearly 2 "expected kobo or odk" "$FS" -C n import service --from excel export.csv --map map.json
	fails_clearly 2 "service records only" "$FS" -C n import action --from kobo export.csv --map map.json
	FIELDSYNC_KEYSTORE_PASSPHRASE=wrong fails_clearly 3 "wrong passphrase" "$FS" -C n import service --from kobo export.csv --map map.json
	same_as n before
	# no keystore, no pseudonyms: refused
	mknode bare tunis
	fails_clearly 1 "keystore" "$FS" -C bare import service --from kobo export.csv --map map.json
}

t "import --from kobo: a KoboToolbox export, sealed and pseudonymised, once" from_kobo
t "import --from odk: an ODK Central export" from_odk
t "bad maps and bad exports change nothing" bad_forms_change_nothing
