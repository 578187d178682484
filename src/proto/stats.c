/* SPDX-License-Identifier: GPL-2.0-or-later */
/* stats.c - ops->stats: the mount's counters as "name value" lines (doc/CACHING.md, "Counters"). */
#include <stdio.h>

#include "cache_i.h"
#include "ipc_i.h"
#include "smbfuse/util.h"
#include "smbfuse/xport.h"

static size_t put(char *buf, size_t len, size_t o, const char *name, uint64_t v)
{
	if (o < len) {
		int n = snprintf(buf + o, len - o, "%s %llu\n", name, (unsigned long long)v);
		o += n > 0 ? (size_t)n : 0;
	}
	return MIN(o, len ? len - 1 : 0);
}

#define LOAD(x) atomic_load_explicit(&cl->st.x, memory_order_relaxed)

size_t pcache_stats(struct smb_client *cl, char *buf, size_t len)
{
	size_t o = 0;
	uint64_t total = 0;
	char name[64];
	for (unsigned c = 0; c < ARRAY_SIZE(cl->st.cmd); c++) {
		uint64_t v = atomic_load_explicit(&cl->st.cmd[c], memory_order_relaxed);
		total += v;
		if (!v)
			continue;
		snprintf(name, sizeof(name), "requests.%s", cl->cio->command_name(c));
		o = put(buf, len, o, name, v);
	}
	o = put(buf, len, o, "requests.total", total);
	o = put(buf, len, o, "bytes.read", LOAD(bytes_read));
	o = put(buf, len, o, "bytes.written", LOAD(bytes_written));
	o = put(buf, len, o, "bytes.copied_by_server", LOAD(bytes_copied));
	o = put(buf, len, o, "copies.refused", LOAD(copies_refused));
	o = put(buf, len, o, "copy.inflight", LOAD(copy_inflight.cur));
	o = put(buf, len, o, "copy.inflight_max", LOAD(copy_inflight.max));
	o = put(buf, len, o, "connection.bytes_sent", xport_bytes_sent());
	o = put(buf, len, o, "leases.granted", LOAD(leases_granted));
	o = put(buf, len, o, "breaks.received", LOAD(breaks));
	o = put(buf, len, o, "breaks.acknowledged", LOAD(break_acks));
	o = put(buf, len, o, "breaks.write_back", LOAD(write_breaks));
	o = put(buf, len, o, "handles.cache_hits", LOAD(handle_hits));
	o = put(buf, len, o, "handles.cache_misses", LOAD(handle_misses));
	o = put(buf, len, o, "handles.parked", LOAD(handles_parked));
	o = put(buf, len, o, "reads.with_open", LOAD(prereads));
	o = put(buf, len, o, "reads.with_open_hits", LOAD(preread_hits));
	o = put(buf, len, o, "notify.watches_started", LOAD(watches_started));
	o = put(buf, len, o, "notify.received", LOAD(notifications));
	o = put(buf, len, o, "notify.overflows", LOAD(notify_overflows));
	o = put(buf, len, o, "notify.delete_checks", LOAD(delete_checks));
	o = put(buf, len, o, "notify.listing_answers", LOAD(listing_answers));
	o = put(buf, len, o, "notify.questions_open", LOAD(questions_open));
	o = put(buf, len, o, "notify.rearms_delayed", LOAD(rearms_delayed));
	o = put(buf, len, o, "dirlease.granted", LOAD(dirleases_granted));
	o = put(buf, len, o, "dirlease.breaks", LOAD(dirlease_breaks));
	o = put(buf, len, o, "dirlease.parent_keyed", LOAD(dirlease_parented));
	o = put(buf, len, o, "session.reconnects", LOAD(reconnects));
	/* Sessions of their own on IPC$ (share lists, DFS referrals): each is one more connection and logon. */
	o = put(buf, len, o, "session.ipc_logons", ipc_logons());
	o = put(buf, len, o, "handles.durable", LOAD(handles_durable));
	o = put(buf, len, o, "handles.reconnected", LOAD(handles_reconnected));
	o = put(buf, len, o, "handles.reopened", LOAD(handles_reopened));
	o = put(buf, len, o, "writes.replayed", LOAD(writes_replayed));
	o = put(buf, len, o, "writes.lost", LOAD(writes_lost));
	o = put(buf, len, o, "writes.before_setattr", LOAD(writes_before_setattr));
	o = put(buf, len, o, "session.posix_extensions", cl->posix); /* SMB 3.1.1 POSIX extensions in use */
	if (cl->sess) {
		/* Numbers, as every line here: the MS-SMB2 ids (README "Counters"), each only when in use. */
		struct sess_info si;
		sess_get_info(cl->sess, &si);
		o = put(buf, len, o, "session.reauthentications", si.reauths);
		o = put(buf, len, o, "session.signed", si.signing);
		if (si.signing)
			o = put(buf, len, o, "session.signing_algorithm", si.sign_algo);
		o = put(buf, len, o, "session.encrypted", si.encrypted);
		if (si.encrypted)
			o = put(buf, len, o, "session.cipher", si.cipher);
	}
	return o;
}
