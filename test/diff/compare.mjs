// compare.mjs - read cases from cron_diff on stdin, compute croner's fire
// times for each, and report every disagreement.  Disagreements of a kind
// listed in doc/cron.md ("Intended differences from croner") are counted
// apart; any other one fails the run.
import { Cron } from "croner";
import { createInterface } from "node:readline";

const RUNS = 5;
let cases = 0, agreed = 0, intended = 0;
const failures = [];
const intendedKinds = {};

// Intended difference: croner refuses a form this engine accepts.
function refusedByCroner(msg) {
  return /steps cannot be greater|larger than to value|stepping with numeric prefix/i.test(msg);
}

// Wall-clock time of instant t (seconds) in zone, to the second.
const fmtCache = {};
function wall(t, zone) {
  const f = fmtCache[zone] ||= new Intl.DateTimeFormat("en-CA", {
    timeZone: zone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", second: "2-digit" });
  return f.format(new Date(t * 1000));
}
// Is t the second pass of its wall-clock time (after a fall-back change)?
function secondPass(t, zone) {
  return [1800, 3600, 7200].some(d => wall(t - d, zone) === wall(t, zone));
}
// Hour field written without "*" or a step: fixed-hour rules apply.
function fixedHours(expr) {
  const f = expr.trim().split(/\s+/);
  const hour = f.length === 6 ? f[2] : f[1];
  return !/[*\/]/.test(hour);
}
function note(kind) { intended++; intendedKinds[kind] = (intendedKinds[kind] || 0) + 1; }

const rl = createInterface({ input: process.stdin });
for await (const line of rl) {
  if (!line) continue;
  const c = JSON.parse(line);
  cases++;
  let theirs;
  try {
    const job = new Cron(c.e, { timezone: c.z, legacyMode: true, paused: true });
    theirs = [];
    let prev = new Date(c.t * 1000);
    for (let i = 0; i < RUNS; i++) {
      const n = job.nextRun(prev);
      if (!n) break;
      theirs.push(Math.floor(n.getTime() / 1000));
      prev = n;
    }
  } catch (e) {
    if (refusedByCroner(e.message)) {
      note("croner refuses the form");
      continue;
    }
    failures.push(`${c.e} [${c.z}]: croner error ${e.message}`);
    continue;
  }
  const ours = c.r;
  const sameList = (a, b, prefix) => {
    if (!prefix && a.length !== b.length) return false;
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
    return true;
  };
  if (sameList(ours, theirs, false)) { agreed++; continue; }
  // Intended difference: a fixed-hour time inside a spring-forward gap
  // fires at the end of the gap here (the rule); croner sometimes
  // skips it.  Without those fire times the lists must agree.
  const kept = ours.filter((_, i) => !c.g.includes(i));
  if (c.g.length && sameList(kept, theirs, true)) {
    note("fixed time in a spring-forward gap");
    continue;
  }
  // Intended difference: a fixed-hour schedule (ranges and lists count as
  // fixed) fires a repeated wall-clock time once, at its first pass;
  // croner fires it again when the hour field is a range.
  if (fixedHours(c.e)) {
    const firstOnly = theirs.filter(t => !secondPass(t, c.z));
    if (firstOnly.length < theirs.length && sameList(kept, firstOnly, true)) {
      note("fixed-hour time repeated in a fall-back overlap");
      continue;
    }
  }
  failures.push(`${c.e} [${c.z}] after ${new Date(c.t * 1000).toISOString()}:\n` +
    `    ours:   ${ours.map(t => new Date(t * 1000).toISOString()).join(" ")}\n` +
    `    croner: ${theirs.map(t => new Date(t * 1000).toISOString()).join(" ")}`);
}

for (const f of failures.slice(0, 20)) console.log(f);
if (failures.length > 20) console.log(`... and ${failures.length - 20} more`);
const kinds = Object.entries(intendedKinds).map(([k, v]) => `${k}: ${v}`).join(", ");
console.log(`croner differential: ${cases} cases (${RUNS} fire times each), ${agreed} agree` +
  (kinds ? `, intended differences: ${kinds}` : "") + `, ${failures.length} disagree`);
console.log(`${agreed + intended} passed, ${failures.length} failed`);
process.exit(failures.length ? 1 : 0);
