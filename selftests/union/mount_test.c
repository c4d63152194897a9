// SPDX-License-Identifier: GPL-2.0
/*
 * Mounting a read-only union: mount(2) with lowerdir=, escaped paths, the
 * new mount API with "lowerdir+", the layer limit, read-only enforcement,
 * /proc/self/mountinfo, stacking depth and the errors for bad input.
 *
 * Every test runs on layerfs and on overlay. Where they differ on purpose
 * (Documentation/filesystems/layerfs.rst, "Deviations from overlayfs")
 * the expectation is per variant and says so.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/vfs.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include "kselftest_harness.h"
#include "harness.h"
#include "union.h"

FIXTURE(mount) {
	struct lu_scratch s;
};

FIXTURE_VARIANT(mount) {
	const char *fstype;
	bool layerfs;
	int max_layers;		/* the most lower layers one mount takes */
};

FIXTURE_VARIANT_ADD(mount, layerfs) {
	.fstype = "layerfs",
	.layerfs = true,
	.max_layers = LFS_MAX_LAYERS,
};

FIXTURE_VARIANT_ADD(mount, overlay) {
	.fstype = "overlay",
	.layerfs = false,
	.max_layers = OVL_MAX_STACK,
};

FIXTURE_SETUP(mount)
{
	if (!lu_union_setup(_metadata, &self->s, variant->fstype, 3))
		return;
	ASSERT_EQ(0, lu_file(&self->s, 0, "a", 0644, "top a"));
	ASSERT_EQ(0, lu_file(&self->s, 1, "a", 0644, "middle a"));
	ASSERT_EQ(0, lu_file(&self->s, 1, "b", 0644, "middle b"));
	ASSERT_EQ(0, lu_file(&self->s, 2, "c", 0644, "bottom c"));
	ASSERT_EQ(0, lu_file(&self->s, 2, "d/e", 0644, "bottom e"));
}

FIXTURE_TEARDOWN(mount)
{
	lu_scratch_fini(&self->s);
}

/* The three scratch layers, top first, as NULL-terminated path copies. */
static void layer_paths(const struct lu_scratch *s, char paths[3][LU_PATH_MAX],
			const char *ptrs[3])
{
	int i;

	for (i = 0; i < 3; i++) {
		snprintf(paths[i], LU_PATH_MAX, "%s", lu_lpath(s, i, NULL));
		ptrs[i] = paths[i];
	}
}

static void check_abc(struct __test_metadata *_metadata,
		      const struct lu_scratch *s)
{
	EXPECT_STREQ("top a", lu_cat(lu_mpath(s, "a")));
	EXPECT_STREQ("middle b", lu_cat(lu_mpath(s, "b")));
	EXPECT_STREQ("bottom c", lu_cat(lu_mpath(s, "c")));
	EXPECT_STREQ("bottom e", lu_cat(lu_mpath(s, "d/e")));
	EXPECT_STREQ("a b c d", lu_names(lu_mpath(s, "")));
}

TEST_F(mount, legacy_lowerdir_top_first)
{
	char data[4 * LU_PATH_MAX];
	struct statfs sfs;

	snprintf(data, sizeof(data), "lowerdir=%s:%s:%s",
		 lu_lpath(&self->s, 0, NULL), lu_lpath(&self->s, 1, NULL),
		 lu_lpath(&self->s, 2, NULL));
	ASSERT_EQ(0, lu_mount_data(variant->fstype, self->s.mnt, 0, data));
	self->s.mounted = true;
	check_abc(_metadata, &self->s);
	ASSERT_EQ(0, statfs(self->s.mnt, &sfs));
	if (!variant->layerfs)
		EXPECT_EQ(OVERLAYFS_SUPER_MAGIC, sfs.f_type);
}

TEST_F(mount, legacy_relative_layer_paths)
{
	ASSERT_EQ(0, chdir(self->s.root));
	ASSERT_EQ(0, lu_mount_data(variant->fstype, "mnt", 0,
				   "lowerdir=l0:./l1:mnt/../l2"));
	self->s.mounted = true;
	check_abc(_metadata, &self->s);
}

