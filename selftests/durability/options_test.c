// SPDX-License-Identifier: GPL-2.0
/*
 * fsync=auto|strict|volatile and volatile: what overlayfs takes and shows,
 * the work dir marker a volatile mount leaves (work/incompat/volatile)
 * and the refusal of every later mount until it is removed, fsync(2) and
 * syncfs(2) on a volatile mount, copy-up under fsync=strict.
 *
 * What a power cut leaves is tested by scripts/vm-powercut
 * (selftests/durability/powercut): it needs two boots.
 *
 * Every test runs on layerfs and on overlay, with the same expectations.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include "kselftest_harness.h"
#include "harness.h"
#include "union.h"

FIXTURE(options) {
	struct lu_scratch s;
	struct lu_rw rw;
};

LU_UNION_VARIANTS(options);

FIXTURE_SETUP(options)
{
	if (!lu_union_setup(_metadata, &self->s, variant->fstype, 2))
		return;
	ASSERT_EQ(0, lu_file(&self->s, 0, "f", 0644, "lower f"));
	ASSERT_EQ(0, lu_file(&self->s, 0, "d/g", 0640, "lower g"));
	ASSERT_EQ(0, lu_setxattr(&self->s, 0, "f", "user.kept", "yes"));
	ASSERT_EQ(0, lu_rw_init(&self->rw, &self->s, NULL));
}

FIXTURE_TEARDOWN(options)
{
	lu_scratch_fini(&self->s);
	lu_rw_fini(&self->rw);
}

/* mount(2) of the layer with upper and work, and @extra options. */
static int mount_rw(struct lu_scratch *s, const struct lu_rw *rw,
		    const char *extra)
{
	char data[4 * LU_PATH_MAX];
	int ret;

	snprintf(data, sizeof(data), "lowerdir=%s,upperdir=%s,workdir=%s%s",
		 lu_lpath(s, 0, NULL), rw->upper, rw->work, extra);
	ret = lu_mount_data(s->fstype, s->mnt, 0, data);
	if (!ret)
		s->mounted = true;
	return ret;
}

static const char *marker(const struct lu_rw *rw, const char *rel)
{
	static char buf[LU_PATH_MAX + 64];

	snprintf(buf, sizeof(buf), "%s/work/incompat/%s", rw->work, rel);
	return buf;
}

/* The options column of the union's mount entry, or "" on error. */
static const char *opts(const struct lu_scratch *s)
{
	static char buf[8192];

	if (lu_mountinfo_opts(s->mnt, buf, sizeof(buf)))
		return "";
	return buf;
}

/* Mount with @extra, check the fsync= shown (NULL: none), unmount. */
static void check_shown(struct __test_metadata *_metadata,
			FIXTURE_DATA(options) *self, const char *extra,
			const char *shown)
{
	ASSERT_EQ(0, lu_rw_reset(&self->rw));
	ASSERT_EQ(0, mount_rw(&self->s, &self->rw, extra));
	if (shown) {
		EXPECT_TRUE(lu_has_option(opts(&self->s), "fsync", shown));
	} else {
		EXPECT_EQ(NULL, strstr(opts(&self->s), "fsync="));
	}
	if (_metadata->exit_code)
		TH_LOG("options \"%s\" show \"%s\"", extra, opts(&self->s));
	ASSERT_EQ(0, lu_umount(&self->s));
}

TEST_F(options, fsync_modes_are_taken_and_shown_unless_default)
{
	LU_OVERLAY_NEEDS(variant->fstype, LU_OVL_FSYNC);

	check_shown(_metadata, self, "", NULL);
	check_shown(_metadata, self, ",fsync=auto", NULL);
	check_shown(_metadata, self, ",fsync=strict", "strict");
	check_shown(_metadata, self, ",fsync=volatile", "volatile");
	check_shown(_metadata, self, ",volatile", "volatile");
	/* The last one wins. */
	check_shown(_metadata, self, ",volatile,fsync=strict", "strict");
	check_shown(_metadata, self, ",fsync=strict,volatile", "volatile");
	check_shown(_metadata, self, ",fsync=volatile,fsync=auto", NULL);
}

