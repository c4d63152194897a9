/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * layerfs kernel compatibility layer.
 *
 * Every difference between supported kernels goes here, keyed by feature
 * probes run from Kbuild (wireguard's compat/ scheme), never by version
 * numbers in core files. Debian's 6.12 LTS is the only target so far and
 * needs no shims: this header is the single place to extend when more
 * kernels are added.
 */
#ifndef _LFS_COMPAT_H
#define _LFS_COMPAT_H

#endif /* _LFS_COMPAT_H */