TEST_F(mount, legacy_escaped_colon_and_comma_in_layer_path)
{
	struct lu_scratch *s = &self->s;
	const char *layers[3];
	char data[4 * LU_PATH_MAX], esc[2][LU_PATH_MAX];
	char colon[LU_PATH_MAX], comma[LU_PATH_MAX];

	snprintf(colon, sizeof(colon), "%s", lu_path(s, "with:colon"));
	snprintf(comma, sizeof(comma), "%s", lu_path(s, "with,comma"));
	ASSERT_EQ(0, rename(lu_lpath(s, 1, NULL), colon));
	ASSERT_EQ(0, rename(lu_lpath(s, 2, NULL), comma));

	/* written out by hand once, to see the exact syntax */
	snprintf(data, sizeof(data), "lowerdir=%s:%s:%s",
		 lu_lpath(s, 0, NULL),
		 lu_escape_layer(colon, esc[0], sizeof(esc[0])),
		 lu_escape_layer(comma, esc[1], sizeof(esc[1])));
	ASSERT_NE(NULL, strstr(data, "with\\:colon:"));
	ASSERT_NE(NULL, strstr(data, "with\\,comma"));
	ASSERT_EQ(0, lu_mount_data(variant->fstype, s->mnt, 0, data));
	s->mounted = true;
	check_abc(_metadata, s);
	ASSERT_EQ(0, lu_umount(s));

	layers[0] = lu_lpath(s, 0, NULL);
	layers[1] = colon;
	layers[2] = comma;
	ASSERT_EQ(0, lu_mount_layers(variant->fstype, s->mnt, layers, 3));
	s->mounted = true;
	check_abc(_metadata, s);

	/* unescaped, the colon splits the path into two missing layers */
	ASSERT_EQ(0, lu_umount(s));
	snprintf(data, sizeof(data), "lowerdir=%s:%s", lu_lpath(s, 0, NULL), colon);
	EXPECT_EQ(-ENOENT, lu_mount_data(variant->fstype, s->mnt, 0, data));
}

TEST_F(mount, legacy_lowerdir_plus)
{
	char data[4 * LU_PATH_MAX];

	LU_OVERLAY_NEEDS(variant->fstype, LU_OVL_LOWERDIR_PLUS);

	snprintf(data, sizeof(data), "lowerdir+=%s,lowerdir+=%s,lowerdir+=%s",
		 lu_lpath(&self->s, 0, NULL), lu_lpath(&self->s, 1, NULL),
		 lu_lpath(&self->s, 2, NULL));
	ASSERT_EQ(0, lu_mount_data(variant->fstype, self->s.mnt, 0, data));
	self->s.mounted = true;
	check_abc(_metadata, &self->s);
}

TEST_F(mount, new_api_lowerdir_plus_strings)
{
	char paths[3][LU_PATH_MAX], log[1024];
	const char *layers[3], *step;

	LU_OVERLAY_NEEDS(variant->fstype, LU_OVL_LOWERDIR_PLUS);

	layer_paths(&self->s, paths, layers);
	ASSERT_EQ(0, lu_mount_new(variant->fstype, self->s.mnt, layers, 3,
				  LU_SET_STRING, &step, log, sizeof(log))) {
		TH_LOG("%s failed: %s", step, log);
	}
	self->s.mounted = true;
	check_abc(_metadata, &self->s);
}

TEST_F(mount, new_api_lowerdir_plus_fds)
{
	char paths[3][LU_PATH_MAX], log[1024];
	const char *layers[3], *step;
	int fsfd, fd;

	LU_OVERLAY_NEEDS(variant->fstype, LU_OVL_LOWERDIR_PLUS);

	layer_paths(&self->s, paths, layers);
	if (!variant->layerfs) {
		/*
		 * overlay (fs/overlayfs/params.c) declares lowerdir+ with
		 * fsparam_string(): an fd or a path given any other way is
		 * refused by fs_parse() with EINVAL. That is all there is to
		 * check on overlay.
		 */
		fsfd = lu_fsopen("overlay");
		ASSERT_LE(0, fsfd);
		fd = open(layers[0], O_RDONLY | O_DIRECTORY);
		ASSERT_LE(0, fd);
		EXPECT_EQ(-EINVAL, lu_fsconfig_fd(fsfd, "lowerdir+", fd));
		close(fd);
		close(fsfd);
		return;
	}

	ASSERT_EQ(0, lu_mount_new(variant->fstype, self->s.mnt, layers, 3,
				  LU_SET_FD, &step, log, sizeof(log))) {
		TH_LOG("%s failed: %s", step, log);
	}
	self->s.mounted = true;
	check_abc(_metadata, &self->s);
	ASSERT_EQ(0, lu_umount(&self->s));

	ASSERT_EQ(0, lu_mount_new(variant->fstype, self->s.mnt, layers, 3,
				  LU_SET_PATH_EMPTY, &step, log, sizeof(log))) {
		TH_LOG("%s failed: %s", step, log);
	}
	self->s.mounted = true;
	check_abc(_metadata, &self->s);
	ASSERT_EQ(0, lu_umount(&self->s));

	/* FSCONFIG_SET_PATH, relative to a directory fd */
	fsfd = lu_fsopen(variant->fstype);
	ASSERT_LE(0, fsfd);
	fd = open(self->s.root, O_PATH | O_DIRECTORY);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, lu_fsconfig_path(fsfd, "lowerdir+", fd, "l0"));
	EXPECT_EQ(0, lu_fsconfig_path(fsfd, "lowerdir+", fd, "l1"));
	EXPECT_EQ(0, lu_fsconfig_path(fsfd, "lowerdir+", AT_FDCWD, layers[2]));
	close(fd);
	ASSERT_EQ(0, lu_fsmount_at(fsfd, self->s.mnt));
	close(fsfd);
	self->s.mounted = true;
	check_abc(_metadata, &self->s);
	ASSERT_EQ(0, lu_umount(&self->s));

	/* the VFS does not hand O_PATH fds to FSCONFIG_SET_FD */
	fsfd = lu_fsopen(variant->fstype);
	ASSERT_LE(0, fsfd);
	fd = open(layers[0], O_PATH | O_DIRECTORY);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EBADF, lu_fsconfig_fd(fsfd, "lowerdir+", fd));
	close(fd);
	/* a file is no layer */
	fd = open(lu_lpath(&self->s, 0, "a"), O_RDONLY);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-ENOTDIR, lu_fsconfig_fd(fsfd, "lowerdir+", fd));
	close(fd);
	close(fsfd);
}

