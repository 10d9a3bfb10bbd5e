#!/usr/bin/perl
# run.pl - run the SQL examples of the documentation, in page order, and
# check the results they state (part of "make test", through tools/test.sh).
#
#   test/doc/run.pl [PAGE.md ...]     default: every page in @PAGES below
#
# Needs a running cluster reached through the PG* variables (tools/run.sh
# sets them), connecting as a superuser.  Prints TAP: one test per ```sql
# block, "ok N - PAGE block B (line L)"; a failure names the page, block,
# line and statement and gives the error (on standard error, so that
# "prove test/doc/run.pl" shows it), e.g.
#
#   not ok 7 - doc/scheduler.md block 5 (line 249)
#   #   line 250: SELECT jobmon.run_job(:purge_id) AS run_id \gset
#   #   failed: 42704 scheduled job 3 does not exist
#
# How a page runs
#   Each page runs in one psql session (so \gset variables and the objects
#   of one example carry over to the next), in a database of its own that is
#   created empty before the page and dropped after it, with TimeZone UTC and
#   statement_timeout 5 minutes; the page as a whole is stopped after
#   10 minutes.  After the page the runner also unschedules the pg_cron jobs
#   of that database, drops the roles the page created, and at the very end
#   drops pg_cron from the cron database if a page created it there.
#   Statements run one by one with psql's own parsing (psql meta-commands such
#   as \gset, \x and \c work); every statement must succeed unless its result
#   says otherwise.
#
# Stated results, in a block
#   SELECT ...;   -- => t             the statement's output is "t"
#   SELECT ...;   -- => ERROR 22023   the statement fails with that SQLSTATE
#                                     (text after the code is free)
#   -- => second row                  further lines "-- => ..." right after it
#                                     are the following rows
#   The output is psql's unaligned, tuples-only output with " | " between
#   columns; blanks around "|" and at the ends of lines do not count.
#
# Markers: HTML comments, invisible on the rendered page
#   <!-- doc-test: database NAME -->  (page) run the page in database NAME
#                                     (default doc_<page name>)
#   <!-- doc-test: setup pg_jobmon --> (page) create dblink, schema jobmon and
#                                     pg_jobmon in the page's database first,
#                                     for pages that assume them
#   <!-- doc-test: dispatcher -->     (page) keep a dispatcher running in the
#                                     page's database, as pg_cron would: a
#                                     loop of CALL jobmon.jobmon_dispatch()
#   <!-- doc-test: skip REASON -->    (block) do not run the next ```sql
#                                     block; the reason is printed.  Keep
#                                     these rare: fix the example instead.
#   <!-- doc-test: needs pg_cron -->  (block) run the next block only where
#                                     pg_cron is loaded (not on a server built
#                                     without it); otherwise skip it
#   <!-- doc-test: output -->         (block) the next fence (``` or ```text)
#                                     is the output of the last SQL statement
#                                     (not psql command) of the ```sql block
#                                     before it; compared as
#                                     "-- =>" lines are ("-[ RECORD n ]"
#                                     lines of expanded output are ignored)
use strict;
use warnings;
use File::Temp qw(tempdir);
use POSIX qw(setsid WNOHANG);

my @PAGES = qw(README.md doc/getting-started.md doc/pg_jobmon.md doc/scheduler.md doc/cron.md);
my $PAGE_TIMEOUT = 600;
my $BEGIN = '@@doc-test begin';
my $END   = '@@doc-test end';

my $top = $0 =~ m{^(.*)/test/doc/[^/]+$} ? $1 : '.';
chdir $top or die "cannot chdir to $top: $!";
my @pages = @ARGV ? @ARGV : @PAGES;
$| = 1;
my $tmp = tempdir('pg_jobmon-doc-XXXXXX', TMPDIR => 1, CLEANUP => 1);

