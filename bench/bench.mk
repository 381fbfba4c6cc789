# bench: how to run each benchmark is in bench/README.md.

# The load generator of bench/audit_exec_bench.sh: /bin/true at a target
# rate, pacing by sleeping so it leaves the CPUs to the readers measured.
noinst_PROGRAMS += bench/exec_load
bench_exec_load_SOURCES = bench/exec_load.c
bench_exec_load_CFLAGS = $(AM_CFLAGS)

# bench/soak.sh: vigild's RSS and the process table's live count under a
# steady exec, file and DNS load for minutes (issue 22).
dist_noinst_SCRIPTS += bench/soak.sh

EXTRA_DIST += bench/README.md
