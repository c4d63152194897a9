// SPDX-License-Identifier: GPL-2.0
/*
 * LAYERFS_IOC_OPEN_LAYER (module/explain.c): a descriptor of the root of
 * one layer of a mount, to read the layer as it is (layerctl explain
 * --layer). overlay has no such ioctl: its variant checks that the number
 * is not taken there (ENOTTY).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <linux/layerfs.h>

#include "kselftest_harness.h"
#include "harness.h"
#include "union.h"

#define NLAYERS		3
#define NOBODY		65534

struct ol_data {
	struct lu_scratch s;
	struct lu_rw rw;
	bool rw_made;
	bool layerfs;
};

/*
 * Two fixtures on the same layers: open_layer runs on layerfs and on
 * overlay, open_layer_lfs (the refusals) only where the ioctl exists.
 */
FIXTURE(open_layer) {
	struct ol_data d;
};

LU_UNION_VARIANTS(open_layer);

FIXTURE(open_layer_lfs) {
	struct ol_data d;
};

static void ol_setup(struct __test_metadata *_metadata, struct ol_data *d,
		     const char *fstype)
{
	int i;

	if (!lu_union_setup(_metadata, &d->s, fstype, NLAYERS))
		return;
	d->layerfs = !strcmp(fstype, "layerfs");
	ASSERT_EQ(0, lu_rw_init(&d->rw, &d->s, NULL));
	d->rw_made = true;
	/* every layer holds a file that names it */
	for (i = 0; i < NLAYERS; i++) {
		char name[16];

		snprintf(name, sizeof(name), "L%d", i + 1);
		ASSERT_EQ(0, lu_file_data(&d->s, i, name, 0644, name,
					  strlen(name)));
	}
	ASSERT_EQ(0, lu_mount_rw(&d->s, &d->rw));
	ASSERT_EQ(0, lu_write_file(lu_mpath(&d->s, "U"), 0644, "U", 1));
}

static void ol_teardown(struct ol_data *d)
{
	lu_scratch_fini(&d->s);
	if (d->rw_made)
		lu_rw_fini(&d->rw);
}

FIXTURE_SETUP(open_layer)
{
	ol_setup(_metadata, &self->d, variant->fstype);
}

FIXTURE_TEARDOWN(open_layer)
{
	ol_teardown(&self->d);
}

FIXTURE_SETUP(open_layer_lfs)
{
	ol_setup(_metadata, &self->d, "layerfs");
}

FIXTURE_TEARDOWN(open_layer_lfs)
{
	ol_teardown(&self->d);
}

/* The ioctl on @fd: the new descriptor, or -errno; @numlayer out. */
static int open_layer(int fd, __u32 layer, __u32 flags, __u32 *numlayer)
{
	struct layerfs_open_layer ol = {
		.size = sizeof(ol),
		.flags = flags,
		.layer = layer,
	};
	int ret = ioctl(fd, LAYERFS_IOC_OPEN_LAYER, &ol);

	if (numlayer)
		*numlayer = ol.numlayer;
	return ret < 0 ? -errno : ret;
}

static bool same_inode(int fd, const char *path)
{
	struct stat a, b;

	return !fstat(fd, &a) && !stat(path, &b) && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}

