// SPDX-License-Identifier: GPL-2.0
/*
 * Reader for containerd's image store, overlayfs snapshotter (1.6 layout):
 *
 *   meta.db    v1/<ns>/images/<name>/target/{digest,mediatype,size}
 *              v1/<ns>/content/blob/<digest>       (namespace visibility)
 *              v1/<ns>/snapshots/overlayfs/<key>/{name,parent}
 *              v1/<ns>/containers/<id>/{image,snapshotter,snapshotKey}
 *   blobs      io.containerd.content.v1.content/blobs/sha256/<hex>
 *   metadata.db (the snapshotter's)
 *              v1/snapshots/<name>/{id,kind,parent,size}
 *   dirs       io.containerd.snapshotter.v1.overlayfs/snapshots/<id>/fs
 *              and .../work
 *
 * An image: target -> (index: the linux/CTRD_ARCH manifest) -> manifest
 * -> config -> rootfs.diff_ids -> chain IDs; each chain ID is a snapshot
 * key in the namespace, whose name is the snapshotter's key
 * "<ns>/<n>/<chain ID>"; there a committed snapshot whose parent is the
 * layer below and whose id names its directory. Every blob's sha256 and
 * size are checked against the descriptor that led to it.
 *
 * meta.db is read before metadata.db: containerd creates a snapshot in the
 * snapshotter before it names it in meta.db and removes it from meta.db
 * first, so a snapshot named in our copy of meta.db is in our later copy
 * of metadata.db (unless it is being garbage collected).
 *
 * Layer names in the layerfs registry: "c", the first 16 hex digits of
 * the chain ID, "-", the first 8 hex digits of sha256 of the snapshotter
 * key (ctrd_layer_name()). The chain ID part keeps them readable; the key
 * part tells apart the snapshots of one chain ID in two namespaces (each
 * has its own directory) and a snapshot unpacked again.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/openat2.h>
#include <json-c/json.h>
#include "bbolt.h"
#include "ctrd_enc.h"
#include "ctrd_store.h"
#include "store_int.h"

#define CTRD_SNAPSHOTS	CTRD_SNAP_ROOT "/snapshots"
#define CTRD_INDEX_DEPTH	4	/* nested indexes followed */
#define CTRD_KEY_SIZE	512		/* snapshot keys, image names */
#define CTRD_REL_SIZE	512

#define MT_OCI_INDEX	"application/vnd.oci.image.index.v1+json"
#define MT_DOCKER_LIST	"application/vnd.docker.distribution.manifest.list.v2+json"
#define MT_OCI_MANIFEST	"application/vnd.oci.image.manifest.v1+json"
#define MT_DOCKER_MANIFEST	"application/vnd.docker.distribution.manifest.v2+json"
#define MT_OCI_CONFIG	"application/vnd.oci.image.config.v1+json"
#define MT_DOCKER_CONFIG	"application/vnd.docker.container.image.v1+json"
#define GC_REF_SNAPSHOT	"containerd.io/gc.ref.snapshot." CTRD_SNAPSHOTTER

/* An image record of the namespace and what its target led to. */
struct ctrd_image {
	char *name;
	char target[STORE_ID_SIZE];
	char config[STORE_ID_SIZE];	/* "" when err says why not */
	long long config_size;
	long long nlayers;		/* layers[] of the manifest */
	char *err;			/* why this image cannot be used */
};

struct ctrd {
	struct bbolt meta;		/* meta.db */
	struct bbolt snap;		/* the snapshotter's metadata.db */
	bool meta_open, snap_open;
	const char *ns;			/* st->ns or "default" */
	struct bbolt_bucket nsb;	/* meta.db v1/<ns> */
	struct bbolt_bucket nsnaps;	/* v1/<ns>/snapshots/overlayfs */
	bool have_nsnaps;
	struct bbolt_bucket snaps;	/* metadata.db v1/snapshots */
	bool have_snaps;
	int snapfd;			/* O_PATH of CTRD_SNAPSHOTS, or -1 */
	struct ctrd_image *images;
	size_t nimages;
	bool images_read;
};

static struct ctrd *CTRD(const struct store *st)
{
	return st->priv;
}

/*
 * store_fail() (store_int.h), with EINVAL for a failure that set no
 * errno: the callers here tell failures apart by errno.
 */
#define ctrd_fail(st, rel, fmt, ...) ({					\
	if (!errno)							\
		errno = EINVAL;						\
	store_fail(st, rel, fmt, ##__VA_ARGS__);			\
})

/* A bbolt failure: its own message names the file. */
static int ctrd_db_fail(struct store *st, const struct bbolt *db)
{
	int e = errno;

	snprintf(st->err, sizeof(st->err), "%s", db->err);
	errno = e;
	return -1;
}

