// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers for the union-semantics selftests; see union.h.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/posix_acl.h>
#include <linux/posix_acl_xattr.h>
#include <grp.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>

#include "union.h"
#include "util.h"

#define LU_NBUF	8

static const char *lu_buf_vprintf(const char *fmt, va_list ap)
{
	static __thread char bufs[LU_NBUF][LU_PATH_MAX];
	static __thread unsigned int next;
	char *buf = bufs[next++ % LU_NBUF];

	vsnprintf(buf, LU_PATH_MAX, fmt, ap);
	return buf;
}

static const char *lu_buf_printf(const char *fmt, ...)
{
	const char *ret;
	va_list ap;

	va_start(ap, fmt);
	ret = lu_buf_vprintf(fmt, ap);
	va_end(ap);
	return ret;
}

int lu_fs_available(const char *fstype)
{
	char cmd[128];
	int ret;

	if (lfs_fs_registered(fstype))
		return 0;
	if (!strcmp(fstype, LFS_FSTYPE)) {
		if (!lfs_module_path())
			return -ENODEV;
		ret = lfs_load_module();
		if (ret)
			return ret;
	} else {
		snprintf(cmd, sizeof(cmd), "modprobe %s >/dev/null 2>&1", fstype);
		if (system(cmd) != 0)
			return -ENODEV;
	}
	return lfs_fs_registered(fstype) ? 0 : -ENODEV;
}

int lu_scratch_init(struct lu_scratch *s, const char *fstype, int nlayers)
{
	int i, ret;

	memset(s, 0, sizeof(*s));
	s->fstype = fstype;
	s->nlayers = nlayers;

	/* Mounts made from here on die with this process. */
	if (unshare(CLONE_NEWNS))
		return -errno;
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		return -errno;

	strcpy(s->root, "/tmp/union.XXXXXX");
	if (!mkdtemp(s->root))
		return -errno;
	ret = lu_scratch_mount(s->root, s->backing, sizeof(s->backing));
	if (ret) {
		rmdir(s->root);
		s->root[0] = '\0';
		return ret;
	}
	snprintf(s->mnt, sizeof(s->mnt), "%s/mnt", s->root);
	if (mkdir(s->mnt, 0755))
		return -errno;
	for (i = 0; i < nlayers; i++) {
		ret = lu_mkdir_p(lu_path(s, "l%d", i), 0755);
		if (ret)
			return ret;
	}
	return 0;
}

void lu_scratch_fini(struct lu_scratch *s)
{
	if (!s->root[0])
		return;
	if (s->mounted)
		lu_umount(s);
	lu_scratch_umount(s->root, s->backing);
	s->root[0] = '\0';
}

static int rm_rf(const char *path);

/* Can a file system of @dir hold user.* xattrs? */
static bool lu_has_user_xattrs(const char *dir)
{
	if (!setxattr(dir, "user.lu-probe", "1", 1, 0)) {
		removexattr(dir, "user.lu-probe");
		return true;
	}
	return errno != EOPNOTSUPP;
}

int lu_scratch_mount(const char *dir, char *backing, size_t size)
{
	const char *disk = getenv("LAYERFS_SCRATCH_EXT4");

	backing[0] = '\0';
	if (mount("tmpfs", dir, "tmpfs", 0, "mode=0755"))
		return -errno;
	if (lu_has_user_xattrs(dir) || !disk || !*disk)
		return 0;
	if (umount2(dir, 0))
		return -errno;
	snprintf(backing, size, "%s/scratch.XXXXXX", disk);
	if (!mkdtemp(backing) || chmod(backing, 0755) ||
	    mount(backing, dir, NULL, MS_BIND, NULL)) {
		int ret = -errno;

		rmdir(backing);
		backing[0] = '\0';
		return ret;
	}
	return 0;
}

void lu_scratch_umount(const char *dir, const char *backing)
{
	umount2(dir, MNT_DETACH);
	rmdir(dir);
	if (backing[0])
		rm_rf(backing);
}

/* ---- what the kernel's overlayfs can do --------------------------------- */

static const char *const lu_ovl_what[LU_OVL_NR_FEATURES] = {
	[LU_OVL_XWHITEOUT]	= "xattr whiteouts (Linux 6.7)",
	[LU_OVL_LOWERDIR_PLUS]	= "lowerdir+ (Linux 6.8)",
	[LU_OVL_DATA_ONLY]	= "data-only lower layers (Linux 6.5)",
	[LU_OVL_TMPFILE]	= "O_TMPFILE (Linux 6.6)",
	[LU_OVL_ESCAPED_XATTR]	= "trusted.overlay.* xattrs of its own files (Linux 6.7)",
	[LU_OVL_VERITY]		= "verity= (Linux 6.6)",
	[LU_OVL_FSYNC]		= "fsync= (newer than Linux 6.1)",
	[LU_OVL_UUID_NULL]	= "uuid=null (Linux 6.6)",
};

/* A read-write overlay of layer 0 with @rw on s->mnt, with @extra options. */
static int lu_ovl_probe_mount_rw(const struct lu_scratch *s,
				 const struct lu_rw *rw, const char *extra)
{
	char data[4 * LU_PATH_MAX];

	snprintf(data, sizeof(data), "lowerdir=%s,upperdir=%s,workdir=%s%s",
		 lu_lpath(s, 0, NULL), rw->upper, rw->work, extra);
	return lu_mount_data("overlay", s->mnt, 0, data);
}

