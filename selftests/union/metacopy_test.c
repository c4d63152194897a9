// SPDX-License-Identifier: GPL-2.0
/*
 * metacopy=on: a change of metadata only (chmod, chown, utimes, setxattr,
 * a rename) of a lower regular file copies up a metacopy, a file with
 * the size but no data and an empty trusted.overlay.metacopy; reads go
 * to the lower data, stat shows the lower data's blocks, and the first
 * write (or a truncate) copies the data in. A renamed metacopy finds its
 * data through trusted.overlay.redirect. Each upper is written by one of
 * layerfs and overlay (the fixture's variant), checked on disk, then
 * read by both: on-disk compatibility both ways. Without metacopy=on a
 * metacopy is refused (EPERM) and one without data is EIO, on both.
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
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/xattr.h>

#include "kselftest_harness.h"
#include "harness.h"
#include "union.h"
#include "ctl.h"

#define METACOPY	"trusted.overlay.metacopy"
#define REDIRECT	"trusted.overlay.redirect"
/* A file of several pages, so that blocks tell data from a hole. */
#define BIG_SIZE	(64 * 1024)

static const char *const fstypes[] = { "overlay", "layerfs" };

FIXTURE(metacopy) {
	struct lu_scratch s;
	struct lu_rw rw;
	char big[BIG_SIZE];
	struct stat lower_st;	/* of the lower "big" */
	int dev;		/* /dev/layerfs with registry, else -1 */
	char names[2][48];	/* the registered layers, l0's first */
};

FIXTURE_VARIANT(metacopy) {
	const char *writer;	/* changes the union with metacopy=on */
	bool registry;		/* layerfs mounts by layer= */
};

FIXTURE_VARIANT_ADD(metacopy, overlay_writes) {
	.writer = "overlay",
};

FIXTURE_VARIANT_ADD(metacopy, layerfs_writes) {
	.writer = "layerfs",
};

/* The same through the registry: layerfs writes and reads by layer=. */
FIXTURE_VARIANT_ADD(metacopy, layerfs_registry_writes) {
	.writer = "layerfs",
	.registry = true,
};

/* Register l1 and l0 over it; layerfs then mounts layer=l0's name. */
static int register_layers(FIXTURE_DATA(metacopy) *self)
{
	int i, ret;

	self->dev = open(LAYERFS_DEVICE, O_RDWR | O_CLOEXEC);
	if (self->dev < 0)
		return -errno;
	for (i = 0; i < 2; i++)
		snprintf(self->names[i], sizeof(self->names[i]), "metacopy-%d-l%d",
			 getpid(), i);
	ret = lfs_add_layer(self->dev, self->names[1], NULL,
			    lu_lpath(&self->s, 1, NULL));
	if (!ret)
		ret = lfs_add_layer(self->dev, self->names[0], self->names[1],
				    lu_lpath(&self->s, 0, NULL));
	return ret;
}

FIXTURE_SETUP(metacopy)
{
	size_t i;

	if (!lu_fs_need(_metadata, "layerfs") || !lu_fs_need(_metadata, "overlay"))
		return;
	ASSERT_EQ(0, lu_scratch_init(&self->s, "overlay", 2));
	ASSERT_EQ(0, lu_rw_init(&self->rw, &self->s, NULL));
	for (i = 0; i < sizeof(self->big); i++)
		self->big[i] = 'a' + i % 23;
	ASSERT_EQ(0, lu_file_data(&self->s, 1, "big", 0644, self->big,
				  sizeof(self->big)));
	ASSERT_EQ(0, stat(lu_lpath(&self->s, 1, "big"), &self->lower_st));
	ASSERT_LT(0, self->lower_st.st_blocks);
	ASSERT_EQ(0, lu_file(&self->s, 1, "small", 0644, "small"));
	ASSERT_EQ(0, lu_file(&self->s, 0, "top", 0644, "top"));
	ASSERT_EQ(0, lu_file(&self->s, 1, "d/f", 0644, "df"));
	ASSERT_EQ(0, lu_mkdir(&self->s, 0, "e", 0755));
	self->dev = -1;
	if (variant->registry)
		ASSERT_EQ(0, register_layers(self));
}

