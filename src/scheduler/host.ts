// Who runs a trial: the host (its name, or an id given for tests that play
// several hosts on one machine), the process, and the GPU it sees. Written to
// every trial this process claims (system attributes `worker`, `host`, `pid`,
// `cuda_visible_devices`), read back by `sweep status` (src/report/hosts.ts)
// and by dead-trial recovery (a pid means something on its own host only).
import { hostname } from 'node:os';
import type { JsonValue } from '../storage/storage.js';

export interface HostIdentity {
  /** os.hostname(), or the id given with --host-id / IAE_HOST_ID. */
  readonly host: string;
  readonly pid: number;
  /** The GPU(s) this process may use, when CUDA_VISIBLE_DEVICES is set (`sweep worker --gpus`). */
  readonly cudaVisibleDevices?: string;
}

/** A host id is stored and printed: letters, digits, `.`, `_` and `-` (no `:`, so that `worker` stays "host:pid"). */
export const HOST_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

export function hostIdentity(hostId?: string, env: NodeJS.ProcessEnv = process.env, pid = process.pid): HostIdentity {
  const cuda = env.CUDA_VISIBLE_DEVICES;
  return {
    host: hostId ?? hostname(),
    pid,
    ...(cuda !== undefined && cuda !== '' ? { cudaVisibleDevices: cuda } : {}),
  };
}

/** The `worker` attribute, "host:pid", as claims have always written it. */
export function ownerOf(id: HostIdentity): string {
  return `${id.host}:${id.pid}`;
}

/** System attributes written with every claim besides `worker`. */
export function claimAttrs(id: HostIdentity): Record<string, JsonValue> {
  return {
    host: id.host,
    pid: id.pid,
    ...(id.cudaVisibleDevices !== undefined ? { cuda_visible_devices: id.cudaVisibleDevices } : {}),
  };
}
