// SPDX-License-Identifier: GPL-2.0
/*
 * A rootless podman store, end to end: Debian's podman 4.3 run by an
 * unprivileged user (uid ROOTLESS_UID, subordinate ids from /etc/subuid
 * through newuidmap) keeps its containers/storage overlay store in the
 * user's home, with its marks in user.overlay.* (rootless podman mounts
 * overlay with userxattr). In that user's namespace (`podman unshare`),
 * layerctl mounts the store's images and containers through lowerdir+
 * and userxattr, without the registry, which is root's.
 *
 * Each test compares with podman's own overlay mount in the same user
 * namespace: the trees (types, modes, owners, sizes, link targets,
 * contents), podman diff of changes written through either, the marks
 * the changes leave in the container's upper, and podman's own mount
 * string swapped to -t layerfs. layerctl writes nothing into the store.
 *
 * The guest's /etc is the host's, read-only: the user and its ranges are
 * added to copies of /etc/passwd, group, subuid and subgid bound over
 * them. The home is a tmpfs (user.* xattrs since Linux 6.6), or on older
 * kernels a directory of the ext4 scratch disk (lu_scratch_mount()).
 *
 * Needs root, podman and newuidmap (scripts/setup installs both), and
 * LAYERFS_KO / LAYERCTL / MKSTORE as selftests/run sets them.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "harness.h"
#include "union.h"
#include "util.h"
#include "e2e.h"

#define ROOTLESS_UID	"20300"
#define SUBIDS		"lfsrootless:400000:65536\n"
#define RL		"/run/layerfs-rootless"
#define HOME		RL "/home"
#define XDG		RL "/xdg"
#define OUT		RL "/out"	/* what the scripts write */
#define STORE		HOME "/.local/share/containers/storage"
#define LAYERCTL	RL "/bin/layerctl"
#define PODMAN_BIN	"/usr/bin/podman"
/* podman as the user, in the environment of a login, in its home */
#define AS_USER		"cd " HOME " && setpriv --reuid=" ROOTLESS_UID " --regid=" ROOTLESS_UID \
			" --clear-groups env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin" \
			" HOME=" HOME " XDG_RUNTIME_DIR=" XDG " USER=lfsrootless "
#define PODMAN		AS_USER PODMAN_BIN " --cgroup-manager cgroupfs" \
			" --events-backend file --storage-driver overlay"
#define IMAGE		"localhost/layerfs-rootless:latest"
/* Only stdout in lu_out when the command succeeds, stderr too if not. */
#define QUIET		" 2>" RL "/stderr || { cat " RL "/stderr; exit 1; }"

/*
 * A listing of the tree at $1 (a shell function for the scripts below):
 * type, mode, owner, size and link target of everything, every file's
 * sha256. Owners as the user namespace sees them.
 */
#define TREE_FN \
	"tree() { ( cd \"$1\" && find . -printf '%y %m %U:%G %s %l %p\\n' | " \
	"LC_ALL=C sort && find . -type f -print0 | LC_ALL=C sort -z | " \
	"xargs -0r sha256sum ); }\n"

static char home_backing[LU_SCRATCH_BACKING_MAX];

/* A copy of /etc/@name with @add appended, bound over /etc/@name. */
static int etc_add(const char *name, const char *add)
{
	return RUN("cp /etc/%s " RL "/etc/%s 2>/dev/null || : > " RL "/etc/%s; "
		   "printf '%s' >> " RL "/etc/%s && "
		   "mount --bind " RL "/etc/%s /etc/%s",
		   name, name, name, add, name, name, name);
}

/*
 * The user, its home and runtime directory, once per guest (RL/ready).
 * 0, or -1 with the reason in @why.
 */
