// SPDX-License-Identifier: GPL-2.0
/*
 * Attributes through a read-only union: stat/statx fields are the real
 * file's, readlink, xattrs (trusted.overlay.* hidden), POSIX ACLs for
 * getxattr and for permission checks, statfs.
 *
 * Every test runs on layerfs and on overlay with the same expectations.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>

#include "kselftest_harness.h"
#include "harness.h"
#include "union.h"

LU_UNION_FIXTURE(attr, 3)

static void set_times(struct __test_metadata *_metadata, const char *path,
		      time_t sec, long nsec)
{
	struct timespec ts[2] = { { sec - 100, nsec / 2 }, { sec, nsec } };

	ASSERT_EQ(0, utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW));
}

static void same_stat(struct __test_metadata *_metadata, const char *what,
		      const struct stat *u, const struct stat *r)
{
	EXPECT_EQ(r->st_mode, u->st_mode) {
		TH_LOG("%s: mode %o, real %o", what, u->st_mode, r->st_mode);
	}
	EXPECT_EQ(r->st_uid, u->st_uid) {
		TH_LOG("%s", what);
	}
	EXPECT_EQ(r->st_gid, u->st_gid) {
		TH_LOG("%s", what);
	}
	EXPECT_EQ(r->st_size, u->st_size) {
		TH_LOG("%s", what);
	}
	EXPECT_EQ(r->st_rdev, u->st_rdev) {
		TH_LOG("%s", what);
	}
	EXPECT_EQ(r->st_blocks, u->st_blocks) {
		TH_LOG("%s", what);
	}
	EXPECT_EQ(r->st_mtim.tv_sec, u->st_mtim.tv_sec) {
		TH_LOG("%s", what);
	}
	EXPECT_EQ(r->st_mtim.tv_nsec, u->st_mtim.tv_nsec) {
		TH_LOG("%s", what);
	}
	EXPECT_EQ(r->st_ctim.tv_sec, u->st_ctim.tv_sec) {
		TH_LOG("%s", what);
	}
	if (!S_ISDIR(r->st_mode)) {
		EXPECT_EQ(r->st_nlink, u->st_nlink) {
			TH_LOG("%s", what);
		}
	}
}

TEST_F(attr, stat_fields_are_the_real_files)
{
	struct lu_scratch *s = &self->s;
	static const struct {
		int layer;
		const char *name;
		mode_t mode;
		uid_t uid;
		gid_t gid;
	} objs[] = {
		{ 0, "top", S_IFREG | 0640, 1000, 1001 },
		{ 1, "middle", S_IFREG | 04755, 0, 0 },
		{ 2, "bottom", S_IFREG | 0400, 65534, 65534 },
		{ 2, "d/deep", S_IFREG | 0666, 12345, 54321 },
		{ 1, "sticky", S_IFDIR | 01777, 0, 0 },
		{ 0, "lnk", S_IFLNK | 0777, 77, 88 },
		{ 2, "fifo", S_IFIFO | 0620, 5, 6 },
		{ 1, "chr", S_IFCHR | 0600, 0, 5 },
		{ 2, "blk", S_IFBLK | 0660, 0, 6 },
	};
	struct stat u, r;
	unsigned int i;

	for (i = 0; i < sizeof(objs) / sizeof(objs[0]); i++) {
		const char *rp = lu_lpath(s, objs[i].layer, objs[i].name);

		switch (objs[i].mode & S_IFMT) {
		case S_IFREG:
			ASSERT_EQ(0, lu_file(s, objs[i].layer, objs[i].name,
					     objs[i].mode & 07777,
					     "some content of some length"));
			break;
		case S_IFDIR:
			ASSERT_EQ(0, lu_mkdir(s, objs[i].layer, objs[i].name,
					      objs[i].mode & 07777));
			break;
		case S_IFLNK:
			ASSERT_EQ(0, lu_symlink(s, objs[i].layer, objs[i].name,
						"some/target"));
			break;
		default:
			ASSERT_EQ(0, mknod(rp, objs[i].mode,
					   makedev(objs[i].layer + 1, i)));
			ASSERT_EQ(0, chmod(rp, objs[i].mode & 07777));
		}
		ASSERT_EQ(0, lchown(rp, objs[i].uid, objs[i].gid));
		/* chown clears set-id bits */
		if (!S_ISLNK(objs[i].mode)) {
			ASSERT_EQ(0, chmod(rp, objs[i].mode & 07777));
		}
		set_times(_metadata, rp, 1600000000 + i * 1000, 123456789 + i);
	}
	/* a second link to "bottom", and a lower file of the same name */
	ASSERT_EQ(0, link(lu_lpath(s, 2, "bottom"), lu_lpath(s, 2, "bottom2")));
	ASSERT_EQ(0, lu_file(s, 2, "top", 0777, "lower, longer, other top"));
	ASSERT_EQ(0, lu_mount(s));

	for (i = 0; i < sizeof(objs) / sizeof(objs[0]); i++) {
		ASSERT_EQ(0, lstat(lu_mpath(s, objs[i].name), &u));
		ASSERT_EQ(0, lstat(lu_lpath(s, objs[i].layer, objs[i].name), &r));
		EXPECT_EQ(objs[i].mode, u.st_mode);
		EXPECT_EQ(objs[i].uid, u.st_uid);
		same_stat(_metadata, objs[i].name, &u, &r);
	}
	ASSERT_EQ(0, lstat(lu_mpath(s, "bottom2"), &u));
	EXPECT_EQ(2U, u.st_nlink);
	/* stat() follows the link to "some/target", which is not there */
	EXPECT_EQ(-1, stat(lu_mpath(s, "lnk"), &u));
	EXPECT_EQ(ENOENT, errno);
}

