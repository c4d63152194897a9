#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The bbolt reader against Go's bbolt itself (Debian's golang-go and
# golang-github-coreos-bbolt-dev, go.etcd.io/bbolt 1.3.6): databases that
# bbolt writes at page sizes of 1, 4 and 16 KiB, with and without a
# freelist, must dump the same through both; with meta page 0 zeroed the
# same from meta page 1; and a reader beside a bbolt writer that commits
# all the time (holding its flock) must see only consistent snapshots.
# Skipped, saying why, without Go or bbolt.
#
# usage: bbolt_go_test.sh BBOLT_DUMP GO_SOURCE_DIR BUILD_DIR   (prints TAP)

DUMP=$(realpath "${1:?bbolt_dump}")
SRC=$(realpath "${2:?Go source directory}")
BUILD=${3:?build directory}
GOPATH=/usr/share/gocode
BBOLT_GO=$BUILD/bbolt_go

n=0
failed=0

ok() {
	n=$((n + 1))
	echo "ok $n $1"
}

not_ok() {
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n $1"
	sed 's/^/# /' "$BUILD/err" 2>/dev/null
}

echo "TAP version 13"
if ! command -v go >/dev/null || [ ! -d "$GOPATH/src/go.etcd.io/bbolt" ]; then
	echo "1..0 # SKIP needs golang-go and golang-github-coreos-bbolt-dev"
	exit 0
fi
mkdir -p "$BUILD" || exit 1
BUILD=$(realpath "$BUILD")
echo "1..7"

if (cd "$SRC" && GOPATH=$GOPATH GO111MODULE=off GOFLAGS=-p=1 \
	GOCACHE="$BUILD/cache" go build -o "$BBOLT_GO" .) 2>"$BUILD/err"; then
	ok "bbolt_go builds against go.etcd.io/bbolt"
else
	not_ok "bbolt_go builds against go.etcd.io/bbolt"
	exit 1
fi

# same NAME FILE: both dumps of FILE are the same
same() {
	if "$BBOLT_GO" dump "$2" >"$BUILD/go.txt" 2>"$BUILD/err" &&
	   "$DUMP" "$2" >"$BUILD/c.txt" 2>>"$BUILD/err" &&
	   cmp -s "$BUILD/go.txt" "$BUILD/c.txt"; then
		ok "$1 ($(wc -l <"$BUILD/c.txt") lines)"
	else
		diff "$BUILD/go.txt" "$BUILD/c.txt" | head -n 20 >>"$BUILD/err"
		not_ok "$1"
	fi
}

for psize in 1024 4096 16384; do
	"$BBOLT_GO" build "$BUILD/$psize.db" "$psize" 2>"$BUILD/err"
	same "page size $psize: the same buckets, values and sequences" \
		"$BUILD/$psize.db"
done
"$BBOLT_GO" build "$BUILD/nofreelist.db" 4096 nofreelist 2>"$BUILD/err"
same "no freelist page (NoFreelistSync)" "$BUILD/nofreelist.db"

# Meta 0 zeroed: bbolt itself then cannot open the file read-only with
# its page size unknown, so compare with the dump of the intact file,
# without the txid line (meta 1 may be the older one).
cp "$BUILD/1024.db" "$BUILD/meta1.db"
dd if=/dev/zero of="$BUILD/meta1.db" bs=1024 count=1 conv=notrunc 2>/dev/null
"$BBOLT_GO" dump "$BUILD/1024.db" 2>"$BUILD/err" | tail -n +2 >"$BUILD/go.txt"
if "$DUMP" "$BUILD/meta1.db" 2>>"$BUILD/err" | tail -n +2 >"$BUILD/c.txt" &&
   cmp -s "$BUILD/go.txt" "$BUILD/c.txt"; then
	ok "meta page 0 zeroed: page size and tree from meta page 1"
else
	not_ok "meta page 0 zeroed: page size and tree from meta page 1"
fi

"$BBOLT_GO" build "$BUILD/live.db" 4096 2>"$BUILD/err"
"$BBOLT_GO" write "$BUILD/live.db" 6 >"$BUILD/commits" 2>>"$BUILD/err" &
writer=$!
sleep 1
if "$DUMP" --live 4 "$BUILD/live.db" >"$BUILD/live" 2>>"$BUILD/err"; then
	wait "$writer"
	ok "beside a committing writer: $(cat "$BUILD/live"), $(cat "$BUILD/commits") commits"
else
	kill "$writer" 2>/dev/null
	wait "$writer"
	not_ok "beside a committing writer"
fi

echo "# $((n - failed)) passed, $failed failed"
[ "$failed" -eq 0 ]
