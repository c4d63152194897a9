// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests of the containerd store reader: a containerd 1.6 root (meta.db
 * and the snapshotter's metadata.db written with tests/bbolt_writer, content
 * blobs under their digests, snapshot directories) is built in a temporary
 * directory for every test, with the values of a real one (the test vectors
 * below, from containerd 1.6.20's `ctr images import`), then broken in one
 * place; every refusal must name the file and the reason.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/evp.h>
#include "kselftest_harness.h"
#include "../ctrd_store.h"
#include "../ctrd_enc.h"
#include "bbolt_writer.h"

/* containerd 1.6.20, docker.io/library/demo:latest (uncompressed layers). */
static const char * const diff_ids[3] = {
	"sha256:d31938029373e876794b6ffe71bf72b085508f2ae0b97af1988d075579633190",
	"sha256:a246ca1341c8816247ae7b3623d2ab12fd0dfcc4830e3b57b4edb843ef69df34",
	"sha256:863b9c5d78ebb9afebd18e700da4b3550e0d9cbecf3af8cd714bb8e915170764",
};

static const char * const chain_ids[3] = {
	"sha256:d31938029373e876794b6ffe71bf72b085508f2ae0b97af1988d075579633190",
	"sha256:2133bb112534960f9d7e6bb30761088cfb664029d3a02357453f3652a4b27408",
	"sha256:2151ece55f5ad2af597fbae7d1a147f05ed901d07e4f12f02fa353d6e9ce5d80",
};

static const long long sizes[3] = { 20480, 8192, 8192 };

#define DEMO		"docker.io/library/demo:latest"
#define SNAPS		CTRD_SNAP_ROOT "/snapshots"
#define NSNAP(ns)	"v1", ns, "snapshots", "overlayfs"

/* ---- an in-memory bbolt tree, written as bbolt lays it out ---------- */

struct node {
	char *key;
	unsigned char *val;
	size_t vlen;
	bool bucket;
	__u64 seq;
	struct node *kids;
	size_t nk;
};

static struct node *nfind(struct node *b, const char *key)
{
	size_t i;

	for (i = 0; i < b->nk; i++)
		if (!strcmp(b->kids[i].key, key))
			return &b->kids[i];
	return NULL;
}

static struct node *nadd(struct node *b, const char *key, bool bucket)
{
	struct node *n = nfind(b, key);

	if (n)
		return n;
	b->kids = realloc(b->kids, (b->nk + 1) * sizeof(*b->kids));
	if (!b->kids)
		abort();
	n = &b->kids[b->nk++];
	memset(n, 0, sizeof(*n));
	n->key = strdup(key);
	n->bucket = bucket;
	return n;
}

/* The bucket at the NULL-terminated path below @b, made as needed. */
static struct node *npath(struct node *b, ...)
{
	const char *k;
	va_list ap;

	va_start(ap, b);
	while ((k = va_arg(ap, const char *)))
		b = nadd(b, k, true);
	va_end(ap);
	return b;
}

static void nput(struct node *b, const char *key, const void *v, size_t len)
{
	struct node *n = nadd(b, key, false);

	free(n->val);
	n->val = malloc(len + 1);
	memcpy(n->val, v, len);
	n->vlen = len;
}

static void nputs(struct node *b, const char *key, const char *s)
{
	nput(b, key, s, strlen(s));
}

static void nfree(struct node *b)
{
	size_t i;

	for (i = 0; i < b->nk; i++)
		nfree(&b->kids[i]);
	free(b->kids);
	free(b->key);
	free(b->val);
	memset(b, 0, sizeof(*b));
}

static void ndel(struct node *b, const char *key)
{
	struct node *n = nfind(b, key);

	if (!n)
		abort();
	nfree(n);
	*n = b->kids[--b->nk];
}

static int ncmp(const void *a, const void *b)
{
	return strcmp(((const struct node *)a)->key,
		      ((const struct node *)b)->key);
}

static __u64 walloc(struct wdb *w, __u64 *next, size_t len)
{
	size_t pages = (len + w->psize - 1) / w->psize;
	__u64 id = *next;

	*next += pages;
	if (*next * w->psize > w->size) {
		w->buf = realloc(w->buf, *next * w->psize);
		memset(w->buf + w->size, 0, *next * w->psize - w->size);
		w->size = *next * w->psize;
	}
	return id;
}

/* The value of bucket @b: inline when it has no buckets and is small. */
static size_t wbucket(struct wdb *w, __u64 *next, struct node *b,
		      unsigned char **out, bool root_page)
{
	struct kv *kv = calloc(b->nk + 1, sizeof(*kv));
	unsigned char **vals = calloc(b->nk + 1, sizeof(*vals));
	size_t i, len = 16 + 16 * b->nk, vlen;
	bool sub = false;
	__u64 pg;

	qsort(b->kids, b->nk, sizeof(*b->kids), ncmp);
	for (i = 0; i < b->nk; i++) {
		struct node *k = &b->kids[i];

		if (k->bucket) {
			sub = true;
			vlen = wbucket(w, next, k, &vals[i], false);
		} else {
			vals[i] = malloc(k->vlen + 1);
			memcpy(vals[i], k->val, k->vlen);
			vlen = k->vlen;
		}
		kv[i] = (struct kv){ k->key, vals[i], vlen, k->bucket };
		len += strlen(k->key) + vlen;
	}
	if (!root_page && !sub && len < w->psize / 4) {
		*out = calloc(1, 16 + len);
		vlen = bw_inline_bucket(*out, b->seq, kv, b->nk);
	} else {
		pg = walloc(w, next, len);
		bw_leaf(w, pg, kv, b->nk);
		*out = malloc(16);
		bw_bucket_ref(*out, pg, b->seq);
		vlen = 16;
	}
	for (i = 0; i < b->nk; i++)
		free(vals[i]);
	free(vals);
	free(kv);
	return vlen;
}

static void wdb_file(struct node *root, const char *path)
{
	struct wdb w = { .psize = PSIZE };
	unsigned char *ref;
	__u64 next = 3, rootpg;
	int fd;

	walloc(&w, &next, 3 * PSIZE);
	wbucket(&w, &next, root, &ref, true);
	memcpy(&rootpg, ref, 8);
	free(ref);
	bw_put64(bw_page(&w, 2), 2);		/* an empty freelist */
	bw_put16(bw_page(&w, 2) + 8, 0x10);
	bw_meta(&w, 0, rootpg, next, 4);
	bw_meta(&w, 1, rootpg, next, 5);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, w.buf, w.size) != (ssize_t)w.size || close(fd))
		abort();
	free(w.buf);
}

