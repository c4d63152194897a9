// SPDX-License-Identifier: GPL-2.0
/*
 * The store: what every kind shares (openat2() beneath the root, bounded
 * reads, strict JSON, chain IDs, messages; see store_int.h), the choice
 * of a kind at store_open() and the store_*() functions that call it,
 * and the reader for Docker's overlay2 image store, docker_store_ops.
 *
 * Everything is opened with openat2() beneath the data root directory,
 * with RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS: a
 * path that leaves the root or meets a symbolic link is refused. The only
 * symbolic links dockerd writes, overlay2/l/<short>, are read with
 * readlinkat() and compared as text, never followed. Files are opened
 * O_PATH or O_RDONLY, so the store is never written.
 *
 * Every chain ID is recomputed from the diff IDs and checked against the
 * layerdb directory names and their diff and parent files; every link
 * file is checked against overlay2/l/ and every lower file against the
 * chain. The first inconsistency found is reported, naming the file.
 */

#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/openat2.h>
#include <json-c/json.h>
#include <openssl/evp.h>
#include "store.h"
#include "store_int.h"

#define IMAGEDB		"image/overlay2/imagedb/content/sha256"
#define LAYERDB		"image/overlay2/layerdb/sha256"
#define MOUNTSDB	"image/overlay2/layerdb/mounts"
#define REPOSITORIES	"image/overlay2/repositories.json"
#define CONTAINERS	"containers"			/* <id>/config.v2.json */

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define SMALL_MAX	4096			/* id, link and size files */
#define LOWER_MAX	(STORE_MAX_DEPTH * 30)	/* "l/<short>:" per layer */
#define JSON_MAX	(16 << 20)		/* image config */
#define REL_SIZE	512			/* longest relative path we build */
#define DIR_SIZE	256			/* a directory in it */

/* Start a message with "ROOT/REL: " (nothing for a NULL @rel). */
size_t store_err_prefix(struct store *st, const char *rel)
{
	int n = 0;

	if (rel)
		n = snprintf(st->err, sizeof(st->err), "%s/%s: ", st->root, rel);
	return n > 0 && (size_t)n < sizeof(st->err) ? (size_t)n : 0;
}

/* Why an openat2() beneath the root failed, in words. */
const char *store_strerror(int e)
{
	switch (e) {
	case ELOOP:
		return "is or passes through a symbolic link (refused)";
	case EXDEV:
		return "resolves outside the data root (refused)";
	default:
		return strerror(e);
	}
}

/* Printable excerpt of untrusted file content for messages. */
const char *store_quote(const char *s, size_t len, char *buf,
			size_t size)
{
	size_t i, n = 0;

	for (i = 0; i < len && n + 4 < size; i++)
		buf[n++] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	if (i < len && n + 4 <= size) {
		memcpy(buf + n, "...", 3);
		n += 3;
	}
	buf[n] = '\0';
	return buf;
}

int store_openat2_how(int dirfd, const char *rel, int flags, __u64 resolve)
{
	struct open_how how = {
		.flags = flags | O_CLOEXEC,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
			   RESOLVE_NO_MAGICLINKS | resolve,
	};

	return syscall(SYS_openat2, dirfd, rel, &how, sizeof(how));
}

int store_openat2(int dirfd, const char *rel, int flags)
{
	return store_openat2_how(dirfd, rel, flags, 0);
}

int store_open_beneath(int dirfd, const char *rel, int flags)
{
	return store_openat2(dirfd, rel, flags);
}

/*
 * Inside a layer directory (overlay2/<id> and below) nothing may cross
 * into another mount either: the directory is one object, verified and
 * used through one descriptor.
 */
int store_openat2_layer(int dirfd, const char *rel, int flags)
{
	return store_openat2_how(dirfd, rel, flags, RESOLVE_NO_XDEV);
}