/* 0: has it, 1: lacks it, 2: the probe could not be set up. */
static int lu_ovl_probe(struct lu_scratch *s, const struct lu_rw *rw,
			enum lu_ovl_feature f)
{
	char l0[LU_PATH_MAX], l1[LU_PATH_MAX], data[3 * LU_PATH_MAX];
	const char *layers[] = { l0, l1 };
	int fd;

	snprintf(l0, sizeof(l0), "%s", lu_lpath(s, 0, NULL));
	snprintf(l1, sizeof(l1), "%s", lu_lpath(s, 1, NULL));
	switch (f) {
	case LU_OVL_XWHITEOUT:
		if (lu_xwhiteout(s, 0, "d/x") || lu_file(s, 1, "d/x", 0644, "x") ||
		    lu_mount(s))
			return 2;
		return lu_ftype(lu_mpath(s, "d/x")) == -ENOENT ? 0 : 1;
	case LU_OVL_LOWERDIR_PLUS:
		return lu_mount_new("overlay", s->mnt, layers, 2, LU_SET_STRING,
				    NULL, NULL, 0) ? 1 : 0;
	case LU_OVL_DATA_ONLY:
		/* overlayfs takes data-only layers only with metacopy=on */
		snprintf(data, sizeof(data), "lowerdir=%s::%s,metacopy=on",
			 l0, l1);
		return lu_mount_data("overlay", s->mnt, MS_RDONLY, data) ? 1 : 0;
	case LU_OVL_TMPFILE:
		if (lu_ovl_probe_mount_rw(s, rw, ""))
			return 2;
		fd = open(s->mnt, O_TMPFILE | O_RDWR, 0600);
		if (fd < 0)
			return 1;
		close(fd);
		return 0;
	case LU_OVL_ESCAPED_XATTR:
		if (lu_ovl_probe_mount_rw(s, rw, "") ||
		    lu_write_file(lu_mpath(s, "f"), 0644, "", 0))
			return 2;
		return setxattr(lu_mpath(s, "f"), "trusted.overlay.lu", "1", 1, 0) ?
		       1 : 0;
	case LU_OVL_VERITY:
		return lu_ovl_probe_mount_rw(s, rw, ",verity=off") ? 1 : 0;
	case LU_OVL_FSYNC:
		return lu_ovl_probe_mount_rw(s, rw, ",fsync=strict") ? 1 : 0;
	case LU_OVL_UUID_NULL:
		return lu_ovl_probe_mount_rw(s, rw, ",uuid=null") ? 1 : 0;
	default:
		return 2;
	}
}

/* In a child: a scratch area of its own (lu_scratch_init()), two layers. */
static int lu_ovl_probe_child(enum lu_ovl_feature f)
{
	struct lu_scratch s;
	struct lu_rw rw;
	int ret = 2;

	if (!lu_scratch_init(&s, "overlay", 2) && !lu_rw_init(&rw, &s, NULL))
		ret = lu_ovl_probe(&s, &rw, f);
	if (s.mnt[0])
		umount2(s.mnt, MNT_DETACH);
	s.mounted = false;
	lu_scratch_fini(&s);
	return ret;
}

const char *lu_overlay_lacks(const char *fstype, enum lu_ovl_feature f)
{
	static int known[LU_OVL_NR_FEATURES];	/* 0 unknown, 1 has, 2 lacks */
	static char why[LU_OVL_NR_FEATURES][128];
	int status;
	pid_t pid;

	if (strcmp(fstype, "overlay") || f < 0 || f >= LU_OVL_NR_FEATURES)
		return NULL;
	if (!known[f]) {
		if (lu_fs_available("overlay"))
			return NULL;
		pid = fork();
		if (pid < 0)
			return NULL;
		if (!pid)
			_exit(lu_ovl_probe_child(f));
		if (waitpid(pid, &status, 0) != pid)
			return NULL;
		known[f] = WIFEXITED(status) && WEXITSTATUS(status) == 1 ? 2 : 1;
		snprintf(why[f], sizeof(why[f]), "this kernel's overlayfs has no %s",
			 lu_ovl_what[f]);
	}
	return known[f] == 2 ? why[f] : NULL;
}

const char *lu_path(const struct lu_scratch *s, const char *fmt, ...)
{
	char rel[LU_PATH_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rel, sizeof(rel), fmt, ap);
	va_end(ap);
	return lu_buf_printf("%s/%s", s->root, rel);
}

const char *lu_lpath(const struct lu_scratch *s, int layer, const char *rel)
{
	if (!rel || !*rel)
		return lu_buf_printf("%s/l%d", s->root, layer);
	return lu_buf_printf("%s/l%d/%s", s->root, layer, rel);
}

const char *lu_mpath(const struct lu_scratch *s, const char *rel)
{
	if (!rel || !*rel)
		return lu_buf_printf("%s", s->mnt);
	return lu_buf_printf("%s/%s", s->mnt, rel);
}

int lu_mkdir_p(const char *path, mode_t mode)
{
	char tmp[LU_PATH_MAX], *p;

	if (strlen(path) >= sizeof(tmp))
		return -ENAMETOOLONG;
	strcpy(tmp, path);
	for (p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0755) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, mode) && errno != EEXIST)
		return -errno;
	if (chmod(tmp, mode))
		return -errno;
	return 0;
}

