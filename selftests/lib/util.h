/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared helpers for the layerfs selftests: loading and unloading the
 * module under test.
 *
 * The module is the file named by $LAYERFS_KO (selftests/run sets it to
 * the layerfs.ko of the tree being tested). Functions return 0 on success
 * and -errno on failure, so that tests can ASSERT_EQ(0, ...) and still see
 * the errno in the failure message.
 */
#ifndef LAYERFS_SELFTESTS_UTIL_H
#define LAYERFS_SELFTESTS_UTIL_H

#include <stdbool.h>

/* The filesystem type and module name. */
#define LFS_FSTYPE	"layerfs"

/* $LAYERFS_KO, or NULL if it is unset or empty. */
const char *lfs_module_path(void);

/* Does /proc/filesystems list @fstype? */
bool lfs_fs_registered(const char *fstype);

/*
 * Load $LAYERFS_KO with finit_module(2) unless /proc/filesystems lists
 * layerfs already. EEXIST (loaded meanwhile) counts as success. -ENOENT
 * if LAYERFS_KO is unset.
 */
int lfs_load_module(void);

/* Unload layerfs with delete_module(2); -ENOENT if it is not loaded. */
int lfs_unload_module(void);

#endif /* LAYERFS_SELFTESTS_UTIL_H */
