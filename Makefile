# expomatch: build, test, run, install.
# `make` builds bin/expomatchd, bin/expomatch-cli and the benchmark tools.

PREFIX ?= /usr/local
DESTDIR ?=
CC ?= cc
PYTHON ?= /usr/bin/python3
BUILD ?= build
BIN ?= bin

PKGS := libevent libevent_openssl hiredis msgpack libssl libcrypto jansson icu-uc icu-i18n
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
# Debian 12's msgpack.pc names the library msgpackc already; nothing else needed.

OPT ?= -O2 -g
WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter
CPPFLAGS += -D_GNU_SOURCE -DEM_PREFIX='"$(PREFIX)"' -Idaemon -Iproto -Iclients -I$(BUILD)/gen
CFLAGS ?=
CFLAGS += -std=c11 $(OPT) $(WARN) $(PKG_CFLAGS) $(SAN)
LDFLAGS += $(SAN)
# CaDiCaL (the exact schedule phase) is a static C++ library.
LDLIBS += $(PKG_LIBS) -lcadical -lstdc++ -lm -pthread

VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)
CPPFLAGS += -DEM_VERSION='"$(VERSION)"'

# Generated sources: ISO code tables from iso-codes, the Redis function
# library embedded as a string.
GEN := $(BUILD)/gen/isocodes.c $(BUILD)/gen/tznames.c $(BUILD)/gen/functions_lua.c \
	$(BUILD)/gen/dashboard_files.c
GEN_OBJ := $(GEN:$(BUILD)/gen/%.c=$(BUILD)/gen/%.o)

