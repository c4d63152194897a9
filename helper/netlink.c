// SPDX-License-Identifier: GPL-2.0
/*
 * layerctl: the "layerfs" generic netlink family through libmnl.
 */

#define _GNU_SOURCE
#include <assert.h>
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
#define NL_BIT(type)	(1ULL << (type))

/* Each struct's @present has a bit per attribute of its nest. */
static_assert(LAYERFS_LAYER_A_MAX < 64 && LAYERFS_MOUNT_A_MAX < 64 &&
	      LAYERFS_STATS_A_MAX < 64 && LAYERFS_EVENT_A_MAX < 64,
	      "attribute bits of the reply structs");

const struct nl_stat_desc nl_stat_desc[NL_STAT_NR] = {
	[NL_STAT_LOOKUPS]	= { LAYERFS_STATS_A_LOOKUPS, "lookups" },
	[NL_STAT_NEGATIVE]	= { LAYERFS_STATS_A_NEGATIVE, "negative" },
	[NL_STAT_WHITEOUTS_HIT]	= { LAYERFS_STATS_A_WHITEOUTS_HIT, "whiteouts_hit" },
	[NL_STAT_OPAQUE_STOPS]	= { LAYERFS_STATS_A_OPAQUE_STOPS, "opaque_stops" },
	[NL_STAT_READDIR_BUILDS] = { LAYERFS_STATS_A_READDIR_BUILDS, "readdir_builds" },
	[NL_STAT_READDIR_HITS]	= { LAYERFS_STATS_A_READDIR_HITS, "readdir_hits" },
	[NL_STAT_COPY_UPS]	= { LAYERFS_STATS_A_COPY_UPS, "copy_ups" },
	[NL_STAT_COPY_UP_BYTES]	= { LAYERFS_STATS_A_COPY_UP_BYTES, "copy_up_bytes" },
	[NL_STAT_COPY_UP_NS]	= { LAYERFS_STATS_A_COPY_UP_NS, "copy_up_ns" },
	[NL_STAT_COPY_UP_NS_MAX] = { LAYERFS_STATS_A_COPY_UP_NS_MAX, "copy_up_ns_max" },
	[NL_STAT_WHITEOUTS]	= { LAYERFS_STATS_A_WHITEOUTS, "whiteouts" },
	[NL_STAT_OPAQUE_DIRS]	= { LAYERFS_STATS_A_OPAQUE_DIRS, "opaque_dirs" },
	[NL_STAT_EXDEV]		= { LAYERFS_STATS_A_EXDEV, "exdev" },
	[NL_STAT_OPEN_FILES]	= { LAYERFS_STATS_A_OPEN_FILES, "open_files" },
	[NL_STAT_READDIR_CACHES] = { LAYERFS_STATS_A_READDIR_CACHES, "readdir_caches" },
	[NL_STAT_READDIR_CACHE_BYTES] = { LAYERFS_STATS_A_READDIR_CACHE_BYTES,
					  "readdir_cache_bytes" },
	[NL_STAT_NAMEIDX_BUILDS] = { LAYERFS_STATS_A_NAMEIDX_BUILDS, "nameidx_builds" },
	[NL_STAT_NAMEIDX_HITS]	= { LAYERFS_STATS_A_NAMEIDX_HITS, "nameidx_hits" },
	[NL_STAT_NAMEIDX_SKIPS]	= { LAYERFS_STATS_A_NAMEIDX_SKIPS, "nameidx_skips" },
	[NL_STAT_NAMEIDX_FALLBACKS] = { LAYERFS_STATS_A_NAMEIDX_FALLBACKS,
					"nameidx_fallbacks" },
	[NL_STAT_NAMEIDX_BYTES]	= { LAYERFS_STATS_A_NAMEIDX_BYTES, "nameidx_bytes" },
	[NL_STAT_NAMEIDX_SHARED] = { LAYERFS_STATS_A_NAMEIDX_SHARED, "nameidx_shared" },
	[NL_STAT_NAMEIDX_MERGED] = { LAYERFS_STATS_A_NAMEIDX_MERGED, "nameidx_merged" },
	[NL_STAT_NAMEIDX_MERGED_HITS] = { LAYERFS_STATS_A_NAMEIDX_MERGED_HITS,
					  "nameidx_merged_hits" },
	[NL_STAT_NAMEIDX_MERGED_SHARED] = { LAYERFS_STATS_A_NAMEIDX_MERGED_SHARED,
					    "nameidx_merged_shared" },
};