TEST_F(attr, directory_attributes)
{
	struct lu_scratch *s = &self->s;
	struct stat u, r;

	/* a directory in one layer only: its own nlink */
	ASSERT_EQ(0, lu_mkdir(s, 1, "single/a", 0755));
	ASSERT_EQ(0, lu_mkdir(s, 1, "single/b", 0755));
	ASSERT_EQ(0, lu_mkdir(s, 1, "single", 0710));
	/* merged: the topmost directory's attributes, nlink 1 */
	ASSERT_EQ(0, lu_mkdir(s, 0, "merged", 0750));
	ASSERT_EQ(0, lu_mkdir(s, 2, "merged/x", 0755));
	ASSERT_EQ(0, lu_mkdir(s, 2, "merged", 0700));
	ASSERT_EQ(0, chown(lu_lpath(s, 0, "merged"), 42, 43));
	ASSERT_EQ(0, lu_mount(s));

	ASSERT_EQ(0, lstat(lu_mpath(s, "single"), &u));
	ASSERT_EQ(0, lstat(lu_lpath(s, 1, "single"), &r));
	same_stat(_metadata, "single", &u, &r);
	EXPECT_EQ(4U, u.st_nlink);

	ASSERT_EQ(0, lstat(lu_mpath(s, "merged"), &u));
	ASSERT_EQ(0, lstat(lu_lpath(s, 0, "merged"), &r));
	same_stat(_metadata, "merged", &u, &r);
	EXPECT_EQ((mode_t)(S_IFDIR | 0750), u.st_mode);
	EXPECT_EQ(42U, u.st_uid);
	EXPECT_EQ(1U, u.st_nlink);
}

