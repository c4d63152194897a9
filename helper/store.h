/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Readers of container image stores: Docker's overlay2 graphdriver store
 * (dockerd 20.10 layout), containerd's overlayfs snapshotter and
 * containers/storage's overlay driver (podman, CRI-O), one struct
 * store_ops per kind behind the store_*() functions; see layerctl(8).
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

#define STORE_HEX_LEN		64
#define STORE_ID_SIZE		72	/* "sha256:" + 64 hex + NUL */
#define STORE_SHORT_LEN		26	/* overlay2 short names, base32 */
#define STORE_NAME_SIZE		(STORE_SHORT_LEN + 1)
#define STORE_CACHE_ID_SIZE	72	/* 64 hex, or <mount-id>-init */
#define STORE_MAX_DEPTH		4096	/* deepest chain we follow */
#define STORE_ERR_SIZE		1024
#define STORE_NS_SIZE		64	/* a containerd namespace */
#define STORE_KEY_SIZE		256	/* containerd IDs and snapshot keys */

struct store_ops;

struct store {
	int rootfd;			/* O_PATH of the data root */
	int ldirfd;			/* O_PATH of overlay2/l, or -1 */
	int o2fd;			/* O_PATH of overlay2, or -1 */
	char *root;			/* as given, for messages */
	char err[STORE_ERR_SIZE];	/* last failure: "FILE: reason" */
	const struct store_ops *ops;	/* the kind of store */
	void *priv;			/* the kind's own state */
	char ns[STORE_NS_SIZE];		/* containerd namespace ("default") */
	const char *drv;		/* layer directories: "overlay2", ... */
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
	char id[STORE_KEY_SIZE];	/* image "sha256:<hex>" or container ID */
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
 * An image or container as a store lists it: 64 hex digits (docker,
 * containers), or a containerd container ID or snapshot key.
 */
struct store_id {
	char id[STORE_KEY_SIZE];
};

/* A container as dockerd describes it (containers/<id>/config.v2.json). */
struct store_container {
	char id[STORE_KEY_SIZE];
	char name[256];			/* without docker's '/', or "" */
	char image[STORE_ID_SIZE];	/* the image ID, or "" */
	char image_ref[256];		/* as it was created from, or "" */
	char state[32];			/* running, exited (N), created, ... */
	char created[64];
};

enum store_type { STORE_DOCKER, STORE_CONTAINERD, STORE_CONTAINERS };

/*
 * One kind of store. The store_*() functions below call these; each
 * returns 0 (or 1/0 where a store_*() says so) or -1 with st->err set.
 */
struct store_ops {
	enum store_type type;
	const char *name;	/* "docker", "containerd", "containers" */
	/* store_open() has set st->root, st->rootfd, st->ns; set st->priv. */
	int (*open)(struct store *st);
	void (*close)(struct store *st);	/* frees st->priv */
	int (*resolve)(struct store *st, const char *what,
		       struct store_chain *c);
	int (*image_chain)(struct store *st, const char *image_id,
			   struct store_chain *c);
	int (*container_chain)(struct store *st, const char *container_id,
			       struct store_chain *c);
	int (*list_layers)(struct store *st, struct store_layer **layers,
			   size_t *nr);
	int (*list_images)(struct store *st, struct store_id **ids,
			   size_t *nr);
	int (*list_containers)(struct store *st, struct store_id **ids,
			       size_t *nr);
	int (*image_refs)(struct store *st, const char *id, char *out,
			  size_t size);
	int (*image_created)(struct store *st, const char *id, char *out,
			     size_t size);
	int (*container_meta)(struct store *st, const char *id,
			      struct store_container *m);
	int (*layer_path)(const struct store *st, const struct store_layer *l,
			  char *buf, size_t size);
	int (*upper_path)(const struct store *st, const struct store_chain *c,
			  char *buf, size_t size);
	int (*work_path)(const struct store *st, const struct store_chain *c,
			 char *buf, size_t size);
	int (*layer_stat)(struct store *st, const struct store_layer *l,
			  struct stat *out);
	int (*layer_file_sha256)(struct store *st, const struct store_layer *l,
				 const char *rel,
				 char out[STORE_HEX_LEN + 1]);
	/* NULL: not known */
	int (*layer_created_by)(struct store *st, const char *chain_id,
				char *out, size_t size);
};

extern const struct store_ops docker_store_ops;
extern const struct store_ops ctrd_store_ops;
extern const struct store_ops cs_store_ops;

/*
 * Open the store at @root. @kind is "docker", "containerd",
 * "containers", or NULL or "auto" to tell it from what @root holds;
 * @ns is the containerd namespace (NULL: "default"), which the other
 * kinds ignore. On failure st->err says what @root lacked.
 */
int store_open(struct store *st, const char *root, const char *kind,
	       const char *ns);
/* The name of the kind of an open store ("docker", ...). */
const char *store_kind_name(const struct store *st);

/*
 * openat2() of @rel beneath directory @dirfd, through no symbolic or magic
 * link and never above it (close-on-exec): how the store opens everything,
 * for others that read a tree that may change under them (a layer).
 */
int store_open_beneath(int dirfd, const char *rel, int flags);
void store_close(struct store *st);

int store_resolve(struct store *st, const char *what, struct store_chain *c);
int store_image_chain(struct store *st, const char *image_id,
		      struct store_chain *c);
int store_container_chain(struct store *st, const char *container_id,
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
int store_image_created(struct store *st, const char *id, char *out,
			size_t size);
int store_container_meta(struct store *st, const char *id,
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

#endif /* LAYERCTL_STORE_H */
