// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests of the store reader: a good Docker overlay2 store is written
 * into a temporary directory for every test, then broken in one place;
 * every refusal must name the file it could not use.
 *
 * Built with the kselftest harness, which the Makefile extracts from the
 * kernel source package at build time.
 */

#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/evp.h>
#include "kselftest_harness.h"
#include "../store.h"

#define NLAYERS	3
#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif
#define REPOS_FMT "{\"Repositories\":{" \
	"\"demo\":{\"demo:latest\":\"sha256:%s\",\"demo:v1\":\"sha256:%s\"}," \
	"\"other\":{\"other:latest\":\"sha256:%s\"}}}"

struct fx_layer {
	char diff[STORE_ID_SIZE];
	char chain[STORE_ID_SIZE];
	char cache[STORE_HEX_LEN + 1];
	char name[STORE_NAME_SIZE];
};

static void sha256_hex(const void *data, size_t len, char *out)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n, i;

	if (!EVP_Digest(data, len, md, &n, EVP_sha256(), NULL))
		abort();
	for (i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", md[i]);
}

/* mkdir -p of the directory part of @path. */
static void mkparents(const char *path)
{
	char buf[PATH_MAX], *p;

	snprintf(buf, sizeof(buf), "%s", path);
	for (p = buf + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		if (mkdir(buf, 0755) && errno != EEXIST)
			abort();
		*p = '/';
	}
}

/* snprintf() into a PATH_MAX buffer; a macro so the format is checked. */
#define fpath(out, fmt, ...) do {					\
	if (snprintf(out, PATH_MAX, fmt, ##__VA_ARGS__) >= PATH_MAX)	\
		abort();						\
} while (0)

static void put(const char *root, const char *rel, const char *data,
		size_t len)
{
	char path[PATH_MAX];
	int fd;

	fpath(path, "%s/%s", root, rel);
	mkparents(path);
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, data, len) != (ssize_t)len || close(fd))
		abort();
}

#define putf(root, rel, fmt, ...) do {					\
	char __buf[8192];						\
	int __n = snprintf(__buf, sizeof(__buf), fmt, ##__VA_ARGS__);	\
									\
	if (__n >= (int)sizeof(__buf))					\
		abort();						\
	put(root, rel, __buf, __n);					\
} while (0)

static void mkdir_rel(const char *root, const char *rel)
{
	char path[PATH_MAX];

	fpath(path, "%s/%s/", root, rel);
	mkparents(path);
}

static void symlink_rel(const char *root, const char *rel, const char *target)
{
	char path[PATH_MAX];

	fpath(path, "%s/%s", root, rel);
	mkparents(path);
	unlink(path);
	if (symlink(target, path))
		abort();
}

static int rm_one(const char *path, const struct stat *sb, int type,
		  struct FTW *ftw)
{
	(void)sb;
	(void)type;
	(void)ftw;
	return remove(path);
}

static void rm_rf(const char *path)
{
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void rm_rel(const char *root, const char *rel)
{
	char path[PATH_MAX];

	fpath(path, "%s/%s", root, rel);
	rm_rf(path);
}

/* One overlay2/<cache> directory with its link, l/ entry and lower. */
static void put_cache(const char *root, const char *cache, const char *name,
		      const char *lower)
{
	char rel[PATH_MAX], target[PATH_MAX];

	fpath(rel, "overlay2/%s/diff", cache);
	mkdir_rel(root, rel);
	fpath(rel, "overlay2/%s/link", cache);
	put(root, rel, name, strlen(name));
	fpath(rel, "overlay2/l/%s", name);
	fpath(target, "../%s/diff", cache);
	symlink_rel(root, rel, target);
	if (lower) {
		fpath(rel, "overlay2/%s/lower", cache);
		put(root, rel, lower, strlen(lower));
		fpath(rel, "overlay2/%s/work", cache);
		mkdir_rel(root, rel);
	}
}

/* Config JSON for @diffs; returns its ID's hex in @hex. */
static void put_config(const char *root, struct fx_layer *l, int n,
		       const char *extra, char *hex)
{
	char buf[4096], rel[PATH_MAX];
	int len, i;

	len = snprintf(buf, sizeof(buf), "{\"os\":\"linux\",%s", extra);
	len += snprintf(buf + len, sizeof(buf) - len,
			"\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[");
	for (i = 0; i < n; i++)
		len += snprintf(buf + len, sizeof(buf) - len, "%s\"%s\"",
				i ? "," : "", l[i].diff);
	len += snprintf(buf + len, sizeof(buf) - len, "]}}");
	sha256_hex(buf, len, hex);
	fpath(rel, "image/overlay2/imagedb/content/sha256/%s", hex);
	put(root, rel, buf, len);
}

/* Raw config bytes stored under their own ID. */
static void put_raw_config(const char *root, const char *data, char *hex)
{
	char rel[PATH_MAX];

	sha256_hex(data, strlen(data), hex);
	fpath(rel, "image/overlay2/imagedb/content/sha256/%s", hex);
	put(root, rel, data, strlen(data));
}

static void put_layerdb(const char *root, struct fx_layer *l, int i)
{
	char rel[PATH_MAX];

	fpath(rel, "image/overlay2/layerdb/sha256/%s/diff", l[i].chain + 7);
	put(root, rel, l[i].diff, strlen(l[i].diff));
	if (i) {
		fpath(rel, "image/overlay2/layerdb/sha256/%s/parent",
		      l[i].chain + 7);
		put(root, rel, l[i - 1].chain, strlen(l[i - 1].chain));
	}
	fpath(rel, "image/overlay2/layerdb/sha256/%s/cache-id", l[i].chain + 7);
	put(root, rel, l[i].cache, strlen(l[i].cache));
	fpath(rel, "image/overlay2/layerdb/sha256/%s/size", l[i].chain + 7);
	putf(root, rel, "%d", 1000 * (i + 1));
}

/* "l/<n-1>:...:l/<0>" for the layers below index @n. */
static char *lower_of(struct fx_layer *l, int n, char *buf)
{
	int i, len = 0;

	buf[0] = '\0';
	for (i = n - 1; i >= 0; i--)
		len += sprintf(buf + len, "%sl/%s", i == n - 1 ? "" : ":",
			       l[i].name);
	return n ? buf : NULL;
}

static void make_layer(struct fx_layer *l, int i, const char *tag)
{
	char hex[STORE_HEX_LEN + 1];
	char data[64];
	int j;

	snprintf(data, sizeof(data), "diff-%s", tag);
	sha256_hex(data, strlen(data), hex);
	snprintf(l[i].diff, sizeof(l[i].diff), "sha256:%s", hex);
	store_chain_id(i ? l[i - 1].chain : "", l[i].diff, l[i].chain);
	snprintf(data, sizeof(data), "cache-%s", tag);
	sha256_hex(data, strlen(data), l[i].cache);
	for (j = 0; j < STORE_SHORT_LEN; j++)
		l[i].name[j] = 'A' + (tag[0] + j) % 26;
	l[i].name[STORE_SHORT_LEN] = '\0';
}

FIXTURE(store) {
	char root[PATH_MAX];
	struct store st;
	struct store_chain c;
	struct fx_layer l[NLAYERS];	/* demo: base, middle, top */
	struct fx_layer o[NLAYERS];	/* other: base, middle, own top */
	char img[STORE_HEX_LEN + 1];
	char other[STORE_HEX_LEN + 1];
	char cid[STORE_HEX_LEN + 1];
	char mid[STORE_HEX_LEN + 1];
	char init_name[STORE_NAME_SIZE];
	char rw_name[STORE_NAME_SIZE];
};

static void build_store(struct _test_data_store *self)
{
	static const char * const tags[NLAYERS] = { "a", "b", "c" };
	const char *r = self->root;
	char rel[PATH_MAX], lower[4096], extra[64];
	int i, n;

	for (i = 0; i < NLAYERS; i++) {
		make_layer(self->l, i, tags[i]);
		put_layerdb(r, self->l, i);
		put_cache(r, self->l[i].cache, self->l[i].name,
			  lower_of(self->l, i, lower));
	}
	put_config(r, self->l, NLAYERS, "", self->img);

	/* "other" shares the two lower layers; its ID shares img[0]. */
	memcpy(self->o, self->l, 2 * sizeof(self->l[0]));
	make_layer(self->o, 2, "d");
	put_layerdb(r, self->o, 2);
	put_cache(r, self->o[2].cache, self->o[2].name,
		  lower_of(self->o, 2, lower));
	for (n = 0; ; n++) {
		snprintf(extra, sizeof(extra), "\"n\":%d,", n);
		put_config(r, self->o, NLAYERS, extra, self->other);
		if (self->other[0] == self->img[0])
			break;
		fpath(rel, "image/overlay2/imagedb/content/sha256/%s",
		      self->other);
		rm_rel(r, rel);
	}
	putf(r, "image/overlay2/repositories.json", REPOS_FMT, self->img,
	     self->img, self->other);

	/* A container of demo whose ID starts like the image IDs. */
	sha256_hex("container", 9, self->cid);
	self->cid[0] = self->img[0] == 'f' ? 'e' : 'f';
	sha256_hex("mount", 5, self->mid);
	fpath(rel, "image/overlay2/layerdb/mounts/%s/mount-id", self->cid);
	put(r, rel, self->mid, STORE_HEX_LEN);
	fpath(rel, "image/overlay2/layerdb/mounts/%s/init-id", self->cid);
	putf(r, rel, "%s-init", self->mid);
	fpath(rel, "image/overlay2/layerdb/mounts/%s/parent", self->cid);
	put(r, rel, self->l[2].chain, strlen(self->l[2].chain));

	snprintf(self->init_name, sizeof(self->init_name), "%s",
		 "INITINITINITINITINITINIT22");
	snprintf(self->rw_name, sizeof(self->rw_name), "%s",
		 "RWRWRWRWRWRWRWRWRWRWRWRW33");
	fpath(rel, "%s-init", self->mid);
	put_cache(r, rel, self->init_name, lower_of(self->l, NLAYERS, lower));
	n = snprintf(lower, sizeof(lower), "l/%s:", self->init_name);
	lower_of(self->l, NLAYERS, lower + n);
	put_cache(r, self->mid, self->rw_name, lower);
}

FIXTURE_SETUP(store)
{
	snprintf(self->root, sizeof(self->root), "/tmp/layerctl-test.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->root));
	build_store(self);
	ASSERT_EQ(0, store_open(&self->st, self->root, NULL, NULL));
	memset(&self->c, 0, sizeof(self->c));
}

FIXTURE_TEARDOWN(store)
{
	store_chain_free(&self->c);
	store_close(&self->st);
	rm_rf(self->root);
}

/* Resolve @what and expect a refusal whose message contains @needle. */
#define EXPECT_REFUSED(what, needle) do {				\
	ASSERT_EQ(-1, store_resolve(&self->st, (what), &self->c));	\
	TH_LOG("%s", self->st.err);					\
	ASSERT_NE(NULL, strstr(self->st.err, (needle)));		\
} while (0)

static char *ldb_path(struct _test_data_store *self, int i,
		      const char *file, char *buf)
{
	fpath(buf, "image/overlay2/layerdb/sha256/%s%s%s", self->l[i].chain + 7,
	      file[0] ? "/" : "", file);
	return buf;
}

static char *cachef(struct _test_data_store *self, int i, const char *file,
		    char *buf)
{
	fpath(buf, "overlay2/%s/%s", self->l[i].cache, file);
	return buf;
}

TEST_F(store, kind_is_told_from_the_root)
{
	EXPECT_STREQ("docker", store_kind_name(&self->st));
	EXPECT_STREQ("default", self->st.ns);
}

/* Test vectors of DOCKER-FORMAT.md: parent chain, diff ID, chain ID. */
static const char * const vectors[][3] = {
	{
		"sha256:5dacd731af1b0386ead06c8b1feff9f65d9e0bdfec032d2cd0bc03690698feda",
		"sha256:dd0338cdfab32cdddd6c30efe8c89d0229d9f939e2bb736fbb0a52f27c2b0ee9",
		"sha256:166d13b0f0cb542034a2aef1c034ee2271e1d6aaee4490f749e72d1c04449c5b",
	}, {
		"sha256:c6c89a36c214d7ecf7a684bf0fc21692dd60e9f204f48545bcb4085185166031",
		"sha256:bd0f2368b7ff2649b60c162b722e2ef3c1a9eb5b9a9c6e7dccc6a9f8ba555dec",
		"sha256:b758e555d22ee9d83852d14c90d936cfce1a62182b2bd218472dccb9e7be98a4",
	},
};

TEST(chain_id_matches_docker_test_vectors)
{
	char out[STORE_ID_SIZE];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(vectors); i++) {
		store_chain_id(vectors[i][0], vectors[i][1], out);
		EXPECT_STREQ(vectors[i][2], out);
	}
	/* A base layer's chain ID is its diff ID. */
	store_chain_id("", vectors[1][1], out);
	EXPECT_STREQ(vectors[1][1], out);
}