TEST_F(mount, layer_path_through_a_symlink)
{
	char data[3 * LU_PATH_MAX];

	ASSERT_EQ(0, symlink("l1", lu_path(&self->s, "link-to-l1")));
	snprintf(data, sizeof(data), "lowerdir=%s:%s:%s", lu_lpath(&self->s, 0, NULL),
		 lu_path(&self->s, "link-to-l1"), lu_lpath(&self->s, 2, NULL));
	ASSERT_EQ(0, lu_mount_data(variant->fstype, self->s.mnt, 0, data));
	self->s.mounted = true;
	check_abc(_metadata, &self->s);
}

TEST_F(mount, two_mounts_share_layers)
{
	char second[LU_PATH_MAX], data[3 * LU_PATH_MAX];

	snprintf(second, sizeof(second), "%s", lu_path(&self->s, "mnt2"));
	ASSERT_EQ(0, mkdir(second, 0755));
	ASSERT_EQ(0, lu_mount(&self->s));
	/* a second mount of two of the same layers */
	snprintf(data, sizeof(data), "lowerdir=%s:%s",
		 lu_lpath(&self->s, 1, NULL), lu_lpath(&self->s, 2, NULL));
	ASSERT_EQ(0, lu_mount_data(variant->fstype, second, 0, data));
	check_abc(_metadata, &self->s);
	EXPECT_STREQ("middle a", lu_cat(lu_path(&self->s, "mnt2/a")));
	EXPECT_STREQ("a b c d", lu_names(second));
	EXPECT_EQ(0, umount(second));
	check_abc(_metadata, &self->s);
}

TEST_F(mount, busy_mount_and_lazy_unmount)
{
	struct lu_scratch *s = &self->s;
	char buf[16];
	int fd;

	ASSERT_EQ(0, lu_mount(s));
	fd = open(lu_mpath(s, "d/e"), O_RDONLY);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, umount(s->mnt));
	EXPECT_EQ(EBUSY, errno);
	ASSERT_EQ(0, umount2(s->mnt, MNT_DETACH));
	s->mounted = false;
	EXPECT_EQ(-ENOENT, lu_ftype(lu_mpath(s, "d/e")));
	/* the open file still reads */
	ASSERT_EQ(8, pread(fd, buf, sizeof(buf), 0));
	EXPECT_EQ(0, memcmp(buf, "bottom e", 8));
	close(fd);
	/* and the layers can be mounted again */
	ASSERT_EQ(0, lu_mount(s));
	check_abc(_metadata, s);
}

TEST_F(mount, mount_flags_are_honoured)
{
	struct lu_scratch *s = &self->s;
	char data[4 * LU_PATH_MAX], *argv[] = { "x", NULL };
	struct statvfs sv;

	ASSERT_EQ(0, lu_file(s, 1, "exe", 0755, "#!/bin/sh\nexit 0\n"));
	snprintf(data, sizeof(data), "lowerdir=%s:%s:%s", lu_lpath(s, 0, NULL),
		 lu_lpath(s, 1, NULL), lu_lpath(s, 2, NULL));
	ASSERT_EQ(0, lu_mount_data(variant->fstype, s->mnt,
				   MS_NOEXEC | MS_NOSUID | MS_NODEV, data));
	s->mounted = true;
	ASSERT_EQ(0, statvfs(s->mnt, &sv));
	EXPECT_TRUE(!!(sv.f_flag & ST_NOEXEC));
	EXPECT_TRUE(!!(sv.f_flag & ST_NOSUID));
	EXPECT_TRUE(!!(sv.f_flag & ST_NODEV));
	EXPECT_EQ(-1, execve(lu_mpath(s, "exe"), argv, NULL));
	EXPECT_EQ(EACCES, errno);
}

