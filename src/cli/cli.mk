# src/cli/cli.mk - vigilctl and every subcommand's front end.  libvigilcli
# holds the subcommands that the unit tests also drive (rules, rules
# kernel, fim); vigilctl.c and extra.c are the program and its table.
noinst_LTLIBRARIES += libvigilcli.la
libvigilcli_la_SOURCES = src/cli/cli.h \
	src/cli/rules.c src/cli/rules_kernel.c src/cli/fim.c src/cli/signals.c
libvigilcli_la_CFLAGS = $(AM_CFLAGS) $(PCRE2_CFLAGS) $(AUDIT_CFLAGS) \
	$(LIBUV_CFLAGS) $(OPENSSL_CFLAGS)

bin_PROGRAMS += vigilctl
vigilctl_SOURCES = src/cli/vigilctl.c src/cli/extra.c
vigilctl_CFLAGS = $(AM_CFLAGS) $(LIBUV_CFLAGS) $(PCRE2_CFLAGS) $(AUDIT_CFLAGS)
vigilctl_LDADD = libvigilcli.la libvigilaudit.la libvigilrules.la \
	libvigilfim.la libvigilstore.la libvigilcore.la $(PCRE2_LIBS) \
	$(AUDIT_LIBS) $(SQLITE_LIBS) \
	$(LIBUV_LIBS) $(OPENSSL_LIBS)