TEST(id_syntax)
{
	const char *good = vectors[0][2];
	char id[STORE_ID_SIZE + 1];

	EXPECT_TRUE(store_valid_id(good));
	snprintf(id, sizeof(id), "%s", good);
	id[7] = 'A';
	EXPECT_FALSE(store_valid_id(id));
	snprintf(id, sizeof(id), "%.70s", good);
	EXPECT_FALSE(store_valid_id(id));
	snprintf(id, sizeof(id), "%sa", good);
	EXPECT_FALSE(store_valid_id(id));
	snprintf(id, sizeof(id), "sha512:%s", good + 7);
	EXPECT_FALSE(store_valid_id(id));
	EXPECT_FALSE(store_valid_id(good + 7));
	EXPECT_TRUE(store_valid_hex(good + 7));
	EXPECT_TRUE(store_valid_short("ABCDEFGHIJKLMNOPQRSTUVWXYZ"));
	EXPECT_TRUE(store_valid_short("234567234567234567234567AB"));
	EXPECT_FALSE(store_valid_short("ABCDEFGHIJKLMNOPQRSTUVWXY1"));
	EXPECT_FALSE(store_valid_short("abcdefghijklmnopqrstuvwxyz"));
	EXPECT_FALSE(store_valid_short("ABCDEFGHIJKLMNOPQRSTUVWXY"));
	EXPECT_FALSE(store_valid_short("../../../../../../../../ab"));
}

TEST_F(store, image_by_name_and_tag_gives_the_chain_bottom_first)
{
	int i;

	ASSERT_EQ(0, store_resolve(&self->st, "demo:v1", &self->c));
	EXPECT_EQ(STORE_IMAGE, self->c.kind);
	EXPECT_STREQ("demo:v1", self->c.ref);
	ASSERT_EQ(NLAYERS, self->c.nr);
	for (i = 0; i < NLAYERS; i++) {
		EXPECT_STREQ(self->l[i].diff, self->c.layers[i].diff_id);
		EXPECT_STREQ(self->l[i].chain, self->c.layers[i].chain_id);
		EXPECT_STREQ(self->l[i].cache, self->c.layers[i].cache_id);
		EXPECT_STREQ(self->l[i].name, self->c.layers[i].name);
		EXPECT_STREQ(i ? self->l[i - 1].name : "",
			     self->c.layers[i].parent);
		EXPECT_EQ(1000 * (i + 1), self->c.layers[i].size);
		EXPECT_EQ(i + 1, self->c.layers[i].depth);
		EXPECT_FALSE(self->c.layers[i].init);
	}
}

TEST_F(store, image_name_without_tag_means_latest)
{
	ASSERT_EQ(0, store_resolve(&self->st, "demo", &self->c));
	EXPECT_STREQ("demo:latest", self->c.ref);
	EXPECT_EQ(0, strcmp(self->c.id + 7, self->img));
}

TEST_F(store, docker_io_library_prefix_is_the_familiar_name)
{
	ASSERT_EQ(0, store_resolve(&self->st, "docker.io/library/other",
				   &self->c));
	EXPECT_EQ(0, strcmp(self->c.id + 7, self->other));
	EXPECT_STREQ(self->o[2].name, self->c.layers[2].name);
}

TEST_F(store, image_by_full_id_with_and_without_sha256)
{
	char id[STORE_ID_SIZE];

	ASSERT_EQ(0, store_resolve(&self->st, self->img, &self->c));
	EXPECT_EQ(NLAYERS, self->c.nr);
	store_chain_free(&self->c);
	snprintf(id, sizeof(id), "sha256:%s", self->img);
	ASSERT_EQ(0, store_resolve(&self->st, id, &self->c));
	EXPECT_STREQ(id, self->c.id);
}

TEST_F(store, image_by_unique_prefix)
{
	char prefix[16];
	int n;

	/* The shortest prefix that tells img and other apart. */
	for (n = 1; self->img[n - 1] == self->other[n - 1]; n++)
		;
	snprintf(prefix, sizeof(prefix), "sha256:%.*s", n, self->img);
	ASSERT_EQ(0, store_resolve(&self->st, prefix, &self->c));
	EXPECT_EQ(0, strcmp(self->c.id + 7, self->img));
}

TEST_F(store, ambiguous_prefix_is_refused)
{
	char prefix[16];

	snprintf(prefix, sizeof(prefix), "sha256:%c", self->img[0]);
	EXPECT_REFUSED(prefix, "ambiguous");
	EXPECT_NE(NULL, strstr(self->st.err, "2 images"));
}

TEST_F(store, prefix_matching_image_and_container_is_ambiguous)
{
	char prefix[2] = { self->img[0], '\0' };

	/* Make the container ID start like the images. */
	char from[PATH_MAX], to[PATH_MAX];

	fpath(from, "%s/image/overlay2/layerdb/mounts/%s", self->root,
	      self->cid);
	self->cid[0] = self->img[0];
	fpath(to, "%s/image/overlay2/layerdb/mounts/%s", self->root,
	      self->cid);
	ASSERT_EQ(0, rename(from, to));
	EXPECT_REFUSED(prefix, "1 container");
}

TEST_F(store, unknown_name_is_refused)
{
	EXPECT_REFUSED("nosuch:latest", "no such image or container");
	EXPECT_NE(NULL, strstr(self->st.err, self->root));
	EXPECT_REFUSED("demo:v2", "no such image or container");
	EXPECT_REFUSED("sha256:0123", "no such image or container");
	EXPECT_REFUSED("", "no such image or container");
}

TEST_F(store, container_chain_has_the_init_layer_on_top)
{
	struct store_layer *init;

	ASSERT_EQ(0, store_resolve(&self->st, self->cid, &self->c));
	EXPECT_EQ(STORE_CONTAINER, self->c.kind);
	EXPECT_STREQ(self->mid, self->c.mount_id);
	ASSERT_EQ(NLAYERS + 1, self->c.nr);
	EXPECT_STREQ(self->l[0].name, self->c.layers[0].name);
	EXPECT_STREQ(self->l[2].chain, self->c.layers[2].chain_id);
	init = &self->c.layers[NLAYERS];
	EXPECT_TRUE(init->init);
	EXPECT_STREQ(self->init_name, init->name);
	EXPECT_STREQ(self->l[2].name, init->parent);
	EXPECT_STREQ("", init->diff_id);
	EXPECT_EQ(-1, init->size);
}

/* The inode number of @root/@rel, or 0. */
static ino_t ino_of(const char *root, const char *rel)
{
	char path[PATH_MAX];
	struct stat st;

	fpath(path, "%s/%s", root, rel);
	return stat(path, &st) ? 0 : st.st_ino;
}

static ino_t fd_ino(int fd)
{
	struct stat st;

	return fstat(fd, &st) ? 0 : st.st_ino;
}

/*
 * Swap overlay2/@cache with a look-alike (same link and lower files, a
 * diff and work of its own) after the check: what the chain holds is
 * still the directory that was checked.
 */
