// SPDX-License-Identifier: GPL-2.0
/*
 * Name lookup in a read-only union: top-down, the highest layer wins,
 * non-directories hide what is below, directories merge until an opaque
 * one, whiteouts (char 0/0 and xattr) hide the name and themselves.
 *
 * Layers: l0 (top), l1 (middle), l2 (bottom). Every test runs on layerfs
 * and on overlay with the same expectations.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include "kselftest_harness.h"
#include "harness.h"
#include "union.h"

LU_UNION_OPT_FIXTURE(lookup, 3)

TEST_F(lookup, highest_layer_wins)
{
	struct lu_scratch *s = &self->s;

	ASSERT_EQ(0, lu_file(s, 0, "all", 0644, "top"));
	ASSERT_EQ(0, lu_file(s, 1, "all", 0644, "middle"));
	ASSERT_EQ(0, lu_file(s, 2, "all", 0644, "bottom"));
	ASSERT_EQ(0, lu_file(s, 1, "lower2", 0644, "middle"));
	ASSERT_EQ(0, lu_file(s, 2, "lower2", 0644, "bottom"));
	ASSERT_EQ(0, lu_file(s, 2, "bottom-only", 0600, "bottom"));
	ASSERT_EQ(0, lu_file(s, 0, "top-only", 0600, "top"));
	ASSERT_EQ(0, lu_mount(s));

	EXPECT_STREQ("top", lu_cat(lu_mpath(s, "all")));
	EXPECT_STREQ("middle", lu_cat(lu_mpath(s, "lower2")));
	EXPECT_STREQ("bottom", lu_cat(lu_mpath(s, "bottom-only")));
	EXPECT_STREQ("top", lu_cat(lu_mpath(s, "top-only")));
	EXPECT_STREQ("error: ENOENT", lu_cat(lu_mpath(s, "nowhere")));
	EXPECT_EQ(-ENOENT, lu_ftype(lu_mpath(s, "nowhere")));
}

TEST_F(lookup, non_directory_hides_lower_directory)
{
	struct lu_scratch *s = &self->s;

	ASSERT_EQ(0, lu_file(s, 0, "x", 0644, "file"));
	ASSERT_EQ(0, lu_file(s, 1, "x/child", 0644, "child"));
	ASSERT_EQ(0, lu_symlink(s, 1, "y", "x"));
	ASSERT_EQ(0, lu_file(s, 2, "y/child", 0644, "child"));
	ASSERT_EQ(0, lu_mount(s));

	EXPECT_EQ(S_IFREG, lu_ftype(lu_mpath(s, "x")));
	EXPECT_STREQ("file", lu_cat(lu_mpath(s, "x")));
	EXPECT_EQ(-ENOTDIR, lu_ftype(lu_mpath(s, "x/child")));

	/* a symlink is a non-directory too; following it leads to x */
	EXPECT_EQ(S_IFLNK, lu_ftype(lu_mpath(s, "y")));
	EXPECT_STREQ("file", lu_cat(lu_mpath(s, "y")));
	EXPECT_EQ(-ENOTDIR, lu_ftype(lu_mpath(s, "y/child")));
}

TEST_F(lookup, directory_hides_lower_non_directory)
{
	struct lu_scratch *s = &self->s;

	ASSERT_EQ(0, lu_file(s, 0, "d/top", 0644, "top"));
	ASSERT_EQ(0, lu_file(s, 1, "d", 0644, "middle file"));
	/* below the file the directory does not merge any more */
	ASSERT_EQ(0, lu_file(s, 2, "d/bottom", 0644, "bottom"));
	ASSERT_EQ(0, lu_mount(s));

	EXPECT_EQ(S_IFDIR, lu_ftype(lu_mpath(s, "d")));
	EXPECT_STREQ("top", lu_names(lu_mpath(s, "d")));
	EXPECT_STREQ("top", lu_cat(lu_mpath(s, "d/top")));
	EXPECT_EQ(-ENOENT, lu_ftype(lu_mpath(s, "d/bottom")));
}

