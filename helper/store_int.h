/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the store readers share (store.c), for the kinds of store in
 * store.c (docker), cs_store.c (containers) and ctrd_store.c
 * (containerd): openat2() beneath the root, bounded reads, strict JSON,
 * messages that name the file. Not for layerctl.c, which uses store.h.
 */
#ifndef LAYERCTL_STORE_INT_H
#define LAYERCTL_STORE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <json-c/json.h>
#include <linux/types.h>
#include "store.h"

#define STORE_SMALL_MAX	4096		/* id, link and size files */

/* Start a message with "ROOT/REL: " (nothing for a NULL @rel). */
size_t store_err_prefix(struct store *st, const char *rel);

/*
 * Leave "ROOT/REL: reason" in st->err and return -1, keeping errno. A
 * macro, so that snprintf() checks the format.
 */
#define store_fail(st, rel, fmt, ...) ({				\
	struct store *__st = (st);					\
	int __e = errno;						\
	size_t __n = store_err_prefix(__st, rel);			\
									\
	snprintf(__st->err + __n, sizeof(__st->err) - __n, fmt,	\
		 ##__VA_ARGS__);					\
	errno = __e;							\
	-1;								\
})

/* Why an openat2() beneath the root failed, in words. */
const char *store_strerror(int e);
/* Printable excerpt of untrusted file content for messages. */
const char *store_quote(const char *s, size_t len, char *buf, size_t size);

/*
 * openat2() beneath @dirfd through no symbolic or magic link,
 * close-on-exec, with more RESOLVE_* flags in @resolve; store_openat2()
 * with none, store_openat2_layer() with RESOLVE_NO_XDEV (inside one layer
 * directory).
 */
int store_openat2_how(int dirfd, const char *rel, int flags, __u64 resolve);
int store_openat2(int dirfd, const char *rel, int flags);
int store_openat2_layer(int dirfd, const char *rel, int flags);

bool store_is_hex(const char *s, size_t len);

/* qsort() order of layer listings: bottom layers first, then by name. */
int store_depth_cmp(const void *a, const void *b);

int store_sha256_hex(const void *data, size_t len,
		     char out[STORE_HEX_LEN + 1]);

/*
 * The regular file @name beneath @dirfd (@rel names it in messages), at
 * most @max bytes, NUL-terminated, for free(); NULL with errno kept
 * (ENOENT for an optional file) and st->err set.
 */
char *store_slurp_at(struct store *st, int dirfd, const char *name,
		     const char *rel, size_t max, size_t *lenp);
/* A small file into @out; @trim drops surrounding white space. */
int store_read_small_at(struct store *st, int dirfd, const char *name,
			const char *rel, char *out, size_t size, bool trim);

/* Strict JSON, one value and nothing after it; NULL and st->err set. */
struct json_object *store_parse_json(struct store *st, const char *rel,
				     const char *buf, size_t len);
/* Member @key of @obj if it has @type, else NULL. */
struct json_object *store_json_get(struct json_object *obj, const char *key,
				   json_type type);
/* A string member of @obj into @out ("" if absent or not a string). */
void store_json_str(struct json_object *obj, const char *key, char *out,
		    size_t size);

/*
 * The overlay2 scheme (Docker's overlay2, containers/storage's overlay),
 * in directory st->drv: layer @i of @layers, whose cache_id names its
 * directory, checked (diff, link, l/ entry, lower, a short name used once)
 * above the linked layers below it; and a container chain's read-write
 * layer c->mount_id above all of c->layers.
 */
int store_link_layer(struct store *st, struct store_layer *layers, size_t i);
int store_link_rw(struct store *st, struct store_chain *c);
/* store_ops of the overlay2 scheme, for layers with a cache_id. */
int store_ovl_layer_path(const struct store *st, const struct store_layer *l,
			 char *buf, size_t size);
int store_ovl_upper_path(const struct store *st, const struct store_chain *c,
			 char *buf, size_t size);
int store_ovl_work_path(const struct store *st, const struct store_chain *c,
			char *buf, size_t size);
int store_ovl_layer_stat(struct store *st, const struct store_layer *l,
			 struct stat *out);
int store_ovl_layer_file_sha256(struct store *st, const struct store_layer *l,
				const char *rel, char out[STORE_HEX_LEN + 1]);

/* rootfs.diff_ids of an image config, checked; NULL and st->err set. */
struct json_object *store_config_diff_ids(struct store *st, const char *rel,
					  struct json_object *cfg);
/* created_by of history entry @nth of those that made a layer, or NULL. */
const char *store_history_of(struct json_object *cfg, size_t nth);

void store_chain_init(struct store_chain *c, enum store_kind kind);
void store_close_fd(int *fd);

#endif /* LAYERCTL_STORE_INT_H */