static void swap_in_lookalike(const char *root, const char *cache)
{
	char a[PATH_MAX], b[PATH_MAX], cmd[3 * PATH_MAX];

	fpath(a, "%s/overlay2/%s", root, cache);
	fpath(b, "%s/overlay2/%s.checked", root, cache);
	if (snprintf(cmd, sizeof(cmd), "cp -a %s %s.new && mv %s %s && mv %s.new %s",
		     a, a, a, b, a, a) >= (int)sizeof(cmd) || system(cmd))
		abort();
}

TEST_F(store, resolved_image_holds_the_directories_it_verified)
{
	char rel[PATH_MAX];
	ino_t diff[NLAYERS];
	int i;

	for (i = 0; i < NLAYERS; i++)
		diff[i] = ino_of(self->root, cachef(self, i, "diff", rel));
	ASSERT_EQ(0, store_resolve(&self->st, "demo", &self->c));
	ASSERT_EQ(NLAYERS, self->c.nr);
	for (i = 0; i < NLAYERS; i++)
		swap_in_lookalike(self->root, self->l[i].cache);
	for (i = 0; i < NLAYERS; i++) {
		ASSERT_LE(0, self->c.layers[i].diff_fd);
		EXPECT_NE(diff[i], ino_of(self->root, cachef(self, i, "diff", rel)));
		EXPECT_EQ(diff[i], fd_ino(self->c.layers[i].diff_fd));
	}
}

TEST_F(store, resolved_container_holds_its_verified_upper_and_work)
{
	char rel[PATH_MAX];
	ino_t diff, work;

	fpath(rel, "overlay2/%s/diff", self->mid);
	diff = ino_of(self->root, rel);
	fpath(rel, "overlay2/%s/work", self->mid);
	work = ino_of(self->root, rel);
	ASSERT_EQ(0, store_resolve(&self->st, self->cid, &self->c));
	swap_in_lookalike(self->root, self->mid);
	EXPECT_NE(work, ino_of(self->root, rel));
	EXPECT_EQ(diff, fd_ino(self->c.upper_fd));
	EXPECT_EQ(work, fd_ino(self->c.work_fd));
	/* O_RDONLY, as fsconfig(FSCONFIG_SET_FD) needs. */
	EXPECT_EQ(O_RDONLY, fcntl(self->c.upper_fd, F_GETFL) & (O_ACCMODE | O_PATH));
	EXPECT_EQ(O_RDONLY, fcntl(self->c.work_fd, F_GETFL) & (O_ACCMODE | O_PATH));
}

/* How many descriptors this process has open. */
static int open_fds(void)
{
	struct dirent *de;
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	while (d && (de = readdir(d)))
		n += de->d_name[0] != '.';
	if (d)
		closedir(d);
	return n;
}

TEST_F(store, freed_chains_and_listings_leave_no_descriptor_open)
{
	struct store_layer *layers;
	char rel[PATH_MAX];
	int before;
	size_t nr;

	/* overlay2 and overlay2/l stay open with the store: open them first. */
	ASSERT_EQ(0, store_resolve(&self->st, "demo", &self->c));
	store_chain_free(&self->c);
	before = open_fds();
	ASSERT_EQ(0, store_resolve(&self->st, self->cid, &self->c));
	EXPECT_LT(before, open_fds());
	store_chain_free(&self->c);
	EXPECT_EQ(before, open_fds());
	ASSERT_EQ(0, store_list_layers(&self->st, &layers, &nr));
	EXPECT_EQ(before, open_fds());
	free(layers);
	/* A refusal half way through leaves nothing open either. */
	rm_rel(self->root, cachef(self, 2, "lower", rel));
	ASSERT_EQ(-1, store_resolve(&self->st, self->cid, &self->c));
	EXPECT_EQ(before, open_fds());
}

#define DEEP_LAYERS	300

/*
 * A container whose image is @n layers deep, built on the fixture's
 * store. Short names are the layer index in base 32 (A-Z, 2-7).
 */
static void build_deep_container(const char *root, int n, char *cid)
{
	static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	struct fx_layer *l = calloc(n, sizeof(*l));
	size_t lower_size = (size_t)(n + 1) * (STORE_SHORT_LEN + 3) + 1;
	char *lower = malloc(lower_size);
	char rel[PATH_MAX], mid[STORE_HEX_LEN + 1], tag[32];
	int i, j, len;

	if (!l || !lower)
		abort();
	for (i = 0; i < n; i++) {
		snprintf(tag, sizeof(tag), "deep-%d", i);
		make_layer(l, i, tag);
		for (j = 0; j < STORE_SHORT_LEN; j++)
			l[i].name[j] = j < 4 ? b32[(i >> (5 * j)) & 31] : 'Q';
		put_layerdb(root, l, i);
		put_cache(root, l[i].cache, l[i].name, lower_of(l, i, lower));
	}
	sha256_hex("deep container", 14, cid);
	sha256_hex("deep mount", 10, mid);
	fpath(rel, "image/overlay2/layerdb/mounts/%s/mount-id", cid);
	put(root, rel, mid, STORE_HEX_LEN);
	fpath(rel, "image/overlay2/layerdb/mounts/%s/init-id", cid);
	putf(root, rel, "%s-init", mid);
	fpath(rel, "image/overlay2/layerdb/mounts/%s/parent", cid);
	put(root, rel, l[n - 1].chain, strlen(l[n - 1].chain));
	fpath(rel, "%s-init", mid);
	put_cache(root, rel, "INITINITINITINITINITDEEP22", lower_of(l, n, lower));
	len = snprintf(lower, lower_size, "l/INITINITINITINITINITDEEP22:");
	lower_of(l, n, lower + len);
	put_cache(root, mid, "RWRWRWRWRWRWRWRWRWRWRWDEEP", lower);
	free(lower);
	free(l);
}

/*
 * RLIMIT_NOFILE is often a hard 4096 in containers, as deep as a chain
 * may go: a resolved chain holds one descriptor per layer (its diff
 * directory), not two. Here 300 layers under a limit of 400.
 */
TEST_F(store, deep_chain_holds_one_descriptor_per_layer)
{
	struct rlimit rl = { .rlim_cur = 400, .rlim_max = 400 };
	char cid[STORE_HEX_LEN + 1];
	size_t i;

	build_deep_container(self->root, DEEP_LAYERS, cid);
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &rl));
	ASSERT_EQ(0, store_container_chain(&self->st, cid, &self->c))
		TH_LOG("%s", self->st.err);
	ASSERT_EQ(DEEP_LAYERS + 1, self->c.nr);
	for (i = 0; i < self->c.nr; i++) {
		EXPECT_EQ(-1, self->c.layers[i].dirfd);
		EXPECT_LE(0, self->c.layers[i].diff_fd);
		EXPECT_EQ(i + 1, self->c.layers[i].depth);
	}
	EXPECT_GT(DEEP_LAYERS + 16, open_fds());
}

TEST_F(store, container_by_prefix)
{
	char prefix[8];

	snprintf(prefix, sizeof(prefix), "%.6s", self->cid);
	ASSERT_EQ(0, store_resolve(&self->st, prefix, &self->c));
	EXPECT_STREQ(self->cid, self->c.id);
}

TEST_F(store, list_layers_gives_every_layer_once)
{
	struct store_layer *all;
	size_t nr, i;
	int inits = 0;

	ASSERT_EQ(0, store_list_layers(&self->st, &all, &nr));
	EXPECT_EQ(NLAYERS + 2, nr);
	/* Bottom first: 1, 2, 3 (demo's top and other's), 4 (init). */
	EXPECT_STREQ(self->l[0].name, all[0].name);
	EXPECT_EQ(1, all[0].depth);
	EXPECT_EQ(2, all[1].depth);
	EXPECT_EQ(3, all[2].depth);
	EXPECT_EQ(3, all[3].depth);
	EXPECT_EQ(4, all[4].depth);
	EXPECT_TRUE(all[4].init);
	for (i = 0; i < nr; i++) {
		if (!strcmp(all[i].name, self->l[1].name))
			EXPECT_STREQ(self->l[0].name, all[i].parent);
		if (!strcmp(all[i].name, self->o[2].name))
			EXPECT_STREQ(self->l[1].name, all[i].parent);
		inits += all[i].init;
	}
	EXPECT_EQ(1, inits);
	free(all);
}

TEST_F(store, white_space_around_ids_is_trimmed_as_dockerd_does)
{
	char rel[PATH_MAX];

	putf(self->root, ldb_path(self, 1, "cache-id", rel), "%s\n",
	     self->l[1].cache);
	putf(self->root, ldb_path(self, 1, "diff", rel), " %s\n",
	     self->l[1].diff);
	ASSERT_EQ(0, store_resolve(&self->st, "demo", &self->c));
}

TEST_F(store, missing_diff_file_is_refused)
{
	char rel[PATH_MAX];

	rm_rel(self->root, ldb_path(self, 1, "diff", rel));
	EXPECT_REFUSED("demo", rel);
	EXPECT_NE(NULL, strstr(self->st.err, "No such file"));
}

TEST_F(store, missing_cache_id_is_refused)
{
	char rel[PATH_MAX];

	rm_rel(self->root, ldb_path(self, 2, "cache-id", rel));
	EXPECT_REFUSED("demo", rel);
}

TEST_F(store, missing_size_is_refused)
{
	char rel[PATH_MAX];

	rm_rel(self->root, ldb_path(self, 0, "size", rel));
	EXPECT_REFUSED("demo", rel);
}

TEST_F(store, missing_layerdb_directory_is_refused)
{
	char rel[PATH_MAX];

	rm_rel(self->root, ldb_path(self, 1, "", rel));
	EXPECT_REFUSED("demo", rel);
}

TEST_F(store, missing_layer_diff_directory_is_refused)
{
	char rel[PATH_MAX];

	rm_rel(self->root, cachef(self, 0, "diff", rel));
	EXPECT_REFUSED("demo", rel);
}

