// SPDX-License-Identifier: GPL-2.0
/*
 * Read-only bbolt reader (the on-disk format of etcd-io/bbolt 1.3, the
 * one containerd 1.6 writes).
 *
 * Layout, in the host's byte order: page N lies at N * page size and
 * spans overflow + 1 pages, the continuation pages without a header. A
 * page starts with a 16 byte header (id u64, flags u16, count u16,
 * overflow u32) and count 16 byte elements; an element's key (and a leaf
 * element's value after it) lies pos bytes after the element itself.
 * Pages 0 and 1 are meta pages; the valid one with the higher txid names
 * the root bucket's page. A bucket's value in its parent's leaf is
 * {root u64, sequence u64}; root 0 means an inline bucket, whose leaf
 * page image follows in the value.
 *
 * Nothing read from the file is trusted: every page is checked against
 * the high-water mark and the file size, its header against where it was
 * found and what its parent expects, every element against its page. At
 * open all of the tree is walked once with a map of the pages seen, so a
 * cycle or a page reached twice is refused there and every later lookup
 * or walk is bounded by the size of the file. Key order is checked too,
 * but only lookups depend on it, never safety.
 *
 * No lock is taken. A writer never overwrites a page reachable from the
 * newest committed meta page before a later transaction has committed
 * (the page is freed by the next one and reused by one after that), and
 * commits by writing the meta page last. So a copy of the file read in
 * one pass is a consistent image of the transaction whose meta it holds
 * if that meta page is still the newest one after the copy:
 * bbolt_reload() reads the meta pages again after the file, reads
 * everything again (up to BBOLT_RETRIES times) when a transaction
 * committed meanwhile, and checks the tree of a stable copy only.
 * tests/bbolt_go_test.sh checks this beside Go's bbolt writing.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "bbolt.h"

#define BB_PAGE_HDR	16
#define BB_ELEM		16
#define BB_BRANCH	0x01
#define BB_LEAF		0x02
#define BB_META		0x04
#define BB_FREELIST	0x10
#define BB_LEAF_BUCKET	0x01		/* leaf element flag */
#define BB_BUCKET_HDR	16		/* root u64, sequence u64 */
#define BB_MAGIC	0xED0CDAEDu
#define BB_VERSION	2
#define BB_META_END	80		/* header + meta through checksum */
#define BB_SUM_START	16		/* the checksum covers 16..71 */
#define BB_SUM_END	72
#define BB_PSIZE_MIN	1024
#define BB_PSIZE_SHIFTS	14		/* probe 1 KiB..16 MiB for meta 1 */
#define BB_NO_FREELIST	(~0ULL)
#define BB_QUOTE	80

/* What the reader sees of a page, or of an inline bucket's page image. */
struct bb_page {
	const unsigned char *p;		/* its header */
	size_t span;			/* bytes it may use */
	__u64 id;			/* the page (holding it, if inline) */
	unsigned int flags;
	unsigned int count;
	unsigned int level;		/* pages from the root, this one too */
	bool inl;
};

/* One element, checked against its page. */
struct bb_elem {
	const unsigned char *key;
	size_t klen;
	const unsigned char *val;	/* leaf */
	size_t vlen;
	__u32 flags;			/* leaf */
	__u64 child;			/* branch */
};

struct bb_meta {
	__u64 id;
	unsigned int pflags;
	__u32 magic;
	__u32 version;
	__u32 psize;
	__u64 root;
	__u64 sequence;
	__u64 freelist;
	__u64 hwm;
	__u64 txid;
	__u64 sum;
};

enum bb_meta_state {
	BB_META_OK,
	BB_META_SHORT,
	BB_META_MAGIC,
	BB_META_VERSION,
	BB_META_SUM,
	BB_META_HEADER,
	BB_META_PSIZE,
};

/* The open-time walk: a bit per page of the file, set once reached. */
struct bb_check {
	struct bbolt *db;
	unsigned char *seen;
};

/*
 * Leave "PATH: reason" in db->err, set errno to @e and give -1. Macros,
 * so that snprintf() checks the formats.
 */
#define bb_fail(db, e, fmt, ...) ({					\
	struct bbolt *__db = (db);					\
									\
	snprintf(__db->err, sizeof(__db->err), "%s: " fmt,		\
		 __db->path, ##__VA_ARGS__);				\
	errno = (e);							\
	-1;								\
})

