// SPDX-License-Identifier: GPL-2.0
/*
 * The layer registry: /dev/layerfs, the ioctl ABI (table-driven, in the
 * style of the kernel's openat2 selftest), chain verification with
 * Docker's chainID vectors, idempotency, deletion rules, GET_LAYER, mounts
 * by top layer (mount(2) and fsconfig), shared layers, a 1024-layer
 * chain, concurrent add/del/mount/umount, and rmmod afterwards.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/capability.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

#include <linux/layerfs.h>

#include "kselftest_harness.h"
#include "harness.h"
#include "union.h"
#include "util.h"
#include "ctl.h"

/* DOCKER-FORMAT.md's vectors: parent chainID + diffID -> chainID */
#define V1_PARENT "sha256:5dacd731af1b0386ead06c8b1feff9f65d9e0bdfec032d2cd0bc03690698feda"
#define V1_DIFF   "sha256:dd0338cdfab32cdddd6c30efe8c89d0229d9f939e2bb736fbb0a52f27c2b0ee9"
#define V1_CHAIN  "sha256:166d13b0f0cb542034a2aef1c034ee2271e1d6aaee4490f749e72d1c04449c5b"
#define V2_PARENT "sha256:c6c89a36c214d7ecf7a684bf0fc21692dd60e9f204f48545bcb4085185166031"
#define V2_DIFF   "sha256:bd0f2368b7ff2649b60c162b722e2ef3c1a9eb5b9a9c6e7dccc6a9f8ba555dec"
#define V2_CHAIN  "sha256:b758e555d22ee9d83852d14c90d936cfce1a62182b2bd218472dccb9e7be98a4"

FIXTURE(reg) {
	struct lu_scratch s;
	int dev;
	char prefix[16];	/* names of this test's layers */
};

FIXTURE_SETUP(reg)
{
	int ret = lu_fs_available("layerfs");

	if (ret == -ENODEV)
		SKIP(return, "layerfs is not available (set LAYERFS_KO)");
	ASSERT_EQ(0, ret);
	ASSERT_EQ(0, lu_scratch_init(&self->s, "layerfs", 4));
	self->dev = open(LAYERFS_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->dev) {
		TH_LOG("%s: %s", LAYERFS_DEVICE, strerror(errno));
	}
	snprintf(self->prefix, sizeof(self->prefix), "t%d", getpid());
}

FIXTURE_TEARDOWN(reg)
{
	lu_scratch_fini(&self->s);
	if (self->dev >= 0)
		close(self->dev);
}

/* "<prefix>-<n>" in a rotating buffer */
static const char *lname(FIXTURE_DATA(reg) *self, int n)
{
	static __thread char buf[8][32];
	static __thread int i;
	char *p = buf[i++ % 8];

	snprintf(p, 32, "%s-%d", self->prefix, n);
	return p;
}

