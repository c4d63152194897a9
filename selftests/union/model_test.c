// SPDX-License-Identifier: GPL-2.0
/*
 * Random layer stacks against a reference model. For a number of fixed
 * seeds, four layers get random trees from a small pool of names (so that
 * names collide across layers): files, directories (some opaque),
 * symlinks, char 0/0 whiteouts and xattr whiteouts, with random modes,
 * owners and user xattrs. A userspace merge following
 * Documentation/filesystems/overlayfs.rst builds the expected tree; the
 * union's tree must be equal.
 *
 * Every test runs on layerfs and on overlay with the same expectations.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include "kselftest_harness.h"
#include "harness.h"
#include "union.h"

#define NLAYERS		4
#define MAX_DEPTH	3
#define SEEDS		24

static const char *const pool[] = { "a", "b", "c", "dd", "e.txt", "f" };
#define POOL	(sizeof(pool) / sizeof(pool[0]))

LU_UNION_OPT_FIXTURE(model, NLAYERS)

static unsigned int rnd(unsigned int *state, unsigned int n)
{
	*state = *state * 1103515245 + 12345;
	return (*state >> 16) % n;
}

static const mode_t modes[] = { 0644, 0600, 0755, 0444, 0711, 0640 };

/* The marks' names, in the mount's prefix (set by the test). */
static char xattr_opaque[64] = OVL_XATTR_OPAQUE;
static char xattr_whiteout[64] = OVL_XATTR_WHITEOUT;

static int set_attrs(const char *path, unsigned int *r, bool link)
{
	char val[16];
	uid_t owner = rnd(r, 3) ? 0 : 1000;

	if (lchown(path, owner, owner))
		return -errno;
	if (!link && rnd(r, 3) == 0) {
		snprintf(val, sizeof(val), "v%u", rnd(r, 100));
		if (setxattr(path, "user.model", val, strlen(val), 0))
			return -errno;
	}
	return 0;
}

/*
 * Fills directory @dir of a layer. @bottom: the lowest layer, where no
 * xattr whiteouts are made (overlayfs ignores the "x" mark there at the
 * root). Sets *@marked_x if @dir got xattr whiteouts (and the mark).
 */
static int gen_dir(const char *dir, int depth, bool bottom, unsigned int *r,
		   bool *marked_x)
{
	char path[LU_PATH_MAX], content[LU_PATH_MAX + 16];
	unsigned int i;
	int ret = 0;

	*marked_x = false;
	for (i = 0; i < POOL && !ret; i++) {
		unsigned int what = rnd(r, 100);
		bool sub_x;

		snprintf(path, sizeof(path), "%s/%s", dir, pool[i]);
		if (what < 40)
			continue;
		if (what < 60) {
			snprintf(content, sizeof(content), "%s %u", path, rnd(r, 1000));
			ret = lu_write_file(path, modes[rnd(r, 6)], content,
					    rnd(r, 8) ? strlen(content) : 0);
			if (!ret)
				ret = set_attrs(path, r, false);
		} else if (what < 80 && depth < MAX_DEPTH) {
			ret = lu_mkdir_p(path, modes[rnd(r, 6)] | 0700);
			if (!ret)
				ret = set_attrs(path, r, false);
			if (!ret)
				ret = gen_dir(path, depth + 1, bottom, r, &sub_x);
			/* opaque sometimes, unless it is marked for xwhiteouts */
			if (!ret && !sub_x && rnd(r, 5) == 0 &&
			    setxattr(path, xattr_opaque, "y", 1, 0))
				ret = -errno;
		} else if (what < 88) {
			if (symlink(rnd(r, 2) ? "a" : "../nowhere", path))
				ret = -errno;
		} else if (what < 94 || bottom) {
			if (mknod(path, S_IFCHR | 0600, makedev(0, 0)))
				ret = -errno;
		} else {
			ret = lu_write_file(path, 0644, "", 0);
			if (!ret && setxattr(path, xattr_whiteout, "", 0, 0))
				ret = -errno;
			*marked_x = true;
		}
	}
	if (!ret && *marked_x && setxattr(dir, xattr_opaque, "x", 1, 0))
		ret = -errno;
	return ret;
}

/* What a real entry is to the union. */
enum kind { K_NONE, K_WHITEOUT, K_DIR, K_OTHER };

static enum kind kind_of(const char *path, struct stat *st)
{
	if (lstat(path, st))
		return K_NONE;
	if (S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0))
		return K_WHITEOUT;
	if (S_ISREG(st->st_mode) && st->st_size == 0 &&
	    getxattr(path, xattr_whiteout, NULL, 0) >= 0)
		return K_WHITEOUT;
	return S_ISDIR(st->st_mode) ? K_DIR : K_OTHER;
}

static bool is_opaque(const char *dir)
{
	char v;

	return getxattr(dir, xattr_opaque, &v, 1) == 1 && v == 'y';
}

static int copy_xattrs(const char *src, const char *dst)
{
	char val[64];
	ssize_t n;

	n = lgetxattr(src, "user.model", val, sizeof(val));
	if (n >= 0 && lsetxattr(dst, "user.model", val, n, 0))
		return -errno;
	return 0;
}

