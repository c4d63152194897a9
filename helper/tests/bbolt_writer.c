// SPDX-License-Identifier: GPL-2.0
/*
 * A test-only bbolt writer (see bbolt_writer.h), never part of layerctl:
 * a leaf page is its header, its elements, then each key followed by its
 * value, pos counted from the element; a branch the same with child page
 * ids; a meta page its fields with the FNV-1a checksum of bytes 16..71.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bbolt_writer.h"

char bw_keys[NKEYS][8];
static char bw_vals[NKEYS][17];
unsigned char bw_blob[BLOB_LEN];

void bw_put16(unsigned char *p, __u16 v)
{
	memcpy(p, &v, sizeof(v));
}

void bw_put32(unsigned char *p, __u32 v)
{
	memcpy(p, &v, sizeof(v));
}

void bw_put64(unsigned char *p, __u64 v)
{
	memcpy(p, &v, sizeof(v));
}

__u32 bw_get32(const unsigned char *p)
{
	__u32 v;

	memcpy(&v, p, sizeof(v));
	return v;
}

unsigned char *bw_page(struct wdb *w, __u64 pgid)
{
	return w->buf + pgid * w->psize;
}

unsigned char *bw_elem(struct wdb *w, __u64 pgid, unsigned int i)
{
	return bw_page(w, pgid) + 16 + i * 16;
}

/* The value of leaf element @i of the page image at @p. */
unsigned char *bw_leaf_val(unsigned char *p, unsigned int i)
{
	unsigned char *el = p + 16 + i * 16;

	return el + bw_get32(el + 4) + bw_get32(el + 8);
}

static size_t leaf_len(const struct kv *kv, unsigned int n)
{
	size_t len = 16 + n * 16;
	unsigned int i;

	for (i = 0; i < n; i++)
		len += strlen(kv[i].key) + kv[i].vlen;
	return len;
}

/* As node.write(): elements, then each key followed by its value. */
static void leaf_image(unsigned char *p, const struct kv *kv, unsigned int n)
{
	size_t data = 16 + n * 16, klen;
	unsigned char *el;
	unsigned int i;

	bw_put16(p + 8, 0x02);
	bw_put16(p + 10, n);
	for (i = 0; i < n; i++) {
		el = p + 16 + i * 16;
		klen = strlen(kv[i].key);
		bw_put32(el, kv[i].flags);
		bw_put32(el + 4, data - (16 + i * 16));
		bw_put32(el + 8, klen);
		bw_put32(el + 12, kv[i].vlen);
		memcpy(p + data, kv[i].key, klen);
		memcpy(p + data + klen, kv[i].val, kv[i].vlen);
		data += klen + kv[i].vlen;
	}
}

void bw_leaf(struct wdb *w, __u64 pgid, const struct kv *kv,
	     unsigned int n)
{
	size_t len = leaf_len(kv, n);
	__u32 overflow = (len + w->psize - 1) / w->psize - 1;

	if ((pgid + overflow + 1) * w->psize > w->size)
		abort();
	leaf_image(bw_page(w, pgid), kv, n);
	bw_put64(bw_page(w, pgid), pgid);
	bw_put32(bw_page(w, pgid) + 12, overflow);
}

void bw_branch(struct wdb *w, __u64 pgid, const struct br *br,
	       unsigned int n)
{
	unsigned char *p = bw_page(w, pgid), *el;
	size_t data = 16 + n * 16, klen;
	unsigned int i;

	bw_put64(p, pgid);
	bw_put16(p + 8, 0x01);
	bw_put16(p + 10, n);
	for (i = 0; i < n; i++) {
		el = p + 16 + i * 16;
		klen = strlen(br[i].key);
		bw_put32(el, data - (16 + i * 16));
		bw_put32(el + 4, klen);
		bw_put64(el + 8, br[i].child);
		memcpy(p + data, br[i].key, klen);
		data += klen;
	}
}

/* A bucket's value: its root page and sequence. */
void bw_bucket_ref(unsigned char v[16], __u64 root, __u64 seq)
{
	bw_put64(v, root);
	bw_put64(v + 8, seq);
}

/* An inline bucket's value: a header with root 0, then a leaf image. */
size_t bw_inline_bucket(unsigned char *v, __u64 seq, const struct kv *kv,
			unsigned int n)
{
	size_t len = leaf_len(kv, n);

	bw_bucket_ref(v, 0, seq);
	memset(v + 16, 0, len);
	leaf_image(v + 16, kv, n);
	return 16 + len;
}