TEST_F(lookup, directories_merge_across_layers)
{
	struct lu_scratch *s = &self->s;

	ASSERT_EQ(0, lu_file(s, 0, "d/a", 0644, "a"));
	ASSERT_EQ(0, lu_file(s, 1, "d/b", 0644, "b"));
	ASSERT_EQ(0, lu_file(s, 2, "d/c", 0644, "c"));
	ASSERT_EQ(0, lu_file(s, 2, "d/a", 0644, "lower a"));
	/* a deep path whose components come from different layers */
	ASSERT_EQ(0, lu_mkdir(s, 2, "p", 0755));
	ASSERT_EQ(0, lu_mkdir(s, 1, "p/q", 0755));
	ASSERT_EQ(0, lu_file(s, 0, "p/q/r/file", 0644, "deep"));
	ASSERT_EQ(0, lu_file(s, 2, "p/q/r/other", 0644, "other"));
	ASSERT_EQ(0, lu_mount(s));

	EXPECT_STREQ("a b c", lu_names(lu_mpath(s, "d")));
	EXPECT_STREQ("a", lu_cat(lu_mpath(s, "d/a")));
	EXPECT_STREQ("b", lu_cat(lu_mpath(s, "d/b")));
	EXPECT_STREQ("c", lu_cat(lu_mpath(s, "d/c")));
	EXPECT_STREQ("deep", lu_cat(lu_mpath(s, "p/q/r/file")));
	EXPECT_STREQ("other", lu_cat(lu_mpath(s, "p/q/r/other")));
	EXPECT_STREQ("file other", lu_names(lu_mpath(s, "p/q/r")));
	/* ".." leads back through the union */
	EXPECT_STREQ("deep", lu_cat(lu_mpath(s, "p/q/r/../../q/r/file")));
	EXPECT_STREQ("a", lu_cat(lu_mpath(s, "p/../d/a")));
}

TEST_F(lookup, opaque_directory_stops_descent)
{
	struct lu_scratch *s = &self->s;

	ASSERT_EQ(0, lu_file(s, 0, "d/a", 0644, "a"));
	ASSERT_EQ(0, lu_file(s, 1, "d/b", 0644, "b"));
	ASSERT_EQ(0, lu_opaque(s, 1, "d"));
	ASSERT_EQ(0, lu_file(s, 2, "d/c", 0644, "c"));
	ASSERT_EQ(0, lu_file(s, 2, "d/b", 0644, "lower b"));
	/* opaque in the top layer: nothing below shows */
	ASSERT_EQ(0, lu_file(s, 0, "e/a", 0644, "a"));
	ASSERT_EQ(0, lu_opaque(s, 0, "e"));
	ASSERT_EQ(0, lu_file(s, 1, "e/b", 0644, "b"));
	ASSERT_EQ(0, lu_file(s, 2, "e/c", 0644, "c"));
	/* an empty opaque directory hides a full one */
	ASSERT_EQ(0, lu_mkdir(s, 0, "f", 0755));
	ASSERT_EQ(0, lu_opaque(s, 0, "f"));
	ASSERT_EQ(0, lu_file(s, 2, "f/c", 0644, "c"));
	ASSERT_EQ(0, lu_mount(s));

	EXPECT_STREQ("a b", lu_names(lu_mpath(s, "d")));
	EXPECT_STREQ("b", lu_cat(lu_mpath(s, "d/b")));
	EXPECT_EQ(-ENOENT, lu_ftype(lu_mpath(s, "d/c")));
	EXPECT_STREQ("a", lu_names(lu_mpath(s, "e")));
	EXPECT_EQ(-ENOENT, lu_ftype(lu_mpath(s, "e/b")));
	EXPECT_EQ(-ENOENT, lu_ftype(lu_mpath(s, "e/c")));
	EXPECT_STREQ("", lu_names(lu_mpath(s, "f")));
	EXPECT_EQ(-ENOENT, lu_ftype(lu_mpath(s, "f/c")));
}

/*
 * The marks are the mount's prefix only: with userxattr,
 * trusted.overlay.opaque is an ordinary xattr (and without it,
 * user.overlay.opaque), shown and not honoured. The variants' options
 * reach the mount.
 */
