/*
 * dns_monitor.c - runs the DNS source alone, for the integration tests and
 * the benchmark.
 *
 *   dns_monitor CONFIG.yaml EVENTS.jsonl STATUS.json [READY-FILE]
 *
 * Starts vigil_dns_source_ops with the "dns:" section of CONFIG.yaml on a
 * libuv loop, writes every submitted event as one JSON line to EVENTS
 * (a test double of vigil_pipeline_submit; "-" only counts them, for the
 * benchmark to measure the source alone), creates READY-FILE once the
 * source runs, and on SIGTERM/SIGINT stops the source (removing its
 * firewall rules) and writes its status JSON to STATUS.  Exit status 0,
 * or 1 when the source failed to start (reason on stderr).  Run it inside
 * the test's network namespace (ip netns exec).
 *
 * With a top-level "policy: FILE" in CONFIG.yaml, the queries the source
 * holds in block mode (vigil_pipeline_submit_verdict) are evaluated by the
 * rule engine against that policy, and the actions of the matching rules
 * are the verdict: the engine is real, only the pipeline around it is not.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "lang/policy.h"
#include "node.h"
#include "pipeline.h"
#include "schema.h"
#include "source.h"
#include "dns/dns_parse.h"
#include "dns/dns_source.h"

static FILE *events;
static uint64_t submitted;
static struct vigil_ruleset *ruleset; /* "policy:", or NULL */

/* Test double: the daemon's pipeline is not part of this program. */
void vigil_source_set_state(struct vigil_source *src, int state,
			    const char *mode, const char *fmt, ...)
{
	va_list ap;

	src->state = state;
	snprintf(src->mode, sizeof(src->mode), "%s", mode);
	va_start(ap, fmt);
	vsnprintf(src->reason, sizeof(src->reason), fmt, ap);
	va_end(ap);
	fprintf(stderr, "dns_monitor: state %d mode %s: %s\n", state,
		src->mode, src->reason);
}

static void put_json_str(const char *p, size_t n)
{
	size_t i;

	fputc('"', events);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == '"' || c == '\\')
			fprintf(events, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(events, "\\u%04x", c);
		else
			fputc(c, events);
	}
	fputc('"', events);
}

static void put_ip(const char *key, const struct vigil_ip *ip)
{
	char s[INET6_ADDRSTRLEN] = "";

	if (ip->family)
		inet_ntop(ip->family, ip->addr, s, sizeof(s));
	fprintf(events, ",\"%s\":\"%s\"", key, s);
}

/* Test double of the pipeline: one JSON line per event. */
int vigil_pipeline_submit(struct vigil_pipeline *p, struct vigil_event *ev)
{
	const struct vigil_dns_part *d = &ev->u.dns;
	const char *tname = vigil_dns_type_name(d->qtype);
	uint32_t i;

	(void)p;
	submitted++;
	if (!events)
		return 0;
	fprintf(events, "{\"seq\":%" PRIu64 ",\"direction\":\"%s\",\"id\":%u",
		ev->seq, d->direction == VIGIL_DNS_QUERY ? "query" : "response",
		d->id);
	fprintf(events, ",\"qname\":");
	put_json_str(d->qname.ptr, d->qname.len);
	if (tname)
		fprintf(events, ",\"qtype\":\"%s\"", tname);
	else
		fprintf(events, ",\"qtype\":\"TYPE%u\"", d->qtype);
	fprintf(events, ",\"qtype_num\":%u,\"qclass\":%u,\"rcode\":%u,"
		"\"tc\":%u,\"answer_count\":%u,\"answers\":[",
		d->qtype, d->qclass, d->rcode, d->truncated, d->answer_count);
	for (i = 0; i < d->answers.n; i++) {
		if (i)
			fputc(',', events);
		put_json_str(d->answers.v[i].ptr, d->answers.v[i].len);
	}
	fprintf(events, "],\"transport\":\"%s\"",
		d->transport == IPPROTO_TCP ? "tcp" : "udp");
	put_ip("src", &d->src_ip);
	put_ip("dst", &d->dst_ip);
	fprintf(events, ",\"sport\":%u,\"dport\":%u,\"latency_ns\":%" PRId64,
		d->src_port, d->dst_port, d->latency_ns);
	fprintf(events, ",\"pid\":%d,\"ppid\":%d,\"uid\":%" PRId64
		",\"gid\":%" PRId64 ",\"comm\":",
		ev->process.pid, ev->process.ppid,
		ev->process.uid == VIGIL_ID_UNSET ? -1 :
						    (int64_t)ev->process.uid,
		ev->process.gid == VIGIL_ID_UNSET ? -1 :
						    (int64_t)ev->process.gid);
	put_json_str(ev->process.comm.ptr ? ev->process.comm.ptr : "",
		     ev->process.comm.len);
	fprintf(events, ",\"exe\":");
	put_json_str(ev->process.file.path.ptr ? ev->process.file.path.ptr : "",
		     ev->process.file.path.len);
	fprintf(events, ",\"argv\":[");
	for (i = 0; i < ev->process.argv.n; i++) {
		if (i)
			fputc(',', events);
		put_json_str(ev->process.argv.v[i].ptr,
			     ev->process.argv.v[i].len);
	}
	fprintf(events, "]}\n");
	fflush(events);
	return 0;
}

