// SPDX-License-Identifier: GPL-2.0
/*
 * The C side of bbolt_go_test.sh: a bbolt database as the reader in
 * ../bbolt.c sees it, in the format of "bbolt_go dump":
 *
 *   txid=N
 *   /KEYHEX/KEYHEX bucket seq=N
 *   /KEYHEX/KEYHEX value len=N sha=SHA256HEX
 *
 * every element in key order, each looked up again by its key.
 *
 * usage: bbolt_dump FILE
 *        bbolt_dump --live SECONDS FILE
 * --live opens FILE again and again while bbolt_go writes it, and wants
 * v1/inv/a, v1/inv/b and v1/inv/sub/c equal in every snapshot.
 */

#define _GNU_SOURCE
#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/evp.h>
#include "../bbolt.h"

#define PATH_LEN	4096

struct dump {
	const struct bbolt_bucket *b;
	char path[PATH_LEN];
	bool print;
	unsigned long elems;
};

static void hex(char *out, size_t size, const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n && 2 * i + 2 < size; i++)
		snprintf(out + 2 * i, 3, "%02x", p[i]);
	out[2 * i] = '\0';
}

static void print_value(const char *path, const struct bbolt_elem *e)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	char sum[2 * EVP_MAX_MD_SIZE + 1];
	unsigned int n;

	if (!EVP_Digest(e->val, e->vlen, md, &n, EVP_sha256(), NULL))
		errx(1, "sha256 failed");
	hex(sum, sizeof(sum), md, n);
	printf("%s value len=%zu sha=%s\n", path, e->vlen, sum);
}

/* A value, or a bucket and all below it; both looked up again. */
static int dump_cb(struct bbolt *db, const struct bbolt_elem *e, void *arg)
{
	struct bbolt_bucket child, again;
	struct dump *d = arg, sub = { 0 };
	const unsigned char *v;
	char key[PATH_LEN / 2];
	size_t n;

	d->elems++;
	hex(key, sizeof(key), e->key, e->klen);
	if (snprintf(sub.path, sizeof(sub.path), "%s/%s", d->path, key) >=
	    (int)sizeof(sub.path))
		errx(1, "%s: %s/%s: too deep", db->path, d->path, key);
	if (!e->bucket) {
		if (bbolt_get(db, d->b, e->key, e->klen, &v, &n) ||
		    v != e->val || n != e->vlen)
			errx(1, "%s: lookup of %s: %s", db->path, sub.path,
			     db->err);
		if (d->print)
			print_value(sub.path, e);
		return 0;
	}
	if (bbolt_elem_bucket(db, e, &child) ||
	    bbolt_bucket_get(db, d->b, e->key, e->klen, &again) ||
	    again.root != child.root || again.inl != child.inl)
		errx(1, "%s: bucket %s: %s", db->path, sub.path, db->err);
	if (d->print)
		printf("%s bucket seq=%llu\n", sub.path,
		       (unsigned long long)child.sequence);
	sub.b = &child;
	sub.print = d->print;
	if (bbolt_foreach(db, &child, dump_cb, &sub))
		errx(1, "%s", db->err);
	d->elems += sub.elems;
	return 0;
}

static unsigned long dump_all(struct bbolt *db, bool print)
{
	struct bbolt_bucket root;
	struct dump d = { .b = &root, .print = print };

	bbolt_bucket_root(db, &root);
	if (bbolt_foreach(db, &root, dump_cb, &d))
		errx(1, "%s", db->err);
	return d.elems;
}

/* v1/inv/a, v1/inv/b and v1/inv/sub/c: 8 bytes, the same. */
static void check_inv(struct bbolt *db)
{
	static const char * const path[] = { "v1", "inv", "sub" };
	const unsigned char *v[3];
	struct bbolt_bucket b[4];
	size_t n[3];
	int i;

	bbolt_bucket_root(db, &b[0]);
	for (i = 0; i < 3; i++)
		if (bbolt_bucket_get(db, &b[i], path[i], strlen(path[i]),
				     &b[i + 1]))
			errx(1, "%s", db->err);
	if (bbolt_get(db, &b[2], "a", 1, &v[0], &n[0]) ||
	    bbolt_get(db, &b[2], "b", 1, &v[1], &n[1]) ||
	    bbolt_get(db, &b[3], "c", 1, &v[2], &n[2]))
		errx(1, "%s", db->err);
	if (n[0] != 8 || n[1] != 8 || n[2] != 8 || memcmp(v[0], v[1], 8) ||
	    memcmp(v[0], v[2], 8))
		errx(1, "%s: txid %llu: inv/a, inv/b and inv/sub/c differ",
		     db->path, (unsigned long long)db->txid);
}

static int live(const char *path, long secs)
{
	unsigned long ok = 0, reads = 0, again = 0;
	time_t end = time(NULL) + secs;
	struct bbolt db;

	while (time(NULL) < end) {
		if (bbolt_open(&db, path)) {
			if (errno != EAGAIN)
				errx(1, "%s", db.err);
			again++;
			continue;
		}
		reads += db.reads;
		check_inv(&db);
		dump_all(&db, false);
		ok++;
		bbolt_close(&db);
	}
	printf("%lu consistent snapshots in %lu reads, %lu EAGAIN\n", ok,
	       reads, again);
	return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
	struct bbolt db;

	if (argc == 4 && !strcmp(argv[1], "--live"))
		return live(argv[3], strtol(argv[2], NULL, 10));
	if (argc != 2) {
		fprintf(stderr, "usage: %s [--live SECONDS] FILE\n", argv[0]);
		return 1;
	}
	if (bbolt_open(&db, argv[1]))
		errx(1, "%s", db.err);
	printf("txid=%llu\n", (unsigned long long)db.txid);
	dump_all(&db, true);
	bbolt_close(&db);
	return 0;
}
