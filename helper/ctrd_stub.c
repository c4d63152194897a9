// SPDX-License-Identifier: GPL-2.0
/*
 * The containerd store kind when its reader (ctrd_store.c) is not in the
 * tree: the kind is detected and named, then refused. The Makefile
 * builds this file only without ctrd_store.c.
 */

#include <errno.h>
#include <stdio.h>
#include "store.h"

static int ctrd_stub_open(struct store *st)
{
	snprintf(st->err, sizeof(st->err),
		 "%s: a containerd store, but containerd store support is not built into this layerctl",
		 st->root);
	errno = EOPNOTSUPP;
	return -1;
}

const struct store_ops ctrd_store_ops = {
	.type	= STORE_CONTAINERD,
	.name	= "containerd",
	.open	= ctrd_stub_open,
};
