/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * layerfs userspace API: the layer registry on /dev/layerfs.
 *
 * Every request struct starts with its own size, so that later versions
 * can grow it: the kernel accepts a larger struct whose extra bytes are
 * zero (-E2BIG otherwise) and a smaller one down to the first version's
 * size (-EINVAL below that). Reserved fields must be zero; unknown flag
 * bits give -EINVAL. Names and ids are NUL-terminated byte arrays.
 */
#ifndef _UAPI_LINUX_LAYERFS_H
#define _UAPI_LINUX_LAYERFS_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define LAYERFS_DEVICE		"/dev/layerfs"
#define LAYERFS_FSTYPE		"layerfs"

/* Layer names: 1..64 characters of [A-Za-z0-9._-], NUL-terminated. */
#define LAYERFS_NAME_MAX	64
#define LAYERFS_NAME_SIZE	72
/* Content ids: "sha256:" and 64 lower-case hex digits, NUL-terminated. */
#define LAYERFS_ID_SIZE		72

/* LAYERFS_IOC_ADD_LAYER flags */
#define LAYERFS_ADD_VERIFY_CHAIN	0x00000001U	/* check chain_id */
#define LAYERFS_ADD_VALID_FLAGS		(LAYERFS_ADD_VERIFY_CHAIN)

/*
 * Register one layer. @dirfd is a directory fd (O_PATH is fine) of the
 * layer's content. @parent is empty for a base layer, else the name of
 * a registered layer. @diff_id and @chain_id are optional ("" if
 * unknown); with LAYERFS_ADD_VERIFY_CHAIN the kernel computes
 * chain_id = sha256(parent.chain_id + " " + diff_id), or diff_id for a
 * base layer, refuses a given chain_id that differs (-EBADMSG) and
 * stores the computed one.
 */
struct layerfs_layer_add {
	__u32 size;			/* sizeof(struct layerfs_layer_add) */
	__u32 flags;			/* LAYERFS_ADD_* */
	__s32 dirfd;
	__u32 __reserved;		/* must be 0 */
	__u8 name[LAYERFS_NAME_SIZE];
	__u8 parent[LAYERFS_NAME_SIZE];
	__u8 diff_id[LAYERFS_ID_SIZE];
	__u8 chain_id[LAYERFS_ID_SIZE];
};

#define LAYERFS_LAYER_ADD_SIZE_VER0	304

/* Unregister a layer that no child layer and no mount uses. */
struct layerfs_layer_del {
	__u32 size;			/* sizeof(struct layerfs_layer_del) */
	__u32 flags;			/* none defined, must be 0 */
	__u8 name[LAYERFS_NAME_SIZE];
};

#define LAYERFS_LAYER_DEL_SIZE_VER0	80

/* Describe a registered layer: @name in, everything else out. */
struct layerfs_layer_info {
	__u32 size;			/* sizeof(struct layerfs_layer_info) */
	__u32 flags;			/* none defined, must be 0 */
	__u8 name[LAYERFS_NAME_SIZE];
	__u8 parent[LAYERFS_NAME_SIZE];	/* "" for a base layer */
	__u8 diff_id[LAYERFS_ID_SIZE];
	__u8 chain_id[LAYERFS_ID_SIZE];
	__u32 depth;			/* 1 for a base layer */
	__u32 children;			/* registered layers on top */
	__u32 mounts;			/* mounts that stack this layer */
	__u32 __reserved;		/* 0 */
};

#define LAYERFS_LAYER_INFO_SIZE_VER0	312

/* Free in Documentation/userspace-api/ioctl/ioctl-number.rst (6.12). */
#define LAYERFS_IOC_MAGIC	0xB9

#define LAYERFS_IOC_ADD_LAYER	_IOW(LAYERFS_IOC_MAGIC, 1, struct layerfs_layer_add)
#define LAYERFS_IOC_DEL_LAYER	_IOW(LAYERFS_IOC_MAGIC, 2, struct layerfs_layer_del)
#define LAYERFS_IOC_GET_LAYER	_IOWR(LAYERFS_IOC_MAGIC, 3, struct layerfs_layer_info)

#endif /* _UAPI_LINUX_LAYERFS_H */
