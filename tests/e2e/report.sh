#!/bin/sh
# fieldsync report --html: a self-contained page, rendered by headless
# Chromium, whose charts show the numbers of the unified dataset.
. "$(dirname "$0")/lib.sh"

# chromium ARGS...: Debian's chromium, headless, as root too
chromium_run() {
	timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run \
		--user-data-dir="$PWD/chrome" "$@" 2>>chrome.err
}

two_cities_merged() {
	tunis_and_quito
	"$FS" -C hub hub merge >/dev/null
}

# bars CHART: "label=value" per bar of that chart in the rendered page
bars() {
	awk -v chart="data-chart=\"$1\"" '
		index($0, "data-chart=") { on = index($0, chart) > 0 }
		on && match($0, /data-label="[^"]*" data-value="[^"]*"/) {
			s = substr($0, RSTART, RLENGTH); gsub(/data-label="|" data-value="|"$/, " ", s)
			split(s, f, " "); printf("%s=%s ", f[1], f[2])
		}' dom.html
}

report_renders() {
	two_cities_merged
	run 0 "$FS" -C hub report --html site
	has out "site/index.html"
	page=site/index.html
	# self-contained: nothing to fetch, nothing to run
	hasnt "$page" "<script"
	hasnt "$page" "<link"
	hasnt "$page" "<img"
	hasnt "$page" "@import"
	hasnt "$page" "url("
	[ "$(grep -o 'https\?://[^"]*' "$page" | sort -u)" = "http://www.w3.org/2000/svg" ] ||
		fail "a link out: $(grep -o 'https\?://[^"]*' "$page" | sort -u)"
	chromium_run --dump-dom "file://$PWD/$page" >dom.html || { cat chrome.err; fail "chromium"; }
	[ "$(grep -c '<svg class="chart"' dom.html)" = 4 ] || fail "four charts"
	# an action counts under each of its priorities; per country, once
	[ "$(bars actions-per-priority)" = "3=2 4=1 " ] || fail "priority: $(bars actions-per-priority)"
	[ "$(bars actions-per-country)" = "EC=1 TN=1 " ] || fail "country: $(bars actions-per-country)"
	# services: only the cells of 5 or more (tunis's 7); the 2 food and quito's 3 left out
	[ "$(bars services-per-month)" = "2026-11=7 " ] || fail "month: $(bars services-per-month)"
	[ "$(bars services-per-category)" = "health=7 " ] || fail "category: $(bars services-per-category)"
	has dom.html "2 smaller cells"
	hasnt dom.html ">3<"
	# the cities, each with when it last synced (the hub's reflog)
	tr -d '\n' <dom.html | grep -o '<tr><td>[a-z]*</td><td>[^<]*</td><td>[A-Z]*</td><td class="n">[0-9]*</td><td>[^<]*</td>' >rows
	[ "$(wc -l <rows)" = 2 ] || { cat rows; fail "city rows"; }
	grep -q '<td>quito</td><td>quito</td><td>TN</td><td class="n">0</td><td>20[0-9-]* [0-9:]* UTC</td>' rows ||
		fail "quito: $(cat rows)"
	grep -q '<td>tunis</td>.*<td class="n">7</td>' rows || fail "tunis: $(cat rows)"
	# and it draws: a screenshot of the page
	chromium_run --window-size=800,1400 --screenshot="$PWD/shot.png" "file://$PWD/$page" >/dev/null ||
		{ cat chrome.err; fail "screenshot"; }
	[ "$(stat -c %s shot.png)" -gt 20000 ] || fail "an empty screenshot"
	# again after a change: the page follows the new unified commit
	action_json "Encore" 5 | "$FS" -C quito add action >/dev/null
	"$FS" -C quito sync >/dev/null
	"$FS" -C hub hub merge >/dev/null
	run 0 "$FS" -C hub report --html site
	chromium_run --dump-dom "file://$PWD/$page" >dom.html
	[ "$(bars actions-per-priority)" = "3=2 4=1 5=1 " ] || fail "after: $(bars actions-per-priority)"
	has dom.html "$(git --git-dir=hub rev-parse unified)"
}

report_bad_input() {
	mkhub hub
	before=$(hub_refs hub)
	fails_clearly 1 "has no unified dataset yet" "$FS" -C hub report --html site
	[ ! -e site ] || fail "a page without a dataset"
	fails_clearly 2 "--html DIR is required" "$FS" -C hub report
	fails_clearly 2 "takes no arguments" "$FS" -C hub report x --html site
	mknode tunis tunis
	fails_clearly 1 "has no public dataset yet" "$FS" -C tunis report --html site
	fails_clearly 3 "" "$FS" -C nowhere report --html site
	city quito 2
	"$FS" -C quito remote add hub "file://$PWD/hub" >/dev/null
	"$FS" -C quito sync >/dev/null
	"$FS" -C hub hub merge >/dev/null
	before=$(hub_refs hub)
	: >afile
	fails_clearly 5 "afile" "$FS" -C hub report --html afile/site
	[ "$(hub_refs hub)" = "$before" ] || fail "the hub changed"
}

t "report --html: self-contained, rendered by chromium, the right numbers" report_renders
# A city node draws the public dataset it fetched: the same numbers, as
# the hub published them.
report_on_a_city() {
	two_cities_merged
	"$FS" -C quito sync >/dev/null
	run 0 "$FS" -C quito report --html site
	chromium_run --dump-dom "file://$PWD/site/index.html" >dom.html || { cat chrome.err; fail "chromium"; }
	has dom.html "From the public dataset of remote 'hub'"
	[ "$(bars actions-per-priority)" = "3=2 4=1 " ] || fail "priority: $(bars actions-per-priority)"
	[ "$(bars services-per-month)" = "2026-11=7 " ] || fail "month: $(bars services-per-month)"
	[ "$(bars services-per-category)" = "health=7 " ] || fail "category: $(bars services-per-category)"
	has dom.html "2 smaller cells"
	has dom.html "<td>tunis</td><td>tunis</td><td>TN</td><td class=\"n\">7</td>"
}

t "report: on a city node, from public" report_on_a_city
t "report: bad input is refused" report_bad_input
