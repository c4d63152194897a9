// SPDX-License-Identifier: GPL-2.0
/*
 * Reader for containers/storage's overlay store (podman, buildah, CRI-O;
 * the layout of containers/storage 1.43, podman 4.3), cs_store_ops.
 *
 * Three JSON arrays describe the store: overlay-layers/layers.json (id,
 * parent, diff-digest, ...), overlay-images/images.json (id, names, layer:
 * the top layer) and overlay-containers/containers.json (id, names,
 * image, layer: the container's read-write layer). The layer directories,
 * overlay/<id>/{diff,link,lower,work} and overlay/l/<short>, follow
 * Docker's overlay2 scheme and are checked by the same code (store.c,
 * with st->drv "overlay"): everything opened beneath the root through no
 * symbolic link, the l/ links read and compared as text, nothing opened
 * for writing.
 *
 * Each file is read once, at store_open(), and checked whole: every entry
 * must have the types it should, IDs of 64 hex digits (no "..", no '/'),
 * diff digests "sha256:" and 64 hex digits, no ID twice. Chains follow
 * the parent fields, at most STORE_MAX_DEPTH deep and without a cycle;
 * chain IDs are recomputed from the diff digests. An image's config (big
 * data "sha256:<id>"), when it lists one, must hash to the image ID and
 * list the chain's diff digests.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <json-c/json.h>
#include <openssl/evp.h>
#include "store.h"
#include "store_int.h"

#define CS_LAYERS	"overlay-layers/layers.json"
#define CS_IMAGES	"overlay-images/images.json"
#define CS_CONTAINERS	"overlay-containers/containers.json"
#define CS_JSON_MAX	(64 << 20)	/* refused beyond, as too large */
#define CS_LOWER_MAX	(STORE_MAX_DEPTH * (STORE_HEX_LEN + 1))
#define CS_REL_SIZE	512
#define CS_REF_SIZE	256

/* A layer of layers.json; the strings point into the parsed JSON. */
struct cs_layer {
	const char *id;
	const char *parent;	/* "" for a base layer */
	const char *diff;	/* diff-digest, "" if none (a container's) */
	long long size;		/* diff-size, -1 if absent */
	unsigned int gen;	/* last walk that met it (cycle check) */
};

/* An image of images.json or a container of containers.json. */
struct cs_entry {
	const char *id;
	const char *layer;		/* top (image) or read-write layer */
	const char *image;		/* a container's image, or "" */
	const char *created;		/* or "" */
	struct json_object *names;	/* array of strings, or NULL */
	struct json_object *obj;
};

struct cs_store {
	struct json_object *ljson, *ijson, *cjson;
	struct cs_layer *layers;
	size_t nl;
	struct cs_entry *images;
	size_t ni;
	struct cs_entry *ctrs;
	size_t nc;
	unsigned int gen;
};

static struct cs_store *CS(const struct store *st)
{
	return st->priv;
}

static int cs_id_cmp(const void *a, const void *b)
{
	return strcmp(*(const char * const *)a, *(const char * const *)b);
}

/* The element of a sorted array of structs whose first member is an ID. */
static void *cs_find(void *base, size_t nr, size_t size, const char *id)
{
	return bsearch(&id, base, nr, size, cs_id_cmp);
}

/*
 * The JSON array in @rel, or an empty one if the file does not exist
 * (a store without images or containers yet).
 */
static struct json_object *cs_read_array(struct store *st, const char *rel)
{
	struct json_object *obj;
	size_t len;
	char *buf;

	buf = store_slurp_at(st, st->rootfd, rel, rel, CS_JSON_MAX, &len);
	if (!buf)
		return errno == ENOENT ? json_object_new_array() : NULL;
	obj = store_parse_json(st, rel, buf, len);
	free(buf);
	if (obj && !json_object_is_type(obj, json_type_array)) {
		json_object_put(obj);
		store_fail(st, rel, "not a JSON array");
		errno = EINVAL;
		return NULL;
	}
	return obj;
}

/*
 * Member @key of entry @i (@what "layer", ...) of @rel as a string: NULL
 * and "" are the same when @optional, else refused; with @hex it must be
 * an ID of 64 hex digits. 0, or -1 with the file and entry named.
 */
static int cs_str(struct store *st, const char *rel, const char *what,
		  size_t i, struct json_object *obj, const char *key,
		  bool optional, bool hex, const char **out)
{
	struct json_object *v;
	char q[96];
	const char *s;

	*out = "";
	if (!json_object_object_get_ex(obj, key, &v) || !v) {
		if (optional)
			return 0;
		errno = EINVAL;
		return store_fail(st, rel, "%s [%zu]: no \"%s\"", what, i, key);
	}
	if (!json_object_is_type(v, json_type_string)) {
		errno = EINVAL;
		return store_fail(st, rel, "%s [%zu]: \"%s\" is not a string",
				  what, i, key);
	}
	s = json_object_get_string(v);
	if (!s[0] && optional)
		return 0;
	if (hex && !store_valid_hex(s)) {
		errno = EINVAL;
		return store_fail(st, rel,
				  "%s [%zu]: %s '%s' is not an ID of 64 lower-case hex digits",
				  what, i, key,
				  store_quote(s, strlen(s), q, sizeof(q)));
	}
	*out = s;
	return 0;
}

