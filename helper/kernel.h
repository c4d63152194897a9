/* SPDX-License-Identifier: GPL-2.0 */
/*
 * layerctl's kernel side: the layer registry on /dev/layerfs, module
 * loading with libkmod, and mounting with the new mount API.
 *
 * Functions print their own warnings (naming the file or layer and the
 * reason) and return -1, or a negative errno where the caller decides.
 */
#ifndef LAYERCTL_KERNEL_H
#define LAYERCTL_KERNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/layerfs.h>

bool kern_loaded(void);
int kern_open_ctl(const char *module, bool verbose);

int kern_add_layer(int ctl, int dirfd, const char *name, const char *parent,
		   const char *diff_id, const char *chain_id,
		   unsigned int flags);
int kern_del_layer(int ctl, const char *name);
int kern_get_layer(int ctl, const char *name,
		   struct layerfs_layer_info *info);
bool kern_valid_name(const char *name);
bool kern_in_userns(void);

/*
 * A mount by top layer (@layer, through the registry), or by its lower
 * directories (@layer NULL: @lower_fds, top first, as lowerdir+), as
 * in a user namespace, where the registry is root's.
 */
struct kern_mount {
	const char *source;	/* shown in mountinfo */
	const char *layer;	/* top layer name, or NULL */
	const int *lower_fds;	/* without @layer: O_PATH directories */
	size_t nr_lowers;
	bool userxattr;		/* user.overlay.* marks (rootless stores) */
	int upper_fd;		/* O_RDONLY directory, or -1: read-only */
	int work_fd;
	int target_fd;		/* O_PATH of the checked mount point */
	const char *target;	/* its name, for messages */
};

int kern_mount(const struct kern_mount *m);
int kern_umount(const char *target);

#endif /* LAYERCTL_KERNEL_H */
