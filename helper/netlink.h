/* SPDX-License-Identifier: GPL-2.0 */
/*
 * layerctl's generic netlink client for the "layerfs" family (libmnl):
 * registry and mount dumps, statistics, and the event group. Replies are
 * turned into json-c objects whose keys are the attribute names of
 * Documentation/userspace-api/layerfs.rst in lower case.
 *
 * Functions return 0 or a negative errno; the kernel's extended ack
 * message, if any, is in nl->ext_msg.
 */
#ifndef LAYERCTL_NETLINK_H
#define LAYERCTL_NETLINK_H

#include <linux/types.h>
#include <json-c/json.h>

struct mnl_socket;

struct nl {
	struct mnl_socket *sock;
	__u16 family;
	__u32 mcgrp;		/* the "events" group, 0 if unknown */
	__u32 portid;
	__u32 seq;
	char ext_msg[256];
};

int nl_open(struct nl *nl);
void nl_close(struct nl *nl);

/* Dumps: an array of objects, one per layer, mount or mount's stats. */
int nl_get_layers(struct nl *nl, struct json_object **out);
int nl_get_mounts(struct nl *nl, struct json_object **out);
int nl_get_stats(struct nl *nl, __u64 mount_id, struct json_object **out);
int nl_dump_stats(struct nl *nl, struct json_object **out);
/* @mount_id 0: every mount */
int nl_reset_stats(struct nl *nl, __u64 mount_id);

/*
 * Join the event group; then nl_monitor() hands each event to @fn until
 * it returns non-zero.
 */
int nl_join_events(struct nl *nl);
int nl_monitor(struct nl *nl, int (*fn)(struct json_object *ev, void *data),
	       void *data);

/* The kernel's new_encode_dev() of a dev_t, as LAYERFS_MOUNT_A_DEV is. */
__u32 nl_encode_dev(unsigned int major, unsigned int minor);

#endif /* LAYERCTL_NETLINK_H */
