// SPDX-License-Identifier: GPL-2.0
/*
 * Directory listings of a read-only union: each name once, whiteouts
 * hidden, "." and "..", d_type and d_ino right, positions that survive
 * telldir()/seekdir() and rewinds, and a large directory spread over
 * many layers.
 *
 * Every test runs on layerfs and on overlay with the same expectations.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>

#include "kselftest_harness.h"
#include "harness.h"
#include "union.h"

LU_UNION_OPT_FIXTURE(readdir, 3)

static int dent_cmp(const void *a, const void *b)
{
	return strcmp(((const struct lu_dent *)a)->name,
		      ((const struct lu_dent *)b)->name);
}

/* A mixed tree: names in several layers, whiteouts of both kinds. */
static void make_mixed(struct __test_metadata *_metadata, struct lu_scratch *s)
{
	ASSERT_EQ(0, lu_file(s, 0, "d/a", 0644, "a0"));
	ASSERT_EQ(0, lu_file(s, 1, "d/a", 0644, "a1"));
	ASSERT_EQ(0, lu_file(s, 2, "d/a", 0644, "a2"));
	ASSERT_EQ(0, lu_file(s, 1, "d/b", 0644, "b1"));
	ASSERT_EQ(0, lu_file(s, 2, "d/b", 0644, "b2"));
	ASSERT_EQ(0, lu_file(s, 2, "d/c", 0644, "c2"));
	ASSERT_EQ(0, lu_mkdir(s, 0, "d/sub", 0755));
	ASSERT_EQ(0, lu_file(s, 1, "d/sub/x", 0644, "x"));
	ASSERT_EQ(0, lu_file(s, 2, "d/sub/y", 0644, "y"));
	ASSERT_EQ(0, lu_whiteout(s, 0, "d/wh"));
	ASSERT_EQ(0, lu_file(s, 2, "d/wh", 0644, "hidden"));
	ASSERT_EQ(0, lu_whiteout(s, 1, "d/whonly"));
	ASSERT_EQ(0, lu_xwhiteout(s, 1, "d/xwh"));
	ASSERT_EQ(0, lu_file(s, 2, "d/xwh", 0644, "hidden"));
	ASSERT_EQ(0, lu_xwhiteout(s, 1, "d/xwhonly"));
	ASSERT_EQ(0, lu_symlink(s, 0, "d/link", "a"));
	ASSERT_EQ(0, lu_file(s, 2, "d/link", 0644, "hidden by the link"));
	ASSERT_EQ(0, lu_mkdir(s, 1, "d/top-is-file", 0755));
	ASSERT_EQ(0, lu_file(s, 0, "d/top-is-file", 0644, "file"));
	ASSERT_EQ(0, lu_file(s, 0, "d/top-is-dir/in", 0644, "in"));
	ASSERT_EQ(0, lu_file(s, 2, "d/top-is-dir", 0644, "file below"));
}

TEST_F(readdir, merged_listing_has_each_name_once)
{
	struct lu_scratch *s = &self->s;
	struct lu_dent *d;
	ssize_t n, i;
	int dots = 0, dotdots = 0;

	LU_OVERLAY_NEEDS(variant->fstype, LU_OVL_XWHITEOUT);

	make_mixed(_metadata, s);
	ASSERT_EQ(0, lu_mount(s));

	n = lu_getdents(lu_mpath(s, "d"), &d);
	ASSERT_LT(0, n);
	qsort(d, n, sizeof(*d), dent_cmp);
	for (i = 0; i < n; i++) {
		if (i) {
			EXPECT_STRNE(d[i - 1].name, d[i].name);
		}
		dots += !strcmp(d[i].name, ".");
		dotdots += !strcmp(d[i].name, "..");
	}
	EXPECT_EQ(1, dots);
	EXPECT_EQ(1, dotdots);
	EXPECT_EQ(9, n);
	EXPECT_STREQ("a b c link sub top-is-dir top-is-file",
		     lu_names(lu_mpath(s, "d")));
	EXPECT_STREQ("x y", lu_names(lu_mpath(s, "d/sub")));
	EXPECT_STREQ("in", lu_names(lu_mpath(s, "d/top-is-dir")));
	free(d);
}

