// SPDX-License-Identifier: GPL-2.0
/*
 * The control interfaces of layerfs for the selftests; see ctl.h.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/genetlink.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "ctl.h"

int lfs_add_layer_ex(int dev, const char *name, const char *parent,
		     const char *dir, const char *diff, const char *chain,
		     unsigned int flags)
{
	struct layerfs_layer_add a = { .size = sizeof(a), .flags = flags };
	int ret;

	a.dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (a.dirfd < 0)
		return -errno;
	snprintf((char *)a.name, sizeof(a.name), "%s", name);
	snprintf((char *)a.parent, sizeof(a.parent), "%s", parent ? parent : "");
	snprintf((char *)a.diff_id, sizeof(a.diff_id), "%s", diff ? diff : "");
	snprintf((char *)a.chain_id, sizeof(a.chain_id), "%s", chain ? chain : "");
	ret = ioctl(dev, LAYERFS_IOC_ADD_LAYER, &a) ? -errno : 0;
	close(a.dirfd);
	return ret;
}

int lfs_add_layer(int dev, const char *name, const char *parent,
		  const char *dir)
{
	return lfs_add_layer_ex(dev, name, parent, dir, NULL, NULL, 0);
}

int lfs_del_layer(int dev, const char *name)
{
	struct layerfs_layer_del d = { .size = sizeof(d) };

	snprintf((char *)d.name, sizeof(d.name), "%s", name);
	return ioctl(dev, LAYERFS_IOC_DEL_LAYER, &d) ? -errno : 0;
}

int lfs_get_layer(int dev, const char *name, struct layerfs_layer_info *info)
{
	struct layerfs_layer_info local;

	if (!info)
		info = &local;
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	snprintf((char *)info->name, sizeof(info->name), "%s", name);
	return ioctl(dev, LAYERFS_IOC_GET_LAYER, info) ? -errno : 0;
}

/* CTRL_CMD_GETFAMILY's answer: the family's id and its group's. */
static int lfs_genl_family_cb(const struct nlmsghdr *nlh, void *data)
{
	struct lfs_genl *nl = data;
	const struct nlattr *a, *g, *ga;

	mnl_attr_for_each(a, nlh, GENL_HDRLEN) {
		if (mnl_attr_get_type(a) == CTRL_ATTR_FAMILY_ID)
			nl->id = mnl_attr_get_u16(a);
		if (mnl_attr_get_type(a) != CTRL_ATTR_MCAST_GROUPS)
			continue;
		mnl_attr_for_each_nested(g, a)
			mnl_attr_for_each_nested(ga, g)
				if (mnl_attr_get_type(ga) == CTRL_ATTR_MCAST_GRP_ID)
					nl->grp = mnl_attr_get_u32(ga);
	}
	return MNL_CB_OK;
}

static int lfs_genl_talk_size(struct lfs_genl *nl, struct nlmsghdr *nlh,
			      mnl_cb_t cb, void *data, size_t size);

int lfs_genl_open(struct lfs_genl *nl)
{
	char buf[LFS_GENL_MSG_SIZE];
	struct nlmsghdr *nlh;

	memset(nl, 0, sizeof(*nl));
	nl->sock = mnl_socket_open(NETLINK_GENERIC);
	if (!nl->sock || mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0)
		return -errno;
	nl->portid = mnl_socket_get_portid(nl->sock);
	nlh = lfs_genl_msg(nl, buf, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1,
			   NLM_F_ACK);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, LAYERFS_GENL_NAME);
	/* small: netlink/dump_test reads dumps in parts of 8 KiB */
	return lfs_genl_talk_size(nl, nlh, lfs_genl_family_cb, nl,
				  LFS_GENL_MSG_SIZE);
}

void lfs_genl_close(struct lfs_genl *nl)
{
	if (nl->sock)
		mnl_socket_close(nl->sock);
	nl->sock = NULL;
}

struct nlmsghdr *lfs_genl_msg(struct lfs_genl *nl, void *buf, int type,
			      int cmd, int version, unsigned int flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = ++nl->seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = version;
	return nlh;
}