/* ---- files ------------------------------------------------------------ */

static void sha256_hex(const void *data, size_t len, char *out)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n, i;

	if (!EVP_Digest(data, len, md, &n, EVP_sha256(), NULL))
		abort();
	for (i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", md[i]);
}

static void mkdirs(const char *root, const char *rel)
{
	char buf[PATH_MAX], *p;

	snprintf(buf, sizeof(buf), "%s/%s/", root, rel);
	for (p = buf + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		if (mkdir(buf, 0755) && errno != EEXIST)
			abort();
		*p = '/';
	}
}

static void put(const char *root, const char *rel, const void *data,
		size_t len)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, data, len) != (ssize_t)len || close(fd))
		abort();
}

static int rm_one(const char *path, const struct stat *sb, int type,
		  struct FTW *ftw)
{
	return remove(path);
}

/* ---- the fixture ------------------------------------------------------ */

FIXTURE(ctrd) {
	char root[64];
	struct node meta, snap;
	char config[STORE_ID_SIZE], manifest[STORE_ID_SIZE];
	char config2[STORE_ID_SIZE], index[STORE_ID_SIZE];
	char config_k8s[STORE_ID_SIZE];
	struct store st;
	bool opened;
};

static void varint(struct node *b, const char *key, __s64 v)
{
	unsigned char buf[CTRD_VARINT_MAX];
	__u64 u = ((__u64)v << 1) ^ (__u64)(v >> 63);
	size_t n = 0;

	do {
		buf[n++] = (u & 0x7f) | (u > 0x7f ? 0x80 : 0);
		u >>= 7;
	} while (u);
	nput(b, key, buf, n);
}

/* A blob under its digest, visible in the namespaces of @nss. */
static void blob(struct _test_data_ctrd *self, const char *data,
		 const char * const *nss,
		 char digest[STORE_ID_SIZE])
{
	char rel[PATH_MAX];

	memcpy(digest, "sha256:", 7);
	sha256_hex(data, strlen(data), digest + 7);
	snprintf(rel, sizeof(rel), CTRD_BLOBS "/%s", digest + 7);
	put(self->root, rel, data, strlen(data));
	for (; *nss; nss++)
		varint(npath(&self->meta, "v1", *nss, "content", "blob", digest,
			     NULL), "size", strlen(data));
}

static void image(struct _test_data_ctrd *self, const char *ns, const char *name,
		  const char *target, const char *mt, long long size)
{
	struct node *t = npath(&self->meta, "v1", ns, "images", name, "target",
			       NULL);

	nputs(t, "digest", target);
	nputs(t, "mediatype", mt);
	if (size >= 0)
		varint(t, "size", size);
}

static void snapshot(struct _test_data_ctrd *self, const char *ns,
		     const char *key, const char *parent, int n, int id,
		     int kind, const char *bparent, long long size)
{
	char bkey[256], rel[PATH_MAX];
	unsigned char k = kind, idv = id;
	struct node *b;

	snprintf(bkey, sizeof(bkey), "%s/%d/%s", ns, n, key);
	b = npath(&self->meta, NSNAP(ns), key, NULL);
	nputs(b, "name", bkey);
	if (parent)
		nputs(b, "parent", parent);
	b = npath(&self->snap, "v1", "snapshots", bkey, NULL);
	nput(b, "id", &idv, 1);
	nput(b, "kind", &k, 1);
	if (bparent)
		nputs(b, "parent", bparent);
	if (size >= 0)
		varint(b, "size", size);
	snprintf(rel, sizeof(rel), SNAPS "/%d/fs", id);
	mkdirs(self->root, rel);
	snprintf(rel, sizeof(rel), SNAPS "/%d/work", id);
	mkdirs(self->root, rel);
}

/* The three committed layers of demo in @ns: keys <ns>/{2,4,6}/<chain>. */
static void demo_layers(struct _test_data_ctrd *self, const char *ns, int id0)
{
	char bk[3][256];
	int i;

	for (i = 0; i < 3; i++) {
		snprintf(bk[i], sizeof(bk[i]), "%s/%d/%s", ns, 2 * i + 2,
			 chain_ids[i]);
		snapshot(self, ns, chain_ids[i], i ? chain_ids[i - 1] : NULL,
			 2 * i + 2, id0 + i, CTRD_KIND_COMMITTED,
			 i ? bk[i - 1] : NULL, sizes[i]);
	}
}

