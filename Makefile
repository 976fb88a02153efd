# strangerd: anonymous text chat between strangers over SSH and telnet.
#
#   make          build ./strangerd and ./strangerctl
#   make run      install missing packages, build, run on 127.0.0.1:2222/2323
#                 (SSH_PORT=, TELNET_PORT=, RUN_DIR= to change them)
#   make check    install missing packages, build, run every test
#   make install  PREFIX, DESTDIR and MANDIR are honoured

PREFIX	?= /usr/local
SBINDIR	?= $(PREFIX)/sbin
MANDIR	?= $(PREFIX)/share/man
EXAMPLEDIR ?= $(PREFIX)/share/doc/strangerd/examples
SYSTEMDDIR ?= $(PREFIX)/lib/systemd/system
DESTDIR	?=

CC	?= cc
PYTHON	 = /usr/bin/python3
PKGS	 = libevent_core libevent_pthreads libssh libcrypto libsodium libtelnet sqlite3 libpq tinfo liburcu-cds hiredis

WARN	 = -Wall -Wextra -Wformat=2 -Wshadow -Wmissing-prototypes \
	   -Wstrict-prototypes
CFLAGS	?= -O2 -g
CFLAGS	+= -std=gnu11 -D_GNU_SOURCE -pthread $(WARN) $(WERROR) -Iinclude \
	   $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# libunistring (interests.c) ships no pkg-config file.
LDLIBS	+= $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lunistring -lpthread

# Modules that do no I/O: unit tests and fuzzers link them alone.
PURE_OBJS = src/xmalloc.o src/log.o src/utf8.o src/sanitize.o src/input.o \
	    src/render-term.o \
	    src/editor.o src/screen.o src/screen-pack.o src/render.o src/match-pool.o src/limit.o \
	    src/interests.o src/nudge.o src/config.o src/config-mask.o src/ban.o src/control.o \
	    src/proxy.o \
	    src/table.o src/view.o src/console-view.o src/cluster-url.o \
	    src/conv.o

DAEMON_OBJS = $(PURE_OBJS) src/inbox.o src/ask.o src/worker.o \
	    src/store.o src/store-ban.o src/store-report.o \
	    src/store-sqlite.o src/store-pg.o src/store-move.o src/admin.o \
	    src/admin-worker.o src/console.o src/worker-proxy.o \
	    src/moderators.o src/ssh-key.o \
	    src/session.o src/telnet.o src/ssh.o src/ssh-preauth.o \
	    src/ssh-auth.o src/ssh-chan.o src/ssh-watch.o src/ssh-hostkey.o \
	    src/ssh-evp.o src/ssh-curve.o src/ssh-rand.o src/ssh-next.o \
	    src/session-plain.o src/session-report.o src/ssh-refuse.o \
	    src/match.o src/rules.o src/metrics.o src/metrics-http.o src/privsep.o src/strangerd.o

# Several nodes through Redis (cluster in strangerd.conf(5)).
DAEMON_OBJS += src/cluster.o src/cluster-entry.o src/cluster-pair.o \
	    src/cluster-relay.o src/cluster-ask.o src/cluster-script.o

CTL_OBJS = src/strangerctl.o src/control.o src/xmalloc.o src/log.o

UNIT_TESTS = tests/unit/test-sanitize tests/unit/test-input \
	     tests/unit/test-editor tests/unit/test-render \
	     tests/unit/test-match-pool tests/unit/test-limit \
	     tests/unit/test-nudge tests/unit/test-interests \
	     tests/unit/test-config tests/unit/test-ban tests/unit/test-table \
	     tests/unit/test-view tests/unit/test-proxy tests/unit/test-ssh-evp \
	     tests/unit/test-conv tests/unit/test-ssh-curve \
	     tests/unit/test-ssh-rand

