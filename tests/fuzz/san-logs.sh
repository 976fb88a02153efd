#!/bin/sh
# Fail if a sanitizer wrote a report under the directory given (the
# log_path of ASAN_OPTIONS, UBSAN_OPTIONS and TSAN_OPTIONS), showing it.
# Used by make sanitize and make tsan: a report from a daemon that a
# test then killed would otherwise go unnoticed.
set -u
dir=$1
found=0
for f in "$dir"/*; do
	[ -s "$f" ] || continue
	echo "== sanitizer report: $f" >&2
	cat "$f" >&2
	found=1
done
if [ "$found" -ne 0 ]; then
	echo "sanitizer reports found in $dir" >&2
	exit 1
fi
echo "no sanitizer reports in $dir"