FIXTURE_TEARDOWN(metacopy)
{
	lu_scratch_fini(&self->s);
	lu_rw_fini(&self->rw);
	if (self->dev < 0)
		return;
	lfs_del_layer(self->dev, self->names[0]);
	lfs_del_layer(self->dev, self->names[1]);
	close(self->dev);
}

/*
 * Mount @fstype on s->mnt over the two layers and rw, with ",@extra";
 * layerfs by layer= when the layers are registered.
 */
static int mount_fs(FIXTURE_DATA(metacopy) *self, const char *fstype,
		    const char *extra)
{
	char data[4 * LU_PATH_MAX];
	int ret;

	if (self->dev < 0 || strcmp(fstype, "layerfs"))
		return lu_mount_rw_opts(&self->s, &self->rw, fstype, extra);
	snprintf(data, sizeof(data), "layer=%s,upperdir=%s,workdir=%s%s%s",
		 self->names[0], self->rw.upper, self->rw.work,
		 *extra ? "," : "", extra);
	ret = lu_mount_data(fstype, self->s.mnt, 0, data);
	if (!ret)
		self->s.mounted = true;
	return ret;
}

static const char *upper(FIXTURE_DATA(metacopy) *self, const char *rel)
{
	static char path[2][2 * LU_PATH_MAX];
	static int n;

	n ^= 1;
	snprintf(path[n], sizeof(path[n]), "%s/%s", self->rw.upper, rel);
	return path[n];
}

/* Size of upper/@rel's metacopy xattr, or -errno (-ENODATA: none). */
static ssize_t upper_metacopy(FIXTURE_DATA(metacopy) *self, const char *rel)
{
	ssize_t n = lgetxattr(upper(self, rel), METACOPY, NULL, 0);

	return n < 0 ? -errno : n;
}

static const char *upper_redirect(FIXTURE_DATA(metacopy) *self,
				  const char *rel)
{
	static char val[LU_PATH_MAX];
	ssize_t n = lgetxattr(upper(self, rel), REDIRECT, val, sizeof(val) - 1);

	val[n > 0 ? n : 0] = '\0';
	return val;
}

/* Whether @path holds exactly @len bytes of @want (read() and mmap()). */
static bool same_data(const char *path, const char *want, size_t len)
{
	char *buf = malloc(len + 1);
	bool same = false;
	ssize_t n;
	void *map;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0 || !buf)
		goto out;
	n = read(fd, buf, len + 1);
	if (n != (ssize_t)len || memcmp(buf, want, len))
		goto out;
	map = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		goto out;
	same = !memcmp(map, want, len);
	munmap(map, len);
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	return same;
}

/* A metacopy of "big" with @mode: what each union shows of it. */
static void check_big(struct __test_metadata *_metadata,
		      FIXTURE_DATA(metacopy) *self, const char *fstype,
		      const char *rel, mode_t mode, bool blocks)
{
	const char *path = lu_mpath(&self->s, rel);
	struct stat st;

	ASSERT_EQ(0, stat(path, &st)) {
		TH_LOG("%s: %s: %s", fstype, rel, strerror(errno));
	}
	EXPECT_EQ(mode, st.st_mode & 07777) {
		TH_LOG("%s: %s", fstype, rel);
	}
	EXPECT_EQ(BIG_SIZE, st.st_size) {
		TH_LOG("%s: %s", fstype, rel);
	}
	/* the blocks of the lower data, not of the hole in the upper */
	if (blocks) {
		EXPECT_EQ(self->lower_st.st_blocks, st.st_blocks) {
			TH_LOG("%s: %s", fstype, rel);
		}
	}
	EXPECT_TRUE(same_data(path, self->big, BIG_SIZE)) {
		TH_LOG("%s: %s", fstype, rel);
	}
}

/*
 * upper/@rel is a metacopy of "big": empty xattr, size, and no data at
 * all (SEEK_DATA: st_blocks may count an xattr block, as on ext4).
 */
