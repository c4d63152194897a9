// SPDX-License-Identifier: GPL-2.0
/*
 * File I/O through a read-only union passes through to the real file:
 * read, pread, readv, mmap (shared and private), sendfile, splice,
 * O_DIRECT, execve, fadvise, lseek with SEEK_DATA/SEEK_HOLE.
 *
 * Every test runs on layerfs and on overlay with the same expectations.
 * Where a result depends on the layers' filesystem (hole granularity),
 * the union must give what the real file gives.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "harness.h"
#include "union.h"

#define BIG_SIZE	(4 << 20)
#define BUSYBOX		"/bin/busybox"

FIXTURE(io) {
	struct lu_scratch s;
	unsigned char *data;	/* BIG_SIZE bytes, in l1/big */
};

LU_UNION_OPT_VARIANTS(io);

FIXTURE_SETUP(io)
{
	size_t i;

	if (!lu_union_setup(_metadata, &self->s, variant->fstype, 3))
		return;
	lu_scratch_options(&self->s, variant->opts);

	self->data = malloc(BIG_SIZE);
	ASSERT_NE(NULL, self->data);
	for (i = 0; i < BIG_SIZE; i++)
		self->data[i] = (i * 7 + i / 4096) & 0xff;
	ASSERT_EQ(0, lu_file_data(&self->s, 1, "big", 0644, self->data, BIG_SIZE));
	ASSERT_EQ(0, lu_file(&self->s, 2, "big", 0644, "lower, hidden"));
	ASSERT_EQ(0, lu_file(&self->s, 2, "small", 0644, "0123456789"));
}

FIXTURE_TEARDOWN(io)
{
	lu_scratch_fini(&self->s);
	free(self->data);
}

TEST_F(io, read_pread_readv)
{
	struct lu_scratch *s = &self->s;
	unsigned char *buf = malloc(BIG_SIZE + 1);
	char a[3], b[4], c[5];
	struct iovec iov[3] = {
		{ a, sizeof(a) }, { b, sizeof(b) }, { c, sizeof(c) },
	};
	ssize_t n, got = 0;
	int fd;

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, lu_mount(s));
	fd = open(lu_mpath(s, "big"), O_RDONLY);
	ASSERT_LE(0, fd);
	while ((n = read(fd, buf + got, 100000)) > 0)
		got += n;
	ASSERT_EQ(0, n);
	ASSERT_EQ(BIG_SIZE, got);
	EXPECT_EQ(0, memcmp(buf, self->data, BIG_SIZE));

	/* pread: unaligned, across pages, at and past the end */
	n = pread(fd, buf, 10000, 4093);
	ASSERT_EQ(10000, n);
	EXPECT_EQ(0, memcmp(buf, self->data + 4093, 10000));
	n = pread(fd, buf, 100, BIG_SIZE - 10);
	EXPECT_EQ(10, n);
	EXPECT_EQ(0, pread(fd, buf, 100, BIG_SIZE));
	EXPECT_EQ(0, pread(fd, buf, 100, BIG_SIZE + 100000));
	/* pread does not move the offset */
	EXPECT_EQ(BIG_SIZE, lseek(fd, 0, SEEK_CUR));
	close(fd);

	fd = open(lu_mpath(s, "small"), O_RDONLY);
	ASSERT_LE(0, fd);
	n = readv(fd, iov, 3);
	ASSERT_EQ(10, n);
	EXPECT_EQ(0, memcmp(a, "012", 3));
	EXPECT_EQ(0, memcmp(b, "3456", 4));
	EXPECT_EQ(0, memcmp(c, "789", 3));
	n = preadv(fd, iov, 3, 5);
	ASSERT_EQ(5, n);
	EXPECT_EQ(0, memcmp(a, "567", 3));
	EXPECT_EQ(0, memcmp(b, "89", 2));
	close(fd);
	free(buf);
}

