#!/bin/sh
# Run make targets the way a new user meets them: in a fresh clone of
# this repository's committed HEAD (no build products, no untracked
# files, no empty directories git does not keep), each target in turn.
# Exit status: non-zero if any target failed; a summary line per target.
#
#   sh tests/fresh-clone.sh                  # the short targets
#   sh tests/fresh-clone.sh check sanitize   # any targets named
#
# The short targets are: all, lint, install (into a temporary DESTDIR),
# fuzz (FUZZ_TIME=2 s per harness).  KEEP=1 leaves the clone behind.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/strangerd-fresh.XXXXXX")
# Tests run strangerctl as nobody: the clone must be reachable by all.
chmod 755 "$tmp"
cleanup() {
	[ "${KEEP:-0}" = 1 ] && { echo "clone kept in $tmp/src"; return; }
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

git clone -q "$here" "$tmp/src" || exit 1
[ $# -eq 0 ] && set -- all lint install fuzz

rc=0
for target in "$@"; do
	log="$tmp/$target.log"
	start=$(date +%s)
	case "$target" in
	install)
		make -C "$tmp/src" install DESTDIR="$tmp/dest" >"$log" 2>&1 &&
		    test -x "$tmp/dest/usr/local/sbin/strangerd" ;;
	fuzz)
		make -C "$tmp/src" fuzz FUZZ_TIME="${FUZZ_TIME:-2}" \
		    >"$log" 2>&1 ;;
	*)
		make -C "$tmp/src" "$target" >"$log" 2>&1 ;;
	esac
	status=$?
	secs=$(($(date +%s) - start))
	if [ $status -eq 0 ]; then
		echo "ok   make $target (${secs}s)"
	else
		echo "FAIL make $target (${secs}s, exit $status); last lines:"
		tail -n 15 "$log" | sed 's/^/    /'
		rc=1
	fi
done
exit $rc