TEST_F(store, missing_link_is_refused)
{
	char rel[PATH_MAX];

	rm_rel(self->root, cachef(self, 1, "link", rel));
	EXPECT_REFUSED("demo", rel);
}

TEST_F(store, missing_l_entry_is_refused)
{
	char rel[PATH_MAX];

	fpath(rel, "overlay2/l/%s", self->l[2].name);
	rm_rel(self->root, rel);
	EXPECT_REFUSED("demo", rel);
}

TEST_F(store, missing_repositories_json_still_allows_ids)
{
	rm_rel(self->root, "image/overlay2/repositories.json");
	EXPECT_REFUSED("demo", "no such image");
	store_chain_free(&self->c);
	ASSERT_EQ(0, store_resolve(&self->st, self->img, &self->c));
}

TEST_F(store, diff_file_that_differs_from_the_config_is_refused)
{
	char rel[PATH_MAX];

	put(self->root, ldb_path(self, 1, "diff", rel), self->l[2].diff,
	    strlen(self->l[2].diff));
	EXPECT_REFUSED("demo", rel);
	EXPECT_NE(NULL, strstr(self->st.err, "image config lists"));
}

TEST_F(store, parent_file_that_differs_from_the_chain_is_refused)
{
	char rel[PATH_MAX];

	put(self->root, ldb_path(self, 2, "parent", rel), self->l[0].chain,
	    strlen(self->l[0].chain));
	EXPECT_REFUSED("demo", rel);
}

TEST_F(store, parent_file_on_a_base_layer_is_refused)
{
	char rel[PATH_MAX];

	put(self->root, ldb_path(self, 0, "parent", rel), self->l[1].chain,
	    strlen(self->l[1].chain));
	EXPECT_REFUSED("demo", rel);
}

TEST_F(store, layerdb_directory_not_named_by_chain_id_is_refused)
{
	char rel[PATH_MAX];

	/* The container walks the parent files; make one skip a layer. */
	put(self->root, ldb_path(self, 2, "parent", rel), self->l[0].chain,
	    strlen(self->l[0].chain));
	EXPECT_REFUSED(self->cid, ldb_path(self, 2, "", rel));
	EXPECT_NE(NULL, strstr(self->st.err, "not the directory name"));
}

TEST_F(store, stray_layerdb_directory_is_refused_by_the_listing)
{
	char from[PATH_MAX], to[PATH_MAX];
	struct store_layer *all;
	size_t nr;

	fpath(from, "cp -a %s/%s %s/image/overlay2/layerdb/sha256/%064d",
	      self->root, ldb_path(self, 1, "", to), self->root, 7);
	ASSERT_EQ(0, system(from));
	ASSERT_EQ(-1, store_list_layers(&self->st, &all, &nr));
	TH_LOG("%s", self->st.err);
	fpath(to, "image/overlay2/layerdb/sha256/%064d", 7);
	EXPECT_NE(NULL, strstr(self->st.err, to));
}

TEST_F(store, l_entry_pointing_to_another_layer_is_refused)
{
	char rel[PATH_MAX], target[PATH_MAX];

	fpath(rel, "overlay2/l/%s", self->l[1].name);
	fpath(target, "../%s/diff", self->l[0].cache);
	symlink_rel(self->root, rel, target);
	EXPECT_REFUSED("demo", rel);
	EXPECT_NE(NULL, strstr(self->st.err, "link says"));
}

TEST_F(store, l_entry_pointing_outside_the_root_is_refused)
{
	char rel[PATH_MAX];

	fpath(rel, "overlay2/l/%s", self->l[0].name);
	symlink_rel(self->root, rel, "../../../../../../etc");
	EXPECT_REFUSED("demo", rel);
	store_chain_free(&self->c);
	symlink_rel(self->root, rel, "/etc");
	EXPECT_REFUSED("demo", rel);
}

TEST_F(store, l_entry_that_is_not_a_symlink_is_refused)
{
	char rel[PATH_MAX];

	fpath(rel, "overlay2/l/%s", self->l[0].name);
	rm_rel(self->root, rel);
	mkdir_rel(self->root, rel);
	EXPECT_REFUSED("demo", rel);
	EXPECT_NE(NULL, strstr(self->st.err, "not a symbolic link"));
}

TEST_F(store, link_that_is_no_short_name_is_refused)
{
	char rel[PATH_MAX];

	putf(self->root, cachef(self, 1, "link", rel), "../../etc");
	EXPECT_REFUSED("demo", rel);
	store_chain_free(&self->c);
	putf(self->root, rel, "%s\n", self->l[1].name);
	EXPECT_REFUSED("demo", rel);
}

TEST_F(store, link_naming_another_layers_short_name_is_refused)
{
	char rel[PATH_MAX];

	putf(self->root, cachef(self, 1, "link", rel), "%s", self->l[0].name);
	EXPECT_REFUSED("demo", rel);
}

TEST_F(store, lower_file_that_differs_from_the_chain_is_refused)
{
	char rel[PATH_MAX];

	putf(self->root, cachef(self, 2, "lower", rel), "l/%s:l/%s",
	     self->l[0].name, self->l[1].name);
	EXPECT_REFUSED("demo", rel);
}

TEST_F(store, lower_file_on_a_base_layer_is_refused)
{
	char rel[PATH_MAX];

	putf(self->root, cachef(self, 0, "lower", rel), "l/%s",
	     self->l[1].name);
	EXPECT_REFUSED("demo", rel);
}

TEST_F(store, cache_id_traversal_is_refused)
{
	char rel[PATH_MAX];

	putf(self->root, ldb_path(self, 1, "cache-id", rel), "../../etc");
	EXPECT_REFUSED("demo", rel);
	EXPECT_NE(NULL, strstr(self->st.err, "64 lower-case hex"));
}

TEST_F(store, symlinked_diff_directory_is_refused)
{
	char rel[PATH_MAX], target[PATH_MAX];

	cachef(self, 1, "diff", rel);
	rm_rel(self->root, rel);
	symlink_rel(self->root, rel, "/etc");
	EXPECT_REFUSED("demo", rel);
	EXPECT_NE(NULL, strstr(self->st.err, "symbolic link"));
	store_chain_free(&self->c);

	/* Relative and inside the root is refused too. */
	fpath(target, "../%s/diff", self->l[0].cache);
	symlink_rel(self->root, rel, target);
	EXPECT_REFUSED("demo", rel);
}

TEST_F(store, symlinked_metadata_file_is_refused)
{
	char rel[PATH_MAX], target[PATH_MAX];

	fpath(target, "%s/%s", self->root, ldb_path(self, 1, "cache-id", rel));
	rename(target, "/tmp/layerctl-test-cache-id");
	symlink_rel(self->root, rel, "/tmp/layerctl-test-cache-id");
	EXPECT_REFUSED("demo", rel);
	unlink("/tmp/layerctl-test-cache-id");
}

TEST_F(store, symlinked_store_directory_is_refused)
{
#define OUTSIDE "/tmp/layerctl-test-layerdb"
	char path[PATH_MAX];

	/* image/overlay2/layerdb -> a copy outside the root. */
	fpath(path, "rm -rf %s && mv %s/image/overlay2/layerdb %s", OUTSIDE,
	      self->root, OUTSIDE);
	ASSERT_EQ(0, system(path));
	symlink_rel(self->root, "image/overlay2/layerdb", OUTSIDE);
	/* the first use of it: the container names (layerdb/mounts) */
	EXPECT_REFUSED("demo", "image/overlay2/layerdb/");
	EXPECT_NE(NULL, strstr(self->st.err, "symbolic link"));
	rm_rf(OUTSIDE);
}

TEST_F(store, fifo_instead_of_a_file_is_refused_without_blocking)
{
	char rel[PATH_MAX], path[PATH_MAX];

	fpath(path, "%s/%s", self->root, ldb_path(self, 0, "size", rel));
	unlink(path);
	ASSERT_EQ(0, mkfifo(path, 0644));
	EXPECT_REFUSED("demo", rel);
	EXPECT_NE(NULL, strstr(self->st.err, "not a regular file"));
}

TEST_F(store, ids_that_are_not_64_hex_digits_are_refused)
{
	char rel[PATH_MAX], bad[STORE_HEX_LEN + 1];

	/* 63 digits */
	putf(self->root, ldb_path(self, 0, "cache-id", rel), "%.63s",
	     self->l[0].cache);
	EXPECT_REFUSED("demo", rel);
	store_chain_free(&self->c);
	putf(self->root, rel, "%s", self->l[0].cache);

	/* upper case */
	snprintf(bad, sizeof(bad), "%s", self->l[0].cache);
	bad[0] = 'A';
	putf(self->root, rel, "%s", bad);
	EXPECT_REFUSED("demo", rel);
	store_chain_free(&self->c);
	putf(self->root, rel, "%s", self->l[0].cache);

	/* a diff ID of another algorithm */
	putf(self->root, ldb_path(self, 0, "diff", rel), "sha512:%s",
	     self->l[0].diff + 7);
	EXPECT_REFUSED("demo", rel);
	store_chain_free(&self->c);
	putf(self->root, rel, "%s", self->l[0].diff);

	/* a container's mount-id */
	fpath(rel, "image/overlay2/layerdb/mounts/%s/mount-id", self->cid);
	putf(self->root, rel, "%s/../x", self->mid);
	EXPECT_REFUSED(self->cid, rel);
}

TEST_F(store, oversized_metadata_file_is_refused)
{
	char rel[PATH_MAX], big[8192];

	memset(big, 'a', sizeof(big));
	put(self->root, ldb_path(self, 1, "cache-id", rel), big, sizeof(big));
	EXPECT_REFUSED("demo", rel);
	EXPECT_NE(NULL, strstr(self->st.err, "too large"));
}

TEST_F(store, size_that_is_not_a_number_is_refused)
{
	char rel[PATH_MAX];

	putf(self->root, ldb_path(self, 1, "size", rel), "-12");
	EXPECT_REFUSED("demo", rel);
	store_chain_free(&self->c);
	putf(self->root, rel, "12\n");
	EXPECT_REFUSED("demo", rel);
}

