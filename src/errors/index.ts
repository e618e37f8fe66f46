// Typed errors. Commands and libraries throw them; only the CLI entry point
// (src/cli/index.ts) turns them into a message and an exit code. A user error
// names the file (or argument), the field and the fix.

export class SweepError extends Error {
  /** Process exit code the entry point uses. */
  readonly exitCode: number = 1;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bad input: a study file, data set, database or CLI argument. Exit 2. */
export class UserInputError extends SweepError {
  override readonly exitCode: number = 2;
  constructor(
    message: string,
    /** The file or argument at fault, when there is one. */
    readonly where?: string,
    options?: { cause?: unknown },
  ) {
    super(where ? `${where}: ${message}` : message, options);
  }
}

/** A study file that does not validate. `issues` are "path: message" lines. */
export class StudyFileError extends UserInputError {
  constructor(
    readonly file: string,
    readonly issues: readonly string[],
  ) {
    super(`invalid study file\n${issues.map((i) => `  - ${i}`).join('\n')}`, file);
  }
}

/** A data set that is missing or corrupt. */
export class DatasetError extends UserInputError {}

/**
 * This host's decoded data set is not the one the study recorded (its
 * `data_fingerprint`): trials of both would be mixed in one table. Names the
 * data set, both fingerprints and the fix.
 */
export class DataMismatchError extends DatasetError {
  constructor(
    readonly dataset: string,
    readonly mine: string,
    readonly recorded: string,
    readonly study: string,
    readonly db: string,
  ) {
    super(
      `data set "${dataset}" on this host differs from the one study "${study}" was started with (database ${db}):\n` +
        `  this host:  sha256 ${mine}\n` +
        `  the study:  sha256 ${recorded}\n` +
        `The fingerprint is a sha256 over the decoded images and labels. Put the same files on every host ` +
        `(copy them from the host that started the study, or fetch them the same way) and compare \`sweep data list\` ` +
        `on both hosts; nothing was written.`,
    );
  }
}

/** A database that cannot be used (wrong schema revision, not ours, locked). */
export class StorageError extends UserInputError {}

/** A backend that was asked for and cannot load. */
export class BackendError extends UserInputError {}

/**
 * A command stopped by SIGINT, SIGTERM or SIGHUP before it finished. Exit
 * 128 + the signal's number (130, 143, 129), as a shell reports a command a
 * signal ended, so scripts can tell "stopped" from "done".
 */
export class InterruptedError extends SweepError {
  override readonly exitCode: number;
  constructor(
    readonly signalName: string,
    signalNumber: number,
  ) {
    super(`stopped by ${signalName}`);
    this.exitCode = 128 + signalNumber;
  }
}
