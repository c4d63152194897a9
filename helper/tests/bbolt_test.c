// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests of the bbolt reader and of containerd's value decoders.
 *
 * No containerd database is in the repository: every test writes its own
 * bbolt file with the small writer of bbolt_writer.c, which lays pages out
 * as bbolt 1.3's node.write() and meta.write() do (two meta pages with FNV-1a
 * checksums, a freelist page, branch and leaf pages, an overflow value,
 * nested and inline buckets), then breaks it in one place. The table of
 * corruptions expects a precise errno and the page in the message; the
 * fuzz test mutates the good database thousands of times and only asks
 * that nothing crashes or hangs (this binary is built with ASan/UBSan).
 *
 * Built with the kselftest harness, which the Makefile extracts from the
 * kernel source package at build time.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "kselftest_harness.h"
#include "../bbolt.h"
#include "../ctrd_enc.h"
#include "bbolt_writer.h"

#define FUZZ_RUNS	20000

/* Rewrite @fd in place (no O_TRUNC: ext4 flushes on close after it). */
static void save_fd(const struct wdb *w, int fd)
{
	if (pwrite(fd, w->buf, w->size, 0) != (ssize_t)w->size ||
	    ftruncate(fd, w->size))
		abort();
}

static void save(const struct wdb *w, const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0 || write(fd, w->buf, w->size) != (ssize_t)w->size ||
	    close(fd))
		abort();
}

FIXTURE(bbolt) {
	char dir[64];
	char path[96];
	struct wdb w;
	struct bbolt db;
	struct bbolt_bucket root;
};

FIXTURE_SETUP(bbolt)
{
	snprintf(self->dir, sizeof(self->dir), "/tmp/bbolt-test.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	snprintf(self->path, sizeof(self->path), "%s/meta.db", self->dir);
	self->db.fd = -1;
	bw_build(&self->w, PSIZE);
}

FIXTURE_TEARDOWN(bbolt)
{
	bbolt_close(&self->db);
	free(self->w.buf);
	unlink(self->path);
	rmdir(self->dir);
}

/* Write the database and open it; 0 or -1 as bbolt_open(). */
static int save_open(struct _test_data_bbolt *self)
{
	save(&self->w, self->path);
	if (bbolt_open(&self->db, self->path))
		return -1;
	bbolt_bucket_root(&self->db, &self->root);
	return 0;
}

/* @key of @b is the string @want. */
#define EXPECT_VALUE(b, key, want) do {					\
	const char *__k = (key), *__w = (want);				\
	const unsigned char *__v;					\
	size_t __n;							\
									\
	ASSERT_EQ(0, bbolt_get(&self->db, (b), __k, strlen(__k),	\
			       &__v, &__n)) TH_LOG("%s", self->db.err);	\
	ASSERT_EQ(strlen(__w), __n);					\
	EXPECT_EQ(0, memcmp(__v, __w, __n));				\
} while (0)

#define EXPECT_NO_VALUE(b, key) do {					\
	const char *__k = (key);					\
	const unsigned char *__v;					\
	size_t __n;							\
									\
	ASSERT_EQ(-1, bbolt_get(&self->db, (b), __k, strlen(__k),	\
				&__v, &__n));				\
	EXPECT_EQ(ENOENT, errno);					\
} while (0)

#define BUCKET(parent, name, child) do {				\
	const char *__name = (name);					\
									\
	ASSERT_EQ(0, bbolt_bucket_get(&self->db, (parent), __name,	\
				      strlen(__name), (child)))		\
		TH_LOG("%s", self->db.err);				\
} while (0)

TEST_F(bbolt, values_are_found_across_branch_pages)
{
	struct bbolt_bucket big;
	unsigned int i;
	char want[17];

	ASSERT_EQ(0, save_open(self)) TH_LOG("%s", self->db.err);
	BUCKET(&self->root, "big", &big);
	EXPECT_EQ(PG_BIG, big.root);
	for (i = 0; i < NKEYS; i++) {
		snprintf(want, sizeof(want), "v%04u-abcdefghij", i);
		EXPECT_VALUE(&big, bw_keys[i], want);
	}
	EXPECT_NO_VALUE(&big, "k0360");
	EXPECT_NO_VALUE(&big, "k");
	EXPECT_NO_VALUE(&big, "a");
	EXPECT_NO_VALUE(&big, "k0089x");
	EXPECT_NO_VALUE(&big, "zzz");
	EXPECT_NE(NULL, strstr(self->db.err, "\"zzz\": no such key"));
}

TEST_F(bbolt, missing_binary_and_long_keys_are_quoted_in_the_message)
{
	static const unsigned char bin[] = { 0x01, 0x00, 0x02, '\\', 'a' };
	const unsigned char *v;
	char longkey[200];
	size_t n;

	ASSERT_EQ(0, save_open(self)) TH_LOG("%s", self->db.err);
	ASSERT_EQ(-1, bbolt_get(&self->db, &self->root, bin, sizeof(bin),
				&v, &n));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_NE(NULL, strstr(self->db.err,
			       ": \"\\x01\\x00\\x02\\x5ca\": no such key"))
		TH_LOG("%s", self->db.err);
	memset(longkey, 'z', sizeof(longkey));
	ASSERT_EQ(-1, bbolt_get(&self->db, &self->root, longkey,
				sizeof(longkey), &v, &n));
	EXPECT_NE(NULL, strstr(self->db.err, "zzz...\": no such key"))
		TH_LOG("%s", self->db.err);
	EXPECT_GT(300, strlen(self->db.err));
}

TEST_F(bbolt, database_without_a_freelist_page_opens)
{
	struct bbolt_bucket b;

	bw_put64(bw_page(&self->w, 0) + 48, ~0ULL);	/* NoFreelistSync */
	bw_put64(bw_page(&self->w, 1) + 48, ~0ULL);
	bw_meta_sum(&self->w, 0);
	bw_meta_sum(&self->w, 1);
	ASSERT_EQ(0, save_open(self)) TH_LOG("%s", self->db.err);
	EXPECT_EQ(~0ULL, self->db.freelist);
	BUCKET(&self->root, "big", &b);
	EXPECT_VALUE(&b, "k0001", "v0001-abcdefghij");
}

