// SPDX-License-Identifier: GPL-2.0
/*
 * End to end with a real podman (Debian's podman 4.3, containers/storage
 * with the overlay driver): the store layerctl reads is written by
 * podman itself, as on a podman or CRI-O host.
 *
 * The first test gives podman what it writes on a tmpfs (/run/layerfs-
 * podman: --root, --runroot, --tmpdir, its network config; a writable
 * copy of /etc/containers; tmpfs on /dev/shm and /var/tmp when they are
 * not writable) and `podman load`s the busybox demo image (mkstore
 * --docker-save: whiteouts, an opaque directory, links, an xattr), which
 * podman names localhost/layerfs-podman:latest. Every test creates its
 * own container (podman create --network none: nothing is run). No
 * daemon: the last test removes what the tests left.
 *
 * layerctl inspect must agree with `podman image inspect` and `podman
 * container inspect` (RootFS.Layers, GraphDriver.Data); layerctl mounts
 * of the image and of a container must show the tree `podman image
 * mount` and `podman mount` show; writes through a layerfs container
 * mount must be what `podman diff` gives for the same writes through
 * podman's own mount. layerctl writes nothing into the store: its files
 * are listed with their hashes before and after.
 *
 * Needs root and podman (scripts/setup installs it), and LAYERFS_KO /
 * LAYERCTL / MKSTORE as selftests/run sets them.
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

#define E2E		"/run/layerfs-podman"
#define ROOT		E2E "/storage"
#define PODMAN_BIN	"/usr/bin/podman"
#define PODMAN		PODMAN_BIN " --root " ROOT " --runroot " E2E "/runroot" \
			" --tmpdir " E2E "/tmp --network-config-dir " E2E "/networks" \
			" --cgroup-manager cgroupfs --events-backend file" \
			" --storage-driver overlay"
/* podman as with storage.conf's mountopt = "nodev,metacopy=on" */
#define PODMAN_MC	PODMAN " --storage-opt overlay.mountopt=nodev,metacopy=on"
#define IMAGE		"localhost/layerfs-podman:latest"
#define MANY		"localhost/layerfs-many:latest"
#define MANY_LAYERS	200
#define LC		"%s --root " ROOT
/* Only stdout in lu_out when the command succeeds, stderr too if not. */
#define QUIET		" 2>" E2E "/stderr || { cat " E2E "/stderr; exit 1; }"

/* ---- podman's environment -------------------------------------------- */