TEST_F(mount, new_api_lowerdir_plus_after_lowerdir_is_refused)
{
	int fsfd = lu_fsopen(variant->fstype);

	LU_OVERLAY_NEEDS(variant->fstype, LU_OVL_LOWERDIR_PLUS);

	ASSERT_LE(0, fsfd);
	ASSERT_EQ(0, lu_fsconfig_string(fsfd, "lowerdir", lu_lpath(&self->s, 0, NULL)));
	EXPECT_EQ(-EINVAL, lu_fsconfig_string(fsfd, "lowerdir+",
					      lu_lpath(&self->s, 1, NULL)));
	close(fsfd);
}

TEST_F(mount, without_upper_is_read_only)
{
	struct lu_scratch *s = &self->s;
	struct timespec ts[2] = { { 0, UTIME_NOW }, { 0, UTIME_NOW } };
	struct statvfs sv;
	int fd;

	ASSERT_EQ(0, lu_mount(s));
	ASSERT_EQ(0, statvfs(s->mnt, &sv));
	EXPECT_TRUE(!!(sv.f_flag & ST_RDONLY));

	EXPECT_EQ(-1, open(lu_mpath(s, "new"), O_WRONLY | O_CREAT, 0644));
	EXPECT_EQ(EROFS, errno);
	EXPECT_EQ(-1, open(lu_mpath(s, "a"), O_WRONLY));
	EXPECT_EQ(EROFS, errno);
	EXPECT_EQ(-1, open(lu_mpath(s, "a"), O_RDWR));
	EXPECT_EQ(EROFS, errno);
	EXPECT_EQ(-1, open(lu_mpath(s, "a"), O_RDONLY | O_TRUNC));
	EXPECT_EQ(EROFS, errno);
	EXPECT_EQ(-1, truncate(lu_mpath(s, "a"), 0));
	EXPECT_EQ(EROFS, errno);
	EXPECT_EQ(-1, unlink(lu_mpath(s, "a")));
	EXPECT_EQ(EROFS, errno);
	EXPECT_EQ(-1, unlink(lu_mpath(s, "d/e")));
	EXPECT_EQ(EROFS, errno);
	EXPECT_EQ(-1, rmdir(lu_mpath(s, "d")));
	EXPECT_EQ(EROFS, errno);
	EXPECT_EQ(-1, mkdir(lu_mpath(s, "newdir"), 0755));
	EXPECT_EQ(EROFS, errno);
	EXPECT_EQ(-1, mknod(lu_mpath(s, "fifo"), S_IFIFO | 0644, 0));
	EXPECT_EQ(EROFS, errno);
	EXPECT_EQ(-1, symlink("a", lu_mpath(s, "link")));
	EXPECT_EQ(EROFS, errno);
	EXPECT_EQ(-1, link(lu_mpath(s, "a"), lu_mpath(s, "hard")));
	EXPECT_EQ(EROFS, errno);
	EXPECT_EQ(-1, rename(lu_mpath(s, "a"), lu_mpath(s, "z")));
	EXPECT_EQ(EROFS, errno);
	EXPECT_EQ(-1, chmod(lu_mpath(s, "a"), 0600));
	EXPECT_EQ(EROFS, errno);
	EXPECT_EQ(-1, chown(lu_mpath(s, "a"), 1, 1));
	EXPECT_EQ(EROFS, errno);
	EXPECT_EQ(-1, utimensat(AT_FDCWD, lu_mpath(s, "a"), ts, 0));
	EXPECT_EQ(EROFS, errno);
	EXPECT_EQ(-1, setxattr(lu_mpath(s, "a"), "user.x", "1", 1, 0));
	EXPECT_EQ(EROFS, errno);
	EXPECT_EQ(-1, removexattr(lu_mpath(s, "a"), "user.x"));
	EXPECT_EQ(EROFS, errno);
	fd = open(lu_mpath(s, ""), O_RDONLY | O_DIRECTORY);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, openat(fd, ".", O_TMPFILE | O_RDWR, 0600));
	EXPECT_EQ(EROFS, errno);
	close(fd);

	/* and it stays read-only */
	EXPECT_EQ(-1, mount(NULL, s->mnt, NULL, MS_REMOUNT, NULL));
	EXPECT_EQ(EROFS, errno);
	EXPECT_EQ(0, mount(NULL, s->mnt, NULL, MS_REMOUNT | MS_RDONLY, NULL));

	/* nothing reached the layers */
	EXPECT_STREQ("top a", lu_cat(lu_lpath(s, 0, "a")));
	EXPECT_STREQ("a", lu_names(lu_lpath(s, 0, NULL)));
	EXPECT_STREQ("a b", lu_names(lu_lpath(s, 1, NULL)));
	EXPECT_STREQ("c d", lu_names(lu_lpath(s, 2, NULL)));
}

