// The client's codecs without a daemon: shortest float32 text, the JSON tensor
// form, and .npy files against bytes numpy.save wrote (numpy 1.x/2.x, recorded
// here as base64 so the test needs no numpy).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hexOf, kf, tensorFromHex } from './helpers.mjs';

const { formatFloat32, parseFloat32, encodeNpy, decodeNpy, decodeNpyAny, tensorFromJson, tensorToJsonText } = kf;

const f32 = (bits) => new Float32Array(new Uint32Array([bits]).buffer)[0];
const bitsOf = (x) => new Uint32Array(new Float32Array([x]).buffer)[0];

test('formatFloat32: known shortest forms', () => {
  // As C's printf("%.9g") narrowed by hand / Python's repr(numpy.float32(x)).
  assert.equal(formatFloat32(0.9476670026779175), '0.947667');
  assert.equal(formatFloat32(0.1), '0.1');
  assert.equal(formatFloat32(Math.fround(0.1)), '0.1');
  assert.equal(formatFloat32(1), '1');
  assert.equal(formatFloat32(-2.5), '-2.5');
  assert.equal(formatFloat32(16777217), '16777216'); // not a float32: rounds to 2^24 first
  assert.equal(formatFloat32(f32(0x00000001)), '1e-45'); // smallest subnormal
  assert.equal(formatFloat32(f32(0x7f7fffff)), '3.4028235e+38'); // FLT_MAX
  assert.equal(formatFloat32(f32(0x00800000)), '1.1754944e-38'); // FLT_MIN
  assert.equal(formatFloat32(100), '1e+2');
  assert.equal(formatFloat32(-0), '-0');
  assert.equal(formatFloat32(0), '0');
  assert.equal(formatFloat32(NaN), 'NaN');
  assert.equal(formatFloat32(Infinity), 'Infinity');
  assert.equal(formatFloat32(-1e39), '-Infinity'); // beyond float32: rounds to -inf
});

test('formatFloat32: 300000 random bit patterns read back bit-exactly, and no shorter text does', () => {
  // xorshift32: a fixed, reproducible sample of the 2^32 patterns.
  let s = 0x9e3779b9;
  let checked = 0;
  for (let i = 0; i < 300000; i++) {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    const x = f32(s);
    if (Number.isNaN(x)) continue;
    const text = formatFloat32(x);
    if (!Number.isFinite(x)) {
      assert.equal(text, x > 0 ? 'Infinity' : '-Infinity');
      continue;
    }
    // JSON reads it as a double; rounding that to float32 must give the same bits (and sign of 0).
    const back = Math.fround(JSON.parse(text));
    assert.equal(bitsOf(back), s, `${s.toString(16)} -> ${text}`);
    // Shortest: with one significant digit fewer, neither neighbouring decimal
    // (the value truncated, and truncated + one unit in the last place) reads back.
    const digits = text.replace(/^-/, '').replace(/e.*$/, '').replace('.', '').replace(/^0+/, '').length;
    if (digits > 1) {
      const [mant, exp] = Math.abs(x).toExponential(digits - 2).split('e');
      const scaled = Number(mant.replace('.', ''));
      for (const m of [scaled - 1, scaled, scaled + 1]) {
        const candidate = Number(`${m}e${Number(exp) - (digits - 2)}`) * Math.sign(x);
        assert.notEqual(bitsOf(Math.fround(candidate)), s, `${text} has a shorter form ${candidate}`);
      }
    }
    checked += 1;
  }
  assert.ok(checked > 290000);
});

test('parseFloat32: JSON numbers and the non-finite strings', () => {
  // jax.random.uniform(key(0)) is the float32 0x3f729a4e (tests/vectors, "4e9a723f"),
  // which keyfoldd writes as 0.947667.
  assert.equal(bitsOf(parseFloat32(0.947667)), 0x3f729a4e);
  assert.equal(formatFloat32(f32(0x3f729a4e)), '0.947667');
  assert.ok(Number.isNaN(parseFloat32('NaN')));
  assert.equal(parseFloat32('-Infinity'), -Infinity);
  assert.throws(() => parseFloat32('nan'), TypeError);
  assert.throws(() => parseFloat32(null), TypeError);
});

test('tensor JSON: exact both ways, non-finite as strings, bool as booleans', () => {
  const t = tensorFromHex('float32', [5], '00000080' + '01000000' + 'ffff7f7f' + '0000807f' + 'cdcccc3d');
  const text = tensorToJsonText(t);
  assert.equal(text, '{"shape":[5],"dtype":"float32","data":[-0,1e-45,3.4028235e+38,"Infinity",0.1]}');
  assert.equal(hexOf(tensorFromJson(JSON.parse(text))), hexOf(t));
  const b = tensorFromJson({ shape: [3], dtype: 'bool', data: [true, false, true] });
  assert.deepEqual(Array.from(b.data), [1, 0, 1]);
  assert.equal(tensorToJsonText(b), '{"shape":[3],"dtype":"bool","data":[true,false,true]}');
  const u = tensorFromJson({ shape: [1], dtype: 'uint64', data: ['18446744073709551615'] });
  assert.equal(u.data[0], 18446744073709551615n);
  assert.throws(() => tensorFromJson({ shape: [2], dtype: 'int32', data: [1] }), TypeError);
  assert.throws(() => tensorFromJson({ shape: [1], dtype: 'int32', data: [2147483648] }), TypeError);
  assert.throws(() => tensorFromJson({ shape: [1], dtype: 'float64', data: [1] }), TypeError);
});

