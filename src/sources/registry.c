/*
 * registry.c - which sources vigild runs.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sources/registry.h"

/* Every source of this build, in start order. */
static const struct vigil_source_ops *const all_sources[] = {
	NULL,
};

int vigil_sources_register(struct vigil_sources *s, struct vigil_pipeline *p,
			   const struct vigil_config *cfg)
{
	size_t n = 0;
	int rc;

	memset(s, 0, sizeof(*s));
	while (all_sources[n])
		n++;
	if (!n)
		return 0;
	s->list = calloc(n, sizeof(*s->list));
	if (!s->list)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct vigil_source *src = &s->list[s->n++];
		const struct vigil_node *sec, *en;
		bool enabled = true;

		src->ops = all_sources[i];
		sec = vigil_config_section(cfg, src->ops->name);
		src->config = sec;
		en = vigil_node_get(sec, "enabled");
		if (en && vigil_node_bool(en, &enabled) == 0 && !enabled)
			src->state = VIGIL_SOURCE_DISABLED;
		rc = vigil_pipeline_add_source(p, src);
		if (rc)
			return rc;
		if (!enabled)
			snprintf(src->reason, sizeof(src->reason),
				 "%s.enabled is false in %s", src->ops->name,
				 cfg->path);
	}
	return 0;
}

void vigil_sources_free(struct vigil_sources *s)
{
	free(s->list);
	memset(s, 0, sizeof(*s));
}