static int rootless_env(char *why, size_t len)
{
	int err;

	if (!access(RL "/ready", F_OK))
		return 0;
	RUN("grep -qw overlay /proc/filesystems || modprobe overlay");
	err = lfs_load_module();
	if (err) {
		snprintf(why, len, "loading layerfs: %s", strerror(-err));
		return -1;
	}
	if ((mkdir(RL, 0755) && errno != EEXIST) ||
	    mount("tmpfs", RL, "tmpfs", 0, "mode=0755")) {
		snprintf(why, len, "tmpfs on %s: %s", RL, strerror(errno));
		return -1;
	}
	if (RUN("mkdir -p " RL "/etc " RL "/bin " HOME " " XDG " " OUT) ||
	    etc_add("passwd", "lfsrootless:x:" ROOTLESS_UID ":" ROOTLESS_UID
		    "::" HOME ":/bin/sh\\n") ||
	    etc_add("group", "lfsrootless:x:" ROOTLESS_UID ":\\n") ||
	    etc_add("subuid", SUBIDS) || etc_add("subgid", SUBIDS)) {
		snprintf(why, len, "the user lfsrootless: %.600s", lu_out);
		return -1;
	}
	err = lu_scratch_mount(HOME, home_backing, sizeof(home_backing));
	if (err) {
		snprintf(why, len, "a home for lfsrootless: %s", strerror(-err));
		return -1;
	}
	/*
	 * The user cannot reach a checkout in root's mktemp -d directory:
	 * layerctl is copied where it can.
	 */
	if (RUN("chown " ROOTLESS_UID ":" ROOTLESS_UID " " HOME " " XDG " " OUT " && "
		"chmod 0700 " HOME " " XDG " && install -m 0755 %s " LAYERCTL,
		lu_layerctl())) {
		snprintf(why, len, "the user's directories: %.600s", lu_out);
		return -1;
	}
	if ((mkdir("/dev/shm", 01777) && errno != EEXIST) ||
	    (access("/dev/shm", W_OK) &&
	     mount("tmpfs", "/dev/shm", "tmpfs", 0, "mode=1777"))) {
		snprintf(why, len, "/dev/shm: %s", strerror(errno));
		return -1;
	}
	return close(open(RL "/ready", O_CREAT | O_WRONLY, 0600));
}

/*
 * Run the shell script @fmt in the user's namespace (podman unshare: the
 * user namespace of the user's podman, with its mount namespace), -e
 * and with tree() defined. podman's own commands work there as well.
 */
static __attribute__((format(printf, 1, 2))) int in_userns(const char *fmt, ...)
{
	char script[8192];
	va_list ap;
	int n;
	FILE *f;

	va_start(ap, fmt);
	n = vsnprintf(script, sizeof(script), fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof(script))
		abort();
	f = fopen(RL "/script.sh", "we");
	if (!f)
		return -1;
	fprintf(f, "set -e\nPODMAN='%s'\nLAYERCTL='%s --root %s'\n%s%s\n",
		PODMAN_BIN " --cgroup-manager cgroupfs --events-backend file"
		" --storage-driver overlay", LAYERCTL, STORE, TREE_FN, script);
	if (fclose(f) || chmod(RL "/script.sh", 0644))
		return -1;
	return RUN(PODMAN " unshare sh " RL "/script.sh 2>&1");
}

/*
 * What layerctl must not change: the whole store but container @cid's
 * upper, work and merged directories (which change through its mount),
 * and the lock files (which podman itself touches).
 */
static char *store_listing(const char *cid)
{
	char skip[1024], *id;

	if (RUN(PODMAN " inspect --format '{{.GraphDriver.Data.UpperDir}}' %s" QUIET, cid))
		return NULL;
	id = strstr(lu_chomp(), "/overlay/");
	if (!id || strlen(id) < 14 || strcmp(id + strlen(id) - 5, "/diff"))
		return NULL;
	id += 9;
	id[strlen(id) - 5] = '\0';
	P(skip, "\\( -path './overlay/%s/diff' -o -path './overlay/%s/work' -o "
	  "-path './overlay/%s/merged' -o -name '*.lock' \\) -prune -o", id, id, id);
	return lu_store_listing(STORE, skip);
}

