// SPDX-License-Identifier: GPL-2.0
/*
 * The writable upper layer: every operation, copy-up and what it copies,
 * whiteouts and opaque directories as they land on disk, rename and
 * links, inode numbers across copy-up and remount, ENOSPC, a copy-up
 * killed half way, concurrent copy-ups, and the upper written by one of
 * layerfs and overlay read by the other.
 *
 * Every test runs on layerfs and on overlay with the same expectations,
 * with the upper layer on tmpfs, ext4 and xfs (the scratch disks of
 * scripts/vm-run --disk ext4 --disk xfs; skipped without them), but
 * ENOSPC and the killed copy-up, which run with the upper on tmpfs only
 * (upper_tmpfs). Lower layers are on the scratch tmpfs. The userxattr
 * variants mount with "userxattr" (the union's marks are user.overlay.*,
 * as rootless container tools use it), upper on the scratch tmpfs; the
 * metacopy and redirect variants mount with "metacopy=on" (a metadata
 * change copies up no data) and "redirect_dir=on" (a lower directory
 * renames with a redirect), the volatile ones with "volatile" (no sync
 * of the upper; a remount removes work/incompat/volatile first): the
 * same semantics, the same expectations.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>

#include "kselftest_harness.h"
#include "harness.h"
#include "union.h"

#define NLOWER		3
#define PATHLEN		LU_PATH_MAX
#define SUBLEN		(LU_PATH_MAX + 16)
#define UPATHLEN	(2 * LU_PATH_MAX + 32)

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE	(1 << 0)
#define RENAME_EXCHANGE		(1 << 1)
#endif

FIXTURE(upper) {
	struct lu_scratch s;
	char base[PATHLEN];	/* holds upper/ and work/ */
	char upper[SUBLEN];
	char work[SUBLEN];
	bool on_disk;		/* base is on a scratch disk: remove it */
	bool userxattr;		/* mount with "userxattr" */
	const char *xp;		/* the union's xattr prefix */
	const char *opts;	/* more mount options, ",..." or "" */
	bool metacopy;		/* metacopy=on: no data copied for metadata */
	bool redirect;		/* redirect_dir=on (metacopy=on implies it) */
};

FIXTURE_VARIANT(upper) {
	const char *fstype;
	bool layerfs;
	const char *upperfs;	/* tmpfs, or the scratch disk's env var */
	bool userxattr;
	const char *opts;	/* more mount options, ",..." */
};

FIXTURE_VARIANT_ADD(upper, layerfs_tmpfs) {
	.fstype = "layerfs", .layerfs = true, .upperfs = NULL,
};

FIXTURE_VARIANT_ADD(upper, overlay_tmpfs) {
	.fstype = "overlay", .layerfs = false, .upperfs = NULL,
};

FIXTURE_VARIANT_ADD(upper, layerfs_ext4) {
	.fstype = "layerfs", .layerfs = true,
	.upperfs = "LAYERFS_SCRATCH_EXT4",
};

FIXTURE_VARIANT_ADD(upper, overlay_ext4) {
	.fstype = "overlay", .layerfs = false,
	.upperfs = "LAYERFS_SCRATCH_EXT4",
};

FIXTURE_VARIANT_ADD(upper, layerfs_xfs) {
	.fstype = "layerfs", .layerfs = true,
	.upperfs = "LAYERFS_SCRATCH_XFS",
};

FIXTURE_VARIANT_ADD(upper, overlay_xfs) {
	.fstype = "overlay", .layerfs = false,
	.upperfs = "LAYERFS_SCRATCH_XFS",
};

FIXTURE_VARIANT_ADD(upper, layerfs_userxattr) {
	.fstype = "layerfs", .layerfs = true, .upperfs = NULL,
	.userxattr = true,
};

FIXTURE_VARIANT_ADD(upper, overlay_userxattr) {
	.fstype = "overlay", .layerfs = false, .upperfs = NULL,
	.userxattr = true,
};

FIXTURE_VARIANT_ADD(upper, layerfs_metacopy) {
	.fstype = "layerfs", .layerfs = true, .upperfs = NULL,
	.opts = ",metacopy=on",
};

FIXTURE_VARIANT_ADD(upper, overlay_metacopy) {
	.fstype = "overlay", .layerfs = false, .upperfs = NULL,
	.opts = ",metacopy=on",
};

FIXTURE_VARIANT_ADD(upper, layerfs_redirect) {
	.fstype = "layerfs", .layerfs = true, .upperfs = NULL,
	.opts = ",redirect_dir=on",
};

FIXTURE_VARIANT_ADD(upper, overlay_redirect) {
	.fstype = "overlay", .layerfs = false, .upperfs = NULL,
	.opts = ",redirect_dir=on",
};

FIXTURE_VARIANT_ADD(upper, layerfs_volatile) {
	.fstype = "layerfs", .layerfs = true, .upperfs = NULL,
	.opts = ",volatile",
};

FIXTURE_VARIANT_ADD(upper, overlay_volatile) {
	.fstype = "overlay", .layerfs = false, .upperfs = NULL,
	.opts = ",volatile",
};

static int rm_rf(const char *path)
{
	char cmd[UPATHLEN + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	return system(cmd);
}

/* @upperfs: NULL for tmpfs, or the scratch disk's env var. */
static void upper_init(struct __test_metadata *_metadata,
		       FIXTURE_DATA(upper) *self, const char *fstype,
		       const char *upperfs, bool userxattr)
{
	int ret = lu_fs_available(fstype);
	const char *disk = NULL;

	if (ret == -ENODEV)
		SKIP(return, "%s is not available (layerfs: set LAYERFS_KO)",
		     fstype);
	ASSERT_EQ(0, ret);
	if (upperfs) {
		disk = getenv(upperfs);
		if (!disk || !*disk)
			SKIP(return, "no scratch disk: %s is not set (scripts/vm-run --disk)",
			     upperfs);
	}
	self->userxattr = userxattr;
	self->xp = userxattr ? "user.overlay." : "trusted.overlay.";
	ASSERT_EQ(0, lu_scratch_init(&self->s, fstype, NLOWER));
	if (disk) {
		snprintf(self->base, sizeof(self->base), "%s/upper.XXXXXX", disk);
		ASSERT_NE(NULL, mkdtemp(self->base));
		self->on_disk = true;
	} else {
		snprintf(self->base, sizeof(self->base), "%s", lu_path(&self->s, "rw"));
		ASSERT_EQ(0, mkdir(self->base, 0755));
	}
	snprintf(self->upper, sizeof(self->upper), "%s/upper", self->base);
	snprintf(self->work, sizeof(self->work), "%s/work", self->base);
	ASSERT_EQ(0, mkdir(self->upper, 0755));
	ASSERT_EQ(0, mkdir(self->work, 0755));
}

static void upper_fini(FIXTURE_DATA(upper) *self)
{
	lu_scratch_fini(&self->s);
	if (self->on_disk)
		rm_rf(self->base);
}

FIXTURE_SETUP(upper)
{
	upper_init(_metadata, self, variant->fstype, variant->upperfs,
		   variant->userxattr);
	self->opts = variant->opts ?: "";
	self->metacopy = strstr(self->opts, "metacopy=on");
	self->redirect = self->metacopy || strstr(self->opts, "redirect_dir=on");
}

FIXTURE_TEARDOWN(upper)
{
	upper_fini(self);
}

/*
 * Mount the lower layers l0:l1:l2 with the fixture's upper and work. An
 * earlier volatile mount left work/work/incompat/volatile behind, and
 * both refuse to mount over it (the upper may be inconsistent after a
 * crash): the user removes it, as Documentation/filesystems/overlayfs.rst
 * says, and so does this.
 */
static int mount_rw(struct __test_metadata *_metadata, FIXTURE_DATA(upper) *self,
		    const char *fstype)
{
	char data[8 * PATHLEN];
	int ret;

	snprintf(data, sizeof(data), "rm -rf '%s/work/incompat/volatile'", self->work);
	if (self->opts && strstr(self->opts, "volatile") && system(data))
		return -EIO;

	snprintf(data, sizeof(data), "lowerdir=%s", lu_lpath(&self->s, 0, NULL));
	for (int i = 1; i < NLOWER; i++)
		snprintf(data + strlen(data), sizeof(data) - strlen(data), ":%s",
			 lu_lpath(&self->s, i, NULL));
	snprintf(data + strlen(data), sizeof(data) - strlen(data),
		 ",upperdir=%s,workdir=%s%s%s", self->upper, self->work,
		 self->userxattr ? ",userxattr" : "", self->opts ?: "");
	ret = lu_mount_data(fstype, self->s.mnt, 0, data);
	if (!ret)
		self->s.mounted = true;
	return ret;
}

static int remount_rw(struct __test_metadata *_metadata, FIXTURE_DATA(upper) *self,
		      const char *fstype)
{
	int ret = lu_umount(&self->s);

	if (ret)
		return ret;
	return mount_rw(_metadata, self, fstype);
}

/* A path in the upper layer. Rotating buffers, like lu_mpath(). */
static const char *upath(FIXTURE_DATA(upper) *self, const char *rel)
{
	static __thread char buf[4][UPATHLEN];
	static __thread int n;
	char *p = buf[n++ % 4];

	snprintf(p, UPATHLEN, "%s/%s", self->upper, rel);
	return p;
}

static bool is_whiteout(const char *path)
{
	struct stat st;

	return !lstat(path, &st) && S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0);
}

