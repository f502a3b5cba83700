// Reads one JUnit XML file with four common consumers (npm packages, test
// peers only) and checks that each sees the expected counts:
//   node ci/junit-peers.mjs FILE TESTS FAILURES ERRORS SKIPPED
// Prints one line per consumer; exits 1 when any disagrees.
// Normalisations, each the consumer's documented meaning:
//  - test-results-parser's `total` leaves skipped tests out;
//  - xunit-viewer gives a test the status of its child element, so a flaky
//    test that passed on a rerun reads as "flakyFailure"/"flakyError": it
//    counts as passed, as Surefire (whose names these are) counts it.
import fs from 'fs'
import { createRequire } from 'module'
import path from 'path'

const [file, ...want] = process.argv.slice(2)
if (!file || want.length !== 4) {
  console.error('usage: node ci/junit-peers.mjs FILE TESTS FAILURES ERRORS SKIPPED')
  process.exit(2)
}
const expected = want.map(Number)
const root = process.env.TOLLGATE_NPM || 'build/npm'
const require = createRequire(path.resolve(root, 'node_modules', 'x.js'))
const load = async (name, sub = '') => import(path.resolve(root, 'node_modules', name, sub))
const xml = fs.readFileSync(file, 'utf8')
const attrs = (s) => {
  const m = s.match(/<testsuites\b([^>]*)>/)
  const get = (a) => Number((m[1].match(new RegExp(`\\b${a}="(\\d+)"`)) || [0, 0])[1])
  return [get('tests'), get('failures'), get('errors'), get('skipped')]
}

const seen = {}
const jrm = require('junit-report-merger')
seen['junit-report-merger'] = attrs(await jrm.mergeToString([xml]))

const { parse: j2j } = await load('junit2json', 'dist/esm/index.js')
const a = await j2j(xml)
seen.junit2json = [a.tests, a.failures, a.errors, a.skipped]

const xv = (await load('xunit-viewer', 'src/cli/parse.js')).default
const b = await xv(xml)
const count = [0, 0, 0, 0]
for (const s of Object.values(b.suites)) {
  for (const t of Object.values(s.tests || {})) {
    count[0]++
    if (t.status === 'failure') count[1]++
    else if (t.status === 'error') count[2]++
    else if (t.status === 'skipped') count[3]++
  }
}
seen['xunit-viewer'] = count

const trp = require('test-results-parser')
const c = trp.parse({ type: 'junit', files: [path.resolve(file)] })
seen['test-results-parser'] = [c.total + c.skipped, c.failed, c.errors, c.skipped]

let ok = true
for (const [name, got] of Object.entries(seen)) {
  const same = got.every((v, i) => v === expected[i])
  ok &&= same
  console.log(`${same ? 'ok  ' : 'DIFF'} ${name}: tests=${got[0]} failures=${got[1]} errors=${got[2]} skipped=${got[3]}`)
}
process.exit(ok ? 0 : 1)
