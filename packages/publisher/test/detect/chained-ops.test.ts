import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type * as TfCore from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { chainedOpNames, registerChainedOps } from '../../src/detect/chained-ops.js';
import { loadTfWasmRuntime } from '../../src/detect/runtime.js';

const require = createRequire(import.meta.url);

/** The methods the installed tfjs-core's own chained-op modules would add (`Tensor.prototype.<name> = ...`). */
function tfjsCoreChainedOps(): string[] {
  const dir = path.join(path.dirname(require.resolve('@tensorflow/tfjs-core/package.json')), 'dist', 'public', 'chained_ops');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.js'))
    .flatMap((f) => [...readFileSync(path.join(dir, f), 'utf8').matchAll(/prototype\.(\w+) = function/g)].map((m) => m[1]!));
}

describe('chained tensor methods without the @tensorflow/tfjs umbrella', () => {
  it('installs no umbrella: face-api gets tfjs-core under its name (pnpm-workspace.yaml packageExtensions)', () => {
    const faceApiRequire = createRequire(require.resolve('@vladmandic/face-api/package.json'));
    expect(faceApiRequire.resolve('@tensorflow/tfjs')).toBe(require.resolve('@tensorflow/tfjs-core'));
  });

  it('covers exactly the methods of the installed tfjs-core', () => {
    expect(chainedOpNames(require('@tensorflow/tfjs-core') as typeof TfCore).sort()).toEqual(tfjsCoreChainedOps().sort());
  });

  it('registers them on tfjs-core tensors, computing what the ops compute', async () => {
    const { tf } = await loadTfWasmRuntime();
    registerChainedOps(tf);
    type Chained = TfCore.Tensor & Record<string, (...args: unknown[]) => TfCore.Tensor>;
    const x = tf.tensor1d([1, 2, 3, 4]) as Chained;
    expect(x.as2D!(2, 2).shape).toEqual([2, 2]);
    expect(await (x.sub!(tf.scalar(1)) as Chained).mul!(tf.scalar(2)).data()).toEqual(new Float32Array([0, 2, 4, 6]));
    expect(await x.concat!(tf.tensor1d([5])).data()).toEqual(new Float32Array([1, 2, 3, 4, 5]));
    expect(x.toInt!().dtype).toBe('int32');
    x.dispose();
    expect(() => x.as2D!(2, 2)).toThrow(/disposed/);
  });
});