/* "names": absent, null, or an array of strings. */
static int cs_names(struct store *st, const char *rel, const char *what,
		    size_t i, struct json_object *obj, struct json_object **out)
{
	struct json_object *v;
	size_t j;

	*out = NULL;
	if (!json_object_object_get_ex(obj, "names", &v) || !v)
		return 0;
	if (!json_object_is_type(v, json_type_array))
		goto out_inval;
	for (j = 0; j < json_object_array_length(v); j++)
		if (!json_object_is_type(json_object_array_get_idx(v, j),
					 json_type_string))
			goto out_inval;
	*out = v;
	return 0;

out_inval:
	errno = EINVAL;
	return store_fail(st, rel, "%s [%zu]: \"names\" is not an array of strings",
			  what, i);
}

/* true for layers the writer has not finished (flags.incomplete). */
static bool cs_incomplete(struct json_object *obj)
{
	struct json_object *flags, *v;

	flags = store_json_get(obj, "flags", json_type_object);
	if (!flags)
		return false;
	v = store_json_get(flags, "incomplete", json_type_boolean);
	return v && json_object_get_boolean(v);
}

/* A sorted array (by its first member, the ID) with no ID twice. */
static int cs_sort(struct store *st, const char *rel, const char *what,
		   void *base, size_t nr, size_t size)
{
	const char *a, *b;
	size_t i;

	qsort(base, nr, size, cs_id_cmp);
	for (i = 1; i < nr; i++) {
		a = *(const char **)((char *)base + (i - 1) * size);
		b = *(const char **)((char *)base + i * size);
		if (!strcmp(a, b)) {
			errno = EINVAL;
			return store_fail(st, rel, "%s %s is listed twice",
					  what, a);
		}
	}
	return 0;
}

static int cs_load_layers(struct store *st, struct cs_store *cs)
{
	struct json_object *obj, *v;
	struct cs_layer *l;
	size_t i, n;
	char q[96];

	cs->ljson = cs_read_array(st, CS_LAYERS);
	if (!cs->ljson)
		return -1;
	n = json_object_array_length(cs->ljson);
	cs->layers = calloc(n ? n : 1, sizeof(*cs->layers));
	if (!cs->layers)
		return store_fail(st, CS_LAYERS, "%s", strerror(errno));
	for (i = 0; i < n; i++) {
		obj = json_object_array_get_idx(cs->ljson, i);
		if (!json_object_is_type(obj, json_type_object)) {
			errno = EINVAL;
			return store_fail(st, CS_LAYERS,
					  "layer [%zu]: not a JSON object", i);
		}
		if (cs_incomplete(obj))
			continue;
		l = &cs->layers[cs->nl];
		if (cs_str(st, CS_LAYERS, "layer", i, obj, "id", false, true,
			   &l->id) ||
		    cs_str(st, CS_LAYERS, "layer", i, obj, "parent", true, true,
			   &l->parent) ||
		    cs_str(st, CS_LAYERS, "layer", i, obj, "diff-digest", true,
			   false, &l->diff))
			return -1;
		if (l->diff[0] && !store_valid_id(l->diff)) {
			errno = EINVAL;
			return store_fail(st, CS_LAYERS,
					  "layer %s: diff-digest '%s' is not a sha256 digest (\"sha256:\" and 64 lower-case hex digits)",
					  l->id, store_quote(l->diff,
							     strlen(l->diff),
							     q, sizeof(q)));
		}
		if (!strcmp(l->parent, l->id)) {
			errno = EINVAL;
			return store_fail(st, CS_LAYERS,
					  "layer %s: is its own parent", l->id);
		}
		v = store_json_get(obj, "diff-size", json_type_int);
		l->size = v ? json_object_get_int64(v) : -1;
		cs->nl++;
	}
	return cs_sort(st, CS_LAYERS, "layer", cs->layers, cs->nl,
		       sizeof(*cs->layers));
}

/* images.json (@ctr false) or containers.json. */
static int cs_load_entries(struct store *st, const char *rel, bool ctr,
			   struct json_object **json, struct cs_entry **out,
			   size_t *nr)
{
	const char *what = ctr ? "container" : "image";
	struct json_object *obj;
	struct cs_entry *e;
	size_t i, n;

	*json = cs_read_array(st, rel);
	if (!*json)
		return -1;
	n = json_object_array_length(*json);
	*out = calloc(n ? n : 1, sizeof(**out));
	if (!*out)
		return store_fail(st, rel, "%s", strerror(errno));
	for (i = 0; i < n; i++) {
		obj = json_object_array_get_idx(*json, i);
		e = &(*out)[i];
		if (!json_object_is_type(obj, json_type_object)) {
			errno = EINVAL;
			return store_fail(st, rel, "%s [%zu]: not a JSON object",
					  what, i);
		}
		e->obj = obj;
		if (cs_str(st, rel, what, i, obj, "id", false, true, &e->id) ||
		    cs_str(st, rel, what, i, obj, "layer", false, true,
			   &e->layer) ||
		    cs_str(st, rel, what, i, obj, "image", true, true,
			   &e->image) ||
		    cs_str(st, rel, what, i, obj, "created", true, false,
			   &e->created) ||
		    cs_names(st, rel, what, i, obj, &e->names))
			return -1;
	}
	*nr = n;
	return cs_sort(st, rel, what, *out, n, sizeof(**out));
}