TEST_F(readdir, empty_and_fully_whited_out_directories)
{
	struct lu_scratch *s = &self->s;
	struct lu_dent *d;
	ssize_t n;

	LU_OVERLAY_NEEDS(variant->fstype, LU_OVL_XWHITEOUT);

	ASSERT_EQ(0, lu_mkdir(s, 0, "empty", 0755));
	ASSERT_EQ(0, lu_mkdir(s, 2, "empty", 0755));
	ASSERT_EQ(0, lu_whiteout(s, 0, "gone/a"));
	ASSERT_EQ(0, lu_xwhiteout(s, 1, "gone/b"));
	ASSERT_EQ(0, lu_file(s, 2, "gone/a", 0644, "a"));
	ASSERT_EQ(0, lu_file(s, 2, "gone/b", 0644, "b"));
	ASSERT_EQ(0, lu_mount(s));

	n = lu_getdents(lu_mpath(s, "empty"), &d);
	EXPECT_EQ(2, n);
	free(d);
	n = lu_getdents(lu_mpath(s, "gone"), &d);
	EXPECT_EQ(2, n);
	free(d);
	EXPECT_STREQ("", lu_names(lu_mpath(s, "gone")));
	EXPECT_EQ(-ENOENT, lu_ftype(lu_mpath(s, "gone/a")));
	/* rmdir would see it empty; the mount is read-only though */
	EXPECT_EQ(-1, rmdir(lu_mpath(s, "gone")));
	EXPECT_EQ(EROFS, errno);
}

TEST_F(readdir, whiteouts_in_a_directory_from_one_layer)
{
	struct lu_scratch *s = &self->s;
	const char *got;

	LU_OVERLAY_NEEDS(variant->fstype, LU_OVL_XWHITEOUT);

	/* "single" is in l1 only; "opq" is opaque in l1, over l2's */
	ASSERT_EQ(0, lu_file(s, 1, "single/kept", 0644, "kept"));
	ASSERT_EQ(0, lu_whiteout(s, 1, "single/wh"));
	ASSERT_EQ(0, lu_xwhiteout(s, 1, "single/xwh"));
	ASSERT_EQ(0, lu_file(s, 1, "opq/kept", 0644, "kept"));
	ASSERT_EQ(0, lu_whiteout(s, 1, "opq/wh"));
	ASSERT_EQ(0, lu_opaque(s, 1, "opq"));
	ASSERT_EQ(0, lu_file(s, 2, "opq/lower", 0644, "lower"));
	ASSERT_EQ(0, lu_mount(s));

	/* lookup hides them on both */
	EXPECT_EQ(-ENOENT, lu_ftype(lu_mpath(s, "single/wh")));
	EXPECT_EQ(-ENOENT, lu_ftype(lu_mpath(s, "single/xwh")));
	EXPECT_EQ(-ENOENT, lu_ftype(lu_mpath(s, "opq/wh")));
	EXPECT_EQ(-ENOENT, lu_ftype(lu_mpath(s, "opq/lower")));

	got = lu_names(lu_mpath(s, "single"));
	if (variant->layerfs) {
		/* deliberate: readdir agrees with lookup */
		EXPECT_STREQ("kept", got);
		EXPECT_STREQ("kept", lu_names(lu_mpath(s, "opq")));
	} else {
		/*
		 * overlay reads a directory that has one real directory
		 * straight through (fs/overlayfs/readdir.c, is_real), so
		 * its whiteouts show up in the listing.
		 */
		EXPECT_STREQ("kept wh xwh", got);
		EXPECT_STREQ("kept wh", lu_names(lu_mpath(s, "opq")));
	}
}

static unsigned char dt_of(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG: return DT_REG;
	case S_IFDIR: return DT_DIR;
	case S_IFLNK: return DT_LNK;
	case S_IFIFO: return DT_FIFO;
	case S_IFSOCK: return DT_SOCK;
	case S_IFCHR: return DT_CHR;
	case S_IFBLK: return DT_BLK;
	}
	return DT_UNKNOWN;
}

