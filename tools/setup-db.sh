#!/usr/bin/env bash
# setup-db.sh DB - (re)create database DB with pg_jobmon in schema "jobmon",
# dblink in "public" (as most installations have it) and pgTAP.
set -euo pipefail
db=${1:?usage: setup-db.sh DATABASE}

psql -X -q -v ON_ERROR_STOP=1 -d postgres <<SQL
SET client_min_messages = warning;
DROP DATABASE IF EXISTS "$db" WITH (FORCE);
CREATE DATABASE "$db";
SQL
psql -X -q -v ON_ERROR_STOP=1 -d "$db" <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION dblink SCHEMA public;
CREATE SCHEMA jobmon;
CREATE EXTENSION pg_jobmon SCHEMA jobmon;
CREATE EXTENSION pgtap SCHEMA public;
SQL
