// SPDX-License-Identifier: GPL-2.0
/*
 * Inode identity in a read-only union: every object reports the mount's
 * st_dev; st_ino is unique within the mount and stable across repeated
 * stat, open files and dropped caches.
 *
 * Every test runs on layerfs and on overlay. With layers on different
 * filesystems overlay (without xino) reports a per-layer st_dev for
 * non-directories; layerfs reports the mount's (a deliberate difference,
 * Documentation/filesystems/layerfs.rst), so that test has per-variant
 * expectations.
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
#include <sys/sysmacros.h>

#include "kselftest_harness.h"
#include "harness.h"
#include "union.h"

LU_UNION_OPT_FIXTURE(inode, 3)

/* Objects of every kind, in every layer, merged and not. */
static void make_tree(struct __test_metadata *_metadata, struct lu_scratch *s)
{
	int l;

	for (l = 0; l < 3; l++) {
		char name[64];

		snprintf(name, sizeof(name), "only%d/file", l);
		ASSERT_EQ(0, lu_file(s, l, name, 0644, name));
		snprintf(name, sizeof(name), "merged/file%d", l);
		ASSERT_EQ(0, lu_file(s, l, name, 0644, name));
		snprintf(name, sizeof(name), "merged/sub/f%d", l);
		ASSERT_EQ(0, lu_file(s, l, name, 0644, name));
		snprintf(name, sizeof(name), "merged/link%d", l);
		ASSERT_EQ(0, lu_symlink(s, l, name, "file0"));
		snprintf(name, sizeof(name), "merged/fifo%d", l);
		ASSERT_EQ(0, mknod(lu_lpath(s, l, name), S_IFIFO | 0644, 0));
		ASSERT_EQ(0, lu_file(s, l, "same", 0644, "same name everywhere"));
	}
	ASSERT_EQ(0, lu_whiteout(s, 0, "merged/file1"));
	ASSERT_EQ(0, lu_mkdir(s, 0, "emptydir", 0755));
	ASSERT_EQ(0, lu_file(s, 2, "hard/a", 0644, "linked"));
	ASSERT_EQ(0, link(lu_lpath(s, 2, "hard/a"), lu_lpath(s, 2, "hard/b")));
}

static int node_ino_cmp(const void *a, const void *b)
{
	const struct lu_node *x = a, *y = b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	return 0;
}

/*
 * Counts (st_dev, st_ino) pairs shared by two objects that are not the
 * same hard-linked file.
 */
static int count_ino_clashes(struct __test_metadata *_metadata,
			     const struct lu_tree *t, bool ino_only)
{
	struct lu_node *v = malloc(t->n * sizeof(*v));
	int clashes = 0;
	size_t i;

	memcpy(v, t->v, t->n * sizeof(*v));
	if (ino_only)
		for (i = 0; i < t->n; i++)
			v[i].dev = 0;
	qsort(v, t->n, sizeof(*v), node_ino_cmp);
	for (i = 1; i < t->n; i++) {
		if (node_ino_cmp(&v[i - 1], &v[i]))
			continue;
		if (S_ISREG(v[i].mode) && v[i].nlink > 1 &&
		    v[i].hash == v[i - 1].hash)
			continue;
		TH_LOG("%s and %s share inode %llu", v[i - 1].path, v[i].path,
		       (unsigned long long)v[i].ino);
		clashes++;
	}
	free(v);
	return clashes;
}

TEST_F(inode, every_object_has_the_mount_st_dev)
{
	struct lu_scratch *s = &self->s;
	struct lu_tree t;
	struct stat root;
	size_t i;

	make_tree(_metadata, s);
	ASSERT_EQ(0, lu_mount(s));
	ASSERT_EQ(0, stat(s->mnt, &root));
	ASSERT_EQ(0, lu_tree_walk(s->mnt, &t));
	ASSERT_LT(20U, t.n);
	for (i = 0; i < t.n; i++) {
		EXPECT_EQ(root.st_dev, t.v[i].dev) {
			TH_LOG("%s: st_dev %u:%u, mount %u:%u", t.v[i].path,
			       major(t.v[i].dev), minor(t.v[i].dev),
			       major(root.st_dev), minor(root.st_dev));
		}
	}
	lu_tree_free(&t);
}

