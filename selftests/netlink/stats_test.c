// SPDX-License-Identifier: GPL-2.0
/*
 * Statistics over the "layerfs" generic netlink family, read with
 * layerctl (stats --json, mounts --json): counters move exactly as a
 * scripted sequence says, reset zeroes them, the mounts dump lists the
 * mount with its mount point.
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
#include <sys/stat.h>
#include <json-c/json.h>

#include "kselftest_harness.h"
#include "harness.h"
#include "union.h"

#define NLAYERS 8

FIXTURE(stats) {
	struct lu_scratch s;
	char layerctl[LU_PATH_MAX];
};

FIXTURE_SETUP(stats)
{
	const char *l = getenv("LAYERCTL");
	int ret = lu_fs_available("layerfs");

	if (ret == -ENODEV)
		SKIP(return, "layerfs is not available (set LAYERFS_KO)");
	ASSERT_EQ(0, ret);
	if (!l || access(l, X_OK))
		SKIP(return, "layerctl is not built (LAYERCTL)");
	snprintf(self->layerctl, sizeof(self->layerctl), "%s", l);
	ASSERT_EQ(0, lu_scratch_init(&self->s, "layerfs", NLAYERS));
}

FIXTURE_TEARDOWN(stats)
{
	lu_scratch_fini(&self->s);
}

/* Output of "layerctl ARGS" parsed as JSON, or NULL. */
static struct json_object *layerctl_json(FIXTURE_DATA(stats) *self,
					 const char *args)
{
	static char out[1 << 16];
	char cmd[LU_PATH_MAX * 2];
	size_t n;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "%s %s", self->layerctl, args);
	p = popen(cmd, "r");
	if (!p)
		return NULL;
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	if (pclose(p))
		return NULL;
	return json_tokener_parse(out);
}

static long long field(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v))
		return -1;
	return json_object_get_int64(v);
}

static long long depth_count(struct json_object *o, int depth)
{
	struct json_object *d, *v;
	char key[16];

	if (!o || !json_object_object_get_ex(o, "depth", &d))
		return -1;
	snprintf(key, sizeof(key), "%d", depth);
	if (!json_object_object_get_ex(d, key, &v))
		return 0;
	return json_object_get_int64(v);
}

static struct json_object *mount_stats(FIXTURE_DATA(stats) *self)
{
	char args[LU_PATH_MAX + 32];

	snprintf(args, sizeof(args), "stats --json %s", self->s.mnt);
	return layerctl_json(self, args);
}

