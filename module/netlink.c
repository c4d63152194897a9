// SPDX-License-Identifier: GPL-2.0-only
/*
 * layerfs generic netlink family: registry and mount dumps, per-mount
 * statistics, and events.
 *
 * Statistics are per-CPU counters summed when read, so the hot paths
 * (lookup, readdir, open) never share a cache line between CPUs.
 *
 * Locking: lfs_mounts_mutex protects the list of mounts; a mount leaves
 * the list in kill_sb before its lfs_fs is freed, so a dump holding the
 * mutex may read any listed mount.
 */

#include <linux/fs.h>
#include <linux/dcache.h>
#include <linux/ratelimit.h>
#include <linux/slab.h>
#include <net/genetlink.h>
#include "layerfs.h"

static DEFINE_MUTEX(lfs_mounts_mutex);
static LIST_HEAD(lfs_mounts_list);
static atomic64_t lfs_mount_seq = ATOMIC64_INIT(0);

/* Copy-up events: at most 100 a second, the rest are counted. */
static DEFINE_RATELIMIT_STATE(lfs_copy_up_rs, HZ, 100);
static atomic_t lfs_copy_up_dropped = ATOMIC_INIT(0);

static struct genl_family lfs_genl_family;

enum lfs_mcgrp {
	LFS_MCGRP_EVENTS,
};

static const struct genl_multicast_group lfs_mcgrps[] = {
	[LFS_MCGRP_EVENTS] = {
		.name	= LAYERFS_GENL_MCGRP_EVENTS,
		.flags	= GENL_MCAST_CAP_SYS_ADMIN,
	},
};

static const struct nla_policy lfs_genl_policy[LAYERFS_A_MAX + 1] = {
	[LAYERFS_A_MOUNT_ID]	= { .type = NLA_U64 },
};

int lfs_stats_alloc(struct lfs_fs *ofs)
{
	unsigned int npcpu = min_t(unsigned int, ofs->numlayer, LFS_DEPTH_PCPU);

	ofs->stats = alloc_percpu(struct lfs_stats);
	ofs->depth = __alloc_percpu(sizeof(u64) * npcpu, __alignof__(u64));
	if (!ofs->stats || !ofs->depth)
		return -ENOMEM;
	if (ofs->numlayer > LFS_DEPTH_PCPU) {
		ofs->depth_deep = kvcalloc(ofs->numlayer - LFS_DEPTH_PCPU,
					   sizeof(atomic64_t), GFP_KERNEL);
		if (!ofs->depth_deep)
			return -ENOMEM;
	}
	return 0;
}

void lfs_stats_free(struct lfs_fs *ofs)
{
	free_percpu(ofs->stats);
	free_percpu(ofs->depth);
	kvfree(ofs->depth_deep);
}

static void lfs_stats_sum(struct lfs_fs *ofs, struct lfs_stats *sum)
{
	unsigned int cpu, i;

	memset(sum, 0, sizeof(*sum));
	for_each_possible_cpu(cpu)
		for (i = 0; i < LFS_STAT_NR; i++)
			sum->v[i] += per_cpu_ptr(ofs->stats, cpu)->v[i];
}

static u64 lfs_depth_sum(struct lfs_fs *ofs, unsigned int idx)
{
	unsigned int cpu;
	u64 sum = 0;

	if (idx >= LFS_DEPTH_PCPU)
		return atomic64_read(&ofs->depth_deep[idx - LFS_DEPTH_PCPU]);
	for_each_possible_cpu(cpu)
		sum += per_cpu_ptr(ofs->depth, cpu)[idx];
	return sum;
}

static void lfs_stats_reset(struct lfs_fs *ofs)
{
	unsigned int npcpu = min_t(unsigned int, ofs->numlayer, LFS_DEPTH_PCPU);
	unsigned int cpu, i;

	/* Racing increments may survive; a reset is not a barrier. */
	for_each_possible_cpu(cpu) {
		memset(per_cpu_ptr(ofs->stats, cpu), 0, sizeof(struct lfs_stats));
		memset(per_cpu_ptr(ofs->depth, cpu), 0, sizeof(u64) * npcpu);
	}
	for (i = LFS_DEPTH_PCPU; i < ofs->numlayer; i++)
		atomic64_set(&ofs->depth_deep[i - LFS_DEPTH_PCPU], 0);
	atomic64_set(&ofs->copy_up_ns_max, 0);
}