static void cs_close(struct store *st)
{
	struct cs_store *cs = CS(st);

	if (!cs)
		return;
	json_object_put(cs->ljson);
	json_object_put(cs->ijson);
	json_object_put(cs->cjson);
	free(cs->layers);
	free(cs->images);
	free(cs->ctrs);
	free(cs);
	st->priv = NULL;
}

static int cs_open(struct store *st)
{
	struct cs_store *cs;

	st->drv = "overlay";
	cs = calloc(1, sizeof(*cs));
	if (!cs)
		return store_fail(st, NULL, "%s", strerror(errno));
	st->priv = cs;
	if (cs_load_layers(st, cs) ||
	    cs_load_entries(st, CS_IMAGES, false, &cs->ijson, &cs->images,
			    &cs->ni) ||
	    cs_load_entries(st, CS_CONTAINERS, true, &cs->cjson, &cs->ctrs,
			    &cs->nc)) {
		cs_close(st);
		return -1;
	}
	return 0;
}

/*
 * The layers from @top down to the base, following the parents: top
 * first into *@out (malloc()ed), at most STORE_MAX_DEPTH, no layer twice.
 * @who says whose layer it is in messages.
 */
static int cs_walk(struct store *st, const char *top, const char *who,
		   struct cs_layer ***out, size_t *nr)
{
	struct cs_store *cs = CS(st);
	struct cs_layer *l, **v;
	const char *id = top;
	size_t n = 0;

	*out = NULL;
	*nr = 0;
	v = calloc(STORE_MAX_DEPTH, sizeof(*v));
	if (!v)
		return store_fail(st, CS_LAYERS, "%s", strerror(errno));
	cs->gen++;
	while (id[0]) {
		l = cs_find(cs->layers, cs->nl, sizeof(*l), id);
		if (!l) {
			errno = ENOENT;
			if (n)
				store_fail(st, CS_LAYERS,
					   "layer %s: parent %s not found",
					   v[n - 1]->id, id);
			else
				store_fail(st, CS_LAYERS,
					   "layer %s of %s not found", id, who);
			goto out_free;
		}
		if (l->gen == cs->gen) {
			errno = ELOOP;
			store_fail(st, CS_LAYERS,
				   "layer %s: parent %s is a layer above it (a cycle)",
				   v[n - 1]->id, id);
			goto out_free;
		}
		if (n == STORE_MAX_DEPTH) {
			errno = E2BIG;
			store_fail(st, CS_LAYERS,
				   "layer %s: chain deeper than %d layers", top,
				   STORE_MAX_DEPTH);
			goto out_free;
		}
		l->gen = cs->gen;
		v[n++] = l;
		id = l->parent;
	}
	*out = v;
	*nr = n;
	return 0;

out_free:
	free(v);
	return -1;
}

/*
 * overlay/<id>/lower-layers, which newer containers/storage versions
 * write beside lower: the IDs of the layers below, nearest first, joined
 * by ':'. Absent is fine (containers/storage 1.43 writes none).
 */
static int cs_check_lower_layers(struct store *st, const struct store_layer *l,
				 size_t i, const struct store_layer *below)
{
	char name[STORE_CACHE_ID_SIZE + 16], rel[CS_REL_SIZE], q[96];
	char *buf, *want, *p;
	size_t len, j;
	int ret = -1;

	snprintf(name, sizeof(name), "%s/lower-layers", l->cache_id);
	snprintf(rel, sizeof(rel), "%s/%s", st->drv, name);
	buf = store_slurp_at(st, st->o2fd, name, rel, CS_LOWER_MAX, &len);
	if (!buf)
		return errno == ENOENT ? 0 : -1;
	want = malloc(i * (STORE_HEX_LEN + 1) + 1);
	if (!want) {
		store_fail(st, rel, "%s", strerror(errno));
		goto out_free;
	}
	p = want;
	*p = '\0';
	for (j = i; j--; )
		p += sprintf(p, "%s%s", below[j].cache_id, j ? ":" : "");
	while (len && buf[len - 1] == '\n')
		len--;
	if (len != strlen(want) || memcmp(buf, want, len))
		store_fail(st, rel, "is '%s', not the layers below it",
			   store_quote(buf, len, q, sizeof(q)));
	else
		ret = 0;
	free(want);
out_free:
	free(buf);
	return ret;
}

