#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Host tests of the layerctl command line: usage, exit codes, messages,
# and inspect on stores built by mkstore. No kernel access: nothing here
# opens /dev/layerfs, loads a module or mounts.
#
# usage: cli_test.sh LAYERCTL MKSTORE        (prints TAP)

LAYERCTL=$(realpath "${1:?layerctl}")
MKSTORE=$(realpath "${2:?mkstore}")
TMP=$(mktemp -d /tmp/layerctl-cli.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

n=0
failed=0
passed=0

ok() {
	n=$((n + 1))
	passed=$((passed + 1))
	echo "ok $n $1"
}

not_ok() {
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n $1"
	sed 's/^/# /' "$TMP/out" "$TMP/err" 2>/dev/null
}

skip() {
	n=$((n + 1))
	passed=$((passed + 1))
	echo "ok $n $1 # SKIP $2"
}

# run EXPECTED_RC CMD...: output in $TMP/out and $TMP/err
run() {
	want=$1
	shift
	"$@" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	[ "$rc" -eq "$want" ] || {
		echo "# exit status $rc, expected $want: $*"
		return 1
	}
}

# check NAME EXPECTED_RC [--out TEXT] [--err TEXT] -- CMD...
check() {
	name=$1
	want=$2
	shift 2
	out='' err=''
	while [ "$1" != -- ]; do
		case $1 in
		--out) out=$2 ;;
		--err) err=$2 ;;
		esac
		shift 2
	done
	shift
	if run "$want" "$@" &&
	   { [ -z "$out" ] || grep -qF -- "$out" "$TMP/out"; } &&
	   { [ -z "$err" ] || grep -qF -- "$err" "$TMP/err"; }; then
		ok "$name"
	else
		not_ok "$name"
	fi
}

echo "TAP version 13"

check "help goes to stdout and exits 0" 0 --out "Usage:" -- \
	"$LAYERCTL" --help
check "help after a command is that command's" 0 --out "layerctl [options] inspect [--json]" -- \
	"$LAYERCTL" inspect --help
check "a command's help shows each of its forms" 0 --out "mount CONTAINER MNT" -- \
	"$LAYERCTL" mount -h
check "help COMMAND" 0 --out "layerctl [options] layers --all" -- \
	"$LAYERCTL" help layers
check "help of an unknown command" 1 --err "unknown command 'frob'" -- \
	"$LAYERCTL" help frob
check "the help lists how to get a command's" 0 --out "<command> --help' shows one command" -- \
	"$LAYERCTL" --help
# A command's help has its own options and the common ones, no other.
if run 0 "$LAYERCTL" stats --help && grep -qF -- "--watch <secs>" "$TMP/out" &&
   grep -qF -- "--root <dir>" "$TMP/out" && ! grep -qF -- "--upper" "$TMP/out" &&
   ! grep -qF "Commands:" "$TMP/out"; then
	ok "a command's help lists its options only"
else
	not_ok "a command's help lists its options only"
fi
check "--watch takes digits only" 1 --err "--watch takes a number from 1 to 86400, not '2x'" -- \
	"$LAYERCTL" stats --watch 2x
check "--watch 0 is refused" 1 --err "not '0'" -- "$LAYERCTL" stats --watch 0
check "--count -1 is refused" 1 --err "--count takes a number from 1 to" -- \
	"$LAYERCTL" monitor --count -1
check "--count with a sign is refused" 1 --err "not '+3'" -- \
	"$LAYERCTL" monitor --count +3
check "--ready-fd takes a number" 1 --err "--ready-fd takes a number" -- \
	"$LAYERCTL" monitor --ready-fd 3x
check "help says umount detaches lazily" 0 --out "lazily (MNT_DETACH)" -- \
	"$LAYERCTL" --help
check "help says --json is for programs" 0 --out "for programs" -- \
	"$LAYERCTL" --help
check "version" 0 --out "layerctl " -- "$LAYERCTL" --version
check "no command says how to get help" 1 --err "Try 'layerctl --help'" -- \
	"$LAYERCTL"
check "unknown command" 1 --err "unknown command 'frob'" -- \
	"$LAYERCTL" frob
check "unknown option" 1 --err "Try 'layerctl --help'" -- \
	"$LAYERCTL" inspect --frob x
check "inspect needs an argument" 1 --err "Try" -- "$LAYERCTL" inspect
check "--upper without --work" 1 --err "go together" -- \
	"$LAYERCTL" mount --upper /tmp demo /mnt
