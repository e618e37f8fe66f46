// The export's worker thread (run by Piscina, which loads it under tsx in
// tests as it does the training workers): computes the files (compute.ts), or
// returns the error as plain data, since an error's class does not survive
// the crossing (the main thread revives it).
import { computeExport, type ExportFile, type ExportJob } from './compute.js';

/** An error as it crosses threads: class name, message and, for SweepErrors, the exit code. */
export interface WorkerFailure {
  readonly name: string;
  readonly message: string;
  readonly stack?: string;
  readonly exitCode?: number;
}

export type WorkerAnswer =
  { readonly ok: true; readonly files: ExportFile[] } | { readonly ok: false; readonly failure: WorkerFailure };

export default async function exportWorker(job: ExportJob): Promise<WorkerAnswer> {
  try {
    return { ok: true, files: await computeExport(job) };
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    const exitCode = (e as { exitCode?: unknown }).exitCode;
    return {
      ok: false,
      failure: {
        name: e.name,
        message: e.message,
        stack: e.stack,
        exitCode: typeof exitCode === 'number' ? exitCode : undefined,
      },
    };
  }
}