static const char *const event_names[] = {
	[LAYERFS_EVENT_LAYER_ADDED]	= "layer-added",
	[LAYERFS_EVENT_LAYER_REMOVED]	= "layer-removed",
	[LAYERFS_EVENT_MOUNT]		= "mount",
	[LAYERFS_EVENT_UMOUNT]		= "umount",
	[LAYERFS_EVENT_COPY_UP]		= "copy-up",
};

const char *nl_event_name(__u32 type)
{
	return type < ARRAY_SIZE(event_names) ? event_names[type] : NULL;
}

__u32 nl_encode_dev(unsigned int major, unsigned int minor)
{
	return (minor & 0xff) | (major << 8) | ((minor & ~0xffu) << 12);
}

/*
 * One attribute into its field, and its bit into *@present; an attribute
 * of the wrong size, or a string without its NUL, is skipped.
 */
static void attr_u32(const struct nlattr *a, __u32 *v, __u64 *present)
{
	if (mnl_attr_get_payload_len(a) != sizeof(*v))
		return;
	*v = mnl_attr_get_u32(a);
	*present |= NL_BIT(mnl_attr_get_type(a));
}

static void attr_u64(const struct nlattr *a, __u64 *v, __u64 *present)
{
	if (mnl_attr_get_payload_len(a) != sizeof(*v))
		return;
	*v = mnl_attr_get_u64(a);
	*present |= NL_BIT(mnl_attr_get_type(a));
}

/* A copy of the string, which outlives the receive buffer; -ENOMEM. */
static int attr_str(const struct nlattr *a, char **s, __u64 *present)
{
	char *copy;

	if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) < 0)
		return 0;
	copy = strdup(mnl_attr_get_str(a));
	if (!copy)
		return -ENOMEM;
	free(*s);
	*s = copy;
	*present |= NL_BIT(mnl_attr_get_type(a));
	return 0;
}

static int parse_layer(const struct nlattr *nest, void *obj)
{
	struct nl_layer *l = obj;
	const struct nlattr *a;
	int ret = 0;

	mnl_attr_for_each_nested(a, nest) {
		switch (mnl_attr_get_type(a)) {
		case LAYERFS_LAYER_A_NAME:
			ret = attr_str(a, &l->name, &l->present);
			break;
		case LAYERFS_LAYER_A_PARENT:
			ret = attr_str(a, &l->parent, &l->present);
			break;
		case LAYERFS_LAYER_A_DEPTH:
			attr_u32(a, &l->depth, &l->present);
			break;
		case LAYERFS_LAYER_A_DIFF_ID:
			ret = attr_str(a, &l->diff_id, &l->present);
			break;
		case LAYERFS_LAYER_A_CHAIN_ID:
			ret = attr_str(a, &l->chain_id, &l->present);
			break;
		case LAYERFS_LAYER_A_CHILDREN:
			attr_u32(a, &l->children, &l->present);
			break;
		case LAYERFS_LAYER_A_MOUNTS:
			attr_u32(a, &l->mounts, &l->present);
			break;
		case LAYERFS_LAYER_A_PATH:
			ret = attr_str(a, &l->path, &l->present);
			break;
		}
		if (ret)
			return ret;
	}
	return 0;
}

static void clear_layer(void *obj)
{
	struct nl_layer *l = obj;

	free(l->name);
	free(l->parent);
	free(l->diff_id);
	free(l->chain_id);
	free(l->path);
}

static int parse_mount(const struct nlattr *nest, void *obj)
{
	struct nl_mount *m = obj;
	const struct nlattr *a;
	int ret = 0;

	mnl_attr_for_each_nested(a, nest) {
		switch (mnl_attr_get_type(a)) {
		case LAYERFS_MOUNT_A_ID:
			attr_u64(a, &m->id, &m->present);
			break;
		case LAYERFS_MOUNT_A_DEV:
			attr_u32(a, &m->dev, &m->present);
			break;
		case LAYERFS_MOUNT_A_LAYER:
			ret = attr_str(a, &m->layer, &m->present);
			break;
		case LAYERFS_MOUNT_A_LOWERDIR:
			ret = attr_str(a, &m->lowerdir, &m->present);
			break;
		case LAYERFS_MOUNT_A_TOP_LOWER:
			ret = attr_str(a, &m->top_lower, &m->present);
			break;
		case LAYERFS_MOUNT_A_UPPERDIR:
			ret = attr_str(a, &m->upperdir, &m->present);
			break;
		case LAYERFS_MOUNT_A_WORKDIR:
			ret = attr_str(a, &m->workdir, &m->present);
			break;
		case LAYERFS_MOUNT_A_LAYER_COUNT:
			attr_u32(a, &m->layer_count, &m->present);
			break;
		}
		if (ret)
			return ret;
	}
	return 0;
}

