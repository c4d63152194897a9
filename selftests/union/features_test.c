// SPDX-License-Identifier: GPL-2.0
/*
 * overlayfs's feature options (redirect_dir, index, uuid, nfs_export,
 * userxattr, xino, metacopy, verity, default_permissions, datadir+): the
 * mount strings container tools pass mount layerfs as they mount overlay,
 * conflicting combinations fail with overlayfs's errors, and what layerfs
 * does not implement yet is refused with EOPNOTSUPP, never ignored
 * (Documentation/filesystems/layerfs.rst, "Mount options").
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>

#include "kselftest_harness.h"
#include "harness.h"
#include "union.h"

FIXTURE(features) {
	struct lu_scratch s;
	struct lu_rw rw;
};

LU_UNION_VARIANTS(features);

FIXTURE_SETUP(features)
{
	if (!lu_union_setup(_metadata, &self->s, variant->fstype, 2))
		return;
	ASSERT_EQ(0, lu_rw_init(&self->rw, &self->s, NULL));
	ASSERT_EQ(0, lu_file(&self->s, 0, "top", 0644, "top"));
	ASSERT_EQ(0, lu_file(&self->s, 1, "d/bottom", 0644, "bottom"));
}

FIXTURE_TEARDOWN(features)
{
	lu_scratch_fini(&self->s);
	lu_rw_fini(&self->rw);
}

/* Mount the two layers (and upper/work if @rw) with ",@extra". */
static int mount_with(FIXTURE_DATA(features) *self, bool rw, const char *extra)
{
	struct lu_scratch *s = &self->s;
	char data[6 * LU_PATH_MAX];
	int n, ret;

	n = snprintf(data, sizeof(data), "lowerdir=%s:%s", lu_lpath(s, 0, NULL),
		     lu_lpath(s, 1, NULL));
	if (rw)
		n += snprintf(data + n, sizeof(data) - n, ",upperdir=%s,workdir=%s",
			      self->rw.upper, self->rw.work);
	if (*extra)
		snprintf(data + n, sizeof(data) - n, ",%s", extra);
	ret = lu_mount_data(s->fstype, s->mnt, rw ? 0 : MS_RDONLY, data);
	if (!ret)
		s->mounted = true;
	return ret;
}

static void umount_and_reset(FIXTURE_DATA(features) *self)
{
	lu_umount(&self->s);
	lu_rw_reset(&self->rw);
}

/*
 * The option strings of dockerd 20.10's overlay2 driver, containerd 1.6's
 * overlayfs snapshotter and podman 4.3 (without the features layerfs does
 * not have yet): both filesystems mount them and show the same options.
 */
struct accepted {
	const char *opts;
	bool rw;
	const char *shown;	/* an option mountinfo shows, or NULL */
	const char *hidden;	/* one it must not show, or NULL */
};

static const struct accepted accepted[] = {
	/* dockerd's image and container mounts */
	{ "index=off", true, NULL, "index" },
	{ "index=off", false, NULL, "index" },
	/* containerd: index=off, and its volatile for ephemeral snapshots */
	{ "index=off,volatile", true, "volatile", "index" },
	/* rootless dockerd, containerd and podman add userxattr */
	{ "index=off,userxattr", true, "userxattr", "index" },
	{ "userxattr,volatile", true, "userxattr", NULL },
	{ "userxattr", false, "userxattr", NULL },
	{ "nfs_export=off", true, NULL, "nfs_export" },
	{ "metacopy=off", true, NULL, "metacopy" },
	/* podman's with metacopy (storage.conf mountopt), which implies redirects */
	{ "index=off,metacopy=on", true, "metacopy=on", "index" },
	{ "metacopy=on", true, "redirect_dir=on", NULL },
	{ "metacopy=on", false, "metacopy=on", NULL },
	{ "verity=off", true, NULL, "verity" },
	{ "redirect_dir=off", true, NULL, "redirect_dir" },
	{ "redirect_dir=follow", true, NULL, "redirect_dir" },
	{ "redirect_dir=nofollow", true, "redirect_dir=nofollow", NULL },
	{ "redirect_dir=on", true, "redirect_dir=on", NULL },
	{ "default_permissions", true, "default_permissions", NULL },
	{ "uuid=null", true, "uuid=null", NULL },
	{ "uuid=off", true, "uuid=off", NULL },
	/*
	 * Not uuid=auto: on a new upper overlay turns it into uuid=on and
	 * stores a uuid there, which layerfs does not do yet (layerfs.rst).
	 */
	/* one filesystem: xino is not shown */
	{ "xino=auto", true, NULL, "xino" },
	{ "xino=on", true, NULL, "xino" },
	/* the last one wins */
	{ "index=on,index=off", true, NULL, "index" },
	{ "metacopy=on,metacopy=off", true, NULL, "metacopy" },
};

/*
 * Does the kernel's overlayfs take @opts at all? An older one (6.1) has
 * no verity= and no uuid=null: that option string is not tried on it (said in the log),
 * the others are. layerfs takes every one on every kernel.
 */