bool store_is_hex(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

bool store_valid_hex(const char *hex)
{
	return strlen(hex) == STORE_HEX_LEN && store_is_hex(hex, STORE_HEX_LEN);
}

/* "sha256:" and 64 lower-case hex digits. */
bool store_valid_id(const char *id)
{
	return !strncmp(id, "sha256:", 7) && store_valid_hex(id + 7);
}

/* 26 characters of base32 (A-Z, 2-7), as overlay2's generateID(). */
bool store_valid_short(const char *name)
{
	size_t i;

	if (strlen(name) != STORE_SHORT_LEN)
		return false;
	for (i = 0; i < STORE_SHORT_LEN; i++)
		if (!((name[i] >= 'A' && name[i] <= 'Z') ||
		      (name[i] >= '2' && name[i] <= '7')))
			return false;
	return true;
}

/* The 32 bytes of a SHA-256 digest as 64 lower-case hex digits. */
static void store_hex_digest(const unsigned char *md,
			     char out[STORE_HEX_LEN + 1])
{
	static const char digits[] = "0123456789abcdef";
	unsigned int i;

	for (i = 0; i < STORE_HEX_LEN / 2; i++) {
		out[2 * i] = digits[md[i] >> 4];
		out[2 * i + 1] = digits[md[i] & 0xf];
	}
	out[STORE_HEX_LEN] = '\0';
}

int store_sha256_hex(const void *data, size_t len,
		     char out[STORE_HEX_LEN + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (!EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) ||
	    mdlen * 2 != STORE_HEX_LEN)
		return -1;
	store_hex_digest(md, out);
	return 0;
}

/*
 * Docker's chain ID: the diff ID for a base layer, else
 * "sha256:" + hex(sha256(parent_chain + " " + diff_id)).
 */
void store_chain_id(const char *parent_chain, const char *diff_id,
		    char out[STORE_ID_SIZE])
{
	char buf[2 * STORE_ID_SIZE + 1];
	int n;

	if (!parent_chain[0]) {
		snprintf(out, STORE_ID_SIZE, "%s", diff_id);
		return;
	}
	n = snprintf(buf, sizeof(buf), "%s %s", parent_chain, diff_id);
	memcpy(out, "sha256:", 7);
	/* Cannot fail for SHA-256 short of a broken libcrypto. */
	if (n < 0 || (size_t)n >= sizeof(buf) ||
	    store_sha256_hex(buf, n, out + 7))
		abort();
}

/*
 * Read a regular file beneath the root, at most @max bytes, into a
 * NUL-terminated buffer the caller frees. The file is checked through
 * an O_PATH descriptor first, so that no device or FIFO is ever opened.
 * On failure errno is kept for the caller (ENOENT for optional files).
 */
char *store_slurp_at(struct store *st, int dirfd, const char *name,
		     const char *rel, size_t max, size_t *lenp)
{
	struct stat sp, sr;
	char *buf = NULL;
	size_t len = 0;
	ssize_t n;
	int pfd, fd = -1;

	pfd = store_openat2_how(dirfd, name, O_PATH,
				dirfd == st->rootfd ? 0 : RESOLVE_NO_XDEV);
	if (pfd < 0) {
		store_fail(st, rel, "%s", store_strerror(errno));
		return NULL;
	}
	if (fstat(pfd, &sp)) {
		store_fail(st, rel, "%s", strerror(errno));
		goto out_close;
	}
	if (!S_ISREG(sp.st_mode)) {
		store_fail(st, rel, "not a regular file");
		errno = EINVAL;
		goto out_close;
	}
	fd = store_openat2_how(dirfd, name, O_RDONLY | O_NOCTTY | O_NONBLOCK,
			       dirfd == st->rootfd ? 0 : RESOLVE_NO_XDEV);
	if (fd < 0 || fstat(fd, &sr)) {
		store_fail(st, rel, "%s", store_strerror(errno));
		goto out_close;
	}
	if (sr.st_dev != sp.st_dev || sr.st_ino != sp.st_ino ||
	    !S_ISREG(sr.st_mode)) {
		store_fail(st, rel, "changed while being opened");
		errno = EAGAIN;
		goto out_close;
	}
	if ((unsigned long long)sr.st_size > max) {
		store_fail(st, rel, "too large (more than %zu bytes)", max);
		errno = EFBIG;
		goto out_close;
	}
	/* One byte more than the size, to notice a file that grew. */
	buf = malloc(sr.st_size + 2);
	if (!buf) {
		store_fail(st, rel, "%s", strerror(errno));
		goto out_close;
	}
	while (len <= (size_t)sr.st_size) {
		n = read(fd, buf + len, sr.st_size + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			store_fail(st, rel, "%s", strerror(errno));
			goto out_free;
		}
		if (!n)
			break;
		len += n;
	}
	if (len != (size_t)sr.st_size) {
		store_fail(st, rel, "changed while being read");
		errno = EAGAIN;
		goto out_free;
	}
	buf[len] = '\0';
	*lenp = len;
	close(fd);
	close(pfd);
	return buf;

out_free:
	free(buf);
	buf = NULL;
out_close:
	if (fd >= 0)
		close(fd);
	close(pfd);
	return NULL;
}

static char *store_slurp(struct store *st, const char *rel, size_t max,
			 size_t *lenp)
{
	return store_slurp_at(st, st->rootfd, rel, rel, max, lenp);
}

/*
 * Read a small file into @out. With @trim, surrounding white space is
 * dropped, as dockerd does for the layerdb files (strings.TrimSpace);
 * link, lower and size files are used exactly as they are.
 */
int store_read_small_at(struct store *st, int dirfd, const char *name,
			const char *rel, char *out, size_t size,
			bool trim)
{
	char *buf, *s, q[96];
	size_t len;

	buf = store_slurp_at(st, dirfd, name, rel, SMALL_MAX, &len);
	if (!buf)
		return -1;
	s = buf;
	if (trim) {
		while (len && strchr(" \t\n\r\v\f", s[len - 1]))
			len--;
		while (len && strchr(" \t\n\r\v\f", *s)) {
			s++;
			len--;
		}
	}
	if (memchr(s, '\0', len)) {
		store_fail(st, rel, "contains a NUL byte");
		goto out_inval;
	}
	if (len >= size) {
		store_fail(st, rel, "too long: '%s'",
			   store_quote(s, len, q, sizeof(q)));
		goto out_inval;
	}
	memcpy(out, s, len);
	out[len] = '\0';
	free(buf);
	return 0;

out_inval:
	free(buf);
	errno = EINVAL;
	return -1;
}

static int store_read_small(struct store *st, const char *rel, char *out,
			    size_t size, bool trim)
{
	return store_read_small_at(st, st->rootfd, rel, rel, out, size, trim);
}

static int store_read_id(struct store *st, const char *rel,
			 char out[STORE_ID_SIZE])
{
	char buf[SMALL_MAX + 1], q[96];

	if (store_read_small(st, rel, buf, sizeof(buf), true))
		return -1;
	if (!store_valid_id(buf)) {
		errno = EINVAL;
		return store_fail(st, rel,
				  "'%s' is not a sha256 ID (\"sha256:\" and 64 lower-case hex digits)",
				  store_quote(buf, strlen(buf), q, sizeof(q)));
	}
	memcpy(out, buf, STORE_ID_SIZE);
	return 0;
}

static int store_read_hex(struct store *st, const char *rel,
			  char out[STORE_HEX_LEN + 1])
{
	char buf[SMALL_MAX + 1], q[96];

	if (store_read_small(st, rel, buf, sizeof(buf), true))
		return -1;
	if (!store_valid_hex(buf)) {
		errno = EINVAL;
		return store_fail(st, rel,
				  "'%s' is not an ID of 64 lower-case hex digits",
				  store_quote(buf, strlen(buf), q, sizeof(q)));
	}
	memcpy(out, buf, STORE_HEX_LEN + 1);
	return 0;
}

static int store_read_size(struct store *st, const char *rel,
			   long long *size)
{
	char buf[SMALL_MAX + 1], q[96];
	char *end;

	if (store_read_small(st, rel, buf, sizeof(buf), false))
		return -1;
	errno = 0;
	*size = strtoll(buf, &end, 10);
	if (buf[0] < '0' || buf[0] > '9' || *end || errno) {
		errno = EINVAL;
		return store_fail(st, rel, "'%s' is not a size in bytes",
				  store_quote(buf, strlen(buf), q, sizeof(q)));
	}
	return 0;
}

/* The directory @rel beneath the root (O_PATH if @path_only). */
static int store_open_dir(struct store *st, const char *rel, bool path_only)
{
	int fd;

	fd = store_openat2(st->rootfd, rel, O_DIRECTORY |
			   (path_only ? O_PATH : O_RDONLY));
	if (fd < 0)
		store_fail(st, rel, "%s", errno == ENOTDIR ?
			   "not a directory" : store_strerror(errno));
	return fd;
}

/* Check that @rel is a directory beneath the root. */
static int store_check_dir(struct store *st, const char *rel)
{
	int fd = store_open_dir(st, rel, true);

	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

/* ROOT/overlay2/@dir/@sub into @buf: 0, or -1 if it was cut short. */
static int store_path(const struct store *st, const char *dir,
		      const char *sub, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s/%s/%s/%s", st->root, st->drv, dir, sub);

	return n < 0 || (size_t)n >= size ? -1 : 0;
}

int store_ovl_layer_path(const struct store *st, const struct store_layer *l,
			 char *buf, size_t size)
{
	return store_path(st, l->cache_id, "diff", buf, size);
}

int store_ovl_upper_path(const struct store *st, const struct store_chain *c,
			 char *buf, size_t size)
{
	return store_path(st, c->mount_id, "diff", buf, size);
}

int store_ovl_work_path(const struct store *st, const struct store_chain *c,
			char *buf, size_t size)
{
	return store_path(st, c->mount_id, "work", buf, size);
}

/*
 * stat(2) of layer @l's diff directory, opened beneath the root like
 * every directory of the store (a listed layer holds no descriptor).
 */
int store_ovl_layer_stat(struct store *st, const struct store_layer *l,
			 struct stat *out)
{
	char rel[REL_SIZE];
	int fd, ret = 0;

	snprintf(rel, sizeof(rel), "%s/%s/diff", st->drv, l->cache_id);
	fd = store_open_dir(st, rel, true);
	if (fd < 0)
		return -1;
	if (fstat(fd, out))
		ret = store_fail(st, rel, "%s", strerror(errno));
	close(fd);
	return ret;
}

/*
 * Open @sub (a directory) inside a verified layer directory @dirfd,
 * overlay2/@cache: beneath it, through no symbolic link and no mount.
 */
static int store_open_layer_dir(struct store *st, int dirfd, const char *cache,
				const char *sub, bool path_only)
{
	char rel[REL_SIZE];
	int fd;

	fd = store_openat2_layer(dirfd, sub, O_DIRECTORY |
				 (path_only ? O_PATH : O_RDONLY));
	if (fd < 0) {
		snprintf(rel, sizeof(rel), "%s/%s/%s", st->drv, cache, sub);
		store_fail(st, rel, "%s", errno == ENOTDIR ?
			   "not a directory" : store_strerror(errno));
	}
	return fd;
}

/*
 * overlay2/<cache>: diff must be a directory, link a short name, and
 * overlay2/l/<short> a symbolic link reading exactly "../<cache>/diff".
 *
 * overlay2/<cache> is opened once (*@dirfdp) and everything in it is
 * checked through that descriptor; its diff directory stays open
 * (*@diff_fdp) for the kernel. Whoever renames directories in the store
 * after the check cannot make layerctl use another one than it checked.
 * overlay2 itself may be a mount of its own, a layer directory may not.
 */
static int store_check_cache(struct store *st, const char *cache,
			     char name[STORE_NAME_SIZE], int *dirfdp,
			     int *diff_fdp)
{
	char rel[REL_SIZE], target[REL_SIZE], want[REL_SIZE], q[96];
	char buf[SMALL_MAX + 1];
	int dirfd, diff_fd = -1;
	ssize_t n;

	if (st->o2fd < 0) {
		st->o2fd = store_open_dir(st, st->drv, true);
		if (st->o2fd < 0)
			return -1;
	}
	snprintf(rel, sizeof(rel), "%s/%s", st->drv, cache);
	dirfd = store_openat2_layer(st->o2fd, cache, O_PATH | O_DIRECTORY);
	if (dirfd < 0)
		return store_fail(st, rel, "%s", errno == ENOTDIR ?
				  "not a directory" : store_strerror(errno));
	diff_fd = store_open_layer_dir(st, dirfd, cache, "diff", true);
	if (diff_fd < 0)
		goto out_close;
	snprintf(rel, sizeof(rel), "%s/%s/link", st->drv, cache);
	if (store_read_small_at(st, dirfd, "link", rel, buf, sizeof(buf),
				false))
		goto out_close;
	if (!store_valid_short(buf)) {
		store_fail(st, rel,
			   "'%s' is not a 26-character short name (A-Z, 2-7)",
			   store_quote(buf, strlen(buf), q, sizeof(q)));
		goto out_close;
	}
	memcpy(name, buf, STORE_NAME_SIZE);

	if (st->ldirfd < 0) {
		snprintf(rel, sizeof(rel), "%s/l", st->drv);
		st->ldirfd = store_open_dir(st, rel, true);
		if (st->ldirfd < 0)
			goto out_close;
	}
	snprintf(rel, sizeof(rel), "%s/l/%s", st->drv, name);
	n = readlinkat(st->ldirfd, name, target, sizeof(target) - 1);
	if (n < 0) {
		store_fail(st, rel, "%s", errno == EINVAL ?
			   "not a symbolic link" : strerror(errno));
		goto out_close;
	}
	target[n] = '\0';
	snprintf(want, sizeof(want), "../%s/diff", cache);
	if (strcmp(target, want)) {
		store_fail(st, rel,
			   "points to '%s', not to '%s' as %s/%s/link says",
			   store_quote(target, n, q, sizeof(q)), want, st->drv,
			   cache);
		goto out_close;
	}
	*dirfdp = dirfd;
	*diff_fdp = diff_fd;
	return 0;

out_close:
	if (diff_fd >= 0)
		close(diff_fd);
	close(dirfd);
	return -1;
}

/*
 * The lower file of overlay2/<cache>: "l/<short>" of every layer below,
 * nearest first, joined by ':'. A base layer has none.
 */
static int store_check_lower(struct store *st, const char *cache, int dirfd,
			     const struct store_layer *below, size_t nr)
{
	char rel[REL_SIZE], q[96], qw[96];
	char *buf, *want, *p;
	size_t len, i;
	int ret = -1;

	snprintf(rel, sizeof(rel), "%s/%s/lower", st->drv, cache);
	buf = store_slurp_at(st, dirfd, "lower", rel, LOWER_MAX, &len);
	if (!nr) {
		free(buf);
		if (buf)
			return store_fail(st, rel,
					  "exists, but the layer has no parent");
		if (errno != ENOENT)
			return -1;
		return 0;
	}
	if (!buf)
		return -1;
	want = malloc(nr * (STORE_SHORT_LEN + 3) + 1);
	if (!want) {
		store_fail(st, rel, "%s", strerror(errno));
		goto out_free;
	}
	for (p = want, i = nr; i--; )
		p += sprintf(p, "l/%s%s", below[i].name, i ? ":" : "");
	if (len != strlen(want) || memcmp(buf, want, len))
		store_fail(st, rel, "is '%s', expected '%s'",
			   store_quote(buf, len, q, sizeof(q)),
			   store_quote(want, strlen(want), qw, sizeof(qw)));
	else
		ret = 0;
	free(want);
out_free:
	free(buf);
	return ret;
}

/*
 * Read layerdb/sha256/<chain_hex>. @want_diff and @want_parent, when
 * given, are what the image config says; "" means no parent.
 */
static int store_read_layerdb_meta(struct store *st, const char *chain_hex,
				   const char *want_diff,
				   const char *want_parent,
				   struct store_layer *l)
{
	char dir[DIR_SIZE], rel[REL_SIZE], computed[STORE_ID_SIZE];

	memset(l, 0, sizeof(*l));
	l->dirfd = -1;
	l->diff_fd = -1;
	snprintf(dir, sizeof(dir), LAYERDB "/%s", chain_hex);
	if (store_check_dir(st, dir))
		return -1;

	snprintf(rel, sizeof(rel), "%s/diff", dir);
	if (store_read_id(st, rel, l->diff_id))
		return -1;
	if (want_diff && strcmp(l->diff_id, want_diff))
		return store_fail(st, rel, "is %s, but the image config lists %s",
				  l->diff_id, want_diff);

	snprintf(rel, sizeof(rel), "%s/parent", dir);
	if (store_read_id(st, rel, l->parent_chain)) {
		if (errno != ENOENT)
			return -1;
		l->parent_chain[0] = '\0';
	}
	if (want_parent && strcmp(l->parent_chain, want_parent)) {
		if (!want_parent[0])
			return store_fail(st, rel,
					  "exists, but this is the image's base layer");
		if (!l->parent_chain[0])
			return store_fail(st, rel,
					  "missing, but the image has %s below",
					  want_parent);
		return store_fail(st, rel, "is %s, but the layer below is %s",
				  l->parent_chain, want_parent);
	}

	store_chain_id(l->parent_chain, l->diff_id, computed);
	if (strcmp(computed + 7, chain_hex))
		return store_fail(st, dir,
				  "the chain ID computed from its diff and parent files is %s, not the directory name",
				  computed);
	memcpy(l->chain_id, computed, sizeof(l->chain_id));

	snprintf(rel, sizeof(rel), "%s/cache-id", dir);
	if (store_read_hex(st, rel, l->cache_id))
		return -1;
	snprintf(rel, sizeof(rel), "%s/size", dir);
	return store_read_size(st, rel, &l->size);
}

/* The layerdb entry and the overlay2 directory it names. */
static int store_read_layerdb(struct store *st, const char *chain_hex,
			      const char *want_diff, const char *want_parent,
			      struct store_layer *l)
{
	if (store_read_layerdb_meta(st, chain_hex, want_diff, want_parent, l))
		return -1;
	return store_check_cache(st, l->cache_id, l->name, &l->dirfd,
				 &l->diff_fd);
}

/*
 * Layer @i of a chain whose layers below are linked: its overlay2
 * directory, its parent name, a short name used once in the chain, its
 * lower file. Only the diff directory stays open (for the kernel): with
 * two descriptors per layer a deep chain ran into RLIMIT_NOFILE.
 */
int store_link_layer(struct store *st, struct store_layer *layers, size_t i)
{
	struct store_layer *l = &layers[i];
	char rel[REL_SIZE];
	size_t j;
	int ret;

	if (store_check_cache(st, l->cache_id, l->name, &l->dirfd,
			      &l->diff_fd))
		return -1;
	for (j = 0; j < i; j++) {
		if (strcmp(l->name, layers[j].name))
			continue;
		snprintf(rel, sizeof(rel), "%s/%s/link", st->drv, l->cache_id);
		return store_fail(st, rel,
				  "short name %s is also used by %s/%s",
				  l->name, st->drv, layers[j].cache_id);
	}
	if (i)
		memcpy(l->parent, layers[i - 1].name, sizeof(l->parent));
	l->depth = i + 1;
	ret = store_check_lower(st, l->cache_id, l->dirfd, layers, i);
	close(l->dirfd);
	l->dirfd = -1;
	return ret;
}

struct json_object *store_parse_json(struct store *st,
				     const char *rel,
				     const char *buf, size_t len)
{
	enum json_tokener_error jerr;
	struct json_tokener *tok;
	struct json_object *obj;
	size_t end;

	tok = json_tokener_new();
	if (!tok) {
		store_fail(st, rel, "%s", strerror(ENOMEM));
		return NULL;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	obj = json_tokener_parse_ex(tok, buf, len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	if (!obj || jerr != json_tokener_success) {
		if (jerr == json_tokener_continue || jerr == json_tokener_success)
			store_fail(st, rel, "truncated JSON");
		else
			store_fail(st, rel, "invalid JSON at byte %zu: %s", end,
				   json_tokener_error_desc(jerr));
		json_object_put(obj);
		obj = NULL;
	} else {
		while (end < len && strchr(" \t\n\r", buf[end]))
			end++;
		if (end < len) {
			store_fail(st, rel, "data after the JSON value at byte %zu",
				   end);
			json_object_put(obj);
			obj = NULL;
		}
	}
	json_tokener_free(tok);
	errno = EINVAL;
	return obj;
}

static struct json_object *store_read_json(struct store *st, const char *rel)
{
	struct json_object *obj;
	size_t len;
	char *buf;

	buf = store_slurp(st, rel, JSON_MAX, &len);
	if (!buf)
		return NULL;
	obj = store_parse_json(st, rel, buf, len);
	free(buf);
	return obj;
}

struct json_object *store_json_get(struct json_object *obj,
				   const char *key, json_type type)
{
	struct json_object *val;

	if (!json_object_object_get_ex(obj, key, &val) ||
	    !json_object_is_type(val, type))
		return NULL;
	return val;
}

/* rootfs.diff_ids of an image config, checked for type and content. */
struct json_object *store_config_diff_ids(struct store *st, const char *rel,
					  struct json_object *cfg)
{
	struct json_object *rootfs, *type, *ids, *id;
	size_t i, n;

	if (!json_object_is_type(cfg, json_type_object)) {
		store_fail(st, rel, "not a JSON object");
		return NULL;
	}
	rootfs = store_json_get(cfg, "rootfs", json_type_object);
	if (!rootfs) {
		store_fail(st, rel, "no \"rootfs\" object");
		return NULL;
	}
	type = store_json_get(rootfs, "type", json_type_string);
	if (!type || strcmp(json_object_get_string(type), "layers")) {
		store_fail(st, rel, "rootfs.type is not \"layers\"");
		return NULL;
	}
	ids = store_json_get(rootfs, "diff_ids", json_type_array);
	if (!ids) {
		store_fail(st, rel, "rootfs.diff_ids is not an array");
		return NULL;
	}
	n = json_object_array_length(ids);
	if (!n || n > STORE_MAX_DEPTH) {
		store_fail(st, rel, "rootfs.diff_ids has %zu layers (1 to %d allowed)",
			   n, STORE_MAX_DEPTH);
		return NULL;
	}
	for (i = 0; i < n; i++) {
		id = json_object_array_get_idx(ids, i);
		if (!json_object_is_type(id, json_type_string)) {
			store_fail(st, rel, "rootfs.diff_ids[%zu] is not a string",
				   i);
			return NULL;
		}
		if (!store_valid_id(json_object_get_string(id))) {
			store_fail(st, rel, "rootfs.diff_ids[%zu] is not a sha256 ID",
				   i);
			return NULL;
		}
	}
	return ids;
}

void store_chain_init(struct store_chain *c, enum store_kind kind)
{
	memset(c, 0, sizeof(*c));
	c->kind = kind;
	c->rw_dirfd = -1;
	c->upper_fd = -1;
	c->work_fd = -1;
}

void store_close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Close what a layer holds open; the description stays. */
void store_layer_close(struct store_layer *l)
{
	store_close_fd(&l->dirfd);
	store_close_fd(&l->diff_fd);
}

void store_chain_free(struct store_chain *c)
{
	size_t i;

	for (i = 0; i < c->nr; i++)
		store_layer_close(&c->layers[i]);
	free(c->layers);
	c->layers = NULL;
	c->nr = 0;
	store_close_fd(&c->rw_dirfd);
	store_close_fd(&c->upper_fd);
	store_close_fd(&c->work_fd);
}

/* Verify the image config's bytes against its ID, then its layers. */
static int store_image_layers(struct store *st, const char *rel,
			      const char *hex, struct store_chain *c)
{
	char digest[STORE_HEX_LEN + 1], chain[STORE_ID_SIZE] = "";
	struct json_object *cfg, *ids;
	const char *diff;
	size_t len, i, n;
	char *buf;
	int ret = -1;

	buf = store_slurp(st, rel, JSON_MAX, &len);
	if (!buf)
		return -1;
	if (store_sha256_hex(buf, len, digest) || strcmp(digest, hex)) {
		store_fail(st, rel, "content does not match its ID (sha256:%s)",
			   digest);
		free(buf);
		return -1;
	}
	cfg = store_parse_json(st, rel, buf, len);
	free(buf);
	if (!cfg)
		return -1;
	ids = store_config_diff_ids(st, rel, cfg);
	if (!ids)
		goto out_put;

	n = json_object_array_length(ids);
	c->layers = calloc(n, sizeof(*c->layers));
	if (!c->layers) {
		store_fail(st, rel, "%s", strerror(errno));
		goto out_put;
	}
	for (i = 0; i < n; i++) {
		char parent[STORE_ID_SIZE];

		diff = json_object_get_string(json_object_array_get_idx(ids, i));
		memcpy(parent, chain, sizeof(parent));
		store_chain_id(parent, diff, chain);
		if (store_read_layerdb_meta(st, chain + 7, diff, parent,
					    &c->layers[i]))
			goto out_put;
		c->nr = i + 1;
		if (store_link_layer(st, c->layers, i))
			goto out_put;
	}
	ret = 0;
out_put:
	json_object_put(cfg);
	return ret;
}

static int docker_image_chain(struct store *st, const char *image_hex,
			      struct store_chain *c)
{
	char rel[REL_SIZE];

	store_chain_init(c, STORE_IMAGE);
	if (!store_valid_hex(image_hex))
		return store_fail(st, NULL, "'%.80s' is not an image ID",
				  image_hex);
	snprintf(c->id, sizeof(c->id), "sha256:%s", image_hex);
	snprintf(rel, sizeof(rel), IMAGEDB "/%s", image_hex);
	if (store_image_layers(st, rel, image_hex, c)) {
		store_chain_free(c);
		return -1;
	}
	return 0;
}

/*
 * The read-write layer of container chain @c, DRV/<mount_id>, on top of
 * its linked layers: its diff (the upper directory, held open for
 * reading) and work directories, its link, its lower file, a short name
 * of its own.
 */
int store_link_rw(struct store *st, struct store_chain *c)
{
	char rel[REL_SIZE], rw_name[STORE_NAME_SIZE];
	int ret = -1, rw_diff_fd = -1;
	size_t i;

	if (store_check_cache(st, c->mount_id, rw_name, &c->rw_dirfd,
			      &rw_diff_fd))
		return -1;
	/* The very directory checked, opened for reading for fsconfig(). */
	c->upper_fd = store_openat2_layer(rw_diff_fd, ".",
					  O_RDONLY | O_DIRECTORY);
	if (c->upper_fd < 0) {
		snprintf(rel, sizeof(rel), "%s/%s/diff", st->drv, c->mount_id);
		store_fail(st, rel, "%s", strerror(errno));
		goto out_close;
	}
	c->work_fd = store_open_layer_dir(st, c->rw_dirfd, c->mount_id, "work",
					  false);
	if (c->work_fd < 0 ||
	    store_check_lower(st, c->mount_id, c->rw_dirfd, c->layers, c->nr))
		goto out_close;
	for (i = 0; i < c->nr; i++) {
		if (strcmp(rw_name, c->layers[i].name))
			continue;
		snprintf(rel, sizeof(rel), "%s/%s/link", st->drv, c->mount_id);
		store_fail(st, rel, "short name %s is also used by %s/%s",
			   rw_name, st->drv, c->layers[i].cache_id);
		goto out_close;
	}
	ret = 0;
out_close:
	close(rw_diff_fd);
	return ret;
}

/*
 * overlay2/<mount-id>-init is registered on top of the image; the
 * container's own overlay2/<mount-id> becomes the upper layer.
 */
static int store_container_layers(struct store *st, const char *dir,
				  const char *parent, struct store_chain *c)
{
	struct store_layer *tmp, *init;
	char chain[STORE_ID_SIZE];
	size_t nr = 0, i;
	int ret = -1;

	tmp = calloc(STORE_MAX_DEPTH + 1, sizeof(*tmp));
	if (!tmp)
		return store_fail(st, dir, "%s", strerror(errno));
	/* Walk the parent files from the image's top layer down. */
	memcpy(chain, parent, sizeof(chain));
	while (chain[0]) {
		if (nr == STORE_MAX_DEPTH) {
			store_fail(st, dir, "chain deeper than %d layers",
				   STORE_MAX_DEPTH);
			goto out_free;
		}
		if (store_read_layerdb_meta(st, chain + 7, NULL, NULL,
					    &tmp[nr]))
			goto out_free;
		memcpy(chain, tmp[nr].parent_chain, sizeof(chain));
		nr++;
	}
	/* Bottom first, plus the init layer on top. */
	c->layers = calloc(nr + 1, sizeof(*c->layers));
	if (!c->layers) {
		store_fail(st, dir, "%s", strerror(errno));
		goto out_free;
	}
	/* The chain owns the descriptors from here on. */
	for (i = 0; i < nr; i++)
		c->layers[i] = tmp[nr - 1 - i];
	init = &c->layers[nr];
	init->dirfd = -1;
	init->diff_fd = -1;
	snprintf(init->cache_id, sizeof(init->cache_id), "%s-init",
		 c->mount_id);
	memcpy(init->parent_chain, parent, sizeof(init->parent_chain));
	init->size = -1;
	init->init = true;
	c->nr = nr + 1;
	nr = 0;
	for (i = 0; i < c->nr; i++)
		if (store_link_layer(st, c->layers, i))
			goto out_free;

	/* The read-write layer: diff and work, its link, its lower file. */
	if (store_link_rw(st, c))
		goto out_free;
	ret = 0;
out_free:
	/* Layers read but not handed to the chain. */
	for (i = 0; i < nr; i++)
		store_layer_close(&tmp[i]);
	free(tmp);
	return ret;
}

static int docker_container_chain(struct store *st, const char *container_hex,
				  struct store_chain *c)
{
	char dir[DIR_SIZE], rel[REL_SIZE], init_id[SMALL_MAX + 1];
	char parent[STORE_ID_SIZE], want[STORE_CACHE_ID_SIZE], q[96];

	store_chain_init(c, STORE_CONTAINER);
	if (!store_valid_hex(container_hex))
		return store_fail(st, NULL, "'%.80s' is not a container ID",
				  container_hex);
	snprintf(c->id, sizeof(c->id), "%s", container_hex);
	snprintf(dir, sizeof(dir), MOUNTSDB "/%s", container_hex);
	if (store_check_dir(st, dir))
		return -1;
	snprintf(rel, sizeof(rel), "%s/mount-id", dir);
	if (store_read_hex(st, rel, c->mount_id))
		return -1;
	snprintf(rel, sizeof(rel), "%s/init-id", dir);
	if (store_read_small(st, rel, init_id, sizeof(init_id), true))
		return -1;
	snprintf(want, sizeof(want), "%s-init", c->mount_id);
	if (strcmp(init_id, want))
		return store_fail(st, rel, "is '%s', expected '%s' from mount-id",
				  store_quote(init_id, strlen(init_id), q,
					      sizeof(q)), want);
	snprintf(rel, sizeof(rel), "%s/parent", dir);
	if (store_read_id(st, rel, parent))
		return -1;
	if (store_container_layers(st, dir, parent, c)) {
		store_chain_free(c);
		return -1;
	}
	return 0;
}

/* 1 if @rel exists (as anything), 0 if not, -1 on other errors. */
static int store_exists(struct store *st, const char *rel)
{
	int fd = store_openat2(st->rootfd, rel, O_PATH);

	if (fd >= 0) {
		close(fd);
		return 1;
	}
	if (errno == ENOENT)
		return 0;
	return store_fail(st, rel, "%s", store_strerror(errno));
}

/*
 * Entries of @dir (IMAGEDB or MOUNTSDB) whose name starts with @prefix.
 * Names that are not 64 hex digits are no IDs and are skipped.
 */
static int store_find_prefix(struct store *st, const char *dir,
			     const char *prefix, char match[STORE_HEX_LEN + 1])
{
	size_t plen = strlen(prefix);
	struct dirent *de;
	int fd, count = 0;
	DIR *d;

	fd = store_openat2(st->rootfd, dir, O_RDONLY | O_DIRECTORY);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		return store_fail(st, dir, "%s", store_strerror(errno));
	}
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return store_fail(st, dir, "%s", strerror(errno));
	}
	while ((errno = 0, de = readdir(d))) {
		if (!store_valid_hex(de->d_name) ||
		    strncmp(de->d_name, prefix, plen))
			continue;
		if (!count++)
			memcpy(match, de->d_name, STORE_HEX_LEN + 1);
	}
	if (errno) {
		store_fail(st, dir, "%s", strerror(errno));
		count = -1;
	}
	closedir(d);
	return count;
}

/*
 * Docker's familiar form: "docker.io/library/x" and "library/x" are
 * "x", "docker.io/u/x" is "u/x"; a missing tag is ":latest".
 */
static int store_normalize_ref(const char *what, char *out, size_t size)
{
	static const char * const hosts[] = {
		"docker.io/", "index.docker.io/", "registry-1.docker.io/", NULL
	};
	const char *name = what, *slash;
	size_t i;
	int n;

	for (i = 0; hosts[i]; i++) {
		if (!strncmp(name, hosts[i], strlen(hosts[i]))) {
			name += strlen(hosts[i]);
			break;
		}
	}
	if (!strncmp(name, "library/", 8) && !strchr(name + 8, '/'))
		name += 8;
	slash = strrchr(name, '/');
	if (strchr(name, '@') || strchr(slash ? slash : name, ':'))
		n = snprintf(out, size, "%s", name);
	else
		n = snprintf(out, size, "%s:latest", name);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

/*
 * Look @ref up in repositories.json: 1 and the image ID's hex if found,
 * 0 if not. Every entry is type-checked, not only the one we look for.
 */
static int store_lookup_ref(struct store *st, const char *ref,
			    char hex[STORE_HEX_LEN + 1])
{
	struct json_object *root, *repos;
	int found = 0;

	root = store_read_json(st, REPOSITORIES);
	if (!root)
		return errno == ENOENT ? 0 : -1;
	repos = NULL;
	if (json_object_is_type(root, json_type_object))
		repos = store_json_get(root, "Repositories", json_type_object);
	if (!repos) {
		found = store_fail(st, REPOSITORIES,
				   "no \"Repositories\" object");
		goto out_put;
	}
	json_object_object_foreach(repos, repo, tags) {
		if (!json_object_is_type(tags, json_type_object)) {
			found = store_fail(st, REPOSITORIES,
					   "Repositories[\"%.80s\"] is not an object",
					   repo);
			goto out_put;
		}
		json_object_object_foreach(tags, key, val) {
			const char *id = json_object_get_string(val);

			if (!json_object_is_type(val, json_type_string) ||
			    !store_valid_id(id)) {
				found = store_fail(st, REPOSITORIES,
						   "\"%.80s\" is not mapped to a sha256 ID",
						   key);
				goto out_put;
			}
			if (!found && !strcmp(key, ref)) {
				memcpy(hex, id + 7, STORE_HEX_LEN + 1);
				found = 1;
			}
		}
	}
out_put:
	json_object_put(root);
	return found;
}

/*
 * IMAGE is name[:tag], name@digest, an image ID with or without
 * "sha256:", or a unique prefix of one; CONTAINER is a container ID or
 * a unique prefix of one (layerdb/mounts). References are tried before
 * prefixes, as docker does.
 */
static int store_id_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

/*
 * The IDs in @dir (IMAGEDB or MOUNTSDB): names of 64 hex digits, sorted;
 * anything else there is not an ID and is skipped. *@ids is malloc()ed.
 */
static int store_list_ids(struct store *st, const char *dir,
			  struct store_id **ids, size_t *nr)
{
	struct store_id *v = NULL, *tmp;
	size_t n = 0, cap = 0;
	struct dirent *de;
	int fd, ret = 0;
	DIR *d;

	*ids = NULL;
	*nr = 0;
	fd = store_openat2(st->rootfd, dir, O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return errno == ENOENT ? 0 :
			store_fail(st, dir, "%s", store_strerror(errno));
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return store_fail(st, dir, "%s", strerror(errno));
	}
	while ((errno = 0, de = readdir(d))) {
		if (!store_valid_hex(de->d_name))
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			tmp = reallocarray(v, cap, sizeof(*v));
			if (!tmp) {
				ret = store_fail(st, dir, "%s", strerror(errno));
				break;
			}
			v = tmp;
		}
		memcpy(v[n++].id, de->d_name, STORE_HEX_LEN + 1);
	}
	if (!ret && errno)
		ret = store_fail(st, dir, "%s", strerror(errno));
	closedir(d);
	if (ret) {
		free(v);
		return ret;
	}
	qsort(v, n, sizeof(*v), store_id_cmp);
	*ids = v;
	*nr = n;
	return 0;
}

/* A string member of @obj into @out ("" if absent or not a string). */
void store_json_str(struct json_object *obj, const char *key,
		    char *out, size_t size)
{
	struct json_object *v = store_json_get(obj, key, json_type_string);

	snprintf(out, size, "%s", v ? json_object_get_string(v) : "");
}

/* docker ps's words for a State object of config.v2.json. */
static void store_container_state(struct json_object *state, char *out,
				  size_t size)
{
	static const char * const flags[] = {
		"Restarting", "Paused", "Running", "Dead", NULL
	};
	struct json_object *v;
	char started[64];
	size_t i;

	for (i = 0; flags[i]; i++) {
		v = store_json_get(state, flags[i], json_type_boolean);
		if (v && json_object_get_boolean(v)) {
			snprintf(out, size, "%c%s", flags[i][0] - 'A' + 'a',
				 flags[i] + 1);
			return;
		}
	}
	store_json_str(state, "StartedAt", started, sizeof(started));
	if (!started[0] || !strncmp(started, "0001-01-01", 10)) {
		snprintf(out, size, "created");
		return;
	}
	v = store_json_get(state, "ExitCode", json_type_int);
	snprintf(out, size, "exited (%d)", v ? json_object_get_int(v) : 0);
}

/*
 * What dockerd says of container @hex in containers/<hex>/config.v2.json:
 * name, image, state. 1 if read, 0 if the file is not there (a store of
 * layers only, as mkstore's without --name), -1 with the file named.
 */
static int docker_container_meta(struct store *st, const char *hex,
				 struct store_container *m)
{
	struct json_object *cfg, *v;
	char rel[REL_SIZE];

	memset(m, 0, sizeof(*m));
	snprintf(m->id, sizeof(m->id), "%s", hex);
	snprintf(rel, sizeof(rel), CONTAINERS "/%s/config.v2.json", hex);
	cfg = store_read_json(st, rel);
	if (!cfg)
		return errno == ENOENT ? 0 : -1;
	if (!json_object_is_type(cfg, json_type_object)) {
		json_object_put(cfg);
		return store_fail(st, rel, "not a JSON object");
	}
	store_json_str(cfg, "Name", m->name, sizeof(m->name));
	if (m->name[0] == '/')
		memmove(m->name, m->name + 1, strlen(m->name));
	store_json_str(cfg, "Image", m->image, sizeof(m->image));
	store_json_str(cfg, "Created", m->created, sizeof(m->created));
	v = store_json_get(cfg, "Config", json_type_object);
	if (v)
		store_json_str(v, "Image", m->image_ref, sizeof(m->image_ref));
	v = store_json_get(cfg, "State", json_type_object);
	if (v)
		store_container_state(v, m->state, sizeof(m->state));
	json_object_put(cfg);
	return 1;
}

/*
 * The container of the layer store named @name (with or without docker's
 * leading '/'). Containers whose config cannot be read are passed over:
 * ps names the file. 1 and @hex, 0, -1.
 */
static int store_find_name(struct store *st, const char *name,
			   char hex[STORE_HEX_LEN + 1])
{
	struct store_id *ids;
	struct store_container m;
	size_t nr, i;
	int found = 0;

	if (name[0] == '/')
		name++;
	if (!name[0] || store_list_ids(st, MOUNTSDB, &ids, &nr))
		return name[0] ? -1 : 0;
	for (i = 0; i < nr && !found; i++) {
		if (docker_container_meta(st, ids[i].id, &m) > 0 &&
		    !strcmp(m.name, name)) {
			memcpy(hex, ids[i].id, STORE_HEX_LEN + 1);
			found = 1;
		}
	}
	free(ids);
	st->err[0] = '\0';
	return found;
}

static int docker_list_containers(struct store *st, struct store_id **ids,
				  size_t *nr)
{
	return store_list_ids(st, MOUNTSDB, ids, nr);
}

static int docker_list_images(struct store *st, struct store_id **ids,
			      size_t *nr)
{
	return store_list_ids(st, IMAGEDB, ids, nr);
}

/*
 * The name:tag and name@digest references of image @id ("sha256:...")
 * in repositories.json, ", "-separated into @out ("" for none).
 */
static int docker_image_refs(struct store *st, const char *id, char *out, size_t size)
{
	struct json_object *root, *repos;
	size_t o = 0;

	out[0] = '\0';
	root = store_read_json(st, REPOSITORIES);
	if (!root)
		return errno == ENOENT ? 0 : -1;
	repos = json_object_is_type(root, json_type_object) ?
		store_json_get(root, "Repositories", json_type_object) : NULL;
	if (!repos) {
		json_object_put(root);
		return store_fail(st, REPOSITORIES, "no \"Repositories\" object");
	}
	json_object_object_foreach(repos, repo, tags) {
		(void)repo;
		if (!json_object_is_type(tags, json_type_object))
			continue;
		json_object_object_foreach(tags, key, val) {
			if (!json_object_is_type(val, json_type_string) ||
			    strcmp(json_object_get_string(val), id) || o >= size)
				continue;
			o += snprintf(out + o, size - o, "%s%s", o ? ", " : "",
				      key);
		}
	}
	json_object_put(root);
	return 0;
}

/* "created" of image @hex's config ("" if it has none). */
static int docker_image_created(struct store *st, const char *hex, char *out,
				size_t size)
{
	struct json_object *cfg;
	char rel[REL_SIZE];

	out[0] = '\0';
	snprintf(rel, sizeof(rel), IMAGEDB "/%s", hex);
	cfg = store_read_json(st, rel);
	if (!cfg)
		return -1;
	if (json_object_is_type(cfg, json_type_object))
		store_json_str(cfg, "created", out, size);
	json_object_put(cfg);
	return 0;
}

static int docker_resolve(struct store *st, const char *what, struct store_chain *c)
{
	char rel[REL_SIZE], ref[256], img[STORE_HEX_LEN + 1];
	char ctr[STORE_HEX_LEN + 1];
	const char *hex = what;
	bool digest = false;
	int ni = 0, nc = 0, nn = 0, ret;

	store_chain_init(c, STORE_IMAGE);
	if (!strncmp(what, "sha256:", 7)) {
		hex = what + 7;
		digest = true;
	}
	if (store_valid_hex(hex)) {
		snprintf(rel, sizeof(rel), IMAGEDB "/%s", hex);
		ni = store_exists(st, rel);
		if (ni < 0)
			return -1;
		if (!digest) {
			snprintf(rel, sizeof(rel), MOUNTSDB "/%s", hex);
			nc = store_exists(st, rel);
			if (nc < 0)
				return -1;
		}
		memcpy(img, hex, sizeof(img));
		memcpy(ctr, hex, sizeof(ctr));
		goto found;
	}
	/* a container's name, as docker ps shows it */
	if (!digest) {
		nn = store_find_name(st, what, ctr);
		if (nn < 0)
			return -1;
	}
	if (!digest && !store_normalize_ref(what, ref, sizeof(ref))) {
		ret = store_lookup_ref(st, ref, img);
		if (ret < 0)
			return -1;
		if (ret && nn)
			return store_fail(st, NULL,
					  "'%.80s' is ambiguous in %s: the image %s and the container named so",
					  what, st->root, ref);
		if (ret) {
			ret = docker_image_chain(st, img, c);
			if (!ret)
				snprintf(c->ref, sizeof(c->ref), "%s", ref);
			return ret;
		}
	}
	if (nn)
		return docker_container_chain(st, ctr, c);
	if (hex[0] && strlen(hex) < STORE_HEX_LEN &&
	    store_is_hex(hex, strlen(hex))) {
		ni = store_find_prefix(st, IMAGEDB, hex, img);
		if (ni < 0)
			return -1;
		if (!digest) {
			nc = store_find_prefix(st, MOUNTSDB, hex, ctr);
			if (nc < 0)
				return -1;
		}
	}
found:
	if (ni + nc > 1)
		return store_fail(st, NULL,
				  "'%.80s' is ambiguous in %s: it matches %d image%s and %d container%s",
				  what, st->root, ni, ni == 1 ? "" : "s",
				  nc, nc == 1 ? "" : "s");
	if (ni)
		return docker_image_chain(st, img, c);
	if (nc)
		return docker_container_chain(st, ctr, c);
	errno = ENOENT;
	return store_fail(st, NULL, "no such image or container in %s: '%.80s'",
			  st->root, what);
}

static int store_layer_cmp(const void *a, const void *b)
{
	const struct store_layer *x = a, *y = b;

	return strcmp(x->chain_id, y->chain_id);
}

/* Every layer of layerdb/sha256, then every container's init layer. */
static int store_list_layerdb(struct store *st, struct store_layer **out,
			      size_t *nr, size_t *cap)
{
	struct store_layer *l;
	struct dirent *de;
	int fd, ret = 0;
	DIR *d;

	fd = store_openat2(st->rootfd, LAYERDB, O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return errno == ENOENT ? 0 :
			store_fail(st, LAYERDB, "%s", store_strerror(errno));
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return store_fail(st, LAYERDB, "%s", strerror(errno));
	}
	while ((errno = 0, de = readdir(d))) {
		if (!store_valid_hex(de->d_name))
			continue;
		if (*nr == *cap) {
			*cap = *cap ? 2 * *cap : 64;
			l = reallocarray(*out, *cap, sizeof(**out));
			if (!l) {
				ret = store_fail(st, LAYERDB, "%s",
						 strerror(errno));
				break;
			}
			*out = l;
		}
		ret = store_read_layerdb(st, de->d_name, NULL, NULL,
					 &(*out)[*nr]);
		if (ret)
			break;
		/* A listing is verified, not used: nothing stays open. */
		store_layer_close(&(*out)[(*nr)++]);
	}
	if (!ret && errno)
		ret = store_fail(st, LAYERDB, "%s", strerror(errno));
	closedir(d);
	return ret;
}

static int store_list_inits(struct store *st, struct store_layer **out,
			    size_t *nr, size_t *cap)
{
	struct store_chain c;
	struct store_layer *l;
	struct dirent *de;
	int fd, ret = 0;
	DIR *d;

	fd = store_openat2(st->rootfd, MOUNTSDB, O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return errno == ENOENT ? 0 :
			store_fail(st, MOUNTSDB, "%s", store_strerror(errno));
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return store_fail(st, MOUNTSDB, "%s", strerror(errno));
	}
	while ((errno = 0, de = readdir(d))) {
		if (!store_valid_hex(de->d_name))
			continue;
		ret = docker_container_chain(st, de->d_name, &c);
		if (ret)
			break;
		if (*nr == *cap) {
			*cap = *cap ? 2 * *cap : 64;
			l = reallocarray(*out, *cap, sizeof(**out));
			if (!l) {
				store_chain_free(&c);
				ret = store_fail(st, MOUNTSDB, "%s",
						 strerror(errno));
				break;
			}
			*out = l;
		}
		store_layer_close(&c.layers[c.nr - 1]);
		(*out)[(*nr)++] = c.layers[c.nr - 1];
		store_chain_free(&c);
	}
	if (!ret && errno)
		ret = store_fail(st, MOUNTSDB, "%s", strerror(errno));
	closedir(d);
	return ret;
}

/* Depth of each layerdb entry (sorted by chain ID) from its parents. */
static int store_list_depths(struct store *st, struct store_layer *l,
			     size_t nr)
{
	struct store_layer key, *p;
	char rel[REL_SIZE];
	size_t i;

	for (i = 0; i < nr; i++) {
		p = &l[i];
		for (l[i].depth = 1; p->parent_chain[0]; l[i].depth++) {
			if (l[i].depth == STORE_MAX_DEPTH) {
				snprintf(rel, sizeof(rel), LAYERDB "/%s",
					 l[i].chain_id + 7);
				return store_fail(st, rel,
						  "chain deeper than %d layers",
						  STORE_MAX_DEPTH);
			}
			memcpy(key.chain_id, p->parent_chain,
			       sizeof(key.chain_id));
			p = bsearch(&key, l, nr, sizeof(*l), store_layer_cmp);
		}
	}
	return 0;
}

/* Listing order of every kind: bottom layers first, then by name. */
int store_depth_cmp(const void *a, const void *b)
{
	const struct store_layer *x = a, *y = b;

	if (x->depth != y->depth)
		return x->depth < y->depth ? -1 : 1;
	return strcmp(x->name, y->name);
}

/*
 * All layers the store would register: layerdb/sha256 and the init
 * layers of layerdb/mounts, each verified, with parent names filled in.
 */
static int docker_list_layers(struct store *st, struct store_layer **layers,
			      size_t *nr)
{
	struct store_layer *out = NULL, key, *p;
	size_t n = 0, cap = 0, i, ndb;
	char rel[REL_SIZE];

	if (store_list_layerdb(st, &out, &n, &cap))
		goto out_free;
	ndb = n;
	qsort(out, ndb, sizeof(*out), store_layer_cmp);
	for (i = 0; i < ndb; i++) {
		if (!out[i].parent_chain[0])
			continue;
		memcpy(key.chain_id, out[i].parent_chain, sizeof(key.chain_id));
		p = bsearch(&key, out, ndb, sizeof(*out), store_layer_cmp);
		if (!p) {
			snprintf(rel, sizeof(rel), LAYERDB "/%s/parent",
				 out[i].chain_id + 7);
			store_fail(st, rel, "%s is not in the layer database",
				   out[i].parent_chain);
			goto out_free;
		}
		memcpy(out[i].parent, p->name, sizeof(out[i].parent));
	}
	if (store_list_depths(st, out, ndb) ||
	    store_list_inits(st, &out, &n, &cap))
		goto out_free;
	qsort(out, n, sizeof(*out), store_depth_cmp);
	*layers = out;
	*nr = n;
	return 0;

out_free:
	free(out);
	return -1;
}

/* sha256 of what @fd reads to its end: 0, or -1 with errno. */
int store_fd_sha256(int fd, char out[STORE_HEX_LEN + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE], buf[65536];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx;
	ssize_t n;
	int ret = -1;

	ctx = EVP_MD_CTX_new();
	if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) {
		errno = ENOMEM;
		goto out_free;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (!EVP_DigestUpdate(ctx, buf, n))
			goto out_free;
	if (n < 0)
		goto out_free;
	if (!EVP_DigestFinal_ex(ctx, md, &mdlen) || mdlen * 2 != STORE_HEX_LEN) {
		errno = EINVAL;
		goto out_free;
	}
	store_hex_digest(md, out);
	ret = 0;
out_free:
	EVP_MD_CTX_free(ctx);
	return ret;
}

/*
 * sha256 of the regular file @rel inside layer @l's diff directory, for
 * `layerctl explain --all`: beneath overlay2/<cache-id>/diff, through no
 * symbolic link and no mount, read-only.
 */
int store_ovl_layer_file_sha256(struct store *st, const struct store_layer *l,
				const char *rel, char out[STORE_HEX_LEN + 1])
{
	char path[REL_SIZE];
	struct stat stbuf;
	int fd, ret = -1;

	if (snprintf(path, sizeof(path), "%s/diff/%s", l->cache_id, rel) >=
	    (int)sizeof(path))
		return store_fail(st, NULL, "%s/%s/diff/%s: path too long",
				  st->drv, l->cache_id, rel);
	if (st->o2fd < 0) {
		st->o2fd = store_open_dir(st, st->drv, true);
		if (st->o2fd < 0)
			return -1;
	}
	fd = store_openat2_layer(st->o2fd, path, O_RDONLY | O_NOCTTY |
				 O_NONBLOCK);
	if (fd < 0)
		return store_fail(st, NULL, "%s/%s: %s", st->drv, path,
				  store_strerror(errno));
	if (fstat(fd, &stbuf) || !S_ISREG(stbuf.st_mode))
		store_fail(st, NULL, "%s/%s: not a regular file", st->drv,
			   path);
	else if (store_fd_sha256(fd, out))
		store_fail(st, NULL, "%s/%s: %s", st->drv, path,
			   strerror(errno));
	else
		ret = 0;
	close(fd);
	return ret;
}

/* history[] entry @nth of those that made a layer (no "empty_layer"). */
const char *store_history_of(struct json_object *cfg, size_t nth)
{
	struct json_object *hist, *h, *v;
	size_t i, n;

	hist = store_json_get(cfg, "history", json_type_array);
	if (!hist)
		return NULL;
	n = json_object_array_length(hist);
	for (i = 0; i < n; i++) {
		h = json_object_array_get_idx(hist, i);
		if (!json_object_is_type(h, json_type_object))
			return NULL;
		v = store_json_get(h, "empty_layer", json_type_boolean);
		if (v && json_object_get_boolean(v))
			continue;
		if (nth--)
			continue;
		v = store_json_get(h, "created_by", json_type_string);
		return v ? json_object_get_string(v) : NULL;
	}
	return NULL;
}

/*
 * What made the layer with chain ID @chain_id: the "created_by" of its
 * history entry in the config of an image that has it (history entries
 * with "empty_layer" made none). 1 and @out set, 0 when no image says,
 * -1 on an unreadable image database.
 */
static int docker_layer_created_by(struct store *st, const char *chain_id,
				   char *out, size_t size)
{
	char rel[REL_SIZE], chain[STORE_ID_SIZE], parent[STORE_ID_SIZE];
	struct json_object *cfg, *ids;
	struct dirent *de;
	const char *by;
	int fd, found = 0;
	size_t i, n;
	DIR *d;

	fd = store_openat2(st->rootfd, IMAGEDB, O_RDONLY | O_DIRECTORY);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		return store_fail(st, IMAGEDB, "%s", store_strerror(errno));
	}
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return store_fail(st, IMAGEDB, "%s", strerror(errno));
	}
	while (!found && (de = readdir(d))) {
		if (!store_valid_hex(de->d_name))
			continue;
		snprintf(rel, sizeof(rel), IMAGEDB "/%s", de->d_name);
		cfg = store_read_json(st, rel);
		if (!cfg)
			continue;	/* not ours to judge here: inspect does */
		ids = store_config_diff_ids(st, rel, cfg);
		n = ids ? json_object_array_length(ids) : 0;
		chain[0] = '\0';
		for (i = 0; i < n && !found; i++) {
			struct json_object *id = json_object_array_get_idx(ids, i);

			memcpy(parent, chain, sizeof(parent));
			store_chain_id(parent, json_object_get_string(id), chain);
			if (strcmp(chain, chain_id))
				continue;
			by = store_history_of(cfg, i);
			if (by) {
				snprintf(out, size, "%s", by);
				found = 1;
			}
			break;
		}
		json_object_put(cfg);
	}
	closedir(d);
	st->err[0] = '\0';
	return found;
}

