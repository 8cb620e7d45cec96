#!/usr/bin/env bash
# The style checks themselves (docs/contributing.md): scripts/checksrc finds
# each kind of finding, with file:line, and passes clean code; `make
# format-check` fails on a file clang-format would change (at any depth
# under the programs' folders) and passes after `make format`. Runs on a
# scratch tree holding a copy of the Makefile, .clang-format and the script.
set -euo pipefail
src=${ROTA_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
tmp=$(mktemp -d /tmp/rota-test-style.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() {
	echo "FAIL: $*" >&2
	exit 1
}

mkdir -p "$tmp/scripts" "$tmp/common/widget" "$tmp/coordinator/store" \
	"$tmp/coordinator/incidents" "$tmp/worker" "$tmp/cli" "$tmp/tests/unit" \
	"$tmp/tests/tools" "$tmp/tests/fuzz"
cp "$src/scripts/checksrc" "$tmp/scripts/"
cp "$src/Makefile" "$src/.clang-format" "$tmp/"

# Clean code: passes.
cat >"$tmp/common/gadget.c" <<'C'
/* gadget: a module named for its noun. */
#include <stdio.h>

static int
helper(int x)
{
	return x + 1; /* strcpy( in a comment is no finding */
}

int
gadget_turn(int x)
{
	const char *s = "sprintf(in a string) is no finding either";
	(void)s;
	return helper(x);
}

int
main(void)
{
	return gadget_turn(0);
}
C
# A module split into a folder: the folder's name is the prefix.
cat >"$tmp/common/widget/parts.c" <<'C'
int
widget_parts_count(void)
{
	return 0;
}

int
parts_count(void)
{
	return 1;
}
C
# A room's own headers, and another room's public header.
cat >"$tmp/coordinator/incidents/pager.c" <<'C'
#include "pager.h"
#include "store/store.h"

int
pager_ring(void)
{
	return 0;
}
C
out=$(sh "$tmp/scripts/checksrc" common/gadget.c common/widget/parts.c \
	coordinator/incidents/pager.c) || fail "clean files refused: $out"

# Every kind of finding, each with its file and line.
cat >"$tmp/worker/bad.c" <<'C'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
bad_copy(char *d, const char *s)
{
	strcpy(d, s);
	return atoi(s);
}

int
other_name(void)
{
	char b[8];
	sprintf(b, "%d", 1);
	return 0;
}
C
cat >"$tmp/coordinator/incidents/peek.c" <<'C'
#include "store/store_internal.h"
C
awk 'BEGIN { for (i = 0; i < 901; i++) print "/* line */" }' >"$tmp/cli/long.c"
if out=$(sh "$tmp/scripts/checksrc" worker/bad.c coordinator/incidents/peek.c cli/long.c \
	2>&1); then
	fail "bad files passed: $out"
fi
for want in "worker/bad.c:8: banned function strcpy()" \
	"worker/bad.c:9: banned function atoi()" \
	"worker/bad.c:16: banned function sprintf()" \
	"worker/bad.c:13: function other_name() is not static and not named bad_" \
	"coordinator/incidents/peek.c:1: includes \"store/store_internal.h\"" \
	"cli/long.c:901: 901 lines, over 900"; do
	grep -qF "$want" <<<"$out" || fail "no '$want' in: $out"
done
grep -q "bad_copy" <<<"$out" && fail "bad_copy is named for its module: $out"

# The tree's own exceptions, while there are any: a file in LONG_FILES is a
# note, and strict mode makes it a finding.
long=$(sed -n '/^LONG_FILES="/,/^"/p' "$src/scripts/checksrc" | sed '1d;$d' | head -n 1)
if [ -n "$long" ]; then
	mkdir -p "$tmp/$(dirname "$long")"
	awk 'BEGIN { for (i = 0; i < 901; i++) print "/* line */" }' >"$tmp/$long"
	out=$(sh "$tmp/scripts/checksrc" "$long") || fail "LONG_FILES entry refused: $out"
	grep -q "note: 901 lines" <<<"$out" || fail "no note for a LONG_FILES entry: $out"
	if ROTA_CHECKSRC_LINES=strict sh "$tmp/scripts/checksrc" "$long" >/dev/null 2>&1; then
		fail "strict mode passed a long file"
	fi
	rm -f "$tmp/$long"
fi
rm "$tmp/worker/bad.c" "$tmp/coordinator/incidents/peek.c" \
	"$tmp/cli/long.c"

# make format-check: clang-format's verdict over every folder, at any depth.
if ! command -v clang-format >/dev/null; then
	echo "checksrc: ok; format-check: clang-format is not installed, skipped"
	exit 77
fi
make -s -C "$tmp" format-check >/dev/null || fail "format-check refused formatted files"
printf 'int\ndeep_x(void)\n{\n  return 0;   }\n' >"$tmp/coordinator/store/deep.c"
if out=$(make -s -C "$tmp" format-check 2>&1); then
	fail "format-check passed a misformatted file: $out"
fi
grep -q "coordinator/store/deep.c" <<<"$out" || fail "format-check did not name the file: $out"
make -s -C "$tmp" format >/dev/null
make -s -C "$tmp" format-check >/dev/null || fail "format-check refused what make format wrote"
grep -qP '^\treturn 0;$' "$tmp/coordinator/store/deep.c" || fail "make format did not format"
echo "style checks: ok"