static int lfs_send_event(struct sk_buff *skb)
{
	return genlmsg_multicast(&lfs_genl_family, skb, 0, LFS_MCGRP_EVENTS,
				 GFP_KERNEL);
}

static struct sk_buff *lfs_event_new(u32 type, void **hdr,
				     struct nlattr **nest)
{
	struct sk_buff *skb;

	if (!genl_has_listeners(&lfs_genl_family, &init_net, LFS_MCGRP_EVENTS))
		return NULL;
	skb = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!skb)
		return NULL;
	*hdr = genlmsg_put(skb, 0, 0, &lfs_genl_family, 0, LAYERFS_CMD_EVENT);
	if (!*hdr)
		goto err;
	*nest = nla_nest_start(skb, LAYERFS_A_EVENT);
	if (!*nest || nla_put_u32(skb, LAYERFS_EVENT_A_TYPE, type))
		goto err;
	return skb;
err:
	nlmsg_free(skb);
	return NULL;
}

static void lfs_event_send(struct sk_buff *skb, void *hdr,
			   struct nlattr *nest)
{
	nla_nest_end(skb, nest);
	genlmsg_end(skb, hdr);
	lfs_send_event(skb);
}

void lfs_event_layer(u32 type, const char *name)
{
	struct nlattr *nest;
	struct sk_buff *skb;
	void *hdr;

	skb = lfs_event_new(type, &hdr, &nest);
	if (!skb)
		return;
	if (nla_put_string(skb, LAYERFS_EVENT_A_LAYER, name)) {
		nlmsg_free(skb);
		return;
	}
	lfs_event_send(skb, hdr, nest);
}

static void lfs_event_mount(u32 type, struct lfs_fs *ofs)
{
	struct nlattr *nest;
	struct sk_buff *skb;
	void *hdr;

	skb = lfs_event_new(type, &hdr, &nest);
	if (!skb)
		return;
	if (nla_put_u64_64bit(skb, LAYERFS_EVENT_A_MOUNT_ID, ofs->id,
			      LAYERFS_EVENT_A_PAD)) {
		nlmsg_free(skb);
		return;
	}
	lfs_event_send(skb, hdr, nest);
}

void lfs_event_copy_up(struct lfs_fs *ofs, struct dentry *dentry, u64 bytes,
		       u64 ns)
{
	struct nlattr *nest;
	struct sk_buff *skb;
	char *buf, *path;
	void *hdr;
	int err;

	if (!genl_has_listeners(&lfs_genl_family, &init_net, LFS_MCGRP_EVENTS))
		return;
	if (!__ratelimit(&lfs_copy_up_rs)) {
		atomic_inc(&lfs_copy_up_dropped);
		return;
	}
	buf = kmalloc(PATH_MAX, GFP_KERNEL);
	if (!buf)
		return;
	path = dentry_path_raw(dentry, buf, PATH_MAX);
	if (IS_ERR(path))
		goto out;
	skb = lfs_event_new(LAYERFS_EVENT_COPY_UP, &hdr, &nest);
	if (!skb)
		goto out;
	err = nla_put_u64_64bit(skb, LAYERFS_EVENT_A_MOUNT_ID, ofs->id,
				LAYERFS_EVENT_A_PAD) ||
	      nla_put_string(skb, LAYERFS_EVENT_A_PATH, path) ||
	      nla_put_u64_64bit(skb, LAYERFS_EVENT_A_BYTES, bytes,
				LAYERFS_EVENT_A_PAD) ||
	      nla_put_u64_64bit(skb, LAYERFS_EVENT_A_NS, ns,
				LAYERFS_EVENT_A_PAD) ||
	      nla_put_u32(skb, LAYERFS_EVENT_A_DROPPED,
			  atomic_xchg(&lfs_copy_up_dropped, 0));
	if (err)
		nlmsg_free(skb);
	else
		lfs_event_send(skb, hdr, nest);
out:
	kfree(buf);
}

void lfs_mount_add(struct lfs_fs *ofs, struct super_block *sb)
{
	ofs->id = atomic64_inc_return(&lfs_mount_seq);
	ofs->dev = sb->s_dev;
	mutex_lock(&lfs_mounts_mutex);
	list_add_tail(&ofs->mounts, &lfs_mounts_list);
	mutex_unlock(&lfs_mounts_mutex);
	lfs_event_mount(LAYERFS_EVENT_MOUNT, ofs);
}

void lfs_mount_del(struct lfs_fs *ofs)
{
	if (list_empty(&ofs->mounts))
		return;
	mutex_lock(&lfs_mounts_mutex);
	list_del_init(&ofs->mounts);
	mutex_unlock(&lfs_mounts_mutex);
	lfs_event_mount(LAYERFS_EVENT_UMOUNT, ofs);
}

