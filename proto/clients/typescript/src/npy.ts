// NumPy .npy files, byte-identical to numpy.save for the daemon's dtypes
// (format 1.0, C order, little-endian), read back in formats 1.0-3.0.
import { type AnyTensor, type Tensor, elementCount } from './tensor.js';

const DESCR: Record<AnyTensor['dtype'], string> = {
  float32: '<f4',
  int32: '<i4',
  uint32: '<u4',
  bool: '|b1',
  uint8: '|u1',
  uint16: '<u2',
  uint64: '<u8',
};
const DTYPE_OF_DESCR: Record<string, AnyTensor['dtype']> = Object.fromEntries(
  Object.entries(DESCR).map(([dtype, descr]) => [descr, dtype as AnyTensor['dtype']]),
);
const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"

/** The tensor as a .npy file: the bytes numpy.save writes for the same array. */
export function encodeNpy(t: Tensor | AnyTensor): Uint8Array {
  const n = elementCount(t.shape);
  if (t.data.length !== n) throw new TypeError(`tensor of shape [${t.shape}] needs ${n} elements, has ${t.data.length}`);
  const dims = t.shape.join(', ') + (t.shape.length === 1 ? ',' : '');
  let header = `{'descr': '${DESCR[t.dtype]}', 'fortran_order': False, 'shape': (${dims}), }`;
  // numpy leaves room for the first dimension to grow to 21 digits (in-place appends).
  if (t.shape.length > 0) header += ' '.repeat(21 - String(t.shape[0]).length);
  // The header ends in "\n" and the data starts on a 64-byte boundary.
  header += ' '.repeat(64 - ((10 + header.length + 1) % 64)) + '\n';
  const itemsize = t.data.BYTES_PER_ELEMENT;
  const out = new Uint8Array(10 + header.length + n * itemsize);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  const view = new DataView(out.buffer, 10 + header.length);
  for (let i = 0; i < n; i++) writeElement(view, i * itemsize, t.dtype, t.data[i] as number | bigint);
  return out;
}

function writeElement(v: DataView, at: number, dtype: AnyTensor['dtype'], x: number | bigint): void {
  switch (dtype) {
    case 'float32': v.setFloat32(at, x as number, true); break;
    case 'int32': v.setInt32(at, x as number, true); break;
    case 'uint32': v.setUint32(at, x as number, true); break;
    case 'uint16': v.setUint16(at, x as number, true); break;
    case 'uint8': v.setUint8(at, x as number); break;
    case 'bool': v.setUint8(at, x ? 1 : 0); break;
    case 'uint64': v.setBigUint64(at, x as bigint, true); break;
  }
}

/**
 * A tensor from a .npy file (versions 1.0-3.0, C order, one of the daemon's
 * dtypes). Throws TypeError for anything else.
 */
export function decodeNpy(b: Uint8Array): Tensor {
  const t = decodeNpyAny(b);
  if (t.dtype === 'uint64') throw new TypeError('a <u8 .npy file is a Uint64Tensor: use decodeNpyAny');
  return t;
}

/** decodeNpy, also for `<u8` files (a {@link Uint64Tensor}). */
export function decodeNpyAny(b: Uint8Array): AnyTensor {
  if (b.length < 10 || !MAGIC.every((m, i) => b[i] === m) || ![1, 2, 3].includes(b[6] as number)) {
    throw new TypeError('not a .npy file (format 1.0, 2.0 or 3.0)');
  }
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const [hlen, start] = b[6] === 1 ? [dv.getUint16(8, true), 10] : [dv.getUint32(8, true), 12];
  if (start + hlen > b.length) throw new TypeError('.npy header runs past the end of the file');
  let header = '';
  for (let i = start; i < start + hlen; i++) header += String.fromCharCode(b[i] as number);
  const descr = /'descr':\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new TypeError(`not a .npy header: ${header.trim()}`);
  }
  // "=" is native byte order; the daemon and every JS engine we run on are little-endian hosts.
  const dtype = DTYPE_OF_DESCR[descr.replace(/^=/, '<')] ?? DTYPE_OF_DESCR[descr.replace(/^=/, '|')];
  if (dtype === undefined || fortran !== 'False') {
    throw new TypeError(`.npy descr ${descr} / fortran_order ${fortran} is not a keyfold tensor`);
  }
  const shape = shapeText.split(',').map((s) => s.trim()).filter((s) => s !== '').map(Number);
  if (!shape.every((d) => Number.isInteger(d) && d >= 0)) throw new TypeError(`bad .npy shape (${shapeText})`);
  const n = elementCount(shape);
  const body = start + hlen;
  const itemsize = Number(descr.slice(2));
  if (b.length - body !== n * itemsize) {
    throw new TypeError(`.npy data is ${b.length - body} bytes, shape (${shapeText}) needs ${n * itemsize}`);
  }
  const v = new DataView(b.buffer, b.byteOffset + body, n * itemsize);
  switch (dtype) {
    case 'float32': return { dtype, shape, data: Float32Array.from({ length: n }, (_, i) => v.getFloat32(i * 4, true)) };
    case 'int32': return { dtype, shape, data: Int32Array.from({ length: n }, (_, i) => v.getInt32(i * 4, true)) };
    case 'uint32': return { dtype, shape, data: Uint32Array.from({ length: n }, (_, i) => v.getUint32(i * 4, true)) };
    case 'uint16': return { dtype, shape, data: Uint16Array.from({ length: n }, (_, i) => v.getUint16(i * 2, true)) };
    case 'uint8': return { dtype, shape, data: Uint8Array.from({ length: n }, (_, i) => v.getUint8(i)) };
    case 'bool': return { dtype, shape, data: Uint8Array.from({ length: n }, (_, i) => (v.getUint8(i) ? 1 : 0)) };
    case 'uint64': return { dtype, shape, data: BigUint64Array.from({ length: n }, (_, i) => v.getBigUint64(i * 8, true)) };
  }
}