static void check_upper_metacopy(struct __test_metadata *_metadata,
				 FIXTURE_DATA(metacopy) *self, const char *rel)
{
	struct stat st;
	int fd;

	EXPECT_EQ(0, upper_metacopy(self, rel)) {
		TH_LOG("%s", rel);
	}
	ASSERT_EQ(0, lstat(upper(self, rel), &st));
	EXPECT_EQ(BIG_SIZE, st.st_size);
	fd = open(upper(self, rel), O_RDONLY);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, lseek(fd, 0, SEEK_DATA)) {
		TH_LOG("%s has data", rel);
	}
	EXPECT_EQ(ENXIO, errno);
	close(fd);
}

TEST_F(metacopy, chmod_copies_up_metadata_only)
{
	unsigned int f;

	ASSERT_EQ(0, mount_fs(self, variant->writer, "metacopy=on"));
	ASSERT_EQ(0, chmod(lu_mpath(&self->s, "big"), 0600));
	check_big(_metadata, self, variant->writer, "big", 0600, true);
	/* and after the dentries are dropped, from the upper again */
	ASSERT_EQ(0, lu_drop_caches(2));
	check_big(_metadata, self, variant->writer, "big", 0600, true);
	ASSERT_EQ(0, lu_umount(&self->s));
	check_upper_metacopy(_metadata, self, "big");

	for (f = 0; f < 2; f++) {
		ASSERT_EQ(0, mount_fs(self, fstypes[f], "metacopy=on"));
		check_big(_metadata, self, fstypes[f], "big", 0600, true);
		ASSERT_EQ(0, lu_umount(&self->s));
	}
}

/* chown, utimes, setxattr, a mode of a file in a lower dir: no data. */
TEST_F(metacopy, other_metadata_changes_copy_up_no_data)
{
	struct timeval tv[2] = { { 1000000, 0 }, { 2000000, 0 } };
	const char *rel[] = { "big", "small", "d/f" };
	struct stat st;
	unsigned int f, i;

	ASSERT_EQ(0, mount_fs(self, variant->writer, "metacopy=on"));
	ASSERT_EQ(0, chown(lu_mpath(&self->s, "big"), 1234, 5678));
	ASSERT_EQ(0, utimes(lu_mpath(&self->s, "small"), tv));
	ASSERT_EQ(0, setxattr(lu_mpath(&self->s, "d/f"), "user.k", "v", 1, 0));
	ASSERT_EQ(0, lu_umount(&self->s));
	for (i = 0; i < ARRAY_SIZE(rel); i++) {
		EXPECT_EQ(0, upper_metacopy(self, rel[i])) {
			TH_LOG("%s", rel[i]);
		}
	}

	for (f = 0; f < 2; f++) {
		char v[8] = "";

		ASSERT_EQ(0, mount_fs(self, fstypes[f], "metacopy=on"));
		ASSERT_EQ(0, stat(lu_mpath(&self->s, "big"), &st));
		EXPECT_EQ(1234, st.st_uid);
		EXPECT_EQ(5678, st.st_gid);
		EXPECT_TRUE(same_data(lu_mpath(&self->s, "big"), self->big,
				      BIG_SIZE)) {
			TH_LOG("%s", fstypes[f]);
		}
		ASSERT_EQ(0, stat(lu_mpath(&self->s, "small"), &st));
		EXPECT_EQ(2000000, st.st_mtime);
		EXPECT_STREQ("small", lu_cat(lu_mpath(&self->s, "small")));
		EXPECT_EQ(1, getxattr(lu_mpath(&self->s, "d/f"), "user.k", v,
				      sizeof(v)));
		EXPECT_STREQ("df", lu_cat(lu_mpath(&self->s, "d/f")));
		/* the metacopy xattr is the union's own: not listed */
		EXPECT_EQ(-1, getxattr(lu_mpath(&self->s, "d/f"), METACOPY,
				       NULL, 0));
		ASSERT_EQ(0, lu_umount(&self->s));
	}
}

/*
 * A write copies the data in: the xattr goes, the content is the lower
 * one and the write's; a file opened before sees the new data.
 */