/* The contents of @path (a file the scripts wrote in OUT), put it. */
static char *slurp(const char *path)
{
	char *s = NULL;
	size_t n = 0;
	FILE *f;

	f = fopen(path, "re");
	if (!f)
		return NULL;
	if (getdelim(&s, &n, '\0', f) < 0) {
		free(s);
		s = NULL;
	}
	fclose(f);
	return s;
}

static size_t lines(const char *s)
{
	size_t n = 0;

	for (; s && *s; s++)
		n += *s == '\n';
	return n;
}

/*
 * OUT/ovl.txt (podman's overlay mount) and OUT/lfs.txt (layerfs's), as
 * tree() wrote them, are the same and list more than 200 entries. The
 * layerfs listing (put it), or NULL.
 */
static char *same_trees(struct __test_metadata *_metadata, const char *what)
{
	char *ovl = slurp(OUT "/ovl.txt"), *lfs = slurp(OUT "/lfs.txt");

	EXPECT_NE(NULL, ovl);
	EXPECT_NE(NULL, lfs);
	if (ovl && lfs) {
		EXPECT_STREQ(ovl, lfs);
		EXPECT_LT(200, lines(lfs));
		TH_LOG("%s: %zu lines of listing identical", what, lines(lfs));
	}
	free(ovl);
	return lfs;
}

FIXTURE(rootless) {
	char cid[80];			/* the test's container */
	char mnt[PATH_MAX];		/* layerctl's mount point, the user's */
};

FIXTURE_SETUP(rootless)
{
	const char *mkstore = getenv("MKSTORE");
	char why[768];

	if (geteuid())
		SKIP(return, "needs root");
	if (access(PODMAN_BIN, X_OK))
		SKIP(return, "%s missing (scripts/setup installs podman)", PODMAN_BIN);
	if (access("/usr/bin/newuidmap", X_OK))
		SKIP(return, "newuidmap missing (scripts/setup installs uidmap)");
	if (access(lu_layerctl(), X_OK))
		SKIP(return, "layerctl is not built (LAYERCTL)");
	ASSERT_EQ(0, rootless_env(why, sizeof(why))) TH_LOG("%s", why);
	P(self->mnt, "%s", HOME "/mnt");
	ASSERT_EQ(0, RUN(AS_USER "mkdir -p " HOME "/mnt")) TH_LOG("%s", lu_out);
	if (RUN(PODMAN " image exists " IMAGE)) {
		ASSERT_NE(NULL, mkstore);
		ASSERT_EQ(0, RUN("%s --docker-save " RL "/image.tar --demo "
				 "--tag layerfs-rootless:latest && chmod 0644 "
				 RL "/image.tar", mkstore)) TH_LOG("%s", lu_out);
		ASSERT_EQ(0, RUN(PODMAN " load -i " RL "/image.tar" QUIET))
			TH_LOG("podman load: %s", lu_out);
		unlink(RL "/image.tar");
		RUN(PODMAN " info --format '{{.Store.GraphDriverName}} "
		    "{{.Store.GraphStatus}}'");
		TH_LOG("rootless podman: %s", lu_chomp());
	}
	ASSERT_EQ(0, RUN(PODMAN " create --network none " IMAGE " /bin/sh" QUIET))
		TH_LOG("podman create: %s", lu_out);
	P(self->cid, "%.64s", lu_chomp());
	ASSERT_EQ(64, strlen(self->cid)) TH_LOG("%s", lu_out);
}

FIXTURE_TEARDOWN(rootless)
{
	if (!self->cid[0])
		return;
	in_userns("grep -q ' %s ' /proc/self/mountinfo && $LAYERCTL umount %s || :",
		  self->mnt, self->mnt);
	RUN(PODMAN " rm -f %s", self->cid);
}

