// SPDX-License-Identifier: GPL-2.0
/*
 * The per-layer name index (module/nameidx.c): lookups skip the lower
 * layers whose directory does not hold the name. Whatever the index does,
 * a union must show exactly what it shows without it, so every test runs
 * on layerfs with the index (the default), on layerfs with nameindex=off
 * and on overlay, with the same layers and the same expectations; only
 * where the index is meant to make a difference (negative dentries left in
 * the lower layers, statistics) do the variants differ.
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

#include "kselftest_harness.h"
#include "harness.h"
#include "ctl.h"
#include "union.h"

#define NLAYERS		5
#define PARAM_DIR	"/sys/module/layerfs/parameters/"

FIXTURE(nameidx) {
	struct lu_scratch s;
	char layerctl[LU_PATH_MAX];
};

FIXTURE_VARIANT(nameidx) {
	const char *fstype;
	bool off;			/* nameindex=off */
	bool indexed;			/* lookups may skip layers */
};

FIXTURE_VARIANT_ADD(nameidx, layerfs) {
	.fstype = "layerfs",
	.indexed = true,
};

FIXTURE_VARIANT_ADD(nameidx, layerfs_nameindex_off) {
	.fstype = "layerfs",
	.off = true,
};

FIXTURE_VARIANT_ADD(nameidx, overlay) {
	.fstype = "overlay",
};

static int write_param(const char *name, unsigned int v)
{
	char path[128], buf[32];
	int fd, n, ret = 0;

	snprintf(path, sizeof(path), PARAM_DIR "%s", name);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	n = snprintf(buf, sizeof(buf), "%u\n", v);
	if (write(fd, buf, n) != n)
		ret = -errno;
	close(fd);
	return ret;
}

FIXTURE_SETUP(nameidx)
{
	const char *l = getenv("LAYERCTL");
	int ret = lu_fs_available(variant->fstype);

	if (ret == -ENODEV)
		SKIP(return, "%s is not available (layerfs: set LAYERFS_KO)",
		     variant->fstype);
	ASSERT_EQ(0, ret);
	/* index every layer dir from its first lookup (default: later) */
	if (!strcmp(variant->fstype, "layerfs"))
		ASSERT_EQ(0, write_param("nameidx_build_after", 0));
	snprintf(self->layerctl, sizeof(self->layerctl), "%s", l ? l : "");
	ASSERT_EQ(0, lu_scratch_init(&self->s, variant->fstype, NLAYERS));
}

FIXTURE_TEARDOWN(nameidx)
{
	lu_scratch_fini(&self->s);
	if (!strcmp(variant->fstype, "layerfs")) {
		write_param("nameidx_hash_bits", 0);
		write_param("nameidx_max_names", 65536);
		write_param("nameidx_build_after", 1);
	}
}

/* Mount @layers (topmost first) on @target, with nameindex=off if asked. */
static int mount_layers(const FIXTURE_VARIANT(nameidx) *variant,
			const char *target, char *const *layers, int n)
{
	char esc[LU_PATH_MAX * 2];
	size_t len = 64, o;
	char *data;
	int i, ret;

	for (i = 0; i < n; i++)
		len += 2 * strlen(layers[i]) + 1;
	data = malloc(len);
	if (!data)
		return -ENOMEM;
	o = sprintf(data, "lowerdir=");
	for (i = 0; i < n; i++)
		o += sprintf(data + o, "%s%s", i ? ":" : "",
			     lu_escape_layer(layers[i], esc, sizeof(esc)));
	if (variant->off)
		sprintf(data + o, ",nameindex=off");
	ret = lu_mount_data(variant->fstype, target, 0, data);
	free(data);
	return ret;
}

static int mount_scratch(const FIXTURE_VARIANT(nameidx) *variant,
			 struct lu_scratch *s)
{
	char *layers[NLAYERS];
	int i, ret;

	for (i = 0; i < s->nlayers; i++)
		layers[i] = strdup(lu_lpath(s, i, NULL));
	ret = mount_layers(variant, s->mnt, layers, s->nlayers);
	for (i = 0; i < s->nlayers; i++)
		free(layers[i]);
	if (!ret)
		s->mounted = true;
	return ret;
}

/* A counter of "@layerctl stats --json MNT", or -1. */
static long long layerctl_counter(const char *layerctl, const char *mnt,
				  const char *key)
{
	char cmd[LU_PATH_MAX * 3], out[8192], pat[64], *p;
	size_t n;
	FILE *f;

	if (!*layerctl)
		return -1;
	snprintf(cmd, sizeof(cmd), "%s stats --json %s", layerctl, mnt);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = '\0';
	if (pclose(f))
		return -1;
	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = strstr(out, pat);
	if (!p)
		return -1;
	return strtoll(p + strlen(pat), NULL, 10);
}

static long long stat_counter(FIXTURE_DATA(nameidx) *self, const char *mnt,
			      const char *key)
{
	return layerctl_counter(self->layerctl, mnt, key);
}

TEST_F(nameidx, mountinfo_shows_nameindex_off)
{
	char opts[4096];

	ASSERT_EQ(0, mount_scratch(variant, &self->s));
	ASSERT_EQ(0, lu_mountinfo_opts(self->s.mnt, opts, sizeof(opts)));
	EXPECT_EQ(variant->off, lu_has_option(opts, "nameindex", "off"));
	EXPECT_EQ(NULL, strstr(opts, "nameindex=on"));
}

