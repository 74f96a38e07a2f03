// tfjs-core on its own has no chained tensor methods (`x.as3D(...)`, `x.sub(y)`): only the
// `@tensorflow/tfjs` umbrella registers them, and it brings layers, webgl, data and core-js (~190 MB
// installed) that nothing here loads. face-api calls them, so we register the same methods on core's
// Tensor class, each one the core op with the tensor as first argument, as tfjs-core's
// src/public/chained_ops/*.ts do (test/detect/chained-ops.test.ts compares the list with the installed tfjs-core).
import type * as TfCore from '@tensorflow/tfjs-core';

/** Chained methods that are `op(this, ...args)` of the core op of the same name. */
export const SAME_NAME_CHAINED_OPS = [
  'abs',
  'acos',
  'acosh',
  'add',
  'all',
  'any',
  'argMax',
  'argMin',
  'asin',
  'asinh',
  'atan',
  'atan2',
  'atanh',
  'batchNorm',
  'batchToSpaceND',
  'broadcastTo',
  'cast',
  'ceil',
  'clipByValue',
  'conv1d',
  'conv2d',
  'cos',
  'cosh',
  'cumprod',
  'cumsum',
  'depthToSpace',
  'div',
  'divNoNan',
  'dot',
  'elu',
  'equal',
  'erf',
  'euclideanNorm',
  'exp',
  'expandDims',
  'expm1',
  'fft',
  'floor',
  'floorDiv',
  'gather',
  'greater',
  'greaterEqual',
  'ifft',
  'irfft',
  'isFinite',
  'isInf',
  'isNaN',
  'leakyRelu',
  'less',
  'lessEqual',
  'log',
  'log1p',
  'logSigmoid',
  'logSoftmax',
  'logSumExp',
  'logicalAnd',
  'logicalNot',
  'logicalOr',
  'logicalXor',
  'matMul',
  'max',
  'maximum',
  'mean',
  'min',
  'minimum',
  'mirrorPad',
  'mod',
  'mul',
  'neg',
  'norm',
  'notEqual',
  'oneHot',
  'onesLike',
  'pad',
  'pool',
  'pow',
  'prelu',
  'prod',
  'reciprocal',
  'relu',
  'relu6',
  'reshape',
  'reverse',
  'rfft',
  'round',
  'rsqrt',
  'selu',
  'sigmoid',
  'sign',
  'sin',
  'sinh',
  'slice',
  'softmax',
  'softplus',
  'spaceToBatchND',
  'split',
  'sqrt',
  'square',
  'squaredDifference',
  'squeeze',
  'step',
  'stridedSlice',
  'sub',
  'sum',
  'tan',
  'tanh',
  'tile',
  'topk',
  'transpose',
  'unique',
  'unstack',
  'zerosLike',
] as const;

type Tensor = TfCore.Tensor;
type Method = (this: Tensor, ...args: never[]) => unknown;

/** Chained methods whose body is not `op(this, ...args)`, written out as tfjs-core writes them. */
function specialMethods(tf: typeof TfCore): Record<string, Method> {
  const list = (x: Tensor | Tensor[]) => (x instanceof tf.Tensor ? [x] : x);
  return {
    as1D(this: Tensor) {
      return tf.reshape(this, [this.size]);
    },
    as2D(this: Tensor, rows: number, columns: number) {
      return tf.reshape(this, [rows, columns]);
    },
    as3D(this: Tensor, rows: number, columns: number, depth: number) {
      return tf.reshape(this, [rows, columns, depth]);
    },
    as4D(this: Tensor, rows: number, columns: number, depth: number, depth2: number) {
      return tf.reshape(this, [rows, columns, depth, depth2]);
    },
    as5D(this: Tensor, rows: number, columns: number, depth: number, depth2: number, depth3: number) {
      return tf.reshape(this, [rows, columns, depth, depth2, depth3]);
    },
    asScalar(this: Tensor) {
      if (this.size !== 1) throw new Error('The array must have only 1 element.');
      return tf.reshape(this, []);
    },
    asType(this: Tensor, dtype: TfCore.DataType) {
      return tf.cast(this, dtype);
    },
    toBool(this: Tensor) {
      return tf.cast(this, 'bool');
    },
    toFloat(this: Tensor) {
      return tf.cast(this, 'float32');
    },
    toInt(this: Tensor) {
      return tf.cast(this, 'int32');
    },
    flatten(this: Tensor) {
      return tf.reshape(this, [this.size]);
    },
    reshapeAs(this: Tensor, x: Tensor) {
      return tf.reshape(this, x.shape);
    },
    concat(this: Tensor, x: Tensor | Tensor[], axis?: number) {
      return tf.concat([this, ...list(x)], axis);
    },
    stack(this: Tensor, x: Tensor | Tensor[], axis?: number) {
      return tf.stack([this, ...list(x)], axis);
    },
    where(this: Tensor, condition: Tensor, x: Tensor) {
      return tf.where(condition, this, x);
    },
  };
}

/** Names of every chained method registered by `registerChainedOps`. */
export function chainedOpNames(tf: typeof TfCore): string[] {
  return [...SAME_NAME_CHAINED_OPS, ...Object.keys(specialMethods(tf))];
}

/** Adds the chained methods to `tf.Tensor` (once per thread; methods already there are kept). */
export function registerChainedOps(tf: typeof TfCore): void {
  const proto = tf.Tensor.prototype as unknown as Record<string, unknown>;
  const ops = tf as unknown as Record<string, (...args: unknown[]) => unknown>;
  const methods: Record<string, Method> = specialMethods(tf);
  for (const name of SAME_NAME_CHAINED_OPS) {
    methods[name] = function (this: Tensor, ...args: unknown[]) {
      return ops[name]!(this, ...args);
    };
  }
  for (const [name, method] of Object.entries(methods)) {
    if (typeof proto[name] === 'function') continue;
    proto[name] = function (this: Tensor, ...args: never[]) {
      this.throwIfDisposed();
      return method.apply(this, args);
    };
  }
}
