// SPDX-License-Identifier: GPL-2.0
/*
 * LAYERFS_IOC_EXPLAIN (module/explain.c): which layer an object of the
 * union comes from, whether it was copied up, and what every layer holds
 * at its path.
 *
 * The layers are built so that every regular file says which layer it is
 * in ("L<n>", n as explain counts: 0 is the upper layer, 1 the topmost
 * lower layer). Each test first checks, by reading the files, what the
 * union shows: that part runs on overlay too, with the same layers, and
 * is what the answers of explain are held against. overlay has no such
 * ioctl; its variant checks that the ioctl number is not taken there
 * (ENOTTY) and nothing more of explain.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <grp.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <dirent.h>
#include <sys/ioctl.h>
#include <sys/xattr.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <linux/layerfs.h>

#include "kselftest_harness.h"
#include "harness.h"
#include "union.h"

#define NLAYERS		4	/* lower layers l0..l3: explain layers 1..4 */
#define ROOM		80	/* > MLAYERS + 1 */
#define NOBODY		65534
#define EXPLAIN_BUF	8192

FIXTURE(explain) {
	struct lu_scratch s;
	struct lu_rw rw;
	bool rw_made;
	bool layerfs;
};

LU_UNION_VARIANTS(explain);

/*
 * The layers, l0 on top (explain layer 1):
 *   only2      l2
 *   top        l0, l3
 *   wh         l1 whiteout, l2 file
 *   xw         l1 xattr whiteout, l3 file
 *   d/         l0 (d/a), l1 opaque (d/b), l3 (d/c)
 *   nd         l0 directory (nd/x), l2 file
 *   fd         l0 file, l1 directory
 *   priv/      l0, mode 0700 (priv/s)
 */
static void build_layers(struct __test_metadata *_metadata,
			 struct lu_scratch *s)
{
	ASSERT_EQ(0, lu_file(s, 2, "only2", 0644, "L3"));
	ASSERT_EQ(0, lu_file(s, 0, "top", 0644, "L1"));
	ASSERT_EQ(0, lu_file(s, 3, "top", 0644, "L4"));
	ASSERT_EQ(0, lu_whiteout(s, 1, "wh"));
	ASSERT_EQ(0, lu_file(s, 2, "wh", 0644, "L3"));
	ASSERT_EQ(0, lu_xwhiteout(s, 1, "xw"));
	ASSERT_EQ(0, lu_file(s, 3, "xw", 0644, "L4"));
	ASSERT_EQ(0, lu_file(s, 0, "d/a", 0644, "L1"));
	ASSERT_EQ(0, lu_file(s, 1, "d/b", 0644, "L2"));
	ASSERT_EQ(0, lu_opaque(s, 1, "d"));
	ASSERT_EQ(0, lu_file(s, 3, "d/c", 0644, "L4"));
	ASSERT_EQ(0, lu_file(s, 0, "nd/x", 0644, "L1"));
	ASSERT_EQ(0, lu_file(s, 2, "nd", 0644, "L3"));
	ASSERT_EQ(0, lu_file(s, 0, "fd", 0644, "L1"));
	ASSERT_EQ(0, lu_file(s, 1, "fd/y", 0644, "L2"));
	ASSERT_EQ(0, lu_file(s, 0, "priv/s", 0644, "L1"));
	ASSERT_EQ(0, chmod(lu_lpath(s, 0, "priv"), 0700));
}

FIXTURE_SETUP(explain)
{
	if (!lu_union_setup(_metadata, &self->s, variant->fstype, NLAYERS))
		return;
	self->layerfs = variant->layerfs;
	build_layers(_metadata, &self->s);
}

FIXTURE_TEARDOWN(explain)
{
	lu_scratch_fini(&self->s);
	if (self->rw_made)
		lu_rw_fini(&self->rw);
}

static int mount_rw(FIXTURE_DATA(explain) *self)
{
	int ret = lu_rw_init(&self->rw, &self->s, NULL);

	if (ret)
		return ret;
	self->rw_made = true;
	return lu_mount_rw(&self->s, &self->rw);
}

static const char *kind_name(__u32 kind)
{
	switch (kind) {
	case LAYERFS_KIND_OBJECT:	return "obj";
	case LAYERFS_KIND_DIR:		return "dir";
	case LAYERFS_KIND_OPAQUE_DIR:	return "opaque";
	case LAYERFS_KIND_WHITEOUT:	return "wh";
	}
	return "?";
}

static const char *role_name(__u32 role)
{
	switch (role) {
	case LAYERFS_ROLE_SHOWN:	return "shown";
	case LAYERFS_ROLE_MERGED:	return "merged";
	case LAYERFS_ROLE_HIDDEN:	return "hidden";
	case LAYERFS_ROLE_HIDES:	return "hides";
	}
	return "?";
}

/* The ioctl on @fd for @name; -errno. */
static int do_explain(int fd, const char *name, __u32 flags,
		      struct layerfs_explain *e,
		      struct layerfs_explain_layer *l, __u32 room)
{
	memset(e, 0, sizeof(*e));
	e->size = sizeof(*e);
	e->flags = flags;
	snprintf((char *)e->name, sizeof(e->name), "%s", name);
	if (l) {
		e->layers = (uintptr_t)l;
		e->layers_room = room;
	}
	return ioctl(fd, LAYERFS_IOC_EXPLAIN, e) ? -errno : 0;
}

