// SPDX-License-Identifier: GPL-2.0
/*
 * Overlapping layers: a lower layer that is, or lies inside, the upper
 * or the work directory is refused with ELOOP at mount time; an upper or
 * work directory inside a lower layer is met at lookup time, where the
 * union returns ELOOP instead of showing it (overlayfs's trap inodes,
 * fs/overlayfs/super.c ovl_check_overlapping_layers(), namei.c). Every
 * case runs on layerfs and overlayfs alike; the registry variant
 * (layer=NAME) on layerfs only.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <linux/layerfs.h>

#include "kselftest_harness.h"
#include "harness.h"
#include "union.h"

FIXTURE(overlap) {
	struct lu_scratch s;
};

LU_UNION_VARIANTS(overlap);

FIXTURE_SETUP(overlap)
{
	struct lu_scratch *s = &self->s;

	if (!lu_union_setup(_metadata, s, variant->fstype, 0))
		return;
	ASSERT_EQ(0, lu_mkdir_p(lu_path(s, "A"), 0755));
	ASSERT_EQ(0, lu_mkdir_p(lu_path(s, "U/x"), 0755));
	ASSERT_EQ(0, lu_mkdir_p(lu_path(s, "W/x"), 0755));
	ASSERT_EQ(0, lu_mkdir_p(lu_path(s, "L/sub"), 0755));
	ASSERT_EQ(0, lu_write_file(lu_path(s, "L/f"), 0644, "f", 1));
	ASSERT_EQ(0, lu_write_file(lu_path(s, "A/a"), 0644, "a", 1));
}

FIXTURE_TEARDOWN(overlap)
{
	lu_scratch_fini(&self->s);
}

/*
 * mount(2) on the scratch mount point with options whose "%R" stand for
 * the scratch root; unmounts again on success unless @keep.
 */
static int try_mount(const struct lu_scratch *s, bool keep, const char *fmt, ...)
{
	char tmpl[LU_PATH_MAX], data[LU_PATH_MAX * 4];
	const char *p;
	size_t o = 0;
	va_list ap;
	int ret;

	va_start(ap, fmt);
	vsnprintf(tmpl, sizeof(tmpl), fmt, ap);
	va_end(ap);
	for (p = tmpl; *p && o + sizeof(s->root) < sizeof(data); p++) {
		if (p[0] == '%' && p[1] == 'R') {
			o += snprintf(data + o, sizeof(data) - o, "%s", s->root);
			p++;
		} else {
			data[o++] = *p;
		}
	}
	data[o] = '\0';
	ret = lu_mount_data(s->fstype, s->mnt, 0, data);
	if (!ret && !keep)
		umount(s->mnt);
	return ret;
}

TEST_F(overlap, lower_is_upper_is_refused)
{
	EXPECT_EQ(-ELOOP, try_mount(&self->s, false,
				    "lowerdir=%%R/A,upperdir=%%R/A,workdir=%%R/W"));
	/* the same as a deeper lower layer */
	EXPECT_EQ(-ELOOP, try_mount(&self->s, false,
				    "lowerdir=%%R/L:%%R/U,upperdir=%%R/U,workdir=%%R/W"));
}

TEST_F(overlap, lower_inside_upper_is_refused)
{
	EXPECT_EQ(-ELOOP, try_mount(&self->s, false,
				    "lowerdir=%%R/U/x,upperdir=%%R/U,workdir=%%R/W"));
	EXPECT_EQ(-ELOOP, try_mount(&self->s, false,
				    "lowerdir=%%R/L:%%R/U/x,upperdir=%%R/U,workdir=%%R/W"));
}

TEST_F(overlap, lower_is_or_inside_workdir_is_refused)
{
	EXPECT_EQ(-ELOOP, try_mount(&self->s, false,
				    "lowerdir=%%R/W,upperdir=%%R/U,workdir=%%R/W"));
	EXPECT_EQ(-ELOOP, try_mount(&self->s, false,
				    "lowerdir=%%R/W/x,upperdir=%%R/U,workdir=%%R/W"));
}

/* Through the new mount API the same, at FSCONFIG_CMD_CREATE. */
TEST_F(overlap, lower_is_upper_is_refused_at_create)
{
	struct lu_scratch *s = &self->s;
	int fsfd = lu_fsopen(variant->fstype);

	LU_OVERLAY_NEEDS(variant->fstype, LU_OVL_LOWERDIR_PLUS);

	ASSERT_LE(0, fsfd);
	ASSERT_EQ(0, lu_fsconfig_string(fsfd, "lowerdir+", lu_path(s, "L")));
	ASSERT_EQ(0, lu_fsconfig_string(fsfd, "lowerdir+", lu_path(s, "U")));
	ASSERT_EQ(0, lu_fsconfig_string(fsfd, "upperdir", lu_path(s, "U")));
	ASSERT_EQ(0, lu_fsconfig_string(fsfd, "workdir", lu_path(s, "W")));
	EXPECT_EQ(-ELOOP, lu_fsconfig_create(fsfd));
	close(fsfd);
}