/* The union's opaque mark on @path: its value, or -errno. */
static int opaque_of(FIXTURE_DATA(upper) *self, const char *path)
{
	char name[32], v[8];
	ssize_t n;

	snprintf(name, sizeof(name), "%sopaque", self->xp);
	n = lgetxattr(path, name, v, sizeof(v));

	if (n < 0)
		return -errno;
	return n == 1 ? v[0] : -EINVAL;
}

/*
 * What the union's work directory holds: must be empty between
 * operations. overlay keeps one whiteout there to hard link whiteouts
 * from (ovl_whiteout()): whiteouts are not listed.
 */
static const char *work_names(FIXTURE_DATA(upper) *self)
{
	static __thread char names[1024];
	char p[SUBLEN + 8], e[SUBLEN + 8 + 256];
	struct lu_dent *d = NULL;
	ssize_t n, i;

	snprintf(p, sizeof(p), "%s/work", self->work);
	n = lu_getdents(p, &d);
	if (n < 0)
		return "error: getdents";
	names[0] = '\0';
	for (i = 0; i < n; i++) {
		if (!strcmp(d[i].name, ".") || !strcmp(d[i].name, ".."))
			continue;
		/* the mark of a volatile mount, there for as long as it is */
		if (!strcmp(d[i].name, "incompat") && self->opts &&
		    strstr(self->opts, "volatile"))
			continue;
		snprintf(e, sizeof(e), "%s/%s", p, d[i].name);
		if (is_whiteout(e))
			continue;
		snprintf(names + strlen(names), sizeof(names) - strlen(names),
			 "%s%s", names[0] ? " " : "", d[i].name);
	}
	free(d);
	return names;
}

/*
 * d_ino from readdir equals st_ino for every entry. overlay breaks this
 * when upper and lower are on different filesystems without xino (its
 * documented limitation); layerfs does not.
 */
#define expect_d_ino_ok(_metadata, self, variant) do {			\
	char _why[512] = "";						\
	int _bad = lu_count_d_ino_mismatches((self)->s.mnt, _why, sizeof(_why)); \
									\
	if ((variant)->layerfs || !(variant)->upperfs)			\
		EXPECT_EQ(0, _bad) {					\
			TH_LOG("d_ino: %s", _why);			\
		}							\
} while (0)

static int write_str(const char *path, int flags, const char *s)
{
	int fd = open(path, O_WRONLY | flags, 0644);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	if (n < 0) {
		n = -errno;
		close(fd);
		return n;
	}
	return close(fd) ? -errno : 0;
}

TEST_F(upper, create_mkdir_mknod_symlink_land_in_upper)
{
	struct lu_scratch *s = &self->s;
	struct stat st;
	char buf[64];

	ASSERT_EQ(0, lu_file(s, 1, "d/lower", 0644, "lower"));
	ASSERT_EQ(0, mount_rw(_metadata, self, variant->fstype));

	ASSERT_EQ(0, write_str(lu_mpath(s, "d/new"), O_CREAT | O_EXCL, "new"));
	ASSERT_EQ(0, mkdir(lu_mpath(s, "d/sub"), 0750));
	ASSERT_EQ(0, mknod(lu_mpath(s, "d/fifo"), S_IFIFO | 0600, 0));
	ASSERT_EQ(0, symlink("new", lu_mpath(s, "d/sym")));

	EXPECT_STREQ("fifo lower new sub sym", lu_names(lu_mpath(s, "d")));
	EXPECT_STREQ("new", lu_cat(lu_mpath(s, "d/new")));
	EXPECT_STREQ("new", lu_cat(lu_mpath(s, "d/sym")));
	/* all in the upper layer; the lower layers untouched */
	EXPECT_STREQ("new", lu_cat(upath(self, "d/new")));
	ASSERT_EQ(0, lstat(upath(self, "d/sub"), &st));
	EXPECT_TRUE(S_ISDIR(st.st_mode));
	EXPECT_EQ(0750, st.st_mode & 07777);
	ASSERT_EQ(0, lstat(upath(self, "d/fifo"), &st));
	EXPECT_TRUE(S_ISFIFO(st.st_mode));
	ASSERT_EQ(3, readlink(upath(self, "d/sym"), buf, sizeof(buf)));
	EXPECT_STREQ("fifo new sub sym", lu_names(upath(self, "d")));
	EXPECT_STREQ("lower", lu_names(lu_lpath(s, 1, "d")));
	/*
	 * The new directory in a merged parent is not opaque, but where
	 * lower layers must not change offline (redirect_dir=on), as an
	 * optimization of overlayfs's.
	 */
	EXPECT_EQ(self->redirect ? 'y' : -ENODATA,
		  opaque_of(self, upath(self, "d/sub")));
	EXPECT_EQ(-ENODATA, opaque_of(self, upath(self, "d")));
	EXPECT_STREQ("", work_names(self));
	/* a second create of the name fails */
	EXPECT_EQ(-1, open(lu_mpath(s, "d/lower"), O_CREAT | O_EXCL | O_WRONLY, 0644));
	EXPECT_EQ(EEXIST, errno);
	EXPECT_EQ(-1, mkdir(lu_mpath(s, "d/lower"), 0755));
	EXPECT_EQ(EEXIST, errno);
}

TEST_F(upper, copy_up_keeps_data_attributes_and_xattrs)
{
	struct lu_scratch *s = &self->s;
	struct timespec ts[2] = { { 1000000000, 5000 }, { 1200000000, 7000 } };
	struct stat lo, up, un;
	char acl_lower[256], acl_upper[256], v[16], name[32];
	ssize_t an, bn;
	int fd;

	LU_OVERLAY_NEEDS(variant->fstype, LU_OVL_ESCAPED_XATTR);

	ASSERT_EQ(0, lu_file(s, 2, "dir/f", 0640, "lower data"));
	ASSERT_EQ(0, chown(lu_lpath(s, 2, "dir/f"), 1000, 1001));
	ASSERT_EQ(0, chmod(lu_lpath(s, 2, "dir/f"), 0640));
	ASSERT_EQ(0, lu_setxattr(s, 2, "dir/f", "user.colour", "blue"));
	ASSERT_EQ(0, lu_setxattr(s, 2, "dir/f", "trusted.t", "tt"));
	ASSERT_EQ(0, lu_set_acl_user_read(lu_lpath(s, 2, "dir/f"), 1002));
	ASSERT_EQ(0, utimensat(AT_FDCWD, lu_lpath(s, 2, "dir/f"), ts, 0));
	ASSERT_EQ(0, chmod(lu_lpath(s, 2, "dir"), 0711));
	ASSERT_EQ(0, chown(lu_lpath(s, 2, "dir"), 1003, 1003));
	ASSERT_EQ(0, lstat(lu_lpath(s, 2, "dir/f"), &lo));
	ASSERT_EQ(0, mount_rw(_metadata, self, variant->fstype));

	/* open for write copies up, data intact, then appends */
	fd = open(lu_mpath(s, "dir/f"), O_WRONLY | O_APPEND);
	ASSERT_LE(0, fd);
	ASSERT_EQ(4, write(fd, " new", 4));
	ASSERT_EQ(0, close(fd));
	EXPECT_STREQ("lower data new", lu_cat(lu_mpath(s, "dir/f")));
	EXPECT_STREQ("lower data new", lu_cat(upath(self, "dir/f")));
	EXPECT_STREQ("lower data", lu_cat(lu_lpath(s, 2, "dir/f")));

	ASSERT_EQ(0, lstat(upath(self, "dir/f"), &up));
	ASSERT_EQ(0, lstat(lu_mpath(s, "dir/f"), &un));
	EXPECT_EQ(lo.st_mode, up.st_mode);
	EXPECT_EQ(1000, up.st_uid);
	EXPECT_EQ(1001, up.st_gid);
	EXPECT_EQ(1000, un.st_uid);
	/* the parent was copied up first, with its attributes */
	ASSERT_EQ(0, lstat(upath(self, "dir"), &up));
	EXPECT_EQ(S_IFDIR | 0711, up.st_mode);
	EXPECT_EQ(1003, up.st_uid);
	/* xattrs and the ACL came along */
	ASSERT_EQ(4, lgetxattr(upath(self, "dir/f"), "user.colour", v, sizeof(v)));
	EXPECT_EQ(0, memcmp(v, "blue", 4));
	ASSERT_EQ(2, lgetxattr(upath(self, "dir/f"), "trusted.t", v, sizeof(v)));
	an = lgetxattr(lu_lpath(s, 2, "dir/f"), "system.posix_acl_access",
		       acl_lower, sizeof(acl_lower));
	bn = lgetxattr(upath(self, "dir/f"), "system.posix_acl_access",
		       acl_upper, sizeof(acl_upper));
	ASSERT_LT(0, an);
	ASSERT_EQ(an, bn);
	EXPECT_EQ(0, memcmp(acl_lower, acl_upper, an));
	/* through the union: the same, without the union's own xattrs */
	ASSERT_EQ(4, getxattr(lu_mpath(s, "dir/f"), "user.colour", v, sizeof(v)));
	snprintf(name, sizeof(name), "%sorigin", self->xp);
	EXPECT_EQ(-1, getxattr(lu_mpath(s, "dir/f"), name, v, sizeof(v)));
	EXPECT_EQ(ENODATA, errno);
	EXPECT_STREQ("", work_names(self));
}

