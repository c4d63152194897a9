/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reader for containerd's image store with its overlayfs snapshotter
 * (containerd 1.6 layout, see layerctl(8) "CONTAINERD STORES"): the
 * store_ops of the "containerd" kind.
 *
 * The same guarantees as the Docker reader (store.h): everything is
 * opened beneath the data root (RESOLVE_BENEATH, no symbolic links), read
 * only, the bbolt databases without a lock; every digest is recomputed
 * from the blob read, every chain ID from the diff IDs, and the
 * snapshots are checked against the chain. Failures leave "FILE: reason"
 * in store->err.
 */
#ifndef LAYERCTL_CTRD_STORE_H
#define LAYERCTL_CTRD_STORE_H

#include <stddef.h>
#include <sys/stat.h>
#include "store.h"

#define CTRD_META_DB	"io.containerd.metadata.v1.bolt/meta.db"
#define CTRD_SNAP_ROOT	"io.containerd.snapshotter.v1.overlayfs"
#define CTRD_SNAP_DB	CTRD_SNAP_ROOT "/metadata.db"
#define CTRD_BLOBS	"io.containerd.content.v1.content/blobs/sha256"
#define CTRD_SNAPSHOTTER	"overlayfs"
#define CTRD_DEFAULT_NS	"default"
#define CTRD_BLOB_MAX	(64 << 20)	/* largest manifest or config read */
#define CTRD_DB_VERSION	3		/* meta.db v1/version */

/* The platform an index is resolved for: linux and this machine's. */
#if defined(__x86_64__)
#define CTRD_ARCH	"amd64"
#elif defined(__aarch64__)
#define CTRD_ARCH	"arm64"
#elif defined(__i386__)
#define CTRD_ARCH	"386"
#else
#define CTRD_ARCH	"unknown"
#endif

/* Layer names: "c", 16 hex of the chain ID, "-", 8 of the snapshot's. */
#define CTRD_NAME_CHAIN	16
#define CTRD_NAME_SNAP	8

/*
 * ---- moves to store.h with the store abstraction (branch store-abs) ----
 * Until both branches are merged the interface is declared here; the
 * merge keeps store.h's and drops this block.
 */
enum store_type { STORE_DOCKER, STORE_CONTAINERD, STORE_CONTAINERS };

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

/* ---- end of what moves to store.h ---- */

extern const struct store_ops ctrd_store_ops;

/*
 * The registry name of a containerd layer (see ctrd_store.c): from its
 * chain ID and its snapshotter key, into @name (STORE_NAME_SIZE bytes).
 */
void ctrd_layer_name(const char *chain_id, const char *backend_key,
		     char name[STORE_NAME_SIZE]);

#endif /* LAYERCTL_CTRD_STORE_H */
