// SPDX-License-Identifier: GPL-2.0
/*
 * Rootless unions: a user without privileges makes a user namespace and
 * a mount namespace (what `unshare -Urm` does, and rootless podman,
 * dockerd and containerd before they mount) and mounts a union of
 * directories it owns with lowerdir=, upperdir=, workdir= and
 * "userxattr", as overlayfs allows since Linux 5.11. The union's marks
 * are then user.overlay.* (opaque directories, xattr whiteouts, its own
 * escaped xattrs), trusted.overlay.* in the layers is an ordinary xattr,
 * an object whose owner the namespace cannot map cannot be copied up
 * (EOVERFLOW), and the registry (layer=) stays root's.
 *
 * Each test forks the rootless process; what it sees is checked there
 * and reported back, what it left in the upper layer is checked as root.
 * Both filesystems run the same steps; an upper written by one is read
 * by the other (as root, with userxattr) with the same tree.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>

#include "kselftest_harness.h"
#include "harness.h"
#include "union.h"

#define NLAYERS		3
/* The unprivileged user, root of its namespace ("0 ROOTLESS_ID 1"). */
#define ROOTLESS_ID	20000
#define REPORT_LEN	8192

FIXTURE(userns) {
	struct lu_scratch s;
	struct lu_rw rw;
	bool xwhiteouts;	/* both filesystems have xattr whiteouts */
	bool escaped;		/* both escape the union's own xattrs */
};

LU_UNION_VARIANTS(userns);

/* chown -R ROOTLESS_ID:ROOTLESS_ID @path, without following links. */
static int chown_tree(const char *path)
{
	char cmd[LU_PATH_MAX + 64];

	snprintf(cmd, sizeof(cmd), "chown -hR %d:%d '%s'", ROOTLESS_ID,
		 ROOTLESS_ID, path);
	return system(cmd) ? -EIO : 0;
}

/*
 * The layers, top (l0) first:
 *   l0: t/top (t marked trusted.overlay.opaque: not a mark here),
 *       u/top2 (u marked user.overlay.opaque=y: opaque)
 *   l1: d/mid, t/under, u/under2, xw/hidden as an xattr whiteout
 *   l2: d/bottom, d/gone, keep/f, xw/hidden, xw/shown, rootfile (root's)
 */
FIXTURE_SETUP(userns)
{
	struct lu_scratch *s = &self->s;
	int i;

	if (!lu_union_setup(_metadata, s, variant->fstype, NLAYERS))
		return;
	ASSERT_EQ(0, lu_rw_init(&self->rw, s, NULL));
	/* The rootless user walks to the layers. */
	ASSERT_EQ(0, chmod(s->root, 0755));

	self->xwhiteouts = !lu_overlay_lacks("overlay", LU_OVL_XWHITEOUT);
	self->escaped = !lu_overlay_lacks("overlay", LU_OVL_ESCAPED_XATTR);

	ASSERT_EQ(0, lu_file(s, 0, "t/top", 0644, "top"));
	ASSERT_EQ(0, lu_setxattr(s, 0, "t", "trusted.overlay.opaque", "y"));
	ASSERT_EQ(0, lu_file(s, 0, "u/top2", 0644, "top2"));
	ASSERT_EQ(0, lu_setxattr(s, 0, "u", "user.overlay.opaque", "y"));
	ASSERT_EQ(0, lu_file(s, 1, "d/mid", 0644, "mid"));
	ASSERT_EQ(0, lu_file(s, 1, "t/under", 0644, "under"));
	ASSERT_EQ(0, lu_file(s, 1, "u/under2", 0644, "under2"));
	ASSERT_EQ(0, lu_file(s, 2, "d/bottom", 0644, "bottom"));
	ASSERT_EQ(0, lu_file(s, 2, "d/gone", 0644, "gone"));
	ASSERT_EQ(0, lu_file(s, 2, "keep/f", 0644, "f"));
	ASSERT_EQ(0, lu_file(s, 2, "xw/shown", 0644, "shown"));
	ASSERT_EQ(0, lu_file(s, 2, "xw/hidden", 0644, "hidden"));
	if (self->xwhiteouts) {
		ASSERT_EQ(0, lu_file(s, 1, "xw/hidden", 0644, ""));
		ASSERT_EQ(0, lu_setxattr(s, 1, "xw/hidden", "user.overlay.whiteout", ""));
		ASSERT_EQ(0, lu_setxattr(s, 1, "xw", "user.overlay.opaque", "x"));
	}
	for (i = 0; i < NLAYERS; i++)
		ASSERT_EQ(0, chown_tree(lu_lpath(s, i, NULL)));
	ASSERT_EQ(0, chown_tree(self->rw.base));
	/*
	 * After the chown: this one stays root's, unmapped in the namespace;
	 * writable by others, so that only its owner stops a copy-up.
	 */
	ASSERT_EQ(0, lu_file(s, 2, "rootfile", 0666, "root's"));
}

