# debian packaging files shipped in the tarball, and `make check-pkg`:
# builds the .deb and installs, upgrades and purges it (root, slow; not
# part of `make check`).
EXTRA_DIST += debian/changelog debian/control debian/copyright \
	debian/rules debian/source/format debian/not-installed \
	debian/vigil.install debian/vigil-dev.install debian/vigil.dirs \
	debian/vigil.postinst debian/vigil.postrm

# configure.ac's version must be debian/changelog's (upstream part).
TESTS += tests/integration/pkg/test_version_sync.sh

check-pkg:
	$(SHELL) $(srcdir)/tests/integration/pkg/test_deb.sh $(abs_top_srcdir)
.PHONY: check-pkg
