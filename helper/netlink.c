// SPDX-License-Identifier: GPL-2.0
/*
 * layerctl: the "layerfs" generic netlink family through libmnl.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/layerfs.h>
#include "netlink.h"

/* Receive buffers: room for the kernel's largest dump messages. */
#define NL_BUF_SIZE	65536

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

enum kind { K_NONE, K_STR, K_U32, K_U64, K_DEPTH, K_EVENT_TYPE };

struct attr_desc {
	const char *name;
	enum kind kind;
};

static const struct attr_desc layer_attrs[LAYERFS_LAYER_A_MAX + 1] = {
	[LAYERFS_LAYER_A_NAME]		= { "name", K_STR },
	[LAYERFS_LAYER_A_PARENT]	= { "parent", K_STR },
	[LAYERFS_LAYER_A_DEPTH]		= { "depth", K_U32 },
	[LAYERFS_LAYER_A_DIFF_ID]	= { "diff_id", K_STR },
	[LAYERFS_LAYER_A_CHAIN_ID]	= { "chain_id", K_STR },
	[LAYERFS_LAYER_A_CHILDREN]	= { "children", K_U32 },
	[LAYERFS_LAYER_A_MOUNTS]	= { "mounts", K_U32 },
	[LAYERFS_LAYER_A_PATH]		= { "path", K_STR },
};

static const struct attr_desc mount_attrs[LAYERFS_MOUNT_A_MAX + 1] = {
	[LAYERFS_MOUNT_A_ID]		= { "id", K_U64 },
	[LAYERFS_MOUNT_A_DEV]		= { "dev", K_U32 },
	[LAYERFS_MOUNT_A_LAYER]		= { "layer", K_STR },
	[LAYERFS_MOUNT_A_LOWERDIR]	= { "lowerdir", K_STR },
	[LAYERFS_MOUNT_A_TOP_LOWER]	= { "top_lower", K_STR },
	[LAYERFS_MOUNT_A_UPPERDIR]	= { "upperdir", K_STR },
	[LAYERFS_MOUNT_A_WORKDIR]	= { "workdir", K_STR },
	[LAYERFS_MOUNT_A_LAYER_COUNT]	= { "layer_count", K_U32 },
};

static const struct attr_desc stats_attrs[LAYERFS_STATS_A_MAX + 1] = {
	[LAYERFS_STATS_A_MOUNT_ID]	= { "mount_id", K_U64 },
	[LAYERFS_STATS_A_LOOKUPS]	= { "lookups", K_U64 },
	[LAYERFS_STATS_A_NEGATIVE]	= { "negative", K_U64 },
	[LAYERFS_STATS_A_WHITEOUTS_HIT]	= { "whiteouts_hit", K_U64 },
	[LAYERFS_STATS_A_OPAQUE_STOPS]	= { "opaque_stops", K_U64 },
	[LAYERFS_STATS_A_DEPTH]		= { "depth", K_DEPTH },
	[LAYERFS_STATS_A_READDIR_BUILDS] = { "readdir_builds", K_U64 },
	[LAYERFS_STATS_A_READDIR_HITS]	= { "readdir_hits", K_U64 },
	[LAYERFS_STATS_A_COPY_UPS]	= { "copy_ups", K_U64 },
	[LAYERFS_STATS_A_COPY_UP_BYTES]	= { "copy_up_bytes", K_U64 },
	[LAYERFS_STATS_A_COPY_UP_NS]	= { "copy_up_ns", K_U64 },
	[LAYERFS_STATS_A_COPY_UP_NS_MAX] = { "copy_up_ns_max", K_U64 },
	[LAYERFS_STATS_A_WHITEOUTS]	= { "whiteouts", K_U64 },
	[LAYERFS_STATS_A_OPAQUE_DIRS]	= { "opaque_dirs", K_U64 },
	[LAYERFS_STATS_A_EXDEV]		= { "exdev", K_U64 },
	[LAYERFS_STATS_A_OPEN_FILES]	= { "open_files", K_U64 },
	[LAYERFS_STATS_A_READDIR_CACHES] = { "readdir_caches", K_U64 },
	[LAYERFS_STATS_A_READDIR_CACHE_BYTES] = { "readdir_cache_bytes", K_U64 },
	[LAYERFS_STATS_A_NAMEIDX_BUILDS] = { "nameidx_builds", K_U64 },
	[LAYERFS_STATS_A_NAMEIDX_HITS]	= { "nameidx_hits", K_U64 },
	[LAYERFS_STATS_A_NAMEIDX_SKIPS]	= { "nameidx_skips", K_U64 },
	[LAYERFS_STATS_A_NAMEIDX_FALLBACKS] = { "nameidx_fallbacks", K_U64 },
	[LAYERFS_STATS_A_NAMEIDX_BYTES]	= { "nameidx_bytes", K_U64 },
};