FIXTURE_TEARDOWN(userns)
{
	lu_scratch_fini(&self->s);
	lu_rw_fini(&self->rw);
}

/* What the rootless child found wrong, in memory shared with the test. */
struct report {
	int failed;
	size_t len;
	char text[REPORT_LEN];
};

static void __attribute__((format(printf, 3, 4)))
report_fail(struct report *r, int line, const char *fmt, ...)
{
	va_list ap;
	int n;

	r->failed++;
	n = snprintf(r->text + r->len, sizeof(r->text) - r->len, "line %d: ", line);
	if (n > 0 && (size_t)n < sizeof(r->text) - r->len)
		r->len += n;
	va_start(ap, fmt);
	n = vsnprintf(r->text + r->len, sizeof(r->text) - r->len, fmt, ap);
	va_end(ap);
	if (n > 0 && (size_t)n < sizeof(r->text) - r->len)
		r->len += n;
	if (r->len < sizeof(r->text) - 1)
		r->text[r->len++] = '\n';
	r->text[r->len] = '\0';
}

#define CHECK_INT(r, want, got) do {					\
	long __w = (want), __g = (got);					\
									\
	if (__w != __g)							\
		report_fail(r, __LINE__, "%s: want %ld, got %ld (%s)",	\
			    #got, __w, __g, strerror(errno));		\
} while (0)

#define CHECK_STR(r, want, got) do {					\
	const char *__w = (want), *__g = (got);				\
									\
	if (strcmp(__w, __g))						\
		report_fail(r, __LINE__, "%s: want \"%s\", got \"%s\"",	\
			    #got, __w, __g);				\
} while (0)

/*
 * ROOTLESS_ID without privileges, root of its own user and mount
 * namespaces (lu_enter_userns()), with private mount propagation.
 */
static int become_rootless(const char **step)
{
	int ret = lu_enter_userns(ROOTLESS_ID, step);

	if (ret)
		return ret;
	*step = "MS_PRIVATE";
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		return -errno;
	return 0;
}

/* mount(2) of the three layers with the fixture's upper and ",@extra". */
static int mount_union(FIXTURE_DATA(userns) *self, const char *fstype,
		       const char *extra)
{
	struct lu_scratch *s = &self->s;
	char data[8 * LU_PATH_MAX];

	snprintf(data, sizeof(data), "lowerdir=%s:%s:%s,upperdir=%s,workdir=%s%s%s",
		 lu_lpath(s, 0, NULL), lu_lpath(s, 1, NULL), lu_lpath(s, 2, NULL),
		 self->rw.upper, self->rw.work, *extra ? "," : "", extra);
	return lu_mount_data(fstype, s->mnt, 0, data);
}

/* Is @name among the names listxattr() gives for @path? */
static bool lists_xattr(const char *path, const char *name)
{
	char list[4096];
	ssize_t n = llistxattr(path, list, sizeof(list));
	char *p;

	for (p = list; n > 0 && p < list + n; p += strlen(p) + 1)
		if (!strcmp(p, name))
			return true;
	return false;
}

