// SPDX-License-Identifier: GPL-2.0
/*
 * Idmapped layers. layerfs maps the owners of an idmapped layer but not
 * the ids inside its POSIX ACLs, so it refuses such layers (EINVAL, with
 * a message in the fs context log); overlayfs takes idmapped lower layers
 * (a deviation listed in Documentation/filesystems/layerfs.rst). The
 * idmapped mount is made with mount_setattr(MOUNT_ATTR_IDMAP) on a
 * detached copy of a layer, handed over by fd and attached to a directory.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "harness.h"
#include "union.h"

/* Ids 0..999 of the layer appear as 10000..10999 on the idmapped mount. */
#define IDMAP_BASE	10000

FIXTURE(idmap) {
	struct lu_scratch s;
	int tree;		/* the detached idmapped copy of layer 0 */
	char idm[LU_PATH_MAX];	/* where it is attached */
};

LU_UNION_VARIANTS(idmap);

FIXTURE_SETUP(idmap)
{
	struct lu_scratch *s = &self->s;
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP };
	int ret;
	char map[64];
	int nsfd;

	self->tree = -1;
	if (!lu_union_setup(_metadata, s, variant->fstype, 2))
		return;
	ASSERT_EQ(0, lu_file(s, 0, "f", 0644, "f"));
	ASSERT_EQ(0, lu_file(s, 1, "g", 0644, "g"));
	ASSERT_EQ(0, lu_mkdir(s, 0, "u", 0755));
	ASSERT_EQ(0, lu_mkdir(s, 0, "w", 0755));
	snprintf(self->idm, sizeof(self->idm), "%s", lu_path(s, "idm"));
	ASSERT_EQ(0, mkdir(self->idm, 0755));

	snprintf(map, sizeof(map), "0 %d 1000", IDMAP_BASE);
	nsfd = lu_userns_fd(map);
	ASSERT_LE(0, nsfd) {
		TH_LOG("user namespace: %s", strerror(-nsfd));
	}
	self->tree = syscall(__NR_open_tree, AT_FDCWD, lu_lpath(s, 0, NULL),
			     OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	ASSERT_LE(0, self->tree);
	attr.userns_fd = nsfd;
	ret = syscall(__NR_mount_setattr, self->tree, "", AT_EMPTY_PATH,
		      &attr, sizeof(attr));
	close(nsfd);
	if (ret && errno == EINVAL)
		SKIP(return, "tmpfs does not take idmapped mounts on this kernel");
	ASSERT_EQ(0, ret);
	ASSERT_EQ(0, syscall(__NR_move_mount, self->tree, "", AT_FDCWD,
			     self->idm, MOVE_MOUNT_F_EMPTY_PATH));
}

FIXTURE_TEARDOWN(idmap)
{
	if (self->tree >= 0)
		close(self->tree);
	lu_scratch_fini(&self->s);
}

TEST_F(idmap, the_idmapped_mount_maps_owners)
{
	struct stat st;

	ASSERT_EQ(0, stat(lu_lpath(&self->s, 0, "f"), &st));
	EXPECT_EQ(0, st.st_uid);
	ASSERT_EQ(0, stat(lu_path(&self->s, "idm/f"), &st));
	EXPECT_EQ(IDMAP_BASE, st.st_uid);
	EXPECT_EQ(IDMAP_BASE, st.st_gid);
}

TEST_F(idmap, idmapped_lower_by_path)
{
	struct lu_scratch *s = &self->s;
	char data[LU_PATH_MAX * 3];
	struct stat st;
	int ret;

	snprintf(data, sizeof(data), "lowerdir=%s:%s", self->idm,
		 lu_lpath(s, 1, NULL));
	ret = lu_mount_data(variant->fstype, s->mnt, 0, data);
	if (variant->layerfs) {
		/* deviation: owners would be mapped, ACL entries not */
		EXPECT_EQ(-EINVAL, ret);
		return;
	}
	ASSERT_EQ(0, ret);
	ASSERT_EQ(0, stat(lu_mpath(s, "f"), &st));
	EXPECT_EQ(IDMAP_BASE, st.st_uid);
	ASSERT_EQ(0, stat(lu_mpath(s, "g"), &st));
	EXPECT_EQ(0, st.st_uid);
	EXPECT_EQ(0, umount(s->mnt));
}

/* The new mount API: by path on both, and by fd on layerfs. */
TEST_F(idmap, idmapped_lower_new_api)
{
	struct lu_scratch *s = &self->s;
	char log[1024];
	int fsfd;

	LU_OVERLAY_NEEDS(variant->fstype, LU_OVL_LOWERDIR_PLUS);

	fsfd = lu_fsopen(variant->fstype);
	ASSERT_LE(0, fsfd);
	if (!variant->layerfs) {
		ASSERT_EQ(0, lu_fsconfig_string(fsfd, "lowerdir+", self->idm));
		ASSERT_EQ(0, lu_fsconfig_string(fsfd, "lowerdir+", lu_lpath(s, 1, NULL)));
		EXPECT_EQ(0, lu_fsmount_at(fsfd, s->mnt));
		EXPECT_STREQ("f g u w", lu_names(s->mnt));
		EXPECT_EQ(0, umount(s->mnt));
		close(fsfd);
		return;
	}
	EXPECT_EQ(-EINVAL, lu_fsconfig_string(fsfd, "lowerdir+", self->idm));
	EXPECT_EQ(-EINVAL, lu_fsconfig_path_empty(fsfd, "lowerdir+", self->tree));
	lu_fs_log(fsfd, log, sizeof(log));
	EXPECT_NE(NULL, strstr(log, "idmapped")) {
		TH_LOG("log: %s", log);
	}
	close(fsfd);
}

/*
 * An idmapped upper layer: layerfs refuses the option; overlayfs takes
 * it (whether it can then write depends on the idmap, not tested here).
 */
TEST_F(idmap, idmapped_upper_option)
{
	struct lu_scratch *s = &self->s;
	int expect = variant->layerfs ? -EINVAL : 0;
	char log[1024];
	int fsfd;

	fsfd = lu_fsopen(variant->fstype);
	ASSERT_LE(0, fsfd);
	ASSERT_EQ(0, lu_fsconfig_string(fsfd, "lowerdir+", lu_lpath(s, 1, NULL)));
	EXPECT_EQ(expect, lu_fsconfig_string(fsfd, "upperdir", lu_path(s, "idm/u")));
	EXPECT_EQ(expect, lu_fsconfig_string(fsfd, "workdir", lu_path(s, "idm/w")));
	if (variant->layerfs) {
		lu_fs_log(fsfd, log, sizeof(log));
		EXPECT_NE(NULL, strstr(log, "idmapped")) {
			TH_LOG("log: %s", log);
		}
	}
	close(fsfd);
}

LU_HARNESS_MAIN