TEST_F(attr, statx_fields_are_the_real_files)
{
	struct lu_scratch *s = &self->s;
	struct statx u, r;
	const char *names[] = { "f0", "f1", "f2" };
	int l;

	for (l = 0; l < 3; l++) {
		ASSERT_EQ(0, lu_file(s, l, names[l], 0600 + l, names[l]));
		ASSERT_EQ(0, chown(lu_lpath(s, l, names[l]), l * 10, l * 20));
		set_times(_metadata, lu_lpath(s, l, names[l]), 1000000000 + l,
			  999999999 - l);
	}
	ASSERT_EQ(0, lu_mount(s));
	for (l = 0; l < 3; l++) {
		ASSERT_EQ(0, statx(AT_FDCWD, lu_mpath(s, names[l]), 0,
				   STATX_BASIC_STATS, &u));
		ASSERT_EQ(0, statx(AT_FDCWD, lu_lpath(s, l, names[l]), 0,
				   STATX_BASIC_STATS, &r));
		EXPECT_EQ(r.stx_mode, u.stx_mode);
		EXPECT_EQ(r.stx_uid, u.stx_uid);
		EXPECT_EQ(r.stx_gid, u.stx_gid);
		EXPECT_EQ(r.stx_size, u.stx_size);
		EXPECT_EQ(r.stx_nlink, u.stx_nlink);
		EXPECT_EQ(r.stx_mtime.tv_sec, u.stx_mtime.tv_sec);
		EXPECT_EQ(r.stx_mtime.tv_nsec, u.stx_mtime.tv_nsec);
		EXPECT_EQ(r.stx_blocks, u.stx_blocks);
		EXPECT_EQ(STATX_BASIC_STATS & ~STATX_ATIME,
			  u.stx_mask & STATX_BASIC_STATS & ~STATX_ATIME);
	}
}

TEST_F(attr, readlink_gives_the_target)
{
	struct lu_scratch *s = &self->s;
	char buf[LU_PATH_MAX], longtarget[4000], lb[8192];
	struct stat st;
	ssize_t n;

	memset(longtarget, 'x', sizeof(longtarget) - 1);
	longtarget[sizeof(longtarget) - 1] = '\0';
	ASSERT_EQ(0, lu_symlink(s, 2, "abs", "/absolute/path"));
	ASSERT_EQ(0, lu_symlink(s, 1, "rel", "../relative/./path"));
	ASSERT_EQ(0, lu_symlink(s, 0, "long", longtarget));
	ASSERT_EQ(0, lu_mount(s));

	n = readlink(lu_mpath(s, "abs"), buf, sizeof(buf));
	ASSERT_EQ(14, n);
	EXPECT_EQ(0, memcmp(buf, "/absolute/path", 14));
	n = readlink(lu_mpath(s, "rel"), buf, sizeof(buf));
	ASSERT_EQ(18, n);
	EXPECT_EQ(0, memcmp(buf, "../relative/./path", 18));
	/* a short buffer gets the start */
	n = readlink(lu_mpath(s, "rel"), buf, 5);
	ASSERT_EQ(5, n);
	EXPECT_EQ(0, memcmp(buf, "../re", 5));
	ASSERT_EQ(0, lstat(lu_mpath(s, "long"), &st));
	EXPECT_EQ((off_t)strlen(longtarget), st.st_size);
	n = readlink(lu_mpath(s, "long"), lb, sizeof(lb));
	ASSERT_EQ((ssize_t)strlen(longtarget), n);
	EXPECT_EQ(0, memcmp(lb, longtarget, n));
	/* readlink of a non-symlink */
	EXPECT_EQ(-1, readlink(lu_mpath(s, ""), buf, sizeof(buf)));
	EXPECT_EQ(EINVAL, errno);
}

/* The NUL-separated list as a sorted, space-separated string. */
static int xattr_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *list_xattrs(const char *path, char *out, size_t len)
{
	char list[4096], *names[64], *p;
	ssize_t n;
	size_t o = 0;
	int k = 0, i;

	out[0] = '\0';
	n = llistxattr(path, list, sizeof(list));
	if (n < 0) {
		snprintf(out, len, "error: %s", strerrorname_np(errno));
		return out;
	}
	for (p = list; p < list + n && k < 64; p += strlen(p) + 1)
		names[k++] = p;
	qsort(names, k, sizeof(*names), xattr_cmp);
	for (i = 0; i < k; i++)
		o += snprintf(out + o, len - o, "%s%s", i ? " " : "", names[i]);
	return out;
}

