import { readdir, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStateFile, STATE_FILE_NAME } from '../../src/storage/state-file.js';
import { tempDir } from '../helpers/fixtures.js';

let tmp: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  tmp = await tempDir();
});
afterAll(() => tmp.remove());

describe('state file', () => {
  it('has nothing to load before the first save', async () => {
    expect(await createStateFile(tmp.path).load()).toBeUndefined();
  });

  it('loads what was saved last, after a burst of saves, leaving no temporary file', async () => {
    const file = createStateFile(tmp.path);
    await Promise.all(Array.from({ length: 50 }, (_, i) => file.save({ n: i })));
    expect(await file.load()).toEqual({ n: 49 });
    expect(await createStateFile(tmp.path).load()).toEqual({ n: 49 });
    expect(await readdir(tmp.path)).toEqual([STATE_FILE_NAME]);
  });

  it('refuses a file that is not a state file', async () => {
    const other = await tempDir();
    await writeFile(`${other.path}/${STATE_FILE_NAME}`, '{"hello":1}');
    await expect(createStateFile(other.path).load()).rejects.toThrow(/not a state file/);
    await writeFile(`${other.path}/${STATE_FILE_NAME}`, '{"format":1,"sta');
    await expect(createStateFile(other.path).load()).rejects.toThrow(SyntaxError);
    await other.remove();
  });

  it('reports a failed write to its caller and still writes the next one', async () => {
    const other = await tempDir();
    const file = createStateFile(`${other.path}/missing-folder`);
    await expect(file.save({ n: 1 })).rejects.toMatchObject({ code: 'ENOENT' });
    const good = createStateFile(other.path);
    await good.save({ n: 2 });
    expect(await good.load()).toEqual({ n: 2 });
    await other.remove();
  });
});