static int lu_mkparent(const char *path)
{
	char tmp[LU_PATH_MAX], *slash;

	if (strlen(path) >= sizeof(tmp))
		return -ENAMETOOLONG;
	strcpy(tmp, path);
	slash = strrchr(tmp, '/');
	if (!slash || slash == tmp)
		return 0;
	*slash = '\0';
	if (!access(tmp, F_OK))
		return 0;
	return lu_mkdir_p(tmp, 0755);
}

int lu_write_file(const char *path, mode_t mode, const void *data, size_t len)
{
	const char *p = data;
	ssize_t n;
	int fd, ret;

	ret = lu_mkparent(path);
	if (ret)
		return ret;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	while (len) {
		n = write(fd, p, len);
		if (n < 0) {
			ret = -errno;
			close(fd);
			return ret;
		}
		p += n;
		len -= n;
	}
	if (fchmod(fd, mode))
		ret = -errno;
	close(fd);
	return ret;
}

static int lu_write_str_flags(const char *path, int flags, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC | flags);
	ssize_t n;
	int ret = 0;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	if (n < 0)
		ret = -errno;
	else if (n != (ssize_t)strlen(s))
		ret = -EIO;
	close(fd);
	return ret;
}

int lu_write_str(const char *path, const char *s)
{
	return lu_write_str_flags(path, 0, s);
}

int lu_append_str(const char *path, const char *s)
{
	return lu_write_str_flags(path, O_APPEND, s);
}

int lu_enter_userns(unsigned int id, const char **step)
{
	const char *unused;
	char map[32];

	if (!step)
		step = &unused;
	*step = "setresuid";
	if (setgroups(0, NULL) || setresgid(id, id, id) || setresuid(id, id, id))
		return -errno;
	/* The credential change made /proc/self root's: take it back. */
	if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0))
		return -errno;
	*step = "unshare";
	if (unshare(CLONE_NEWUSER | CLONE_NEWNS))
		return -errno;
	snprintf(map, sizeof(map), "0 %u 1", id);
	*step = "the id maps";
	if (lu_write_str("/proc/self/setgroups", "deny") ||
	    lu_write_str("/proc/self/uid_map", map) ||
	    lu_write_str("/proc/self/gid_map", map))
		return -EPERM;
	return 0;
}

