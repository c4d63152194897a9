// SPDX-License-Identifier: GPL-2.0
/*
 * Registry entries are charged to the memory cgroup of the task that
 * registers them (LAYERFS_IOC_ADD_LAYER allocates with
 * GFP_KERNEL_ACCOUNT): 2000 layers registered from a child cgroup grow
 * its memory.stat "slab" by at least their size.
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
#include <sys/wait.h>

#include <linux/layerfs.h>

#include "kselftest_harness.h"
#include "harness.h"
#include "union.h"
#include "ctl.h"

#define NREG 2000

FIXTURE(regcg) {
	struct lu_scratch s;
	int dev;
	char prefix[16];
	char cg[LU_PATH_MAX + 32];	/* the child cgroup */
	bool cg_made;
};

FIXTURE_SETUP(regcg)
{
	int ret = lu_fs_available("layerfs");
	char root[LU_PATH_MAX];

	self->dev = -1;
	if (ret == -ENODEV)
		SKIP(return, "layerfs is not available (set LAYERFS_KO)");
	ASSERT_EQ(0, ret);
	ASSERT_EQ(0, lu_scratch_init(&self->s, "layerfs", 1));
	self->dev = open(LAYERFS_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->dev);
	snprintf(self->prefix, sizeof(self->prefix), "cg%d-", getpid());
	/* cgroup2, in the scratch's mount namespace. */
	snprintf(root, sizeof(root), "%s", lu_path(&self->s, "cg"));
	ASSERT_EQ(0, lu_mkdir_p(root, 0755));
	if (mount("none", root, "cgroup2", 0, NULL))
		SKIP(return, "no cgroup2: %s", strerror(errno));
	if (lu_write_str(lu_path(&self->s, "cg/cgroup.subtree_control"), "+memory"))
		SKIP(return, "no memory controller: %s", strerror(errno));
	snprintf(self->cg, sizeof(self->cg), "%s/lfs-reg-%d", root, getpid());
	ASSERT_EQ(0, mkdir(self->cg, 0755));
	self->cg_made = true;
}

FIXTURE_TEARDOWN(regcg)
{
	char name[32];
	int i;

	if (self->dev >= 0) {
		for (i = 0; i < NREG; i++) {
			snprintf(name, sizeof(name), "%s%d", self->prefix, i);
			lfs_del_layer(self->dev, name);
		}
		close(self->dev);
	}
	if (self->cg_made)
		rmdir(self->cg);
	lu_scratch_fini(&self->s);
}

TEST_F(regcg, layers_are_charged_to_the_registering_cgroup)
{
	char procs[LU_PATH_MAX + 64], name[32];
	long long slab0, slab1;
	int i, status;
	pid_t pid;

	slab0 = lu_cg_slab(self->cg);
	ASSERT_LE(0, slab0);
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", self->cg);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		if (lu_write_str(procs, "0"))
			_exit(2);
		for (i = 0; i < NREG; i++) {
			snprintf(name, sizeof(name), "%s%d", self->prefix, i);
			if (lfs_add_layer(self->dev, name, NULL, lu_lpath(&self->s, 0, "")))
				_exit(3);
		}
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
	slab1 = lu_cg_slab(self->cg);
	TH_LOG("%d layers: cgroup slab %lld -> %lld", NREG, slab0, slab1);
	/* An entry holds a name and two ids of 72 bytes each, and more. */
	EXPECT_LE(NREG * 3 * 72LL, slab1 - slab0);
}

LU_HARNESS_MAIN