/*
 * Names added offline to any layer after the index of that layer's
 * directory was built are found: the real directory's stamp (mtime, ctime,
 * size, i_version) moved. Each change follows the lookup that validated
 * the index immediately, within the same timestamp tick.
 */
TEST_F(nameidx, names_added_offline_are_found)
{
	struct lu_scratch *s = &self->s;
	char name[64], probe[64];
	long long skips, bytes;
	int layer, i;

	for (layer = 0; layer < NLAYERS; layer++)
		ASSERT_EQ(0, lu_file(s, layer, "d/base", 0644, "base"));
	ASSERT_EQ(0, lu_file(s, NLAYERS - 1, "d/old", 0644, "old"));
	ASSERT_EQ(0, mount_scratch(variant, s));
	EXPECT_STREQ("base", lu_cat(lu_mpath(s, "d/base")));

	for (i = 0; i < 40; i++) {
		layer = i % NLAYERS;
		/* a miss: builds or validates the index of every layer */
		snprintf(probe, sizeof(probe), "d/probe%d", i);
		EXPECT_EQ(-ENOENT, lu_ftype(lu_mpath(s, probe)));

		snprintf(name, sizeof(name), "d/new%d", i);
		if (i % 2) {
			ASSERT_EQ(0, lu_file(s, layer, name, 0644, "new"));
		} else {
			/* a rename keeps size and maybe the times */
			char from[LU_PATH_MAX];

			ASSERT_EQ(0, lu_file(s, layer, "d/tmp", 0644, "new"));
			snprintf(from, sizeof(from), "%s",
				 lu_lpath(s, layer, "d/tmp"));
			ASSERT_EQ(0, rename(from, lu_lpath(s, layer, name)));
		}
		EXPECT_STREQ("new", lu_cat(lu_mpath(s, name)));
		/* a directory added offline, and a name below it */
		snprintf(name, sizeof(name), "d/sub%d/f", i);
		ASSERT_EQ(0, lu_file(s, layer, name, 0644, "sub"));
		EXPECT_STREQ("sub", lu_cat(lu_mpath(s, name)));
	}
	EXPECT_STREQ("old", lu_cat(lu_mpath(s, "d/old")));

	/* the index was used, holds memory, and drop_caches frees it */
	if (strcmp(variant->fstype, "layerfs"))
		return;
	skips = stat_counter(self, s->mnt, "nameidx_skips");
	if (skips < 0)
		SKIP(return, "layerctl stats unavailable (LAYERCTL)");
	if (!variant->indexed) {
		EXPECT_EQ(0, skips);
		EXPECT_EQ(0, stat_counter(self, s->mnt, "nameidx_builds"));
		return;
	}
	EXPECT_LT(0, skips);
	EXPECT_LT(0, stat_counter(self, s->mnt, "nameidx_builds"));
	bytes = stat_counter(self, s->mnt, "nameidx_bytes");
	EXPECT_LT(0, bytes);
	/* d's indexes go with its inode; the pinned root keeps its own */
	ASSERT_EQ(0, lu_drop_caches(2));
	EXPECT_GT(bytes, stat_counter(self, s->mnt, "nameidx_bytes"));
	EXPECT_STREQ("old", lu_cat(lu_mpath(s, "d/old")));
}

/* Names removed offline: the next layer down holding them shows. */
TEST_F(nameidx, names_removed_offline_uncover_lower_ones)
{
	struct lu_scratch *s = &self->s;
	char name[64];
	int layer;

	for (layer = 0; layer < NLAYERS; layer++) {
		snprintf(name, sizeof(name), "layer%d", layer);
		ASSERT_EQ(0, lu_file(s, layer, "d/x", 0644, name));
		ASSERT_EQ(0, lu_file(s, layer, "d/y", 0644, name));
	}
	ASSERT_EQ(0, mount_scratch(variant, s));
	EXPECT_STREQ("layer0", lu_cat(lu_mpath(s, "d/x")));
	EXPECT_EQ(-ENOENT, lu_ftype(lu_mpath(s, "d/none")));

	/* y was never looked up: remove it from all layers but the last */
	for (layer = 0; layer < NLAYERS - 1; layer++)
		ASSERT_EQ(0, unlink(lu_lpath(s, layer, "d/y")));
	EXPECT_STREQ("layer4", lu_cat(lu_mpath(s, "d/y")));
	EXPECT_STREQ("x y", lu_names(lu_mpath(s, "d")));
}

/*
 * A whiteout or an opaque directory at every depth hides what is below
 * it and nothing above; the names around it resolve as without index.
 */
