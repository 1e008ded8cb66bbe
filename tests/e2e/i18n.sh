#!/bin/sh
# Messages in the clerk's language: every message a person reads is in the
# catalogues, the French and Spanish ones are complete, and the program speaks
# them under a French or Spanish locale while what machines read stays the same.
. "$(dirname "$0")/lib.sh"

LOCALES=$TMP/locales
BIN=$(dirname "$FS")

# in_lang LL CMD...: CMD under the real locale LL_CC.UTF-8 (made with localedef)
in_lang() {
	_l=$1
	shift
	case $_l in fr) _loc=fr_FR ;; es) _loc=es_ES ;; *) _loc=$_l ;; esac
	LOCPATH=$LOCALES LC_ALL=$_loc.UTF-8 "$@"
}

# tr_of LL MSGID: the catalogue's translation, read with gettext(1), not by us
tr_of() {
	TEXTDOMAINDIR=$BIN/locale LOCPATH=$LOCALES LC_ALL=C.UTF-8 LANGUAGE=$1 gettext -e -d fieldsync -- "$2"
}

# translated LL MSGID: as tr_of, and the translation is not the English
translated() {
	_t=$(tr_of "$1" "$2")
	[ "$_t" != "$(printf '%b' "$2")" ] || fail "$1: '$2' is not translated"
	printf '%s\n' "$_t"
}

mklocales() {
	mkdir -p "$LOCALES"
	for l in fr_FR es_ES; do
		localedef -i "$l" -f UTF-8 "$LOCALES/$l.UTF-8" 2>/dev/null ||
			[ -d "$LOCALES/$l.UTF-8" ] || fail "localedef $l"
	done
}

catalogues_are_complete_and_current() {
	"$SRC/scripts/mkpot" now.pot 2>/dev/null
	# the template in the tree is the one the sources make
	msgcmp --use-untranslated "$SRC/po/fieldsync.pot" now.pot ||
		fail "po/fieldsync.pot is out of date: make update-po"
	for l in fr es; do
		# every message of the sources, translated, none fuzzy
		msgcmp "$SRC/po/$l.po" now.pot 2>cmp || { head -40 cmp; fail "po/$l.po is incomplete"; }
		# the same printf directives as the English, the same leading and trailing newlines
		msgfmt --check -o /dev/null "$SRC/po/$l.po"
		msgfmt --statistics -o /dev/null "$SRC/po/$l.po" 2>stats
		hasnt stats "untranslated"
		hasnt stats "fuzzy"
	done
}