/*
 * The layers of a walk (top first) into c->layers, bottom first: diff
 * IDs, recomputed chain IDs, each directory checked above those below.
 */
static int cs_fill(struct store *st, struct cs_layer **v, size_t n,
		   struct store_chain *c)
{
	struct store_layer *l;
	const char *parent;
	size_t i;

	c->layers = calloc(n ? n : 1, sizeof(*c->layers));
	if (!c->layers)
		return store_fail(st, CS_LAYERS, "%s", strerror(errno));
	for (i = 0; i < n; i++) {
		const struct cs_layer *cl = v[n - 1 - i];

		l = &c->layers[i];
		l->dirfd = -1;
		l->diff_fd = -1;
		c->nr = i + 1;
		if (!cl->diff[0]) {
			errno = EINVAL;
			return store_fail(st, CS_LAYERS,
					  "layer %s: no diff-digest (not a committed layer)",
					  cl->id);
		}
		memcpy(l->cache_id, cl->id, STORE_HEX_LEN + 1);
		snprintf(l->diff_id, sizeof(l->diff_id), "%s", cl->diff);
		parent = i ? c->layers[i - 1].chain_id : "";
		snprintf(l->parent_chain, sizeof(l->parent_chain), "%s", parent);
		store_chain_id(parent, l->diff_id, l->chain_id);
		l->size = cl->size;
		if (store_link_layer(st, c->layers, i) ||
		    cs_check_lower_layers(st, l, i, c->layers))
			return -1;
	}
	return 0;
}

/* true if the names array @key of @obj has @name. */
static bool cs_has_name(struct json_object *obj, const char *key,
			const char *name)
{
	struct json_object *v = store_json_get(obj, key, json_type_array), *e;
	size_t i;

	for (i = 0; v && i < json_object_array_length(v); i++) {
		e = json_object_array_get_idx(v, i);
		if (json_object_is_type(e, json_type_string) &&
		    !strcmp(json_object_get_string(e), name))
			return true;
	}
	return false;
}

/*
 * The config of image @img, its big data "sha256:<id>" if the image lists
 * it in big-data-names: overlay-images/<id>/ and "=" + base64 of the key
 * (containers/storage's name for a key not only of [.0-9a-z]). Its
 * sha256 must be the image ID and its rootfs.diff_ids valid. 0 and *@cfg
 * (NULL when the image has none), or -1.
 */
static int cs_read_config(struct store *st, const struct cs_entry *img,
			  struct json_object **cfg, char *rel, size_t size)
{
	char key[STORE_ID_SIZE], digest[STORE_HEX_LEN + 1];
	unsigned char b64[2 * STORE_ID_SIZE];
	size_t len;
	char *buf;

	*cfg = NULL;
	snprintf(key, sizeof(key), "sha256:%s", img->id);
	if (!cs_has_name(img->obj, "big-data-names", key))
		return 0;
	EVP_EncodeBlock(b64, (const unsigned char *)key, strlen(key));
	snprintf(rel, size, "overlay-images/%s/=%s", img->id, b64);
	if (strchr((char *)b64, '/'))
		return store_fail(st, rel,
				  "the image's config cannot have this name (it has a '/')");
	buf = store_slurp_at(st, st->rootfd, rel, rel, CS_JSON_MAX, &len);
	if (!buf)
		return -1;
	if (store_sha256_hex(buf, len, digest) || strcmp(digest, img->id)) {
		free(buf);
		errno = EINVAL;
		return store_fail(st, rel,
				  "content does not match the image ID (sha256:%s)",
				  digest);
	}
	*cfg = store_parse_json(st, rel, buf, len);
	free(buf);
	if (!*cfg)
		return -1;
	if (!store_config_diff_ids(st, rel, *cfg)) {
		json_object_put(*cfg);
		*cfg = NULL;
		return -1;
	}
	return 0;
}

/* The image config's diff IDs, bottom first, against the layers' (top first). */
static int cs_check_config(struct store *st, const char *rel,
			   struct json_object *cfg, struct cs_layer **v,
			   size_t n)
{
	struct json_object *ids = store_config_diff_ids(st, rel, cfg);
	size_t i, nids = json_object_array_length(ids);
	const char *diff;

	if (nids != n) {
		errno = EINVAL;
		return store_fail(st, rel,
				  "rootfs.diff_ids has %zu layers, the image's chain %zu",
				  nids, n);
	}
	for (i = 0; i < n; i++) {
		diff = json_object_get_string(json_object_array_get_idx(ids, i));
		if (strcmp(diff, v[n - 1 - i]->diff)) {
			errno = EINVAL;
			return store_fail(st, rel,
					  "rootfs.diff_ids[%zu] is %s, but layer %s has diff-digest %s",
					  i, diff, v[n - 1 - i]->id,
					  v[n - 1 - i]->diff[0] ?
					  v[n - 1 - i]->diff : "(none)");
		}
	}
	return 0;
}

