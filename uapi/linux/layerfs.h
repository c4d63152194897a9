/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * layerfs userspace API: the layer registry on /dev/layerfs, the explain
 * query on the files of a mount.
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
/* statfs(2) f_type of a layerfs mount ("LAYF") */
#define LAYERFS_SUPER_MAGIC	0x4c415946

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

/*
 * LAYERFS_IOC_EXPLAIN, on a descriptor of a file or directory of a
 * layerfs mount (not on /dev/layerfs; O_PATH descriptors take no
 * ioctls): where an object comes from.
 *
 * @name "" explains the descriptor's own object; a name (no '/', not "."
 * or "..") explains that entry of the descriptor's directory, looked up
 * with the caller's permissions, and need not exist in the union: a name
 * a whiteout hides has no union object but may have hidden copies.
 *
 * With LAYERFS_EXPLAIN_LAYERS the same path is walked in every layer of
 * the mount, past the layer the union takes it from, and one struct
 * layerfs_explain_layer per finding is written to @layers (at most
 * @layers_room of them; @layers_total says how many there are): each
 * layer's own object at that path, and the whiteouts, opaque directories
 * and non-directories at the path or above it where the merge stops. This
 * tells what the union hides, so it needs CAP_SYS_ADMIN in the initial
 * user namespace (-EPERM); the rest of the answer needs no privilege. No
 * path of a real filesystem is ever returned.
 */
#define LAYERFS_EXPLAIN_LAYERS		0x00000001U	/* fill @layers */
#define LAYERFS_EXPLAIN_VALID_FLAGS	(LAYERFS_EXPLAIN_LAYERS)

/* struct layerfs_explain @result bits */
#define LAYERFS_EXPLAIN_R_POSITIVE	0x00000001U	/* the union has it */
#define LAYERFS_EXPLAIN_R_UPPER		0x00000002U	/* it is in the upper layer */
#define LAYERFS_EXPLAIN_R_COPIED_UP	0x00000004U	/* from lower layer @origin */
#define LAYERFS_EXPLAIN_R_DIR		0x00000008U	/* a directory */
#define LAYERFS_EXPLAIN_R_MERGED	0x00000010U	/* dir of several layers */
#define LAYERFS_EXPLAIN_R_OPAQUE	0x00000020U	/* its top dir is opaque */
#define LAYERFS_EXPLAIN_R_REGISTRY	0x00000040U	/* a layer=NAME mount */

/* struct layerfs_explain_layer @kind: what the layer holds there */
#define LAYERFS_KIND_OBJECT		1	/* a non-directory */
#define LAYERFS_KIND_DIR		2
#define LAYERFS_KIND_OPAQUE_DIR		3	/* trusted.overlay.opaque=y */
#define LAYERFS_KIND_WHITEOUT		4	/* 0/0 device or xattr whiteout */

/* struct layerfs_explain_layer @role: what the union makes of it */
#define LAYERFS_ROLE_SHOWN		1	/* the union's object comes from it */
#define LAYERFS_ROLE_MERGED		2	/* a directory merged below the shown one */
#define LAYERFS_ROLE_HIDDEN		3	/* not shown: hidden by a layer above */
#define LAYERFS_ROLE_HIDES		4	/* stops the merge at @depth */

/*
 * One finding. @depth is the number of path components walked in that
 * layer: the whole path's (struct layerfs_explain @depth) for the layer's
 * own object, fewer for a whiteout, opaque dir or non-directory above it.
 */
struct layerfs_explain_layer {
	__u32 layer;			/* 0 upper, 1.. lower layers, top first */
	__u32 kind;			/* LAYERFS_KIND_* */
	__u32 role;			/* LAYERFS_ROLE_* */
	__u32 depth;
	__u32 mode;			/* st_mode of the real object */
	__u32 nlink;
	__u64 size;
	__u8 layer_name[LAYERFS_NAME_SIZE]; /* registered name, or "" */
};