const struct store_ops docker_store_ops = {
	.type			= STORE_DOCKER,
	.name			= "docker",
	.resolve		= docker_resolve,
	.image_chain		= docker_image_chain,
	.container_chain	= docker_container_chain,
	.list_layers		= docker_list_layers,
	.list_images		= docker_list_images,
	.list_containers	= docker_list_containers,
	.image_refs		= docker_image_refs,
	.image_created		= docker_image_created,
	.container_meta		= docker_container_meta,
	.layer_path		= store_ovl_layer_path,
	.upper_path		= store_ovl_upper_path,
	.work_path		= store_ovl_work_path,
	.layer_stat		= store_ovl_layer_stat,
	.layer_file_sha256	= store_ovl_layer_file_sha256,
	.layer_created_by	= docker_layer_created_by,
};

/* The kinds --store names, in the order auto-detection tries them. */
static const struct store_ops *const store_kinds[] = {
	&docker_store_ops, &ctrd_store_ops, &cs_store_ops,
};

/* 1 if @rel beneath the root is a directory (@dir) or a regular file. */
static bool store_has(struct store *st, const char *rel, bool dir)
{
	struct stat sb;
	int fd;

	fd = store_openat2(st->rootfd, rel, O_PATH);
	if (fd < 0)
		return false;
	if (fstat(fd, &sb))
		sb.st_mode = 0;
	close(fd);
	return dir ? S_ISDIR(sb.st_mode) : S_ISREG(sb.st_mode);
}