static __u64 fnv1a(const unsigned char *p, size_t n)
{
	__u64 h = 0xcbf29ce484222325ULL;

	while (n--) {
		h ^= *p++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

void bw_meta_sum(struct wdb *w, __u64 idx)
{
	unsigned char *p = bw_page(w, idx);

	bw_put64(p + 72, fnv1a(p + 16, 56));
}

void bw_meta(struct wdb *w, __u64 idx, __u64 root, __u64 hwm,
	     __u64 txid)
{
	unsigned char *p = bw_page(w, idx);

	memset(p, 0, w->psize);
	bw_put64(p, idx);
	bw_put16(p + 8, 0x04);
	bw_put32(p + 16, 0xED0CDAED);
	bw_put32(p + 20, 2);
	bw_put32(p + 24, w->psize);
	bw_put64(p + 32, root);
	bw_put64(p + 48, PG_FREELIST);
	bw_put64(p + 56, hwm);
	bw_put64(p + 64, txid);
	bw_meta_sum(w, idx);
}

void bw_freelist(struct wdb *w)
{
	unsigned char *p = bw_page(w, PG_FREELIST);

	bw_put64(p, PG_FREELIST);
	bw_put16(p + 8, 0x10);
	bw_put16(p + 10, 1);
	bw_put64(p + 16, PG_FREE);
}

static void init_data(void)
{
	unsigned int i;

	for (i = 0; i < NKEYS; i++) {
		snprintf(bw_keys[i], sizeof(bw_keys[i]), "k%04u", i);
		snprintf(bw_vals[i], sizeof(bw_vals[i]), "v%04u-abcdefghij", i);
	}
	for (i = 0; i < BLOB_LEN; i++)
		bw_blob[i] = i * 7;
}

static void w_big(struct wdb *w)
{
	static const struct br top[] = {
		{ "k0000", PG_BIG_L }, { "k0180", PG_BIG_R },
	};
	static const struct br left[] = {
		{ "k0000", PG_LEAF0 }, { "k0090", PG_LEAF0 + 1 },
	};
	static const struct br right[] = {
		{ "k0180", PG_LEAF0 + 2 }, { "k0270", PG_LEAF0 + 3 },
	};
	struct kv kv[PER_LEAF];
	unsigned int l, i;

	bw_branch(w, PG_BIG, top, 2);
	bw_branch(w, PG_BIG_L, left, 2);
	bw_branch(w, PG_BIG_R, right, 2);
	for (l = 0; l < NKEYS / PER_LEAF; l++) {
		for (i = 0; i < PER_LEAF; i++)
			kv[i] = (struct kv){ bw_keys[l * PER_LEAF + i],
					     bw_vals[l * PER_LEAF + i], 16, 0 };
		bw_leaf(w, PG_LEAF0 + l, kv, PER_LEAF);
	}
}

static void w_nest(struct wdb *w)
{
	static const struct kv x[] = { { "x", "1", 1, 0 } };
	static const struct kv deeper[] = { { "leaf", "yes", 3, 0 } };
	unsigned char child[64], ref[16], empty[32];
	size_t clen = bw_inline_bucket(child, 1, x, 1);
	size_t elen = bw_inline_bucket(empty, 0, NULL, 0);
	struct kv kv[] = {
		{ "child", child, clen, 1 },
		{ "deeper", ref, 16, 1 },
		{ "empty", empty, elen, 1 },
		{ "val", "plain", 5, 0 },
	};

	bw_bucket_ref(ref, PG_DEEPER, 0);
	bw_leaf(w, PG_NEST, kv, 4);
	bw_leaf(w, PG_DEEPER, deeper, 1);
}

static void w_root(struct wdb *w)
{
	static const struct kv ab[] = {
		{ "a", "1", 1, 0 }, { "b", "2", 1, 0 },
	};
	static const struct kv ov[] = { { "blob", bw_blob, BLOB_LEN, 0 } };
	unsigned char big[16], inl[128], nest[16], ovr[16];
	size_t ilen = bw_inline_bucket(inl, 3, ab, 2);
	struct kv kv[] = {
		{ "big", big, 16, 1 },
		{ "inl", inl, ilen, 1 },
		{ "nest", nest, 16, 1 },
		{ "ov", ovr, 16, 1 },
	};

	bw_bucket_ref(big, PG_BIG, 0);
	bw_bucket_ref(nest, PG_NEST, 7);
	bw_bucket_ref(ovr, PG_OV, 0);
	bw_leaf(w, PG_ROOT, kv, 4);
	bw_leaf(w, PG_OV, ov, 1);
}

void bw_build(struct wdb *w, size_t psize)
{
	free(w->buf);
	w->psize = psize;
	w->size = NPAGES * psize;
	w->buf = calloc(1, w->size);
	if (!w->buf)
		abort();
	init_data();
	bw_meta(w, 0, PG_ROOT, NPAGES, 8);
	bw_meta(w, 1, PG_ROOT, NPAGES, 9);
	bw_freelist(w);
	w_root(w);
	w_big(w);
	w_nest(w);
}
