// SPDX-License-Identifier: GPL-2.0
/*
 * Lifetime of the merged readdir cache. layerfs keeps a directory's
 * merged listing across opens (overlayfs frees it on the last close); a
 * shrinker frees the listings of directories that no file has open, so
 * that `echo 2 > /proc/sys/vm/drop_caches` and memory pressure reclaim
 * them, also the mount root's, whose inode is never evicted. The
 * READDIR_CACHES and READDIR_CACHE_BYTES statistics count what is in
 * memory. A listing is charged to the memory cgroup of the task that built
 * it (memory.stat "slab" of that cgroup).
 *
 * The listings themselves must not change: a directory open across the
 * drop goes on with its listing, a closed one is listed the same again.
 * Those checks run on overlay too; the statistics are layerfs's.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <sys/stat.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include <linux/layerfs.h>

#include "kselftest_harness.h"
#include "harness.h"
#include "union.h"
#include "ctl.h"

#define NNAMES 300

/* What GET_STATS says about the readdir cache of one mount. */
struct rd_stats {
	int64_t caches, bytes;		/* -1: attribute not sent */
	int64_t builds, hits;
};

/* The family, and the layerfs mount whose statistics rd_stats() gets. */
struct nlq {
	struct lfs_genl nl;
	uint64_t mount_id;
};

static int stats_cb(const struct nlmsghdr *nlh, void *data)
{
	struct rd_stats *st = data;
	const struct nlattr *a, *l;

	mnl_attr_for_each(a, nlh, GENL_HDRLEN) {
		if (mnl_attr_get_type(a) != LAYERFS_A_STATS)
			continue;
		mnl_attr_for_each_nested(l, a) {
			switch (mnl_attr_get_type(l)) {
			case LAYERFS_STATS_A_READDIR_CACHES:
				st->caches = mnl_attr_get_u64(l);
				break;
			case LAYERFS_STATS_A_READDIR_CACHE_BYTES:
				st->bytes = mnl_attr_get_u64(l);
				break;
			case LAYERFS_STATS_A_READDIR_BUILDS:
				st->builds = mnl_attr_get_u64(l);
				break;
			case LAYERFS_STATS_A_READDIR_HITS:
				st->hits = mnl_attr_get_u64(l);
				break;
			}
		}
	}
	return MNL_CB_OK;
}

/* The layerfs mount on @mnt, for rd_stats(). */
static int nlq_open(struct nlq *q, const char *mnt)
{
	int ret = lfs_genl_open(&q->nl);

	return ret ?: lfs_genl_mount_id(&q->nl, mnt, &q->mount_id);
}

static int rd_stats(struct nlq *q, struct rd_stats *st)
{
	char buf[LFS_GENL_MSG_SIZE];
	struct nlmsghdr *nlh;

	memset(st, 0xff, sizeof(*st));
	nlh = lfs_genl_msg(&q->nl, buf, q->nl.id, LAYERFS_CMD_GET_STATS,
			   LAYERFS_GENL_VERSION, NLM_F_ACK);
	mnl_attr_put_u64(nlh, LAYERFS_A_MOUNT_ID, q->mount_id);
	return lfs_genl_talk(&q->nl, nlh, stats_cb, st);
}

FIXTURE(rdcache) {
	struct lu_scratch s;
	struct nlq q;
};

LU_UNION_VARIANTS(rdcache);

FIXTURE_SETUP(rdcache)
{
	char name[32];
	int i;

	if (!lu_union_setup(_metadata, &self->s, variant->fstype, 3))
		return;
	/* d: NNAMES names spread over the layers; the root: a few more. */
	for (i = 0; i < NNAMES; i++) {
		snprintf(name, sizeof(name), "d/name-%03d", i);
		ASSERT_EQ(0, lu_file(&self->s, i % 3, name, 0644, ""));
	}
	ASSERT_EQ(0, lu_file(&self->s, 0, "top", 0644, ""));
	ASSERT_EQ(0, lu_file(&self->s, 2, "bottom", 0644, ""));
	ASSERT_EQ(0, lu_file(&self->s, 2, "gone", 0644, ""));
	ASSERT_EQ(0, lu_whiteout(&self->s, 1, "gone"));
	ASSERT_EQ(0, lu_mount(&self->s));
	if (variant->layerfs)
		ASSERT_EQ(0, nlq_open(&self->q, self->s.mnt));
}