TEST_F(readdir, d_type_is_right_for_every_type)
{
	struct lu_scratch *s = &self->s;
	struct lu_dent *d;
	struct stat st;
	ssize_t n, i;

	ASSERT_EQ(0, lu_file(s, 0, "reg", 0644, "r"));
	ASSERT_EQ(0, lu_mkdir(s, 1, "dir", 0755));
	ASSERT_EQ(0, lu_symlink(s, 2, "lnk", "reg"));
	ASSERT_EQ(0, mknod(lu_lpath(s, 1, "fifo"), S_IFIFO | 0644, 0));
	ASSERT_EQ(0, mknod(lu_lpath(s, 2, "sock"), S_IFSOCK | 0644, 0));
	ASSERT_EQ(0, mknod(lu_lpath(s, 0, "chr"), S_IFCHR | 0644, makedev(1, 3)));
	ASSERT_EQ(0, mknod(lu_lpath(s, 2, "blk"), S_IFBLK | 0644, makedev(7, 0)));
	/* the topmost occurrence decides */
	ASSERT_EQ(0, lu_mkdir(s, 0, "dir-over-file", 0755));
	ASSERT_EQ(0, lu_file(s, 1, "dir-over-file", 0644, "f"));
	ASSERT_EQ(0, lu_symlink(s, 0, "link-over-dir", "dir"));
	ASSERT_EQ(0, lu_mkdir(s, 2, "link-over-dir", 0755));
	ASSERT_EQ(0, mknod(lu_lpath(s, 1, "fifo-over-reg"), S_IFIFO | 0644, 0));
	ASSERT_EQ(0, lu_file(s, 2, "fifo-over-reg", 0644, "f"));
	ASSERT_EQ(0, lu_mount(s));

	n = lu_getdents(lu_mpath(s, ""), &d);
	ASSERT_EQ(12, n);
	for (i = 0; i < n; i++) {
		ASSERT_EQ(0, lstat(lu_mpath(s, d[i].name), &st));
		EXPECT_EQ(dt_of(st.st_mode), d[i].type) {
			TH_LOG("%s: d_type %u, st_mode %o", d[i].name,
			       d[i].type, st.st_mode);
		}
	}
	EXPECT_EQ(S_IFDIR, lu_ftype(lu_mpath(s, "dir-over-file")));
	EXPECT_EQ(S_IFLNK, lu_ftype(lu_mpath(s, "link-over-dir")));
	EXPECT_EQ(S_IFIFO, lu_ftype(lu_mpath(s, "fifo-over-reg")));
	free(d);
}

/* d_ino of every entry below @rel equals st_ino from lstat(), recursively. */
static void check_d_ino(struct __test_metadata *_metadata,
			const struct lu_scratch *s, const char *rel, int *count)
{
	char path[LU_PATH_MAX], child[2 * LU_PATH_MAX];
	struct lu_dent *d;
	struct stat st;
	ssize_t n, i;

	snprintf(path, sizeof(path), "%s", lu_mpath(s, rel));
	n = lu_getdents(path, &d);
	ASSERT_LT(0, n);
	for (i = 0; i < n; i++) {
		/* ".." of the mount root is the mount point's parent */
		if (!*rel && !strcmp(d[i].name, ".."))
			continue;
		snprintf(child, sizeof(child), "%s/%s", path, d[i].name);
		ASSERT_EQ(0, lstat(child, &st));
		EXPECT_EQ(st.st_ino, d[i].ino) {
			TH_LOG("%s: d_ino %llu, st_ino %llu", child,
			       (unsigned long long)d[i].ino,
			       (unsigned long long)st.st_ino);
		}
		(*count)++;
		if (S_ISDIR(st.st_mode) && strcmp(d[i].name, ".") &&
		    strcmp(d[i].name, "..")) {
			char sub[LU_PATH_MAX];

			snprintf(sub, sizeof(sub), "%s%s%s", rel, *rel ? "/" : "",
				 d[i].name);
			check_d_ino(_metadata, s, sub, count);
		}
	}
	free(d);
}

TEST_F(readdir, d_ino_equals_st_ino)
{
	struct lu_scratch *s = &self->s;
	int count = 0;

	make_mixed(_metadata, s);
	ASSERT_EQ(0, lu_file(s, 2, "lower-only/deep/file", 0644, "f"));
	ASSERT_EQ(0, lu_mkdir(s, 0, "merged/deep", 0755));
	ASSERT_EQ(0, lu_file(s, 1, "merged/deep/m", 0644, "m"));
	ASSERT_EQ(0, lu_file(s, 2, "merged/deep/n", 0644, "n"));
	ASSERT_EQ(0, lu_opaque(s, 1, "merged"));
	ASSERT_EQ(0, link(lu_lpath(s, 2, "d/c"), lu_lpath(s, 2, "d/c-hardlink")));
	ASSERT_EQ(0, lu_mount(s));

	check_d_ino(_metadata, s, "", &count);
	EXPECT_LT(25, count);
	TH_LOG("%d entries checked", count);
}

#define SEEK_ENTRIES 300