/*
 * A copy-up changes no directory the user sees: each upper parent it links
 * a new entry into gets its times back, as overlayfs's ovl_set_timestamps()
 * gives them (tools that compare directory metadata, as podman diff does,
 * would otherwise list every parent of a copied-up file as changed).
 */
/*
 * Metadata changes copy up symlinks and special files too. With
 * userxattr their copies carry no origin mark: user.* xattrs exist only
 * on regular files and directories (overlayfs ignores that EPERM).
 */
TEST_F(upper, copy_up_of_symlinks_and_special_files)
{
	struct lu_scratch *s = &self->s;
	struct stat st;

	ASSERT_EQ(0, lu_symlink(s, 1, "d/link", "target"));
	ASSERT_EQ(0, mkfifo(lu_lpath(s, 1, "d/fifo"), 0644));
	ASSERT_EQ(0, mount_rw(_metadata, self, variant->fstype));

	ASSERT_EQ(0, lchown(lu_mpath(s, "d/link"), 1000, 1000));
	ASSERT_EQ(0, lstat(upath(self, "d/link"), &st));
	EXPECT_TRUE(S_ISLNK(st.st_mode));
	EXPECT_EQ(1000, st.st_uid);
	ASSERT_EQ(0, chmod(lu_mpath(s, "d/fifo"), 0600));
	ASSERT_EQ(0, lstat(upath(self, "d/fifo"), &st));
	EXPECT_EQ(S_IFIFO | 0600, st.st_mode);
	ASSERT_EQ(0, lstat(lu_mpath(s, "d/fifo"), &st));
	EXPECT_EQ(S_IFIFO | 0600, st.st_mode);
	EXPECT_STREQ("", work_names(self));
}

TEST_F(upper, copy_up_leaves_the_parents_times_as_they_were)
{
	struct lu_scratch *s = &self->s;
	struct timespec ts[2] = { { 1000000000, 5000 }, { 1200000000, 7000 } };
	static const char * const dirs[] = { "", "dir", "dir/sub" };
	struct stat st;
	unsigned int i;
	int fd;

	ASSERT_EQ(0, lu_file(s, 2, "dir/sub/f", 0644, "lower data"));
	ASSERT_EQ(0, utimensat(AT_FDCWD, lu_lpath(s, 2, "dir/sub"), ts, 0));
	ASSERT_EQ(0, utimensat(AT_FDCWD, lu_lpath(s, 2, "dir"), ts, 0));
	ASSERT_EQ(0, utimensat(AT_FDCWD, self->upper, ts, 0));
	ASSERT_EQ(0, mount_rw(_metadata, self, variant->fstype));

	/* copies up dir into the root, sub into dir and f into sub */
	fd = open(lu_mpath(s, "dir/sub/f"), O_WRONLY | O_APPEND);
	ASSERT_LE(0, fd);
	ASSERT_EQ(4, write(fd, " new", 4));
	ASSERT_EQ(0, close(fd));
	ASSERT_EQ(0, lstat(upath(self, "dir/sub/f"), &st));

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		ASSERT_EQ(0, stat(lu_mpath(s, dirs[i]), &st));
		EXPECT_EQ(ts[1].tv_sec, st.st_mtim.tv_sec) {
			TH_LOG("'%s': mtime %ld.%09ld", dirs[i],
			       (long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
		}
		EXPECT_EQ(ts[1].tv_nsec, st.st_mtim.tv_nsec);
		EXPECT_EQ(ts[0].tv_sec, st.st_atim.tv_sec);
		ASSERT_EQ(0, stat(upath(self, dirs[i]), &st));
		EXPECT_EQ(ts[1].tv_sec, st.st_mtim.tv_sec) {
			TH_LOG("upper '%s': mtime %ld", dirs[i],
			       (long)st.st_mtim.tv_sec);
		}
	}
}

TEST_F(upper, copy_up_keeps_holes)
{
	struct lu_scratch *s = &self->s;
	const off_t size = 8 << 20;
	struct stat st;
	char buf[4096];
	int fd;

	fd = open(lu_lpath(s, 1, "sparse"), O_CREAT | O_WRONLY, 0644);
	ASSERT_LE(0, fd);
	memset(buf, 'x', sizeof(buf));
	ASSERT_EQ(4096, pwrite(fd, buf, 4096, 0));
	ASSERT_EQ(4096, pwrite(fd, buf, 4096, size - 4096));
	ASSERT_EQ(0, close(fd));
	ASSERT_EQ(0, mount_rw(_metadata, self, variant->fstype));

	/* a metadata change copies the whole file up */
	ASSERT_EQ(0, setxattr(lu_mpath(s, "sparse"), "user.x", "1", 1, 0));
	ASSERT_EQ(0, lstat(upath(self, "sparse"), &st));
	EXPECT_EQ(size, st.st_size);
	/*
	 * 8 MiB with 8 KiB of data: the holes stayed holes (both copy in
	 * 1 MiB chunks and skip chunks that are holes)
	 */
	EXPECT_GT(4 << 20, st.st_blocks * 512) {
		TH_LOG("upper copy uses %lld bytes", (long long)st.st_blocks * 512);
	}
	fd = open(lu_mpath(s, "sparse"), O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(4096, pread(fd, buf, 4096, size - 4096));
	EXPECT_EQ('x', buf[4095]);
	ASSERT_EQ(4096, pread(fd, buf, 4096, size / 2));
	EXPECT_EQ(0, buf[0]);
	EXPECT_EQ(0, buf[4095]);
	close(fd);
}

/* Each change copies the object up; the lower layer stays as it was. */
TEST_F(upper, every_change_copies_up)
{
	struct lu_scratch *s = &self->s;
	static const char *const names[] = {
		"chmod", "chown", "utimes", "truncate", "setxattr",
		"removexattr", "link", "rename", "open_trunc",
	};
	struct timespec ts[2] = { { 10, 0 }, { 20, 0 } };
	char lower[PATHLEN];
	struct stat st;
	unsigned int i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		ASSERT_EQ(0, lu_file(s, 1, names[i], 0644, "data"));
		ASSERT_EQ(0, lu_setxattr(s, 1, names[i], "user.a", "a"));
	}
	ASSERT_EQ(0, mount_rw(_metadata, self, variant->fstype));

	EXPECT_EQ(0, chmod(lu_mpath(s, "chmod"), 0600));
	EXPECT_EQ(0, chown(lu_mpath(s, "chown"), 1234, 1234));
	EXPECT_EQ(0, utimensat(AT_FDCWD, lu_mpath(s, "utimes"), ts, 0));
	EXPECT_EQ(0, truncate(lu_mpath(s, "truncate"), 2));
	EXPECT_EQ(0, setxattr(lu_mpath(s, "setxattr"), "user.b", "b", 1, 0));
	EXPECT_EQ(0, removexattr(lu_mpath(s, "removexattr"), "user.a"));
	EXPECT_EQ(0, link(lu_mpath(s, "link"), lu_mpath(s, "link2")));
	EXPECT_EQ(0, rename(lu_mpath(s, "rename"), lu_mpath(s, "rename2")));
	EXPECT_EQ(0, write_str(lu_mpath(s, "open_trunc"), O_TRUNC, "x"));

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const char *n = names[i];

		if (!strcmp(n, "rename"))
			n = "rename2";
		EXPECT_EQ(0, lstat(upath(self, n), &st)) {
			TH_LOG("%s: not in the upper layer", names[i]);
		}
		snprintf(lower, sizeof(lower), "%s", lu_lpath(s, 1, names[i]));
		EXPECT_STREQ("data", lu_cat(lower)) {
			TH_LOG("%s changed the lower file", names[i]);
		}
		ASSERT_EQ(0, lstat(lower, &st));
		EXPECT_EQ(S_IFREG | 0644, st.st_mode);
		EXPECT_EQ(0, st.st_uid);
	}
	ASSERT_EQ(0, stat(lu_mpath(s, "chmod"), &st));
	EXPECT_EQ(S_IFREG | 0600, st.st_mode);
	ASSERT_EQ(0, stat(lu_mpath(s, "chown"), &st));
	EXPECT_EQ(1234, st.st_uid);
	ASSERT_EQ(0, stat(lu_mpath(s, "utimes"), &st));
	EXPECT_EQ(20, st.st_mtim.tv_sec);
	EXPECT_STREQ("da", lu_cat(lu_mpath(s, "truncate")));
	EXPECT_STREQ("x", lu_cat(lu_mpath(s, "open_trunc")));
	EXPECT_EQ(-1, getxattr(lu_mpath(s, "removexattr"), "user.a", NULL, 0));
	EXPECT_EQ(ENODATA, errno);
	EXPECT_EQ(1, getxattr(lu_mpath(s, "setxattr"), "user.b", NULL, 0));
	EXPECT_TRUE(is_whiteout(upath(self, "rename")));
	EXPECT_EQ(-ENOENT, lu_ftype(lu_mpath(s, "rename")));
	EXPECT_STREQ("", work_names(self));
	expect_d_ino_ok(_metadata, self, variant);
}