static void config_json(char *buf, size_t size, int n)
{
	int len, i;

	len = snprintf(buf, size,
		       "{\"architecture\":\"amd64\",\"os\":\"linux\",\"created\":\"2026-01-02T03:04:05Z\",\"history\":[{\"created_by\":\"COPY a /\"},{\"created_by\":\"ENV x=1\",\"empty_layer\":true},{\"created_by\":\"COPY b /\"},{\"created_by\":\"COPY c /\"}],\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[");
	for (i = 0; i < n; i++)
		len += snprintf(buf + len, size - len, "%s\"%s\"", i ? "," : "",
				diff_ids[i]);
	snprintf(buf + len, size - len, "]}}");
}

static void manifest_json(char *buf, size_t size, const char *config,
			  size_t csize, int n)
{
	int len, i;

	len = snprintf(buf, size,
		       "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.docker.distribution.manifest.v2+json\",\"config\":{\"mediaType\":\"application/vnd.docker.container.image.v1+json\",\"size\":%zu,\"digest\":\"%s\"},\"layers\":[",
		       csize, config);
	for (i = 0; i < n; i++)
		len += snprintf(buf + len, size - len,
				"%s{\"mediaType\":\"application/vnd.docker.image.rootfs.diff.tar\",\"size\":1024,\"digest\":\"%s\"}",
				i ? "," : "", diff_ids[i]);
	snprintf(buf + len, size - len, "]}");
}

#define MT_MANIFEST	"application/vnd.docker.distribution.manifest.v2+json"
#define MT_INDEX	"application/vnd.oci.image.index.v1+json"
#define ZERO62		"00000000000000000000000000000000000000000000000000000000000000"

/* An index's manifest descriptor for linux/@arch[/@variant]. */
static void plat_desc(char *buf, size_t size, const char *digest, size_t len,
		      const char *arch, const char *variant)
{
	snprintf(buf, size,
		 "{\"mediaType\":\"%s\",\"size\":%zu,\"digest\":\"%s\",\"platform\":{\"architecture\":\"%s\",\"os\":\"linux\"%s%s%s}}",
		 MT_MANIFEST, len, digest, arch, variant ? ",\"variant\":\"" : "",
		 variant ? variant : "", variant ? "\"" : "");
}

