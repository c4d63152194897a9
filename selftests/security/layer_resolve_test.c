// SPDX-License-Identifier: GPL-2.0
/*
 * A layer=NAME mount whose chain cannot be used (here: the registered
 * directory is an idmapped mount, which layerfs refuses as a lower layer)
 * fails at FSCONFIG_CMD_CREATE, and the fs context it leaves behind until
 * its fd is closed pins nothing: root can unregister the layer at once.
 * layerfs only (overlayfs has no registry).
 *
 * The idmapped tree is attached in the test's mount namespace first: the
 * registry clones the mount a layer is added through, and, as overlayfs
 * with a lowerdir+ descriptor, cannot clone a detached one (open_tree()
 * without move_mount()); that is refused at ADD_LAYER with EINVAL.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <linux/layerfs.h>

#include "kselftest_harness.h"
#include "harness.h"
#include "union.h"

FIXTURE(resolve) {
	struct lu_scratch s;
	int dev;
	int tree;		/* idmapped copy of the layer dir */
	char name[32];
	bool registered;
	bool attached;		/* the tree is mounted at idm/ */
};

FIXTURE_SETUP(resolve)
{
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP };
	struct layerfs_layer_add a = { .size = sizeof(a) };
	struct lu_scratch *s = &self->s;
	int ret = lu_fs_available("layerfs");
	int nsfd;

	self->dev = -1;
	self->tree = -1;
	if (ret == -ENODEV)
		SKIP(return, "layerfs is not available (set LAYERFS_KO)");
	ASSERT_EQ(0, ret);
	ASSERT_EQ(0, lu_scratch_init(s, "layerfs", 0));
	ASSERT_EQ(0, lu_mkdir_p(lu_path(s, "img"), 0755));
	ASSERT_EQ(0, lu_write_file(lu_path(s, "img/f"), 0644, "f", 1));

	nsfd = lu_userns_fd("0 10000 1000");	/* 0..999 -> 10000.. */
	ASSERT_LE(0, nsfd);
	self->tree = syscall(__NR_open_tree, AT_FDCWD, lu_path(s, "img"),
			     OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	ASSERT_LE(0, self->tree);
	attr.userns_fd = nsfd;
	ret = syscall(__NR_mount_setattr, self->tree, "", AT_EMPTY_PATH,
		      &attr, sizeof(attr));
	close(nsfd);
	if (ret && errno == EINVAL)
		SKIP(return, "tmpfs does not take idmapped mounts on this kernel");
	ASSERT_EQ(0, ret);

	self->dev = open(LAYERFS_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->dev);
	snprintf(self->name, sizeof(self->name), "resolve-%d", getpid());
	snprintf((char *)a.name, sizeof(a.name), "%s", self->name);
	a.dirfd = self->tree;
	EXPECT_EQ(-1, ioctl(self->dev, LAYERFS_IOC_ADD_LAYER, &a));
	EXPECT_EQ(EINVAL, errno) {
		TH_LOG("ADD_LAYER of a detached mount: %s", strerror(errno));
	}

	ASSERT_EQ(0, lu_mkdir_p(lu_path(s, "idm"), 0755));
	ASSERT_EQ(0, syscall(__NR_move_mount, self->tree, "", AT_FDCWD,
			     lu_path(s, "idm"), MOVE_MOUNT_F_EMPTY_PATH));
	self->attached = true;
	close(self->tree);
	self->tree = open(lu_path(s, "idm"), O_PATH | O_DIRECTORY | O_CLOEXEC);
	ASSERT_LE(0, self->tree);
	a.dirfd = self->tree;
	ASSERT_EQ(0, ioctl(self->dev, LAYERFS_IOC_ADD_LAYER, &a)) {
		TH_LOG("ADD_LAYER of an idmapped dir: %s", strerror(errno));
	}
	self->registered = true;
}

static int reg_del(int dev, const char *name)
{
	struct layerfs_layer_del d = { .size = sizeof(d) };

	snprintf((char *)d.name, sizeof(d.name), "%s", name);
	return ioctl(dev, LAYERFS_IOC_DEL_LAYER, &d) ? -errno : 0;
}

FIXTURE_TEARDOWN(resolve)
{
	if (self->registered)
		reg_del(self->dev, self->name);
	if (self->dev >= 0)
		close(self->dev);
	if (self->tree >= 0)
		close(self->tree);
	if (self->attached)
		umount2(lu_path(&self->s, "idm"), MNT_DETACH);
	lu_scratch_fini(&self->s);
}

TEST_F(resolve, failed_create_pins_no_layer)
{
	char log[1024] = "";
	int fsfd, ret;

	fsfd = lu_fsopen("layerfs");
	ASSERT_LE(0, fsfd);
	ASSERT_EQ(0, lu_fsconfig_string(fsfd, "layer", self->name));
	EXPECT_EQ(-EINVAL, lu_fsconfig_create(fsfd));
	lu_fs_log(fsfd, log, sizeof(log));
	EXPECT_NE(NULL, strstr(log, "idmapped")) {
		TH_LOG("log: %s", log);
	}
	EXPECT_EQ(NULL, strstr(log, "not registered")) {
		TH_LOG("log: %s", log);
	}

	/* The fd is still open: the layer is not in use. */
	ret = reg_del(self->dev, self->name);
	EXPECT_EQ(0, ret) {
		TH_LOG("DEL_LAYER with the fs context open: %s",
		       strerror(-ret));
	}
	if (!ret)
		self->registered = false;
	close(fsfd);
}

TEST_F(resolve, unknown_name_is_not_registered)
{
	char log[1024] = "";
	int fsfd;

	fsfd = lu_fsopen("layerfs");
	ASSERT_LE(0, fsfd);
	ASSERT_EQ(0, lu_fsconfig_string(fsfd, "layer", "no-such-layer"));
	EXPECT_EQ(-ENOENT, lu_fsconfig_create(fsfd));
	lu_fs_log(fsfd, log, sizeof(log));
	EXPECT_NE(NULL, strstr(log, "not registered")) {
		TH_LOG("log: %s", log);
	}
	close(fsfd);
}

LU_HARNESS_MAIN
