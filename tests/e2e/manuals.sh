#!/bin/sh
# Every command has a man page made from its --help (the same text), a page
# in docs/commands, and bash completion of its name and options.
. "$(dirname "$0")/lib.sh"

MAN=$BUILD/man

commands() {
	"$FS" help | sed -n 's/^  \([a-z][a-z-]*\)  .*/\1/p'
}

every_command_has_a_man_page_and_a_doc_page() {
	commands >cmds
	[ "$(wc -l <cmds)" -ge 20 ] || fail "too few commands: $(cat cmds)"
	groff -man -ww -z "$MAN/fieldsync.1" 2>warn && [ ! -s warn ] || { cat warn; fail "fieldsync.1"; }
	while read -r c; do
		page=$MAN/fieldsync-$c.1
		[ -f "$page" ] || fail "no man page for $c"
		groff -man -ww -z "$page" 2>warn && [ ! -s warn ] || { cat warn; fail "groff: $page"; }
		# the synopsis is the usage line of --help, word for word
		usage=$("$FS" "$c" --help | sed -n '1s/^usage: //p')
		MANWIDTH=1000 man -l "$page" 2>/dev/null | sed 's/^ *//' >rendered
		grep -qxF -- "$usage" rendered || { cat rendered; fail "$c: synopsis is not '$usage'"; }
		[ -f "$SRC/docs/commands/$c.md" ] || fail "no docs/commands/$c.md"
	done <cmds
}

complete_words() {
	bash -c '. "$1/dist/bash-completion/fieldsync"; PATH=$2:$PATH; shift 2
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _fieldsync; printf "%s\n" "${COMPREPLY[@]}"' \
		sh "$SRC" "$BUILD" "$@"
}

bash_completes_commands_and_options() {
	complete_words fieldsync sy >out
	has out sync
	hasnt out status
	complete_words fieldsync -C n sync --wa >out
	[ "$(cat out)" = "--watch" ] || fail "sync --wa: $(cat out)"
	complete_words fieldsync import service --f >out
	has out "--from"
	complete_words fieldsync hub enr >out
	[ "$(cat out)" = enroll ] || fail "hub enr: $(cat out)"
	mkdir -p dir1
	complete_words fieldsync -C di >out
	has out dir1
}

t "every command has a man page (its --help) and a docs page" every_command_has_a_man_page_and_a_doc_page
t "bash completes commands and options" bash_completes_commands_and_options
