// SPDX-License-Identifier: GPL-2.0
/*
 * Dentry revalidation of a union. A union dentry needs d_revalidate only
 * when one of its real dentries does (a layer on 9p with a cache, NFS,
 * FUSE); overlayfs clears the revalidate flags of all the others
 * (ovl_dentry_init_reval()), so that a warm path walk through a directory
 * merged over many layers does not call into every layer. layerfs does
 * the same.
 *
 * What is revalidated is seen with kprobes on the union's
 * d_revalidate/d_weak_revalidate (their hit counts in kprobe_profile);
 * those cases SKIP on a kernel without kprobe events. The lower layer on
 * a revalidating filesystem is the repository itself: the guest of
 * scripts/vm-run sees the host's root over 9p (cache=loose, read-only),
 * whose dentries have both operations.
 *
 * Every test runs on layerfs and on overlay with the same expectations.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <mntent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "kselftest_harness.h"
#include "harness.h"
#include "union.h"

#define NLAYERS		8

enum { STRONG, WEAK, NPROBES };

/*
 * kprobes on the union's two revalidate operations.
 *
 * With as little live patching of kernel text as kprobes allow: under
 * multi-threaded TCG, text_poke_bp() (static calls, jump labels,
 * optimized kprobes) can leave a vCPU looping in its int3 handler while
 * another waits for it in an IPI (an RCU stall, then a soft lockup; seen
 * on 6.1 in the disable path of the first event). Enabling a trace event
 * also starts the recording of task names, which registers the sched
 * tracepoints (static call updates): options/record-cmd is turned off
 * while the probes exist, and so is kprobe jump optimization
 * (debug.kprobes-optimization), which would patch each probe again.
 * What is left is the one-byte int3 of each probe's arming and
 * disarming. Both settings are restored by probes_fini().
 */
#define KPROBE_OPT	"/proc/sys/debug/kprobes-optimization"

struct probes {
	char tracefs[LU_PATH_MAX];
	char name[NPROBES][48];
	bool made[NPROBES];
	bool mounted;
	char record_cmd[8];	/* options/record-cmd before, or "" */
	char kprobe_opt[8];	/* KPROBE_OPT before, or "" */
};

static int write_str(const char *path, const char *s, int flags)
{
	int fd = open(path, O_WRONLY | flags);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	close(fd);
	if (n < 0)
		return -errno;
	return n == (ssize_t)strlen(s) ? 0 : -EIO;
}

/* The first line of @path into @buf (its newline dropped), or "". */
static void read_str(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, size - 1);

	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
}

static const char *tpath(const struct probes *p, const char *fmt, const char *a)
{
	static char buf[2][LU_PATH_MAX + 128];
	static int i;
	char rel[128];

	i = (i + 1) % 2;
	snprintf(rel, sizeof(rel), fmt, a);
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", p->tracefs, rel);
	return buf[i];
}

static void probes_fini(struct probes *p)
{
	char cmd[64];
	int i;

	for (i = 0; i < NPROBES; i++) {
		if (!p->made[i])
			continue;
		write_str(tpath(p, "events/kprobes/%s/enable", p->name[i]),
			  "0", 0);
		snprintf(cmd, sizeof(cmd), "-:kprobes/%s\n", p->name[i]);
		write_str(tpath(p, "%s", "kprobe_events"), cmd, O_APPEND);
		p->made[i] = false;
	}
	if (p->record_cmd[0])
		write_str(tpath(p, "%s", "options/record-cmd"), p->record_cmd, 0);
	if (p->kprobe_opt[0])
		write_str(KPROBE_OPT, p->kprobe_opt, 0);
	p->record_cmd[0] = p->kprobe_opt[0] = '\0';
	if (p->mounted)
		umount2(p->tracefs, MNT_DETACH);
	p->mounted = false;
}

/*
 * A tracefs of our own under the scratch directory (the test has a mount
 * namespace of its own) and two enabled kprobes. -ENODEV when the kernel
 * has no tracefs or no kprobe events.
 */