/* Makes @n layers under root/many, layer i holding "only<i>" and "who". */
static int make_many_layers(struct lu_scratch *s, int n, const char ***out)
{
	const char **layers = calloc(n, sizeof(*layers));
	char name[LU_PATH_MAX], content[32];
	int i, ret;

	if (!layers)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		layers[i] = strdup(lu_path(s, "many/%d", i));
		ret = lu_mkdir_p(layers[i], 0755);
		if (ret)
			return ret;
	}
	/* a few marker files; every layer getting files would be slow */
	for (i = 0; i < n; i += (n > 64 ? n / 16 : 1)) {
		snprintf(name, sizeof(name), "%s/only%d", layers[i], i);
		snprintf(content, sizeof(content), "%d", i);
		ret = lu_write_file(name, 0644, content, strlen(content));
		if (ret)
			return ret;
	}
	for (i = n / 2; i < n; i++) {
		snprintf(name, sizeof(name), "%s/who", layers[i]);
		snprintf(content, sizeof(content), "%d", i);
		ret = lu_write_file(name, 0644, content, strlen(content));
		if (ret)
			return ret;
	}
	snprintf(name, sizeof(name), "%s/bottom", layers[n - 1]);
	ret = lu_write_file(name, 0644, "bottom", 6);
	*out = layers;
	return ret;
}

static void free_layers(const char **layers, int n)
{
	int i;

	for (i = 0; i < n; i++)
		free((void *)layers[i]);
	free(layers);
}

static void check_many(struct __test_metadata *_metadata,
		       const struct lu_scratch *s, int n)
{
	char want[32];

	snprintf(want, sizeof(want), "%d", n / 2);
	EXPECT_STREQ(want, lu_cat(lu_mpath(s, "who")));
	EXPECT_STREQ("bottom", lu_cat(lu_mpath(s, "bottom")));
	EXPECT_STREQ("0", lu_cat(lu_mpath(s, "only0")));
}

TEST_F(mount, sixty_four_layers)
{
	const char **layers;
	const char *step;
	char log[1024];

	LU_OVERLAY_NEEDS(variant->fstype, LU_OVL_LOWERDIR_PLUS);

	ASSERT_EQ(0, make_many_layers(&self->s, 64, &layers));
	ASSERT_EQ(0, lu_mount_new(variant->fstype, self->s.mnt, layers, 64,
				  LU_SET_STRING, &step, log, sizeof(log))) {
		TH_LOG("%s failed: %s", step, log);
	}
	self->s.mounted = true;
	check_many(_metadata, &self->s, 64);
	EXPECT_STREQ("63", lu_cat(lu_mpath(&self->s, "only63")));
	ASSERT_EQ(0, lu_umount(&self->s));

	/* 64 short paths still fit in mount(2)'s one-page option string */
	ASSERT_EQ(0, lu_mount_layers(variant->fstype, self->s.mnt, layers, 64));
	self->s.mounted = true;
	check_many(_metadata, &self->s, 64);
	free_layers(layers, 64);
}

TEST_F(mount, max_layers)
{
	int n = variant->max_layers;
	const char **layers;
	const char *step;
	char log[1024], want[32];

	LU_OVERLAY_NEEDS(variant->fstype, LU_OVL_LOWERDIR_PLUS);

	ASSERT_EQ(0, make_many_layers(&self->s, n, &layers));
	ASSERT_EQ(0, lu_mount_new(variant->fstype, self->s.mnt, layers, n,
				  LU_SET_STRING, &step, log, sizeof(log))) {
		TH_LOG("%d layers: %s failed: %s", n, step, log);
	}
	self->s.mounted = true;
	check_many(_metadata, &self->s, n);
	snprintf(want, sizeof(want), "only%d", n - 1 - (n - 1) % (n / 16));
	EXPECT_EQ(S_IFREG, lu_ftype(lu_mpath(&self->s, want)));
	free_layers(layers, n);
}

TEST_F(mount, one_layer_more_than_max_is_refused)
{
	int n = variant->max_layers + 1;
	const char **layers;
	const char *step;
	char log[1024];

	ASSERT_EQ(0, make_many_layers(&self->s, n, &layers));
	EXPECT_EQ(-LFS_TOO_MANY_LAYERS_ERRNO,
		  lu_mount_new(variant->fstype, self->s.mnt, layers, n,
			       LU_SET_STRING, &step, log, sizeof(log)));
	TH_LOG("%d layers refused at %s: %s", n, step, log);
	free_layers(layers, n);
}