# Packages needed to build, and further ones needed to test.
DEB_BUILD = gcc make pkg-config libevent-dev libssh-dev libssl-dev libsodium-dev \
	    libtelnet-dev \
	    libsqlite3-dev libpq-dev libncurses-dev liburcu-dev libhiredis-dev \
	    libunistring-dev
DEB_TEST  = libcmocka-dev libvterm-dev python3 python3-pyte python3-asyncssh \
	    inetutils-telnet netcat-openbsd openssh-client mandoc haproxy \
	    postgresql redis-server python3-pyflakes

.PHONY: all run check unit integration deps deps-build clean lint install

all: strangerd strangerctl

strangerd: $(DAEMON_OBJS) .cflags
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(DAEMON_OBJS) $(LDLIBS)

strangerctl: $(CTL_OBJS) .cflags
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(CTL_OBJS) $(LDLIBS)

# Each object lists the headers it read (-MMD, into a .d beside it; -MP
# so that a removed header is no error), and depends on .cflags, which
# holds the compiler and flags of the last build and is rewritten only
# when they change: `make WERROR=-Werror` after a plain `make` compiles
# everything again, with -Werror.
DEPFLAGS = -MMD -MP

.cflags: FORCE
	@echo '$(CC) $(CFLAGS) $(LDFLAGS)' | cmp -s - $@ || \
	    echo '$(CC) $(CFLAGS) $(LDFLAGS)' > $@

.PHONY: FORCE
FORCE:

src/%.o: src/%.c .cflags
	$(CC) $(CFLAGS) $(DEPFLAGS) -c -o $@ $<

tests/unit/test-%: tests/unit/test-%.c $(PURE_OBJS) .cflags
	$(CC) $(CFLAGS) $(DEPFLAGS) $(LDFLAGS) -o $@ $< $(PURE_OBJS) \
	    $(LDLIBS) -lcmocka

# The renderer's test reads its output back through libvterm.
tests/unit/test-render: tests/unit/test-render.c $(PURE_OBJS) .cflags
	$(CC) $(CFLAGS) $(DEPFLAGS) $(LDFLAGS) -o $@ $< $(PURE_OBJS) \
	    $(LDLIBS) -lcmocka -lvterm

# ssh-evp.c stands in for two libcrypto functions: its test links it.
tests/unit/test-ssh-evp: tests/unit/test-ssh-evp.c src/ssh-evp.o src/ssh-next.o $(PURE_OBJS) .cflags
	$(CC) $(CFLAGS) $(DEPFLAGS) $(LDFLAGS) -o $@ $< src/ssh-evp.o src/ssh-next.o \
	    $(PURE_OBJS) $(LDLIBS) -lcmocka

# So do ssh-curve.c, for four more, and ssh-rand.c, for RAND_add.
tests/unit/test-ssh-curve: tests/unit/test-ssh-curve.c src/ssh-curve.o src/ssh-next.o $(PURE_OBJS) .cflags
	$(CC) $(CFLAGS) $(DEPFLAGS) $(LDFLAGS) -o $@ $< src/ssh-curve.o src/ssh-next.o \
	    $(PURE_OBJS) $(LDLIBS) -lcmocka

tests/unit/test-ssh-rand: tests/unit/test-ssh-rand.c src/ssh-rand.o src/ssh-next.o $(PURE_OBJS) .cflags
	$(CC) $(CFLAGS) $(DEPFLAGS) $(LDFLAGS) -o $@ $< src/ssh-rand.o src/ssh-next.o \
	    $(PURE_OBJS) $(LDLIBS) -lcmocka