TEST_F(nameidx, whiteouts_and_opaque_dirs_at_every_depth)
{
	struct lu_scratch *s = &self->s;
	char name[64], want[64];
	int k, layer;

	LU_OVERLAY_NEEDS(variant->fstype, LU_OVL_XWHITEOUT);

	for (k = 0; k < NLAYERS - 1; k++) {
		/* wN: files in all layers, a whiteout in layer k */
		for (layer = 0; layer < NLAYERS; layer++) {
			snprintf(name, sizeof(name), "d/w%d", k);
			snprintf(want, sizeof(want), "layer%d", layer);
			if (layer == k) {
				ASSERT_EQ(0, lu_whiteout(s, layer, name));
			} else if (layer > k) {
				ASSERT_EQ(0, lu_file(s, layer, name, 0644, want));
			}
		}
		/* oN: a dir in all layers, opaque in layer k */
		for (layer = 0; layer < NLAYERS; layer++) {
			snprintf(name, sizeof(name), "d/o%d/f%d", k, layer);
			ASSERT_EQ(0, lu_file(s, layer, name, 0644, "f"));
		}
		snprintf(name, sizeof(name), "d/o%d", k);
		ASSERT_EQ(0, lu_opaque(s, k, name));
		/* xN: an xattr whiteout in layer k (as lookup_test: not 0) */
		snprintf(name, sizeof(name), "d/x%d/gone", k);
		ASSERT_EQ(0, lu_file(s, NLAYERS - 1, name, 0644, "gone"));
		ASSERT_EQ(0, lu_xwhiteout(s, k ? k : 1, name));
		snprintf(name, sizeof(name), "d/x%d/kept", k);
		ASSERT_EQ(0, lu_file(s, NLAYERS - 1, name, 0644, "kept"));
	}
	ASSERT_EQ(0, mount_scratch(variant, s));

	for (k = 0; k < NLAYERS - 1; k++) {
		snprintf(name, sizeof(name), "d/w%d", k);
		EXPECT_EQ(-ENOENT, lu_ftype(lu_mpath(s, name)));
		snprintf(name, sizeof(name), "d/o%d", k);
		snprintf(want, sizeof(want), "f%d", k);
		if (k) {
			/* layers above k hold f0..f(k-1) too */
			int j;

			want[0] = '\0';
			for (j = 0; j <= k; j++)
				snprintf(want + strlen(want),
					 sizeof(want) - strlen(want), "%sf%d",
					 j ? " " : "", j);
		}
		EXPECT_STREQ(want, lu_names(lu_mpath(s, name)));
		snprintf(name, sizeof(name), "d/o%d/f%d", k, k + 1);
		EXPECT_EQ(-ENOENT, lu_ftype(lu_mpath(s, name)));
		snprintf(name, sizeof(name), "d/x%d/gone", k);
		EXPECT_EQ(-ENOENT, lu_ftype(lu_mpath(s, name)));
		snprintf(name, sizeof(name), "d/x%d/kept", k);
		EXPECT_STREQ("kept", lu_cat(lu_mpath(s, name)));
	}
}

/*
 * With name hashes cut to one bit every name collides with half the
 * others; names that only differ in their last byte, or in length, must
 * still be told apart.
 */
TEST_F(nameidx, hash_collisions_are_told_apart)
{
	struct lu_scratch *s = &self->s;
	char name[64];
	int i;

	if (!strcmp(variant->fstype, "layerfs"))
		ASSERT_EQ(0, write_param("nameidx_hash_bits", 1));
	for (i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "d/n%03d", i);
		/* even names in layer 1, odd ones in layer 3 */
		ASSERT_EQ(0, lu_file(s, i % 2 ? 3 : 1, name, 0644,
				     i % 2 ? "odd" : "even"));
	}
	ASSERT_EQ(0, lu_mkdir(s, 0, "d", 0755));
	ASSERT_EQ(0, lu_mkdir(s, 2, "d", 0755));
	ASSERT_EQ(0, lu_mkdir(s, 4, "d", 0755));
	ASSERT_EQ(0, mount_scratch(variant, s));

	for (i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "d/n%03d", i);
		EXPECT_STREQ(i % 2 ? "odd" : "even", lu_cat(lu_mpath(s, name)));
		snprintf(name, sizeof(name), "d/n%03dx", i);
		EXPECT_EQ(-ENOENT, lu_ftype(lu_mpath(s, name)));
		snprintf(name, sizeof(name), "d/n%02d", i % 100);
		EXPECT_EQ(-ENOENT, lu_ftype(lu_mpath(s, name)));
	}
	snprintf(name, sizeof(name), "%s", lu_names(lu_mpath(s, "d")));
	EXPECT_EQ(0, strncmp(name, "n000 n001 n002", 14));
}

static int fill_dir(struct lu_scratch *s, int layer, const char *dir, int n)
{
	char path[LU_PATH_MAX + 32];
	int i, fd, ret;

	ret = lu_mkdir(s, layer, dir, 0755);
	if (ret)
		return ret;
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/e%d",
			 lu_lpath(s, layer, dir), i);
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
		if (fd < 0)
			return -errno;
		close(fd);
	}
	return 0;
}

