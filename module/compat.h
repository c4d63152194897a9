/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * layerfs kernel compatibility layer.
 *
 * Every difference between supported kernels lives here, keyed by feature
 * probes rather than version numbers. The only target today is Debian's
 * 6.12 LTS, so this header is the single place to extend when more
 * kernels are added.
 */
#ifndef _LFS_COMPAT_H
#define _LFS_COMPAT_H

#include <linux/version.h>

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 12, 0) || \
	LINUX_VERSION_CODE >= KERNEL_VERSION(6, 13, 0)
#warning "layerfs is only tested on 6.12; see module/compat.h"
#endif

#endif /* _LFS_COMPAT_H */