check "--rootless is an option of mount" 1 --err "--rootless are options of mount" -- \
	"$LAYERCTL" --rootless images
check "mount --help shows --rootless" 0 --out "without the registry" -- \
	"$LAYERCTL" mount --help
check "--json is not an option of rm" 1 --err "--json" -- \
	"$LAYERCTL" rm --json X
check "explain needs a PATH" 1 --err "explain needs a PATH" -- \
	"$LAYERCTL" explain
check "explain of what is not layerfs says so" 1 \
	--err "$TMP: not on a layerfs mount" -- "$LAYERCTL" explain "$TMP"
check "explain of a missing directory names it" 1 \
	--err "$TMP/nodir: No such file" -- "$LAYERCTL" explain "$TMP/nodir/x"
check "explain --help shows --all" 0 --out "every layer's version" -- \
	"$LAYERCTL" explain --help
check "--reset is not an option of explain" 1 --err "--reset" -- \
	"$LAYERCTL" explain --reset "$TMP"
check "rm refuses an invalid name" 1 --err "not a layer name" -- \
	"$LAYERCTL" rm ../x
check "mount on a missing mount point fails before the kernel" 1 \
	--err "$TMP/nomnt: No such file" -- "$LAYERCTL" mount demo "$TMP/nomnt"
check "missing data root names it" 2 --err "$TMP/nope: No such file" -- \
	"$LAYERCTL" --root "$TMP/nope" inspect demo
check "umount of something that is not layerfs" 3 --err "not a layerfs mount" -- \
	"$LAYERCTL" umount "$TMP"

# layerctl(8) documents every command and option --help shows, and the
# other way round: the COMMANDS entries and the SYNOPSIS options of each
# command against `layerctl --help` and `layerctl CMD --help`.
MAN=$(dirname "$MKSTORE")/../Documentation/layerctl.8
for c in $("$LAYERCTL" --help | sed -n '/^Commands:/,/^Options/s/^ \([a-z]*\) .*/\1/p;/^Commands:/,/^Options/s/^ \([a-z]*\)$/\1/p' | sort -u); do
	"$LAYERCTL" "$c" --help >"$TMP/help.$c" 2>&1
done
if python3 - "$MAN" "$TMP" <<'EOF' >"$TMP/out" 2>&1
import glob, os, re, sys
man = open(sys.argv[1]).read()
tmp = sys.argv[2]
def sect(name):
    m = re.search(r'^\.SH %s\n(.*?)^\.SH ' % name, man, re.S | re.M)
    return m.group(1)
def opts(text):
    return set(re.findall(r'--[a-z][a-z-]*', text.replace('\\-', '-')))
# COMMANDS: the first word after each .TP
documented = set()
lines = sect('COMMANDS').splitlines()
for i, l in enumerate(lines):
    if l == '.TP' and i + 1 < len(lines):
        w = re.sub(r'^\.B[IR]? ', '', lines[i + 1]).replace('"', ' ').split()
        if w:
            documented.add(w[0])
# SYNOPSIS: the options of each command's forms
syn = {}
for block in sect('SYNOPSIS').split('.br\n'):
    words = re.findall(r'^\.B (?:layerctl )?([a-z]+)', block, re.M)
    words = [w for w in words if w != 'layerctl']
    if words:
        syn.setdefault(words[0], set()).update(opts(block))
allopts = opts(sect('OPTIONS'))
bad = []
cmds = set()
for f in glob.glob(os.path.join(tmp, 'help.*')):
    c = f.rsplit('.', 1)[1]
    cmds.add(c)
    h = open(f).read()
    usage = ''.join(l for l in h.splitlines(True) if l.startswith(' layerctl '))
    want = opts(usage)
    if c not in documented:
        bad.append('%s: no entry in COMMANDS' % c)
    if syn.get(c, set()) != want:
        bad.append('%s: SYNOPSIS has %s, --help %s' % (c, sorted(syn.get(c, set())), sorted(want)))
    rows = ''.join(l for l in h.splitlines(True) if re.match(r'^ +-', l))
    for o in opts(rows) - allopts:
        bad.append('%s --help: %s is not in OPTIONS' % (c, o))
for c in documented - cmds:
    bad.append('%s: in COMMANDS, not in --help' % c)
