// SPDX-License-Identifier: GPL-2.0-only
/* list_lru_add_obj(), list_lru_del_obj() (6.8); before, list_lru_add(lru, item). */
#include <linux/list_lru.h>

bool lfs_probe(struct list_lru *lru, struct list_head *item);
bool lfs_probe(struct list_lru *lru, struct list_head *item)
{
	return list_lru_add_obj(lru, item) && list_lru_del_obj(lru, item);
}
