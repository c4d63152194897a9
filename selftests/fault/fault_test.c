// SPDX-License-Identifier: GPL-2.0
/*
 * Fault injection (CONFIG_FAILSLAB, CONFIG_FAIL_PAGE_ALLOC: the debug
 * kernel of `make check KERNEL=debug`; Debian's kernel has neither, and
 * these tests skip there, saying so).
 *
 * - Crash consistency: copy-up, rename, whiteout (unlink) and metadata
 *   copy-up are run with /proc/thread-self/fail-nth set to 1, 2, 3, ...
 *   so that every allocation of the system call fails in turn (slab and
 *   page allocations both count), until one runs through without a fault.
 *   After each, the union shows the old or the new state, never a partial
 *   file; a failed call shows the old one; after a remount the same; and
 *   the work directory holds nothing (leftovers are cleaned at mount).
 * - Random faults at a low probability (failslab 5%, fail_page_alloc 2%,
 *   task-filtered) during a seeded mix of copy-ups, renames, unlinks,
 *   mkdir/rmdir, creates, xattrs and registry ioctls: every call succeeds
 *   or fails with an errno, and the tree is what the successful calls
 *   made, before and after a remount.
 *
 * Both run on layerfs and on in-kernel overlay, upper on tmpfs and ext4.
 * Leaks are looked for by selftests/run (kmemleak after rmmod).
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include <linux/layerfs.h>

#include "kselftest_harness.h"
#include "harness.h"
#include "union.h"

#define DBG		"/sys/kernel/debug"
#define NLOWER		2
#define BIG_SIZE	(256 * 1024)
#define MAX_NTH		5000

/* ---- debugfs knobs ----------------------------------------------------- */

static int put(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	close(fd);
	return n == (ssize_t)strlen(val) ? 0 : -EIO;
}

static int get_int(const char *path)
{
	char buf[32] = "";
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n > 0 ? atoi(buf) : -1;
}

/* Both fault types quiet, task-filtered, for every gfp and order. */
static int faults_setup(void)
{
	static const char *const knobs[][2] = {
		{ DBG "/failslab/verbose", "0" },
		{ DBG "/failslab/task-filter", "Y" },
		{ DBG "/failslab/ignore-gfp-wait", "N" },
		{ DBG "/failslab/probability", "0" },
		{ DBG "/failslab/interval", "1" },
		{ DBG "/failslab/times", "-1" },
		{ DBG "/fail_page_alloc/verbose", "0" },
		{ DBG "/fail_page_alloc/task-filter", "Y" },
		{ DBG "/fail_page_alloc/ignore-gfp-wait", "N" },
		{ DBG "/fail_page_alloc/ignore-gfp-highmem", "N" },
		{ DBG "/fail_page_alloc/min-order", "0" },
		{ DBG "/fail_page_alloc/probability", "0" },
		{ DBG "/fail_page_alloc/interval", "1" },
		{ DBG "/fail_page_alloc/times", "-1" },
	};
	size_t i;
	int ret;

	for (i = 0; i < ARRAY_SIZE(knobs); i++) {
		ret = put(knobs[i][0], knobs[i][1]);
		if (ret)
			return ret;
	}
	return 0;
}

static void probabilities(const char *slab, const char *page)
{
	put(DBG "/failslab/probability", slab);
	put(DBG "/fail_page_alloc/probability", page);
}

/*
 * Faults for this thread from now on (the task filter). The file is
 * opened once, while no fault can hit: opening it with faults on can
 * itself fail (it allocates), which left make-it-fail set and the
 * faults going into the checks after the run. A write to it allocates
 * nothing. 0, or -errno.
 */