TEST_F(metacopy, first_write_copies_the_data_up)
{
	char want[BIG_SIZE];
	char buf[4] = "";
	unsigned int f;
	int rfd, wfd;

	memcpy(want, self->big, sizeof(want));
	memcpy(want + 100, "XYZ", 3);
	ASSERT_EQ(0, mount_fs(self, variant->writer, "metacopy=on"));
	ASSERT_EQ(0, chmod(lu_mpath(&self->s, "big"), 0640));
	rfd = open(lu_mpath(&self->s, "big"), O_RDONLY);
	ASSERT_LE(0, rfd);
	ASSERT_EQ(3, pread(rfd, buf, 3, 100));
	wfd = open(lu_mpath(&self->s, "big"), O_WRONLY);
	ASSERT_LE(0, wfd);
	ASSERT_EQ(3, pwrite(wfd, "XYZ", 3, 100));
	ASSERT_EQ(0, close(wfd));
	ASSERT_EQ(3, pread(rfd, buf, 3, 100));
	EXPECT_EQ(0, memcmp(buf, "XYZ", 3)) {
		TH_LOG("%s: an earlier open reads \"%.3s\"", variant->writer, buf);
	}
	ASSERT_EQ(0, close(rfd));
	EXPECT_TRUE(same_data(lu_mpath(&self->s, "big"), want, BIG_SIZE));
	ASSERT_EQ(0, lu_umount(&self->s));
	EXPECT_EQ(-ENODATA, upper_metacopy(self, "big"));
	EXPECT_TRUE(same_data(upper(self, "big"), want, BIG_SIZE));

	for (f = 0; f < 2; f++) {
		struct stat st;

		ASSERT_EQ(0, mount_fs(self, fstypes[f], "metacopy=on"));
		EXPECT_TRUE(same_data(lu_mpath(&self->s, "big"), want, BIG_SIZE)) {
			TH_LOG("%s", fstypes[f]);
		}
		ASSERT_EQ(0, stat(lu_mpath(&self->s, "big"), &st));
		EXPECT_EQ(0640, st.st_mode & 07777);
		ASSERT_EQ(0, lu_umount(&self->s));
	}
}

/* truncate() keeps the data it keeps; O_TRUNC needs none. */
TEST_F(metacopy, truncate_copies_the_data_it_keeps)
{
	unsigned int f;
	int fd;

	ASSERT_EQ(0, mount_fs(self, variant->writer, "metacopy=on"));
	ASSERT_EQ(0, chmod(lu_mpath(&self->s, "big"), 0600));
	ASSERT_EQ(0, chmod(lu_mpath(&self->s, "small"), 0600));
	ASSERT_EQ(0, truncate(lu_mpath(&self->s, "big"), 10));
	fd = open(lu_mpath(&self->s, "small"), O_WRONLY | O_TRUNC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, close(fd));
	/* and a lower file truncated before any metacopy */
	ASSERT_EQ(0, truncate(lu_mpath(&self->s, "d/f"), 1));
	ASSERT_EQ(0, lu_umount(&self->s));
	EXPECT_EQ(-ENODATA, upper_metacopy(self, "big"));
	EXPECT_EQ(-ENODATA, upper_metacopy(self, "small"));
	EXPECT_EQ(-ENODATA, upper_metacopy(self, "d/f"));

	for (f = 0; f < 2; f++) {
		ASSERT_EQ(0, mount_fs(self, fstypes[f], "metacopy=on"));
		EXPECT_TRUE(same_data(lu_mpath(&self->s, "big"), self->big, 10)) {
			TH_LOG("%s", fstypes[f]);
		}
		EXPECT_STREQ("", lu_cat(lu_mpath(&self->s, "small")));
		EXPECT_STREQ("d", lu_cat(lu_mpath(&self->s, "d/f")));
		ASSERT_EQ(0, lu_umount(&self->s));
	}
}

/*
 * A metacopy renamed finds its data through a redirect: relative in the
 * same dir, absolute into another; the old name is gone, and a write
 * through the new name copies the right data.
 */