/*
 * The kind of store at the root, from what it holds: Docker's layerdb or
 * overlay2/, containerd's metadata database, containers/storage's layer
 * list (or its overlay/ and overlay-layers/ directories).
 */
static const struct store_ops *store_detect(struct store *st)
{
	if (store_has(st, "image/overlay2/layerdb", true) ||
	    store_has(st, "overlay2", true))
		return &docker_store_ops;
	if (store_has(st, "io.containerd.metadata.v1.bolt/meta.db", false))
		return &ctrd_store_ops;
	if (store_has(st, "overlay-layers/layers.json", false) ||
	    (store_has(st, "overlay", true) &&
	     store_has(st, "overlay-layers", true)))
		return &cs_store_ops;
	snprintf(st->err, sizeof(st->err),
		 "%s: no store of a known kind: no %s (docker), %s (containerd) or %s (containers); --store KIND names it",
		 st->root, "image/overlay2/layerdb/ or overlay2/",
		 "io.containerd.metadata.v1.bolt/meta.db",
		 "overlay-layers/layers.json");
	errno = ENOENT;
	return NULL;
}

static const struct store_ops *store_kind(struct store *st, const char *kind)
{
	size_t i;

	if (!kind || !strcmp(kind, "auto"))
		return store_detect(st);
	for (i = 0; i < ARRAY_SIZE(store_kinds); i++)
		if (!strcmp(kind, store_kinds[i]->name))
			return store_kinds[i];
	snprintf(st->err, sizeof(st->err),
		 "unknown kind of store '%.80s' (docker, containerd, containers or auto)",
		 kind);
	errno = EINVAL;
	return NULL;
}