static int collect_actions(void *arg, const struct vigil_event *ev,
			   const struct vigil_signal *sig)
{
	uint32_t *actions = arg;

	(void)ev;
	*actions |= sig->actions;
	return 0;
}

/* Test double: the event as above, then the policy's verdict. */
int vigil_pipeline_submit_verdict(struct vigil_pipeline *p,
				  struct vigil_event *ev, uint32_t *actions)
{
	*actions = 0;
	vigil_pipeline_submit(p, ev);
	if (ruleset &&
	    vigil_ruleset_eval(ruleset, ev, collect_actions, actions) < 0)
		return -EIO;
	return 0;
}

static void on_signal(uv_signal_t *h, int signum)
{
	(void)signum;
	uv_stop(h->loop);
}

int main(int argc, char **argv)
{
	struct vigil_source src;
	char mode[sizeof(src.mode)];
	struct vigil_buf err = { 0 }, status = { 0 };
	struct vigil_doc doc;
	uv_signal_t sigterm, sigint;
	uv_loop_t *loop = uv_default_loop();
	FILE *fp;
	int rc;

	if (argc < 4) {
		fprintf(stderr, "usage: %s CONFIG.yaml EVENTS.jsonl "
				"STATUS.json [READY-FILE]\n", argv[0]);
		return 2;
	}
	vigil_log_setup(VIGIL_LOG_STDERR, VIGIL_LOG_INFO, "dns_monitor");
	if (vigil_doc_load_yaml_file(argv[1], &doc, &err)) {
		fprintf(stderr, "%s\n", vigil_buf_cstr(&err));
		return 2;
	}
	{
		const struct vigil_node *pol =
			doc.root ? vigil_node_get(doc.root, "policy") : NULL;
		const char *paths[1];

		if (pol && vigil_node_is_scalar(pol)) {
			paths[0] = pol->str;
			if (vigil_ruleset_load(vigil_fields(), paths, 1,
					       &ruleset, &err)) {
				fprintf(stderr, "%s", vigil_buf_cstr(&err));
				vigil_doc_free(&doc);
				return 2;
			}
		}
	}
	if (strcmp(argv[2], "-")) {
		events = fopen(argv[2], "w");
		if (!events) {
			perror(argv[2]);
			vigil_doc_free(&doc);
			return 2;
		}
	}
	memset(&src, 0, sizeof(src));
	src.ops = &vigil_dns_source_ops;
	src.loop = loop;
	src.config = doc.root ? vigil_node_get(doc.root, "dns") : NULL;
	{
		const struct vigil_node *dis =
			doc.root ? vigil_node_path(doc.root,
						   "agent.features.disable") :
				   NULL;
		size_t i;

		for (i = 0; dis && i < dis->n; i++) {
			const char *f = dis->items[i]->str;

			if (!strcmp(f, "nfqueue"))
				src.features_disabled |= VIGIL_FEAT_NFQUEUE;
			else if (!strcmp(f, "nftables"))
				src.features_disabled |= VIGIL_FEAT_NFTABLES;
			else if (!strcmp(f, "iptables"))
				src.features_disabled |= VIGIL_FEAT_IPTABLES;
			else if (!strcmp(f, "nflog"))
				src.features_disabled |= VIGIL_FEAT_NFLOG;
		}
	}
	rc = src.ops->start(&src);
	if (rc) {
		fprintf(stderr, "dns_monitor: start failed: %s\n", src.reason);
		src.ops->stop(&src);
		uv_run(loop, UV_RUN_NOWAIT);
		if (events)
			fclose(events);
		vigil_ruleset_free(ruleset);
		vigil_doc_free(&doc);
		vigil_buf_free(&err);
		uv_loop_close(loop);
		return 1;
	}
	uv_signal_init(loop, &sigterm);
	uv_signal_start(&sigterm, on_signal, SIGTERM);
	uv_signal_init(loop, &sigint);
	uv_signal_start(&sigint, on_signal, SIGINT);
	if (argc > 4) {
		fp = fopen(argv[4], "w");
		if (fp)
			fclose(fp);
	}
	uv_run(loop, UV_RUN_DEFAULT);

	src.ops->status_json(&src, &status);
	snprintf(mode, sizeof(mode), "%s", src.mode);
	src.ops->stop(&src);
	uv_close((uv_handle_t *)&sigterm, NULL);
	uv_close((uv_handle_t *)&sigint, NULL);
	uv_run(loop, UV_RUN_DEFAULT);
	fp = fopen(argv[3], "w");
	if (fp) {
		fprintf(fp, "{\"state\":\"%s\",\"mode\":\"%s\",\"events\":%"
			PRIu64 ",\"events_in\":%" PRIu64 ",\"drops\":%" PRIu64
			",\"lost\":%" PRIu64 ",%s}\n",
			"stopped", mode, submitted, src.events_in,
			src.drops, src.lost, vigil_buf_cstr(&status));
		fclose(fp);
	}
	if (events)
		fclose(events);
	vigil_buf_free(&status);
	vigil_buf_free(&err);
	vigil_ruleset_free(ruleset);
	vigil_doc_free(&doc);
	uv_loop_close(loop);
	return 0;
}