TEST_F(attr, xattrs_are_the_real_ones_without_overlay_private)
{
	struct lu_scratch *s = &self->s;
	char list[4096], val[64];
	ssize_t n;

	LU_OVERLAY_NEEDS(variant->fstype, LU_OVL_ESCAPED_XATTR);

	ASSERT_EQ(0, lu_file(s, 1, "d/f", 0644, "f"));
	ASSERT_EQ(0, lu_setxattr(s, 1, "d/f", "user.colour", "blue"));
	ASSERT_EQ(0, lu_setxattr(s, 1, "d/f", "trusted.foo", "bar"));
	ASSERT_EQ(0, lu_setxattr(s, 1, "d/f", "trusted.overlay.origin", ""));
	ASSERT_EQ(0, lu_setxattr(s, 1, "d/f", "trusted.overlay.foo", "private"));
	ASSERT_EQ(0, lu_file(s, 2, "d/f", 0644, "lower f"));
	ASSERT_EQ(0, lu_setxattr(s, 2, "d/f", "user.lower", "hidden"));
	/* an opaque directory with its own xattrs, over a lower one */
	ASSERT_EQ(0, lu_mkdir(s, 0, "d", 0755));
	ASSERT_EQ(0, lu_opaque(s, 0, "d"));
	ASSERT_EQ(0, lu_setxattr(s, 0, "d", "user.dir", "top"));
	ASSERT_EQ(0, lu_setxattr(s, 1, "d", "user.dir", "middle"));
	ASSERT_EQ(0, lu_file(s, 0, "d/f", 0644, "top f"));
	ASSERT_EQ(0, lu_setxattr(s, 0, "d/f", "user.colour", "red"));
	ASSERT_EQ(0, lu_file(s, 2, "g", 0644, "g"));
	ASSERT_EQ(0, lu_setxattr(s, 2, "g", "user.colour", "green"));
	ASSERT_EQ(0, lu_setxattr(s, 2, "g", "trusted.foo", "bar"));
	ASSERT_EQ(0, lu_setxattr(s, 2, "g", "trusted.overlay.origin", ""));
	ASSERT_EQ(0, lu_symlink(s, 1, "lnk", "g"));
	ASSERT_EQ(0, lu_setxattr(s, 1, "lnk", "trusted.link", "l"));
	ASSERT_EQ(0, lu_mount(s));

	/* the opaque top directory: its own, the mark hidden */
	EXPECT_STREQ("user.dir", list_xattrs(lu_mpath(s, "d"), list, sizeof(list)));
	n = getxattr(lu_mpath(s, "d"), "user.dir", val, sizeof(val));
	ASSERT_EQ(3, n);
	EXPECT_EQ(0, memcmp(val, "top", 3));
	/*
	 * trusted.overlay.X through the union is the escaped
	 * trusted.overlay.overlay.X of the real inode (overlayfs.rst,
	 * "Nesting overlayfs mounts"), absent here: ENODATA.
	 */
	EXPECT_EQ(-1, getxattr(lu_mpath(s, "d"), OVL_XATTR_OPAQUE, val, sizeof(val)));
	EXPECT_EQ(ENODATA, errno);
	EXPECT_STREQ("user.colour", list_xattrs(lu_mpath(s, "d/f"), list, sizeof(list)));

	EXPECT_STREQ("trusted.foo user.colour",
		     list_xattrs(lu_mpath(s, "g"), list, sizeof(list)));
	n = getxattr(lu_mpath(s, "g"), "user.colour", val, sizeof(val));
	ASSERT_EQ(5, n);
	EXPECT_EQ(0, memcmp(val, "green", 5));
	n = getxattr(lu_mpath(s, "g"), "trusted.foo", val, sizeof(val));
	ASSERT_EQ(3, n);
	EXPECT_EQ(0, memcmp(val, "bar", 3));
	/* the size query */
	EXPECT_EQ(5, getxattr(lu_mpath(s, "g"), "user.colour", NULL, 0));
	EXPECT_EQ(-1, getxattr(lu_mpath(s, "g"), "user.colour", val, 2));
	EXPECT_EQ(ERANGE, errno);
	EXPECT_EQ(-1, getxattr(lu_mpath(s, "g"), "user.none", val, sizeof(val)));
	EXPECT_EQ(ENODATA, errno);
	EXPECT_EQ(-1, getxattr(lu_mpath(s, "g"), "trusted.overlay.origin", val,
			       sizeof(val)));
	EXPECT_EQ(ENODATA, errno);
	/* the size query may count what is then filtered out */
	n = listxattr(lu_mpath(s, "g"), NULL, 0);
	EXPECT_LE((ssize_t)sizeof("trusted.foo\0user.colour"), n);
	n = listxattr(lu_mpath(s, "g"), list, sizeof(list));
	EXPECT_EQ((ssize_t)sizeof("trusted.foo\0user.colour"), n);

	EXPECT_STREQ("trusted.link", list_xattrs(lu_mpath(s, "lnk"), list, sizeof(list)));
	n = lgetxattr(lu_mpath(s, "lnk"), "trusted.link", val, sizeof(val));
	EXPECT_EQ(1, n);
}