struct layerfs_explain {
	__u32 size;			/* sizeof(struct layerfs_explain) */
	__u32 flags;			/* LAYERFS_EXPLAIN_* */
	__u8 name[256];			/* in: "" or an entry of the directory */
	__u64 layers;			/* in: struct layerfs_explain_layer[] */
	__u32 layers_room;		/* in: entries at @layers */
	__u32 layers_total;		/* out: entries of the answer */
	__u32 numlayer;			/* out: upper slot + lower layers */
	__u32 result;			/* out: LAYERFS_EXPLAIN_R_* */
	__u32 layer;			/* out: layer of the object, 0 upper */
	__u32 origin;			/* out: R_COPIED_UP: lower layer */
	__u32 mode;			/* out: st_mode in the union */
	__u32 depth;			/* out: path components from the root */
	__u8 layer_name[LAYERFS_NAME_SIZE]; /* out: @layer's registered name */
	__u8 chain_id[LAYERFS_ID_SIZE];	/* out: ... and its chain ID, or "" */
};

#define LAYERFS_EXPLAIN_SIZE_VER0	448

/*
 * LAYERFS_IOC_OPEN_LAYER, on a descriptor of a file or directory of a
 * layerfs mount: opens the root of one of the mount's layers, @layer
 * numbered as in struct layerfs_explain_layer (0 the upper layer, 1.. the
 * lower layers, top first), and returns the new descriptor (read-only,
 * O_DIRECTORY, close-on-exec) on a read-only private clone of the layer,
 * so that the layer can be read as it is (whiteouts, opaque directories
 * and all) and nothing is written into it behind the union. Like
 * LAYERFS_EXPLAIN_LAYERS it shows what the union hides: CAP_SYS_ADMIN in
 * the initial user namespace (-EPERM), and the caller's read and search
 * permission on the layer's root. -ENOENT: no such layer (or no upper
 * layer for 0). @numlayer is written back on success and on -ENOENT.
 */
struct layerfs_open_layer {
	__u32 size;			/* sizeof(struct layerfs_open_layer) */
	__u32 flags;			/* none defined, must be 0 */
	__u32 layer;			/* in: 0 upper, 1.. lower, top first */
	__u32 numlayer;			/* out: upper slot + lower layers */
};

#define LAYERFS_OPEN_LAYER_SIZE_VER0	16

/* Free in Documentation/userspace-api/ioctl/ioctl-number.rst (6.12). */
#define LAYERFS_IOC_MAGIC	0xB9

#define LAYERFS_IOC_ADD_LAYER	_IOW(LAYERFS_IOC_MAGIC, 1, struct layerfs_layer_add)
#define LAYERFS_IOC_DEL_LAYER	_IOW(LAYERFS_IOC_MAGIC, 2, struct layerfs_layer_del)
#define LAYERFS_IOC_GET_LAYER	_IOWR(LAYERFS_IOC_MAGIC, 3, struct layerfs_layer_info)
/* On a file or directory of a mount, not on /dev/layerfs. */
#define LAYERFS_IOC_EXPLAIN	_IOWR(LAYERFS_IOC_MAGIC, 4, struct layerfs_explain)
#define LAYERFS_IOC_OPEN_LAYER	_IOWR(LAYERFS_IOC_MAGIC, 5, struct layerfs_open_layer)

/*
 * Generic netlink family "layerfs", version 1: dumps of the registry and
 * of the mounts, per-mount statistics, and events.
 *
 * Every command needs CAP_NET_ADMIN; resetting statistics and joining
 * the "events" group also need CAP_SYS_ADMIN.
 * Attribute policies are strict: unknown attributes are refused.
 */
#define LAYERFS_GENL_NAME		"layerfs"
#define LAYERFS_GENL_VERSION		1
#define LAYERFS_GENL_MCGRP_EVENTS	"events"

