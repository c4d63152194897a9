// SPDX-License-Identifier: GPL-2.0
/*
 * End to end with a real containerd (Debian's containerd 1.6, the
 * overlayfs snapshotter): the store layerctl reads is written by
 * containerd itself, as on a Kubernetes node or a Docker 29 host.
 *
 * The first test starts containerd with its own config on a tmpfs
 * (/run/layerfs-ctrd: root, state, socket; CRI off) and `ctr images
 * import`s the busybox demo image (mkstore --docker-save: three layers
 * with files, directories, symbolic and hard links, a fifo, an xattr,
 * .wh. whiteouts and a .wh..wh..opq opaque directory) into the namespaces
 * "default" and "moby"; containerd stays up for the following tests and
 * the last one stops it. Every test prepares its own active snapshot
 * (`ctr snapshots prepare`: a container's read-write layer; nothing is
 * run, so neither runc nor a network is needed).
 *
 * layerctl inspect must agree with `ctr images ls`, the content store
 * (manifest, config: diff IDs) and `ctr snapshots ls/info` (chain IDs,
 * parents, kinds); layerctl mounts of the image and of an active snapshot
 * must show the tree an overlay mount made from `ctr snapshots mounts`
 * shows; writes through a layerfs mount of an active snapshot must be
 * what `ctr snapshots diff` gives for the same writes through overlayfs;
 * the same in namespace "moby", as Docker 29's containerd image store
 * keeps it; a 200-layer image mounts. layerctl writes nothing into the
 * store: its files are listed with their hashes before and after.
 *
 * Needs root and containerd (scripts/setup installs it), and
 * LAYERFS_KO / LAYERCTL / MKSTORE as selftests/run sets them.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>
#include <json-c/json.h>

#include "kselftest_harness.h"
#include "harness.h"
#include "union.h"
#include "e2e.h"

#define E2E		"/run/layerfs-ctrd"
#define ROOT		E2E "/root"
#define SNAPS		ROOT "/io.containerd.snapshotter.v1.overlayfs/snapshots"
#define SOCK		E2E "/containerd.sock"
#define CONTAINERD	"/usr/bin/containerd"
#define CTR		"/usr/bin/ctr --address " SOCK
#define IMAGE		"docker.io/library/layerfs-ctrd:latest"
#define MANY		"docker.io/library/layerfs-many:latest"
#define MANY_LAYERS	200
#define MAX_LAYERS	256
#define LC		"%s --root " ROOT " -n %s"
#define TAR_TYPE	"application/vnd.oci.image.layer.v1.tar"
/* Only stdout in lu_out when the command succeeds, stderr too if not. */
#define QUIET		" 2>" E2E "/stderr || { cat " E2E "/stderr; exit 1; }"

/* ---- containerd -------------------------------------------------------- */

static bool ctrd_up(void)
{
	return RUN(CTR " version") == 0;
}

/* The config: everything on the tmpfs, only what the tests use. */
static const char config[] =
	"version = 2\n"
	"root = \"" ROOT "\"\n"
	"state = \"" E2E "/state\"\n"
	"disabled_plugins = [\"io.containerd.grpc.v1.cri\",\n"
	"  \"io.containerd.snapshotter.v1.aufs\",\n"
	"  \"io.containerd.snapshotter.v1.btrfs\",\n"
	"  \"io.containerd.snapshotter.v1.devmapper\",\n"
	"  \"io.containerd.snapshotter.v1.zfs\"]\n"
	"[grpc]\n"
	"  address = \"" SOCK "\"\n"
	"[ttrpc]\n"
	"  address = \"" E2E "/containerd.sock.ttrpc\"\n";

/*
 * Start containerd on a fresh tmpfs at E2E with its own config. 0, or -1
 * with the reason in @why.
 */
static int start_containerd(char *why, size_t len)
{
	int secs = 120 * lu_timeout_scale();
	FILE *f;
	int i;

	if (access(CONTAINERD, X_OK)) {
		snprintf(why, len, "%s missing (scripts/setup installs containerd)",
			 CONTAINERD);
		return -1;
	}
	RUN("grep -qw overlay /proc/filesystems || modprobe overlay");
	if ((mkdir(E2E, 0700) && errno != EEXIST) ||
	    mount("tmpfs", E2E, "tmpfs", 0, "mode=0700")) {
		snprintf(why, len, "tmpfs on %s: %s", E2E, strerror(errno));
		return -1;
	}
	f = fopen(E2E "/config.toml", "w");
	if (!f || fputs(config, f) == EOF || fclose(f)) {
		snprintf(why, len, "%s/config.toml: %s", E2E, strerror(errno));
		return -1;
	}
	if (RUN("setsid " CONTAINERD " --config " E2E "/config.toml"
		" >" E2E "/containerd.log 2>&1 </dev/null & echo $! >" E2E "/containerd.pid")) {
		snprintf(why, len, "containerd: %.600s", lu_out);
		return -1;
	}
	/* Poll until it answers: containerd has no readiness notification. */
	for (i = 0; i < 2 * secs && !ctrd_up(); i++)
		usleep(500000);
	if (!ctrd_up()) {
		RUN("tail -20 " E2E "/containerd.log");
		snprintf(why, len, "containerd did not answer in %d s: %.600s", secs, lu_out);
		return -1;
	}
	return 0;
}