TEST_F(attr, escaped_overlay_xattrs_show_unescaped)
{
	struct lu_scratch *s = &self->s;
	char list[4096], val[64];
	ssize_t n;

	LU_OVERLAY_NEEDS(variant->fstype, LU_OVL_ESCAPED_XATTR);

	/*
	 * A layer of a nested union keeps the inner union's
	 * trusted.overlay.* as trusted.overlay.overlay.*; the outer union
	 * shows them unescaped and does not act on them.
	 */
	ASSERT_EQ(0, lu_file(s, 1, "d/f", 0644, "f"));
	ASSERT_EQ(0, lu_setxattr(s, 1, "d/f", "trusted.overlay.overlay.origin", "o"));
	ASSERT_EQ(0, lu_setxattr(s, 1, "d", "trusted.overlay.overlay.opaque", "y"));
	ASSERT_EQ(0, lu_file(s, 2, "d/lower", 0644, "lower"));
	ASSERT_EQ(0, lu_mount(s));

	EXPECT_STREQ("f lower", lu_names(lu_mpath(s, "d")));
	EXPECT_STREQ("trusted.overlay.opaque",
		     list_xattrs(lu_mpath(s, "d"), list, sizeof(list)));
	n = getxattr(lu_mpath(s, "d"), OVL_XATTR_OPAQUE, val, sizeof(val));
	ASSERT_EQ(1, n);
	EXPECT_EQ('y', val[0]);
	EXPECT_STREQ("trusted.overlay.origin",
		     list_xattrs(lu_mpath(s, "d/f"), list, sizeof(list)));
	n = getxattr(lu_mpath(s, "d/f"), "trusted.overlay.origin", val, sizeof(val));
	ASSERT_EQ(1, n);
	EXPECT_EQ('o', val[0]);
}

TEST_F(attr, posix_acl_is_visible_and_enforced)
{
	struct lu_scratch *s = &self->s;
	char real[256], seen[256];
	ssize_t rn, sn;
	struct stat st;
	uid_t uids[] = { 1000, 1001 };
	int want[] = { 0, EACCES };
	unsigned int i;

	ASSERT_EQ(0, lu_file(s, 1, "acl", 0600, "secret"));
	ASSERT_EQ(0, lu_set_acl_user_read(lu_lpath(s, 1, "acl"), 1000));
	ASSERT_EQ(0, lu_file(s, 2, "acl", 0644, "lower"));
	ASSERT_EQ(0, lu_mount(s));

	rn = getxattr(lu_lpath(s, 1, "acl"), "system.posix_acl_access", real,
		      sizeof(real));
	ASSERT_LT(0, rn);
	sn = getxattr(lu_mpath(s, "acl"), "system.posix_acl_access", seen,
		      sizeof(seen));
	ASSERT_EQ(rn, sn);
	EXPECT_EQ(0, memcmp(real, seen, rn));
	/* the group bits show the mask */
	ASSERT_EQ(0, stat(lu_mpath(s, "acl"), &st));
	EXPECT_EQ((mode_t)(S_IFREG | 0640), st.st_mode);

	for (i = 0; i < 2; i++) {
		int status;
		pid_t pid = fork();

		ASSERT_LE(0, pid);
		if (pid == 0) {
			int fd;

			if (setgroups(0, NULL) || setresgid(uids[i], uids[i], uids[i]) ||
			    setresuid(uids[i], uids[i], uids[i]))
				_exit(100);
			fd = open(lu_mpath(s, "acl"), O_RDONLY);
			if (fd < 0)
				_exit(errno);
			_exit(strcmp(lu_cat(lu_mpath(s, "acl")), "secret") ? 101 : 0);
		}
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		ASSERT_TRUE(WIFEXITED(status));
		EXPECT_EQ(want[i], WEXITSTATUS(status)) {
			TH_LOG("uid %u: %s", uids[i], strerror(WEXITSTATUS(status)));
		}
	}
}

