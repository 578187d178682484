/* SPDX-License-Identifier: GPL-2.0-or-later */
/* smb_client: one mounted share. Picks the dialect table after negotiate (only SMB2/3 exists so far). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto_i.h"
#include "smbfuse/smb2.h"

int proto_wire_path(const struct smb_client *cl, const char *path, char **out)
{
	*out = NULL;
	if (strchr(path, '\\'))
		return -EINVAL;
	while (*path == '/')
		path++;
	size_t pl = strlen(cl->prefix), l = strlen(path);
	char *s = malloc(pl + 1 + l + 1);
	if (!s)
		return -ENOMEM;
	size_t o = 0;
	memcpy(s, cl->prefix, pl);
	o = pl;
	if (pl && l)
		s[o++] = '\\';
	for (size_t i = 0; i < l; i++)
		s[o++] = path[i] == '/' ? '\\' : path[i];
	/* A trailing separator would name the same object and confuse the server's name checks. */
	while (o > 0 && s[o - 1] == '\\')
		o--;
	s[o] = '\0';
	*out = s;
	return 0;
}

static char *subdir_prefix(const char *subdir)
{
	if (!subdir)
		return strdup("");
	while (*subdir == '/' || *subdir == '\\')
		subdir++;
	char *p = strdup(subdir);
	if (!p)
		return NULL;
	size_t o = 0;
	for (size_t i = 0; p[i]; i++) {
		char ch = p[i] == '/' ? '\\' : p[i];
		if (ch == '\\' && (o == 0 || p[o - 1] == '\\'))
			continue; /* collapse "a//b" */
		p[o++] = ch;
	}
	while (o > 0 && p[o - 1] == '\\')
		o--;
	p[o] = '\0';
	return p;
}

int smb_client_new(const struct smb_client_cfg *cfg, struct smb_client **out, char *errbuf, size_t errlen)
{
	*out = NULL;
	struct smb_client *cl = calloc(1, sizeof(*cl));
	if (!cl)
		return -ENOMEM;
	cl->ops = &smb2_ops;
	cl->prefix = subdir_prefix(cfg->subdir);
	if (!cl->prefix) {
		free(cl);
		return -ENOMEM;
	}
	struct sess_cfg sc = {
		.host = cfg->host,
		.port = cfg->port,
		.share = cfg->share,
		.user = cfg->user,
		.password = cfg->password,
		.domain = cfg->domain,
		.workstation = cfg->workstation,
		.guest = cfg->guest,
		.sign = cfg->sign,
		.min_dialect = cfg->min_dialect,
		.max_dialect = cfg->max_dialect,
		.connect_timeout_ms = cfg->connect_timeout_ms,
		.request_timeout_ms = cfg->request_timeout_ms,
		.echo_interval_ms = cfg->echo_interval_ms,
		.hard = cfg->hard,
		.seal = cfg->seal,
		.addr = cfg->addr,
		.rsize = cfg->rsize,
		.wsize = cfg->wsize,
	};
	int rc = sess_new(&sc, &cl->sess, errbuf, errlen);
	if (rc < 0)
		goto fail;
	rc = pcache_new(cl);
	if (rc < 0)
		goto fail;
	/* A subdir that is not there would otherwise mount fine and fail on every access. */
	struct smb_attr a;
	rc = cl->ops->stat(cl, "", &a);
	if (rc == 0 && !smb_attr_is_dir(&a))
		rc = -ENOTDIR;
	if (rc < 0) {
		if (errbuf)
			snprintf(errbuf, errlen, "%s \"%s\" on share \"%s\": %s", *cl->prefix ? "subdirectory" : "root of",
				 cfg->subdir ? cfg->subdir : "", cfg->share, strerror(-rc));
		goto fail;
	}
	struct sess_info si;
	sess_get_info(cl->sess, &si);
	snprintf(cl->desc, sizeof(cl->desc), "SMB %s%s%s%s", smb2_dialect_name(si.dialect),
		 si.encrypted ? ", encrypted" : "", si.signing ? ", signed" : "",
		 si.guest ? ", guest" : "");
	*out = cl;
	return 0;
fail:
	smb_client_free(cl);
	return rc;
}

void smb_client_free(struct smb_client *cl)
{
	if (!cl)
		return;
	pcache_stop(cl);
	sess_free(cl->sess);
	pcache_free(cl);
	free(cl->prefix);
	free(cl);
}

const struct smb_ops *smb_client_ops(const struct smb_client *cl)
{
	return cl->ops;
}

const char *smb_client_describe(const struct smb_client *cl)
{
	return cl->desc;
}