TEST_F(store, config_that_does_not_match_its_id_is_refused)
{
	char rel[PATH_MAX];

	fpath(rel, "image/overlay2/imagedb/content/sha256/%s", self->img);
	putf(self->root, rel, "{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}");
	EXPECT_REFUSED("demo", rel);
	EXPECT_NE(NULL, strstr(self->st.err, "does not match its ID"));
}

static void config_refused(struct __test_metadata *_metadata,
			   struct _test_data_store *self, const char *json,
			   const char *why)
{
	char hex[STORE_HEX_LEN + 1], rel[PATH_MAX];

	put_raw_config(self->root, json, hex);
	fpath(rel, "image/overlay2/imagedb/content/sha256/%s", hex);
	EXPECT_REFUSED(hex, rel);
	EXPECT_NE(NULL, strstr(self->st.err, why));
	store_chain_free(&self->c);
}

TEST_F(store, truncated_config_json_is_refused)
{
	char json[4096];

	snprintf(json, sizeof(json),
		 "{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"%s\"",
		 self->l[0].diff);
	config_refused(_metadata, self, json, "truncated JSON");
	config_refused(_metadata, self, "", "truncated JSON");
	config_refused(_metadata, self, "{\"rootfs\":} ", "invalid JSON");
	config_refused(_metadata, self, "{} {}", "invalid JSON");
}

TEST_F(store, config_json_with_wrong_types_is_refused)
{
	char json[4096];

	config_refused(_metadata, self, "[]", "not a JSON object");
	config_refused(_metadata, self, "{\"rootfs\":[]}", "\"rootfs\"");
	config_refused(_metadata, self,
		       "{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":{}}}",
		       "diff_ids is not an array");
	config_refused(_metadata, self,
		       "{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":\"x\"}}",
		       "diff_ids is not an array");
	config_refused(_metadata, self,
		       "{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[1,2]}}",
		       "diff_ids[0] is not a string");
	config_refused(_metadata, self,
		       "{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}",
		       "has 0 layers");
	config_refused(_metadata, self,
		       "{\"rootfs\":{\"type\":\"tar\",\"diff_ids\":[]}}",
		       "rootfs.type");
	snprintf(json, sizeof(json),
		 "{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"%s\",\"sha256:12\"]}}",
		 self->l[0].diff);
	config_refused(_metadata, self, json, "diff_ids[1] is not a sha256 ID");
}

TEST_F(store, repositories_json_errors_name_the_file)
{
	const char *rel = "image/overlay2/repositories.json";

	putf(self->root, rel, "{\"Repositories\":{\"demo\":{\"demo:latest\":");
	EXPECT_REFUSED("demo", rel);
	EXPECT_NE(NULL, strstr(self->st.err, "truncated"));
	putf(self->root, rel, "{\"Repositories\":{\"demo\":[]}}");
	EXPECT_REFUSED("demo", rel);
	putf(self->root, rel, "{\"Repositories\":{\"demo\":{\"demo:latest\":42}}}");
	EXPECT_REFUSED("demo", rel);
	putf(self->root, rel, "{\"Repositories\":{\"demo\":{\"demo:latest\":\"sha256:../../x\"}}}");
	EXPECT_REFUSED("demo", rel);
	putf(self->root, rel, "{\"Repos\":{}}");
	EXPECT_REFUSED("demo", rel);
}

TEST_F(store, container_init_id_that_differs_from_mount_id_is_refused)
{
	char rel[PATH_MAX];

	fpath(rel, "image/overlay2/layerdb/mounts/%s/init-id", self->cid);
	putf(self->root, rel, "%s-init/../..", self->mid);
	EXPECT_REFUSED(self->cid, rel);
}

TEST_F(store, container_without_init_layer_is_refused)
{
	char rel[PATH_MAX];

	fpath(rel, "overlay2/%s-init/link", self->mid);
	rm_rel(self->root, rel);
	EXPECT_REFUSED(self->cid, rel);
}

TEST_F(store, container_without_work_directory_is_refused)
{
	char rel[PATH_MAX];

	fpath(rel, "overlay2/%s/work", self->mid);
	rm_rel(self->root, rel);
	EXPECT_REFUSED(self->cid, rel);
}

TEST_F(store, container_lower_file_is_checked)
{
	char rel[PATH_MAX];

	fpath(rel, "overlay2/%s/lower", self->mid);
	putf(self->root, rel, "l/%s", self->l[2].name);
	EXPECT_REFUSED(self->cid, rel);
}

TEST_F(store, container_parent_outside_the_layerdb_is_refused)
{
	char rel[PATH_MAX];

	fpath(rel, "image/overlay2/layerdb/mounts/%s/parent", self->cid);
	putf(self->root, rel, "sha256:%064d", 0);
	EXPECT_REFUSED(self->cid, "image/overlay2/layerdb/sha256/000000");
}

/*
 * containers/storage (podman 4.3.1) stores, written here: layers.json,
 * images.json, containers.json, overlay/<id>/{diff,link,lower,work} and
 * overlay/l/<link>. The values are those of a real store of the demo
 * image (STORES-FORMAT.md in the project notes, section 5): layer IDs,
 * links and diff IDs of podman's store, chain IDs of containerd's.
 */
#define CS_IMG	"fddac831e1f83431e857a12c562f33274a71391498493ffd70ba3e9513283b26"
#define CS_DIGEST "sha256:615183e3b2622bc857fa52cf374153b4a13c6a71e4ada5f94b10e38d80948045"

static const char * const cs_ids[NLAYERS] = {
	"d31938029373e876794b6ffe71bf72b085508f2ae0b97af1988d075579633190",
	"f969103ecda0a64c543791a83479c1c4827869206b5252035bb8167e5d27c44d",
	"ef2e868d6352c824b3d39bcda880a2f013d99fc26e7aefd940b284be6590ae96",
};

static const char * const cs_links[NLAYERS] = {
	"WUEUGJICV6SZCP2WC7VCB4PGOJ",
	"USDMMQ3TFNJ3RD6YMUC65DUPUS",
	"O4HNQQ4IOD77YRX6SW4O6ET5ZF",
};

static const char * const cs_diffs[NLAYERS] = {
	"sha256:d31938029373e876794b6ffe71bf72b085508f2ae0b97af1988d075579633190",
	"sha256:a246ca1341c8816247ae7b3623d2ab12fd0dfcc4830e3b57b4edb843ef69df34",
	"sha256:863b9c5d78ebb9afebd18e700da4b3550e0d9cbecf3af8cd714bb8e915170764",
};

/* chainIDs 1 (the diff ID), 2 and 3 of the demo image */
static const char * const cs_chains[NLAYERS] = {
	"sha256:d31938029373e876794b6ffe71bf72b085508f2ae0b97af1988d075579633190",
	"sha256:2133bb112534960f9d7e6bb30761088cfb664029d3a02357453f3652a4b27408",
	"sha256:2151ece55f5ad2af597fbae7d1a147f05ed901d07e4f12f02fa353d6e9ce5d80",
};

#define CS_RW_LINK	"NTVNCYD6S3LLTJDKDEOGKINUPG"

FIXTURE(cs) {
	char root[PATH_MAX];
	struct store st;
	struct store_chain c;
	char cid[STORE_HEX_LEN + 1];	/* container c1 */
	char rw[STORE_HEX_LEN + 1];	/* its layer */
	char bb[STORE_HEX_LEN + 1];	/* image busybox, on layer 0 */
	char layers[16384];		/* layers.json as written */
	char images[8192];
};

/* The layer directory of overlay/@id with its link, l/ entry and lower. */
static void cs_put_dir(const char *root, const char *id, const char *link,
		       const char *lower)
{
	char rel[PATH_MAX], target[PATH_MAX];

	fpath(rel, "overlay/%s/diff", id);
	mkdir_rel(root, rel);
	fpath(rel, "overlay/%s/work", id);
	mkdir_rel(root, rel);
	fpath(rel, "overlay/%s/link", id);
	put(root, rel, link, strlen(link));
	fpath(rel, "overlay/l/%s", link);
	fpath(target, "../%s/diff", id);
	symlink_rel(root, rel, target);
	if (lower) {
		fpath(rel, "overlay/%s/lower", id);
		put(root, rel, lower, strlen(lower));
	}
}

/* Replace the first @old in @buf by @new (which must be there). */
static void edit(char *buf, size_t size, const char *old, const char *new)
{
	char *p = strstr(buf, old), tmp[65536];

	if (!p || strlen(buf) - strlen(old) + strlen(new) >= size)
		abort();
	snprintf(tmp, sizeof(tmp), "%s%s", new, p + strlen(old));
	memcpy(p, tmp, strlen(tmp) + 1);
}

static void cs_write(struct _test_data_cs *self)
{
	put(self->root, "overlay-layers/layers.json", self->layers,
	    strlen(self->layers));
	put(self->root, "overlay-images/images.json", self->images,
	    strlen(self->images));
}