TEST_F(mount, layerfs_layer_limit_is_above_overlays)
{
	int n = LFS_MAX_LAYERS;
	const char **layers;
	const char *step;
	char log[1024];
	int ret;

	ASSERT_EQ(0, make_many_layers(&self->s, n, &layers));
	ret = lu_mount_new(variant->fstype, self->s.mnt, layers, n,
			   LU_SET_STRING, &step, log, sizeof(log));
	if (variant->layerfs) {
		/* deliberate: layerfs takes 4096 lower layers */
		ASSERT_EQ(0, ret) {
			TH_LOG("%s failed: %s", step, log);
		}
		self->s.mounted = true;
		check_many(_metadata, &self->s, n);
	} else {
		EXPECT_EQ(-EINVAL, ret);
		EXPECT_STREQ("lowerdir+", step);
	}
	free_layers(layers, n);
}

TEST_F(mount, mountinfo_shows_lowerdir_as_given)
{
	struct lu_scratch *s = &self->s;
	char paths[3][LU_PATH_MAX], opts[8192], data[4 * LU_PATH_MAX];
	char lowerdir[3 * LU_PATH_MAX], esc[LU_PATH_MAX];
	const char *layers[3];
	int i;

	LU_OVERLAY_NEEDS(variant->fstype, LU_OVL_LOWERDIR_PLUS);

	/* the path with an escaped colon shows as given (seq-escaped) */
	snprintf(paths[1], LU_PATH_MAX, "%s", lu_path(s, "with:colon"));
	ASSERT_EQ(0, rename(lu_lpath(s, 1, NULL), paths[1]));
	snprintf(lowerdir, sizeof(lowerdir), "%s:%s:%s", lu_lpath(s, 0, NULL),
		 lu_escape_layer(paths[1], esc, sizeof(esc)),
		 lu_lpath(s, 2, NULL));
	snprintf(data, sizeof(data), "lowerdir=%s", lowerdir);
	ASSERT_EQ(0, lu_mount_data(variant->fstype, s->mnt, 0, data));
	s->mounted = true;
	ASSERT_EQ(0, lu_mountinfo_opts(s->mnt, opts, sizeof(opts)));
	EXPECT_TRUE(lu_has_option(opts, "lowerdir", lowerdir)) {
		TH_LOG("mountinfo options: %s", opts);
	}
	EXPECT_EQ(0, strncmp(opts, "ro,", 3)) {
		TH_LOG("mountinfo options: %s", opts);
	}
	ASSERT_EQ(0, lu_umount(s));

	/* lowerdir+ once per layer, in order */
	ASSERT_EQ(0, rename(paths[1], lu_lpath(s, 1, NULL)));
	layer_paths(s, paths, layers);
	ASSERT_EQ(0, lu_mount_new(variant->fstype, s->mnt, layers, 3,
				  LU_SET_STRING, NULL, NULL, 0));
	s->mounted = true;
	ASSERT_EQ(0, lu_mountinfo_opts(s->mnt, opts, sizeof(opts)));
	for (i = 0; i < 3; i++) {
		EXPECT_TRUE(lu_has_option(opts, "lowerdir+", layers[i])) {
			TH_LOG("no lowerdir+=%s in %s", layers[i], opts);
		}
	}
	EXPECT_LT(strstr(opts, layers[0]), strstr(opts, layers[1]));
	EXPECT_LT(strstr(opts, layers[1]), strstr(opts, layers[2]));
}

TEST_F(mount, stacking_depth_above_two_is_refused)
{
	struct lu_scratch *s = &self->s;
	char d1[LU_PATH_MAX], d2[LU_PATH_MAX], data[2 * LU_PATH_MAX];

	snprintf(d1, sizeof(d1), "%s", lu_path(s, "depth1"));
	snprintf(d2, sizeof(d2), "%s", lu_path(s, "depth2"));
	ASSERT_EQ(0, lu_mkdir_p(d1, 0755));
	ASSERT_EQ(0, lu_mkdir_p(d2, 0755));

	/* a union over tmpfs has depth 1 */
	snprintf(data, sizeof(data), "lowerdir=%s:%s", lu_lpath(s, 0, NULL),
		 lu_lpath(s, 1, NULL));
	ASSERT_EQ(0, lu_mount_data(variant->fstype, d1, 0, data));
	/* one over it has depth 2 */
	snprintf(data, sizeof(data), "lowerdir=%s:%s", d1, lu_lpath(s, 2, NULL));
	ASSERT_EQ(0, lu_mount_data(variant->fstype, d2, 0, data));
	EXPECT_STREQ("top a", lu_cat(lu_path(s, "depth2/a")));
	EXPECT_STREQ("bottom c", lu_cat(lu_path(s, "depth2/c")));
	/* a third is one too many (FILESYSTEM_MAX_STACK_DEPTH) */
	snprintf(data, sizeof(data), "lowerdir=%s", d2);
	EXPECT_EQ(-EINVAL, lu_mount_data(variant->fstype, s->mnt, 0, data));
	snprintf(data, sizeof(data), "lowerdir=%s:%s", lu_lpath(s, 2, NULL), d2);
	EXPECT_EQ(-EINVAL, lu_mount_data(variant->fstype, s->mnt, 0, data));

	EXPECT_EQ(0, umount(d2));
	EXPECT_EQ(0, umount(d1));
}

