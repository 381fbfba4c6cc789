# The core: event model, schema, codecs, config, pipeline, plugin loader,
# control socket.  libvigilcore is linked into vigild, vigilctl and tests.
noinst_LTLIBRARIES += libvigilcore.la
libvigilcore_la_SOURCES = \
	src/util.c src/util.h \
	src/node.c src/node.h \
	src/schema.c src/schema.h
libvigilcore_la_CFLAGS = $(AM_CFLAGS) $(LIBUV_CFLAGS) $(MSGPACK_CFLAGS) $(YAML_CFLAGS)
libvigilcore_la_LIBADD = $(LIBUV_LIBS) $(MSGPACK_LIBS) $(YAML_LIBS) -lpthread

sbin_PROGRAMS += vigild
vigild_SOURCES = src/main.c
vigild_CFLAGS = $(AM_CFLAGS) $(LIBUV_CFLAGS)
vigild_LDADD = libvigilcore.la