static const struct attr_desc event_attrs[LAYERFS_EVENT_A_MAX + 1] = {
	[LAYERFS_EVENT_A_TYPE]		= { "type", K_EVENT_TYPE },
	[LAYERFS_EVENT_A_LAYER]		= { "layer", K_STR },
	[LAYERFS_EVENT_A_MOUNT_ID]	= { "mount_id", K_U64 },
	[LAYERFS_EVENT_A_PATH]		= { "path", K_STR },
	[LAYERFS_EVENT_A_BYTES]		= { "bytes", K_U64 },
	[LAYERFS_EVENT_A_NS]		= { "ns", K_U64 },
	[LAYERFS_EVENT_A_DROPPED]	= { "dropped", K_U32 },
};

static const char *const event_types[] = {
	[LAYERFS_EVENT_LAYER_ADDED]	= "layer-added",
	[LAYERFS_EVENT_LAYER_REMOVED]	= "layer-removed",
	[LAYERFS_EVENT_MOUNT]		= "mount",
	[LAYERFS_EVENT_UMOUNT]		= "umount",
	[LAYERFS_EVENT_COPY_UP]		= "copy-up",
};

__u32 nl_encode_dev(unsigned int major, unsigned int minor)
{
	return (minor & 0xff) | (major << 8) | ((minor & ~0xffu) << 12);
}

/* The depth histogram: {"<depth>": count, ...} */
static struct json_object *parse_depth(const struct nlattr *nest)
{
	struct json_object *o = json_object_new_object();
	const struct nlattr *d, *a;

	mnl_attr_for_each_nested(d, nest) {
		long long depth = -1, count = 0;
		char key[16];

		mnl_attr_for_each_nested(a, d) {
			if (mnl_attr_get_type(a) == LAYERFS_DEPTH_A_DEPTH &&
			    mnl_attr_get_payload_len(a) == 4)
				depth = mnl_attr_get_u32(a);
			else if (mnl_attr_get_type(a) == LAYERFS_DEPTH_A_COUNT &&
				 mnl_attr_get_payload_len(a) == 8)
				count = mnl_attr_get_u64(a);
		}
		if (depth < 0)
			continue;
		snprintf(key, sizeof(key), "%lld", depth);
		json_object_object_add(o, key, json_object_new_int64(count));
	}
	return o;
}

/* A nest of the family's attributes as a JSON object; unknown ones are skipped. */
static struct json_object *parse_nest(const struct nlattr *nest,
				      const struct attr_desc *desc,
				      unsigned int max)
{
	struct json_object *o = json_object_new_object();
	const struct nlattr *a;

	mnl_attr_for_each_nested(a, nest) {
		unsigned int type = mnl_attr_get_type(a);
		size_t len = mnl_attr_get_payload_len(a);
		const struct attr_desc *d;
		struct json_object *v = NULL;

		if (type > max || !desc[type].name)
			continue;
		d = &desc[type];
		switch (d->kind) {
		case K_STR:
			if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) >= 0)
				v = json_object_new_string(mnl_attr_get_str(a));
			break;
		case K_U32:
			if (len == 4)
				v = json_object_new_int64(mnl_attr_get_u32(a));
			break;
		case K_U64:
			if (len == 8)
				v = json_object_new_uint64(mnl_attr_get_u64(a));
			break;
		case K_EVENT_TYPE:
			if (len == 4) {
				__u32 t = mnl_attr_get_u32(a);

				if (t < ARRAY_SIZE(event_types) &&
				    event_types[t])
					v = json_object_new_string(event_types[t]);
				else
					v = json_object_new_int64(t);
			}
			break;
		case K_DEPTH:
			v = parse_depth(a);
			break;
		case K_NONE:
			break;
		}
		if (v)
			json_object_object_add(o, d->name, v);
	}
	return o;
}

struct reply {
	struct nl *nl;
	struct json_object *arr;
	unsigned int nest_type;
	const struct attr_desc *desc;
	unsigned int max;
	int (*event_fn)(struct json_object *ev, void *data);
	void *event_data;
};

static int data_cb(const struct nlmsghdr *nlh, void *data)
{
	struct reply *r = data;
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, GENL_HDRLEN) {
		if (mnl_attr_get_type(a) != r->nest_type)
			continue;
		json_object_array_add(r->arr, parse_nest(a, r->desc, r->max));
	}
	return MNL_CB_OK;
}