TEST_F(reg, device_node_is_root_only_misc_device)
{
	struct stat st;

	ASSERT_EQ(0, stat(LAYERFS_DEVICE, &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(0600, st.st_mode & 07777);
	EXPECT_EQ(10, major(st.st_rdev));
	EXPECT_EQ(0, st.st_uid);
}

/* One ADD request made bad in one way, and the errno it must get. */
struct bad_add {
	const char *what;
	void (*bend)(struct layerfs_layer_add *a, int filefd);
	unsigned int size;	/* the size passed in @a->size if non-zero */
	int err;
};

static void b_none(struct layerfs_layer_add *a, int f) { }
static void b_flags(struct layerfs_layer_add *a, int f) { a->flags = 0x80000000; }
static void b_flag2(struct layerfs_layer_add *a, int f) { a->flags = 2; }
static void b_reserved(struct layerfs_layer_add *a, int f) { a->__reserved = 1; }
static void b_badfd(struct layerfs_layer_add *a, int f) { a->dirfd = 999999; }
static void b_negfd(struct layerfs_layer_add *a, int f) { a->dirfd = -1; }
static void b_filefd(struct layerfs_layer_add *a, int f) { a->dirfd = f; }
static void b_slash(struct layerfs_layer_add *a, int f) { strcpy((char *)a->name, "a/b"); }
static void b_empty(struct layerfs_layer_add *a, int f) { a->name[0] = 0; }
static void b_dot(struct layerfs_layer_add *a, int f) { strcpy((char *)a->name, ".."); }
static void b_space(struct layerfs_layer_add *a, int f) { strcpy((char *)a->name, "a b"); }
static void b_long(struct layerfs_layer_add *a, int f)
{
	memset(a->name, 'n', LAYERFS_NAME_MAX + 1);
	a->name[LAYERFS_NAME_MAX + 1] = 0;
}
static void b_unterminated(struct layerfs_layer_add *a, int f)
{
	memset(a->name, 'n', sizeof(a->name));
}
static void b_parent(struct layerfs_layer_add *a, int f)
{
	strcpy((char *)a->parent, "no-such-parent-layer");
}
static void b_diff(struct layerfs_layer_add *a, int f)
{
	strcpy((char *)a->diff_id, "sha256:1234");
}
static void b_diff_upper(struct layerfs_layer_add *a, int f)
{
	strcpy((char *)a->diff_id, V1_DIFF);
	a->diff_id[10] = 'A';
}
static void b_diff_md5(struct layerfs_layer_add *a, int f)
{
	strcpy((char *)a->diff_id, "md5:" V1_DIFF + 7);
}
static void b_chain_wrong(struct layerfs_layer_add *a, int f)
{
	a->flags = LAYERFS_ADD_VERIFY_CHAIN;
	strcpy((char *)a->diff_id, V1_DIFF);
	strcpy((char *)a->chain_id, V1_CHAIN);	/* base: chain must = diff */
}
static void b_verify_no_diff(struct layerfs_layer_add *a, int f)
{
	a->flags = LAYERFS_ADD_VERIFY_CHAIN;
}

static const struct bad_add bad_adds[] = {
	{ "valid", b_none, 0, 0 },
	{ "size 0", b_none, 1, -EINVAL },
	{ "size 8", b_none, 8, -EINVAL },
	{ "one byte short", b_none, sizeof(struct layerfs_layer_add) - 1, -EINVAL },
	{ "larger, zero tail", b_none, sizeof(struct layerfs_layer_add) + 64, 0 },
	{ "larger, non-zero tail", b_none, ~0u, -E2BIG },
	{ "larger than a page", b_none, 8192, -E2BIG },
	{ "unknown flag bit 31", b_flags, 0, -EINVAL },
	{ "unknown flag bit 1", b_flag2, 0, -EINVAL },
	{ "reserved field", b_reserved, 0, -EINVAL },
	{ "fd not open", b_badfd, 0, -EBADF },
	{ "fd -1", b_negfd, 0, -EBADF },
	{ "fd of a file", b_filefd, 0, -ENOTDIR },
	{ "name with /", b_slash, 0, -EINVAL },
	{ "empty name", b_empty, 0, -EINVAL },
	{ "name ..", b_dot, 0, -EINVAL },
	{ "name with a space", b_space, 0, -EINVAL },
	{ "name of 65 chars", b_long, 0, -EINVAL },
	{ "name not terminated", b_unterminated, 0, -EINVAL },
	{ "unknown parent", b_parent, 0, -ENOENT },
	{ "short diff id", b_diff, 0, -EINVAL },
	{ "upper-case hex", b_diff_upper, 0, -EINVAL },
	{ "not sha256", b_diff_md5, 0, -EINVAL },
	{ "wrong chain id", b_chain_wrong, 0, -EBADMSG },
	{ "verify without diff id", b_verify_no_diff, 0, -EINVAL },
};

TEST_F(reg, add_layer_abi)
{
	char buf[8192 + 64];
	struct layerfs_layer_add *a = (void *)buf;
	unsigned int i;
	int filefd, dirfd, ret;

	ASSERT_EQ(0, lu_file(&self->s, 0, "file", 0644, "x"));
	filefd = open(lu_lpath(&self->s, 0, "file"), O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, filefd);
	dirfd = open(lu_lpath(&self->s, 0, NULL), O_PATH | O_DIRECTORY | O_CLOEXEC);
	ASSERT_LE(0, dirfd);

	for (i = 0; i < sizeof(bad_adds) / sizeof(bad_adds[0]); i++) {
		const struct bad_add *b = &bad_adds[i];

		memset(buf, 0, sizeof(buf));
		a->size = sizeof(*a);
		a->dirfd = dirfd;
		snprintf((char *)a->name, sizeof(a->name), "%s-abi%u", self->prefix, i);
		b->bend(a, filefd);
		if (b->size == ~0u) {
			a->size = sizeof(*a) + 64;
			buf[sizeof(*a) + 10] = 1;
		} else if (b->size == 1) {
			a->size = 0;
		} else if (b->size) {
			a->size = b->size;
		}
		ret = ioctl(self->dev, LAYERFS_IOC_ADD_LAYER, a) ? -errno : 0;
		EXPECT_EQ(b->err, ret) {
			TH_LOG("%s: got %s", b->what, strerror(-ret));
		}
		if (!ret) {
			char name[LAYERFS_NAME_SIZE];

			snprintf(name, sizeof(name), "%s-abi%u", self->prefix, i);
			EXPECT_EQ(0, lfs_del_layer(self->dev, name));
		}
	}
	/* nothing half-registered */
	for (i = 0; i < sizeof(bad_adds) / sizeof(bad_adds[0]); i++) {
		struct layerfs_layer_info info;
		char name[LAYERFS_NAME_SIZE];

		snprintf(name, sizeof(name), "%s-abi%u", self->prefix, i);
		EXPECT_EQ(-ENOENT, lfs_get_layer(self->dev, name, &info));
	}
	/* a directory removed after it was opened */
	ASSERT_EQ(0, mkdir(lu_path(&self->s, "gone"), 0755));
	memset(buf, 0, sizeof(buf));
	a->size = sizeof(*a);
	a->dirfd = open(lu_path(&self->s, "gone"), O_PATH | O_DIRECTORY | O_CLOEXEC);
	ASSERT_LE(0, a->dirfd);
	ASSERT_EQ(0, rmdir(lu_path(&self->s, "gone")));
	snprintf((char *)a->name, sizeof(a->name), "%s-gone", self->prefix);
	EXPECT_EQ(-1, ioctl(self->dev, LAYERFS_IOC_ADD_LAYER, a));
	EXPECT_EQ(ENOENT, errno);
	close(a->dirfd);
	/* an unknown ioctl number */
	EXPECT_EQ(-1, ioctl(self->dev, _IOW(LAYERFS_IOC_MAGIC, 99, int), &ret));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(self->dev, _IO('x', 1), 0));
	EXPECT_EQ(ENOTTY, errno);
	/* a bad pointer */
	EXPECT_EQ(-1, ioctl(self->dev, LAYERFS_IOC_ADD_LAYER, (void *)8));
	EXPECT_EQ(EFAULT, errno);
	close(filefd);
	close(dirfd);
}

TEST_F(reg, del_and_get_abi)
{
	struct layerfs_layer_del d = { .size = sizeof(d) };
	struct layerfs_layer_info info;

	EXPECT_EQ(-ENOENT, lfs_del_layer(self->dev, "no-such-layer"));
	d.size = 4;
	EXPECT_EQ(-1, ioctl(self->dev, LAYERFS_IOC_DEL_LAYER, &d));
	EXPECT_EQ(EINVAL, errno);
	d.size = sizeof(d);
	d.flags = 1;
	strcpy((char *)d.name, "x");
	EXPECT_EQ(-1, ioctl(self->dev, LAYERFS_IOC_DEL_LAYER, &d));
	EXPECT_EQ(EINVAL, errno);
	d.flags = 0;
	strcpy((char *)d.name, "a/b");
	EXPECT_EQ(-1, ioctl(self->dev, LAYERFS_IOC_DEL_LAYER, &d));
	EXPECT_EQ(EINVAL, errno);

	EXPECT_EQ(-ENOENT, lfs_get_layer(self->dev, "no-such-layer", &info));
	memset(&info, 0, sizeof(info));
	info.size = sizeof(info);
	info.__reserved = 1;
	strcpy((char *)info.name, "x");
	EXPECT_EQ(-1, ioctl(self->dev, LAYERFS_IOC_GET_LAYER, &info));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(reg, unprivileged_caller_gets_eperm)
{
	pid_t pid = fork();
	int status;

	ASSERT_LE(0, pid);
	if (!pid) {
		struct __user_cap_header_struct h = {
			.version = _LINUX_CAPABILITY_VERSION_3,
		};
		struct __user_cap_data_struct c[2] = { { 0 } };

		/* every capability we have but CAP_SYS_ADMIN */
		if (syscall(SYS_capget, &h, c))
			_exit(11);
		c[0].effective &= ~(1u << CAP_SYS_ADMIN);
		c[0].permitted &= ~(1u << CAP_SYS_ADMIN);
		if (syscall(SYS_capset, &h, c))
			_exit(10);
		if (lfs_add_layer(self->dev, lname(self, 0), NULL,
				  lu_lpath(&self->s, 0, NULL)) != -EPERM)
			_exit(1);
		if (lfs_del_layer(self->dev, "x") != -EPERM)
			_exit(2);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

TEST_F(reg, chain_verification_with_docker_vectors)
{
	struct layerfs_layer_info info;
	const char *d = lu_lpath(&self->s, 0, NULL);

	/* a base layer: chainID = diffID, computed when not given */
	ASSERT_EQ(0, lfs_add_layer_ex(self->dev, lname(self, 1), NULL, d, V1_PARENT,
				      NULL, LAYERFS_ADD_VERIFY_CHAIN));
	ASSERT_EQ(0, lfs_get_layer(self->dev, lname(self, 1), &info));
	EXPECT_STREQ(V1_PARENT, (char *)info.chain_id);
	/* the vector: accepted with the right chainID ... */
	ASSERT_EQ(0, lfs_add_layer_ex(self->dev, lname(self, 2), lname(self, 1), d,
				      V1_DIFF, V1_CHAIN, LAYERFS_ADD_VERIFY_CHAIN));
	ASSERT_EQ(0, lfs_get_layer(self->dev, lname(self, 2), &info));
	EXPECT_STREQ(V1_CHAIN, (char *)info.chain_id);
	EXPECT_STREQ(V1_DIFF, (char *)info.diff_id);
	EXPECT_STREQ(lname(self, 1), (char *)info.parent);
	EXPECT_EQ(2, info.depth);
	/* ... refused with another (the second vector's) */
	EXPECT_EQ(-EBADMSG, lfs_add_layer_ex(self->dev, lname(self, 3), lname(self, 1), d,
					     V1_DIFF, V2_CHAIN, LAYERFS_ADD_VERIFY_CHAIN));
	EXPECT_EQ(-ENOENT, lfs_get_layer(self->dev, lname(self, 3), &info));
	/* computed when not given */
	ASSERT_EQ(0, lfs_add_layer_ex(self->dev, lname(self, 4), NULL, d, V2_PARENT,
				      NULL, LAYERFS_ADD_VERIFY_CHAIN));
	ASSERT_EQ(0, lfs_add_layer_ex(self->dev, lname(self, 5), lname(self, 4), d,
				      V2_DIFF, NULL, LAYERFS_ADD_VERIFY_CHAIN));
	ASSERT_EQ(0, lfs_get_layer(self->dev, lname(self, 5), &info));
	EXPECT_STREQ(V2_CHAIN, (char *)info.chain_id);

	EXPECT_EQ(0, lfs_del_layer(self->dev, lname(self, 5)));
	EXPECT_EQ(0, lfs_del_layer(self->dev, lname(self, 4)));
	EXPECT_EQ(0, lfs_del_layer(self->dev, lname(self, 2)));
	EXPECT_EQ(0, lfs_del_layer(self->dev, lname(self, 1)));
}

TEST_F(reg, idempotent_add_eexist_and_delete_rules)
{
	struct layerfs_layer_info info;
	struct lu_scratch *s = &self->s;
	char data[128];

	ASSERT_EQ(0, lu_file(s, 1, "base", 0644, "base"));
	ASSERT_EQ(0, lu_file(s, 0, "top", 0644, "top"));
	ASSERT_EQ(0, lfs_add_layer(self->dev, lname(self, 1), NULL, lu_lpath(s, 1, NULL)));
	/* the same again: a no-op */
	ASSERT_EQ(0, lfs_add_layer(self->dev, lname(self, 1), NULL, lu_lpath(s, 1, NULL)));
	/* the name with another directory, or another parent */
	EXPECT_EQ(-EEXIST, lfs_add_layer(self->dev, lname(self, 1), NULL, lu_lpath(s, 0, NULL)));
	ASSERT_EQ(0, lfs_add_layer(self->dev, lname(self, 2), lname(self, 1),
				   lu_lpath(s, 0, NULL)));
	EXPECT_EQ(-EEXIST, lfs_add_layer(self->dev, lname(self, 2), NULL, lu_lpath(s, 0, NULL)));

	ASSERT_EQ(0, lfs_get_layer(self->dev, lname(self, 1), &info));
	EXPECT_EQ(1, info.children);
	EXPECT_EQ(0, info.mounts);
	EXPECT_EQ(1, info.depth);
	EXPECT_STREQ("", (char *)info.parent);

	/* a parent with a child stays */
	EXPECT_EQ(-EBUSY, lfs_del_layer(self->dev, lname(self, 1)));
	/* a mounted layer stays */
	snprintf(data, sizeof(data), "layer=%s", lname(self, 2));
	ASSERT_EQ(0, lu_mount_data("layerfs", s->mnt, 0, data));
	EXPECT_STREQ("base top", lu_names(s->mnt));
	ASSERT_EQ(0, lfs_get_layer(self->dev, lname(self, 1), &info));
	EXPECT_EQ(1, info.mounts);
	EXPECT_EQ(-EBUSY, lfs_del_layer(self->dev, lname(self, 2)));
	ASSERT_EQ(0, umount(s->mnt));
	ASSERT_EQ(0, lfs_get_layer(self->dev, lname(self, 2), &info));
	EXPECT_EQ(0, info.mounts);
	EXPECT_EQ(0, lfs_del_layer(self->dev, lname(self, 2)));
	EXPECT_EQ(0, lfs_del_layer(self->dev, lname(self, 1)));
	EXPECT_EQ(-ENOENT, lfs_del_layer(self->dev, lname(self, 1)));
}

TEST_F(reg, mount_by_layer_name)
{
	struct lu_scratch *s = &self->s;
	char data[LU_PATH_MAX * 4], log[1024];
	int fsfd, i;

	for (i = 0; i < 4; i++) {
		char rel[16];

		snprintf(rel, sizeof(rel), "only%d", i);
		ASSERT_EQ(0, lu_file(s, 3 - i, rel, 0644, rel));
		ASSERT_EQ(0, lu_file(s, 3 - i, "shadow", 0644, rel));
		ASSERT_EQ(0, lfs_add_layer(self->dev, lname(self, i),
					   i ? lname(self, i - 1) : NULL,
					   lu_lpath(s, 3 - i, NULL)));
	}
	/* mount(2), read-only */
	snprintf(data, sizeof(data), "layer=%s", lname(self, 3));
	ASSERT_EQ(0, lu_mount_data("layerfs", s->mnt, 0, data));
	EXPECT_STREQ("only0 only1 only2 only3 shadow", lu_names(s->mnt));
	EXPECT_STREQ("only3", lu_cat(lu_mpath(s, "shadow")));
	EXPECT_EQ(-1, open(lu_mpath(s, "new"), O_CREAT | O_WRONLY, 0644));
	EXPECT_EQ(EROFS, errno);
	EXPECT_EQ(0, lu_mountinfo_opts(s->mnt, log, sizeof(log)));
	EXPECT_TRUE(lu_has_option(log, "layer", lname(self, 3))) {
		TH_LOG("mountinfo: %s", log);
	}
	ASSERT_EQ(0, umount(s->mnt));

	/* a middle layer as top, writable, through fsconfig */
	ASSERT_EQ(0, mkdir(lu_path(s, "u"), 0755));
	ASSERT_EQ(0, mkdir(lu_path(s, "w"), 0755));
	fsfd = lu_fsopen("layerfs");
	ASSERT_LE(0, fsfd);
	ASSERT_EQ(0, lu_fsconfig_string(fsfd, "layer", lname(self, 1)));
	ASSERT_EQ(0, lu_fsconfig_string(fsfd, "upperdir", lu_path(s, "u")));
	ASSERT_EQ(0, lu_fsconfig_string(fsfd, "workdir", lu_path(s, "w")));
	ASSERT_EQ(0, lu_fsmount_at(fsfd, s->mnt));
	close(fsfd);
	EXPECT_STREQ("only0 only1 shadow", lu_names(s->mnt));
	ASSERT_EQ(0, lu_write_file(lu_mpath(s, "new"), 0644, "n", 1));
	EXPECT_STREQ("n", lu_cat(lu_path(s, "u/new")));
	ASSERT_EQ(0, umount(s->mnt));

	/* refused: unknown, invalid, mixed with lowerdir, given twice */
	/* the registry is looked up at create, after the capability check */
	fsfd = lu_fsopen("layerfs");
	ASSERT_LE(0, fsfd);
	EXPECT_EQ(0, lu_fsconfig_string(fsfd, "layer", "no-such-layer"));
	EXPECT_EQ(-ENOENT, lu_fsconfig_create(fsfd));
	lu_fs_log(fsfd, log, sizeof(log));
	EXPECT_NE(NULL, strstr(log, "not registered")) {
		TH_LOG("log: %s", log);
	}
	close(fsfd);
	fsfd = lu_fsopen("layerfs");
	ASSERT_LE(0, fsfd);
	EXPECT_EQ(-EINVAL, lu_fsconfig_string(fsfd, "layer", "bad/name"));
	ASSERT_EQ(0, lu_fsconfig_string(fsfd, "layer", lname(self, 3)));
	EXPECT_EQ(-EINVAL, lu_fsconfig_string(fsfd, "layer", lname(self, 2)));
	EXPECT_EQ(-EINVAL, lu_fsconfig_string(fsfd, "lowerdir+", lu_lpath(s, 0, NULL)));
	lu_fs_log(fsfd, log, sizeof(log));
	EXPECT_NE(NULL, strstr(log, "cannot be mixed")) {
		TH_LOG("log: %s", log);
	}
	close(fsfd);
	snprintf(data, sizeof(data), "lowerdir=%s,layer=%s", lu_lpath(s, 0, NULL),
		 lname(self, 3));
	EXPECT_EQ(-EINVAL, lu_mount_data("layerfs", s->mnt, 0, data));

	for (i = 3; i >= 0; i--)
		EXPECT_EQ(0, lfs_del_layer(self->dev, lname(self, i)));
}

/* Two images sharing their bottom three layers, mounted at once. */
TEST_F(reg, images_share_layers)
{
	struct lu_scratch *s = &self->s;
	char data[64], mnt2[LU_PATH_MAX];
	struct layerfs_layer_info info;
	int i;

	ASSERT_EQ(0, lu_file(s, 3, "a", 0644, "a"));
	ASSERT_EQ(0, lu_file(s, 2, "b", 0644, "b"));
	ASSERT_EQ(0, lu_file(s, 1, "c", 0644, "c"));
	ASSERT_EQ(0, lu_file(s, 0, "img1", 0644, "1"));
	ASSERT_EQ(0, mkdir(lu_path(s, "img2"), 0755));
	ASSERT_EQ(0, lu_write_file(lu_path(s, "img2/img2"), 0644, "2", 1));
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, lfs_add_layer(self->dev, lname(self, i),
					   i ? lname(self, i - 1) : NULL,
					   lu_lpath(s, 3 - i, NULL)));
	ASSERT_EQ(0, lfs_add_layer(self->dev, lname(self, 10), lname(self, 2),
				   lu_lpath(s, 0, NULL)));
	ASSERT_EQ(0, lfs_add_layer(self->dev, lname(self, 20), lname(self, 2),
				   lu_path(s, "img2")));

	snprintf(mnt2, sizeof(mnt2), "%s", lu_path(s, "mnt2"));
	ASSERT_EQ(0, mkdir(mnt2, 0755));
	snprintf(data, sizeof(data), "layer=%s", lname(self, 10));
	ASSERT_EQ(0, lu_mount_data("layerfs", s->mnt, 0, data));
	snprintf(data, sizeof(data), "layer=%s", lname(self, 20));
	ASSERT_EQ(0, lu_mount_data("layerfs", mnt2, 0, data));
	EXPECT_STREQ("a b c img1", lu_names(s->mnt));
	EXPECT_STREQ("a b c img2", lu_names(mnt2));
	ASSERT_EQ(0, lfs_get_layer(self->dev, lname(self, 0), &info));
	EXPECT_EQ(2, info.mounts);
	ASSERT_EQ(0, lfs_get_layer(self->dev, lname(self, 2), &info));
	EXPECT_EQ(2, info.children);

	/* the top of one image can go only once unmounted; shared ones stay */
	EXPECT_EQ(-EBUSY, lfs_del_layer(self->dev, lname(self, 10)));
	ASSERT_EQ(0, umount(s->mnt));
	EXPECT_EQ(0, lfs_del_layer(self->dev, lname(self, 10)));
	EXPECT_EQ(-EBUSY, lfs_del_layer(self->dev, lname(self, 2)));
	EXPECT_EQ(-EBUSY, lfs_del_layer(self->dev, lname(self, 0)));
	EXPECT_STREQ("a b c img2", lu_names(mnt2));
	ASSERT_EQ(0, umount(mnt2));
	EXPECT_EQ(0, lfs_del_layer(self->dev, lname(self, 20)));
	for (i = 2; i >= 0; i--)
		EXPECT_EQ(0, lfs_del_layer(self->dev, lname(self, i)));
}

/* A child in a new mount namespace mounts layer @name at @mnt and reads @f. */
static int mount_in_new_ns(const char *name, const char *mnt, const char *f,
			   const char *want)
{
	char data[64], path[LU_PATH_MAX];
	const char *got;
	int status;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		if (unshare(CLONE_NEWNS))
			_exit(10);
		snprintf(data, sizeof(data), "layer=%s", name);
		if (lu_mount_data("layerfs", mnt, 0, data))
			_exit(11);
		snprintf(path, sizeof(path), "%s/%s", mnt, f);
		got = lu_cat(path);
		_exit(got && !strcmp(got, want) ? 0 : 12);
	}
	if (waitpid(pid, &status, 0) != pid)
		return -errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/*
 * podman registers its layers through a private bind mount of its
 * overlay/ directory over itself, and removes that mount when it is done.
 * The registry keeps its own private clone of each layer directory, as an
 * overlay mount does of its lowerdirs: the layers stay mountable from any
 * mount namespace, and the mount they were added through is not kept busy.
 */
TEST_F(reg, layers_outlive_the_mount_they_were_added_through)
{
	struct lu_scratch *s = &self->s;
	char store[LU_PATH_MAX], a[LU_PATH_MAX + 8], b[LU_PATH_MAX + 8];
	char data[3 * LU_PATH_MAX];

	snprintf(store, sizeof(store), "%s", lu_path(s, "store"));
	snprintf(a, sizeof(a), "%s/a", store);
	snprintf(b, sizeof(b), "%s/b", store);
	ASSERT_EQ(0, mkdir(store, 0755));
	ASSERT_EQ(0, mkdir(a, 0755));
	ASSERT_EQ(0, mkdir(b, 0755));
	ASSERT_EQ(0, lu_write_file(lu_path(s, "store/a/f"), 0644, "a", 1));
	ASSERT_EQ(0, lu_write_file(lu_path(s, "store/b/f"), 0644, "b", 1));

	/* overlayfs: its lowerdirs' mount can go while it is mounted */
	ASSERT_EQ(0, mount(store, store, NULL, MS_BIND, NULL));
	ASSERT_EQ(0, mount(NULL, store, NULL, MS_PRIVATE, NULL));
	snprintf(data, sizeof(data), "lowerdir=%s:%s", b, a);
	ASSERT_EQ(0, lu_mount_data("overlay", s->mnt, 0, data));
	EXPECT_EQ(0, umount(store)) {
		TH_LOG("umount of overlay's lower mount: %s", strerror(errno));
		umount2(store, MNT_DETACH);
	}
	EXPECT_STREQ("b", lu_cat(lu_mpath(s, "f")));
	ASSERT_EQ(0, umount(s->mnt));

	/* the registry, the same */
	ASSERT_EQ(0, mount(store, store, NULL, MS_BIND, NULL));
	ASSERT_EQ(0, mount(NULL, store, NULL, MS_PRIVATE, NULL));
	ASSERT_EQ(0, lfs_add_layer(self->dev, lname(self, 0), NULL, a));
	ASSERT_EQ(0, lfs_add_layer(self->dev, lname(self, 1), lname(self, 0), b));
	/* mounted from another mount namespace than the one that added it */
	EXPECT_EQ(0, mount_in_new_ns(lname(self, 1), s->mnt, "f", "b"));
	EXPECT_EQ(0, umount(store)) {
		TH_LOG("umount of the mount the layers came through: %s",
		       strerror(errno));
		umount2(store, MNT_DETACH);
	}
	/* and after that mount is gone */
	snprintf(data, sizeof(data), "layer=%s", lname(self, 1));
	EXPECT_EQ(0, lu_mount_data("layerfs", s->mnt, 0, data));
	EXPECT_STREQ("b", lu_cat(lu_mpath(s, "f")));
	EXPECT_EQ(0, umount(s->mnt));
	EXPECT_EQ(0, mount_in_new_ns(lname(self, 0), s->mnt, "f", "a"));
	EXPECT_EQ(0, lfs_del_layer(self->dev, lname(self, 1)));
	EXPECT_EQ(0, lfs_del_layer(self->dev, lname(self, 0)));
}

TEST_F_TIMEOUT(reg, chain_of_1024_layers, 300)
{
	struct lu_scratch *s = &self->s;
	enum { N = 1024 };
	struct layerfs_layer_info info;
	char dir[LU_PATH_MAX], file[LU_PATH_MAX + 16], data[64], rel[32];
	int i;

	ASSERT_EQ(0, mkdir(lu_path(s, "many"), 0755));
	for (i = 0; i < N; i++) {
		snprintf(dir, sizeof(dir), "%s/%d", lu_path(s, "many"), i);
		ASSERT_EQ(0, mkdir(dir, 0755));
		if (i % 128 == 0 || i == N - 1) {
			snprintf(file, sizeof(file), "%s/f%d", dir, i);
			ASSERT_EQ(0, lu_write_file(file, 0644, "x", 1));
		}
		ASSERT_EQ(0, lfs_add_layer(self->dev, lname(self, i),
					   i ? lname(self, i - 1) : NULL, dir));
	}
	ASSERT_EQ(0, lfs_get_layer(self->dev, lname(self, N - 1), &info));
	EXPECT_EQ(N, info.depth);
	snprintf(data, sizeof(data), "layer=%s", lname(self, N - 1));
	ASSERT_EQ(0, lu_mount_data("layerfs", s->mnt, 0, data));
	for (i = 0; i < N; i++) {
		if (i % 128 && i != N - 1)
			continue;
		snprintf(rel, sizeof(rel), "f%d", i);
		EXPECT_STREQ("x", lu_cat(lu_mpath(s, rel))) {
			TH_LOG("%s", rel);
		}
	}
	EXPECT_EQ(-ENOENT, lu_ftype(lu_mpath(s, "missing")));
	ASSERT_EQ(0, umount(s->mnt));
	for (i = N - 1; i >= 0; i--)
		ASSERT_EQ(0, lfs_del_layer(self->dev, lname(self, i)));
}

struct race_arg {
	FIXTURE_DATA(reg) *self;
	int id;
	int iterations;
	int unexpected;
	char why[256];
};

/*
 * Each thread owns a 3-layer chain on a shared base layer and cycles it:
 * add, mount, read, umount, delete; and tries to delete the shared base
 * (EBUSY) and layers of other threads (EBUSY, ENOENT or 0 are all fine:
 * the other thread copes).
 */
static void *racer(void *p)
{
	struct race_arg *a = p;
	FIXTURE_DATA(reg) *self = a->self;
	char mnt[LU_PATH_MAX], name[3][48], data[96];
	int i, k, ret;

	snprintf(mnt, sizeof(mnt), "%s/race%d", self->s.root, a->id);
	mkdir(mnt, 0755);
	for (i = 0; i < a->iterations; i++) {
		for (k = 0; k < 3; k++) {
			snprintf(name[k], sizeof(name[k]), "%s-r%d-%d", self->prefix, a->id, k);
			ret = lfs_add_layer(self->dev, name[k],
					    k ? name[k - 1] : lname(self, 999),
					    lu_lpath(&self->s, k, NULL));
			if (ret && ret != -ENOENT) {
				snprintf(a->why, sizeof(a->why), "add %s: %d", name[k], ret);
				a->unexpected++;
			}
		}
		snprintf(data, sizeof(data), "layer=%s", name[2]);
		ret = lu_mount_data("layerfs", mnt, 0, data);
		if (!ret) {
			if (lu_ftype(lu_path(&self->s, "race%d/base", a->id)) != S_IFREG) {
				snprintf(a->why, sizeof(a->why), "base not visible");
				a->unexpected++;
			}
			if (lfs_del_layer(self->dev, name[0]) != -EBUSY) {
				snprintf(a->why, sizeof(a->why), "del of a mounted layer");
				a->unexpected++;
			}
			umount(mnt);
		} else if (ret != -ENOENT) {
			snprintf(a->why, sizeof(a->why), "mount: %d", ret);
			a->unexpected++;
		}
		if (lfs_del_layer(self->dev, lname(self, 999)) != -EBUSY) {
			snprintf(a->why, sizeof(a->why), "del of the shared base");
			a->unexpected++;
		}
		/* somebody else's */
		snprintf(data, sizeof(data), "%s-r%d-2", self->prefix, (a->id + 1) % 4);
		lfs_del_layer(self->dev, data);
		for (k = 2; k >= 0; k--) {
			ret = lfs_del_layer(self->dev, name[k]);
			if (ret && ret != -ENOENT) {
				snprintf(a->why, sizeof(a->why), "del %s: %d", name[k], ret);
				a->unexpected++;
			}
		}
	}
	return NULL;
}

TEST_F_TIMEOUT(reg, concurrent_add_del_mount_umount_then_rmmod, 300)
{
	struct lu_scratch *s = &self->s;
	enum { NT = 4 };
	/* LAYERFS_RACE_ITERS: make stress runs many more */
	const char *env = getenv("LAYERFS_RACE_ITERS");
	int iters = env && *env ? atoi(env) : 300;
	struct race_arg a[NT];
	pthread_t t[NT];
	int i;

	ASSERT_EQ(0, lu_file(s, 3, "base", 0644, "base"));
	ASSERT_EQ(0, lfs_add_layer(self->dev, lname(self, 999), NULL, lu_lpath(s, 3, NULL)));
	for (i = 0; i < NT; i++) {
		a[i] = (struct race_arg){ .self = self, .id = i, .iterations = iters };
		ASSERT_EQ(0, pthread_create(&t[i], NULL, racer, &a[i]));
	}
	for (i = 0; i < NT; i++) {
		pthread_join(t[i], NULL);
		EXPECT_EQ(0, a[i].unexpected) {
			TH_LOG("thread %d: %s", i, a[i].why);
		}
	}
	EXPECT_EQ(0, lfs_del_layer(self->dev, lname(self, 999)));

	/* nothing left pinned: the module unloads (dropping what is left) */
	close(self->dev);
	self->dev = -1;
	lu_scratch_fini(s);
	{
		int dev = open(LAYERFS_DEVICE, O_RDWR);

		ASSERT_LE(0, dev);
		/* a layer left registered is dropped on unload */
		ASSERT_EQ(0, lfs_add_layer(dev, "left-behind", NULL, "/tmp"));
		close(dev);
	}
	EXPECT_EQ(0, lfs_unload_module());
	EXPECT_FALSE(lfs_fs_registered("layerfs"));
	EXPECT_EQ(0, lfs_load_module());
	self->dev = open(LAYERFS_DEVICE, O_RDWR);
	ASSERT_LE(0, self->dev);
	EXPECT_EQ(-ENOENT, lfs_del_layer(self->dev, "left-behind"));
	ASSERT_EQ(0, lu_scratch_init(s, "layerfs", 4));
}

LU_HARNESS_MAIN
