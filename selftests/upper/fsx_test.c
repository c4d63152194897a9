// SPDX-License-Identifier: GPL-2.0
/*
 * An fsx-style checker: random writes, reads, truncates, fallocates,
 * mmap writes and reads, copy_file_range and reopens on files that start
 * in a lower layer (so the first change copies them up), each mirrored
 * on a plain file on tmpfs; the contents are compared after every step.
 *
 * LAYERFS_FSX_OPS sets the operations per file (default 500, make
 * stress runs many more) and LAYERFS_FSX_SEED the seed (default fixed).
 * Runs on layerfs and overlay, upper on tmpfs and on the ext4 scratch
 * disk.
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
#include <sys/stat.h>

#include "kselftest_harness.h"
#include "harness.h"
#include "union.h"

#define MAXLEN		(1 << 20)
#define NFILES		3

FIXTURE(fsx) {
	struct lu_scratch s;
	char base[LU_PATH_MAX];
	bool on_disk;
};

FIXTURE_VARIANT(fsx) {
	const char *fstype;
	const char *upperfs;
};

FIXTURE_VARIANT_ADD(fsx, layerfs_tmpfs) { .fstype = "layerfs", };
FIXTURE_VARIANT_ADD(fsx, overlay_tmpfs) { .fstype = "overlay", };
FIXTURE_VARIANT_ADD(fsx, layerfs_ext4) {
	.fstype = "layerfs", .upperfs = "LAYERFS_SCRATCH_EXT4",
};
FIXTURE_VARIANT_ADD(fsx, overlay_ext4) {
	.fstype = "overlay", .upperfs = "LAYERFS_SCRATCH_EXT4",
};

FIXTURE_SETUP(fsx)
{
	int ret = lu_fs_available(variant->fstype);
	const char *disk = NULL;
	char data[LU_PATH_MAX * 4];

	if (ret == -ENODEV)
		SKIP(return, "%s is not available", variant->fstype);
	ASSERT_EQ(0, ret);
	if (variant->upperfs) {
		disk = getenv(variant->upperfs);
		if (!disk || !*disk)
			SKIP(return, "no scratch disk: %s is not set", variant->upperfs);
	}
	ASSERT_EQ(0, lu_scratch_init(&self->s, variant->fstype, 2));
	if (disk) {
		snprintf(self->base, sizeof(self->base), "%s/fsx.XXXXXX", disk);
		ASSERT_NE(NULL, mkdtemp(self->base));
		self->on_disk = true;
	} else {
		snprintf(self->base, sizeof(self->base), "%s", lu_path(&self->s, "rw"));
		ASSERT_EQ(0, mkdir(self->base, 0755));
	}
	ASSERT_EQ(0, mkdir(lu_path(&self->s, "ref"), 0755));
	snprintf(data, sizeof(data), "%s/upper", self->base);
	ASSERT_EQ(0, mkdir(data, 0755));
	snprintf(data, sizeof(data), "%s/work", self->base);
	ASSERT_EQ(0, mkdir(data, 0755));
}

FIXTURE_TEARDOWN(fsx)
{
	char cmd[LU_PATH_MAX + 16];

	lu_scratch_fini(&self->s);
	if (self->on_disk) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", self->base);
		if (system(cmd))
			perror("rm");
	}
}

static unsigned int seed_state;

static unsigned int rnd(unsigned int n)
{
	seed_state = seed_state * 1103515245 + 12345;
	return ((seed_state >> 8) & 0xffffff) % n;
}

static int env_int(const char *name, int def)
{
	const char *v = getenv(name);

	return v && *v ? atoi(v) : def;
}

/* Compare the whole file; returns the first differing offset or -1. */
static long compare(int a, int b, off_t *asize, off_t *bsize)
{
	static char x[MAXLEN + 65536], y[MAXLEN + 65536];
	ssize_t n, m, i;

	*asize = lseek(a, 0, SEEK_END);
	*bsize = lseek(b, 0, SEEK_END);
	if (*asize != *bsize)
		return 0;
	n = pread(a, x, sizeof(x), 0);
	m = pread(b, y, sizeof(y), 0);
	if (n != m || n != *asize)
		return 0;
	for (i = 0; i < n; i++)
		if (x[i] != y[i])
			return i;
	return -1;
}