static bool ctrd_is_hex(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/* The hex of "sha256:<hex>" or of a bare 64 hex digits, else NULL. */
static const char *ctrd_hex_of(const char *id)
{
	if (!strncmp(id, "sha256:", 7))
		id += 7;
	return store_valid_hex(id) ? id : NULL;
}

void ctrd_layer_name(const char *chain_id, const char *backend_key,
		     char name[STORE_NAME_SIZE])
{
	char hex[STORE_HEX_LEN + 1];

	if (store_sha256_hex(backend_key, strlen(backend_key), hex))
		abort();
	snprintf(name, STORE_NAME_SIZE, "c%.*s-%.*s", CTRD_NAME_CHAIN,
		 chain_id + 7, CTRD_NAME_SNAP, hex);
}

/* ---- bbolt values ------------------------------------------------------- */

static int ctrd_sub(struct bbolt *db, const struct bbolt_bucket *b,
		    const char *key, struct bbolt_bucket *out)
{
	return bbolt_bucket_get(db, b, key, strlen(key), out);
}

/*
 * A string value of @b into @out: 0; -1 with ENOENT (absent), EINVAL (a
 * NUL byte) or ERANGE (too long).
 */
static int ctrd_str(struct bbolt *db, const struct bbolt_bucket *b,
		    const char *key, char *out, size_t size)
{
	const unsigned char *v;
	size_t len;

	if (bbolt_get(db, b, key, strlen(key), &v, &len))
		return -1;
	if (memchr(v, '\0', len)) {
		errno = EINVAL;
		return -1;
	}
	if (len >= size) {
		errno = ERANGE;
		return -1;
	}
	memcpy(out, v, len);
	out[len] = '\0';
	return 0;
}

static const char *ctrd_str_err(int e)
{
	return e == ENOENT ? "missing" : e == ERANGE ? "too long" :
		"contains a NUL byte";
}

/* ---- open, close ---------------------------------------------------- */

/* A regular file beneath the root, checked through O_PATH first. */
static int ctrd_open_db(struct store *st, struct bbolt *db, const char *rel)
{
	char name[PATH_MAX];
	struct stat sp, sr;
	int pfd, fd;

	pfd = store_openat2_how(st->rootfd, rel, O_PATH, 0);
	if (pfd < 0)
		return ctrd_fail(st, rel, "%s", store_strerror(errno));
	if (fstat(pfd, &sp) || !S_ISREG(sp.st_mode)) {
		close(pfd);
		errno = EINVAL;
		return ctrd_fail(st, rel, "not a regular file");
	}
	fd = store_openat2_how(st->rootfd, rel, O_RDONLY | O_NOCTTY |
			       O_NONBLOCK, 0);
	if (fd < 0 || fstat(fd, &sr) || sr.st_dev != sp.st_dev ||
	    sr.st_ino != sp.st_ino) {
		if (fd >= 0)
			close(fd);
		close(pfd);
		errno = EAGAIN;
		return ctrd_fail(st, rel, "changed while being opened");
	}
	close(pfd);
	snprintf(name, sizeof(name), "%s/%s", st->root, rel);
	if (bbolt_fdopen(db, fd, name))
		return ctrd_db_fail(st, db);
	return 0;
}

struct ctrd_names {
	char *buf;
	size_t size, len;
};

static int ctrd_list_ns(struct bbolt *db, const struct bbolt_elem *e,
			void *arg)
{
	struct ctrd_names *n = arg;
	int k;

	(void)db;
	if (!e->bucket || n->len >= n->size)
		return 0;
	k = snprintf(n->buf + n->len, n->size - n->len, "%s%.*s",
		     n->len ? ", " : "", (int)e->klen, (const char *)e->key);
	if (k > 0)
		n->len += k;
	return 0;
}

static int ctrd_open_meta(struct store *st, struct ctrd *cd)
{
	struct bbolt_bucket root, v1;
	const unsigned char *v;
	char names[512] = "";
	struct ctrd_names nl = { names, sizeof(names), 0 };
	size_t len;
	__s64 ver;

	if (ctrd_open_db(st, &cd->meta, CTRD_META_DB))
		return -1;
	cd->meta_open = true;
	bbolt_bucket_root(&cd->meta, &root);
	if (ctrd_sub(&cd->meta, &root, "v1", &v1))
		return ctrd_fail(st, CTRD_META_DB,
				 "no v1 bucket: not containerd's metadata");
	if (bbolt_get(&cd->meta, &v1, "version", 7, &v, &len) ||
	    ctrd_value_varint(v, len, &ver))
		return ctrd_fail(st, CTRD_META_DB, "v1/version: %s",
				 errno == ENOENT ? "missing" : "not a varint");
	if (ver != CTRD_DB_VERSION) {
		errno = EINVAL;
		return ctrd_fail(st, CTRD_META_DB,
				 "v1/version: schema %lld, layerctl reads %d",
				 (long long)ver, CTRD_DB_VERSION);
	}
	if (ctrd_sub(&cd->meta, &v1, cd->ns, &cd->nsb)) {
		if (errno != ENOENT)
			return ctrd_db_fail(st, &cd->meta);
		if (bbolt_foreach(&cd->meta, &v1, ctrd_list_ns, &nl))
			return ctrd_db_fail(st, &cd->meta);
		errno = ENOENT;
		return ctrd_fail(st, CTRD_META_DB,
				 "no namespace '%s' (namespaces: %s)", cd->ns,
				 names[0] ? names : "none");
	}
	cd->have_nsnaps = false;
	if (!ctrd_sub(&cd->meta, &cd->nsb, "snapshots", &root) &&
	    !ctrd_sub(&cd->meta, &root, CTRD_SNAPSHOTTER, &cd->nsnaps))
		cd->have_nsnaps = true;
	return 0;
}

static int ctrd_open_snapdb(struct store *st, struct ctrd *cd)
{
	struct bbolt_bucket root, v1;

	if (ctrd_open_db(st, &cd->snap, CTRD_SNAP_DB))
		return -1;
	cd->snap_open = true;
	bbolt_bucket_root(&cd->snap, &root);
	if (ctrd_sub(&cd->snap, &root, "v1", &v1)) {
		if (errno != ENOENT)
			return ctrd_db_fail(st, &cd->snap);
		return 0;	/* no snapshot was ever made */
	}
	cd->have_snaps = !ctrd_sub(&cd->snap, &v1, "snapshots", &cd->snaps);
	return 0;
}

static void ctrd_free_images(struct ctrd *cd)
{
	size_t i;

	for (i = 0; i < cd->nimages; i++) {
		free(cd->images[i].name);
		free(cd->images[i].err);
	}
	free(cd->images);
	cd->images = NULL;
	cd->nimages = 0;
	cd->images_read = false;
}

static void ctrd_close(struct store *st)
{
	struct ctrd *cd = CTRD(st);

	if (!cd)
		return;
	if (cd->meta_open)
		bbolt_close(&cd->meta);
	if (cd->snap_open)
		bbolt_close(&cd->snap);
	if (cd->snapfd >= 0)
		close(cd->snapfd);
	ctrd_free_images(cd);
	free(cd);
	st->priv = NULL;
}

static int ctrd_open(struct store *st)
{
	struct ctrd *cd = calloc(1, sizeof(*cd));

	if (!cd)
		return ctrd_fail(st, NULL, "%s", strerror(errno));
	cd->snapfd = -1;
	cd->ns = st->ns[0] ? st->ns : CTRD_DEFAULT_NS;
	st->priv = cd;
	/* meta.db first: see the top of the file. */
	if (ctrd_open_meta(st, cd) || ctrd_open_snapdb(st, cd)) {
		ctrd_close(st);
		return -1;
	}
	return 0;
}

/* ---- blobs -------------------------------------------------------------- */

/*
 * The blob @digest of the content store, visible in the namespace, its
 * sha256 and (when @size >= 0) its size checked. NUL-terminated, freed by
 * the caller; @rel gets its path.
 */
static char *ctrd_blob(struct store *st, const char *digest, long long size,
		       char rel[CTRD_REL_SIZE], size_t *lenp)
{
	struct ctrd *cd = CTRD(st);
	struct bbolt_bucket b;
	char hex[STORE_HEX_LEN + 1];
	char *buf;
	size_t len;

	snprintf(rel, CTRD_REL_SIZE, CTRD_BLOBS "/%s", digest + 7);
	if (ctrd_sub(&cd->meta, &cd->nsb, "content", &b) ||
	    ctrd_sub(&cd->meta, &b, "blob", &b) ||
	    ctrd_sub(&cd->meta, &b, digest, &b)) {
		errno = ENOENT;
		ctrd_fail(st, CTRD_META_DB,
			  "v1/%s/content/blob/%s: missing: the blob is not in namespace %s",
			  cd->ns, digest, cd->ns);
		return NULL;
	}
	buf = store_slurp_at(st, st->rootfd, rel, rel, CTRD_BLOB_MAX, &len);
	if (!buf)
		return NULL;
	if (store_sha256_hex(buf, len, hex) || strcmp(hex, digest + 7)) {
		errno = EINVAL;
		ctrd_fail(st, rel, "digest mismatch: sha256:%s", hex);
		goto out_free;
	}
	if (size >= 0 && (unsigned long long)size != len) {
		errno = EINVAL;
		ctrd_fail(st, rel, "%zu bytes, the descriptor says %lld", len,
			  size);
		goto out_free;
	}
	*lenp = len;
	return buf;

out_free:
	free(buf);
	return NULL;
}

static struct json_object *ctrd_blob_json(struct store *st,
					  const char *digest, long long size,
					  char rel[CTRD_REL_SIZE])
{
	struct json_object *obj;
	size_t len;
	char *buf;

	buf = ctrd_blob(st, digest, size, rel, &len);
	if (!buf)
		return NULL;
	obj = store_parse_json(st, rel, buf, len);
	free(buf);
	if (obj && !json_object_is_type(obj, json_type_object)) {
		json_object_put(obj);
		errno = EINVAL;
		ctrd_fail(st, rel, "not a JSON object");
		return NULL;
	}
	return obj;
}

static const char *ctrd_jstr(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* A descriptor: mediaType, digest, size. */
struct ctrd_desc {
	char mediatype[128];
	char digest[STORE_ID_SIZE];
	long long size;
};

static int ctrd_parse_desc(struct store *st, const char *rel,
			   const char *what, struct json_object *o,
			   struct ctrd_desc *d)
{
	struct json_object *v;
	const char *s;

	if (!json_object_is_type(o, json_type_object))
		return ctrd_fail(st, rel, "%s is not an object", what);
	s = ctrd_jstr(o, "mediaType");
	if (!s || strlen(s) >= sizeof(d->mediatype))
		return ctrd_fail(st, rel, "%s.mediaType: missing or too long",
				 what);
	snprintf(d->mediatype, sizeof(d->mediatype), "%s", s);
	s = ctrd_jstr(o, "digest");
	if (!s || !store_valid_id(s))
		return ctrd_fail(st, rel, "%s.digest: not a sha256 digest", what);
	memcpy(d->digest, s, STORE_ID_SIZE);
	if (!json_object_object_get_ex(o, "size", &v) ||
	    !json_object_is_type(v, json_type_int) ||
	    json_object_get_int64(v) < 0)
		return ctrd_fail(st, rel, "%s.size: not a size", what);
	d->size = json_object_get_int64(v);
	return 0;
}

static bool ctrd_is_index(const char *mt)
{
	return !strcmp(mt, MT_OCI_INDEX) || !strcmp(mt, MT_DOCKER_LIST);
}

static bool ctrd_is_manifest(const char *mt)
{
	return !strcmp(mt, MT_OCI_MANIFEST) || !strcmp(mt, MT_DOCKER_MANIFEST);
}

/* A blob's own mediaType, when it has one, is its descriptor's. */
static int ctrd_check_mt(struct store *st, const char *rel,
			 struct json_object *o, const char *mt)
{
	const char *own = ctrd_jstr(o, "mediaType");

	if (own && strcmp(own, mt))
		return ctrd_fail(st, rel,
				 "mediaType is '%.80s', its descriptor says %s",
				 own, mt);
	return 0;
}

/*
 * Whether a platform object is linux/CTRD_ARCH, normalized as
 * containerd's platforms package: lower case, x86_64 is amd64 with no
 * variant; amd64 matches only without a variant.
 */
static bool ctrd_platform_match(struct json_object *p)
{
	const char *os = ctrd_jstr(p, "os");
	const char *arch = ctrd_jstr(p, "architecture");
	const char *variant = ctrd_jstr(p, "variant");

	if (!os || !arch || strcasecmp(os, "linux"))
		return false;
	if (!strcasecmp(arch, "x86_64") || !strcasecmp(arch, "x86-64"))
		return !strcmp(CTRD_ARCH, "amd64");
	if (!strcmp(CTRD_ARCH, "arm64") && !strcasecmp(arch, "aarch64"))
		arch = "arm64";
	if (strcasecmp(arch, CTRD_ARCH))
		return false;
	return !variant || !variant[0] ||
	       (!strcmp(CTRD_ARCH, "arm64") && (!strcasecmp(variant, "v8") ||
						!strcmp(variant, "8")));
}

/*
 * The manifest of an index for linux/CTRD_ARCH: the first that matches,
 * else the first without a platform (as containerd's images.Manifest()),
 * else the only one there is.
 */
static int ctrd_pick(struct store *st, const char *rel,
		     struct json_object *idx, struct ctrd_desc *d)
{
	struct json_object *ms, *m, *p;
	size_t i, n;
	ssize_t plain = -1, match = -1;
	char what[32];

	if (!json_object_object_get_ex(idx, "manifests", &ms) ||
	    !json_object_is_type(ms, json_type_array))
		return ctrd_fail(st, rel, "manifests is not an array");
	n = json_object_array_length(ms);
	for (i = 0; i < n && match < 0; i++) {
		m = json_object_array_get_idx(ms, i);
		if (!json_object_is_type(m, json_type_object))
			return ctrd_fail(st, rel, "manifests[%zu] is not an object",
					 i);
		if (!json_object_object_get_ex(m, "platform", &p))
			plain = plain < 0 ? (ssize_t)i : plain;
		else if (json_object_is_type(p, json_type_object) &&
			 ctrd_platform_match(p))
			match = i;
	}
	if (match < 0)
		match = plain >= 0 ? plain : n == 1 ? 0 : -1;
	if (match < 0) {
		errno = ENOENT;
		return ctrd_fail(st, rel, "no manifest for linux/%s among %zu",
				 CTRD_ARCH, n);
	}
	snprintf(what, sizeof(what), "manifests[%zd]", match);
	return ctrd_parse_desc(st, rel, what,
			       json_object_array_get_idx(ms, match), d);
}

/* From an image's target to its config descriptor and layer count. */
static int ctrd_target_config(struct store *st, struct ctrd_desc *d,
			      struct ctrd_desc *cfg, long long *nlayers)
{
	struct json_object *o, *v;
	char rel[CTRD_REL_SIZE];
	unsigned int depth;
	int ret;

	for (depth = 0; depth <= CTRD_INDEX_DEPTH; depth++) {
		bool index = ctrd_is_index(d->mediatype);

		if (!index && !ctrd_is_manifest(d->mediatype)) {
			errno = EINVAL;
			return ctrd_fail(st, NULL,
					 "%s: mediatype '%.80s': not an image index or manifest layerctl knows",
					 d->digest, d->mediatype);
		}
		o = ctrd_blob_json(st, d->digest, d->size, rel);
		if (!o)
			return -1;
		ret = ctrd_check_mt(st, rel, o, d->mediatype);
		if (!ret && index)
			ret = ctrd_pick(st, rel, o, d);
		if (!ret && !index) {
			ret = json_object_object_get_ex(o, "config", &v) ?
				ctrd_parse_desc(st, rel, "config", v, cfg) :
				ctrd_fail(st, rel, "no config");
			if (!ret && strcmp(cfg->mediatype, MT_OCI_CONFIG) &&
			    strcmp(cfg->mediatype, MT_DOCKER_CONFIG))
				ret = ctrd_fail(st, rel,
						"config.mediaType '%.80s': not an image config layerctl knows",
						cfg->mediatype);
			if (!ret && (!json_object_object_get_ex(o, "layers", &v) ||
				     !json_object_is_type(v, json_type_array)))
				ret = ctrd_fail(st, rel, "layers is not an array");
			if (!ret)
				*nlayers = json_object_array_length(v);
		}
		json_object_put(o);
		if (ret || !index)
			return ret;
	}
	errno = ELOOP;
	return ctrd_fail(st, rel, "indexes nested deeper than %d",
			 CTRD_INDEX_DEPTH);
}

/* ---- images --------------------------------------------------------- */

static int ctrd_collect(struct bbolt *db, const struct bbolt_elem *e,
			void *arg)
{
	struct store *st = arg;
	struct ctrd *cd = CTRD(st);
	struct ctrd_image *img;

	(void)db;
	if (!e->bucket)
		return 0;
	img = reallocarray(cd->images, cd->nimages + 1, sizeof(*img));
	if (!img)
		return ctrd_fail(st, NULL, "%s", strerror(errno));
	cd->images = img;
	img = &cd->images[cd->nimages++];
	memset(img, 0, sizeof(*img));
	img->name = strndup((const char *)e->key, e->klen);
	if (!img->name || strlen(img->name) != e->klen) {
		errno = EINVAL;
		return ctrd_fail(st, CTRD_META_DB, "v1/%s/images: a name with a NUL byte",
				 cd->ns);
	}
	return 0;
}

/* The target of image @img, then the config it leads to (or img->err). */
static int ctrd_read_image(struct store *st, struct ctrd_image *img)
{
	struct ctrd *cd = CTRD(st);
	struct bbolt_bucket b;
	const unsigned char *v;
	struct ctrd_desc d, cfg;
	size_t len;
	__s64 size;

	if (ctrd_sub(&cd->meta, &cd->nsb, "images", &b) ||
	    ctrd_sub(&cd->meta, &b, img->name, &b) ||
	    ctrd_sub(&cd->meta, &b, "target", &b))
		return ctrd_fail(st, CTRD_META_DB, "v1/%s/images/%s: no target",
				 cd->ns, img->name);
	if (ctrd_str(&cd->meta, &b, "digest", d.digest, sizeof(d.digest)) ||
	    !store_valid_id(d.digest)) {
		errno = EINVAL;
		return ctrd_fail(st, CTRD_META_DB,
				 "v1/%s/images/%s: target digest: not a sha256 digest",
				 cd->ns, img->name);
	}
	memcpy(img->target, d.digest, STORE_ID_SIZE);
	if (ctrd_str(&cd->meta, &b, "mediatype", d.mediatype,
		     sizeof(d.mediatype)))
		return ctrd_fail(st, CTRD_META_DB,
				 "v1/%s/images/%s: target mediatype: %s", cd->ns,
				 img->name, ctrd_str_err(errno));
	d.size = -1;
	if (!bbolt_get(&cd->meta, &b, "size", 4, &v, &len)) {
		if (ctrd_value_varint(v, len, &size) || size < 0)
			return ctrd_fail(st, CTRD_META_DB,
					 "v1/%s/images/%s: target size: not a size",
					 cd->ns, img->name);
		d.size = size;
	}
	if (ctrd_target_config(st, &d, &cfg, &img->nlayers))
		return -1;
	memcpy(img->config, cfg.digest, STORE_ID_SIZE);
	img->config_size = cfg.size;
	return 0;
}

/*
 * The namespace's images, each read as far as its config: an image that
 * cannot be keeps its message in err, for whoever asks for it.
 */
static int ctrd_load_images(struct store *st)
{
	struct ctrd *cd = CTRD(st);
	struct bbolt_bucket b;
	size_t i;

	if (cd->images_read)
		return 0;
	if (ctrd_sub(&cd->meta, &cd->nsb, "images", &b)) {
		if (errno != ENOENT)
			return ctrd_db_fail(st, &cd->meta);
		cd->images_read = true;
		return 0;
	}
	st->err[0] = '\0';
	if (bbolt_foreach(&cd->meta, &b, ctrd_collect, st)) {
		if (!st->err[0])
			ctrd_db_fail(st, &cd->meta);
		ctrd_free_images(cd);
		return -1;
	}
	for (i = 0; i < cd->nimages; i++) {
		if (!ctrd_read_image(st, &cd->images[i]))
			continue;
		cd->images[i].config[0] = '\0';
		cd->images[i].err = strdup(st->err);
		if (!cd->images[i].err) {
			ctrd_free_images(cd);
			return ctrd_fail(st, NULL, "%s", strerror(ENOMEM));
		}
	}
	st->err[0] = '\0';
	cd->images_read = true;
	return 0;
}

/* The first image whose config is @hex, or NULL. */
static struct ctrd_image *ctrd_image_by_config(struct ctrd *cd,
					       const char *hex)
{
	size_t i;

	for (i = 0; i < cd->nimages; i++)
		if (cd->images[i].config[0] &&
		    !strcmp(cd->images[i].config + 7, hex))
			return &cd->images[i];
	return NULL;
}

/* ---- snapshots ------------------------------------------------------ */

static int ctrd_snapfd(struct store *st)
{
	struct ctrd *cd = CTRD(st);

	if (cd->snapfd < 0) {
		cd->snapfd = store_openat2_how(st->rootfd, CTRD_SNAPSHOTS,
					       O_PATH | O_DIRECTORY, 0);
		if (cd->snapfd < 0)
			return ctrd_fail(st, CTRD_SNAPSHOTS, "%s", errno == ENOTDIR ?
					 "not a directory" : store_strerror(errno));
	}
	return cd->snapfd;
}

/*
 * snapshots/@id (O_PATH, *@dirfd) and its @sub directory beneath it,
 * through no symbolic link and no mount.
 */
static int ctrd_open_snapdir(struct store *st, const char *id,
			     const char *sub, int flags, int *dirfd)
{
	char rel[CTRD_REL_SIZE];
	int sfd = ctrd_snapfd(st), fd;

	if (sfd < 0)
		return -1;
	snprintf(rel, sizeof(rel), CTRD_SNAPSHOTS "/%s", id);
	*dirfd = store_openat2_how(sfd, id, O_PATH | O_DIRECTORY,
				   RESOLVE_NO_XDEV);
	if (*dirfd < 0)
		return ctrd_fail(st, rel, "%s", errno == ENOTDIR ?
				 "not a directory" : store_strerror(errno));
	fd = store_openat2_how(*dirfd, sub, flags | O_DIRECTORY,
			       RESOLVE_NO_XDEV);
	if (fd < 0) {
		snprintf(rel, sizeof(rel), CTRD_SNAPSHOTS "/%s/%s", id, sub);
		ctrd_fail(st, rel, "%s", errno == ENOTDIR ?
			  "not a directory" : store_strerror(errno));
		close(*dirfd);
		*dirfd = -1;
	}
	return fd;
}

/* What the two databases say of one snapshot. */
struct ctrd_snap {
	char key[CTRD_KEY_SIZE];	/* the namespace's name */
	char parent[CTRD_KEY_SIZE];	/* meta.db parent, "" for none */
	char bkey[CTRD_KEY_SIZE];	/* the snapshotter's key */
	char bparent[CTRD_KEY_SIZE];	/* its parent there, "" for none */
	char id[24];			/* snapshots/<id> */
	enum ctrd_kind kind;
	long long size;			/* -1 when unknown */
	struct ctrd_time created;
	bool have_created;
};

static const char *ctrd_kind_name(int kind)
{
	switch (kind) {
	case CTRD_KIND_VIEW:
		return "view";
	case CTRD_KIND_ACTIVE:
		return "active";
	case CTRD_KIND_COMMITTED:
		return "committed";
	default:
		return "unknown";
	}
}

/* meta.db v1/<ns>/snapshots/overlayfs/@key: 1 if there, 0 if not. */
static int ctrd_ns_snapshot(struct store *st, const char *key,
			    struct ctrd_snap *s)
{
	struct ctrd *cd = CTRD(st);
	struct bbolt_bucket b;
	const char *p;
	size_t nl;

	memset(s, 0, sizeof(*s));
	s->size = -1;
	if (strlen(key) >= sizeof(s->key))
		return 0;
	snprintf(s->key, sizeof(s->key), "%s", key);
	if (!cd->have_nsnaps || ctrd_sub(&cd->meta, &cd->nsnaps, key, &b))
		return 0;
	if (ctrd_str(&cd->meta, &b, "name", s->bkey, sizeof(s->bkey)))
		return ctrd_fail(st, CTRD_META_DB,
				 "v1/%s/snapshots/overlayfs/%s: name: %s",
				 cd->ns, key, ctrd_str_err(errno));
	if (ctrd_str(&cd->meta, &b, "parent", s->parent, sizeof(s->parent)) &&
	    errno != ENOENT)
		return ctrd_fail(st, CTRD_META_DB,
				 "v1/%s/snapshots/overlayfs/%s: parent: %s",
				 cd->ns, key, ctrd_str_err(errno));
	/* "<ns>/<n>/<key>", as containerd's metadata snapshotter makes it */
	nl = strlen(cd->ns);
	p = s->bkey + nl + 1;
	if (!strncmp(s->bkey, cd->ns, nl) && s->bkey[nl] == '/')
		p += strspn(p, "0123456789");
	if (p == s->bkey + nl + 1 || *p != '/' || strcmp(p + 1, key)) {
		errno = EINVAL;
		return ctrd_fail(st, CTRD_META_DB,
				 "v1/%s/snapshots/overlayfs/%s: name '%.80s' is not %s/<n>/%s",
				 cd->ns, key, s->bkey, cd->ns, key);
	}
	return 1;
}

/* metadata.db v1/snapshots/<s->bkey>: id, kind, parent, size. */
static int ctrd_backend_snapshot(struct store *st, struct ctrd_snap *s)
{
	struct ctrd *cd = CTRD(st);
	struct bbolt_bucket b;
	const unsigned char *v;
	size_t len;
	__u64 id;
	__s64 size;

	if (!cd->have_snaps || ctrd_sub(&cd->snap, &cd->snaps, s->bkey, &b)) {
		errno = ENOENT;
		return ctrd_fail(st, CTRD_SNAP_DB,
				 "v1/snapshots/%s: no such snapshot (named by v1/%s/snapshots/overlayfs/%s of io.containerd.metadata.v1.bolt/meta.db)",
				 s->bkey, cd->ns, s->key);
	}
	if (bbolt_get(&cd->snap, &b, "id", 2, &v, &len) ||
	    ctrd_value_uvarint(v, len, &id))
		return ctrd_fail(st, CTRD_SNAP_DB, "v1/snapshots/%s: id: %s",
				 s->bkey, errno == ENOENT ? "missing" :
				 "not a uvarint");
	snprintf(s->id, sizeof(s->id), "%llu", (unsigned long long)id);
	if (bbolt_get(&cd->snap, &b, "kind", 4, &v, &len) || len != 1 ||
	    v[0] < CTRD_KIND_VIEW || v[0] > CTRD_KIND_COMMITTED) {
		errno = EINVAL;
		return ctrd_fail(st, CTRD_SNAP_DB,
				 "v1/snapshots/%s: kind: missing or unknown",
				 s->bkey);
	}
	s->kind = v[0];
	if (ctrd_str(&cd->snap, &b, "parent", s->bparent, sizeof(s->bparent)) &&
	    errno != ENOENT)
		return ctrd_fail(st, CTRD_SNAP_DB, "v1/snapshots/%s: parent: %s",
				 s->bkey, ctrd_str_err(errno));
	if (!bbolt_get(&cd->snap, &b, "size", 4, &v, &len)) {
		if (ctrd_value_varint(v, len, &size) || size < 0)
			return ctrd_fail(st, CTRD_SNAP_DB,
					 "v1/snapshots/%s: size: not a size",
					 s->bkey);
		s->size = size;
	}
	if (!bbolt_get(&cd->snap, &b, "createdat", 9, &v, &len) &&
	    !ctrd_time(v, len, &s->created))
		s->have_created = true;
	return 0;
}

/*
 * Layer @i of a chain: the committed snapshot @chain_id whose parent is
 * the layer below in both databases, its fs directory opened.
 */
static int ctrd_layer(struct store *st, struct store_layer *layers, size_t i,
		      const char *diff, char bkeys[][CTRD_KEY_SIZE])
{
	struct store_layer *l = &layers[i];
	struct ctrd *cd = CTRD(st);
	const char *below = i ? layers[i - 1].chain_id : "";
	struct ctrd_snap s;
	int ret, dirfd;

	memset(l, 0, sizeof(*l));
	l->dirfd = -1;
	l->diff_fd = -1;
	snprintf(l->diff_id, sizeof(l->diff_id), "%s", diff);
	snprintf(l->parent_chain, sizeof(l->parent_chain), "%s", below);
	store_chain_id(below, diff, l->chain_id);
	ret = ctrd_ns_snapshot(st, l->chain_id, &s);
	if (ret < 0)
		return -1;
	if (!ret) {
		errno = ENOENT;
		return ctrd_fail(st, CTRD_META_DB,
				 "v1/%s/snapshots/overlayfs/%s: no such snapshot (layer %zu is not unpacked in namespace %s)",
				 cd->ns, l->chain_id, i + 1, cd->ns);
	}
	if (strcmp(s.parent, below)) {
		errno = EINVAL;
		return ctrd_fail(st, CTRD_META_DB,
				 "v1/%s/snapshots/overlayfs/%s: parent is '%.80s', the image has '%s' below",
				 cd->ns, l->chain_id, s.parent, below);
	}
	if (ctrd_backend_snapshot(st, &s))
		return -1;
	if (s.kind != CTRD_KIND_COMMITTED) {
		errno = EINVAL;
		return ctrd_fail(st, CTRD_SNAP_DB,
				 "v1/snapshots/%s: kind is %s, an image layer is committed",
				 s.bkey, ctrd_kind_name(s.kind));
	}
	if (strcmp(s.bparent, i ? bkeys[i - 1] : "")) {
		errno = EINVAL;
		return ctrd_fail(st, CTRD_SNAP_DB,
				 "v1/snapshots/%s: parent is '%.80s', expected '%s'",
				 s.bkey, s.bparent, i ? bkeys[i - 1] : "");
	}
	memcpy(bkeys[i], s.bkey, CTRD_KEY_SIZE);
	snprintf(l->cache_id, sizeof(l->cache_id), "%s", s.id);
	l->size = s.size;
	l->depth = i + 1;
	ctrd_layer_name(l->chain_id, s.bkey, l->name);
	if (i)
		memcpy(l->parent, layers[i - 1].name, sizeof(l->parent));
	l->diff_fd = ctrd_open_snapdir(st, s.id, "fs", O_PATH, &dirfd);
	if (l->diff_fd < 0)
		return -1;
	close(dirfd);
	return 0;
}

/*
 * The chain of the first @n diff IDs of config @rel. @top_bkey, when
 * given, gets the top layer's snapshotter key.
 */
static int ctrd_build_chain(struct store *st, struct json_object *ids,
			    size_t n, struct store_chain *c, char *top_bkey)
{
	char (*bkeys)[CTRD_KEY_SIZE];
	struct json_object *diff;
	size_t i;
	int ret = 0;

	bkeys = calloc(n, sizeof(*bkeys));
	c->layers = calloc(n, sizeof(*c->layers));
	if (!bkeys || !c->layers) {
		free(bkeys);
		return ctrd_fail(st, NULL, "%s", strerror(ENOMEM));
	}
	for (i = 0; i < n && !ret; i++) {
		diff = json_object_array_get_idx(ids, i);
		ret = ctrd_layer(st, c->layers, i, json_object_get_string(diff),
				 bkeys);
		c->nr = i + 1;
	}
	if (!ret && top_bkey)
		memcpy(top_bkey, bkeys[n - 1], CTRD_KEY_SIZE);
	free(bkeys);
	return ret;
}

/* The config of image @img, verified, and its diff IDs. */
static struct json_object *ctrd_config(struct store *st,
				       const struct ctrd_image *img,
				       struct json_object **ids,
				       char rel[CTRD_REL_SIZE])
{
	struct json_object *cfg;

	cfg = ctrd_blob_json(st, img->config, img->config_size, rel);
	if (!cfg)
		return NULL;
	*ids = store_config_diff_ids(st, rel, cfg);
	if (!*ids)
		goto out_put;
	if (img->nlayers >= 0 &&
	    json_object_array_length(*ids) != (size_t)img->nlayers) {
		errno = EINVAL;
		ctrd_fail(st, rel,
			  "rootfs.diff_ids has %zu layers, the manifest %lld",
			  json_object_array_length(*ids), img->nlayers);
		goto out_put;
	}
	return cfg;

out_put:
	json_object_put(cfg);
	return NULL;
}

/* The config blob's GC label, when there is one, names the top layer. */
static int ctrd_check_gc_label(struct store *st, const char *config,
			       const char *top)
{
	struct ctrd *cd = CTRD(st);
	struct bbolt_bucket b;
	char val[STORE_ID_SIZE + 8];

	if (ctrd_sub(&cd->meta, &cd->nsb, "content", &b) ||
	    ctrd_sub(&cd->meta, &b, "blob", &b) ||
	    ctrd_sub(&cd->meta, &b, config, &b) ||
	    ctrd_sub(&cd->meta, &b, "labels", &b) ||
	    ctrd_str(&cd->meta, &b, GC_REF_SNAPSHOT, val, sizeof(val)))
		return 0;
	if (strcmp(val, top)) {
		errno = EINVAL;
		return ctrd_fail(st, CTRD_META_DB,
				 "v1/%s/content/blob/%s: label containerd.io/gc.ref.snapshot.overlayfs is '%.80s', the top layer is %s",
				 cd->ns, config, val, top);
	}
	return 0;
}

static int ctrd_chain_of(struct store *st, const struct ctrd_image *img,
			 struct store_chain *c)
{
	struct json_object *cfg, *ids;
	char rel[CTRD_REL_SIZE];
	int ret;

	cfg = ctrd_config(st, img, &ids, rel);
	if (!cfg)
		return -1;
	ret = ctrd_build_chain(st, ids, json_object_array_length(ids), c, NULL);
	if (!ret)
		ret = ctrd_check_gc_label(st, img->config,
					  c->layers[c->nr - 1].chain_id);
	json_object_put(cfg);
	return ret;
}

static int ctrd_image_chain(struct store *st, const char *image_id,
			    struct store_chain *c)
{
	struct ctrd *cd = CTRD(st);
	const char *hex = ctrd_hex_of(image_id);
	struct ctrd_image *img;

	store_chain_init(c, STORE_IMAGE);
	if (!hex)
		return ctrd_fail(st, NULL, "'%.80s' is not an image ID", image_id);
	if (ctrd_load_images(st))
		return -1;
	img = ctrd_image_by_config(cd, hex);
	if (!img) {
		errno = ENOENT;
		return ctrd_fail(st, CTRD_META_DB,
				 "no image with ID sha256:%s in namespace %s",
				 hex, cd->ns);
	}
	snprintf(c->id, sizeof(c->id), "%s", img->config);
	if (ctrd_chain_of(st, img, c)) {
		store_chain_free(c);
		return -1;
	}
	return 0;
}

/* ---- containers ----------------------------------------------------- */

/* The record v1/<ns>/containers/@id: 1 and its fields, 0 if none. */
static int ctrd_container_rec(struct store *st, const char *id,
			      char *image, char *key, struct bbolt_bucket *out)
{
	struct ctrd *cd = CTRD(st);
	struct bbolt_bucket b;
	char sn[64];

	if (ctrd_sub(&cd->meta, &cd->nsb, "containers", &b) ||
	    ctrd_sub(&cd->meta, &b, id, &b))
		return 0;
	if (out)
		*out = b;
	if (ctrd_str(&cd->meta, &b, "image", image, CTRD_KEY_SIZE))
		image[0] = '\0';
	if (ctrd_str(&cd->meta, &b, "snapshotter", sn, sizeof(sn)) ||
	    strcmp(sn, CTRD_SNAPSHOTTER)) {
		errno = EINVAL;
		return ctrd_fail(st, CTRD_META_DB,
				 "v1/%s/containers/%s: snapshotter is not overlayfs, the one layerctl reads",
				 cd->ns, id);
	}
	if (ctrd_str(&cd->meta, &b, "snapshotKey", key, CTRD_KEY_SIZE))
		return ctrd_fail(st, CTRD_META_DB,
				 "v1/%s/containers/%s: snapshotKey: %s", cd->ns,
				 id, ctrd_str_err(errno));
	return 1;
}

/*
 * An image of the namespace (@prefer first) whose chain has @chain: its
 * config and the depth of @chain in it. NULL and errno ENOENT if none.
 */
static struct json_object *ctrd_find_chain(struct store *st, const char *chain,
					   const char *prefer,
					   struct json_object **ids,
					   size_t *depth)
{
	struct ctrd *cd = CTRD(st);
	char rel[CTRD_REL_SIZE], cur[STORE_ID_SIZE], below[STORE_ID_SIZE];
	struct json_object *cfg, *v;
	size_t pass, i, k, n;

	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < cd->nimages; i++) {
			const struct ctrd_image *img = &cd->images[i];

			if (!img->config[0] || !strcmp(img->name, prefer) != !pass)
				continue;
			cfg = ctrd_config(st, img, ids, rel);
			if (!cfg)
				continue;
			n = json_object_array_length(*ids);
			cur[0] = '\0';
			for (k = 0; k < n; k++) {
				memcpy(below, cur, sizeof(below));
				v = json_object_array_get_idx(*ids, k);
				store_chain_id(below, json_object_get_string(v),
					       cur);
				if (!strcmp(cur, chain)) {
					*depth = k + 1;
					return cfg;
				}
			}
			json_object_put(cfg);
		}
	}
	errno = ENOENT;
	return NULL;
}