print('\n'.join(bad))
sys.exit(1 if bad else 0)
EOF
then ok "layerctl.8 and --help agree on every command and option"
else not_ok "layerctl.8 and --help agree on every command and option"; fi

# A containers/storage overlay store (podman 4.3's layout), written here
# (no root needed): three layers, an image, a container on it.
CS=$TMP/cs
cs_layer() { # ID LINK [LOWER]
	mkdir -p "$CS/overlay/$1/diff" "$CS/overlay/$1/work" "$CS/overlay/l"
	printf %s "$2" >"$CS/overlay/$1/link"
	ln -s "../$1/diff" "$CS/overlay/l/$2"
	[ -z "$3" ] || printf %s "$3" >"$CS/overlay/$1/lower"
}
CS_IMG=fddac831e1f83431e857a12c562f33274a71391498493ffd70ba3e9513283b26
CS_L0=d31938029373e876794b6ffe71bf72b085508f2ae0b97af1988d075579633190
CS_L1=f969103ecda0a64c543791a83479c1c4827869206b5252035bb8167e5d27c44d
CS_L2=ef2e868d6352c824b3d39bcda880a2f013d99fc26e7aefd940b284be6590ae96
CS_D1=a246ca1341c8816247ae7b3623d2ab12fd0dfcc4830e3b57b4edb843ef69df34
CS_D2=863b9c5d78ebb9afebd18e700da4b3550e0d9cbecf3af8cd714bb8e915170764
CS_RW=$(printf c1-layer | sha256sum | cut -c1-64)
CS_CID=$(printf c1 | sha256sum | cut -c1-64)
cs_layer $CS_L0 WUEUGJICV6SZCP2WC7VCB4PGOJ
cs_layer $CS_L1 USDMMQ3TFNJ3RD6YMUC65DUPUS l/WUEUGJICV6SZCP2WC7VCB4PGOJ
cs_layer $CS_L2 O4HNQQ4IOD77YRX6SW4O6ET5ZF \
	l/USDMMQ3TFNJ3RD6YMUC65DUPUS:l/WUEUGJICV6SZCP2WC7VCB4PGOJ
cs_layer "$CS_RW" NTVNCYD6S3LLTJDKDEOGKINUPG \
	l/O4HNQQ4IOD77YRX6SW4O6ET5ZF:l/USDMMQ3TFNJ3RD6YMUC65DUPUS:l/WUEUGJICV6SZCP2WC7VCB4PGOJ
mkdir -p "$CS/overlay-layers" "$CS/overlay-images" "$CS/overlay-containers"
cat >"$CS/overlay-layers/layers.json" <<EOF
[{"id":"$CS_L0","diff-digest":"sha256:$CS_L0","diff-size":1000},
{"id":"$CS_L1","parent":"$CS_L0","diff-digest":"sha256:$CS_D1","diff-size":2000},
{"id":"$CS_L2","parent":"$CS_L1","diff-digest":"sha256:$CS_D2","diff-size":3000},
{"id":"$CS_RW","parent":"$CS_L2","names":["c1-layer"]}]
EOF
cat >"$CS/overlay-images/images.json" <<EOF
[{"id":"$CS_IMG","names":["localhost/demo:latest"],"layer":"$CS_L2"}]
EOF
cat >"$CS/overlay-containers/containers.json" <<EOF
[{"id":"$CS_CID","names":["c1"],"image":"$CS_IMG","layer":"$CS_RW"}]
EOF
check "a containers/storage image by its short name" 0 \
	--out "chain  sha256:2151ece55f5ad2af597fbae7d1a147f05ed901d07e4f12f02fa353d6e9ce5d80" -- \
	"$LAYERCTL" --root "$CS" inspect demo
check "a containers/storage image by its name as stored" 0 \
	--out "reference  localhost/demo:latest" -- \
	"$LAYERCTL" --root "$CS" inspect localhost/demo:latest
check "a containers/storage container: its layer is the upper" 0 \
	--out "upper      $CS/overlay/$CS_RW/diff" -- \
	"$LAYERCTL" --root "$CS" inspect c1
check "images of a containers/storage store" 0 --out "localhost/demo:latest" -- \
	"$LAYERCTL" --root "$CS" images
check "ps of a containers/storage store" 0 --out "c1" -- \
	"$LAYERCTL" --root "$CS" ps
check "--store containers names the kind of the root" 0 \
	--out "O4HNQQ4IOD77YRX6SW4O6ET5ZF" -- \
	"$LAYERCTL" --root "$CS" --store containers inspect demo