FIXTURE_SETUP(ctrd)
{
	static const char * const all[] = { "default", "moby", "k8s.io", NULL };
	static const char * const k8s[] = { "k8s.io", NULL };
	char cfg[2048], man[2048], idx[2048], plat[512], d1[512], d2[512];
	char bk[256], cont[STORE_HEX_LEN + 1];
	unsigned char ver = 6;	/* varint 3 */
	struct node *c;

	snprintf(self->root, sizeof(self->root), "/tmp/ctrd_test.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->root));
	mkdirs(self->root, CTRD_BLOBS);
	mkdirs(self->root, "io.containerd.metadata.v1.bolt");
	nput(npath(&self->meta, "v1", NULL), "version", &ver, 1);

	/* demo: a docker v2 manifest of 3 layers, in default and moby */
	config_json(cfg, sizeof(cfg), 3);
	blob(self, cfg, all, self->config);
	manifest_json(man, sizeof(man), self->config, strlen(cfg), 3);
	blob(self, man, all, self->manifest);
	image(self, "default", DEMO, self->manifest, MT_MANIFEST, strlen(man));
	image(self, "default", "docker.io/library/demo:v1", self->manifest,
	      MT_MANIFEST, strlen(man));
	image(self, "moby", DEMO, self->manifest, MT_MANIFEST, strlen(man));
	demo_layers(self, "default", 1);
	demo_layers(self, "moby", 4);
	nputs(npath(&self->meta, "v1", "default", "content", "blob",
		    self->config, "labels", NULL),
	      "containerd.io/gc.ref.snapshot.overlayfs", chain_ids[2]);

	/* localhost/other:1, the base layer of demo only (default) */
	config_json(cfg, sizeof(cfg), 1);
	blob(self, cfg, all, self->config2);
	manifest_json(man, sizeof(man), self->config2, strlen(cfg), 1);
	blob(self, man, all, bk);
	image(self, "default", "localhost/other:1", bk, MT_MANIFEST,
	      strlen(man));

	/* k8s.io: an index, arm64 (blob absent) before amd64 */
	config_json(cfg, sizeof(cfg), 2);
	blob(self, cfg, k8s, self->config_k8s);
	manifest_json(man, sizeof(man), self->config_k8s, strlen(cfg), 2);
	blob(self, man, k8s, bk);
	plat_desc(d1, sizeof(d1), "sha256:" ZERO62 "01", 100, "arm64", NULL);
	plat_desc(d2, sizeof(d2), "sha256:" ZERO62 "02", 200, CTRD_ARCH, "v3");
	plat_desc(plat, sizeof(plat), bk, strlen(man), CTRD_ARCH, NULL);
	/* arm64, amd64/v3 (both absent), the manifest for this machine */
	snprintf(idx, sizeof(idx),
		 "{\"schemaVersion\":2,\"mediaType\":\"%s\",\"manifests\":[%s,%s,%s]}",
		 MT_INDEX, d1, d2, plat);
	blob(self, idx, k8s, self->index);
	image(self, "k8s.io", "docker.io/library/multi:latest", self->index,
	      MT_INDEX, strlen(idx));
	snapshot(self, "k8s.io", chain_ids[0], NULL, 3, 9, CTRD_KIND_COMMITTED,
		 NULL, 20480);
	snprintf(bk, sizeof(bk), "k8s.io/3/%s", chain_ids[0]);
	snapshot(self, "k8s.io", chain_ids[1], chain_ids[0], 5, 10,
		 CTRD_KIND_COMMITTED, bk, 8192);

	/* default: ctr snapshots prepare ctr1-rw <top>, and a container */
	snprintf(bk, sizeof(bk), "default/6/%s", chain_ids[2]);
	snapshot(self, "default", "ctr1-rw", chain_ids[2], 7, 7,
		 CTRD_KIND_ACTIVE, bk, -1);
	snapshot(self, "default", "web-snap", chain_ids[2], 8, 8,
		 CTRD_KIND_ACTIVE, bk, -1);
	c = npath(&self->meta, "v1", "default", "containers", "web", NULL);
	nputs(c, "image", DEMO);
	nputs(c, "snapshotter", "overlayfs");
	nputs(c, "snapshotKey", "web-snap");
	nputs(npath(c, "labels", NULL), "nerdctl/name", "webby");
	/* time.MarshalBinary of 2026-01-02T03:04:05.5Z */
	nput(c, "createdat", "\x01\x00\x00\x00\x0e\xe0\xe9\x2c\xa5"
	     "\x1d\xcd\x65\x00\xff\xff", 15);
	/* a CRI-style container whose ID shares 63 digits with demo's ID */
	memcpy(cont, self->config + 7, sizeof(cont));
	cont[63] = cont[63] == '0' ? '1' : '0';
	snprintf(bk, sizeof(bk), "default/1/%s", chain_ids[0]);
	snapshot(self, "default", cont, chain_ids[0], 11, 11,
		 CTRD_KIND_ACTIVE, bk, -1);
	snapshot(self, "default", "ctr1-view", chain_ids[2], 12, 12,
		 CTRD_KIND_VIEW, "default/6/x", -1);
}

FIXTURE_TEARDOWN(ctrd)
{
	if (self->opened)
		store_close(&self->st);
	nfree(&self->meta);
	nfree(&self->snap);
	nftw(self->root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Write both databases, open the store in @ns: its result. */
static int fx_open(struct _test_data_ctrd *self, const char *ns)
{
	char path[PATH_MAX];
	int ret;

	snprintf(path, sizeof(path), "%s/%s", self->root, CTRD_META_DB);
	wdb_file(&self->meta, path);
	snprintf(path, sizeof(path), "%s/%s", self->root, CTRD_SNAP_DB);
	wdb_file(&self->snap, path);
	if (self->opened)
		store_close(&self->st);
	/*
	 * store_open() runs ctrd_store_ops.open(), store_close() its close;
	 * "" is the default namespace here, NULL for store_open().
	 */
	ret = store_open(&self->st, self->root, "containerd",
			 ns[0] ? ns : NULL);
	self->opened = !ret;
	return ret;
}

/* Resolving @what fails with a message containing @msg. */
#define EXPECT_REFUSED(what, msg) do {					\
	struct store_chain __c;						\
									\
	ASSERT_EQ(-1, ctrd_store_ops.resolve(&self->st, what, &__c));	\
	EXPECT_NE(NULL, strstr(self->st.err, msg))			\
		TH_LOG("%s", self->st.err);				\
	EXPECT_EQ(0, __c.nr);						\
} while (0)

static void check_demo(struct __test_metadata *_metadata,
		       const struct store_chain *c, int id0, const char *ns)
{
	char name[STORE_NAME_SIZE], bkey[256], id[8];
	struct stat sb;
	int i;

	ASSERT_EQ(3, c->nr);
	for (i = 0; i < 3; i++) {
		const struct store_layer *l = &c->layers[i];

		EXPECT_STREQ(diff_ids[i], l->diff_id);
		EXPECT_STREQ(chain_ids[i], l->chain_id);
		EXPECT_STREQ(i ? chain_ids[i - 1] : "", l->parent_chain);
		snprintf(id, sizeof(id), "%d", id0 + i);
		EXPECT_STREQ(id, l->cache_id);
		EXPECT_EQ(sizes[i], l->size);
		EXPECT_EQ(i + 1, l->depth);
		snprintf(bkey, sizeof(bkey), "%s/%d/%s", ns, 2 * i + 2,
			 chain_ids[i]);
		ctrd_layer_name(chain_ids[i], bkey, name);
		EXPECT_STREQ(name, l->name);
		EXPECT_EQ(26, strlen(l->name));
		EXPECT_STREQ(i ? c->layers[i - 1].name : "", l->parent);
		ASSERT_LE(0, l->diff_fd);
		ASSERT_EQ(0, fstat(l->diff_fd, &sb));
		EXPECT_TRUE(S_ISDIR(sb.st_mode));
	}
}

TEST_F(ctrd, chain_ids_are_the_test_vectors)
{
	char out[STORE_ID_SIZE];

	store_chain_id(chain_ids[0], diff_ids[1], out);
	EXPECT_STREQ(chain_ids[1], out);
	store_chain_id(chain_ids[1], diff_ids[2], out);
	EXPECT_STREQ(chain_ids[2], out);
}

TEST_F(ctrd, image_by_name_gives_the_committed_chain_bottom_first)
{
	static const char * const forms[] = {
		"demo", "demo:latest", "library/demo", "docker.io/demo",
		"docker.io/library/demo", DEMO, "index.docker.io/library/demo",
	};
	struct store_chain c;
	size_t i;

	ASSERT_EQ(0, fx_open(self, ""));
	for (i = 0; i < ARRAY_SIZE(forms); i++) {
		ASSERT_EQ(0, ctrd_store_ops.resolve(&self->st, forms[i], &c))
			TH_LOG("%s: %s", forms[i], self->st.err);
		EXPECT_EQ(STORE_IMAGE, c.kind);
		EXPECT_STREQ(self->config, c.id);
		EXPECT_STREQ(DEMO, c.ref);
		check_demo(_metadata, &c, 1, "default");
		store_chain_free(&c);
	}
	ASSERT_EQ(0, ctrd_store_ops.resolve(&self->st, "demo:v1", &c));
	EXPECT_STREQ("docker.io/library/demo:v1", c.ref);
	store_chain_free(&c);
	ASSERT_EQ(0, ctrd_store_ops.resolve(&self->st, "localhost/other:1", &c));
	EXPECT_EQ(1, c.nr);
	EXPECT_STREQ(self->config2, c.id);
	store_chain_free(&c);
	EXPECT_REFUSED("other:1", "no such image or container");
	EXPECT_REFUSED("demo:v2", "namespace default");
}

TEST_F(ctrd, image_by_config_manifest_digest_and_prefix)
{
	char what[80];
	struct store_chain c;

	ASSERT_EQ(0, fx_open(self, "default"));
	ASSERT_EQ(0, ctrd_store_ops.resolve(&self->st, self->config, &c));
	EXPECT_STREQ(self->config, c.id);
	EXPECT_STREQ("", c.ref);
	store_chain_free(&c);
	/* 64 hex digits: the image, though a container ID differs in one */
	ASSERT_EQ(0, ctrd_store_ops.resolve(&self->st, self->config + 7, &c));
	EXPECT_EQ(STORE_IMAGE, c.kind);
	store_chain_free(&c);
	ASSERT_EQ(0, ctrd_store_ops.resolve(&self->st, self->manifest, &c));
	EXPECT_STREQ(self->config, c.id);
	store_chain_free(&c);
	snprintf(what, sizeof(what), "sha256:%.12s", self->config + 7);
	ASSERT_EQ(0, ctrd_store_ops.resolve(&self->st, what, &c))
		TH_LOG("%s", self->st.err);
	EXPECT_STREQ(self->config, c.id);
	store_chain_free(&c);
	/* the same 12 digits without sha256: also name the container */
	snprintf(what, sizeof(what), "%.12s", self->config + 7);
	EXPECT_REFUSED(what, "is ambiguous");
	EXPECT_NE(NULL, strstr(self->st.err, "container"));
	EXPECT_NE(NULL, strstr(self->st.err, "image sha256:"));
}

TEST_F(ctrd, namespaces_keep_their_own_snapshots)
{
	struct store_chain d, m;
	size_t i;

	ASSERT_EQ(0, fx_open(self, "moby"));
	ASSERT_EQ(0, ctrd_store_ops.resolve(&self->st, "demo", &m))
		TH_LOG("%s", self->st.err);
	check_demo(_metadata, &m, 4, "moby");
	EXPECT_REFUSED("localhost/other:1", "namespace moby");
	ASSERT_EQ(0, fx_open(self, "default"));
	ASSERT_EQ(0, ctrd_store_ops.resolve(&self->st, "demo", &d));
	for (i = 0; i < 3; i++)
		EXPECT_STRNE(d.layers[i].name, m.layers[i].name);
	store_chain_free(&d);
	store_chain_free(&m);
}

TEST_F(ctrd, index_gives_the_manifest_of_this_platform)
{
	struct store_chain c;

	ASSERT_EQ(0, fx_open(self, "k8s.io"));
	ASSERT_EQ(0, ctrd_store_ops.resolve(&self->st, "multi", &c))
		TH_LOG("%s", self->st.err);
	EXPECT_STREQ(self->config_k8s, c.id);
	ASSERT_EQ(2, c.nr);
	EXPECT_STREQ("9", c.layers[0].cache_id);
	EXPECT_STREQ("10", c.layers[1].cache_id);
	store_chain_free(&c);
	ASSERT_EQ(0, ctrd_store_ops.resolve(&self->st, self->index, &c));
	EXPECT_STREQ(self->config_k8s, c.id);
	store_chain_free(&c);
	/* default's image is not visible in k8s.io */
	EXPECT_REFUSED("demo", "namespace k8s.io");
}

TEST_F(ctrd, missing_namespace_is_refused_naming_those_there_are)
{
	ASSERT_EQ(-1, fx_open(self, "nope"));
	EXPECT_NE(NULL, strstr(self->st.err,
			       "meta.db: no namespace 'nope' (namespaces: default, k8s.io, moby)"))
		TH_LOG("%s", self->st.err);
}

TEST_F(ctrd, active_snapshot_is_a_container_with_upper_and_work)
{
	char path[PATH_MAX], want[PATH_MAX];
	struct store_container m;
	struct store_chain c;
	struct stat a, b;

	ASSERT_EQ(0, fx_open(self, ""));
	ASSERT_EQ(0, ctrd_store_ops.resolve(&self->st, "ctr1-rw", &c))
		TH_LOG("%s", self->st.err);
	EXPECT_EQ(STORE_CONTAINER, c.kind);
	EXPECT_STREQ("ctr1-rw", c.id);
	EXPECT_STREQ("7", c.mount_id);
	check_demo(_metadata, &c, 1, "default");
	ASSERT_LE(0, c.upper_fd);
	ASSERT_LE(0, c.work_fd);
	ASSERT_LE(0, c.rw_dirfd);
	ASSERT_EQ(0, ctrd_store_ops.upper_path(&self->st, &c, path,
					       sizeof(path)));
	snprintf(want, sizeof(want), "%s/" SNAPS "/7/fs", self->root);
	EXPECT_STREQ(want, path);
	ASSERT_EQ(0, stat(want, &a));
	ASSERT_EQ(0, fstat(c.upper_fd, &b));
	EXPECT_EQ(a.st_ino, b.st_ino);
	ASSERT_EQ(0, ctrd_store_ops.work_path(&self->st, &c, path,
					      sizeof(path)));
	snprintf(want, sizeof(want), "%s/" SNAPS "/7/work", self->root);
	EXPECT_STREQ(want, path);
	store_chain_free(&c);

	ASSERT_EQ(0, ctrd_store_ops.resolve(&self->st, "web", &c))
		TH_LOG("%s", self->st.err);
	EXPECT_STREQ("8", c.mount_id);
	EXPECT_STREQ(DEMO, c.ref);
	store_chain_free(&c);
	ASSERT_EQ(1, ctrd_store_ops.container_meta(&self->st, "web", &m));
	EXPECT_STREQ("webby", m.name);
	EXPECT_STREQ(DEMO, m.image_ref);
	EXPECT_STREQ(self->config, m.image);
	EXPECT_STREQ("2026-01-02T03:04:05.500000000Z", m.created);
	EXPECT_EQ(0, ctrd_store_ops.container_meta(&self->st, "gone", &m));
}

TEST_F(ctrd, listings)
{
	struct store_layer *l;
	struct store_id *ids;
	char refs[512];
	size_t nr, i;

	ASSERT_EQ(0, fx_open(self, "default"));
	ASSERT_EQ(0, ctrd_store_ops.list_images(&self->st, &ids, &nr))
		TH_LOG("%s", self->st.err);
	ASSERT_EQ(2, nr);
	for (i = 0; i < nr; i++)
		if (!strcmp(ids[i].id, self->config + 7))
			break;
	ASSERT_LT(i, nr);
	ASSERT_EQ(0, ctrd_store_ops.image_refs(&self->st, ids[i].id, refs,
					       sizeof(refs)));
	EXPECT_STREQ(DEMO ", docker.io/library/demo:v1", refs);
	ASSERT_EQ(0, ctrd_store_ops.image_created(&self->st, self->config,
						  refs, sizeof(refs)));
	EXPECT_STREQ("2026-01-02T03:04:05Z", refs);
	free(ids);

	/* containers: ctr1-rw, web, the CRI one; not web-snap nor a view */
	ASSERT_EQ(0, ctrd_store_ops.list_containers(&self->st, &ids, &nr))
		TH_LOG("%s", self->st.err);
	ASSERT_EQ(3, nr);
	for (i = 0; i < nr; i++) {
		if (i)
			EXPECT_GT(0, strcmp(ids[i - 1].id, ids[i].id));
		EXPECT_TRUE(!strcmp(ids[i].id, "ctr1-rw") ||
			    !strcmp(ids[i].id, "web") ||
			    strlen(ids[i].id) == STORE_HEX_LEN) TH_LOG("%s", ids[i].id);
	}
	free(ids);

	ASSERT_EQ(0, ctrd_store_ops.list_layers(&self->st, &l, &nr))
		TH_LOG("%s", self->st.err);
	ASSERT_EQ(3, nr);
	for (i = 0; i < nr; i++) {
		EXPECT_EQ(i + 1, l[i].depth);
		EXPECT_EQ(-1, l[i].diff_fd);
	}
	free(l);
}

/* ---- refusals ------------------------------------------------------- */

TEST_F(ctrd, blob_digest_mismatch_is_refused)
{
	char rel[PATH_MAX], buf[2048];

	config_json(buf, sizeof(buf), 3);
	buf[strlen(buf) - 3] = ' ';	/* the same size, other bytes */
	snprintf(rel, sizeof(rel), CTRD_BLOBS "/%s", self->config + 7);
	put(self->root, rel, buf, strlen(buf));
	ASSERT_EQ(0, fx_open(self, ""));
	snprintf(buf, sizeof(buf), "blobs/sha256/%s: digest mismatch: sha256:",
		 self->config + 7);
	EXPECT_REFUSED("demo", buf);
}

TEST_F(ctrd, oversize_blob_is_refused_unread)
{
	char rel[256], path[PATH_MAX];

	snprintf(rel, sizeof(rel), CTRD_BLOBS "/%s", self->manifest + 7);
	snprintf(path, sizeof(path), "%s/%s", self->root, rel);
	ASSERT_EQ(0, truncate(path, CTRD_BLOB_MAX + 1));
	ASSERT_EQ(0, fx_open(self, ""));
	EXPECT_REFUSED("demo", "too large");
}

TEST_F(ctrd, bad_json_is_refused)
{
	char digest[STORE_ID_SIZE];
	static const char * const def[] = { "default", NULL };

	blob(self, "{\"schemaVersion\": 2,", def, digest);
	image(self, "default", "localhost/bad:1", digest, MT_MANIFEST, 20);
	ASSERT_EQ(0, fx_open(self, ""));
	EXPECT_REFUSED("localhost/bad:1", "JSON");
}

TEST_F(ctrd, unknown_mediatype_and_bad_digest_are_refused)
{
	image(self, "default", "localhost/odd:1", self->manifest,
	      "application/x-tar", 1);
	image(self, "default", "localhost/nodigest:1", "sha256:xyz",
	      MT_MANIFEST, 1);
	ASSERT_EQ(0, fx_open(self, ""));
	EXPECT_REFUSED("localhost/odd:1",
		       "'application/x-tar': not an image index or manifest");
	EXPECT_REFUSED("localhost/nodigest:1",
		       "meta.db: v1/default/images/localhost/nodigest:1: target digest: not a sha256 digest");
}

TEST_F(ctrd, blob_of_another_namespace_is_refused)
{
	ndel(npath(&self->meta, "v1", "default", "content", "blob", NULL),
	     self->config);
	ASSERT_EQ(0, fx_open(self, ""));
	EXPECT_REFUSED("demo", "is not in namespace default");
}

TEST_F(ctrd, parent_mismatch_is_refused)
{
	nputs(npath(&self->meta, NSNAP("default"), chain_ids[2], NULL),
	      "parent", chain_ids[0]);
	ASSERT_EQ(0, fx_open(self, ""));
	EXPECT_REFUSED("demo", "parent is 'sha256:d319");
}

TEST_F(ctrd, snapshotter_parent_mismatch_is_refused)
{
	char bkey[256];

	snprintf(bkey, sizeof(bkey), "default/6/%s", chain_ids[2]);
	nputs(npath(&self->snap, "v1", "snapshots", bkey, NULL), "parent",
	      "default/1/x");
	ASSERT_EQ(0, fx_open(self, ""));
	EXPECT_REFUSED("demo", "metadata.db: v1/snapshots/default/6/");
}

TEST_F(ctrd, kind_mismatches_are_refused)
{
	unsigned char active = CTRD_KIND_ACTIVE;
	struct store_chain c;
	char bkey[256];

	ASSERT_EQ(0, fx_open(self, ""));
	ASSERT_EQ(-1, ctrd_store_ops.container_chain(&self->st, chain_ids[2],
						     &c));
	EXPECT_NE(NULL, strstr(self->st.err, "kind is committed, not active"))
		TH_LOG("%s", self->st.err);
	EXPECT_REFUSED("ctr1-view", "kind is view, not active");

	snprintf(bkey, sizeof(bkey), "default/4/%s", chain_ids[1]);
	nput(npath(&self->snap, "v1", "snapshots", bkey, NULL), "kind",
	     &active, 1);
	ASSERT_EQ(0, fx_open(self, ""));
	EXPECT_REFUSED("demo", "kind is active, an image layer is committed");
}

TEST_F(ctrd, missing_snapshots_are_refused)
{
	char bkey[256];

	snprintf(bkey, sizeof(bkey), "default/6/%s", chain_ids[2]);
	ndel(npath(&self->snap, "v1", "snapshots", NULL), bkey);
	ASSERT_EQ(0, fx_open(self, ""));
	EXPECT_REFUSED("demo",
		       "metadata.db: v1/snapshots/default/6/sha256:2151ece55f5ad2af597fbae7d1a147f05ed901d07e4f12f02fa353d6e9ce5d80: no such snapshot");
	ndel(npath(&self->meta, NSNAP("default"), NULL), chain_ids[2]);
	ASSERT_EQ(0, fx_open(self, ""));
	EXPECT_REFUSED("demo", "layer 3 is not unpacked in namespace default");
}

TEST_F(ctrd, fs_symlink_out_of_the_root_is_refused)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/" SNAPS "/2/fs", self->root);
	ASSERT_EQ(0, rmdir(path));
	ASSERT_EQ(0, symlink("/tmp", path));
	ASSERT_EQ(0, fx_open(self, ""));
	EXPECT_REFUSED("demo", "snapshots/2/fs: is or passes through a symbolic link (refused)");
	EXPECT_REFUSED("ctr1-rw", "snapshots/2/fs");
}

TEST_F(ctrd, missing_work_dir_of_a_container_is_refused)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/" SNAPS "/7/work", self->root);
	ASSERT_EQ(0, rmdir(path));
	ASSERT_EQ(0, fx_open(self, ""));
	EXPECT_REFUSED("ctr1-rw", "snapshots/7/work: No such file");
}

