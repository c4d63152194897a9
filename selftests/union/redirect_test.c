// SPDX-License-Identifier: GPL-2.0
/*
 * Directory redirects (trusted.overlay.redirect), written by overlayfs
 * with redirect_dir=on when a merged or lower directory is renamed:
 * layerfs follows them as overlayfs does (redirect_dir=follow, the
 * default), so an upper written by overlayfs shows the same tree on both,
 * and refuses them with EPERM with redirect_dir=nofollow, as overlayfs.
 * layerfs with redirect_dir=on writes them as overlayfs does. Each upper
 * is written by one of the two (the fixture's variant), then mounted by
 * overlay and by layerfs and compared: both ways on disk.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
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

FIXTURE_VARIANT(redirect) {
	const char *writer;	/* renames with redirect_dir=on */
};

FIXTURE_VARIANT_ADD(redirect, overlay_writes) {
	.writer = "overlay",
};

FIXTURE_VARIANT_ADD(redirect, layerfs_writes) {
	.writer = "layerfs",
};

FIXTURE_SETUP(redirect)
{

	if (!lu_fs_need(_metadata, "layerfs") || !lu_fs_need(_metadata, "overlay"))
		return;
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
	return lu_mount_rw_opts(&self->s, &self->rw, fstype, extra);
}

/* Rename @from to @to through @writer with redirect_dir=on. */
static int fs_rename(FIXTURE_DATA(redirect) *self, const char *writer,
		     const char *from, const char *to)
{
	char a[LU_PATH_MAX], b[LU_PATH_MAX];
	int ret;

	ret = mount_fs(self, writer, "redirect_dir=on");
	if (ret)
		return ret;
	snprintf(a, sizeof(a), "%s", lu_mpath(&self->s, from));
	snprintf(b, sizeof(b), "%s", lu_mpath(&self->s, to));
	ret = rename(a, b) ? -errno : 0;
	lu_umount(&self->s);
	return ret;
}

/* The redirect written on upper/@rel, or "" */
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

	ASSERT_EQ(0, fs_rename(self, variant->writer, "a", "b"));
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

	ASSERT_EQ(0, fs_rename(self, variant->writer, "a", "d/x"));
	EXPECT_STREQ("/a", upper_redirect(self, "d/x"));
	check_both(_metadata, self, "d/x", "f sub top", e, ARRAY_SIZE(e));
}

TEST_F(redirect, absolute_redirect_of_a_nested_dir)
{
	static const struct expect e[] = {
		{ "z/r/deep", "deep" }, { "p/q", NULL },
	};

	ASSERT_EQ(0, fs_rename(self, variant->writer, "p/q", "z"));
	EXPECT_STREQ("/p/q", upper_redirect(self, "z"));
	check_both(_metadata, self, "z", "r", e, ARRAY_SIZE(e));
}

TEST_F(redirect, renamed_twice)
{
	static const struct expect e[] = {
		{ "c/f", "f" }, { "c/sub/g", "g" }, { "b", NULL }, { "a", NULL },
	};

	ASSERT_EQ(0, fs_rename(self, variant->writer, "a", "b"));
	ASSERT_EQ(0, fs_rename(self, variant->writer, "b", "c"));
	check_both(_metadata, self, "c", "f sub top", e, ARRAY_SIZE(e));
}

