/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the end-to-end tests against real tools (selftests/docker,
 * selftests/stores): run a command and keep its output, read its JSON,
 * call layerctl as the tests do, compare two mounted trees.
 *
 * Commands run through system() with stdout and stderr in lu_out (the
 * last command's, up to LU_OUT_SIZE - 1 bytes).
 */
#ifndef LAYERFS_SELFTESTS_E2E_H
#define LAYERFS_SELFTESTS_E2E_H

#include <stdlib.h>
#include <stdio.h>
#include <sys/types.h>
#include <json-c/json.h>

#define LU_OUT_SIZE	(1 << 20)

extern char lu_out[LU_OUT_SIZE];

/* Run a shell command; its exit status (or -1), stdout+stderr in lu_out. */
int lu_run_cmd(const char *cmd);

#define RUN(fmt, ...) ({						\
	char __cmd[8192];						\
									\
	if (snprintf(__cmd, sizeof(__cmd), fmt, ##__VA_ARGS__) >=	\
	    (int)sizeof(__cmd))						\
		abort();						\
	lu_run_cmd(__cmd);						\
})

/* The output of a command that must succeed, as JSON (NULL if not). */
#define RUN_JSON(fmt, ...) \
	(RUN(fmt, ##__VA_ARGS__) ? NULL : json_tokener_parse(lu_out))

/* snprintf() into the array @buf, which must be large enough. */
#define P(buf, fmt, ...) ({						\
	char *__buf = (buf);						\
									\
	if (snprintf(__buf, sizeof(buf), fmt, ##__VA_ARGS__) >=	\
	    (int)sizeof(buf))						\
		abort();						\
	__buf;								\
})

/* lu_out without its trailing newlines. */
char *lu_chomp(void);

/* The string member @key of @o, or NULL. */
const char *lu_jstr(struct json_object *o, const char *key);

/* $LAYERCTL, else helper/layerctl. */
const char *lu_layerctl(void);

/*
 * layerctl as the tests run it: with --module $LAYERFS_KO when that is
 * set (layerctl itself ignores the variable).
 */
const char *lu_layerctl_cmd(void);

/*
 * The changes the end-to-end tests make in a mounted container root of
 * the demo image (mkstore --demo), as one shell command run there: a new
 * file, an edited and a deleted lower file, a mkdir over a removed lower
 * directory, a hard link to a lower file.
 */
extern const char lu_changes[];

/*
 * Run @cmd (its stderr not captured unless it says so) and keep its
 * output sorted (LC_ALL=C) in @buf of @len bytes: 0, or -1 if it failed.
 */
int lu_run_sorted(const char *cmd, char *buf, size_t len);

/*
 * What a test checks layerctl did not change in the store at @root: every
 * file and directory with type, mode, owner, size and mtime, then every
 * file's sha256, sorted; @skip is a find(1) expression ending in -o that
 * prunes what may change ("" for nothing). Allocated; NULL on failure.
 */
char *lu_store_listing(const char *root, const char *skip);

/*
 * A `docker save` archive @tar (mkstore --docker-save, $MKSTORE) of an
 * image @tag ("name:tag") of @n layers, made in @dir: layer i adds d/fNNN
 * ("layer i\n"), every tenth also whites out the file of the one below.
 * The command's status (-1 without $MKSTORE), its output in lu_out.
 */
int lu_many_layers_archive(const char *dir, int n, const char *tag,
			   const char *tar);

/*
 * This part needs kselftest_harness.h and union.h, included before this
 * header.
 */
#ifdef TH_LOG
/*
 * Compare the mounted tree @a with @want, walked before (lu_tree_diff()
 * with LU_CMP_NLINK: type, mode, owner, size, content hash, symlink
 * target, xattrs, link count); logs the first difference and frees
 * @want. The number of entries, or -1.
 */
static inline ssize_t lu_same_as_tree(struct __test_metadata *_metadata,
				      const char *a, struct lu_tree *want)
{
	char why[2 * LU_PATH_MAX + 512];
	struct lu_tree ta = { 0 };
	ssize_t n = -1;

	if (lu_tree_walk(a, &ta))
		TH_LOG("%s: %s", a, ta.error);
	else if (lu_tree_diff(&ta, want, LU_CMP_NLINK, why, sizeof(why)))
		TH_LOG("layerfs and overlayfs differ: %s", why);
	else
		n = ta.n;
	lu_tree_free(&ta);
	lu_tree_free(want);
	return n;
}

/* The same for two mounted trees @a and @b. */
static inline ssize_t lu_same_tree(struct __test_metadata *_metadata,
				   const char *a, const char *b)
{
	struct lu_tree tb = { 0 };

	if (lu_tree_walk(b, &tb)) {
		TH_LOG("%s: %s", b, tb.error);
		lu_tree_free(&tb);
		return -1;
	}
	return lu_same_as_tree(_metadata, a, &tb);
}
#endif

#endif /* LAYERFS_SELFTESTS_E2E_H */
