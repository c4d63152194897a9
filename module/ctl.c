// SPDX-License-Identifier: GPL-2.0-only
/*
 * /dev/layerfs: the ioctl interface of the layer registry.
 */

#include <linux/fs.h>
#include <linux/file.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/uaccess.h>
#include "layerfs.h"

/* Static so that kmod can create the node and load us on first open. */
#define LAYERFS_MINOR	249

/* Read a size-first struct: at least @min bytes, any zero tail. */
int lfs_copy_req(void *dst, size_t ksize, size_t min, void __user *uarg)
{
	u32 usize;
	int err;

	if (get_user(usize, (u32 __user *)uarg))
		return -EFAULT;
	if (usize < min)
		return -EINVAL;
	if (usize > PAGE_SIZE)
		return -E2BIG;
	err = copy_struct_from_user(dst, ksize, uarg, usize);
	return err;
}

static bool lfs_terminated(const u8 *s, size_t size)
{
	return strnlen((const char *)s, size) < size;
}

/* O_PATH descriptors are what userspace is expected to pass. */
static int lfs_path_from_fd(int fd, struct path *path)
{
	struct file *f = fget_raw(fd);

	if (!f)
		return -EBADF;
	*path = f->f_path;
	path_get(path);
	fput(f);
	return 0;
}

static int lfs_ioc_add_layer(void __user *uarg)
{
	struct layerfs_layer_add req;
	struct lfs_reg_req r;
	struct path path;
	int err;

	err = lfs_copy_req(&req, sizeof(req), LAYERFS_LAYER_ADD_SIZE_VER0,
			   uarg);
	if (err)
		return err;
	if (req.flags & ~LAYERFS_ADD_VALID_FLAGS || req.__reserved)
		return -EINVAL;
	if (!lfs_terminated(req.name, sizeof(req.name)) ||
	    !lfs_terminated(req.parent, sizeof(req.parent)) ||
	    !lfs_terminated(req.diff_id, sizeof(req.diff_id)) ||
	    !lfs_terminated(req.chain_id, sizeof(req.chain_id)))
		return -EINVAL;

	err = lfs_path_from_fd(req.dirfd, &path);
	if (err)
		return err;
	err = -ENOTDIR;
	if (!d_is_dir(path.dentry))
		goto out;
	err = -ENOENT;		/* removed: nothing would ever look it up */
	if (d_unlinked(path.dentry))
		goto out;
	err = -EINVAL;
	if (lfs_dentry_weird(path.dentry) || sb_has_encoding(path.mnt->mnt_sb))
		goto out;

	r.flags = req.flags;
	r.name = (const char *)req.name;
	r.parent = (const char *)req.parent;
	r.diff_id = (const char *)req.diff_id;
	r.chain_id = (const char *)req.chain_id;
	err = lfs_reg_add(&r, &path);
out:
	path_put(&path);
	return err;
}

static int lfs_ioc_del_layer(void __user *uarg)
{
	struct layerfs_layer_del req;
	int err;

	err = lfs_copy_req(&req, sizeof(req), LAYERFS_LAYER_DEL_SIZE_VER0,
			   uarg);
	if (err)
		return err;
	if (req.flags || !lfs_terminated(req.name, sizeof(req.name)))
		return -EINVAL;
	if (!lfs_reg_valid_name((const char *)req.name, sizeof(req.name)))
		return -EINVAL;
	return lfs_reg_del((const char *)req.name);
}

static int lfs_ioc_get_layer(void __user *uarg)
{
	struct layerfs_layer_info info;
	u32 usize;
	int err;

	err = lfs_copy_req(&info, sizeof(info), LAYERFS_LAYER_INFO_SIZE_VER0,
			   uarg);
	if (err)
		return err;
	if (info.flags || info.__reserved)
		return -EINVAL;
	if (!lfs_terminated(info.name, sizeof(info.name)) ||
	    !lfs_reg_valid_name((const char *)info.name, sizeof(info.name)))
		return -EINVAL;
	err = lfs_reg_get((const char *)info.name, &info);
	if (err)
		return err;
	/* Never write beyond what the caller said it has. */
	usize = min_t(u32, info.size, sizeof(info));
	if (copy_to_user(uarg, &info, usize))
		return -EFAULT;
	return 0;
}

static long lfs_ctl_ioctl(struct file *file, unsigned int cmd,
			  unsigned long arg)
{
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case LAYERFS_IOC_ADD_LAYER:
	case LAYERFS_IOC_DEL_LAYER:
	case LAYERFS_IOC_GET_LAYER:
		break;
	default:
		return -ENOTTY;
	}
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;

	switch (cmd) {
	case LAYERFS_IOC_ADD_LAYER:
		return lfs_ioc_add_layer(uarg);
	case LAYERFS_IOC_DEL_LAYER:
		return lfs_ioc_del_layer(uarg);
	default:
		return lfs_ioc_get_layer(uarg);
	}
}

static const struct file_operations lfs_ctl_fops = {
	.owner		= THIS_MODULE,
	.unlocked_ioctl	= lfs_ctl_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

static struct miscdevice lfs_ctl_misc = {
	.minor		= LAYERFS_MINOR,
	.name		= "layerfs",
	.nodename	= "layerfs",
	.mode		= 0600,
	.fops		= &lfs_ctl_fops,
};

int lfs_ctl_init(void)
{
	BUILD_BUG_ON(sizeof(struct layerfs_layer_add) !=
		     LAYERFS_LAYER_ADD_SIZE_VER0);
	BUILD_BUG_ON(sizeof(struct layerfs_layer_del) !=
		     LAYERFS_LAYER_DEL_SIZE_VER0);
	BUILD_BUG_ON(sizeof(struct layerfs_layer_info) !=
		     LAYERFS_LAYER_INFO_SIZE_VER0);
	BUILD_BUG_ON(offsetof(struct layerfs_layer_add, name) != 16);
	BUILD_BUG_ON(offsetof(struct layerfs_layer_info, depth) != 296);

	return misc_register(&lfs_ctl_misc);
}

void lfs_ctl_exit(void)
{
	misc_deregister(&lfs_ctl_misc);
}

MODULE_ALIAS_MISCDEV(LAYERFS_MINOR);
MODULE_ALIAS("devname:layerfs");