static int probes_init(struct probes *p, struct lu_scratch *s,
		       const char *fstype)
{
	const char *pfx = strcmp(fstype, "overlay") ? "lfs" : "ovl";
	static const char *const op[NPROBES] = {
		"dentry_revalidate", "dentry_weak_revalidate",
	};
	char cmd[160];
	int i, ret;

	memset(p, 0, sizeof(*p));
	snprintf(p->tracefs, sizeof(p->tracefs), "%s", lu_path(s, "tracefs"));
	if (mkdir(p->tracefs, 0700))
		return -errno;
	if (mount("tracefs", p->tracefs, "tracefs", 0, NULL))
		return errno == ENODEV ? -ENODEV : -errno;
	p->mounted = true;
	if (access(tpath(p, "%s", "kprobe_events"), W_OK))
		return -ENODEV;
	read_str(tpath(p, "%s", "options/record-cmd"), p->record_cmd,
		 sizeof(p->record_cmd));
	if (p->record_cmd[0]) {
		ret = write_str(tpath(p, "%s", "options/record-cmd"), "0", 0);
		if (ret)
			return ret;
	}
	read_str(KPROBE_OPT, p->kprobe_opt, sizeof(p->kprobe_opt));
	if (p->kprobe_opt[0]) {
		ret = write_str(KPROBE_OPT, "0", 0);
		if (ret)
			return ret;
	}
	for (i = 0; i < NPROBES; i++) {
		snprintf(p->name[i], sizeof(p->name[i]), "reval_test_%d_%d",
			 (int)getpid(), i);
		snprintf(cmd, sizeof(cmd), "p:kprobes/%s %s_%s\n", p->name[i],
			 pfx, op[i]);
		ret = write_str(tpath(p, "%s", "kprobe_events"), cmd, O_APPEND);
		if (ret)
			return ret;
		p->made[i] = true;
		ret = write_str(tpath(p, "events/kprobes/%s/enable", p->name[i]),
				"1", 0);
		if (ret)
			return ret;
	}
	return 0;
}

/* Hits of probe @i so far, from kprobe_profile; -errno on failure. */
static long probe_hits(const struct probes *p, int i)
{
	char line[256], name[128];
	unsigned long hit, miss;
	long ret = -ENOENT;
	FILE *f;

	f = fopen(tpath(p, "%s", "kprobe_profile"), "r");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%127s %lu %lu", name, &hit, &miss) == 3 &&
		    !strcmp(name, p->name[i])) {
			ret = hit;
			break;
		}
	}
	fclose(f);
	return ret;
}

static int stat_n(const char *path, int n)
{
	struct stat st;

	while (n--)
		if (stat(path, &st))
			return -errno;
	return 0;
}

/* 0 if @a and @b hold the same bytes. */
static int same_content(const char *a, const char *b)
{
	char ba[4096], bb[4096];
	int fa, fb, ret = -EIO;
	ssize_t na, nb;

	fa = open(a, O_RDONLY);
	fb = open(b, O_RDONLY);
	if (fa < 0 || fb < 0) {
		ret = -errno;
		goto out;
	}
	do {
		na = read(fa, ba, sizeof(ba));
		nb = read(fb, bb, sizeof(bb));
		if (na < 0 || nb < 0 || na != nb || memcmp(ba, bb, na))
			goto out;
	} while (na > 0);
	ret = 0;
out:
	if (fa >= 0)
		close(fa);
	if (fb >= 0)
		close(fb);
	return ret;
}

FIXTURE(reval) {
	struct lu_scratch s;
	struct probes p;
	const char *src;	/* the repository, on the guest's 9p root */
};

LU_UNION_VARIANTS(reval);

FIXTURE_SETUP(reval)
{
	memset(&self->p, 0, sizeof(self->p));
	if (!lu_union_setup(_metadata, &self->s, variant->fstype, NLAYERS))
		return;
	self->src = getenv("LAYERFS_SRC");
}

FIXTURE_TEARDOWN(reval)
{
	probes_fini(&self->p);
	lu_scratch_fini(&self->s);
}

#define PROBES_OR_SKIP() do {						\
		int __r = probes_init(&self->p, &self->s, variant->fstype); \
		if (__r == -ENODEV)					\
			SKIP(return, "no tracefs or kprobe events");	\
		ASSERT_EQ(0, __r);					\
	} while (0)

/*
 * Only tmpfs layers: after a first walk, warm stats of a file below a
 * directory merged over all the layers, of a top-layer file and of the
 * root call no revalidate operation of the union at all.
 */