TEST_F(io, mmap_shared_and_private)
{
	struct lu_scratch *s = &self->s;
	unsigned char *shared, *priv;
	int fd;

	ASSERT_EQ(0, lu_mount(s));
	fd = open(lu_mpath(s, "big"), O_RDONLY);
	ASSERT_LE(0, fd);

	shared = mmap(NULL, BIG_SIZE, PROT_READ, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, shared);
	EXPECT_EQ(0, memcmp(shared, self->data, BIG_SIZE));

	/* writable shared needs a writable file */
	EXPECT_EQ(MAP_FAILED, mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				   MAP_SHARED, fd, 0));
	EXPECT_EQ(EACCES, errno);

	/* a private mapping takes writes, and keeps them to itself */
	priv = mmap(NULL, BIG_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	ASSERT_NE(MAP_FAILED, priv);
	EXPECT_EQ(0, memcmp(priv, self->data, BIG_SIZE));
	memset(priv + 8192, 'X', 3 * 4096);
	priv[BIG_SIZE - 1] = 'Y';
	EXPECT_EQ('X', priv[8192]);
	EXPECT_EQ(0, memcmp(shared, self->data, BIG_SIZE));
	ASSERT_EQ(0, munmap(priv, BIG_SIZE));
	ASSERT_EQ(0, munmap(shared, BIG_SIZE));
	close(fd);

	/* nothing reached the layer, or the union */
	fd = open(lu_lpath(s, 1, "big"), O_RDONLY);
	ASSERT_LE(0, fd);
	shared = mmap(NULL, BIG_SIZE, PROT_READ, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, shared);
	EXPECT_EQ(0, memcmp(shared, self->data, BIG_SIZE));
	munmap(shared, BIG_SIZE);
	close(fd);
	fd = open(lu_mpath(s, "big"), O_RDONLY);
	ASSERT_LE(0, fd);
	shared = mmap(NULL, BIG_SIZE, PROT_READ, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, shared);
	EXPECT_EQ(0, memcmp(shared, self->data, BIG_SIZE));
	munmap(shared, BIG_SIZE);
	close(fd);

	/* past the end of the file: SIGBUS is not tested, the size is */
	fd = open(lu_mpath(s, "small"), O_RDONLY);
	ASSERT_LE(0, fd);
	priv = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
	ASSERT_NE(MAP_FAILED, priv);
	EXPECT_EQ(0, memcmp(priv, "0123456789", 10));
	EXPECT_EQ(0, priv[10]);
	munmap(priv, 4096);
	close(fd);
}

/* Reads @len bytes from pipe @fd into @buf. */
static ssize_t drain(int fd, unsigned char *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;

	while (got < len && (n = read(fd, buf + got, len - got)) > 0)
		got += n;
	return got;
}

TEST_F(io, sendfile_and_splice_to_a_pipe)
{
	struct lu_scratch *s = &self->s;
	unsigned char buf[65536];
	int fd, p[2];
	loff_t off;
	ssize_t n;

	ASSERT_EQ(0, lu_mount(s));
	fd = open(lu_mpath(s, "big"), O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, pipe(p));
	ASSERT_LE(65536, fcntl(p[0], F_GETPIPE_SZ));

	/* sendfile from the current offset */
	ASSERT_EQ(100, lseek(fd, 100, SEEK_SET));
	n = sendfile(p[1], fd, NULL, 30000);
	ASSERT_EQ(30000, n);
	EXPECT_EQ(30100, lseek(fd, 0, SEEK_CUR));
	ASSERT_EQ(30000, drain(p[0], buf, 30000));
	EXPECT_EQ(0, memcmp(buf, self->data + 100, 30000));

	/* sendfile with an offset leaves the file offset alone */
	off = 1 << 20;
	n = sendfile(p[1], fd, &off, 40000);
	ASSERT_EQ(40000, n);
	EXPECT_EQ((1 << 20) + 40000, off);
	EXPECT_EQ(30100, lseek(fd, 0, SEEK_CUR));
	ASSERT_EQ(40000, drain(p[0], buf, 40000));
	EXPECT_EQ(0, memcmp(buf, self->data + (1 << 20), 40000));

	/* splice, at an offset and near the end */
	off = 12345;
	n = splice(fd, &off, p[1], NULL, 50000, 0);
	ASSERT_EQ(50000, n);
	ASSERT_EQ(50000, drain(p[0], buf, 50000));
	EXPECT_EQ(0, memcmp(buf, self->data + 12345, 50000));
	off = BIG_SIZE - 1000;
	n = splice(fd, &off, p[1], NULL, 50000, 0);
	ASSERT_EQ(1000, n);
	ASSERT_EQ(1000, drain(p[0], buf, 1000));
	EXPECT_EQ(0, memcmp(buf, self->data + BIG_SIZE - 1000, 1000));
	off = BIG_SIZE;
	EXPECT_EQ(0, splice(fd, &off, p[1], NULL, 50000, 0));
	close(p[0]);
	close(p[1]);
	close(fd);
}