TEST_F(options, bad_values_are_refused)
{
	int fsfd;

	LU_OVERLAY_NEEDS(variant->fstype, LU_OVL_FSYNC);

	ASSERT_EQ(-EINVAL, mount_rw(&self->s, &self->rw, ",fsync=bogus"));
	ASSERT_EQ(-EINVAL, mount_rw(&self->s, &self->rw, ",fsync=Auto"));
	ASSERT_EQ(-EINVAL, mount_rw(&self->s, &self->rw, ",fsync="));
	ASSERT_EQ(-EINVAL, mount_rw(&self->s, &self->rw, ",fsync"));
	ASSERT_EQ(-EINVAL, mount_rw(&self->s, &self->rw, ",volatile=on"));

	fsfd = lu_fsopen(variant->fstype);
	ASSERT_LE(0, fsfd);
	EXPECT_EQ(-EINVAL, lu_fsconfig_string(fsfd, "fsync", "sometimes"));
	EXPECT_EQ(-EINVAL, lu_fsconfig_string(fsfd, "volatile", "1"));
	EXPECT_EQ(0, lu_fsconfig_string(fsfd, "fsync", "strict"));
	close(fsfd);
}

TEST_F(options, volatile_work_dir_is_refused_until_the_marker_goes)
{
	char log[1024];
	int fsfd, fd;

	ASSERT_EQ(0, mount_rw(&self->s, &self->rw, ",volatile"));
	fd = open(lu_mpath(&self->s, "f"), O_WRONLY | O_APPEND);
	ASSERT_LE(0, fd);
	ASSERT_EQ(4, write(fd, " new", 4));
	close(fd);
	/* A clean unmount does not remove the marker either (as ovl). */
	ASSERT_EQ(0, lu_umount(&self->s));
	EXPECT_EQ(S_IFREG, lu_ftype(marker(&self->rw, "volatile/dirty")));

	EXPECT_EQ(-EINVAL, mount_rw(&self->s, &self->rw, ""));
	EXPECT_EQ(-EINVAL, mount_rw(&self->s, &self->rw, ",volatile"));
	EXPECT_EQ(-EINVAL, mount_rw(&self->s, &self->rw, ",fsync=strict"));

	/* The fs context log says why (overlayfs only has a pr_err). */
	if (variant->layerfs) {
		fsfd = lu_fsopen(variant->fstype);
		ASSERT_LE(0, fsfd);
		ASSERT_EQ(0, lu_fsconfig_string(fsfd, "lowerdir",
						lu_lpath(&self->s, 0, NULL)));
		ASSERT_EQ(0, lu_fsconfig_string(fsfd, "upperdir", self->rw.upper));
		ASSERT_EQ(0, lu_fsconfig_string(fsfd, "workdir", self->rw.work));
		EXPECT_EQ(-EINVAL, lu_fsconfig_create(fsfd));
		lu_fs_log(fsfd, log, sizeof(log));
		EXPECT_NE(NULL, strstr(log, "incompat feature 'volatile'"));
		TH_LOG("log: %s", log);
		close(fsfd);
	}

	/* The user says the upper layer is intact: mounts again. */
	ASSERT_EQ(0, unlink(marker(&self->rw, "volatile/dirty")));
	ASSERT_EQ(0, rmdir(marker(&self->rw, "volatile")));
	ASSERT_EQ(0, mount_rw(&self->s, &self->rw, ""));
	EXPECT_STREQ("lower f new", lu_cat(lu_mpath(&self->s, "f")));
	ASSERT_EQ(0, lu_umount(&self->s));
	/* Not volatile this time: no marker. */
	EXPECT_EQ(-ENOENT, lu_ftype(marker(&self->rw, "volatile")));
	ASSERT_EQ(0, mount_rw(&self->s, &self->rw, ""));
}