TEST_F(ctrd, manifest_and_config_layer_counts_must_agree)
{
	char cfg[2048], man[2048], d[STORE_ID_SIZE], m[STORE_ID_SIZE];
	static const char * const def[] = { "default", NULL };

	config_json(cfg, sizeof(cfg), 2);
	blob(self, cfg, def, d);
	manifest_json(man, sizeof(man), d, strlen(cfg), 3);
	blob(self, man, def, m);
	image(self, "default", "localhost/short:1", m, MT_MANIFEST,
	      strlen(man));
	ASSERT_EQ(0, fx_open(self, ""));
	EXPECT_REFUSED("localhost/short:1",
		       "rootfs.diff_ids has 2 layers, the manifest 3");
}

static int count_fds(void)
{
	char path[64];
	int fd, n = 0;

	for (fd = 0; fd < 1024; fd++) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		n += !access(path, F_OK);
	}
	return n;
}

TEST_F(ctrd, freed_chains_and_listings_leave_no_descriptor_open)
{
	struct store_layer *l;
	struct store_id *ids;
	struct store_chain c;
	size_t nr;
	int before;

	ASSERT_EQ(0, fx_open(self, ""));
	before = count_fds();
	ASSERT_EQ(0, ctrd_store_ops.resolve(&self->st, "demo", &c));
	/* a descriptor per layer, and the snapshots directory */
	EXPECT_EQ(before + 4, count_fds());
	store_chain_free(&c);
	ASSERT_EQ(0, ctrd_store_ops.resolve(&self->st, "ctr1-rw", &c));
	store_chain_free(&c);
	ASSERT_EQ(0, ctrd_store_ops.list_layers(&self->st, &l, &nr));
	free(l);
	ASSERT_EQ(0, ctrd_store_ops.list_containers(&self->st, &ids, &nr));
	free(ids);
	/* the snapshots directory stays open with the store */
	EXPECT_EQ(before + 1, count_fds());
	EXPECT_REFUSED("nothing-here", "no such image or container");
	EXPECT_EQ(before + 1, count_fds());
}