static int make_it_fail(bool on)
{
	static __thread int fd = -1;

	if (fd < 0) {
		if (on)
			put("/proc/thread-self/make-it-fail", "0");
		fd = open("/proc/thread-self/make-it-fail", O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			return -errno;
	}
	if (pwrite(fd, on ? "1" : "0", 1, 0) != 1)
		return -errno;
	return 0;
}

/* ---- the fixture -------------------------------------------------------- */

FIXTURE(fault) {
	struct lu_scratch s;
	struct lu_rw rw;
};

FIXTURE_VARIANT(fault) {
	const char *fstype;
	const char *upperfs;	/* env var of a scratch disk, or NULL: tmpfs */
};

FIXTURE_VARIANT_ADD(fault, layerfs_tmpfs) { .fstype = "layerfs" };
FIXTURE_VARIANT_ADD(fault, overlay_tmpfs) { .fstype = "overlay" };
FIXTURE_VARIANT_ADD(fault, layerfs_ext4) {
	.fstype = "layerfs", .upperfs = "LAYERFS_SCRATCH_EXT4" };
FIXTURE_VARIANT_ADD(fault, overlay_ext4) {
	.fstype = "overlay", .upperfs = "LAYERFS_SCRATCH_EXT4" };

static char big[BIG_SIZE];

FIXTURE_SETUP(fault)
{
	int ret, i;

	memset(&self->s, 0, sizeof(self->s));
	memset(&self->rw, 0, sizeof(self->rw));
	if (access(DBG "/failslab", F_OK))
		mount("debugfs", DBG, "debugfs", 0, NULL);
	if (access(DBG "/failslab", F_OK) || access(DBG "/fail_page_alloc", F_OK) ||
	    access("/proc/thread-self/fail-nth", F_OK))
		SKIP(return, "this kernel has no failslab/fail_page_alloc/fail-nth "
		     "(CONFIG_FAILSLAB, CONFIG_FAIL_PAGE_ALLOC: make check KERNEL=debug)");
	ret = lu_fs_available(variant->fstype);
	if (ret == -ENODEV)
		SKIP(return, "%s is not available (layerfs: set LAYERFS_KO)", variant->fstype);
	ASSERT_EQ(0, ret);
	ASSERT_EQ(0, faults_setup());
	ASSERT_EQ(0, lu_scratch_init(&self->s, variant->fstype, NLOWER));
	ret = lu_rw_init(&self->rw, &self->s, variant->upperfs);
	if (ret == -ENODEV)
		SKIP(return, "no scratch disk: %s is not set (scripts/vm-run --disk)",
		     variant->upperfs);
	ASSERT_EQ(0, ret);
	/* l1 (bottom): big, small, d/a, d/b; l0: top */
	for (i = 0; i < BIG_SIZE; i++)
		big[i] = 'a' + i % 23;
	ASSERT_EQ(0, lu_file_data(&self->s, 1, "big", 0644, big, BIG_SIZE));
	ASSERT_EQ(0, lu_file(&self->s, 1, "small", 0644, "old\n"));
	ASSERT_EQ(0, lu_mkdir(&self->s, 1, "d", 0755));
	ASSERT_EQ(0, lu_file(&self->s, 1, "d/a", 0644, "a\n"));
	ASSERT_EQ(0, lu_file(&self->s, 1, "d/b", 0644, "b\n"));
	ASSERT_EQ(0, lu_file(&self->s, 0, "top", 0644, "top\n"));
}

FIXTURE_TEARDOWN(fault)
{
	make_it_fail(false);
	put("/proc/thread-self/fail-nth", "0");
	probabilities("0", "0");
	if (self->s.root[0])
		lu_scratch_fini(&self->s);
	lu_rw_fini(&self->rw);
}

/* A fresh (empty) upper and work, mounted. */
static int mount_fresh(FIXTURE_DATA(fault) *self)
{
	int ret;

	if (self->s.mounted && lu_umount(&self->s))
		return -EBUSY;
	ret = lu_rw_reset(&self->rw);
	return ret ? ret : lu_mount_rw(&self->s, &self->rw);
}

static int remount(FIXTURE_DATA(fault) *self)
{
	int ret = lu_umount(&self->s);

	return ret ? ret : lu_mount_rw(&self->s, &self->rw);
}

/*
 * What work/work holds besides whiteouts (overlay keeps one to link
 * whiteouts from): "" when it is clean.
 */
static const char *work_leftovers(FIXTURE_DATA(fault) *self)
{
	static char names[1024];
	char p[PATH_MAX + 16], e[PATH_MAX + 300];
	struct lu_dent *d = NULL;
	struct stat st;
	ssize_t n, i;

	snprintf(p, sizeof(p), "%s/work", self->rw.work);
	n = lu_getdents(p, &d);
	if (n < 0)
		return "(cannot list work/work)";
	names[0] = '\0';
	for (i = 0; i < n; i++) {
		if (!strcmp(d[i].name, ".") || !strcmp(d[i].name, ".."))
			continue;
		snprintf(e, sizeof(e), "%s/%s", p, d[i].name);
		if (!lstat(e, &st) && S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0))
			continue;
		snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
			 names[0] ? " " : "", d[i].name);
	}
	free(d);
	return names;
}