TEST_F(upper, unlink_and_rmdir_leave_whiteouts)
{
	struct lu_scratch *s = &self->s;

	ASSERT_EQ(0, lu_file(s, 1, "f", 0644, "f"));
	ASSERT_EQ(0, lu_file(s, 0, "d/a", 0644, "a"));
	ASSERT_EQ(0, lu_file(s, 2, "d/b", 0644, "b"));
	ASSERT_EQ(0, lu_file(s, 2, "up/x", 0644, "x"));
	ASSERT_EQ(0, mount_rw(_metadata, self, variant->fstype));

	ASSERT_EQ(0, unlink(lu_mpath(s, "f")));
	EXPECT_EQ(-ENOENT, lu_ftype(lu_mpath(s, "f")));
	EXPECT_TRUE(is_whiteout(upath(self, "f")));

	/* a merged directory is empty only when every layer's names are gone */
	EXPECT_EQ(-1, rmdir(lu_mpath(s, "d")));
	EXPECT_EQ(ENOTEMPTY, errno);
	ASSERT_EQ(0, unlink(lu_mpath(s, "d/a")));
	EXPECT_EQ(-1, rmdir(lu_mpath(s, "d")));
	EXPECT_EQ(ENOTEMPTY, errno);
	ASSERT_EQ(0, unlink(lu_mpath(s, "d/b")));
	EXPECT_STREQ("", lu_names(lu_mpath(s, "d")));
	ASSERT_EQ(0, rmdir(lu_mpath(s, "d")));
	EXPECT_EQ(-ENOENT, lu_ftype(lu_mpath(s, "d")));
	EXPECT_TRUE(is_whiteout(upath(self, "d")));

	/* a file created in the upper layer goes without a trace */
	ASSERT_EQ(0, write_str(lu_mpath(s, "new"), O_CREAT, "n"));
	ASSERT_EQ(0, unlink(lu_mpath(s, "new")));
	EXPECT_EQ(-ENOENT, lu_ftype(upath(self, "new")));
	/* a file copied up, then removed: a whiteout replaces it */
	ASSERT_EQ(0, write_str(lu_mpath(s, "up/x"), O_APPEND, "y"));
	ASSERT_EQ(0, unlink(lu_mpath(s, "up/x")));
	EXPECT_TRUE(is_whiteout(upath(self, "up/x")));
	EXPECT_STREQ("", lu_names(lu_mpath(s, "up")));
	EXPECT_STREQ("f", lu_names(lu_lpath(s, 1, NULL)));
	EXPECT_STREQ("", work_names(self));

	/* the same after a remount */
	ASSERT_EQ(0, remount_rw(_metadata, self, variant->fstype));
	EXPECT_STREQ("up", lu_names(s->mnt));
	EXPECT_STREQ("", lu_names(lu_mpath(s, "up")));
}

TEST_F(upper, mkdir_over_whiteout_is_opaque)
{
	struct lu_scratch *s = &self->s;

	ASSERT_EQ(0, lu_file(s, 1, "d/old", 0644, "old"));
	ASSERT_EQ(0, lu_file(s, 1, "m/keep", 0644, "keep"));
	ASSERT_EQ(0, mount_rw(_metadata, self, variant->fstype));

	ASSERT_EQ(0, unlink(lu_mpath(s, "d/old")));
	ASSERT_EQ(0, rmdir(lu_mpath(s, "d")));
	ASSERT_EQ(0, mkdir(lu_mpath(s, "d"), 0700));
	EXPECT_STREQ("", lu_names(lu_mpath(s, "d")));
	EXPECT_EQ('y', opaque_of(self, upath(self, "d")));
	ASSERT_EQ(0, write_str(lu_mpath(s, "d/new"), O_CREAT, "new"));
	EXPECT_STREQ("new", lu_names(lu_mpath(s, "d")));

	/* a file over a whiteout is a plain file */
	ASSERT_EQ(0, unlink(lu_mpath(s, "m/keep")));
	ASSERT_EQ(0, write_str(lu_mpath(s, "m/keep"), O_CREAT, "again"));
	EXPECT_STREQ("again", lu_cat(lu_mpath(s, "m/keep")));
	EXPECT_STREQ("again", lu_cat(upath(self, "m/keep")));

	ASSERT_EQ(0, remount_rw(_metadata, self, variant->fstype));
	EXPECT_STREQ("new", lu_names(lu_mpath(s, "d")));
	EXPECT_STREQ("keep", lu_names(lu_mpath(s, "m")));
	EXPECT_STREQ("", work_names(self));
}

/*
 * A rename over a merged directory that is empty in the union (its lower
 * entries whited out) which then fails must leave it empty: the upper of
 * the source is moved away behind the union's back, so the rename ends
 * in ESTALE once it looks the source up on the upper layer. overlayfs
 * has made the target opaque by then (ovl_clear_empty()); layerfs used to
 * have removed its whiteouts, and the lower entries came back.
 */
TEST_F(upper, failed_rename_over_an_empty_merged_dir_keeps_it_empty)
{
	struct lu_scratch *s = &self->s;
	struct stat st;

	ASSERT_EQ(0, lu_file(s, 1, "b/x", 0644, "x"));
	ASSERT_EQ(0, lu_file(s, 1, "b/y", 0644, "y"));
	ASSERT_EQ(0, mount_rw(_metadata, self, variant->fstype));
	ASSERT_EQ(0, unlink(lu_mpath(s, "b/x")));
	ASSERT_EQ(0, unlink(lu_mpath(s, "b/y")));
	EXPECT_STREQ("", lu_names(lu_mpath(s, "b")));
	ASSERT_EQ(0, mkdir(lu_mpath(s, "a"), 0755));
	ASSERT_EQ(0, stat(lu_mpath(s, "a"), &st));

	ASSERT_EQ(0, rename(upath(self, "a"), upath(self, "a-moved")));
	EXPECT_EQ(-1, rename(lu_mpath(s, "a"), lu_mpath(s, "b")));
	EXPECT_EQ(ESTALE, errno);
	EXPECT_STREQ("", lu_names(lu_mpath(s, "b")));

	ASSERT_EQ(0, remount_rw(_metadata, self, variant->fstype));
	EXPECT_STREQ("", lu_names(lu_mpath(s, "b")));
}

TEST_F(upper, rename_rules)
{
	struct lu_scratch *s = &self->s;

	ASSERT_EQ(0, lu_file(s, 1, "a", 0644, "a"));
	ASSERT_EQ(0, lu_file(s, 2, "x", 0644, "x"));
	ASSERT_EQ(0, lu_file(s, 2, "y", 0644, "y"));
	ASSERT_EQ(0, lu_file(s, 1, "merged/f", 0644, "f"));
	ASSERT_EQ(0, lu_file(s, 2, "other/g", 0644, "g"));
	ASSERT_EQ(0, mount_rw(_metadata, self, variant->fstype));

	/* a lower file: copied up, a whiteout at the old name */
	ASSERT_EQ(0, rename(lu_mpath(s, "a"), lu_mpath(s, "b")));
	EXPECT_STREQ("a", lu_cat(lu_mpath(s, "b")));
	EXPECT_EQ(-ENOENT, lu_ftype(lu_mpath(s, "a")));
	EXPECT_TRUE(is_whiteout(upath(self, "a")));
	if (self->metacopy) {
		char name[64];

		/* a metacopy, which finds its data by a redirect */
		snprintf(name, sizeof(name), "%smetacopy", self->xp);
		EXPECT_EQ(0, lgetxattr(upath(self, "b"), name, NULL, 0));
	} else {
		EXPECT_STREQ("a", lu_cat(upath(self, "b")));
	}

	/* RENAME_NOREPLACE and RENAME_EXCHANGE */
	EXPECT_EQ(-1, syscall(SYS_renameat2, AT_FDCWD, lu_mpath(s, "b"), AT_FDCWD,
			      lu_mpath(s, "x"), RENAME_NOREPLACE));
	EXPECT_EQ(EEXIST, errno);
	ASSERT_EQ(0, syscall(SYS_renameat2, AT_FDCWD, lu_mpath(s, "x"), AT_FDCWD,
			     lu_mpath(s, "y"), RENAME_EXCHANGE));
	EXPECT_STREQ("y", lu_cat(lu_mpath(s, "x")));
	EXPECT_STREQ("x", lu_cat(lu_mpath(s, "y")));
	/* over an existing name */
	ASSERT_EQ(0, rename(lu_mpath(s, "b"), lu_mpath(s, "x")));
	EXPECT_STREQ("a", lu_cat(lu_mpath(s, "x")));

	/*
	 * A directory with lower content: EXDEV, mv then copies; with
	 * redirect_dir=on it moves (and back).
	 */
	if (self->redirect) {
		ASSERT_EQ(0, rename(lu_mpath(s, "merged"), lu_mpath(s, "moved")));
		EXPECT_STREQ("f", lu_names(lu_mpath(s, "moved")));
		ASSERT_EQ(0, rename(lu_mpath(s, "moved"), lu_mpath(s, "merged")));
	} else {
		EXPECT_EQ(-1, rename(lu_mpath(s, "merged"), lu_mpath(s, "moved")));
		EXPECT_EQ(EXDEV, errno);
	}
	EXPECT_STREQ("f", lu_names(lu_mpath(s, "merged")));

	/* an upper-only directory goes anywhere, with its content */
	ASSERT_EQ(0, mkdir(lu_mpath(s, "newdir"), 0755));
	ASSERT_EQ(0, write_str(lu_mpath(s, "newdir/n"), O_CREAT, "n"));
	ASSERT_EQ(0, rename(lu_mpath(s, "newdir"), lu_mpath(s, "other/newdir")));
	EXPECT_STREQ("n", lu_cat(lu_mpath(s, "other/newdir/n")));
	EXPECT_STREQ("g newdir", lu_names(lu_mpath(s, "other")));
	EXPECT_EQ(-ENOENT, lu_ftype(lu_mpath(s, "newdir")));
	EXPECT_EQ(-ENOENT, lu_ftype(upath(self, "newdir")));
	ASSERT_EQ(0, rename(lu_mpath(s, "other/newdir"), lu_mpath(s, "merged/sub")));
	EXPECT_STREQ("f sub", lu_names(lu_mpath(s, "merged")));

	ASSERT_EQ(0, remount_rw(_metadata, self, variant->fstype));
	EXPECT_STREQ("merged other x y", lu_names(s->mnt));
	EXPECT_STREQ("n", lu_cat(lu_mpath(s, "merged/sub/n")));
	EXPECT_STREQ("g", lu_names(lu_mpath(s, "other")));
	EXPECT_STREQ("", work_names(self));
	expect_d_ino_ok(_metadata, self, variant);
}

