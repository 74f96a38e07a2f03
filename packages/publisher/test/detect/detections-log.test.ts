import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatDetectionLine, openDetectionsLog } from '../../src/detect/detections-log.js';

describe('detections log', () => {
  it('formats one JSON line per result', () => {
    expect(formatDetectionLine({ t: 1 / 3, frame: 10, width: 640, height: 480, boxes: [{ x: 1.234, y: 2, w: 3, h: 4, score: 0.98765 }] })).toBe(
      '{"t":0.333,"frame":10,"width":640,"height":480,"boxes":[{"x":1.2,"y":2,"w":3,"h":4,"score":0.988}]}\n',
    );
  });

  it('writes JSON Lines and fails clearly on a bad path', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'detlog-'));
    const file = path.join(dir, 'd.jsonl');
    const log = await openDetectionsLog(file);
    log.write({ t: 0, frame: 0, width: 2, height: 2, boxes: [] });
    log.write({ t: 0.5, frame: 15, width: 2, height: 2, boxes: [{ x: 0, y: 0, w: 1, h: 1, score: 1 }] });
    await log.close();
    const lines = (await readFile(file, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toEqual([
      { t: 0, frame: 0, width: 2, height: 2, boxes: [] },
      { t: 0.5, frame: 15, width: 2, height: 2, boxes: [{ x: 0, y: 0, w: 1, h: 1, score: 1 }] },
    ]);
    await expect(openDetectionsLog(path.join(dir, 'missing', 'd.jsonl'))).rejects.toMatchObject({ code: 'DETECTIONS_FILE' });
  });
});