/*
 * podman writes into the container through its own mount; layerctl's
 * mount of the container then shows the same tree, and the store is
 * unchanged. The mount is the registry-less kind, with userxattr.
 */
TEST_F_TIMEOUT(rootless, container_mount_matches_podman_mount, 600)
{
	char *ovl, *lfs, *before, *after;

	ASSERT_EQ(0, in_userns("m=$($PODMAN mount %s)\n"
			       "(cd \"$m\" && %s)\n"
			       "tree \"$m\" > " OUT "/ovl.txt\n"
			       "$PODMAN umount %s >/dev/null",
			       self->cid, lu_changes, self->cid)) TH_LOG("%s", lu_out);
	before = store_listing(self->cid);
	ASSERT_NE(NULL, before) TH_LOG("%s", lu_out);
	ASSERT_EQ(0, in_userns("$LAYERCTL -v mount %s %s\n"
			       "grep ' %s ' /proc/self/mountinfo > " OUT "/mountinfo\n"
			       "tree %s > " OUT "/lfs.txt\n"
			       "$LAYERCTL umount %s",
			       self->cid, self->mnt, self->mnt, self->mnt, self->mnt))
		TH_LOG("%s", lu_out);
	TH_LOG("%s", lu_chomp());
	after = store_listing(self->cid);
	ASSERT_NE(NULL, after) TH_LOG("%s", lu_out);
	EXPECT_STREQ(before, after);

	lfs = same_trees(_metadata, "container");
	ASSERT_NE(NULL, lfs);
	EXPECT_NE(NULL, strstr(lfs, " ./new.txt\n"));
	EXPECT_EQ(NULL, strstr(lfs, " ./usr/share/demo/keep\n"));
	free(lfs);
	free(before);
	free(after);

	ovl = slurp(OUT "/mountinfo");
	ASSERT_NE(NULL, ovl);
	EXPECT_NE(NULL, strstr(ovl, " - layerfs ")) TH_LOG("%s", ovl);
	EXPECT_NE(NULL, strstr(ovl, ",userxattr")) TH_LOG("%s", ovl);
	EXPECT_NE(NULL, strstr(ovl, "lowerdir+=" STORE "/overlay/")) TH_LOG("%s", ovl);
	free(ovl);
}

/* The image read-only: layerctl's mount and `podman image mount`. */
TEST_F_TIMEOUT(rootless, image_mount_matches_podman_image_mount, 600)
{
	ASSERT_EQ(0, in_userns("m=$($PODMAN image mount " IMAGE ")\n"
			       "tree \"$m\" > " OUT "/ovl.txt\n"
			       "$PODMAN image unmount " IMAGE " >/dev/null\n"
			       "$LAYERCTL mount " IMAGE " %s\n"
			       "tree %s > " OUT "/lfs.txt\n"
			       "getfattr --only-values -n user.demo %s/usr/share/demo/xattr\n"
			       "if touch %s/x 2>" OUT "/touch; then echo writable; fi\n"
			       "cat " OUT "/touch\n"
			       "$LAYERCTL umount %s",
			       self->mnt, self->mnt, self->mnt, self->mnt, self->mnt))
		TH_LOG("%s", lu_out);
	/* user.demo, a user xattr of a lower file, is no mark: it shows */
	EXPECT_NE(NULL, strstr(lu_out, "top")) TH_LOG("%s", lu_out);
	EXPECT_NE(NULL, strstr(lu_out, "Read-only file system")) TH_LOG("%s", lu_out);
	EXPECT_EQ(NULL, strstr(lu_out, "writable")) TH_LOG("%s", lu_out);
	free(same_trees(_metadata, "image"));
}

/*
 * The same changes through layerctl's mount of one container and
 * podman's of another: podman diff agrees, and the uppers hold the same
 * marks in user.overlay.* (none in trusted.overlay.*, which the user
 * cannot write anyway): a whiteout for the deleted file, an opaque
 * directory for the one made again.
 */