TEST_F(io, copy_file_range_to_another_filesystem)
{
	struct lu_scratch *s = &self->s;
	loff_t in_off = 4096, out_off = 0;
	int in, out;

	ASSERT_EQ(0, lu_mount(s));
	in = open(lu_mpath(s, "big"), O_RDONLY);
	ASSERT_LE(0, in);
	out = open(lu_path(s, "copy"), O_RDWR | O_CREAT | O_TRUNC, 0644);
	ASSERT_LE(0, out);
	/*
	 * The VFS copies between superblocks only for filesystems that
	 * share one ->copy_file_range (fs/read_write.c): EXDEV, which
	 * tells cp to fall back to read/write.
	 */
	EXPECT_EQ(-1, copy_file_range(in, &in_off, out, &out_off, 65536, 0));
	EXPECT_EQ(EXDEV, errno);
	EXPECT_EQ(4096, in_off);
	close(in);
	close(out);
}

TEST_F(io, o_direct_read)
{
	struct lu_scratch *s = &self->s;
	unsigned char *buf;
	int fd, rfd;
	ssize_t n;

	/* O_DIRECT is the real filesystem's: tmpfs has it since 6.6 */
	rfd = open(lu_lpath(s, 1, "big"), O_RDONLY | O_DIRECT);
	if (rfd < 0 && errno == EINVAL)
		SKIP(return, "the layers' filesystem has no O_DIRECT");
	ASSERT_LE(0, rfd);
	close(rfd);

	ASSERT_EQ(0, lu_mount(s));
	fd = open(lu_mpath(s, "big"), O_RDONLY | O_DIRECT);
	ASSERT_LE(0, fd) {
		TH_LOG("open O_DIRECT: %s", strerror(errno));
	}
	EXPECT_TRUE(!!(fcntl(fd, F_GETFL) & O_DIRECT));
	ASSERT_EQ(0, posix_memalign((void **)&buf, 4096, 1 << 20));
	n = pread(fd, buf, 1 << 20, 1 << 20);
	ASSERT_EQ(1 << 20, n);
	EXPECT_EQ(0, memcmp(buf, self->data + (1 << 20), 1 << 20));
	n = read(fd, buf, 65536);
	ASSERT_EQ(65536, n);
	EXPECT_EQ(0, memcmp(buf, self->data, 65536));
	free(buf);
	close(fd);

	/* and switched on later with fcntl */
	fd = open(lu_mpath(s, "big"), O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fcntl(fd, F_SETFL, O_DIRECT));
	ASSERT_EQ(0, posix_memalign((void **)&buf, 4096, 8192));
	n = pread(fd, buf, 8192, 8192);
	ASSERT_EQ(8192, n);
	EXPECT_EQ(0, memcmp(buf, self->data + 8192, 8192));
	free(buf);
	close(fd);
}

/* Runs @argv with stdout to a pipe; returns the exit status, output in @out. */
static int run(const char *path, char *const argv[], char *out, size_t len)
{
	int p[2], status;
	ssize_t n;
	size_t got = 0;
	pid_t pid;

	if (pipe(p))
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		char *const envp[] = { "PATH=/nonexistent", NULL };

		dup2(p[1], 1);
		close(p[0]);
		execve(path, argv, envp);
		_exit(127);
	}
	close(p[1]);
	while (got + 1 < len && (n = read(p[0], out + got, len - got - 1)) > 0)
		got += n;
	out[got] = '\0';
	close(p[0]);
	if (waitpid(pid, &status, 0) != pid)
		return -ECHILD;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