TEST_F(upper, hard_links)
{
	struct lu_scratch *s = &self->s;
	struct stat a, b, ua, ub;

	ASSERT_EQ(0, lu_file(s, 1, "f", 0644, "f"));
	ASSERT_EQ(0, mount_rw(_metadata, self, variant->fstype));

	ASSERT_EQ(0, link(lu_mpath(s, "f"), lu_mpath(s, "g")));
	ASSERT_EQ(0, stat(lu_mpath(s, "f"), &a));
	ASSERT_EQ(0, stat(lu_mpath(s, "g"), &b));
	EXPECT_EQ(a.st_ino, b.st_ino);
	EXPECT_EQ(2, a.st_nlink);
	EXPECT_EQ(2, b.st_nlink);
	ASSERT_EQ(0, stat(upath(self, "f"), &ua));
	ASSERT_EQ(0, stat(upath(self, "g"), &ub));
	EXPECT_EQ(ua.st_ino, ub.st_ino);
	EXPECT_EQ(2, ua.st_nlink);
	/* a write through one name shows through the other */
	ASSERT_EQ(0, write_str(lu_mpath(s, "g"), O_APPEND, "+"));
	EXPECT_STREQ("f+", lu_cat(lu_mpath(s, "f")));
	ASSERT_EQ(0, unlink(lu_mpath(s, "f")));
	ASSERT_EQ(0, stat(lu_mpath(s, "g"), &b));
	EXPECT_EQ(1, b.st_nlink);
	EXPECT_TRUE(is_whiteout(upath(self, "f")));

	/* links of an upper file: each name goes and comes back */
	ASSERT_EQ(0, mkdir(lu_mpath(s, "d"), 0755));
	ASSERT_EQ(0, write_str(lu_mpath(s, "d/o"), O_CREAT, "o"));
	for (int round = 0; round < 2; round++) {
		ASSERT_EQ(0, link(lu_mpath(s, "d/o"), lu_mpath(s, "d/l1")));
		ASSERT_EQ(0, link(lu_mpath(s, "d/l1"), lu_mpath(s, "d/l2")));
		ASSERT_EQ(0, stat(lu_mpath(s, "d/o"), &a));
		EXPECT_EQ(3, a.st_nlink);
		ASSERT_EQ(0, rename(lu_mpath(s, "d/l2"), lu_mpath(s, "d/l3")));
		ASSERT_EQ(0, unlink(lu_mpath(s, "d/l1")));
		ASSERT_EQ(0, unlink(lu_mpath(s, "d/l3")));
		EXPECT_STREQ("o", lu_names(lu_mpath(s, "d")));
	}
	/* the first name goes first: the others keep working */
	ASSERT_EQ(0, link(lu_mpath(s, "d/o"), lu_mpath(s, "d/p")));
	ASSERT_EQ(0, unlink(lu_mpath(s, "d/o")));
	ASSERT_EQ(0, write_str(lu_mpath(s, "d/p"), O_APPEND, "+"));
	EXPECT_STREQ("o+", lu_cat(lu_mpath(s, "d/p")));
	ASSERT_EQ(0, unlink(lu_mpath(s, "d/p")));
	ASSERT_EQ(0, rmdir(lu_mpath(s, "d")));
	EXPECT_STREQ("", work_names(self));
}

TEST_F(upper, st_ino_is_stable_across_copy_up_and_remount)
{
	struct lu_scratch *s = &self->s;
	struct stat before, after, again;

	ASSERT_EQ(0, lu_file(s, 2, "d/f", 0644, "f"));
	ASSERT_EQ(0, mount_rw(_metadata, self, variant->fstype));

	ASSERT_EQ(0, stat(lu_mpath(s, "d/f"), &before));
	ASSERT_EQ(0, chmod(lu_mpath(s, "d/f"), 0600));
	ASSERT_EQ(0, stat(lu_mpath(s, "d/f"), &after));
	EXPECT_EQ(before.st_ino, after.st_ino);
	EXPECT_EQ(before.st_dev, after.st_dev);
	expect_d_ino_ok(_metadata, self, variant);

	ASSERT_EQ(0, remount_rw(_metadata, self, variant->fstype));
	ASSERT_EQ(0, stat(lu_mpath(s, "d/f"), &again));
	EXPECT_EQ(before.st_ino, again.st_ino);
	EXPECT_EQ(S_IFREG | 0600, again.st_mode);
	expect_d_ino_ok(_metadata, self, variant);
}

TEST_F(upper, read_only_fd_sees_data_written_after_copy_up)
{
	struct lu_scratch *s = &self->s;
	char buf[16] = "";
	int ro, rw;
	char *map;

	ASSERT_EQ(0, lu_file(s, 1, "f", 0644, "old data"));
	ASSERT_EQ(0, mount_rw(_metadata, self, variant->fstype));

	ro = open(lu_mpath(s, "f"), O_RDONLY);
	ASSERT_LE(0, ro);
	ASSERT_EQ(3, read(ro, buf, 3));
	rw = open(lu_mpath(s, "f"), O_WRONLY);
	ASSERT_LE(0, rw);
	ASSERT_EQ(3, pwrite(rw, "NEW", 3, 0));
	ASSERT_EQ(0, close(rw));
	memset(buf, 0, sizeof(buf));
	ASSERT_EQ(8, pread(ro, buf, sizeof(buf), 0));
	EXPECT_STREQ("NEW data", buf);
	/*
	 * A mapping of the old fd is of the lower file, on both (overlay
	 * maps the file the fd opened); a new open maps the upper file.
	 */
	rw = open(lu_mpath(s, "f"), O_RDONLY);
	ASSERT_LE(0, rw);
	map = mmap(NULL, 8, PROT_READ, MAP_SHARED, rw, 0);
	ASSERT_NE(MAP_FAILED, map);
	EXPECT_EQ(0, memcmp(map, "NEW", 3));
	munmap(map, 8);
	close(rw);
	close(ro);
	EXPECT_STREQ("old data", lu_cat(lu_lpath(s, 1, "f")));
}

TEST_F(upper, data_operations)
{
	struct lu_scratch *s = &self->s;
	struct statvfs sv, uv;
	char path[PATHLEN];
	struct stat st;
	int fd, dfd;

	LU_OVERLAY_NEEDS(variant->fstype, LU_OVL_TMPFILE);

	ASSERT_EQ(0, lu_file(s, 1, "f", 0644, "0123456789"));
	ASSERT_EQ(0, mount_rw(_metadata, self, variant->fstype));

	fd = open(lu_mpath(s, "f"), O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fallocate(fd, 0, 0, 1 << 20));
	ASSERT_EQ(0, fstat(fd, &st));
	EXPECT_EQ(1 << 20, st.st_size);
	ASSERT_EQ(0, ftruncate(fd, 4));
	ASSERT_EQ(0, fsync(fd));
	ASSERT_EQ(0, fdatasync(fd));
	ASSERT_EQ(0, syncfs(fd));
	close(fd);
	EXPECT_STREQ("0123", lu_cat(lu_mpath(s, "f")));
	EXPECT_STREQ("0123", lu_cat(upath(self, "f")));

	/* O_TMPFILE, then linked in */
	dfd = open(s->mnt, O_TMPFILE | O_RDWR, 0600);
	ASSERT_LE(0, dfd) {
		TH_LOG("O_TMPFILE: %s", strerror(errno));
	}
	ASSERT_EQ(3, write(dfd, "tmp", 3));
	snprintf(path, sizeof(path), "/proc/self/fd/%d", dfd);
	ASSERT_EQ(0, linkat(AT_FDCWD, path, AT_FDCWD, lu_mpath(s, "linked"),
			    AT_SYMLINK_FOLLOW));
	close(dfd);
	EXPECT_STREQ("tmp", lu_cat(lu_mpath(s, "linked")));
	EXPECT_STREQ("tmp", lu_cat(upath(self, "linked")));

	/* statfs is the upper filesystem's */
	ASSERT_EQ(0, statvfs(s->mnt, &sv));
	ASSERT_EQ(0, statvfs(self->upper, &uv));
	EXPECT_EQ(uv.f_blocks, sv.f_blocks);
	EXPECT_EQ(uv.f_bsize, sv.f_bsize);
	EXPECT_STREQ("", work_names(self));
}