static struct cs_entry *cs_image(struct store *st, const char *id)
{
	struct cs_store *cs = CS(st);

	return cs_find(cs->images, cs->ni, sizeof(*cs->images), id);
}

static struct cs_entry *cs_ctr(struct store *st, const char *id)
{
	struct cs_store *cs = CS(st);

	return cs_find(cs->ctrs, cs->nc, sizeof(*cs->ctrs), id);
}

static int cs_image_chain(struct store *st, const char *image_id,
			  struct store_chain *c)
{
	struct cs_layer **v = NULL;
	struct json_object *cfg;
	struct cs_entry *img;
	char who[96], rel[CS_REL_SIZE];
	size_t n;
	int ret;

	store_chain_init(c, STORE_IMAGE);
	if (!strncmp(image_id, "sha256:", 7))
		image_id += 7;
	img = store_valid_hex(image_id) ? cs_image(st, image_id) : NULL;
	if (!img) {
		errno = ENOENT;
		return store_fail(st, CS_IMAGES, "no image %.80s", image_id);
	}
	snprintf(c->id, sizeof(c->id), "sha256:%s", img->id);
	snprintf(who, sizeof(who), "image %s", img->id);
	if (cs_read_config(st, img, &cfg, rel, sizeof(rel)))
		return -1;
	ret = cs_walk(st, img->layer, who, &v, &n);
	if (!ret && cfg)
		ret = cs_check_config(st, rel, cfg, v, n);
	if (!ret)
		ret = cs_fill(st, v, n, c);
	json_object_put(cfg);
	free(v);
	if (ret)
		store_chain_free(c);
	return ret;
}

/*
 * A container: its image's layers below, its own layer (overlay/<layer>)
 * the upper directory with its work directory. Its layer's parent is the
 * image's top layer.
 */
static int cs_container_chain(struct store *st, const char *container_id,
			      struct store_chain *c)
{
	struct cs_store *cs = CS(st);
	struct cs_entry *ctr, *img;
	struct cs_layer *rw, **v;
	char who[96];
	size_t n;
	int ret;

	store_chain_init(c, STORE_CONTAINER);
	ctr = store_valid_hex(container_id) ? cs_ctr(st, container_id) : NULL;
	if (!ctr) {
		errno = ENOENT;
		return store_fail(st, CS_CONTAINERS, "no container %.80s",
				  container_id);
	}
	snprintf(c->id, sizeof(c->id), "%s", ctr->id);
	memcpy(c->mount_id, ctr->layer, STORE_HEX_LEN + 1);
	rw = cs_find(cs->layers, cs->nl, sizeof(*rw), ctr->layer);
	if (!rw) {
		errno = ENOENT;
		return store_fail(st, CS_LAYERS,
				  "layer %s of container %s not found",
				  ctr->layer, ctr->id);
	}
	img = ctr->image[0] ? cs_image(st, ctr->image) : NULL;
	if (ctr->image[0] && !img) {
		errno = ENOENT;
		return store_fail(st, CS_CONTAINERS,
				  "container %s: image %s not found in " CS_IMAGES,
				  ctr->id, ctr->image);
	}
	if (img && strcmp(img->layer, rw->parent)) {
		errno = EINVAL;
		return store_fail(st, CS_LAYERS,
				  "layer %s of container %s: parent '%s', not its image's top layer %s",
				  rw->id, ctr->id, rw->parent, img->layer);
	}
	if (!rw->parent[0]) {
		errno = EINVAL;
		return store_fail(st, CS_LAYERS,
				  "layer %s of container %s: no parent layer",
				  rw->id, ctr->id);
	}
	snprintf(who, sizeof(who), "container %s", ctr->id);
	if (cs_walk(st, rw->parent, who, &v, &n))
		return -1;
	ret = cs_fill(st, v, n, c);
	free(v);
	if (!ret)
		ret = store_link_rw(st, c);
	if (!ret) {
		struct store_layer top = { .dirfd = -1, .diff_fd = -1 };

		memcpy(top.cache_id, c->mount_id, sizeof(c->mount_id));
		ret = cs_check_lower_layers(st, &top, c->nr, c->layers);
	}
	if (ret)
		store_chain_free(c);
	return ret;
}

/* "repo:tag" @name without its tag into @out ("repo" for "repo@dig"). */
static void cs_repo_of(const char *name, char *out, size_t size)
{
	const char *slash = strrchr(name, '/');
	const char *colon = strrchr(slash ? slash : name, ':');
	size_t len = colon ? (size_t)(colon - name) : strlen(name);

	snprintf(out, size, "%.*s", (int)len, name);
}

