# fieldsync - see README.md
#
#   make            build ./fieldsync and libfieldsync.a (in build/)
#   make check      the whole test suite, then again under ASan+UBSan, then
#                   end-to-end tests under valgrind
#   make demo       three city nodes with real actions, in a temporary folder
#   make bench      benchmarks against stock git (not a test; prints ratios)
#   make bench-merge the hub: merge, export (100 cities x 10,000 records)
#   make bench-audit the auditor: 100,000 signed commits, against stock git
#   make fuzz       libFuzzer (clang) on every target, FUZZ_TIME seconds each
#   make install    PREFIX=/usr/local DESTDIR=
#   make update-po  after changing messages: po/fieldsync.pot and po/*.po
#
# `make check` and `make demo` install the Debian packages they need first
# (scripts/install-deps) when pkg-config cannot find a library.

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
LIBDIR ?= $(PREFIX)/lib
DOCDIR ?= $(PREFIX)/share/doc/fieldsync
UNITDIR ?= $(PREFIX)/lib/systemd/system
MANDIR ?= $(PREFIX)/share/man
COMPLETIONDIR ?= $(PREFIX)/share/bash-completion/completions
LOCALEDIR ?= $(PREFIX)/share/locale
CC ?= cc
PKGS := libgit2 libcjson libsodium zlib

# B is the build folder; SAN=1 builds with AddressSanitizer and UBSan;
# FUZZ=1 (with CC=clang) instruments for libFuzzer as well.
B ?= build
SAN ?=
FUZZ ?=
FUZZ_TIME ?= 60

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

CFLAGS ?= -O2 -g
WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wformat=2 -Wno-format-nonliteral -Wno-missing-field-initializers
ifeq ($(SAN),1)
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
endif
ifeq ($(FUZZ),1)
SANFLAGS := -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
endif
ALL_CFLAGS := -std=c11 -D_DEFAULT_SOURCE $(WARN) -I. -I$(B) $(PKG_CFLAGS) $(CFLAGS) $(SANFLAGS) \
	-DFS_LOCALEDIR='"$(LOCALEDIR)"'
ALL_LDFLAGS := $(SANFLAGS) $(LDFLAGS)
LIBS := $(PKG_LIBS) -lm