static int ext_ack_cb(const struct nlattr *a, void *data)
{
	struct nl *nl = data;

	if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG &&
	    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) >= 0)
		snprintf(nl->ext_msg, sizeof(nl->ext_msg), "%s",
			 mnl_attr_get_str(a));
	return MNL_CB_OK;
}

static int error_cb(const struct nlmsghdr *nlh, void *data)
{
	struct reply *r = data;
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e))) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	if (nlh->nlmsg_flags & NLM_F_ACK_TLVS)
		mnl_attr_parse(nlh, sizeof(*e), ext_ack_cb, r->nl);
	if (!e->error)
		return MNL_CB_STOP;
	errno = -e->error;
	return MNL_CB_ERROR;
}

static int noop_cb(const struct nlmsghdr *nlh, void *data)
{
	(void)nlh;
	(void)data;
	return MNL_CB_OK;
}

/* The end of a dump; its payload is the dump's error, if any. */
static int done_cb(const struct nlmsghdr *nlh, void *data)
{
	const int *err = mnl_nlmsg_get_payload(nlh);

	(void)data;
	if (nlh->nlmsg_len >= mnl_nlmsg_size(sizeof(*err)) && *err < 0) {
		errno = -*err;
		return MNL_CB_ERROR;
	}
	return MNL_CB_STOP;
}

static mnl_cb_t ctl_cbs[NLMSG_MIN_TYPE] = {
	[NLMSG_NOOP]	= noop_cb,
	[NLMSG_ERROR]	= error_cb,
	[NLMSG_DONE]	= done_cb,
	[NLMSG_OVERRUN]	= noop_cb,
};

/* Receive until the request @seq is answered (ack, error or done). */
static int nl_recv(struct nl *nl, __u32 seq, mnl_cb_t cb, struct reply *r)
{
	static char buf[NL_BUF_SIZE];
	int ret;

	for (;;) {
		ret = mnl_socket_recvfrom(nl->sock, buf, sizeof(buf));
		if (ret < 0)
			return -errno;
		ret = mnl_cb_run2(buf, ret, seq, nl->portid, cb, r,
				  ctl_cbs, NLMSG_MIN_TYPE);
		if (ret < 0)
			return -errno;
		if (ret == MNL_CB_STOP)
			return 0;
	}
}

static struct nlmsghdr *put_request(struct nl *nl, char *buf, __u16 type,
				    __u8 cmd, __u16 flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	nlh->nlmsg_seq = ++nl->seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = type == GENL_ID_CTRL ? 1 : LAYERFS_GENL_VERSION;
	return nlh;
}

static int send_request(struct nl *nl, struct nlmsghdr *nlh, struct reply *r)
{
	nl->ext_msg[0] = '\0';
	if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	return nl_recv(nl, nlh->nlmsg_seq, data_cb, r);
}

/* CTRL_CMD_GETFAMILY's reply: the family id and the events group id. */
static int family_cb(const struct nlmsghdr *nlh, void *data)
{
	struct reply *r = data;
	const struct nlattr *a, *g, *ga;

	mnl_attr_for_each(a, nlh, GENL_HDRLEN) {
		switch (mnl_attr_get_type(a)) {
		case CTRL_ATTR_FAMILY_ID:
			r->nl->family = mnl_attr_get_u16(a);
			break;
		case CTRL_ATTR_MCAST_GROUPS:
			mnl_attr_for_each_nested(g, a) {
				const char *name = NULL;
				__u32 id = 0;

				mnl_attr_for_each_nested(ga, g) {
					if (mnl_attr_get_type(ga) == CTRL_ATTR_MCAST_GRP_NAME)
						name = mnl_attr_get_str(ga);
					else if (mnl_attr_get_type(ga) == CTRL_ATTR_MCAST_GRP_ID)
						id = mnl_attr_get_u32(ga);
				}
				if (name && !strcmp(name, LAYERFS_GENL_MCGRP_EVENTS))
					r->nl->mcgrp = id;
			}
			break;
		}
	}
	return MNL_CB_OK;
}