TEST_F_TIMEOUT(rootless, writes_show_in_podman_diff, 600)
{
	char diff_lfs[8192], diff_ovl[8192], ocid[80], cmd[1024];
	char marks_lfs[4096], marks_ovl[4096];
	static const char marks[] =
		"cd $(%s inspect --format '{{.GraphDriver.Data.UpperDir}}' %s) && stat -c '%%F %%t:%%T %%n' usr/share/demo/keep && "
		"getfattr --only-values -n user.overlay.opaque opt/old && echo && "
		"{ getfattr -n trusted.overlay.opaque opt/old 2>&1 | grep -c 'No such attr'; }";

	ASSERT_EQ(0, in_userns("$LAYERCTL mount %s %s\n(cd %s && %s)\n$LAYERCTL umount %s",
			       self->cid, self->mnt, self->mnt, lu_changes, self->mnt))
		TH_LOG("%s", lu_out);
	ASSERT_EQ(0, lu_run_sorted(P(cmd, PODMAN " diff %s 2>/dev/null", self->cid),
				   diff_lfs, sizeof(diff_lfs))) TH_LOG("%s", lu_out);

	ASSERT_EQ(0, RUN(PODMAN " create --network none " IMAGE " /bin/sh" QUIET))
		TH_LOG("%s", lu_out);
	P(ocid, "%.64s", lu_chomp());
	ASSERT_EQ(0, in_userns("m=$($PODMAN mount %s)\n(cd \"$m\" && %s)\n"
			       "$PODMAN umount %s >/dev/null", ocid, lu_changes, ocid))
		TH_LOG("%s", lu_out);
	ASSERT_EQ(0, lu_run_sorted(P(cmd, PODMAN " diff %s 2>/dev/null", ocid),
				   diff_ovl, sizeof(diff_ovl))) TH_LOG("%s", lu_out);
	EXPECT_STREQ(diff_ovl, diff_lfs);
	EXPECT_NE(NULL, strstr(diff_lfs, "D /usr/share/demo/keep\n")) TH_LOG("%s", diff_lfs);
	EXPECT_NE(NULL, strstr(diff_lfs, "A /opt/old/fresh\n")) TH_LOG("%s", diff_lfs);
	TH_LOG("podman diff:\n%s", diff_lfs);

	/* the marks, as root sees them on disk */
	EXPECT_EQ(0, RUN(marks, PODMAN, ocid)) TH_LOG("%s", lu_out);
	P(marks_ovl, "%s", lu_out);
	EXPECT_EQ(0, RUN(marks, PODMAN, self->cid)) TH_LOG("%s", lu_out);
	P(marks_lfs, "%s", lu_out);
	EXPECT_STREQ(marks_ovl, marks_lfs);
	EXPECT_NE(NULL, strstr(marks_lfs, "character special file 0:0 usr/share/demo/keep\ny\n1\n"))
		TH_LOG("%s", marks_lfs);
	RUN(PODMAN " rm -f %s", ocid);
}

/*
 * The mount string rootless podman gives overlay (as mountinfo shows it:
 * lowerdir of l/ short names, upperdir, workdir, userxattr and the
 * defaults that come with it) mounts layerfs unchanged, with the tree
 * podman's mount shows.
 */