int store_open(struct store *st, const char *root, const char *kind,
	       const char *ns)
{
	size_t len = strlen(root);

	memset(st, 0, sizeof(*st));
	st->rootfd = -1;
	st->ldirfd = -1;
	st->o2fd = -1;
	st->drv = "overlay2";
	if (!ns)
		ns = "default";
	if (!ns[0] || strlen(ns) >= sizeof(st->ns) || strchr(ns, '/')) {
		snprintf(st->err, sizeof(st->err),
			 "'%.80s' is not a containerd namespace (1 to %zu characters, no '/')",
			 ns, sizeof(st->ns) - 1);
		return -1;
	}
	memcpy(st->ns, ns, strlen(ns) + 1);
	st->root = strdup(root);
	if (!st->root) {
		snprintf(st->err, sizeof(st->err), "%s", strerror(errno));
		return -1;
	}
	/* "/var/lib/docker/" prints as "/var/lib/docker" in messages. */
	while (len > 1 && st->root[len - 1] == '/')
		st->root[--len] = '\0';
	st->rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (st->rootfd < 0) {
		snprintf(st->err, sizeof(st->err), "%s: %s", st->root,
			 strerror(errno));
		goto out_close;
	}
	st->ops = store_kind(st, kind);
	if (!st->ops || (st->ops->open && st->ops->open(st)))
		goto out_close;
	return 0;

out_close:
	st->ops = NULL;
	store_close(st);
	return -1;
}