static void clear_mount(void *obj)
{
	struct nl_mount *m = obj;

	free(m->layer);
	free(m->lowerdir);
	free(m->top_lower);
	free(m->upperdir);
	free(m->workdir);
}

/* The depth histogram: entries without a depth are skipped. */
static int parse_depth(const struct nlattr *nest, struct nl_stats *s)
{
	const struct nlattr *d, *a;
	struct nl_depth *grown;
	size_t room = 0;

	free(s->depth);
	s->depth = NULL;
	s->nr_depth = 0;
	s->present |= NL_BIT(LAYERFS_STATS_A_DEPTH);
	mnl_attr_for_each_nested(d, nest) {
		struct nl_depth e = { 0 };
		bool have_depth = false;

		mnl_attr_for_each_nested(a, d) {
			if (mnl_attr_get_type(a) == LAYERFS_DEPTH_A_DEPTH &&
			    mnl_attr_get_payload_len(a) == 4) {
				e.depth = mnl_attr_get_u32(a);
				have_depth = true;
			} else if (mnl_attr_get_type(a) == LAYERFS_DEPTH_A_COUNT &&
				   mnl_attr_get_payload_len(a) == 8) {
				e.count = mnl_attr_get_u64(a);
			}
		}
		if (!have_depth)
			continue;
		if (s->nr_depth == room) {
			room = room ? 2 * room : 16;
			grown = reallocarray(s->depth, room, sizeof(*grown));
			if (!grown)
				return -ENOMEM;
			s->depth = grown;
		}
		s->depth[s->nr_depth++] = e;
	}
	return 0;
}

static int parse_stats(const struct nlattr *nest, void *obj)
{
	struct nl_stats *s = obj;
	const struct nlattr *a;
	unsigned int type, i;
	int ret = 0;

	mnl_attr_for_each_nested(a, nest) {
		type = mnl_attr_get_type(a);
		if (type == LAYERFS_STATS_A_MOUNT_ID) {
			attr_u64(a, &s->mount_id, &s->present);
		} else if (type == LAYERFS_STATS_A_DEPTH) {
			ret = parse_depth(a, s);
			if (ret)
				return ret;
		} else {
			for (i = 0; i < NL_STAT_NR; i++)
				if (nl_stat_desc[i].attr == type)
					attr_u64(a, &s->v[i], &s->present);
		}
	}
	return 0;
}

static void clear_stats(void *obj)
{
	struct nl_stats *s = obj;

	free(s->depth);
}

static int parse_event(const struct nlattr *nest, struct nl_event *ev)
{
	const struct nlattr *a;
	int ret = 0;

	mnl_attr_for_each_nested(a, nest) {
		switch (mnl_attr_get_type(a)) {
		case LAYERFS_EVENT_A_TYPE:
			attr_u32(a, &ev->type, &ev->present);
			break;
		case LAYERFS_EVENT_A_LAYER:
			ret = attr_str(a, &ev->layer, &ev->present);
			break;
		case LAYERFS_EVENT_A_MOUNT_ID:
			attr_u64(a, &ev->mount_id, &ev->present);
			break;
		case LAYERFS_EVENT_A_PATH:
			ret = attr_str(a, &ev->path, &ev->present);
			break;
		case LAYERFS_EVENT_A_BYTES:
			attr_u64(a, &ev->bytes, &ev->present);
			break;
		case LAYERFS_EVENT_A_NS:
			attr_u64(a, &ev->ns, &ev->present);
			break;
		case LAYERFS_EVENT_A_DROPPED:
			attr_u32(a, &ev->dropped, &ev->present);
			break;
		}
		if (ret)
			return ret;
	}
	return 0;
}

static void clear_event(struct nl_event *ev)
{
	free(ev->layer);
	free(ev->path);
}

/* What the replies of a command hold: one struct per nest of @nest. */
struct nl_kind {
	unsigned int nest;		/* LAYERFS_A_* */
	size_t size;			/* of the struct */
	int (*parse)(const struct nlattr *nest, void *obj);
	void (*clear)(void *obj);	/* free what the struct holds */
};

static const struct nl_kind layer_kind = {
	LAYERFS_A_LAYER, sizeof(struct nl_layer), parse_layer, clear_layer,
};

static const struct nl_kind mount_kind = {
	LAYERFS_A_MOUNT, sizeof(struct nl_mount), parse_mount, clear_mount,
};

static const struct nl_kind stats_kind = {
	LAYERFS_A_STATS, sizeof(struct nl_stats), parse_stats, clear_stats,
};