/* ---- the operations and their old/new states ------------------------------ */

enum state { ST_OLD, ST_NEW, ST_NEITHER };

struct op {
	const char *name;
	int (*run)(const char *mnt);		/* 0 or -errno */
	enum state (*check)(const char *mnt, char *why, size_t len);
};

static int file_is(const char *path, const char *data, size_t len)
{
	static char buf[BIG_SIZE + 16];
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	return n == (ssize_t)len && !memcmp(buf, data, len);
}

#define MP(buf, mnt, rel) (snprintf(buf, sizeof(buf), "%s/%s", mnt, rel), buf)

static int op_append(const char *mnt)
{
	char p[PATH_MAX];
	int fd = open(MP(p, mnt, "big"), O_WRONLY | O_APPEND), ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, "X", 1) != 1)
		ret = -errno;
	if (close(fd) && !ret)
		ret = -errno;
	return ret;
}

static enum state chk_append(const char *mnt, char *why, size_t len)
{
	static char want[BIG_SIZE + 1];
	char p[PATH_MAX];

	if (file_is(MP(p, mnt, "big"), big, BIG_SIZE) == 1)
		return ST_OLD;
	memcpy(want, big, BIG_SIZE);
	want[BIG_SIZE] = 'X';
	if (file_is(p, want, BIG_SIZE + 1) == 1)
		return ST_NEW;
	snprintf(why, len, "big is neither the lower file nor it plus one byte");
	return ST_NEITHER;
}

static int op_chmod(const char *mnt)
{
	char p[PATH_MAX];

	return chmod(MP(p, mnt, "small"), 0600) ? -errno : 0;
}

static enum state chk_chmod(const char *mnt, char *why, size_t len)
{
	char p[PATH_MAX];
	struct stat st;

	if (stat(MP(p, mnt, "small"), &st) || file_is(p, "old\n", 4) != 1) {
		snprintf(why, len, "small is gone or changed");
		return ST_NEITHER;
	}
	return (st.st_mode & 07777) == 0600 ? ST_NEW :
	       (st.st_mode & 07777) == 0644 ? ST_OLD : ST_NEITHER;
}

static int op_rename(const char *mnt)
{
	char a[PATH_MAX], b[PATH_MAX];

	return rename(MP(a, mnt, "small"), MP(b, mnt, "renamed")) ? -errno : 0;
}

static enum state chk_rename(const char *mnt, char *why, size_t len)
{
	char a[PATH_MAX], b[PATH_MAX];
	int old = file_is(MP(a, mnt, "small"), "old\n", 4) == 1;
	int new = file_is(MP(b, mnt, "renamed"), "old\n", 4) == 1;

