// SPDX-License-Identifier: GPL-2.0
/*
 * Changing a lower layer underneath a mounted union. overlayfs calls this
 * undefined behaviour; what both must do is not crash, not hang, and keep
 * answering: files nobody touches read right, and errors are the ones a
 * racing unlink explains (ENOENT, ESTALE), not EIO.
 *
 * Every test runs on layerfs and on overlay with the same expectations.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "kselftest_harness.h"
#include "harness.h"
#include "union.h"

#define RUN_SECONDS	3
#define READERS		3

LU_UNION_OPT_FIXTURE(lower_change, 3)

TEST_F(lower_change, new_lower_names_show_up)
{
	struct lu_scratch *s = &self->s;

	ASSERT_EQ(0, lu_file(s, 0, "d/top", 0644, "top"));
	ASSERT_EQ(0, lu_file(s, 2, "d/bottom", 0644, "bottom"));
	ASSERT_EQ(0, lu_mkdir(s, 1, "d", 0755));
	ASSERT_EQ(0, lu_mount(s));
	EXPECT_STREQ("bottom top", lu_names(lu_mpath(s, "d")));

	/*
	 * Names never looked up through the union, in directories that
	 * were part of the merge from the start.
	 */
	ASSERT_EQ(0, lu_file(s, 1, "d/later", 0644, "later"));
	ASSERT_EQ(0, lu_file(s, 2, "d/newdir/f", 0644, "f"));
	ASSERT_EQ(0, lu_file(s, 1, "newtop", 0644, "newtop"));
	EXPECT_STREQ("later", lu_cat(lu_mpath(s, "d/later")));
	EXPECT_STREQ("f", lu_cat(lu_mpath(s, "d/newdir/f")));
	EXPECT_STREQ("newtop", lu_cat(lu_mpath(s, "newtop")));
	/* a directory opened afresh lists them */
	EXPECT_STREQ("bottom later newdir top", lu_names(lu_mpath(s, "d")));

	/* a file changed in place shows its new content */
	ASSERT_EQ(0, lu_file(s, 2, "d/bottom", 0644, "bottom, rewritten"));
	EXPECT_STREQ("bottom, rewritten", lu_cat(lu_mpath(s, "d/bottom")));
}

struct race {
	struct lu_scratch *s;
	atomic_bool stop;
	atomic_long ops;
	atomic_long errors[140];	/* by errno */
	atomic_long stable_bad;
	atomic_long mutations;
};

static void count_error(struct race *r, int err)
{
	if (err < 0 || err >= 140)
		err = 0;
	atomic_fetch_add(&r->errors[err], 1);
}

static void *reader(void *arg)
{
	struct race *r = arg;
	char dirpath[LU_PATH_MAX], path[2 * LU_PATH_MAX], buf[256];
	struct dirent *de;
	struct stat st;
	DIR *dir;
	int fd;
	ssize_t n;

	snprintf(dirpath, sizeof(dirpath), "%s", lu_mpath(r->s, "d"));
	while (!atomic_load(&r->stop)) {
		dir = opendir(dirpath);
		if (!dir) {
			count_error(r, errno);
			continue;
		}
		while ((de = readdir(dir))) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", dirpath, de->d_name);
			atomic_fetch_add(&r->ops, 1);
			if (lstat(path, &st)) {
				count_error(r, errno);
				continue;
			}
			if (!S_ISREG(st.st_mode))
				continue;
			fd = open(path, O_RDONLY);
			if (fd < 0) {
				count_error(r, errno);
				continue;
			}
			n = read(fd, buf, sizeof(buf));
			if (n < 0)
				count_error(r, errno);
			close(fd);
		}
		closedir(dir);

		/* the files nobody changes read right all the time */
		snprintf(path, sizeof(path), "%s/stable", dirpath);
		fd = open(path, O_RDONLY);
		n = fd < 0 ? -1 : read(fd, buf, sizeof(buf));
		if (n != 6 || memcmp(buf, "stable", 6))
			atomic_fetch_add(&r->stable_bad, 1);
		if (fd >= 0)
			close(fd);
		snprintf(path, sizeof(path), "%s/sub/stable", dirpath);
		if (lstat(path, &st) || !S_ISREG(st.st_mode))
			atomic_fetch_add(&r->stable_bad, 1);
	}
	return NULL;
}