/*
 * What explain says of @rel (relative to the mount; the ioctl goes to its
 * parent directory with the last component as name when @by_name, else
 * to @rel itself), as "r=<result bits> layer=N" and, with the per-layer
 * walk, " | layer:kind:role:depth ...". A rotating buffer, or "error: ...".
 */
static const char *explain_fmt(const struct lu_scratch *s, const char *rel,
			       bool by_name, bool layers, __u32 bits)
{
	static __thread char bufs[4][EXPLAIN_BUF];
	static __thread int next;
	struct layerfs_explain_layer l[ROOM];
	struct layerfs_explain e;
	char dir[LU_PATH_MAX], *buf = bufs[next++ % 4];
	const char *name = "";
	char *slash;
	size_t o;
	__u32 i;
	int fd, ret;

	snprintf(dir, sizeof(dir), "%s", lu_mpath(s, rel));
	if (by_name) {
		slash = strrchr(dir, '/');
		*slash = '\0';
		name = slash + 1;
	}
	fd = open(dir, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		snprintf(buf, EXPLAIN_BUF, "error: open %s", strerror(errno));
		return buf;
	}
	ret = do_explain(fd, name, layers ? LAYERFS_EXPLAIN_LAYERS : 0, &e,
			 layers ? l : NULL, ROOM);
	close(fd);
	if (ret) {
		snprintf(buf, EXPLAIN_BUF, "error: %s", strerror(-ret));
		return buf;
	}
	e.result &= bits;
	o = snprintf(buf, EXPLAIN_BUF, "r=%s%s%s%s%s%s layer=%u",
		     e.result & LAYERFS_EXPLAIN_R_POSITIVE ? "P" : "-",
		     e.result & LAYERFS_EXPLAIN_R_UPPER ? "U" : "",
		     e.result & LAYERFS_EXPLAIN_R_COPIED_UP ? "C" : "",
		     e.result & LAYERFS_EXPLAIN_R_DIR ? "D" : "",
		     e.result & LAYERFS_EXPLAIN_R_MERGED ? "M" : "",
		     e.result & LAYERFS_EXPLAIN_R_OPAQUE ? "O" : "",
		     e.layer);
	if (e.result & LAYERFS_EXPLAIN_R_COPIED_UP)
		o += snprintf(buf + o, EXPLAIN_BUF - o, " origin=%u", e.origin);
	if (!layers)
		return buf;
	o += snprintf(buf + o, EXPLAIN_BUF - o, " |");
	for (i = 0; i < e.layers_total && i < ROOM; i++)
		o += snprintf(buf + o, EXPLAIN_BUF - o, " %u:%s:%s:%u", l[i].layer,
			      kind_name(l[i].kind), role_name(l[i].role),
			      l[i].depth);
	return buf;
}

static const char *explain_str(const struct lu_scratch *s, const char *rel,
			       bool by_name, bool layers)
{
	return explain_fmt(s, rel, by_name, layers, ~0U);
}