TEST_F(io, execve_from_a_lower_layer)
{
	struct lu_scratch *s = &self->s;
	char out[256], script[LU_PATH_MAX + 64], bb[LU_PATH_MAX];
	char *const echo[] = { "busybox", "echo", "hello from below", NULL };
	char *const fail[] = { "busybox", "false", NULL };
	char *const sh[] = { "script", "arg1", NULL };

	if (access(BUSYBOX, X_OK))
		SKIP(return, BUSYBOX " is not there (busybox-static)");
	ASSERT_EQ(0, lu_copy(s, 2, "bin/busybox", BUSYBOX, 0755));
	/* the interpreter is found through the union as well */
	snprintf(script, sizeof(script), "#!%s/bin/busybox sh\necho \"script $1\"\nexit 3\n",
		 s->mnt);
	ASSERT_EQ(0, lu_file(s, 1, "bin/script", 0755, script));
	ASSERT_EQ(0, lu_file(s, 0, "bin/noexec", 0644, "#!/bin/sh\n"));
	ASSERT_EQ(0, lu_mount(s));

	snprintf(bb, sizeof(bb), "%s", lu_mpath(s, "bin/busybox"));
	EXPECT_EQ(0, run(bb, echo, out, sizeof(out)));
	EXPECT_STREQ("hello from below\n", out);
	EXPECT_EQ(1, run(bb, fail, out, sizeof(out)));
	EXPECT_EQ(3, run(lu_mpath(s, "bin/script"), sh, out, sizeof(out)));
	EXPECT_STREQ("script arg1\n", out);
	/* no x bit: EACCES, as on the real file */
	EXPECT_EQ(-1, execve(lu_mpath(s, "bin/noexec"), sh, NULL));
	EXPECT_EQ(EACCES, errno);
	/* a running binary cannot be opened for writing: EROFS first here */
	EXPECT_EQ(-1, open(bb, O_WRONLY));
	EXPECT_EQ(EROFS, errno);
}

TEST_F(io, fadvise_readahead_fsync_and_locks)
{
	struct lu_scratch *s = &self->s;
	struct flock fl = { .l_type = F_RDLCK, .l_whence = SEEK_SET };
	char buf[16];
	int fd;

	ASSERT_EQ(0, lu_mount(s));
	fd = open(lu_mpath(s, "big"), O_RDONLY);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL));
	EXPECT_EQ(0, posix_fadvise(fd, 0, 1 << 20, POSIX_FADV_WILLNEED));
	EXPECT_EQ(0, posix_fadvise(fd, 0, 0, POSIX_FADV_RANDOM));
	EXPECT_EQ(0, posix_fadvise(fd, 0, 0, POSIX_FADV_NOREUSE));
	EXPECT_EQ(0, posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED));
	EXPECT_EQ(0, posix_fadvise(fd, 0, 0, POSIX_FADV_NORMAL));
	EXPECT_EQ(EINVAL, posix_fadvise(fd, 0, 0, 12345));
	EXPECT_EQ(0, readahead(fd, 0, 1 << 20));
	/* data is still right after DONTNEED dropped the cache */
	ASSERT_EQ(16, pread(fd, buf, 16, 3 << 20));
	EXPECT_EQ(0, memcmp(buf, self->data + (3 << 20), 16));
	EXPECT_EQ(0, fsync(fd));
	EXPECT_EQ(0, fdatasync(fd));
	EXPECT_EQ(0, fcntl(fd, F_SETLK, &fl));
	EXPECT_EQ(0, flock(fd, LOCK_SH | LOCK_NB));
	EXPECT_EQ(0, flock(fd, LOCK_UN));
	close(fd);
}