/* true if image @e has the name @ref, or ref is repo@digest of it. */
static bool cs_image_named(const struct cs_entry *e, const char *ref)
{
	const char *at = strchr(ref, '@');
	struct json_object *v;
	char repo[CS_REF_SIZE];
	size_t i, n;

	n = e->names ? json_object_array_length(e->names) : 0;
	for (i = 0; i < n; i++) {
		const char *name = json_object_get_string(json_object_array_get_idx(e->names, i));

		if (!at) {
			if (!strcmp(name, ref))
				return true;
			continue;
		}
		cs_repo_of(name, repo, sizeof(repo));
		if (strlen(repo) != (size_t)(at - ref) ||
		    strncmp(repo, ref, at - ref))
			continue;
		v = store_json_get(e->obj, "digest", json_type_string);
		if (v && !strcmp(json_object_get_string(v), at + 1))
			return true;
	}
	return false;
}

/*
 * The names @what may stand for, as podman completes short names: as
 * given, with ":latest" when it has no tag or digest, and without a
 * registry: "localhost/" and "docker.io/library/" (or "docker.io/" for
 * "user/name") before it. Returns how many it wrote, *@nexact of them
 * not completed.
 */
static size_t cs_candidates(const char *what, char out[][CS_REF_SIZE],
			    size_t max, size_t *nexact)
{
	const char *slash = strchr(what, '/'), *last = strrchr(what, '/');
	char name[CS_REF_SIZE / 2];
	bool domain;
	size_t n = 0;

	if (strchr(what, '@') || strchr(last ? last : what, ':'))
		snprintf(name, sizeof(name), "%s", what);
	else
		snprintf(name, sizeof(name), "%s:latest", what);
	snprintf(out[n++], CS_REF_SIZE, "%s", what);
	if (strcmp(name, what))
		snprintf(out[n++], CS_REF_SIZE, "%s", name);
	*nexact = n;
	/* "localhost/x", "quay.io/x", "host:5000/x" name their registry. */
	domain = slash && (!strncmp(what, "localhost/", 10) ||
			   memchr(what, '.', slash - what) ||
			   memchr(what, ':', slash - what));
	/* docker.io/x is docker.io/library/x, as Docker Hub names it */
	if (!strncmp(name, "docker.io/", 10) && !strchr(name + 10, '/') &&
	    n < max) {
		snprintf(out[n++], CS_REF_SIZE, "docker.io/library/%s",
			 name + 10);
		*nexact = n;
	}
	if (domain || n + 2 > max)
		return n;
	snprintf(out[n++], CS_REF_SIZE, "localhost/%s", name);
	snprintf(out[n++], CS_REF_SIZE, "docker.io/%s%s",
		 slash ? "" : "library/", name);
	return n;
}

/*
 * The image @what names: 1 and its index in *@idx and the name matched
 * in @ref; 0 if none; -1 if the completions of a short name match more
 * than one image (the candidates listed). A name as given (or with
 * ":latest") is taken before any completion, as podman does.
 */
static int cs_find_image_name(struct store *st, const char *what,
			      size_t *idx, char *ref, size_t size)
{
	struct cs_store *cs = CS(st);
	char cand[4][CS_REF_SIZE], list[STORE_ERR_SIZE / 2];
	size_t nc, nexact, i, j, o = 0;
	int found = 0;

	nc = cs_candidates(what, cand, 4, &nexact);
	for (j = 0; j < nc; j++) {
		if (j == nexact && found)
			return 1;
		for (i = 0; i < cs->ni; i++) {
			if (!cs_image_named(&cs->images[i], cand[j]) ||
			    (found && *idx == i))
				continue;
			if (o < sizeof(list))
				o += snprintf(list + o, sizeof(list) - o,
					      "%s%s (%.12s)", o ? ", " : "",
					      cand[j], cs->images[i].id);
			if (!found) {
				*idx = i;
				snprintf(ref, size, "%s", cand[j]);
			}
			found++;
		}
	}
	if (found > 1) {
		errno = EINVAL;
		return store_fail(st, NULL,
				  "'%.80s' is ambiguous in %s: it names %d images: %s",
				  what, st->root, found, list);
	}
	return found;
}

/* A container with the name @name: 1 and its index, or 0. */
static int cs_find_ctr_name(struct store *st, const char *name, size_t *idx)
{
	struct cs_store *cs = CS(st);
	struct json_object *names;
	size_t i, j;

	for (i = 0; i < cs->nc; i++) {
		names = cs->ctrs[i].names;
		for (j = 0; names && j < json_object_array_length(names); j++) {
			if (!strcmp(json_object_get_string(json_object_array_get_idx(names, j)),
				    name)) {
				*idx = i;
				return 1;
			}
		}
	}
	return 0;
}

/* Entries of @v whose ID starts with @prefix: how many, the first's index. */
static int cs_find_prefix(const struct cs_entry *v, size_t nr,
			  const char *prefix, size_t *idx)
{
	size_t plen = strlen(prefix), i;
	int count = 0;

	for (i = 0; i < nr; i++) {
		if (strncmp(v[i].id, prefix, plen))
			continue;
		if (!count++)
			*idx = i;
	}
	return count;
}

/*
 * IMAGE is a name as stored (localhost/demo:latest), a short form podman
 * completes (demo, demo:latest), repo@digest, an image ID with or without
 * "sha256:" or a unique prefix of one; CONTAINER a container's name, its
 * ID or a unique prefix of one. As in the docker kind: full IDs first,
 * then names (a name that is an image's and a container's is refused),
 * then prefixes.
 */
