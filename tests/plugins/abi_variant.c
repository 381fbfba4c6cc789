/*
 * abi_variant - test plugins the loader must accept or refuse.  Built
 * several times with one of these defined:
 *   VARIANT_GOOD       a correct sink
 *   VARIANT_MAJOR      built for ABI major 99
 *   VARIANT_MINOR      built for a newer minor than the host
 *   VARIANT_SIZE       a descriptor truncated to 16 bytes
 *   VARIANT_NO_ENTRY   does not export vigil_plugin_entry
 *   VARIANT_NULL       the entry returns NULL
 *   VARIANT_NO_INIT    lacks init()
 *   VARIANT_OLD_MINOR  built for ABI 1.0 (before config_table), with
 *                      junk where 1.0 had reserved slots: loads, and
 *                      the loader reads no table from it
 *   VARIANT_BAD_TABLE  publishes a configuration table that is wrong
 */
#include <stddef.h>
#include <stdlib.h>

#include <vigil/plugin.h>

#if !defined(VARIANT_NO_ENTRY)
static int __attribute__((unused)) v_init(const struct vigil_host_api *api, void *host, void **state)
{
	*state = NULL;
	return 0;
}

static int v_signal(void *state, const struct vigil_event *ev,
		    const struct vigil_signal *sig)
{
	return 0;
}

static void v_destroy(void *state)
{
}
#endif

#ifdef VARIANT_BAD_TABLE
struct bad_settings {
	int a;
};
/* the same key twice */
static const struct vigil_config_entry bad_table[] = {
	{ VIGIL_CFG_INT("a", struct bad_settings, a, 0, 0, 1, NULL) },
	{ VIGIL_CFG_INT("a", struct bad_settings, a, 0, 0, 1, NULL) },
};
#endif

#if defined(VARIANT_NO_ENTRY)
const struct vigil_plugin *not_the_entry(void);
const struct vigil_plugin *not_the_entry(void)
{
	return NULL;
}
#else
static const struct vigil_plugin plugin = {
	.abi_major = VIGIL_PLUGIN_ABI_MAJOR,
	.abi_minor = VIGIL_PLUGIN_ABI_MINOR,
	.struct_size = sizeof(struct vigil_plugin),
	.kind = VIGIL_PLUGIN_SINK,
	.name = "abi_variant",
	.version = "0",
#ifndef VARIANT_NO_INIT
	.init = v_init,
#else
	.init = NULL,
#endif
	.on_signal = v_signal,
	.destroy = v_destroy,
};

const struct vigil_plugin *vigil_plugin_entry(void)
{
	static struct vigil_plugin p;

#ifdef VARIANT_NULL
	return NULL;
#endif
	p = plugin;
#ifdef VARIANT_MAJOR
	p.abi_major = 99;
#endif
#ifdef VARIANT_MINOR
	p.abi_minor = VIGIL_PLUGIN_ABI_MINOR + 1;
#endif
#ifdef VARIANT_SIZE
	p.struct_size = 16;
#endif
#ifdef VARIANT_OLD_MINOR
	p.abi_minor = 0;
	p.config_table = (const struct vigil_config_entry *)&p;
	p.config_entries = 99;
#endif
#ifdef VARIANT_BAD_TABLE
	p.config_table = bad_table;
	p.config_entries = 2;
	p.config_entry_size = sizeof(bad_table[0]);
	p.settings_size = sizeof(struct bad_settings);
#endif
	return &p;
}
#endif
