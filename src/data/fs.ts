import { access } from 'node:fs/promises';

/** Whether a path exists (file or folder); never throws. */
export async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
