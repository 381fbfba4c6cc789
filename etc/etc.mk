# etc: default configuration, systemd unit, logrotate.
EXTRA_DIST += etc/vigil.yaml.in
CLEANFILES += etc/vigil.yaml

# Paths are filled in at build time so the file matches the install.
etc/vigil.yaml: $(srcdir)/etc/vigil.yaml.in Makefile
	$(AM_V_GEN)$(MKDIR_P) etc && sed \
		-e 's|{{localstatedir}}|$(localstatedir)|g' \
		-e 's|{{runstatedir}}|$(runstatedir)|g' \
		-e 's|{{sysconfdir}}|$(sysconfdir)|g' \
		-e 's|{{pkgdatadir}}|$(pkgdatadir)|g' \
		$(srcdir)/etc/vigil.yaml.in > $@.tmp && mv $@.tmp $@

vigilconfdir = $(sysconfdir)/vigil
nodist_vigilconf_DATA = etc/vigil.yaml

install-data-hook: install-vigil-dirs
install-vigil-dirs:
	$(MKDIR_P) $(DESTDIR)$(sysconfdir)/vigil/rules.d
	$(MKDIR_P) $(DESTDIR)$(localstatedir)/lib/vigil
	$(MKDIR_P) $(DESTDIR)$(localstatedir)/log/vigil
.PHONY: install-vigil-dirs

# systemd unit: paths filled in at build time like vigil.yaml, and the
# directives chosen for the target systemd (configure's SYSTEMD_VERSION).
EXTRA_DIST += etc/vigild.service.in etc/systemd-unit.awk
CLEANFILES += etc/vigild.service

etc/vigild.service: $(srcdir)/etc/vigild.service.in \
		$(srcdir)/etc/systemd-unit.awk Makefile
	$(AM_V_GEN)$(MKDIR_P) etc && sed \
		-e 's|@sbindir[@]|$(sbindir)|g' \
		-e 's|@localstatedir[@]|$(localstatedir)|g' \
		-e 's|@runstatedir[@]|$(runstatedir)|g' \
		-e 's|@sysconfdir[@]|$(sysconfdir)|g' \
		$(srcdir)/etc/vigild.service.in | \
		$(AWK) -v version=$(SYSTEMD_VERSION) \
			-f $(srcdir)/etc/systemd-unit.awk > $@.tmp && \
		mv $@.tmp $@

# the unit written for systemd 219 (RHEL 7), 239 (RHEL 8) and current ones
TESTS += tests/unit/test_systemd_unit_versions.sh
EXTRA_DIST += tests/unit/test_systemd_unit_versions.sh

systemdsystemunit_DATA = etc/vigild.service

logrotatedir = $(sysconfdir)/logrotate.d
dist_logrotate_DATA = etc/logrotate.d/vigil
