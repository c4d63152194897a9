// SPDX-License-Identifier: GPL-2.0
/*
 * Directory redirects (trusted.overlay.redirect), written by overlayfs
 * with redirect_dir=on when a merged or lower directory is renamed:
 * layerfs follows them as overlayfs does (redirect_dir=follow, the
 * default), so an upper written by overlayfs shows the same tree on both,
 * and refuses them with EPERM with redirect_dir=nofollow, as overlayfs.
 * Each upper is written by overlay, then mounted by overlay and by
 * layerfs and compared.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include "kselftest_harness.h"
#include "harness.h"
#include "union.h"

#define REDIRECT	"trusted.overlay.redirect"

FIXTURE(redirect) {
	struct lu_scratch s;
	struct lu_rw rw;
};

FIXTURE_SETUP(redirect)
{
	int ret = lu_fs_available("layerfs");

	if (ret == -ENODEV)
		SKIP(return, "layerfs is not available (set LAYERFS_KO)");
	ASSERT_EQ(0, ret);
	ret = lu_fs_available("overlay");
	if (ret == -ENODEV)
		SKIP(return, "overlay is not available");
	ASSERT_EQ(0, ret);
	/* overlay writes the uppers: its scratch area serves both */
	ASSERT_EQ(0, lu_scratch_init(&self->s, "overlay", 2));
	ASSERT_EQ(0, lu_rw_init(&self->rw, &self->s, NULL));
	ASSERT_EQ(0, lu_file(&self->s, 1, "a/f", 0644, "f"));
	ASSERT_EQ(0, lu_file(&self->s, 1, "a/sub/g", 0644, "g"));
	ASSERT_EQ(0, lu_file(&self->s, 0, "a/top", 0644, "top"));
	ASSERT_EQ(0, lu_file(&self->s, 1, "p/q/r/deep", 0644, "deep"));
	ASSERT_EQ(0, lu_mkdir(&self->s, 0, "d", 0755));
}

FIXTURE_TEARDOWN(redirect)
{
	lu_scratch_fini(&self->s);
	lu_rw_fini(&self->rw);
}

/* Mount @fstype on s->mnt over the two layers and rw, with ",@extra". */
static int mount_fs(FIXTURE_DATA(redirect) *self, const char *fstype,
		    const char *extra)
{
	struct lu_scratch *s = &self->s;
	char data[6 * LU_PATH_MAX];
	int n, ret;

	n = snprintf(data, sizeof(data), "lowerdir=%s:%s,upperdir=%s,workdir=%s",
		     lu_lpath(s, 0, NULL), lu_lpath(s, 1, NULL), self->rw.upper,
		     self->rw.work);
	if (*extra)
		snprintf(data + n, sizeof(data) - n, ",%s", extra);
	ret = lu_mount_data(fstype, s->mnt, 0, data);
	if (!ret)
		s->mounted = true;
	return ret;
}

/* Rename @from to @to through overlay with redirect_dir=on. */
static int overlay_rename(FIXTURE_DATA(redirect) *self, const char *from,
			  const char *to)
{
	char a[LU_PATH_MAX], b[LU_PATH_MAX];
	int ret;

	ret = mount_fs(self, "overlay", "redirect_dir=on");
	if (ret)
		return ret;
	snprintf(a, sizeof(a), "%s", lu_mpath(&self->s, from));
	snprintf(b, sizeof(b), "%s", lu_mpath(&self->s, to));
	ret = rename(a, b) ? -errno : 0;
	lu_umount(&self->s);
	return ret;
}

