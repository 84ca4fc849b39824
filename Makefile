# natter — root Makefile.  POSIX make features plus GNU make's wildcard.
#
# Each program directory holds main.c (the program's entry) and other
# files which are also archived, so unit tests can link any module.

PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
SBINDIR    ?= $(PREFIX)/sbin
LIBEXECDIR ?= $(PREFIX)/libexec/natter
MANDIR     ?= $(PREFIX)/share/man
DOCDIR     ?= $(PREFIX)/share/doc/natter
# Debian 12 wants /lib/systemd/system (debian/rules says so).
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system

CC       ?= cc
OPT      ?= -O2
CFLAGS   ?= $(OPT) -g
WARN      = -std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
            -Wmissing-prototypes -Wformat=2 -Wno-format-nonliteral
CPPFLAGS += -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -Ilib \
            -DLIBEXECDIR='"$(LIBEXECDIR)"'
LDLIBS   += -lcrypt

BUILD ?= build
# XCPPFLAGS: extra -D options for a variant build (PORTABLE below).
ALL_CFLAGS = $(WARN) $(CPPFLAGS) $(XCPPFLAGS) $(CFLAGS)

lib_src        = $(wildcard lib/*.c)
broker_src     = $(filter-out broker/main.c,$(wildcard broker/*.c)) \
                 $(wildcard broker/resp/*.c broker/store/*.c)
supervisor_src = $(filter-out supervisor/main.c,$(wildcard supervisor/*.c))
handler_src    = $(filter-out handler/main.c,$(wildcard handler/*.c))
client_src     = $(filter-out client/main.c,$(wildcard client/*.c))
unit_src       = $(wildcard tests/unit/test_*.c)
helper_src     = $(wildcard tests/helpers/*.c)
bench_src      = $(wildcard bench/*.c)
fuzz_src       = $(wildcard tests/fuzz/fuzz_*.c)

obj = $(patsubst %.c,$(BUILD)/%.o,$(1))

LIBNATTER  = $(BUILD)/libnatter.a
LIBBROKER  = $(BUILD)/libbroker.a
LIBSUPER   = $(BUILD)/libsupervisor.a
LIBHANDLER = $(BUILD)/libhandler.a
LIBCLIENT  = $(BUILD)/libclient.a
ARCHIVES   = $(LIBSUPER) $(LIBBROKER) $(LIBHANDLER) $(LIBCLIENT) $(LIBNATTER)

PROGRAMS = $(BUILD)/natterd $(BUILD)/natter-broker $(BUILD)/natter-session \
           $(BUILD)/natter $(BUILD)/natter-passwd $(BUILD)/natterctl
UNITS    = $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(unit_src))
HELPERS  = $(patsubst tests/helpers/%.c,$(BUILD)/tests/helpers/%,$(helper_src))
BENCHES  = $(patsubst bench/%.c,$(BUILD)/bench/%,$(bench_src))
# Each fuzz harness replayed over its corpus in make check (replay.c).
REPLAYS  = $(patsubst tests/fuzz/fuzz_%.c,$(BUILD)/tests/test_fuzz_%,$(fuzz_src))
FUZZERS  = $(patsubst tests/fuzz/fuzz_%.c,$(BUILD)/fuzz/fuzz_%,$(fuzz_src))

.SECONDARY:
.PHONY: FORCE all fuzz fuzzers check check-asan check-asan-units units-only check-poll run install uninstall clean lint-man bench scale soak
all: $(PROGRAMS)

# -MMD -MP: each object's header dependencies, as the compiler saw them.
$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

define archive
	@mkdir -p $(dir $@)
	rm -f $@
	$(AR) rcs $@ $^
endef

# natterd looks for its handler in LIBEXECDIR: rebuild that object when
# the directory changes (make install PREFIX=/usr after a plain make).
LIBEXEC_STAMP = $(BUILD)/libexecdir.stamp
$(LIBEXEC_STAMP): FORCE
	@mkdir -p $(dir $@)
	@echo '$(LIBEXECDIR)' | cmp -s - $@ || echo '$(LIBEXECDIR)' > $@
$(BUILD)/supervisor/handler.o: $(LIBEXEC_STAMP)
FORCE:

$(LIBNATTER):  $(call obj,$(lib_src));        $(archive)
$(LIBBROKER):  $(call obj,$(broker_src));     $(archive)
$(LIBSUPER):   $(call obj,$(supervisor_src)); $(archive)
$(LIBHANDLER): $(call obj,$(handler_src));    $(archive)
$(LIBCLIENT):  $(call obj,$(client_src));     $(archive)

# natterd has one thread; of the broker it needs only the socket
# directory's helpers (supervisor/brokerproc.c) and the default state
# directory (store.c): the broker itself is natter-broker, which natterd
# execs.
$(BUILD)/natterd: $(BUILD)/supervisor/main.o $(LIBSUPER) \
		  $(BUILD)/broker/sockdir.o $(LIBBROKER) $(LIBNATTER)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)
# natter-broker's pid file (-P, for natterd -B) is natterd's module.
BROKER_SUPER_OBJ = $(call obj,supervisor/pidfile.c supervisor/fatal.c \
		   supervisor/abspath.c)
$(BUILD)/natter-broker: $(BUILD)/broker/main.o $(LIBBROKER) \
			$(BROKER_SUPER_OBJ) $(LIBNATTER)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)
# SESSION_LDFLAGS=-static makes each session about 55 KiB smaller (no
# dynamic linker's private pages; measured PSS 143 -> 86 KiB with 100
# sessions) at the price of relinking for every libc update.
$(BUILD)/natter-session: $(BUILD)/handler/main.o $(LIBHANDLER) \
			 $(BUILD)/supervisor/proctitle.o $(LIBNATTER)
	$(CC) $(CFLAGS) $(LDFLAGS) $(SESSION_LDFLAGS) -o $@ $^ $(LDLIBS)
$(BUILD)/natter-passwd: $(BUILD)/handler/passwd/main.o $(LIBHANDLER) $(LIBNATTER)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)
$(BUILD)/natterctl: $(BUILD)/ctl/main.o $(LIBNATTER)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)
$(BUILD)/natter: $(BUILD)/client/main.o $(LIBCLIENT) $(LIBNATTER)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# natterd and natter-broker with the POSIX fallbacks they use off
# Linux: poll(2) for the broker's event loop, posix_spawn(3) for the
# handlers (launch.h).  make check runs natterd's handler tests against
# them too (tests/test_portable.py); natterd runs the natter-broker
# beside it.
PORTABLE = $(BUILD)/portable/natterd
$(PORTABLE): FORCE
	$(MAKE) BUILD=$(BUILD)/portable \
	  XCPPFLAGS="-DEVLOOP_POLL -DNATTER_SPAWN_POSIX" $@ \
	  $(BUILD)/portable/natter-broker

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(ARCHIVES)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)
# A harness with a main of its own (tests/fuzz/replay.c), for make check.
$(BUILD)/tests/fuzz/replay_%.o: tests/fuzz/replay.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -DFUZZ_CORPUS='"$(CURDIR)/tests/fuzz/corpus/$*"' \
	  -c -o $@ $<
$(BUILD)/tests/test_fuzz_%: $(BUILD)/tests/fuzz/fuzz_%.o \
    $(BUILD)/tests/fuzz/replay_%.o $(ARCHIVES)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)
# The same harness under libFuzzer (make fuzz builds with clang).
$(BUILD)/fuzz/fuzz_%: $(BUILD)/tests/fuzz/fuzz_%.o $(ARCHIVES)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)
$(BUILD)/tests/helpers/%: $(BUILD)/tests/helpers/%.o $(LIBNATTER)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)
$(BUILD)/bench/%: $(BUILD)/bench/%.o $(LIBNATTER)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# The README's first command: a chat server on localhost:4120, foreground.
run: all
	$(BUILD)/natterd -f -l localhost:4120

check: all $(UNITS) $(REPLAYS) $(HELPERS) $(BENCHES) $(PORTABLE)
	python3 tests/run.py --build $(BUILD)

# The full benchmark (minutes); make check runs a short smoke of it.
bench: all $(BENCHES)
	python3 bench/run.py --build $(BUILD)

# 10,000 people through one natterd (minutes, both cores; issue 19).
scale: all $(BENCHES)
	python3 bench/scale.py --build $(BUILD)

# The soak and fault run (not in make check): 1,000 people for
# SOAK_SECONDS with the broker killed every minute, a stalled reader, a
# flood, SIGHUP and a burst; fails on any loss, growth or wrong cut-off.
SOAK_SECONDS ?= 600
soak: all
	python3 bench/soak.py --build $(BUILD) --seconds $(SOAK_SECONDS)

# Each fuzz harness under libFuzzer with ASan + UBSan for FUZZ_SECONDS,
# starting from (and adding to) a copy of its corpus in build-fuzz/.
FUZZ_SECONDS ?= 60
fuzz:
	$(MAKE) BUILD=build-fuzz CC=clang OPT=-O1 \
	  CFLAGS="-O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all" \
	  LDFLAGS="-fsanitize=address,undefined" fuzzers
	@fail=0; for f in build-fuzz/fuzz/fuzz_*; do \
	  n=$${f##*/fuzz_}; mkdir -p build-fuzz/corpus/$$n; \
	  cp tests/fuzz/corpus/$$n/* build-fuzz/corpus/$$n/ 2>/dev/null; \
	  echo "fuzzing $$n for $(FUZZ_SECONDS) s"; \
	  $$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	    -artifact_prefix=build-fuzz/$$n- build-fuzz/corpus/$$n \
	    >build-fuzz/$$n.log 2>&1 || { fail=1; echo "FOUND: see build-fuzz/$$n.log"; }; \
	  grep -E '^(Done|stat::number|==[0-9]+==|SUMMARY|artifact)' \
	    build-fuzz/$$n.log; done; exit $$fail
fuzzers: $(FUZZERS)

# The whole suite under AddressSanitizer + UBSan, in its own build tree.
check-asan:
	NATTER_SANITIZERS=1 $(MAKE) BUILD=build-asan OPT=-O1 \
	  CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
	  LDFLAGS="-fsanitize=address,undefined" check

# CI's share of it (make check-asan is 2.5 more minutes): the unit
# tests and the fuzz corpora's replays under ASan + UBSan.
check-asan-units:
	NATTER_SANITIZERS=1 $(MAKE) BUILD=build-asan OPT=-O1 \
	  CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
	  LDFLAGS="-fsanitize=address,undefined" units-only

units-only: $(UNITS) $(REPLAYS)
	python3 tests/run.py --build $(BUILD) --units

# The broker's poll(2) event loop (for systems without epoll), tested end
# to end on Linux: the broker tests against the portable natterd.
check-poll: all $(HELPERS) $(PORTABLE)
	NATTER_BROKER_CMD="$(PORTABLE) -f -B" \
	  python3 tests/run.py --build $(BUILD) -k test_broker.

lint-man:
	mandoc -Tlint -Wwarning man/*.[0-9]

# The examples name make install's default paths (PREFIX=/usr/local);
# installed, they name this PREFIX's.
FIX_PATHS = sed -e 's|/usr/local/sbin/|$(SBINDIR)/|g' \
		-e 's|/usr/local/libexec/natter/|$(LIBEXECDIR)/|g'
SYSTEMD_UNITS = natterd.service natterd.socket natter-broker.service \
		natter.socket natter@.service

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBEXECDIR)
	install -m 755 $(BUILD)/natterd $(DESTDIR)$(SBINDIR)/natterd
	install -m 755 $(BUILD)/natterctl $(DESTDIR)$(SBINDIR)/natterctl
	install -m 755 $(BUILD)/natter $(DESTDIR)$(BINDIR)/natter
	install -m 755 $(BUILD)/natter-passwd $(DESTDIR)$(BINDIR)/natter-passwd
	install -m 755 $(BUILD)/natter-session $(DESTDIR)$(LIBEXECDIR)/natter-session
	install -m 755 $(BUILD)/natter-broker $(DESTDIR)$(LIBEXECDIR)/natter-broker
	for m in man/*.[0-9]; do \
	  s=$${m##*.}; install -d $(DESTDIR)$(MANDIR)/man$$s; \
	  install -m 644 $$m $(DESTDIR)$(MANDIR)/man$$s/; done
	install -d $(DESTDIR)$(DOCDIR)/examples $(DESTDIR)$(SYSTEMDUNITDIR)
	for f in examples/*; do \
	  $(FIX_PATHS) $$f > $(DESTDIR)$(DOCDIR)/examples/$${f##*/} && \
	  chmod 644 $(DESTDIR)$(DOCDIR)/examples/$${f##*/} || exit 1; done
	for u in $(SYSTEMD_UNITS); do \
	  $(FIX_PATHS) examples/$$u > $(DESTDIR)$(SYSTEMDUNITDIR)/$$u && \
	  chmod 644 $(DESTDIR)$(SYSTEMDUNITDIR)/$$u || exit 1; done

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/natterd $(DESTDIR)$(SBINDIR)/natterctl \
	  $(DESTDIR)$(BINDIR)/natter \
	  $(DESTDIR)$(BINDIR)/natter-passwd $(DESTDIR)$(LIBEXECDIR)/natter-session \
	  $(DESTDIR)$(LIBEXECDIR)/natter-broker
	for m in man/*.[0-9]; do s=$${m##*.}; \
	  rm -f $(DESTDIR)$(MANDIR)/man$$s/$${m##*/}; done
	for f in examples/*; do \
	  rm -f $(DESTDIR)$(DOCDIR)/examples/$${f##*/}; done
	for u in $(SYSTEMD_UNITS); do rm -f $(DESTDIR)$(SYSTEMDUNITDIR)/$$u; done

clean:
	rm -rf build build-asan build-poll
