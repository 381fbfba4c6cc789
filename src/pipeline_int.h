/*
 * pipeline_int.h - what pipeline.c, plugin_host.c and plugin_loader.c share
 * and nothing else uses.
 */
#ifndef VIGIL_PIPELINE_INT_H
#define VIGIL_PIPELINE_INT_H

#include <stdint.h>

#include <vigil/plugin.h>

struct vigil_config;
struct vigil_pipeline;

/* Fills api with the host functions (plugin_host.c). */
void vigil__host_api_init(struct vigil_host_api *api);

/*
 * Delivers a checked and completed signal for ev to stdout and every sink,
 * and counts it (pipeline.c).  sig stays the caller's.
 */
void vigil__pipeline_signal(struct vigil_pipeline *p,
			    const struct vigil_event *ev,
			    const struct vigil_signal *sig);

/*
 * Makes the plugins those cfg enables (plugin_loader.c); see
 * vigil_pipeline_reload().
 */
void vigil__pipeline_reload_plugins(struct vigil_pipeline *p,
				    const struct vigil_config *cfg);

/* "sink", "engine", "source" or "unknown" (plugin_loader.c). */
const char *vigil__plugin_kind_name(uint32_t kind);

#endif /* VIGIL_PIPELINE_INT_H */
