// SPDX-License-Identifier: GPL-2.0
/*
 * Races through a writable union, on layerfs and overlay, upper on tmpfs
 * and on ext4. Files start in a lower layer, so the racing calls copy
 * up, leave whiteouts and make merged directories change under readers.
 *
 * - rename and unlink races: threads rename lower files back and forth
 *   between names, unlink and re-create them, stat and read them; only
 *   ENOENT and EEXIST may fail a call, and afterwards every name holds
 *   one of the contents it could hold, the same after a remount.
 * - readdir while entries change: a writer creates and removes names in
 *   a merged directory (lower files, whiteouts, new files), readers list
 *   it all the time; a listing never errs, never has a name twice, and
 *   always has the names nobody touches. A create never fails (overlayfs
 *   may fail one with EEXIST: logged, not counted).
 *
 * LAYERFS_RACE_SECS (default 3) is how long each race runs; `make
 * stress` runs them longer.
 */

#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/mount.h>

#include "kselftest_harness.h"
#include "harness.h"
#include "union.h"

#define NNAMES		32	/* racing names r0..r31 */
#define NSTABLE		64	/* untouched names s0..s63 */

FIXTURE(race) {
	struct lu_scratch s;
	struct lu_rw rw;
	int secs;
};

FIXTURE_VARIANT(race) {
	const char *fstype;
	const char *upperfs;
};

FIXTURE_VARIANT_ADD(race, layerfs_tmpfs) { .fstype = "layerfs" };
FIXTURE_VARIANT_ADD(race, overlay_tmpfs) { .fstype = "overlay" };
FIXTURE_VARIANT_ADD(race, layerfs_ext4) {
	.fstype = "layerfs", .upperfs = "LAYERFS_SCRATCH_EXT4" };
FIXTURE_VARIANT_ADD(race, overlay_ext4) {
	.fstype = "overlay", .upperfs = "LAYERFS_SCRATCH_EXT4" };

FIXTURE_SETUP(race)
{
	const char *e = getenv("LAYERFS_RACE_SECS");
	char rel[32], data[32];
	int ret, i;

	memset(&self->rw, 0, sizeof(self->rw));
	self->secs = e && atoi(e) > 0 ? atoi(e) : 3;
	ret = lu_fs_available(variant->fstype);
	if (ret == -ENODEV)
		SKIP(return, "%s is not available (layerfs: set LAYERFS_KO)", variant->fstype);
	ASSERT_EQ(0, ret);
	ASSERT_EQ(0, lu_scratch_init(&self->s, variant->fstype, 2));
	ret = lu_rw_init(&self->rw, &self->s, variant->upperfs);
	if (ret == -ENODEV)
		SKIP(return, "no scratch disk: %s is not set (scripts/vm-run --disk)",
		     variant->upperfs);
	ASSERT_EQ(0, ret);
	/* d/ is merged: its names are spread over both lower layers */
	ASSERT_EQ(0, lu_mkdir(&self->s, 0, "d", 0755));
	ASSERT_EQ(0, lu_mkdir(&self->s, 1, "d", 0755));
	for (i = 0; i < NNAMES; i++) {
		snprintf(rel, sizeof(rel), "d/r%d", i);
		snprintf(data, sizeof(data), "lower %d\n", i);
		ASSERT_EQ(0, lu_file(&self->s, i % 2, rel, 0644, data));
	}
	for (i = 0; i < NSTABLE; i++) {
		snprintf(rel, sizeof(rel), "d/s%d", i);
		ASSERT_EQ(0, lu_file(&self->s, i % 2, rel, 0644, "stable\n"));
	}
}

FIXTURE_TEARDOWN(race)
{
	lu_scratch_fini(&self->s);
	lu_rw_fini(&self->rw);
}

struct racer {
	const char *dir;
	int id;
	unsigned int seed;
	atomic_int *stop;
	long calls, bad, bad_errno;
	char bad_what[128];
	long listings;
	bool overlay;		/* tolerate overlayfs's create/unlink race */
	long overlay_eexist;
};

static void note_bad(struct racer *r, const char *what, int err)
{
	if (!r->bad++) {
		snprintf(r->bad_what, sizeof(r->bad_what), "%s", what);
		r->bad_errno = err;
	}
}

/* Contents a racing name may hold: "lower N\n" of any N, or "new\n". */
static bool plausible(const char *buf, ssize_t n)
{
	int k;
	char c;

	if (n == 4 && !memcmp(buf, "new\n", 4))
		return true;
	return n > 6 && n < 12 && sscanf(buf, "lower %d%c", &k, &c) == 2 &&
	       c == '\n' && k >= 0 && k < NNAMES;
}

