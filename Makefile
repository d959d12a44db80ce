# Audio ingest tools.  `make` builds every tool into bin/, `make check` runs
# every test, `make bench` prints the benchmark tables, `make deps`
# installs the Debian 12 packages the build and tests need.

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
DESTDIR ?=

CC ?= cc
CFLAGS ?= -O2 -g
# The project's own flags go in CPPFLAGS_INGEST, so `make CFLAGS=...` on the
# command line (a sanitizer build) keeps the include path and the standard.
VERSION := $(shell git describe --always --dirty 2>/dev/null || echo unknown)
CPPFLAGS_INGEST = -std=c11 -D_GNU_SOURCE -Wall -Wextra -Ilib
override CFLAGS += $(CPPFLAGS_INGEST)
LDFLAGS ?=

# Tools: every directory under tools/ builds bin/<dir> from its *.c files.
TOOLS := $(notdir $(wildcard tools/*))
# Scripts committed in bin/ (installed as they are).
SCRIPTS := $(filter-out $(addprefix bin/,$(TOOLS)),$(wildcard bin/*))

# Libraries each tool links, besides lib/libingest.a.
LIBS_exotel-decode = -ljq
LIBS_resample = -lsamplerate -lspeexdsp -lm
LIBS_redis-pub = -lhiredis -ljq
LIBS_ws-accept = $(shell pkg-config --libs libwebsockets 2>/dev/null || echo -lwebsockets) -lssl -lcrypto -ljq -lev
LIBS_exotel-replay = $(shell pkg-config --libs libwebsockets 2>/dev/null || echo -lwebsockets) -lssl -lcrypto -ljq
LIBS_ingest-check = -lhiredis
LIBS_redis-rec = -lhiredis -ljq
LIBS_play-read = -lhiredis
LIBS_exotel-encode = -ljq
# Sources a tool shares with another tool's directory (SRC_<tool> = files;
# their directories are on the include path).  Code that two tools need
# belongs in lib/ instead; none is listed now.
# exotel-decode's fuzz target (fuzz/exotel-decode.c; `make fuzz`): what it
# links besides lib/*.c.
FUZZ_SRC_exotel-decode = $(filter-out tools/exotel-decode/exotel-decode.c,$(wildcard tools/exotel-decode/*.c))
FUZZ_LIBS_exotel-decode = -ljq -lm

LIB_SRC := $(wildcard lib/*.c)
LIB_OBJ := $(LIB_SRC:.c=.o)
LIB := lib/libingest.a

# Test helpers: tests/helpers/<name>.c builds tests/bin/<name>.
HELPER_SRC := $(wildcard tests/helpers/*.c)
HELPERS := $(patsubst tests/helpers/%.c,tests/bin/%,$(HELPER_SRC))
LIBS_HELPERS = -lhiredis -lm -lcrypto
# Libraries one helper needs besides those (LIBS_helper_<name>).
LIBS_helper_ws-sink = $(LIBS_exotel-replay)

MANPAGES := $(wildcard man/*.[1-8])

all: $(addprefix bin/,$(TOOLS))

# Made afresh: "ar r" keeps members whose source is gone (a renamed file).
$(LIB): $(LIB_OBJ)
	rm -f $@
	$(AR) rcs $@ $(LIB_OBJ)

lib/%.o: lib/%.c $(wildcard lib/*.h)
	$(CC) $(CFLAGS) -c -o $@ $<

# The version string changes with every commit: only setting.o sees it.
lib/setting.o: lib/setting.c $(wildcard lib/*.h) .version
	$(CC) $(CFLAGS) -DINGEST_VERSION='"$(VERSION)"' -c -o $@ $<

.version: FORCE
	@[ "$$(cat .version 2>/dev/null)" = "$(VERSION)" ] || echo "$(VERSION)" > .version

FORCE:

.SECONDEXPANSION:
bin/%: $$(wildcard tools/%/*.c) $$(wildcard tools/%/*.h) $$(SRC_$$*) $(LIB) $(wildcard lib/*.h)
	@mkdir -p bin
	$(CC) $(CFLAGS) -Itools/$* $(addprefix -I,$(sort $(dir $(SRC_$*)))) $(LDFLAGS) -o $@ $(wildcard tools/$*/*.c) $(SRC_$*) $(LIB) $(LIBS_$*)

# ingest-env knows the service's settings: the keys of .env.example, the
# one list (tests/settings.sh checks the tools and man pages against it).
tools/ingest-env/known.h: .env.example
	sed -n 's/^#\{0,1\}\([A-Z_][A-Z0-9_]*\)=.*/"\1",/p' .env.example | sort -u >$@
bin/ingest-env: tools/ingest-env/known.h

tests/bin/%: tests/helpers/%.c $(LIB) $(wildcard tests/helpers/*.h)
	@mkdir -p tests/bin
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(LIBS_HELPERS) $(LIBS_helper_$*)

# auth-unit links ws-accept's authentication files (everything but main).
AUTH_SRC = tools/ws-accept/auth.c tools/ws-accept/basic.c \
	tools/ws-accept/cidr.c tools/ws-accept/jwt.c tools/ws-accept/protocol.c
tests/bin/auth-unit: tests/helpers/auth-unit.c tests/helpers/jwt-sign.h \
    $(AUTH_SRC) $(wildcard tools/ws-accept/*.h) $(LIB)
	@mkdir -p tests/bin
	$(CC) $(CFLAGS) -Itools/ws-accept $(LDFLAGS) -o $@ $< $(AUTH_SRC) \
	    $(LIB) -ljq -lssl -lcrypto -lm

helpers: $(HELPERS)

# Fuzz targets (libFuzzer, Debian's clang): fuzz/<name>.c builds
# fuzz/bin/<name> with ASan and UBSan; fuzz/corpus/<name>/ holds its seeds.
# FUZZ_SRC_<name> lists the project files it links besides lib/*.c (their
# directories are on the include path), FUZZ_LIBS_<name> its libraries.
# One more target is one file, one corpus directory and those two lines.
# `make fuzz` runs each for FUZZ_SECONDS; new inputs go to fuzz/work/<name>.
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_SAN = address,undefined
FUZZ_CFLAGS = -g -O1 -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_NAMES := $(patsubst fuzz/%.c,%,$(wildcard fuzz/*.c))
FUZZ_SRC_cidr = tools/ws-accept/cidr.c
FUZZ_SRC_httphead = tools/ws-accept/httphead.c
FUZZ_SRC_jwt = tools/ws-accept/jwt.c
FUZZ_LIBS_jwt = -ljq -lcrypto -lm
FUZZ_SRC_basic = tools/ws-accept/basic.c tools/ws-accept/cidr.c
FUZZ_LIBS_basic = -lcrypto
FUZZ_SRC_intake = tools/ws-accept/intake.c
FUZZ_LIBS_intake = -lm

FUZZ_LIB = fuzz/obj/libingest.a

# lib/ again, instrumented (an archive, so a target links what it uses).
fuzz/obj/%.o: lib/%.c $(wildcard lib/*.h)
	@mkdir -p fuzz/obj
	$(FUZZ_CC) -fsanitize=fuzzer-no-link,$(FUZZ_SAN) $(FUZZ_CFLAGS) \
	    $(CPPFLAGS_INGEST) -c -o $@ $<

$(FUZZ_LIB): $(patsubst lib/%.c,fuzz/obj/%.o,$(LIB_SRC))
	rm -f $@
	$(AR) rcs $@ $^

fuzz/bin/%: fuzz/%.c $$(FUZZ_SRC_$$*) $(FUZZ_LIB) $(wildcard lib/*.h)
	@mkdir -p fuzz/bin
	$(FUZZ_CC) -fsanitize=fuzzer,$(FUZZ_SAN) $(FUZZ_CFLAGS) $(CPPFLAGS_INGEST) \
	    $(addprefix -I,$(sort $(dir $(FUZZ_SRC_$*)))) -o $@ $< \
	    $(FUZZ_SRC_$*) $(FUZZ_LIB) $(FUZZ_LIBS_$*)

fuzz-build: $(addprefix fuzz/bin/,$(FUZZ_NAMES))

fuzz: fuzz-build
	@for n in $(FUZZ_NAMES); do \
		mkdir -p fuzz/work/$$n; \
		echo "fuzz: $$n for $(FUZZ_SECONDS) s"; \
		fuzz/bin/$$n -max_total_time=$(FUZZ_SECONDS) -timeout=10 \
		    -artifact_prefix=fuzz/work/$$n- \
		    -print_final_stats=1 fuzz/work/$$n fuzz/corpus/$$n \
		    2>fuzz/work/$$n.log || { tail -40 fuzz/work/$$n.log; exit 1; }; \
		grep -E '^stat::number_of_executed_units' fuzz/work/$$n.log; \
	done

check: all helpers lint
	@tests/run

# The whole suite on a build with AddressSanitizer and UBSan (clean first:
# every object is rebuilt with the sanitizers, and again by the next make).
# Valgrind cannot run such binaries: tests/sanitize/valgrind stands in.
SANITIZE_FLAGS = -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=undefined
check-sanitize: clean
	$(MAKE) CFLAGS="$(SANITIZE_FLAGS)" LDFLAGS="-fsanitize=address,undefined" all helpers
	PATH="$$PWD/tests/sanitize:$$PATH" \
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=99 \
	LSAN_OPTIONS=suppressions=$$PWD/tests/sanitize/lsan.supp \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=99 tests/run
	$(MAKE) clean

lint:
	@for m in $(MANPAGES); do mandoc -Tlint -W warning $$m || exit 1; done
	@echo "man pages: $(words $(MANPAGES)) linted"

bench: all helpers
	@bench/run

# Installs the Debian 12 packages that are missing (root, or sudo).
DEB_PACKAGES = gcc make pkg-config libwebsockets-dev libjq-dev jq libhiredis-dev \
	libsamplerate0-dev libspeexdsp-dev libssl-dev openssl redis-server redis-tools \
	mandoc sox valgrind s6 runit procps curl bsdextrautils xxd libwebsockets-evlib-ev \
	haproxy tmux clang libclang-rt-14-dev prometheus
deps:
	@missing=; for p in $(DEB_PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		sudo=; [ "$$(id -u)" = 0 ] || sudo=sudo; \
		echo "installing:$$missing"; \
		$$sudo apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends $$missing; \
	fi

install: all
	mkdir -p $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	cp $(addprefix bin/,$(TOOLS)) $(SCRIPTS) $(DESTDIR)$(BINDIR)/
	for m in $(MANPAGES); do \
		s=$${m##*.}; mkdir -p $(DESTDIR)$(MANDIR)/man$$s; cp $$m $(DESTDIR)$(MANDIR)/man$$s/; \
	done

# What make install put there, and nothing else.
uninstall:
	for t in $(TOOLS) $(notdir $(SCRIPTS)); do rm -f $(DESTDIR)$(BINDIR)/$$t; done
	for m in $(MANPAGES); do rm -f $(DESTDIR)$(MANDIR)/man$${m##*.}/$${m##*/}; done

help:
	@echo 'make            build every tool into bin/'
	@echo 'make check      build, lint the man pages, run every test (tests/run)'
	@echo 'make helpers    build the test helpers into tests/bin/ (jwt-mint, ...)'
	@echo 'make check-sanitize  the whole suite on an ASan/UBSan build'
	@echo 'make fuzz       run every libFuzzer target for FUZZ_SECONDS (60) each'
	@echo 'make lint       mandoc -Tlint every man page'
	@echo 'make bench      print the benchmark tables'
	@echo 'make deps       install the Debian 12 packages the build and tests need'
	@echo 'make install    tools, scripts and man pages under PREFIX=$(PREFIX) (DESTDIR too)'
	@echo 'make uninstall  remove what make install put there'
	@echo 'make clean      remove what the build made'
	@echo 'one test file:  tests/run tests/service.sh'

clean:
	rm -f tools/ingest-env/known.h $(LIB) $(LIB_OBJ) $(addprefix bin/,$(TOOLS)) $(HELPERS)
	rm -rf fuzz/bin fuzz/obj fuzz/work

.PHONY: all check check-sanitize lint bench deps install uninstall clean helpers help fuzz fuzz-build FORCE
