// The one error of the ArtifactStore contract, shared by every backend: the
// scheduler catches it to treat a damaged blob as a miss.
import { StorageError } from '../errors/index.js';

/** A stored blob whose bytes do not match its checksum: refused, and taken as absent by the caller. */
export class ArtifactDamagedError extends StorageError {
  constructor(
    readonly key: string,
    /** The storage's location (file, or URL with the password masked). */
    location: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(
      `artifact "${key}" is damaged: its bytes hash to ${actual}, stored sha256 ${expected}; it is rebuilt and stored again`,
      location,
    );
  }
}