TEST_F(lookup, opaque_mark_of_the_other_prefix_is_an_ordinary_xattr)
{
	struct lu_scratch *s = &self->s;
	const char *other = s->userxattr ? "trusted.overlay.opaque" :
					   "user.overlay.opaque";
	char val[4] = "";

	ASSERT_EQ(0, lu_file(s, 0, "d/a", 0644, "a"));
	ASSERT_EQ(0, lu_setxattr(s, 0, "d", other, "y"));
	ASSERT_EQ(0, lu_file(s, 1, "d/b", 0644, "b"));
	ASSERT_EQ(0, lu_file(s, 0, "e/a", 0644, "a"));
	ASSERT_EQ(0, lu_opaque(s, 0, "e"));
	ASSERT_EQ(0, lu_file(s, 1, "e/b", 0644, "b"));
	ASSERT_EQ(0, lu_mount(s));

	EXPECT_STREQ("a b", lu_names(lu_mpath(s, "d")));
	EXPECT_EQ(1, getxattr(lu_mpath(s, "d"), other, val, sizeof(val)));
	EXPECT_STREQ("y", val);
	EXPECT_STREQ("a", lu_names(lu_mpath(s, "e")));
	EXPECT_EQ(-1, getxattr(lu_mpath(s, "e"), lu_ovl_xattr(s, "opaque"), val,
			       sizeof(val)));
	TH_LOG("%s%s%s: %s is no mark", variant->fstype, variant->opts ? " " : "",
	       variant->opts ?: "", other);
}

TEST_F(lookup, opaque_mark_on_lowest_layer_changes_nothing)
{
	struct lu_scratch *s = &self->s;

	ASSERT_EQ(0, lu_file(s, 0, "d/a", 0644, "a"));
	ASSERT_EQ(0, lu_file(s, 2, "d/c", 0644, "c"));
	ASSERT_EQ(0, lu_opaque(s, 2, "d"));
	ASSERT_EQ(0, lu_mount(s));

	EXPECT_STREQ("a c", lu_names(lu_mpath(s, "d")));
	EXPECT_STREQ("c", lu_cat(lu_mpath(s, "d/c")));
}

TEST_F(lookup, whiteout_hides_name_and_itself)
{
	struct lu_scratch *s = &self->s;

	ASSERT_EQ(0, lu_whiteout(s, 0, "file"));
	ASSERT_EQ(0, lu_file(s, 1, "file", 0644, "hidden"));
	ASSERT_EQ(0, lu_file(s, 2, "file", 0644, "hidden"));
	ASSERT_EQ(0, lu_whiteout(s, 0, "dir"));
	ASSERT_EQ(0, lu_file(s, 2, "dir/child", 0644, "hidden"));
	ASSERT_EQ(0, lu_whiteout(s, 0, "alone"));
	ASSERT_EQ(0, lu_whiteout(s, 1, "sub/w"));
	ASSERT_EQ(0, lu_file(s, 2, "sub/w", 0644, "hidden"));
	ASSERT_EQ(0, lu_file(s, 2, "sub/v", 0644, "visible"));
	ASSERT_EQ(0, lu_mount(s));

	EXPECT_EQ(-ENOENT, lu_ftype(lu_mpath(s, "file")));
	EXPECT_STREQ("error: ENOENT", lu_cat(lu_mpath(s, "file")));
	EXPECT_EQ(-ENOENT, lu_ftype(lu_mpath(s, "dir")));
	EXPECT_EQ(-ENOENT, lu_ftype(lu_mpath(s, "dir/child")));
	EXPECT_EQ(-ENOENT, lu_ftype(lu_mpath(s, "alone")));
	EXPECT_EQ(-ENOENT, lu_ftype(lu_mpath(s, "sub/w")));
	EXPECT_STREQ("visible", lu_cat(lu_mpath(s, "sub/v")));
	EXPECT_STREQ("v", lu_names(lu_mpath(s, "sub")));
	EXPECT_STREQ("sub", lu_names(lu_mpath(s, "")));
}