DAEMON_SRC := $(filter-out daemon/main.c,$(wildcard daemon/*.c))
DAEMON_OBJ := $(DAEMON_SRC:%.c=$(BUILD)/%.o) $(GEN_OBJ)
PROTO_SRC := $(wildcard proto/*.c)
PROTO_OBJ := $(PROTO_SRC:%.c=$(BUILD)/%.o)
# Each client is the files named after it (clients/kiosk*.c make
# expomatch-kiosk), on top of the client library in proto/.
CLI_OBJ := $(patsubst %.c,$(BUILD)/%.o,$(wildcard clients/cli*.c clients/csv.c))
KIOSK_OBJ := $(patsubst %.c,$(BUILD)/%.o,$(wildcard clients/kiosk*.c))
LOADGEN_OBJ := $(patsubst %.c,$(BUILD)/%.o,$(wildcard clients/loadgen*.c))
CLIENT_CFLAGS := $(shell pkg-config --cflags libedit ncursesw 2>/dev/null)
$(CLI_OBJ) $(KIOSK_OBJ): CFLAGS += $(CLIENT_CFLAGS)

# The kiosk's message catalogs: clients/po/LANG.po, compiled by msgfmt.
KIOSK_PO := $(wildcard clients/po/*.po)
KIOSK_MO := $(KIOSK_PO:clients/po/%.po=$(BUILD)/locale/%/LC_MESSAGES/expomatch-kiosk.mo)

# The organizer dashboard's files, built into the daemon.
DASHBOARD_FILES := $(sort $(wildcard daemon/dashboard/*))

BINS := $(BIN)/expomatchd $(BIN)/expomatch-cli $(BIN)/expomatch-bench \
	$(BIN)/expomatch-evalmatch $(BIN)/expomatch-schedbench
ifneq ($(KIOSK_OBJ),)
BINS += $(BIN)/expomatch-kiosk
endif
ifneq ($(LOADGEN_OBJ),)
BINS += $(BIN)/expomatch-loadgen
endif
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
# The exact phase's test once more with every table counter made lazily,
# the path events too large for up-front counters take.
UNIT_BINS += $(BUILD)/tests/test_sched_exact_lazy

.PHONY: all deps run test unit integration ci asan valgrind install clean bench bench-match bench-sched fmt \
	fuzz fuzz-build fuzz-bins soak
all: $(BINS) $(KIOSK_MO)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/gen/isocodes.c: tools/gen_isocodes.py
	@mkdir -p $(dir $@)
	$(PYTHON) tools/gen_isocodes.py /usr/share/iso-codes/json > $@.tmp && mv $@.tmp $@

$(BUILD)/gen/tznames.c: tools/gen_tznames.py
	@mkdir -p $(dir $@)
	$(PYTHON) tools/gen_tznames.py /usr/share/zoneinfo/tzdata.zi > $@.tmp && mv $@.tmp $@

# One library: the core functions, then the meetings that hook into them
# (later files use the helpers of earlier ones).
LUA_SRC := daemon/functions.lua daemon/meetings.lua daemon/meetings_read.lua \
	daemon/meetings_onsite.lua daemon/meetings_sched.lua daemon/dashboard.lua daemon/audit.lua
$(BUILD)/gen/functions_lua.c: $(LUA_SRC) tools/embed.sh
	@mkdir -p $(dir $@)
	cat $(LUA_SRC) > $(BUILD)/gen/expomatch.lua
	sh tools/embed.sh em_functions_lua $(BUILD)/gen/expomatch.lua > $@.tmp && mv $@.tmp $@

$(BUILD)/gen/dashboard_files.c: $(DASHBOARD_FILES) tools/embed_files.sh
	@mkdir -p $(dir $@)
	sh tools/embed_files.sh em_dashboard_files $(DASHBOARD_FILES) > $@.tmp && mv $@.tmp $@

$(BUILD)/locale/%/LC_MESSAGES/expomatch-kiosk.mo: clients/po/%.po
	@mkdir -p $(dir $@)
	msgfmt --check -o $@ $<

$(BUILD)/gen/%.o: $(BUILD)/gen/%.c
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

# Generated headers must exist before anything that includes them compiles.
$(DAEMON_SRC:%.c=$(BUILD)/%.o): | $(GEN)

$(BUILD)/libproto.a: $(PROTO_OBJ)
	$(AR) rcs $@ $^

$(BIN)/expomatchd: $(BUILD)/daemon/main.o $(DAEMON_OBJ) $(BUILD)/libproto.a
	@mkdir -p $(BIN)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BIN)/expomatch-cli: $(CLI_OBJ) $(BUILD)/daemon/xmalloc.o $(BUILD)/libproto.a
	@mkdir -p $(BIN)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(shell pkg-config --libs libedit)

$(BIN)/expomatch-kiosk: $(KIOSK_OBJ) $(BUILD)/daemon/xmalloc.o $(BUILD)/libproto.a
	@mkdir -p $(BIN)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(shell pkg-config --libs ncursesw)

$(BIN)/expomatch-loadgen: $(LOADGEN_OBJ) $(BUILD)/daemon/xmalloc.o $(BUILD)/libproto.a
	@mkdir -p $(BIN)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BIN)/expomatch-bench: $(BUILD)/tests/bench/rpcbench.o $(BUILD)/daemon/xmalloc.o $(BUILD)/libproto.a
	@mkdir -p $(BIN)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BIN)/expomatch-evalmatch: $(BUILD)/tests/bench/evalmatch.o $(DAEMON_OBJ) $(BUILD)/libproto.a
	@mkdir -p $(BIN)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# The schedule optimizer alone (pure computation) with its generator.
$(BIN)/expomatch-schedbench: $(BUILD)/tests/bench/schedbench.o $(BUILD)/tests/bench/schedgen.o \
		$(filter $(BUILD)/daemon/sched%.o,$(DAEMON_OBJ)) $(BUILD)/daemon/sat_cnf.o \
		$(BUILD)/daemon/err.o $(BUILD)/daemon/xmalloc.o
	@mkdir -p $(BIN)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Unit tests of client code link the client files they test.
$(BUILD)/tests/test_csv: $(BUILD)/clients/csv.o
# The exact phase's test takes one generated event from the benchmark's
# generator.
$(BUILD)/tests/test_sched_exact: $(BUILD)/tests/bench/schedgen.o

$(BUILD)/lazy/sched_exact.o: daemon/sched_exact.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -DTABLE_CLAUSES_UPFRONT=0 $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/tests/test_sched_exact_lazy: $(BUILD)/tests/unit/test_sched_exact.o \
		$(filter-out $(BUILD)/daemon/sched_exact.o,$(DAEMON_OBJ)) $(BUILD)/lazy/sched_exact.o \
		$(BUILD)/tests/bench/schedgen.o $(BUILD)/libproto.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(shell pkg-config --libs cmocka)

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(DAEMON_OBJ) $(BUILD)/libproto.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(shell pkg-config --libs cmocka)

# The load generator's histogram test also links its statistics module.
$(BUILD)/tests/test_loadgen_hist: $(BUILD)/clients/loadgen_stats.o
# The kiosk's text test also links its payload and text modules.
$(BUILD)/tests/test_kiosk_text: $(BUILD)/clients/kiosk_scan.o $(BUILD)/clients/kiosk_text.o

deps:
	@sh scripts/deps.sh

run: deps all
	@sh scripts/run.sh

unit: $(UNIT_BINS)
	@sh tests/unit/run.sh $(UNIT_BINS)

integration: all
	$(PYTHON) -m pytest -q tests/integration

test: deps
	@$(MAKE) --no-print-directory all $(UNIT_BINS)
	@sh tests/run.sh

# The longer checks; later issues add sanitizer, valgrind, fuzz and fault runs.
ci: deps
	@sh .ci/checks.sh

asan:
	@$(MAKE) --no-print-directory BUILD=build-asan OPT='-O1 -g' \
	  SAN='-fsanitize=address,undefined -fno-omit-frame-pointer' \
	  BIN=bin-asan all

bench: all
	@sh tests/bench/run.sh

# Throughput over TLS as a ratio to plain TCP: one daemon on both ports,
# alternating runs, medians (about a minute).
.PHONY: bench-tls
bench-tls: all
	@BIN=$(BIN) sh tests/bench/tls.sh

# The matching engine: evaluation on 10k generated participants, then the
# daemon with 10k and 100k (a few minutes; generated expos are cached).
bench-match: all
	$(PYTHON) tests/bench/gen_expo.py --seed 1 --participants 10000 --out $(BUILD)/expo-1-10000 > /dev/null
	$(BIN)/expomatch-evalmatch $(BUILD)/expo-1-10000 --all
	$(PYTHON) tests/bench/matchbench.py --participants 10000
	$(PYTHON) tests/bench/matchbench.py --participants 100000

# The schedule optimizer: events like Bofill et al.'s, checked by glpsol on
# an exact ILP, and a 30,000-meeting expo (about two minutes). glpsol comes
# from glpk-utils, installed here when run as root; without it the ILP part
# is skipped.
bench-sched: $(BIN)/expomatch-schedbench
	@echo glpk-utils > $(BUILD)/bench-sched-deps.txt
	@DEPS_LIST=$(BUILD)/bench-sched-deps.txt sh scripts/deps.sh || \
	  echo "bench-sched: going on without glpsol (no ILP comparison)"
	$(BIN)/expomatch-schedbench

# Fuzzing (tests/fuzz): libFuzzer harnesses built by clang-14 with
# AddressSanitizer and UBSan into build-fuzz/. make fuzz runs each for
# FUZZ_SECONDS; make ci runs them for a short time (.ci/checks.sh).
# dispatch links every daemon object but the store, whose place the stub
# takes.
FUZZ_SECONDS ?= 600
FUZZ_HARNESSES := fuzz_frame fuzz_dispatch
FUZZ_SAN := -fsanitize=fuzzer-no-link,address,undefined \
	-fno-sanitize-recover=undefined -fno-omit-frame-pointer
$(BUILD)/tests/fuzz/%.o: CPPFLAGS += -Itests/fuzz

$(BUILD)/fuzz/fuzz_frame: $(BUILD)/tests/fuzz/fuzz_frame.o $(BUILD)/libproto.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)

$(BUILD)/fuzz/fuzz_dispatch: $(BUILD)/tests/fuzz/fuzz_dispatch.o \
		$(BUILD)/tests/fuzz/fuzz_box.o $(BUILD)/tests/fuzz/store_stub.o \
		$(filter-out $(BUILD)/daemon/store.o,$(DAEMON_OBJ)) $(BUILD)/libproto.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)

fuzz-bins: $(FUZZ_HARNESSES:%=$(BUILD)/fuzz/%)

fuzz-build:
	@mkdir -p build-fuzz && printf 'clang-14\nlibclang-rt-14-dev\n' > build-fuzz/deps.txt
	@DEPS_LIST=build-fuzz/deps.txt sh scripts/deps.sh
	@$(MAKE) --no-print-directory BUILD=build-fuzz BIN=build-fuzz/bin CC=clang-14 \
	  OPT='-O1 -g' SAN='$(FUZZ_SAN)' fuzz-bins

# The long soak: the load generator for SOAK_SECONDS with a fault every
# SOAK_FAULT_EVERY seconds (Redis killed, frozen, the daemon killed), then
# every acknowledged write checked and the daemon's memory growth bounded.
SOAK_SECONDS ?= 1800
SOAK_FAULT_EVERY ?= 60
soak: all
	EXPOMATCH_SOAK_SECONDS=$(SOAK_SECONDS) SOAK_FAULT_EVERY=$(SOAK_FAULT_EVERY) \
	  $(PYTHON) -m pytest -q -s tests/integration/test_soak.py

fuzz: fuzz-build
	@sh tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_HARNESSES)

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/expomatch $(DESTDIR)$(PREFIX)/lib/systemd/system
	install -m 755 $(BIN)/expomatchd $(BIN)/expomatch-cli $(BIN)/expomatch-kiosk \
	  $(BIN)/expomatch-loadgen $(DESTDIR)$(PREFIX)/bin/
	install -m 644 config/expomatchd.conf $(DESTDIR)$(PREFIX)/share/expomatch/
	sed 's#/usr/local/#$(PREFIX)/#g' config/expomatchd.service > $(DESTDIR)$(PREFIX)/lib/systemd/system/expomatchd.service
	$(foreach l,$(KIOSK_PO:clients/po/%.po=%),install -D -m 644 $(BUILD)/locale/$(l)/LC_MESSAGES/expomatch-kiosk.mo \
	  $(DESTDIR)$(PREFIX)/share/locale/$(l)/LC_MESSAGES/expomatch-kiosk.mo;)

fmt:
	clang-format -i daemon/*.c daemon/*.h proto/*.c proto/*.h clients/*.c tests/unit/*.c tests/bench/*.c

clean:
	rm -rf build build-asan bin bin-asan build-fuzz

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
