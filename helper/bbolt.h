/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A read-only reader of bbolt databases (etcd-io/bbolt, the format of
 * containerd's meta.db and metadata.db), for layerctl.
 *
 * bbolt_open() reads a snapshot of the whole file into memory, without
 * any lock (a running containerd holds LOCK_EX on it and we neither wait
 * for it nor stand in its way). The snapshot is consistent: the meta
 * pages are read again after the file and the read is retried when a
 * transaction committed meanwhile (see bbolt.c). Then every page reached
 * from the chosen meta page is checked once, so that lookups and walks
 * afterwards cannot loop or reach outside the snapshot.
 *
 * Keys and values returned point into the snapshot: valid until
 * bbolt_reload() or bbolt_close(), as are bucket handles and elements.
 *
 * On failure a function returns -1 with errno set and leaves a message,
 * "PATH: page N: reason" or "PATH: reason", in db->err:
 *   ENOENT  no such key, or it names a bucket where a value was asked
 *           for (or the reverse), as bbolt's Get() and Bucket()
 *   EINVAL  not a bbolt database: no meta page with the magic, version 2
 *           and a page size that is a power of 2 in 1 KiB..16 MiB; not
 *           a regular file
 *   EIO     the database is corrupt: a bad checksum, a page out of range
 *           or past the end of the file, a header that does not match,
 *           an element outside its page, a cycle or a shared page, too
 *           deep a tree; the message names the page
 *   EFBIG   larger than BBOLT_MAX_SIZE
 *   EAGAIN  the file kept changing over BBOLT_RETRIES reads
 * and what open(2), read(2) and malloc(3) fail with.
 */
#ifndef LAYERCTL_BBOLT_H
#define LAYERCTL_BBOLT_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#define BBOLT_ERR_SIZE		1024
#define BBOLT_MAX_SIZE		1073741824LL	/* 1 GiB: the largest we load */
#define BBOLT_MAX_DEPTH		64	/* pages from the root, buckets too */
#define BBOLT_RETRIES		8	/* snapshots tried before EAGAIN */

struct bbolt {
	int fd;				/* O_RDONLY, kept for reloads */
	char *path;			/* as given, for messages */
	unsigned char *data;		/* the snapshot */
	size_t size;			/* its length */
	/* From the meta page in use. */
	unsigned int meta;		/* 0 or 1 */
	__u32 page_size;
	__u64 txid;
	__u64 root;			/* the root bucket's page */
	__u64 root_sequence;
	__u64 freelist;			/* ~0 when there is none */
	__u64 hwm;			/* pages in use: the high-water mark */
	unsigned int reads;		/* snapshots the last load took */
	char err[BBOLT_ERR_SIZE];	/* last failure */
};

/*
 * A bucket: its root page, or for an inline bucket (root 0) the leaf page
 * image inside its value. The fields after sequence are the reader's.
 */
struct bbolt_bucket {
	__u64 root;
	__u64 sequence;			/* its NextSequence() counter */
	const unsigned char *inl;	/* inline page image, or NULL */
	size_t inl_size;
	__u64 where;			/* page holding it, for messages */
	unsigned int level;		/* depth of its root page */
};

/*
 * One element of a bucket as bbolt_foreach() hands it out. A bucket's
 * value is its 16 byte header (and inline page): open it with
 * bbolt_elem_bucket(). The fields after bucket are the reader's.
 */
struct bbolt_elem {
	const unsigned char *key;
	size_t klen;
	const unsigned char *val;
	size_t vlen;
	bool bucket;
	__u64 page;
	unsigned int index;
	unsigned int level;
};

/* Return 0 to go on; anything else stops the walk and is returned. */
typedef int (*bbolt_iter_fn)(struct bbolt *db, const struct bbolt_elem *e,
			     void *arg);

int bbolt_open(struct bbolt *db, const char *path);
/*
 * The same on @fd, opened O_RDONLY by the caller (say, beneath a data root
 * with openat2()), which the database then owns: closed by bbolt_close(),
 * or on failure. @name is for messages.
 */
int bbolt_fdopen(struct bbolt *db, int fd, const char *name);
void bbolt_close(struct bbolt *db);

/*
 * Whether the snapshot is still the newest committed transaction: 1 if
 * so, 0 if one committed since (bbolt_reload() then reads it), -1 on a
 * read error. A snapshot stays self-consistent either way.
 */
int bbolt_stable(struct bbolt *db);
int bbolt_reload(struct bbolt *db);

void bbolt_bucket_root(const struct bbolt *db, struct bbolt_bucket *b);
int bbolt_bucket_get(struct bbolt *db, const struct bbolt_bucket *parent,
		     const void *name, size_t len, struct bbolt_bucket *child);
int bbolt_get(struct bbolt *db, const struct bbolt_bucket *b,
	      const void *key, size_t len, const unsigned char **val,
	      size_t *vlen);
int bbolt_foreach(struct bbolt *db, const struct bbolt_bucket *b,
		  bbolt_iter_fn fn, void *arg);
int bbolt_elem_bucket(struct bbolt *db, const struct bbolt_elem *e,
		      struct bbolt_bucket *child);

#endif /* LAYERCTL_BBOLT_H */