TEST_F(ctrd, layer_paths_stat_and_file_hash)
{
	char path[PATH_MAX], want[PATH_MAX], hex[STORE_HEX_LEN + 1];
	char rel[256], expect[STORE_HEX_LEN + 1];
	struct store_chain c;
	struct stat a, b;

	snprintf(rel, sizeof(rel), SNAPS "/2/fs/hello");
	put(self->root, rel, "hello\n", 6);
	sha256_hex("hello\n", 6, expect);
	ASSERT_EQ(0, fx_open(self, ""));
	ASSERT_EQ(0, ctrd_store_ops.resolve(&self->st, "demo", &c));
	ASSERT_EQ(0, ctrd_store_ops.layer_path(&self->st, &c.layers[1], path,
					       sizeof(path)));
	snprintf(want, sizeof(want), "%s/" SNAPS "/2/fs", self->root);
	EXPECT_STREQ(want, path);
	ASSERT_EQ(0, ctrd_store_ops.layer_stat(&self->st, &c.layers[1], &a));
	ASSERT_EQ(0, fstat(c.layers[1].diff_fd, &b));
	EXPECT_EQ(a.st_ino, b.st_ino);
	ASSERT_EQ(0, ctrd_store_ops.layer_file_sha256(&self->st, &c.layers[1],
						      "hello", hex))
		TH_LOG("%s", self->st.err);
	EXPECT_STREQ(expect, hex);
	EXPECT_EQ(-1, ctrd_store_ops.layer_file_sha256(&self->st, &c.layers[1],
						       "../../1/fs/hello", hex));
	EXPECT_EQ(1, ctrd_store_ops.layer_created_by(&self->st, chain_ids[1],
						     hex, sizeof(hex)));
	EXPECT_STREQ("COPY b /", hex);
	EXPECT_EQ(0, ctrd_store_ops.layer_created_by(&self->st, diff_ids[1],
						     hex, sizeof(hex)));
	store_chain_free(&c);
}