/* Caller holds lfs_mounts_mutex. */
static struct lfs_fs *lfs_mount_find(u64 id)
{
	struct lfs_fs *ofs;

	list_for_each_entry(ofs, &lfs_mounts_list, mounts)
		if (ofs->id == id)
			return ofs;
	return NULL;
}

static int lfs_put_str(struct sk_buff *skb, int type, const char *s)
{
	return s && *s ? nla_put_string(skb, type, s) : 0;
}

static int lfs_fill_layer(struct sk_buff *skb, const struct lfs_reg_snapshot *s)
{
	struct nlattr *nest;
	int err;

	nest = nla_nest_start(skb, LAYERFS_A_LAYER);
	err = !nest ||
	      nla_put_string(skb, LAYERFS_LAYER_A_NAME, s->name) ||
	      lfs_put_str(skb, LAYERFS_LAYER_A_PARENT, s->parent) ||
	      nla_put_u32(skb, LAYERFS_LAYER_A_DEPTH, s->depth) ||
	      lfs_put_str(skb, LAYERFS_LAYER_A_DIFF_ID, s->diff_id) ||
	      lfs_put_str(skb, LAYERFS_LAYER_A_CHAIN_ID, s->chain_id) ||
	      nla_put_u32(skb, LAYERFS_LAYER_A_CHILDREN, s->children) ||
	      nla_put_u32(skb, LAYERFS_LAYER_A_MOUNTS, s->mounts) ||
	      lfs_put_str(skb, LAYERFS_LAYER_A_PATH, s->dir);
	if (err)
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

/*
 * State of a layer dump between its parts: the name of the last layer
 * sent, and room for the copy being sent (too big for the stack).
 */
struct lfs_layers_dump {
	struct lfs_reg_snapshot snap;
	char last[LAYERFS_NAME_SIZE];
};

struct lfs_layers_ctx {
	struct lfs_layers_dump *d;
};

static int lfs_nl_layers_start(struct netlink_callback *cb)
{
	struct lfs_layers_ctx *ctx = (void *)cb->ctx;

	NL_ASSERT_DUMP_CTX_FITS(struct lfs_layers_ctx);
	ctx->d = kzalloc(sizeof(*ctx->d), GFP_KERNEL_ACCOUNT);
	return ctx->d ? 0 : -ENOMEM;
}

static int lfs_nl_layers_done(struct netlink_callback *cb)
{
	struct lfs_layers_ctx *ctx = (void *)cb->ctx;

	kfree(ctx->d);
	return 0;
}

/*
 * The end of one part of a dump: a full skb is sent and the dump goes
 * on; a single message too big for an empty skb is an error the user
 * sees in NLMSG_DONE, not a silent end of the dump.
 */
static int lfs_dump_part_end(struct sk_buff *skb, int err)
{
	if (err == -EMSGSIZE && skb->len)
		return skb->len;
	return err ?: skb->len;
}

static int lfs_nl_get_layers(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct lfs_layers_dump *d = ((struct lfs_layers_ctx *)cb->ctx)->d;
	void *hdr;
	int err = 0;

	while (!lfs_reg_snapshot_next(d->last, &d->snap)) {
		hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
				  cb->nlh->nlmsg_seq, &lfs_genl_family,
				  NLM_F_MULTI, LAYERFS_CMD_GET_LAYERS);
		err = hdr ? lfs_fill_layer(skb, &d->snap) : -EMSGSIZE;
		kfree(d->snap.dir);
		d->snap.dir = NULL;
		if (err) {
			if (hdr)
				genlmsg_cancel(skb, hdr);
			break;
		}
		genlmsg_end(skb, hdr);
		strscpy(d->last, d->snap.name, sizeof(d->last));
	}
	if (err == -EMSGSIZE && !skb->len)
		NL_SET_ERR_MSG_FMT(cb->extack,
				   "layer %s does not fit in a dump message",
				   d->snap.name);
	return lfs_dump_part_end(skb, err);
}

