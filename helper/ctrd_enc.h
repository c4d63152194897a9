/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Decoders of the values containerd 1.6 keeps in its bbolt databases
 * (metadata/boltutil, snapshots/storage/bolt.go): Go's encoding/binary
 * varints and time.Time.MarshalBinary().
 *
 * Each returns -1 with errno EINVAL for a malformed or truncated value
 * and ERANGE for one that does not fit.
 */
#ifndef LAYERCTL_CTRD_ENC_H
#define LAYERCTL_CTRD_ENC_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#define CTRD_VARINT_MAX		10	/* bytes of a 64 bit varint */

/* Snapshot kinds (snapshots.Kind) in metadata.db's "kind" byte. */
enum ctrd_kind {
	CTRD_KIND_VIEW = 1,
	CTRD_KIND_ACTIVE = 2,
	CTRD_KIND_COMMITTED = 3,
};

/* A time.Time: seconds and nanoseconds since the Unix epoch, its zone. */
struct ctrd_time {
	__s64 sec;
	__u32 nsec;
	bool utc;		/* time.UTC, else zone_offset applies */
	int zone_offset;	/* seconds east of UTC */
};

/*
 * binary.Uvarint()/Varint() (LEB128, zigzag for Varint) at the start of
 * @buf: the number of bytes used.
 */
int ctrd_uvarint(const void *buf, size_t len, __u64 *v);
int ctrd_varint(const void *buf, size_t len, __s64 *v);

/* A whole value that is one varint ("id"; "size", "inodes"). */
int ctrd_value_uvarint(const void *val, size_t len, __u64 *v);
int ctrd_value_varint(const void *val, size_t len, __s64 *v);

/* A key of metadata.db's v1/parents: uvarint parent, 0, uvarint child. */
int ctrd_parent_key(const void *key, size_t len, __u64 *parent,
		    __u64 *child);

/* "createdat", "updatedat": time.MarshalBinary(), version 1 or 2. */
int ctrd_time(const void *val, size_t len, struct ctrd_time *t);

#endif /* LAYERCTL_CTRD_ENC_H */
