# plugins/store/store.mk - the signal store sink: signals grouped into
# SQLite by a writer thread (src/store/ compiled in).
plugin_LTLIBRARIES += plugins/store.la
plugins_store_la_SOURCES = plugins/store/store.c $(store_sources) \
	$(buf_sources)
plugins_store_la_CFLAGS = $(AM_CFLAGS) $(SQLITE_CFLAGS) -pthread
plugins_store_la_LDFLAGS = $(AM_LDFLAGS) $(vigil_plugin_ldflags) \
	-rpath $(plugindir) -pthread
plugins_store_la_LIBADD = $(SQLITE_LIBS)
