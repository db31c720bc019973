// Tests for reports/atomic-write.ts: the target gets the whole content, an existing file is
// replaced, and no temporary file is left behind, on success or failure.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic-write.ts';

let directory = '';
beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'dsim-atomic-'));
});
afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe('writeFileAtomic', () => {
  it('writes text and bytes, leaving only the target in the directory', async () => {
    await writeFileAtomic(join(directory, 'a.json'), '{"ok":true}\n');
    await writeFileAtomic(join(directory, 'b.bin'), new Uint8Array([1, 2, 3]));
    expect(await readFile(join(directory, 'a.json'), 'utf8')).toBe('{"ok":true}\n');
    expect([...(await readFile(join(directory, 'b.bin')))]).toEqual([1, 2, 3]);
    expect((await readdir(directory)).sort()).toEqual(['a.json', 'b.bin']);
  });

  it('replaces an existing file whole', async () => {
    const path = join(directory, 'report.html');
    await writeFile(path, 'old content that is longer than the new one');
    await writeFileAtomic(path, 'new');
    expect(await readFile(path, 'utf8')).toBe('new');
    expect(await readdir(directory)).toEqual(['report.html']);
  });

  it('rejects when the rename fails and removes its temporary file', async () => {
    // A directory at the target path: the temporary file is written, the rename fails.
    const path = join(directory, 'taken');
    await mkdir(path);
    await writeFile(join(path, 'inside'), 'x');
    await expect(writeFileAtomic(path, 'data')).rejects.toThrow();
    expect(await readdir(directory)).toEqual(['taken']);
  });

  it('creates a missing folder (the CLI checked the path before the run)', async () => {
    await writeFileAtomic(join(directory, 'missing', 'deeper', 'file.txt'), 'data');
    expect(await readdir(join(directory, 'missing', 'deeper'))).toEqual(['file.txt']);
  });

  it('removes temporaries that a killed writer left, and keeps those of a live one', async () => {
    const target = join(directory, 'out.json');
    // pid 2^22+1 is above Linux's pid_max limit, so no process has it.
    await writeFile(join(directory, `.out.json.${2 ** 22 + 1}.abc.tmp`), 'half');
    await writeFile(join(directory, `.out.json.${process.ppid}.def.tmp`), 'live');
    await writeFileAtomic(target, 'whole');
    expect((await readdir(directory)).sort()).toEqual([`.out.json.${process.ppid}.def.tmp`, 'out.json']);
  });
});