TEST_F(inode, st_ino_is_unique_within_the_mount)
{
	struct lu_scratch *s = &self->s;
	struct stat a, b;
	struct lu_tree t;
	char why[1024];

	make_tree(_metadata, s);
	ASSERT_EQ(0, lu_mount(s));
	EXPECT_EQ(0, lu_count_d_ino_mismatches(s->mnt, why, sizeof(why))) {
		TH_LOG("%s", why);
	}
	ASSERT_EQ(0, lu_tree_walk(s->mnt, &t));
	EXPECT_EQ(0, count_ino_clashes(_metadata, &t, true));
	lu_tree_free(&t);

	/* hard links in a lower layer stay one inode */
	ASSERT_EQ(0, lstat(lu_mpath(s, "hard/a"), &a));
	ASSERT_EQ(0, lstat(lu_mpath(s, "hard/b"), &b));
	EXPECT_EQ(a.st_ino, b.st_ino);
	EXPECT_EQ(2U, a.st_nlink);
	EXPECT_EQ(2U, b.st_nlink);
}

static void ino_map(struct __test_metadata *_metadata, const char *root,
		    struct lu_tree *t)
{
	ASSERT_EQ(0, lu_tree_walk(root, t));
}

static void same_inos(struct __test_metadata *_metadata,
		      const struct lu_tree *a, const struct lu_tree *b)
{
	size_t i;

	ASSERT_EQ(a->n, b->n);
	for (i = 0; i < a->n; i++) {
		ASSERT_STREQ(a->v[i].path, b->v[i].path);
		EXPECT_EQ(a->v[i].ino, b->v[i].ino) {
			TH_LOG("%s: st_ino %llu then %llu", a->v[i].path,
			       (unsigned long long)a->v[i].ino,
			       (unsigned long long)b->v[i].ino);
		}
		EXPECT_EQ(a->v[i].dev, b->v[i].dev);
	}
}

TEST_F(inode, st_ino_is_stable)
{
	struct lu_scratch *s = &self->s;
	struct lu_tree t1, t2, t3;
	struct stat st, fst;
	int fd;

	make_tree(_metadata, s);
	ASSERT_EQ(0, lu_mount(s));
	ino_map(_metadata, s->mnt, &t1);
	ino_map(_metadata, s->mnt, &t2);
	same_inos(_metadata, &t1, &t2);
	lu_tree_free(&t2);

	/* an open file reports what lstat() does */
	fd = open(lu_mpath(s, "merged/sub/f2"), O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fstat(fd, &fst));
	ASSERT_EQ(0, lstat(lu_mpath(s, "merged/sub/f2"), &st));
	EXPECT_EQ(st.st_ino, fst.st_ino);
	EXPECT_EQ(st.st_dev, fst.st_dev);

	/* forget every dentry and inode not in use, then look again */
	ASSERT_EQ(0, lu_drop_caches(2));
	ino_map(_metadata, s->mnt, &t3);
	same_inos(_metadata, &t1, &t3);
	lu_tree_free(&t3);
	ASSERT_EQ(0, fstat(fd, &fst));
	EXPECT_EQ(st.st_ino, fst.st_ino);
	close(fd);

	/* and across a remount */
	ASSERT_EQ(0, lu_umount(s));
	ASSERT_EQ(0, lu_mount(s));
	ino_map(_metadata, s->mnt, &t3);
	same_inos(_metadata, &t1, &t3);
	lu_tree_free(&t3);
	lu_tree_free(&t1);
}

