// SPDX-License-Identifier: GPL-2.0
/*
 * Append-only and immutable flags (chattr +a / +i) through a writable
 * union: visible with FS_IOC_GETFLAGS (lsattr), enforced, and kept when
 * the object or its directory is copied up (overlayfs stores them in
 * trusted.overlay.protattr on the upper object, not as real flags there),
 * also across a remount; chattr through the union changes them.
 *
 * Lower layer on tmpfs (which has these flags), upper on tmpfs and on
 * the ext4 scratch disk. Every test runs on layerfs and on overlay with
 * the same expectations.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include "kselftest_harness.h"
#include "harness.h"
#include "union.h"

#define PROTATTR	"trusted.overlay.protattr"

/* FS_IOC_GETFLAGS of @path, or -errno. */
static int get_flags(const char *path)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK);
	int flags = 0, ret;

	if (fd < 0)
		return -errno;
	ret = ioctl(fd, FS_IOC_GETFLAGS, &flags) ? -errno : flags;
	close(fd);
	return ret;
}

/* 1 if @path has @flag, 0 if not, -errno if its flags cannot be read. */
static int has_flag(const char *path, int flag)
{
	int flags = get_flags(path);

	return flags < 0 ? flags : !!(flags & flag);
}

/* chattr: set (or clear) @flags on @path, or -errno. */
static int chattr(const char *path, int flags, bool set)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK);
	int cur = 0, ret = 0;

	if (fd < 0)
		return -errno;
	if (ioctl(fd, FS_IOC_GETFLAGS, &cur))
		ret = -errno;
	cur = set ? cur | flags : cur & ~flags;
	if (!ret && ioctl(fd, FS_IOC_SETFLAGS, &cur))
		ret = -errno;
	close(fd);
	return ret;
}