TEST_F(readdir, telldir_seekdir_round_trip)
{
	struct lu_scratch *s = &self->s;
	char name[32], *names[SEEK_ENTRIES + 2];
	long pos[SEEK_ENTRIES + 2], end;
	struct dirent *de;
	int i, n = 0;
	DIR *dir;

	/* names spread over the layers, some in several of them */
	for (i = 0; i < SEEK_ENTRIES; i++) {
		snprintf(name, sizeof(name), "d/entry-%03d", i);
		ASSERT_EQ(0, lu_file(s, i % 3, name, 0644, name));
		if (i % 7 == 0) {
			ASSERT_EQ(0, lu_file(s, 2, name, 0644, "lower"));
		}
	}
	ASSERT_EQ(0, lu_mount(s));

	dir = opendir(lu_mpath(s, "d"));
	ASSERT_NE(NULL, dir);
	for (;;) {
		long p = telldir(dir);

		de = readdir(dir);
		if (!de)
			break;
		ASSERT_LT(n, SEEK_ENTRIES + 2);
		pos[n] = p;
		names[n] = strdup(de->d_name);
		n++;
	}
	end = telldir(dir);
	ASSERT_EQ(SEEK_ENTRIES + 2, n);

	/* every position again, backwards, then a few at random */
	for (i = n - 1; i >= 0; i--) {
		seekdir(dir, pos[i]);
		de = readdir(dir);
		ASSERT_NE(NULL, de);
		EXPECT_STREQ(names[i], de->d_name);
	}
	srand(1);
	for (i = 0; i < 200; i++) {
		int k = rand() % n;

		seekdir(dir, pos[k]);
		de = readdir(dir);
		ASSERT_NE(NULL, de);
		EXPECT_STREQ(names[k], de->d_name);
		if (k + 1 < n) {
			de = readdir(dir);
			ASSERT_NE(NULL, de);
			EXPECT_STREQ(names[k + 1], de->d_name);
		}
	}
	seekdir(dir, end);
	EXPECT_EQ(NULL, readdir(dir));
	closedir(dir);
	for (i = 0; i < n; i++)
		free(names[i]);
}

/* Reads all of @fd's entries (from where it is) as a sorted name list. */
static char *read_all(int fd, size_t bufsize)
{
	size_t cap = 65536, o = 0;
	char *out = malloc(cap), *buf = malloc(bufsize);
	long len, off;

	out[0] = '\0';
	while ((len = syscall(SYS_getdents64, fd, buf, bufsize)) > 0) {
		for (off = 0; off < len;) {
			struct {
				uint64_t ino;
				int64_t off;
				unsigned short reclen;
				unsigned char type;
				char name[];
			} *d = (void *)(buf + off);

			if (o + strlen(d->name) + 2 > cap)
				out = realloc(out, cap *= 2);
			o += sprintf(out + o, "%s/", d->name);
			off += d->reclen;
		}
	}
	free(buf);
	if (len < 0) {
		free(out);
		return NULL;
	}
	return out;
}

TEST_F(readdir, rewind_restarts_with_the_same_listing)
{
	struct lu_scratch *s = &self->s;
	char *first, *again, *small;
	struct dirent *de;
	int fd, i, count;
	DIR *dir;

	LU_OVERLAY_NEEDS(variant->fstype, LU_OVL_XWHITEOUT);

	make_mixed(_metadata, s);
	ASSERT_EQ(0, lu_mount(s));

	fd = open(lu_mpath(s, "d"), O_RDONLY | O_DIRECTORY);
	ASSERT_LE(0, fd);
	first = read_all(fd, 32768);
	ASSERT_NE(NULL, first);
	ASSERT_EQ(0, lseek(fd, 0, SEEK_SET));
	again = read_all(fd, 32768);
	ASSERT_NE(NULL, again);
	EXPECT_STREQ(first, again);
	free(again);
	/* a buffer that takes one entry per call gives the same */
	ASSERT_EQ(0, lseek(fd, 0, SEEK_SET));
	small = read_all(fd, 40);
	ASSERT_NE(NULL, small);
	EXPECT_STREQ(first, small);
	free(small);
	close(fd);

	dir = opendir(lu_mpath(s, "d"));
	ASSERT_NE(NULL, dir);
	for (i = 0; i < 3; i++) {
		count = 0;
		while ((de = readdir(dir)))
			count++;
		EXPECT_EQ(9, count);
		rewinddir(dir);
	}
	/* half-way, then rewind */
	ASSERT_NE(NULL, readdir(dir));
	ASSERT_NE(NULL, readdir(dir));
	rewinddir(dir);
	count = 0;
	while ((de = readdir(dir)))
		count++;
	EXPECT_EQ(9, count);
	closedir(dir);
	free(first);
}