/* Real directories of 0, 1 and 20000 names, in the middle layer. */
TEST_F(nameidx, directories_of_0_1_and_20000_names)
{
	struct lu_scratch *s = &self->s;
	static const int sizes[] = { 0, 1, 20000 };
	char dir[32], name[64];
	unsigned int k;
	int layer;

	for (k = 0; k < 3; k++) {
		snprintf(dir, sizeof(dir), "d%d", sizes[k]);
		ASSERT_EQ(0, fill_dir(s, 2, dir, sizes[k]));
		for (layer = 0; layer < NLAYERS; layer++) {
			if (layer == 2)
				continue;
			snprintf(name, sizeof(name), "%s/only%d", dir, layer);
			ASSERT_EQ(0, lu_file(s, layer, name, 0644, "only"));
		}
	}
	ASSERT_EQ(0, mount_scratch(variant, s));

	for (k = 0; k < 3; k++) {
		snprintf(dir, sizeof(dir), "d%d", sizes[k]);
		for (layer = 0; layer < NLAYERS; layer++) {
			if (layer == 2)
				continue;
			snprintf(name, sizeof(name), "%s/only%d", dir, layer);
			EXPECT_STREQ("only", lu_cat(lu_mpath(s, name)));
		}
		snprintf(name, sizeof(name), "%s/e0", dir);
		EXPECT_EQ(sizes[k] ? S_IFREG : -ENOENT,
			  lu_ftype(lu_mpath(s, name)));
		snprintf(name, sizeof(name), "%s/e%d", dir, sizes[k] - 1);
		EXPECT_EQ(sizes[k] ? S_IFREG : -ENOENT,
			  lu_ftype(lu_mpath(s, name)));
		snprintf(name, sizeof(name), "%s/e%d", dir, sizes[k]);
		EXPECT_EQ(-ENOENT, lu_ftype(lu_mpath(s, name)));
		snprintf(name, sizeof(name), "%s/e", dir);
		EXPECT_EQ(-ENOENT, lu_ftype(lu_mpath(s, name)));
	}
}

/*
 * A directory over the index's cap (nameidx_max_names, lowered here) is
 * not indexed: lookups in that layer fall back to real lookups and still
 * find everything.
 */
TEST_F(nameidx, directory_over_the_cap_falls_back)
{
	struct lu_scratch *s = &self->s;
	char name[64];
	long long fallbacks;
	int i;

	if (!strcmp(variant->fstype, "layerfs"))
		ASSERT_EQ(0, write_param("nameidx_max_names", 100));
	ASSERT_EQ(0, fill_dir(s, 1, "big", 150));
	ASSERT_EQ(0, lu_file(s, 3, "big/bottom", 0644, "bottom"));
	ASSERT_EQ(0, lu_mkdir(s, 2, "big", 0755));
	ASSERT_EQ(0, mount_scratch(variant, s));

	for (i = 0; i < 150; i += 7) {
		snprintf(name, sizeof(name), "big/e%d", i);
		EXPECT_EQ(S_IFREG, lu_ftype(lu_mpath(s, name)));
	}
	EXPECT_STREQ("bottom", lu_cat(lu_mpath(s, "big/bottom")));
	EXPECT_EQ(-ENOENT, lu_ftype(lu_mpath(s, "big/e150")));

	/* a later name in the big layer is found too */
	ASSERT_EQ(0, lu_file(s, 1, "big/later", 0644, "later"));
	EXPECT_STREQ("later", lu_cat(lu_mpath(s, "big/later")));

	if (strcmp(variant->fstype, "layerfs"))
		return;
	fallbacks = stat_counter(self, s->mnt, "nameidx_fallbacks");
	if (fallbacks < 0)
		SKIP(return, "layerctl stats unavailable (LAYERCTL)");
	if (variant->indexed) {
		EXPECT_LE(1, fallbacks);
	} else {
		EXPECT_EQ(0, fallbacks);
	}
}

/*
 * Once every layer of a directory is indexed, its merged map answers
 * lookups: a missing name without asking any layer, a present one from
 * the first layer that holds it. Changes to any layer of the union show
 * at once all the same: added names, removed ones, whiteouts and opaque
 * directories, each right after the map answered.
 */
TEST_F(nameidx, merged_map_follows_changes_in_every_layer)
{
	struct lu_scratch *s = &self->s;
	char rel[64], want[64];
	int layer;

	for (layer = 0; layer < NLAYERS; layer++) {
		snprintf(rel, sizeof(rel), "d/own%d", layer);
		ASSERT_EQ(0, lu_file(s, layer, rel, 0644, rel + 2));
		ASSERT_EQ(0, lu_file(s, layer, "d/all", 0644, rel + 2));
	}
	ASSERT_EQ(0, lu_file(s, NLAYERS - 1, "d/sub/deep", 0644, "deep"));
	ASSERT_EQ(0, mount_scratch(variant, s));

	/* the first lookups index every layer and merge them */
	EXPECT_EQ(-ENOENT, lu_ftype(lu_mpath(s, "d/none")));
	EXPECT_EQ(-ENOENT, lu_ftype(lu_mpath(s, "d/none2")));
	EXPECT_STREQ("own0", lu_cat(lu_mpath(s, "d/all")));
	snprintf(rel, sizeof(rel), "d/own%d", NLAYERS - 1);
	snprintf(want, sizeof(want), "own%d", NLAYERS - 1);
	EXPECT_STREQ(want, lu_cat(lu_mpath(s, rel)));

	for (layer = NLAYERS - 1; layer >= 0; layer--) {
		/* a name added to the layer, after a miss the map answered */
		snprintf(rel, sizeof(rel), "d/none%d", layer);
		EXPECT_EQ(-ENOENT, lu_ftype(lu_mpath(s, rel)));
		snprintf(rel, sizeof(rel), "d/late%d", layer);
		ASSERT_EQ(0, lu_file(s, layer, rel, 0644, "late"));
		EXPECT_STREQ("late", lu_cat(lu_mpath(s, rel)));
	}
	/*
	 * Removed from the top: the next layer's shows (once the union's
	 * dentry of the name is gone: overlay keeps it as well).
	 */
	EXPECT_STREQ("own0", lu_cat(lu_mpath(s, "d/all")));
	ASSERT_EQ(0, unlink(lu_lpath(s, 0, "d/all")));
	ASSERT_EQ(0, lu_drop_caches(2));
	EXPECT_STREQ("own1", lu_cat(lu_mpath(s, "d/all")));
	/* a whiteout in layer 1 hides the layers below */
	ASSERT_EQ(0, unlink(lu_lpath(s, 1, "d/all")));
	ASSERT_EQ(0, lu_whiteout(s, 1, "d/all"));
	ASSERT_EQ(0, lu_drop_caches(2));
	EXPECT_EQ(-ENOENT, lu_ftype(lu_mpath(s, "d/all")));
	/* an opaque directory in layer 0 hides what is below it */
	EXPECT_STREQ("deep", lu_cat(lu_mpath(s, "d/sub/deep")));
	ASSERT_EQ(0, lu_mkdir(s, 0, "d/sub", 0755));
	ASSERT_EQ(0, lu_opaque(s, 0, "d/sub"));
	ASSERT_EQ(0, lu_drop_caches(2));
	EXPECT_EQ(-ENOENT, lu_ftype(lu_mpath(s, "d/sub/deep")));

	if (strcmp(variant->fstype, "layerfs"))
		return;
	if (stat_counter(self, s->mnt, "nameidx_merged") < 0)
		SKIP(return, "layerctl stats unavailable (LAYERCTL)");
	if (!variant->indexed) {
		EXPECT_EQ(0, stat_counter(self, s->mnt, "nameidx_merged"));
		EXPECT_EQ(0, stat_counter(self, s->mnt, "nameidx_merged_hits"));
		return;
	}
	/* merged again after each change, and used */
	EXPECT_LE(NLAYERS, stat_counter(self, s->mnt, "nameidx_merged"));
	EXPECT_LE(NLAYERS, stat_counter(self, s->mnt, "nameidx_merged_hits"));
}