const char *store_kind_name(const struct store *st)
{
	return st->ops ? st->ops->name : "none";
}

void store_close(struct store *st)
{
	if (st->ops && st->ops->close)
		st->ops->close(st);
	st->ops = NULL;
	st->priv = NULL;
	if (st->ldirfd >= 0)
		close(st->ldirfd);
	if (st->o2fd >= 0)
		close(st->o2fd);
	if (st->rootfd >= 0)
		close(st->rootfd);
	free(st->root);
	st->root = NULL;
	st->rootfd = -1;
	st->ldirfd = -1;
	st->o2fd = -1;
}

/*
 * The store_*() functions of store.h: the open store's kind does it.
 * Only on a store that store_open() opened.
 */
int store_resolve(struct store *st, const char *what, struct store_chain *c)
{
	return st->ops->resolve(st, what, c);
}

int store_image_chain(struct store *st, const char *image_id,
		      struct store_chain *c)
{
	return st->ops->image_chain(st, image_id, c);
}

int store_container_chain(struct store *st, const char *container_id,
			  struct store_chain *c)
{
	return st->ops->container_chain(st, container_id, c);
}

int store_list_layers(struct store *st, struct store_layer **layers,
		      size_t *nr)
{
	return st->ops->list_layers(st, layers, nr);
}

