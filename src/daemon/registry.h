/*
 * registry.h - the kernel sources vigild runs, created from the
 * configuration (a section per source: audit, proc, fim, dns).
 */
#ifndef VIGIL_DAEMON_REGISTRY_H
#define VIGIL_DAEMON_REGISTRY_H

#include <stdbool.h>

#include <uv.h>

#include "pipeline.h"
#include "settings.h"

struct vigil_proctable;

struct vigil_sources {
	struct vigil_source *list;
	size_t n;
	/* The process table: seeded from /proc, kept by the proc connector
	 * and exec events, it enriches every event (ancestry, container,
	 * names).  Owned here. */
	struct vigil_proctable *proctable;
	uv_timer_t expire_timer;
	bool timer_started;
};

/*
 * Creates every source the build has, adds it to the pipeline (disabled
 * when its section says enabled: false) and sets up enrichment.  Sources
 * are started later by vigil_pipeline_start_sources().
 */
int vigil_sources_register(struct vigil_sources *s, struct vigil_pipeline *p,
			   const struct vigil_config *cfg)
	__attribute__((warn_unused_result));
/* Frees what register made; the pipeline has stopped the sources. */
/*
 * Validates every monitor section of cfg the way the sources will read it
 * at start, opening nothing (vigild --check-config).  Returns 0, or
 * -EINVAL with "file:line:col: ..." in err.
 */
int vigil_sources_check(const struct vigil_config *cfg, struct vigil_buf *err);

void vigil_sources_free(struct vigil_sources *s);

#endif /* VIGIL_DAEMON_REGISTRY_H */
