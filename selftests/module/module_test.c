// SPDX-License-Identifier: GPL-2.0
/*
 * Loading and unloading layerfs.ko: the filesystem type appears in
 * /proc/filesystems when the module is loaded and goes away with it, a
 * second load is refused, and a mounted layerfs pins the module.
 *
 * Needs root and LAYERFS_KO (selftests/run sets both up in the guest).
 * Every test leaves the module loaded, so the tests that run after this
 * file find it there.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "harness.h"
#include "util.h"

/* Is "<prefix>\t<fstype>" a line of /proc/filesystems? */
static bool proc_filesystems_has(const char *prefix, const char *fstype)
{
	char line[256], want[256];
	bool found = false;
	FILE *f;

	snprintf(want, sizeof(want), "%s\t%s\n", prefix, fstype);
	f = fopen("/proc/filesystems", "re");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = !strcmp(line, want);
	fclose(f);
	return found;
}

static bool sys_module_exists(void)
{
	return access("/sys/module/" LFS_FSTYPE, F_OK) == 0;
}

FIXTURE(module) {
	char dir[64];
};

FIXTURE_SETUP(module)
{
	self->dir[0] = '\0';
	if (geteuid() != 0)
		SKIP(return, "loading modules needs root");
	if (!lfs_module_path())
		SKIP(return, "LAYERFS_KO is not set (selftests/run sets it)");
	ASSERT_EQ(0, lfs_load_module());
	ASSERT_TRUE(lfs_fs_registered(LFS_FSTYPE));
}

FIXTURE_TEARDOWN(module)
{
	if (self->dir[0]) {
		char path[96];

		snprintf(path, sizeof(path), "%s/mnt", self->dir);
		umount2(path, MNT_DETACH);
		rmdir(path);
		snprintf(path, sizeof(path), "%s/lower", self->dir);
		rmdir(path);
		rmdir(self->dir);
	}
	/* Leave the module loaded for whatever runs next. */
	if (lfs_module_path())
		EXPECT_EQ(0, lfs_load_module());
}

TEST_F(module, is_listed_in_proc_filesystems_as_nodev)
{
	EXPECT_TRUE(proc_filesystems_has("nodev", LFS_FSTYPE));
	EXPECT_TRUE(sys_module_exists());
}

TEST_F(module, second_load_fails_with_eexist)
{
	int fd;

	fd = open(lfs_module_path(), O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, syscall(SYS_finit_module, fd, "", 0));
	EXPECT_EQ(EEXIST, errno);
	close(fd);
	/* ... and the helper takes a loaded module for success. */
	EXPECT_EQ(0, lfs_load_module());
}

TEST_F(module, unload_unregisters_the_filesystem_and_reload_restores_it)
{
	ASSERT_EQ(0, lfs_unload_module());
	EXPECT_FALSE(lfs_fs_registered(LFS_FSTYPE));
	EXPECT_FALSE(sys_module_exists());
	EXPECT_EQ(-ENOENT, lfs_unload_module());

	ASSERT_EQ(0, lfs_load_module());
	EXPECT_TRUE(proc_filesystems_has("nodev", LFS_FSTYPE));
	EXPECT_TRUE(sys_module_exists());
}

TEST_F(module, unload_is_refused_while_mounted)
{
	char lower[96], mnt[96], opts[128];

	/* A private mount namespace: the mount dies with this test. */
	ASSERT_EQ(0, unshare(CLONE_NEWNS));
	ASSERT_EQ(0, mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL));

	snprintf(self->dir, sizeof(self->dir), "/tmp/module_test.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	snprintf(lower, sizeof(lower), "%s/lower", self->dir);
	snprintf(mnt, sizeof(mnt), "%s/mnt", self->dir);
	ASSERT_EQ(0, mkdir(lower, 0755));
	ASSERT_EQ(0, mkdir(mnt, 0755));
	snprintf(opts, sizeof(opts), "lowerdir=%s", lower);

	ASSERT_EQ(0, mount("none", mnt, LFS_FSTYPE, 0, opts));
	/* In use: try_stop_module() says EWOULDBLOCK (rmmod: "in use"). */
	EXPECT_EQ(-EWOULDBLOCK, lfs_unload_module());
	EXPECT_TRUE(lfs_fs_registered(LFS_FSTYPE));

	ASSERT_EQ(0, umount(mnt));
	EXPECT_EQ(0, lfs_unload_module());
	EXPECT_FALSE(lfs_fs_registered(LFS_FSTYPE));
}

LU_HARNESS_MAIN