TEST_F_TIMEOUT(rootless, podmans_mount_string_mounts_layerfs, 600)
{
	char *mountinfo;

	ASSERT_EQ(0, in_userns("m=$($PODMAN mount %s)\n"
			       "(cd \"$m\" && %s)\n"
			       "tree \"$m\" > " OUT "/ovl.txt\n"
			       "opts=$(grep \" $m \" /proc/self/mountinfo | "
			       "sed 's/.* - overlay [^ ]* //')\n"
			       "$PODMAN umount %s >/dev/null\n"
			       "echo \"podman: $opts\"\n"
			       "mount -t layerfs -o \"$opts\" layerfs %s\n"
			       "tree %s > " OUT "/lfs.txt\n"
			       "grep ' %s ' /proc/self/mountinfo > " OUT "/mountinfo\n"
			       "umount %s",
			       self->cid, lu_changes, self->cid, self->mnt,
			       self->mnt, self->mnt, self->mnt)) TH_LOG("%s", lu_out);
	TH_LOG("%s", lu_chomp());
	EXPECT_NE(NULL, strstr(lu_out, ",userxattr")) TH_LOG("%s", lu_out);
	mountinfo = slurp(OUT "/mountinfo");
	ASSERT_NE(NULL, mountinfo);
	TH_LOG("layerfs: %s", mountinfo);
	EXPECT_NE(NULL, strstr(mountinfo, " - layerfs layerfs ")) TH_LOG("%s", mountinfo);
	EXPECT_NE(NULL, strstr(mountinfo, ",userxattr")) TH_LOG("%s", mountinfo);
	free(mountinfo);
	free(same_trees(_metadata, "podman's mount string"));
}

/*
 * Root reads a user's rootless store with --rootless: the same names as
 * podman's image mount (an opaque directory in user.overlay.opaque is
 * one), read-only, with userxattr, and nothing registered.
 */
TEST_F_TIMEOUT(rootless, root_mounts_it_with_rootless, 600)
{
	char *ovl, *lfs, registered[64];

	ASSERT_EQ(0, in_userns("m=$($PODMAN image mount " IMAGE ")\n"
			       "(cd \"$m\" && find . | LC_ALL=C sort) > " OUT "/ovl.txt\n"
			       "$PODMAN image unmount " IMAGE " >/dev/null")) TH_LOG("%s", lu_out);
	ASSERT_EQ(0, RUN("%s layers --all | wc -l", lu_layerctl_cmd())) TH_LOG("%s", lu_out);
	P(registered, "%s", lu_chomp());
	ASSERT_EQ(0, RUN("mkdir -p " RL "/rootmnt && %s --root " STORE " --rootless mount "
			 IMAGE " " RL "/rootmnt", lu_layerctl_cmd())) TH_LOG("%s", lu_out);
	EXPECT_EQ(0, RUN("grep ' " RL "/rootmnt .* - layerfs .*,userxattr' /proc/self/mountinfo"))
		TH_LOG("%s", lu_out);
	EXPECT_EQ(0, RUN("(cd " RL "/rootmnt && find . | LC_ALL=C sort) > " OUT "/lfs.txt"));
	EXPECT_NE(0, RUN("touch " RL "/rootmnt/x"));
	EXPECT_EQ(0, RUN("%s layers --all | wc -l", lu_layerctl_cmd())) TH_LOG("%s", lu_out);
	EXPECT_STREQ(registered, lu_chomp()) TH_LOG("registered by a rootless mount");
	EXPECT_EQ(0, RUN("%s umount " RL "/rootmnt", lu_layerctl_cmd())) TH_LOG("%s", lu_out);
	ovl = slurp(OUT "/ovl.txt");
	lfs = slurp(OUT "/lfs.txt");
	ASSERT_NE(NULL, ovl);
	ASSERT_NE(NULL, lfs);
	EXPECT_STREQ(ovl, lfs);
	EXPECT_LT(100, lines(lfs));
	free(ovl);
	free(lfs);
}

/* Without the user namespace the user has no mount at all: a clear error. */
TEST_F_TIMEOUT(rootless, outside_its_namespace_the_user_cannot_mount, 300)
{
	EXPECT_NE(0, RUN(AS_USER LAYERCTL " --root " STORE " --rootless mount %s %s",
			 self->cid, self->mnt));
	EXPECT_NE(NULL, strstr(lu_out, "Operation not permitted")) TH_LOG("%s", lu_out);
	TH_LOG("%s", lu_chomp());
}

LU_HARNESS_MAIN