static void *rename_racer(void *arg)
{
	struct racer *r = arg;
	char a[PATH_MAX], b[PATH_MAX], buf[64];
	struct stat st;
	ssize_t n;
	int fd;

	while (!atomic_load(r->stop)) {
		int i = rand_r(&r->seed) % NNAMES, j = rand_r(&r->seed) % NNAMES;

		snprintf(a, sizeof(a), "%s/r%d", r->dir, i);
		snprintf(b, sizeof(b), "%s/r%d", r->dir, j);
		r->calls++;
		switch (rand_r(&r->seed) % 6) {
		case 0:
		case 1:
			if (rename(a, b) && errno != ENOENT)
				note_bad(r, "rename", errno);
			break;
		case 2:
			if (unlink(a) && errno != ENOENT)
				note_bad(r, "unlink", errno);
			break;
		case 3:
			fd = open(a, O_WRONLY | O_CREAT | O_EXCL, 0644);
			if (fd >= 0) {
				if (write(fd, "new\n", 4) != 4)
					note_bad(r, "write", errno);
				close(fd);
			} else if (errno != EEXIST) {
				note_bad(r, "create", errno);
			}
			break;
		case 4:
			if (stat(a, &st) && errno != ENOENT)
				note_bad(r, "stat", errno);
			break;
		default:
			fd = open(a, O_RDONLY);
			if (fd < 0) {
				if (errno != ENOENT)
					note_bad(r, "open", errno);
				break;
			}
			n = read(fd, buf, sizeof(buf));
			/* a reader may see a file between create and write */
			if (n < 0 || (n > 0 && !plausible(buf, n)))
				note_bad(r, "read: implausible content", n < 0 ? errno : 0);
			close(fd);
			break;
		}
	}
	return NULL;
}

/* name -> content of every racing name, for comparing before and after. */
static void snapshot(const char *dir, char out[NNAMES][16], int *bad)
{
	char p[PATH_MAX];
	int i, fd;
	ssize_t n;

	for (i = 0; i < NNAMES; i++) {
		snprintf(p, sizeof(p), "%s/r%d", dir, i);
		memset(out[i], 0, 16);
		fd = open(p, O_RDONLY);
		if (fd < 0) {
			strcpy(out[i], "-");
			continue;
		}
		n = read(fd, out[i], 15);
		close(fd);
		if (n < 0 || (n > 0 && !plausible(out[i], n)))
			(*bad)++;
	}
}

TEST_F_TIMEOUT(race, rename_and_unlink_races, 600)
{
	enum { NTHREADS = 6 };
	struct racer r[NTHREADS];
	pthread_t t[NTHREADS];
	char dir[PATH_MAX], before[NNAMES][16], after[NNAMES][16];
	atomic_int stop = 0;
	long calls = 0;
	int i, bad = 0;

	ASSERT_EQ(0, lu_mount_rw(&self->s, &self->rw));
	snprintf(dir, sizeof(dir), "%s/d", self->s.mnt);
	for (i = 0; i < NTHREADS; i++) {
		r[i] = (struct racer){ .dir = dir, .id = i, .seed = 1000 + i, .stop = &stop };
		ASSERT_EQ(0, pthread_create(&t[i], NULL, rename_racer, &r[i]));
	}
	/* Deliberate: how long the racers run (LAYERFS_RACE_SECS), not a wait. */
	sleep(self->secs);
	atomic_store(&stop, 1);
	for (i = 0; i < NTHREADS; i++) {
		pthread_join(t[i], NULL);
		calls += r[i].calls;
		EXPECT_EQ(0, r[i].bad)
			TH_LOG("thread %d: %s failed with %s", i, r[i].bad_what,
			       strerror(r[i].bad_errno));
	}
	snapshot(dir, before, &bad);
	EXPECT_EQ(0, bad) TH_LOG("implausible contents after the race");
	/* the names nobody touched are as they were */
	for (i = 0; i < NSTABLE; i++) {
		char p[PATH_MAX + 16];

		snprintf(p, sizeof(p), "%s/s%d", dir, i);
		EXPECT_STREQ("stable\n", lu_cat(p));
	}
	ASSERT_EQ(0, lu_umount(&self->s));
	ASSERT_EQ(0, lu_mount_rw(&self->s, &self->rw));
	snapshot(dir, after, &bad);
	for (i = 0; i < NNAMES; i++)
		EXPECT_STREQ(before[i], after[i]) TH_LOG("r%d changed across a remount", i);
	TH_LOG("%ld calls in %d s by %d threads", calls, self->secs, NTHREADS);
}