TEST_F(bbolt, nested_and_inline_buckets_are_found)
{
	struct bbolt_bucket nest, deeper, child, inl, empty;

	ASSERT_EQ(0, save_open(self)) TH_LOG("%s", self->db.err);
	BUCKET(&self->root, "nest", &nest);
	EXPECT_EQ(7, nest.sequence);
	BUCKET(&nest, "deeper", &deeper);
	EXPECT_VALUE(&deeper, "leaf", "yes");
	BUCKET(&nest, "child", &child);
	EXPECT_EQ(0, child.root);
	EXPECT_EQ(1, child.sequence);
	EXPECT_VALUE(&child, "x", "1");
	EXPECT_NO_VALUE(&child, "y");
	BUCKET(&self->root, "inl", &inl);
	EXPECT_EQ(3, inl.sequence);
	EXPECT_VALUE(&inl, "a", "1");
	EXPECT_VALUE(&inl, "b", "2");
	EXPECT_NO_VALUE(&inl, "c");
	BUCKET(&nest, "empty", &empty);
	EXPECT_NO_VALUE(&empty, "x");
	EXPECT_VALUE(&nest, "val", "plain");
}

TEST_F(bbolt, a_bucket_is_no_value_and_a_value_no_bucket)
{
	struct bbolt_bucket nest, b;

	ASSERT_EQ(0, save_open(self)) TH_LOG("%s", self->db.err);
	EXPECT_NO_VALUE(&self->root, "nest");
	EXPECT_NE(NULL, strstr(self->db.err,
			       "\"nest\": a bucket, not a value"));
	BUCKET(&self->root, "nest", &nest);
	EXPECT_NO_VALUE(&nest, "child");
	EXPECT_EQ(-1, bbolt_bucket_get(&self->db, &nest, "val", 3, &b));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_NE(NULL, strstr(self->db.err, "\"val\": a value, not a bucket"));
	EXPECT_EQ(-1, bbolt_bucket_get(&self->db, &nest, "nope", 4, &b));
	EXPECT_EQ(ENOENT, errno);
}

TEST_F(bbolt, overflow_value_is_read_whole)
{
	struct bbolt_bucket ov;
	const unsigned char *v;
	size_t n;

	ASSERT_EQ(0, save_open(self)) TH_LOG("%s", self->db.err);
	BUCKET(&self->root, "ov", &ov);
	ASSERT_EQ(0, bbolt_get(&self->db, &ov, "blob", 4, &v, &n));
	ASSERT_EQ(BLOB_LEN, n);
	EXPECT_EQ(0, memcmp(v, bw_blob, BLOB_LEN));
}

struct collect {
	unsigned int n;
	unsigned int stop;		/* stop after this many, 0: never */
	char keys[NKEYS][8];
	bool bucket[NKEYS];
};

static int collect_cb(struct bbolt *db, const struct bbolt_elem *e,
		      void *arg)
{
	struct collect *c = arg;

	if (c->n >= NKEYS || e->klen >= sizeof(c->keys[0]))
		return -2;
	memcpy(c->keys[c->n], e->key, e->klen);
	c->keys[c->n][e->klen] = '\0';
	c->bucket[c->n] = e->bucket;
	if (++c->n == c->stop)
		return 42;
	return 0;
}

TEST_F(bbolt, foreach_gives_keys_in_order_and_says_which_are_buckets)
{
	static const char * const names[] = { "big", "inl", "nest", "ov" };
	static const char * const nested[] = { "child", "deeper", "empty",
					       "val" };
	struct collect *c = calloc(1, sizeof(*c));
	struct bbolt_bucket b;
	unsigned int i;

	ASSERT_NE(NULL, c);
	ASSERT_EQ(0, save_open(self)) TH_LOG("%s", self->db.err);
	ASSERT_EQ(0, bbolt_foreach(&self->db, &self->root, collect_cb, c));
	ASSERT_EQ(4, c->n);
	for (i = 0; i < 4; i++) {
		EXPECT_STREQ(names[i], c->keys[i]);
		EXPECT_TRUE(c->bucket[i]);
	}

	memset(c, 0, sizeof(*c));
	BUCKET(&self->root, "nest", &b);
	ASSERT_EQ(0, bbolt_foreach(&self->db, &b, collect_cb, c));
	ASSERT_EQ(4, c->n);
	for (i = 0; i < 4; i++) {
		EXPECT_STREQ(nested[i], c->keys[i]);
		EXPECT_EQ(i < 3, c->bucket[i]);
	}

	memset(c, 0, sizeof(*c));
	BUCKET(&self->root, "big", &b);
	ASSERT_EQ(0, bbolt_foreach(&self->db, &b, collect_cb, c));
	ASSERT_EQ(NKEYS, c->n);
	for (i = 0; i < NKEYS; i++) {
		EXPECT_STREQ(bw_keys[i], c->keys[i]);
		EXPECT_FALSE(c->bucket[i]);
	}
	free(c);
}

TEST_F(bbolt, foreach_stops_at_what_the_callback_returns)
{
	struct collect *c = calloc(1, sizeof(*c));
	struct bbolt_bucket b;

	ASSERT_NE(NULL, c);
	ASSERT_EQ(0, save_open(self)) TH_LOG("%s", self->db.err);
	BUCKET(&self->root, "big", &b);
	c->stop = 100;
	EXPECT_EQ(42, bbolt_foreach(&self->db, &b, collect_cb, c));
	EXPECT_EQ(100, c->n);
	EXPECT_STREQ("k0099", c->keys[99]);

	memset(c, 0, sizeof(*c));
	BUCKET(&self->root, "nest", &b);
	BUCKET(&b, "empty", &b);
	EXPECT_EQ(0, bbolt_foreach(&self->db, &b, collect_cb, c));
	EXPECT_EQ(0, c->n);
	free(c);
}

static int open_child_cb(struct bbolt *db, const struct bbolt_elem *e,
			 void *arg)
{
	struct bbolt_bucket *out = arg;

	return e->bucket && !bbolt_elem_bucket(db, e, out) ? 1 : -1;
}

TEST_F(bbolt, elements_of_a_walk_open_as_buckets)
{
	struct bbolt_bucket b, nest, deeper;
	struct bbolt_elem e = { .key = (const unsigned char *)"v", .klen = 1 };

	ASSERT_EQ(0, save_open(self)) TH_LOG("%s", self->db.err);
	ASSERT_EQ(1, bbolt_foreach(&self->db, &self->root, open_child_cb, &b));
	EXPECT_EQ(PG_BIG, b.root);
	BUCKET(&self->root, "nest", &nest);
	ASSERT_EQ(1, bbolt_foreach(&self->db, &nest, open_child_cb, &b));
	EXPECT_EQ(0, b.root);
	EXPECT_VALUE(&b, "x", "1");
	BUCKET(&nest, "deeper", &deeper);
	EXPECT_EQ(-1, bbolt_elem_bucket(&self->db, &e, &b));
	EXPECT_EQ(ENOENT, errno);
}

