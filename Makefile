# Makefile for pg_jobmon (PGXS)
#
#   make              build the C module and the versioned install script
#   make install      install into the PostgreSQL found by pg_config
#   make test         install dependencies, build, install, run every test
#                     against a private throwaway cluster, stop it again
#   make demo         the same set-up, then a short logged example
#   make bench        benchmarks, each printing its figures beside a baseline
#   make fuzz         libFuzzer run of the cron parser and calculator
#   make start | psql | stop   keep a private cluster to explore by hand

EXTENSION  = pg_jobmon
EXTVERSION = $(shell sed -n "s/^default_version *= *'\(.*\)'/\1/p" $(EXTENSION).control)

PG_CONFIG ?= pg_config

# The install script of the current version is assembled from sql/: the C
# functions' declarations, then one directory per subsystem, each lower
# layer before the ones that use it (logging knows nothing of the
# scheduler), each directory's tables.sql before its other files; last, who
# may execute what.
SQL_GROUPS  = settings logging monitoring cron scheduler dependencies oneoff dispatch run views
SQL_SOURCES = sql/header.sql sql/c_functions.sql \
	$(foreach g,$(SQL_GROUPS),$(wildcard sql/$(g)/tables.sql) \
		$(sort $(filter-out %/tables.sql,$(wildcard sql/$(g)/*.sql)))) \
	sql/privileges.sql

MODULE_big   = $(EXTENSION)
OBJS         = $(patsubst %.c,%.o,$(sort $(wildcard src/*.c)))
PG_CPPFLAGS  = -I$(srcdir)/src
# The library knows its version, to refuse objects of another
# (src/pg_jobmon.c, jobmon_extension_version_matches).
PG_CPPFLAGS += -DPG_JOBMON_VERSION=\"$(EXTVERSION)\"
# The logging connection (src/log_connection.c) is a libpq connection, as
# in contrib/dblink and postgres_fdw.
PG_CPPFLAGS += -I$(libpq_srcdir)
SHLIB_LINK_INTERNAL = $(libpq)
DATA_built   = sql/$(EXTENSION)--$(EXTVERSION).sql $(FROM_1X_SCRIPTS)
# updates/: the frozen baseline install script (pg_jobmon--2.3.0.sql), the
# hand-written update scripts after it.  PostgreSQL builds
# any older version from the baseline and the chain.
DATA         = $(wildcard updates/$(EXTENSION)--*.sql)
DOCS         = doc/getting-started.md doc/pg_jobmon.md doc/scheduler.md doc/cron.md
EXTRA_CLEAN  = sql/$(EXTENSION)--*.sql

# pg_jobmon 1.x: ALTER EXTENSION pg_jobmon UPDATE turns a 1.x database into
# 2.3.0, the frozen baseline, and the update scripts after it carry it on.
# One conversion serves every 1.x release in FROM_1X_VERSIONS (their catalogs
# differ in nothing it depends on), but PostgreSQL needs it under each
# release's name: sql/pg_jobmon--<1.x>--2.3.0.sql, generated (and cleaned)
# like the install script.  It is assembled from FROM_1X_SOURCES: the
# prologue that sets 1.x's objects aside, the baseline's body (without its
# \echo line), which stays the one home of every 2.3.0 object, and the
# epilogue that moves the rows, grants and user views in.
FROM_1X_VERSIONS = 1.3.0 1.3.1 1.3.2 1.3.3 1.4.0 1.4.1 1.5.0
FROM_1X_BASE     = 2.3.0
FROM_1X_SOURCES  = updates/from-1x/prologue.sql updates/$(EXTENSION)--$(FROM_1X_BASE).sql \
	updates/from-1x/epilogue.sql
FROM_1X_SCRIPTS  = $(foreach v,$(FROM_1X_VERSIONS),sql/$(EXTENSION)--$(v)--$(FROM_1X_BASE).sql)

PGXS := $(shell $(PG_CONFIG) --pgxs 2>/dev/null)
ifeq ($(PGXS),)
# No server development files yet: only the targets that install them work.
all install:
	@echo "pg_config --pgxs found nothing; run 'make deps' (or 'make test') first" >&2; exit 1
clean:
	rm -f $(EXTRA_CLEAN) $(OBJS) $(EXTENSION).so
else
include $(PGXS)
# Objects compiled for one server are not for another: they depend on a
# stamp naming the server they were compiled for, rewritten (here, as make
# reads this file) only when PG_CONFIG names another, as in
# make test PG_CONFIG=tmp/pg18/bin/pg_config.
$(shell echo '$(bindir) $(VERSION)' | cmp -s - src/.pg_server || echo '$(bindir) $(VERSION)' > src/.pg_server)
$(OBJS) $(OBJS:.o=.bc): src/.pg_server
# An object depends on the headers of src/ too, whose structs it uses.
$(OBJS) $(OBJS:.o=.bc): $(wildcard src/*.h)
src/pg_jobmon.o src/pg_jobmon.bc: $(EXTENSION).control
endif

sql/$(EXTENSION)--$(EXTVERSION).sql: $(SQL_SOURCES) $(EXTENSION).control Makefile
	cat $(SQL_SOURCES) > $@

$(FROM_1X_SCRIPTS): $(FROM_1X_SOURCES) Makefile
	{ cat updates/from-1x/prologue.sql; \
	  sed '/^\\echo /d' updates/$(EXTENSION)--$(FROM_1X_BASE).sql; \
	  cat updates/from-1x/epilogue.sql; } > $@

.PHONY: deps test demo bench fuzz start stop psql

deps:
	tools/deps.sh

test:
	tools/run.sh test

demo:
	tools/run.sh demo

bench:
	tools/run.sh bench

fuzz:
	tools/deps.sh
	$(MAKE) -C fuzz run

start:
	tools/run.sh start

stop:
	tools/cluster.sh stop

psql:
	tools/cluster.sh psql

# make dist: the release archive for PGXN, pg_jobmon-X.Y.Z.zip, holding
# pg_jobmon-X.Y.Z/ with the files committed at HEAD (git archive: nothing
# built, nothing local; .gitattributes leaves out what only the project's
# CI uses).  It refuses when META.json names another version than the
# control file, or when the files META.json provides are not committed.
.PHONY: dist
dist:
	@grep -q '"version": "$(EXTVERSION)"' META.json || \
		{ echo "dist: META.json does not name version $(EXTVERSION)" >&2; exit 1; }
	@for f in $$(sed -n 's/.*"\(doc\)\{0,1\}file": "\(.*\)".*/\2/p' META.json); do \
		git cat-file -e HEAD:$$f || { echo "dist: $$f, named in META.json, is not committed" >&2; exit 1; }; \
	done
	@git diff --quiet HEAD || echo "dist: uncommitted changes are not in the archive" >&2
	git archive --format=zip --prefix=$(EXTENSION)-$(EXTVERSION)/ -o $(EXTENSION)-$(EXTVERSION).zip HEAD