/* One lower layer in two mounts with different layers above it. */
TEST_F(nameidx, layer_shared_by_two_mounts)
{
	struct lu_scratch *s = &self->s;
	char mnt2[LU_PATH_MAX], *a[2], *b[3];

	ASSERT_EQ(0, lu_file(s, 0, "d/top0", 0644, "a"));
	ASSERT_EQ(0, lu_file(s, 1, "d/top1", 0644, "b"));
	ASSERT_EQ(0, lu_file(s, 1, "d/shared", 0644, "b"));
	ASSERT_EQ(0, lu_file(s, 2, "d/shared", 0644, "shared"));
	ASSERT_EQ(0, lu_file(s, 2, "d/only", 0644, "only"));
	ASSERT_EQ(0, lu_mkdir(s, 3, "d", 0755));
	a[0] = strdup(lu_lpath(s, 0, NULL));
	a[1] = strdup(lu_lpath(s, 2, NULL));
	b[0] = strdup(lu_lpath(s, 1, NULL));
	b[1] = strdup(lu_lpath(s, 3, NULL));
	b[2] = strdup(lu_lpath(s, 2, NULL));
	snprintf(mnt2, sizeof(mnt2), "%s", lu_path(s, "mnt2"));
	ASSERT_EQ(0, mkdir(mnt2, 0755));
	ASSERT_EQ(0, mount_layers(variant, s->mnt, a, 2));
	s->mounted = true;
	ASSERT_EQ(0, mount_layers(variant, mnt2, b, 3));

	EXPECT_STREQ("shared", lu_cat(lu_mpath(s, "d/shared")));
	EXPECT_STREQ("only", lu_cat(lu_mpath(s, "d/only")));
	EXPECT_EQ(-ENOENT, lu_ftype(lu_mpath(s, "d/top1")));
	EXPECT_STREQ("b", lu_cat(lu_path(s, "mnt2/d/shared")));
	EXPECT_STREQ("only", lu_cat(lu_path(s, "mnt2/d/only")));
	EXPECT_EQ(-ENOENT, lu_ftype(lu_path(s, "mnt2/d/top0")));

	/* the shared layer changes offline: both see it */
	ASSERT_EQ(0, lu_file(s, 2, "d/added", 0644, "added"));
	EXPECT_STREQ("added", lu_cat(lu_mpath(s, "d/added")));
	EXPECT_STREQ("added", lu_cat(lu_path(s, "mnt2/d/added")));
	EXPECT_EQ(0, umount2(mnt2, MNT_DETACH));
	free(a[0]);
	free(a[1]);
	free(b[0]);
	free(b[1]);
	free(b[2]);
}

static long negative_dentries(void)
{
	long v[5] = { 0 };
	FILE *f = fopen("/proc/sys/fs/dentry-state", "r");

	if (!f)
		return -1;
	if (fscanf(f, "%ld %ld %ld %ld %ld", &v[0], &v[1], &v[2], &v[3],
		   &v[4]) != 5)
		v[4] = -1;
	fclose(f);
	return v[4];
}

/*
 * A missing name through 128 layers: with the index no real lookup
 * reaches the lower layers, so no negative dentry is left in them (but
 * for the few lookups before a layer directory is indexed).
 * Needs layers on a filesystem that keeps negative dentries (ext4:
 * tmpfs drops them at once).
 */
#define DEEP	128
#define MISSES	100