every_message_is_marked_for_translation() {
	(cd "$SRC" && scripts/i18n-lint cli/*.c sync/*.c node/*.c schema/*.c util/*.c) >lint ||
		{ cat lint; fail "messages not marked for translation"; }
}

help_and_errors_in_french_and_spanish() {
	mklocales
	run 0 "$FS" --help
	mv out help.C
	for l in fr es; do
		run 0 in_lang "$l" "$FS" --help
		w=$(translated "$l" "Show the commands, or the help of one.")
		has out "$w"
		! cmp -s out help.C || fail "$l: --help is in English"
		# a command is typed the same in every language: only "usage:" is translated
		has out "fieldsync [-C DIR] COMMAND [OPTIONS] [ARGS]"
		run 0 in_lang "$l" "$FS" sync --help
		w=$(translated "$l" "Push the city's history to its hub, in batches that survive a cut link.")
		has out "$w"
		has out "--batch-bytes"
		# a usage error, an unknown command, a missing node: not a word of the English
		run 2 "$FS" add nothing-such
		mv err usage.C
		run 2 in_lang "$l" "$FS" add nothing-such
		! cmp -s err usage.C || fail "$l: the usage error is in English"
		run 2 in_lang "$l" "$FS" frobnicate
		w=$(translated "$l" "error: unknown command '%s'\nsee 'fieldsync --help'\n")
		has err "$(printf '%s\n' "$w" | head -n 1 | sed 's/%s/frobnicate/')"
		hasnt err "unknown command"
		run 3 "$FS" -C nowhere list
		mv err node.C
		run 3 in_lang "$l" "$FS" -C nowhere list
		! cmp -s err node.C || fail "$l: 'no node here' is in English"
	done
	run 2 in_lang fr "$FS" add nothing-such
	has err "erreur : "
}

the_hubs_hooks_answer_in_english() {
	mklocales
	mkhub hub
	# a pushing node picks the hub's reasons out of its "error: " lines
	printf 'not a hook line\n' | GIT_DIR=hub run 1 in_lang fr "$FS" hub receive-check
	has err "error: hub: cannot read the hook's input line"
	hasnt err "$(tr_of fr "error: ")"
	# its help is still the reader's
	run 0 in_lang fr "$FS" hub receive-check --help
	w=$(translated fr "The pre-receive hook: check every pushed commit.")
	has out "$w"
}

bad_record_is_refused_in_the_clerks_language() {
	mklocales
	mknode n tunis
	printf '{"date":"2026-13-40","category":"health","person":"%032x","population_group":"refugee","sex":"female","age_band":"25-59"}\n' 7 >bad.json
	run 1 "$FS" -C n add service bad.json
	mv err err.C
	has err.C "expected"
	snapshot n >before
	for l in fr es; do
		run 1 in_lang "$l" "$FS" -C n add service bad.json
		same_as n before
		# the schema's words are translated, the place in the record is not
		has err "/date"
		has err "$(tr_of "$l" "error: ")"
		for word in expected found nothing "a string" "a value" "such as"; do
			hasnt err "$word"
		done
		# machines read the code, which does not change
		run 1 in_lang "$l" "$FS" -C n add service bad.json --json
		[ "$(jq -r .error.code out)" = invalid ] || fail "$l: json error code: $(cat out)"
	done
}

machine_output_is_the_same_in_every_language() {
	mklocales
	mknode n tunis
	service_json | "$FS" -C n add service >/dev/null
	action_json | "$FS" -C n add action >/dev/null
	for cmd in "list --json" "log --json" "export service" "export --format ndjson" \
		"export service --format hxl" "status --json" "verify -v --json" "key show --json" \
		"--version"; do
		# shellcheck disable=SC2086
		"$FS" -C n $cmd >C.out
		for l in fr es; do
			# shellcheck disable=SC2086
			in_lang "$l" "$FS" -C n $cmd >"$l.out"
			cmp -s C.out "$l.out" || { diff C.out "$l.out"; fail "$l: '$cmd' differs"; }
		done
	done
}

what_is_written_to_git_is_the_same_in_every_language() {
	mklocales
	export LOCPATH=$LOCALES LC_ALL=fr_FR.UTF-8
	mkhub hub
	city tunis 3
	action_json | "$FS" -C tunis add action >/dev/null
	"$FS" -C tunis remote add hub "file://$PWD/hub" >/dev/null
	"$FS" -C tunis sync >/dev/null
	"$FS" -C hub hub merge >/dev/null
	"$FS" -C tunis bundle create b.bundle --all >/dev/null
	export LC_ALL=C.UTF-8
	# every commit message, the registry, receipts and bundles in the one language of the data
	{
		git -C tunis/.git log --format=%B main
		git --git-dir=hub log --format=%B --all
		git --git-dir=hub show hub:hub/signers
		cat tunis/.fieldsync/receipts/*.receipt
		head -c 400 b.bundle | sed -n '1,/^$/p'
	} >written
	for w in "$(tr_of fr "record")" "$(tr_of fr "city")" ville erreur "é"; do
		hasnt written "$w"
	done
	has written "init city tunis"
	"$FS" audit hub >/dev/null
}

counts_take_the_languages_plural_forms() {
	mklocales
	mknode n tunis
	run 0 in_lang fr "$FS" -C n verify
	# French says "1 commit" in the singular and so does 0; English "0 commits"
	w=$(translated fr "verified %zu commit: all good\n")
	has out "$(printf '%s' "$w" | sed 's/%zu/1/')"
	service_json | "$FS" -C n add service >/dev/null
	for l in fr es; do
		run 0 in_lang "$l" "$FS" -C n verify
		one=$(translated "$l" "verified %zu commit: all good\n")
		many=$(TEXTDOMAINDIR=$BIN/locale LOCPATH=$LOCALES LC_ALL=C.UTF-8 LANGUAGE=$l \
			ngettext -e -d fieldsync "verified %zu commit: all good\n" "verified %zu commits: all good\n" 2)
		[ "$one" != "$many" ] || fail "$l: one plural form"
		has out "$(printf '%s' "$many" | sed 's/%zu/2/')"
	done
}

the_installed_program_finds_its_catalogues() {
	mklocales
	mkdir -p usr/bin usr/share/locale/fr/LC_MESSAGES
	cp "$FS" usr/bin/fieldsync
	cp "$BIN/locale/fr/LC_MESSAGES/fieldsync.mo" usr/share/locale/fr/LC_MESSAGES/
	run 0 in_lang fr usr/bin/fieldsync --help
	w=$(translated fr "Show the commands, or the help of one.")
	has out "$w"
	# a language with no catalogue, or no such locale: English, nothing worse
	run 0 in_lang es usr/bin/fieldsync --help
	has out "Show the commands, or the help of one."
	run 0 env LC_ALL=xx_YY.UTF-8 "$FS" --help
	has out "Show the commands, or the help of one."
}

html_report_in_french() {
	mklocales
	tunis_and_quito
	"$FS" -C hub hub merge >/dev/null
	run 0 in_lang fr "$FS" -C hub report --html site
	has site/index.html '<html lang="fr">'
	w=$(translated fr "Cities")
	has site/index.html "<h2>$w</h2>"
	w=$(translated fr "Actions per priority")
	has site/index.html "$w"
	# the vocabulary's own French labels (schema/vocab/priorities.json)
	label=$(jq -r '.labels["3"].fr' "$SRC/schema/vocab/priorities.json")
	[ -n "$label" ] && [ "$label" != null ] || fail "no French label for priority 3"
	has site/index.html "$label"
	# the numbers are the same as in English
	"$FS" -C hub report --html en >/dev/null
	grep -o 'data-label="[^"]*" data-value="[^"]*"' en/index.html >en.bars
	grep -o 'data-label="[^"]*" data-value="[^"]*"' site/index.html >fr.bars
	cmp -s en.bars fr.bars || fail "the charts differ"
}

t "the catalogues hold every message, translated" catalogues_are_complete_and_current
t "every message is marked for translation" every_message_is_marked_for_translation
t "help and errors in French and Spanish" help_and_errors_in_french_and_spanish
t "the hub's hooks answer in English, for the pushing node" the_hubs_hooks_answer_in_english
t "a bad record is refused in the clerk's language, nothing written" bad_record_is_refused_in_the_clerks_language
t "what machines read is the same in every language" machine_output_is_the_same_in_every_language
t "what is written to git under a French locale is the same as in English" what_is_written_to_git_is_the_same_in_every_language
t "counts take each language's plural forms" counts_take_the_languages_plural_forms
t "the installed program finds its catalogues" the_installed_program_finds_its_catalogues
t "the HTML report in French" html_report_in_french