/* The redirect overlay wrote on upper/@rel, or "" */
static const char *upper_redirect(FIXTURE_DATA(redirect) *self, const char *rel)
{
	static char val[LU_PATH_MAX];
	char path[2 * LU_PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%s", self->rw.upper, rel);
	n = lgetxattr(path, REDIRECT, val, sizeof(val) - 1);
	val[n > 0 ? n : 0] = '\0';
	return val;
}

struct expect {
	const char *path;
	const char *content;	/* NULL: must not exist */
};

/* On overlay and on layerfs (default options): the same tree. */
static void check_both(struct __test_metadata *_metadata,
		       FIXTURE_DATA(redirect) *self, const char *names_of,
		       const char *names, const struct expect *e, int n)
{
	static const char *const fstypes[] = { "overlay", "layerfs" };
	unsigned int f;
	int i;

	for (f = 0; f < 2; f++) {
		ASSERT_EQ(0, mount_fs(self, fstypes[f], "")) {
			TH_LOG("%s", fstypes[f]);
		}
		EXPECT_STREQ(names, lu_names(lu_mpath(&self->s, names_of))) {
			TH_LOG("%s: %s", fstypes[f], names_of);
		}
		for (i = 0; i < n; i++) {
			const char *path = lu_mpath(&self->s, e[i].path);

			if (e[i].content) {
				EXPECT_STREQ(e[i].content, lu_cat(path)) {
					TH_LOG("%s: %s", fstypes[f], e[i].path);
				}
			} else {
				EXPECT_EQ(-ENOENT, lu_ftype(path)) {
					TH_LOG("%s: %s", fstypes[f], e[i].path);
				}
			}
		}
		ASSERT_EQ(0, lu_umount(&self->s));
	}
}

TEST_F(redirect, relative_redirect_of_a_renamed_merged_dir)
{
	static const struct expect e[] = {
		{ "b/f", "f" }, { "b/sub/g", "g" }, { "b/top", "top" },
		{ "a", NULL }, { "a/f", NULL },
	};

	ASSERT_EQ(0, overlay_rename(self, "a", "b"));
	EXPECT_STREQ("a", upper_redirect(self, "b"));
	check_both(_metadata, self, "b", "f sub top", e, ARRAY_SIZE(e));
	/* and after a cache drop, from the real dirs again */
	ASSERT_EQ(0, mount_fs(self, "layerfs", ""));
	ASSERT_EQ(0, lu_drop_caches(2));
	EXPECT_STREQ("g", lu_cat(lu_mpath(&self->s, "b/sub/g")));
}

TEST_F(redirect, absolute_redirect_of_a_dir_moved_elsewhere)
{
	static const struct expect e[] = {
		{ "d/x/f", "f" }, { "d/x/top", "top" }, { "d/x/sub/g", "g" },
		{ "a", NULL },
	};

	ASSERT_EQ(0, overlay_rename(self, "a", "d/x"));
	EXPECT_STREQ("/a", upper_redirect(self, "d/x"));
	check_both(_metadata, self, "d/x", "f sub top", e, ARRAY_SIZE(e));
}

TEST_F(redirect, absolute_redirect_of_a_nested_dir)
{
	static const struct expect e[] = {
		{ "z/r/deep", "deep" }, { "p/q", NULL },
	};

	ASSERT_EQ(0, overlay_rename(self, "p/q", "z"));
	EXPECT_STREQ("/p/q", upper_redirect(self, "z"));
	check_both(_metadata, self, "z", "r", e, ARRAY_SIZE(e));
}

TEST_F(redirect, renamed_twice)
{
	static const struct expect e[] = {
		{ "c/f", "f" }, { "c/sub/g", "g" }, { "b", NULL }, { "a", NULL },
	};

	ASSERT_EQ(0, overlay_rename(self, "a", "b"));
	ASSERT_EQ(0, overlay_rename(self, "b", "c"));
	check_both(_metadata, self, "c", "f sub top", e, ARRAY_SIZE(e));
}

/* An upper with redirects used as a lower layer: followed there too. */
TEST_F(redirect, redirect_in_a_lower_layer)
{
	char data[6 * LU_PATH_MAX];
	static const char *const fstypes[] = { "overlay", "layerfs" };
	unsigned int f;

	ASSERT_EQ(0, overlay_rename(self, "a", "b"));
	snprintf(data, sizeof(data), "lowerdir=%s:%s:%s", self->rw.upper,
		 lu_lpath(&self->s, 0, NULL), lu_lpath(&self->s, 1, NULL));
	for (f = 0; f < 2; f++) {
		ASSERT_EQ(0, lu_mount_data(fstypes[f], self->s.mnt, MS_RDONLY, data));
		self->s.mounted = true;
		EXPECT_STREQ("f sub top", lu_names(lu_mpath(&self->s, "b"))) {
			TH_LOG("%s", fstypes[f]);
		}
		EXPECT_EQ(-ENOENT, lu_ftype(lu_mpath(&self->s, "a")));
		ASSERT_EQ(0, lu_umount(&self->s));
	}
}

/* redirect_dir=nofollow: a redirected dir is EPERM on both. */
TEST_F(redirect, nofollow_refuses_redirected_dirs)
{
	static const char *const fstypes[] = { "overlay", "layerfs" };
	struct stat st;
	unsigned int f;

	ASSERT_EQ(0, overlay_rename(self, "a", "b"));
	for (f = 0; f < 2; f++) {
		ASSERT_EQ(0, mount_fs(self, fstypes[f], "redirect_dir=nofollow"));
		EXPECT_EQ(-1, stat(lu_mpath(&self->s, "b/f"), &st));
		EXPECT_EQ(EPERM, errno) {
			TH_LOG("%s", fstypes[f]);
		}
		/* the rest of the union is there */
		EXPECT_STREQ("deep", lu_cat(lu_mpath(&self->s, "p/q/r/deep"))) {
			TH_LOG("%s", fstypes[f]);
		}
		ASSERT_EQ(0, lu_umount(&self->s));
	}
}

/* Invalid redirects: the lookup fails the same way on both. */
TEST_F(redirect, invalid_redirects_fail_the_lookup)
{
	static const char *const bad[] = { "a/f", "//a", "/a//f", "/" };
	static const char *const fstypes[] = { "overlay", "layerfs" };
	char path[2 * LU_PATH_MAX];
	unsigned int f, i;
	int want = 0, ret;

	snprintf(path, sizeof(path), "%s/e", self->rw.upper);
	ASSERT_EQ(0, mkdir(path, 0755));
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		ASSERT_EQ(0, lsetxattr(path, REDIRECT, bad[i], strlen(bad[i]), 0));
		for (f = 0; f < 2; f++) {
			ASSERT_EQ(0, mount_fs(self, fstypes[f], ""));
			ret = lu_ftype(lu_mpath(&self->s, "e"));
			if (!f)
				want = ret;
			EXPECT_EQ(want, ret) {
				TH_LOG("%s: redirect \"%s\"", fstypes[f], bad[i]);
			}
			ASSERT_EQ(0, lu_umount(&self->s));
		}
	}
	EXPECT_EQ(-EINVAL, want);
}

LU_HARNESS_MAIN
