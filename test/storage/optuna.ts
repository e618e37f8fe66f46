// Runs the real Optuna library (/usr/bin/python3, Debian's python3-optuna) on
// one of our databases through fixtures/optuna_io.py. No skipping: without
// Optuna a test that needs it fails and says what to install.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PYTHON = '/usr/bin/python3';

// Beside this file under tsx; a compiled copy (dist/, npm test) has no .py
// beside it, so look in test/storage/fixtures of the package root.
function fixture(name: string): string {
  const here = fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
  if (existsSync(here)) return here;
  let dir = dirname(here);
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return join(dir, 'test', 'storage', 'fixtures', name);
}
const SCRIPT = fixture('optuna_io.py');

let optunaChecked = false;
function requireOptuna(): void {
  if (optunaChecked) return;
  try {
    execFileSync(PYTHON, ['-c', 'import optuna, sqlalchemy'], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    assert.fail(
      `${PYTHON} cannot import optuna (${(err as Error).message.split('\n')[0]}). ` +
        'These interop tests need the real Optuna library: install it with `apt-get install python3-optuna` (CI does).',
    );
  }
  optunaChecked = true;
}

/** `mode` of fixtures/optuna_io.py (dump, add, create, enqueue, gridsample); returns its stdout. */
export function optuna(mode: string, ...args: string[]): string {
  requireOptuna();
  return execFileSync(PYTHON, [SCRIPT, mode, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}
