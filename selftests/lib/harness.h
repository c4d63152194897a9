/* SPDX-License-Identifier: GPL-2.0 */
/*
 * LU_HARNESS_MAIN: TEST_HARNESS_MAIN, with the timeout of every test (the
 * harness's default of 30 s, or TEST_F_TIMEOUT's) multiplied by
 * LAYERFS_TIMEOUT_SCALE (default 1). `make check KERNEL=debug` sets it:
 * KASAN and lockdep under TCG make every test several times slower.
 * Include after kselftest_harness.h.
 */
#ifndef LAYERFS_SELFTESTS_HARNESS_H
#define LAYERFS_SELFTESTS_HARNESS_H

#include <stdlib.h>

static inline void lu_scale_timeouts(void)
{
	const char *e = getenv("LAYERFS_TIMEOUT_SCALE");
	int k = e ? atoi(e) : 1;
	struct __fixture_metadata *f;
	struct __test_metadata *t;

	if (k <= 1)
		return;
	for (f = __fixture_list; f; f = f->next)
		for (t = f->tests; t; t = t->next)
			t->timeout *= k;
}

#define LU_HARNESS_MAIN						\
	int main(int argc, char **argv)				\
	{							\
		lu_scale_timeouts();				\
		return test_harness_run(argc, argv);		\
	}

#endif
