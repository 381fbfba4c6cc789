# The core: event model, schema, codecs, config, pipeline, plugin loader,
# control socket.  libvigilcore is linked into vigild, vigilctl and tests.
noinst_LTLIBRARIES += libvigilcore.la
libvigilcore_la_SOURCES = \
	src/util.c src/util.h \
	src/node.c src/node.h src/source.h \
	src/schema.c src/schema.h \
	src/codec.c src/codec.h \
	src/settings.c src/settings.h \
	src/pipeline.c src/pipeline.h \
	src/ctl.c src/ctl.h \
	src/sources/pacer.c src/sources/pacer.h
libvigilcore_la_CFLAGS = $(AM_CFLAGS) $(LIBUV_CFLAGS) $(MSGPACK_CFLAGS) $(YAML_CFLAGS)
libvigilcore_la_LIBADD = $(LIBUV_LIBS) $(MSGPACK_LIBS) $(YAML_LIBS) -lpthread $(LIBS)

sbin_PROGRAMS += vigild
vigild_SOURCES = src/main.c \
	src/sources/registry.c src/sources/registry.h
vigild_CFLAGS = $(AM_CFLAGS) $(LIBUV_CFLAGS)
vigild_LDADD = libvigilaudit.la libvigildns.la libvigilfim.la libvigilproc.la \
	libvigilrules.la libvigilcore.la $(AUDIT_LIBS) $(PCRE2_LIBS) $(OPENSSL_LIBS)

bin_PROGRAMS += vigilctl
vigilctl_SOURCES = src/cli/vigilctl.c src/cli/cli.h src/cli/extra.c
vigilctl_CFLAGS = $(AM_CFLAGS) $(LIBUV_CFLAGS) $(PCRE2_CFLAGS) $(AUDIT_CFLAGS)
vigilctl_LDADD = libvigilrulescli.la libvigilaudit.la libvigilrules.la \
	libvigilfim.la libvigilcore.la $(PCRE2_LIBS) $(AUDIT_LIBS) \
	$(LIBUV_LIBS) $(OPENSSL_LIBS)