static void stop_containerd(void)
{
	int secs = 60 * lu_timeout_scale();

	RUN("pid=$(cat " E2E "/containerd.pid); kill $pid; "
	    "for i in $(seq %d); do kill -0 $pid 2>/dev/null || break; sleep 1; done",
	    secs);
	umount2(E2E, MNT_DETACH);
}

/* ---- what containerd says ------------------------------------------------ */

/* A blob of the content store as JSON (ctr content get). */
static struct json_object *blob(const char *ns, const char *digest)
{
	return RUN_JSON(CTR " -n %s content get %s" QUIET, ns, digest);
}

/* The config digest of image @ref, through its target (and index). */
static int image_config(const char *ns, const char *ref, char *out, size_t len)
{
	struct json_object *m, *v, *c;
	char digest[128];

	if (RUN(CTR " -n %s images ls 2>/dev/null | awk '$1 == \"%s\" { print $3 }'", ns, ref) ||
	    strncmp(lu_chomp(), "sha256:", 7))
		return -1;
	P(digest, "%s", lu_out);
	m = blob(ns, digest);
	if (m && json_object_object_get_ex(m, "manifests", &v)) {
		P(digest, "%s", lu_jstr(json_object_array_get_idx(v, 0), "digest"));
		json_object_put(m);
		m = blob(ns, digest);
	}
	if (!m || !json_object_object_get_ex(m, "config", &c)) {
		json_object_put(m);
		return -1;
	}
	snprintf(out, len, "%s", lu_jstr(c, "digest"));
	json_object_put(m);
	return 0;
}

/* One snapshot of `ctr snapshots ls`. */
struct snap {
	char key[256];
	char parent[256];
	char kind[16];
};

/* `ctr snapshots ls` of @ns: the number of snapshots, or -1. */
static int snapshots_ls(const char *ns, struct snap *s, int max)
{
	char *line, *save = NULL;
	int n = 0;

	if (RUN(CTR " -n %s snapshots ls" QUIET, ns))
		return -1;
	for (line = strtok_r(lu_out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char a[256] = "", b[256], c[256];
		int k = sscanf(line, "%255s %255s %255s", a, b, c);

		if (!strcmp(a, "KEY") || n == max)
			continue;
		memset(&s[n], 0, sizeof(s[n]));
		P(s[n].key, "%s", a);
		if (k == 3) {
			P(s[n].parent, "%s", b);
			P(s[n].kind, "%.15s", c);
		} else if (k == 2) {
			P(s[n].kind, "%.15s", b);
		} else {
			continue;
		}
		n++;
	}
	return n;
}

static const struct snap *find_snap(const struct snap *s, int n, const char *key)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(s[i].key, key))
			return &s[i];
	return NULL;
}

/* The overlay mount `ctr snapshots mounts` gives for @key. */
struct ovl_mount {
	char lower[MAX_LAYERS][PATH_MAX];	/* top first, as overlayfs */
	int nr;
	char upper[PATH_MAX];
	char work[PATH_MAX];
};