TEST_F(nameidx, missing_names_leave_no_negative_dentries)
{
	const char *disk = getenv("LAYERFS_SCRATCH_EXT4");
	char base[LU_PATH_MAX], mnt[LU_PATH_MAX + 8], path[LU_PATH_MAX * 2];
	char *layers[DEEP];
	long before, after;
	struct stat st;
	int i, fd;

	if (!disk || !*disk)
		SKIP(return, "no ext4 scratch disk (vm-run --disk ext4)");
	/* the default: a 4 KiB ext4 dir is indexed after 5 real lookups */
	if (!strcmp(variant->fstype, "layerfs"))
		ASSERT_EQ(0, write_param("nameidx_build_after", 1));
	snprintf(base, sizeof(base), "%s/nameidx.XXXXXX", disk);
	ASSERT_NE(NULL, mkdtemp(base));
	snprintf(mnt, sizeof(mnt), "%s/mnt", base);
	ASSERT_EQ(0, mkdir(mnt, 0755));
	for (i = 0; i < DEEP; i++) {
		snprintf(path, sizeof(path), "%s/l%d/d", base, i);
		ASSERT_EQ(0, lu_mkdir_p(path, 0755));
		/* relative: 128 absolute names overflow mount(2)'s page */
		snprintf(path, sizeof(path), "l%d", i);
		layers[i] = strdup(path);
	}
	snprintf(path, sizeof(path), "%s/l%d/d/bottom", base, DEEP - 1);
	fd = open(path, O_WRONLY | O_CREAT, 0644);
	ASSERT_LE(0, fd);
	close(fd);
	ASSERT_EQ(0, chdir(base));
	ASSERT_EQ(0, mount_layers(variant, mnt, layers, DEEP));

	/* index builds and the bottom file first */
	snprintf(path, sizeof(path), "%s/d/bottom", mnt);
	ASSERT_EQ(0, stat(path, &st));
	before = negative_dentries();
	ASSERT_LE(0, before);
	for (i = 0; i < MISSES; i++) {
		snprintf(path, sizeof(path), "%s/d/missing%d", mnt, i);
		EXPECT_EQ(-1, stat(path, &st));
		EXPECT_EQ(ENOENT, errno);
	}
	after = negative_dentries();
	TH_LOG("%s%s: %ld negative dentries for %d misses through %d layers",
	       variant->fstype, variant->off ? " nameindex=off" : "",
	       after - before, MISSES, DEEP);
	if (variant->indexed) {
		/* the union's own, and the first lookups' before the build */
		EXPECT_GT(MISSES + 6 * DEEP, after - before);
	} else {
		EXPECT_LE(MISSES * DEEP / 2, after - before);
	}

	/* a name added offline to a middle ext4 layer afterwards shows */
	snprintf(path, sizeof(path), "%s/l%d/d/late", base, DEEP / 2);
	fd = open(path, O_WRONLY | O_CREAT, 0644);
	ASSERT_LE(0, fd);
	close(fd);
	snprintf(path, sizeof(path), "%s/d/late", mnt);
	EXPECT_EQ(0, stat(path, &st));

	EXPECT_EQ(0, umount2(mnt, MNT_DETACH));
	for (i = 0; i < DEEP; i++)
		free(layers[i]);
	snprintf(path, sizeof(path), "rm -rf '%s'", base);
	EXPECT_EQ(0, system(path));
}

/*
 * Registered layers: their indexes belong to the registry entry, so a
 * second mount of the same image (or a container on it) starts with the
 * index the first one built. layerfs only: overlay has no registry.
 */
FIXTURE(nameidx_reg) {
	struct lu_scratch s;
	char layerctl[LU_PATH_MAX];
	char mnt2[LU_PATH_MAX];
	char names[NLAYERS][48];
	int dev;
	int registered;
};

FIXTURE_SETUP(nameidx_reg)
{
	const char *l = getenv("LAYERCTL");
	int ret = lu_fs_available("layerfs");

	self->dev = -1;
	if (ret == -ENODEV)
		SKIP(return, "layerfs is not available (set LAYERFS_KO)");
	ASSERT_EQ(0, ret);
	ASSERT_EQ(0, write_param("nameidx_build_after", 0));
	snprintf(self->layerctl, sizeof(self->layerctl), "%s", l ? l : "");
	ASSERT_EQ(0, lu_scratch_init(&self->s, "layerfs", NLAYERS));
	snprintf(self->mnt2, sizeof(self->mnt2), "%s", lu_path(&self->s, "mnt2"));
	ASSERT_EQ(0, mkdir(self->mnt2, 0755));
	self->dev = open(LAYERFS_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->dev);
}

FIXTURE_TEARDOWN(nameidx_reg)
{
	int i;

	umount2(self->mnt2, MNT_DETACH);
	lu_scratch_fini(&self->s);
	/* top first: a layer with children is busy */
	for (i = 0; i < self->registered; i++)
		lfs_del_layer(self->dev, self->names[i]);
	if (self->dev >= 0)
		close(self->dev);
	write_param("nameidx_build_after", 1);
}

/* Register the scratch layers, bottom first; the top's name is returned. */
static const char *register_scratch(FIXTURE_DATA(nameidx_reg) *self)
{
	struct lu_scratch *s = &self->s;
	int i;

	for (i = s->nlayers - 1; i >= 0; i--) {
		snprintf(self->names[i], sizeof(self->names[i]),
			 "nameidx-%d-%d", getpid(), i);
		if (lfs_add_layer(self->dev, self->names[i],
				  i < s->nlayers - 1 ? self->names[i + 1] : NULL,
				  lu_lpath(s, i, NULL)))
			return NULL;
		self->registered = s->nlayers - i;
	}
	return self->names[0];
}

