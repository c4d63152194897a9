/* SPDX-License-Identifier: GPL-2.0 */
/*
 * layerctl's generic netlink client for the "layerfs" family (libmnl):
 * registry and mount dumps, statistics, and the event group. Replies are
 * parsed into the structs below, one field per attribute of
 * uapi/linux/layerfs.h.
 *
 * An attribute the kernel did not send (or sent malformed: wrong size,
 * a string without its NUL) is absent: a NULL string, and no bit in
 * @present (see nl_has()). Attributes this helper does not know are
 * skipped.
 *
 * Functions return 0 or a negative errno; the kernel's extended ack
 * message, if any, is in nl->ext_msg.
 */
#ifndef LAYERCTL_NETLINK_H
#define LAYERCTL_NETLINK_H

#include <stddef.h>
#include <linux/types.h>

struct mnl_socket;

struct nl {
	struct mnl_socket *sock;
	__u16 family;
	__u32 mcgrp;		/* the "events" group, 0 if unknown */
	__u32 portid;
	__u32 seq;
	char ext_msg[256];
};

/* Did the kernel send attribute @attr (of the struct's nest) for @obj? */
#define nl_has(obj, attr)	(!!((obj)->present & (1ULL << (attr))))

/* LAYERFS_A_LAYER: one registered layer. */
struct nl_layer {
	char *name;
	char *parent;		/* NULL for a base layer */
	__u32 depth;		/* 1 for a base layer */
	char *diff_id;		/* NULL if unknown */
	char *chain_id;		/* NULL if unknown */
	__u32 children;
	__u32 mounts;
	char *path;		/* the layer directory, NULL if unreachable */
	__u64 present;		/* bits of LAYERFS_LAYER_A_* */
};

/* LAYERFS_A_MOUNT: one layerfs mount. */
struct nl_mount {
	__u64 id;
	__u32 dev;		/* st_dev, new_encode_dev() */
	char *layer;		/* layer=NAME mounts, else NULL */
	char *lowerdir;		/* lowerdir= mounts, else NULL */
	char *top_lower;
	char *upperdir;		/* NULL for a read-only mount */
	char *workdir;
	__u32 layer_count;	/* lower layers */
	__u64 present;		/* bits of LAYERFS_MOUNT_A_* */
};

/* The u64 counters of LAYERFS_A_STATS, in the order of the uapi enum. */
enum nl_stat {
	NL_STAT_LOOKUPS,
	NL_STAT_NEGATIVE,
	NL_STAT_WHITEOUTS_HIT,
	NL_STAT_OPAQUE_STOPS,
	NL_STAT_READDIR_BUILDS,
	NL_STAT_READDIR_HITS,
	NL_STAT_COPY_UPS,
	NL_STAT_COPY_UP_BYTES,
	NL_STAT_COPY_UP_NS,
	NL_STAT_COPY_UP_NS_MAX,
	NL_STAT_WHITEOUTS,
	NL_STAT_OPAQUE_DIRS,
	NL_STAT_EXDEV,
	NL_STAT_OPEN_FILES,
	NL_STAT_READDIR_CACHES,
	NL_STAT_READDIR_CACHE_BYTES,
	NL_STAT_NAMEIDX_BUILDS,
	NL_STAT_NAMEIDX_HITS,
	NL_STAT_NAMEIDX_SKIPS,
	NL_STAT_NAMEIDX_FALLBACKS,
	NL_STAT_NAMEIDX_BYTES,
	NL_STAT_NAMEIDX_SHARED,
	NL_STAT_NAMEIDX_MERGED,
	NL_STAT_NAMEIDX_MERGED_HITS,
	NL_STAT_NAMEIDX_MERGED_SHARED,
	NL_STAT_NR
};

/* Each counter's attribute and name (lower case, as in JSON and text). */
struct nl_stat_desc {
	__u16 attr;		/* LAYERFS_STATS_A_* */
	const char *name;
};

extern const struct nl_stat_desc nl_stat_desc[NL_STAT_NR];

/* One entry of the lookup depth histogram. */
struct nl_depth {
	__u32 depth;		/* 0 the upper layer, 1.. lower layers */
	__u64 count;
};

/* LAYERFS_A_STATS: the statistics of one mount. */
struct nl_stats {
	__u64 mount_id;
	__u64 v[NL_STAT_NR];	/* 0 where absent */
	struct nl_depth *depth;	/* LAYERFS_STATS_A_DEPTH, as sent */
	size_t nr_depth;
	__u64 present;		/* bits of LAYERFS_STATS_A_* */
};

/* LAYERFS_A_EVENT: one event of the "events" group. */
struct nl_event {
	__u32 type;		/* enum layerfs_event_type */
	char *layer;		/* layer events */
	__u64 mount_id;		/* mount and copy-up events */
	char *path;		/* copy-up: the path in the mount */
	__u64 bytes;		/* copy-up */
	__u64 ns;		/* copy-up */
	__u32 dropped;		/* copy-up: events rate limited before */
	__u64 present;		/* bits of LAYERFS_EVENT_A_* */
};

int nl_open(struct nl *nl);
void nl_close(struct nl *nl);

/*
 * Dumps: an array of @nr structs in the kernel's order, freed with the
 * matching *_free(). On failure *@out is NULL and *@nr 0.
 */
int nl_get_layers(struct nl *nl, struct nl_layer **out, size_t *nr);
void nl_layers_free(struct nl_layer *layers, size_t nr);
int nl_get_mounts(struct nl *nl, struct nl_mount **out, size_t *nr);
void nl_mounts_free(struct nl_mount *mounts, size_t nr);
/* The statistics of mount @mount_id (one), or of every mount. */
int nl_get_stats(struct nl *nl, __u64 mount_id, struct nl_stats **out,
		 size_t *nr);
int nl_dump_stats(struct nl *nl, struct nl_stats **out, size_t *nr);
void nl_stats_free(struct nl_stats *stats, size_t nr);
/* @mount_id 0: every mount */
int nl_reset_stats(struct nl *nl, __u64 mount_id);

/*
 * Join the event group; then nl_monitor() hands each event to @fn until
 * it returns non-zero. The event is only valid during the call.
 */
int nl_join_events(struct nl *nl);
int nl_monitor(struct nl *nl, int (*fn)(const struct nl_event *ev, void *data),
	       void *data);
/* "layer-added", ..., or NULL for a type this helper does not know. */
const char *nl_event_name(__u32 type);

/* The kernel's new_encode_dev() of a dev_t, as LAYERFS_MOUNT_A_DEV is. */
__u32 nl_encode_dev(unsigned int major, unsigned int minor);

#endif /* LAYERCTL_NETLINK_H */