/* The read-write snapshot: its directory, fs (upper) and work. */
static int ctrd_open_rw(struct store *st, const struct ctrd_snap *s,
			struct store_chain *c)
{
	char rel[CTRD_REL_SIZE];
	int fs, dirfd;

	fs = ctrd_open_snapdir(st, s->id, "fs", O_PATH, &c->rw_dirfd);
	if (fs < 0)
		return -1;
	/* The very directory checked, opened for reading for fsconfig(). */
	c->upper_fd = store_openat2_how(fs, ".", O_RDONLY | O_DIRECTORY,
					RESOLVE_NO_XDEV);
	close(fs);
	if (c->upper_fd < 0) {
		snprintf(rel, sizeof(rel), CTRD_SNAPSHOTS "/%s/fs", s->id);
		return ctrd_fail(st, rel, "%s", store_strerror(errno));
	}
	c->work_fd = ctrd_open_snapdir(st, s->id, "work", O_RDONLY, &dirfd);
	if (c->work_fd < 0)
		return -1;
	close(dirfd);
	snprintf(c->mount_id, sizeof(c->mount_id), "%s", s->id);
	return 0;
}

static int ctrd_container_layers(struct store *st, const char *id,
				 struct store_chain *c)
{
	struct ctrd *cd = CTRD(st);
	char image[CTRD_KEY_SIZE] = "", key[CTRD_KEY_SIZE];
	char top[CTRD_KEY_SIZE];
	struct json_object *cfg, *ids;
	struct ctrd_snap s;
	size_t depth;
	int ret;