static int lfs_fill_mount(struct sk_buff *skb, struct lfs_fs *ofs)
{
	struct nlattr *nest = nla_nest_start(skb, LAYERFS_A_MOUNT);
	int err;

	err = !nest ||
	      nla_put_u64_64bit(skb, LAYERFS_MOUNT_A_ID, ofs->id,
				LAYERFS_MOUNT_A_PAD) ||
	      nla_put_u32(skb, LAYERFS_MOUNT_A_DEV, new_encode_dev(ofs->dev)) ||
	      lfs_put_str(skb, LAYERFS_MOUNT_A_LAYER, ofs->config.layer) ||
	      lfs_put_str(skb, LAYERFS_MOUNT_A_LOWERDIR,
			  ofs->config.lowerdir_all) ||
	      lfs_put_str(skb, LAYERFS_MOUNT_A_TOP_LOWER,
			  ofs->config.lowerdirs[1]) ||
	      lfs_put_str(skb, LAYERFS_MOUNT_A_UPPERDIR, ofs->config.upperdir) ||
	      lfs_put_str(skb, LAYERFS_MOUNT_A_WORKDIR, ofs->config.workdir) ||
	      nla_put_u32(skb, LAYERFS_MOUNT_A_LAYER_COUNT, ofs->numlayer - 1);
	if (err)
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

static int lfs_fill_depth(struct sk_buff *skb, struct lfs_fs *ofs)
{
	struct nlattr *hist, *d;
	unsigned int i;
	u64 count;

	hist = nla_nest_start(skb, LAYERFS_STATS_A_DEPTH);
	if (!hist)
		return -EMSGSIZE;
	for (i = 0; i < ofs->numlayer; i++) {
		count = lfs_depth_sum(ofs, i);
		if (!count)
			continue;
		d = nla_nest_start(skb, i + 1);
		if (!d || nla_put_u32(skb, LAYERFS_DEPTH_A_DEPTH, i) ||
		    nla_put_u64_64bit(skb, LAYERFS_DEPTH_A_COUNT, count,
				      LAYERFS_DEPTH_A_PAD))
			return -EMSGSIZE;
		nla_nest_end(skb, d);
	}
	nla_nest_end(skb, hist);
	return 0;
}

static int lfs_put_u64(struct sk_buff *skb, int type, u64 v)
{
	return nla_put_u64_64bit(skb, type, v, LAYERFS_STATS_A_PAD);
}

/* Netlink attribute of each per-CPU counter. */
static const u16 lfs_stat_attr[LFS_STAT_NR] = {
	[LFS_STAT_LOOKUPS]		= LAYERFS_STATS_A_LOOKUPS,
	[LFS_STAT_NEGATIVE]		= LAYERFS_STATS_A_NEGATIVE,
	[LFS_STAT_WHITEOUTS_HIT]	= LAYERFS_STATS_A_WHITEOUTS_HIT,
	[LFS_STAT_OPAQUE_STOPS]		= LAYERFS_STATS_A_OPAQUE_STOPS,
	[LFS_STAT_READDIR_BUILDS]	= LAYERFS_STATS_A_READDIR_BUILDS,
	[LFS_STAT_READDIR_HITS]		= LAYERFS_STATS_A_READDIR_HITS,
	[LFS_STAT_COPY_UPS]		= LAYERFS_STATS_A_COPY_UPS,
	[LFS_STAT_COPY_UP_BYTES]	= LAYERFS_STATS_A_COPY_UP_BYTES,
	[LFS_STAT_COPY_UP_NS]		= LAYERFS_STATS_A_COPY_UP_NS,
	[LFS_STAT_WHITEOUTS]		= LAYERFS_STATS_A_WHITEOUTS,
	[LFS_STAT_OPAQUE_DIRS]		= LAYERFS_STATS_A_OPAQUE_DIRS,
	[LFS_STAT_EXDEV]		= LAYERFS_STATS_A_EXDEV,
	[LFS_STAT_NAMEIDX_BUILDS]	= LAYERFS_STATS_A_NAMEIDX_BUILDS,
	[LFS_STAT_NAMEIDX_HITS]		= LAYERFS_STATS_A_NAMEIDX_HITS,
	[LFS_STAT_NAMEIDX_SKIPS]	= LAYERFS_STATS_A_NAMEIDX_SKIPS,
	[LFS_STAT_NAMEIDX_FALLBACKS]	= LAYERFS_STATS_A_NAMEIDX_FALLBACKS,
	[LFS_STAT_NAMEIDX_SHARED]	= LAYERFS_STATS_A_NAMEIDX_SHARED,
	[LFS_STAT_NAMEIDX_MERGED]	= LAYERFS_STATS_A_NAMEIDX_MERGED,
	[LFS_STAT_NAMEIDX_MERGED_HITS]	= LAYERFS_STATS_A_NAMEIDX_MERGED_HITS,
	[LFS_STAT_NAMEIDX_MERGED_SHARED] = LAYERFS_STATS_A_NAMEIDX_MERGED_SHARED,
};

static int lfs_fill_stats(struct sk_buff *skb, struct lfs_fs *ofs)
{
	struct nlattr *nest = nla_nest_start(skb, LAYERFS_A_STATS);
	struct lfs_stats s;
	unsigned int i;
	int err;

	if (!nest)
		return -EMSGSIZE;
	lfs_stats_sum(ofs, &s);
	err = lfs_put_u64(skb, LAYERFS_STATS_A_MOUNT_ID, ofs->id);
	for (i = 0; !err && i < LFS_STAT_NR; i++)
		err = lfs_put_u64(skb, lfs_stat_attr[i], s.v[i]);
	err = err ||
	      lfs_put_u64(skb, LAYERFS_STATS_A_COPY_UP_NS_MAX,
			  atomic64_read(&ofs->copy_up_ns_max)) ||
	      lfs_put_u64(skb, LAYERFS_STATS_A_OPEN_FILES,
			  atomic_long_read(&ofs->open_files)) ||
	      lfs_put_u64(skb, LAYERFS_STATS_A_READDIR_CACHES,
			  atomic_long_read(&ofs->readdir_caches)) ||
	      lfs_put_u64(skb, LAYERFS_STATS_A_READDIR_CACHE_BYTES,
			  atomic64_read(&ofs->readdir_cache_bytes)) ||
	      lfs_put_u64(skb, LAYERFS_STATS_A_NAMEIDX_BYTES,
			  atomic_long_read(&ofs->nameidx_bytes)) ||
	      lfs_fill_depth(skb, ofs);
	if (err)
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

typedef int (*lfs_fill_fn)(struct sk_buff *skb, struct lfs_fs *ofs);

/* Dump one message per mount, resuming at the mount id in args[0]. */
static int lfs_dump_mounts(struct sk_buff *skb, struct netlink_callback *cb,
			   u8 cmd, lfs_fill_fn fill)
{
	struct lfs_fs *ofs;
	void *hdr;
	int err = 0;

	mutex_lock(&lfs_mounts_mutex);
	list_for_each_entry(ofs, &lfs_mounts_list, mounts) {
		if (ofs->id <= cb->args[0])
			continue;
		hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
				  cb->nlh->nlmsg_seq, &lfs_genl_family,
				  NLM_F_MULTI, cmd);
		err = hdr ? fill(skb, ofs) : -EMSGSIZE;
		if (err) {
			if (hdr)
				genlmsg_cancel(skb, hdr);
			break;
		}
		genlmsg_end(skb, hdr);
		cb->args[0] = ofs->id;
	}
	if (err == -EMSGSIZE && !skb->len)
		NL_SET_ERR_MSG_FMT(cb->extack,
				   "mount %llu does not fit in a dump message; ask for it alone (LAYERFS_A_MOUNT_ID)",
				   ofs->id);
	mutex_unlock(&lfs_mounts_mutex);
	return lfs_dump_part_end(skb, err);
}

static int lfs_nl_get_mounts(struct sk_buff *skb, struct netlink_callback *cb)
{
	return lfs_dump_mounts(skb, cb, LAYERFS_CMD_GET_MOUNTS, lfs_fill_mount);
}

static int lfs_nl_dump_stats(struct sk_buff *skb, struct netlink_callback *cb)
{
	return lfs_dump_mounts(skb, cb, LAYERFS_CMD_GET_STATS, lfs_fill_stats);
}

/*
 * Room for the statistics of @ofs: the u64 counters (mount id, the
 * per-CPU ones, copy-up maximum, open files, readdir caches and their
 * bytes) and a depth histogram with every depth present.
 */
static size_t lfs_stats_size(const struct lfs_fs *ofs)
{
	size_t depth = nla_total_size(0) + nla_total_size(sizeof(u32)) +
		       nla_total_size_64bit(sizeof(u64));

	return nla_total_size(0) +
	       (LFS_STAT_NR + 5) * nla_total_size_64bit(sizeof(u64)) +
	       nla_total_size(0) + ofs->numlayer * depth;
}

/*
 * One mount's statistics, in a message sized for them: a mount with
 * thousands of layers fits here when it does not fit in a dump part.
 */
static int lfs_nl_get_stats(struct sk_buff *skb, struct genl_info *info)
{
	struct sk_buff *msg = NULL;
	struct lfs_fs *ofs;
	void *hdr;
	int err;

	if (GENL_REQ_ATTR_CHECK(info, LAYERFS_A_MOUNT_ID))
		return -EINVAL;

	mutex_lock(&lfs_mounts_mutex);
	ofs = lfs_mount_find(nla_get_u64(info->attrs[LAYERFS_A_MOUNT_ID]));
	if (!ofs) {
		NL_SET_ERR_MSG_ATTR(info->extack,
				    info->attrs[LAYERFS_A_MOUNT_ID],
				    "no layerfs mount with this id");
		err = -ENOENT;
		goto out_unlock;
	}
	err = -ENOMEM;
	msg = genlmsg_new(lfs_stats_size(ofs), GFP_KERNEL);
	if (!msg)
		goto out_unlock;
	hdr = genlmsg_put_reply(msg, info, &lfs_genl_family, 0,
				LAYERFS_CMD_GET_STATS);
	err = hdr ? lfs_fill_stats(msg, ofs) : -EMSGSIZE;
	if (!err)
		genlmsg_end(msg, hdr);
out_unlock:
	mutex_unlock(&lfs_mounts_mutex);
	if (err) {
		nlmsg_free(msg);
		return err;
	}
	return genlmsg_reply(msg, info);
}

static int lfs_nl_reset_stats(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *id_attr = info->attrs[LAYERFS_A_MOUNT_ID];
	struct lfs_fs *ofs;
	int err = 0;

	/* GENL_ADMIN_PERM checked CAP_NET_ADMIN; resetting is the fs's. */
	if (!netlink_capable(skb, CAP_SYS_ADMIN)) {
		NL_SET_ERR_MSG(info->extack, "resetting needs CAP_SYS_ADMIN");
		return -EPERM;
	}
	mutex_lock(&lfs_mounts_mutex);
	if (id_attr) {
		ofs = lfs_mount_find(nla_get_u64(id_attr));
		if (ofs)
			lfs_stats_reset(ofs);
		else
			err = -ENOENT;
	} else {
		list_for_each_entry(ofs, &lfs_mounts_list, mounts)
			lfs_stats_reset(ofs);
	}
	mutex_unlock(&lfs_mounts_mutex);
	if (err)
		NL_SET_ERR_MSG_ATTR(info->extack, id_attr,
				    "no layerfs mount with this id");
	return err;
}

/* The layer dump keeps the name it stopped at between its parts. */
static const struct genl_ops lfs_genl_dump_ops[] = {
	{
		.cmd	= LAYERFS_CMD_GET_LAYERS,
		.start	= lfs_nl_layers_start,
		.dumpit	= lfs_nl_get_layers,
		.done	= lfs_nl_layers_done,
		.flags	= GENL_ADMIN_PERM,
	},
};

static const struct genl_small_ops lfs_genl_ops[] = {
	{
		.cmd	= LAYERFS_CMD_GET_MOUNTS,
		.dumpit	= lfs_nl_get_mounts,
		.flags	= GENL_ADMIN_PERM,
	},
	{
		.cmd	= LAYERFS_CMD_GET_STATS,
		.doit	= lfs_nl_get_stats,
		.dumpit	= lfs_nl_dump_stats,
		.flags	= GENL_ADMIN_PERM,
	},
	{
		.cmd	= LAYERFS_CMD_RESET_STATS,
		.doit	= lfs_nl_reset_stats,
		.flags	= GENL_ADMIN_PERM,
	},
};

static struct genl_family lfs_genl_family __ro_after_init = {
	.name		= LAYERFS_GENL_NAME,
	.version	= LAYERFS_GENL_VERSION,
	.maxattr	= LAYERFS_A_MAX,
	.policy		= lfs_genl_policy,
	.netnsok	= false,
	.module		= THIS_MODULE,
	.ops		= lfs_genl_dump_ops,
	.n_ops		= ARRAY_SIZE(lfs_genl_dump_ops),
	.small_ops	= lfs_genl_ops,
	.n_small_ops	= ARRAY_SIZE(lfs_genl_ops),
	.mcgrps		= lfs_mcgrps,
	.n_mcgrps	= ARRAY_SIZE(lfs_mcgrps),
};

int lfs_genl_init(void)
{
	/* Dropped events are counted in the next one, not logged. */
	ratelimit_set_flags(&lfs_copy_up_rs, RATELIMIT_MSG_ON_RELEASE);
	return genl_register_family(&lfs_genl_family);
}

void lfs_genl_exit(void)
{
	genl_unregister_family(&lfs_genl_family);
}
