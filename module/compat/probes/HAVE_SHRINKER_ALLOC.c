// SPDX-License-Identifier: GPL-2.0-only
/*
 * shrinker_alloc(), shrinker_register(), shrinker_free() (6.7); before,
 * register_shrinker() of a caller-owned struct shrinker.
 */
#include <linux/shrinker.h>

void lfs_probe(void);
void lfs_probe(void)
{
	struct shrinker *s = shrinker_alloc(0, "probe");

	shrinker_register(s);
	shrinker_free(s);
}