// name -> [numpy.save's file (base64), dtype, shape, element bytes (hex)]
const NUMPY_FILES = {
  'float32 2x3': ['k05VTVBZAQB2AHsnZGVzY3InOiAnPGY0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsIDMpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIArNzMw9AAAAgP//f38BAAAAAACAfwAAIMA=', 'float32', [2, 3], 'cdcccc3d00000080ffff7f7f010000000000807f000020c0'],
  'int32 4': ['k05VTVBZAQB2AHsnZGVzY3InOiAnPGk0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDQsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAACA/////wAAAAD///9/', 'int32', [4], '00000080ffffffff00000000ffffff7f'],
  'bool []': ['k05VTVBZAQB2AHsnZGVzY3InOiAnfGIxJywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKCksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoB', 'bool', [], '01'],
  'uint32 1x1x1': ['k05VTVBZAQB2AHsnZGVzY3InOiAnPHU0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDEsIDEsIDEpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAr/////', 'uint32', [1, 1, 1], 'ffffffff'],
  'uint16 2': ['k05VTVBZAQB2AHsnZGVzY3InOiAnPHUyJywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoBAP//', 'uint16', [2], '0100ffff'],
  'uint8 0': ['k05VTVBZAQB2AHsnZGVzY3InOiAnfHUxJywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDAsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAo=', 'uint8', [0], ''],
};

for (const [name, [b64, dtype, shape, hex]] of Object.entries(NUMPY_FILES)) {
  test(`.npy ${name}: decode numpy.save's bytes, encode them back identically`, () => {
    const file = Uint8Array.from(Buffer.from(b64, 'base64'));
    const t = decodeNpy(file);
    assert.equal(t.dtype, dtype);
    assert.deepEqual(t.shape, shape);
    assert.equal(hexOf(t), hex);
    assert.equal(Buffer.from(encodeNpy(t)).toString('base64'), b64);
  });
}

test('.npy format 2.0 (numpy.lib.format.write_array version (2, 0)) decodes', () => {
  const file = Uint8Array.from(Buffer.from('k05VTVBZAgB0AAAAeydkZXNjcic6ICc8ZjQnLCAnZm9ydHJhbl9vcmRlcic6IEZhbHNlLCAnc2hhcGUnOiAoMywpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAMA/AAAgQAAAUMA=', 'base64'));
  const t = decodeNpy(file);
  assert.deepEqual([t.dtype, t.shape, Array.from(t.data)], ['float32', [3], [1.5, 2.5, -3.25]]);
});

test('.npy: uint64 only through decodeNpyAny; malformed files are TypeErrors', () => {
  const u = { dtype: 'uint64', shape: [2], data: new BigUint64Array([1n, 2n ** 64n - 1n]) };
  const file = encodeNpy(u);
  assert.throws(() => decodeNpy(file), TypeError);
  assert.deepEqual(Array.from(decodeNpyAny(file).data), [1n, 2n ** 64n - 1n]);
  assert.throws(() => decodeNpy(new Uint8Array([1, 2, 3])), TypeError);
  const good = encodeNpy({ dtype: 'int32', shape: [2], data: new Int32Array([1, 2]) });
  assert.throws(() => decodeNpy(good.subarray(0, good.length - 1)), TypeError); // data cut short
  const fortran = Buffer.from(good).toString('latin1').replace("'fortran_order': False", "'fortran_order': True ");
  assert.throws(() => decodeNpy(Uint8Array.from(Buffer.from(fortran, 'latin1'))), TypeError);
  assert.throws(() => encodeNpy({ dtype: 'float32', shape: [3], data: new Float32Array(2) }), TypeError);
});

test('error names: the class names, set explicitly (they survive minification)', () => {
  for (const [code, [, cls]] of Object.entries(kf.ERROR_CODES)) {
    const e = new cls('m', 400, code);
    assert.equal(e.name, cls.name, code);
    assert.equal(String(e), `${cls.name}: m`);
  }
  assert.equal(new kf.KeyfoldConnectionError('m', 0, 'connection_error').name, 'KeyfoldConnectionError');
  assert.equal(new kf.KeyfoldError('m', 0, 'x').name, 'KeyfoldError');
});

test('errorFromResponse: by code, by status without one, 409 without a code is generic', () => {
  const e1 = kf.errorFromResponse(400, '{"error":{"code":"invalid_argument","message":"bad"}}');
  assert.ok(e1 instanceof kf.InvalidArgumentError);
  assert.equal(e1.message, 'bad');
  const e2 = kf.errorFromResponse(404, '<html>nope</html>');
  assert.ok(e2 instanceof kf.NotFoundError);
  assert.equal(e2.code, 'not_found');
  const e3 = kf.errorFromResponse(409, '');
  assert.equal(e3.constructor, kf.KeyfoldError);
  assert.equal(e3.code, 'http_409');
  const e4 = kf.errorFromResponse(400, '{"error":"OIP text"}');
  assert.ok(e4 instanceof kf.InvalidArgumentError);
  assert.equal(e4.message, 'OIP text');
});
