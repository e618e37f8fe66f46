// Runs every test/**/*.test.ts(x) with node's test runner (Node 20 has no glob in
// --test). One file at a time (training tests use both cores); a test that
// hangs fails after 10 minutes instead of holding CI to its limit.
import { chmodSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function find(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return name === 'fixtures' ? [] : find(p);
    return name.endsWith('.test.ts') || name.endsWith('.test.tsx') ? [p] : [];
  });
}

const only = process.argv.slice(2);
// Arguments may name files or folders (npm run test:e2e passes test/e2e and test/faults).
const files = (only.length ? only.flatMap((a) => (statSync(a).isDirectory() ? find(a) : [a])) : find('test')).sort();
// Every temporary folder the tests make (studies, caches, PostgreSQL data
// directories, some of them hundreds of MB) goes under one folder of this
// run, through TMPDIR (os.tmpdir() reads it, and child processes inherit
// it), and that folder is removed at the end: repeated runs do not fill
// /tmp. KEEP_TEST_TMP=1 keeps it, for a look after a failure.
const root = mkdtempSync(join(tmpdir(), 'iae-test-'));
// The PostgreSQL tests run their server as an unprivileged user, in a folder under this one.
chmodSync(root, 0o755);
const r = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-timeout=600000', ...files],
  { stdio: 'inherit', env: { ...process.env, TMPDIR: root } },
);
if (process.env.KEEP_TEST_TMP) console.log(`test files kept in ${root}`);
else {
  try {
    rmSync(root, { recursive: true, force: true });
  } catch (e) {
    // A leftover mount or a server still stopping: say so, without failing a run that passed.
    console.log(`could not remove ${root}: ${e.message}`);
  }
}
process.exit(r.status ?? 1);