/* An upper with redirects used as a lower layer: followed there too. */
TEST_F(redirect, redirect_in_a_lower_layer)
{
	char data[6 * LU_PATH_MAX];
	static const char *const fstypes[] = { "overlay", "layerfs" };
	unsigned int f;

	ASSERT_EQ(0, fs_rename(self, variant->writer, "a", "b"));
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

/*
 * The mount that renames shows the moved content at once, and again
 * after its dentries are dropped (from the redirects it wrote), across
 * renames into other directories and back.
 */
TEST_F(redirect, renamed_dirs_show_their_content_in_the_renaming_mount)
{
	static const struct expect e[] = {
		{ "d/y/f", "f" }, { "d/y/sub/g", "g" }, { "d/y/top", "top" },
		{ "b", NULL }, { "a", NULL }, { "d/x", NULL },
	};
	struct lu_scratch *s = &self->s;
	char a[LU_PATH_MAX];
	int pass;

	ASSERT_EQ(0, mount_fs(self, variant->writer, "redirect_dir=on"));
	for (pass = 0; pass < 2; pass++) {
		snprintf(a, sizeof(a), "%s", lu_mpath(s, pass ? "b" : "a"));
		ASSERT_EQ(0, rename(a, lu_mpath(s, pass ? "d/x" : "b")));
		EXPECT_STREQ("f sub top", lu_names(lu_mpath(s, pass ? "d/x" : "b")));
		EXPECT_STREQ("g", lu_cat(lu_mpath(s, pass ? "d/x/sub/g" : "b/sub/g")));
		EXPECT_EQ(-ENOENT, lu_ftype(lu_mpath(s, "a")));
		ASSERT_EQ(0, lu_drop_caches(2));
		EXPECT_STREQ("top", lu_cat(lu_mpath(s, pass ? "d/x/top" : "b/top")));
	}
	EXPECT_STREQ("/a", upper_redirect(self, "d/x"));
	/* and within its new parent: the absolute redirect stays */
	snprintf(a, sizeof(a), "%s", lu_mpath(s, "d/x"));
	ASSERT_EQ(0, rename(a, lu_mpath(s, "d/y")));
	EXPECT_STREQ("/a", upper_redirect(self, "d/y"));
	ASSERT_EQ(0, lu_umount(s));
	check_both(_metadata, self, "d/y", "f sub top", e, ARRAY_SIZE(e));

	/* a child of a moved dir, moved out of it: its path is below /a */
	ASSERT_EQ(0, lu_mkdir(s, 1, "a/sub/deeper", 0755));

	ASSERT_EQ(0, mount_fs(self, variant->writer, "redirect_dir=on"));
	snprintf(a, sizeof(a), "%s", lu_mpath(s, "d/y/sub"));
	ASSERT_EQ(0, rename(a, lu_mpath(s, "s2")));
	EXPECT_STREQ("/a/sub", upper_redirect(self, "s2"));
	EXPECT_STREQ("deeper g", lu_names(lu_mpath(s, "s2")));
	ASSERT_EQ(0, lu_umount(s));
	check_both(_metadata, self, "s2", "deeper g", NULL, 0);
}

/* readdir's d_ino of @dir/@name, or 0 */
static ino_t dir_ino(const char *dir, const char *name)
{
	struct dirent *de;
	ino_t ino = 0;
	DIR *d = opendir(dir);

	while (d && (de = readdir(d)))
		if (!strcmp(de->d_name, name))
			ino = de->d_ino;
	if (d)
		closedir(d);
	return ino;
}

/*
 * A merged dir moved into an upper-only one: that parent is impure, and
 * readdir gives the same inode number as stat (the lower one).
 */
TEST_F(redirect, moved_dir_has_the_same_ino_in_readdir_and_stat)
{
	struct lu_scratch *s = &self->s;
	char a[LU_PATH_MAX];
	struct stat st;
	int pass;

	for (pass = 0; pass < 2; pass++) {
		ASSERT_EQ(0, mount_fs(self, pass ? "layerfs" : variant->writer,
				      "redirect_dir=on"));
		if (!pass) {
			ASSERT_EQ(0, mkdir(lu_mpath(s, "n"), 0755));
			snprintf(a, sizeof(a), "%s", lu_mpath(s, "a"));
			ASSERT_EQ(0, rename(a, lu_mpath(s, "n/a2")));
		}
		ASSERT_EQ(0, stat(lu_mpath(s, "n/a2"), &st));
		snprintf(a, sizeof(a), "%s", lu_mpath(s, "n"));
		EXPECT_EQ(st.st_ino, dir_ino(a, "a2")) {
			TH_LOG("pass %d", pass);
		}
		EXPECT_STREQ("f sub top", lu_names(lu_mpath(s, "n/a2")));
		ASSERT_EQ(0, lu_umount(s));
	}
}

/* Without redirect_dir=on a dir with lower content does not move. */
TEST_F(redirect, merged_dirs_are_exdev_without_redirect_dir_on)
{
	static const char *const fstypes[] = { "overlay", "layerfs" };
	char a[LU_PATH_MAX];
	unsigned int f;

	for (f = 0; f < 2; f++) {
		ASSERT_EQ(0, mount_fs(self, fstypes[f], ""));
		snprintf(a, sizeof(a), "%s", lu_mpath(&self->s, "a"));
		EXPECT_EQ(-1, rename(a, lu_mpath(&self->s, "b")));
		EXPECT_EQ(EXDEV, errno) {
			TH_LOG("%s", fstypes[f]);
		}
		/* an upper-only dir moves */
		ASSERT_EQ(0, mkdir(lu_mpath(&self->s, "new"), 0755));
		snprintf(a, sizeof(a), "%s", lu_mpath(&self->s, "new"));
		EXPECT_EQ(0, rename(a, lu_mpath(&self->s, "new2")));
		EXPECT_STREQ("", upper_redirect(self, "new2"));
		EXPECT_EQ(0, rmdir(lu_mpath(&self->s, "new2")));
		ASSERT_EQ(0, lu_umount(&self->s));
	}
}

/* redirect_dir=nofollow: a redirected dir is EPERM on both. */
TEST_F(redirect, nofollow_refuses_redirected_dirs)
{
	static const char *const fstypes[] = { "overlay", "layerfs" };
	struct stat st;
	unsigned int f;

	ASSERT_EQ(0, fs_rename(self, variant->writer, "a", "b"));
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
