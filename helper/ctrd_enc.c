// SPDX-License-Identifier: GPL-2.0
/*
 * containerd's value encodings, as Go writes them:
 *
 *   uvarint  encoding/binary PutUvarint: 7 bits a byte, least significant
 *            first, the top bit set on all but the last; at most 10
 *            bytes, the 10th at most 1.
 *   varint   PutVarint: the uvarint of the zigzag form, (x << 1) ^ (x >> 63).
 *   time     time.Time.MarshalBinary: version 1, int64 seconds since
 *            0001-01-01 UTC, int32 nanoseconds, int16 zone offset in
 *            minutes (-1 for UTC), all big-endian, 15 bytes; version 2
 *            adds a byte of zone offset seconds.
 *
 * Nanoseconds of a second or more, which Go would take, are refused.
 */

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include "ctrd_enc.h"

#define CTRD_TIME_V1		1
#define CTRD_TIME_V2		2
#define CTRD_TIME_V1_LEN	15
#define CTRD_TIME_V2_LEN	16
#define CTRD_UNIX_TO_INTERNAL	62135596800LL	/* 0001-01-01 to 1970 */
#define CTRD_NSEC_PER_SEC	1000000000U

int ctrd_uvarint(const void *buf, size_t len, __u64 *v)
{
	const unsigned char *p = buf;
	unsigned int shift = 0;
	__u64 x = 0;
	size_t i;

	for (i = 0; i < len && i < CTRD_VARINT_MAX; i++, shift += 7) {
		if (i == CTRD_VARINT_MAX - 1 && p[i] > 1) {
			errno = ERANGE;
			return -1;
		}
		x |= (__u64)(p[i] & 0x7f) << shift;
		if (!(p[i] & 0x80)) {
			*v = x;
			return i + 1;
		}
	}
	errno = i == CTRD_VARINT_MAX ? ERANGE : EINVAL;
	return -1;
}

int ctrd_varint(const void *buf, size_t len, __s64 *v)
{
	__u64 ux;
	int n = ctrd_uvarint(buf, len, &ux);

	if (n < 0)
		return -1;
	*v = (__s64)(ux >> 1) ^ -(__s64)(ux & 1);
	return n;
}

/* All of @len used by one varint of @n bytes. */
static int ctrd_whole(int n, size_t len)
{
	if (n < 0)
		return -1;
	if ((size_t)n != len) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

int ctrd_value_uvarint(const void *val, size_t len, __u64 *v)
{
	return ctrd_whole(ctrd_uvarint(val, len, v), len);
}

int ctrd_value_varint(const void *val, size_t len, __s64 *v)
{
	return ctrd_whole(ctrd_varint(val, len, v), len);
}

int ctrd_parent_key(const void *key, size_t len, __u64 *parent,
		    __u64 *child)
{
	const unsigned char *p = key;
	int n = ctrd_uvarint(p, len, parent);

	if (n < 0)
		return -1;
	if ((size_t)n >= len || p[n]) {
		errno = EINVAL;
		return -1;
	}
	n++;
	return ctrd_whole(ctrd_uvarint(p + n, len - n, child), len - n);
}

static __u64 ctrd_be(const unsigned char *p, unsigned int bytes)
{
	__u64 v = 0;

	while (bytes--)
		v = v << 8 | *p++;
	return v;
}

int ctrd_time(const void *val, size_t len, struct ctrd_time *t)
{
	const unsigned char *p = val;
	__s64 sec;
	__s16 zone;

	if (!len || !((p[0] == CTRD_TIME_V1 && len == CTRD_TIME_V1_LEN) ||
		      (p[0] == CTRD_TIME_V2 && len == CTRD_TIME_V2_LEN))) {
		errno = EINVAL;
		return -1;
	}
	sec = (__s64)ctrd_be(p + 1, 8);
	t->nsec = (__u32)ctrd_be(p + 9, 4);
	zone = (__s16)ctrd_be(p + 13, 2);
	if (t->nsec >= CTRD_NSEC_PER_SEC) {
		errno = EINVAL;
		return -1;
	}
	if (sec < INT64_MIN + CTRD_UNIX_TO_INTERNAL) {
		errno = ERANGE;
		return -1;
	}
	t->sec = sec - CTRD_UNIX_TO_INTERNAL;
	/* As Go's UnmarshalBinary: the seconds byte unsigned, -60 is UTC. */
	t->zone_offset = zone * 60;
	if (p[0] == CTRD_TIME_V2)
		t->zone_offset += p[15];
	t->utc = t->zone_offset == -60;
	if (t->utc)
		t->zone_offset = 0;
	return 0;
}