enum layerfs_cmd {
	LAYERFS_CMD_UNSPEC,
	LAYERFS_CMD_GET_LAYERS,		/* dump: one LAYERFS_A_LAYER each */
	LAYERFS_CMD_GET_MOUNTS,		/* dump: one LAYERFS_A_MOUNT each */
	LAYERFS_CMD_GET_STATS,		/* do (MOUNT_ID) or dump: A_STATS */
	LAYERFS_CMD_RESET_STATS,	/* do: MOUNT_ID, or all mounts */
	LAYERFS_CMD_EVENT,		/* multicast: one LAYERFS_A_EVENT */
	__LAYERFS_CMD_MAX
};

#define LAYERFS_CMD_MAX (__LAYERFS_CMD_MAX - 1)

enum layerfs_attr {
	LAYERFS_A_UNSPEC,
	LAYERFS_A_MOUNT_ID,		/* u64: selects a mount */
	LAYERFS_A_LAYER,		/* nest: LAYERFS_LAYER_A_* */
	LAYERFS_A_MOUNT,		/* nest: LAYERFS_MOUNT_A_* */
	LAYERFS_A_STATS,		/* nest: LAYERFS_STATS_A_* */
	LAYERFS_A_EVENT,		/* nest: LAYERFS_EVENT_A_* */
	__LAYERFS_A_MAX
};

#define LAYERFS_A_MAX (__LAYERFS_A_MAX - 1)

enum layerfs_layer_attr {
	LAYERFS_LAYER_A_UNSPEC,
	LAYERFS_LAYER_A_NAME,		/* string */
	LAYERFS_LAYER_A_PARENT,		/* string, absent for a base layer */
	LAYERFS_LAYER_A_DEPTH,		/* u32, 1 for a base layer */
	LAYERFS_LAYER_A_DIFF_ID,	/* string, absent if unknown */
	LAYERFS_LAYER_A_CHAIN_ID,	/* string, absent if unknown */
	LAYERFS_LAYER_A_CHILDREN,	/* u32 */
	LAYERFS_LAYER_A_MOUNTS,		/* u32 */
	LAYERFS_LAYER_A_PATH,		/* string: the layer directory */
	__LAYERFS_LAYER_A_MAX
};

#define LAYERFS_LAYER_A_MAX (__LAYERFS_LAYER_A_MAX - 1)

enum layerfs_mount_attr {
	LAYERFS_MOUNT_A_UNSPEC,
	LAYERFS_MOUNT_A_PAD,
	LAYERFS_MOUNT_A_ID,		/* u64, unique while loaded */
	LAYERFS_MOUNT_A_DEV,		/* u32: st_dev, new_encode_dev() */
	LAYERFS_MOUNT_A_LAYER,		/* string: layer=NAME mounts */
	LAYERFS_MOUNT_A_LOWERDIR,	/* string: legacy lowerdir= value */
	LAYERFS_MOUNT_A_TOP_LOWER,	/* string: topmost lower layer */
	LAYERFS_MOUNT_A_UPPERDIR,	/* string */
	LAYERFS_MOUNT_A_WORKDIR,	/* string */
	LAYERFS_MOUNT_A_LAYER_COUNT,	/* u32: lower layers */
	__LAYERFS_MOUNT_A_MAX
};

#define LAYERFS_MOUNT_A_MAX (__LAYERFS_MOUNT_A_MAX - 1)

