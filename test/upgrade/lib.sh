# lib.sh - what the upgrade tests share (sourced by run.sh and from-1x.sh,
# which set $ext): psql, a database with the extension at a given version,
# and a snapshot of the extension's schema, members and data, to compare
# with a fresh install.

q() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }

# create_db DB [VERSION]: as tools/setup-db.sh (pgTAP aside), at VERSION.
create_db() {
	q -d postgres <<-SQL
	SET client_min_messages = warning;
	DROP DATABASE IF EXISTS "$1" WITH (FORCE);
	CREATE DATABASE "$1";
	SQL
	q -d "$1" <<-SQL
	SET client_min_messages = warning;
	CREATE EXTENSION dblink SCHEMA public;
	CREATE SCHEMA jobmon;
	CREATE EXTENSION $ext ${2:+VERSION '$2'} SCHEMA jobmon;
	SQL
}

drop_db() {
	q -d postgres -c "DROP DATABASE IF EXISTS \"$1\" WITH (FORCE)"
}

# snapshot DB OUT: OUT.schema, OUT.members, OUT.data
snapshot() {
	pg_dump --schema-only --binary-upgrade --extension=$ext --schema=jobmon -d "$1" |
		LC_ALL=C awk -v OFS='\t' '
		function out(line) { if (held) print key, seq++, hold; hold = line; held = 1 }
		/^-- Name: / { out(""); held = 0; key = $0; seq = 0; out($0); next }
		/^--( |$)/ || /^$/ { next }
		/^SET / || /^SELECT pg_catalog\.set_config\(/ { next }
		/^\\(un)?restrict / { next }
		/binary_upgrade_set_next_|binary_upgrade_set_missing_value/ { next }
		/^WHERE oid = .[0-9]+.;$/ { next }
		/binary_upgrade_create_empty_extension/ {
			sub(/\x27\{[0-9,]*\}\x27/, "\x27{config table oids}\x27")
		}
		# Columns an update dropped survive in a binary-upgrade dump: drop
		# them from CREATE TABLE (and the comma before a last one) and drop
		# the statements that recreate them.
		/^UPDATE pg_catalog\.pg_attribute$/ { skip = 1 }
		skip { if (/;$/) skip = 0; next }
		/^ALTER TABLE ONLY .* DROP COLUMN "\.+pg\.dropped\.[0-9]+\.+";$/ { next }
		/^    "\.+pg\.dropped\.[0-9]+\.+" / { if (!/,$/) sub(/,$/, "", hold); next }
		{ out($0) }
		END { out("") }
		' | LC_ALL=C sort -s -t "$(printf '\t')" -k1,1 | cut -f3- > "$2.schema" || return 1

	q -A -t -d "$1" > "$2.members" <<-SQL || return 1
	SELECT pg_catalog.pg_describe_object(classid, objid, objsubid)
	FROM pg_catalog.pg_depend
	WHERE refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass
	  AND refobjid = (SELECT oid FROM pg_catalog.pg_extension WHERE extname = '$ext')
	  AND deptype = 'e'
	ORDER BY 1;
	SQL

	q -A -t -d "$1" > "$2.data" <<-SQL
	SET search_path = pg_catalog;
	SELECT format('extension %s %s in schema %s, relocatable %s',
	              extname, extversion, extnamespace::regnamespace, extrelocatable)
	FROM pg_extension WHERE extname = '$ext';
	SELECT format('config %s %L', c::regclass, cond)
	FROM pg_extension e, unnest(e.extconfig, e.extcondition) WITH ORDINALITY AS u(c, cond, i)
	WHERE e.extname = '$ext' ORDER BY i;
	SELECT CASE WHEN c.relkind = 'S'
	       THEN format('SELECT %L || last_value || %L || is_called FROM %s;',
	                   c.oid::regclass || ': last_value ', ', is_called ', c.oid::regclass)
	       ELSE format('SELECT %L || t::text FROM %s t ORDER BY 1;',
	                   c.oid::regclass || ': ', c.oid::regclass) END
	FROM pg_extension e, unnest(e.extconfig) AS u(oid) JOIN pg_class c ON c.oid = u.oid
	WHERE e.extname = '$ext' ORDER BY c.oid::regclass::text \gexec
	SELECT format('SELECT %L || count(*) || %L FROM %s;',
	              c.oid::regclass || ': ', ' rows', c.oid::regclass)
	FROM pg_depend d JOIN pg_class c ON c.oid = d.objid
	WHERE d.classid = 'pg_class'::regclass AND d.deptype = 'e'
	  AND d.refclassid = 'pg_extension'::regclass
	  AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = '$ext')
	  AND c.relkind IN ('r', 'p')
	  AND c.oid <> ALL ((SELECT extconfig FROM pg_extension WHERE extname = '$ext')::oid[])
	ORDER BY c.oid::regclass::text \gexec
	SQL
}