TEST_F(reval, tmpfs_layers_not_revalidated)
{
	struct lu_scratch *s = &self->s;
	long before[NPROBES];
	int i;

	for (i = 0; i < NLAYERS; i++)
		ASSERT_EQ(0, lu_mkdir(s, i, "x", 0755));
	ASSERT_EQ(0, lu_file(s, NLAYERS - 1, "x/f", 0644, "bottom"));
	ASSERT_EQ(0, lu_file(s, 0, "t", 0644, "top"));
	ASSERT_EQ(0, lu_mount(s));
	PROBES_OR_SKIP();

	EXPECT_STREQ("bottom", lu_cat(lu_mpath(s, "x/f")));
	ASSERT_EQ(0, stat_n(lu_mpath(s, "t"), 1));
	ASSERT_EQ(0, stat_n(s->mnt, 1));
	for (i = 0; i < NPROBES; i++)
		ASSERT_LE(0, before[i] = probe_hits(&self->p, i));

	ASSERT_EQ(0, stat_n(lu_mpath(s, "x/f"), 20));
	ASSERT_EQ(0, stat_n(lu_mpath(s, "x"), 20));
	ASSERT_EQ(0, stat_n(lu_mpath(s, "t"), 20));
	EXPECT_EQ(-ENOENT, stat_n(lu_mpath(s, "x/missing"), 1));
	EXPECT_EQ(-ENOENT, stat_n(lu_mpath(s, "x/missing"), 20));
	/* Ends on the root after crossing the mount: weak revalidation. */
	ASSERT_EQ(0, stat_n(s->mnt, 20));
	ASSERT_EQ(0, stat_n(lu_mpath(s, "x/.."), 20));

	EXPECT_EQ(before[STRONG], probe_hits(&self->p, STRONG));
	EXPECT_EQ(before[WEAK], probe_hits(&self->p, WEAK));
}

/* The same with an upper layer on tmpfs: copied up and new objects. */
TEST_F(reval, tmpfs_upper_not_revalidated)
{
	struct lu_scratch *s = &self->s;
	long before[NPROBES];
	struct lu_rw rw;
	int i;

	for (i = 0; i < NLAYERS; i++)
		ASSERT_EQ(0, lu_mkdir(s, i, "x", 0755));
	ASSERT_EQ(0, lu_file(s, NLAYERS - 1, "x/f", 0644, "bottom"));
	ASSERT_EQ(0, lu_rw_init(&rw, s, NULL));
	ASSERT_EQ(0, lu_mount_rw(s, &rw));
	PROBES_OR_SKIP();

	ASSERT_EQ(0, chmod(lu_mpath(s, "x/f"), 0600));	/* copy-up */
	ASSERT_EQ(0, lu_write_file(lu_mpath(s, "x/new"), 0644, "new", 3));
	ASSERT_EQ(0, mkdir(lu_mpath(s, "x/d"), 0755));
	ASSERT_EQ(0, stat_n(lu_mpath(s, "x/f"), 1));
	for (i = 0; i < NPROBES; i++)
		ASSERT_LE(0, before[i] = probe_hits(&self->p, i));

	ASSERT_EQ(0, stat_n(lu_mpath(s, "x/f"), 20));
	ASSERT_EQ(0, stat_n(lu_mpath(s, "x/new"), 20));
	ASSERT_EQ(0, stat_n(lu_mpath(s, "x/d"), 20));
	ASSERT_EQ(0, stat_n(s->mnt, 20));
	EXPECT_STREQ("new", lu_cat(lu_mpath(s, "x/new")));

	EXPECT_EQ(before[STRONG], probe_hits(&self->p, STRONG));
	EXPECT_EQ(before[WEAK], probe_hits(&self->p, WEAK));
	lu_umount(s);
	lu_rw_fini(&rw);
}

/*
 * Whether @path is on a 9p mount: the type of the longest mount point in
 * /proc/self/mounts above it (statfs() reports the server's f_type).
 */
static bool on_9p(const char *path)
{
	char real[PATH_MAX], type[32] = "";
	size_t best = 0, len;
	struct mntent *me;
	FILE *f;

	if (!realpath(path, real))
		return false;
	f = setmntent("/proc/self/mounts", "r");
	if (!f)
		return false;
	while ((me = getmntent(f))) {
		len = strlen(me->mnt_dir);
		if (len < best || strncmp(real, me->mnt_dir, len) ||
		    (len > 1 && real[len] && real[len] != '/'))
			continue;
		best = len;
		snprintf(type, sizeof(type), "%s", me->mnt_type);
	}
	endmntent(f);
	return !strcmp(type, "9p");
}

/*
 * The repository (on 9p) as the bottom layer under a tmpfs one: the
 * union shows the repository's files, merged with the top layer's.
 */
static int mount_over_src(struct lu_scratch *s, const char *src)
{
	const char *layers[2];
	int ret;

	if (!src)
		return -ENOENT;
	if (!on_9p(src))
		return -ENODEV;
	if (lu_file(s, 0, "only-top", 0644, "top") ||
	    lu_file(s, 0, "selftests/union/top-file", 0644, "top") ||
	    lu_whiteout(s, 0, "README.md"))
		return -EIO;
	layers[0] = strdup(lu_lpath(s, 0, ""));
	layers[1] = src;
	ret = layers[0] ? lu_mount_layers(s->fstype, s->mnt, layers, 2) :
			  -ENOMEM;
	free((void *)layers[0]);
	if (!ret)
		s->mounted = true;
	return ret;
}

