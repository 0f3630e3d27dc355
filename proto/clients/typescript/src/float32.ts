// float32 <-> JSON text, bit-exact.
//
// keyfoldd writes every float32 as its shortest round-trip decimal, and reads a
// decimal as a double that it then rounds to float32. So parsing with Number()
// and rounding with Math.fround gives back exactly the bits the daemon computed,
// and sending the shortest decimal that survives the same double -> float32
// trip gives the daemon exactly the bits the caller holds.

/** The API's JSON spelling of the non-finite float32 values (Float32Value). */
const NONFINITE: Record<string, number> = {
  NaN: NaN,
  Infinity: Infinity,
  '-Infinity': -Infinity,
};

/**
 * The shortest decimal text that reads back (Number, then Math.fround) as the
 * float32 value of `x` — the form keyfoldd writes: formatFloat32(0.9476670026779175)
 * is "0.947667". -0 is "-0"; non-finite values are "NaN", "Infinity", "-Infinity"
 * (the API sends those as JSON strings, see encodeFloat32Json).
 */
export function formatFloat32(x: number): string {
  const target = Math.fround(x);
  if (Number.isNaN(target)) return 'NaN';
  if (target === Infinity) return 'Infinity';
  if (target === -Infinity) return '-Infinity';
  // toPrecision drops the sign of -0; JSON's "-0" keeps it.
  if (target === 0) return Object.is(target, -0) ? '-0' : '0';
  // The first precision that reads back wins; its last digit is never a 0
  // (the text one digit shorter would have been the same number). 9
  // significant digits always round-trip a float32.
  for (let digits = 1; digits < 9; digits++) {
    const text = target.toPrecision(digits);
    if (Math.fround(Number(text)) === target) return text;
  }
  return target.toPrecision(9);
}

/** A float32 element as JSON text: a number, or the API's string for NaN/±Infinity. */
export function encodeFloat32Json(x: number): string {
  const text = formatFloat32(x);
  return text in NONFINITE ? `"${text}"` : text;
}

/** A JSON float32 element (number or "NaN"/"Infinity"/"-Infinity") as its exact float32 value. */
export function parseFloat32(v: unknown): number {
  if (typeof v === 'number') return Math.fround(v);
  if (typeof v === 'string' && v in NONFINITE) return NONFINITE[v] as number;
  throw new TypeError(`not a float32 JSON value: ${JSON.stringify(v)}`);
}