static void cs_build(struct _test_data_cs *self)
{
	const char *r = self->root;
	char lower[512];
	int n = 0, i;

	sha256_hex("c1", 2, self->cid);
	sha256_hex("c1-layer", 8, self->rw);
	sha256_hex("busybox", 7, self->bb);
	n += snprintf(self->layers + n, sizeof(self->layers) - n, "[");
	for (i = 0; i < NLAYERS; i++)
		n += snprintf(self->layers + n, sizeof(self->layers) - n,
			      "{\"id\":\"%s\",%s%s%s\"created\":\"2026-11-30T10:00:00Z\",\"compressed-diff-digest\":\"%s\",\"compressed-size\":%d,\"diff-digest\":\"%s\",\"diff-size\":%d,\"uidset\":[0],\"gidset\":[0]},\n",
			      cs_ids[i], i ? "\"parent\":\"" : "",
			      i ? cs_ids[i - 1] : "", i ? "\"," : "",
			      cs_diffs[i], 1000 * (i + 1), cs_diffs[i],
			      1000 * (i + 1));
	snprintf(self->layers + n, sizeof(self->layers) - n,
		 "{\"id\":\"%s\",\"names\":[\"c1-layer\"],\"parent\":\"%s\",\"created\":\"2026-11-30T10:01:00Z\"}]",
		 self->rw, cs_ids[2]);
	n = snprintf(self->images, sizeof(self->images),
		     "[{\"id\":\"%s\",\"digest\":\"%s\",\"names\":[\"localhost/demo:latest\"],\"layer\":\"%s\",\"metadata\":\"{}\",\"big-data-names\":[\"manifest\"],\"created\":\"2026-11-30T09:00:00Z\"},",
		     CS_IMG, CS_DIGEST, cs_ids[2]);
	snprintf(self->images + n, sizeof(self->images) - n,
		 "{\"id\":\"%s\",\"names\":[\"docker.io/library/busybox:latest\"],\"layer\":\"%s\",\"created\":\"2026-11-30T09:30:00Z\"}]",
		 self->bb, cs_ids[0]);
	putf(r, "overlay-containers/containers.json",
	     "[{\"id\":\"%s\",\"names\":[\"c1\"],\"image\":\"%s\",\"layer\":\"%s\",\"metadata\":\"{\\\"image-name\\\":\\\"localhost/demo:latest\\\",\\\"name\\\":\\\"c1\\\"}\",\"created\":\"2026-11-30T10:01:00Z\"}]",
	     self->cid, CS_IMG, self->rw);
	cs_write(self);
	for (i = 0, lower[0] = '\0'; i < NLAYERS; i++) {
		cs_put_dir(r, cs_ids[i], cs_links[i], i ? lower : NULL);
		n = snprintf(lower, sizeof(lower), "l/%s", cs_links[i]);
		if (i)
			snprintf(lower + n, sizeof(lower) - n, ":l/%s",
				 cs_links[i - 1]);
		if (i > 1)
			snprintf(lower + strlen(lower), sizeof(lower) - strlen(lower),
				 ":l/%s", cs_links[i - 2]);
	}
	cs_put_dir(r, self->rw, CS_RW_LINK, lower);
	mkdir_rel(r, "overlay/l");
}

FIXTURE_SETUP(cs)
{
	snprintf(self->root, sizeof(self->root), "/tmp/layerctl-cs.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->root));
	cs_build(self);
	ASSERT_EQ(0, store_open(&self->st, self->root, NULL, NULL));
	memset(&self->c, 0, sizeof(self->c));
}

FIXTURE_TEARDOWN(cs)
{
	store_chain_free(&self->c);
	store_close(&self->st);
	rm_rf(self->root);
}

/* After a change to the store: open it again (it is read at open). */
#define CS_REOPEN() do {						\
	store_close(&self->st);						\
	ASSERT_EQ(0, store_open(&self->st, self->root, NULL, NULL));	\
} while (0)

/* Opening the store fails, naming @needle. */
#define CS_OPEN_REFUSED(needle) do {					\
	store_close(&self->st);						\
	ASSERT_EQ(-1, store_open(&self->st, self->root, NULL, NULL));	\
	TH_LOG("%s", self->st.err);					\
	ASSERT_NE(NULL, strstr(self->st.err, (needle)));		\
} while (0)

/* Resolving @what fails, naming @needle. */
#define CS_REFUSED(what, needle) do {					\
	ASSERT_EQ(-1, store_resolve(&self->st, (what), &self->c));	\
	TH_LOG("%s", self->st.err);					\
	ASSERT_NE(NULL, strstr(self->st.err, (needle)));		\
} while (0)

static void cs_expect_demo(struct __test_metadata *_metadata,
			   const struct store_chain *c)
{
	int i;

	ASSERT_EQ(NLAYERS, c->nr);
	for (i = 0; i < NLAYERS; i++) {
		EXPECT_STREQ(cs_diffs[i], c->layers[i].diff_id);
		EXPECT_STREQ(cs_chains[i], c->layers[i].chain_id);
		EXPECT_STREQ(cs_ids[i], c->layers[i].cache_id);
		EXPECT_STREQ(cs_links[i], c->layers[i].name);
		EXPECT_STREQ(i ? cs_links[i - 1] : "", c->layers[i].parent);
		EXPECT_STREQ(i ? cs_chains[i - 1] : "",
			     c->layers[i].parent_chain);
		EXPECT_EQ(1000 * (i + 1), c->layers[i].size);
		EXPECT_EQ(i + 1, c->layers[i].depth);
		EXPECT_LE(0, c->layers[i].diff_fd);
		EXPECT_FALSE(c->layers[i].init);
	}
}

TEST_F(cs, kind_is_told_from_the_root)
{
	EXPECT_STREQ("containers", store_kind_name(&self->st));
	EXPECT_EQ(STORE_CONTAINERS, self->st.ops->type);
}

TEST_F(cs, image_by_stored_name_gives_the_chain_with_recomputed_chain_ids)
{
	ASSERT_EQ(0, store_resolve(&self->st, "localhost/demo:latest",
				   &self->c));
	EXPECT_EQ(STORE_IMAGE, self->c.kind);
	EXPECT_STREQ("sha256:" CS_IMG, self->c.id);
	EXPECT_STREQ("localhost/demo:latest", self->c.ref);
	cs_expect_demo(_metadata, &self->c);
}

TEST_F(cs, short_names_are_completed_as_podman_does)
{
	static const char * const refs[] = {
		"demo", "demo:latest", "localhost/demo",
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(refs); i++) {
		ASSERT_EQ(0, store_resolve(&self->st, refs[i], &self->c));
		EXPECT_STREQ("sha256:" CS_IMG, self->c.id);
		EXPECT_STREQ("localhost/demo:latest", self->c.ref);
		store_chain_free(&self->c);
	}
	ASSERT_EQ(0, store_resolve(&self->st, "busybox", &self->c));
	EXPECT_STREQ("docker.io/library/busybox:latest", self->c.ref);
	EXPECT_EQ(1, self->c.nr);
	store_chain_free(&self->c);
	ASSERT_EQ(0, store_resolve(&self->st, "docker.io/busybox", &self->c));
	EXPECT_EQ(1, self->c.nr);
}

TEST_F(cs, image_by_repo_and_digest)
{
	ASSERT_EQ(0, store_resolve(&self->st, "localhost/demo@" CS_DIGEST,
				   &self->c));
	EXPECT_STREQ("sha256:" CS_IMG, self->c.id);
}

TEST_F(cs, short_name_of_two_images_is_ambiguous_and_lists_them)
{
	edit(self->images, sizeof(self->images),
	     "\"docker.io/library/busybox:latest\"",
	     "\"docker.io/library/busybox:latest\",\"docker.io/library/demo:latest\"");
	cs_write(self);
	CS_REOPEN();
	CS_REFUSED("demo", "is ambiguous");
	EXPECT_NE(NULL, strstr(self->st.err, "localhost/demo:latest (fddac831e1f8)"));
	EXPECT_NE(NULL, strstr(self->st.err, "docker.io/library/demo:latest"));
	/* a name as stored is no short name */
	ASSERT_EQ(0, store_resolve(&self->st, "localhost/demo:latest",
				   &self->c));
	EXPECT_STREQ("sha256:" CS_IMG, self->c.id);
}

TEST_F(cs, image_by_full_id_and_unique_prefix)
{
	static const char * const refs[] = {
		CS_IMG, "sha256:" CS_IMG, "fddac", "sha256:fddac",
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(refs); i++) {
		ASSERT_EQ(0, store_resolve(&self->st, refs[i], &self->c));
		EXPECT_STREQ("sha256:" CS_IMG, self->c.id);
		cs_expect_demo(_metadata, &self->c);
		store_chain_free(&self->c);
	}
	CS_REFUSED("nosuch", "no such image or container");
}

TEST_F(cs, container_by_name_id_and_prefix_has_its_layer_as_upper)
{
	char prefix[8], path[PATH_MAX], want[PATH_MAX];
	const char * const refs[] = { "c1", self->cid, prefix };
	struct stat a, b;
	size_t i;

	snprintf(prefix, sizeof(prefix), "%.6s", self->cid);
	for (i = 0; i < ARRAY_SIZE(refs); i++) {
		ASSERT_EQ(0, store_resolve(&self->st, refs[i], &self->c));
		EXPECT_EQ(STORE_CONTAINER, self->c.kind);
		EXPECT_STREQ(self->cid, self->c.id);
		EXPECT_STREQ(self->rw, self->c.mount_id);
		cs_expect_demo(_metadata, &self->c);
		ASSERT_LE(0, self->c.upper_fd);
		ASSERT_LE(0, self->c.work_fd);
		fpath(want, "%s/overlay/%s/diff", self->root, self->rw);
		ASSERT_EQ(0, stat(want, &a));
		ASSERT_EQ(0, fstat(self->c.upper_fd, &b));
		EXPECT_EQ(a.st_ino, b.st_ino);
		ASSERT_EQ(0, store_upper_path(&self->st, &self->c, path,
					      sizeof(path)));
		EXPECT_STREQ(want, path);
		fpath(want, "%s/overlay/%s/work", self->root, self->rw);
		ASSERT_EQ(0, store_work_path(&self->st, &self->c, path,
					     sizeof(path)));
		EXPECT_STREQ(want, path);
		store_chain_free(&self->c);
	}
}

