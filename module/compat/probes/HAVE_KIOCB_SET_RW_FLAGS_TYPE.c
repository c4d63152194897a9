// SPDX-License-Identifier: GPL-2.0-only
/* kiocb_set_rw_flags(kiocb, flags, rw_type) (6.9); before, no rw_type. */
#include <linux/fs.h>

int lfs_probe(struct kiocb *kiocb);
int lfs_probe(struct kiocb *kiocb)
{
	return kiocb_set_rw_flags(kiocb, 0, READ);
}