/* An upper and a work dir below a lower layer: the union hides neither. */
TEST_F(overlap, upper_inside_lower_is_a_trap_at_lookup)
{
	struct lu_scratch *s = &self->s;

	ASSERT_EQ(0, lu_mkdir_p(lu_path(s, "L/sub/u"), 0755));
	ASSERT_EQ(0, lu_mkdir_p(lu_path(s, "L/sub/w"), 0755));
	ASSERT_EQ(0, try_mount(s, true,
			       "lowerdir=%%R/L,upperdir=%%R/L/sub/u,workdir=%%R/L/sub/w"));
	EXPECT_EQ(S_IFREG, lu_ftype(lu_mpath(s, "f")));
	EXPECT_EQ(S_IFDIR, lu_ftype(lu_mpath(s, "sub")));
	EXPECT_EQ(-ELOOP, lu_ftype(lu_mpath(s, "sub/u")));
	EXPECT_EQ(-ELOOP, lu_ftype(lu_mpath(s, "sub/w")));
	EXPECT_EQ(-ELOOP, lu_ftype(lu_mpath(s, "sub/w/work")));
	EXPECT_EQ(0, umount(s->mnt));
}

/* A workdir inside a lower layer mounts, but its temp files stay hidden. */
TEST_F(overlap, workdir_inside_lower_is_a_trap_at_lookup)
{
	struct lu_scratch *s = &self->s;
	int fd;

	ASSERT_EQ(0, lu_mkdir_p(lu_path(s, "L/w"), 0755));
	ASSERT_EQ(0, try_mount(s, true,
			       "lowerdir=%%R/L,upperdir=%%R/U,workdir=%%R/L/w"));
	EXPECT_EQ(-ELOOP, lu_ftype(lu_mpath(s, "w")));
	EXPECT_EQ(-ELOOP, lu_ftype(lu_mpath(s, "w/work")));
	fd = open(lu_mpath(s, "w/work"), O_RDONLY | O_DIRECTORY);
	EXPECT_EQ(-1, fd);
	EXPECT_EQ(ELOOP, errno);
	if (fd >= 0)
		close(fd);
	/* the rest of the layer is there */
	EXPECT_STREQ("f", lu_cat(lu_mpath(s, "f")));
	EXPECT_EQ(0, umount(s->mnt));
}

/* layer=NAME on layerfs: the same rules for a registry layer. */
FIXTURE(overlap_reg) {
	struct lu_scratch s;
	int dev;
	char name[32];
};

static int reg_del(int dev, const char *name)
{
	struct layerfs_layer_del d = { .size = sizeof(d) };

	snprintf((char *)d.name, sizeof(d.name), "%s", name);
	return ioctl(dev, LAYERFS_IOC_DEL_LAYER, &d) ? -errno : 0;
}

FIXTURE_SETUP(overlap_reg)
{
	struct layerfs_layer_add a = { .size = sizeof(a) };
	struct lu_scratch *s = &self->s;
	int ret = lu_fs_available("layerfs");

	self->dev = -1;
	if (ret == -ENODEV)
		SKIP(return, "layerfs is not available (set LAYERFS_KO)");
	ASSERT_EQ(0, ret);
	ASSERT_EQ(0, lu_scratch_init(s, "layerfs", 0));
	ASSERT_EQ(0, lu_mkdir_p(lu_path(s, "img/diff/u"), 0755));
	ASSERT_EQ(0, lu_mkdir_p(lu_path(s, "W"), 0755));
	ASSERT_EQ(0, lu_write_file(lu_path(s, "img/diff/f"), 0644, "f", 1));
	self->dev = open(LAYERFS_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->dev);
	snprintf(self->name, sizeof(self->name), "overlap-%d", getpid());
	snprintf((char *)a.name, sizeof(a.name), "%s", self->name);
	a.dirfd = open(lu_path(s, "img/diff"), O_PATH | O_DIRECTORY | O_CLOEXEC);
	ASSERT_LE(0, a.dirfd);
	ASSERT_EQ(0, ioctl(self->dev, LAYERFS_IOC_ADD_LAYER, &a));
	close(a.dirfd);
}

FIXTURE_TEARDOWN(overlap_reg)
{
	lu_scratch_fini(&self->s);
	if (self->dev >= 0) {
		reg_del(self->dev, self->name);
		close(self->dev);
	}
}

TEST_F(overlap_reg, registry_layer_as_upper_is_refused)
{
	struct lu_scratch *s = &self->s;

	/* the image layer's own directory */
	EXPECT_EQ(-ELOOP, try_mount(s, false, "layer=%s,upperdir=%%R/img/diff,workdir=%%R/W",
				    self->name));
	/* a directory holding it */
	EXPECT_EQ(-ELOOP, try_mount(s, false, "layer=%s,upperdir=%%R/img,workdir=%%R/W",
				    self->name));
	/* a directory inside it: mounts, and the union does not show it */
	ASSERT_EQ(0, try_mount(s, true, "layer=%s,upperdir=%%R/img/diff/u,workdir=%%R/W",
			       self->name));
	EXPECT_EQ(-ELOOP, lu_ftype(lu_mpath(s, "u")));
	EXPECT_STREQ("f", lu_cat(lu_mpath(s, "f")));
	EXPECT_EQ(0, umount(s->mnt));
}

LU_HARNESS_MAIN