TEST_F(cs, listings_and_metadata)
{
	struct store_layer *layers;
	struct store_container m;
	struct store_id *ids;
	char buf[1024], path[PATH_MAX], want[PATH_MAX];
	size_t nr, i;

	ASSERT_EQ(0, store_list_images(&self->st, &ids, &nr));
	ASSERT_EQ(2, nr);
	EXPECT_TRUE(!strcmp(ids[0].id, CS_IMG) || !strcmp(ids[1].id, CS_IMG));
	free(ids);
	ASSERT_EQ(0, store_list_containers(&self->st, &ids, &nr));
	ASSERT_EQ(1, nr);
	EXPECT_STREQ(self->cid, ids[0].id);
	free(ids);
	/* the container's own layer is no layer of the store's images */
	ASSERT_EQ(0, store_list_layers(&self->st, &layers, &nr));
	ASSERT_EQ(NLAYERS, nr);
	for (i = 0; i < nr; i++) {
		EXPECT_STREQ(cs_chains[i], layers[i].chain_id);
		EXPECT_STREQ(cs_links[i], layers[i].name);
		EXPECT_EQ(-1, layers[i].diff_fd);
	}
	ASSERT_EQ(0, store_layer_path(&self->st, &layers[1], path,
				      sizeof(path)));
	fpath(want, "%s/overlay/%s/diff", self->root, cs_ids[1]);
	EXPECT_STREQ(want, path);
	free(layers);
	ASSERT_EQ(0, store_image_refs(&self->st, "sha256:" CS_IMG, buf,
				      sizeof(buf)));
	EXPECT_STREQ("localhost/demo:latest", buf);
	ASSERT_EQ(0, store_image_created(&self->st, CS_IMG, buf, sizeof(buf)));
	EXPECT_STREQ("2026-11-30T09:00:00Z", buf);
	ASSERT_EQ(1, store_container_meta(&self->st, self->cid, &m));
	EXPECT_STREQ("c1", m.name);
	EXPECT_STREQ("sha256:" CS_IMG, m.image);
	EXPECT_STREQ("localhost/demo:latest", m.image_ref);
	EXPECT_EQ(0, store_layer_created_by(&self->st, cs_chains[2], buf,
					    sizeof(buf)));
}

TEST_F(cs, layer_file_hash_is_read_beneath_the_layer)
{
	char rel[PATH_MAX], hex[STORE_HEX_LEN + 1], want[STORE_HEX_LEN + 1];

	ASSERT_EQ(0, store_resolve(&self->st, "demo", &self->c));
	fpath(rel, "overlay/%s/diff/hello", cs_ids[1]);
	put(self->root, rel, "hello\n", 6);
	sha256_hex("hello\n", 6, want);
	ASSERT_EQ(0, store_layer_file_sha256(&self->st, &self->c.layers[1],
					     "hello", hex));
	EXPECT_STREQ(want, hex);
}

TEST_F(cs, corrupt_json_is_refused_naming_the_file)
{
	self->layers[strlen(self->layers) - 10] = '\0';
	cs_write(self);
	CS_OPEN_REFUSED("overlay-layers/layers.json: truncated JSON");
	put(self->root, "overlay-layers/layers.json", "[{\"id\":}]", 9);
	CS_OPEN_REFUSED("overlay-layers/layers.json: invalid JSON");
	put(self->root, "overlay-layers/layers.json", "{}", 2);
	CS_OPEN_REFUSED("overlay-layers/layers.json: not a JSON array");
	put(self->root, "overlay-layers/layers.json", "[]", 2);
	put(self->root, "overlay-images/images.json", "[{\"id\":1}]", 10);
	CS_OPEN_REFUSED("overlay-images/images.json: image [0]: \"id\" is not a string");
	put(self->root, "overlay-images/images.json", "[]", 2);
	put(self->root, "overlay-containers/containers.json", "[[]]", 4);
	CS_OPEN_REFUSED("overlay-containers/containers.json: container [0]: not a JSON object");
}

TEST_F(cs, parent_cycle_is_refused)
{
	char old[128], new[160];

	/* the base layer's parent is the top layer */
	snprintf(old, sizeof(old), "{\"id\":\"%s\",", cs_ids[0]);
	snprintf(new, sizeof(new), "{\"id\":\"%s\",\"parent\":\"%s\",",
		 cs_ids[0], cs_ids[2]);
	edit(self->layers, sizeof(self->layers), old, new);
	cs_write(self);
	CS_REOPEN();
	CS_REFUSED("demo", "overlay-layers/layers.json: layer");
	EXPECT_NE(NULL, strstr(self->st.err, "(a cycle)"));
}

TEST_F(cs, missing_parent_is_refused_naming_both_layers)
{
	char want[256];

	edit(self->layers, sizeof(self->layers), cs_ids[0],
	     "0000000000000000000000000000000000000000000000000000000000000000");
	cs_write(self);
	CS_REOPEN();
	snprintf(want, sizeof(want),
		 "overlay-layers/layers.json: layer %s: parent %s not found",
		 cs_ids[1], cs_ids[0]);
	CS_REFUSED("demo", want);
}

TEST_F(cs, image_top_layer_not_in_layers_json_is_refused)
{
	edit(self->images, sizeof(self->images), cs_ids[2],
	     "1111111111111111111111111111111111111111111111111111111111111111");
	cs_write(self);
	CS_REOPEN();
	CS_REFUSED("demo", "overlay-layers/layers.json: layer 1111");
	EXPECT_NE(NULL, strstr(self->st.err, "of image " CS_IMG " not found"));
}

TEST_F(cs, l_link_escaping_the_store_is_refused)
{
	char rel[PATH_MAX];

	fpath(rel, "overlay/l/%s", cs_links[1]);
	symlink_rel(self->root, rel, "/etc");
	CS_REFUSED("demo", rel);
	EXPECT_NE(NULL, strstr(self->st.err, "points to '/etc'"));
}

TEST_F(cs, symlinked_layer_diff_is_refused)
{
	char rel[PATH_MAX];

	fpath(rel, "overlay/%s/diff", cs_ids[1]);
	rm_rel(self->root, rel);
	symlink_rel(self->root, rel, "/etc");
	CS_REFUSED("demo", rel);
	EXPECT_NE(NULL, strstr(self->st.err, "symbolic link"));
}

TEST_F(cs, dot_dot_in_an_id_is_refused)
{
	edit(self->layers, sizeof(self->layers), cs_ids[1],
	     "../../../../etc");
	cs_write(self);
	CS_OPEN_REFUSED("overlay-layers/layers.json: layer [1]: id '../../../../etc' is not an ID");
	edit(self->layers, sizeof(self->layers), "../../../../etc", cs_ids[1]);
	edit(self->images, sizeof(self->images), cs_ids[2], "../x");
	cs_write(self);
	CS_OPEN_REFUSED("overlay-images/images.json: image [0]: layer '../x' is not an ID");
}

TEST_F(cs, diff_digest_of_another_form_is_refused)
{
	static const char * const bad[] = {
		"sha512:d31938029373e876794b6ffe71bf72b085508f2ae0b97af1988d075579633190",
		"sha256:D31938029373E876794B6FFE71BF72B085508F2AE0B97AF1988D075579633190",
		"sha256:d3193802",
		"d31938029373e876794b6ffe71bf72b085508f2ae0b97af1988d075579633190",
	};
	char layers[sizeof(self->layers)], old[100];
	size_t i;

	memcpy(layers, self->layers, sizeof(layers));
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		memcpy(self->layers, layers, sizeof(layers));
		snprintf(old, sizeof(old), "\"diff-digest\":\"%s\"", cs_diffs[1]);
		edit(self->layers, sizeof(self->layers), old, "\"diff-digest\":\"@\"");
		edit(self->layers, sizeof(self->layers), "@", bad[i]);
		cs_write(self);
		CS_OPEN_REFUSED("is not a sha256 digest");
		EXPECT_NE(NULL, strstr(self->st.err, cs_ids[1]));
	}
}

TEST_F(cs, oversize_json_is_refused)
{
	char path[PATH_MAX];
	int fd;

	fpath(path, "%s/overlay-layers/layers.json", self->root);
	fd = open(path, O_WRONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ftruncate(fd, (64 << 20) + 1));
	close(fd);
	CS_OPEN_REFUSED("overlay-layers/layers.json: too large");
}

TEST_F(cs, duplicate_layer_is_refused)
{
	char dup[1024];

	snprintf(dup, sizeof(dup), "[{\"id\":\"%s\",\"diff-digest\":\"%s\"},",
		 cs_ids[0], cs_diffs[0]);
	edit(self->layers, sizeof(self->layers), "[", dup);
	cs_write(self);
	CS_OPEN_REFUSED("is listed twice");
	EXPECT_NE(NULL, strstr(self->st.err, cs_ids[0]));
}

TEST_F(cs, incomplete_layer_is_not_used)
{
	char old[128], new[160];

	snprintf(old, sizeof(old), "{\"id\":\"%s\",", cs_ids[1]);
	snprintf(new, sizeof(new), "{\"flags\":{\"incomplete\":true},\"id\":\"%s\",",
		 cs_ids[1]);
	edit(self->layers, sizeof(self->layers), old, new);
	cs_write(self);
	CS_REOPEN();
	CS_REFUSED("demo", "parent f969103ecda0");
	EXPECT_NE(NULL, strstr(self->st.err, "not found"));
}

TEST_F(cs, chain_deeper_than_the_limit_is_refused)
{
	size_t size = (STORE_MAX_DEPTH + 2) * 320, n = 0;
	char id[STORE_HEX_LEN + 1], parent[STORE_HEX_LEN + 1] = "";
	char *buf = malloc(size);
	int i;

	ASSERT_NE(NULL, buf);
	n += snprintf(buf + n, size - n, "[");
	for (i = 0; i <= STORE_MAX_DEPTH; i++) {
		snprintf(id, sizeof(id), "%064x", i + 1);
		n += snprintf(buf + n, size - n,
			      "%s{\"id\":\"%s\",\"parent\":\"%s\",\"diff-digest\":\"%s\"}",
			      i ? "," : "", id, parent, cs_diffs[0]);
		memcpy(parent, id, sizeof(parent));
	}
	snprintf(buf + n, size - n, "]");
	put(self->root, "overlay-layers/layers.json", buf, strlen(buf));
	free(buf);
	snprintf(self->images, sizeof(self->images),
		 "[{\"id\":\"%s\",\"names\":[\"localhost/deep:latest\"],\"layer\":\"%s\"}]",
		 CS_IMG, id);
	put(self->root, "overlay-images/images.json", self->images,
	    strlen(self->images));
	put(self->root, "overlay-containers/containers.json", "[]", 2);
	CS_REOPEN();
	CS_REFUSED("deep", "chain deeper than 4096 layers");
}

