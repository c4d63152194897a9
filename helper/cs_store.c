// SPDX-License-Identifier: GPL-2.0
/*
 * Reader for containers/storage's overlay store (podman, CRI-O): to come.
 */

#include <errno.h>
#include <stdio.h>
#include "store.h"

static int cs_open(struct store *st)
{
	snprintf(st->err, sizeof(st->err),
		 "%s: containers/storage stores are not read yet", st->root);
	errno = EOPNOTSUPP;
	return -1;
}

const struct store_ops cs_store_ops = {
	.type	= STORE_CONTAINERS,
	.name	= "containers",
	.open	= cs_open,
};