TEST_F(metacopy, renamed_metacopy_follows_its_redirect)
{
	static const char *const moves[][2] = {
		{ "big", "e/moved" },	/* a metacopy, into another dir */
		{ "d/f", "d/f2" },	/* the rename's copy-up makes one */
		{ "small", "e/small2" },
	};
	char a[LU_PATH_MAX];
	unsigned int f, i;

	ASSERT_EQ(0, mount_fs(self, variant->writer, "metacopy=on"));
	ASSERT_EQ(0, chmod(lu_mpath(&self->s, "big"), 0600));
	for (i = 0; i < ARRAY_SIZE(moves); i++) {
		snprintf(a, sizeof(a), "%s", lu_mpath(&self->s, moves[i][0]));
		ASSERT_EQ(0, rename(a, lu_mpath(&self->s, moves[i][1])));
	}
	check_big(_metadata, self, variant->writer, "e/moved", 0600, true);
	ASSERT_EQ(0, lu_drop_caches(2));
	check_big(_metadata, self, variant->writer, "e/moved", 0600, true);
	EXPECT_STREQ("df", lu_cat(lu_mpath(&self->s, "d/f2")));
	ASSERT_EQ(0, lu_append_str(lu_mpath(&self->s, "e/small2"), "+"));
	EXPECT_STREQ("small+", lu_cat(lu_mpath(&self->s, "e/small2")));
	ASSERT_EQ(0, lu_umount(&self->s));
	check_upper_metacopy(_metadata, self, "e/moved");
	EXPECT_STREQ("/big", upper_redirect(self, "e/moved"));
	EXPECT_EQ(0, upper_metacopy(self, "d/f2"));
	EXPECT_STREQ("f", upper_redirect(self, "d/f2"));
	EXPECT_EQ(-ENODATA, upper_metacopy(self, "e/small2"));

	for (f = 0; f < 2; f++) {
		ASSERT_EQ(0, mount_fs(self, fstypes[f], "metacopy=on"));
		check_big(_metadata, self, fstypes[f], "e/moved", 0600, true);
		EXPECT_STREQ("df", lu_cat(lu_mpath(&self->s, "d/f2"))) {
			TH_LOG("%s", fstypes[f]);
		}
		EXPECT_STREQ("small+", lu_cat(lu_mpath(&self->s, "e/small2"))) {
			TH_LOG("%s", fstypes[f]);
		}
		for (i = 0; i < ARRAY_SIZE(moves); i++) {
			EXPECT_EQ(-ENOENT, lu_ftype(lu_mpath(&self->s, moves[i][0]))) {
				TH_LOG("%s: %s", fstypes[f], moves[i][0]);
			}
		}
		ASSERT_EQ(0, lu_umount(&self->s));
	}
}

/*
 * A hard link to a metacopy stays a metacopy: the new name finds the
 * data by an absolute redirect on the shared upper file.
 */
TEST_F(metacopy, hard_link_of_a_metacopy)
{
	char a[LU_PATH_MAX];
	unsigned int f;
	struct stat st;

	ASSERT_EQ(0, mount_fs(self, variant->writer, "metacopy=on"));
	ASSERT_EQ(0, chmod(lu_mpath(&self->s, "big"), 0600));
	snprintf(a, sizeof(a), "%s", lu_mpath(&self->s, "big"));
	ASSERT_EQ(0, link(a, lu_mpath(&self->s, "e/link")));
	check_big(_metadata, self, variant->writer, "e/link", 0600, true);
	ASSERT_EQ(0, lu_umount(&self->s));
	check_upper_metacopy(_metadata, self, "e/link");
	EXPECT_STREQ("/big", upper_redirect(self, "e/link"));

	for (f = 0; f < 2; f++) {
		ASSERT_EQ(0, mount_fs(self, fstypes[f], "metacopy=on"));
		check_big(_metadata, self, fstypes[f], "big", 0600, true);
		EXPECT_TRUE(same_data(lu_mpath(&self->s, "e/link"), self->big,
				      BIG_SIZE)) {
			TH_LOG("%s", fstypes[f]);
		}
		ASSERT_EQ(0, stat(lu_mpath(&self->s, "e/link"), &st));
		EXPECT_EQ(2, st.st_nlink);
		ASSERT_EQ(0, lu_umount(&self->s));
	}
}