TEST_F(readdir, interleaved_opens_see_the_same_listing)
{
	struct lu_scratch *s = &self->s;
	struct dirent *a, *b;
	DIR *d1, *d2;
	int n = 0;

	LU_OVERLAY_NEEDS(variant->fstype, LU_OVL_XWHITEOUT);

	make_mixed(_metadata, s);
	ASSERT_EQ(0, lu_mount(s));

	d1 = opendir(lu_mpath(s, "d"));
	ASSERT_NE(NULL, d1);
	ASSERT_NE(NULL, readdir(d1));
	d2 = opendir(lu_mpath(s, "d"));
	ASSERT_NE(NULL, d2);
	rewinddir(d1);
	for (;;) {
		a = readdir(d1);
		b = readdir(d2);
		if (!a || !b)
			break;
		EXPECT_STREQ(a->d_name, b->d_name);
		EXPECT_EQ(a->d_ino, b->d_ino);
		n++;
	}
	EXPECT_EQ(NULL, a);
	EXPECT_EQ(NULL, b);
	EXPECT_EQ(9, n);
	closedir(d1);
	closedir(d2);
}

/*
 * 100,000 names over 64 layers: every layer gets its own share, some
 * names repeat in lower layers (merged, listed once), some are whited
 * out from above (not listed).
 */
#define BIG_LAYERS	64
#define BIG_NAMES	100000

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

LU_UNION_FIXTURE(bigdir, BIG_LAYERS)

TEST_F_TIMEOUT(bigdir, hundred_thousand_entries_over_64_layers, 300)
{
	struct lu_scratch *s = &self->s;
	char path[LU_PATH_MAX];
	unsigned char *seen;
	struct stat st;
	double t0, t1, t2;
	struct lu_dent *d;
	int i, layer, dfd[BIG_LAYERS], expected = 0, bad = 0;
	ssize_t n, k;

	t0 = now();
	for (layer = 0; layer < BIG_LAYERS; layer++) {
		ASSERT_EQ(0, lu_mkdir(s, layer, "big", 0755));
		snprintf(path, sizeof(path), "%s", lu_lpath(s, layer, "big"));
		dfd[layer] = open(path, O_RDONLY | O_DIRECTORY);
		ASSERT_LE(0, dfd[layer]);
	}
	/*
	 * Name i lives in layer i % 64. Every 10th also in the layer below
	 * it (merged). Every 13th is whited out by a whiteout in the layer
	 * above it (and so not listed); those in layer 0 are not.
	 */
	for (i = 0; i < BIG_NAMES; i++) {
		char name[16];

		layer = i % BIG_LAYERS;
		snprintf(name, sizeof(name), "%x", i);
		ASSERT_EQ(0, mknodat(dfd[layer], name, S_IFREG | 0644, 0));
		if (i % 10 == 0 && layer + 1 < BIG_LAYERS) {
			ASSERT_EQ(0, mknodat(dfd[layer + 1], name, S_IFREG | 0600, 0));
		}
		if (i % 13 == 0 && layer > 0) {
			ASSERT_EQ(0, mknodat(dfd[layer - 1], name,
					     S_IFCHR | 0600, makedev(0, 0)));
		} else {
			expected++;
		}
	}
	for (layer = 0; layer < BIG_LAYERS; layer++)
		close(dfd[layer]);
	ASSERT_EQ(0, lu_mount(s));
	t1 = now();

	n = lu_getdents(lu_mpath(s, "big"), &d);
	t2 = now();
	ASSERT_EQ(expected + 2, n);
	seen = calloc(BIG_NAMES, 1);
	ASSERT_NE(NULL, seen);
	for (k = 0; k < n; k++) {
		char *end;
		long v;

		if (!strcmp(d[k].name, ".") || !strcmp(d[k].name, ".."))
			continue;
		v = strtol(d[k].name, &end, 16);
		if (*end || v < 0 || v >= BIG_NAMES || seen[v]++ ||
		    (v % 13 == 0 && v % BIG_LAYERS) || d[k].type != DT_REG) {
			if (bad++ < 10)
				TH_LOG("unexpected entry '%s' type %u",
				       d[k].name, d[k].type);
		}
	}
	EXPECT_EQ(0, bad);
	/* name 10 ("a") is in layers 10 and 11: the upper one, 0644, wins */
	ASSERT_EQ(0, lstat(lu_mpath(s, "big/a"), &st));
	EXPECT_EQ((mode_t)(S_IFREG | 0644), st.st_mode);
	/* name 13 ("d") is whited out from layer 12 */
	EXPECT_EQ(-ENOENT, lu_ftype(lu_mpath(s, "big/d")));
	EXPECT_EQ(S_IFREG, lu_ftype(lu_mpath(s, "big/0")));
	free(seen);
	free(d);
	TH_LOG("%d entries: built and mounted in %.1fs, listed in %.1fs",
	       expected, t1 - t0, t2 - t1);
}

LU_HARNESS_MAIN