/* Changes l1/d and l2/d behind the union's back. */
static void *mutator(void *arg)
{
	struct race *r = arg;
	char a[LU_PATH_MAX], b[2 * LU_PATH_MAX];
	unsigned int i = 0;
	int layer, fd;

	while (!atomic_load(&r->stop)) {
		layer = 1 + i % 2;
		snprintf(a, sizeof(a), "%s", lu_lpath(r->s, layer, "d"));
		switch (i % 6) {
		case 0:
			snprintf(b, sizeof(b), "%s/f%u", a, i % 50);
			fd = open(b, O_WRONLY | O_CREAT | O_TRUNC, 0644);
			if (fd >= 0) {
				if (write(fd, b, strlen(b)) < 0)
					atomic_fetch_add(&r->stable_bad, 1000);
				close(fd);
			}
			break;
		case 1:
			snprintf(b, sizeof(b), "%s/f%u", a, (i + 25) % 50);
			unlink(b);
			break;
		case 2:
			snprintf(b, sizeof(b), "%s/dir%u", a, i % 10);
			mkdir(b, 0755);
			break;
		case 3:
			snprintf(b, sizeof(b), "%s/dir%u", a, (i + 5) % 10);
			rmdir(b);
			break;
		case 4: {
			char c[3 * LU_PATH_MAX];

			snprintf(b, sizeof(b), "%s/f%u", a, i % 50);
			snprintf(c, sizeof(c), "%s/g%u", a, i % 50);
			rename(b, c);
			break;
		}
		case 5:
			snprintf(b, sizeof(b), "%s/f%u", a, (i + 3) % 50);
			truncate(b, i % 4096);
			break;
		}
		atomic_fetch_add(&r->mutations, 1);
		i++;
	}
	return NULL;
}

TEST_F_TIMEOUT(lower_change, readers_survive_lower_changes, 60)
{
	struct lu_scratch *s = &self->s;
	pthread_t readers[READERS], mut;
	struct race *r = calloc(1, sizeof(*r));
	long other = 0;
	int i;

	ASSERT_NE(NULL, r);
	r->s = s;
	ASSERT_EQ(0, lu_file(s, 0, "d/stable", 0644, "stable"));
	ASSERT_EQ(0, lu_file(s, 0, "d/sub/stable", 0644, "stable"));
	ASSERT_EQ(0, lu_file(s, 2, "d/sub/lower", 0644, "lower"));
	for (i = 0; i < 50; i++) {
		char name[32];

		snprintf(name, sizeof(name), "d/f%d", i);
		ASSERT_EQ(0, lu_file(s, 1 + i % 2, name, 0644, name));
	}
	ASSERT_EQ(0, lu_mount(s));

	for (i = 0; i < READERS; i++)
		ASSERT_EQ(0, pthread_create(&readers[i], NULL, reader, r));
	ASSERT_EQ(0, pthread_create(&mut, NULL, mutator, r));
	/* Deliberate: how long readers and mutator race, not a wait. */
	sleep(RUN_SECONDS);
	atomic_store(&r->stop, true);
	for (i = 0; i < READERS; i++)
		ASSERT_EQ(0, pthread_join(readers[i], NULL));
	ASSERT_EQ(0, pthread_join(mut, NULL));

	for (i = 1; i < 140; i++) {
		long n = atomic_load(&r->errors[i]);

		if (!n)
			continue;
		TH_LOG("%ld x %s", n, strerrorname_np(i));
		if (i != ENOENT && i != ESTALE)
			other += n;
	}
	TH_LOG("%ld lookups and reads, %ld lower changes",
	       atomic_load(&r->ops), atomic_load(&r->mutations));
	EXPECT_LT(100, atomic_load(&r->ops));
	EXPECT_LT(100, atomic_load(&r->mutations));
	EXPECT_EQ(0, atomic_load(&r->errors[EIO]));
	EXPECT_EQ(0, other);
	EXPECT_EQ(0, atomic_load(&r->stable_bad));

	/* and the union still answers afterwards */
	EXPECT_STREQ("stable", lu_cat(lu_mpath(s, "d/stable")));
	EXPECT_STREQ("lower stable", lu_names(lu_mpath(s, "d/sub")));
	EXPECT_EQ(0, lu_umount(s));
	free(r);
}

LU_HARNESS_MAIN