TEST_F(attr, mode_bits_are_enforced_for_other_users)
{
	struct lu_scratch *s = &self->s;
	int status;
	pid_t pid;

	ASSERT_EQ(0, lu_file(s, 0, "private", 0600, "private"));
	ASSERT_EQ(0, lu_file(s, 2, "private", 0644, "lower"));
	ASSERT_EQ(0, lu_file(s, 1, "dir/inside", 0644, "inside"));
	ASSERT_EQ(0, lu_mkdir(s, 1, "dir", 0700));
	ASSERT_EQ(0, lu_file(s, 2, "public", 0444, "public"));
	ASSERT_EQ(0, lu_mount(s));

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (setgroups(0, NULL) || setresgid(1000, 1000, 1000) ||
		    setresuid(1000, 1000, 1000))
			_exit(100);
		if (open(lu_mpath(s, "private"), O_RDONLY) >= 0 || errno != EACCES)
			_exit(1);
		if (open(lu_mpath(s, "dir/inside"), O_RDONLY) >= 0 || errno != EACCES)
			_exit(2);
		if (strcmp(lu_cat(lu_mpath(s, "public")), "public"))
			_exit(3);
		if (access(lu_mpath(s, "public"), R_OK) || !access(lu_mpath(s, "private"), R_OK))
			_exit(4);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	/* root can, but not write: the mount is read-only */
	EXPECT_EQ(0, access(lu_mpath(s, "private"), R_OK));
	EXPECT_EQ(-1, access(lu_mpath(s, "private"), W_OK));
	EXPECT_EQ(EROFS, errno);
}

TEST_F(attr, statfs_works)
{
	struct lu_scratch *s = &self->s;
	struct statfs u, f, r;
	int fd;

	ASSERT_EQ(0, lu_file(s, 2, "f", 0644, "f"));
	ASSERT_EQ(0, lu_mount(s));
	ASSERT_EQ(0, statfs(s->mnt, &u));
	ASSERT_EQ(0, statfs(lu_lpath(s, 0, NULL), &r));
	if (variant->layerfs) {
		/* its own magic, not the layers' */
		EXPECT_NE(r.f_type, u.f_type);
	} else {
		EXPECT_EQ(OVERLAYFS_SUPER_MAGIC, u.f_type);
	}
	EXPECT_LT(0, u.f_bsize);
	EXPECT_LT(0U, u.f_blocks);
	EXPECT_LE(u.f_bfree, u.f_blocks);
	EXPECT_LE(u.f_bavail, u.f_blocks);
	EXPECT_LT(0, u.f_namelen);
	EXPECT_GE(255, u.f_namelen);
	EXPECT_TRUE(!!(u.f_flags & ST_RDONLY));

	fd = open(lu_mpath(s, "f"), O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fstatfs(fd, &f));
	EXPECT_EQ(u.f_type, f.f_type);
	EXPECT_EQ(u.f_blocks, f.f_blocks);
	close(fd);
}

LU_HARNESS_MAIN
