// SPDX-License-Identifier: GPL-2.0-only
/*
 * layerfs: a stacking union filesystem.
 */

#include <linux/module.h>
#include <linux/fs.h>

static struct file_system_type layerfs_fs_type = {
	.owner		= THIS_MODULE,
	.name		= "layerfs",
	.kill_sb	= kill_anon_super,
};
MODULE_ALIAS_FS("layerfs");

static int __init layerfs_init(void)
{
	return register_filesystem(&layerfs_fs_type);
}

static void __exit layerfs_exit(void)
{
	unregister_filesystem(&layerfs_fs_type);
}

module_init(layerfs_init);
module_exit(layerfs_exit);

MODULE_DESCRIPTION("layerfs stacking union filesystem");
MODULE_LICENSE("GPL");