/*
 * Every step compares up to 1 MiB: make stress's 10000 steps per file
 * can take over ten minutes under TCG. The runner's LAYERFS_TEST_TIMEOUT
 * bounds the binary (900 s in make check).
 */
TEST_F_TIMEOUT(fsx, random_operations_match_a_plain_file, 7200)
{
	struct lu_scratch *s = &self->s;
	int ops = env_int("LAYERFS_FSX_OPS", 500);
	unsigned int seed = env_int("LAYERFS_FSX_SEED", 20261124);
	static char buf[65536], buf2[65536];
	char data[LU_PATH_MAX * 4], name[32], log[128];
	int f, i;

	/* lower files with content, one of them empty */
	for (f = 0; f < NFILES; f++) {
		size_t len = f == 2 ? 0 : 100000 + 37 * f;

		for (i = 0; i < (int)sizeof(buf); i++)
			buf[i] = 'a' + (i * 7 + f) % 26;
		snprintf(name, sizeof(name), "f%d", f);
		ASSERT_EQ(0, lu_file_data(s, 1, name, 0644, buf, len > sizeof(buf) ? sizeof(buf) : len));
		if (len > sizeof(buf)) {
			int fd = open(lu_lpath(s, 1, name), O_WRONLY | O_APPEND);

			ASSERT_LE(0, fd);
			ASSERT_EQ(len - sizeof(buf), write(fd, buf, len - sizeof(buf)));
			close(fd);
		}
		ASSERT_EQ(0, lu_copy_file(lu_lpath(s, 1, name),
					  lu_path(s, "ref/%s", name), 0644));
	}
	snprintf(data, sizeof(data), "lowerdir=%s:%s,upperdir=%s/upper,workdir=%s/work",
		 lu_lpath(s, 0, NULL), lu_lpath(s, 1, NULL), self->base, self->base);
	ASSERT_EQ(0, lu_mount_data(variant->fstype, s->mnt, 0, data));
	s->mounted = true;

	for (f = 0; f < NFILES; f++) {
		int u = -1, r = -1;
		bool rdonly = false;
		off_t us, rs;
		long bad;

		seed_state = seed + f;
		snprintf(name, sizeof(name), "f%d", f);
		for (i = 0; i < ops; i++) {
			unsigned int op = rnd(100);
			off_t off = rnd(MAXLEN), len = 1 + rnd(sizeof(buf));
			ssize_t a, b;
			char *m1, *m2;

			if (u < 0) {
				/* the first opens are read-only: copy-up later */
				int fl = i == 0 ? O_RDONLY : O_RDWR;

				rdonly = fl == O_RDONLY;
				u = open(lu_mpath(s, name), fl);
				r = open(lu_path(s, "ref/%s", name), fl);
				ASSERT_LE(0, u);
				ASSERT_LE(0, r);
			}
			memset(buf, 'A' + rnd(26), len);
			if (op < 30) {
				snprintf(log, sizeof(log), "pwrite %lld+%lld",
					 (long long)off, (long long)len);
				a = pwrite(u, buf, len, off);
				b = pwrite(r, buf, len, off);
			} else if (op < 45) {
				snprintf(log, sizeof(log), "pread %lld+%lld",
					 (long long)off, (long long)len);
				a = pread(u, buf, len, off);
				b = pread(r, buf2, len, off);
				if (a == b && a > 0)
					ASSERT_EQ(0, memcmp(buf, buf2, a)) {
						TH_LOG("%s op %d: %s: data differs", name, i, log);
					}
			} else if (op < 55) {
				snprintf(log, sizeof(log), "ftruncate %lld", (long long)off);
				a = ftruncate(u, off);
				b = ftruncate(r, off);
			} else if (op < 63) {
				snprintf(log, sizeof(log), "fallocate %lld+%lld",
					 (long long)off, (long long)len);
				a = fallocate(u, 0, off, len);
				b = fallocate(r, 0, off, len);
			} else if (op < 70) {
				snprintf(log, sizeof(log), "punch %lld+%lld",
					 (long long)off, (long long)len);
				a = fallocate(u, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, len);
				b = fallocate(r, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, len);
			} else if (op < 80) {
				off_t size = lseek(r, 0, SEEK_END);

				if (size < 4096 || rdonly) {
					a = b = 0;
					snprintf(log, sizeof(log), "mmap skipped");
				} else {
					off = rnd(size) & ~4095L;
					len = 1 + rnd(size - off);
					snprintf(log, sizeof(log), "mmap write %lld+%lld",
						 (long long)off, (long long)len);
					m1 = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, u, off);
					m2 = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, r, off);
					ASSERT_NE(MAP_FAILED, m1) {
						TH_LOG("%s: %s", log, strerror(errno));
					}
					ASSERT_NE(MAP_FAILED, m2);
					memset(m1, buf[0], len);
					memset(m2, buf[0], len);
					if (rnd(2)) {
						msync(m1, len, MS_SYNC);
						msync(m2, len, MS_SYNC);
					}
					munmap(m1, len);
					munmap(m2, len);
					a = b = 0;
				}
			} else if (op < 88) {
				loff_t in = rnd(MAXLEN), out = rnd(MAXLEN);

				snprintf(log, sizeof(log), "copy_file_range %lld->%lld+%lld",
					 (long long)in, (long long)out, (long long)len);
				if (labs((long)(in - out)) < len) {
					a = b = 0;
				} else {
					loff_t i2 = in, o2 = out;

					a = copy_file_range(u, &in, u, &out, len, 0);
					b = copy_file_range(r, &i2, r, &o2, len, 0);
				}
			} else if (op < 94) {
				snprintf(log, sizeof(log), "fsync");
				a = fsync(u);
				b = fsync(r);
			} else {
				snprintf(log, sizeof(log), "reopen");
				a = close(u);
				b = close(r);
				u = r = -1;
			}
			ASSERT_EQ(b, a) {
				TH_LOG("%s op %d: %s: layerfs %zd (%s), reference %zd",
				       name, i, log, a, strerror(errno), b);
			}
			if (u < 0)
				continue;
			bad = compare(u, r, &us, &rs);
			ASSERT_EQ(-1, bad) {
				TH_LOG("%s op %d: %s: differs at %ld (sizes %lld, %lld)",
				       name, i, log, bad, (long long)us, (long long)rs);
			}
		}
		if (u >= 0) {
			close(u);
			close(r);
		}
		/* the lower file never changed */
		EXPECT_EQ(S_IFREG, lu_ftype(lu_lpath(s, 1, name)));
	}
	/* and the same after a remount */
	ASSERT_EQ(0, lu_umount(s));
	ASSERT_EQ(0, lu_mount_data(variant->fstype, s->mnt, 0, data));
	s->mounted = true;
	for (f = 0; f < NFILES; f++) {
		off_t us, rs;
		int u, r;

		snprintf(name, sizeof(name), "f%d", f);
		u = open(lu_mpath(s, name), O_RDONLY);
		r = open(lu_path(s, "ref/%s", name), O_RDONLY);
		ASSERT_LE(0, u);
		ASSERT_LE(0, r);
		EXPECT_EQ(-1, compare(u, r, &us, &rs)) {
			TH_LOG("%s after remount", name);
		}
		close(u);
		close(r);
	}
	TH_LOG("%d operations on each of %d files, each compared", ops, NFILES);
}

LU_HARNESS_MAIN