/* The rootless process: every step, both filesystems alike. */
static void rootless_steps(FIXTURE_DATA(userns) *self, const char *fstype,
			   bool layerfs, struct report *r)
{
	struct lu_scratch *s = &self->s;
	char opts[8192], v[16];
	const char *step;
	struct stat st;
	int ret;

	ret = become_rootless(&step);
	if (ret) {
		report_fail(r, __LINE__, "cannot become rootless: %s: %s", step,
			    strerror(-ret));
		return;
	}
	/* Not root where it counts: trusted.* is out of reach. */
	CHECK_INT(r, -1, lsetxattr(lu_lpath(s, 2, "d"), "trusted.x", "1", 1, 0));

	/*
	 * Without userxattr the union's marks would be trusted.overlay.*:
	 * layerfs refuses the mount (EPERM, "try mounting with
	 * 'userxattr'"); overlay mounts without its marks (a documented
	 * deviation, Documentation/filesystems/layerfs.rst).
	 */
	ret = mount_union(self, fstype, "");
	if (layerfs) {
		CHECK_INT(r, -EPERM, ret);
	} else {
		CHECK_INT(r, 0, ret);
		if (!ret)
			umount2(s->mnt, MNT_DETACH);
	}
	/* The registry is for root in the initial namespace. */
	if (layerfs)
		CHECK_INT(r, -EPERM, lu_mount_data(fstype, s->mnt, MS_RDONLY,
						   "layer=anything"));

	ret = mount_union(self, fstype, "userxattr");
	CHECK_INT(r, 0, ret);
	if (ret)
		return;
	CHECK_INT(r, 0, lu_mountinfo_opts(s->mnt, opts, sizeof(opts)));
	if (!strstr(opts, "userxattr"))
		report_fail(r, __LINE__, "mountinfo: %s", opts);

	/* Merged as the user.overlay.* marks say; trusted.overlay.* is not one. */
	CHECK_STR(r, "bottom gone mid", lu_names(lu_mpath(s, "d")));
	CHECK_STR(r, "top under", lu_names(lu_mpath(s, "t")));
	CHECK_STR(r, "top2", lu_names(lu_mpath(s, "u")));
	if (self->xwhiteouts) {
		CHECK_STR(r, "shown", lu_names(lu_mpath(s, "xw")));
		CHECK_INT(r, -ENOENT, lu_ftype(lu_mpath(s, "xw/hidden")));
	}
	/* The layer's trusted.overlay.opaque is an ordinary xattr: root's only. */
	CHECK_INT(r, 0, lists_xattr(lu_mpath(s, "t"), "trusted.overlay.opaque"));

	/* Copy-up of the user's own file, owned by the namespace's root. */
	CHECK_INT(r, 0, lu_append_str(lu_mpath(s, "d/bottom"), "+"));
	CHECK_STR(r, "bottom+", lu_cat(lu_mpath(s, "d/bottom")));
	CHECK_INT(r, 0, lstat(lu_mpath(s, "d/bottom"), &st));
	CHECK_INT(r, 0, st.st_uid);
	/* Removing a lower name leaves a whiteout; rmdir + mkdir an opaque dir. */
	CHECK_INT(r, 0, unlink(lu_mpath(s, "d/gone")));
	CHECK_INT(r, 0, unlink(lu_mpath(s, "keep/f")));
	CHECK_INT(r, 0, rmdir(lu_mpath(s, "keep")));
	CHECK_INT(r, 0, mkdir(lu_mpath(s, "keep"), 0755));
	CHECK_STR(r, "", lu_names(lu_mpath(s, "keep")));
	/* The union's own marks never show through it. */
	CHECK_INT(r, 0, lists_xattr(lu_mpath(s, "keep"), "user.overlay.opaque"));
	CHECK_INT(r, -1, lgetxattr(lu_mpath(s, "keep"), "user.overlay.opaque", v,
				   sizeof(v)));
	/* user.overlay.X of a nested union is kept escaped. */
	if (self->escaped) {
		CHECK_INT(r, 0, lsetxattr(lu_mpath(s, "d/mid"), "user.overlay.n",
					  "1", 1, 0));
		CHECK_INT(r, 1, lgetxattr(lu_mpath(s, "d/mid"), "user.overlay.n", v,
					  sizeof(v)));
		CHECK_INT(r, 1, lists_xattr(lu_mpath(s, "d/mid"), "user.overlay.n"));
	}
	/* trusted.* through the union: not for this root either. */
	CHECK_INT(r, -1, lsetxattr(lu_mpath(s, "d/mid"), "trusted.x", "1", 1, 0));
	CHECK_INT(r, EPERM, errno);

	/* Root's file: readable, but its owner cannot be given to a copy. */
	CHECK_STR(r, "root's", lu_cat(lu_mpath(s, "rootfile")));
	CHECK_INT(r, 0, lstat(lu_mpath(s, "rootfile"), &st));
	CHECK_INT(r, 65534, st.st_uid);
	CHECK_INT(r, -EOVERFLOW, lu_append_str(lu_mpath(s, "rootfile"), "x"));
	CHECK_INT(r, -ENOENT, lstat(lu_path(s, "rw/upper/rootfile"), &st) ? -errno : 0);

	CHECK_INT(r, 0, umount2(s->mnt, 0));
}

