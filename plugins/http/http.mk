# plugins/http/http.mk - the HTTP output (JSON batches, Elasticsearch
# bulk, Splunk HEC) on libcurl's multi-socket API.
plugin_LTLIBRARIES += plugins/http.la
plugins_http_la_SOURCES = plugins/http/http.c $(outlet_sources) \
	$(spool_sources) $(buf_sources)
plugins_http_la_CPPFLAGS = $(plugin_common_cppflags)
plugins_http_la_CFLAGS = $(AM_CFLAGS) $(LIBUV_CFLAGS) $(CURL_CFLAGS)
plugins_http_la_LIBADD = $(LIBUV_LIBS) $(CURL_LIBS) $(ZLIB_LIBS)
plugins_http_la_LDFLAGS = $(AM_LDFLAGS) $(vigil_plugin_ldflags) -rpath $(plugindir)