/* Bad mount(2) option strings. @fmt gets the layer paths l0, l1, a file. */
struct bad_mount {
	const char *what;
	const char *fmt;
	int err;		/* -errno for both */
	int err_layerfs;	/* if non-zero: layerfs differs, on purpose */
};

static const struct bad_mount bad_mounts[] = {
	{ .what = "no options", .fmt = "", .err = -EINVAL },
	{ .what = "no lowerdir", .fmt = "xino=off", .err = -EINVAL },
	{ .what = "empty lowerdir", .fmt = "lowerdir=", .err = -EINVAL },
	{ .what = "three colons", .fmt = "lowerdir=%1$s:::%2$s", .err = -EINVAL },
	{ .what = "empty first layer", .fmt = "lowerdir=:%1$s", .err = -EINVAL },
	{ .what = "trailing colon", .fmt = "lowerdir=%1$s:", .err = -EINVAL },
	{ .what = "missing layer", .fmt = "lowerdir=%1$s:%1$s.missing", .err = -ENOENT },
	{ .what = "missing first layer", .fmt = "lowerdir=%1$s.missing:%1$s", .err = -ENOENT },
	/*
	 * overlay: EINVAL ("... is not a directory", also for lowerdir=);
	 * layerfs.rst lists ENOTDIR.
	 */
	{ .what = "file as layer", .fmt = "lowerdir=%1$s:%3$s", .err = -EINVAL, .err_layerfs = -ENOTDIR },
	{ .what = "unknown option", .fmt = "lowerdir=%1$s,nosuchoption", .err = -EINVAL },
	{ .what = "unknown option with value", .fmt = "lowerdir=%1$s,nosuch=1", .err = -EINVAL },
	{ .what = "same layer twice", .fmt = "lowerdir=%1$s:%2$s:%1$s", .err = -ELOOP },
	{ .what = "same layer twice, other spelling", .fmt = "lowerdir=%1$s:%1$s/.", .err = -ELOOP },
	{ .what = "layer inside another", .fmt = "lowerdir=%1$s:%1$s/sub", .err = -ELOOP },
	{ .what = "upperdir without workdir", .fmt = "lowerdir=%1$s,upperdir=%2$s", .err = -EINVAL },
	{ .what = "lowerdir+ after lowerdir", .fmt = "lowerdir=%1$s,lowerdir+=%2$s", .err = -EINVAL },
	{ .what = "data-only layer without metacopy", .fmt = "lowerdir=%1$s::%2$s", .err = -EINVAL },
};

TEST_F(mount, bad_options_are_refused)
{
	struct lu_scratch *s = &self->s;
	char l0[LU_PATH_MAX], l1[LU_PATH_MAX], file[LU_PATH_MAX];
	char data[4 * LU_PATH_MAX];
	unsigned int i;
	int want, ret;

	snprintf(l0, sizeof(l0), "%s", lu_lpath(s, 0, NULL));
	snprintf(l1, sizeof(l1), "%s", lu_lpath(s, 1, NULL));
	snprintf(file, sizeof(file), "%s", lu_lpath(s, 2, "c"));
	ASSERT_EQ(0, lu_mkdir(s, 0, "sub", 0755));

	for (i = 0; i < sizeof(bad_mounts) / sizeof(bad_mounts[0]); i++) {
		const struct bad_mount *b = &bad_mounts[i];

		snprintf(data, sizeof(data), b->fmt, l0, l1, file);
		want = b->err;
		if (variant->layerfs && b->err_layerfs)
			want = b->err_layerfs;
		ret = lu_mount_data(variant->fstype, s->mnt, 0, data);
		if (ret == 0)
			umount(s->mnt);
		EXPECT_EQ(want, ret) {
			TH_LOG("%s: \"%s\"", b->what, data);
		}
	}
	/* nothing was left mounted */
	EXPECT_STREQ("", lu_names(s->mnt));
	EXPECT_EQ(-ENOENT, lu_mountinfo_opts(s->mnt, data, sizeof(data)));
}

/*
 * One lower layer and no upper: overlay refuses it ("at least 2 lowerdir
 * are needed while upperdir nonexistent"); layerfs mounts it read-only on
 * purpose (a one-layer image, layer=NAME of a base layer), see the
 * deviations in layerfs.rst.
 */