static int snapshot_mounts(const char *ns, const char *key, struct ovl_mount *m)
{
	char *opts, *o, *save = NULL, *p, *psave = NULL;

	memset(m, 0, sizeof(*m));
	if (RUN(CTR " -n %s snapshots mounts /mnt %s" QUIET, ns, key))
		return -1;
	/* mount -t overlay overlay -o index=off,workdir=...,lowerdir=... /mnt */
	opts = strstr(lu_chomp(), " -o ");
	if (!opts)
		return -1;
	opts += 4;
	*strchrnul(opts, ' ') = '\0';
	for (o = strtok_r(opts, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
		if (!strncmp(o, "upperdir=", 9)) {
			P(m->upper, "%s", o + 9);
		} else if (!strncmp(o, "workdir=", 8)) {
			P(m->work, "%s", o + 8);
		} else if (!strncmp(o, "lowerdir=", 9)) {
			for (p = strtok_r(o + 9, ":", &psave); p && m->nr < MAX_LAYERS;
			     p = strtok_r(NULL, ":", &psave))
				P(m->lower[m->nr++], "%s", p);
		}
	}
	return m->nr ? 0 : -1;
}

/*
 * Mount overlayfs read-only on @mnt from what `ctr snapshots mounts`
 * said: the upper (if @with_upper) on top of the lower directories, as
 * containerd's snapshot shows them. The paths are relative to SNAPS,
 * with SNAPS as the working directory, as containerd itself mounts many
 * layers (see many_layers_mount_through_the_registry).
 */
static int mount_overlay_ro(const struct ovl_mount *m, bool with_upper,
			    const char *mnt)
{
	static char opts[65536];
	size_t pre = strlen(SNAPS "/");
	char *p = opts, *end = opts + sizeof(opts);
	char cwd[PATH_MAX];
	int i, ret;

	if (!getcwd(cwd, sizeof(cwd)) || chdir(SNAPS))
		return -1;
	p += snprintf(p, end - p, "lowerdir=");
	if (with_upper)
		p += snprintf(p, end - p, "%s:", m->upper + pre);
	for (i = 0; i < m->nr && p < end; i++)
		p += snprintf(p, end - p, "%s%s", i ? ":" : "", m->lower[i] + pre);
	ret = p < end ? mount("overlay", mnt, "overlay", MS_RDONLY, opts) : -1;
	if (chdir(cwd))
		ret = -1;
	return ret;
}

/*
 * What layerctl must not change: every file and directory of the store
 * with type, mode, owner, size and mtime, and every file's sha256;
 * without the fs and work directories of snapshots when @layers is
 * false (a container's upper and work change through its mount).
 */
static char *store_listing_once(bool layers)
{
	const char *skip = layers ? "" :
		"\\( -path './io.containerd.snapshotter.v1.overlayfs/snapshots/*/fs' -o "
		"-path './io.containerd.snapshotter.v1.overlayfs/snapshots/*/work' \\) -prune -o";

	return lu_store_listing(ROOT, skip);
}

/*
 * The listing once containerd is done with what the tests asked before
 * (its garbage collection runs after a removal, in the background): two
 * in a row five seconds apart that are the same. containerd keeps its
 * collection pauses under 2% of the time (gc.v1.scheduler's
 * pause_threshold): after one that took 70 ms the next waits 3.5 s. (Not
 * made to collect sooner: a committed snapshot the tests still read is
 * no root, and would go.)
 */
static char *store_listing(bool layers)
{
	char *a = store_listing_once(layers), *b = NULL;
	int i;

	for (i = 0; a && i < 8 * lu_timeout_scale(); i++) {
		sleep(5);
		b = store_listing_once(layers);
		if (!b || !strcmp(a, b))
			break;
		free(a);
		a = b;
		b = NULL;
	}
	free(b);
	return a;
}

/* ---- the fixture --------------------------------------------------------- */

FIXTURE(ctrd) {
	char dir[PATH_MAX];		/* mount points and scratch */
	char a[PATH_MAX + 8], b[PATH_MAX + 8];
	char key[64];			/* the test's active snapshot */
	char top[128];			/* the image's top chain ID */
	char ns[16];			/* the namespace of key */
};

/* Import the demo image into @ns, if it is not there yet. */
static int import_demo(const char *ns, const char *dir)
{
	const char *mkstore = getenv("MKSTORE");
	char tar[PATH_MAX + 16];

	if (!RUN(CTR " -n %s images ls -q | grep -qx '" IMAGE "'", ns))
		return 0;
	P(tar, "%s/image.tar", dir);
	if (!mkstore || RUN("%s --docker-save %s --demo --tag layerfs-ctrd:latest",
			    mkstore, tar))
		return -1;
	if (RUN(CTR " -n %s images import %s", ns, tar))
		return -1;
	unlink(tar);
	return 0;
}

/* The top chain ID of @ref in @ns, from layerctl (checked by the tests). */
static int top_chain(const char *ns, const char *ref, char *out, size_t len)
{
	struct json_object *lc, *layers;
	int n;

	lc = RUN_JSON(LC " inspect --json %s", lu_layerctl_cmd(), ns, ref);
	if (!lc || !json_object_object_get_ex(lc, "layers", &layers) ||
	    (n = json_object_array_length(layers)) < 1) {
		json_object_put(lc);
		return -1;
	}
	snprintf(out, len, "%s", lu_jstr(json_object_array_get_idx(layers, n - 1),
					 "chain_id"));
	json_object_put(lc);
	return 0;
}

FIXTURE_SETUP(ctrd)
{
	char why[768];

	if (geteuid())
		SKIP(return, "needs root");
	if (access(lu_layerctl(), X_OK))
		SKIP(return, "layerctl is not built (LAYERCTL)");
	if (!ctrd_up()) {
		if (start_containerd(why, sizeof(why))) {
			if (access(CONTAINERD, X_OK))
				SKIP(return, "%s", why);
			ASSERT_TRUE(false) TH_LOG("%s", why);
		}
		RUN(CONTAINERD " --version");
		TH_LOG("started %s", lu_chomp());
	}
	P(self->dir, "/tmp/ctrd-test.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	P(self->a, "%s/a", self->dir);
	P(self->b, "%s/b", self->dir);
	ASSERT_EQ(0, mkdir(self->a, 0755));
	ASSERT_EQ(0, mkdir(self->b, 0755));
	ASSERT_EQ(0, import_demo("default", self->dir)) TH_LOG("%s", lu_out);
	ASSERT_EQ(0, top_chain("default", IMAGE, self->top, sizeof(self->top)))
		TH_LOG("layerctl: %s", lu_out);
	P(self->ns, "default");
	P(self->key, "layerfs-test-%d", getpid());
	ASSERT_EQ(0, RUN(CTR " -n default snapshots prepare %s %s", self->key, self->top))
		TH_LOG("ctr snapshots prepare: %s", lu_out);
}

FIXTURE_TEARDOWN(ctrd)
{
	if (!self->dir[0])
		return;
	umount2(self->a, MNT_DETACH);
	umount2(self->b, MNT_DETACH);
	if (self->key[0])
		RUN(CTR " -n %s snapshots rm %s", self->ns, self->key);
	RUN(LC " prune", lu_layerctl_cmd(), "default");
	RUN(LC " prune", lu_layerctl_cmd(), "moby");
	RUN("rm -rf %s", self->dir);
}

/* ---- tests ------------------------------------------------------------- */

/*
 * The layers of @lc (layerctl inspect --json) against containerd: diff
 * IDs of the config, committed snapshots named by the chain IDs, each on
 * the one below. Their number, or -1.
 */
static int check_layers(struct __test_metadata *_metadata, const char *ns,
			struct json_object *lc, const char *config_digest)
{
	static struct snap s[1024];
	struct json_object *layers, *cfg, *rootfs, *ids, *info;
	const struct snap *sn;
	int i, n, nr;

	nr = snapshots_ls(ns, s, 1024);
	if (nr < 0 || !json_object_object_get_ex(lc, "layers", &layers))
		return -1;
	cfg = blob(ns, config_digest);
	if (!cfg || !json_object_object_get_ex(cfg, "rootfs", &rootfs) ||
	    !json_object_object_get_ex(rootfs, "diff_ids", &ids)) {
		json_object_put(cfg);
		return -1;
	}
	n = json_object_array_length(layers);
	EXPECT_EQ(json_object_array_length(ids), n);
	for (i = 0; i < n && i < (int)json_object_array_length(ids); i++) {
		struct json_object *l = json_object_array_get_idx(layers, i);
		const char *chain = lu_jstr(l, "chain_id");

		EXPECT_STREQ(json_object_get_string(json_object_array_get_idx(ids, i)),
			     lu_jstr(l, "diff_id"));
		sn = chain ? find_snap(s, nr, chain) : NULL;
		EXPECT_NE(NULL, sn) TH_LOG("layer %d: chain ID %s is no snapshot", i, chain);
		if (!sn)
			continue;
		EXPECT_STREQ("Committed", sn->kind);
		EXPECT_STREQ(i ? lu_jstr(json_object_array_get_idx(layers, i - 1),
					 "chain_id") : "", sn->parent);
	}
	/* ctr snapshots info of the top agrees with ls */
	info = RUN_JSON(CTR " -n %s snapshots info %s" QUIET, ns,
			lu_jstr(json_object_array_get_idx(layers, n - 1), "chain_id"));
	EXPECT_NE(NULL, info) TH_LOG("%s", lu_out);
	EXPECT_STREQ("Committed", lu_jstr(info, "Kind"));
	if (n > 1)
		EXPECT_STREQ(lu_jstr(json_object_array_get_idx(layers, n - 2), "chain_id"),
			     lu_jstr(info, "Parent"));
	json_object_put(info);
	json_object_put(cfg);
	return n;
}

/*
 * The layer paths of @lc against `ctr snapshots mounts` of @key: the same
 * directories, top first there; the upper and work of a container.
 */
static void check_paths(struct __test_metadata *_metadata, const char *ns,
			const char *key, struct json_object *lc, bool container)
{
	static struct ovl_mount m;
	struct json_object *layers;
	int i, n;

	ASSERT_EQ(0, snapshot_mounts(ns, key, &m)) TH_LOG("ctr snapshots mounts: %s", lu_out);
	ASSERT_TRUE(json_object_object_get_ex(lc, "layers", &layers));
	n = json_object_array_length(layers);
	ASSERT_EQ(m.nr, n);
	for (i = 0; i < n; i++)
		EXPECT_STREQ(m.lower[n - 1 - i],
			     lu_jstr(json_object_array_get_idx(layers, i), "path"));
	if (container) {
		EXPECT_STREQ(m.upper, lu_jstr(lc, "upperdir"));
		EXPECT_STREQ(m.work, lu_jstr(lc, "workdir"));
	}
}

TEST_F_TIMEOUT(ctrd, layerctl_inspect_agrees_with_ctr, 600)
{
	struct json_object *lc, *imgs, *info;
	char config_digest[128], *before, *after;
	size_t i;
	int n;

	before = store_listing(true);
	ASSERT_NE(NULL, before) TH_LOG("%s", lu_out);

	/* the image: ID = config digest, diff IDs, chain IDs = snapshots */
	ASSERT_EQ(0, image_config("default", IMAGE, config_digest, sizeof(config_digest)))
		TH_LOG("%s", lu_out);
	lc = RUN_JSON(LC " inspect --json " IMAGE, lu_layerctl_cmd(), "default");
	ASSERT_NE(NULL, lc) TH_LOG("layerctl: %s", lu_out);
	EXPECT_STREQ("image", lu_jstr(lc, "type"));
	EXPECT_STREQ("containerd", lu_jstr(lc, "store"));
	EXPECT_STREQ(config_digest, lu_jstr(lc, "id"));
	n = check_layers(_metadata, "default", lc, config_digest);
	EXPECT_EQ(3, n);
	check_paths(_metadata, "default", self->key, lc, false);
	TH_LOG("image %s: %d layers agree (diff IDs, chain IDs, parents, kinds, paths)",
	       lu_jstr(lc, "id"), n);
	json_object_put(lc);

	/* the short forms users type find the same image */
	lc = RUN_JSON(LC " inspect --json layerfs-ctrd", lu_layerctl_cmd(), "default");
	ASSERT_NE(NULL, lc) TH_LOG("layerctl: %s", lu_out);
	EXPECT_STREQ(config_digest, lu_jstr(lc, "id"));
	json_object_put(lc);

	/* layerctl images lists what ctr images ls lists */
	imgs = RUN_JSON(LC " images --json", lu_layerctl_cmd(), "default");
	ASSERT_NE(NULL, imgs) TH_LOG("layerctl: %s", lu_out);
	ASSERT_EQ(0, RUN(CTR " -n default images ls -q"));
	EXPECT_STREQ(IMAGE, lu_chomp());
	ASSERT_EQ(1, json_object_array_length(imgs));
	EXPECT_STREQ(config_digest, lu_jstr(json_object_array_get_idx(imgs, 0), "id"));
	EXPECT_NE(NULL, strstr(lu_jstr(json_object_array_get_idx(imgs, 0), "references") ?: "",
			       IMAGE));
	json_object_put(imgs);

	/* the active snapshot: a container on the image's top layer */
	info = RUN_JSON(CTR " -n default snapshots info %s" QUIET, self->key);
	ASSERT_NE(NULL, info) TH_LOG("%s", lu_out);
	EXPECT_STREQ("Active", lu_jstr(info, "Kind"));
	EXPECT_STREQ(self->top, lu_jstr(info, "Parent"));
	json_object_put(info);
	lc = RUN_JSON(LC " inspect --json %s", lu_layerctl_cmd(), "default", self->key);
	ASSERT_NE(NULL, lc) TH_LOG("layerctl: %s", lu_out);
	EXPECT_STREQ("container", lu_jstr(lc, "type"));
	n = check_layers(_metadata, "default", lc, config_digest);
	EXPECT_EQ(3, n);
	check_paths(_metadata, "default", self->key, lc, true);
	TH_LOG("active snapshot %s: upper %s", self->key, lu_jstr(lc, "upperdir"));
	json_object_put(lc);

	/* a view or a committed snapshot is no container */
	EXPECT_NE(0, RUN(LC " inspect %s", lu_layerctl_cmd(), "default", self->top));

	/* ps lists the active snapshot */
	EXPECT_EQ(0, RUN(LC " ps --json | grep -q '\"%s\"'", lu_layerctl_cmd(), "default",
			 self->key)) TH_LOG("%s", lu_out);

	after = store_listing(true);
	ASSERT_NE(NULL, after) TH_LOG("%s", lu_out);
	EXPECT_STREQ(before, after);
	for (i = n = 0; before[i]; i++)
		n += before[i] == '\n';
	TH_LOG("store unchanged: %d lines of listing and hashes", n);
	free(before);
	free(after);
}

TEST_F_TIMEOUT(ctrd, image_mount_matches_overlay_from_ctr_mounts, 600)
{
	static struct ovl_mount m;
	char *before, *after;
	ssize_t n;

	before = store_listing(true);
	ASSERT_NE(NULL, before) TH_LOG("%s", lu_out);
	ASSERT_EQ(0, snapshot_mounts("default", self->key, &m)) TH_LOG("%s", lu_out);
	ASSERT_EQ(0, RUN(LC " mount " IMAGE " %s", lu_layerctl_cmd(), "default", self->a))
		TH_LOG("%s", lu_out);
	ASSERT_EQ(0, mount_overlay_ro(&m, false, self->b))
		TH_LOG("overlay: %s", strerror(errno));
	n = lu_same_tree(_metadata, self->a, self->b);
	EXPECT_LT(100, n);
	TH_LOG("image: %zd entries identical", n);
	ASSERT_EQ(0, umount(self->b));
	ASSERT_EQ(0, RUN(LC " umount %s", lu_layerctl_cmd(), "default", self->a));
	ASSERT_EQ(0, RUN(LC " prune", lu_layerctl_cmd(), "default"));
	after = store_listing(true);
	ASSERT_NE(NULL, after) TH_LOG("%s", lu_out);
	EXPECT_STREQ(before, after);
	free(before);
	free(after);
}

/* containerd's own overlay mount of active snapshot @key, read-write. */
static int mount_ctr_rw(const char *ns, const char *key, const char *mnt)
{
	return RUN(CTR " -n %s snapshots mounts %s %s | sh", ns, mnt, key);
}

/*
 * containerd writes into the active snapshot through its own overlay
 * mount, then layerfs and a read-only overlay of upper and lowers show
 * the same tree.
 */
TEST_F_TIMEOUT(ctrd, container_mount_matches_overlay_from_ctr_mounts, 600)
{
	static struct ovl_mount m;
	char p[PATH_MAX + 32], *before, *after;
	ssize_t n;

	ASSERT_EQ(0, mount_ctr_rw("default", self->key, self->b)) TH_LOG("%s", lu_out);
	ASSERT_EQ(0, RUN("cd %s && %s", self->b, lu_changes)) TH_LOG("%s", lu_out);
	ASSERT_EQ(0, umount(self->b));
	before = store_listing(false);
	ASSERT_NE(NULL, before) TH_LOG("%s", lu_out);
	ASSERT_EQ(0, snapshot_mounts("default", self->key, &m)) TH_LOG("%s", lu_out);
	ASSERT_EQ(0, RUN(LC " mount %s %s", lu_layerctl_cmd(), "default", self->key, self->a))
		TH_LOG("%s", lu_out);
	ASSERT_EQ(0, mount_overlay_ro(&m, true, self->b))
		TH_LOG("overlay: %s", strerror(errno));
	EXPECT_STREQ("fresh\n", lu_cat(P(p, "%s/opt/old/fresh", self->a)));
	EXPECT_NE(0, access(P(p, "%s/usr/share/demo/keep", self->a), F_OK));
	n = lu_same_tree(_metadata, self->a, self->b);
	EXPECT_LT(100, n);
	TH_LOG("container: %zd entries identical", n);
	ASSERT_EQ(0, umount(self->b));
	ASSERT_EQ(0, RUN(LC " umount %s", lu_layerctl_cmd(), "default", self->a));
	after = store_listing(false);
	ASSERT_NE(NULL, after) TH_LOG("%s", lu_out);
	EXPECT_STREQ(before, after);
	free(before);
	free(after);
}

/*
 * The mount command containerd gives for its snapshot (`ctr snapshots
 * mounts`: index=off, workdir, upperdir, lowerdir), with -t layerfs for
 * -t overlay and nothing else changed, mounts layerfs with the tree that
 * containerd's own overlay mount shows after writes through it.
 */
TEST_F_TIMEOUT(ctrd, ctr_mount_string_mounts_layerfs, 600)
{
	struct lu_tree to = { 0 };
	ssize_t n;

	ASSERT_EQ(0, mount_ctr_rw("default", self->key, self->b)) TH_LOG("%s", lu_out);
	ASSERT_EQ(0, RUN("cd %s && %s", self->b, lu_changes)) TH_LOG("%s", lu_out);
	ASSERT_EQ(0, lu_tree_walk(self->b, &to)) TH_LOG("%s", to.error);
	ASSERT_EQ(0, umount(self->b));
	ASSERT_EQ(0, RUN(CTR " -n default snapshots mounts %s %s", self->a, self->key));
	TH_LOG("containerd: %s", lu_chomp());
	ASSERT_EQ(0, strncmp(lu_out, "mount -t overlay overlay ", 25));
	ASSERT_NE(NULL, strstr(lu_out, " -o index=off,"));
	ASSERT_EQ(0, RUN(CTR " -n default snapshots mounts %s %s | "
			 "sed 's/^mount -t overlay /mount -t layerfs /' | sh",
			 self->a, self->key)) TH_LOG("%s", lu_out);
	/* index=off is the default: neither shows it */
	EXPECT_EQ(0, RUN("grep ' %s .* - layerfs overlay ' /proc/self/mountinfo", self->a))
		TH_LOG("%s", lu_out);
	TH_LOG("layerfs: %s", lu_chomp());
	n = lu_same_as_tree(_metadata, self->a, &to);
	EXPECT_LT(100, n);
	TH_LOG("container: %zd entries identical", n);
	EXPECT_EQ(0, umount(self->a));
}

/*
 * The entries of `ctr snapshots diff` of @key: "type name" sorted. ctr
 * 1.6 prints the media type on a line of its own before the tar.
 */
static int snapshot_diff(const char *ns, const char *key, const char *dir,
			 char *buf, size_t len)
{
	size_t n;

	if (RUN("cd %s && " CTR " -n %s snapshots diff --media-type " TAR_TYPE " %s > raw && "
		"if head -n 1 raw | grep -qx '" TAR_TYPE "'; then tail -n +2 raw > diff.tar; "
		"else mv raw diff.tar; fi && "
		"tar -tvf diff.tar | awk '{print substr($1, 1, 1), $6}' | LC_ALL=C sort -k2",
		dir, ns, key))
		return -1;
	n = strnlen(lu_out, len - 1);
	memcpy(buf, lu_out, n);
	buf[n] = '\0';
	return 0;
}

/* Writes through layerfs into @ns; the diffs of both ways in @lfs, @ovl. */
static void write_both_ways(struct __test_metadata *_metadata,
			    struct _test_data_ctrd *self, const char *ns,
			    char *lfs, char *ovl, size_t len)
{
	char okey[64];

	ASSERT_EQ(0, RUN(LC " mount %s %s", lu_layerctl_cmd(), ns, self->key, self->a))
		TH_LOG("%s", lu_out);
	ASSERT_EQ(0, RUN("cd %s && %s", self->a, lu_changes)) TH_LOG("%s", lu_out);
	ASSERT_EQ(0, RUN(LC " umount %s", lu_layerctl_cmd(), ns, self->a))
		TH_LOG("%s", lu_out);
	ASSERT_EQ(0, RUN(LC " prune", lu_layerctl_cmd(), ns));
	ASSERT_EQ(0, snapshot_diff(ns, self->key, self->dir, lfs, len)) TH_LOG("%s", lu_out);

	/* the same changes through containerd's own overlay mount */
	P(okey, "%s-ovl", self->key);
	ASSERT_EQ(0, RUN(CTR " -n %s snapshots prepare %s %s", ns, okey, self->top))
		TH_LOG("%s", lu_out);
	ASSERT_EQ(0, mount_ctr_rw(ns, okey, self->b)) TH_LOG("%s", lu_out);
	ASSERT_EQ(0, RUN("cd %s && %s", self->b, lu_changes)) TH_LOG("%s", lu_out);
	ASSERT_EQ(0, umount(self->b));
	ASSERT_EQ(0, snapshot_diff(ns, okey, self->dir, ovl, len)) TH_LOG("%s", lu_out);
	RUN(CTR " -n %s snapshots rm %s", ns, okey);
}

/* The entries any diff of the changes must have. */
static void expect_changes(struct __test_metadata *_metadata, const char *diff)
{
	int i;

	for (i = 0; i < 5; i++) {
		static const char *const want[] = {
			" new.txt\n", " etc/os-release\n", " usr/share/demo/.wh.keep\n",
			" opt/old/fresh\n", " usr/local/bin/hello-3\n",
		};

		EXPECT_NE(NULL, strstr(diff, want[i])) TH_LOG("the diff lacks%s", want[i]);
	}
	EXPECT_EQ(NULL, strstr(diff, "opt/old/a.txt"));
}

TEST_F_TIMEOUT(ctrd, writes_show_in_ctr_snapshots_diff_and_commit, 900)
{
	char lfs[8192], ovl[8192], p[PATH_MAX + 32], done[sizeof(self->key)];

	write_both_ways(_metadata, self, "default", lfs, ovl, sizeof(lfs));
	EXPECT_STREQ(ovl, lfs);
	expect_changes(_metadata, lfs);
	TH_LOG("ctr snapshots diff:\n%s", lfs);

	/* committed, the snapshot is a layer containerd mounts with them */
	P(done, "%s-done", self->key);
	ASSERT_EQ(0, RUN(CTR " -n default snapshots commit %s %s", done, self->key))
		TH_LOG("%s", lu_out);
	P(self->key, "%s", done);
	ASSERT_EQ(0, RUN(CTR " -n default snapshots view %s-v %s", self->key, self->key))
		TH_LOG("%s", lu_out);
	ASSERT_EQ(0, RUN(CTR " -n default snapshots mounts %s %s-v | sh", self->b, self->key))
		TH_LOG("%s", lu_out);
	EXPECT_STREQ("new\n", lu_cat(P(p, "%s/new.txt", self->b)));
	EXPECT_STREQ("fresh\n", lu_cat(P(p, "%s/opt/old/fresh", self->b)));
	EXPECT_NE(0, access(P(p, "%s/opt/old/new.txt", self->b), F_OK));
	EXPECT_NE(0, access(P(p, "%s/usr/share/demo/keep", self->b), F_OK));
	umount2(self->b, MNT_DETACH);
	RUN(CTR " -n default snapshots rm %s-v", self->key);
}

/*
 * Docker 29's containerd image store: the image in namespace moby is
 * another set of snapshots (each namespace unpacks its own), which
 * layerctl -n moby reads as in default, under other layer names.
 */
TEST_F_TIMEOUT(ctrd, moby_namespace_as_on_a_docker_29_host, 900)
{
	struct json_object *lc, *ld, *layers;
	char config_digest[128], lfs[8192], ovl[8192];
	static struct ovl_mount m;
	ssize_t n;
	int nl;

	ASSERT_EQ(0, import_demo("moby", self->dir)) TH_LOG("%s", lu_out);
	RUN(CTR " -n default snapshots rm %s", self->key);
	P(self->ns, "moby");
	ASSERT_EQ(0, RUN(CTR " -n moby snapshots prepare %s %s", self->key, self->top))
		TH_LOG("%s", lu_out);
	ASSERT_EQ(0, image_config("moby", IMAGE, config_digest, sizeof(config_digest)))
		TH_LOG("%s", lu_out);
	lc = RUN_JSON(LC " inspect --json " IMAGE, lu_layerctl_cmd(), "moby");
	ASSERT_NE(NULL, lc) TH_LOG("layerctl: %s", lu_out);
	EXPECT_STREQ(config_digest, lu_jstr(lc, "id"));
	nl = check_layers(_metadata, "moby", lc, config_digest);
	EXPECT_EQ(3, nl);
	check_paths(_metadata, "moby", self->key, lc, false);
	/* not default's directories, nor its layer names */
	ld = RUN_JSON(LC " inspect --json " IMAGE, lu_layerctl_cmd(), "default");
	ASSERT_NE(NULL, ld) TH_LOG("layerctl: %s", lu_out);
	ASSERT_TRUE(json_object_object_get_ex(lc, "layers", &layers));
	EXPECT_STRNE(lu_jstr(json_object_array_get_idx(layers, 0), "path"),
		     lu_jstr(json_object_array_get_idx(json_object_object_get(ld, "layers"), 0),
			     "path"));
	EXPECT_STRNE(lu_jstr(json_object_array_get_idx(layers, 0), "name"),
		     lu_jstr(json_object_array_get_idx(json_object_object_get(ld, "layers"), 0),
			     "name"));
	json_object_put(ld);
	json_object_put(lc);
	/* the snapshot of moby is no container of default */
	EXPECT_NE(0, RUN(LC " inspect %s", lu_layerctl_cmd(), "default", self->key));
	/* a namespace that is not there is refused, naming those there are */
	EXPECT_NE(0, RUN(LC " images", lu_layerctl_cmd(), "k8s.io"));
	EXPECT_NE(NULL, strstr(lu_out, "moby")) TH_LOG("%s", lu_out);

	ASSERT_EQ(0, snapshot_mounts("moby", self->key, &m)) TH_LOG("%s", lu_out);
	ASSERT_EQ(0, RUN(LC " mount " IMAGE " %s", lu_layerctl_cmd(), "moby", self->a))
		TH_LOG("%s", lu_out);
	ASSERT_EQ(0, mount_overlay_ro(&m, false, self->b))
		TH_LOG("overlay: %s", strerror(errno));
	n = lu_same_tree(_metadata, self->a, self->b);
	EXPECT_LT(100, n);
	TH_LOG("moby image: %d layers, %zd entries identical", nl, n);
	ASSERT_EQ(0, umount(self->b));
	ASSERT_EQ(0, RUN(LC " umount %s", lu_layerctl_cmd(), "moby", self->a));

	write_both_ways(_metadata, self, "moby", lfs, ovl, sizeof(lfs));
	EXPECT_STREQ(ovl, lfs);
	expect_changes(_metadata, lfs);
}

/*
 * 200 layers, each adding a file, every tenth whiting out the file of the
 * one below. The overlay containerd mounts for it names 200 lower
 * directories of ~85 bytes each (ROOT/.../snapshots/N/fs): ~17 KB of
 * mount options, but mount(2) copies one page (4096 bytes) of them and
 * cuts the rest, so the mount fails or, cut at a directory that exists,
 * shows fewer layers. containerd 1.6 works around it by forking a child
 * that chdir()s into the snapshots directory and mounts with relative
 * paths (mount_linux.go, compactLowerdirOption), which the comparison
 * mount below does too; each tool carries such a trick or uses the new
 * mount API's lowerdir+ (Linux 6.8). layerfs mounts it by registered
 * layer names, independent of path lengths.
 */
TEST_F_TIMEOUT(ctrd, many_layers_mount_through_the_registry, 900)
{
	static struct ovl_mount m;
	struct json_object *lc;
	char key[80], top[128], opts[32768], *p = opts, config_digest[128];
	ssize_t n;
	int i, nl;

	ASSERT_EQ(0, lu_many_layers_archive(self->dir, MANY_LAYERS, "layerfs-many:latest",
					    "many.tar")) TH_LOG("%s", lu_out);
	ASSERT_EQ(0, RUN("cd %s && " CTR " -n default images import many.tar && rm many.tar",
			 self->dir)) TH_LOG("%s", lu_out);

	ASSERT_EQ(0, image_config("default", MANY, config_digest, sizeof(config_digest)))
		TH_LOG("%s", lu_out);
	lc = RUN_JSON(LC " inspect --json " MANY, lu_layerctl_cmd(), "default");
	ASSERT_NE(NULL, lc) TH_LOG("layerctl: %s", lu_out);
	nl = check_layers(_metadata, "default", lc, config_digest);
	EXPECT_EQ(MANY_LAYERS, nl);
	ASSERT_EQ(0, top_chain("default", MANY, top, sizeof(top)));
	P(key, "%s-many", self->key);
	ASSERT_EQ(0, RUN(CTR " -n default snapshots prepare %s %s", key, top))
		TH_LOG("%s", lu_out);
	ASSERT_EQ(0, snapshot_mounts("default", key, &m)) TH_LOG("%s", lu_out);
	check_paths(_metadata, "default", key, lc, false);
	json_object_put(lc);

	/* what the absolute paths of ctr snapshots mounts amount to */
	p += snprintf(p, opts + sizeof(opts) - p, "lowerdir=");
	for (i = 0; i < m.nr; i++)
		p += snprintf(p, opts + sizeof(opts) - p, "%s%s", i ? ":" : "", m.lower[i]);
	TH_LOG("%d lower directories: %zu bytes of mount options for a page of %ld",
	       m.nr, strlen(opts), sysconf(_SC_PAGESIZE));
	EXPECT_LT(sysconf(_SC_PAGESIZE), strlen(opts));

	ASSERT_EQ(0, RUN(LC " mount " MANY " %s", lu_layerctl_cmd(), "default", self->a))
		TH_LOG("%s", lu_out);
	ASSERT_EQ(0, mount_overlay_ro(&m, false, self->b))
		TH_LOG("overlay: %s", strerror(errno));
	n = lu_same_tree(_metadata, self->a, self->b);
	/* d and the 200 files less the 20 whited out, and the root */
	EXPECT_EQ(2 + MANY_LAYERS - MANY_LAYERS / 10, n);
	EXPECT_STREQ("layer 199\n", lu_cat(P(opts, "%s/d/f199", self->a)));
	EXPECT_NE(0, access(P(opts, "%s/d/f198", self->a), F_OK));
	TH_LOG("%d layers: %zd entries identical", nl, n);
	ASSERT_EQ(0, umount(self->b));
	ASSERT_EQ(0, RUN(LC " umount %s", lu_layerctl_cmd(), "default", self->a));
	RUN(CTR " -n default snapshots rm %s", key);
	ASSERT_EQ(0, RUN(LC " prune", lu_layerctl_cmd(), "default"));
	EXPECT_EQ(0, RUN(CTR " -n default images rm " MANY)) TH_LOG("%s", lu_out);
}

/* Last: containerd still manages the store layerctl used, then it stops. */
TEST_F_TIMEOUT(ctrd, containerd_still_manages_the_store, 600)
{
	ASSERT_EQ(0, RUN(LC " mount %s %s", lu_layerctl_cmd(), "default", self->key, self->a))
		TH_LOG("%s", lu_out);
	ASSERT_EQ(0, RUN("echo x > %s/root/x", self->a));
	ASSERT_EQ(0, RUN(LC " umount %s", lu_layerctl_cmd(), "default", self->a));
	ASSERT_EQ(0, RUN(LC " prune", lu_layerctl_cmd(), "default"));
	EXPECT_EQ(0, RUN(CTR " -n default snapshots rm %s", self->key)) TH_LOG("%s", lu_out);
	self->key[0] = '\0';
	EXPECT_EQ(0, RUN(CTR " -n default images rm " IMAGE)) TH_LOG("%s", lu_out);
	RUN(CTR " -n moby images rm " IMAGE);
	EXPECT_EQ(0, RUN(CTR " -n default images ls -q | wc -l"));
	EXPECT_STREQ("0", lu_chomp());
	stop_containerd();
	EXPECT_FALSE(ctrd_up());
}

LU_HARNESS_MAIN