static bool overlay_has_option(struct __test_metadata *_metadata,
			       const char *fstype, const char *opts)
{
	const char *why = NULL;

	if (strstr(opts, "verity="))
		why = lu_overlay_lacks(fstype, LU_OVL_VERITY);
	else if (strstr(opts, "fsync="))
		why = lu_overlay_lacks(fstype, LU_OVL_FSYNC);
	else if (strstr(opts, "uuid=null") || strstr(opts, "uuid=auto"))
		why = lu_overlay_lacks(fstype, LU_OVL_UUID_NULL);
	if (why)
		TH_LOG("not tried: %s: %s", opts, why);
	return !why;
}

TEST_F(features, container_tools_option_strings_mount_as_on_overlay)
{
	/*
	 * What mountinfo shows is overlayfs 6.12's rule (an option at its
	 * default is hidden, since the fs_context rewrite of Linux 6.5);
	 * an older overlayfs shows some defaults (6.1: redirect_dir=follow),
	 * so there only the mounts and their trees are compared.
	 */
	const char *old = lu_overlay_lacks(variant->fstype, LU_OVL_UUID_NULL);
	char opts[8192];
	unsigned int i;

	if (old)
		TH_LOG("mountinfo not compared: %s", old);
	for (i = 0; i < ARRAY_SIZE(accepted); i++) {
		const struct accepted *a = &accepted[i];

		if (!overlay_has_option(_metadata, variant->fstype, a->opts))
			continue;
		EXPECT_EQ(0, mount_with(self, a->rw, a->opts)) {
			TH_LOG("%s: %s%s", variant->fstype, a->opts,
			       a->rw ? " (with upper)" : "");
			continue;
		}
		EXPECT_STREQ("top", lu_cat(lu_mpath(&self->s, "top")));
		EXPECT_STREQ("bottom", lu_cat(lu_mpath(&self->s, "d/bottom")));
		ASSERT_EQ(0, lu_mountinfo_opts(self->s.mnt, opts, sizeof(opts)));
		if (a->shown && !old)
			EXPECT_NE(NULL, strstr(opts, a->shown)) {
				TH_LOG("%s: %s shows %s", variant->fstype, a->opts, opts);
			}
		if (a->hidden && !old)
			EXPECT_EQ(NULL, strstr(opts, a->hidden)) {
				TH_LOG("%s: %s shows %s", variant->fstype, a->opts, opts);
			}
		umount_and_reset(self);
	}
}

/* Combinations overlayfs refuses: the same error from both. */
static const char *const conflicting[] = {
	"metacopy=on,redirect_dir=nofollow",
	"nfs_export=on,index=off",
	"nfs_export=on,metacopy=on",
	"userxattr,metacopy=on",
	"userxattr,redirect_dir=on",
	"userxattr,verity=on",
	"metacopy=off,verity=on",
	"verity=require,redirect_dir=nofollow",
};

TEST_F(features, conflicting_options_fail_as_on_overlay)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(conflicting); i++)
		EXPECT_EQ(-EINVAL, mount_with(self, true, conflicting[i])) {
			TH_LOG("%s: %s", variant->fstype, conflicting[i]);
			umount_and_reset(self);
		}
}

/* Bad values: EINVAL from the parser of both. */
static const char *const bad_values[] = {
	"redirect_dir=yes", "index=1", "uuid=maybe", "nfs_export=", "xino=always",
	"metacopy=on=off", "verity=off,verity=sometimes", "userxattr=on",
	"default_permissions=1",
};

TEST_F(features, bad_values_are_refused_as_on_overlay)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad_values); i++)
		EXPECT_EQ(-EINVAL, mount_with(self, true, bad_values[i])) {
			TH_LOG("%s: %s", variant->fstype, bad_values[i]);
			umount_and_reset(self);
		}
}

/*
 * Features layerfs does not have yet: EOPNOTSUPP with a message (on
 * overlay they mount). Their semantics are issue work in progress, and
 * layerfs.rst lists them.
 */
static const char *const not_yet[] = {
	"index=on", "nfs_export=on",
	"verity=on", "verity=require",
	"xino=off",
};

TEST_F(features, features_not_implemented_yet_are_refused_not_ignored)
{
	unsigned int i;
	int ret;

	for (i = 0; i < ARRAY_SIZE(not_yet); i++) {
		if (!overlay_has_option(_metadata, variant->fstype, not_yet[i]))
			continue;
		ret = mount_with(self, true, not_yet[i]);
		if (variant->layerfs) {
			EXPECT_EQ(-EOPNOTSUPP, ret) {
				TH_LOG("layerfs: %s", not_yet[i]);
			}
		} else {
			/* overlay on tmpfs: every one of them mounts */
			EXPECT_EQ(0, ret) {
				TH_LOG("overlay: %s", not_yet[i]);
			}
		}
		if (!ret)
			umount_and_reset(self);
	}
}

/* index=on without an upper is ignored by both (useless there). */
TEST_F(features, index_on_without_upper_is_ignored_as_on_overlay)
{
	char opts[8192];

	ASSERT_EQ(0, mount_with(self, false, "index=on"));
	ASSERT_EQ(0, lu_mountinfo_opts(self->s.mnt, opts, sizeof(opts)));
	EXPECT_EQ(NULL, strstr(opts, "index=")) {
		TH_LOG("%s: %s", variant->fstype, opts);
	}
}

LU_HARNESS_MAIN
