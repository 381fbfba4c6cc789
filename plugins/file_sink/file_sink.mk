# plugins/file_sink/file_sink.mk - events and signals to a file (JSON
# lines or msgpack), rotated by size.
plugin_LTLIBRARIES += plugins/file_sink.la
plugins_file_sink_la_SOURCES = plugins/file_sink/file_sink.c $(buf_sources)
plugins_file_sink_la_CFLAGS = $(AM_CFLAGS)
plugins_file_sink_la_LDFLAGS = $(AM_LDFLAGS) $(vigil_plugin_ldflags) -rpath $(plugindir)