static int cs_resolve(struct store *st, const char *what,
		      struct store_chain *c)
{
	struct cs_store *cs = CS(st);
	const char *hex = what;
	char ref[CS_REF_SIZE] = "";
	size_t ii = 0, ci = 0;
	int ni = 0, nc = 0, nn;
	bool digest = false;

	store_chain_init(c, STORE_IMAGE);
	if (!strncmp(what, "sha256:", 7)) {
		hex = what + 7;
		digest = true;
	}
	if (store_valid_hex(hex)) {
		ni = cs_find_prefix(cs->images, cs->ni, hex, &ii);
		if (!digest)
			nc = cs_find_prefix(cs->ctrs, cs->nc, hex, &ci);
		goto found;
	}
	if (!digest) {
		nn = cs_find_ctr_name(st, what, &ci);
		ni = cs_find_image_name(st, what, &ii, ref, sizeof(ref));
		if (ni < 0)
			return -1;
		if (ni && nn)
			return store_fail(st, NULL,
					  "'%.80s' is ambiguous in %s: the image %s and the container named so",
					  what, st->root, ref);
		if (ni) {
			if (cs_image_chain(st, cs->images[ii].id, c))
				return -1;
			snprintf(c->ref, sizeof(c->ref), "%s", ref);
			return 0;
		}
		if (nn)
			return cs_container_chain(st, cs->ctrs[ci].id, c);
	}
	if (hex[0] && strlen(hex) < STORE_HEX_LEN &&
	    store_is_hex(hex, strlen(hex))) {
		ni = cs_find_prefix(cs->images, cs->ni, hex, &ii);
		if (!digest)
			nc = cs_find_prefix(cs->ctrs, cs->nc, hex, &ci);
	}
found:
	if (ni + nc > 1)
		return store_fail(st, NULL,
				  "'%.80s' is ambiguous in %s: it matches %d image%s and %d container%s",
				  what, st->root, ni, ni == 1 ? "" : "s",
				  nc, nc == 1 ? "" : "s");
	if (ni)
		return cs_image_chain(st, cs->images[ii].id, c);
	if (nc)
		return cs_container_chain(st, cs->ctrs[ci].id, c);
	errno = ENOENT;
	return store_fail(st, NULL, "no such image or container in %s: '%.80s'",
			  st->root, what);
}

static int cs_list(struct store *st, const struct cs_entry *v, size_t nr,
		   struct store_id **ids, size_t *nrp)
{
	size_t i;

	*ids = calloc(nr ? nr : 1, sizeof(**ids));
	if (!*ids)
		return store_fail(st, NULL, "%s", strerror(errno));
	for (i = 0; i < nr; i++)
		snprintf((*ids)[i].id, sizeof((*ids)[i].id), "%s", v[i].id);
	*nrp = nr;
	return 0;
}

static int cs_list_images(struct store *st, struct store_id **ids, size_t *nr)
{
	return cs_list(st, CS(st)->images, CS(st)->ni, ids, nr);
}

static int cs_list_containers(struct store *st, struct store_id **ids,
			      size_t *nr)
{
	return cs_list(st, CS(st)->ctrs, CS(st)->nc, ids, nr);
}

static bool cs_is_ctr_layer(struct store *st, const char *id)
{
	struct cs_store *cs = CS(st);
	size_t i;

	for (i = 0; i < cs->nc; i++)
		if (!strcmp(cs->ctrs[i].layer, id))
			return true;
	return false;
}

/*
 * Every layer of layers.json but the containers' own, each verified with
 * the chain below it; bottom layers first, then by short name.
 */
static int cs_list_layers(struct store *st, struct store_layer **layers,
			  size_t *nr)
{
	struct cs_store *cs = CS(st);
	struct store_layer *out;
	struct store_chain c;
	struct cs_layer **v;
	size_t i, n = 0, nv;
	char who[96];
	int ret;

	out = calloc(cs->nl ? cs->nl : 1, sizeof(*out));
	if (!out)
		return store_fail(st, CS_LAYERS, "%s", strerror(errno));
	for (i = 0; i < cs->nl; i++) {
		if (cs_is_ctr_layer(st, cs->layers[i].id))
			continue;
		snprintf(who, sizeof(who), "layer %s", cs->layers[i].id);
		if (cs_walk(st, cs->layers[i].id, who, &v, &nv))
			goto out_free;
		store_chain_init(&c, STORE_IMAGE);
		ret = cs_fill(st, v, nv, &c);
		free(v);
		if (!ret) {
			store_layer_close(&c.layers[c.nr - 1]);
			out[n++] = c.layers[c.nr - 1];
		}
		store_chain_free(&c);
		if (ret)
			goto out_free;
	}
	qsort(out, n, sizeof(*out), store_depth_cmp);
	*layers = out;
	*nr = n;
	return 0;

out_free:
	free(out);
	return -1;
}

