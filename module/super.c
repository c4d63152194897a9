// SPDX-License-Identifier: GPL-2.0-only
/*
 * layerfs: a stacking union filesystem with overlayfs's on-disk
 * conventions. Superblock setup, layer setup and module init.
 */

#include <linux/module.h>
#include <linux/fs.h>
#include <linux/fs_context.h>
#include <linux/mount.h>
#include <linux/namei.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/statfs.h>
#include <linux/seq_file.h>
#include "layerfs.h"
#include "params.h"

static struct kmem_cache *lfs_inode_cachep;

static struct inode *lfs_alloc_inode(struct super_block *sb)
{
	struct lfs_inode *oi = alloc_inode_sb(sb, lfs_inode_cachep,
					      GFP_KERNEL);

	if (!oi)
		return NULL;
	oi->__upperdentry = NULL;
	oi->oe = NULL;
	oi->key = NULL;
	oi->flags = 0;
	oi->version = 0;
	oi->cache = NULL;
	return &oi->vfs_inode;
}

/* RCU-delayed: RCU path walk may still read oi->oe (d_revalidate). */
static void lfs_free_inode(struct inode *inode)
{
	struct lfs_inode *oi = LFS_I(inode);

	kvfree(oi->oe);
	kmem_cache_free(lfs_inode_cachep, oi);
}

static void lfs_destroy_inode(struct inode *inode)
{
	struct lfs_inode *oi = LFS_I(inode);

	dput(oi->__upperdentry);
	lfs_put_entry(oi->oe);
	if (S_ISDIR(inode->i_mode))
		lfs_dir_cache_free(inode);
}

void lfs_free_fs(struct lfs_fs *ofs)
{
	struct vfsmount **mounts;
	unsigned int i;

	/* Reuse the layer array: one RCU grace period for all layers. */
	mounts = (struct vfsmount **)ofs->layers;
	for (i = 0; i < ofs->numlayer; i++)
		mounts[i] = ofs->layers[i].mnt;
	if (mounts)
		kern_unmount_array(mounts, ofs->numlayer);
	kvfree(ofs->layers);
	kfree(ofs->fs_sb);
	if (ofs->config.lowerdirs) {
		for (i = 0; i < ofs->numlayer; i++)
			kfree(ofs->config.lowerdirs[i]);
		kvfree(ofs->config.lowerdirs);
	}
	kfree(ofs->config.lowerdir_all);
	kfree(ofs->config.upperdir);
	kfree(ofs->config.workdir);
	if (ofs->creator_cred)
		put_cred(ofs->creator_cred);
	kfree(ofs);
}

static int lfs_statfs(struct dentry *dentry, struct kstatfs *buf)
{
	struct super_block *sb = dentry->d_sb;
	const struct cred *old_cred;
	struct path path;
	int err;

	lfs_real_path(d_inode(sb->s_root), &path);
	old_cred = lfs_override_creds(sb);
	err = vfs_statfs(&path, buf);
	revert_creds(old_cred);
	if (!err)
		buf->f_type = LAYERFS_SUPER_MAGIC;
	return err;
}

static const struct super_operations lfs_super_operations = {
	.alloc_inode	= lfs_alloc_inode,
	.free_inode	= lfs_free_inode,
	.destroy_inode	= lfs_destroy_inode,
	.drop_inode	= generic_delete_inode,
	.statfs		= lfs_statfs,
	.show_options	= lfs_show_options,
};

/* Index of the real superblock in ofs->fs_sb, adding it when new. */
static unsigned int lfs_get_fsid(struct lfs_fs *ofs, struct super_block *sb)
{
	unsigned int i;

	for (i = 0; i < ofs->numfs; i++)
		if (ofs->fs_sb[i] == sb)
			return i;
	ofs->fs_sb[ofs->numfs] = sb;
	return ofs->numfs++;
}

static int lfs_cmp_ptr(const void *a, const void *b)
{
	unsigned long pa = *(const unsigned long *)a;
	unsigned long pb = *(const unsigned long *)b;

	return pa < pb ? -1 : pa > pb;
}