struct reply {
	struct nl *nl;
	const struct nl_kind *kind;	/* NULL: no data expected */
	char *arr;			/* @nr structs of kind->size */
	size_t nr, room;
	int (*event_fn)(const struct nl_event *ev, void *data);
	void *event_data;
};

static void free_array(const struct nl_kind *kind, void *arr, size_t nr)
{
	size_t i;

	for (i = 0; i < nr; i++)
		kind->clear((char *)arr + i * kind->size);
	free(arr);
}

static int data_cb(const struct nlmsghdr *nlh, void *data)
{
	struct reply *r = data;
	const struct nl_kind *k = r->kind;
	const struct nlattr *a;
	char *grown, *obj;

	if (!k)
		return MNL_CB_OK;
	mnl_attr_for_each(a, nlh, GENL_HDRLEN) {
		if (mnl_attr_get_type(a) != k->nest)
			continue;
		if (r->nr == r->room) {
			r->room = r->room ? 2 * r->room : 16;
			grown = reallocarray(r->arr, r->room, k->size);
			if (!grown) {
				errno = ENOMEM;
				return MNL_CB_ERROR;
			}
			r->arr = grown;
		}
		/* counted before it is parsed: freed with the rest if cut short */
		obj = r->arr + r->nr++ * k->size;
		memset(obj, 0, k->size);
		if (k->parse(a, obj)) {
			errno = ENOMEM;
			return MNL_CB_ERROR;
		}
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
		    const struct nl_kind *kind, void **out, size_t *nr)
{
	char buf[NL_BUF_SIZE];
	struct reply r = { .nl = nl, .kind = kind };
	struct nlmsghdr *nlh;
	int ret;

	nlh = put_request(nl, buf, nl->family, cmd, dump ? NLM_F_DUMP : 0);
	if (mount_id)
		mnl_attr_put_u64(nlh, LAYERFS_A_MOUNT_ID, mount_id);
	ret = send_request(nl, nlh, &r);
	if (ret && kind) {
		free_array(kind, r.arr, r.nr);
		r.arr = NULL;
		r.nr = 0;
	}
	if (out) {
		*out = r.arr;
		*nr = r.nr;
	}
	return ret;
}

int nl_get_layers(struct nl *nl, struct nl_layer **out, size_t *nr)
{
	void *arr;
	int ret;

	ret = nl_query(nl, LAYERFS_CMD_GET_LAYERS, true, 0, &layer_kind, &arr,
		       nr);
	*out = arr;
	return ret;
}

void nl_layers_free(struct nl_layer *layers, size_t nr)
{
	free_array(&layer_kind, layers, nr);
}

int nl_get_mounts(struct nl *nl, struct nl_mount **out, size_t *nr)
{
	void *arr;
	int ret;

	ret = nl_query(nl, LAYERFS_CMD_GET_MOUNTS, true, 0, &mount_kind, &arr,
		       nr);
	*out = arr;
	return ret;
}

void nl_mounts_free(struct nl_mount *mounts, size_t nr)
{
	free_array(&mount_kind, mounts, nr);
}

int nl_get_stats(struct nl *nl, __u64 mount_id, struct nl_stats **out,
		 size_t *nr)
{
	void *arr;
	int ret;

	ret = nl_query(nl, LAYERFS_CMD_GET_STATS, false, mount_id, &stats_kind,
		       &arr, nr);
	*out = arr;
	return ret;
}

int nl_dump_stats(struct nl *nl, struct nl_stats **out, size_t *nr)
{
	void *arr;
	int ret;

	ret = nl_query(nl, LAYERFS_CMD_GET_STATS, true, 0, &stats_kind, &arr,
		       nr);
	*out = arr;
	return ret;
}

void nl_stats_free(struct nl_stats *stats, size_t nr)
{
	free_array(&stats_kind, stats, nr);
}

int nl_reset_stats(struct nl *nl, __u64 mount_id)
{
	return nl_query(nl, LAYERFS_CMD_RESET_STATS, false, mount_id, NULL,
			NULL, NULL);
}

static int event_cb(const struct nlmsghdr *nlh, void *data)
{
	struct reply *r = data;
	const struct nlattr *a;
	int stop = 0;

	mnl_attr_for_each(a, nlh, GENL_HDRLEN) {
		struct nl_event ev = { 0 };

		if (mnl_attr_get_type(a) != LAYERFS_A_EVENT)
			continue;
		if (parse_event(a, &ev)) {
			clear_event(&ev);
			errno = ENOMEM;
			return MNL_CB_ERROR;
		}
		stop = r->event_fn(&ev, r->event_data);
		clear_event(&ev);
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
int nl_monitor(struct nl *nl, int (*fn)(const struct nl_event *ev, void *data),
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