TEST_F(mount, single_lower_layer)
{
	struct lu_scratch *s = &self->s;
	char data[2 * LU_PATH_MAX];
	int ret;

	ASSERT_EQ(0, lu_file(s, 0, "only", 0644, "only"));
	snprintf(data, sizeof(data), "lowerdir=%s", lu_lpath(s, 0, NULL));
	ret = lu_mount_data(variant->fstype, s->mnt, 0, data);
	if (!variant->layerfs) {
		EXPECT_EQ(-EINVAL, ret);
		return;
	}
	ASSERT_EQ(0, ret);
	EXPECT_STREQ("only", lu_cat(lu_mpath(s, "only")));
	EXPECT_EQ(-1, open(lu_mpath(s, "new"), O_CREAT | O_WRONLY, 0644));
	EXPECT_EQ(EROFS, errno);
	EXPECT_EQ(0, umount(s->mnt));
}

/* The same through the new mount API, one lowerdir+ per layer. */
struct bad_layer {
	const char *what;
	const char *fmt;
	int err;
	int err_layerfs;
};

static const struct bad_layer bad_layers[] = {
	{ .what = "empty path", .fmt = "", .err = -EINVAL },
	{ .what = "missing layer", .fmt = "%1$s.missing", .err = -ENOENT },
	{ .what = "file as layer", .fmt = "%3$s", .err = -EINVAL, .err_layerfs = -ENOTDIR },
	{ .what = "same layer twice", .fmt = "%1$s", .err = -ELOOP },
	{ .what = "layer inside another", .fmt = "%1$s/sub", .err = -ELOOP },
};

TEST_F(mount, new_api_bad_layers_are_refused)
{
	struct lu_scratch *s = &self->s;
	char l0[LU_PATH_MAX], l1[LU_PATH_MAX], file[LU_PATH_MAX];
	char path[2 * LU_PATH_MAX], log[1024];
	const char *layers[2], *step;
	unsigned int i;
	int want, ret;

	LU_OVERLAY_NEEDS(variant->fstype, LU_OVL_LOWERDIR_PLUS);

	snprintf(l0, sizeof(l0), "%s", lu_lpath(s, 0, NULL));
	snprintf(l1, sizeof(l1), "%s", lu_lpath(s, 1, NULL));
	snprintf(file, sizeof(file), "%s", lu_lpath(s, 2, "c"));
	ASSERT_EQ(0, lu_mkdir(s, 0, "sub", 0755));

	for (i = 0; i < sizeof(bad_layers) / sizeof(bad_layers[0]); i++) {
		const struct bad_layer *b = &bad_layers[i];

		snprintf(path, sizeof(path), b->fmt, l0, l1, file);
		layers[0] = l0;
		layers[1] = path;
		want = b->err;
		if (variant->layerfs && b->err_layerfs)
			want = b->err_layerfs;
		ret = lu_mount_new(variant->fstype, s->mnt, layers, 2,
				   LU_SET_STRING, &step, log, sizeof(log));
		if (ret == 0)
			umount(s->mnt);
		EXPECT_EQ(want, ret) {
			TH_LOG("%s: \"%s\" at %s: %s", b->what, path, step, log);
		}
		/*
		 * layerfs says why in the fs context log (layerfs.rst);
		 * overlay logs most of these to the kernel log only.
		 */
		if (variant->layerfs) {
			EXPECT_NE('\0', log[0]) {
				TH_LOG("%s: nothing in the fs context log", b->what);
			}
		}
	}
	/* no layer at all */
	ret = lu_mount_new(variant->fstype, s->mnt, layers, 0, LU_SET_STRING,
			   &step, log, sizeof(log));
	EXPECT_EQ(-EINVAL, ret) {
		TH_LOG("no layers: %s: %s", step, log);
	}
	EXPECT_STREQ("", lu_names(s->mnt));
}

TEST_F(mount, data_only_layers)
{
	struct lu_scratch *s = &self->s;
	char data[4 * LU_PATH_MAX];
	int ret;

	LU_OVERLAY_NEEDS(variant->fstype, LU_OVL_DATA_ONLY);

	/* overlay needs metacopy=on for data-only layers */
	snprintf(data, sizeof(data), "lowerdir=%s:%s::%s,metacopy=on",
		 lu_lpath(s, 0, NULL), lu_lpath(s, 1, NULL), lu_lpath(s, 2, NULL));
	ret = lu_mount_data(variant->fstype, s->mnt, 0, data);
	if (variant->layerfs) {
		/* not supported yet (layerfs.rst, Deviations from overlayfs) */
		EXPECT_EQ(-EINVAL, ret);
		return;
	}
	ASSERT_EQ(0, ret);
	s->mounted = true;
	/* a data-only layer is not part of the merged tree */
	EXPECT_STREQ("a b", lu_names(lu_mpath(s, "")));
}

LU_HARNESS_MAIN