check "--store docker reads a containers/storage root as Docker's" 2 \
	--err "no such image or container in $CS" -- \
	"$LAYERCTL" --root "$CS" --store docker inspect demo
check "--store takes a known kind" 1 --err "--store takes docker" -- \
	"$LAYERCTL" --root "$CS" --store zfs inspect demo
mkdir -p "$TMP/nostore"
check "a root of no known kind names what was looked for" 2 \
	--err "$TMP/nostore: no store of a known kind" -- \
	"$LAYERCTL" --root "$TMP/nostore" inspect demo
mkdir -p "$TMP/ctrd/io.containerd.metadata.v1.bolt"
: >"$TMP/ctrd/io.containerd.metadata.v1.bolt/meta.db"
check "a containerd root is told apart" 2 --err "$TMP/ctrd" -- \
	"$LAYERCTL" --root "$TMP/ctrd" -n moby inspect demo
ln -sfn /etc "$CS/overlay/l/USDMMQ3TFNJ3RD6YMUC65DUPUS"
check "a containers/storage l/ link out of the store is refused" 2 \
	--err "$CS/overlay/l/USDMMQ3TFNJ3RD6YMUC65DUPUS: points to '/etc'" -- \
	"$LAYERCTL" --root "$CS" inspect demo
printf '[{"id":"..' >"$CS/overlay-layers/layers.json"
check "corrupt layers.json is refused naming it" 2 \
	--err "$CS/overlay-layers/layers.json: truncated JSON" -- \
	"$LAYERCTL" --root "$CS" images

if [ "$(id -u)" != 0 ]; then
	skip "mkstore demo store" "mkstore needs root (mknod, trusted xattrs)"
	echo "1..$n"
	echo "# $passed passed, $failed failed"
	[ "$failed" -eq 0 ]
	exit
fi

R=$TMP/store
if "$MKSTORE" --root "$R" --demo --container --save-tars "$TMP/tars" \
	--json >"$TMP/summary.json" 2>"$TMP/err"; then
	ok "mkstore builds the demo store"
else
	not_ok "mkstore builds the demo store"
fi

# Field of mkstore's summary: py EXPR (j is the summary).
py() {
	python3 -c "import json,sys; j=json.load(open('$TMP/summary.json')); print($1)"
}

CID=$(py "j['container']")
TOP=$(py "j['layers'][-1]['name']")
INIT=$(py "j['init']")

check "inspect by name" 0 --out "top layer  $TOP" -- \
	"$LAYERCTL" --root "$R" inspect demo
check "inspect by name:tag, options after the command" 0 --out "$TOP" -- \
	"$LAYERCTL" inspect demo:latest --root "$R"

"$LAYERCTL" --root "$R" inspect --json demo >"$TMP/inspect.json" 2>"$TMP/err"
if python3 - "$TMP/summary.json" "$TMP/inspect.json" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))
i = json.load(open(sys.argv[2]))
assert i['type'] == 'image' and i['id'] == s['image'], i['id']
assert i['reference'] == 'demo:latest'
assert len(i['layers']) == len(s['layers']) == 3
for a, b in zip(i['layers'], s['layers']):
    for k in ('name', 'diff_id', 'chain_id', 'cache_id'):
        assert a[k] == b[k], (k, a[k], b[k])
assert i['layers'][0]['parent'] is None
assert i['layers'][2]['parent'] == s['layers'][1]['name']
EOF
then ok "inspect --json agrees with mkstore"; else not_ok "inspect --json agrees with mkstore"; fi

"$LAYERCTL" --root "$R" inspect --json "$(echo "$CID" | cut -c1-10)" \
	>"$TMP/ctr.json" 2>"$TMP/err"
if python3 - "$TMP/ctr.json" "$INIT" "$TOP" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1]))
assert c['type'] == 'container'
assert len(c['layers']) == 4
assert c['layers'][-1]['init'] and c['layers'][-1]['name'] == sys.argv[2]
assert c['layers'][-1]['parent'] == sys.argv[3]
assert c['top'] == sys.argv[2]
assert c['upperdir'].endswith('/overlay2/%s/diff' % c['mount_id'])
EOF
then ok "inspect a container by ID prefix"; else not_ok "inspect a container by ID prefix"; fi

check "inspect a container by its name" 0 --out "$INIT" -- \
	"$LAYERCTL" --root "$R" inspect demo-container
