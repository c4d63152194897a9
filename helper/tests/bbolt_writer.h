/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A test-only bbolt writer for bbolt_test and bbolt_fuzz: pages laid out
 * as bbolt 1.3's node.write() and meta.write() do, and the test database
 * every test starts from.
 */
#ifndef LAYERCTL_BBOLT_WRITER_H
#define LAYERCTL_BBOLT_WRITER_H

#include <stddef.h>
#include <linux/types.h>

#define PSIZE		4096
#define NPAGES		17
#define NKEYS		360
#define PER_LEAF	90
#define BLOB_LEN	10000

/*
 * The test database (build_db()), every page at PSIZE:
 *   0, 1   meta, txid 8 and 9, root 3, freelist 2, high-water mark 17
 *   2      freelist: page 16
 *   3      root bucket: big -> 4, inl (inline: a, b), nest -> 11, ov -> 13
 *   4      branch k0000 -> 5, k0180 -> 6
 *   5, 6   branches k0000 -> 7, k0090 -> 8 and k0180 -> 9, k0270 -> 10
 *   7-10   leaves of 90 keys each, k0000..k0359 -> "v0000-abcdefghij"
 *   11     nest (sequence 7): child (inline: x), deeper -> 12,
 *          empty (inline, no keys), val = "plain"
 *   12     deeper: leaf = "yes"
 *   13-15  ov: blob = BLOB_LEN bytes, a leaf with 2 overflow pages
 *   16     free
 */
enum {
	PG_FREELIST = 2,
	PG_ROOT = 3,
	PG_BIG = 4,
	PG_BIG_L = 5,
	PG_BIG_R = 6,
	PG_LEAF0 = 7,
	PG_NEST = 11,
	PG_DEEPER = 12,
	PG_OV = 13,
	PG_FREE = 16,
};

struct wdb {
	unsigned char *buf;
	size_t psize;
	size_t size;			/* bytes written to the file */
};

struct kv {
	const char *key;
	const void *val;
	size_t vlen;
	__u32 flags;
};

struct br {
	const char *key;
	__u64 child;
};

extern char bw_keys[NKEYS][8];		/* k0000..k0359 */
extern unsigned char bw_blob[BLOB_LEN];	/* the overflow value */

void bw_put16(unsigned char *p, __u16 v);
void bw_put32(unsigned char *p, __u32 v);
void bw_put64(unsigned char *p, __u64 v);
__u32 bw_get32(const unsigned char *p);
unsigned char *bw_page(struct wdb *w, __u64 pgid);
unsigned char *bw_elem(struct wdb *w, __u64 pgid, unsigned int i);
unsigned char *bw_leaf_val(unsigned char *p, unsigned int i);
void bw_leaf(struct wdb *w, __u64 pgid, const struct kv *kv,
	     unsigned int n);
void bw_branch(struct wdb *w, __u64 pgid, const struct br *br,
	       unsigned int n);
void bw_bucket_ref(unsigned char v[16], __u64 root, __u64 seq);
size_t bw_inline_bucket(unsigned char *v, __u64 seq, const struct kv *kv,
			unsigned int n);
void bw_meta_sum(struct wdb *w, __u64 idx);
void bw_meta(struct wdb *w, __u64 idx, __u64 root, __u64 hwm,
	     __u64 txid);
void bw_freelist(struct wdb *w);
void bw_build(struct wdb *w, size_t psize);

#endif /* LAYERCTL_BBOLT_WRITER_H */
