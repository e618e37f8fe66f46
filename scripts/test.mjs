// Runs every test/**/*.test.ts(x) with node's test runner (Node 20 has no glob in
// --test). One file at a time (training tests use both cores); a test that
// hangs fails after 10 minutes instead of holding CI to its limit.
import { readdirSync, statSync } from 'node:fs';
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
const r = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-timeout=600000', ...files],
  { stdio: 'inherit' },
);
process.exit(r.status ?? 1);