/*
 * Refuse a layer given twice or nested inside another layer: lookups
 * would loop through it. Same errno as overlayfs (ELOOP). Layer root
 * inodes are sorted so that 4096 layers check in O(n log n).
 */
static int lfs_check_overlap(struct fs_context *fc,
			     struct lfs_fs_context *ctx)
{
	unsigned long *roots;
	unsigned int i;
	int err = 0;

	roots = kvmalloc_array(ctx->nr, sizeof(*roots), GFP_KERNEL);
	if (!roots)
		return -ENOMEM;
	for (i = 0; i < ctx->nr; i++)
		roots[i] = (unsigned long)d_inode(ctx->lower[i].path.dentry);
	sort(roots, ctx->nr, sizeof(*roots), lfs_cmp_ptr, NULL);

	for (i = 1; i < ctx->nr; i++) {
		if (roots[i] == roots[i - 1]) {
			errorfc(fc, "conflicting lowerdir path");
			err = -ELOOP;
			goto out;
		}
	}

	for (i = 0; i < ctx->nr && !err; i++) {
		struct dentry *next = dget(ctx->lower[i].path.dentry);
		struct dentry *parent = dget_parent(next);

		while (parent != next) {
			unsigned long key = (unsigned long)d_inode(parent);

			if (bsearch(&key, roots, ctx->nr, sizeof(*roots),
				    lfs_cmp_ptr)) {
				errorfc(fc, "overlapping lowerdir path %s",
					ctx->lower[i].name);
				err = -ELOOP;
				break;
			}
			dput(next);
			next = parent;
			parent = dget_parent(next);
		}
		dput(parent);
		dput(next);
	}
out:
	kvfree(roots);
	return err;
}

static int lfs_get_lower_layers(struct super_block *sb,
				struct fs_context *fc,
				struct lfs_fs_context *ctx)
{
	struct lfs_fs *ofs = LFS_FS(sb);
	int depth = 0;
	unsigned int i;
	int err;

	err = lfs_check_overlap(fc, ctx);
	if (err)
		return err;

	for (i = 0; i < ctx->nr; i++) {
		struct lfs_ctx_layer *l = &ctx->lower[i];
		struct lfs_layer *layer = &ofs->layers[ofs->numlayer];
		struct vfsmount *mnt;

		mnt = clone_private_mount(&l->path);
		if (IS_ERR(mnt)) {
			errorfc(fc, "failed to clone lowerdir %s", l->name);
			return PTR_ERR(mnt);
		}
		/* fchmod() etc. on a lower file fail instead of writing. */
		mnt->mnt_flags |= MNT_READONLY | MNT_NOATIME;
		layer->mnt = mnt;
		layer->idx = ofs->numlayer;
		layer->fsid = lfs_get_fsid(ofs, mnt->mnt_sb);
		ofs->config.lowerdirs[ofs->numlayer] = l->name;
		l->name = NULL;
		ofs->numlayer++;

		depth = max(depth, mnt->mnt_sb->s_stack_depth);
		sb->s_maxbytes = max(sb->s_maxbytes, mnt->mnt_sb->s_maxbytes);
	}

	sb->s_stack_depth = depth + 1;
	if (sb->s_stack_depth > FILESYSTEM_MAX_STACK_DEPTH) {
		errorfc(fc, "maximum fs stacking depth exceeded");
		return -EINVAL;
	}
	return 0;
}

static struct dentry *lfs_get_root(struct super_block *sb)
{
	struct lfs_fs *ofs = LFS_FS(sb);
	unsigned int numlower = ofs->numlayer - 1;
	unsigned long flags = 0;
	struct lfs_entry *oe;
	struct inode *inode;
	unsigned int i;

	oe = lfs_alloc_entry(numlower);
	if (!oe)
		return ERR_PTR(-ENOMEM);
	for (i = 0; i < numlower; i++) {
		oe->lowerstack[i].layer = &ofs->layers[i + 1];
		oe->lowerstack[i].dentry = dget(ofs->layers[i + 1].mnt->mnt_root);
	}
	if (numlower > 1)
		__set_bit(LFS_I_MERGE, &flags);