TEST_F(lookup, xattr_whiteout_hides_name_and_itself)
{
	struct lu_scratch *s = &self->s;

	LU_OVERLAY_NEEDS(variant->fstype, LU_OVL_XWHITEOUT);

	/* xattr whiteouts in the middle layer, in a directory marked "x" */
	ASSERT_EQ(0, lu_xwhiteout(s, 1, "d/gone"));
	ASSERT_EQ(0, lu_xwhiteout(s, 1, "d/gonedir"));
	ASSERT_EQ(0, lu_xwhiteout(s, 1, "d/alone"));
	ASSERT_EQ(0, lu_file(s, 1, "d/kept", 0644, "kept"));
	ASSERT_EQ(0, lu_file(s, 2, "d/gone", 0644, "hidden"));
	ASSERT_EQ(0, lu_file(s, 2, "d/gonedir/child", 0644, "hidden"));
	ASSERT_EQ(0, lu_file(s, 2, "d/lower", 0644, "lower"));
	ASSERT_EQ(0, lu_file(s, 0, "d/top", 0644, "top"));
	ASSERT_EQ(0, lu_mount(s));

	EXPECT_EQ(-ENOENT, lu_ftype(lu_mpath(s, "d/gone")));
	EXPECT_EQ(-ENOENT, lu_ftype(lu_mpath(s, "d/gonedir")));
	EXPECT_EQ(-ENOENT, lu_ftype(lu_mpath(s, "d/gonedir/child")));
	EXPECT_EQ(-ENOENT, lu_ftype(lu_mpath(s, "d/alone")));
	EXPECT_STREQ("kept", lu_cat(lu_mpath(s, "d/kept")));
	EXPECT_STREQ("lower", lu_cat(lu_mpath(s, "d/lower")));
	/* "x" marks xattr whiteouts; it does not make the directory opaque */
	EXPECT_STREQ("kept lower top", lu_names(lu_mpath(s, "d")));
}

TEST_F(lookup, xattr_whiteout_at_layer_root)
{
	struct lu_scratch *s = &self->s;

	LU_OVERLAY_NEEDS(variant->fstype, LU_OVL_XWHITEOUT);

	ASSERT_EQ(0, lu_xwhiteout(s, 1, "gone"));
	ASSERT_EQ(0, lu_file(s, 2, "gone", 0644, "hidden"));
	ASSERT_EQ(0, lu_file(s, 2, "kept", 0644, "kept"));
	ASSERT_EQ(0, lu_mount(s));

	EXPECT_EQ(-ENOENT, lu_ftype(lu_mpath(s, "gone")));
	EXPECT_STREQ("kept", lu_names(lu_mpath(s, "")));
}

TEST_F(lookup, zero_size_file_with_other_xattrs_is_no_whiteout)
{
	struct lu_scratch *s = &self->s;

	ASSERT_EQ(0, lu_file(s, 1, "d/empty", 0644, ""));
	ASSERT_EQ(0, lu_setxattr(s, 1, "d/empty", "user.whiteout", "y"));
	ASSERT_EQ(0, lu_setxattr(s, 1, "d", lu_ovl_xattr(s, "opaque"), "x"));
	/* the whiteout xattr on a non-empty file is no whiteout either */
	ASSERT_EQ(0, lu_file(s, 1, "d/full", 0644, "data"));
	ASSERT_EQ(0, lu_setxattr(s, 1, "d/full", lu_ovl_xattr(s, "whiteout"), ""));
	ASSERT_EQ(0, lu_file(s, 2, "d/empty", 0644, "lower"));
	ASSERT_EQ(0, lu_file(s, 2, "d/full", 0644, "lower"));
	ASSERT_EQ(0, lu_mount(s));

	EXPECT_EQ(S_IFREG, lu_ftype(lu_mpath(s, "d/empty")));
	EXPECT_STREQ("", lu_cat(lu_mpath(s, "d/empty")));
	EXPECT_STREQ("data", lu_cat(lu_mpath(s, "d/full")));
	EXPECT_STREQ("empty full", lu_names(lu_mpath(s, "d")));
}

TEST_F(lookup, middle_whiteout_hides_lower_but_not_upper)
{
	struct lu_scratch *s = &self->s;

	ASSERT_EQ(0, lu_file(s, 0, "m", 0644, "top"));
	ASSERT_EQ(0, lu_whiteout(s, 1, "m"));
	ASSERT_EQ(0, lu_file(s, 2, "m", 0644, "bottom"));
	ASSERT_EQ(0, lu_whiteout(s, 1, "n"));
	ASSERT_EQ(0, lu_file(s, 2, "n", 0644, "bottom"));
	/* a directory above a whiteout does not merge with what is below */
	ASSERT_EQ(0, lu_file(s, 0, "d/top", 0644, "top"));
	ASSERT_EQ(0, lu_whiteout(s, 1, "d"));
	ASSERT_EQ(0, lu_file(s, 2, "d/bottom", 0644, "bottom"));
	/* and neither does one below an xattr whiteout */
	ASSERT_EQ(0, lu_file(s, 0, "x/e/top", 0644, "top"));
	ASSERT_EQ(0, lu_xwhiteout(s, 1, "x/e"));
	ASSERT_EQ(0, lu_file(s, 2, "x/e/bottom", 0644, "bottom"));
	ASSERT_EQ(0, lu_mount(s));

	EXPECT_STREQ("top", lu_cat(lu_mpath(s, "m")));
	EXPECT_EQ(-ENOENT, lu_ftype(lu_mpath(s, "n")));
	EXPECT_STREQ("top", lu_names(lu_mpath(s, "d")));
	EXPECT_EQ(-ENOENT, lu_ftype(lu_mpath(s, "d/bottom")));
	EXPECT_STREQ("top", lu_names(lu_mpath(s, "x/e")));
	EXPECT_EQ(-ENOENT, lu_ftype(lu_mpath(s, "x/e/bottom")));
	EXPECT_STREQ("d m x", lu_names(lu_mpath(s, "")));
}