int lu_userns_fd(const char *map)
{
	int ready[2], hold[2], fd;
	char path[64], c = 'e';
	pid_t pid;
	ssize_t n;

	if (pipe2(ready, O_CLOEXEC))
		return -errno;
	if (pipe2(hold, O_CLOEXEC)) {
		fd = -errno;
		goto out_close_ready;
	}
	pid = fork();
	if (pid < 0) {
		fd = -errno;
		goto out_close_hold;
	}
	if (!pid) {
		close(ready[0]);
		close(hold[1]);
		c = unshare(CLONE_NEWUSER) ? 'e' : 'u';
		(void)!write(ready[1], &c, 1);
		/* stay in it until the parent has opened it (closes hold[1]) */
		(void)!read(hold[0], &c, 1);
		_exit(0);
	}
	close(ready[1]);
	ready[1] = -1;
	do
		n = read(ready[0], &c, 1);
	while (n < 0 && errno == EINTR);
	fd = -EPERM;
	if (n != 1 || c != 'u')
		goto out_reap;
	snprintf(path, sizeof(path), "/proc/%d/uid_map", pid);
	fd = lu_write_str(path, map);
	if (fd)
		goto out_reap;
	snprintf(path, sizeof(path), "/proc/%d/gid_map", pid);
	fd = lu_write_str(path, map);
	if (fd)
		goto out_reap;
	snprintf(path, sizeof(path), "/proc/%d/ns/user", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		fd = -errno;
out_reap:
	close(hold[1]);
	hold[1] = -1;
	waitpid(pid, NULL, 0);
out_close_hold:
	close(hold[0]);
	if (hold[1] >= 0)
		close(hold[1]);
out_close_ready:
	close(ready[0]);
	if (ready[1] >= 0)
		close(ready[1]);
	return fd;
}

int lu_copy_file(const char *src, const char *dst, mode_t mode)
{
	char buf[65536];
	int in, out, ret = 0;
	ssize_t n;

	ret = lu_mkparent(dst);
	if (ret)
		return ret;
	in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return -errno;
	out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (out < 0) {
		ret = -errno;
		close(in);
		return ret;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0) {
		if (write(out, buf, n) != n) {
			ret = -EIO;
			break;
		}
	}
	if (n < 0)
		ret = -errno;
	if (!ret && fchmod(out, mode))
		ret = -errno;
	close(in);
	close(out);
	return ret;
}

int lu_mkdir(const struct lu_scratch *s, int layer, const char *rel, mode_t mode)
{
	return lu_mkdir_p(lu_lpath(s, layer, rel), mode);
}

int lu_file(const struct lu_scratch *s, int layer, const char *rel, mode_t mode,
	    const char *content)
{
	return lu_file_data(s, layer, rel, mode, content, strlen(content));
}

int lu_file_data(const struct lu_scratch *s, int layer, const char *rel,
		 mode_t mode, const void *data, size_t len)
{
	return lu_write_file(lu_lpath(s, layer, rel), mode, data, len);
}

int lu_symlink(const struct lu_scratch *s, int layer, const char *rel,
	       const char *target)
{
	const char *path = lu_lpath(s, layer, rel);
	int ret = lu_mkparent(path);

	if (ret)
		return ret;
	return symlink(target, path) ? -errno : 0;
}

int lu_whiteout(const struct lu_scratch *s, int layer, const char *rel)
{
	const char *path = lu_lpath(s, layer, rel);
	int ret = lu_mkparent(path);

	if (ret)
		return ret;
	return mknod(path, S_IFCHR | 0600, makedev(0, 0)) ? -errno : 0;
}

int lu_setxattr(const struct lu_scratch *s, int layer, const char *rel,
		const char *name, const char *value)
{
	if (lsetxattr(lu_lpath(s, layer, rel), name, value, strlen(value), 0))
		return -errno;
	return 0;
}

int lu_xwhiteout(const struct lu_scratch *s, int layer, const char *rel)
{
	char parent[LU_PATH_MAX], *slash;
	int ret;

	ret = lu_file(s, layer, rel, 0644, "");
	if (ret)
		return ret;
	ret = lu_setxattr(s, layer, rel, lu_ovl_xattr(s, "whiteout"), "");
	if (ret)
		return ret;
	snprintf(parent, sizeof(parent), "%s", rel);
	slash = strrchr(parent, '/');
	if (slash)
		*slash = '\0';
	else
		parent[0] = '\0';
	return lu_setxattr(s, layer, parent, lu_ovl_xattr(s, "opaque"), "x");
}

int lu_opaque(const struct lu_scratch *s, int layer, const char *rel)
{
	return lu_setxattr(s, layer, rel, lu_ovl_xattr(s, "opaque"), "y");
}

void lu_scratch_options(struct lu_scratch *s, const char *opts)
{
	s->opts = opts;
	s->userxattr = opts && strstr(opts, "userxattr");
}

const char *lu_ovl_xattr(const struct lu_scratch *s, const char *name)
{
	static __thread char buf[4][64];
	static __thread int next;
	char *x = buf[next++ % 4];

	snprintf(x, sizeof(buf[0]), "%s.overlay.%s",
		 s->userxattr ? "user" : "trusted", name);
	return x;
}

int lu_copy(const struct lu_scratch *s, int layer, const char *rel,
	    const char *src, mode_t mode)
{
	return lu_copy_file(src, lu_lpath(s, layer, rel), mode);
}

int lu_set_acl_user_read(const char *path, uid_t uid)
{
	struct {
		struct posix_acl_xattr_header h;
		struct posix_acl_xattr_entry e[5];
	} acl = {
		.h.a_version = POSIX_ACL_XATTR_VERSION,
		.e = {
			{ ACL_USER_OBJ, 06, ACL_UNDEFINED_ID },
			{ ACL_USER, 04, uid },
			{ ACL_GROUP_OBJ, 0, ACL_UNDEFINED_ID },
			{ ACL_MASK, 04, ACL_UNDEFINED_ID },
			{ ACL_OTHER, 0, ACL_UNDEFINED_ID },
		},
	};

	if (setxattr(path, "system.posix_acl_access", &acl, sizeof(acl), 0))
		return -errno;
	return 0;
}

char *lu_escape_layer(const char *path, char *buf, size_t len)
{
	size_t o = 0;

	for (; *path && o + 2 < len; path++) {
		if (*path == ':' || *path == ',' || *path == '\\')
			buf[o++] = '\\';
		buf[o++] = *path;
	}
	buf[o] = '\0';
	return buf;
}

int lu_mount_data(const char *fstype, const char *target, unsigned long flags,
		  const char *data)
{
	return mount("none", target, fstype, flags, data) ? -errno : 0;
}

int lu_mount_layers_opts(const char *fstype, const char *target,
				const char *const *layers, int n,
				const char *opts)
{
	char esc[LU_PATH_MAX * 2];
	size_t len = 16 + (opts ? strlen(opts) + 1 : 0), o;
	char *data;
	int i, ret;

	for (i = 0; i < n; i++)
		len += 2 * strlen(layers[i]) + 1;
	data = malloc(len);
	if (!data)
		return -ENOMEM;
	o = sprintf(data, "lowerdir=");
	for (i = 0; i < n; i++)
		o += sprintf(data + o, "%s%s", i ? ":" : "",
			     lu_escape_layer(layers[i], esc, sizeof(esc)));
	if (opts)
		sprintf(data + o, ",%s", opts);
	ret = lu_mount_data(fstype, target, 0, data);
	free(data);
	return ret;
}

int lu_mount_layers(const char *fstype, const char *target,
		    const char *const *layers, int n)
{
	return lu_mount_layers_opts(fstype, target, layers, n, NULL);
}

static int rm_rf(const char *path)
{
	char cmd[LU_PATH_MAX + 32];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	return system(cmd) ? -EIO : 0;
}

int lu_rw_init(struct lu_rw *rw, struct lu_scratch *s, const char *disk_env)
{
	const char *disk = disk_env ? getenv(disk_env) : NULL;

	memset(rw, 0, sizeof(*rw));
	if (disk_env && (!disk || !*disk))
		return -ENODEV;
	if (disk) {
		snprintf(rw->base, sizeof(rw->base), "%s/rw.XXXXXX", disk);
		if (!mkdtemp(rw->base))
			return -errno;
		rw->on_disk = true;
	} else {
		snprintf(rw->base, sizeof(rw->base), "%s", lu_path(s, "rw"));
		if (mkdir(rw->base, 0755))
			return -errno;
	}
	snprintf(rw->upper, sizeof(rw->upper), "%s/upper", rw->base);
	snprintf(rw->work, sizeof(rw->work), "%s/work", rw->base);
	if (mkdir(rw->upper, 0755) || mkdir(rw->work, 0755))
		return -errno;
	return 0;
}

void lu_rw_fini(struct lu_rw *rw)
{
	if (rw->on_disk)
		rm_rf(rw->base);
	rw->on_disk = false;
}

int lu_rw_reset(struct lu_rw *rw)
{
	if (rm_rf(rw->upper) || rm_rf(rw->work))
		return -EIO;
	if (mkdir(rw->upper, 0755) || mkdir(rw->work, 0755))
		return -errno;
	return 0;
}

int lu_mount_rw(struct lu_scratch *s, const struct lu_rw *rw)
{
	return lu_mount_rw_opts(s, rw, s->fstype, s->opts ?: "");
}

int lu_mount_rw_opts(struct lu_scratch *s, const struct lu_rw *rw,
		     const char *fstype, const char *extra)
{
	char esc[LU_PATH_MAX * 2];
	size_t len = 4 * LU_PATH_MAX + 64 + strlen(extra), o;
	char *data;
	int i, ret;

	len += (size_t)s->nlayers * 2 * LU_PATH_MAX;
	data = malloc(len);
	if (!data)
		return -ENOMEM;
	o = sprintf(data, "lowerdir=");
	for (i = 0; i < s->nlayers; i++)
		o += sprintf(data + o, "%s%s", i ? ":" : "",
			     lu_escape_layer(lu_lpath(s, i, NULL), esc, sizeof(esc)));
	o += sprintf(data + o, ",upperdir=%s", lu_escape_layer(rw->upper, esc, sizeof(esc)));
	o += sprintf(data + o, ",workdir=%s", lu_escape_layer(rw->work, esc, sizeof(esc)));
	if (*extra)
		sprintf(data + o, ",%s", extra);
	ret = lu_mount_data(fstype, s->mnt, 0, data);
	free(data);
	if (!ret)
		s->mounted = true;
	return ret;
}

int lu_mount(struct lu_scratch *s)
{
	const char **layers;
	int i, ret;

	layers = calloc(s->nlayers, sizeof(*layers));
	if (!layers)
		return -ENOMEM;
	for (i = 0; i < s->nlayers; i++)
		layers[i] = strdup(lu_lpath(s, i, NULL));
	ret = lu_mount_layers_opts(s->fstype, s->mnt, layers, s->nlayers, s->opts);
	for (i = 0; i < s->nlayers; i++)
		free((void *)layers[i]);
	free(layers);
	if (!ret)
		s->mounted = true;
	return ret;
}

int lu_umount(struct lu_scratch *s)
{
	if (umount2(s->mnt, 0))
		return -errno;
	s->mounted = false;
	return 0;
}

int lu_fsopen(const char *fstype)
{
	int fd = syscall(__NR_fsopen, fstype, FSOPEN_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int lu_fsconfig_string(int fsfd, const char *key, const char *value)
{
	if (syscall(__NR_fsconfig, fsfd, FSCONFIG_SET_STRING, key, value, 0))
		return -errno;
	return 0;
}

int lu_fsconfig_fd(int fsfd, const char *key, int fd)
{
	if (syscall(__NR_fsconfig, fsfd, FSCONFIG_SET_FD, key, NULL, fd))
		return -errno;
	return 0;
}

int lu_fsconfig_path_empty(int fsfd, const char *key, int dfd)
{
	if (syscall(__NR_fsconfig, fsfd, FSCONFIG_SET_PATH_EMPTY, key, "", dfd))
		return -errno;
	return 0;
}

int lu_fsconfig_path(int fsfd, const char *key, int dfd, const char *path)
{
	if (syscall(__NR_fsconfig, fsfd, FSCONFIG_SET_PATH, key, path, dfd))
		return -errno;
	return 0;
}

int lu_fsconfig_create(int fsfd)
{
	if (syscall(__NR_fsconfig, fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0))
		return -errno;
	return 0;
}

int lu_fsmount_at(int fsfd, const char *target)
{
	int mfd, ret;

	ret = lu_fsconfig_create(fsfd);
	if (ret)
		return ret;
	mfd = syscall(__NR_fsmount, fsfd, FSMOUNT_CLOEXEC, 0);
	if (mfd < 0)
		return -errno;
	ret = 0;
	if (syscall(__NR_move_mount, mfd, "", AT_FDCWD, target,
		    MOVE_MOUNT_F_EMPTY_PATH))
		ret = -errno;
	close(mfd);
	return ret;
}

size_t lu_fs_log(int fsfd, char *buf, size_t len)
{
	size_t o = 0;
	ssize_t n;

	if (!len)
		return 0;
	buf[0] = '\0';
	while (o + 2 < len) {
		n = read(fsfd, buf + o, len - o - 2);
		if (n <= 0)
			break;
		o += n;
		buf[o++] = '\n';
		buf[o] = '\0';
	}
	return o;
}

static int lu_add_layer(int fsfd, const char *path, enum lu_how how)
{
	int fd, ret;

	switch (how) {
	case LU_SET_STRING:
		return lu_fsconfig_string(fsfd, "lowerdir+", path);
	case LU_SET_FD:
		fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		ret = lu_fsconfig_fd(fsfd, "lowerdir+", fd);
		break;
	case LU_SET_PATH_EMPTY:
		fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		ret = lu_fsconfig_path_empty(fsfd, "lowerdir+", fd);
		break;
	default:
		return -EINVAL;
	}
	close(fd);
	return ret;
}

int lu_mount_new(const char *fstype, const char *target,
		 const char *const *layers, int n, enum lu_how how,
		 const char **step, char *log, size_t loglen)
{
	const char *dummy;
	int fsfd, i, ret;

	if (!step)
		step = &dummy;
	if (log && loglen)
		log[0] = '\0';
	*step = "fsopen";
	fsfd = lu_fsopen(fstype);
	if (fsfd < 0)
		return fsfd;
	*step = "lowerdir+";
	ret = 0;
	for (i = 0; i < n && !ret; i++)
		ret = lu_add_layer(fsfd, layers[i], how);
	if (!ret) {
		*step = "create/fsmount/move_mount";
		ret = lu_fsmount_at(fsfd, target);
	}
	if (log)
		lu_fs_log(fsfd, log, loglen);
	close(fsfd);
	return ret;
}

/* Undo the \ooo escapes of /proc/self/mountinfo's mount point column. */
static void lu_unmangle(char *s)
{
	char *d = s;

	while (*s) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' &&
		    s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*d++ = (s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0');
			s += 4;
		} else {
			*d++ = *s++;
		}
	}
	*d = '\0';
}

int lu_mountinfo_opts(const char *mnt, char *buf, size_t len)
{
	char *line = NULL, *f, *sep, *save;
	size_t cap = 0;
	int ret = -ENOENT, i;
	FILE *fp;

	fp = fopen("/proc/self/mountinfo", "re");
	if (!fp)
		return -errno;
	while (getline(&line, &cap, fp) > 0) {
		line[strcspn(line, "\n")] = '\0';
		sep = strstr(line, " - ");
		if (!sep)
			continue;
		/* mount point: the fifth field */
		f = strtok_r(line, " ", &save);
		for (i = 1; f && i < 5; i++)
			f = strtok_r(NULL, " ", &save);
		if (!f)
			continue;
		lu_unmangle(f);
		if (strcmp(f, mnt))
			continue;
		/* " - fstype source options" */
		f = strtok_r(sep + 3, " ", &save);
		f = f ? strtok_r(NULL, " ", &save) : NULL;
		f = f ? strtok_r(NULL, "", &save) : NULL;
		if (!f)
			continue;
		snprintf(buf, len, "%s", f);
		ret = 0;
	}
	free(line);
	fclose(fp);
	return ret;
}

char *lu_seq_escape(const char *in, char *out, size_t len)
{
	size_t o = 0;

	for (; *in && o + 5 < len; in++) {
		if (strchr(",= \t\n\\", *in))
			o += sprintf(out + o, "\\%03o", (unsigned char)*in);
		else
			out[o++] = *in;
	}
	out[o] = '\0';
	return out;
}

bool lu_has_option(const char *opts, const char *key, const char *value)
{
	char want[LU_PATH_MAX * 4], esc[LU_PATH_MAX * 4];
	const char *p = opts;
	size_t wl;

	snprintf(want, sizeof(want), "%s=%s", key,
		 lu_seq_escape(value, esc, sizeof(esc)));
	wl = strlen(want);
	while (p && *p) {
		if (!strncmp(p, want, wl) && (p[wl] == ',' || !p[wl]))
			return true;
		p = strchr(p, ',');
		if (p)
			p++;
	}
	return false;
}

const char *lu_cat(const char *path)
{
	static __thread char bufs[4][4096 + 1];
	static __thread unsigned int next;
	char *buf = bufs[next++ % 4];
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(buf, sizeof(bufs[0]), "error: %s", strerrorname_np(errno));
		return buf;
	}
	n = read(fd, buf, sizeof(bufs[0]) - 1);
	if (n < 0)
		snprintf(buf, sizeof(bufs[0]), "error: %s", strerrorname_np(errno));
	else
		buf[n] = '\0';
	close(fd);
	return buf;
}

int lu_ftype(const char *path)
{
	struct stat st;

	if (lstat(path, &st))
		return -errno;
	return st.st_mode & S_IFMT;
}

struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

ssize_t lu_getdents(const char *path, struct lu_dent **out)
{
	size_t n = 0, cap = 0;
	struct lu_dent *v = NULL, *nv;
	char buf[32768];
	int fd, ret = 0;
	long len, off;

	*out = NULL;
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while ((len = syscall(SYS_getdents64, fd, buf, sizeof(buf))) > 0) {
		for (off = 0; off < len;) {
			struct linux_dirent64 *d = (void *)(buf + off);

			if (n == cap) {
				cap = cap ? cap * 2 : 64;
				nv = realloc(v, cap * sizeof(*v));
				if (!nv) {
					ret = -ENOMEM;
					goto out;
				}
				v = nv;
			}
			snprintf(v[n].name, sizeof(v[n].name), "%s", d->d_name);
			v[n].ino = d->d_ino;
			v[n].type = d->d_type;
			n++;
			off += d->d_reclen;
		}
	}
	if (len < 0)
		ret = -errno;
out:
	close(fd);
	if (ret) {
		free(v);
		return ret;
	}
	*out = v;
	return n;
}

static int lu_strcmp_p(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

const char *lu_names(const char *path)
{
	static __thread char bufs[4][8192];
	static __thread unsigned int next;
	char *buf = bufs[next++ % 4];
	struct lu_dent *d;
	char **names;
	ssize_t n, i, k = 0;
	size_t o = 0;

	n = lu_getdents(path, &d);
	if (n < 0) {
		snprintf(buf, sizeof(bufs[0]), "error: %s", strerrorname_np(-n));
		return buf;
	}
	names = calloc(n + 1, sizeof(*names));
	for (i = 0; i < n; i++)
		if (strcmp(d[i].name, ".") && strcmp(d[i].name, ".."))
			names[k++] = d[i].name;
	qsort(names, k, sizeof(*names), lu_strcmp_p);
	buf[0] = '\0';
	for (i = 0; i < k && o < sizeof(bufs[0]); i++)
		o += snprintf(buf + o, sizeof(bufs[0]) - o, "%s%s",
			      i ? " " : "", names[i]);
	free(names);
	free(d);
	return buf;
}

static int lu_d_ino_dir(const char *path, bool top, char *why, size_t len)
{
	char child[2 * LU_PATH_MAX];
	struct lu_dent *d;
	int bad = 0, ret;
	struct stat st;
	ssize_t n, i;

	n = lu_getdents(path, &d);
	if (n < 0)
		return n;
	for (i = 0; i < n; i++) {
		bool dots = !strcmp(d[i].name, ".") || !strcmp(d[i].name, "..");

		if (top && !strcmp(d[i].name, ".."))
			continue;
		snprintf(child, sizeof(child), "%s/%s", path, d[i].name);
		if (lstat(child, &st)) {
			if (!bad++)
				snprintf(why, len, "%s: listed, lstat: %s", child,
					 strerrorname_np(errno));
			continue;
		}
		if (st.st_ino != d[i].ino && !bad++)
			snprintf(why, len, "%s: d_ino %llu, st_ino %llu", child,
				 (unsigned long long)d[i].ino,
				 (unsigned long long)st.st_ino);
		if (S_ISDIR(st.st_mode) && !dots) {
			ret = lu_d_ino_dir(child, false, bad ? NULL : why,
					   bad ? 0 : len);
			if (ret < 0) {
				free(d);
				return ret;
			}
			bad += ret;
		}
	}
	free(d);
	return bad;
}

int lu_count_d_ino_mismatches(const char *root, char *why, size_t len)
{
	if (why && len)
		why[0] = '\0';
	return lu_d_ino_dir(root, true, why, len);
}

uint64_t lu_fnv1a(uint64_t h, const void *data, size_t len)
{
	const unsigned char *p = data;

	if (!h)
		h = 0xcbf29ce484222325ULL;
	while (len--) {
		h ^= *p++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

static int lu_hash_file(const char *path, uint64_t *hash)
{
	char buf[65536];
	uint64_t h = 0;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	h = lu_fnv1a(0, "", 0);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		h = lu_fnv1a(h, buf, n);
	close(fd);
	if (n < 0)
		return -EIO;
	*hash = h;
	return 0;
}

static bool lu_xattr_wanted(const char *name)
{
	if (!strncmp(name, "user.", 5))
		return true;
	return !strncmp(name, "trusted.", 8) &&
	       strncmp(name, "trusted.overlay.", 16);
}

static int lu_read_xattrs(const char *path, char *out, size_t len)
{
	char list[4096], val[256], *names[64], *p;
	ssize_t n, vl;
	size_t o = 0;
	int k = 0, i;

	out[0] = '\0';
	n = llistxattr(path, list, sizeof(list));
	if (n < 0)
		return errno == EOPNOTSUPP ? 0 : -errno;
	for (p = list; p < list + n && k < 64; p += strlen(p) + 1)
		if (lu_xattr_wanted(p))
			names[k++] = p;
	qsort(names, k, sizeof(*names), lu_strcmp_p);
	for (i = 0; i < k; i++) {
		vl = lgetxattr(path, names[i], val, sizeof(val) - 1);
		if (vl < 0)
			return -errno;
		val[vl] = '\0';
		o += snprintf(out + o, len > o ? len - o : 0, "%s=%s\n",
			      names[i], val);
	}
	return 0;
}

struct lu_walk {
	struct lu_tree *t;
	size_t cap;
	size_t rootlen;
};

static int lu_walk_error(struct lu_walk *w, const char *what, const char *path)
{
	int err = errno ? errno : EIO;

	snprintf(w->t->error, sizeof(w->t->error), "%s %s: %s", what, path,
		 strerrorname_np(err));
	return -err;
}

static int lu_walk_one(struct lu_walk *w, const char *path)
{
	struct lu_node *node, *nv;
	struct dirent *de;
	struct stat st;
	int ret = 0;
	DIR *dir;

	if (lstat(path, &st)) {
		/*
		 * Listed by readdir but not there for lstat: record it, so
		 * that a comparison shows the name.
		 */
		if (errno != ENOENT || !path[w->rootlen])
			return lu_walk_error(w, "lstat", path);
		memset(&st, 0, sizeof(st));
	}
	if (w->t->n == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 64;
		nv = realloc(w->t->v, w->cap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		w->t->v = nv;
	}
	node = &w->t->v[w->t->n++];
	memset(node, 0, sizeof(*node));
	snprintf(node->path, sizeof(node->path), "%s",
		 path[w->rootlen] ? path + w->rootlen + 1 : ".");
	node->mode = st.st_mode;
	node->uid = st.st_uid;
	node->gid = st.st_gid;
	node->size = S_ISDIR(st.st_mode) ? 0 : st.st_size;
	node->nlink = st.st_nlink;
	node->rdev = st.st_rdev;
	node->dev = st.st_dev;
	node->ino = st.st_ino;
	if (!st.st_mode) {
		snprintf(node->target, sizeof(node->target),
			 "(listed, but lstat: ENOENT)");
		return 0;
	}
	errno = 0;
	if (S_ISREG(st.st_mode) && lu_hash_file(path, &node->hash))
		return lu_walk_error(w, "read", path);
	if (S_ISLNK(st.st_mode) &&
	    readlink(path, node->target, sizeof(node->target) - 1) < 0)
		return lu_walk_error(w, "readlink", path);
	if (lu_read_xattrs(path, node->xattrs, sizeof(node->xattrs)))
		return lu_walk_error(w, "xattrs", path);
	if (!S_ISDIR(st.st_mode))
		return 0;

	dir = opendir(path);
	if (!dir)
		return lu_walk_error(w, "opendir", path);
	while (!ret && (de = readdir(dir))) {
		char child[LU_PATH_MAX];

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(child, sizeof(child), "%s/%s", path, de->d_name);
		ret = lu_walk_one(w, child);
	}
	closedir(dir);
	return ret;
}

static int lu_node_cmp(const void *a, const void *b)
{
	return strcmp(((const struct lu_node *)a)->path,
		      ((const struct lu_node *)b)->path);
}

int lu_tree_walk(const char *root, struct lu_tree *t)
{
	struct lu_walk w = { .t = t, .rootlen = strlen(root) };
	int ret;

	t->n = 0;
	t->v = NULL;
	t->error[0] = '\0';
	ret = lu_walk_one(&w, root);
	if (ret) {
		lu_tree_free(t);
		return ret;
	}
	qsort(t->v, t->n, sizeof(*t->v), lu_node_cmp);
	return 0;
}

void lu_tree_free(struct lu_tree *t)
{
	free(t->v);
	t->v = NULL;
	t->n = 0;
}

char *lu_node_str(const struct lu_node *n, char *buf, size_t len)
{
	char xattrs[sizeof(n->xattrs)], *p;

	snprintf(xattrs, sizeof(xattrs), "%s", n->xattrs);
	for (p = xattrs; *p; p++)
		if (*p == '\n')
			*p = ' ';
	snprintf(buf, len, "%s mode=%o uid=%u gid=%u size=%lld nlink=%lu rdev=%u:%u hash=%016llx target='%s' xattrs='%s'",
		 n->path, n->mode, n->uid, n->gid, (long long)n->size,
		 (unsigned long)n->nlink, major(n->rdev), minor(n->rdev),
		 (unsigned long long)n->hash, n->target, xattrs);
	return buf;
}

static bool lu_node_same(const struct lu_node *a, const struct lu_node *b,
			 unsigned int flags)
{
	if (a->mode != b->mode || a->uid != b->uid || a->gid != b->gid ||
	    a->size != b->size || a->rdev != b->rdev || a->hash != b->hash ||
	    strcmp(a->target, b->target) || strcmp(a->xattrs, b->xattrs))
		return false;
	if ((flags & LU_CMP_NLINK) && !S_ISDIR(a->mode) && a->nlink != b->nlink)
		return false;
	return true;
}

int lu_tree_diff(const struct lu_tree *a, const struct lu_tree *b,
		 unsigned int flags, char *why, size_t len)
{
	char sa[2048], sb[2048];
	size_t i = 0, j = 0;
	int c;

	while (i < a->n || j < b->n) {
		if (i == a->n) {
			snprintf(why, len, "only in second: %s",
				 lu_node_str(&b->v[j], sb, sizeof(sb)));
			return 1;
		}
		if (j == b->n) {
			snprintf(why, len, "only in first: %s",
				 lu_node_str(&a->v[i], sa, sizeof(sa)));
			return 1;
		}
		c = strcmp(a->v[i].path, b->v[j].path);
		if (c < 0) {
			snprintf(why, len, "only in first: %s",
				 lu_node_str(&a->v[i], sa, sizeof(sa)));
			return 1;
		}
		if (c > 0) {
			snprintf(why, len, "only in second: %s",
				 lu_node_str(&b->v[j], sb, sizeof(sb)));
			return 1;
		}
		/* the roots are mount points: their attributes do not matter */
		if (strcmp(a->v[i].path, ".") &&
		    !lu_node_same(&a->v[i], &b->v[j], flags)) {
			snprintf(why, len, "differ:\n  %s\n  %s",
				 lu_node_str(&a->v[i], sa, sizeof(sa)),
				 lu_node_str(&b->v[j], sb, sizeof(sb)));
			return 1;
		}
		i++;
		j++;
	}
	if (why && len)
		why[0] = '\0';
	return 0;
}

int lu_drop_caches(int what)
{
	char buf[8];
	int fd, n, ret = 0;

	fd = open("/proc/sys/vm/drop_caches", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	sync();
	n = snprintf(buf, sizeof(buf), "%d\n", what);
	if (write(fd, buf, n) != n)
		ret = -errno;
	close(fd);
	return ret;
}

long long lu_cg_slab(const char *cg)
{
	char path[LU_PATH_MAX + 64], line[256];
	long long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/memory.stat", cg);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "slab %lld", &v) == 1)
			break;
	fclose(f);
	return v;
}
