// Writes output files atomically (DESIGN §6): a reader sees the old file or the whole new one,
// never a half-written report, even if the process dies mid-write.
import { mkdir, open, readdir, rename, unlink } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';

/**
 * Writes `data` to `path` through a temporary file in the same directory (same file system, so
 * the rename is atomic), flushed to disk before the rename, creating the folder when needed
 * (the CLI checks output paths before a run, so this never meets /proc). The temporary file is
 * removed if anything fails; the error is rethrown.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await removeStaleTemporaries(path);
  // A random suffix, so two processes writing the same target never share a temporary file.
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temporary, 'wx');
  try {
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
}

/** True while process `pid` runs (signal 0 only checks that it exists). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes temporary files that an earlier writer of `path` left when it was killed mid-write
 * (SIGKILL runs no cleanup): `.name.<pid>.<random>.tmp` whose process is gone.
 */
export async function removeStaleTemporaries(path: string): Promise<void> {
  const prefix = `.${basename(path)}.`;
  let names: string[];
  try {
    names = await readdir(dirname(path));
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith('.tmp')) continue;
    const pid = Number(name.slice(prefix.length).split('.')[0]);
    if (Number.isSafeInteger(pid) && pid > 0 && pid !== process.pid && !processAlive(pid)) await unlink(join(dirname(path), name)).catch(() => undefined);
  }
}