static int mount_image(const char *top, const char *target)
{
	char data[128];

	snprintf(data, sizeof(data), "layer=%s", top);
	return lu_mount_data("layerfs", target, 0, data);
}

TEST_F(nameidx_reg, a_second_mount_of_an_image_uses_the_index_of_the_first)
{
	struct lu_scratch *s = &self->s;
	char path[LU_PATH_MAX * 2];
	const char *top;
	int layer;

	for (layer = 0; layer < NLAYERS; layer++) {
		snprintf(path, sizeof(path), "d/own%d", layer);
		ASSERT_EQ(0, lu_file(s, layer, path, 0644, "own"));
	}
	ASSERT_EQ(0, lu_file(s, NLAYERS - 1, "d/bottom", 0644, "bottom"));
	top = register_scratch(self);
	ASSERT_NE(NULL, top);
	ASSERT_EQ(0, mount_image(top, s->mnt));
	s->mounted = true;

	/* the first mount indexes the root and d in every layer */
	EXPECT_EQ(-ENOENT, lu_ftype(lu_mpath(s, "d/missing")));
	EXPECT_STREQ("bottom", lu_cat(lu_mpath(s, "d/bottom")));
	if (layerctl_counter(self->layerctl, s->mnt, "nameidx_builds") < 0)
		SKIP(return, "layerctl stats unavailable (LAYERCTL)");
	EXPECT_LE(NLAYERS, layerctl_counter(self->layerctl, s->mnt, "nameidx_builds"));

	/*
	 * The second builds nothing: d's merged map (made of the indexes
	 * of all its layers) is the first mount's, and answers at once.
	 */
	ASSERT_EQ(0, mount_image(top, self->mnt2));
	snprintf(path, sizeof(path), "%s/d/missing", self->mnt2);
	EXPECT_EQ(-ENOENT, lu_ftype(path));
	snprintf(path, sizeof(path), "%s/d/bottom", self->mnt2);
	EXPECT_STREQ("bottom", lu_cat(path));
	EXPECT_EQ(0, layerctl_counter(self->layerctl, self->mnt2, "nameidx_builds"));
	EXPECT_LE(1, layerctl_counter(self->layerctl, self->mnt2, "nameidx_merged_shared"));
	EXPECT_LT(0, layerctl_counter(self->layerctl, self->mnt2, "nameidx_merged_hits"));

	/* a change to the shared layer shows in both */
	ASSERT_EQ(0, lu_file(s, NLAYERS - 1, "d/late", 0644, "late"));
	EXPECT_STREQ("late", lu_cat(lu_mpath(s, "d/late")));
	snprintf(path, sizeof(path), "%s/d/late", self->mnt2);
	EXPECT_STREQ("late", lu_cat(path));
	/* the second mount's first look after the change: the map is old */
	ASSERT_EQ(0, lu_file(s, NLAYERS - 1, "d/late2", 0644, "late2"));
	snprintf(path, sizeof(path), "%s/d/late2", self->mnt2);
	EXPECT_STREQ("late2", lu_cat(path));
	EXPECT_STREQ("late2", lu_cat(lu_mpath(s, "d/late2")));
	/* and a name gone from a middle layer is gone from both */
	snprintf(path, sizeof(path), "d/own%d", NLAYERS / 2);
	ASSERT_EQ(0, unlink(lu_lpath(s, NLAYERS / 2, path)));
	EXPECT_EQ(-ENOENT, lu_ftype(lu_mpath(s, path)));
	snprintf(path, sizeof(path), "%s/d/own%d", self->mnt2, NLAYERS / 2);
	EXPECT_EQ(-ENOENT, lu_ftype(path));
	snprintf(path, sizeof(path), "%s/d/own%d", self->mnt2, NLAYERS / 2 + 1);
	EXPECT_STREQ("own", lu_cat(path));

	EXPECT_EQ(0, umount(self->mnt2));
}

/*
 * The index is the layers', not the mounts': after the last mount of the
 * image is gone, a new one finds it in the registry (until the shrinker
 * or DEL_LAYER frees it).
 */