TEST_F(ctrd, cri_names_by_image_id_are_one_image)
{
	struct store_id *ids;
	struct store_chain c;
	char refs[512];
	size_t nr;

	image(self, "default", self->config, self->manifest, MT_MANIFEST, -1);
	ASSERT_EQ(0, fx_open(self, ""));
	ASSERT_EQ(0, ctrd_store_ops.resolve(&self->st, self->config, &c))
		TH_LOG("%s", self->st.err);
	store_chain_free(&c);
	ASSERT_EQ(0, ctrd_store_ops.list_images(&self->st, &ids, &nr));
	EXPECT_EQ(2, nr);
	free(ids);
	ASSERT_EQ(0, ctrd_store_ops.image_refs(&self->st, self->config, refs,
					       sizeof(refs)));
	EXPECT_NE(NULL, strstr(refs, self->config));
}

TEST_F(ctrd, descriptor_size_and_snapshot_name_mismatches_are_refused)
{
	char bkey[256];

	image(self, "default", "localhost/size:1", self->manifest, MT_MANIFEST,
	      12);
	ASSERT_EQ(0, fx_open(self, ""));
	EXPECT_REFUSED("localhost/size:1", "the descriptor says 12");

	snprintf(bkey, sizeof(bkey), "moby/2/%s", chain_ids[0]);
	nputs(npath(&self->meta, NSNAP("default"), chain_ids[0], NULL), "name",
	      bkey);
	ASSERT_EQ(0, fx_open(self, ""));
	EXPECT_REFUSED("demo", "is not default/<n>/sha256:d319");
}

