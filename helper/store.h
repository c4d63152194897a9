/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reader for Docker's overlay2 image store (dockerd 20.10 layout, see
 * DOCKER-FORMAT.md in the project notes and layerctl(8)).
 *
 * Pure userspace: no kernel interfaces beyond openat2(). Every path is
 * resolved beneath the data root with RESOLVE_BENEATH and without
 * following any symbolic link, and nothing is ever opened for writing.
 * A resolved chain holds descriptors of the layer directories it
 * verified: callers use those (never the paths again) and free them
 * with store_chain_free().
 * On failure a function returns -1 and leaves a message naming the
 * file and the reason in store->err.
 */
#ifndef LAYERCTL_STORE_H
#define LAYERCTL_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <linux/types.h>

#define STORE_HEX_LEN		64
#define STORE_ID_SIZE		72	/* "sha256:" + 64 hex + NUL */
#define STORE_SHORT_LEN		26	/* overlay2 short names, base32 */
#define STORE_NAME_SIZE		(STORE_SHORT_LEN + 1)
#define STORE_CACHE_ID_SIZE	72	/* 64 hex, or <mount-id>-init */
#define STORE_MAX_DEPTH		4096	/* deepest chain we follow */
#define STORE_ERR_SIZE		1024

struct store {
	int rootfd;			/* O_PATH of the data root */
	int ldirfd;			/* O_PATH of overlay2/l, or -1 */
	int o2fd;			/* O_PATH of overlay2, or -1 */
	char *root;			/* as given, for messages */
	char err[STORE_ERR_SIZE];	/* last failure: "FILE: reason" */
	const struct store_ops *ops;	/* the kind's backend */
	void *priv;			/* the backend's */
	char ns[64];			/* containerd namespace, "" = default */
};

/* One layer as the store describes it. */
struct store_layer {
	char name[STORE_NAME_SIZE];		/* short name (link file) */
	char parent[STORE_NAME_SIZE];		/* "" for a base layer */
	char diff_id[STORE_ID_SIZE];		/* "" for an init layer */
	char chain_id[STORE_ID_SIZE];		/* "" for an init layer */
	char parent_chain[STORE_ID_SIZE];	/* "" for a base layer */
	char cache_id[STORE_CACHE_ID_SIZE];	/* overlay2/<cache_id> */
	long long size;				/* -1 when unknown */
	unsigned int depth;			/* 1 for a base layer */
	bool init;				/* a container's init layer */
	/*
	 * What was verified, held open for its use (see store.c):
	 * O_PATH of overlay2/<cache_id> while it is checked, -1 in a
	 * resolved chain (one descriptor per layer stays open), and
	 * O_PATH of its diff directory, or -1.
	 */
	int dirfd;
	int diff_fd;
};

enum store_kind {
	STORE_IMAGE,
	STORE_CONTAINER,
};

/* What an IMAGE or CONTAINER argument resolves to. */
struct store_chain {
	enum store_kind kind;
	char id[STORE_ID_SIZE];		/* image "sha256:<hex>" or container <hex> */
	char ref[256];			/* name:tag it was found by, or "" */
	char mount_id[STORE_HEX_LEN + 1];	/* containers only */
	size_t nr;			/* layers, bottom first */
	struct store_layer *layers;	/* a container's init layer is last */
	/* Containers: the verified overlay2/<mount_id>, its diff and work. */
	int rw_dirfd;			/* O_PATH, or -1 */
	int upper_fd;			/* O_RDONLY directory, or -1 */
	int work_fd;			/* O_RDONLY directory, or -1 */
};

/*
 * An image or container ID: 64 hex digits (docker), any string of the
 * store (containerd's container IDs and snapshot keys) in id.
 */
struct store_id {
	union {
		char hex[STORE_HEX_LEN + 1];
		char id[256];
	};
};

/* A container as dockerd describes it (containers/<id>/config.v2.json). */
struct store_container {
	char id[STORE_HEX_LEN + 1];
	char name[256];			/* without docker's '/', or "" */
	char image[STORE_ID_SIZE];	/* the image ID, or "" */
	char image_ref[256];		/* as it was created from, or "" */
	char state[32];			/* running, exited (N), created, ... */
	char created[64];
};

int store_open(struct store *st, const char *root);

/*
 * openat2() of @rel beneath directory @dirfd, through no symbolic or magic
 * link and never above it (close-on-exec): how the store opens everything,
 * for others that read a tree that may change under them (a layer).
 */
int store_open_beneath(int dirfd, const char *rel, int flags);
void store_close(struct store *st);

int store_resolve(struct store *st, const char *what, struct store_chain *c);
int store_image_chain(struct store *st, const char *image_hex,
		      struct store_chain *c);
int store_container_chain(struct store *st, const char *container_hex,
			  struct store_chain *c);
void store_chain_free(struct store_chain *c);
void store_layer_close(struct store_layer *l);

int store_list_layers(struct store *st, struct store_layer **layers,
		      size_t *nr);
int store_list_images(struct store *st, struct store_id **ids,
		      size_t *nr);
int store_list_containers(struct store *st, struct store_id **ids,
			  size_t *nr);
int store_image_refs(struct store *st, const char *id, char *out, size_t size);
int store_image_created(struct store *st, const char *hex, char *out,
			size_t size);
int store_container_meta(struct store *st, const char *hex,
			 struct store_container *m);

/*
 * Paths in the store, for messages and output only (never opened
 * again): ROOT/overlay2/<cache_id>/diff of a layer, and of a container
 * chain its ROOT/overlay2/<mount_id>/diff and .../work. 0, or -1 when
 * @buf is too small (it holds as much as fits).
 */
int store_layer_path(const struct store *st, const struct store_layer *l,
		     char *buf, size_t size);
int store_upper_path(const struct store *st, const struct store_chain *c,
		     char *buf, size_t size);
int store_work_path(const struct store *st, const struct store_chain *c,
		    char *buf, size_t size);
/* The device and inode of a layer's diff directory, to compare. */
int store_layer_stat(struct store *st, const struct store_layer *l,
		     struct stat *out);

int store_fd_sha256(int fd, char out[STORE_HEX_LEN + 1]);
int store_layer_file_sha256(struct store *st, const struct store_layer *l,
			    const char *rel, char out[STORE_HEX_LEN + 1]);
int store_layer_created_by(struct store *st, const char *chain_id,
			   char *out, size_t size);

void store_chain_id(const char *parent_chain, const char *diff_id,
		    char out[STORE_ID_SIZE]);
bool store_valid_id(const char *id);
bool store_valid_hex(const char *hex);
bool store_valid_short(const char *name);

/* store.c's helpers for the other backends (ctrd_store.c). */
struct json_object;
const char *store_strerror(int e);
int store_openat2_how(int dirfd, const char *rel, int flags,
		      __u64 resolve);
int store_sha256_hex(const void *data, size_t len,
		     char out[STORE_HEX_LEN + 1]);
char *store_slurp_at(struct store *st, int dirfd, const char *name,
		     const char *rel, size_t max, size_t *lenp);
struct json_object *store_parse_json(struct store *st, const char *rel,
				     const char *buf, size_t len);
struct json_object *store_config_diff_ids(struct store *st, const char *rel,
					  struct json_object *cfg);
void store_chain_init(struct store_chain *c, enum store_kind kind);
const char *store_history_of(struct json_object *cfg, size_t nth);

#endif /* LAYERCTL_STORE_H */