TEST_F(inode, statx_agrees_with_stat)
{
	struct lu_scratch *s = &self->s;
	const char *names[] = { "", "same", "merged", "merged/sub/f1",
				"merged/link2", "merged/fifo0", "only2/file" };
	struct statx stx;
	struct stat st;
	unsigned int i;

	make_tree(_metadata, s);
	ASSERT_EQ(0, lu_mount(s));
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const char *p = lu_mpath(s, names[i]);

		ASSERT_EQ(0, lstat(p, &st));
		ASSERT_EQ(0, statx(AT_FDCWD, p, AT_SYMLINK_NOFOLLOW,
				   STATX_BASIC_STATS, &stx));
		EXPECT_EQ(st.st_ino, stx.stx_ino);
		EXPECT_EQ(major(st.st_dev), stx.stx_dev_major);
		EXPECT_EQ(minor(st.st_dev), stx.stx_dev_minor);
		EXPECT_EQ(st.st_mode, stx.stx_mode);
		EXPECT_EQ(st.st_nlink, stx.stx_nlink);
		EXPECT_EQ((unsigned long long)st.st_size, stx.stx_size);
	}
}

TEST_F(inode, layers_on_different_filesystems)
{
	struct lu_scratch *s = &self->s;
	struct stat root, lower, layer;
	char why[1024];
	struct lu_tree t;
	size_t i;
	int l, other_dev = 0, bad_d_ino;

	for (l = 0; l < 3; l++)
		ASSERT_EQ(0, mount("tmpfs", lu_lpath(s, l, NULL), "tmpfs", 0,
				   "mode=0755"));
	make_tree(_metadata, s);
	ASSERT_EQ(0, lu_mount(s));
	ASSERT_EQ(0, stat(s->mnt, &root));
	ASSERT_EQ(0, lu_tree_walk(s->mnt, &t));

	for (i = 0; i < t.n; i++) {
		if (t.v[i].dev == root.st_dev)
			continue;
		other_dev++;
		if (variant->layerfs)
			TH_LOG("%s: st_dev %u:%u, mount %u:%u", t.v[i].path,
			       major(t.v[i].dev), minor(t.v[i].dev),
			       major(root.st_dev), minor(root.st_dev));
		/* overlay: only non-directories may report another st_dev */
		EXPECT_FALSE(S_ISDIR(t.v[i].mode));
	}
	if (variant->layerfs) {
		/* deliberate: one st_dev, and st_ino alone is unique */
		EXPECT_EQ(0, other_dev);
		EXPECT_EQ(0, count_ino_clashes(_metadata, &t, true));
	} else {
		/* overlay without xino: per-layer st_dev for non-directories */
		EXPECT_LT(0, other_dev);
		ASSERT_EQ(0, lstat(lu_mpath(s, "only2/file"), &lower));
		ASSERT_EQ(0, lstat(lu_lpath(s, 2, "only2/file"), &layer));
		EXPECT_NE(root.st_dev, lower.st_dev);
		EXPECT_EQ(layer.st_ino, lower.st_ino);
		TH_LOG("overlay: %d of %zu objects report another st_dev",
		       other_dev, t.n);
	}
	/* either way, (st_dev, st_ino) identifies an object */
	EXPECT_EQ(0, count_ino_clashes(_metadata, &t, false));
	lu_tree_free(&t);

	bad_d_ino = lu_count_d_ino_mismatches(s->mnt, why, sizeof(why));
	ASSERT_LE(0, bad_d_ino);
	if (variant->layerfs) {
		/* d_ino is the (remapped) st_ino here too */
		EXPECT_EQ(0, bad_d_ino) {
			TH_LOG("%s", why);
		}
	} else if (bad_d_ino) {
		/* overlay without xino: merged directories differ */
		TH_LOG("overlay: %d entries with d_ino != st_ino, e.g. %s",
		       bad_d_ino, why);
	}
}

LU_HARNESS_MAIN
