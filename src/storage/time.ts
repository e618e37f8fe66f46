// Timestamps as Optuna's RDBStorage stores them: naive UTC text
// 'YYYY-MM-DD HH:MM:SS.ffffff' (SQLAlchemy's SQLite DateTime format). The fixed
// width makes string order equal time order, so stale-heartbeat queries can
// compare strings in SQL.

/**
 * Microseconds since the epoch: the wall clock (so processes agree on stale
 * heartbeats even after the clock was adjusted) with the sub-millisecond
 * digits taken from the high-resolution clock, as Date has only ms.
 */
function nowMicros(): number {
  return Date.now() * 1000 + Math.floor((performance.now() % 1) * 1000);
}

const pad = (n: number, w: number): string => String(n).padStart(w, '0');

export function formatUtc(micros: number): string {
  const ms = Math.floor(micros / 1000);
  const d = new Date(ms);
  const frac = micros - Math.floor(micros / 1e6) * 1e6;
  return (
    `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)} ` +
    `${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}.${pad(frac, 6)}`
  );
}

export function utcNow(): string {
  return formatUtc(nowMicros());
}

/** The timestamp `seconds` before now, in the stored format. */
export function utcSecondsAgo(seconds: number): string {
  return formatUtc(nowMicros() - Math.round(seconds * 1e6));
}

const STORED = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?/;

/**
 * The sub-millisecond digits (1-999 µs) of the Dates parseUtc made, kept
 * beside them: a Date holds only milliseconds, and `sweep copy` must write a
 * timestamp back as stored, to the microsecond (Optuna reads all six digits).
 * A WeakMap, not a property: the Dates stay plain Dates for every other caller.
 */
const subMillis = new WeakMap<Date, number>();

/** Microseconds since the epoch of a Date, with the digits parseUtc read beyond its milliseconds. */
export function microsOf(d: Date): number {
  return d.getTime() * 1000 + (subMillis.get(d) ?? 0);
}

/** Parses a stored timestamp (fraction optional, as SQLite's CURRENT_TIMESTAMP writes none); null stays null. */
export function parseUtc(text: string | null | undefined): Date | null {
  if (text == null) return null;
  const m = STORED.exec(text);
  if (!m) return null;
  const micros = m[7] ? Number(m[7].padEnd(6, '0')) : 0;
  const d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6], Math.floor(micros / 1000)));
  if (micros % 1000 !== 0) subMillis.set(d, micros % 1000);
  return d;
}