	ret = ctrd_container_rec(st, id, image, key, NULL);
	if (ret < 0)
		return -1;
	if (!ret)
		snprintf(key, sizeof(key), "%s", id);
	ret = ctrd_ns_snapshot(st, key, &s);
	if (ret <= 0) {
		errno = ENOENT;
		return ret ? -1 : ctrd_fail(st, CTRD_META_DB,
					    "v1/%s/snapshots/overlayfs/%s: no such snapshot%s",
					    cd->ns, key, image[0] || strcmp(key, id) ?
					    " (the container's snapshotKey)" : "");
	}
	if (ctrd_backend_snapshot(st, &s))
		return -1;
	if (s.kind != CTRD_KIND_ACTIVE) {
		errno = EINVAL;
		return ctrd_fail(st, CTRD_SNAP_DB,
				 "v1/snapshots/%s: kind is %s, not active: %s",
				 s.bkey, ctrd_kind_name(s.kind),
				 s.kind == CTRD_KIND_VIEW ?
				 "a read-only view has no upper layer" :
				 "an image layer, mount the image");
	}
	if (!s.parent[0] || !store_valid_id(s.parent)) {
		errno = EINVAL;
		return ctrd_fail(st, CTRD_META_DB,
				 "v1/%s/snapshots/overlayfs/%s: parent '%.80s' is not an image layer's chain ID",
				 cd->ns, key, s.parent);
	}
	if (ctrd_load_images(st))
		return -1;
	cfg = ctrd_find_chain(st, s.parent, image, &ids, &depth);
	if (!cfg)
		return ctrd_fail(st, CTRD_META_DB,
				 "v1/%s/snapshots/overlayfs/%s: no image in namespace %s has its parent %.80s: its diff IDs are unknown",
				 cd->ns, key, cd->ns, s.parent);
	ret = ctrd_build_chain(st, ids, depth, c, top);
	json_object_put(cfg);
	if (ret)
		return -1;
	if (strcmp(s.bparent, top)) {
		errno = EINVAL;
		return ctrd_fail(st, CTRD_SNAP_DB,
				 "v1/snapshots/%s: parent is '%.80s', expected '%.200s'",
				 s.bkey, s.bparent, top);
	}
	snprintf(c->ref, sizeof(c->ref), "%s", image);
	return ctrd_open_rw(st, &s, c);
}