TEST_F(bbolt, meta_page_with_the_higher_txid_is_used)
{
	ASSERT_EQ(0, save_open(self)) TH_LOG("%s", self->db.err);
	EXPECT_EQ(1, self->db.meta);
	EXPECT_EQ(9, self->db.txid);
	EXPECT_EQ(PSIZE, self->db.page_size);
	EXPECT_EQ(NPAGES, self->db.hwm);
	bbolt_close(&self->db);

	bw_meta(&self->w, 0, PG_ROOT, NPAGES, 10);
	ASSERT_EQ(0, save_open(self)) TH_LOG("%s", self->db.err);
	EXPECT_EQ(0, self->db.meta);
	EXPECT_EQ(10, self->db.txid);
}

TEST_F(bbolt, bad_checksum_on_the_newer_meta_falls_back_to_the_older)
{
	bw_put64(bw_page(&self->w, 1) + 56, NPAGES + 1);	/* not summed again */
	ASSERT_EQ(0, save_open(self)) TH_LOG("%s", self->db.err);
	EXPECT_EQ(0, self->db.meta);
	EXPECT_EQ(8, self->db.txid);
}

TEST_F(bbolt, corrupt_meta_0_takes_the_page_size_from_meta_1)
{
	struct bbolt_bucket b;

	bw_build(&self->w, 8192);
	memset(bw_page(&self->w, 0), 0, 8192);
	ASSERT_EQ(0, save_open(self)) TH_LOG("%s", self->db.err);
	EXPECT_EQ(1, self->db.meta);
	EXPECT_EQ(8192, self->db.page_size);
	BUCKET(&self->root, "big", &b);
	EXPECT_VALUE(&b, "k0300", "v0300-abcdefghij");
	BUCKET(&self->root, "ov", &b);
	EXPECT_NO_VALUE(&b, "blo");
}

