# src/daemon/daemon.mk - vigild: the program that wires the parts together
# (sources, enrichment, plugins, privileges, control socket).  The only
# place besides vigilctl that includes every part.
sbin_PROGRAMS += vigild
vigild_SOURCES = src/daemon/main.c \
	src/daemon/registry.c src/daemon/registry.h
vigild_CFLAGS = $(AM_CFLAGS) $(LIBUV_CFLAGS)
vigild_LDADD = libvigilaudit.la libvigildns.la libvigilfim.la libvigilproc.la \
	libvigilrules.la libvigilprivs.la libvigilcore.la $(AUDIT_LIBS) \
	$(PCRE2_LIBS) $(OPENSSL_LIBS)