/* Copies one non-directory (or makes a directory) as the union shows it. */
static int materialize(const char *src, const struct stat *st, const char *dst)
{
	char target[LU_PATH_MAX];
	ssize_t n;
	int ret;

	if (S_ISDIR(st->st_mode)) {
		if (mkdir(dst, 0700))
			return -errno;
	} else if (S_ISLNK(st->st_mode)) {
		n = readlink(src, target, sizeof(target) - 1);
		if (n < 0)
			return -errno;
		target[n] = '\0';
		if (symlink(target, dst))
			return -errno;
	} else if (S_ISREG(st->st_mode)) {
		ret = lu_copy_file(src, dst, st->st_mode & 07777);
		if (ret)
			return ret;
	} else {
		return -EINVAL;
	}
	if (lchown(dst, st->st_uid, st->st_gid))
		return -errno;
	if (!S_ISLNK(st->st_mode) && chmod(dst, st->st_mode & 07777))
		return -errno;
	return copy_xattrs(src, dst);
}

/*
 * The merge. @dirs are the real directories that make up one union
 * directory, topmost first; @out is where it is materialized.
 */
static int merge(char **dirs, int n, const char *out)
{
	char seen[POOL] = { 0 };
	unsigned int i;
	int k, ret = 0;

	for (i = 0; i < POOL && !ret; i++) {
		char *sub[NLAYERS];
		char path[LU_PATH_MAX], dst[LU_PATH_MAX];
		struct stat st, top;
		int m = 0;
		enum kind kind;

		for (k = 0; k < n && !seen[i]; k++) {
			snprintf(path, sizeof(path), "%s/%s", dirs[k], pool[i]);
			kind = kind_of(path, &st);
			if (kind == K_NONE)
				continue;
			seen[i] = 1;
			if (kind == K_WHITEOUT)
				break;
			snprintf(dst, sizeof(dst), "%s/%s", out, pool[i]);
			top = st;
			if (kind == K_OTHER) {
				ret = materialize(path, &st, dst);
				break;
			}
			/* a directory: merge down until something stops it */
			sub[m++] = strdup(path);
			while (!is_opaque(sub[m - 1]) && ++k < n) {
				snprintf(path, sizeof(path), "%s/%s", dirs[k], pool[i]);
				kind = kind_of(path, &st);
				if (kind == K_NONE)
					continue;
				if (kind != K_DIR)
					break;
				sub[m++] = strdup(path);
			}
			ret = materialize(sub[0], &top, dst);
			if (!ret)
				ret = merge(sub, m, dst);
			if (!ret && chmod(dst, top.st_mode & 07777))
				ret = -errno;
			while (m)
				free(sub[--m]);
			break;
		}
	}
	return ret;
}

/*
 * overlay lists the whiteouts of a directory that comes from one real
 * directory only (it reads such a directory straight through), though
 * lookup says ENOENT for them; layerfs does not list them (a deliberate
 * difference, see readdir_test's whiteouts_in_a_directory_from_one_layer).
 * Drops those entries from an overlay tree and counts them.
 */
static int drop_listed_whiteouts(struct lu_tree *t)
{
	size_t i, o = 0;
	int dropped = 0;

	for (i = 0; i < t->n; i++) {
		if (!t->v[i].mode) {
			dropped++;
			continue;
		}
		t->v[o++] = t->v[i];
	}
	t->n = o;
	return dropped;
}

TEST_F_TIMEOUT(model, random_stacks_match_the_reference_merge, 120)
{
	struct lu_scratch *s = &self->s;
	char *roots[NLAYERS], why[4096], flat[LU_PATH_MAX];
	struct lu_tree u, f;
	unsigned int seed, r;
	int l, failed = 0, listed_whiteouts = 0;
	bool marked;

	LU_OVERLAY_NEEDS(variant->fstype, LU_OVL_XWHITEOUT);
	snprintf(xattr_opaque, sizeof(xattr_opaque), "%s", lu_ovl_xattr(s, "opaque"));
	snprintf(xattr_whiteout, sizeof(xattr_whiteout), "%s", lu_ovl_xattr(s, "whiteout"));

	for (seed = 1; seed <= SEEDS; seed++) {
		r = seed;
		for (l = 0; l < NLAYERS; l++) {
			/* fresh layers for every seed */
			roots[l] = strdup(lu_path(s, "seed%u/l%d", seed, l));
			ASSERT_EQ(0, lu_mkdir_p(roots[l], 0755));
			ASSERT_EQ(0, gen_dir(roots[l], 0, l == NLAYERS - 1, &r,
					     &marked));
		}
		snprintf(flat, sizeof(flat), "%s", lu_path(s, "flat%u", seed));
		ASSERT_EQ(0, mkdir(flat, 0755));
		ASSERT_EQ(0, merge(roots, NLAYERS, flat));

		ASSERT_EQ(0, lu_mount_layers_opts(s->fstype, s->mnt,
						  (const char *const *)roots, NLAYERS,
						  s->opts));
		ASSERT_EQ(0, lu_tree_walk(s->mnt, &u)) {
			TH_LOG("seed %u: %s", seed, u.error);
		}
		ASSERT_EQ(0, lu_tree_walk(flat, &f)) {
			TH_LOG("seed %u: model: %s", seed, f.error);
		}
		if (!variant->layerfs)
			listed_whiteouts += drop_listed_whiteouts(&u);
		if (lu_tree_diff(&u, &f, LU_CMP_NLINK, why, sizeof(why))) {
			TH_LOG("seed %u: union vs model: %s", seed, why);
			failed++;
		}
		lu_tree_free(&u);
		lu_tree_free(&f);
		ASSERT_EQ(0, umount(s->mnt));
		for (l = 0; l < NLAYERS; l++)
			free(roots[l]);
	}
	EXPECT_EQ(0, failed);
	if (!variant->layerfs)
		TH_LOG("overlay listed %d whiteouts of single-layer directories",
		       listed_whiteouts);
}

LU_HARNESS_MAIN
