import { createRequire } from 'node:module';
import path from 'node:path';
import type * as TfConverter from '@tensorflow/tfjs-converter';
import type * as TfCore from '@tensorflow/tfjs-core';
import type * as FaceApi from '@vladmandic/face-api';
import type { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { registerChainedOps } from './chained-ops.js';

/** The tfjs namespace face-api sees: tfjs-core and the wasm backend, merged (see `loadFaceApiRuntime`). */
export type Tf = typeof TfCore & { setWasmPaths: typeof setWasmPaths };
export type FaceApiModule = typeof FaceApi;

export interface FaceApiRuntime {
  faceapi: FaceApiModule;
  tf: Tf;
  /** Folder holding face-api's `*-weights_manifest.json` and `.bin` files. */
  modelDir: string;
}

const require = createRequire(import.meta.url);

/** Folder of the weights that ship inside `@vladmandic/face-api`. */
export function defaultModelDir(): string {
  return path.join(path.dirname(require.resolve('@vladmandic/face-api/package.json')), 'model');
}

/** Folder of the `.wasm` binaries of `@tensorflow/tfjs-backend-wasm`. */
export function wasmDir(): string {
  return path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
}

/**
 * Loads face-api's node-wasm build and switches tfjs to the wasm backend, reading the `.wasm`
 * files from disk (platform fetch off: nothing is downloaded). tfjs keeps one engine per thread,
 * so calling this twice in a thread returns the same engine, already initialised.
 */
export async function loadFaceApiRuntime(modelDir = defaultModelDir()): Promise<FaceApiRuntime> {
  // The node-wasm build is CommonJS and requires `@tensorflow/tfjs` + `-backend-wasm` itself; pnpm-workspace.yaml
  // gives it tfjs-core under the umbrella's name, so the chained tensor methods it calls are ours.
  registerChainedOps(require('@tensorflow/tfjs-core') as typeof TfCore);
  const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js') as FaceApiModule;
  const tf = faceapi.tf as unknown as Tf;
  await useWasmBackend(tf, tf.setWasmPaths);
  return { faceapi, tf, modelDir };
}

/** tfjs-core with the graph-model loader, for detectors that need no face-api. */
export interface TfGraphRuntime {
  tf: typeof TfCore;
  loadGraphModel: typeof TfConverter.loadGraphModel;
}

/**
 * Loads tfjs-core, the converter and the wasm backend on their own (the same module instances
 * face-api uses, so both share this thread's one engine) and switches to wasm from local files.
 */
export async function loadTfWasmRuntime(): Promise<TfGraphRuntime> {
  const core = require('@tensorflow/tfjs-core') as typeof TfCore;
  const converter = require('@tensorflow/tfjs-converter') as typeof TfConverter;
  const wasm = require('@tensorflow/tfjs-backend-wasm') as { setWasmPaths: typeof setWasmPaths };
  await useWasmBackend(core, wasm.setWasmPaths);
  return { tf: core, loadGraphModel: converter.loadGraphModel };
}

async function useWasmBackend(tf: typeof TfCore, setPaths: typeof setWasmPaths): Promise<void> {
  if (tf.getBackend() !== 'wasm') {
    setPaths(`${wasmDir()}${path.sep}`, false);
    const ok = await tf.setBackend('wasm');
    if (!ok) throw new Error('tfjs could not initialise the wasm backend');
  }
  await tf.ready();
}
