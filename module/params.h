/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * layerfs mount-time parameters, owned by the fs_context until
 * lfs_fill_super() moves them into struct lfs_fs.
 */
#ifndef _LFS_PARAMS_H
#define _LFS_PARAMS_H

#include <linux/path.h>

struct lfs_ctx_layer {
	struct path path;
	char *name;
	struct lfs_nameidx_owner *nidx;	/* registry layer's index table */
	/* path.mnt is a registry layer's private clone: shared, not cloned */
	bool reg_mnt;
};

struct lfs_fs_context {
	unsigned int nr;		/* lower layers, top first */
	unsigned int capacity;
	struct lfs_ctx_layer *lower;
	char *lowerdir_all;		/* set when legacy lowerdir= was used */
	struct path upper;
	struct path work;
	char *uppername;
	char *workname;
	char *layer;			/* layer=NAME: registry mount */
	struct lfs_reg_chain *chain;	/* pinned chain of @layer */
	/* Feature options given explicitly, as overlayfs's ovl_opt_set */
	struct {
		bool redirect;
		bool index;
		bool nfs_export;
		bool metacopy;
	} set;
};

#endif /* _LFS_PARAMS_H */