static void *dir_writer(void *arg)
{
	struct racer *r = arg;
	char p[PATH_MAX];
	int fd;

	while (!atomic_load(r->stop)) {
		int i = rand_r(&r->seed) % NNAMES;

		snprintf(p, sizeof(p), "%s/r%d", r->dir, i);
		r->calls++;
		if (rand_r(&r->seed) % 2) {
			if (unlink(p) && errno != ENOENT)
				note_bad(r, "unlink", errno);
		} else {
			fd = open(p, O_WRONLY | O_CREAT, 0644);
			/*
			 * overlayfs: an unlink between the lookup and the
			 * copy-up of the open leaves a whiteout that the
			 * copy-up then finds (EEXIST); seen a few times in 10^5
			 * calls. layerfs keeps the copy unlinked instead.
			 */
			if (fd < 0 && errno == EEXIST && r->overlay)
				r->overlay_eexist++;
			else if (fd < 0)
				note_bad(r, "create", errno);
			else
				close(fd);
		}
	}
	return NULL;
}

static void *dir_reader(void *arg)
{
	struct racer *r = arg;
	bool seen_s[NSTABLE], seen_r[NNAMES];
	struct dirent *de;
	int k;
	DIR *d;

	while (!atomic_load(r->stop)) {
		memset(seen_s, 0, sizeof(seen_s));
		memset(seen_r, 0, sizeof(seen_r));
		d = opendir(r->dir);
		if (!d) {
			note_bad(r, "opendir", errno);
			break;
		}
		errno = 0;
		while ((de = readdir(d))) {
			bool *seen = NULL;

			if (sscanf(de->d_name, "s%d", &k) == 1 && k >= 0 && k < NSTABLE)
				seen = &seen_s[k];
			else if (sscanf(de->d_name, "r%d", &k) == 1 && k >= 0 && k < NNAMES)
				seen = &seen_r[k];
			else if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
				note_bad(r, "a name nobody made", 0);
			if (seen && *seen)
				note_bad(r, "a name listed twice", 0);
			if (seen)
				*seen = true;
		}
		if (errno)
			note_bad(r, "readdir", errno);
		closedir(d);
		for (k = 0; k < NSTABLE; k++)
			if (!seen_s[k])
				note_bad(r, "an untouched name missing", 0);
		r->listings++;
	}
	return NULL;
}

TEST_F_TIMEOUT(race, readdir_while_entries_change, 600)
{
	enum { NREADERS = 3, NWRITERS = 2 };
	struct racer r[NREADERS + NWRITERS];
	pthread_t t[NREADERS + NWRITERS];
	char dir[PATH_MAX];
	atomic_int stop = 0;
	long listings = 0, calls = 0, overlay_eexist = 0;
	int i;

	ASSERT_EQ(0, lu_mount_rw(&self->s, &self->rw));
	snprintf(dir, sizeof(dir), "%s/d", self->s.mnt);
	for (i = 0; i < NREADERS + NWRITERS; i++) {
		r[i] = (struct racer){ .dir = dir, .id = i, .seed = 77 + i, .stop = &stop,
				       .overlay = !strcmp(variant->fstype, "overlay") };
		ASSERT_EQ(0, pthread_create(&t[i], NULL, i < NREADERS ? dir_reader : dir_writer,
					    &r[i]));
	}
	/* Deliberate: how long the racers run (LAYERFS_RACE_SECS), not a wait. */
	sleep(self->secs);
	atomic_store(&stop, 1);
	for (i = 0; i < NREADERS + NWRITERS; i++) {
		pthread_join(t[i], NULL);
		listings += r[i].listings;
		calls += r[i].calls;
		overlay_eexist += r[i].overlay_eexist;
		EXPECT_EQ(0, r[i].bad)
			TH_LOG("thread %d: %s (%s), %ld times", i, r[i].bad_what,
			       strerror(r[i].bad_errno), r[i].bad);
	}
	EXPECT_LT(0, listings);
	TH_LOG("%ld listings while %ld creates and unlinks", listings, calls);
	if (overlay_eexist)
		TH_LOG("overlayfs: %ld creates failed with EEXIST (its unlink/copy-up race)",
		       overlay_eexist);
}

LU_HARNESS_MAIN