/* The ack, or the kernel's error, as libmnl's own callback takes it. */
static int lfs_genl_error_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e))) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	if (!e->error)
		return MNL_CB_STOP;
	errno = e->error < 0 ? -e->error : e->error;
	return MNL_CB_ERROR;
}

/* The end of a dump: libmnl's callback does not look at its error. */
static int lfs_genl_done_cb(const struct nlmsghdr *nlh, void *data)
{
	const int *err = mnl_nlmsg_get_payload(nlh);

	if (nlh->nlmsg_len >= mnl_nlmsg_size(sizeof(*err)) && *err < 0) {
		errno = -*err;
		return MNL_CB_ERROR;
	}
	return MNL_CB_STOP;
}

/*
 * Send @nlh and run the answer through @cb, reading with recv() calls of
 * at most @size bytes. The kernel sizes the parts of later dumps on this
 * socket by the largest recv() it has seen (netlink's max_recvmsg_len, up
 * to 32 KiB), so what reads small parts must not have read big ones.
 */
static int lfs_genl_talk_size(struct lfs_genl *nl, struct nlmsghdr *nlh,
			      mnl_cb_t cb, void *data, size_t size)
{
	static char buf[1 << 16];
	mnl_cb_t ctl[NLMSG_MIN_TYPE] = {
		[NLMSG_ERROR] = lfs_genl_error_cb,
		[NLMSG_DONE] = lfs_genl_done_cb,
	};
	int ret;

	if (size > sizeof(buf))
		size = sizeof(buf);
	if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		ret = mnl_socket_recvfrom(nl->sock, buf, size);
		if (ret < 0)
			return -errno;
		ret = mnl_cb_run2(buf, ret, nl->seq, nl->portid, cb, data,
				  ctl, NLMSG_MIN_TYPE);
	} while (ret > MNL_CB_STOP);
	return ret < 0 ? -errno : 0;
}

int lfs_genl_talk(struct lfs_genl *nl, struct nlmsghdr *nlh, mnl_cb_t cb,
		  void *data)
{
	return lfs_genl_talk_size(nl, nlh, cb, data, 1 << 16);
}

struct lfs_mount_find {
	unsigned int dev;		/* new_encode_dev() of st_dev */
	uint64_t id;
};

static int lfs_genl_mount_cb(const struct nlmsghdr *nlh, void *data)
{
	struct lfs_mount_find *m = data;
	const struct nlattr *a, *l;
	unsigned int dev = ~0u;
	uint64_t id = 0;

	mnl_attr_for_each(a, nlh, GENL_HDRLEN) {
		if (mnl_attr_get_type(a) != LAYERFS_A_MOUNT)
			continue;
		mnl_attr_for_each_nested(l, a) {
			if (mnl_attr_get_type(l) == LAYERFS_MOUNT_A_ID)
				id = mnl_attr_get_u64(l);
			else if (mnl_attr_get_type(l) == LAYERFS_MOUNT_A_DEV)
				dev = mnl_attr_get_u32(l);
		}
	}
	if (dev == m->dev)
		m->id = id;
	return MNL_CB_OK;
}

int lfs_genl_mount_id(struct lfs_genl *nl, const char *mnt, uint64_t *id)
{
	char buf[LFS_GENL_MSG_SIZE];
	struct lfs_mount_find m = { 0 };
	struct nlmsghdr *nlh;
	struct stat st;
	int ret;

	if (stat(mnt, &st))
		return -errno;
	/* the kernel's new_encode_dev(), as LAYERFS_MOUNT_A_DEV has it */
	m.dev = (minor(st.st_dev) & 0xff) | (major(st.st_dev) << 8) |
		((minor(st.st_dev) & ~0xffu) << 12);
	nlh = lfs_genl_msg(nl, buf, nl->id, LAYERFS_CMD_GET_MOUNTS,
			   LAYERFS_GENL_VERSION, NLM_F_DUMP);
	ret = lfs_genl_talk(nl, nlh, lfs_genl_mount_cb, &m);
	if (ret)
		return ret;
	*id = m.id;
	return m.id ? 0 : -ENOENT;
}