/* Counters are u64 and count since mount or the last reset. */
enum layerfs_stats_attr {
	LAYERFS_STATS_A_UNSPEC,
	LAYERFS_STATS_A_PAD,
	LAYERFS_STATS_A_MOUNT_ID,	/* u64 */
	LAYERFS_STATS_A_LOOKUPS,	/* lookups that missed the dcache */
	LAYERFS_STATS_A_NEGATIVE,	/* ... of those, name not found */
	LAYERFS_STATS_A_WHITEOUTS_HIT,	/* whiteouts met by lookups */
	LAYERFS_STATS_A_OPAQUE_STOPS,	/* opaque dirs that stopped descent */
	LAYERFS_STATS_A_DEPTH,		/* nest of LAYERFS_DEPTH_A_* nests */
	LAYERFS_STATS_A_READDIR_BUILDS,	/* merged listings built */
	LAYERFS_STATS_A_READDIR_HITS,	/* listings served from the cache */
	LAYERFS_STATS_A_COPY_UPS,
	LAYERFS_STATS_A_COPY_UP_BYTES,
	LAYERFS_STATS_A_COPY_UP_NS,	/* total */
	LAYERFS_STATS_A_COPY_UP_NS_MAX,
	LAYERFS_STATS_A_WHITEOUTS,	/* whiteouts created */
	LAYERFS_STATS_A_OPAQUE_DIRS,	/* opaque dirs created */
	LAYERFS_STATS_A_EXDEV,		/* EXDEV returned by rename */
	LAYERFS_STATS_A_OPEN_FILES,	/* open regular files now */
	LAYERFS_STATS_A_READDIR_CACHES,	/* merged listings in memory now */
	LAYERFS_STATS_A_READDIR_CACHE_BYTES, /* ... bytes they take now */
	LAYERFS_STATS_A_NAMEIDX_BUILDS,	/* real dir name indexes built */
	LAYERFS_STATS_A_NAMEIDX_HITS,	/* lookups that skipped a layer */
	LAYERFS_STATS_A_NAMEIDX_SKIPS,	/* layers skipped by lookups */
	LAYERFS_STATS_A_NAMEIDX_FALLBACKS, /* real dirs not indexed */
	LAYERFS_STATS_A_NAMEIDX_BYTES,	/* bytes held by indexes now */
	LAYERFS_STATS_A_NAMEIDX_SHARED,	/* indexes taken from a layer's table */
	LAYERFS_STATS_A_NAMEIDX_MERGED,	/* merged per-directory maps built */
	LAYERFS_STATS_A_NAMEIDX_MERGED_HITS, /* lookups answered by one */
	LAYERFS_STATS_A_NAMEIDX_MERGED_SHARED, /* maps another dir made */
	__LAYERFS_STATS_A_MAX
};

#define LAYERFS_STATS_A_MAX (__LAYERFS_STATS_A_MAX - 1)

/*
 * Lookup depth histogram: where positive lookups resolved. Depth 0 is
 * the upper layer, 1 the topmost lower layer, and so on; only depths
 * with a non-zero count are reported.
 */
enum layerfs_depth_attr {
	LAYERFS_DEPTH_A_UNSPEC,
	LAYERFS_DEPTH_A_PAD,
	LAYERFS_DEPTH_A_DEPTH,		/* u32 */
	LAYERFS_DEPTH_A_COUNT,		/* u64 */
	__LAYERFS_DEPTH_A_MAX
};

#define LAYERFS_DEPTH_A_MAX (__LAYERFS_DEPTH_A_MAX - 1)

enum layerfs_event_type {
	LAYERFS_EVENT_LAYER_ADDED = 1,
	LAYERFS_EVENT_LAYER_REMOVED,
	LAYERFS_EVENT_MOUNT,
	LAYERFS_EVENT_UMOUNT,
	LAYERFS_EVENT_COPY_UP
};

enum layerfs_event_attr {
	LAYERFS_EVENT_A_UNSPEC,
	LAYERFS_EVENT_A_PAD,
	LAYERFS_EVENT_A_TYPE,		/* u32: enum layerfs_event_type */
	LAYERFS_EVENT_A_LAYER,		/* string: layer events */
	LAYERFS_EVENT_A_MOUNT_ID,	/* u64: mount and copy-up events */
	LAYERFS_EVENT_A_PATH,		/* string: copied-up path in mount */
	LAYERFS_EVENT_A_BYTES,		/* u64: copy-up data bytes */
	LAYERFS_EVENT_A_NS,		/* u64: copy-up duration */
	LAYERFS_EVENT_A_DROPPED,	/* u32: copy-up events rate limited */
	__LAYERFS_EVENT_A_MAX
};

#define LAYERFS_EVENT_A_MAX (__LAYERFS_EVENT_A_MAX - 1)

#endif /* _UAPI_LINUX_LAYERFS_H */