/* Fork the rootless process, wait, and pass on what it reported. */
static void run_rootless(struct __test_metadata *_metadata,
			 FIXTURE_DATA(userns) *self, const char *fstype,
			 bool layerfs)
{
	struct report *r;
	int status;
	pid_t pid;

	r = mmap(NULL, sizeof(*r), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, r);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		rootless_steps(self, fstype, layerfs, r);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
	EXPECT_EQ(0, r->failed) {
		TH_LOG("%s, rootless:\n%s", fstype, r->text);
	}
	munmap(r, sizeof(*r));
}

static bool is_whiteout(const char *path)
{
	struct stat st;

	return !lstat(path, &st) && S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0);
}

TEST_F(userns, rootless_userxattr_union_as_on_overlay)
{
	struct lu_scratch *s = &self->s;
	struct lu_tree a = { 0 }, b = { 0 };
	const char *other = variant->layerfs ? "overlay" : "layerfs";
	char v[16], why[1024];
	struct stat st;

	run_rootless(_metadata, self, variant->fstype, variant->layerfs);

	/* What it left in the upper layer, seen by root. */
	ASSERT_EQ(0, lstat(lu_path(s, "rw/upper/d/bottom"), &st));
	EXPECT_EQ(ROOTLESS_ID, st.st_uid);
	EXPECT_STREQ("bottom+", lu_cat(lu_path(s, "rw/upper/d/bottom")));
	EXPECT_TRUE(is_whiteout(lu_path(s, "rw/upper/d/gone")));
	EXPECT_EQ(1, lgetxattr(lu_path(s, "rw/upper/keep"), "user.overlay.opaque",
			       v, sizeof(v)));
	EXPECT_EQ('y', v[0]);
	EXPECT_EQ(-1, lgetxattr(lu_path(s, "rw/upper/keep"), "trusted.overlay.opaque",
				v, sizeof(v)));
	if (self->escaped)
		EXPECT_EQ(1, lgetxattr(lu_path(s, "rw/upper/d/mid"),
				       "user.overlay.overlay.n", v, sizeof(v)));

	/* Read back as root with userxattr by both: the same tree. */
	if (lu_fs_available(other)) {
		TH_LOG("%s is not available: not read back by it", other);
		return;
	}
	ASSERT_EQ(0, mount_union(self, variant->fstype, "userxattr"));
	s->mounted = true;
	ASSERT_EQ(0, lu_tree_walk(s->mnt, &a)) TH_LOG("%s", a.error);
	ASSERT_EQ(0, lu_umount(s));
	ASSERT_EQ(0, mount_union(self, other, "userxattr"));
	s->mounted = true;
	ASSERT_EQ(0, lu_tree_walk(s->mnt, &b)) TH_LOG("%s", b.error);
	EXPECT_EQ(0, lu_tree_diff(&a, &b, LU_CMP_NLINK, why, sizeof(why))) {
		TH_LOG("%s wrote, %s reads: %s", variant->fstype, other, why);
	}
	EXPECT_STREQ("", lu_names(lu_mpath(s, "keep")));
	EXPECT_EQ(-ENOENT, lu_ftype(lu_mpath(s, "d/gone")));
	lu_tree_free(&a);
	lu_tree_free(&b);
}

LU_HARNESS_MAIN
