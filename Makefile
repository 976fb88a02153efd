# strangerd: anonymous text chat between strangers over SSH and telnet.
#
#   make          build ./strangerd and ./strangerctl
#   make run      install missing packages, build, run on 127.0.0.1:2222/2323
#   make check    install missing packages, build, run every test
#   make install  PREFIX, DESTDIR and MANDIR are honoured

PREFIX	?= /usr/local
SBINDIR	?= $(PREFIX)/sbin
MANDIR	?= $(PREFIX)/share/man
DESTDIR	?=

CC	?= cc
PYTHON	 = /usr/bin/python3
PKGS	 = libevent_core libevent_pthreads libssh libtelnet sqlite3 tinfo liburcu-cds

WARN	 = -Wall -Wextra -Wformat=2 -Wshadow -Wmissing-prototypes \
	   -Wstrict-prototypes
CFLAGS	?= -O2 -g
CFLAGS	+= -std=gnu11 -D_GNU_SOURCE -pthread $(WARN) $(WERROR) -Iinclude \
	   $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS	+= $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread

# Modules that do no I/O: unit tests and fuzzers link them alone.
PURE_OBJS = src/xmalloc.o src/log.o src/utf8.o src/sanitize.o src/input.o \
	    src/render-term.o \
	    src/editor.o src/screen.o src/render.o src/match-pool.o src/limit.o \
	    src/interests.o src/nudge.o

DAEMON_OBJS = $(PURE_OBJS) src/inbox.o src/worker.o \
	    src/session.o src/view.o src/telnet.o src/ssh.o src/ssh-hostkey.o \
	    src/match.o src/rules.o src/strangerd.o

CTL_OBJS = src/strangerctl.o

UNIT_TESTS = tests/unit/test-sanitize tests/unit/test-input \
	     tests/unit/test-editor tests/unit/test-render \
	     tests/unit/test-match-pool tests/unit/test-limit \
	     tests/unit/test-nudge tests/unit/test-interests

# Packages needed to build, and further ones needed to test.
DEB_BUILD = gcc make pkg-config libevent-dev libssh-dev libtelnet-dev \
	    libsqlite3-dev libncurses-dev liburcu-dev
DEB_TEST  = libcmocka-dev libvterm-dev python3 python3-pyte python3-asyncssh \
	    inetutils-telnet netcat-openbsd openssh-client mandoc

.PHONY: all run check unit integration deps deps-build clean lint

all: strangerd strangerctl

strangerd: $(DAEMON_OBJS)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(DAEMON_OBJS) $(LDLIBS)

strangerctl: $(CTL_OBJS)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(CTL_OBJS) $(LDLIBS)

src/%.o: src/%.c include/strangerd.h
	$(CC) $(CFLAGS) -c -o $@ $<

tests/unit/test-%: tests/unit/test-%.c $(PURE_OBJS)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(PURE_OBJS) $(LDLIBS) -lcmocka

# The renderer's test reads its output back through libvterm.
tests/unit/test-render: tests/unit/test-render.c $(PURE_OBJS)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(PURE_OBJS) $(LDLIBS) -lcmocka \
	    -lvterm

# Install what is missing with apt-get, as root or through sudo.
deps:
	@sh tests/deps.sh $(DEB_BUILD) $(DEB_TEST)

deps-build:
	@sh tests/deps.sh $(DEB_BUILD)

run: deps-build
	@$(MAKE) --no-print-directory all
	./strangerd -f -d var -s 127.0.0.1:2222 -t 127.0.0.1:2323

check: deps
	@$(MAKE) --no-print-directory WERROR=-Werror all $(UNIT_TESTS)
	@$(MAKE) --no-print-directory unit integration

unit: $(UNIT_TESTS)
	@for t in $(UNIT_TESTS); do echo "== $$t"; ./$$t || exit 1; done

integration: all
	$(PYTHON) tests/integration/run.py

lint:
	mandoc -Tlint -Wwarning man/*.[0-9]

clean:
	rm -f strangerd strangerctl src/*.o $(UNIT_TESTS)
