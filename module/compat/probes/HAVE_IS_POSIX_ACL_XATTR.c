// SPDX-License-Identifier: GPL-2.0-only
/* is_posix_acl_xattr() (6.2). */
#include <linux/fs.h>
#include <linux/xattr.h>
#include <linux/posix_acl_xattr.h>

bool lfs_probe(const char *name);
bool lfs_probe(const char *name)
{
	return is_posix_acl_xattr(name);
}