TEST_F(upper, xattrs_and_acls_through_the_union)
{
	struct lu_scratch *s = &self->s;
	char v[64], own[32], esc[40], other[32];

	LU_OVERLAY_NEEDS(variant->fstype, LU_OVL_ESCAPED_XATTR);

	ASSERT_EQ(0, lu_file(s, 1, "f", 0644, "f"));
	ASSERT_EQ(0, lu_mkdir(s, 1, "d", 0755));
	ASSERT_EQ(0, mount_rw(_metadata, self, variant->fstype));

	ASSERT_EQ(0, setxattr(lu_mpath(s, "f"), "user.k", "v", 1, 0));
	ASSERT_EQ(0, setxattr(lu_mpath(s, "d"), "trusted.k", "t", 1, 0));
	ASSERT_EQ(0, lu_set_acl_user_read(lu_mpath(s, "f"), 1000));
	EXPECT_LT(0, getxattr(upath(self, "f"), "system.posix_acl_access", v,
			      sizeof(v)));
	EXPECT_EQ(1, getxattr(upath(self, "f"), "user.k", v, sizeof(v)));
	EXPECT_EQ(1, getxattr(upath(self, "d"), "trusted.k", v, sizeof(v)));
	EXPECT_EQ(-1, getxattr(lu_lpath(s, 1, "f"), "user.k", v, sizeof(v)));
	/*
	 * The union's own prefix (trusted.overlay., with userxattr
	 * user.overlay.) through the union is stored escaped; the other
	 * one is an ordinary xattr there.
	 */
	snprintf(own, sizeof(own), "%sopaque", self->xp);
	snprintf(esc, sizeof(esc), "%soverlay.opaque", self->xp);
	snprintf(other, sizeof(other), "%s.overlay.opaque",
		 self->userxattr ? "trusted" : "user");
	ASSERT_EQ(0, setxattr(lu_mpath(s, "f"), own, "y", 1, 0));
	EXPECT_EQ(1, getxattr(lu_mpath(s, "f"), own, v, sizeof(v)));
	EXPECT_EQ(1, getxattr(upath(self, "f"), esc, v, sizeof(v)));
	EXPECT_EQ(-1, getxattr(upath(self, "f"), own, v, sizeof(v)));
	ASSERT_EQ(0, removexattr(lu_mpath(s, "f"), own));
	EXPECT_EQ(-1, getxattr(upath(self, "f"), esc, v, sizeof(v)));
	ASSERT_EQ(0, setxattr(lu_mpath(s, "f"), other, "o", 1, 0));
	EXPECT_EQ(1, getxattr(upath(self, "f"), other, v, sizeof(v)));
	EXPECT_EQ(1, getxattr(lu_mpath(s, "f"), other, v, sizeof(v)));
	ASSERT_EQ(0, removexattr(lu_mpath(s, "f"), other));
	ASSERT_EQ(0, removexattr(lu_mpath(s, "f"), "user.k"));
	EXPECT_EQ(-1, getxattr(lu_mpath(s, "f"), "user.k", v, sizeof(v)));
	EXPECT_EQ(ENODATA, errno);
}

/*
 * What does not depend on the upper filesystem runs once on each of
 * layerfs and overlay, with the upper on the scratch tmpfs: upper_tmpfs
 * is upper (in self->d) without the scratch disk variants.
 */
FIXTURE(upper_tmpfs) {
	FIXTURE_DATA(upper) d;
};

LU_UNION_VARIANTS(upper_tmpfs);

FIXTURE_SETUP(upper_tmpfs)
{
	upper_init(_metadata, &self->d, variant->fstype, NULL, false);
}

FIXTURE_TEARDOWN(upper_tmpfs)
{
	upper_fini(&self->d);
}

/*
 * ENOSPC during copy-up: the operation fails, no partial file is left in
 * the upper layer or in work/, and once there is room it works.
 */