int store_list_images(struct store *st, struct store_id **ids, size_t *nr)
{
	return st->ops->list_images(st, ids, nr);
}

int store_list_containers(struct store *st, struct store_id **ids,
			  size_t *nr)
{
	return st->ops->list_containers(st, ids, nr);
}

int store_image_refs(struct store *st, const char *id, char *out, size_t size)
{
	return st->ops->image_refs(st, id, out, size);
}

int store_image_created(struct store *st, const char *id, char *out,
			size_t size)
{
	return st->ops->image_created(st, id, out, size);
}

int store_container_meta(struct store *st, const char *id,
			 struct store_container *m)
{
	return st->ops->container_meta(st, id, m);
}

int store_layer_path(const struct store *st, const struct store_layer *l,
		     char *buf, size_t size)
{
	return st->ops->layer_path(st, l, buf, size);
}

int store_upper_path(const struct store *st, const struct store_chain *c,
		     char *buf, size_t size)
{
	return st->ops->upper_path(st, c, buf, size);
}

int store_work_path(const struct store *st, const struct store_chain *c,
		    char *buf, size_t size)
{
	return st->ops->work_path(st, c, buf, size);
}

int store_layer_stat(struct store *st, const struct store_layer *l,
		     struct stat *out)
{
	return st->ops->layer_stat(st, l, out);
}

int store_layer_file_sha256(struct store *st, const struct store_layer *l,
			    const char *rel, char out[STORE_HEX_LEN + 1])
{
	return st->ops->layer_file_sha256(st, l, rel, out);
}

/* 1 and @out, 0 when the store does not say what made the layer. */
int store_layer_created_by(struct store *st, const char *chain_id,
			   char *out, size_t size)
{
	if (!st->ops->layer_created_by)
		return 0;
	return st->ops->layer_created_by(st, chain_id, out, size);
}
