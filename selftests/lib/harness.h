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

#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

/*
 * LAYERFS_TIMEOUT_SCALE, at least 1. Every bound a test puts on a wait
 * for a condition (a daemon's socket, a child's state, an answer) is
 * multiplied by it too: tests wait for conditions, never for time, and
 * the bounds only say when to give up (make check SLOW=1 proves it).
 */
static inline int lu_timeout_scale(void)
{
	const char *e = getenv("LAYERFS_TIMEOUT_SCALE");
	int k = e ? atoi(e) : 1;

	return k > 1 ? k : 1;
}

/* A deadline @secs times LAYERFS_TIMEOUT_SCALE from now (CLOCK_MONOTONIC). */
static inline struct timespec lu_deadline(int secs)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	t.tv_sec += (time_t)secs * lu_timeout_scale();
	return t;
}

static inline bool lu_past(const struct timespec *deadline)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec > deadline->tv_sec ||
	       (t.tv_sec == deadline->tv_sec && t.tv_nsec >= deadline->tv_nsec);
}

static inline void lu_scale_timeouts(void)
{
	int k = lu_timeout_scale();
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