# psql on the maintenance database; returns its output, dies on error.
sub admin {
	my ($sql, $db) = @_;
	$db //= 'postgres';
	local $ENV{PGOPTIONS} = '-c client_min_messages=warning';
	open my $fh, '-|', 'psql', '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', $db, '-c', $sql
		or die "psql: $!";
	local $/;
	my $out = <$fh> // '';
	close $fh or die "psql failed on: $sql\n";
	$out =~ s/\s+\z//;
	return $out;
}

sub quote_literal { my $s = shift; $s =~ s/'/''/g; return "'$s'" }
sub quote_ident   { my $s = shift; $s =~ s/"/""/g; return "\"$s\"" }

my $cron_db = admin("SELECT coalesce(current_setting('cron.database_name', true), '')");
my $has_cron = $cron_db ne ''
	&& admin("SELECT count(*) FROM pg_available_extensions WHERE name = 'pg_cron'") > 0;
my $cron_there_before = $has_cron
	&& admin("SELECT count(*) FROM pg_extension WHERE extname = 'pg_cron'", $cron_db) > 0;

# ---------------------------------------------------------------------------
# Reading a page: its sql blocks, their statements and stated results.

# Split a block into statements as psql does: ";" or a backslash command
# ends a statement, outside quotes, dollar quotes and comments; a line that
# starts with a backslash command is a statement of its own.  Each statement
# keeps its first line and the results stated after it ("-- =>").
sub split_block {
	my ($text, $first_line) = @_;
	my @stmts;
	my ($buf, $start, $has_code) = ('', undef, 0);
	my $line = $first_line;
	my $i = 0;
	my $n = length $text;
	my $finish = sub {
		my ($kind) = @_;
		# The rest of the line: a stated result, or a comment.
		my $rest = '';
		if (substr($text, $i) =~ /^([^\n]*)/) {
			$rest = $1;
		}
		my %s = (kind => $kind, line => $start, text => $buf, expect => []);
		if ($rest =~ /^\s*--\s*=>\s?(.*)$/) {
			push @{$s{expect}}, $1;
		}
		$i += length $rest;
		$buf .= $rest;
		# Following lines that state further rows.
		while (substr($text, $i) =~ /^\n([ \t]*--[ \t]*=>[ \t]?([^\n]*))/) {
			push @{$s{expect}}, $2;
			$buf .= "\n$1";
			$i += 1 + length $1;
			$line++;
		}
		$s{text} = $buf;
		push @stmts, \%s;
		($buf, $start, $has_code) = ('', undef, 0);
	};
	while ($i < $n) {
		my $c = substr($text, $i, 1);
		my $rest = substr($text, $i);
		if ($c eq "\n") {
			$line++;
			$buf .= $c;
			$i++;
			next;
		}
		if ($rest =~ /^(--[^\n]*)/) {
			$buf .= $1;
			$i += length $1;
			next;
		}
		if ($rest =~ m{^(/\*.*?\*/)}s) {
			$buf .= $1;
			$line += ($1 =~ tr/\n//);
			$i += length $1;
			next;
		}
		if (!$has_code && $c =~ /\S/) {
			$start = $line;
		}
		if ($c eq "'" || $c eq '"') {
			$rest =~ /^(\Q$c\E[^\Q$c\E]*(?:\Q$c\E|$))/s;
			$buf .= $1;
			$line += ($1 =~ tr/\n//);
			$i += length $1;
			$has_code = 1;
			next;
		}
		if ($rest =~ /^(\$([A-Za-z_]\w*)?\$)/ && ($i == 0 || substr($text, $i - 1, 1) !~ /\w/)) {
			my $tag = $1;
			my $end = index($text, $tag, $i + length $tag);
			$end = $end < 0 ? $n : $end + length $tag;
			my $q = substr($text, $i, $end - $i);
			$buf .= $q;
			$line += ($q =~ tr/\n//);
			$i = $end;
			$has_code = 1;
			next;
		}
		if ($c eq '\\') {
			# A backslash command runs to the end of its line.
			$rest =~ /^([^\n]*)/;
			my $cmd = $1;
			my $kind = $has_code ? 'sql' : 'meta';
			$start //= $line;
			$buf .= $cmd;
			$i += length $cmd;
			$finish->($kind);
			next;
		}
		$buf .= $c;
		$i++;
		if ($c eq ';') {
			$has_code = 1;
			$finish->('sql');
			next;
		}
		$has_code = 1 if $c =~ /\S/;
	}
	if ($has_code) {
		push @stmts, {kind => 'unterminated', line => $start, text => $buf, expect => []};
	}
	return @stmts;
}

# The page's settings and its sql blocks, with their markers.
sub read_page {
	my ($page) = @_;
	open my $fh, '<', $page or die "cannot read $page: $!";
	my @lines = <$fh>;
	close $fh;
	my (%page, @blocks, %pending);
	$page{database} = 'doc_' . ($page =~ m{([^/]+)\.md$} ? lc $1 : 'page');
	$page{database} =~ s/\W/_/g;
	for (my $l = 0; $l < @lines; $l++) {
		my $line = $lines[$l];
		while ($line =~ /<!--\s*doc-test:\s*(.*?)\s*-->/g) {
			my $m = $1;
			if ($m =~ /^database\s+(\S+)$/)    { $page{database} = $1 }
			elsif ($m eq 'setup pg_jobmon')    { $page{setup} = 1 }
			elsif ($m eq 'dispatcher')         { $page{dispatcher} = 1 }
			elsif ($m =~ /^skip\s*(.*)$/)      { $pending{skip} = $1 || 'marked skip' }
			elsif ($m eq 'needs pg_cron')      { $pending{needs_cron} = 1 }
			elsif ($m eq 'output')             { $pending{output} = 1 }
			else { die "$page line " . ($l + 1) . ": unrecognized marker \"doc-test: $m\"\n" }
		}
		next unless $line =~ /^(\s*)```(\w*)\s*$/;
		my ($indent, $lang) = ($1, $2);
		my $first = $l + 2;
		my $body = '';
		for ($l++; $l < @lines && $lines[$l] !~ /^\s*```\s*$/; $l++) {
			(my $b = $lines[$l]) =~ s/^\Q$indent\E//;
			$body .= $b;
		}
		if ($pending{output}) {
			die "$page line $first: an output block follows no sql block\n" unless @blocks;
			$blocks[-1]{output} = [split /\n/, $body];
			$blocks[-1]{output_line} = $first;
		} elsif ($lang eq 'sql') {
			push @blocks, {
				number => scalar(@blocks) + 1, line => $first, body => $body,
				skip => $pending{skip}, needs_cron => $pending{needs_cron},
				statements => [split_block($body, $first)],
			};
		}
		%pending = ();
	}
	$page{blocks} = \@blocks;
	return \%page;
}

# ---------------------------------------------------------------------------
# Running a page.

# Normalized lines of output, for comparing stated and actual results.
sub normalize {
	my @out;
	for (@_) {
		my $l = $_;
		next if $l =~ /^-\[ RECORD \d+ \]/;
		$l =~ s/\s*\|\s*/ | /g;
		$l =~ s/^\s+|\s+$//g;
		push @out, $l;
	}
	shift @out while @out && $out[0] eq '';
	pop @out while @out && $out[-1] eq '';
	return @out;
}

# The psql script of a page: every statement between markers on both
# streams, so that its output, status and messages can be told apart.
sub script {
	my ($page) = @_;
	my $s = '';
	for my $b (@{$page->{blocks}}) {
		next if $b->{skip} || ($b->{needs_cron} && !$has_cron);
		my $k = 0;
		for my $st (@{$b->{statements}}) {
			$k++;
			next if $st->{kind} eq 'unterminated';
			my $id = "$b->{number}.$k";
			$s .= "\\echo '$BEGIN $id'\n\\warn '$BEGIN $id'\n$st->{text}\n";
			$s .= $st->{kind} eq 'meta' ? "\\echo '$END $id' false 00000\n"
				: "\\echo '$END $id' :ERROR :SQLSTATE\n";
		}
	}
	return $s;
}

# Runs a command with a time limit; returns its exit status, or undef when it
# was stopped.  The command gets a session (and process group) of its own.
sub run_limited {
	my ($limit, $out, $err, @cmd) = @_;
	my $pid = fork // die "fork: $!";
	if ($pid == 0) {
		setsid();
		open STDOUT, '>', $out or die;
		open STDERR, '>', $err or die;
		open STDIN, '<', '/dev/null' or die;
		exec @cmd or die "exec $cmd[0]: $!";
	}
	my $deadline = time + $limit;
	while (time < $deadline) {
		return $? if waitpid($pid, WNOHANG) == $pid;
		select undef, undef, undef, 0.1;
	}
	kill 'TERM', -$pid;
	waitpid $pid, 0;
	return undef;
}

# Splits a stream of the page's run by statement markers.
sub by_statement {
	my ($file) = @_;
	my (%text, %status, $id);
	open my $fh, '<', $file or return ({}, {});
	while (my $l = <$fh>) {
		chomp $l;
		if ($l =~ /^\Q$BEGIN\E (\S+)$/) {
			$id = $1;
			$text{$id} = [];
		} elsif ($l =~ /^\Q$END\E (\S+) (\S+) (\S+)$/) {
			$status{$1} = {error => $2 eq 'true', sqlstate => $3};
			$id = undef;
		} elsif (defined $id) {
			push @{$text{$id}}, $l;
		}
	}
	return (\%text, \%status);
}

sub first_line { my ($t) = @_; $t =~ s/^\s*(?:--[^\n]*\n\s*)*//; $t =~ s/\n.*//s; return $t }

my $test = 0;
my $failed = 0;

sub report {
	my ($ok, $desc, @diag) = @_;
	$test++;
	$failed++ unless $ok;
	print(($ok ? 'ok' : 'not ok') . " $test - $desc\n");
	print STDERR "#   $_\n" for map { split /\n/ } @diag;
}

# The verdict on one block, from the streams of its page's run.
sub check_block {
	my ($page, $b, $out, $err, $status, $stopped) = @_;
	my @diag;
	my $k = 0;
	my $last_out;
	for my $st (@{$b->{statements}}) {
		$k++;
		my $id = "$b->{number}.$k";
		my $where = "line $st->{line}: " . first_line($st->{text});
		if ($st->{kind} eq 'unterminated') {
			push @diag, $where, "not run: the statement has no ; at its end";
			last;
		}
		my $s = $status->{$id};
		if (!$s) {
			push @diag, $where, $stopped ? "did not finish within $PAGE_TIMEOUT s: stopped" : 'did not run';
			last;
		}
		my @got = @{$out->{$id} // []};
		my @msgs = map { s/^psql:[^:]*:\d+: //r } @{$err->{$id} // []};
		$last_out = \@got if $st->{kind} eq 'sql';
		my @expect = @{$st->{expect}};
		if (@expect && $expect[0] =~ /^ERROR\s+(\w{5})\b/) {
			my $want = $1;
			if (!$s->{error}) {
				push @diag, $where, "succeeded, but the page says it fails with $want";
			} elsif ($s->{sqlstate} ne $want) {
				push @diag, $where, "failed with $s->{sqlstate}, the page says $want", @msgs;
			}
			next;
		}
		if ($s->{error}) {
			push @diag, $where, "failed: $s->{sqlstate}", @msgs;
			next;
		}
		if (@expect) {
			my @g = normalize(@got);
			my @e = normalize(@expect);
			if (join("\n", @g) ne join("\n", @e)) {
				push @diag, $where, 'the page states:', (map { "    $_" } @e),
					'psql printed:', (map { "    $_" } @g);
			}
		}
	}
	if ($b->{output} && !@diag) {
		my @g = normalize(@{$last_out // []});
		my @e = normalize(@{$b->{output}});
		if (join("\n", @g) ne join("\n", @e)) {
			push @diag, "line $b->{output_line}: the output shown differs", 'the page shows:',
				(map { "    $_" } @e), 'psql printed:', (map { "    $_" } @g);
		}
	}
	report(!@diag, "$page block $b->{number} (line $b->{line})",
		@diag ? ("$page block $b->{number}, " . shift(@diag), @diag) : ());
}

sub run_page {
	my ($name) = @_;
	my $page = read_page($name);
	my $db = $page->{database};
	my $qdb = quote_ident($db);
	my %roles_before = map { $_ => 1 } split /\n/, admin('SELECT rolname FROM pg_roles');

	admin("DROP DATABASE IF EXISTS $qdb WITH (FORCE)");
	admin("CREATE DATABASE $qdb");
	if ($page->{setup}) {
		admin("SET client_min_messages = warning; CREATE EXTENSION dblink SCHEMA public; "
			. "CREATE SCHEMA jobmon; CREATE EXTENSION pg_jobmon SCHEMA jobmon", $db);
	}
	my $dispatcher;
	if ($page->{dispatcher}) {
		# As pg_cron would: a call every minute, or at once when one ends.
		$dispatcher = fork // die "fork: $!";
		if ($dispatcher == 0) {
			setsid();
			open STDOUT, '>', "$tmp/dispatcher.log";
			open STDERR, '>&', \*STDOUT;
			while (1) {
				system 'psql', '-X', '-q', '-d', $db, '-c', 'CALL jobmon.jobmon_dispatch()';
				sleep 1;
			}
		}
	}

	open my $fh, '>', "$tmp/page.sql" or die;
	print $fh script($page);
	close $fh;
	local $ENV{PGTZ} = 'UTC';
	local $ENV{PGOPTIONS} = '-c statement_timeout=300s';
	my $rc = run_limited($PAGE_TIMEOUT, "$tmp/out", "$tmp/err",
		'psql', '-X', '-q', '-A', '-t', '-F', ' | ', '-v', 'ON_ERROR_STOP=0', '-d', $db, '-f', "$tmp/page.sql");
	my ($out, $status) = by_statement("$tmp/out");
	my ($err) = by_statement("$tmp/err");

	for my $b (@{$page->{blocks}}) {
		my $desc = "$name block $b->{number} (line $b->{line})";
		if ($b->{skip}) {
			$test++;
			print "ok $test - $desc # skip $b->{skip}\n";
		} elsif ($b->{needs_cron} && !$has_cron) {
			$test++;
			print "ok $test - $desc # skip pg_cron is not loaded\n";
		} else {
			check_block($name, $b, $out, $err, $status, !defined $rc);
		}
	}

	if ($dispatcher) {
		kill 'TERM', -$dispatcher;
		waitpid $dispatcher, 0;
	}
	if ($has_cron && admin("SELECT count(*) FROM pg_extension WHERE extname = 'pg_cron'", $cron_db) > 0) {
		admin('SELECT count(cron.unschedule(jobid)) FROM cron.job WHERE database = ' . quote_literal($db), $cron_db);
	}
	admin("DROP DATABASE IF EXISTS $qdb WITH (FORCE)");
	for my $r (split /\n/, admin('SELECT rolname FROM pg_roles')) {
		next if $roles_before{$r};
		# The page's databases are gone; what the role may still own in
		# the others goes with it.
		for my $d (split /\n/, admin('SELECT datname FROM pg_database WHERE datallowconn')) {
			admin('DROP OWNED BY ' . quote_ident($r), $d);
		}
		admin('DROP ROLE ' . quote_ident($r));
	}
}

print "1.." . (eval { my $c = 0; $c += @{read_page($_)->{blocks}} for @pages; $c } // die $@) . "\n";
run_page($_) for @pages;
if ($has_cron && !$cron_there_before) {
	admin('DROP EXTENSION IF EXISTS pg_cron', $cron_db);
}
exit($failed ? 1 : 0);
