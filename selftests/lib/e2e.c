// SPDX-License-Identifier: GPL-2.0
/* Helpers of the end-to-end tests against real tools: see e2e.h. */

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "e2e.h"

char lu_out[LU_OUT_SIZE];

int lu_run_cmd(const char *cmd)
{
	char full[8400], path[] = "/tmp/lu-e2e-out.XXXXXX";
	ssize_t n;
	int fd, status;

	fd = mkstemp(path);
	if (fd < 0)
		return -1;
	snprintf(full, sizeof(full), "exec >%s 2>&1 </dev/null; %s", path, cmd);
	status = system(full);
	n = read(fd, lu_out, LU_OUT_SIZE - 1);
	lu_out[n < 0 ? 0 : n] = '\0';
	close(fd);
	unlink(path);
	if (status == -1 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

char *lu_chomp(void)
{
	size_t n = strlen(lu_out);

	while (n && lu_out[n - 1] == '\n')
		lu_out[--n] = '\0';
	return lu_out;
}

const char *lu_jstr(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v))
		return NULL;
	return json_object_get_string(v);
}

const char *lu_layerctl(void)
{
	const char *l = getenv("LAYERCTL");

	return l ? l : "helper/layerctl";
}

const char *lu_layerctl_cmd(void)
{
	static char cmd[2 * PATH_MAX + 16];
	const char *ko = getenv("LAYERFS_KO");

	if (ko && *ko)
		snprintf(cmd, sizeof(cmd), "%s --module %s", lu_layerctl(), ko);
	else
		snprintf(cmd, sizeof(cmd), "%s", lu_layerctl());
	return cmd;
}

int lu_many_layers_archive(const char *dir, int n, const char *tag,
			   const char *tar)
{
	const char *mkstore = getenv("MKSTORE");

	if (!mkstore)
		return -1;
	return RUN("cd %s && python3 - <<'EOF'\n"
		   "import io, tarfile\n"
		   "def add(t, name, data=None):\n"
		   "    ti = tarfile.TarInfo(name)\n"
		   "    ti.mtime = 1700000000\n"
		   "    if data is None:\n"
		   "        ti.type, ti.mode = tarfile.DIRTYPE, 0o755\n"
		   "        t.addfile(ti)\n"
		   "    else:\n"
		   "        ti.size, ti.mode = len(data), 0o644\n"
		   "        t.addfile(ti, io.BytesIO(data))\n"
		   "for i in range(%d):\n"
		   "    with tarfile.open('l%%03d.tar' %% i, 'w') as t:\n"
		   "        add(t, 'd')\n"
		   "        add(t, 'd/f%%03d' %% i, b'layer %%d\\n' %% i)\n"
		   "        if i %% 10 == 9:\n"
		   "            add(t, 'd/.wh.f%%03d' %% (i - 1), b'')\n"
		   "EOF\n"
		   "%s --docker-save %s --tag %s l[0-9][0-9][0-9].tar && "
		   "rm l[0-9][0-9][0-9].tar", dir, n, mkstore, tar, tag);
}

const char lu_changes[] =
	"echo new > new.txt && "			/* a new file */
	"echo edited >> etc/os-release && "		/* modify a lower file */
	"rm usr/share/demo/keep && "			/* delete a lower file */
	"rm -r opt/old && mkdir opt/old && "		/* mkdir over a deleted dir */
	"echo fresh > opt/old/fresh && "
	"ln usr/local/bin/hello usr/local/bin/hello-3";	/* link a lower file */

int lu_run_sorted(const char *cmd, char *buf, size_t len)
{
	char sorted[8192];
	size_t n;

	if (snprintf(sorted, sizeof(sorted), "%s | LC_ALL=C sort", cmd) >=
	    (int)sizeof(sorted) || lu_run_cmd(sorted))
		return -1;
	n = strnlen(lu_out, len - 1);
	memcpy(buf, lu_out, n);
	buf[n] = '\0';
	return 0;
}

char *lu_store_listing(const char *root, const char *skip)
{
	if (RUN("cd %s && find . %s -printf '%%y %%m %%U:%%G %%s %%T@ %%p\\n' | "
		"LC_ALL=C sort && find . %s -type f -print0 | LC_ALL=C sort -z | "
		"xargs -0r sha256sum", root, skip, skip))
		return NULL;
	return strdup(lu_out);
}