static int ctrd_container_chain(struct store *st, const char *id,
				struct store_chain *c)
{
	store_chain_init(c, STORE_CONTAINER);
	if (!id[0] || strlen(id) >= sizeof(c->id))
		return ctrd_fail(st, NULL,
				 "'%.80s': not a container ID or snapshot key layerctl can hold (1 to %zu bytes)",
				 id, sizeof(c->id) - 1);
	snprintf(c->id, sizeof(c->id), "%s", id);
	if (ctrd_container_layers(st, id, c)) {
		store_chain_free(c);
		return -1;
	}
	return 0;
}

/* ---- listings ------------------------------------------------------- */

struct ctrd_ids {
	struct store *st;
	struct store_id *v;
	size_t n;
	bool active;		/* snapshots: only active ones not in use */
};

static int ctrd_add_id(struct ctrd_ids *l, const unsigned char *key,
		       size_t klen)
{
	struct store_id *v;
	size_t i;

	if (!klen || klen >= sizeof(v->id) || memchr(key, '\0', klen))
		return 0;
	for (i = 0; i < l->n; i++)
		if (strlen(l->v[i].id) == klen && !memcmp(l->v[i].id, key, klen))
			return 0;
	v = reallocarray(l->v, l->n + 1, sizeof(*v));
	if (!v)
		return ctrd_fail(l->st, NULL, "%s", strerror(errno));
	l->v = v;
	memcpy(v[l->n].id, key, klen);
	v[l->n++].id[klen] = '\0';
	return 0;
}