/*
 * File capabilities survive the data's copy into a metacopy (writing the
 * data would drop security.capability, as any write does): on both.
 */
TEST_F(metacopy, file_capabilities_survive_the_data_copy_up)
{
	/* struct vfs_cap_data, revision 2: effective, cap_net_raw (13) */
	static const unsigned int cap[5] = { 0x02000001, 1 << 13, 0, 0, 0 };
	unsigned int got[5] = { 0 };
	unsigned int f;
	int fd;

	ASSERT_EQ(0, lsetxattr(lu_lpath(&self->s, 1, "big"), "security.capability",
			       cap, sizeof(cap), 0));
	for (f = 0; f < 2; f++) {
		const char *path = lu_mpath(&self->s, "big");

		ASSERT_EQ(0, mount_fs(self, variant->writer, "metacopy=on"));
		ASSERT_EQ(0, utimes(path, NULL));
		EXPECT_EQ(0, upper_metacopy(self, "big"));
		/* an open for writing copies the data (a write would kill it) */
		fd = open(path, f ? O_WRONLY : O_RDWR);
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, close(fd));
		EXPECT_EQ(-ENODATA, upper_metacopy(self, "big"));
		EXPECT_EQ(sizeof(cap), getxattr(path, "security.capability", got,
						sizeof(got))) {
			TH_LOG("%s: %s", variant->writer, f ? "O_WRONLY" : "O_RDWR");
		}
		EXPECT_EQ(0, memcmp(cap, got, sizeof(cap)));
		ASSERT_EQ(0, lu_umount(&self->s));
		ASSERT_EQ(0, lu_rw_reset(&self->rw));
	}
}

/*
 * An upper with metacopies used as a lower layer: the data comes from
 * the layer below it, also after a copy-up into a new upper.
 */
TEST_F(metacopy, metacopy_in_a_lower_layer)
{
	char data[6 * LU_PATH_MAX], path[2 * LU_PATH_MAX];
	static char want[BIG_SIZE + 1];
	struct lu_rw rw2;
	unsigned int f;

	ASSERT_EQ(0, mount_fs(self, variant->writer, "metacopy=on"));
	ASSERT_EQ(0, chmod(lu_mpath(&self->s, "big"), 0604));
	ASSERT_EQ(0, lu_umount(&self->s));
	for (f = 0; f < 2; f++) {
		snprintf(rw2.upper, sizeof(rw2.upper), "%s",
			 lu_path(&self->s, "upper2-%u", f));
		snprintf(rw2.work, sizeof(rw2.work), "%s",
			 lu_path(&self->s, "work2-%u", f));
		ASSERT_EQ(0, mkdir(rw2.upper, 0755));
		ASSERT_EQ(0, mkdir(rw2.work, 0755));
		snprintf(data, sizeof(data), "lowerdir=%s:%s:%s,metacopy=on",
			 self->rw.upper, lu_lpath(&self->s, 0, NULL),
			 lu_lpath(&self->s, 1, NULL));
		ASSERT_EQ(0, lu_mount_data(fstypes[f], self->s.mnt, MS_RDONLY,
					   data));
		self->s.mounted = true;
		check_big(_metadata, self, fstypes[f], "big", 0604, true);
		ASSERT_EQ(0, lu_umount(&self->s));

		/* a metacopy of the metacopy, then the data from the bottom */
		snprintf(data, sizeof(data),
			 "lowerdir=%s:%s:%s,upperdir=%s,workdir=%s,metacopy=on",
			 self->rw.upper, lu_lpath(&self->s, 0, NULL),
			 lu_lpath(&self->s, 1, NULL), rw2.upper, rw2.work);
		ASSERT_EQ(0, lu_mount_data(fstypes[f], self->s.mnt, 0, data));
		self->s.mounted = true;
		ASSERT_EQ(0, chmod(lu_mpath(&self->s, "big"), 0600));
		check_big(_metadata, self, fstypes[f], "big", 0600, true);
		ASSERT_EQ(0, lu_append_str(lu_mpath(&self->s, "big"), "!"));
		EXPECT_STREQ("small", lu_cat(lu_mpath(&self->s, "small")));
		ASSERT_EQ(0, lu_umount(&self->s));
		snprintf(path, sizeof(path), "%s/big", rw2.upper);
		EXPECT_EQ(-1, lgetxattr(path, METACOPY, NULL, 0));
		memcpy(want, self->big, BIG_SIZE);
		want[BIG_SIZE] = '!';
		EXPECT_TRUE(same_data(path, want, BIG_SIZE + 1)) {
			TH_LOG("%s", fstypes[f]);
		}
	}
}