	if (old && !new && access(b, F_OK))
		return ST_OLD;
	if (new && !old && access(a, F_OK))
		return ST_NEW;
	snprintf(why, len, "small %s, renamed %s", old ? "there" : "not there",
		 new ? "there" : "not there");
	return ST_NEITHER;
}

static int op_unlink(const char *mnt)
{
	char p[PATH_MAX];

	return unlink(MP(p, mnt, "d/a")) ? -errno : 0;
}

static enum state chk_unlink(const char *mnt, char *why, size_t len)
{
	char p[PATH_MAX];
	const char *names = lu_names(MP(p, mnt, "d"));

	if (file_is(MP(p, mnt, "d/b"), "b\n", 2) != 1) {
		snprintf(why, len, "d/b is gone or changed");
		return ST_NEITHER;
	}
	if (!strcmp(names, "a b") && file_is(MP(p, mnt, "d/a"), "a\n", 2) == 1)
		return ST_OLD;
	if (!strcmp(names, "b") && access(MP(p, mnt, "d/a"), F_OK))
		return ST_NEW;
	snprintf(why, len, "d lists \"%s\"", names);
	return ST_NEITHER;
}

static int op_mkdir_over_whiteout(const char *mnt)
{
	char p[PATH_MAX];

	/* "top" is a lower file: unlink leaves a whiteout, mkdir replaces it */
	if (unlink(MP(p, mnt, "top")) && errno != ENOENT)
		return -errno;
	return mkdir(p, 0755) ? -errno : 0;
}

static enum state chk_mkdir_over_whiteout(const char *mnt, char *why, size_t len)
{
	char p[PATH_MAX];
	struct stat st;

	if (lstat(MP(p, mnt, "top"), &st))
		return ST_OLD;		/* the whiteout is there, no dir yet */
	if (S_ISREG(st.st_mode) && file_is(p, "top\n", 4) == 1)
		return ST_OLD;
	if (S_ISDIR(st.st_mode) && !strcmp(lu_names(p), ""))
		return ST_NEW;
	snprintf(why, len, "top has mode %o", st.st_mode);
	return ST_NEITHER;
}

static const struct op ops[] = {
	{ "copy-up (append a byte)", op_append, chk_append },
	{ "metadata copy-up (chmod)", op_chmod, chk_chmod },
	{ "rename of a lower file", op_rename, chk_rename },
	{ "unlink of a lower file (whiteout)", op_unlink, chk_unlink },
	{ "mkdir over a whiteout (opaque dir)", op_mkdir_over_whiteout,
	  chk_mkdir_over_whiteout },
};

TEST_F_TIMEOUT(fault, every_allocation_of_each_operation_fails_in_turn, 1800)
{
	char why[512], nth[16];
	enum state st, st2;
	size_t k;
	int n, ret, left, faults;

	for (k = 0; k < ARRAY_SIZE(ops); k++) {
		faults = 0;
		for (n = 1; n <= MAX_NTH; n++) {
			ASSERT_EQ(0, mount_fresh(self)) TH_LOG("%s: mount", ops[k].name);
			snprintf(nth, sizeof(nth), "%d", n);
			ASSERT_EQ(0, put("/proc/thread-self/fail-nth", nth));
			ret = ops[k].run(self->s.mnt);
			left = get_int("/proc/thread-self/fail-nth");
			put("/proc/thread-self/fail-nth", "0");

			why[0] = '\0';
			st = ops[k].check(self->s.mnt, why, sizeof(why));
			ASSERT_NE(ST_NEITHER, st)
				TH_LOG("%s, allocation %d failed (%d): %s", ops[k].name, n, ret, why);
			if (!ret)
				ASSERT_EQ(ST_NEW, st)
					TH_LOG("%s succeeded but shows the old state (fault %d)",
					       ops[k].name, n);
			ASSERT_EQ(0, remount(self)) TH_LOG("%s: remount after fault %d", ops[k].name, n);
			st2 = ops[k].check(self->s.mnt, why, sizeof(why));
			ASSERT_EQ(st, st2)
				TH_LOG("%s, fault %d: %s after a remount", ops[k].name, n,
				       st2 == ST_NEITHER ? why : "another state");
			ASSERT_STREQ("", work_leftovers(self))
				TH_LOG("%s, fault %d: left in the work directory", ops[k].name, n);
			if (ret)
				faults++;
			if (left > 0)	/* ran through: fewer than n allocations */
				break;
		}
		ASSERT_GE(MAX_NTH, n) TH_LOG("%s: more than %d allocations?", ops[k].name, MAX_NTH);
		TH_LOG("%s: %d allocation points, %d of them made it fail, "
		       "never a partial state", ops[k].name, n - 1, faults);
	}
}