-include $(wildcard src/*.d tests/unit/*.d)

# Install what is missing with apt-get, as root or through sudo.
deps:
	@sh tests/deps.sh $(DEB_BUILD) $(DEB_TEST)

deps-build:
	@sh tests/deps.sh $(DEB_BUILD)

# make run SSH_PORT=2022 TELNET_PORT=2023 RUN_DIR=/tmp/chat
SSH_PORT	?= 2222
TELNET_PORT	?= 2323
RUN_DIR		?= var

run: deps-build
	@$(MAKE) --no-print-directory all
	@echo "strangerd: connect with  ssh -p $(SSH_PORT) localhost"
	@echo "strangerd:          or   telnet localhost $(TELNET_PORT)"
	@echo "strangerd: (Ctrl-C here stops the server)"
	./strangerd -f -d $(RUN_DIR) -s 127.0.0.1:$(SSH_PORT) \
	    -t 127.0.0.1:$(TELNET_PORT)

check: deps
	@$(MAKE) --no-print-directory WERROR=-Werror all $(UNIT_TESTS)
	@$(MAKE) --no-print-directory WERROR=-Werror unit integration

unit: $(UNIT_TESTS)
	@for t in $(UNIT_TESTS); do echo "== $$t"; ./$$t || exit 1; done

integration: all
	$(PYTHON) tests/integration/run.py

# The man pages, and the Python of the tests and benchmarks (an unused
# import or variable is often a check that was meant and never made).
lint:
	@sh tests/deps.sh mandoc python3 python3-pyflakes
	mandoc -Tlint -Wwarning man/*.[0-9]
	$(PYTHON) -m pyflakes tests/integration/*.py bench/*.py

# Benchmarks beside the peers (OpenSSH's sshd, ngircd; two nodes on one
# Redis beside one node), each started on a loopback port with a
# throwaway configuration: `make bench` is the quick run (about three
# minutes, half of it the two nodes), `make bench FULL=1` the one in
# bench/RESULTS.md.
DEB_BENCH = openssh-server openssh-client ngircd python3 python3-pyte \
	    postgresql redis-server
LOADGEN_SRCS = bench/loadgen.c bench/lg-vt.c bench/lg-telnet.c \
	    bench/lg-irc.c bench/lg-ssh.c

.PHONY: bench deps-bench soak

bench/loadgen: $(LOADGEN_SRCS) bench/loadgen.h
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(LOADGEN_SRCS) $(LDLIBS)

# The curve calls of one SSH set-up, timed one by one (bench/RESULTS.md).
bench/ssh-crypto: bench/ssh-crypto.c
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< -lcrypto -lsodium

deps-bench:
	@sh tests/deps.sh $(DEB_BUILD) $(DEB_BENCH)

bench: deps-bench
	@$(MAKE) --no-print-directory strangerd strangerctl bench/loadgen
	$(PYTHON) bench/run.py $(if $(FULL),--full)

# The soak (issue 14): one daemon for SECS seconds (default 1800) with
# SESSIONS visitors (default 10000, half SSH, half telnet), churn and
# attacks at a low rate; bench/soak.py prints the figures.  Not part of
# check.  STRANGERD=build/asan/strangerd soaks the ASan build.
soak: deps-bench
	@$(MAKE) --no-print-directory strangerd bench/loadgen
	$(PYTHON) bench/soak.py $(if $(SECS),--secs $(SECS)) \
	    $(if $(SESSIONS),--sessions $(SESSIONS)) \
	    $(if $(STRANGERD),--strangerd $(STRANGERD))

# Sanitizer and fuzzer builds: the same sources built with clang into
# build/<variant>/, so their objects never mix with the ones above.
#
#   make sanitize  ASan+UBSan: the unit tests and the integration tests
#                  against build/asan/strangerd, then ThreadSanitizer:
#                  the integration tests against build/tsan/strangerd
#   make tsan      the ThreadSanitizer half alone
#   make fuzz      every tests/fuzz/fuzz-*.c for FUZZ_TIME seconds each
#   make fuzz-long ten million executions of each (tests/fuzz/long.sh)
#
# Every report fails the run: the sanitizers halt on the first error and
# write it under build/<variant>/log/, which must stay empty.
SAN_CC	 ?= clang
DEB_SAN	  = clang libclang-rt-14-dev
SAN_asan  = -fsanitize=address,undefined -fno-sanitize-recover=all \
	    -fno-omit-frame-pointer
SAN_tsan  = -fsanitize=thread -fno-omit-frame-pointer
SAN_fuzz  = -fsanitize=fuzzer-no-link,address,undefined \
	    -fno-sanitize-recover=all -fno-omit-frame-pointer \
	    -DSTRANGERD_FUZZ
SAN_ENV	  = ASAN_OPTIONS=halt_on_error=1:abort_on_error=0:detect_leaks=1:log_path=$(CURDIR)/build/$(1)/log/asan \
	    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:log_path=$(CURDIR)/build/$(1)/log/$(if $(filter tsan,$(1)),tsan,ubsan) \
	    TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1:log_path=$(CURDIR)/build/$(1)/log/tsan
FUZZERS	  = $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/fuzz-*.c))
FUZZ_TIME ?= 20
FUZZ_OBJS = $(PURE_OBJS:%=build/fuzz/%)
SAN_CTL	  = $(if $(wildcard src/strangerctl.c),strangerctl)

define san_variant
build/$(1)/.cflags: FORCE
	@mkdir -p $$(@D)
	@echo '$$(SAN_CC) $$(CFLAGS) $$(SAN_$(1)) $$(LDFLAGS)' | \
	    cmp -s - $$@ || \
	    echo '$$(SAN_CC) $$(CFLAGS) $$(SAN_$(1)) $$(LDFLAGS)' > $$@

build/$(1)/src/%.o: src/%.c build/$(1)/.cflags
	@mkdir -p $$(@D)
	$$(SAN_CC) $$(CFLAGS) $$(SAN_$(1)) $$(DEPFLAGS) -c -o $$@ $$<

build/$(1)/strangerd: $$(DAEMON_OBJS:%=build/$(1)/%)
	$$(SAN_CC) $$(CFLAGS) $$(SAN_$(1)) $$(LDFLAGS) -o $$@ $$^ $$(LDLIBS)

build/$(1)/strangerctl: $$(CTL_OBJS:%=build/$(1)/%)
	$$(SAN_CC) $$(CFLAGS) $$(SAN_$(1)) $$(LDFLAGS) -o $$@ $$^ $$(LDLIBS)

build/$(1)/tests/unit/test-%: tests/unit/test-%.c $$(PURE_OBJS:%=build/$(1)/%)
	@mkdir -p $$(@D)
	$$(SAN_CC) $$(CFLAGS) $$(SAN_$(1)) $$(DEPFLAGS) $$(LDFLAGS) -o $$@ \
	    $$< $$(filter %.o,$$^) $$(LDLIBS) -lcmocka -lvterm

build/$(1)/tests/unit/test-ssh-evp: build/$(1)/src/ssh-evp.o build/$(1)/src/ssh-next.o
build/$(1)/tests/unit/test-ssh-curve: build/$(1)/src/ssh-curve.o build/$(1)/src/ssh-next.o
build/$(1)/tests/unit/test-ssh-rand: build/$(1)/src/ssh-rand.o build/$(1)/src/ssh-next.o
endef
$(foreach v,asan tsan fuzz,$(eval $(call san_variant,$(v))))
-include $(wildcard build/*/src/*.d build/*/tests/unit/*.d build/fuzz/*.d)

# A harness may need objects beyond the pure ones (FUZZ_EXTRA_<name>)
# and libraries (FUZZ_LIBS_<name>).  fuzz-telnet includes src/telnet.c.
FUZZ_LIBS_fuzz-render = -lvterm
build/fuzz/fuzz-telnet: src/telnet.c
build/fuzz/fuzz-%: tests/fuzz/fuzz-%.c $(FUZZ_OBJS) build/fuzz/.cflags
	$(SAN_CC) $(CFLAGS) $(SAN_fuzz) $(DEPFLAGS) -fsanitize=fuzzer \
	    $(LDFLAGS) -o $@ \
	    $< $(FUZZ_OBJS) $(FUZZ_EXTRA_fuzz-$*:%=build/fuzz/%) $(LDLIBS) \
	    $(FUZZ_LIBS_fuzz-$*)

.PHONY: sanitize asan tsan fuzz fuzz-build fuzz-long deps-san

deps-san:
	@sh tests/deps.sh $(DEB_SAN)

sanitize: deps deps-san
	@$(MAKE) --no-print-directory asan
	@$(MAKE) --no-print-directory tsan

asan: deps-san
	@$(MAKE) --no-print-directory build/asan/strangerd \
	    $(SAN_CTL:%=build/asan/%) $(UNIT_TESTS:%=build/asan/%)
	@rm -rf build/asan/log && mkdir -p build/asan/log
	@for t in $(UNIT_TESTS); do echo "== asan $$t"; \
	    $(call SAN_ENV,asan) ./build/asan/$$t || \
	    { sh tests/fuzz/san-logs.sh build/asan/log; exit 1; }; done
	$(call SAN_ENV,asan) STRANGERD=$(CURDIR)/build/asan/strangerd \
	    $(SAN_CTL:%=STRANGERCTL=$(CURDIR)/build/asan/%) \
	    STRANGERD_TEST_TIMEOUT=10 $(PYTHON) tests/integration/run.py; \
	    rc=$$?; sh tests/fuzz/san-logs.sh build/asan/log || rc=1; exit $$rc

tsan: deps-san
	@$(MAKE) --no-print-directory build/tsan/strangerd
	@rm -rf build/tsan/log && mkdir -p build/tsan/log
	$(call SAN_ENV,tsan) STRANGERD=$(CURDIR)/build/tsan/strangerd \
	    STRANGERD_TEST_TIMEOUT=20 $(PYTHON) tests/integration/run.py; \
	    rc=$$?; sh tests/fuzz/san-logs.sh build/tsan/log || rc=1; exit $$rc

fuzz-build: deps-san
	@$(MAKE) --no-print-directory $(FUZZERS:%=build/fuzz/%)

# Ten million executions of each harness, one at a time (long).
fuzz-long: fuzz-build
	sh tests/fuzz/long.sh

fuzz: fuzz-build
	@for f in $(FUZZERS); do \
	    name=$${f#fuzz-}; mkdir -p build/fuzz/corpus/$$name; \
	    echo "== $$f ($(FUZZ_TIME)s)"; \
	    ./build/fuzz/$$f -max_total_time=$(FUZZ_TIME) -print_final_stats=1 \
	        -artifact_prefix=build/fuzz/$$f- \
	        build/fuzz/corpus/$$name \
	        $$(ls -d tests/fuzz/corpus/$$name 2>/dev/null) || exit 1; \
	done

# The programs, every manual page, the example configuration and the
# systemd unit with the installed path of the daemon.  Nothing is put in
# /etc: copy the example to /etc/strangerd.conf to use it.
install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man5 \
	    $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(EXAMPLEDIR) \
	    $(DESTDIR)$(SYSTEMDDIR)
	install -m 0755 strangerd strangerctl $(DESTDIR)$(SBINDIR)
	install -m 0644 $(wildcard man/*.5) $(DESTDIR)$(MANDIR)/man5
	install -m 0644 $(wildcard man/*.8) $(DESTDIR)$(MANDIR)/man8
	install -m 0644 contrib/strangerd.conf contrib/strangerd.service \
	    $(DESTDIR)$(EXAMPLEDIR)
	sed 's|/usr/local/sbin/strangerd|$(SBINDIR)/strangerd|' \
	    contrib/strangerd.service > $(DESTDIR)$(SYSTEMDDIR)/strangerd.service
	chmod 0644 $(DESTDIR)$(SYSTEMDDIR)/strangerd.service

clean:
	rm -f strangerd strangerctl src/*.o src/*.d tests/unit/*.d .cflags \
	    $(UNIT_TESTS) bench/loadgen bench/ssh-crypto
	rm -rf build