TEST_F(stats, counters_follow_a_scripted_sequence)
{
	struct lu_scratch *s = &self->s;
	char data[LU_PATH_MAX * (NLAYERS + 4)], name[32];
	struct json_object *j, *m;
	static char mib[1 << 20];
	struct stat st;
	int i, fd, found = 0;
	size_t k;

	/* 50 files in the bottom layer, a whiteout and an opaque dir above */
	for (i = 0; i < 50; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		ASSERT_EQ(0, lu_file(s, NLAYERS - 1, name, 0644, "bottom"));
	}
	ASSERT_EQ(0, lu_file(s, NLAYERS - 1, "gone", 0644, "x"));
	ASSERT_EQ(0, lu_whiteout(s, 2, "gone"));
	ASSERT_EQ(0, lu_file(s, NLAYERS - 1, "opq/hidden", 0644, "x"));
	ASSERT_EQ(0, lu_mkdir(s, 3, "opq", 0755));
	ASSERT_EQ(0, lu_opaque(s, 3, "opq"));
	ASSERT_EQ(0, lu_file_data(s, NLAYERS - 1, "big", 0644, mib, sizeof(mib)));
	ASSERT_EQ(0, lu_file(s, 1, "merged/a", 0644, "a"));
	ASSERT_EQ(0, mkdir(lu_path(s, "u"), 0755));
	ASSERT_EQ(0, mkdir(lu_path(s, "w"), 0755));
	snprintf(data, sizeof(data), "lowerdir=%s", lu_lpath(s, 0, NULL));
	for (i = 1; i < NLAYERS; i++)
		snprintf(data + strlen(data), sizeof(data) - strlen(data), ":%s",
			 lu_lpath(s, i, NULL));
	snprintf(data + strlen(data), sizeof(data) - strlen(data),
		 ",upperdir=%s,workdir=%s", lu_path(s, "u"), lu_path(s, "w"));
	ASSERT_EQ(0, lu_mount_data("layerfs", s->mnt, 0, data));
	s->mounted = true;

	/* the mounts dump has it, with its mount point */
	j = layerctl_json(self, "mounts --json");
	ASSERT_NE(NULL, j);
	for (k = 0; k < json_object_array_length(j); k++) {
		struct json_object *v;

		m = json_object_array_get_idx(j, k);
		if (json_object_object_get_ex(m, "mountpoint", &v) &&
		    !strcmp(json_object_get_string(v), s->mnt)) {
			found++;
			EXPECT_EQ(NLAYERS, field(m, "layer_count"));
		}
	}
	EXPECT_EQ(1, found);
	json_object_put(j);

	/* a clean start */
	j = layerctl_json(self, "stats --reset");
	json_object_put(j);
	j = mount_stats(self);
	ASSERT_NE(NULL, j);
	EXPECT_EQ(0, field(j, "lookups"));
	EXPECT_EQ(0, field(j, "copy_ups"));
	json_object_put(j);

	/* N lookups of bottom-layer files resolve at depth 8 */
	for (i = 0; i < 50; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		ASSERT_EQ(0, stat(lu_mpath(s, name), &st));
	}
	/* 3 negative lookups, one of them stopped by a whiteout */
	EXPECT_EQ(-1, stat(lu_mpath(s, "gone"), &st));
	EXPECT_EQ(-1, stat(lu_mpath(s, "none1"), &st));
	EXPECT_EQ(-1, stat(lu_mpath(s, "none2"), &st));
	/* an opaque dir stops the descent */
	EXPECT_EQ(-1, stat(lu_mpath(s, "opq/hidden"), &st));
	j = mount_stats(self);
	ASSERT_NE(NULL, j);
	EXPECT_EQ(50, depth_count(j, NLAYERS));
	EXPECT_EQ(1, depth_count(j, 4));	/* opq, from l3 */
	EXPECT_EQ(55, field(j, "lookups"));	/* 50 + 3 + opq + hidden */
	EXPECT_EQ(4, field(j, "negative"));
	EXPECT_EQ(1, field(j, "whiteouts_hit"));
	EXPECT_EQ(1, field(j, "opaque_stops"));
	json_object_put(j);

	/* one copy-up of 1 MiB; a whiteout; an EXDEV */
	j = layerctl_json(self, "stats --reset");
	json_object_put(j);
	fd = open(lu_mpath(s, "big"), O_WRONLY);
	ASSERT_LE(0, fd);
	close(fd);
	ASSERT_EQ(0, unlink(lu_mpath(s, "f0")));
	EXPECT_EQ(-1, rename(lu_mpath(s, "merged"), lu_mpath(s, "moved")));
	EXPECT_EQ(EXDEV, errno);
	j = mount_stats(self);
	ASSERT_NE(NULL, j);
	EXPECT_EQ(1, field(j, "copy_ups"));
	EXPECT_EQ(1048576, field(j, "copy_up_bytes"));
	EXPECT_LT(0, field(j, "copy_up_ns"));
	EXPECT_EQ(field(j, "copy_up_ns"), field(j, "copy_up_ns_max"));
	EXPECT_EQ(1, field(j, "whiteouts"));
	EXPECT_EQ(1, field(j, "exdev"));
	EXPECT_EQ(0, field(j, "open_files"));
	json_object_put(j);

	/* open files is a gauge */
	fd = open(lu_mpath(s, "f1"), O_RDONLY);
	ASSERT_LE(0, fd);
	j = mount_stats(self);
	EXPECT_EQ(1, field(j, "open_files"));
	json_object_put(j);
	close(fd);
}

LU_HARNESS_MAIN