static int open_errno(const char *path, int flags)
{
	int fd = open(path, flags, 0644);

	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

static const char *protattr(const char *path)
{
	static char v[32];
	ssize_t n = lgetxattr(path, PROTATTR, v, sizeof(v) - 1);

	if (n < 0)
		return strerror(errno);
	v[n] = '\0';
	return v;
}

FIXTURE(flags) {
	struct lu_scratch s;
	struct lu_rw rw;
};

FIXTURE_VARIANT(flags) {
	const char *fstype;
	const char *disk;	/* upper on this scratch disk, or tmpfs */
};

FIXTURE_VARIANT_ADD(flags, layerfs) {
	.fstype = "layerfs",
};

FIXTURE_VARIANT_ADD(flags, overlay) {
	.fstype = "overlay",
};

FIXTURE_VARIANT_ADD(flags, layerfs_ext4) {
	.fstype = "layerfs", .disk = "LAYERFS_SCRATCH_EXT4",
};

FIXTURE_VARIANT_ADD(flags, overlay_ext4) {
	.fstype = "overlay", .disk = "LAYERFS_SCRATCH_EXT4",
};

FIXTURE_SETUP(flags)
{
	struct lu_scratch *s = &self->s;
	int ret = lu_fs_available(variant->fstype);

	if (ret == -ENODEV)
		SKIP(return, "%s is not available (layerfs: set LAYERFS_KO)",
		     variant->fstype);
	ASSERT_EQ(0, ret);
	ASSERT_EQ(0, lu_scratch_init(s, variant->fstype, 1));
	ret = lu_rw_init(&self->rw, s, variant->disk);
	if (ret == -ENODEV)
		SKIP(return, "no scratch disk: %s is not set (scripts/vm-run --disk)",
		     variant->disk);
	ASSERT_EQ(0, ret);

	ASSERT_EQ(0, lu_file(s, 0, "a", 0644, "a"));
	ASSERT_EQ(0, lu_file(s, 0, "i", 0644, "i"));
	ASSERT_EQ(0, lu_file(s, 0, "adir/old", 0644, "old"));
	ASSERT_EQ(0, lu_file(s, 0, "idir/f", 0644, "f"));
	ASSERT_EQ(0, chattr(lu_lpath(s, 0, "a"), FS_APPEND_FL, true));
	ASSERT_EQ(0, chattr(lu_lpath(s, 0, "i"), FS_IMMUTABLE_FL, true));
	ASSERT_EQ(0, chattr(lu_lpath(s, 0, "adir"), FS_APPEND_FL, true));
	ASSERT_EQ(0, chattr(lu_lpath(s, 0, "idir"), FS_IMMUTABLE_FL, true));
	ASSERT_EQ(0, lu_mount_rw(s, &self->rw));
}

FIXTURE_TEARDOWN(flags)
{
	/* the upper holds protattr xattrs, never real a/i flags: rm works */
	lu_scratch_fini(&self->s);
	lu_rw_fini(&self->rw);
}

static const char *upath(FIXTURE_DATA(flags) *self, const char *rel)
{
	static __thread char buf[4][LU_PATH_MAX * 2];
	static __thread int n;
	char *p = buf[n++ % 4];

	snprintf(p, sizeof(buf[0]), "%s/%s", self->rw.upper, rel);
	return p;
}

TEST_F(flags, lower_flags_are_visible_and_enforced)
{
	struct lu_scratch *s = &self->s;

	EXPECT_EQ(1, has_flag(lu_mpath(s, "a"), FS_APPEND_FL));
	EXPECT_EQ(1, has_flag(lu_mpath(s, "i"), FS_IMMUTABLE_FL));
	EXPECT_EQ(1, has_flag(lu_mpath(s, "adir"), FS_APPEND_FL));
	EXPECT_EQ(EPERM, open_errno(lu_mpath(s, "a"), O_WRONLY));
	EXPECT_EQ(EPERM, open_errno(lu_mpath(s, "i"), O_WRONLY | O_APPEND));
	EXPECT_EQ(-1, chmod(lu_mpath(s, "i"), 0600));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(-ENOENT, lu_ftype(upath(self, "i")));
}

TEST_F(flags, append_only_file_stays_append_only_after_copy_up)
{
	struct lu_scratch *s = &self->s;
	const char *a = lu_mpath(s, "a");
	int fd;

	/* appending is allowed: copies the file up */
	fd = open(a, O_WRONLY | O_APPEND);
	ASSERT_LE(0, fd);
	ASSERT_EQ(1, write(fd, "+", 1));
	close(fd);
	ASSERT_EQ(S_IFREG, lu_ftype(upath(self, "a")));
	EXPECT_STREQ("a+", lu_cat(a));

	EXPECT_EQ(1, has_flag(a, FS_APPEND_FL));
	EXPECT_EQ(EPERM, open_errno(a, O_WRONLY));
	EXPECT_EQ(EPERM, open_errno(a, O_WRONLY | O_TRUNC | O_APPEND));
	EXPECT_EQ(-1, unlink(a));
	EXPECT_EQ(EPERM, errno);
	/* kept as protattr, not as a flag of the upper file */
	EXPECT_STREQ("a", protattr(upath(self, "a")));
	EXPECT_EQ(0, has_flag(upath(self, "a"), FS_APPEND_FL));

	/* and after a remount */
	ASSERT_EQ(0, lu_umount(s));
	ASSERT_EQ(0, lu_mount_rw(s, &self->rw));
	EXPECT_EQ(1, has_flag(a, FS_APPEND_FL));
	EXPECT_EQ(EPERM, open_errno(a, O_WRONLY));
}

TEST_F(flags, directory_flags_survive_its_copy_up)
{
	struct lu_scratch *s = &self->s;
	int fd;

	/* a new entry in an append-only dir is allowed: copies it up */
	ASSERT_EQ(0, open_errno(lu_mpath(s, "adir/new"), O_CREAT | O_WRONLY));
	ASSERT_EQ(S_IFDIR, lu_ftype(upath(self, "adir")));
	EXPECT_EQ(1, has_flag(lu_mpath(s, "adir"), FS_APPEND_FL));
	EXPECT_EQ(-1, unlink(lu_mpath(s, "adir/new")));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(-1, rename(lu_mpath(s, "adir/old"), lu_mpath(s, "adir/x")));
	EXPECT_EQ(EPERM, errno);

	/* writing a file in an immutable dir copies the dir up */
	fd = open(lu_mpath(s, "idir/f"), O_WRONLY);
	ASSERT_LE(0, fd);
	close(fd);
	ASSERT_EQ(S_IFDIR, lu_ftype(upath(self, "idir")));
	EXPECT_EQ(1, has_flag(lu_mpath(s, "idir"), FS_IMMUTABLE_FL));
	EXPECT_EQ(EPERM, open_errno(lu_mpath(s, "idir/g"), O_CREAT | O_WRONLY));
	EXPECT_EQ(-1, unlink(lu_mpath(s, "idir/f")));
	EXPECT_EQ(EPERM, errno);
	EXPECT_STREQ("i", protattr(upath(self, "idir")));
}

TEST_F(flags, chattr_through_the_union)
{
	struct lu_scratch *s = &self->s;
	const char *a = lu_mpath(s, "a");

	/* chattr -a: copies up, the file is writable again */
	ASSERT_EQ(0, chattr(a, FS_APPEND_FL, false));
	EXPECT_EQ(0, has_flag(a, FS_APPEND_FL));
	EXPECT_EQ(0, open_errno(a, O_WRONLY));
	EXPECT_STREQ(strerror(ENODATA), protattr(upath(self, "a")));
	/* lower untouched */
	EXPECT_EQ(1, has_flag(lu_lpath(s, 0, "a"), FS_APPEND_FL));

	/* chattr +i on an upper file */
	ASSERT_EQ(0, chattr(a, FS_IMMUTABLE_FL, true));
	EXPECT_EQ(1, has_flag(a, FS_IMMUTABLE_FL));
	EXPECT_EQ(EPERM, open_errno(a, O_WRONLY));
	EXPECT_STREQ("i", protattr(upath(self, "a")));
	ASSERT_EQ(0, chattr(a, FS_IMMUTABLE_FL, false));
	EXPECT_EQ(0, open_errno(a, O_WRONLY));
}

LU_HARNESS_MAIN
