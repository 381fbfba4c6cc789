# man: hand-written roff pages, installed and shipped in the tarball.
dist_man_MANS = man/vigild.8 man/vigilctl.8 man/vigil.yaml.5 \
	man/vigil-rules.5

# `make check-man`: warnings from man(1) and, when installed, mandoc.
check-man:
	@rc=0; for p in $(dist_man_MANS); do \
		out=$$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings=all -l \
			$(srcdir)/$$p 2>&1 >/dev/null); \
		if test -n "$$out"; then echo "$$p: $$out"; rc=1; fi; \
		if command -v mandoc >/dev/null; then \
			mandoc -T lint -W warning $(srcdir)/$$p || rc=1; \
		fi; \
	done; exit $$rc
.PHONY: check-man