TEST_F(io, lseek_end_data_hole_on_a_sparse_file)
{
	struct lu_scratch *s = &self->s;
	static const struct {
		off_t off;
		int whence;
	} seeks[] = {
		{ 0, SEEK_END }, { -10, SEEK_END }, { 0, SEEK_DATA },
		{ 0, SEEK_HOLE }, { 100, SEEK_DATA }, { 300 << 10, SEEK_DATA },
		{ 512 << 10, SEEK_HOLE }, { 520 << 10, SEEK_DATA },
		{ 600 << 10, SEEK_DATA }, { 600 << 10, SEEK_HOLE },
		{ (2 << 20) - 1, SEEK_HOLE }, { (2 << 20) - 1, SEEK_DATA },
		{ 2 << 20, SEEK_DATA }, { 2 << 20, SEEK_HOLE },
		{ 5 << 20, SEEK_DATA }, { 5 << 20, SEEK_HOLE },
		{ 1 << 20, SEEK_SET }, { 10, SEEK_CUR },
	};
	unsigned int i;
	int fd, rfd;
	off_t u, r;
	int ue, re;

	/* 2 MiB with data at 512 KiB and in the last page */
	fd = open(lu_lpath(s, 2, "sparse"), O_WRONLY | O_CREAT, 0644);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ftruncate(fd, 2 << 20));
	ASSERT_EQ(4, pwrite(fd, "data", 4, 512 << 10));
	ASSERT_EQ(4, pwrite(fd, "tail", 4, (2 << 20) - 4));
	close(fd);
	ASSERT_EQ(0, lu_mount(s));

	fd = open(lu_mpath(s, "sparse"), O_RDONLY);
	ASSERT_LE(0, fd);
	rfd = open(lu_lpath(s, 2, "sparse"), O_RDONLY);
	ASSERT_LE(0, rfd);
	for (i = 0; i < sizeof(seeks) / sizeof(seeks[0]); i++) {
		errno = 0;
		u = lseek(fd, seeks[i].off, seeks[i].whence);
		ue = errno;
		errno = 0;
		r = lseek(rfd, seeks[i].off, seeks[i].whence);
		re = errno;
		EXPECT_EQ(r, u) {
			TH_LOG("lseek(%lld, %d): union %lld, real %lld",
			       (long long)seeks[i].off, seeks[i].whence,
			       (long long)u, (long long)r);
		}
		EXPECT_EQ(re, ue);
	}
	/* the obvious ones, whatever the granularity */
	EXPECT_EQ(2 << 20, lseek(fd, 0, SEEK_END));
	EXPECT_GE(512 << 10, lseek(fd, 0, SEEK_DATA));
	EXPECT_EQ(-1, lseek(fd, 2 << 20, SEEK_DATA));
	EXPECT_EQ(ENXIO, errno);
	EXPECT_EQ(-1, lseek(fd, -1, SEEK_SET));
	EXPECT_EQ(EINVAL, errno);
	close(fd);
	close(rfd);
}

/*
 * The same on a disk filesystem (ext4 or xfs), where O_DIRECT goes to
 * the block device and holes have the filesystem's block granularity.
 * scripts/vm-run --disk ext4 (or xfs) provides one.
 */
FIXTURE(io_disk) {
	struct lu_scratch s;
	char base[LU_PATH_MAX];
	char layers[3][LU_PATH_MAX + 8];
};

LU_UNION_VARIANTS(io_disk);

FIXTURE_SETUP(io_disk)
{
	const char *disk = getenv("LAYERFS_SCRATCH_EXT4");
	int ret = lu_fs_available(variant->fstype);
	int l;

	if (ret == -ENODEV)
		SKIP(return, "%s is not available (layerfs: set LAYERFS_KO)",
		     variant->fstype);
	ASSERT_EQ(0, ret);
	if (!disk)
		disk = getenv("LAYERFS_SCRATCH_XFS");
	if (!disk)
		SKIP(return, "no scratch disk (scripts/vm-run --disk ext4)");
	ASSERT_EQ(0, lu_scratch_init(&self->s, variant->fstype, 0));
	snprintf(self->base, sizeof(self->base), "%s/union.XXXXXX", disk);
	ASSERT_NE(NULL, mkdtemp(self->base));
	for (l = 0; l < 3; l++) {
		snprintf(self->layers[l], sizeof(self->layers[l]), "%s/l%d",
			 self->base, l);
		ASSERT_EQ(0, lu_mkdir_p(self->layers[l], 0755));
	}
}