FIXTURE_TEARDOWN(rdcache)
{
	lfs_genl_close(&self->q.nl);
	lu_scratch_fini(&self->s);
}

/* Read up to @max entries of the open dir @fd; count "name-*" in @seen. */
struct dent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

static int read_some(int fd, int max, unsigned char *seen)
{
	static char buf[256] __attribute__((aligned(8)));
	int n = 0;

	while (n < max) {
		long len = syscall(SYS_getdents64, fd, buf, sizeof(buf));
		long o;

		if (len <= 0)
			return len < 0 ? -errno : n;
		for (o = 0; o < len;) {
			struct dent64 *d = (struct dent64 *)(buf + o);
			int i;

			if (sscanf(d->d_name, "name-%d", &i) == 1 &&
			    i >= 0 && i < NNAMES && seen[i] < 255)
				seen[i]++;
			o += d->d_reclen;
			n++;
		}
	}
	return n;
}

TEST_F(rdcache, drop_caches_frees_listings_of_closed_dirs_only)
{
	unsigned char seen[NNAMES] = { 0 };
	struct rd_stats before, open_only, after, end;
	const char *root = lu_names(self->s.mnt);
	char rootnames[1024];
	int fd, i, bad = 0;

	snprintf(rootnames, sizeof(rootnames), "%s", root);
	EXPECT_STREQ("bottom d top", rootnames);

	/* d open, partly read: its listing is in use across the drop. */
	fd = open(lu_mpath(&self->s, "d"), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_LT(0, read_some(fd, 10, seen));

	if (variant->layerfs) {
		ASSERT_EQ(0, rd_stats(&self->q, &before));
		EXPECT_EQ(2, before.caches) {	/* the root and d */
			TH_LOG("READDIR_CACHES %lld (-1: not sent)",
			       (long long)before.caches);
		}
		EXPECT_LT(NNAMES * 8, before.bytes);
	}

	ASSERT_EQ(0, lu_drop_caches(2));

	if (variant->layerfs) {
		ASSERT_EQ(0, rd_stats(&self->q, &open_only));
		EXPECT_EQ(1, open_only.caches) {
			TH_LOG("the root's listing is still in memory");
		}
		EXPECT_LT(0, open_only.bytes);
		EXPECT_GT(before.bytes, open_only.bytes);
	}

	/* The open listing goes on, every name once. */
	ASSERT_LE(0, read_some(fd, 1 << 20, seen));
	for (i = 0; i < NNAMES; i++)
		if (seen[i] != 1 && !bad++)
			TH_LOG("name-%03d seen %d times", i, seen[i]);
	EXPECT_EQ(0, bad);
	close(fd);

	/* Listed again the same; on layerfs built anew, not a cache hit. */
	EXPECT_STREQ(rootnames, lu_names(self->s.mnt));
	if (variant->layerfs) {
		ASSERT_EQ(0, rd_stats(&self->q, &after));
		EXPECT_EQ(open_only.builds + 1, after.builds);
		EXPECT_EQ(open_only.hits, after.hits);
	}

	/* Nothing open: everything goes. */
	ASSERT_EQ(0, lu_drop_caches(2));
	if (variant->layerfs) {
		ASSERT_EQ(0, rd_stats(&self->q, &end));
		EXPECT_EQ(0, end.caches);
		EXPECT_EQ(0, end.bytes);
	}
}

TEST_F(rdcache, listing_is_cached_across_opens_until_reclaimed)
{
	struct rd_stats a, b;
	const char *d = lu_mpath(&self->s, "d");
	char first[8192];

	snprintf(first, sizeof(first), "%s", lu_names(d));
	if (!variant->layerfs) {
		EXPECT_STREQ(first, lu_names(d));
		return;
	}
	ASSERT_EQ(0, rd_stats(&self->q, &a));
	/* A second open after the first closed: served from the cache. */
	EXPECT_STREQ(first, lu_names(d));
	ASSERT_EQ(0, rd_stats(&self->q, &b));
	EXPECT_EQ(a.builds, b.builds);
	EXPECT_EQ(a.hits + 1, b.hits);
	EXPECT_EQ(a.caches, b.caches);
	EXPECT_EQ(a.bytes, b.bytes);
}

/* Each listing of d complete, every name once; 0 or the failing pass. */
static int list_loop(const char *d, int rounds)
{
	unsigned char seen[NNAMES];
	int fd, r, i;

	for (r = 1; r <= rounds; r++) {
		memset(seen, 0, sizeof(seen));
		fd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			return r;
		/*
		 * Part, a pause for the shrinker to come by, the rest. The
		 * pause is deliberate: it widens the race window, nothing is
		 * waited for (whether the shrinker ran or not, the listing
		 * must be whole).
		 */
		if (read_some(fd, 5, seen) < 0)
			return r;
		if (r % 3 == 0)
			usleep(100);
		if (read_some(fd, 1 << 20, seen) < 0)
			return r;
		close(fd);
		for (i = 0; i < NNAMES; i++)
			if (seen[i] != 1)
				return r;
	}
	return 0;
}

/*
 * Listers open, read and close d and the root while the shrinker runs
 * again and again: a listing in use is never freed under its reader and
 * every listing stays complete.
 */
TEST_F_TIMEOUT(rdcache, listings_survive_concurrent_reclaim, 120)
{
	const char *d = lu_mpath(&self->s, "d");
	int i, status, status0 = -1, bad = 0;
	struct timespec t0, t;
	pid_t pids[3];

	for (i = 0; i < 3; i++) {
		pids[i] = fork();
		ASSERT_LE(0, pids[i]);
		if (!pids[i])
			_exit(list_loop(d, 300) ? 1 : 0);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		ASSERT_EQ(0, lu_drop_caches(2));
		EXPECT_STREQ("bottom d top", lu_names(self->s.mnt));
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while (t.tv_sec - t0.tv_sec < 3 &&
		 waitpid(pids[0], &status0, WNOHANG) == 0);
	for (i = 0; i < 3; i++) {
		status = status0;
		if (i || status0 == -1) {
			ASSERT_EQ(pids[i], waitpid(pids[i], &status, 0));
		}
		bad += !WIFEXITED(status) || WEXITSTATUS(status);
	}
	EXPECT_EQ(0, bad);
}

/*
 * The shrinker against umount: a listing the shrinker has taken off its
 * directory pins neither the inode nor the mount, so umount can free the
 * superblock before the shrinker frees the listing; nothing of the mount
 * may be touched then (the statistics were, a use after free).
 *
 * Probabilistic: the window is a few instructions, and on Debian's kernel
 * (no KASAN) a write into freed memory goes unseen. The debug kernel lane
 * (make check KERNEL=debug, KASAN) is the one that reports it. Here it
 * checks that mount, list, umount under constant reclaim keep working.
 */
#define NDIRS 100

TEST_F_TIMEOUT(rdcache, umount_races_the_shrinker, 120)
{
	int i, ndirs = NDIRS, rounds = 0, status;
	struct timespec t0, t;
	char name[32];
	pid_t pid;

	lfs_genl_close(&self->q.nl);
	ASSERT_EQ(0, lu_umount(&self->s));
	for (i = 0; i < ndirs; i++) {
		snprintf(name, sizeof(name), "m/%03d/a", i);
		ASSERT_EQ(0, lu_file(&self->s, 0, name, 0644, ""));
		snprintf(name, sizeof(name), "m/%03d/b", i);
		ASSERT_EQ(0, lu_file(&self->s, 1, name, 0644, ""));
	}

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		for (;;)
			if (lu_drop_caches(2))
				_exit(1);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		ASSERT_EQ(0, lu_mount(&self->s));
		for (i = 0; i < ndirs; i++) {
			snprintf(name, sizeof(name), "m/%03d", i);
			EXPECT_STREQ("a b", lu_names(lu_mpath(&self->s, name)));
		}
		ASSERT_EQ(0, lu_umount(&self->s));
		rounds++;
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while (t.tv_sec - t0.tv_sec < 5);
	kill(pid, SIGKILL);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFSIGNALED(status)) {
		TH_LOG("drop_caches failed");
	}
	TH_LOG("%d mount, list, umount rounds", rounds);
	ASSERT_EQ(0, lu_mount(&self->s));
}

/*
 * Charging, layerfs only (overlayfs frees its listing on close, nothing
 * of it stays charged): a listing built by a task in a memory cgroup is
 * charged to that cgroup, and stays so while cached.
 */
#define NBIG 20000

FIXTURE(rdmemcg) {
	struct lu_scratch s;
	struct nlq q;
	char cg[LU_PATH_MAX + 32];	/* the child cgroup */
	bool cg_made;
};

FIXTURE_SETUP(rdmemcg)
{
	int ret = lu_fs_available("layerfs");
	char root[LU_PATH_MAX], name[64];
	int i;

	if (ret == -ENODEV)
		SKIP(return, "layerfs is not available (set LAYERFS_KO)");
	ASSERT_EQ(0, ret);
	ASSERT_EQ(0, lu_scratch_init(&self->s, "layerfs", 2));
	/* cgroup2, in the scratch's mount namespace. */
	snprintf(root, sizeof(root), "%s", lu_path(&self->s, "cg"));
	ASSERT_EQ(0, lu_mkdir_p(root, 0755));
	if (mount("none", root, "cgroup2", 0, NULL))
		SKIP(return, "no cgroup2: %s", strerror(errno));
	if (lu_write_str(lu_path(&self->s, "cg/cgroup.subtree_control"), "+memory"))
		SKIP(return, "no memory controller: %s", strerror(errno));
	snprintf(self->cg, sizeof(self->cg), "%s/lfs-rd-%d", root, getpid());
	ASSERT_EQ(0, mkdir(self->cg, 0755));
	self->cg_made = true;
	ASSERT_EQ(0, lu_mkdir(&self->s, 0, "big", 0755));
	for (i = 0; i < NBIG; i++) {
		snprintf(name, sizeof(name), "%s/big/a-long-enough-name-%05d",
			 lu_lpath(&self->s, i % 2, NULL), i);
		ASSERT_EQ(0, lu_write_file(name, 0644, "", 0));
	}
	ASSERT_EQ(0, lu_mount(&self->s));
	ASSERT_EQ(0, nlq_open(&self->q, self->s.mnt));
}

FIXTURE_TEARDOWN(rdmemcg)
{
	lfs_genl_close(&self->q.nl);
	if (self->cg_made)
		rmdir(self->cg);
	lu_scratch_fini(&self->s);
}

TEST_F_TIMEOUT(rdmemcg, listing_is_charged_to_the_listers_cgroup, 120)
{
	char procs[LU_PATH_MAX + 64];
	struct rd_stats st;
	long long slab0, slab1;
	int status;
	pid_t pid;

	slab0 = lu_cg_slab(self->cg);
	ASSERT_LE(0, slab0);
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", self->cg);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		if (lu_write_str(procs, "0"))
			_exit(2);
		_exit(strncmp(lu_names(lu_mpath(&self->s, "big")), "a-", 2) ? 3 : 0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));

	slab1 = lu_cg_slab(self->cg);
	ASSERT_EQ(0, rd_stats(&self->q, &st));
	TH_LOG("cache %lld bytes; cgroup slab %lld -> %lld", (long long)st.bytes,
	       slab0, slab1);
	/* Each entry takes its name and some 50 bytes more. */
	EXPECT_LE(NBIG * 40LL, slab1 - slab0);
	EXPECT_LT(NBIG * 40LL, st.bytes);
	EXPECT_LE(st.bytes * 3 / 4, slab1 - slab0);
}

LU_HARNESS_MAIN