	inode = lfs_get_inode(sb, NULL, oe, flags);
	if (IS_ERR(inode)) {
		lfs_free_entry(oe);
		return ERR_CAST(inode);
	}
	return d_make_root(inode) ?: ERR_PTR(-ENOMEM);
}

int lfs_fill_super(struct super_block *sb, struct fs_context *fc)
{
	struct lfs_fs_context *ctx = fc->fs_private;
	struct lfs_fs *ofs = sb->s_fs_info;
	struct dentry *root;
	int err;

	if (!ctx->nr)
		return invalfc(fc, "missing lowerdir");
	if (ctx->upper.dentry || ctx->work.dentry)
		return invalfc(fc, "upperdir/workdir are not supported yet");

	err = -ENOMEM;
	ofs->creator_cred = prepare_creds();
	ofs->layers = kvcalloc(ctx->nr + 1, sizeof(*ofs->layers), GFP_KERNEL);
	ofs->fs_sb = kcalloc(ctx->nr + 1, sizeof(*ofs->fs_sb), GFP_KERNEL);
	ofs->config.lowerdirs = kvcalloc(ctx->nr + 1, sizeof(char *),
					 GFP_KERNEL);
	if (!ofs->creator_cred || !ofs->layers || !ofs->fs_sb ||
	    !ofs->config.lowerdirs)
		return err;

	/*
	 * layers[0] is the upper slot. fsids number the distinct real
	 * filesystems, the upper's first, so that a union on one filesystem
	 * needs no xino bits and reports the real inode numbers.
	 */
	ofs->numlayer = 1;
	ofs->numfs = 0;
	sb->s_maxbytes = 0;
	ofs->config.lowerdir_all = ctx->lowerdir_all;
	ctx->lowerdir_all = NULL;

	err = lfs_get_lower_layers(sb, fc, ctx);
	if (err)
		return err;

	ofs->xino_bits = ofs->numfs > 1 ? ilog2(ofs->numfs - 1) + 1 : 0;

	sb->s_magic = LAYERFS_SUPER_MAGIC;
	sb->s_op = &lfs_super_operations;
	sb->s_d_op = &lfs_dentry_operations;
	sb->s_xattr = lfs_xattr_handlers;
	sb->s_time_gran = 1;
	sb->s_flags |= SB_POSIXACL | SB_RDONLY;
	sb->s_iflags |= SB_I_SKIP_SYNC;

	root = lfs_get_root(sb);
	if (IS_ERR(root))
		return PTR_ERR(root);
	sb->s_root = root;
	return 0;
}

static void lfs_kill_sb(struct super_block *sb)
{
	struct lfs_fs *ofs = LFS_FS(sb);

	/* Evicts all inodes, dropping real dentries, before the layers. */
	kill_anon_super(sb);
	if (ofs)
		lfs_free_fs(ofs);
}

static struct file_system_type layerfs_fs_type = {
	.owner			= THIS_MODULE,
	.name			= "layerfs",
	.init_fs_context	= lfs_init_fs_context,
	.parameters		= lfs_parameter_spec,
	.kill_sb		= lfs_kill_sb,
};
MODULE_ALIAS_FS("layerfs");

static int __init layerfs_init(void)
{
	int err;

	lfs_inode_cachep = kmem_cache_create("layerfs_inode",
					     sizeof(struct lfs_inode), 0,
					     SLAB_RECLAIM_ACCOUNT | SLAB_ACCOUNT,
					     lfs_inode_init_once);
	if (!lfs_inode_cachep)
		return -ENOMEM;

	err = register_filesystem(&layerfs_fs_type);
	if (err)
		kmem_cache_destroy(lfs_inode_cachep);
	return err;
}

static void __exit layerfs_exit(void)
{
	unregister_filesystem(&layerfs_fs_type);
	/* Wait for delayed inode frees (lfs_free_inode via RCU). */
	rcu_barrier();
	kmem_cache_destroy(lfs_inode_cachep);
}

module_init(layerfs_init);
module_exit(layerfs_exit);

MODULE_DESCRIPTION("layerfs stacking union filesystem");
MODULE_AUTHOR("The layerfs developers");
MODULE_LICENSE("GPL");