TEST_F(options, volatile_without_upper_is_ignored)
{
	char data[2 * LU_PATH_MAX];

	/* overlayfs takes no fewer than two layers without an upper. */
	snprintf(data, sizeof(data), "lowerdir=%s:%s,volatile",
		 lu_lpath(&self->s, 0, NULL), lu_lpath(&self->s, 1, NULL));
	ASSERT_EQ(0, lu_mount_data(variant->fstype, self->s.mnt, 0, data));
	self->s.mounted = true;
	EXPECT_EQ(NULL, strstr(opts(&self->s), "fsync="));
	EXPECT_STREQ("lower f", lu_cat(lu_mpath(&self->s, "f")));
}

TEST_F(options, fsync_and_syncfs_succeed_on_a_volatile_mount)
{
	int fd;

	ASSERT_EQ(0, mount_rw(&self->s, &self->rw, ",volatile"));
	fd = open(lu_mpath(&self->s, "f"), O_WRONLY | O_TRUNC | O_SYNC);
	ASSERT_LE(0, fd);
	EXPECT_EQ(3, write(fd, "abc", 3));
	EXPECT_EQ(0, fsync(fd));
	EXPECT_EQ(0, fdatasync(fd));
	EXPECT_EQ(0, syncfs(fd));
	close(fd);
	EXPECT_STREQ("abc", lu_cat(lu_mpath(&self->s, "f")));
}

/* A remount read-only syncs the upper fs, or not (volatile); both work. */
TEST_F(options, remount_read_only_with_and_without_volatile)
{
	const char *modes[] = { "", ",volatile" };
	unsigned int i;
	int fd;

	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, lu_rw_reset(&self->rw));
		ASSERT_EQ(0, mount_rw(&self->s, &self->rw, modes[i]));
		fd = open(lu_mpath(&self->s, "f"), O_WRONLY | O_APPEND);
		ASSERT_LE(0, fd);
		EXPECT_EQ(1, write(fd, "!", 1));
		close(fd);
		ASSERT_EQ(0, mount(NULL, self->s.mnt, NULL,
				   MS_REMOUNT | MS_RDONLY, NULL));
		EXPECT_EQ(-1, open(lu_mpath(&self->s, "f"), O_WRONLY));
		EXPECT_EQ(EROFS, errno);
		EXPECT_STREQ("lower f!", lu_cat(lu_mpath(&self->s, "f")));
		ASSERT_EQ(0, lu_umount(&self->s));
	}
}

/* fsync=strict and the default: copy-up is unchanged but for the syncs. */
static void check_copy_up(struct __test_metadata *_metadata,
			  FIXTURE_DATA(options) *self, const char *extra)
{
	char path[LU_PATH_MAX + 16], val[16] = "";
	struct stat st;
	int fd;

	ASSERT_EQ(0, lu_rw_reset(&self->rw));
	ASSERT_EQ(0, mount_rw(&self->s, &self->rw, extra));
	/* A data copy-up, a metadata-only one (O_TRUNC), a directory. */
	fd = open(lu_mpath(&self->s, "f"), O_WRONLY | O_APPEND);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, fsync(fd));
	close(fd);
	fd = open(lu_mpath(&self->s, "d/g"), O_WRONLY | O_TRUNC);
	ASSERT_LE(0, fd);
	close(fd);
	ASSERT_EQ(0, lu_umount(&self->s));

	snprintf(path, sizeof(path), "%s/f", self->rw.upper);
	EXPECT_STREQ("lower f", lu_cat(path));
	EXPECT_EQ(3, getxattr(path, "user.kept", val, sizeof(val)));
	EXPECT_EQ(0, strncmp(val, "yes", 3));
	snprintf(path, sizeof(path), "%s/d/g", self->rw.upper);
	ASSERT_EQ(0, stat(path, &st));
	EXPECT_EQ(0, st.st_size);
	EXPECT_EQ(0640, st.st_mode & 07777);
}

TEST_F(options, copy_up_with_fsync_strict_and_auto)
{
	LU_OVERLAY_NEEDS(variant->fstype, LU_OVL_FSYNC);

	check_copy_up(_metadata, self, ",fsync=strict");
	check_copy_up(_metadata, self, "");
}