TEST_F(cs, lower_files_are_checked)
{
	char rel[PATH_MAX], ids[256];

	fpath(rel, "overlay/%s/lower", cs_ids[2]);
	put(self->root, rel, "l/WUEUGJICV6SZCP2WC7VCB4PGOJ", 28);
	CS_REFUSED("demo", rel);
	put(self->root, rel, "l/USDMMQ3TFNJ3RD6YMUC65DUPUS:l/WUEUGJICV6SZCP2WC7VCB4PGOJ",
	    57);
	/* newer versions' lower-layers: the layer IDs below, nearest first */
	fpath(rel, "overlay/%s/lower-layers", cs_ids[2]);
	snprintf(ids, sizeof(ids), "%s:%s", cs_ids[1], cs_ids[0]);
	put(self->root, rel, ids, strlen(ids));
	ASSERT_EQ(0, store_resolve(&self->st, "demo", &self->c));
	store_chain_free(&self->c);
	put(self->root, rel, cs_ids[1], STORE_HEX_LEN);
	CS_REFUSED("demo", rel);
}

TEST_F(cs, container_lower_and_parent_are_checked)
{
	char rel[PATH_MAX], old[128], new[128];

	fpath(rel, "overlay/%s/lower", self->rw);
	put(self->root, rel, "l/O4HNQQ4IOD77YRX6SW4O6ET5ZF", 28);
	CS_REFUSED("c1", rel);
	/* its layer on the image's middle layer, not its top */
	snprintf(old, sizeof(old), "\"parent\":\"%s\",\"created\":\"2026-11-30T10:01",
		 cs_ids[2]);
	snprintf(new, sizeof(new), "\"parent\":\"%s\",\"created\":\"2026-11-30T10:01",
		 cs_ids[1]);
	edit(self->layers, sizeof(self->layers), old, new);
	cs_write(self);
	CS_REOPEN();
	CS_REFUSED("c1", "not its image's top layer");
}

TEST_F(cs, container_lower_layers_file_is_checked)
{
	char rel[PATH_MAX], ids[512];

	fpath(rel, "overlay/%s/lower-layers", self->rw);
	snprintf(ids, sizeof(ids), "%s:%s:%s", cs_ids[2], cs_ids[1], cs_ids[0]);
	put(self->root, rel, ids, strlen(ids));
	ASSERT_EQ(0, store_resolve(&self->st, "c1", &self->c));
	store_chain_free(&self->c);
	put(self->root, rel, ids, 2 * (STORE_HEX_LEN + 1));
	CS_REFUSED("c1", rel);
}

TEST_F(cs, work_directory_of_a_container_is_required)
{
	char rel[PATH_MAX];

	fpath(rel, "overlay/%s/work", self->rw);
	rm_rel(self->root, rel);
	CS_REFUSED("c1", rel);
}

TEST_F(cs, store_kind_override_and_detection)
{
	char dir[PATH_MAX];

	/* --store docker on a containers/storage root: docker's files */
	store_close(&self->st);
	ASSERT_EQ(0, store_open(&self->st, self->root, "docker", NULL));
	EXPECT_STREQ("docker", store_kind_name(&self->st));
	CS_REFUSED("demo", "no such image or container");
	store_close(&self->st);
	ASSERT_EQ(0, store_open(&self->st, self->root, "containers", NULL));
	EXPECT_STREQ("containers", store_kind_name(&self->st));
	store_close(&self->st);
	ASSERT_EQ(-1, store_open(&self->st, self->root, "zfs", NULL));
	EXPECT_NE(NULL, strstr(self->st.err, "unknown kind of store 'zfs'"));
	ASSERT_EQ(-1, store_open(&self->st, self->root, NULL, "a/b"));
	EXPECT_NE(NULL, strstr(self->st.err, "not a containerd namespace"));

	/* overlay/ and overlay-layers/ are enough, without layers.json */
	fpath(dir, "%s/overlay-layers/layers.json", self->root);
	ASSERT_EQ(0, unlink(dir));
	ASSERT_EQ(0, store_open(&self->st, self->root, "auto", NULL));
	EXPECT_STREQ("containers", store_kind_name(&self->st));
	CS_REFUSED("demo", "not found");
	store_close(&self->st);

	/* nothing known: the root and what was looked for are named */
	fpath(dir, "%s/empty", self->root);
	ASSERT_EQ(0, mkdir(dir, 0755));
	ASSERT_EQ(-1, store_open(&self->st, dir, NULL, NULL));
	TH_LOG("%s", self->st.err);
	EXPECT_NE(NULL, strstr(self->st.err, dir));
	EXPECT_NE(NULL, strstr(self->st.err, "overlay-layers/layers.json"));
	EXPECT_NE(NULL, strstr(self->st.err, "image/overlay2/layerdb"));
	EXPECT_NE(NULL, strstr(self->st.err, "io.containerd.metadata.v1.bolt/meta.db"));

	/* containerd's database: containerd's kind, namespace kept */
	fpath(dir, "%s/empty/io.containerd.metadata.v1.bolt/meta.db", self->root);
	put("/", dir + 1, "", 0);
	fpath(dir, "%s/empty", self->root);
	if (!store_open(&self->st, dir, NULL, "moby")) {
		EXPECT_STREQ("containerd", store_kind_name(&self->st));
		EXPECT_STREQ("moby", self->st.ns);
	} else {
		TH_LOG("%s", self->st.err);
		EXPECT_NE(NULL, strstr(self->st.err, dir));
	}
	store_close(&self->st);
	ASSERT_EQ(0, store_open(&self->st, self->root, NULL, NULL));
}

/*
 * An image with its config as big data (overlay-images/<id>/= + base64
 * of "sha256:<id>"), whose sha256 is its ID; @diff1 is its second diff ID.
 */
static void cs_put_config(struct _test_data_cs *self, const char *diff1,
			  char id[STORE_HEX_LEN + 1])
{
	char cfg[2048], key[STORE_ID_SIZE], rel[PATH_MAX], tail[512];
	unsigned char b64[2 * STORE_ID_SIZE];

	snprintf(cfg, sizeof(cfg),
		 "{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"%s\",\"%s\",\"%s\"]},\"history\":[{\"created_by\":\"ADD base\"},{\"created_by\":\"ENV x\",\"empty_layer\":true},{\"created_by\":\"RUN middle\"},{\"created_by\":\"COPY top\"}]}",
		 cs_diffs[0], diff1, cs_diffs[2]);
	sha256_hex(cfg, strlen(cfg), id);
	snprintf(key, sizeof(key), "sha256:%s", id);
	EVP_EncodeBlock(b64, (const unsigned char *)key, strlen(key));
	fpath(rel, "overlay-images/%s/=%s", id, b64);
	put(self->root, rel, cfg, strlen(cfg));
	snprintf(tail, sizeof(tail),
		 ",{\"id\":\"%s\",\"names\":[\"localhost/cfg:latest\"],\"layer\":\"%s\",\"big-data-names\":[\"manifest\",\"%s\"]}]",
		 id, cs_ids[2], key);
	self->images[strlen(self->images) - 1] = '\0';
	snprintf(self->images + strlen(self->images),
		 sizeof(self->images) - strlen(self->images), "%s", tail);
	cs_write(self);
}

TEST_F(cs, image_config_is_checked_against_its_id_and_the_layers)
{
	char id[STORE_HEX_LEN + 1], rel[PATH_MAX], by[256];
	struct dirent *de;
	DIR *d;

	cs_put_config(self, cs_diffs[1], id);
	CS_REOPEN();
	ASSERT_EQ(0, store_resolve(&self->st, "cfg", &self->c));
	cs_expect_demo(_metadata, &self->c);
	store_chain_free(&self->c);
	ASSERT_EQ(1, store_layer_created_by(&self->st, cs_chains[2], by,
					    sizeof(by)));
	EXPECT_STREQ("COPY top", by);
	ASSERT_EQ(1, store_layer_created_by(&self->st, cs_chains[1], by,
					    sizeof(by)));
	EXPECT_STREQ("RUN middle", by);

	/* a config changed after the fact no longer matches the ID */
	fpath(rel, "%s/overlay-images/%s", self->root, id);
	d = opendir(rel);
	ASSERT_NE(NULL, d);
	while ((de = readdir(d)) && de->d_name[0] != '=')
		;
	ASSERT_NE(NULL, de);
	fpath(rel, "overlay-images/%s/%s", id, de->d_name);
	closedir(d);
	put(self->root, rel, "{}", 2);
	CS_REFUSED("cfg", "content does not match the image ID");
	EXPECT_NE(NULL, strstr(self->st.err, rel));
	EXPECT_EQ(0, store_layer_created_by(&self->st, cs_chains[2], by,
					    sizeof(by)));
}

TEST_F(cs, image_config_diff_ids_must_be_the_layers)
{
	char id[STORE_HEX_LEN + 1];

	cs_put_config(self, cs_diffs[0], id);
	CS_REOPEN();
	CS_REFUSED("cfg", "rootfs.diff_ids[1] is sha256:d3193802");
	EXPECT_NE(NULL, strstr(self->st.err, "but layer f969103e"));
}

TEST_F(cs, image_config_listed_but_missing_is_refused)
{
	char id[STORE_HEX_LEN + 1], rel[PATH_MAX];

	cs_put_config(self, cs_diffs[1], id);
	fpath(rel, "overlay-images/%s", id);
	rm_rel(self->root, rel);
	CS_REOPEN();
	CS_REFUSED("cfg", "No such file");
	EXPECT_NE(NULL, strstr(self->st.err, rel));
}

TEST_HARNESS_MAIN