TEST_F(ctrd, index_without_this_platform_is_refused)
{
	char idx[2048], d1[512], d2[512], digest[STORE_ID_SIZE];
	static const char * const def[] = { "default", NULL };

	plat_desc(d1, sizeof(d1), "sha256:" ZERO62 "01", 100, "arm64", NULL);
	plat_desc(d2, sizeof(d2), "sha256:" ZERO62 "02", 100, "s390x", NULL);
	snprintf(idx, sizeof(idx), "{\"manifests\":[%s,%s]}", d1, d2);
	blob(self, idx, def, digest);
	image(self, "default", "localhost/arm:1", digest, MT_INDEX,
	      strlen(idx));
	ASSERT_EQ(0, fx_open(self, ""));
	EXPECT_REFUSED("localhost/arm:1", "no manifest for linux/" CTRD_ARCH);
}

TEST_F(ctrd, container_of_another_snapshotter_is_refused_and_not_listed)
{
	struct store_id *ids;
	struct node *c;
	size_t nr, i;

	c = npath(&self->meta, "v1", "default", "containers", "nat", NULL);
	nputs(c, "image", DEMO);
	nputs(c, "snapshotter", "native");
	nputs(c, "snapshotKey", "nat");
	ASSERT_EQ(0, fx_open(self, ""));
	ASSERT_EQ(0, ctrd_store_ops.list_containers(&self->st, &ids, &nr));
	EXPECT_EQ(3, nr);
	for (i = 0; i < nr; i++)
		EXPECT_STRNE("nat", ids[i].id);
	free(ids);
	EXPECT_REFUSED("nat", "v1/default/containers/nat: snapshotter is not overlayfs");
}

TEST_HARNESS_MAIN