/* A tmpfs on @dir unless root can write there. */
static int writable(const char *dir, char *why, size_t len)
{
	char probe[PATH_MAX];
	int fd;

	snprintf(probe, sizeof(probe), "%s/.layerfs-probe-XXXXXX", dir);
	fd = mkstemp(probe);
	if (fd >= 0) {
		close(fd);
		unlink(probe);
		return 0;
	}
	if (mount("tmpfs", dir, "tmpfs", 0, "mode=1777")) {
		snprintf(why, len, "%s is not writable and no tmpfs can go there: %s",
			 dir, strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * Everything podman writes on a fresh tmpfs at E2E; /etc/containers
 * (podman creates networks/ there, and needs the host's policy.json) as a
 * writable copy bound over it. 0, or -1 with the reason in @why.
 */
static int podman_env(char *why, size_t len)
{
	if (access(PODMAN_BIN, X_OK)) {
		snprintf(why, len, "%s missing (scripts/setup installs podman)", PODMAN_BIN);
		return -1;
	}
	if (!access(E2E "/ready", F_OK))
		return 0;
	RUN("grep -qw overlay /proc/filesystems || modprobe overlay");
	if ((mkdir(E2E, 0700) && errno != EEXIST) ||
	    mount("tmpfs", E2E, "tmpfs", 0, "mode=0700")) {
		snprintf(why, len, "tmpfs on %s: %s", E2E, strerror(errno));
		return -1;
	}
	if (RUN("mkdir -p " E2E "/etc " E2E "/tmp " E2E "/networks && "
		"cp -a /etc/containers/. " E2E "/etc/ && "
		"mount --bind " E2E "/etc /etc/containers")) {
		snprintf(why, len, "a writable /etc/containers: %.600s", lu_out);
		return -1;
	}
	/* libpod's locks are in /dev/shm (shm_open()) */
	if ((mkdir("/dev/shm", 01777) && errno != EEXIST) ||
	    writable("/dev/shm", why, len) || writable("/var/tmp", why, len))
		return -1;
	return close(open(E2E "/ready", O_CREAT | O_WRONLY, 0600));
}

/*
 * What layerctl must not change: every file and directory of the store
 * with type, mode, owner, size and mtime, and every file's sha256;
 * without the diff, work and merged directories of layers when @layers
 * is false (a container's upper and work change through its mount).
 */
static char *store_listing(bool layers)
{
	const char *skip = layers ? "" :
		"\\( -path './overlay/*/diff' -o -path './overlay/*/work' -o "
		"-path './overlay/*/merged' \\) -prune -o";

	return lu_store_listing(ROOT, skip);
}

/* The first object of `podman ... inspect`'s array (put the result). */
static struct json_object *inspect(const char *what, const char *ref)
{
	struct json_object *arr, *o;

	arr = RUN_JSON(PODMAN " %s inspect %s" QUIET, what, ref);
	if (!arr || !json_object_is_type(arr, json_type_array) ||
	    json_object_array_length(arr) != 1) {
		json_object_put(arr);
		return NULL;
	}
	o = json_object_get(json_object_array_get_idx(arr, 0));
	json_object_put(arr);
	return o;
}

static struct json_object *graph_data(struct json_object *o)
{
	struct json_object *gd, *data;

	if (!json_object_object_get_ex(o, "GraphDriver", &gd) ||
	    !json_object_object_get_ex(gd, "Data", &data))
		return NULL;
	return data;
}

/* The "path"s of layers [0, @n) of @lc, top first, joined by ':'. */
static char *lower_dirs(struct json_object *lc, int n, char *buf, size_t len)
{
	struct json_object *layers = json_object_object_get(lc, "layers");
	char *p = buf;
	int i;

	buf[0] = '\0';
	for (i = n; i-- > 0 && p < buf + len;)
		p += snprintf(p, buf + len - p, "%s%s", i == n - 1 ? "" : ":",
			      lu_jstr(json_object_array_get_idx(layers, i), "path"));
	return buf;
}

/*
 * layerctl inspect --json @lc of an image agrees with podman image inspect
 * @pi: Id, RootFS.Layers (the diff IDs, bottom first), GraphDriver.Data's
 * UpperDir (the top layer) and LowerDir (the others, top first). The
 * number of layers, or -1.
 */
static ssize_t image_agrees(struct __test_metadata *_metadata,
			    struct json_object *pi, struct json_object *lc)
{
	struct json_object *rootfs, *dl, *layers, *gd;
	static char lower[256 * 1024];
	char id[80];
	size_t i, n;

	P(id, "%s", lu_jstr(lc, "id") ?: "");
	EXPECT_STREQ(lu_jstr(pi, "Id"), strncmp(id, "sha256:", 7) ? id : id + 7);
	if (!json_object_object_get_ex(pi, "RootFS", &rootfs) ||
	    !json_object_object_get_ex(rootfs, "Layers", &dl) ||
	    !json_object_object_get_ex(lc, "layers", &layers))
		return -1;
	n = json_object_array_length(dl);
	EXPECT_EQ(n, json_object_array_length(layers));
	if (n != json_object_array_length(layers) || !n)
		return -1;
	for (i = 0; i < n; i++)
		EXPECT_STREQ(json_object_get_string(json_object_array_get_idx(dl, i)),
			     lu_jstr(json_object_array_get_idx(layers, i), "diff_id"));
	gd = graph_data(pi);
	if (!gd)
		return -1;
	EXPECT_STREQ(lu_jstr(gd, "UpperDir"),
		     lu_jstr(json_object_array_get_idx(layers, n - 1), "path"));
	EXPECT_STREQ(lu_jstr(gd, "LowerDir"), lower_dirs(lc, n - 1, lower, sizeof(lower)));
	return n;
}

/* Walk the tree at @a into @t; logs why not. */
static int walk(struct __test_metadata *_metadata, const char *a, struct lu_tree *t)
{
	if (lu_tree_walk(a, t)) {
		TH_LOG("%s: %s", a, t->error);
		return -1;
	}
	return 0;
}

/* ---- the fixture --------------------------------------------------------- */

FIXTURE(podman) {
	char dir[PATH_MAX];		/* mount points and scratch */
	char a[PATH_MAX + 8];
	char cid[80];			/* the test's container */
};

FIXTURE_SETUP(podman)
{
	const char *mkstore = getenv("MKSTORE");
	char why[768], tar[PATH_MAX + 16];

	if (geteuid())
		SKIP(return, "needs root");
	if (access(lu_layerctl(), X_OK))
		SKIP(return, "layerctl is not built (LAYERCTL)");
	if (podman_env(why, sizeof(why))) {
		if (access(PODMAN_BIN, X_OK))
			SKIP(return, "%s", why);
		ASSERT_TRUE(false) TH_LOG("%s", why);
	}
	P(self->dir, "/tmp/podman-test.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	P(self->a, "%s/a", self->dir);
	ASSERT_EQ(0, mkdir(self->a, 0755));
	if (RUN(PODMAN " image exists " IMAGE)) {
		ASSERT_NE(NULL, mkstore);
		P(tar, "%s/image.tar", self->dir);
		ASSERT_EQ(0, RUN("%s --docker-save %s --demo --tag layerfs-podman:latest",
				 mkstore, tar)) TH_LOG("%s", lu_out);
		ASSERT_EQ(0, RUN(PODMAN " load -i %s", tar)) TH_LOG("%s", lu_out);
		TH_LOG("podman load: %s", lu_chomp());
		unlink(tar);
		RUN(PODMAN " --version");
		TH_LOG("%s", lu_chomp());
	}
	ASSERT_EQ(0, RUN(PODMAN " create --network none " IMAGE " /bin/sh" QUIET))
		TH_LOG("podman create: %s", lu_out);
	P(self->cid, "%.64s", lu_chomp());
	ASSERT_EQ(64, strlen(self->cid)) TH_LOG("%s", lu_out);
}

FIXTURE_TEARDOWN(podman)
{
	if (!self->dir[0])
		return;
	RUN(LC " umount %s", lu_layerctl_cmd(), self->a);
	umount2(self->a, MNT_DETACH);
	if (self->cid[0]) {
		RUN(PODMAN " umount %s", self->cid);
		RUN(PODMAN " rm -f %s", self->cid);
	}
	RUN(LC " prune", lu_layerctl_cmd());
	RUN("rm -rf %s", self->dir);
}

/* ---- tests ------------------------------------------------------------- */

TEST_F_TIMEOUT(podman, layerctl_inspect_agrees_with_podman_inspect, 600)
{
	struct json_object *pi, *pc, *lc, *lcc, *layers, *gd;
	char lower[8192], *before, *after;
	size_t i, n;

	pi = inspect("image", IMAGE);
	ASSERT_NE(NULL, pi) TH_LOG("%s", lu_out);
	pc = inspect("container", self->cid);
	ASSERT_NE(NULL, pc) TH_LOG("%s", lu_out);

	before = store_listing(true);
	ASSERT_NE(NULL, before) TH_LOG("%s", lu_out);
	lc = RUN_JSON(LC " inspect --json " IMAGE, lu_layerctl_cmd());
	ASSERT_NE(NULL, lc) TH_LOG("layerctl: %s", lu_out);
	lcc = RUN_JSON(LC " inspect --json %s", lu_layerctl_cmd(), self->cid);
	ASSERT_NE(NULL, lcc) TH_LOG("layerctl: %s", lu_out);
	/* the short name podman gives it, and layerctl's listings */
	EXPECT_EQ(0, RUN(LC " inspect layerfs-podman", lu_layerctl_cmd())) TH_LOG("%s", lu_out);
	EXPECT_EQ(0, RUN(LC " images --json | grep -q '%s'", lu_layerctl_cmd(), IMAGE))
		TH_LOG("%s", lu_out);
	EXPECT_EQ(0, RUN(LC " ps --json | grep -q '%s'", lu_layerctl_cmd(), self->cid))
		TH_LOG("%s", lu_out);
	after = store_listing(true);
	ASSERT_NE(NULL, after) TH_LOG("%s", lu_out);
	EXPECT_STREQ(before, after);
	for (i = n = 0; before[i]; i++)
		n += before[i] == '\n';
	TH_LOG("store unchanged: %zu lines of listing and hashes", n);
	free(before);
	free(after);

	/* the image: Id, RootFS.Layers = diff IDs, GraphDriver.Data */
	EXPECT_STREQ("containers", lu_jstr(lc, "store"));
	EXPECT_STREQ("container", lu_jstr(lcc, "type"));
	n = image_agrees(_metadata, pi, lc);
	EXPECT_EQ(3, n);
	TH_LOG("image %s: %zu layers agree (diff IDs, directories)", lu_jstr(lc, "id"), n);

	/* the container: its layer is the upper, the image's the lowers */
	gd = graph_data(pc);
	ASSERT_NE(NULL, gd);
	EXPECT_STREQ(lu_jstr(gd, "UpperDir"), lu_jstr(lcc, "upperdir"));
	EXPECT_STREQ(lu_jstr(gd, "WorkDir"), lu_jstr(lcc, "workdir"));
	ASSERT_TRUE(json_object_object_get_ex(lcc, "layers", &layers));
	ASSERT_EQ(3, json_object_array_length(layers));
	EXPECT_STREQ(lu_jstr(gd, "LowerDir"), lower_dirs(lcc, 3, lower, sizeof(lower)));
	TH_LOG("container %.12s: upper %s", self->cid, lu_jstr(lcc, "upperdir"));
	json_object_put(lcc);
	json_object_put(lc);
	json_object_put(pc);
	json_object_put(pi);
}

TEST_F_TIMEOUT(podman, image_mount_matches_podman_image_mount, 600)
{
	char merged[PATH_MAX], *before, *after;
	ssize_t n;

	before = store_listing(true);
	ASSERT_NE(NULL, before) TH_LOG("%s", lu_out);
	ASSERT_EQ(0, RUN(LC " mount " IMAGE " %s", lu_layerctl_cmd(), self->a))
		TH_LOG("%s", lu_out);
	ASSERT_EQ(0, RUN(LC " umount %s", lu_layerctl_cmd(), self->a)) TH_LOG("%s", lu_out);
	ASSERT_EQ(0, RUN(LC " prune", lu_layerctl_cmd()));
	after = store_listing(true);
	ASSERT_NE(NULL, after) TH_LOG("%s", lu_out);
	EXPECT_STREQ(before, after);
	free(before);
	free(after);

	ASSERT_EQ(0, RUN(PODMAN " image mount " IMAGE QUIET)) TH_LOG("%s", lu_out);
	P(merged, "%s", lu_chomp());
	ASSERT_EQ(0, RUN(LC " mount " IMAGE " %s", lu_layerctl_cmd(), self->a))
		TH_LOG("%s", lu_out);
	n = lu_same_tree(_metadata, self->a, merged);
	EXPECT_LT(100, n);
	TH_LOG("image: %zd entries identical", n);
	EXPECT_EQ(0, RUN(LC " umount %s", lu_layerctl_cmd(), self->a)) TH_LOG("%s", lu_out);
	EXPECT_EQ(0, RUN(LC " prune", lu_layerctl_cmd())) TH_LOG("%s", lu_out);
	EXPECT_EQ(0, RUN(PODMAN " image unmount " IMAGE)) TH_LOG("%s", lu_out);
}

/*
 * podman writes into the container itself (podman cp through its own
 * mount); podman's mount and layerfs's then show the same tree, one after
 * the other (two overlays must not share an upper and work directory).
 */
TEST_F_TIMEOUT(podman, container_mount_matches_podman_mount, 600)
{
	char src[PATH_MAX + 16], *before, *after;
	struct lu_tree tp = { 0 };
	ssize_t n;

	P(src, "%s/copied", self->dir);
	ASSERT_EQ(0, RUN("mkdir -p %s/sub && echo from podman cp > %s/sub/file && "
			 "ln -s file %s/sub/link && " PODMAN " cp %s %s:/etc/",
			 src, src, src, src, self->cid)) TH_LOG("%s", lu_out);
	ASSERT_EQ(0, RUN(PODMAN " mount %s" QUIET, self->cid)) TH_LOG("%s", lu_out);
	ASSERT_EQ(0, walk(_metadata, lu_chomp(), &tp));
	ASSERT_EQ(0, RUN(PODMAN " umount %s", self->cid)) TH_LOG("%s", lu_out);

	before = store_listing(false);
	ASSERT_NE(NULL, before) TH_LOG("%s", lu_out);
	ASSERT_EQ(0, RUN(LC " mount %s %s", lu_layerctl_cmd(), self->cid, self->a))
		TH_LOG("%s", lu_out);
	EXPECT_STREQ("from podman cp\n", lu_cat(P(src, "%s/etc/copied/sub/file", self->a)));
	n = lu_same_as_tree(_metadata, self->a, &tp);
	EXPECT_LT(100, n);
	TH_LOG("container: %zd entries identical", n);
	ASSERT_EQ(0, RUN(LC " umount %s", lu_layerctl_cmd(), self->a));
	after = store_listing(false);
	ASSERT_NE(NULL, after) TH_LOG("%s", lu_out);
	EXPECT_STREQ(before, after);
	free(before);
	free(after);
}

/* podman diff of a container, sorted, in @buf. */
static int podman_diff(const char *cid, char *buf, size_t len)
{
	char cmd[1024];

	return lu_run_sorted(P(cmd, PODMAN " diff %s 2>/dev/null", cid), buf, len);
}

TEST_F_TIMEOUT(podman, writes_show_in_podman_diff, 600)
{
	char diff_lfs[8192], diff_ovl[8192], ocid[80];
	size_t i;

	ASSERT_EQ(0, RUN(LC " mount %s %s", lu_layerctl_cmd(), self->cid, self->a))
		TH_LOG("%s", lu_out);
	ASSERT_EQ(0, RUN("cd %s && %s", self->a, lu_changes)) TH_LOG("%s", lu_out);
	ASSERT_EQ(0, RUN(LC " umount %s", lu_layerctl_cmd(), self->a)) TH_LOG("%s", lu_out);
	ASSERT_EQ(0, RUN(LC " prune", lu_layerctl_cmd()));
	ASSERT_EQ(0, podman_diff(self->cid, diff_lfs, sizeof(diff_lfs))) TH_LOG("%s", lu_out);

	/* the same changes through podman's own overlay mount */
	ASSERT_EQ(0, RUN(PODMAN " create --network none " IMAGE " /bin/sh" QUIET))
		TH_LOG("%s", lu_out);
	P(ocid, "%.64s", lu_chomp());
	ASSERT_EQ(0, RUN(PODMAN " mount %s" QUIET, ocid)) TH_LOG("%s", lu_out);
	ASSERT_EQ(0, RUN("cd %s && %s", lu_chomp(), lu_changes)) TH_LOG("%s", lu_out);
	ASSERT_EQ(0, RUN(PODMAN " umount %s", ocid)) TH_LOG("%s", lu_out);
	ASSERT_EQ(0, podman_diff(ocid, diff_ovl, sizeof(diff_ovl))) TH_LOG("%s", lu_out);
	/* the metadata podman diff compares, of every layer's /etc */
	RUN("for d in " ROOT "/overlay/*/diff/etc; do stat -c '%%n %%y %%a %%u:%%g %%s' $d; "
	    "getfattr -h -d -m - $d 2>/dev/null | grep -v '^#'; done");
	TH_LOG("/etc in the layers (the containers' uppers among them):\n%s", lu_out);
	RUN(PODMAN " rm -f %s", ocid);

	EXPECT_STREQ(diff_ovl, diff_lfs);
	for (i = 0; i < 6; i++) {
		static const char *const want[] = {
			"A /new.txt\n", "C /etc/os-release\n",
			"D /usr/share/demo/keep\n", "A /opt/old/fresh\n",
			"A /usr/local/bin/hello-3\n", "C /usr/share/demo\n",
		};

		EXPECT_NE(NULL, strstr(diff_lfs, want[i]))
			TH_LOG("podman diff lacks %s", want[i]);
	}
	TH_LOG("podman diff:\n%s", diff_lfs);
}

/*
 * While a podman process runs, containers/storage's overlay driver
 * bind-mounts its home (ROOT/overlay) privately onto itself, and at exit
 * unmounts it again unless a container or image mount keeps it busy
 * (drivers/overlay: MakePrivate() in Init(), Unmount() in Cleanup()).
 * Layers layerctl registers meanwhile are reached through that bind
 * mount; they must stay mountable once podman has unmounted it.
 */
TEST_F_TIMEOUT(podman, layers_registered_under_podmans_bind_mount_stay_mountable, 600)
{
	ASSERT_EQ(0, RUN(PODMAN " image mount " IMAGE QUIET)) TH_LOG("%s", lu_out);
	EXPECT_EQ(0, RUN("grep -c ' " ROOT "/overlay ' /proc/self/mountinfo"))
		TH_LOG("podman's bind mount of its overlay directory: %s", lu_out);
	ASSERT_EQ(0, RUN(LC " mount " IMAGE " %s", lu_layerctl_cmd(), self->a))
		TH_LOG("%s", lu_out);
	ASSERT_EQ(0, RUN(LC " umount %s", lu_layerctl_cmd(), self->a)) TH_LOG("%s", lu_out);
	ASSERT_EQ(0, RUN(PODMAN " image unmount " IMAGE)) TH_LOG("%s", lu_out);
	RUN("grep -c ' " ROOT "/overlay ' /proc/self/mountinfo");
	TH_LOG("after podman image unmount: %s bind mount(s) of its overlay directory",
	       lu_chomp());
	/* the layers are still registered: mounted again by name */
	EXPECT_EQ(0, RUN(LC " mount " IMAGE " %s", lu_layerctl_cmd(), self->a))
		TH_LOG("%s", lu_out);
	RUN(LC " umount %s", lu_layerctl_cmd(), self->a);
	/* and prune still finds them where podman keeps them */
	EXPECT_EQ(0, RUN(LC " -v prune", lu_layerctl_cmd())) TH_LOG("%s", lu_out);
	EXPECT_NE(NULL, strstr(lu_out, "3 layer(s) removed")) TH_LOG("%s", lu_out);
}

/*
 * An overlay of the @n layers of @lc (layerctl inspect --json), mounted
 * read-only at @mnt through short relative names: symbolic links
 * @dir/ln/NNN to each layer directory, and lowerdir=NNN:... from there.
 * With podman's own l/ short names 200 layers need ~5.8 KB of mount
 * options, more than the page mount(2) copies.
 */
static int mount_overlay_short(struct json_object *lc, int n, const char *dir,
			       const char *mnt)
{
	struct json_object *layers = json_object_object_get(lc, "layers");
	static char opts[8192];
	char ln[PATH_MAX], cwd[PATH_MAX], *p = opts;
	int i, ret;

	P(ln, "%s/ln", dir);
	if ((mkdir(ln, 0755) && errno != EEXIST) || !getcwd(cwd, sizeof(cwd)) ||
	    chdir(ln))
		return -1;
	p += snprintf(p, sizeof(opts), "lowerdir=");
	for (i = n; i-- > 0;) {
		char name[16];

		snprintf(name, sizeof(name), "%03d", i);
		unlink(name);
		if (symlink(lu_jstr(json_object_array_get_idx(layers, i), "path"), name))
			break;
		p += snprintf(p, opts + sizeof(opts) - p, "%s%s", i == n - 1 ? "" : ":",
			      name);
	}
	ret = i < 0 ? mount("overlay", mnt, "overlay", MS_RDONLY, opts) : -1;
	if (chdir(cwd))
		ret = -1;
	return ret;
}

/*
 * 200 layers, each adding a file, every tenth whiting out the file of the
 * one below (lu_many_layers_archive()). containers/storage mounts its
 * overlay with l/ short names relative to its home, ~29 bytes a layer:
 * too long for one page of mount options at 200 layers, so podman's own
 * mount of it may fail (it is logged). layerfs mounts it by registered
 * layer names; the tree is compared with an overlay mounted through
 * shorter names still.
 */
TEST_F_TIMEOUT(podman, many_layers_mount_through_the_registry, 900)
{
	char tar[PATH_MAX + 16], b[PATH_MAX + 8], path[PATH_MAX + 32];
	struct json_object *pi, *lc;
	ssize_t n, nl;

	P(tar, "%s/many.tar", self->dir);
	ASSERT_EQ(0, lu_many_layers_archive(self->dir, MANY_LAYERS, "layerfs-many:latest",
					    tar)) TH_LOG("%s", lu_out);
	ASSERT_EQ(0, RUN(PODMAN " load -i %s" QUIET, tar)) TH_LOG("%s", lu_out);
	unlink(tar);

	pi = inspect("image", MANY);
	ASSERT_NE(NULL, pi) TH_LOG("%s", lu_out);
	lc = RUN_JSON(LC " inspect --json " MANY, lu_layerctl_cmd());
	ASSERT_NE(NULL, lc) TH_LOG("layerctl: %s", lu_out);
	nl = image_agrees(_metadata, pi, lc);
	EXPECT_EQ(MANY_LAYERS, nl);
	json_object_put(pi);

	ASSERT_EQ(0, RUN(LC " mount " MANY " %s", lu_layerctl_cmd(), self->a))
		TH_LOG("%s", lu_out);
	EXPECT_STREQ("layer 199\n", lu_cat(P(path, "%s/d/f199", self->a)));
	EXPECT_NE(0, access(P(path, "%s/d/f198", self->a), F_OK));

	if (RUN(PODMAN " image mount " MANY QUIET))
		TH_LOG("podman image mount of %d layers fails: %s", MANY_LAYERS,
		       lu_chomp());
	else
		TH_LOG("podman image mount of %d layers: %s", MANY_LAYERS, lu_chomp());
	RUN(PODMAN " image unmount " MANY);

	P(b, "%s/b", self->dir);
	ASSERT_EQ(0, mkdir(b, 0755));
	ASSERT_EQ(0, mount_overlay_short(lc, nl, self->dir, b))
		TH_LOG("overlay: %s", strerror(errno));
	n = lu_same_tree(_metadata, self->a, b);
	/* d and the 200 files less the 20 whited out, and the root */
	EXPECT_EQ(2 + MANY_LAYERS - MANY_LAYERS / 10, n);
	TH_LOG("%zd layers: %zd entries identical", nl, n);
	json_object_put(lc);
	EXPECT_EQ(0, umount(b));
	ASSERT_EQ(0, RUN(LC " umount %s", lu_layerctl_cmd(), self->a));
	EXPECT_EQ(0, RUN(LC " prune", lu_layerctl_cmd())) TH_LOG("%s", lu_out);
	EXPECT_EQ(0, RUN(PODMAN " rmi " MANY)) TH_LOG("%s", lu_out);
}

/*
 * podman with metacopy=on (storage.conf's mountopt = "nodev,metacopy=on",
 * here as --storage-opt): the mount string it gives overlay (metacopy=on
 * and the redirect_dir=on that comes with it, as mountinfo shows them)
 * mounts layerfs unchanged. A chmod through podman's overlay leaves a
 * metacopy (the xattr, no data) in the container's upper, which layerfs
 * reads with the lower data; a chmod through layerfs leaves one that
 * podman's overlay reads back the same.
 */
TEST_F_TIMEOUT(podman, metacopy_mount_string_mounts_layerfs, 600)
{
	char m[PATH_MAX], upper[PATH_MAX], opts[8192], sum[128];
	struct lu_tree tp = { 0 };
	ssize_t n;

	ASSERT_EQ(0, RUN(PODMAN_MC " mount %s" QUIET, self->cid)) TH_LOG("%s", lu_out);
	P(m, "%s", lu_chomp());
	ASSERT_EQ(0, RUN("grep ' %s ' /proc/self/mountinfo | sed 's/.* - overlay [^ ]* //'", m));
	P(opts, "%s", lu_chomp());
	TH_LOG("podman: %s", opts);
	ASSERT_NE(NULL, strstr(opts, ",metacopy=on")) TH_LOG("%s", opts);
	ASSERT_EQ(0, RUN("chmod 0600 %s/etc/os-release", m)) TH_LOG("%s", lu_out);
	ASSERT_EQ(0, walk(_metadata, m, &tp));
	ASSERT_EQ(0, RUN(PODMAN_MC " umount %s", self->cid)) TH_LOG("%s", lu_out);
	ASSERT_EQ(0, RUN(PODMAN " inspect --format '{{.GraphDriver.Data.UpperDir}}' %s" QUIET,
			 self->cid)) TH_LOG("%s", lu_out);
	P(upper, "%s", lu_chomp());
	EXPECT_EQ(0, RUN("getfattr -n trusted.overlay.metacopy %s/etc/os-release >/dev/null 2>&1 && "
			 "stat -c '%%a %%b' %s/etc/os-release", upper, upper))
		TH_LOG("overlay's metacopy: %s", lu_out);
	EXPECT_STREQ("600 0", lu_chomp());

	ASSERT_EQ(0, RUN("mount -t layerfs -o '%s' layerfs %s", opts, self->a))
		TH_LOG("%s", lu_out);
	n = lu_same_as_tree(_metadata, self->a, &tp);
	EXPECT_LT(100, n);
	TH_LOG("container with a metacopy: %zd entries identical", n);
	ASSERT_EQ(0, RUN("sha256sum < %s/usr/local/bin/hello && "
			 "chmod 0700 %s/usr/local/bin/hello", self->a, self->a));
	P(sum, "%s", lu_chomp());
	ASSERT_EQ(0, RUN("umount %s", self->a));
	EXPECT_EQ(0, RUN("getfattr -n trusted.overlay.metacopy %s/usr/local/bin/hello >/dev/null 2>&1 && "
			 "stat -c '%%a %%b' %s/usr/local/bin/hello", upper, upper))
		TH_LOG("layerfs's metacopy: %s", lu_out);
	EXPECT_STREQ("700 0", lu_chomp());

	ASSERT_EQ(0, RUN(PODMAN_MC " mount %s" QUIET, self->cid)) TH_LOG("%s", lu_out);
	P(m, "%s", lu_chomp());
	EXPECT_EQ(0, RUN("stat -c %%a %s/usr/local/bin/hello && sha256sum < %s/usr/local/bin/hello",
			 m, m));
	EXPECT_EQ(0, strncmp(lu_out, "700\n", 4)) TH_LOG("%s", lu_out);
	EXPECT_STREQ(sum, lu_chomp() + 4);
	EXPECT_EQ(0, RUN(PODMAN_MC " umount %s", self->cid)) TH_LOG("%s", lu_out);
}

/* Last: podman still manages the store layerctl used. */
TEST_F_TIMEOUT(podman, podman_still_manages_the_store, 600)
{
	ASSERT_EQ(0, RUN(LC " mount %s %s", lu_layerctl_cmd(), self->cid, self->a))
		TH_LOG("%s", lu_out);
	ASSERT_EQ(0, RUN("echo x > %s/root/x", self->a));
	ASSERT_EQ(0, RUN(LC " umount %s", lu_layerctl_cmd(), self->a));
	ASSERT_EQ(0, RUN(LC " prune", lu_layerctl_cmd()));
	EXPECT_EQ(0, RUN(PODMAN " rm %s", self->cid)) TH_LOG("%s", lu_out);
	self->cid[0] = '\0';
	EXPECT_EQ(0, RUN(PODMAN " rmi " IMAGE)) TH_LOG("%s", lu_out);
	EXPECT_EQ(0, RUN(PODMAN " images -q 2>/dev/null | wc -l"));
	EXPECT_STREQ("0", lu_chomp());
	/* and its layers went with the image */
	EXPECT_EQ(0, RUN("python3 -c 'import json; print(len(json.load(open(\"" ROOT
			 "/overlay-layers/layers.json\"))))'")) TH_LOG("%s", lu_out);
	EXPECT_STREQ("0", lu_chomp());
}

LU_HARNESS_MAIN