/* Each layer's root, read-only below, close-on-exec; the upper as 0. */
TEST_F(open_layer, opens_each_layer_root)
{
	__u32 numlayer = 0;
	int mfd, fd, i;
	char buf[8];
	ssize_t n;

	mfd = open(self->d.s.mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ASSERT_LE(0, mfd);
	if (!self->d.layerfs) {
		EXPECT_EQ(-ENOTTY, open_layer(mfd, 1, 0, NULL));
		close(mfd);
		return;
	}
	fd = open_layer(mfd, 0, 0, &numlayer);
	ASSERT_LE(0, fd) TH_LOG("%s", strerror(-fd));
	EXPECT_EQ(NLAYERS + 1, numlayer);
	EXPECT_TRUE(same_inode(fd, self->d.rw.upper));
	EXPECT_EQ(FD_CLOEXEC, fcntl(fd, F_GETFD));
	EXPECT_EQ(O_RDONLY, fcntl(fd, F_GETFL) & O_ACCMODE);
	EXPECT_EQ(0, faccessat(fd, "U", F_OK, AT_SYMLINK_NOFOLLOW));
	/* a read-only clone: nothing is written behind the union */
	EXPECT_EQ(-1, openat(fd, "behind", O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
	EXPECT_EQ(EROFS, errno);
	EXPECT_EQ(-1, mkdirat(fd, "behind", 0755));
	EXPECT_EQ(EROFS, errno);
	EXPECT_EQ(-1, unlinkat(fd, "U", 0));
	EXPECT_EQ(EROFS, errno);
	/* while the union's upper is written as ever */
	EXPECT_EQ(0, lu_write_file(lu_mpath(&self->d.s, "U2"), 0644, "U", 1));
	EXPECT_EQ(0, faccessat(fd, "U2", F_OK, AT_SYMLINK_NOFOLLOW));
	close(fd);

	for (i = 1; i <= NLAYERS; i++) {
		char name[16];
		int f;

		fd = open_layer(mfd, i, 0, NULL);
		ASSERT_LE(0, fd) TH_LOG("layer %d: %s", i, strerror(-fd));
		EXPECT_TRUE(same_inode(fd, lu_lpath(&self->d.s, i - 1, NULL)));
		snprintf(name, sizeof(name), "L%d", i);
		f = openat(fd, name, O_RDONLY | O_CLOEXEC);
		ASSERT_LE(0, f);
		n = read(f, buf, sizeof(buf));
		EXPECT_EQ((ssize_t)strlen(name), n);
		close(f);
		/* the mount's clone of a lower layer is read-only */
		EXPECT_EQ(-1, openat(fd, "new", O_WRONLY | O_CREAT | O_CLOEXEC,
				     0644));
		EXPECT_EQ(EROFS, errno);
		/* ".." stops at the layer's root */
		f = openat(fd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		ASSERT_LE(0, f);
		EXPECT_TRUE(same_inode(f, lu_lpath(&self->d.s, i - 1, NULL)));
		close(f);
		close(fd);
	}
	/* from a file of the mount too */
	fd = open(lu_mpath(&self->d.s, "L2"), O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	i = open_layer(fd, 2, 0, NULL);
	EXPECT_LE(0, i);
	EXPECT_TRUE(same_inode(i, lu_lpath(&self->d.s, 1, NULL)));
	close(i);
	close(fd);
	close(mfd);
}

/* No such layer, bad flags or size, no upper: each its errno. */
TEST_F(open_layer_lfs, refuses_bad_requests)
{
	struct layerfs_open_layer ol = { .size = 8 };
	__u32 numlayer = 0;
	int mfd, ro, fd;

	mfd = open(self->d.s.mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ASSERT_LE(0, mfd);
	EXPECT_EQ(-ENOENT, open_layer(mfd, NLAYERS + 1, 0, &numlayer));
	EXPECT_EQ(NLAYERS + 1, numlayer);
	EXPECT_EQ(-ENOENT, open_layer(mfd, ~0u, 0, NULL));
	EXPECT_EQ(-EINVAL, open_layer(mfd, 1, 1, NULL));
	EXPECT_EQ(-1, ioctl(mfd, LAYERFS_IOC_OPEN_LAYER, &ol));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(mfd, LAYERFS_IOC_OPEN_LAYER, NULL));
	EXPECT_EQ(EFAULT, errno);
	close(mfd);

	/* a read-only mount has no upper layer */
	ASSERT_EQ(0, lu_umount(&self->d.s));
	ASSERT_EQ(0, lu_mount(&self->d.s));
	ro = open(self->d.s.mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ASSERT_LE(0, ro);
	EXPECT_EQ(-ENOENT, open_layer(ro, 0, 0, &numlayer));
	EXPECT_EQ(NLAYERS + 1, numlayer);
	fd = open_layer(ro, 1, 0, NULL);
	EXPECT_LE(0, fd);
	close(fd);
	close(ro);
}

/*
 * What the union hides is for CAP_SYS_ADMIN in the initial user
 * namespace: not for nobody, nor for the root of a user namespace.
 */
TEST_F(open_layer_lfs, needs_cap_sys_admin)
{
	int mfd, status, how;
	pid_t pid;

	mfd = open(self->d.s.mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ASSERT_LE(0, mfd);
	for (how = 0; how < 2; how++) {
		pid = fork();
		ASSERT_LE(0, pid);
		if (!pid) {
			if (how == 0 && (setresgid(NOBODY, NOBODY, NOBODY) ||
					 setresuid(NOBODY, NOBODY, NOBODY)))
				_exit(2);
			if (how == 1 && unshare(CLONE_NEWUSER))
				_exit(3);
			_exit(open_layer(mfd, 1, 0, NULL) == -EPERM ? 0 : 1);
		}
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		EXPECT_TRUE(WIFEXITED(status));
		EXPECT_EQ(0, WEXITSTATUS(status)) TH_LOG("%s", how ?
			"root of a new user namespace" : "nobody");
	}
	close(mfd);
}

/* The descriptor outlives the union: the layer stays readable, then goes. */
TEST_F(open_layer_lfs, descriptor_outlives_the_union)
{
	int mfd, fd, f;

	mfd = open(self->d.s.mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ASSERT_LE(0, mfd);
	fd = open_layer(mfd, 1, 0, NULL);
	ASSERT_LE(0, fd);
	close(mfd);
	ASSERT_EQ(0, lu_umount(&self->d.s));
	f = openat(fd, "L1", O_RDONLY | O_CLOEXEC);
	EXPECT_LE(0, f);
	if (f >= 0)
		close(f);
	close(fd);
	/* and the union mounts again on the same layers */
	ASSERT_EQ(0, lu_mount_rw(&self->d.s, &self->d.rw));
}

LU_HARNESS_MAIN