/* Without metacopy=on a metacopy is not followed: EPERM, on both. */
TEST_F(metacopy, metacopy_off_refuses_a_metacopy)
{
	unsigned int f;
	struct stat st;

	ASSERT_EQ(0, mount_fs(self, variant->writer, "metacopy=on"));
	ASSERT_EQ(0, chmod(lu_mpath(&self->s, "big"), 0600));
	ASSERT_EQ(0, lu_umount(&self->s));
	for (f = 0; f < 2; f++) {
		ASSERT_EQ(0, mount_fs(self, fstypes[f], ""));
		EXPECT_EQ(-1, stat(lu_mpath(&self->s, "big"), &st));
		EXPECT_EQ(EPERM, errno) {
			TH_LOG("%s", fstypes[f]);
		}
		EXPECT_STREQ("small", lu_cat(lu_mpath(&self->s, "small")));
		ASSERT_EQ(0, lu_umount(&self->s));
	}
}

/*
 * A metacopy with no data below it, or with an xattr too short for its
 * header, fails its lookup with EIO on both. Lookup checks the size
 * only: a header of another version or length (verity's business) is
 * a metacopy all the same, on both.
 */
TEST_F(metacopy, metacopy_without_data_or_bad_xattr_is_eio)
{
	static const struct {
		const char *rel;
		const char *val;
		size_t len;
		int err;
	} bad[] = {
		{ "nodata", "", 0, EIO },		/* no lower file */
		{ "d", "", 0, EIO },			/* a dir below it */
		{ "small", "\0\2", 2, EIO },		/* shorter than a header */
		{ "big", "\1\4\0\0", 4, 0 },		/* version 1 */
		{ "top", "\0\5\0\0\0\0", 6, 0 },	/* len is not its size */
	};
	unsigned int f, i;
	struct stat st;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		ASSERT_EQ(0, lu_write_file(upper(self, bad[i].rel), 0644, "x", 1));
		ASSERT_EQ(0, lsetxattr(upper(self, bad[i].rel), METACOPY,
				       bad[i].val, bad[i].len, 0));
	}
	for (f = 0; f < 2; f++) {
		ASSERT_EQ(0, mount_fs(self, fstypes[f], "metacopy=on"));
		for (i = 0; i < ARRAY_SIZE(bad); i++) {
			int ret = stat(lu_mpath(&self->s, bad[i].rel), &st);
			int want = bad[i].err;

			/*
			 * The size of the xattr is checked since 6.6 (with
			 * verity): an older overlayfs takes any as empty.
			 */
			if (bad[i].len && lu_overlay_lacks(fstypes[f], LU_OVL_VERITY)) {
				TH_LOG("%s: %s: %s", fstypes[f], bad[i].rel,
				       lu_overlay_lacks(fstypes[f], LU_OVL_VERITY));
				want = 0;
			}
			EXPECT_EQ(want, ret ? errno : 0) {
				TH_LOG("%s: %s", fstypes[f], bad[i].rel);
			}
		}
		/* the data of a metacopy is the lower one */
		EXPECT_STREQ("top", lu_cat(lu_mpath(&self->s, "top"))) {
			TH_LOG("%s", fstypes[f]);
		}
		ASSERT_EQ(0, lu_umount(&self->s));
	}
}

LU_HARNESS_MAIN