TEST_F(upper_tmpfs, enospc_during_copy_up)
{
	FIXTURE_DATA(upper) *d = &self->d;
	struct lu_scratch *s = &d->s;
	char small[PATHLEN], data[PATHLEN * 4];
	static char big[160 << 10];
	struct stat st;
	int fd;

	memset(big, 'b', sizeof(big));
	ASSERT_EQ(0, lu_file_data(s, 1, "big", 0644, big, sizeof(big)));
	snprintf(small, sizeof(small), "%s", lu_path(s, "small"));
	ASSERT_EQ(0, mkdir(small, 0755));
	ASSERT_EQ(0, mount("tmpfs", small, "tmpfs", 0, "size=256k"));
	ASSERT_EQ(0, mkdir(lu_path(s, "small/upper"), 0755));
	ASSERT_EQ(0, mkdir(lu_path(s, "small/work"), 0755));
	snprintf(d->upper, sizeof(d->upper), "%s/upper", small);
	snprintf(d->work, sizeof(d->work), "%s/work", small);
	snprintf(data, sizeof(data), "lowerdir=%s,upperdir=%s,workdir=%s",
		 lu_lpath(s, 1, NULL), d->upper, d->work);
	ASSERT_EQ(0, lu_mount_data(variant->fstype, s->mnt, 0, data));
	s->mounted = true;

	/* 160 KiB of filler leaves less than the 160 KiB file needs */
	fd = open(lu_mpath(s, "filler"), O_CREAT | O_WRONLY, 0644);
	ASSERT_LE(0, fd);
	ASSERT_EQ(sizeof(big), write(fd, big, sizeof(big)));
	ASSERT_EQ(0, close(fd));

	EXPECT_EQ(-1, open(lu_mpath(s, "big"), O_WRONLY | O_APPEND));
	EXPECT_EQ(ENOSPC, errno);
	EXPECT_EQ(-ENOENT, lu_ftype(upath(d, "big")));
	EXPECT_STREQ("", work_names(d));
	ASSERT_EQ(0, stat(lu_mpath(s, "big"), &st));
	EXPECT_EQ(sizeof(big), st.st_size);

	/* room again: the copy-up works */
	ASSERT_EQ(0, unlink(lu_mpath(s, "filler")));
	ASSERT_EQ(0, write_str(lu_mpath(s, "big"), O_APPEND, "!"));
	fd = open(upath(d, "big"), O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(sizeof(big) + 1, lseek(fd, 0, SEEK_END));
	close(fd);
	EXPECT_STREQ("", work_names(d));
	ASSERT_EQ(0, lu_umount(s));
	ASSERT_EQ(0, umount(small));
}

/*
 * Has a copy-up begun writing data into the upper layer: has the upper
 * filesystem fewer free blocks than @bfree0 (statvfs before the copy;
 * tmpfs, ext4 and xfs count delayed allocations too)? overlay copies
 * through an O_TMPFILE where the upper can, so no name shows it.
 */
static bool upper_lost_blocks(FIXTURE_DATA(upper) *self, fsblkcnt_t bfree0)
{
	struct statvfs sv;

	return !statvfs(self->upper, &sv) && sv.f_bfree + 16 < bfree0;
}

/*
 * A copy-up killed half way leaves no partial file: either nothing in
 * the upper layer, or the whole file.
 */
TEST_F_TIMEOUT(upper_tmpfs, killed_copy_up_leaves_no_partial_file, 120)
{
	FIXTURE_DATA(upper) *d = &self->d;
	struct lu_scratch *s = &d->s;
	const size_t chunk = 1 << 20, total = 256 << 20;
	struct timespec deadline;
	struct statvfs sv;
	pid_t pid, reaped = 0;
	struct stat st;
	char *buf;
	int fd, status;
	size_t off;

	buf = malloc(chunk);
	ASSERT_NE(NULL, buf);
	fd = open(lu_lpath(s, 1, "huge"), O_CREAT | O_WRONLY, 0644);
	ASSERT_LE(0, fd);
	for (off = 0; off < total; off += chunk) {
		memset(buf, 'a' + (off / chunk) % 26, chunk);
		ASSERT_EQ(chunk, write(fd, buf, chunk));
	}
	ASSERT_EQ(0, close(fd));
	ASSERT_EQ(0, mount_rw(_metadata, d, variant->fstype));
	ASSERT_EQ(0, statvfs(d->upper, &sv));

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		fd = open(lu_mpath(s, "huge"), O_WRONLY);
		_exit(fd < 0 ? 1 : 0);
	}
	/*
	 * Kill it half way: once the copy has begun writing data into the
	 * upper layer. Nothing says when that is: poll (0.1 ms) until the
	 * upper has lost blocks, the child is done, or the bound is hit.
	 */
	deadline = lu_deadline(60);
	while (!upper_lost_blocks(d, sv.f_bfree) && !lu_past(&deadline) &&
	       !(reaped = waitpid(pid, &status, WNOHANG)))
		usleep(100);
	if (!reaped) {
		if (!upper_lost_blocks(d, sv.f_bfree))
			TH_LOG("no copy-up seen writing in the upper before the kill");
		kill(pid, SIGKILL);
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
	}

	EXPECT_STREQ("", work_names(d));
	if (!lstat(upath(d, "huge"), &st)) {
		TH_LOG("the copy-up finished before the kill");
		EXPECT_EQ(total, st.st_size);
	} else {
		EXPECT_EQ(ENOENT, errno);
	}
	/* the lower file is intact and a new copy-up works */
	ASSERT_EQ(0, stat(lu_lpath(s, 1, "huge"), &st));
	EXPECT_EQ(total, st.st_size);
	ASSERT_EQ(0, truncate(lu_mpath(s, "huge"), chunk));
	fd = open(upath(d, "huge"), O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(chunk, read(fd, buf, chunk));
	EXPECT_EQ('a', buf[0]);
	EXPECT_EQ('a', buf[chunk - 1]);
	close(fd);
	free(buf);
}

struct cu_arg {
	const char *path;
	int idx;
	int err;
};

static void *copy_up_writer(void *p)
{
	struct cu_arg *a = p;
	char c = 'A' + a->idx;
	int fd = open(a->path, O_WRONLY);

	if (fd < 0) {
		a->err = errno;
		return NULL;
	}
	if (pwrite(fd, &c, 1, a->idx * 4096) != 1)
		a->err = errno;
	close(fd);
	return NULL;
}

TEST_F(upper, concurrent_copy_ups_of_one_file)
{
	struct lu_scratch *s = &self->s;
	enum { NTHREADS = 8 };
	static char data[NTHREADS * 4096];
	pthread_t t[NTHREADS];
	struct cu_arg a[NTHREADS];
	char path[PATHLEN];
	int fd, i, round;

	memset(data, '.', sizeof(data));
	for (round = 0; round < 4; round++) {
		char rel[16];

		snprintf(rel, sizeof(rel), "f%d", round);
		ASSERT_EQ(0, lu_file_data(s, 2, rel, 0644, data, sizeof(data)));
	}
	ASSERT_EQ(0, mount_rw(_metadata, self, variant->fstype));

	for (round = 0; round < 4; round++) {
		char rel[16], got[sizeof(data)];

		snprintf(rel, sizeof(rel), "f%d", round);
		snprintf(path, sizeof(path), "%s", lu_mpath(s, rel));
		for (i = 0; i < NTHREADS; i++) {
			a[i] = (struct cu_arg){ .path = path, .idx = i };
			ASSERT_EQ(0, pthread_create(&t[i], NULL, copy_up_writer, &a[i]));
		}
		for (i = 0; i < NTHREADS; i++) {
			pthread_join(t[i], NULL);
			EXPECT_EQ(0, a[i].err);
		}
		fd = open(path, O_RDONLY);
		ASSERT_LE(0, fd);
		ASSERT_EQ(sizeof(got), read(fd, got, sizeof(got)));
		close(fd);
		for (i = 0; i < NTHREADS; i++) {
			EXPECT_EQ('A' + i, got[i * 4096]);
			EXPECT_EQ('.', got[i * 4096 + 1]);
		}
	}
	EXPECT_STREQ("", work_names(self));
}

struct cu_open {
	const char *path;
	int fd;
	int err;
	atomic_bool done;
};

static void *copy_up_opener(void *p)
{
	struct cu_open *a = p;

	a->fd = open(a->path, O_RDWR);
	a->err = a->fd < 0 ? errno : 0;
	atomic_store(&a->done, true);
	return NULL;
}

/*
 * Start a copy-up of the lower file "big" by opening it for writing in a
 * thread, run @change on the union's name "big" while the copy runs, and
 * return the opener's result. The copy runs once its temp file shows in
 * workdir (layerfs always makes one) or the upper has lost blocks to it
 * (overlay copies up through O_TMPFILE where the upper can: no name
 * shows). Nothing says when that is: poll (0.1 ms) with a bound.
 */
static void copy_up_while(struct __test_metadata *_metadata,
			  FIXTURE_DATA(upper) *self, bool layerfs, const char *what,
			  int (*change)(FIXTURE_DATA(upper) *self),
			  struct cu_open *a, int *change_ret)
{
	struct timespec deadline;
	struct statvfs sv;
	bool begun = false;
	pthread_t t;

	ASSERT_EQ(0, statvfs(self->upper, &sv));
	*a = (struct cu_open){ .path = lu_mpath(&self->s, "big"), .fd = -1 };
	ASSERT_EQ(0, pthread_create(&t, NULL, copy_up_opener, a));
	deadline = lu_deadline(60);
	for (;;) {
		begun = (layerfs && work_names(self)[0]) ||
			upper_lost_blocks(self, sv.f_bfree);
		if (begun || atomic_load(&a->done) || lu_past(&deadline))
			break;
		usleep(100);
	}
	if (!begun)
		TH_LOG("%s: no copy-up seen in workdir or the upper", what);
	if (atomic_load(&a->done))
		TH_LOG("%s: the open had returned before it", what);
	*change_ret = change(self) ? -errno : 0;
	pthread_join(t, NULL);
}

static int unlink_big(FIXTURE_DATA(upper) *self)
{
	return unlink(lu_mpath(&self->s, "big"));
}

static int rename_other_over_big(FIXTURE_DATA(upper) *self)
{
	return rename(lu_mpath(&self->s, "other"), lu_mpath(&self->s, "big"));
}

/*
 * An unlink or a rename over a name while the file behind it is being
 * copied up (an open for writing) takes effect: the opener gets the file
 * as it was, now without a name, as on any filesystem, and the name stays
 * removed or shows the renamed file. overlay makes the unlink or rename
 * wait until the copy is done; layerfs does not wait, the copy becomes
 * the opener's unlinked file when it is done.
 */
TEST_F_TIMEOUT(upper, unlink_or_rename_over_during_copy_up, 300)
{
	struct lu_scratch *s = &self->s;
	const size_t size = 64 << 20;
	int (*change[2])(FIXTURE_DATA(upper) *) = { unlink_big, rename_other_over_big };
	const char *what[2] = { "unlink", "rename over" };
	static char chunk[1 << 20];
	struct cu_open a;
	struct stat st;
	int k, ret, fd;
	off_t off;
	char c;

	memset(chunk, 'x', sizeof(chunk));

	for (k = 0; k < 2; k++) {
		/* real data, no holes: the copy takes a while */
		ASSERT_EQ(0, lu_file(s, 1, "big", 0644, "lower"));
		fd = open(lu_lpath(s, 1, "big"), O_WRONLY);
		ASSERT_LE(0, fd);
		for (off = 0; off < size; off += sizeof(chunk))
			ASSERT_EQ(sizeof(chunk), pwrite(fd, chunk, sizeof(chunk),
							off + 5));
		ASSERT_EQ(0, close(fd));
		ASSERT_EQ(0, lu_file(s, 0, "other", 0644, "other"));
		ASSERT_EQ(0, mount_rw(_metadata, self, variant->fstype));

		copy_up_while(_metadata, self, variant->layerfs, what[k], change[k], &a, &ret);
		EXPECT_EQ(0, ret) TH_LOG("%s: %s", what[k], strerror(-ret));
		ASSERT_EQ(0, a.err) TH_LOG("%s: open: %s", what[k], strerror(a.err));
		/* the opener's file: the lower content, no name */
		ASSERT_EQ(0, fstat(a.fd, &st));
		EXPECT_EQ(size + 5, st.st_size);
		EXPECT_EQ(0, st.st_nlink);
		ASSERT_EQ(1, pwrite(a.fd, "L", 1, 0));
		ASSERT_EQ(1, pread(a.fd, &c, 1, 1));
		EXPECT_EQ('o', c);
		EXPECT_EQ(0, close(a.fd));
		/* the name: removed, or the renamed file */
		if (k == 0) {
			EXPECT_EQ(-1, lstat(lu_mpath(s, "big"), &st));
			EXPECT_EQ(ENOENT, errno);
			EXPECT_TRUE(is_whiteout(upath(self, "big")));
		} else {
			EXPECT_STREQ("other", lu_cat(lu_mpath(s, "big")));
			EXPECT_EQ(-1, lstat(lu_mpath(s, "other"), &st));
		}
		EXPECT_STREQ("", work_names(self));
		ASSERT_EQ(0, remount_rw(_metadata, self, variant->fstype));
		EXPECT_STREQ(k ? "other" : "error: ENOENT", lu_cat(lu_mpath(s, "big")));
		EXPECT_STREQ("", work_names(self));
		ASSERT_EQ(0, lu_umount(s));
		ASSERT_EQ(0, rm_rf(self->upper));
		ASSERT_EQ(0, mkdir(self->upper, 0755));
	}
}

/*
 * The upper written through one of layerfs and overlay, then mounted
 * with the other, shows the same tree: layerfs writes what overlay
 * reads, and reads what overlay writes.
 */
TEST_F(upper, upper_layer_is_compatible_both_ways)
{
	struct lu_scratch *s = &self->s;
	const char *other = variant->layerfs ? "overlay" : "layerfs";
	struct lu_tree written = { 0 }, read_back = { 0 };
	struct timespec ts[2] = { { 100, 0 }, { 200, 0 } };
	char why[1024];
	int ret;

	ret = lu_fs_available(other);
	if (ret == -ENODEV)
		SKIP(return, "%s is not available", other);
	ASSERT_EQ(0, lu_file(s, 0, "etc/conf", 0644, "conf"));
	ASSERT_EQ(0, lu_file(s, 1, "etc/old", 0644, "old"));
	ASSERT_EQ(0, lu_file(s, 2, "etc/older", 0600, "older"));
	ASSERT_EQ(0, lu_file(s, 2, "var/lib/x/y", 0644, "y"));
	ASSERT_EQ(0, lu_file(s, 2, "var/lib/z", 0644, "z"));
	ASSERT_EQ(0, lu_symlink(s, 1, "bin", "usr/bin"));
	ASSERT_EQ(0, lu_file(s, 1, "usr/bin/sh", 0755, "#!sh"));
	ASSERT_EQ(0, lu_file(s, 2, "gone/a", 0644, "a"));
	ASSERT_EQ(0, mount_rw(_metadata, self, variant->fstype));

	/* a bit of everything */
	ASSERT_EQ(0, write_str(lu_mpath(s, "etc/conf"), O_APPEND, "+more"));
	ASSERT_EQ(0, unlink(lu_mpath(s, "etc/old")));
	ASSERT_EQ(0, chmod(lu_mpath(s, "etc/older"), 0640));
	ASSERT_EQ(0, write_str(lu_mpath(s, "etc/new"), O_CREAT, "new"));
	ASSERT_EQ(0, mkdir(lu_mpath(s, "var/lib/new"), 0700));
	ASSERT_EQ(0, write_str(lu_mpath(s, "var/lib/new/f"), O_CREAT, "f"));
	ASSERT_EQ(0, unlink(lu_mpath(s, "var/lib/x/y")));
	ASSERT_EQ(0, rmdir(lu_mpath(s, "var/lib/x")));
	ASSERT_EQ(0, mkdir(lu_mpath(s, "var/lib/x"), 0755));
	ASSERT_EQ(0, write_str(lu_mpath(s, "var/lib/x/fresh"), O_CREAT, "fresh"));
	ASSERT_EQ(0, rename(lu_mpath(s, "var/lib/z"), lu_mpath(s, "var/z2")));
	ASSERT_EQ(0, setxattr(lu_mpath(s, "usr/bin/sh"), "user.cap", "c", 1, 0));
	ASSERT_EQ(0, symlink("../etc/new", lu_mpath(s, "usr/newlink")));
	ASSERT_EQ(0, link(lu_mpath(s, "etc/new"), lu_mpath(s, "etc/new.hard")));
	ASSERT_EQ(0, unlink(lu_mpath(s, "gone/a")));
	ASSERT_EQ(0, rmdir(lu_mpath(s, "gone")));
	ASSERT_EQ(0, utimensat(AT_FDCWD, lu_mpath(s, "etc/conf"), ts, 0));

	ASSERT_EQ(0, lu_tree_walk(s->mnt, &written)) {
		TH_LOG("%s", written.error);
	}
	ASSERT_EQ(0, lu_umount(s));
	ASSERT_EQ(0, mount_rw(_metadata, self, other));
	ASSERT_EQ(0, lu_tree_walk(s->mnt, &read_back)) {
		TH_LOG("%s", read_back.error);
	}
	EXPECT_EQ(0, lu_tree_diff(&written, &read_back, LU_CMP_NLINK, why, sizeof(why))) {
		TH_LOG("written by %s, read by %s: %s", variant->fstype, other, why);
	}
	EXPECT_STREQ("conf new new.hard older", lu_names(lu_mpath(s, "etc")));
	EXPECT_STREQ("fresh", lu_names(lu_mpath(s, "var/lib/x")));
	EXPECT_STREQ("", work_names(self));
	lu_tree_free(&written);
	lu_tree_free(&read_back);
}

/* Bad upper and work directories. */
LU_UNION_FIXTURE(upper_errors, 1)

static int mount_upper(struct lu_scratch *s, const char *fstype,
		       const char *mnt, const char *upper, const char *work)
{
	char data[PATHLEN * 4];

	snprintf(data, sizeof(data), "lowerdir=%s,upperdir=%s,workdir=%s",
		 lu_lpath(s, 0, NULL), upper, work);
	return lu_mount_data(fstype, mnt, 0, data);
}

TEST_F(upper_errors, bad_upper_and_work)
{
	struct lu_scratch *s = &self->s;
	char up[PATHLEN], wk[PATHLEN], other[PATHLEN], mnt2[PATHLEN];
	int ret;

	snprintf(up, sizeof(up), "%s", lu_path(s, "up"));
	snprintf(wk, sizeof(wk), "%s", lu_path(s, "wk"));
	snprintf(other, sizeof(other), "%s", lu_path(s, "other"));
	snprintf(mnt2, sizeof(mnt2), "%s", lu_path(s, "mnt2"));
	ASSERT_EQ(0, mkdir(up, 0755));
	ASSERT_EQ(0, mkdir(wk, 0755));
	ASSERT_EQ(0, mkdir(other, 0755));
	ASSERT_EQ(0, mkdir(mnt2, 0755));
	ASSERT_EQ(0, mkdir(lu_path(s, "up/inner"), 0755));

	/* work inside upper, and upper inside work */
	EXPECT_EQ(-EINVAL, mount_upper(s, variant->fstype, s->mnt, up,
				       lu_path(s, "up/inner")));
	ASSERT_EQ(0, mkdir(lu_path(s, "wk/inner"), 0755));
	EXPECT_EQ(-EINVAL, mount_upper(s, variant->fstype, s->mnt,
				       lu_path(s, "wk/inner"), wk));
	ASSERT_EQ(0, rmdir(lu_path(s, "wk/inner")));

	/* upper and work on different filesystems */
	ASSERT_EQ(0, mount("tmpfs", other, "tmpfs", 0, NULL));
	ret = mount_upper(s, variant->fstype, s->mnt, up, other);
	EXPECT_EQ(variant->layerfs ? -EXDEV : -EINVAL, ret);
	if (!ret)
		umount(s->mnt);

	/* a read-only upper */
	ASSERT_EQ(0, mount(up, other, NULL, MS_BIND, NULL));
	ASSERT_EQ(0, mount(NULL, other, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL));
	ASSERT_EQ(0, mkdir(lu_path(s, "up/w2"), 0755));
	ret = mount_upper(s, variant->fstype, s->mnt, other, lu_path(s, "other/w2"));
	EXPECT_EQ(variant->layerfs ? -EROFS : -EINVAL, ret) {
		TH_LOG("read-only upper: %s", strerror(-ret));
	}
	if (!ret)
		umount(s->mnt);
	ASSERT_EQ(0, umount(other));
	ASSERT_EQ(0, umount(other));

	/* upper and work of a mount in use by a second one */
	ASSERT_EQ(0, mount_upper(s, variant->fstype, s->mnt, up, wk));
	ret = mount_upper(s, variant->fstype, mnt2, up, wk);
	if (variant->layerfs) {
		EXPECT_EQ(-EBUSY, ret);
	} else {
		/* overlay without index=on only warns */
		EXPECT_EQ(0, ret);
	}
	if (!ret)
		umount(mnt2);
	ASSERT_EQ(0, umount(s->mnt));
	/* free again after the umount */
	ASSERT_EQ(0, mount_upper(s, variant->fstype, mnt2, up, wk));
	ASSERT_EQ(0, umount(mnt2));
}

TEST_F(upper_errors, upper_without_xattrs)
{
	struct lu_scratch *s = &self->s;
	char rf[PATHLEN];
	int ret;

	snprintf(rf, sizeof(rf), "%s", lu_path(s, "ramfs"));
	ASSERT_EQ(0, mkdir(rf, 0755));
	ASSERT_EQ(0, mount("ramfs", rf, "ramfs", 0, NULL));
	ASSERT_EQ(0, mkdir(lu_path(s, "ramfs/up"), 0755));
	ASSERT_EQ(0, mkdir(lu_path(s, "ramfs/wk"), 0755));
	ret = mount_upper(s, variant->fstype, s->mnt, lu_path(s, "ramfs/up"),
			  lu_path(s, "ramfs/wk"));
	if (variant->layerfs) {
		/* refused, not mounted with degraded semantics */
		EXPECT_EQ(-EOPNOTSUPP, ret);
	} else {
		TH_LOG("overlay on a ramfs upper: %s", ret ? strerror(-ret) : "mounted");
	}
	if (!ret)
		umount(s->mnt);
	ASSERT_EQ(0, umount(rf));
}

LU_HARNESS_MAIN
