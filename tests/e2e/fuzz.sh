#!/bin/sh
# The fuzz targets replay their corpora (seeds and every input that once
# broke one) as ordinary tests: a crash, a sanitizer report or a broken
# property fails. `make fuzz` searches for new inputs (tests/fuzz/).
. "$(dirname "$0")/lib.sh"

BIN=$BUILD/tests/fuzz
CORPUS=$SRC/tests/fuzz/corpus

replay() {
	[ -x "$BIN/fuzz_$1" ] || fail "no target fuzz_$1 in $BIN"
	# a hang is a failure too (one once took hours on a line of stars)
	run 0 timeout 300 "$BIN/fuzz_$1" "$CORPUS/$1"
	n=$(ls "$CORPUS/$1" | wc -l)
	has out "$n inputs"
}

# a corpus that went missing must not pass as an empty replay
a_missing_corpus_fails() {
	run 1 "$BIN/fuzz_json" missing
	mkdir empty
	run 1 "$BIN/fuzz_json" empty
}

for target in $(ls "$CORPUS"); do
	t "fuzz corpus: $target" replay "$target"
done
t "fuzz replay: a missing or empty corpus fails" a_missing_corpus_fails