FIXTURE_TEARDOWN(io_disk)
{
	char cmd[LU_PATH_MAX + 16];

	lu_scratch_fini(&self->s);
	if (self->base[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", self->base);
		if (system(cmd))
			TH_LOG("could not remove %s", self->base);
	}
}

TEST_F(io_disk, o_direct_and_holes_on_a_disk_filesystem)
{
	const char *layers[3] = {
		self->layers[0], self->layers[1], self->layers[2],
	};
	static const off_t offs[] = {
		0, 4095, 4096, 1 << 20, (1 << 20) + 1, 3 << 20, 5 << 20,
		(5 << 20) + 100, 15 << 20, (16 << 20) - 1,
	};
	char path[2 * LU_PATH_MAX], rpath[2 * LU_PATH_MAX];
	unsigned char *buf, *want;
	unsigned int i, w;
	int fd, rfd;
	off_t u, r;

	ASSERT_EQ(0, posix_memalign((void **)&buf, 4096, 1 << 20));
	ASSERT_EQ(0, posix_memalign((void **)&want, 4096, 1 << 20));
	for (i = 0; i < 1 << 20; i++)
		want[i] = i * 13 + 7;

	/* 16 MiB with 1 MiB of data at 1 MiB and at 5 MiB, in the middle layer */
	snprintf(rpath, sizeof(rpath), "%s/sparse", self->layers[1]);
	fd = open(rpath, O_WRONLY | O_CREAT, 0644);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ftruncate(fd, 16 << 20));
	ASSERT_EQ(1 << 20, pwrite(fd, want, 1 << 20, 1 << 20));
	ASSERT_EQ(1 << 20, pwrite(fd, want, 1 << 20, 5 << 20));
	ASSERT_EQ(0, fsync(fd));
	close(fd);
	ASSERT_EQ(0, lu_mount_layers(variant->fstype, self->s.mnt, layers, 3));
	self->s.mounted = true;

	snprintf(path, sizeof(path), "%s/sparse", self->s.mnt);
	fd = open(path, O_RDONLY | O_DIRECT);
	ASSERT_LE(0, fd);
	ASSERT_EQ(1 << 20, pread(fd, buf, 1 << 20, 5 << 20));
	EXPECT_EQ(0, memcmp(buf, want, 1 << 20));
	ASSERT_EQ(4096, pread(fd, buf, 4096, 0));
	for (i = 0; i < 4096; i++)
		if (buf[i])
			break;
	EXPECT_EQ(4096U, i);
	/* a misaligned buffer does what it does on the real file */
	rfd = open(rpath, O_RDONLY | O_DIRECT);
	ASSERT_LE(0, rfd);
	for (i = 0; i < 2; i++) {
		off_t at = i ? 1 << 20 : 0;
		ssize_t un, rn;
		int ue, re;

		errno = 0;
		un = pread(fd, buf + 1, 4096, at);
		ue = errno;
		errno = 0;
		rn = pread(rfd, buf + 1, 4096, at);
		re = errno;
		EXPECT_EQ(rn, un);
		EXPECT_EQ(re, ue);
	}
	close(rfd);
	close(fd);

	fd = open(path, O_RDONLY);
	ASSERT_LE(0, fd);
	rfd = open(rpath, O_RDONLY);
	ASSERT_LE(0, rfd);
	for (i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		for (w = SEEK_DATA; w <= SEEK_HOLE; w++) {
			int ue, re;

			errno = 0;
			u = lseek(fd, offs[i], w);
			ue = errno;
			errno = 0;
			r = lseek(rfd, offs[i], w);
			re = errno;
			EXPECT_EQ(r, u) {
				TH_LOG("lseek(%lld, %s): union %lld, real %lld",
				       (long long)offs[i],
				       w == SEEK_DATA ? "SEEK_DATA" : "SEEK_HOLE",
				       (long long)u, (long long)r);
			}
			EXPECT_EQ(re, ue);
		}
	}
	EXPECT_EQ(1 << 20, lseek(fd, 0, SEEK_DATA));
	close(fd);
	close(rfd);
	free(buf);
	free(want);
}

LU_HARNESS_MAIN