/* ---- random faults at a low probability ------------------------------------ */

static uint64_t rnd_state;

static unsigned int below(unsigned int n)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state % n;
}

#define NFILES	16

TEST_F_TIMEOUT(fault, random_faults_leave_what_the_successful_calls_made, 1800)
{
	struct lu_tree before = { 0 }, after = { 0 };
	char p[PATH_MAX], q[PATH_MAX], why[LU_PATH_MAX * 2 + 256];
	static const char *const ops[] = {
		"append", "unlink", "mknod", "rename", "setxattr", "mkdir", "registry"
	};
	static char hist[NFILES][2048];
	int appended[NFILES] = { 0 }, exists[NFILES], i, j = 0, op, ret, dev = -1;
	long iters = 600, ok = 0, failed = 0, k;
	bool layerfs = !strcmp(variant->fstype, "layerfs");

	rnd_state = 0x1234567;
	for (i = 0; i < NFILES; i++) {
		snprintf(p, sizeof(p), "f%d", i);
		ASSERT_EQ(0, lu_file(&self->s, 1, p, 0644, "0"));
		exists[i] = 1;
	}
	ASSERT_EQ(0, mount_fresh(self));
	if (layerfs) {
		dev = open(LAYERFS_DEVICE, O_RDWR | O_CLOEXEC);
		ASSERT_LE(0, dev);
	}
	probabilities("5", "2");
	for (k = 0; k < iters; k++) {
		i = below(NFILES);
		snprintf(p, sizeof(p), "%s/f%d", self->s.mnt, i);
		ASSERT_EQ(0, make_it_fail(true));
		switch (op = below(7)) {
		case 0: {	/* copy-up by append */
			int fd = open(p, O_WRONLY | O_APPEND);

			ret = fd < 0 ? -errno : write(fd, "x", 1) == 1 ? 0 : -errno;
			if (fd >= 0)
				close(fd);
			if (!ret)
				appended[i]++;
			break;
		}
		case 1:		/* unlink (a whiteout for a lower file) */
			ret = unlink(p) ? -errno : 0;
			if (!ret)
				exists[i] = 0;
			break;
		case 2:		/* create it again */
			ret = mknod(p, S_IFREG | 0644, 0) ? -errno : 0;
			if (!ret) {
				exists[i] = 2;	/* empty, new */
				appended[i] = 0;
			}
			break;
		case 3: {	/* rename onto another one */
			j = below(NFILES);
			snprintf(q, sizeof(q), "%s/f%d", self->s.mnt, j);
			ret = rename(p, q) ? -errno : 0;
			if (!ret && i != j) {
				exists[j] = exists[i];
				appended[j] = appended[i];
				exists[i] = 0;
			}
			break;
		}
		case 4:		/* xattr: a metadata copy-up */
			ret = lsetxattr(p, "user.fault", "v", 1, 0) ? -errno : 0;
			break;
		case 5:		/* mkdir and rmdir */
			snprintf(q, sizeof(q), "%s/dir%d", self->s.mnt, i);
			ret = mkdir(q, 0755) ? -errno : 0;
			if (!ret)
				ret = rmdir(q) ? -errno : 0;
			break;
		default:	/* the registry */
			if (dev < 0) {
				ret = 0;
				break;
			} else {
				struct layerfs_layer_add a = { .size = sizeof(a) };
				struct layerfs_layer_del d = { .size = sizeof(d) };

				a.dirfd = open(lu_lpath(&self->s, 1, NULL), O_PATH | O_DIRECTORY);
				snprintf((char *)a.name, sizeof(a.name), "fault%d", i);
				snprintf((char *)d.name, sizeof(d.name), "fault%d", i);
				ret = ioctl(dev, LAYERFS_IOC_ADD_LAYER, &a) ? -errno : 0;
				if (ret != -EEXIST && ret)
					;	/* allocation failure: nothing registered */
				else
					ret = ioctl(dev, LAYERFS_IOC_DEL_LAYER, &d) ? -errno : 0;
				close(a.dirfd);
			}
			break;
		}
		ASSERT_EQ(0, make_it_fail(false));
		ASSERT_TRUE(ret <= 0);
		if (ret)
			failed++;
		else
			ok++;
		/* what was done to each file, for the message below */
		if (op == 3)
			snprintf(hist[i] + strlen(hist[i]), sizeof(hist[i]) - strlen(hist[i]),
				 " %ld:rename>f%d=%d", k, j, ret);
		else
			snprintf(hist[i] + strlen(hist[i]), sizeof(hist[i]) - strlen(hist[i]),
				 " %ld:%s=%d", k, ops[op], ret);
		if (op == 3 && j != i)
			snprintf(hist[j] + strlen(hist[j]),
				 sizeof(hist[j]) - strlen(hist[j]),
				 " %ld:from-f%d=%d", k, i, ret);
	}
	probabilities("0", "0");
	TH_LOG("%ld calls: %ld succeeded, %ld failed with an errno", iters, ok, failed);

	/* every file is what the successful calls made of it */
	for (i = 0; i < NFILES; i++) {
		char want[1024] = "0";
		struct stat st;

		snprintf(p, sizeof(p), "%s/f%d", self->s.mnt, i);
		if (!exists[i]) {
			EXPECT_NE(0, lstat(p, &st))
				TH_LOG("f%d should be gone; its calls:%s", i, hist[i]);
			continue;
		}
		if (exists[i] == 2)
			want[0] = '\0';
		memset(want + strlen(want), 'x', appended[i]);
		want[(exists[i] == 1) + appended[i]] = '\0';
		EXPECT_EQ(1, file_is(p, want, strlen(want)))
			TH_LOG("f%d: want %zu bytes; its calls:%s", i, strlen(want), hist[i]);
	}
	if (layerfs) {
		for (i = 0; i < NFILES; i++) {
			struct layerfs_layer_info info = { .size = sizeof(info) };

			snprintf((char *)info.name, sizeof(info.name), "fault%d", i);
			if (!ioctl(dev, LAYERFS_IOC_GET_LAYER, &info)) {
				struct layerfs_layer_del d = { .size = sizeof(d) };

				snprintf((char *)d.name, sizeof(d.name), "fault%d", i);
				EXPECT_EQ(0, ioctl(dev, LAYERFS_IOC_DEL_LAYER, &d));
			}
		}
		close(dev);
	}
	/* the same after a remount, and nothing left in the work directory */
	ASSERT_EQ(0, lu_tree_walk(self->s.mnt, &before)) TH_LOG("%s", before.error);
	ASSERT_EQ(0, remount(self));
	ASSERT_EQ(0, lu_tree_walk(self->s.mnt, &after)) TH_LOG("%s", after.error);
	EXPECT_EQ(0, lu_tree_diff(&before, &after, LU_CMP_NLINK, why, sizeof(why)))
		TH_LOG("after a remount: %s", why);
	EXPECT_STREQ("", work_leftovers(self));
	lu_tree_free(&before);
	lu_tree_free(&after);
}

LU_HARNESS_MAIN