TEST_F(nameidx_reg, the_index_outlives_the_mounts_of_its_layers)
{
	struct lu_scratch *s = &self->s;
	char path[LU_PATH_MAX * 2];
	long long builds;
	const char *top;

	ASSERT_EQ(0, lu_file(s, NLAYERS - 1, "d/bottom", 0644, "bottom"));
	ASSERT_EQ(0, lu_file(s, 0, "d/top", 0644, "top"));
	top = register_scratch(self);
	ASSERT_NE(NULL, top);
	ASSERT_EQ(0, mount_image(top, s->mnt));
	s->mounted = true;
	EXPECT_EQ(-ENOENT, lu_ftype(lu_mpath(s, "d/missing")));
	EXPECT_STREQ("bottom", lu_cat(lu_mpath(s, "d/bottom")));
	builds = layerctl_counter(self->layerctl, s->mnt, "nameidx_builds");
	if (builds < 0)
		SKIP(return, "layerctl stats unavailable (LAYERCTL)");
	/* the root in every layer, d in the two that have it */
	EXPECT_EQ(NLAYERS + 2, builds);
	ASSERT_EQ(0, lu_umount(s));

	/* no mount of the image now; a new one builds nothing */
	ASSERT_EQ(0, mount_image(top, self->mnt2));
	snprintf(path, sizeof(path), "%s/d/missing2", self->mnt2);
	EXPECT_EQ(-ENOENT, lu_ftype(path));
	snprintf(path, sizeof(path), "%s/d/top", self->mnt2);
	EXPECT_STREQ("top", lu_cat(path));
	snprintf(path, sizeof(path), "%s/d/bottom", self->mnt2);
	EXPECT_STREQ("bottom", lu_cat(path));
	EXPECT_EQ(0, layerctl_counter(self->layerctl, self->mnt2, "nameidx_builds"));
	/* the merged maps of the root and of d, unused since the umount */
	EXPECT_EQ(2, layerctl_counter(self->layerctl, self->mnt2, "nameidx_merged_shared"));
	EXPECT_EQ(0, umount(self->mnt2));
}

/*
 * An unused shared map holds its sets; the shrinker frees it first, then
 * the sets: after a cache drop with no mount of the image, a new mount
 * builds again, and still sees every name.
 */
TEST_F(nameidx_reg, drop_caches_frees_unused_shared_maps_and_their_indexes)
{
	struct lu_scratch *s = &self->s;
	char path[LU_PATH_MAX * 2];
	const char *top;

	ASSERT_EQ(0, lu_file(s, NLAYERS - 1, "d/bottom", 0644, "bottom"));
	ASSERT_EQ(0, lu_file(s, 0, "d/top", 0644, "top"));
	top = register_scratch(self);
	ASSERT_NE(NULL, top);
	ASSERT_EQ(0, mount_image(top, s->mnt));
	s->mounted = true;
	EXPECT_EQ(-ENOENT, lu_ftype(lu_mpath(s, "d/missing")));
	EXPECT_STREQ("bottom", lu_cat(lu_mpath(s, "d/bottom")));
	if (layerctl_counter(self->layerctl, s->mnt, "nameidx_merged") < 0)
		SKIP(return, "layerctl stats unavailable (LAYERCTL)");
	EXPECT_LE(1, layerctl_counter(self->layerctl, s->mnt, "nameidx_merged"));
	ASSERT_EQ(0, lu_umount(s));
	ASSERT_EQ(0, lu_drop_caches(2));
	ASSERT_EQ(0, lu_drop_caches(2));

	ASSERT_EQ(0, mount_image(top, self->mnt2));
	snprintf(path, sizeof(path), "%s/d/missing", self->mnt2);
	EXPECT_EQ(-ENOENT, lu_ftype(path));
	snprintf(path, sizeof(path), "%s/d/top", self->mnt2);
	EXPECT_STREQ("top", lu_cat(path));
	snprintf(path, sizeof(path), "%s/d/bottom", self->mnt2);
	EXPECT_STREQ("bottom", lu_cat(path));
	EXPECT_EQ(0, layerctl_counter(self->layerctl, self->mnt2, "nameidx_merged_shared"));
	EXPECT_EQ(0, layerctl_counter(self->layerctl, self->mnt2, "nameidx_shared"));
	EXPECT_LE(NLAYERS, layerctl_counter(self->layerctl, self->mnt2, "nameidx_builds"));
	EXPECT_EQ(0, umount(self->mnt2));
}

/* lowerdir= mounts of the same directories each have their own indexes. */
TEST_F(nameidx_reg, lowerdir_mounts_do_not_share_indexes)
{
	struct lu_scratch *s = &self->s;
	char path[LU_PATH_MAX * 2], *layers[NLAYERS];
	int i, ret;

	ASSERT_EQ(0, lu_file(s, NLAYERS - 1, "d/bottom", 0644, "bottom"));
	ASSERT_EQ(0, lu_mount(s));
	EXPECT_EQ(-ENOENT, lu_ftype(lu_mpath(s, "d/missing")));
	for (i = 0; i < NLAYERS; i++)
		layers[i] = strdup(lu_lpath(s, i, NULL));
	ret = lu_mount_layers("layerfs", self->mnt2,
			      (const char *const *)layers, NLAYERS);
	for (i = 0; i < NLAYERS; i++)
		free(layers[i]);
	ASSERT_EQ(0, ret);
	snprintf(path, sizeof(path), "%s/d/missing", self->mnt2);
	EXPECT_EQ(-ENOENT, lu_ftype(path));
	snprintf(path, sizeof(path), "%s/d/bottom", self->mnt2);
	EXPECT_STREQ("bottom", lu_cat(path));
	if (layerctl_counter(self->layerctl, self->mnt2, "nameidx_builds") < 0)
		SKIP(return, "layerctl stats unavailable (LAYERCTL)");
	EXPECT_LE(NLAYERS, layerctl_counter(self->layerctl, self->mnt2, "nameidx_builds"));
	EXPECT_EQ(0, layerctl_counter(self->layerctl, self->mnt2, "nameidx_shared"));
	EXPECT_EQ(0, layerctl_counter(self->layerctl, self->mnt2, "nameidx_merged_shared"));
	EXPECT_EQ(0, umount(self->mnt2));
}

LU_HARNESS_MAIN
