// What a PostgreSQL server started by a bench has cost, for the benches that
// compare it with SQLite or with an earlier version of our code.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * CPU (user + system, ms) the PostgreSQL server has used so far: the
 * postmaster with its reaped children, plus its live children (backends,
 * checkpointer ...). Linux /proc; the machine is shared, so this, not the
 * wall rate, says what the work cost.
 */
export function serverCpuMs(dataDir: string): number {
  const tick = 1000 / 100; // CLK_TCK is 100 on Linux
  const stat = (pid: string) => {
    try {
      const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
      return f.slice(f.lastIndexOf(')') + 2).split(' ');
    } catch {
      return null; // exited meanwhile
    }
  };
  const master = readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]!.trim();
  const m = stat(master);
  if (!m) throw new Error(`no postmaster ${master}`);
  let ticks = Number(m[11]) + Number(m[12]) + Number(m[13]) + Number(m[14]);
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    const f = stat(pid);
    if (f && f[1] === master) ticks += Number(f[11]) + Number(f[12]);
  }
  return ticks * tick;
}
