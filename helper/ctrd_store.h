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

extern const struct store_ops ctrd_store_ops;

/*
 * The registry name of a containerd layer (see ctrd_store.c): from its
 * chain ID and its snapshotter key, into @name (STORE_NAME_SIZE bytes).
 */
void ctrd_layer_name(const char *chain_id, const char *backend_key,
		     char name[STORE_NAME_SIZE]);

#endif /* LAYERCTL_CTRD_STORE_H */
