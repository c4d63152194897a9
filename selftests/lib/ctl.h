/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The control interfaces of layerfs, for the selftests: the layer
 * registry's ioctls on /dev/layerfs and the "layerfs" generic netlink
 * family (libmnl).
 *
 * Functions return 0 on success and -errno on failure, so that tests can
 * ASSERT_EQ(0, ...) and still see the errno in the failure message.
 */
#ifndef LAYERFS_SELFTESTS_CTL_H
#define LAYERFS_SELFTESTS_CTL_H

#include <stdint.h>
#include <libmnl/libmnl.h>
#include <linux/layerfs.h>

/*
 * LAYERFS_IOC_ADD_LAYER on @dev (an fd of LAYERFS_DEVICE): directory
 * @dir as layer @name over @parent (NULL for a base layer).
 */
int lfs_add_layer(int dev, const char *name, const char *parent,
		  const char *dir);
/* The same with a diffID and a chainID (NULL: none) and LAYERFS_ADD_* @flags. */
int lfs_add_layer_ex(int dev, const char *name, const char *parent,
		     const char *dir, const char *diff, const char *chain,
		     unsigned int flags);
/* LAYERFS_IOC_DEL_LAYER */
int lfs_del_layer(int dev, const char *name);
/* LAYERFS_IOC_GET_LAYER; the answer in @info unless it is NULL. */
int lfs_get_layer(int dev, const char *name, struct layerfs_layer_info *info);

/* A generic netlink socket and what the kernel says of the family. */
struct lfs_genl {
	struct mnl_socket *sock;
	unsigned int portid;
	unsigned int seq;		/* of the last request */
	int id;				/* the family's id */
	unsigned int grp;		/* its multicast group's id */
};

/*
 * Opens and binds the socket and asks the controller for the family:
 * nl->id and nl->grp. lfs_genl_close() also after a failure.
 */
int lfs_genl_open(struct lfs_genl *nl);
void lfs_genl_close(struct lfs_genl *nl);

/* Room for a request with a few attributes. */
#define LFS_GENL_MSG_SIZE	8192

/*
 * A request in @buf (LFS_GENL_MSG_SIZE will do): message type
 * @type (nl->id, or GENL_ID_CTRL), NLM_F_REQUEST | @flags, the next
 * sequence number and the genl header of @cmd and @version. Attributes
 * may follow (mnl_attr_put_*()).
 */
struct nlmsghdr *lfs_genl_msg(struct lfs_genl *nl, void *buf, int type,
			      int cmd, int version, unsigned int flags);

/*
 * Sends @nlh and runs the answer through @cb (may be NULL) with @data,
 * up to the ack or the end of the dump: 0, or -errno of the socket or of
 * the kernel's answer (an NLMSG_ERROR, or the error an NLMSG_DONE ends
 * the dump with).
 */
int lfs_genl_talk(struct lfs_genl *nl, struct nlmsghdr *nlh, mnl_cb_t cb,
		  void *data);

/*
 * The mount id (LAYERFS_MOUNT_A_ID) of the layerfs mount on @mnt, found
 * by its device in a GET_MOUNTS dump; -ENOENT if the dump has no such
 * mount.
 */
int lfs_genl_mount_id(struct lfs_genl *nl, const char *mnt, uint64_t *id);

#endif /* LAYERFS_SELFTESTS_CTL_H */