static int ctrd_id_elem(struct bbolt *db, const struct bbolt_elem *e,
			void *arg)
{
	char key[CTRD_KEY_SIZE], image[CTRD_KEY_SIZE], bkey[CTRD_KEY_SIZE];
	struct ctrd_ids *l = arg;
	struct ctrd_snap s;

	(void)db;
	if (!e->bucket || e->klen >= sizeof(key) ||
	    memchr(e->key, '\0', e->klen))
		return 0;
	memcpy(key, e->key, e->klen);
	key[e->klen] = '\0';
	/*
	 * One that cannot be read, or of another snapshotter, is no
	 * container we can list.
	 */
	if (l->active ? ctrd_ns_snapshot(l->st, key, &s) <= 0 ||
	    ctrd_backend_snapshot(l->st, &s) || s.kind != CTRD_KIND_ACTIVE :
	    ctrd_container_rec(l->st, key, image, bkey, NULL) <= 0) {
		l->st->err[0] = '\0';
		return 0;
	}
	return ctrd_add_id(l, e->key, e->klen);
}

static int ctrd_id_cmp(const void *a, const void *b)
{
	return strcmp(((const struct store_id *)a)->id,
		      ((const struct store_id *)b)->id);
}

/*
 * Containers: the records of v1/<ns>/containers, then the active
 * snapshots that are no container's (ctr snapshots prepare).
 */
static int ctrd_list_containers(struct store *st, struct store_id **ids,
				size_t *nr)
{
	struct ctrd *cd = CTRD(st);
	struct ctrd_ids l = { .st = st };
	char image[CTRD_KEY_SIZE], key[CTRD_KEY_SIZE];
	struct bbolt_bucket b;
	size_t i, ncont;

	st->err[0] = '\0';
	if (!ctrd_sub(&cd->meta, &cd->nsb, "containers", &b) &&
	    bbolt_foreach(&cd->meta, &b, ctrd_id_elem, &l))
		goto out_free;
	ncont = l.n;
	l.active = true;
	if (cd->have_nsnaps &&
	    bbolt_foreach(&cd->meta, &cd->nsnaps, ctrd_id_elem, &l))
		goto out_free;
	/* A container's own snapshot is listed as the container. */
	for (i = 0; i < ncont; i++) {
		size_t j;

		if (ctrd_container_rec(st, l.v[i].id, image, key, NULL) <= 0)
			continue;
		for (j = ncont; j < l.n; j++) {
			if (strcmp(l.v[j].id, key))
				continue;
			l.v[j] = l.v[--l.n];
			break;
		}
	}
	st->err[0] = '\0';
	qsort(l.v, l.n, sizeof(*l.v), ctrd_id_cmp);
	*ids = l.v;
	*nr = l.n;
	return 0;

out_free:
	if (!st->err[0])
		ctrd_db_fail(st, &cd->meta);
	free(l.v);
	return -1;
}

/* The image IDs (config digests, hex as docker's) of the namespace. */
static int ctrd_list_images(struct store *st, struct store_id **ids,
			    size_t *nr)
{
	struct ctrd *cd = CTRD(st);
	struct store_id *v;
	size_t i, n = 0;

	*ids = NULL;
	*nr = 0;
	if (ctrd_load_images(st))
		return -1;
	v = calloc(cd->nimages + 1, sizeof(*v));
	if (!v)
		return ctrd_fail(st, NULL, "%s", strerror(errno));
	for (i = 0; i < cd->nimages; i++) {
		const struct ctrd_image *img = &cd->images[i];

		if (img->err) {
			snprintf(st->err, sizeof(st->err), "%s", img->err);
			free(v);
			errno = EINVAL;
			return -1;
		}
		if (ctrd_image_by_config(cd, img->config + 7) != img)
			continue;
		snprintf(v[n++].id, sizeof(v->id), "%s", img->config + 7);
	}
	qsort(v, n, sizeof(*v), ctrd_id_cmp);
	*ids = v;
	*nr = n;
	return 0;
}

