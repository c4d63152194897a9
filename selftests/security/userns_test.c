// SPDX-License-Identifier: GPL-2.0
/*
 * The layer registry is root's: a process that is root only in a user
 * namespace of its own (what `unshare -Urm` gives any user) may open a
 * layerfs context and set options, but "layer=NAME" must neither tell it
 * which names are registered nor pin a registered chain (root's
 * LAYERFS_IOC_DEL_LAYER would get EBUSY while the context is open), and
 * creating the superblock is refused with EPERM.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <linux/layerfs.h>

#include "kselftest_harness.h"
#include "harness.h"
#include "union.h"
#include "ctl.h"

/* The unprivileged user the child becomes before its user namespace. */
#define NOBODY		65534

FIXTURE(userns) {
	struct lu_scratch s;
	int dev;
	char name[32];		/* a registered layer */
	char unknown[32];	/* a valid name that is not registered */
};

FIXTURE_SETUP(userns)
{
	int ret = lu_fs_available("layerfs");

	self->dev = -1;
	if (ret == -ENODEV)
		SKIP(return, "layerfs is not available (set LAYERFS_KO)");
	ASSERT_EQ(0, ret);
	ASSERT_EQ(0, lu_scratch_init(&self->s, "layerfs", 1));
	ASSERT_EQ(0, lu_file(&self->s, 0, "f", 0644, "f"));
	self->dev = open(LAYERFS_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->dev) {
		TH_LOG("%s: %s", LAYERFS_DEVICE, strerror(errno));
	}
	snprintf(self->name, sizeof(self->name), "userns-%d", getpid());
	snprintf(self->unknown, sizeof(self->unknown), "userns-%d-none", getpid());
	ASSERT_EQ(0, lfs_add_layer(self->dev, self->name, NULL,
				   lu_lpath(&self->s, 0, NULL)));
}

FIXTURE_TEARDOWN(userns)
{
	if (self->dev >= 0) {
		lfs_del_layer(self->dev, self->name);
		close(self->dev);
	}
	lu_scratch_fini(&self->s);
}

/* What the child saw, -errno or 0 each. */
struct userns_result {
	int enter;
	int fsopen;
	int known;		/* fsconfig layer=<registered> */
	int unknown;		/* fsconfig layer=<not registered> */
	int create_known;	/* FSCONFIG_CMD_CREATE */
	int create_unknown;
	int mount_known;	/* mount(2) -o layer=... */
	int mount_unknown;
};

/*
 * The child sets up both contexts, reports, waits for the parent to try
 * the deletion while they are open, then tries to create.
 */
static void userns_child(const char *known, const char *unknown,
			 const char *mnt, int report, int go)
{
	struct userns_result r = { 0 };
	char data[64];
	int fd1 = -1, fd2 = -1;
	char c;

	r.enter = lu_enter_userns(NOBODY, NULL);
	if (!r.enter) {
		fd1 = lu_fsopen("layerfs");
		fd2 = lu_fsopen("layerfs");
		r.fsopen = fd1 < 0 ? fd1 : fd2 < 0 ? fd2 : 0;
	}
	if (!r.enter && !r.fsopen) {
		r.known = lu_fsconfig_string(fd1, "layer", known);
		r.unknown = lu_fsconfig_string(fd2, "layer", unknown);
	}
	if (write(report, &r, sizeof(r)) != sizeof(r))
		_exit(2);
	if (read(go, &c, 1) != 1)
		_exit(3);
	if (!r.enter && !r.fsopen) {
		r.create_known = lu_fsconfig_create(fd1);
		r.create_unknown = lu_fsconfig_create(fd2);
		/* the legacy mount(2) parses the options before it checks too */
		snprintf(data, sizeof(data), "layer=%s", known);
		r.mount_known = lu_mount_data("layerfs", mnt, 0, data);
		snprintf(data, sizeof(data), "layer=%s", unknown);
		r.mount_unknown = lu_mount_data("layerfs", mnt, 0, data);
	}
	if (write(report, &r, sizeof(r)) != sizeof(r))
		_exit(4);
	_exit(0);
}

TEST_F(userns, layer_option_in_a_userns_is_no_oracle_and_pins_nothing)
{
	struct userns_result r;
	int report[2], go[2], status;
	pid_t pid;

	ASSERT_EQ(0, pipe2(report, O_CLOEXEC));
	ASSERT_EQ(0, pipe2(go, O_CLOEXEC));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		close(report[0]);
		close(go[1]);
		userns_child(self->name, self->unknown, self->s.mnt, report[1],
			     go[0]);
	}
	close(report[1]);
	close(go[0]);

	ASSERT_EQ(sizeof(r), read(report[0], &r, sizeof(r)));
	if (r.enter == -EPERM || r.enter == -EINVAL || r.enter == -ENOSPC) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		SKIP(return, "no unprivileged user namespaces here (%s)",
		     strerror(-r.enter));
	}
	ASSERT_EQ(0, r.enter);
	/* fsopen needs CAP_SYS_ADMIN over the mount namespace only */
	ASSERT_EQ(0, r.fsopen);
	/* no existence oracle: a registered and an unknown name alike */
	EXPECT_EQ(r.known, r.unknown) {
		TH_LOG("layer=<registered>: %s, layer=<unknown>: %s",
		       strerror(-r.known), strerror(-r.unknown));
	}
	EXPECT_EQ(0, r.known);

	/* the open contexts pin nothing: root can delete the layer */
	EXPECT_EQ(0, lfs_del_layer(self->dev, self->name));

	ASSERT_EQ(1, write(go[1], "g", 1));
	ASSERT_EQ(sizeof(r), read(report[0], &r, sizeof(r)));
	EXPECT_EQ(-EPERM, r.create_known);
	EXPECT_EQ(-EPERM, r.create_unknown);
	EXPECT_EQ(-EPERM, r.mount_known);
	EXPECT_EQ(-EPERM, r.mount_unknown);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
	close(report[0]);
	close(go[1]);
}

/*
 * Root in the initial namespace: the name is looked up when the
 * superblock is made, and an unknown one is explained in the log.
 */
TEST_F(userns, root_learns_an_unknown_layer_at_create)
{
	char log[1024];
	int fsfd;

	fsfd = lu_fsopen("layerfs");
	ASSERT_LE(0, fsfd);
	EXPECT_EQ(0, lu_fsconfig_string(fsfd, "layer", self->unknown));
	EXPECT_EQ(-ENOENT, lu_fsconfig_create(fsfd));
	lu_fs_log(fsfd, log, sizeof(log));
	EXPECT_NE(NULL, strstr(log, "not registered")) {
		TH_LOG("log: %s", log);
	}
	close(fsfd);

	fsfd = lu_fsopen("layerfs");
	ASSERT_LE(0, fsfd);
	EXPECT_EQ(0, lu_fsconfig_string(fsfd, "layer", self->name));
	EXPECT_EQ(0, lu_fsmount_at(fsfd, self->s.mnt));
	close(fsfd);
	EXPECT_STREQ("f", lu_names(self->s.mnt));
	EXPECT_EQ(-EBUSY, lfs_del_layer(self->dev, self->name));
	EXPECT_EQ(0, umount(self->s.mnt));
	EXPECT_EQ(0, lfs_del_layer(self->dev, self->name));
}

LU_HARNESS_MAIN
