// The help texts: one per command (`sweep <command> --help`, `sweep help
// <command>`), and the overview (`sweep help`) made of their first lines.
// The exit codes are listed here once; README.md documents the same.

export const COMMAND_HELP: Readonly<Record<string, string>> = {
  start: `start <study.json>     queue the study's grid and run it (resumes where it stopped)
    --db PATH            SQLite file (default: the study's "storage", else db/<name>.sqlite3)
    --workers N          parallel trials (default: the study's "workers", else one per core on wasm/cpu, one per GPU)
    --backend NAME       auto | tensorflow-gpu | tensorflow | wasm | cpu (checked before any trial is claimed)
    --cache-dir DIR      decoded data and pretrained weights (default .cache); --no-cache disables both
    --stale-after SEC    a worker silent this long is hung: stopped, its trial FAILs; a RUNNING trial
                         of another process without heartbeat this long is re-queued (default 60)
    --max-points N       refuse a grid of more points than this (default 100000)
    --rerun-pruned       queue the points the study's pruner stopped again and run them to the end (pruner off)
    --no-run             queue the grid (every check, the study created) and exit 0 without running a trial;
                         then run it with \`sweep worker\` on any number of hosts (the backend is checked there)
    --host-id NAME       this host's id in the trials' system attributes (default: the hostname; env IAE_HOST_ID)
    --json               one JSON object per line on stdout (events and the summary), no live screen`,
  worker: `worker <study>         join a study queued elsewhere (\`start --no-run\`) and run its waiting trials; no study
                         file needed (the definition is stored in the database). Exits 0 when no trial waits and
                         none runs on any host (3 if some of its trials failed); while other hosts' trials run, it
                         watches them and takes over any whose host died; never queues grid points
    --db PATH            the study's database (default db/<name>.sqlite3); --storage URL is the same option
    --workers N          parallel trials (default: the study's "workers", else one per core on wasm/cpu)
    --backend NAME       auto | tensorflow-gpu | tensorflow | wasm | cpu (default: the study's)
    --gpus 0,1           one worker process per GPU: a child \`sweep worker\` each, with CUDA_VISIBLE_DEVICES set to
                         its GPU and one worker (TensorFlow must not share a GPU between threads); stop signals are
                         passed on, and the exit code is the worst child's
    --host-id NAME       this host's id in the trials' system attributes (default: the hostname; env IAE_HOST_ID)
    --cache-dir DIR      decoded data and pretrained weights (default .cache); --no-cache disables both
    --stale-after SEC    as for start (default 60); a trial left RUNNING by a host that died is queued again and
                         run by a worker or start still on the study (it looks every quarter of this, at most
                         15 s), or by the next one started, once its heartbeat is this old
    --json               one JSON object per line on stdout
    The host's decoded data set must be the study's (its sha256 fingerprint, recorded at the first start):
    a host whose data differ is refused (exit 2) before it claims a trial.`,
  monitor: `monitor <study>        watch a running study from its database (read-only; q quits)
    --db PATH`,
  status: `status <study>         counts per state, best trial per model and normal class, the hosts that ran trials
    --db PATH
    --json               one JSON object`,
  export: `export <study>         write the paper's tables to reports/
    --db PATH  --out DIR  --format md,csv,json  --select oracle|default|median
    --score svdd|rec|svdd+rec  --compare paper  --no-figures  --heat-scale data|auroc`,
  'replay-pruner': `replay-pruner <study>  what a pruner would have saved on a study run to the end without one, and which
                         best points it would have lost: the stored curves replayed through the pruner in the
                         order the workers would have met them, without training (read-only)
    --pruner JSON        a pruner as a study file writes it; repeat to compare (default: the study's own)
    --workers N          workers of the modelled sweep (default: the study's "workers", else 2)
    --db PATH
    --json               one JSON object`,
  ls: `ls                     the studies in a database, with their trial counts
    --db PATH            one database (default: every db/*.sqlite3)
    --json               one JSON object per study, one a line`,
  rm: `rm <study>             delete a study and its trials from its database, after asking
    --db PATH
    --yes                do not ask (needed when stdin is not a terminal)`,
  copy: `copy <from> <to>       copy a study between databases (a SQLite file or a postgresql:// URL, either way),
                         losslessly: its attributes and every trial as stored; refuses a study with RUNNING
                         trials (stop its sweep first) and a destination that has the study already
    --study NAME         the study to copy (needed when <from> holds more than one)
    --as NAME            its name in <to> (default: the same)`,
  cache: `cache ls               the pretraining and data caches: entries, sizes, which studies used them
cache clean            delete cache entries: --all, --older-than DAYS, or --study NAME
    --cache-dir DIR      (default .cache)
    --db PATH            where to look for the studies that used an entry (default: every db/*.sqlite3)
    --json               (ls) one JSON object per entry, one a line`,
  data: `data list              each data set: where it was found, size, checksum, or how to get it
data fetch <name>      download fashion-mnist or cifar10 (resumes, verifies checksums)
    --dest DIR  --url URL`,
  help: `help [command]         this text, or one command's`,
};

export const EXIT_CODES = `exit codes:
  0    done (a sweep: every trial it ran completed; also after Ctrl-C when none failed)
  1    a run-time error (the message says what)
  2    bad input: a study file, data set, database, argument or --out path; nothing was written
  3    the sweep ran, and some trials failed (sweep status lists them)
  70   internal error (a bug: please report it with the message)
  129, 130, 143  stopped by SIGHUP, SIGINT or SIGTERM (128 + the signal's number), or a second
                 signal quit at once; start and worker exit 0 (3 if trials failed) after a clean stop

SIGINT, SIGTERM and SIGHUP stop any command cleanly (start, worker: running trials back to WAITING);
a second signal exits at once.`;

export function usage(): string {
  return `usage: sweep <command> [options]     (sweep <command> --help for one command; sweep --version)

commands:
${Object.values(COMMAND_HELP)
  .map((h) => h.replace(/^/gm, '  '))
  .join('\n')}

${EXIT_CODES}
`;
}

/** One command's help; null for a command that does not exist. */
export function commandHelp(command: string): string | null {
  const h = COMMAND_HELP[command];
  return h === undefined ? null : `usage: sweep ${h}\n\n${EXIT_CODES}\n`;
}