#define MOUNT_OVER_SRC() do {						\
		int __r = mount_over_src(&self->s, self->src);	\
		if (__r == -ENOENT)					\
			SKIP(return, "LAYERFS_SRC not set");		\
		if (__r == -ENODEV)					\
			SKIP(return, "LAYERFS_SRC %s is not on 9p (run in scripts/vm-run)", \
			     self->src);				\
		ASSERT_EQ(0, __r);					\
	} while (0)

static const char *srcpath(const char *src, const char *rel)
{
	static char buf[2][LU_PATH_MAX];
	static int i;

	i = (i + 1) % 2;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", src, rel);
	return buf[i];
}

TEST_F(reval, lower_on_9p_reads)
{
	struct lu_scratch *s = &self->s;
	struct stat a, b;
	char names[2048];

	MOUNT_OVER_SRC();

	EXPECT_EQ(0, same_content(lu_mpath(s, "selftests/union/lookup_test.c"),
				  srcpath(self->src, "selftests/union/lookup_test.c")));
	EXPECT_EQ(0, same_content(lu_mpath(s, "Makefile"),
				  srcpath(self->src, "Makefile")));
	ASSERT_EQ(0, stat(lu_mpath(s, "module/namei.c"), &a));
	ASSERT_EQ(0, stat(srcpath(self->src, "module/namei.c"), &b));
	EXPECT_EQ(b.st_size, a.st_size);
	EXPECT_EQ(b.st_mode, a.st_mode);
	EXPECT_STREQ("top", lu_cat(lu_mpath(s, "only-top")));
	EXPECT_STREQ("top", lu_cat(lu_mpath(s, "selftests/union/top-file")));
	EXPECT_EQ(-ENOENT, lu_ftype(lu_mpath(s, "README.md")));
	EXPECT_EQ(-ENOENT, lu_ftype(lu_mpath(s, "no-such-name")));
	snprintf(names, sizeof(names), " %s ",
		 lu_names(lu_mpath(s, "selftests/union")));
	EXPECT_NE(NULL, strstr(names, " reval_test.c "));
	EXPECT_NE(NULL, strstr(names, " top-file "));
	EXPECT_NE(NULL, strstr(names, " io_test.c "));
	/* And again, warm. */
	EXPECT_EQ(0, same_content(lu_mpath(s, "Makefile"),
				  srcpath(self->src, "Makefile")));
	EXPECT_EQ(S_IFDIR, lu_ftype(lu_mpath(s, "selftests/union")));
}

/*
 * Dentries with a real dentry on 9p keep their revalidation, the root
 * (whose bottom layer root is on 9p) its weak one; a dentry with only a
 * tmpfs real dentry in the same union is not revalidated.
 */
TEST_F(reval, lower_on_9p_revalidated)
{
	struct lu_scratch *s = &self->s;
	long before[NPROBES];
	int i;

	MOUNT_OVER_SRC();
	PROBES_OR_SKIP();

	ASSERT_EQ(0, stat_n(lu_mpath(s, "Makefile"), 1));
	ASSERT_EQ(0, stat_n(lu_mpath(s, "selftests/union/lookup_test.c"), 1));
	ASSERT_EQ(0, stat_n(lu_mpath(s, "only-top"), 1));

	for (i = 0; i < NPROBES; i++)
		ASSERT_LE(0, before[i] = probe_hits(&self->p, i));
	ASSERT_EQ(0, stat_n(lu_mpath(s, "only-top"), 20));
	EXPECT_EQ(before[STRONG], probe_hits(&self->p, STRONG));

	ASSERT_EQ(0, stat_n(lu_mpath(s, "Makefile"), 20));
	EXPECT_LE(before[STRONG] + 20, probe_hits(&self->p, STRONG));
	before[STRONG] = probe_hits(&self->p, STRONG);
	ASSERT_EQ(0, stat_n(lu_mpath(s, "selftests/union/lookup_test.c"), 20));
	/* selftests, union and lookup_test.c: 3 per walk */
	EXPECT_LE(before[STRONG] + 60, probe_hits(&self->p, STRONG));

	ASSERT_EQ(0, stat_n(s->mnt, 20));
	EXPECT_LE(before[WEAK] + 20, probe_hits(&self->p, WEAK));
}

LU_HARNESS_MAIN
