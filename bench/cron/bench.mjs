// bench.mjs - time croner and cron-parser on the expression set of
// exprs.tsv, the same way cron_bench.c times the C core: chains of 50
// fire times from 2024-01-01 00:00 UTC, repeated for at least 0.5 s per
// expression.  Prints "engine<TAB>ns<TAB>zone<TAB>expression" lines
// ("n/a" when the engine lacks the form).
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const { Cron } = require("croner");
const { CronExpressionParser } = require("cron-parser");

const CHAIN = 50, MIN_NS = 500_000_000n;
const START = new Date("2024-01-01T00:00:00Z");
const file = process.argv[2];
const rows = readFileSync(file, "utf8").split("\n").filter(l => l && !l.startsWith("#")).map(l => l.split("\t"));

function time(fn) {
  for (let i = 0; i < 20; i++) fn();  // warm up
  let calls = 0;
  const t0 = process.hrtime.bigint();
  let el;
  do { calls += fn(); el = process.hrtime.bigint() - t0; } while (el < MIN_NS);
  return Number(el) / calls;
}

for (const [zone, ours, cronerSpelling, parserSpelling] of rows) {
  const ce = cronerSpelling === "-" ? ours : cronerSpelling;
  const pe = parserSpelling === "-" ? ours : parserSpelling;
  if (ce === "n/a") console.log(`croner\tn/a\t${zone}\t${ours}`);
  else {
    const job = new Cron(ce, { timezone: zone, paused: true, legacyMode: true });
    const ns = time(() => {
      let prev = START, k = 0;
      for (; k < CHAIN; k++) { const n = job.nextRun(prev); if (!n) break; prev = n; }
      return k;
    });
    console.log(`croner\t${ns.toFixed(1)}\t${zone}\t${ours}`);
  }
  if (pe === "n/a") console.log(`cron-parser\tn/a\t${zone}\t${ours}`);
  else {
    const it = CronExpressionParser.parse(pe, { currentDate: START, tz: zone });
    const ns = time(() => {
      it.reset(START);
      let k = 0;
      for (; k < CHAIN; k++) { if (!it.hasNext()) break; it.next(); }
      return k;
    });
    console.log(`cron-parser\t${ns.toFixed(1)}\t${zone}\t${ours}`);
  }
}