/* Every layer of every image of the namespace, verified, once each. */
static int ctrd_list_layers(struct store *st, struct store_layer **layers,
			    size_t *nr)
{
	struct store_layer *out = NULL, *tmp;
	struct store_id *ids;
	struct store_chain c;
	size_t n = 0, nids, i, j, k;

	if (ctrd_list_images(st, &ids, &nids))
		return -1;
	for (i = 0; i < nids; i++) {
		if (ctrd_image_chain(st, ids[i].id, &c))
			goto out_free;
		for (j = 0; j < c.nr; j++) {
			store_layer_close(&c.layers[j]);
			for (k = 0; k < n; k++)
				if (!strcmp(out[k].name, c.layers[j].name))
					break;
			if (k < n)
				continue;
			tmp = reallocarray(out, n + 1, sizeof(*out));
			if (!tmp) {
				store_chain_free(&c);
				ctrd_fail(st, NULL, "%s", strerror(errno));
				goto out_free;
			}
			out = tmp;
			out[n++] = c.layers[j];
		}
		store_chain_free(&c);
	}
	free(ids);
	if (n)
		qsort(out, n, sizeof(*out), store_depth_cmp);
	*layers = out;
	*nr = n;
	return 0;

out_free:
	free(ids);
	free(out);
	return -1;
}

/* ---- resolve -------------------------------------------------------- */

/*
 * Docker's reference normalization (distribution/reference): a name
 * without a registry is docker.io's, a docker.io name of one component is
 * in library/, a name without tag or digest is :latest.
 */
static int ctrd_normalize(const char *what, char *out, size_t size)
{
	const char *slash = strchr(what, '/'), *rest = what, *last;
	char domain[256] = "docker.io";
	bool lower = true;
	size_t i;
	int n;

	if (slash) {
		for (i = 0; what + i < slash; i++)
			if (what[i] >= 'A' && what[i] <= 'Z')
				lower = false;
		if (memchr(what, '.', slash - what) ||
		    memchr(what, ':', slash - what) ||
		    (slash - what == 9 && !strncmp(what, "localhost", 9)) ||
		    !lower) {
			if ((size_t)(slash - what) >= sizeof(domain))
				return -1;
			snprintf(domain, sizeof(domain), "%.*s",
				 (int)(slash - what), what);
			rest = slash + 1;
		}
	}
	if (!strcmp(domain, "index.docker.io"))
		snprintf(domain, sizeof(domain), "docker.io");
	last = strrchr(rest, '/');
	last = last ? last + 1 : rest;
	n = snprintf(out, size, "%s/%s%s%s", domain,
		     !strcmp(domain, "docker.io") && !strchr(rest, '/') ?
		     "library/" : "", rest,
		     strchr(rest, '@') || strchr(last, ':') ? "" : ":latest");
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* What an argument may be: an image (by its entry) or a container. */
struct ctrd_cand {
	const struct ctrd_image *img;
	const char *cont;
};

struct ctrd_cands {
	struct ctrd_cand v[8];
	size_t n;			/* distinct, may exceed 8 */
};

static void ctrd_cand_add(struct ctrd_cands *cs, const struct ctrd_image *img,
			  const char *cont)
{
	size_t i;

	for (i = 0; i < cs->n && i < 8; i++) {
		const struct ctrd_cand *x = &cs->v[i];

		if (cont ? x->cont && !strcmp(x->cont, cont) :
		    x->img && (x->img == img || (img->config[0] &&
			       !strcmp(x->img->config, img->config))))
			return;
	}
	if (cs->n < 8)
		cs->v[cs->n] = (struct ctrd_cand){ img, cont };
	cs->n++;
}

static int ctrd_ambiguous(struct store *st, const char *what,
			  const struct ctrd_cands *cs)
{
	char list[600];
	size_t i, o = 0;

	list[0] = '\0';
	for (i = 0; i < cs->n && i < 8 && o < sizeof(list); i++) {
		const struct ctrd_cand *x = &cs->v[i];

		o += snprintf(list + o, sizeof(list) - o, "%s%s %.72s%s%s%s",
			      i ? ", " : "", x->cont ? "container" : "image",
			      x->cont ? x->cont : x->img->config[0] ?
			      x->img->config : x->img->target,
			      x->img ? " (" : "", x->img ? x->img->name : "",
			      x->img ? ")" : "");
	}
	errno = EINVAL;
	return ctrd_fail(st, NULL,
			 "'%.80s' is ambiguous in %s (namespace %s): %s%s", what,
			 st->root, CTRD(st)->ns, list, cs->n > 8 ? ", ..." : "");
}

static int ctrd_use(struct store *st, const struct ctrd_cand *x,
		    const char *ref, struct store_chain *c)
{
	int ret;

	if (x->cont)
		return ctrd_container_chain(st, x->cont, c);
	if (x->img->err) {
		store_chain_init(c, STORE_IMAGE);
		snprintf(st->err, sizeof(st->err), "%s", x->img->err);
		errno = EINVAL;
		return -1;
	}
	ret = ctrd_image_chain(st, x->img->config, c);
	if (!ret && ref)
		snprintf(c->ref, sizeof(c->ref), "%s", ref);
	return ret;
}

/*
 * IMAGE is a name as typed or normalized, a config digest (the image ID)
 * or manifest digest with or without "sha256:", or a unique prefix of an
 * image ID; CONTAINER is a container ID or an active snapshot key, or a
 * unique prefix of a container ID of 64 hex digits. Exact matches go
 * before prefixes, as in the docker reader.
 */
static int ctrd_resolve(struct store *st, const char *what,
			struct store_chain *c)
{
	struct ctrd *cd = CTRD(st);
	char norm[CTRD_KEY_SIZE], image[CTRD_KEY_SIZE], key[CTRD_KEY_SIZE];
	bool digest = !strncmp(what, "sha256:", 7);
	const char *hex = digest ? what + 7 : what, *ref = NULL;
	struct ctrd_cands cs = { .n = 0 };
	struct store_id *ids = NULL;
	size_t i, nids = 0, plen = strlen(hex);
	struct ctrd_snap s;
	int ret;

	store_chain_init(c, STORE_IMAGE);
	norm[0] = '\0';	/* no name to compare: no image has "" */
	if (ctrd_load_images(st))
		return -1;
	if (!digest && !store_valid_hex(what) &&
	    ctrd_normalize(what, norm, sizeof(norm)))
		norm[0] = '\0';
	for (i = 0; i < cd->nimages; i++) {
		const struct ctrd_image *img = &cd->images[i];

		if (!digest && (!strcmp(img->name, what) ||
				!strcmp(img->name, norm))) {
			ctrd_cand_add(&cs, img, NULL);
			ref = img->name;
		} else if (store_valid_hex(hex) &&
			   ((img->config[0] && !strcmp(img->config + 7, hex)) ||
			    !strcmp(img->target + 7, hex))) {
			ctrd_cand_add(&cs, img, NULL);
		}
	}
	if (!digest) {
		ret = ctrd_container_rec(st, what, image, key, NULL);
		if (ret < 0)
			return -1;
		if (!ret)
			ret = ctrd_ns_snapshot(st, what, &s);
		if (ret < 0)
			return -1;
		if (ret)
			ctrd_cand_add(&cs, NULL, what);
	}
	if (!cs.n && plen && plen < STORE_HEX_LEN && ctrd_is_hex(hex, plen)) {
		for (i = 0; i < cd->nimages; i++)
			if (cd->images[i].config[0] &&
			    !strncmp(cd->images[i].config + 7, hex, plen))
				ctrd_cand_add(&cs, &cd->images[i], NULL);
		if (!digest && ctrd_list_containers(st, &ids, &nids))
			return -1;
		for (i = 0; i < nids; i++)
			if (store_valid_hex(ids[i].id) &&
			    !strncmp(ids[i].id, hex, plen))
				ctrd_cand_add(&cs, NULL, ids[i].id);
	}
	if (cs.n > 1)
		ret = ctrd_ambiguous(st, what, &cs);
	else if (cs.n)
		ret = ctrd_use(st, &cs.v[0], ref, c);
	else
		ret = ctrd_fail(st, NULL,
				"no such image or container in %s (namespace %s): '%.80s'",
				st->root, cd->ns, what);
	if (!cs.n)
		errno = ENOENT;
	free(ids);
	return ret;
}

/* ---- what the commands show ----------------------------------------- */

static int ctrd_image_refs(struct store *st, const char *id, char *out,
			   size_t size)
{
	struct ctrd *cd = CTRD(st);
	const char *hex = ctrd_hex_of(id);
	size_t i, o = 0;

	out[0] = '\0';
	if (!hex)
		return ctrd_fail(st, NULL, "'%.80s' is not an image ID", id);
	if (ctrd_load_images(st))
		return -1;
	for (i = 0; i < cd->nimages && o < size; i++)
		if (cd->images[i].config[0] &&
		    !strcmp(cd->images[i].config + 7, hex))
			o += snprintf(out + o, size - o, "%s%s", o ? ", " : "",
				      cd->images[i].name);
	return 0;
}

static int ctrd_image_created(struct store *st, const char *id, char *out,
			      size_t size)
{
	const char *hex = ctrd_hex_of(id), *s;
	struct ctrd_image *img;
	struct json_object *cfg;
	char rel[CTRD_REL_SIZE];

	out[0] = '\0';
	if (!hex)
		return ctrd_fail(st, NULL, "'%.80s' is not an image ID", id);
	if (ctrd_load_images(st))
		return -1;
	img = ctrd_image_by_config(CTRD(st), hex);
	if (!img) {
		errno = ENOENT;
		return ctrd_fail(st, CTRD_META_DB,
				 "no image with ID sha256:%s in namespace %s",
				 hex, CTRD(st)->ns);
	}
	cfg = ctrd_blob_json(st, img->config, img->config_size, rel);
	if (!cfg)
		return -1;
	s = ctrd_jstr(cfg, "created");
	snprintf(out, size, "%s", s ? s : "");
	json_object_put(cfg);
	return 0;
}

/* A time as RFC 3339 in UTC, as containerd prints it. */
static void ctrd_format_time(const struct ctrd_time *t, char *out,
			     size_t size)
{
	time_t sec = t->sec;
	struct tm tm;
	char buf[32];

	if (!gmtime_r(&sec, &tm) ||
	    !strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm)) {
		out[0] = '\0';
		return;
	}
	snprintf(out, size, "%s.%09uZ", buf, t->nsec);
}