check "images lists the demo image with its reference" 0 \
	--out "demo:latest" -- "$LAYERCTL" --root "$R" images
check "ps lists the container by name" 0 --out "demo-container" -- \
	"$LAYERCTL" --root "$R" ps
"$LAYERCTL" --root "$R" images --json >"$TMP/images.json" 2>"$TMP/err"
"$LAYERCTL" --root "$R" ps --json >"$TMP/ps.json" 2>"$TMP/err"
if python3 - "$TMP/summary.json" "$TMP/images.json" "$TMP/ps.json" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))
i = json.load(open(sys.argv[2]))
p = json.load(open(sys.argv[3]))
assert len(i) == 1 and i[0]['id'] == s['image'], i
assert i[0]['references'] == 'demo:latest' and i[0]['layers'] == 3, i
assert i[0]['top_layer'] == s['layers'][-1]['name'], i
assert i[0]['size'] > 0 and i[0]['created'], i
assert len(p) == 1 and p[0]['id'] == s['container'], p
assert p[0]['name'] == 'demo-container' and p[0]['state'] == 'created', p
assert p[0]['image'] == s['image'] and p[0]['image_ref'] == 'demo:latest', p
assert p[0]['init_layer'] == s['init'] and p[0]['mount_id'] == s['mount_id'], p
assert p[0]['layers'] == 4, p
EOF
then ok "images and ps --json agree with mkstore"; else not_ok "images and ps --json agree with mkstore"; fi

R2=$TMP/store2
"$MKSTORE" --root "$R2" --demo --container --name demo >/dev/null 2>"$TMP/err"
check "a container named like an image is ambiguous" 2 --err "ambiguous" -- \
	"$LAYERCTL" --root "$R2" inspect demo
check "... unless the reference says more" 0 --out "demo:latest" -- \
	"$LAYERCTL" --root "$R2" inspect demo:latest

IMG=$(py "j['image'][7:]")
check "inspect by image ID prefix" 0 --out "image      sha256:$IMG" -- \
	"$LAYERCTL" --root "$R" inspect "sha256:$(echo "$IMG" | cut -c1-12)"
check "unknown image" 2 --err "no such image or container" -- \
	"$LAYERCTL" --root "$R" inspect nosuch

# A second image on the same lower layers shares them.
"$MKSTORE" --root "$R" --tag demo2:v1 "$TMP/tars/base.tar" \
	"$TMP/tars/update.tar" >/dev/null 2>"$TMP/err"
"$LAYERCTL" --root "$R" inspect --json demo2:v1 >"$TMP/demo2.json" 2>"$TMP/err"
if python3 - "$TMP/summary.json" "$TMP/demo2.json" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))
d = json.load(open(sys.argv[2]))
assert [l['name'] for l in d['layers']] == \
    [l['name'] for l in s['layers'][:2]]
EOF
then ok "a second image shares the lower layers"; else not_ok "a second image shares the lower layers"; fi

check "layers without the module lists nothing" 0 --out "NAME" -- \
	"$LAYERCTL" --root "$R" layers
check "layers of a chain shows what is not registered" 0 \
	--out "not registered" -- "$LAYERCTL" --root "$R" layers demo

# Break the store: every refusal names the file and exits 2.
CHAIN=$(py "j['layers'][1]['chain_id'][7:]")
F=image/overlay2/layerdb/sha256/$CHAIN/cache-id
cp "$R/$F" "$TMP/cache-id"
printf '../../etc' >"$R/$F"
check "cache-id traversal is refused naming the file" 2 --err "$R/$F" -- \
	"$LAYERCTL" --root "$R" inspect demo
check "a store with a bad layer cannot be listed" 2 --err "$R/$F" -- \
	"$LAYERCTL" --root "$R" layers
cp "$TMP/cache-id" "$R/$F"

L=overlay2/l/$TOP
mv "$R/$L" "$TMP/link"
ln -s /etc "$R/$L"
check "l/ symlink out of the root is refused" 2 --err "$R/$L: points to '/etc'" -- \
	"$LAYERCTL" --root "$R" inspect demo
rm "$R/$L"
mv "$TMP/link" "$R/$L"
check "the repaired store is accepted" 0 -- "$LAYERCTL" --root "$R" inspect demo

echo "1..$n"
echo "# $passed passed, $failed failed"
[ "$failed" -eq 0 ]
