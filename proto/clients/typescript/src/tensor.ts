// Tensors: typed arrays on the client side, the API's {"shape", "dtype", "data"}
// object on the wire (see the Tensor schema of proto/openapi.yaml).
import { encodeFloat32Json, parseFloat32 } from './float32.js';

/** A key's raw data [hi, lo] (jax.random.key_data), two uint32. */
export type Key = [number, number];
/** A seed (key(seed) = [0, seed mod 2^32]) or a key. */
export type Seed = number | Key;

/**
 * A tensor: `data` holds the elements flat in row-major order. float32 elements
 * are exact (a Float32Array holds the daemon's bits); bool is one byte 0/1.
 * `uint8`/`uint16` appear only as `bits` results (bit_width 8/16); `bits` with
 * bit_width 64 gives a {@link Uint64Tensor}.
 */
export interface Tensor {
  dtype: 'float32' | 'int32' | 'uint32' | 'bool' | 'uint8' | 'uint16';
  shape: number[];
  data: Float32Array | Int32Array | Uint32Array | Uint8Array | Uint16Array;
}

/** `jax.random.bits(..., dtype=uint64)`: kept apart from Tensor so `data[i]` stays a number there. */
export interface Uint64Tensor {
  dtype: 'uint64';
  shape: number[];
  data: BigUint64Array;
}

export type AnyTensor = Tensor | Uint64Tensor;

/** A session sample: the tensor plus the key it was drawn with and where from. */
export interface Sample extends Tensor {
  key: Key;
  count: number;
  stream: string;
  source: string;
}

export function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function isTensor(v: unknown): v is AnyTensor {
  if (typeof v !== 'object' || v === null) return false;
  const t = v as Record<string, unknown>;
  return typeof t.dtype === 'string' && Array.isArray(t.shape) && ArrayBuffer.isView(t.data);
}

/** A tensor from the API's JSON object; throws TypeError when it is malformed. */
export function tensorFromJson(obj: unknown): AnyTensor {
  if (typeof obj !== 'object' || obj === null) throw new TypeError('a tensor must be an object');
  const { dtype, shape, data } = obj as Record<string, unknown>;
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new TypeError('tensor shape must be an array of non-negative integers');
  }
  if (!Array.isArray(data) || data.length !== elementCount(shape)) {
    throw new TypeError(`tensor data must be an array of ${elementCount(shape)} elements`);
  }
  const dims = shape.slice() as number[];
  switch (dtype) {
    case 'float32':
      return { dtype, shape: dims, data: Float32Array.from(data, parseFloat32) };
    case 'int32':
      return { dtype, shape: dims, data: Int32Array.from(data, checkedInt(-2147483648, 2147483647)) };
    case 'uint32':
      return { dtype, shape: dims, data: Uint32Array.from(data, checkedInt(0, 4294967295)) };
    case 'uint16':
      return { dtype, shape: dims, data: Uint16Array.from(data, checkedInt(0, 65535)) };
    case 'uint8':
      return { dtype, shape: dims, data: Uint8Array.from(data, checkedInt(0, 255)) };
    case 'bool':
      return {
        dtype,
        shape: dims,
        data: Uint8Array.from(data, (v) => {
          if (typeof v !== 'boolean') throw new TypeError('bool tensor elements must be booleans');
          return v ? 1 : 0;
        }),
      };
    case 'uint64':
      // JSON numbers cannot hold 64 bits: the API writes uint64 as decimal strings.
      return {
        dtype,
        shape: dims,
        data: BigUint64Array.from(data, (v) => {
          if (typeof v !== 'string' || !/^(0|[1-9][0-9]{0,19})$/.test(v)) {
            throw new TypeError('uint64 tensor elements must be decimal strings');
          }
          return BigInt(v);
        }),
      };
    default:
      throw new TypeError(`unknown tensor dtype ${JSON.stringify(dtype)}`);
  }
}

function checkedInt(min: number, max: number): (v: unknown) => number {
  return (v) => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      throw new TypeError(`tensor element ${JSON.stringify(v)} is not in [${min}, ${max}]`);
    }
    return v;
  };
}

/** The API's JSON text of a tensor, float32 elements in their shortest exact form. */
export function tensorToJsonText(t: AnyTensor): string {
  if (t.data.length !== elementCount(t.shape)) {
    throw new TypeError(`tensor of shape [${t.shape}] needs ${elementCount(t.shape)} elements, has ${t.data.length}`);
  }
  const items: string[] = new Array(t.data.length);
  for (let i = 0; i < t.data.length; i++) {
    const v = t.data[i] as number | bigint;
    if (t.dtype === 'float32') items[i] = encodeFloat32Json(v as number);
    else if (t.dtype === 'bool') items[i] = v ? 'true' : 'false';
    else if (t.dtype === 'uint64') items[i] = `"${v}"`;
    else items[i] = String(v);
  }
  return `{"shape":${JSON.stringify(t.shape)},"dtype":"${t.dtype}","data":[${items.join(',')}]}`;
}

/**
 * JSON text of a request body. Like JSON.stringify, except that tensors anywhere
 * in it (forward inputs, array parameters of the samplers) go as tensor objects
 * with exact float32 text, and undefined members are left out.
 */
export function toJsonText(v: unknown): string {
  if (isTensor(v)) return tensorToJsonText(v);
  if (Array.isArray(v)) return `[${v.map((e) => (e === undefined ? 'null' : toJsonText(e))).join(',')}]`;
  if (typeof v === 'object' && v !== null && !ArrayBuffer.isView(v)) {
    const parts: string[] = [];
    for (const [k, e] of Object.entries(v)) {
      if (e !== undefined) parts.push(`${JSON.stringify(k)}:${toJsonText(e)}`);
    }
    return `{${parts.join(',')}}`;
  }
  if (typeof v === 'number' && !Number.isFinite(v)) {
    throw new TypeError(`${v} cannot be sent as a JSON number (give a float32 tensor for NaN/Infinity)`);
  }
  if (typeof v === 'bigint') return v.toString();
  const text = JSON.stringify(v);
  if (text === undefined) throw new TypeError(`cannot send ${typeof v} as JSON`);
  return text;
}