/*
 * fsync(2) of a directory on a volatile mount, with the upper on the ext4
 * scratch disk: no cache flush reaches the disk (overlayfs's ovl_dir_fsync
 * returns before syncing, as file fsync and syncfs do). The flush count is
 * field 16 of /sys/block/<dev>/stat; a default mount shows that fsync of
 * the same directory does flush, so the count is a real signal. ext4's
 * journal commit (every 5 s) can flush in between: up to three tries.
 */
FIXTURE(ondisk) {
	struct lu_scratch s;
	struct lu_rw rw;
	char stat[64];
};

LU_UNION_VARIANTS(ondisk);

FIXTURE_SETUP(ondisk)
{
	const char *dev = getenv("LAYERFS_SCRATCH_EXT4_DEV");
	int ret = lu_fs_available(variant->fstype);

	if (ret == -ENODEV)
		SKIP(return, "%s is not available (layerfs: set LAYERFS_KO)",
		     variant->fstype);
	ASSERT_EQ(0, ret);
	if (!dev || strncmp(dev, "/dev/", 5))
		SKIP(return, "no ext4 scratch disk (vm-run --disk ext4)");
	snprintf(self->stat, sizeof(self->stat), "/sys/block/%s/stat",
		 dev + 5);
	ASSERT_EQ(0, lu_scratch_init(&self->s, variant->fstype, 2));
	ASSERT_EQ(0, lu_file(&self->s, 0, "f", 0644, "lower f"));
	ASSERT_EQ(0, lu_rw_init(&self->rw, &self->s, "LAYERFS_SCRATCH_EXT4"));
}

FIXTURE_TEARDOWN(ondisk)
{
	lu_scratch_fini(&self->s);
	lu_rw_fini(&self->rw);
}

/* Flush requests the disk completed, or -1. */
static long long disk_flushes(const char *stat)
{
	unsigned long long v[17];
	FILE *f = fopen(stat, "re");
	int n;

	if (!f)
		return -1;
	n = fscanf(f, "%llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu",
		   &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7],
		   &v[8], &v[9], &v[10], &v[11], &v[12], &v[13], &v[14],
		   &v[15], &v[16]);
	fclose(f);
	return n >= 16 ? (long long)v[15] : -1;
}

/* Flushes that fsync of a new dir m/dN with a new file in it caused. */
static long long dir_fsync_flushes(struct __test_metadata *_metadata,
				   FIXTURE_DATA(ondisk) *self, int n)
{
	char d[32], x[40];
	long long before, after;
	int fd;

	snprintf(d, sizeof(d), "d%d", n);
	snprintf(x, sizeof(x), "d%d/x", n);
	if (mkdir(lu_mpath(&self->s, d), 0755))
		return -1;
	fd = open(lu_mpath(&self->s, x), O_WRONLY | O_CREAT, 0644);
	if (fd < 0)
		return -1;
	close(fd);
	fd = open(lu_mpath(&self->s, d), O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return -1;
	before = disk_flushes(self->stat);
	EXPECT_EQ(0, fsync(fd));
	after = disk_flushes(self->stat);
	close(fd);
	if (before < 0 || after < 0)
		return -1;
	return after - before;
}

TEST_F(ondisk, directory_fsync_on_a_volatile_mount_does_not_flush)
{
	long long n;
	int i;

	ASSERT_EQ(0, mount_rw(&self->s, &self->rw, ""));
	n = dir_fsync_flushes(_metadata, self, 0);
	ASSERT_LE(0, n) TH_LOG("no flush count in %s", self->stat);
	if (!n)
		SKIP(return, "the disk sees no flushes (write-through cache?)");
	ASSERT_EQ(0, lu_umount(&self->s));

	ASSERT_EQ(0, lu_rw_reset(&self->rw));
	ASSERT_EQ(0, mount_rw(&self->s, &self->rw, ",volatile"));
	for (i = 1; i <= 3; i++) {
		n = dir_fsync_flushes(_metadata, self, i);
		ASSERT_LE(0, n);
		if (!n)
			break;
	}
	EXPECT_EQ(0, n) TH_LOG("fsync of a directory flushed %lld times", n);
}

LU_HARNESS_MAIN