/*
 * A container record (image, created, the nerdctl/name label) or an
 * active snapshot of that key: 1, 0 if neither exists, -1.
 */
static int ctrd_container_meta(struct store *st, const char *id,
			       struct store_container *m)
{
	struct ctrd *cd = CTRD(st);
	char image[CTRD_KEY_SIZE], key[CTRD_KEY_SIZE];
	const unsigned char *v;
	struct bbolt_bucket b, lb;
	struct ctrd_image *img;
	struct ctrd_snap s;
	struct ctrd_time t;
	size_t len, i;
	int ret;

	memset(m, 0, sizeof(*m));
	snprintf(m->id, sizeof(m->id), "%s", id);
	ret = ctrd_container_rec(st, id, image, key, &b);
	if (ret < 0)
		return -1;
	if (!ret) {
		ret = ctrd_ns_snapshot(st, id, &s);
		if (ret <= 0 || ctrd_backend_snapshot(st, &s))
			return ret < 0 ? -1 : ret ? -1 : 0;
		if (s.have_created)
			ctrd_format_time(&s.created, m->created,
					 sizeof(m->created));
		return 1;
	}
	snprintf(m->image_ref, sizeof(m->image_ref), "%.255s", image);
	if (!bbolt_get(&cd->meta, &b, "createdat", 9, &v, &len) &&
	    !ctrd_time(v, len, &t))
		ctrd_format_time(&t, m->created, sizeof(m->created));
	if (!ctrd_sub(&cd->meta, &b, "labels", &lb) &&
	    ctrd_str(&cd->meta, &lb, "nerdctl/name", m->name, sizeof(m->name)))
		m->name[0] = '\0';
	if (ctrd_load_images(st))
		return -1;
	for (i = 0; i < cd->nimages; i++) {
		img = &cd->images[i];
		if (!strcmp(img->name, image) && img->config[0])
			snprintf(m->image, sizeof(m->image), "%s", img->config);
	}
	return 1;
}

/* ROOT/<snapshots>/@id/@sub: 0, or -1 when cut short. */
static int ctrd_path(const struct store *st, const char *id, const char *sub,
		     char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s/" CTRD_SNAPSHOTS "/%s/%s", st->root, id,
			 sub);

	return n < 0 || (size_t)n >= size ? -1 : 0;
}

static int ctrd_layer_path(const struct store *st, const struct store_layer *l,
			   char *buf, size_t size)
{
	return ctrd_path(st, l->cache_id, "fs", buf, size);
}

static int ctrd_upper_path(const struct store *st, const struct store_chain *c,
			   char *buf, size_t size)
{
	return ctrd_path(st, c->mount_id, "fs", buf, size);
}

static int ctrd_work_path(const struct store *st, const struct store_chain *c,
			  char *buf, size_t size)
{
	return ctrd_path(st, c->mount_id, "work", buf, size);
}

static int ctrd_layer_stat(struct store *st, const struct store_layer *l,
			   struct stat *out)
{
	char rel[CTRD_REL_SIZE];
	int fd, dirfd, ret = 0;

	fd = ctrd_open_snapdir(st, l->cache_id, "fs", O_PATH, &dirfd);
	if (fd < 0)
		return -1;
	close(dirfd);
	if (fstat(fd, out)) {
		snprintf(rel, sizeof(rel), CTRD_SNAPSHOTS "/%s/fs", l->cache_id);
		ret = ctrd_fail(st, rel, "%s", strerror(errno));
	}
	close(fd);
	return ret;
}

/* sha256 of regular file @rel of layer @l: beneath its fs, no mounts. */
static int ctrd_layer_file_sha256(struct store *st, const struct store_layer *l,
				  const char *rel, char out[STORE_HEX_LEN + 1])
{
	char path[CTRD_REL_SIZE];
	struct stat sb;
	int fs, dirfd, fd, ret = -1;

	snprintf(path, sizeof(path), CTRD_SNAPSHOTS "/%s/fs/%s", l->cache_id,
		 rel);
	fs = ctrd_open_snapdir(st, l->cache_id, "fs", O_PATH, &dirfd);
	if (fs < 0)
		return -1;
	close(dirfd);
	fd = store_openat2_how(fs, rel, O_RDONLY | O_NOCTTY | O_NONBLOCK,
			       RESOLVE_NO_XDEV);
	close(fs);
	if (fd < 0)
		return ctrd_fail(st, path, "%s", store_strerror(errno));
	if (fstat(fd, &sb) || !S_ISREG(sb.st_mode))
		ctrd_fail(st, path, "not a regular file");
	else if (store_fd_sha256(fd, out))
		ctrd_fail(st, path, "%s", strerror(errno));
	else
		ret = 0;
	close(fd);
	return ret;
}

/*
 * What made the layer @chain_id: the "created_by" of its history entry in
 * the config of an image of the namespace that has it (as the docker
 * reader). 1 and @out, 0 when no image says, -1.
 */
static int ctrd_layer_created_by(struct store *st, const char *chain_id,
				 char *out, size_t size)
{
	struct json_object *cfg, *ids;
	const char *by;
	size_t depth;

	if (ctrd_load_images(st))
		return -1;
	cfg = ctrd_find_chain(st, chain_id, "", &ids, &depth);
	st->err[0] = '\0';
	if (!cfg)
		return 0;
	by = store_history_of(cfg, depth - 1);
	if (by)
		snprintf(out, size, "%s", by);
	json_object_put(cfg);
	return by ? 1 : 0;
}

const struct store_ops ctrd_store_ops = {
	.type = STORE_CONTAINERD,
	.name = "containerd",
	.open = ctrd_open,
	.close = ctrd_close,
	.resolve = ctrd_resolve,
	.image_chain = ctrd_image_chain,
	.container_chain = ctrd_container_chain,
	.list_layers = ctrd_list_layers,
	.list_images = ctrd_list_images,
	.list_containers = ctrd_list_containers,
	.image_refs = ctrd_image_refs,
	.image_created = ctrd_image_created,
	.container_meta = ctrd_container_meta,
	.layer_path = ctrd_layer_path,
	.upper_path = ctrd_upper_path,
	.work_path = ctrd_work_path,
	.layer_stat = ctrd_layer_stat,
	.layer_file_sha256 = ctrd_layer_file_sha256,
	.layer_created_by = ctrd_layer_created_by,
};