#define bb_pfail(db, e, pgid, fmt, ...)					\
	bb_fail(db, e, "page %llu: " fmt, (unsigned long long)(pgid),	\
		##__VA_ARGS__)

/* An element of page @pg that is not what bbolt writes: EIO. */
#define bb_efail(db, pg, i, fmt, ...) ({				\
	const struct bb_page *__pg = (pg);				\
									\
	bb_pfail(db, EIO, __pg->id, "%selement %u: " fmt,		\
		 __pg->inl ? "inline bucket: " : "", i, ##__VA_ARGS__);	\
})

/* Loads in the host's byte order from anywhere: inline pages are unaligned. */
static __u16 bb_ld16(const unsigned char *p)
{
	__u16 v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static __u32 bb_ld32(const unsigned char *p)
{
	__u32 v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static __u64 bb_ld64(const unsigned char *p)
{
	__u64 v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* bbolt's keys sort as bytes.Compare(): memcmp, the shorter first. */
static int bb_cmp(const unsigned char *a, size_t alen,
		  const unsigned char *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);

	if (c)
		return c;
	return (alen > blen) - (alen < blen);
}

/* A key for messages: printable bytes as they are, others as \xNN. */
static const char *bb_quote(const void *key, size_t len, char *buf,
			    size_t size)
{
	const unsigned char *k = key;
	size_t i, n = 0;

	for (i = 0; i < len && n + 8 < size; i++) {
		if (k[i] >= 0x20 && k[i] < 0x7f && k[i] != '\\')
			buf[n++] = k[i];
		else
			n += snprintf(buf + n, size - n, "\\x%02x", k[i]);
	}
	if (i < len)
		n += snprintf(buf + n, size - n, "...");
	buf[n] = '\0';
	return buf;
}

/* A page: in range, inside the file, with the header of that page. */
static int bb_page_get(struct bbolt *db, __u64 pgid, unsigned int level,
		       struct bb_page *pg)
{
	__u64 npages = db->size / db->page_size;
	const unsigned char *p;
	__u32 overflow;

	if (level > BBOLT_MAX_DEPTH)
		return bb_pfail(db, EIO, pgid, "more than %d levels deep",
				BBOLT_MAX_DEPTH);
	if (pgid < 2)
		return bb_pfail(db, EIO, pgid,
				"a meta page is not a tree page");
	if (pgid >= db->hwm)
		return bb_pfail(db, EIO, pgid,
				"not below the high-water mark %llu",
				(unsigned long long)db->hwm);
	if (pgid >= npages)
		return bb_pfail(db, EIO, pgid,
				"past the end of the file (%zu bytes)",
				db->size);
	p = db->data + pgid * db->page_size;
	if (bb_ld64(p) != pgid)
		return bb_pfail(db, EIO, pgid, "its header says page %llu",
				(unsigned long long)bb_ld64(p));
	overflow = bb_ld32(p + 12);
	if (overflow >= npages - pgid)
		return bb_pfail(db, EIO, pgid,
				"%u overflow pages run past the end of the file (%zu bytes)",
				overflow, db->size);
	pg->p = p;
	pg->span = ((size_t)overflow + 1) * db->page_size;
	pg->id = pgid;
	pg->flags = bb_ld16(p + 8);
	pg->count = bb_ld16(p + 10);
	pg->level = level;
	pg->inl = false;
	return 0;
}

/* The element array fits; a branch has at least one element. */
static int bb_page_shape(struct bbolt *db, const struct bb_page *pg)
{
	const char *what = pg->inl ? "inline bucket: " : "";

	if (BB_PAGE_HDR + (size_t)pg->count * BB_ELEM > pg->span)
		return bb_pfail(db, EIO, pg->id,
				"%s%u elements do not fit in %zu bytes",
				what, pg->count, pg->span);
	if (pg->flags == BB_BRANCH && !pg->count)
		return bb_pfail(db, EIO, pg->id,
				"branch page with no elements");
	return 0;
}

/* A branch or leaf page of a bucket's tree. */
static int bb_tree_page(struct bbolt *db, __u64 pgid, unsigned int level,
			struct bb_page *pg)
{
	if (bb_page_get(db, pgid, level, pg))
		return -1;
	if (pg->flags != BB_BRANCH && pg->flags != BB_LEAF)
		return bb_pfail(db, EIO, pgid,
				"flags %#x, not a branch or leaf page",
				pg->flags);
	return bb_page_shape(db, pg);
}

/*
 * Key (and value) of element @i at @start bytes into the page, @len bytes
 * long: after the element array, inside the page, and no empty key.
 */
static int bb_elem_span(struct bbolt *db, const struct bb_page *pg,
			unsigned int i, __u64 start, __u64 len, __u32 klen)
{
	__u64 data = BB_PAGE_HDR + (__u64)pg->count * BB_ELEM;

	if (start < data)
		return bb_efail(db, pg, i, "key inside the element array");
	if (start + len > pg->span)
		return bb_efail(db, pg, i,
				"%llu bytes at %llu run past the end of the page (%zu bytes)",
				(unsigned long long)len,
				(unsigned long long)start, pg->span);
	if (!klen)
		return bb_efail(db, pg, i, "empty key");
	return 0;
}

static int bb_branch_elem(struct bbolt *db, const struct bb_page *pg,
			  unsigned int i, struct bb_elem *e)
{
	size_t off = BB_PAGE_HDR + (size_t)i * BB_ELEM;
	const unsigned char *el = pg->p + off;
	__u64 start = off + (__u64)bb_ld32(el);
	__u32 klen = bb_ld32(el + 4);

	if (bb_elem_span(db, pg, i, start, klen, klen))
		return -1;
	e->key = pg->p + start;
	e->klen = klen;
	e->val = NULL;
	e->vlen = 0;
	e->flags = 0;
	e->child = bb_ld64(el + 8);
	return 0;
}

static int bb_leaf_elem(struct bbolt *db, const struct bb_page *pg,
			unsigned int i, struct bb_elem *e)
{
	size_t off = BB_PAGE_HDR + (size_t)i * BB_ELEM;
	const unsigned char *el = pg->p + off;
	__u64 start = off + (__u64)bb_ld32(el + 4);
	__u32 klen = bb_ld32(el + 8), vlen = bb_ld32(el + 12);

	e->flags = bb_ld32(el);
	if (e->flags & ~BB_LEAF_BUCKET)
		return bb_efail(db, pg, i, "unknown flags %#x", e->flags);
	if (pg->inl && e->flags)
		return bb_efail(db, pg, i,
				"a bucket, which inline buckets cannot hold");
	if (bb_elem_span(db, pg, i, start, (__u64)klen + vlen, klen))
		return -1;
	e->key = pg->p + start;
	e->klen = klen;
	e->val = e->key + klen;
	e->vlen = vlen;
	e->child = 0;
	return 0;
}

static int bb_elem(struct bbolt *db, const struct bb_page *pg,
		   unsigned int i, struct bb_elem *e)
{
	if (pg->flags == BB_BRANCH)
		return bb_branch_elem(db, pg, i, e);
	return bb_leaf_elem(db, pg, i, e);
}

/*
 * The bucket whose value is @val, element @i of leaf page @pgid at depth
 * @level: 16 bytes naming its root page, or the header and an inline
 * leaf page image (header id 0, flags leaf, no overflow).
 */
static int bb_make_bucket(struct bbolt *db, __u64 pgid, unsigned int level,
			  unsigned int i, const unsigned char *val, size_t vlen,
			  struct bbolt_bucket *b)
{
	const unsigned char *p = val + BB_BUCKET_HDR;

	if (vlen < BB_BUCKET_HDR)
		return bb_pfail(db, EIO, pgid,
				"element %u: bucket value of %zu bytes",
				i, vlen);
	b->root = bb_ld64(val);
	b->sequence = bb_ld64(val + 8);
	b->where = pgid;
	b->level = level + 1;
	b->inl = NULL;
	b->inl_size = 0;
	if (b->root) {
		if (vlen != BB_BUCKET_HDR)
			return bb_pfail(db, EIO, pgid,
					"element %u: bucket value of %zu bytes",
					i, vlen);
		return 0;
	}
	if (vlen < BB_BUCKET_HDR + BB_PAGE_HDR)
		return bb_pfail(db, EIO, pgid,
				"element %u: inline bucket of %zu bytes",
				i, vlen);
	if (bb_ld64(p) || bb_ld16(p + 8) != BB_LEAF || bb_ld32(p + 12))
		return bb_pfail(db, EIO, pgid,
				"element %u: inline bucket header (id %llu, flags %#x, overflow %u)",
				i, (unsigned long long)bb_ld64(p),
				bb_ld16(p + 8), bb_ld32(p + 12));
	b->inl = p;
	b->inl_size = vlen - BB_BUCKET_HDR;
	return 0;
}

/* The top page of bucket @b. */
static int bb_bucket_page(struct bbolt *db, const struct bbolt_bucket *b,
			  struct bb_page *pg)
{
	if (b->root)
		return bb_tree_page(db, b->root, b->level, pg);
	if (b->level > BBOLT_MAX_DEPTH)
		return bb_pfail(db, EIO, b->where, "more than %d levels deep",
				BBOLT_MAX_DEPTH);
	pg->p = b->inl;
	pg->span = b->inl_size;
	pg->id = b->where;
	pg->flags = BB_LEAF;
	pg->count = bb_ld16(b->inl + 10);
	pg->level = b->level;
	pg->inl = true;
	return bb_page_shape(db, pg);
}

/*
 * Binary search of @pg for @key: the first element whose key is >= @key,
 * or with @after the first whose key is > @key (pg->count if none). Key
 * order is checked at open; were it wrong, this only finds the wrong
 * element, which is checked like any other.
 */
static int bb_search(struct bbolt *db, const struct bb_page *pg,
		     const unsigned char *key, size_t klen, bool after,
		     unsigned int *found)
{
	unsigned int lo = 0, hi = pg->count, mid;
	struct bb_elem e;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (bb_elem(db, pg, mid, &e))
			return -1;
		c = bb_cmp(e.key, e.klen, key, klen);
		if (c < 0 || (after && !c))
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = lo;
	return 0;
}

/*
 * The leaf element of bucket @b named @key, as bbolt's cursor seek: in a
 * branch, descend into the last element whose key is <= @key (or the
 * first); in the leaf, find the key itself. ENOENT when absent.
 */
static int bb_seek(struct bbolt *db, const struct bbolt_bucket *b,
		   const unsigned char *key, size_t klen, struct bb_page *pg,
		   struct bb_elem *e, unsigned int *idx)
{
	char q[BB_QUOTE];
	unsigned int i;

	if (bb_bucket_page(db, b, pg))
		return -1;
	while (pg->flags == BB_BRANCH) {
		if (bb_search(db, pg, key, klen, true, &i))
			return -1;
		if (bb_branch_elem(db, pg, i ? i - 1 : 0, e) ||
		    bb_tree_page(db, e->child, pg->level + 1, pg))
			return -1;
	}
	if (bb_search(db, pg, key, klen, false, &i))
		return -1;
	if (i < pg->count) {
		if (bb_leaf_elem(db, pg, i, e))
			return -1;
		if (!bb_cmp(e->key, e->klen, key, klen)) {
			*idx = i;
			return 0;
		}
	}
	return bb_fail(db, ENOENT, "\"%s\": no such key",
		       bb_quote(key, klen, q, sizeof(q)));
}

void bbolt_bucket_root(const struct bbolt *db, struct bbolt_bucket *b)
{
	memset(b, 0, sizeof(*b));
	b->root = db->root;
	b->sequence = db->root_sequence;
	b->level = 1;
}

int bbolt_bucket_get(struct bbolt *db, const struct bbolt_bucket *parent,
		     const void *name, size_t len, struct bbolt_bucket *child)
{
	struct bb_page pg;
	struct bb_elem e;
	unsigned int i;
	char q[BB_QUOTE];

	if (bb_seek(db, parent, name, len, &pg, &e, &i))
		return -1;
	if (!(e.flags & BB_LEAF_BUCKET))
		return bb_fail(db, ENOENT, "\"%s\": a value, not a bucket",
			       bb_quote(name, len, q, sizeof(q)));
	return bb_make_bucket(db, pg.id, pg.level, i, e.val, e.vlen, child);
}

int bbolt_get(struct bbolt *db, const struct bbolt_bucket *b,
	      const void *key, size_t len, const unsigned char **val,
	      size_t *vlen)
{
	struct bb_page pg;
	struct bb_elem e;
	unsigned int i;
	char q[BB_QUOTE];

	if (bb_seek(db, b, key, len, &pg, &e, &i))
		return -1;
	if (e.flags & BB_LEAF_BUCKET)
		return bb_fail(db, ENOENT, "\"%s\": a bucket, not a value",
			       bb_quote(key, len, q, sizeof(q)));
	*val = e.val;
	*vlen = e.vlen;
	return 0;
}

int bbolt_elem_bucket(struct bbolt *db, const struct bbolt_elem *e,
		      struct bbolt_bucket *child)
{
	char q[BB_QUOTE];

	if (!e->bucket)
		return bb_fail(db, ENOENT, "\"%s\": a value, not a bucket",
			       bb_quote(e->key, e->klen, q, sizeof(q)));
	return bb_make_bucket(db, e->page, e->level, e->index, e->val,
			      e->vlen, child);
}

/* In key order; the open-time check made the tree a tree. */
static int bb_walk(struct bbolt *db, const struct bb_page *pg,
		   bbolt_iter_fn fn, void *arg)
{
	struct bbolt_elem out;
	struct bb_page child;
	struct bb_elem e;
	unsigned int i;
	int ret;

	for (i = 0; i < pg->count; i++) {
		if (bb_elem(db, pg, i, &e))
			return -1;
		if (pg->flags == BB_BRANCH) {
			if (bb_tree_page(db, e.child, pg->level + 1, &child))
				return -1;
			ret = bb_walk(db, &child, fn, arg);
		} else {
			out = (struct bbolt_elem){
				.key = e.key, .klen = e.klen,
				.val = e.val, .vlen = e.vlen,
				.bucket = e.flags & BB_LEAF_BUCKET,
				.page = pg->id, .index = i, .level = pg->level,
			};
			ret = fn(db, &out, arg);
		}
		if (ret)
			return ret;
	}
	return 0;
}

int bbolt_foreach(struct bbolt *db, const struct bbolt_bucket *b,
		  bbolt_iter_fn fn, void *arg)
{
	struct bb_page pg;

	if (bb_bucket_page(db, b, &pg))
		return -1;
	return bb_walk(db, &pg, fn, arg);
}

/* Page @pg and its overflow pages are reached for the first time. */
static int bb_mark(struct bb_check *c, const struct bb_page *pg)
{
	size_t n = pg->span / c->db->page_size, i;
	__u64 id;

	for (i = 0; i < n; i++) {
		id = pg->id + i;
		if (c->seen[id / CHAR_BIT] & (1u << (id % CHAR_BIT)))
			return bb_pfail(c->db, EIO, id,
					"reached twice (a cycle or a shared page)");
		c->seen[id / CHAR_BIT] |= 1u << (id % CHAR_BIT);
	}
	return 0;
}

static int bb_check_tree(struct bb_check *c, __u64 pgid, unsigned int level);

static int bb_check_bucket(struct bb_check *c, const struct bb_page *pg,
			   unsigned int i, const struct bb_elem *e);

/* Every element of @pg, in ascending key order, and what it leads to. */
static int bb_check_elems(struct bb_check *c, const struct bb_page *pg)
{
	struct bb_elem e, prev = { 0 };
	unsigned int i;

	for (i = 0; i < pg->count; i++) {
		if (bb_elem(c->db, pg, i, &e))
			return -1;
		if (i && bb_cmp(prev.key, prev.klen, e.key, e.klen) >= 0)
			return bb_efail(c->db, pg, i, "key out of order");
		prev = e;
		if (pg->flags == BB_BRANCH) {
			if (bb_check_tree(c, e.child, pg->level + 1))
				return -1;
		} else if (e.flags & BB_LEAF_BUCKET) {
			if (bb_check_bucket(c, pg, i, &e))
				return -1;
		}
	}
	return 0;
}

static int bb_check_bucket(struct bb_check *c, const struct bb_page *pg,
			   unsigned int i, const struct bb_elem *e)
{
	struct bbolt_bucket b;
	struct bb_page top;

	if (bb_make_bucket(c->db, pg->id, pg->level, i, e->val, e->vlen, &b))
		return -1;
	if (b.root)
		return bb_check_tree(c, b.root, b.level);
	if (bb_bucket_page(c->db, &b, &top))
		return -1;
	return bb_check_elems(c, &top);
}

static int bb_check_tree(struct bb_check *c, __u64 pgid, unsigned int level)
{
	struct bb_page pg;

	if (bb_tree_page(c->db, pgid, level, &pg) || bb_mark(c, &pg))
		return -1;
	return bb_check_elems(c, &pg);
}

/*
 * The freelist page, if any: a freelist page whose ids fit in it (a
 * count of 0xffff means the real count is the first u64) and lie
 * between the meta pages and the high-water mark.
 */
static int bb_check_freelist(struct bb_check *c)
{
	struct bbolt *db = c->db;
	struct bb_page pg;
	size_t off = BB_PAGE_HDR;
	__u64 n, i, id;

	if (db->freelist == BB_NO_FREELIST)
		return 0;
	if (bb_page_get(db, db->freelist, 1, &pg) || bb_mark(c, &pg))
		return -1;
	if (pg.flags != BB_FREELIST)
		return bb_pfail(db, EIO, pg.id,
				"flags %#x, not a freelist page", pg.flags);
	n = pg.count;
	if (n == 0xffff) {
		if (pg.span < off + 8)
			return bb_pfail(db, EIO, pg.id,
					"freelist count missing");
		n = bb_ld64(pg.p + off);
		off += 8;
	}
	if (n > (pg.span - off) / 8)
		return bb_pfail(db, EIO, pg.id,
				"%llu free page ids do not fit in %zu bytes",
				(unsigned long long)n, pg.span);
	for (i = 0; i < n; i++) {
		id = bb_ld64(pg.p + off + i * 8);
		if (id < 2 || id >= db->hwm)
			return bb_pfail(db, EIO, pg.id,
					"free page id %llu out of range",
					(unsigned long long)id);
	}
	return 0;
}

/* All of the snapshot, once: see the top of the file. */
static int bb_check_all(struct bbolt *db)
{
	struct bb_check c = { .db = db };
	size_t npages = db->size / db->page_size;
	int ret;

	c.seen = calloc(npages / CHAR_BIT + 1, 1);
	if (!c.seen)
		return bb_fail(db, errno, "%s", strerror(errno));
	c.seen[0] = 0x3;	/* the meta pages */
	ret = bb_check_freelist(&c);
	if (!ret)
		ret = bb_check_tree(&c, db->root, 1);
	free(c.seen);
	return ret;
}

/* FNV-1a, 64 bit (Go's hash/fnv New64a). */
static __u64 bb_fnv1a(const unsigned char *p, size_t n)
{
	__u64 h = 0xcbf29ce484222325ULL;

	while (n--) {
		h ^= *p++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

static void bb_meta_parse(const unsigned char *p, struct bb_meta *m)
{
	m->id = bb_ld64(p);
	m->pflags = bb_ld16(p + 8);
	m->magic = bb_ld32(p + 16);
	m->version = bb_ld32(p + 20);
	m->psize = bb_ld32(p + 24);
	m->root = bb_ld64(p + 32);
	m->sequence = bb_ld64(p + 40);
	m->freelist = bb_ld64(p + 48);
	m->hwm = bb_ld64(p + 56);
	m->txid = bb_ld64(p + 64);
	m->sum = bb_ld64(p + 72);
}

/*
 * Meta page @idx at @p with @avail bytes of file there: magic, version
 * and checksum first, as bbolt's meta.validate(), then the header and
 * the page size (a power of 2 from 1 KiB to 16 MiB).
 */
static enum bb_meta_state bb_meta_check(const unsigned char *p,
					size_t avail, __u64 idx,
					struct bb_meta *m)
{
	if (avail < BB_META_END)
		return BB_META_SHORT;
	bb_meta_parse(p, m);
	if (m->magic != BB_MAGIC)
		return BB_META_MAGIC;
	if (m->version != BB_VERSION)
		return BB_META_VERSION;
	if (m->sum != bb_fnv1a(p + BB_SUM_START, BB_SUM_END - BB_SUM_START))
		return BB_META_SUM;
	if (m->id != idx || m->pflags != BB_META)
		return BB_META_HEADER;
	if (m->psize < BB_PSIZE_MIN ||
	    m->psize > (BB_PSIZE_MIN << BB_PSIZE_SHIFTS) ||
	    (m->psize & (m->psize - 1)))
		return BB_META_PSIZE;
	return BB_META_OK;
}

/* Why meta page @idx is unusable, as a message and errno. */
static int bb_meta_fail(struct bbolt *db, __u64 idx, enum bb_meta_state st,
			const struct bb_meta *m)
{
	switch (st) {
	case BB_META_SHORT:
		return bb_fail(db, EINVAL,
			       "not a bbolt database (%zu bytes, too short)",
			       db->size);
	case BB_META_MAGIC:
		return bb_pfail(db, EINVAL, idx,
				"not a bbolt database (magic %#x)", m->magic);
	case BB_META_VERSION:
		return bb_pfail(db, EINVAL, idx,
				"unsupported bbolt version %u", m->version);
	case BB_META_SUM:
		return bb_pfail(db, EIO, idx, "meta page checksum mismatch");
	case BB_META_HEADER:
		return bb_pfail(db, EIO, idx,
				"meta page header (id %llu, flags %#x)",
				(unsigned long long)m->id, m->pflags);
	case BB_META_PSIZE:
		return bb_pfail(db, EINVAL, idx,
				"page size %u is not a power of 2 in 1 KiB..16 MiB",
				m->psize);
	default:
		return 0;
	}
}

/*
 * The page size: meta 0's, else that of a valid meta 1 found at one of
 * the page sizes bbolt may have used (db.go getPageSizeFromSecondMeta).
 */
static int bb_page_size(struct bbolt *db)
{
	enum bb_meta_state st0, st;
	struct bb_meta m0, m;
	size_t off;
	int i;

	st0 = bb_meta_check(db->data, db->size, 0, &m0);
	if (st0 == BB_META_OK) {
		db->page_size = m0.psize;
		return 0;
	}
	for (i = 0; i <= BB_PSIZE_SHIFTS; i++) {
		off = (size_t)BB_PSIZE_MIN << i;
		if (off >= db->size)
			break;
		st = bb_meta_check(db->data + off, db->size - off, 1, &m);
		if (st == BB_META_OK && m.psize == off) {
			db->page_size = m.psize;
			return 0;
		}
	}
	return bb_meta_fail(db, 0, st0, &m0);
}

/*
 * Of the two meta pages at @m0 and @m1 (@avail0 and @avail1 bytes of
 * file at each), the valid one with the higher txid (meta 0 on a tie, as
 * bbolt's db.meta()): its number, or -1 if neither is valid.
 */
static int bb_meta_choose(const unsigned char *p0, size_t avail0,
			  const unsigned char *p1, size_t avail1,
			  __u32 psize, struct bb_meta *m)
{
	struct bb_meta m0, m1;
	bool ok0, ok1;

	ok0 = bb_meta_check(p0, avail0, 0, &m0) == BB_META_OK &&
	      m0.psize == psize;
	ok1 = bb_meta_check(p1, avail1, 1, &m1) == BB_META_OK &&
	      m1.psize == psize;
	if (ok1 && (!ok0 || m1.txid > m0.txid)) {
		*m = m1;
		return 1;
	}
	if (ok0) {
		*m = m0;
		return 0;
	}
	return -1;
}

static void bb_use_meta(struct bbolt *db, int idx, const struct bb_meta *m)
{
	db->meta = idx;
	db->txid = m->txid;
	db->root = m->root;
	db->root_sequence = m->sequence;
	db->freelist = m->freelist;
	db->hwm = m->hwm;
}

/* The fields of the meta page in use that the tree walk relies on. */
static int bb_check_meta(struct bbolt *db)
{
	if (db->hwm < 3)
		return bb_pfail(db, EIO, db->meta, "high-water mark %llu",
				(unsigned long long)db->hwm);
	if (db->freelist != BB_NO_FREELIST &&
	    (db->freelist < 2 || db->freelist >= db->hwm))
		return bb_pfail(db, EIO, db->meta,
				"freelist page %llu out of range",
				(unsigned long long)db->freelist);
	if (db->root < 2 || db->root >= db->hwm)
		return bb_pfail(db, EIO, db->meta,
				"root bucket page %llu out of range (high-water mark %llu)",
				(unsigned long long)db->root,
				(unsigned long long)db->hwm);
	return 0;
}

/* pread() all of @len at @off, or to the end of the file: bytes read. */
static ssize_t bb_pread(int fd, void *buf, size_t len, off_t off)
{
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		n = pread(fd, (char *)buf + done, len - done, off + done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (!n)
			break;
		done += n;
	}
	return done;
}

/* Read the file into a fresh snapshot. */
static int bb_read_file(struct bbolt *db)
{
	struct stat st;
	ssize_t n;

	if (fstat(db->fd, &st))
		return bb_fail(db, errno, "%s", strerror(errno));
	if (!S_ISREG(st.st_mode))
		return bb_fail(db, EINVAL, "not a regular file");
	if (st.st_size > BBOLT_MAX_SIZE)
		return bb_fail(db, EFBIG,
			       "%lld bytes, more than the %lld this reader loads",
			       (long long)st.st_size, BBOLT_MAX_SIZE);
	db->data = malloc(st.st_size ? st.st_size : 1);
	if (!db->data)
		return bb_fail(db, errno, "%s", strerror(errno));
	n = bb_pread(db->fd, db->data, st.st_size, 0);
	if (n < 0)
		return bb_fail(db, errno, "%s", strerror(errno));
	db->size = n;		/* shorter if it shrank meanwhile */
	return 0;
}

static void bb_drop(struct bbolt *db)
{
	free(db->data);
	db->data = NULL;
	db->size = 0;
}

enum bb_load_state {
	BB_LOAD_FAILED,		/* no snapshot: read error, EFBIG, ENOMEM */
	BB_LOAD_NO_META,	/* a snapshot without a valid meta page */
	BB_LOAD_CHOSEN,		/* a snapshot and the meta page in use */
};

/* Read a snapshot and choose its meta page; the tree is not checked yet. */
static enum bb_load_state bb_load(struct bbolt *db)
{
	struct bb_meta m;
	int idx;

	bb_drop(db);
	if (bb_read_file(db))
		return BB_LOAD_FAILED;
	if (bb_page_size(db))
		return BB_LOAD_NO_META;
	idx = bb_meta_choose(db->data, db->size,
			     db->data + db->page_size,
			     db->size > db->page_size ?
			     db->size - db->page_size : 0,
			     db->page_size, &m);
	if (idx < 0)
		return BB_LOAD_NO_META;	/* bb_page_size() found one */
	bb_use_meta(db, idx, &m);
	return BB_LOAD_CHOSEN;
}

/*
 * Whether any place where a meta page may lie (0 and the page sizes
 * probed for meta 1) now differs from the snapshot: two torn meta pages
 * (a writer that commits twice while we read them) are worth a retry, a
 * file that is no bbolt database is not.
 */
static bool bb_metas_changed(struct bbolt *db)
{
	unsigned char buf[BB_META_END];
	size_t off, want;
	ssize_t n;
	int i;

	for (i = -1; i <= BB_PSIZE_SHIFTS; i++) {
		off = i < 0 ? 0 : (size_t)BB_PSIZE_MIN << i;
		if (i >= 0 && off >= db->size)
			break;
		want = db->size > off ? db->size - off : 0;
		if (want > sizeof(buf))
			want = sizeof(buf);
		n = bb_pread(db->fd, buf, sizeof(buf), off);
		if (n < 0)
			return false;
		if ((size_t)n != want || memcmp(buf, db->data + off, want))
			return true;
	}
	return false;
}

int bbolt_stable(struct bbolt *db)
{
	unsigned char p0[BB_META_END], p1[BB_META_END];
	ssize_t n0, n1;
	struct bb_meta m;
	int idx;

	n0 = bb_pread(db->fd, p0, sizeof(p0), 0);
	n1 = bb_pread(db->fd, p1, sizeof(p1), db->page_size);
	if (n0 < 0 || n1 < 0)
		return bb_fail(db, errno, "%s", strerror(errno));
	idx = bb_meta_choose(p0, n0, p1, n1, db->page_size, &m);
	return idx == (int)db->meta && m.txid == db->txid;
}

/*
 * Read snapshots until one is of the newest transaction: its meta page is
 * still the one in use once the whole file was read (see the top). Only
 * then is its tree checked: a failure there is no race but corruption.
 */
int bbolt_reload(struct bbolt *db)
{
	enum bb_load_state st;
	int i, stable, e;

	for (i = 0; i < BBOLT_RETRIES; i++) {
		db->reads = i + 1;
		st = bb_load(db);
		e = errno;
		if (st == BB_LOAD_FAILED)
			goto out_drop;
		if (st == BB_LOAD_NO_META) {
			if (bb_metas_changed(db))
				continue;
			goto out_drop;
		}
		stable = bbolt_stable(db);
		e = errno;
		if (stable < 0)
			goto out_drop;
		if (!stable)
			continue;
		if (bb_check_meta(db) || bb_check_all(db)) {
			e = errno;
			goto out_drop;
		}
		return 0;
	}
	bb_fail(db, EAGAIN, "changed during each of %d reads", BBOLT_RETRIES);
	e = EAGAIN;
out_drop:
	bb_drop(db);
	errno = e;
	return -1;
}

int bbolt_fdopen(struct bbolt *db, int fd, const char *name)
{
	int e;

	memset(db, 0, sizeof(*db));
	db->fd = fd;
	db->path = strdup(name);
	if (!db->path) {
		e = errno;
		snprintf(db->err, sizeof(db->err), "%s: %s", name, strerror(e));
		close(fd);
		errno = e;
		return -1;
	}
	if (!bbolt_reload(db))
		return 0;
	bbolt_close(db);
	return -1;
}

int bbolt_open(struct bbolt *db, const char *path)
{
	int fd;

	/*
	 * No flock(): see the top of the file. O_NONBLOCK: a FIFO put in
	 * the database's place must not hang us (fstat() refuses it).
	 */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		memset(db, 0, sizeof(*db));
		db->fd = -1;
		snprintf(db->err, sizeof(db->err), "%s: %s", path,
			 strerror(errno));
		return -1;
	}
	return bbolt_fdopen(db, fd, path);
}

void bbolt_close(struct bbolt *db)
{
	int e = errno;

	bb_drop(db);
	if (db->fd >= 0)
		close(db->fd);
	db->fd = -1;
	free(db->path);
	db->path = NULL;
	errno = e;
}