TEST_F(lookup, whiteout_under_opaque_directory_hides_nothing_more)
{
	struct lu_scratch *s = &self->s;

	/* a whiteout beneath an opaque dir in a lower layer is not reached */
	ASSERT_EQ(0, lu_file(s, 0, "d/a", 0644, "a"));
	ASSERT_EQ(0, lu_opaque(s, 0, "d"));
	ASSERT_EQ(0, lu_whiteout(s, 1, "d/a"));
	ASSERT_EQ(0, lu_file(s, 2, "d/b", 0644, "b"));
	ASSERT_EQ(0, lu_mount(s));

	EXPECT_STREQ("a", lu_cat(lu_mpath(s, "d/a")));
	EXPECT_STREQ("a", lu_names(lu_mpath(s, "d")));
}

TEST_F(lookup, symlinks_resolve_through_the_union)
{
	struct lu_scratch *s = &self->s;
	char target[PATH_MAX];
	ssize_t n;

	ASSERT_EQ(0, lu_symlink(s, 0, "rel", "d/file"));
	ASSERT_EQ(0, lu_symlink(s, 1, "d/up", "../top"));
	ASSERT_EQ(0, lu_file(s, 2, "d/file", 0644, "file"));
	ASSERT_EQ(0, lu_file(s, 0, "top", 0644, "top"));
	ASSERT_EQ(0, lu_symlink(s, 2, "dangling", "nowhere"));
	ASSERT_EQ(0, lu_symlink(s, 2, "dirlink", "d"));
	ASSERT_EQ(0, lu_mount(s));

	n = readlink(lu_mpath(s, "rel"), target, sizeof(target));
	ASSERT_EQ(6, n);
	EXPECT_EQ(0, memcmp(target, "d/file", 6));
	EXPECT_STREQ("file", lu_cat(lu_mpath(s, "rel")));
	EXPECT_STREQ("top", lu_cat(lu_mpath(s, "d/up")));
	EXPECT_STREQ("file", lu_cat(lu_mpath(s, "dirlink/file")));
	EXPECT_EQ(S_IFLNK, lu_ftype(lu_mpath(s, "dangling")));
	EXPECT_STREQ("error: ENOENT", lu_cat(lu_mpath(s, "dangling")));
}

TEST_F(lookup, long_and_odd_names)
{
	struct lu_scratch *s = &self->s;
	char name[NAME_MAX + 1];
	char toolong[NAME_MAX + 2];

	memset(name, 'n', NAME_MAX);
	name[NAME_MAX] = '\0';
	memset(toolong, 'n', NAME_MAX + 1);
	toolong[NAME_MAX + 1] = '\0';
	ASSERT_EQ(0, lu_file(s, 2, name, 0644, "long"));
	ASSERT_EQ(0, lu_file(s, 1, "sp ace\ttab\nnl", 0644, "odd"));
	ASSERT_EQ(0, lu_file(s, 0, ":colon,comma\\bs", 0644, "odd2"));
	ASSERT_EQ(0, lu_mount(s));

	EXPECT_STREQ("long", lu_cat(lu_mpath(s, name)));
	EXPECT_STREQ("odd", lu_cat(lu_mpath(s, "sp ace\ttab\nnl")));
	EXPECT_STREQ("odd2", lu_cat(lu_mpath(s, ":colon,comma\\bs")));
	EXPECT_EQ(-ENAMETOOLONG, lu_ftype(lu_mpath(s, toolong)));
}

LU_HARNESS_MAIN