TEST_F(bbolt, a_commit_after_open_is_seen_by_stable_and_read_by_reload)
{
	int fd;

	ASSERT_EQ(0, save_open(self)) TH_LOG("%s", self->db.err);
	EXPECT_EQ(1, bbolt_stable(&self->db));

	/* Another writer commits txid 10 into meta page 0. */
	bw_meta(&self->w, 0, PG_ROOT, NPAGES, 10);
	fd = open(self->path, O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(PSIZE, pwrite(fd, bw_page(&self->w, 0), PSIZE, 0));
	close(fd);

	EXPECT_EQ(0, bbolt_stable(&self->db));
	EXPECT_EQ(9, self->db.txid);
	ASSERT_EQ(0, bbolt_reload(&self->db)) TH_LOG("%s", self->db.err);
	EXPECT_EQ(10, self->db.txid);
	EXPECT_EQ(0, self->db.meta);
	EXPECT_EQ(1, bbolt_stable(&self->db));
}

/* Commit the same tree under ever newer txids for at most 30 s. */
static void busy_writer(struct wdb *w, const char *path)
{
	time_t end = time(NULL) + 30;
	__u64 txid = 10;
	int fd;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	while (fd >= 0 && time(NULL) < end) {
		bw_meta(w, txid % 2, PG_ROOT, NPAGES, txid);
		if (pwrite(fd, bw_page(w, txid % 2), PSIZE,
			   txid % 2 * PSIZE) != PSIZE)
			break;
		txid++;
	}
	_exit(0);
}

/*
 * While a writer commits all the time (transactions that change no
 * page but the meta pages), every open reads a consistent snapshot or
 * gives up with EAGAIN, and never sees a corruption.
 */
TEST_F(bbolt, open_during_commits_is_consistent_or_eagain)
{
	unsigned int ok = 0, again = 0, other = 0, reads = 0;
	char last[BBOLT_ERR_SIZE] = "";
	__u64 newest = 0;
	time_t end;
	pid_t pid;

	save(&self->w, self->path);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		busy_writer(&self->w, self->path);
	end = time(NULL) + 2;
	while (time(NULL) < end) {
		if (!bbolt_open(&self->db, self->path)) {
			ok++;
			reads += self->db.reads;
			if (self->db.txid > newest)
				newest = self->db.txid;
			bbolt_close(&self->db);
		} else if (errno == EAGAIN) {
			again++;
		} else {
			other++;
			memcpy(last, self->db.err, sizeof(last));
		}
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	TH_LOG("%u opens in %u reads (newest txid %llu), %u EAGAIN", ok,
	       reads, (unsigned long long)newest, again);
	EXPECT_EQ(0, other) TH_LOG("%s", last);
	EXPECT_LT(0, ok + again);
}

TEST_F(bbolt, missing_file_directory_and_fifo_are_refused)
{
	ASSERT_EQ(-1, bbolt_open(&self->db, self->path));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_EQ(0, strncmp(self->db.err, self->path, strlen(self->path)));
	ASSERT_EQ(-1, bbolt_open(&self->db, self->dir));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_NE(NULL, strstr(self->db.err, "not a regular file"));

	/* A FIFO is refused at once, not waited on for a writer. */
	ASSERT_EQ(0, mkfifo(self->path, 0600));
	ASSERT_EQ(-1, bbolt_open(&self->db, self->path));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_NE(NULL, strstr(self->db.err, "not a regular file"));
	EXPECT_EQ(-1, self->db.fd);
}

TEST_F(bbolt, fdopen_owns_the_descriptor_and_names_the_file_as_told)
{
	struct bbolt_bucket b;
	int fd;

	save(&self->w, self->path);
	fd = open(self->path, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, bbolt_fdopen(&self->db, fd, "meta.db"));
	bbolt_bucket_root(&self->db, &b);
	EXPECT_EQ(-1, bbolt_bucket_get(&self->db, &b, "none", 4, &b));
	EXPECT_EQ(0, strcmp(self->db.err, "meta.db: \"none\": no such key"))
		TH_LOG("%s", self->db.err);
	bbolt_close(&self->db);
	EXPECT_EQ(-1, fcntl(fd, F_GETFD));		/* closed */

	bw_put32(bw_page(&self->w, 0) + 16, 0);
	bw_put32(bw_page(&self->w, 1) + 16, 0);
	save(&self->w, self->path);
	fd = open(self->path, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(-1, bbolt_fdopen(&self->db, fd, "meta.db"));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, strncmp(self->db.err, "meta.db: page 0: not a bbolt", 28));
	EXPECT_EQ(-1, fcntl(fd, F_GETFD));		/* closed on failure */
}

TEST_F(bbolt, file_above_the_size_cap_is_refused)
{
	save(&self->w, self->path);
	ASSERT_EQ(0, truncate(self->path, BBOLT_MAX_SIZE + 1));	/* sparse */
	ASSERT_EQ(-1, bbolt_open(&self->db, self->path));
	EXPECT_EQ(EFBIG, errno);
	EXPECT_NE(NULL, strstr(self->db.err, "1073741825 bytes, more than"))
		TH_LOG("%s", self->db.err);
}

/* A chain of @n nested buckets "n", each in a leaf page of its own. */
static void w_chain(struct wdb *w, unsigned int n)
{
	unsigned char ref[16];
	struct kv kv = { "n", ref, 16, 1 };
	unsigned int i;

	free(w->buf);
	w->psize = PSIZE;
	w->size = (n + 4) * PSIZE;
	w->buf = calloc(1, w->size);
	if (!w->buf)
		abort();
	bw_meta(w, 0, PG_ROOT, n + 4, 1);
	bw_meta(w, 1, PG_ROOT, n + 4, 2);
	bw_freelist(w);
	bw_put16(bw_page(w, PG_FREELIST) + 10, 0);
	for (i = 0; i < n; i++) {
		bw_bucket_ref(ref, PG_ROOT + i + 1, i);
		bw_leaf(w, PG_ROOT + i, &kv, i + 1 < n);
	}
}

TEST_F(bbolt, nesting_is_bounded_by_the_depth_limit)
{
	struct bbolt_bucket b;
	unsigned int i;

	w_chain(&self->w, BBOLT_MAX_DEPTH);
	ASSERT_EQ(0, save_open(self)) TH_LOG("%s", self->db.err);
	b = self->root;
	for (i = 0; i + 1 < BBOLT_MAX_DEPTH; i++)
		BUCKET(&b, "n", &b);
	EXPECT_EQ(BBOLT_MAX_DEPTH, b.level);
	bbolt_close(&self->db);

	w_chain(&self->w, BBOLT_MAX_DEPTH + 1);
	ASSERT_EQ(-1, save_open(self));
	EXPECT_EQ(EIO, errno);
	EXPECT_NE(NULL, strstr(self->db.err, "more than 64 levels deep"))
		TH_LOG("%s", self->db.err);
}

/* The table of corruptions: each is refused at open, naming the page. */
typedef void (*mutate_fn)(struct wdb *w);

FIXTURE(corrupt) {
	char dir[64];
	char path[96];
	struct wdb w;
	struct bbolt db;
};

FIXTURE_VARIANT(corrupt) {
	mutate_fn mutate;
	int err;
	const char *msg;
};

FIXTURE_SETUP(corrupt)
{
	snprintf(self->dir, sizeof(self->dir), "/tmp/bbolt-test.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	snprintf(self->path, sizeof(self->path), "%s/meta.db", self->dir);
	self->db.fd = -1;
	bw_build(&self->w, PSIZE);
}

FIXTURE_TEARDOWN(corrupt)
{
	bbolt_close(&self->db);
	free(self->w.buf);
	unlink(self->path);
	rmdir(self->dir);
}

/* Set a u32 of both meta pages (and sum them again if @sum). */
static void both_metas32(struct wdb *w, size_t off, __u32 v, bool sum)
{
	bw_put32(bw_page(w, 0) + off, v);
	bw_put32(bw_page(w, 1) + off, v);
	if (sum) {
		bw_meta_sum(w, 0);
		bw_meta_sum(w, 1);
	}
}

static void both_metas64(struct wdb *w, size_t off, __u64 v)
{
	bw_put64(bw_page(w, 0) + off, v);
	bw_put64(bw_page(w, 1) + off, v);
	bw_meta_sum(w, 0);
	bw_meta_sum(w, 1);
}

/* The inline bucket "inl" of the root page: its page image. */
static unsigned char *inl_page(struct wdb *w)
{
	return bw_leaf_val(bw_page(w, PG_ROOT), 1) + 16;
}

static void m_bad_magic(struct wdb *w)
{
	both_metas32(w, 16, 0xdeadbeef, true);
}

static void m_bad_version(struct wdb *w)
{
	both_metas32(w, 20, 3, true);
}

static void m_bad_checksum(struct wdb *w)
{
	both_metas32(w, 64, 100, false);
}

static void m_psize_5000(struct wdb *w)
{
	both_metas32(w, 24, 5000, true);
}

static void m_psize_512(struct wdb *w)
{
	both_metas32(w, 24, 512, true);
}

static void m_meta_header(struct wdb *w)
{
	bw_put16(bw_page(w, 0) + 8, 0x02);
	bw_put16(bw_page(w, 1) + 8, 0x02);
}

static void m_root_past_hwm(struct wdb *w)
{
	both_metas64(w, 32, NPAGES);
}

static void m_hwm_2(struct wdb *w)
{
	both_metas64(w, 56, 2);
}

static void m_freelist_range(struct wdb *w)
{
	both_metas64(w, 48, 1);
}

static void m_child_past_hwm(struct wdb *w)
{
	bw_put64(bw_elem(w, PG_BIG, 1) + 8, 1000);
}

static void m_child_is_meta(struct wdb *w)
{
	bw_put64(bw_elem(w, PG_BIG, 1) + 8, 1);
}

static void m_header_id(struct wdb *w)
{
	bw_put64(bw_page(w, PG_LEAF0), PG_LEAF0 + 1);
}

static void m_pos_past_end(struct wdb *w)
{
	bw_put32(bw_elem(w, PG_DEEPER, 0) + 4, 5000);
}

static void m_ksize_past_end(struct wdb *w)
{
	bw_put32(bw_elem(w, PG_LEAF0 + 2, 89) + 8, 0x7fffffff);
}

static void m_vsize_past_end(struct wdb *w)
{
	bw_put32(bw_elem(w, PG_OV, 0) + 12, 3 * PSIZE);
}

static void m_key_in_elements(struct wdb *w)
{
	bw_put32(bw_elem(w, PG_DEEPER, 0) + 4, 0);
}

static void m_count_too_big(struct wdb *w)
{
	bw_put16(bw_page(w, PG_DEEPER) + 10, 300);
}

static void m_overflow_past_eof(struct wdb *w)
{
	bw_put32(bw_page(w, PG_OV) + 12, 100);
}

static void m_branch_count_0(struct wdb *w)
{
	bw_put16(bw_page(w, PG_BIG_L) + 10, 0);
}

static void m_self_cycle(struct wdb *w)
{
	bw_put64(bw_elem(w, PG_BIG_L, 1) + 8, PG_BIG_L);
}

static void m_bucket_cycle(struct wdb *w)
{
	bw_put64(bw_leaf_val(bw_page(w, PG_NEST), 1), PG_NEST);
}

static void m_root_cycle(struct wdb *w)
{
	bw_put64(bw_leaf_val(bw_page(w, PG_NEST), 1), PG_ROOT);
}

static void m_shared_page(struct wdb *w)
{
	bw_put64(bw_elem(w, PG_BIG_R, 0) + 8, PG_LEAF0);
}

static void m_overflow_page_reused(struct wdb *w)
{
	/* deeper -> 14, the first overflow page of 13; header made to fit. */
	memcpy(bw_page(w, PG_OV + 1), bw_page(w, PG_DEEPER), 64);
	bw_put64(bw_page(w, PG_OV + 1), PG_OV + 1);
	bw_put64(bw_leaf_val(bw_page(w, PG_NEST), 1), PG_OV + 1);
}

static void m_freelist_in_tree(struct wdb *w)
{
	bw_put64(bw_elem(w, PG_BIG, 1) + 8, PG_FREELIST);
}

static void m_wrong_flags(struct wdb *w)
{
	bw_put16(bw_page(w, PG_DEEPER) + 8, 0x10);
}

static void m_branch_as_leaf(struct wdb *w)
{
	bw_put16(bw_page(w, PG_BIG_L) + 8, 0x02);
}

static void m_leaf_flags(struct wdb *w)
{
	bw_put32(bw_elem(w, PG_DEEPER, 0), 0x4);
}

static void m_empty_key(struct wdb *w)
{
	bw_put32(bw_elem(w, PG_DEEPER, 0) + 8, 0);
}

static void m_key_order(struct wdb *w)
{
	unsigned char *el = bw_elem(w, PG_NEST, 0);

	el[bw_get32(el + 4)] = 'z';		/* "child" -> "zhild" */
}

static void m_value_as_bucket(struct wdb *w)
{
	bw_put32(bw_elem(w, PG_NEST, 3), 1);		/* "val" = "plain" */
}

static void m_bucket_value_17(struct wdb *w)
{
	/* "nest" (16 bytes, then "ov"'s key): its value one byte longer */
	bw_put32(bw_elem(w, PG_ROOT, 2) + 12, 17);
}

static void m_inline_holds_bucket(struct wdb *w)
{
	bw_put32(inl_page(w) + 16, 1);
}

static void m_inline_header(struct wdb *w)
{
	bw_put16(inl_page(w) + 8, 0x01);
}

static void m_inline_count(struct wdb *w)
{
	bw_put16(inl_page(w) + 10, 50);
}

static void m_inline_pos(struct wdb *w)
{
	bw_put32(inl_page(w) + 16 + 16 + 4, 200);
}

static void m_freelist_flags(struct wdb *w)
{
	bw_put16(bw_page(w, PG_FREELIST) + 8, 0x02);
}

static void m_free_id(struct wdb *w)
{
	bw_put64(bw_page(w, PG_FREELIST) + 16, 5000);
}

static void m_free_count(struct wdb *w)
{
	bw_put16(bw_page(w, PG_FREELIST) + 10, 0xffff);
	bw_put64(bw_page(w, PG_FREELIST) + 16, 1ULL << 40);
}

static void m_truncated(struct wdb *w)
{
	w->size = 10 * PSIZE;
}

static void m_truncated_mid_page(struct wdb *w)
{
	w->size = (PG_OV + 1) * PSIZE + 100;
}

static void m_tiny(struct wdb *w)
{
	w->size = 40;
}

static void m_empty(struct wdb *w)
{
	w->size = 0;
}

FIXTURE_VARIANT_ADD(corrupt, bad_magic) {
	.mutate = m_bad_magic,
	.err = EINVAL,
	.msg = "page 0: not a bbolt database (magic 0xdeadbeef)",
};

FIXTURE_VARIANT_ADD(corrupt, bad_version) {
	.mutate = m_bad_version,
	.err = EINVAL,
	.msg = "page 0: unsupported bbolt version 3",
};

FIXTURE_VARIANT_ADD(corrupt, bad_checksum) {
	.mutate = m_bad_checksum,
	.err = EIO,
	.msg = "page 0: meta page checksum mismatch",
};

FIXTURE_VARIANT_ADD(corrupt, psize_5000) {
	.mutate = m_psize_5000,
	.err = EINVAL,
	.msg = "page 0: page size 5000 is not a power of 2",
};

FIXTURE_VARIANT_ADD(corrupt, psize_512) {
	.mutate = m_psize_512,
	.err = EINVAL,
	.msg = "page 0: page size 512 is not a power of 2",
};

FIXTURE_VARIANT_ADD(corrupt, meta_header) {
	.mutate = m_meta_header,
	.err = EIO,
	.msg = "page 0: meta page header (id 0, flags 0x2)",
};

FIXTURE_VARIANT_ADD(corrupt, root_past_hwm) {
	.mutate = m_root_past_hwm,
	.err = EIO,
	.msg = "page 1: root bucket page 17 out of range",
};

FIXTURE_VARIANT_ADD(corrupt, hwm_2) {
	.mutate = m_hwm_2,
	.err = EIO,
	.msg = "page 1: high-water mark 2",
};

FIXTURE_VARIANT_ADD(corrupt, freelist_range) {
	.mutate = m_freelist_range,
	.err = EIO,
	.msg = "page 1: freelist page 1 out of range",
};

FIXTURE_VARIANT_ADD(corrupt, child_past_hwm) {
	.mutate = m_child_past_hwm,
	.err = EIO,
	.msg = "page 1000: not below the high-water mark 17",
};

FIXTURE_VARIANT_ADD(corrupt, child_is_meta) {
	.mutate = m_child_is_meta,
	.err = EIO,
	.msg = "page 1: a meta page is not a tree page",
};

FIXTURE_VARIANT_ADD(corrupt, header_id) {
	.mutate = m_header_id,
	.err = EIO,
	.msg = "page 7: its header says page 8",
};

FIXTURE_VARIANT_ADD(corrupt, pos_past_end) {
	.mutate = m_pos_past_end,
	.err = EIO,
	.msg = "page 12: element 0: 7 bytes at 5016 run past the end of the page (4096 bytes)",
};

FIXTURE_VARIANT_ADD(corrupt, ksize_past_end) {
	.mutate = m_ksize_past_end,
	.err = EIO,
	.msg = "page 9: element 89: ",
};

FIXTURE_VARIANT_ADD(corrupt, vsize_past_end) {
	.mutate = m_vsize_past_end,
	.err = EIO,
	.msg = "page 13: element 0: ",
};

FIXTURE_VARIANT_ADD(corrupt, key_in_elements) {
	.mutate = m_key_in_elements,
	.err = EIO,
	.msg = "page 12: element 0: key inside the element array",
};

FIXTURE_VARIANT_ADD(corrupt, count_too_big) {
	.mutate = m_count_too_big,
	.err = EIO,
	.msg = "page 12: 300 elements do not fit in 4096 bytes",
};

FIXTURE_VARIANT_ADD(corrupt, overflow_past_eof) {
	.mutate = m_overflow_past_eof,
	.err = EIO,
	.msg = "page 13: 100 overflow pages run past the end of the file",
};

FIXTURE_VARIANT_ADD(corrupt, branch_count_0) {
	.mutate = m_branch_count_0,
	.err = EIO,
	.msg = "page 5: branch page with no elements",
};

FIXTURE_VARIANT_ADD(corrupt, self_cycle) {
	.mutate = m_self_cycle,
	.err = EIO,
	.msg = "page 5: reached twice",
};

FIXTURE_VARIANT_ADD(corrupt, bucket_cycle) {
	.mutate = m_bucket_cycle,
	.err = EIO,
	.msg = "page 11: reached twice",
};

FIXTURE_VARIANT_ADD(corrupt, root_cycle) {
	.mutate = m_root_cycle,
	.err = EIO,
	.msg = "page 3: reached twice",
};

FIXTURE_VARIANT_ADD(corrupt, shared_page) {
	.mutate = m_shared_page,
	.err = EIO,
	.msg = "page 7: reached twice",
};

FIXTURE_VARIANT_ADD(corrupt, overflow_page_reused) {
	.mutate = m_overflow_page_reused,
	.err = EIO,
	.msg = "page 14: reached twice",
};

FIXTURE_VARIANT_ADD(corrupt, freelist_in_tree) {
	.mutate = m_freelist_in_tree,
	.err = EIO,
	.msg = "page 2: flags 0x10, not a branch or leaf page",
};

FIXTURE_VARIANT_ADD(corrupt, wrong_flags) {
	.mutate = m_wrong_flags,
	.err = EIO,
	.msg = "page 12: flags 0x10, not a branch or leaf page",
};

FIXTURE_VARIANT_ADD(corrupt, branch_as_leaf) {
	.mutate = m_branch_as_leaf,
	.err = EIO,
	.msg = "page 5: element 0: unknown flags",
};

FIXTURE_VARIANT_ADD(corrupt, leaf_flags) {
	.mutate = m_leaf_flags,
	.err = EIO,
	.msg = "page 12: element 0: unknown flags 0x4",
};

FIXTURE_VARIANT_ADD(corrupt, empty_key) {
	.mutate = m_empty_key,
	.err = EIO,
	.msg = "page 12: element 0: empty key",
};

FIXTURE_VARIANT_ADD(corrupt, key_order) {
	.mutate = m_key_order,
	.err = EIO,
	.msg = "page 11: element 1: key out of order",
};

FIXTURE_VARIANT_ADD(corrupt, value_as_bucket) {
	.mutate = m_value_as_bucket,
	.err = EIO,
	.msg = "page 11: element 3: bucket value of 5 bytes",
};

FIXTURE_VARIANT_ADD(corrupt, bucket_value_17) {
	.mutate = m_bucket_value_17,
	.err = EIO,
	.msg = "page 3: element 2: bucket value of 17 bytes",
};

FIXTURE_VARIANT_ADD(corrupt, inline_holds_bucket) {
	.mutate = m_inline_holds_bucket,
	.err = EIO,
	.msg = "page 3: inline bucket: element 0: a bucket",
};

FIXTURE_VARIANT_ADD(corrupt, inline_header) {
	.mutate = m_inline_header,
	.err = EIO,
	.msg = "page 3: element 1: inline bucket header (id 0, flags 0x1, overflow 0)",
};

FIXTURE_VARIANT_ADD(corrupt, inline_count) {
	.mutate = m_inline_count,
	.err = EIO,
	.msg = "page 3: inline bucket: 50 elements do not fit",
};

FIXTURE_VARIANT_ADD(corrupt, inline_pos) {
	.mutate = m_inline_pos,
	.err = EIO,
	.msg = "page 3: inline bucket: element 1: ",
};

FIXTURE_VARIANT_ADD(corrupt, freelist_flags) {
	.mutate = m_freelist_flags,
	.err = EIO,
	.msg = "page 2: flags 0x2, not a freelist page",
};

FIXTURE_VARIANT_ADD(corrupt, free_id) {
	.mutate = m_free_id,
	.err = EIO,
	.msg = "page 2: free page id 5000 out of range",
};

FIXTURE_VARIANT_ADD(corrupt, free_count) {
	.mutate = m_free_count,
	.err = EIO,
	.msg = "page 2: 1099511627776 free page ids do not fit",
};

FIXTURE_VARIANT_ADD(corrupt, truncated) {
	.mutate = m_truncated,
	.err = EIO,
	.msg = "page 10: past the end of the file (40960 bytes)",
};

FIXTURE_VARIANT_ADD(corrupt, truncated_mid_page) {
	.mutate = m_truncated_mid_page,
	.err = EIO,
	.msg = "page 13: 2 overflow pages run past the end of the file",
};

FIXTURE_VARIANT_ADD(corrupt, tiny) {
	.mutate = m_tiny,
	.err = EINVAL,
	.msg = "not a bbolt database (40 bytes, too short)",
};

FIXTURE_VARIANT_ADD(corrupt, empty) {
	.mutate = m_empty,
	.err = EINVAL,
	.msg = "not a bbolt database (0 bytes, too short)",
};

TEST_F(corrupt, is_refused_naming_the_page)
{
	char want[256];

	variant->mutate(&self->w);
	save(&self->w, self->path);
	ASSERT_EQ(-1, bbolt_open(&self->db, self->path));
	EXPECT_EQ(variant->err, errno);
	snprintf(want, sizeof(want), "%s: %s", self->path, variant->msg);
	EXPECT_EQ(0, strncmp(self->db.err, want, strlen(want)))
		TH_LOG("got \"%s\"", self->db.err);
	EXPECT_EQ(-1, self->db.fd);
	EXPECT_EQ(NULL, self->db.data);
}

/* The fuzz test: xorshift64*, deterministic. */
static __u64 rnd(__u64 *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1DULL;
}

struct walk {
	const struct bbolt_bucket *b;
	unsigned int elems;
};

/* Everything a reader may do with an element, recursively. */
static int walk_cb(struct bbolt *db, const struct bbolt_elem *e, void *arg)
{
	struct walk *w = arg, sub = { 0 };
	struct bbolt_bucket child, again;
	const unsigned char *v;
	size_t n;
	int ret;

	w->elems++;
	if (!e->bucket) {
		bbolt_get(db, w->b, e->key, e->klen, &v, &n);
		return 0;
	}
	if (bbolt_elem_bucket(db, e, &child))
		return -1;
	bbolt_bucket_get(db, w->b, e->key, e->klen, &again);
	sub.b = &child;
	ret = bbolt_foreach(db, &child, walk_cb, &sub);
	w->elems += sub.elems;
	return ret;
}

/* Where the fuzz test finds things in the good database. */
struct fuzz_map {
	size_t inl;			/* the inline page of "inl" */
	size_t nest_val[3];		/* the values of nest's buckets */
};

/* One mutation of a copy of the good database. */
static void fuzz_mutate(struct wdb *w, const struct fuzz_map *map,
			__u64 *s)
{
	__u64 r = rnd(s), pg = 2 + r % (NPAGES - 2);
	unsigned char *p = bw_page(w, pg);
	size_t off = w->size ? rnd(s) % w->size : 0;

	switch (r >> 32 & 15) {
	case 0: case 1: case 2:
		w->buf[off] ^= 1 << (r >> 40 & 7);
		break;
	case 3:
		w->buf[off] = r & 1 ? 0xff : 0;
		break;
	case 4: case 5: case 6: case 7:
		/* a header or element field: ids, counts, pos, sizes */
		bw_put32(p + (rnd(s) % 40) * 4, r >> 48 & 1 ? rnd(s) :
		      rnd(s) % (NPAGES + 4));
		break;
	case 8:
		bw_put64(bw_elem(w, PG_BIG + r % 3, rnd(s) % 2) + 8, rnd(s) % NPAGES);
		break;
	case 9:
		bw_put64(w->buf + map->nest_val[rnd(s) % 3], rnd(s) % NPAGES);
		break;
	case 10:
		bw_put16(w->buf + map->inl + (rnd(s) % 24) * 2, rnd(s));
		break;
	case 11:
		both_metas64(w, 32 + (rnd(s) % 5) * 8, rnd(s) % (NPAGES + 2));
		break;
	case 12:
		both_metas32(w, 24, 512 << (rnd(s) % 6), true);
		break;
	case 13:
		memcpy(bw_page(w, 2 + rnd(s) % (NPAGES - 2)), p, w->psize);
		break;
	case 14:
		w->size = off;
		break;
	default:
		w->buf[off] = rnd(s);
		break;
	}
}

TEST_F_TIMEOUT(bbolt, mutated_databases_never_crash_or_hang, 300)
{
	size_t size = self->w.size;
	unsigned char *good = malloc(size);
	unsigned int i, m, opened = 0, elems = 0;
	struct fuzz_map map;
	struct walk wk;
	__u64 s = 0x5eed;
	int fd;

	ASSERT_NE(NULL, good);
	save(&self->w, self->path);
	fd = open(self->path, O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	memcpy(good, self->w.buf, size);
	map.inl = inl_page(&self->w) - self->w.buf;
	for (i = 0; i < 3; i++)
		map.nest_val[i] = bw_leaf_val(bw_page(&self->w, PG_NEST), i) -
				  self->w.buf;
	for (i = 0; i < FUZZ_RUNS; i++) {
		memcpy(self->w.buf, good, size);
		self->w.size = size;
		for (m = 0; m <= rnd(&s) % 3; m++)
			fuzz_mutate(&self->w, &map, &s);
		save_fd(&self->w, fd);
		if (bbolt_open(&self->db, self->path)) {
			ASSERT_TRUE(errno == EIO || errno == EINVAL)
				TH_LOG("%s", self->db.err);
			ASSERT_EQ(0, strncmp(self->db.err, self->path,
					     strlen(self->path)));
			continue;
		}
		opened++;
		bbolt_bucket_root(&self->db, &self->root);
		wk = (struct walk){ .b = &self->root };
		bbolt_foreach(&self->db, &self->root, walk_cb, &wk);
		elems += wk.elems;
		EXPECT_EQ(1, bbolt_stable(&self->db));
		bbolt_close(&self->db);
	}
	close(fd);
	free(good);
	TH_LOG("%u of %u mutated databases opened, %u elements walked",
	       opened, FUZZ_RUNS, elems);
}

/* containerd's encodings, with the values of its real databases. */
TEST(uvarint_as_go_encoding_binary)
{
	static const struct {
		unsigned char b[11];
		size_t len;
		int n;
		__u64 v;
		int err;
	} t[] = {
		{ { 0x00 }, 1, 1, 0, 0 },
		{ { 0x01 }, 1, 1, 1, 0 },
		{ { 0x07, 0xff }, 2, 1, 7, 0 },
		{ { 0x7f }, 1, 1, 127, 0 },
		{ { 0x80, 0x01 }, 2, 2, 128, 0 },
		{ { 0xbc, 0x0b }, 2, 2, 1468, 0 },
		{ { 0x80, 0x00 }, 2, 2, 0, 0 },
		{ { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		    0x01 }, 10, 10, ~0ULL, 0 },
		{ { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		    0x02 }, 10, -1, 0, ERANGE },
		{ { 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
		    0x01 }, 11, -1, 0, ERANGE },
		{ { 0x80 }, 1, -1, 0, EINVAL },
		{ { 0 }, 0, -1, 0, EINVAL },
	};
	unsigned int i;
	int n, e;
	__u64 v;

	for (i = 0; i < ARRAY_SIZE(t); i++) {
		v = 0;
		errno = 0;
		n = ctrd_uvarint(t[i].b, t[i].len, &v);
		e = errno;
		EXPECT_EQ(t[i].n, n) TH_LOG("case %u", i);
		EXPECT_EQ(t[i].v, v);		/* untouched on errors */
		EXPECT_EQ(t[i].err, e);		/* untouched on success */
	}
}

TEST(varint_is_zigzag_as_containerd_size_and_inodes)
{
	static const unsigned char b734[] = { 0xbc, 0x0b }, b3[] = { 0x06 };
	static const unsigned char m1[] = { 0x01 }, p1[] = { 0x02 };
	static const unsigned char min[] = { 0xff, 0xff, 0xff, 0xff, 0xff,
					     0xff, 0xff, 0xff, 0xff, 0x01 };
	static const unsigned char max[] = { 0xfe, 0xff, 0xff, 0xff, 0xff,
					     0xff, 0xff, 0xff, 0xff, 0x01 };
	static const unsigned char s20480[] = { 0x80, 0xc0, 0x02 };
	__s64 v;

	EXPECT_EQ(0, ctrd_value_varint(b734, 2, &v));
	EXPECT_EQ(734, v);
	EXPECT_EQ(0, ctrd_value_varint(b3, 1, &v));
	EXPECT_EQ(3, v);
	EXPECT_EQ(0, ctrd_value_varint(m1, 1, &v));
	EXPECT_EQ(-1, v);
	EXPECT_EQ(0, ctrd_value_varint(p1, 1, &v));
	EXPECT_EQ(1, v);
	EXPECT_EQ(0, ctrd_value_varint(s20480, 3, &v));
	EXPECT_EQ(20480, v);
	EXPECT_EQ(0, ctrd_value_varint(min, 10, &v));
	EXPECT_EQ(INT64_MIN, v);
	EXPECT_EQ(0, ctrd_value_varint(max, 10, &v));
	EXPECT_EQ(INT64_MAX, v);
	/* A value is one varint, nothing after it. */
	EXPECT_EQ(-1, ctrd_value_varint(b734, 1, &v));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ctrd_value_varint(min, 3, &v));
	EXPECT_EQ(EINVAL, errno);
}

TEST(id_is_one_whole_uvarint)
{
	static const unsigned char seven[] = { 0x07 }, two[] = { 0x07, 0x00 };
	__u64 v;

	EXPECT_EQ(0, ctrd_value_uvarint(seven, 1, &v));
	EXPECT_EQ(7, v);
	EXPECT_EQ(-1, ctrd_value_uvarint(two, 2, &v));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ctrd_value_uvarint(two, 0, &v));
	EXPECT_EQ(EINVAL, errno);
}

TEST(parents_keys_of_a_real_metadata_db)
{
	static const unsigned char k[][3] = {
		{ 0x01, 0x00, 0x02 }, { 0x02, 0x00, 0x03 },
		{ 0x03, 0x00, 0x07 }, { 0x04, 0x00, 0x05 },
		{ 0x05, 0x00, 0x06 },
	};
	static const __u64 want[][2] = {
		{ 1, 2 }, { 2, 3 }, { 3, 7 }, { 4, 5 }, { 5, 6 },
	};
	static const unsigned char wide[] = { 0x80, 0x01, 0x00, 0xac, 0x02 };
	static const unsigned char bad[][4] = {
		{ 0x01, 0x00 },			/* a prefix key, no child */
		{ 0x01, 0x01, 0x02 },		/* no 0 after the parent */
		{ 0x01, 0x00, 0x02, 0x00 },	/* something after the child */
		{ 0x01, 0x00, 0x82 },		/* child truncated */
	};
	static const size_t badlen[] = { 2, 3, 4, 3 };
	unsigned int i;
	__u64 p, c;

	for (i = 0; i < ARRAY_SIZE(k); i++) {
		ASSERT_EQ(0, ctrd_parent_key(k[i], 3, &p, &c));
		EXPECT_EQ(want[i][0], p);
		EXPECT_EQ(want[i][1], c);
	}
	ASSERT_EQ(0, ctrd_parent_key(wide, sizeof(wide), &p, &c));
	EXPECT_EQ(128, p);
	EXPECT_EQ(300, c);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		EXPECT_EQ(-1, ctrd_parent_key(bad[i], badlen[i], &p, &c))
			TH_LOG("case %u", i);
		EXPECT_EQ(EINVAL, errno);
	}
	EXPECT_EQ(-1, ctrd_parent_key(bad[0], 0, &p, &c));
}

TEST(time_marshal_binary_versions_1_and_2)
{
	/* time.Unix(0, 0).UTC() */
	static const unsigned char epoch[] = {
		0x01, 0x00, 0x00, 0x00, 0x0e, 0x77, 0x91, 0xf7, 0x00,
		0x00, 0x00, 0x00, 0x00, 0xff, 0xff,
	};
	/* 2023-04-01T12:00:00.5+02:00 */
	static const unsigned char cest[] = {
		0x01, 0x00, 0x00, 0x00, 0x0e, 0xdb, 0xba, 0x13, 0xc0,
		0x1d, 0xcd, 0x65, 0x00, 0x00, 0x78,
	};
	/* the same instant, zone +00:00:30 (version 2) */
	static const unsigned char v2[] = {
		0x02, 0x00, 0x00, 0x00, 0x0e, 0xdb, 0xba, 0x13, 0xc0,
		0x1d, 0xcd, 0x65, 0x00, 0x00, 0x00, 0x1e,
	};
	/* time.Time{}: 0001-01-01 UTC */
	static const unsigned char zero[] = {
		0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff,
	};
	unsigned char bad[16];
	struct ctrd_time t;

	ASSERT_EQ(0, ctrd_time(epoch, sizeof(epoch), &t));
	EXPECT_EQ(0, t.sec);
	EXPECT_EQ(0, t.nsec);
	EXPECT_TRUE(t.utc);
	ASSERT_EQ(0, ctrd_time(cest, sizeof(cest), &t));
	EXPECT_EQ(1680350400, t.sec);
	EXPECT_EQ(500000000, t.nsec);
	EXPECT_FALSE(t.utc);
	EXPECT_EQ(7200, t.zone_offset);
	ASSERT_EQ(0, ctrd_time(v2, sizeof(v2), &t));
	EXPECT_EQ(1680350400, t.sec);
	EXPECT_EQ(30, t.zone_offset);
	ASSERT_EQ(0, ctrd_time(zero, sizeof(zero), &t));
	EXPECT_EQ(-62135596800LL, t.sec);

	EXPECT_EQ(-1, ctrd_time(epoch, 14, &t));	/* short */
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ctrd_time(v2, 15, &t));		/* v2 needs 16 */
	EXPECT_EQ(EINVAL, errno);
	memcpy(bad, epoch, 15);
	bad[15] = 0;
	EXPECT_EQ(-1, ctrd_time(bad, 16, &t));		/* v1 is 15 */
	bad[0] = 3;
	EXPECT_EQ(-1, ctrd_time(bad, 15, &t));
	EXPECT_EQ(EINVAL, errno);
	memcpy(bad, epoch, 15);
	bad[9] = 0x3b;					/* 1e9 ns */
	bad[10] = 0x9a;
	bad[11] = 0xca;
	bad[12] = 0x00;
	EXPECT_EQ(-1, ctrd_time(bad, 15, &t));
	EXPECT_EQ(EINVAL, errno);
	memset(bad + 1, 0x80, 1);			/* before INT64_MIN */
	memset(bad + 2, 0, 7);
	bad[9] = 0;
	EXPECT_EQ(-1, ctrd_time(bad, 15, &t));
	EXPECT_EQ(ERANGE, errno);
	EXPECT_EQ(-1, ctrd_time(bad, 0, &t));
}

TEST_HARNESS_MAIN