LIB_SRC := $(wildcard util/*.c schema/*.c node/*.c sync/*.c)
CLI_SRC := $(wildcard cli/*.c)
UNIT_SRC := $(wildcard tests/unit/*.c)
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
SCHEMA_FILES := $(sort $(wildcard schema/*.json schema/vocab/*.json))

LIB_OBJ := $(LIB_SRC:%.c=$(B)/%.o) $(B)/gen/schema_data.o $(B)/gen/serve_data.o
CLI_OBJ := $(CLI_SRC:%.c=$(B)/%.o)
UNIT_OBJ := $(UNIT_SRC:%.c=$(B)/%.o)
FUZZ_BIN := $(FUZZ_SRC:%.c=$(B)/%)
# the catalogues sit beside the program: $(B)/locale, PREFIX/share/locale (util/i18n.h)
LANGS := $(sort $(basename $(notdir $(wildcard po/*.po))))
MO := $(LANGS:%=$(B)/locale/%/LC_MESSAGES/fieldsync.mo)

.PHONY: all check test demo bench bench-merge bench-audit install uninstall clean deps fuzz oom update-po

all: $(B)/fieldsync $(B)/libfieldsync.a fieldsync $(MO)

# ./fieldsync at the top, for the README's commands
fieldsync: $(B)/fieldsync
	@if [ "$(B)" = build ]; then ln -sf $(B)/fieldsync fieldsync; fi

$(B)/libfieldsync.a: $(LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(B)/fieldsync: $(CLI_OBJ) $(B)/libfieldsync.a
	$(CC) $(ALL_LDFLAGS) -o $@ $(CLI_OBJ) $(B)/libfieldsync.a $(LIBS)

# the --json builder (cli/json.c) is tested in-process, with failed allocations
$(B)/tests/unit/unit: $(UNIT_OBJ) $(B)/cli/json.o $(B)/libfieldsync.a
	$(CC) $(ALL_LDFLAGS) -o $@ $(UNIT_OBJ) $(B)/cli/json.o $(B)/libfieldsync.a $(LIBS)

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(B)/locale/%/LC_MESSAGES/fieldsync.mo: po/%.po
	@mkdir -p $(dir $@)
	msgfmt --check -o $@ $<

# After a message changed: the template again, and each catalogue merged with
# it (new messages untranslated: tests/e2e/i18n.sh fails until they are done).
update-po:
	scripts/mkpot po/fieldsync.pot
	for l in $(LANGS); do \
		msgmerge --quiet --update --backup=none --no-fuzzy-matching \
			po/$$l.po po/fieldsync.pot && \
		msgattrib --no-obsolete -o po/$$l.po po/$$l.po || exit 1; \
	done

# the build tool runs on the build machine: never sanitized
$(B)/tools/embed: tools/embed.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -O2 -Wall -Wextra -Werror -o $@ $<

$(B)/gen/schema_data.c: $(B)/tools/embed $(SCHEMA_FILES)
	@mkdir -p $(dir $@)
	$(B)/tools/embed $@ fs_schema_files schema $(SCHEMA_FILES)

$(B)/gen/serve_data.c: $(B)/tools/embed serve/lighttpd.conf
	@mkdir -p $(dir $@)
	$(B)/tools/embed $@ fs_serve_files serve serve/lighttpd.conf

$(B)/gen/serve_data.o: $(B)/gen/serve_data.c
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(B)/gen/schema_data.o: $(B)/gen/schema_data.c
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

tests: $(B)/fieldsync $(B)/tests/unit/unit $(B)/tests/forge $(B)/tests/linkproxy $(FUZZ_BIN) \
	$(B)/man/fieldsync.1 $(MO)

# man pages from each command's --help (scripts/mkman): the same text
$(B)/man/fieldsync.1: $(B)/fieldsync scripts/mkman
	@rm -rf $(B)/man
	scripts/mkman $(B)/fieldsync $(B)/man

# Fuzz targets: with tests/fuzz/driver.c they replay their corpus as a test;
# with FUZZ=1, libFuzzer's own main searches for new inputs.
.SECONDARY: $(FUZZ_SRC:%.c=$(B)/%.o) $(B)/tests/fuzz/driver.o
ifeq ($(FUZZ),1)
$(B)/tests/fuzz/fuzz_%: $(B)/tests/fuzz/fuzz_%.o $(B)/libfieldsync.a
	$(CC) $(ALL_LDFLAGS) -fsanitize=fuzzer -o $@ $< $(B)/libfieldsync.a $(LIBS)
else
$(B)/tests/fuzz/fuzz_%: $(B)/tests/fuzz/fuzz_%.o $(B)/tests/fuzz/driver.o $(B)/libfieldsync.a
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(B)/tests/fuzz/driver.o $(B)/libfieldsync.a $(LIBS)
endif

# a slow, far, unreliable, noisy link between a node and its hub
$(B)/tests/linkproxy: tests/linkproxy.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $<

# the ceiling of an audit on this machine: signatures one core verifies
$(B)/bench/sigrate: bench/sigrate.c $(B)/libfieldsync.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(B)/libfieldsync.a $(LIBS)

# signs commits an honest node never makes, for the hub's refusal tests
$(B)/tests/forge: tests/forge.c $(B)/libfieldsync.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(B)/libfieldsync.a $(LIBS)

deps:
	@scripts/install-deps --if-missing

# New inputs land in build/fuzz/corpus/<target>; an input worth keeping (one
# that broke a target, once fixed) is copied to tests/fuzz/corpus/<target>.
fuzz: deps
	@command -v clang >/dev/null || { apt-get update -q && apt-get install -y -q clang; }
	@$(MAKE) --no-print-directory B=build/fuzz CC=clang FUZZ=1 $(FUZZ_SRC:%.c=build/fuzz/%)
	@for t in $(FUZZ_SRC:tests/fuzz/%.c=%); do \
		mkdir -p build/fuzz/corpus/$$t; \
		echo "fuzz: $$t for $(FUZZ_TIME) s"; \
		build/fuzz/tests/fuzz/$$t -max_total_time=$(FUZZ_TIME) -max_len=65536 \
			-artifact_prefix=build/fuzz/$$t- build/fuzz/corpus/$$t \
			tests/fuzz/corpus/$${t#fuzz_} || exit 1; \
	done

# The README's test command. The sanitizer pass rebuilds into build/asan;
# the valgrind pass runs end-to-end tests of the plain build (tests/valgrind).
check: deps
	@$(MAKE) --no-print-directory -j$$(nproc) B=build tests
	@$(MAKE) --no-print-directory -j$$(nproc) B=build/asan SAN=1 tests
	@tests/check build build/asan valgrind:build

# Out of memory at every allocation N of every command oom.sh runs, not a
# sample (about half an hour on one core); lists every bad N, then fails.
oom: deps
	@$(MAKE) --no-print-directory -j$$(nproc) B=build tests
	@OOM_RUNS=0 OOM_KEEP_GOING=1 FIELDSYNC_FILTER=oom tests/check build

# One pass only, without the sanitizers: for the edit-compile-test loop.
test: all tests
	@tests/run build

demo: deps
	@$(MAKE) --no-print-directory B=build all
	@examples/demo.sh build/fieldsync

bench: deps
	@$(MAKE) --no-print-directory B=build all tests
	@bench/run build/fieldsync
	@bench/sync build/fieldsync

# The hub benchmark: 100 cities x 10,000 records (about 10 minutes, 2.5 GB).
bench-merge: deps
	@$(MAKE) --no-print-directory B=build all
	@bench/merge build/fieldsync

# The auditor's benchmark: a hub of 100,000 signed commits (about 15 minutes).
bench-audit: deps
	@$(MAKE) --no-print-directory B=build all build/bench/sigrate
	@bench/audit build/fieldsync

install: all $(B)/man/fieldsync.1
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(DOCDIR)/commands \
		$(DESTDIR)$(UNITDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(COMPLETIONDIR)
	for l in $(LANGS); do \
		install -d $(DESTDIR)$(LOCALEDIR)/$$l/LC_MESSAGES && \
		install -m 0644 $(B)/locale/$$l/LC_MESSAGES/fieldsync.mo \
			$(DESTDIR)$(LOCALEDIR)/$$l/LC_MESSAGES/fieldsync.mo || exit 1; \
	done
	install -m 0644 $(B)/man/*.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 dist/bash-completion/fieldsync $(DESTDIR)$(COMPLETIONDIR)/fieldsync
	install -m 0755 $(B)/fieldsync $(DESTDIR)$(BINDIR)/fieldsync
	install -m 0644 $(B)/libfieldsync.a $(DESTDIR)$(LIBDIR)/libfieldsync.a
	install -m 0644 README.md docs/*.md $(DESTDIR)$(DOCDIR)/
	install -m 0644 docs/commands/*.md $(DESTDIR)$(DOCDIR)/commands/
	for u in dist/systemd/*.service; do \
		sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@DOCDIR@|$(DOCDIR)|g' "$$u" \
			>$(DESTDIR)$(UNITDIR)/$$(basename "$$u") && \
		chmod 0644 $(DESTDIR)$(UNITDIR)/$$(basename "$$u") || exit 1; \
	done

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/fieldsync $(DESTDIR)$(LIBDIR)/libfieldsync.a
	rm -f $(DESTDIR)$(UNITDIR)/fieldsync-sync@.service $(DESTDIR)$(UNITDIR)/fieldsync-hub@.service
	rm -f $(DESTDIR)$(MANDIR)/man1/fieldsync.1 $(DESTDIR)$(MANDIR)/man1/fieldsync-*.1
	rm -f $(DESTDIR)$(COMPLETIONDIR)/fieldsync
	for l in $(LANGS); do rm -f $(DESTDIR)$(LOCALEDIR)/$$l/LC_MESSAGES/fieldsync.mo; done
	rm -rf $(DESTDIR)$(DOCDIR)

clean:
	rm -rf build fieldsync

-include $(shell find $(B) -name '*.d' 2>/dev/null)