/* The names of image @id ("sha256:<hex>" or <hex>), ", "-separated. */
static int cs_image_refs(struct store *st, const char *id, char *out,
			 size_t size)
{
	struct cs_entry *img;
	size_t i, n, o = 0;

	out[0] = '\0';
	if (!strncmp(id, "sha256:", 7))
		id += 7;
	img = cs_image(st, id);
	if (!img)
		return 0;
	n = img->names ? json_object_array_length(img->names) : 0;
	for (i = 0; i < n && o < size; i++)
		o += snprintf(out + o, size - o, "%s%s", o ? ", " : "",
			      json_object_get_string(json_object_array_get_idx(img->names, i)));
	return 0;
}

static int cs_image_created(struct store *st, const char *id, char *out,
			    size_t size)
{
	struct cs_entry *img;

	if (!strncmp(id, "sha256:", 7))
		id += 7;
	img = cs_image(st, id);
	snprintf(out, size, "%s", img ? img->created : "");
	return 0;
}

/* The first of a names array, or "". */
static const char *cs_first_name(struct json_object *names)
{
	if (!names || !json_object_array_length(names))
		return "";
	return json_object_get_string(json_object_array_get_idx(names, 0));
}

/*
 * What containers.json says of container @id: its name, image, the name
 * of the image it was created from (podman's metadata "image-name", else
 * the image's first name). containers/storage keeps no state: "".
 */
static int cs_container_meta(struct store *st, const char *id,
			     struct store_container *m)
{
	struct json_object *md, *v;
	struct cs_entry *ctr, *img;

	memset(m, 0, sizeof(*m));
	snprintf(m->id, sizeof(m->id), "%s", id);
	ctr = cs_ctr(st, id);
	if (!ctr)
		return 0;
	snprintf(m->name, sizeof(m->name), "%s", cs_first_name(ctr->names));
	if (ctr->image[0])
		snprintf(m->image, sizeof(m->image), "sha256:%s", ctr->image);
	snprintf(m->created, sizeof(m->created), "%s", ctr->created);
	v = store_json_get(ctr->obj, "metadata", json_type_string);
	md = v ? json_tokener_parse(json_object_get_string(v)) : NULL;
	if (md && json_object_is_type(md, json_type_object))
		store_json_str(md, "image-name", m->image_ref,
			       sizeof(m->image_ref));
	json_object_put(md);
	img = ctr->image[0] ? cs_image(st, ctr->image) : NULL;
	if (!m->image_ref[0] && img)
		snprintf(m->image_ref, sizeof(m->image_ref), "%s",
			 cs_first_name(img->names));
	return 1;
}

/*
 * What made the layer with chain ID @chain_id: the created_by of its
 * history entry in the config of an image that has it. 1 and @out, 0 if
 * no image says (images without a config, or unreadable ones: inspect
 * names those).
 */
static int cs_layer_created_by(struct store *st, const char *chain_id,
			       char *out, size_t size)
{
	struct cs_store *cs = CS(st);
	char rel[CS_REL_SIZE], chain[STORE_ID_SIZE], parent[STORE_ID_SIZE];
	struct json_object *cfg;
	struct cs_layer **v;
	const char *by;
	size_t i, j, n;
	int found = 0;

	for (i = 0; i < cs->ni && !found; i++) {
		if (cs_read_config(st, &cs->images[i], &cfg, rel, sizeof(rel)) ||
		    !cfg)
			continue;
		if (cs_walk(st, cs->images[i].layer, "an image", &v, &n)) {
			json_object_put(cfg);
			continue;
		}
		chain[0] = '\0';
		for (j = 0; j < n && v[n - 1 - j]->diff[0]; j++) {
			memcpy(parent, chain, sizeof(parent));
			store_chain_id(parent, v[n - 1 - j]->diff, chain);
			if (strcmp(chain, chain_id))
				continue;
			by = store_history_of(cfg, j);
			if (by) {
				snprintf(out, size, "%s", by);
				found = 1;
			}
			break;
		}
		free(v);
		json_object_put(cfg);
	}
	st->err[0] = '\0';
	return found;
}

const struct store_ops cs_store_ops = {
	.type			= STORE_CONTAINERS,
	.name			= "containers",
	.open			= cs_open,
	.close			= cs_close,
	.resolve		= cs_resolve,
	.image_chain		= cs_image_chain,
	.container_chain	= cs_container_chain,
	.list_layers		= cs_list_layers,
	.list_images		= cs_list_images,
	.list_containers	= cs_list_containers,
	.image_refs		= cs_image_refs,
	.image_created		= cs_image_created,
	.container_meta		= cs_container_meta,
	.layer_path		= store_ovl_layer_path,
	.upper_path		= store_ovl_upper_path,
	.work_path		= store_ovl_work_path,
	.layer_stat		= store_ovl_layer_stat,
	.layer_file_sha256	= store_ovl_layer_file_sha256,
	.layer_created_by	= cs_layer_created_by,
};