int nl_open(struct nl *nl)
{
	char buf[NL_BUF_SIZE];
	struct nlmsghdr *nlh;
	struct reply r = { .nl = nl };
	int one = 1, ret;

	memset(nl, 0, sizeof(*nl));
	nl->seq = time(NULL);
	nl->sock = mnl_socket_open(NETLINK_GENERIC);
	if (!nl->sock)
		return -errno;
	if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		nl_close(nl);
		return ret;
	}
	nl->portid = mnl_socket_get_portid(nl->sock);
	mnl_socket_setsockopt(nl->sock, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl->sock, NETLINK_CAP_ACK, &one, sizeof(one));

	nlh = put_request(nl, buf, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 0);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, LAYERFS_GENL_NAME);
	nl->ext_msg[0] = '\0';
	if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0)
		ret = -errno;
	else	/* the reply is not an array of nests: family_cb */
		ret = nl_recv(nl, nlh->nlmsg_seq, family_cb, &r);
	if (!ret && !nl->family)
		ret = -ENOENT;
	if (ret) {
		/* ENOENT from nlctrl: the family is not registered */
		nl_close(nl);
		return ret;
	}
	return 0;
}

void nl_close(struct nl *nl)
{
	if (nl->sock)
		mnl_socket_close(nl->sock);
	nl->sock = NULL;
}

static int nl_query(struct nl *nl, __u8 cmd, bool dump, __u64 mount_id,
		    unsigned int nest_type, const struct attr_desc *desc,
		    unsigned int max, struct json_object **out)
{
	char buf[NL_BUF_SIZE];
	struct reply r = {
		.nl = nl, .nest_type = nest_type, .desc = desc, .max = max,
	};
	struct nlmsghdr *nlh;
	int ret;

	nlh = put_request(nl, buf, nl->family, cmd, dump ? NLM_F_DUMP : 0);
	if (mount_id)
		mnl_attr_put_u64(nlh, LAYERFS_A_MOUNT_ID, mount_id);
	r.arr = json_object_new_array();
	ret = send_request(nl, nlh, &r);
	if (ret || !out)
		json_object_put(r.arr);
	else
		*out = r.arr;
	return ret;
}

int nl_get_layers(struct nl *nl, struct json_object **out)
{
	return nl_query(nl, LAYERFS_CMD_GET_LAYERS, true, 0, LAYERFS_A_LAYER,
			layer_attrs, LAYERFS_LAYER_A_MAX, out);
}

int nl_get_mounts(struct nl *nl, struct json_object **out)
{
	return nl_query(nl, LAYERFS_CMD_GET_MOUNTS, true, 0, LAYERFS_A_MOUNT,
			mount_attrs, LAYERFS_MOUNT_A_MAX, out);
}

int nl_get_stats(struct nl *nl, __u64 mount_id, struct json_object **out)
{
	return nl_query(nl, LAYERFS_CMD_GET_STATS, false, mount_id,
			LAYERFS_A_STATS, stats_attrs, LAYERFS_STATS_A_MAX, out);
}

int nl_dump_stats(struct nl *nl, struct json_object **out)
{
	return nl_query(nl, LAYERFS_CMD_GET_STATS, true, 0, LAYERFS_A_STATS,
			stats_attrs, LAYERFS_STATS_A_MAX, out);
}

int nl_reset_stats(struct nl *nl, __u64 mount_id)
{
	return nl_query(nl, LAYERFS_CMD_RESET_STATS, false, mount_id, 0,
			NULL, 0, NULL);
}

static int event_cb(const struct nlmsghdr *nlh, void *data)
{
	struct reply *r = data;
	const struct nlattr *a;
	int stop = 0;

	mnl_attr_for_each(a, nlh, GENL_HDRLEN) {
		struct json_object *ev;

		if (mnl_attr_get_type(a) != LAYERFS_A_EVENT)
			continue;
		ev = parse_nest(a, event_attrs, LAYERFS_EVENT_A_MAX);
		stop = r->event_fn(ev, r->event_data);
		json_object_put(ev);
		if (stop)
			break;
	}
	return stop ? MNL_CB_STOP : MNL_CB_OK;
}

/* Join the events group: events from here on are queued for us. */
int nl_join_events(struct nl *nl)
{
	if (!nl->mcgrp)
		return -ENOENT;
	if (mnl_socket_setsockopt(nl->sock, NETLINK_ADD_MEMBERSHIP, &nl->mcgrp,
				  sizeof(nl->mcgrp)) < 0)
		return -errno;
	return 0;
}

/* After nl_join_events(): call @fn for each event until it returns 1. */
int nl_monitor(struct nl *nl, int (*fn)(struct json_object *ev, void *data),
	       void *data)
{
	static char buf[NL_BUF_SIZE];
	struct reply r = { .nl = nl, .event_fn = fn, .event_data = data };
	int ret;

	for (;;) {
		ret = mnl_socket_recvfrom(nl->sock, buf, sizeof(buf));
		if (ret < 0)
			return -errno;
		ret = mnl_cb_run(buf, ret, 0, 0, event_cb, &r);
		if (ret < 0)
			return -errno;
		if (ret == MNL_CB_STOP)
			return 0;
	}
}