/* overlay: the ioctl is nobody's there. */
static void expect_enotty(struct __test_metadata *_metadata,
			  const struct lu_scratch *s)
{
	struct layerfs_explain e;
	int fd = open(s->mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	ASSERT_LE(0, fd);
	EXPECT_EQ(-ENOTTY, do_explain(fd, "", 0, &e, NULL, 0));
	close(fd);
}

/* What the union shows, on both filesystems: the layer each file is from. */
static void check_lower_view(struct __test_metadata *_metadata,
			     const struct lu_scratch *s)
{
	EXPECT_STREQ("L3", lu_cat(lu_mpath(s, "only2")));
	EXPECT_STREQ("L1", lu_cat(lu_mpath(s, "top")));
	EXPECT_EQ(-ENOENT, lu_ftype(lu_mpath(s, "wh")));
	EXPECT_EQ(-ENOENT, lu_ftype(lu_mpath(s, "xw")));
	EXPECT_STREQ("a b", lu_names(lu_mpath(s, "d")));
	EXPECT_STREQ("L2", lu_cat(lu_mpath(s, "d/b")));
	EXPECT_STREQ("x", lu_names(lu_mpath(s, "nd")));
	EXPECT_STREQ("L1", lu_cat(lu_mpath(s, "fd")));
}

TEST_F(explain, lower_layers_as_the_union_takes_them)
{
	struct lu_scratch *s = &self->s;

	LU_OVERLAY_NEEDS(variant->fstype, LU_OVL_XWHITEOUT);

	ASSERT_EQ(0, lu_mount(s));
	check_lower_view(_metadata, s);
	if (!self->layerfs) {
		expect_enotty(_metadata, s);
		return;
	}

	/* the union's own answer, through the file and through its dir */
	EXPECT_STREQ("r=P layer=3", explain_str(s, "only2", false, false));
	EXPECT_STREQ("r=P layer=3", explain_str(s, "only2", true, false));
	EXPECT_STREQ("r=P layer=1", explain_str(s, "top", false, false));
	EXPECT_STREQ("r=- layer=0", explain_str(s, "wh", true, false));
	EXPECT_STREQ("r=PDM layer=1", explain_str(s, "d", false, false));
	EXPECT_STREQ("r=PD layer=1", explain_str(s, "nd", false, false));
	EXPECT_STREQ("r=P layer=2", explain_str(s, "d/b", true, false));

	/* every layer at the path */
	EXPECT_STREQ("r=P layer=3 | 3:obj:shown:1",
		     explain_str(s, "only2", true, true));
	EXPECT_STREQ("r=P layer=1 | 1:obj:shown:1 4:obj:hidden:1",
		     explain_str(s, "top", false, true));
	EXPECT_STREQ("r=- layer=0 | 2:wh:hides:1 3:obj:hidden:1",
		     explain_str(s, "wh", true, true));
	EXPECT_STREQ("r=- layer=0 | 2:wh:hides:1 4:obj:hidden:1",
		     explain_str(s, "xw", true, true));
	EXPECT_STREQ("r=PDM layer=1 | 1:dir:shown:1 2:opaque:merged:1 4:dir:hidden:1",
		     explain_str(s, "d", false, true));
	/* layer 2's opaque d is on the path, and ends the merge there */
	EXPECT_STREQ("r=P layer=2 | 2:opaque:hides:1 2:obj:shown:2",
		     explain_str(s, "d/b", true, true));
	/* the opaque dir of layer 2 stops the merge above d/c */
	EXPECT_STREQ("r=- layer=0 | 2:opaque:hides:1 4:obj:hidden:2",
		     explain_str(s, "d/c", true, true));
	EXPECT_STREQ("r=PD layer=1 | 1:dir:shown:1 3:obj:hidden:1",
		     explain_str(s, "nd", false, true));
	EXPECT_STREQ("r=P layer=1 | 1:obj:shown:1 2:dir:hidden:1",
		     explain_str(s, "fd", true, true));
	/* below a non-directory shown by the union nothing is walked */
	EXPECT_STREQ("error: Not a directory", explain_str(s, "fd/y", true, true));
	/* a read-only mount: the root of every lower layer is merged */
	EXPECT_STREQ("r=PDM layer=1 | 1:dir:shown:0 2:dir:merged:0 3:dir:merged:0 4:dir:merged:0",
		     explain_str(s, ".", false, true));
}

/*
 * drop_caches below walks every cache of the guest (the 9p root's too):
 * on Linux 6.1 under TCG, with the layers on the ext4 scratch disk, the
 * case once took more than the default 30 s beside another guest.
 */
TEST_F_TIMEOUT(explain, upper_layer_copy_up_whiteouts_and_renames, 120)
{
	struct lu_scratch *s = &self->s;
	int fd;

	LU_OVERLAY_NEEDS(variant->fstype, LU_OVL_XWHITEOUT);

	ASSERT_EQ(0, mount_rw(self));
	check_lower_view(_metadata, s);
	/* copy-up of a file from layer 3, removal of one shown by layer 1 */
	fd = open(lu_mpath(s, "only2"), O_WRONLY | O_APPEND | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(1, write(fd, "+", 1));
	close(fd);
	EXPECT_STREQ("L3+", lu_cat(lu_mpath(s, "only2")));
	ASSERT_EQ(0, unlink(lu_mpath(s, "top")));
	EXPECT_EQ(-ENOENT, lu_ftype(lu_mpath(s, "top")));
	/* a directory removed and made again is opaque */
	ASSERT_EQ(0, unlink(lu_mpath(s, "d/a")));
	ASSERT_EQ(0, unlink(lu_mpath(s, "d/b")));
	ASSERT_EQ(0, rmdir(lu_mpath(s, "d")));
	ASSERT_EQ(0, mkdir(lu_mpath(s, "d"), 0755));
	EXPECT_STREQ("", lu_names(lu_mpath(s, "d")));
	ASSERT_EQ(0, rename(lu_mpath(s, "fd"), lu_mpath(s, "fd2")));
	EXPECT_STREQ("L1", lu_cat(lu_mpath(s, "fd2")));
	EXPECT_EQ(-ENOENT, lu_ftype(lu_mpath(s, "fd")));
	ASSERT_EQ(0, lu_write_file(lu_mpath(s, "new"), 0644, "L0", 2));
	if (!self->layerfs) {
		expect_enotty(_metadata, s);
		return;
	}

	EXPECT_STREQ("r=PUC layer=0 origin=3 | 0:obj:shown:1 3:obj:hidden:1",
		     explain_str(s, "only2", false, true));
	EXPECT_STREQ("r=- layer=0 | 0:wh:hides:1 1:obj:hidden:1 4:obj:hidden:1",
		     explain_str(s, "top", true, true));
	EXPECT_STREQ("r=PUDO layer=0 | 0:opaque:shown:1 1:dir:hidden:1 2:opaque:hidden:1 4:dir:hidden:1",
		     explain_str(s, "d", false, true));
	/* the cached inode knows where fd2 was copied up from ... */
	EXPECT_STREQ("r=PUC layer=0 origin=1 | 0:obj:shown:1",
		     explain_str(s, "fd2", false, true));
	EXPECT_STREQ("r=- layer=0 | 0:wh:hides:1 1:obj:hidden:1 2:dir:hidden:1",
		     explain_str(s, "fd", true, true));
	EXPECT_STREQ("r=PU layer=0 | 0:obj:shown:1",
		     explain_str(s, "new", true, true));
	EXPECT_STREQ("r=PUDM layer=0 | 0:dir:shown:0 1:dir:merged:0 2:dir:merged:0 3:dir:merged:0 4:dir:merged:0",
		     explain_str(s, ".", false, true));

	/* the origin is found again by a fresh lookup (trusted.overlay.origin) */
	ASSERT_EQ(0, lu_drop_caches(2));
	EXPECT_STREQ("r=PUC layer=0 origin=3", explain_str(s, "only2", true, false));
	/*
	 * ... a fresh lookup does not: origins are found by name, and no
	 * lower layer has fd2 (Documentation/filesystems/layerfs.rst).
	 */
	EXPECT_STREQ("r=PU layer=0", explain_str(s, "fd2", true, false));
}

/* An open file that was removed: its own answer, but no path to walk. */
TEST_F(explain, unlinked_file_has_no_path)
{
	struct lu_scratch *s = &self->s;
	struct layerfs_explain_layer l[ROOM];
	struct layerfs_explain e;
	int fd;

	ASSERT_EQ(0, mount_rw(self));
	fd = open(lu_mpath(s, "only2"), O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, unlink(lu_mpath(s, "only2")));
	EXPECT_EQ(-ENOENT, lu_ftype(lu_mpath(s, "only2")));
	if (!self->layerfs) {
		close(fd);
		expect_enotty(_metadata, s);
		return;
	}
	EXPECT_EQ(0, do_explain(fd, "", 0, &e, NULL, 0));
	EXPECT_TRUE(e.result & LAYERFS_EXPLAIN_R_POSITIVE);
	EXPECT_EQ(-ENOENT, do_explain(fd, "", LAYERFS_EXPLAIN_LAYERS, &e, l, ROOM));
	close(fd);

	/* a name in a directory that was removed */
	ASSERT_EQ(0, mkdir(lu_mpath(s, "gone"), 0755));
	fd = open(lu_mpath(s, "gone"), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, rmdir(lu_mpath(s, "gone")));
	EXPECT_EQ(-ENOENT, do_explain(fd, "x", 0, &e, NULL, 0));
	EXPECT_EQ(-ENOENT, do_explain(fd, "x", LAYERFS_EXPLAIN_LAYERS, &e, l, ROOM));
	EXPECT_EQ(-ENOENT, do_explain(fd, "", LAYERFS_EXPLAIN_LAYERS, &e, l, ROOM));
	close(fd);
}

/* The same layers on layerfs only: overlay has no layer registry. */
FIXTURE(explain_lfs) {
	struct lu_scratch s;
};

FIXTURE_SETUP(explain_lfs)
{
	if (!lu_union_setup(_metadata, &self->s, "layerfs", NLAYERS))
		return;
	build_layers(_metadata, &self->s);
}

FIXTURE_TEARDOWN(explain_lfs)
{
	lu_scratch_fini(&self->s);
}

/* A layer=NAME mount names each layer and its chain ID. */
TEST_F(explain_lfs, registry_layers_are_named)
{
	struct lu_scratch *s = &self->s;
	struct layerfs_layer_add a = { .size = sizeof(a) };
	struct layerfs_layer_del d = { .size = sizeof(d) };
	struct layerfs_explain_layer l[ROOM];
	struct layerfs_explain e;
	char base[32], top[32], opts[64], id[LAYERFS_ID_SIZE];
	int dev, fd, ret;

	dev = open(LAYERFS_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, dev);
	snprintf(base, sizeof(base), "explain-%d-b", getpid());
	snprintf(top, sizeof(top), "explain-%d-t", getpid());
	snprintf(id, sizeof(id), "sha256:%064d", 7);

	a.dirfd = open(lu_lpath(s, 3, NULL), O_PATH | O_DIRECTORY | O_CLOEXEC);
	ASSERT_LE(0, a.dirfd);
	snprintf((char *)a.name, sizeof(a.name), "%s", base);
	snprintf((char *)a.chain_id, sizeof(a.chain_id), "%s", id);
	ASSERT_EQ(0, ioctl(dev, LAYERFS_IOC_ADD_LAYER, &a));
	close(a.dirfd);
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.dirfd = open(lu_lpath(s, 2, NULL), O_PATH | O_DIRECTORY | O_CLOEXEC);
	ASSERT_LE(0, a.dirfd);
	snprintf((char *)a.name, sizeof(a.name), "%s", top);
	snprintf((char *)a.parent, sizeof(a.parent), "%s", base);
	ASSERT_EQ(0, ioctl(dev, LAYERFS_IOC_ADD_LAYER, &a));
	close(a.dirfd);

	snprintf(opts, sizeof(opts), "layer=%s", top);
	ret = lu_mount_data("layerfs", s->mnt, 0, opts);
	ASSERT_EQ(0, ret);
	s->mounted = true;
	/* l2 over l3: top comes from l3, only2 from l2 */
	EXPECT_STREQ("L4", lu_cat(lu_mpath(s, "top")));
	EXPECT_STREQ("L3", lu_cat(lu_mpath(s, "only2")));

	fd = open(lu_mpath(s, "top"), O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, do_explain(fd, "", LAYERFS_EXPLAIN_LAYERS, &e, l, ROOM));
	close(fd);
	EXPECT_TRUE(e.result & LAYERFS_EXPLAIN_R_REGISTRY);
	EXPECT_EQ(3, e.numlayer);	/* the upper slot and two layers */
	EXPECT_EQ(2, e.layer);
	EXPECT_STREQ(base, (char *)e.layer_name);
	EXPECT_STREQ(id, (char *)e.chain_id);
	ASSERT_EQ(1, e.layers_total);
	EXPECT_STREQ(base, (char *)l[0].layer_name);
	EXPECT_EQ(LAYERFS_ROLE_SHOWN, l[0].role);
	EXPECT_EQ(2, l[0].size);

	fd = open(lu_mpath(s, "only2"), O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, do_explain(fd, "", 0, &e, NULL, 0));
	close(fd);
	EXPECT_EQ(1, e.layer);
	EXPECT_STREQ(top, (char *)e.layer_name);
	EXPECT_STREQ("", (char *)e.chain_id);	/* none was given */

	ASSERT_EQ(0, lu_umount(s));
	snprintf((char *)d.name, sizeof(d.name), "%s", top);
	EXPECT_EQ(0, ioctl(dev, LAYERFS_IOC_DEL_LAYER, &d));
	snprintf((char *)d.name, sizeof(d.name), "%s", base);
	EXPECT_EQ(0, ioctl(dev, LAYERFS_IOC_DEL_LAYER, &d));
	close(dev);
}

/* The size-first struct, flags, names and the answer array. */
TEST_F(explain, request_is_checked)
{
	struct lu_scratch *s = &self->s;
	struct layerfs_explain_layer l[ROOM];
	struct {
		struct layerfs_explain e;
		__u8 tail[64];
	} big;
	struct layerfs_explain e;
	int dir, file, dev;

	ASSERT_EQ(0, lu_mount(s));
	if (!self->layerfs) {
		expect_enotty(_metadata, s);
		return;
	}
	dir = open(s->mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ASSERT_LE(0, dir);
	file = open(lu_mpath(s, "top"), O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, file);

	/* sizes */
	memset(&e, 0, sizeof(e));
	e.size = LAYERFS_EXPLAIN_SIZE_VER0 - 8;
	EXPECT_EQ(-1, ioctl(dir, LAYERFS_IOC_EXPLAIN, &e));
	EXPECT_EQ(EINVAL, errno);
	memset(&big, 0, sizeof(big));
	big.e.size = sizeof(big);
	EXPECT_EQ(0, ioctl(dir, LAYERFS_IOC_EXPLAIN, &big));
	EXPECT_TRUE(big.e.result & LAYERFS_EXPLAIN_R_POSITIVE);
	big.tail[3] = 1;
	EXPECT_EQ(-1, ioctl(dir, LAYERFS_IOC_EXPLAIN, &big));
	EXPECT_EQ(E2BIG, errno);
	big.tail[3] = 0;
	big.e.size = 8192;
	EXPECT_EQ(-1, ioctl(dir, LAYERFS_IOC_EXPLAIN, &big));
	EXPECT_EQ(E2BIG, errno);
	EXPECT_EQ(-EFAULT, ioctl(dir, LAYERFS_IOC_EXPLAIN, (void *)8) ? -errno : 0);

	/* flags and names */
	EXPECT_EQ(-EINVAL, do_explain(dir, "", 0x2, &e, NULL, 0));
	EXPECT_EQ(-EINVAL, do_explain(dir, "d/b", 0, &e, NULL, 0));
	EXPECT_EQ(-EINVAL, do_explain(dir, ".", 0, &e, NULL, 0));
	EXPECT_EQ(-EINVAL, do_explain(dir, "..", 0, &e, NULL, 0));
	memset(&e, 0, sizeof(e));
	e.size = sizeof(e);
	memset(e.name, 'a', sizeof(e.name));	/* no NUL */
	EXPECT_EQ(-1, ioctl(dir, LAYERFS_IOC_EXPLAIN, &e));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-ENOTDIR, do_explain(file, "x", 0, &e, NULL, 0));
	/* an array without LAYERFS_EXPLAIN_LAYERS */
	EXPECT_EQ(-EINVAL, do_explain(dir, "", 0, &e, l, ROOM));
	/* a name that is in no layer: a negative answer, and nothing found */
	EXPECT_EQ(0, do_explain(dir, "none", LAYERFS_EXPLAIN_LAYERS, &e, l, ROOM));
	EXPECT_EQ(0, e.result & LAYERFS_EXPLAIN_R_POSITIVE);
	EXPECT_EQ(0, e.layers_total);
	EXPECT_EQ(NLAYERS + 1, e.numlayer);

	/* the answer array: counted past its room, never written past it */
	memset(l, 0xa5, sizeof(l));
	EXPECT_EQ(0, do_explain(dir, "top", LAYERFS_EXPLAIN_LAYERS, &e, l, 1));
	EXPECT_EQ(2, e.layers_total);
	EXPECT_EQ(1, l[0].layer);
	EXPECT_EQ(0xa5a5a5a5, l[1].layer);
	EXPECT_EQ(0, do_explain(dir, "top", LAYERFS_EXPLAIN_LAYERS, &e, NULL, 0));
	EXPECT_EQ(2, e.layers_total);
	EXPECT_EQ(-EFAULT, do_explain(dir, "top", LAYERFS_EXPLAIN_LAYERS, &e,
				      (void *)8, ROOM));

	/* not an ioctl of the registry device */
	dev = open(LAYERFS_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, dev);
	EXPECT_EQ(-ENOTTY, do_explain(dev, "", 0, &e, NULL, 0));
	close(dev);
	close(file);
	close(dir);
}

/*
 * Without CAP_SYS_ADMIN: the union's own answer, looked up with the
 * caller's permissions, but not what the layers hide.
 */
TEST_F(explain, unprivileged_caller_gets_no_layers)
{
	struct lu_scratch *s = &self->s;
	int root, priv, status;
	pid_t pid;

	ASSERT_EQ(0, lu_mount(s));
	if (!self->layerfs) {
		expect_enotty(_metadata, s);
		return;
	}
	root = open(s->mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ASSERT_LE(0, root);
	priv = open(lu_mpath(s, "priv"), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ASSERT_LE(0, priv);

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct layerfs_explain_layer l[ROOM];
		struct layerfs_explain e;
		int code = 0;

		if (setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
		    setresuid(NOBODY, NOBODY, NOBODY))
			_exit(10);
		if (do_explain(root, "top", 0, &e, NULL, 0) ||
		    !(e.result & LAYERFS_EXPLAIN_R_POSITIVE) || e.layer != 1)
			code |= 1;
		if (do_explain(root, "top", LAYERFS_EXPLAIN_LAYERS, &e, l,
			       ROOM) != -EPERM)
			code |= 2;
		/* priv is 0700 root: no search permission for a name in it */
		if (do_explain(priv, "s", 0, &e, NULL, 0) != -EACCES)
			code |= 4;
		/* ... but its own answer needs none */
		if (do_explain(priv, "", 0, &e, NULL, 0) ||
		    !(e.result & LAYERFS_EXPLAIN_R_DIR))
			code |= 8;
		_exit(code);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status)) {
		TH_LOG("child: bit 1 own answer, 2 EPERM, 4 EACCES, 8 dir fd (10: setresuid)");
	}
	close(priv);
	close(root);
}

/*
 * The brute-force check: MLAYERS generated lower layers (and, after
 * changes through the mount, the upper layer), every path any layer
 * holds whose parent the union shows, compared three ways: the answer
 * computed here from the layer directories alone, what the union shows
 * (content "L<n>", file type, ENOENT) on both filesystems, and explain's
 * answer with every layer's finding on layerfs.
 */
#define MLAYERS		64
#define MDEPTH		4
#define MPATHS		4096

static const char *const mnames[] = { "a", "b", "c", "f", "g", "h" };

FIXTURE(explain_model) {
	struct lu_scratch s;
	struct lu_rw rw;
	bool rw_made;
	bool layerfs;
	char *paths[MPATHS];
	int npaths;
	int deep_hides;		/* paths hidden below the first level */
};

LU_UNION_VARIANTS(explain_model);

static unsigned int mrand(unsigned int *seed)
{
	*seed = *seed * 1103515245 + 12345;
	return (*seed >> 16) & 0x7fff;
}

/* Layer @layer's tree below @rel: nothing, files, dirs, opaque dirs, whiteouts. */
static int gen_tree(const struct lu_scratch *s, int layer, const char *rel,
		    int depth, unsigned int *seed)
{
	char path[LU_PATH_MAX], tag[16];
	unsigned int i, r;
	int ret = 0;

	snprintf(tag, sizeof(tag), "L%d", layer + 1);
	for (i = 0; !ret && i < ARRAY_SIZE(mnames); i++) {
		snprintf(path, sizeof(path), "%s%s%s", rel, *rel ? "/" : "",
			 mnames[i]);
		r = mrand(seed) % 100;
		/* mostly directories at the top, so that the walk goes deep */
		if (depth == 1)
			r = r < 40 ? 0 : r < 88 ? 70 : r < 91 ? 92 : r < 96 ? 60 : 99;
		if (depth == MDEPTH && r >= 66 && r < 94)
			r = 60;		/* no directories at the bottom */
		if (r < 50)
			continue;
		if (r < 66) {
			ret = lu_file(s, layer, path, 0644, tag);
		} else if (r < 90) {
			ret = lu_mkdir(s, layer, path, 0755);
			if (!ret)
				ret = gen_tree(s, layer, path, depth + 1, seed);
		} else if (r < 94) {
			ret = lu_mkdir(s, layer, path, 0755);
			if (!ret)
				ret = lu_opaque(s, layer, path);
			if (!ret)
				ret = gen_tree(s, layer, path, depth + 1, seed);
		} else {
			ret = lu_whiteout(s, layer, path);
		}
	}
	return ret;
}

FIXTURE_SETUP(explain_model)
{
	unsigned int seed = 20261206;
	int i;

	if (!lu_union_setup(_metadata, &self->s, variant->fstype, MLAYERS))
		return;
	self->layerfs = variant->layerfs;
	for (i = 0; i < MLAYERS; i++)
		ASSERT_EQ(0, gen_tree(&self->s, i, "", 1, &seed));
}

FIXTURE_TEARDOWN(explain_model)
{
	int i;

	for (i = 0; i < self->npaths; i++)
		free(self->paths[i]);
	lu_scratch_fini(&self->s);
	if (self->rw_made)
		lu_rw_fini(&self->rw);
}

/* The real directory of model layer @j: 0 the upper (NULL if none), j > 0 lower j - 1. */
static const char *mdir(FIXTURE_DATA(explain_model) *self, int j, char *buf,
			size_t len)
{
	if (!j)
		return self->rw_made ? self->rw.upper : NULL;
	snprintf(buf, len, "%s", lu_lpath(&self->s, j - 1, NULL));
	return buf;
}

/* What layer dir @dir holds at @rel, as LAYERFS_KIND_*, 0 for nothing. */
static __u32 mkind(const char *dir, const char *rel)
{
	char path[LU_PATH_MAX * 3], val[4];
	struct stat st;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	if (lstat(path, &st))
		return 0;
	if (S_ISCHR(st.st_mode) && st.st_rdev == 0)
		return LAYERFS_KIND_WHITEOUT;
	if (!S_ISDIR(st.st_mode))
		return LAYERFS_KIND_OBJECT;
	n = lgetxattr(path, OVL_XATTR_OPAQUE, val, sizeof(val));
	return n == 1 && val[0] == 'y' ? LAYERFS_KIND_OPAQUE_DIR :
					 LAYERFS_KIND_DIR;
}

struct manswer {
	bool positive, dir;
	int layer;		/* explain's numbering: 0 upper, 1.. lower */
	int merged;		/* layers in the directory's stack */
	char roles[EXPLAIN_BUF];	/* " layer:kind:role:depth" each, as explain_str() */
};

/*
 * The union's rules applied to the layer directories: at each level the
 * layers of the parent's stack that hold a directory there, top down
 * until one is opaque; a whiteout or a non-directory ends it, and a
 * non-directory is the object if no directory came before it. Every
 * layer is walked on, to find what the union hides.
 */
static void model(FIXTURE_DATA(explain_model) *self, const char *rel,
		  struct manswer *a)
{
	bool stack[MLAYERS + 1], walk[MLAYERS + 1];
	char prefix[LU_PATH_MAX], dirbuf[LU_PATH_MAX];
	const char *end;
	unsigned int level = 0;
	size_t o = 0;
	int j;

	memset(a, 0, sizeof(*a));
	for (j = 0; j <= MLAYERS; j++)
		stack[j] = walk[j] = mdir(self, j, dirbuf, sizeof(dirbuf));

	for (end = rel; ; end++) {
		bool last, stop = false, dir_seen = false;

		if (*end && *end != '/')
			continue;
		last = !*end;
		level++;
		snprintf(prefix, sizeof(prefix), "%.*s", (int)(end - rel), rel);
		for (j = 0; j <= MLAYERS; j++) {
			bool member = stack[j] && !stop;
			const char *role = NULL;
			__u32 kind;

			stack[j] = false;
			if (!walk[j])
				continue;
			kind = mkind(mdir(self, j, dirbuf, sizeof(dirbuf)),
				     prefix);
			walk[j] = !last && (kind == LAYERFS_KIND_DIR ||
					    kind == LAYERFS_KIND_OPAQUE_DIR);
			if (member) {
				switch (kind) {
				case LAYERFS_KIND_WHITEOUT:
					stop = true;
					role = "hides";
					break;
				case LAYERFS_KIND_OBJECT:
					stop = true;
					if (dir_seen) {
						role = last ? "hidden" : "hides";
						break;
					}
					role = last ? "shown" : "hides";
					if (last) {
						a->positive = true;
						a->layer = j;
					}
					break;
				case LAYERFS_KIND_OPAQUE_DIR:
					stop = true;
					/* fall through */
				case LAYERFS_KIND_DIR:
					stack[j] = true;
					if (last) {
						role = dir_seen ? "merged" : "shown";
						if (!dir_seen) {
							a->positive = a->dir = true;
							a->layer = j;
						}
						a->merged++;
					} else if (stop) {
						role = "hides";
					}
					dir_seen = true;
					break;
				}
			} else if (last && kind) {
				role = "hidden";
			}
			if (role)
				o += snprintf(a->roles + o, sizeof(a->roles) - o,
					      " %d:%s:%s:%u", j, kind_name(kind),
					      role, level);
		}
		if (last)
			break;
	}
}

static int path_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every path below @dir/@rel, into self->paths (deduplicated later). */
static void collect(FIXTURE_DATA(explain_model) *self, const char *dir,
		    const char *rel)
{
	char path[LU_PATH_MAX * 3], sub[LU_PATH_MAX];
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	d = opendir(path);
	if (!d)
		return;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(sub, sizeof(sub), "%s%s%s", rel, *rel ? "/" : "",
			 de->d_name);
		if (self->npaths < MPATHS)
			self->paths[self->npaths++] = strdup(sub);
		if (de->d_type == DT_DIR)
			collect(self, dir, sub);
	}
	closedir(d);
}

static void collect_all(FIXTURE_DATA(explain_model) *self)
{
	char dirbuf[LU_PATH_MAX];
	const char *dir;
	int i, j;

	for (i = 0; i < self->npaths; i++)
		free(self->paths[i]);
	self->npaths = 0;
	for (j = 0; j <= MLAYERS; j++) {
		dir = mdir(self, j, dirbuf, sizeof(dirbuf));
		if (dir)
			collect(self, dir, "");
	}
	qsort(self->paths, self->npaths, sizeof(char *), path_cmp);
	for (i = j = 0; i < self->npaths; i++) {
		if (j && !strcmp(self->paths[j - 1], self->paths[i])) {
			free(self->paths[i]);
			continue;
		}
		self->paths[j++] = self->paths[i];
	}
	self->npaths = j;
}

/* Compare every path; the number of paths whose parent the union shows. */
static int compare_all(struct __test_metadata *_metadata,
		       FIXTURE_DATA(explain_model) *self)
{
	struct lu_scratch *s = &self->s;
	int i, checked = 0, bad = 0;

	collect_all(self);
	ASSERT_GT(MPATHS, self->npaths);
	for (i = 0; i < self->npaths && bad < 10; i++) {
		const char *rel = self->paths[i], *slash = strrchr(rel, '/');
		char parent[LU_PATH_MAX], want[EXPLAIN_BUF + 64], tag[16];
		const char *got;
		struct manswer a, pa;

		if (slash) {
			snprintf(parent, sizeof(parent), "%.*s",
				 (int)(slash - rel), rel);
			model(self, parent, &pa);
			if (!pa.dir)
				continue;
		}
		checked++;
		model(self, rel, &a);
		if (strstr(a.roles, ":hides:2") || strstr(a.roles, ":hides:3") ||
		    strstr(a.roles, ":hides:4"))
			self->deep_hides++;

		/* what the union shows */
		if (!a.positive) {
			got = lu_ftype(lu_mpath(s, rel)) == -ENOENT ? "ok" : "shown";
		} else if (a.dir) {
			got = lu_ftype(lu_mpath(s, rel)) == S_IFDIR ? "ok" : "no dir";
		} else {
			snprintf(tag, sizeof(tag), "L%d", a.layer);
			got = !strcmp(tag, lu_cat(lu_mpath(s, rel))) ? "ok" :
			      lu_cat(lu_mpath(s, rel));
		}
		EXPECT_STREQ("ok", got) {
			TH_LOG("%s: the union differs from the model (%s layer %d)",
			       rel, a.positive ? "positive" : "negative", a.layer);
			bad++;
		}
		if (!self->layerfs)
			continue;

		snprintf(want, sizeof(want), "r=%s%s%s%s layer=%d |%s",
			 a.positive ? "P" : "-",
			 a.positive && !a.layer ? "U" : "",
			 a.dir ? "D" : "", a.merged > 1 ? "M" : "", a.layer,
			 a.roles);
		/* copy-up and opacity are checked by the tests above */
		got = explain_fmt(s, rel, true, true,
				  ~(LAYERFS_EXPLAIN_R_COPIED_UP |
				    LAYERFS_EXPLAIN_R_OPAQUE));
		EXPECT_STREQ(want, got) {
			TH_LOG("%s: explain differs from the model", rel);
			bad++;
		}
	}
	return checked;
}

/* Thousands of ioctls and stats: over 30 s under TCG on a busy machine. */
TEST_F_TIMEOUT(explain_model, every_path_of_64_layers, 180)
{
	struct lu_scratch *s = &self->s;
	int n;

	ASSERT_EQ(0, lu_mount(s));
	n = compare_all(_metadata, self);
	TH_LOG("%d paths checked, %d hidden below the first level", n,
	       self->deep_hides);
	EXPECT_LT(200, n);
	EXPECT_LT(10, self->deep_hides);
}

/*
 * The same after changes through a writable mount: copy-up (the file
 * rewritten "L0"), removal (a whiteout in the upper layer), rename (a
 * whiteout, and the file under a new name), new files.
 */
TEST_F_TIMEOUT(explain_model, every_path_after_copy_up_rename_and_delete, 180)
{
	struct lu_scratch *s = &self->s;
	char to[LU_PATH_MAX];
	struct manswer a;
	int i, n = 0, fd;

	ASSERT_EQ(0, lu_rw_init(&self->rw, s, NULL));
	self->rw_made = true;
	ASSERT_EQ(0, lu_mount_rw(s, &self->rw));
	collect_all(self);
	for (i = 0; i < self->npaths; i++) {
		const char *rel = self->paths[i];

		model(self, rel, &a);
		if (!a.positive || a.dir)
			continue;
		switch (n++ % 4) {
		case 0:
			fd = open(lu_mpath(s, rel), O_WRONLY | O_TRUNC | O_CLOEXEC);
			ASSERT_LE(0, fd);
			ASSERT_EQ(2, write(fd, "L0", 2));
			close(fd);
			break;
		case 1:
			ASSERT_EQ(0, unlink(lu_mpath(s, rel)));
			break;
		case 2:
			snprintf(to, sizeof(to), "%sr", rel);
			ASSERT_EQ(0, rename(lu_mpath(s, rel), lu_mpath(s, to)));
			ASSERT_EQ(0, lu_write_file(lu_mpath(s, to), 0644, "L0", 2));
			break;
		}
	}
	ASSERT_LT(8, n);
	ASSERT_EQ(0, lu_write_file(lu_mpath(s, "new"), 0644, "L0", 2));
	ASSERT_EQ(0, mkdir(lu_mpath(s, "newdir"), 0755));
	i = compare_all(_metadata, self);
	TH_LOG("%d files changed, %d paths checked", n, i);
	EXPECT_LT(200, i);
}

LU_HARNESS_MAIN
