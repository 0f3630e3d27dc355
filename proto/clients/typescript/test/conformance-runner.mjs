// The conformance runner (proto/conformance/README.md, format 1): replays a
// scenario's steps through the typed KeyfoldClient and matches the normalized
// results. Used by conformance.test.mjs.
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hexOf, kf, tensorFromHex } from './helpers.mjs';

/** Every scenario file (*.json) of the directories that exist, sorted by path. */
export function loadScenarios(dirs) {
  const out = [];
  for (const dir of dirs) {
    let names;
    try {
      names = readdirSync(dir);
    } catch (e) {
      if (e.code === 'ENOENT') continue; // the shared scenario directory may not exist yet on this branch
      throw e;
    }
    for (const name of names.filter((n) => n.endsWith('.json')).sort()) {
      const path = join(dir, name);
      out.push({ path, scenario: JSON.parse(readFileSync(path, 'utf8')) });
    }
  }
  return out;
}

/** A run token: [a-z0-9]{8}. */
export function runToken() {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return Array.from(randomBytes(8), (b) => alphabet[b % alphabet.length]).join('');
}

/** `v` with every "{{run}}" in its strings replaced. */
export function substitute(v, token) {
  if (typeof v === 'string') return v.replaceAll('{{run}}', token);
  if (Array.isArray(v)) return v.map((e) => substitute(e, token));
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).map(([k, e]) => [substitute(k, token), substitute(e, token)]));
  }
  return v;
}

// ------------------------------------------------------------------ normalized forms

const isTensorForm = (v) =>
  v !== null && typeof v === 'object' && !Array.isArray(v) && typeof v.hex === 'string' &&
  typeof v.dtype === 'string' && Array.isArray(v.shape) && Object.keys(v).length === 3;

/** Scenario args -> client values: every {dtype, shape, hex} becomes a typed tensor. */
export function fromForms(v) {
  if (isTensorForm(v)) return tensorFromHex(v.dtype, v.shape, v.hex);
  if (Array.isArray(v)) return v.map(fromForms);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, e]) => [k, fromForms(e)]));
  return v;
}

export function tensorForm(t) {
  return { dtype: t.dtype, shape: t.shape, hex: hexOf(t) };
}

/** The API's session object rebuilt from the client's Session. */
function sessionForm(s) {
  return { name: s.name, rngs: s.rngs, model: s.model, options: s.options };
}

// ------------------------------------------------------------------ operations

const required = (args, name, call) => {
  if (!(name in args)) throw new Error(`${call}: missing argument "${name}"`);
  return args[name];
};
const pick = (args, names) => Object.fromEntries(names.filter((n) => args[n] !== undefined).map((n) => [n, args[n]]));

/** call -> (client, args) => normalized result. */
export const OPERATIONS = {
  async create_session(c, a) {
    return sessionForm(await c.createSession(pick(a, ['name', 'rngs', 'model', 'options'])));
  },
  async get_session(c, a) {
    return sessionForm(await c.getSession(required(a, 'name', 'get_session')));
  },
  async delete_session(c, a) {
    await c.deleteSession(required(a, 'name', 'delete_session'));
    return null;
  },
  async list_sessions(c, a) {
    const names = [];
    const opts = {};
    if (a.prefix !== undefined) opts.prefix = a.prefix;
    if (a.page_size !== undefined) opts.pageSize = a.page_size;
    for await (const n of c.iterSessions(opts)) names.push(n);
    return names;
  },
  async keys(c, a) {
    const d = await c.keys(required(a, 'name', 'keys'), pick(a, ['stream', 'n']));
    return { stream: d.stream, source: d.source, counts: d.counts, keys: d.keys };
  },
  async sample(c, a) {
    const opts = pick(a, ['shape', 'stream', 'params']);
    return tensorForm(await c.sample(required(a, 'name', 'sample'), required(a, 'distribution', 'sample'), opts));
  },
  async forward(c, a) {
    return tensorForm(await c.forward(required(a, 'name', 'forward'), required(a, 'x', 'forward'), pick(a, ['deterministic', 'encoding'])));
  },
  async reseed(c, a) {
    const opts = pick(a, ['target', 'policy']);
    return sessionForm(await c.reseed(required(a, 'name', 'reseed'), required(a, 'streams', 'reseed'), opts));
  },
  async fork(c, a) {
    return sessionForm(await c.fork(required(a, 'name', 'fork'), required(a, 'child', 'fork'), pick(a, ['streams'])));
  },
  async params(c, a) {
    const layers = await c.params(required(a, 'name', 'params'));
    return layers.map((layer) => Object.fromEntries(Object.entries(layer).map(([k, t]) => [k, tensorForm(t)])));
  },
  async random(c, a) {
    const r = await c.random(required(a, 'op', 'random'), a.args ?? {});
    return Array.isArray(r) ? r : tensorForm(r); // a key, an array of keys, or a tensor
  },
  async npy_encode(_c, a) {
    return { hex: Buffer.from(kf.encodeNpy(required(a, 'tensor', 'npy_encode'))).toString('hex') };
  },
  async npy_decode(_c, a) {
    return tensorForm(kf.decodeNpyAny(Uint8Array.from(Buffer.from(required(a, 'hex', 'npy_decode'), 'hex'))));
  },
};

// ------------------------------------------------------------------ matching

/**
 * The mismatches of `actual` against `expected` (README "Matching"): objects
 * by the expected keys, arrays element by element with equal length, the rest
 * by equality. Empty when they match.
 */
export function mismatches(expected, actual, path = '$') {
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return [`${path}: expected an array, got ${JSON.stringify(actual)}`];
    if (actual.length !== expected.length) return [`${path}: expected ${expected.length} elements, got ${actual.length}`];
    return expected.flatMap((e, i) => mismatches(e, actual[i], `${path}[${i}]`));
  }
  if (expected !== null && typeof expected === 'object') {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) {
      return [`${path}: expected an object, got ${JSON.stringify(actual)}`];
    }
    return Object.entries(expected).flatMap(([k, e]) =>
      k in actual ? mismatches(e, actual[k], `${path}.${k}`) : [`${path}: missing key "${k}"`]);
  }
  return expected === actual ? [] : [`${path}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`];
}

/** Replays one scenario; throws an Error naming the step on the first failure. */
export async function runScenario(client, scenario, token = runToken()) {
  if (scenario.format !== 1) throw new Error(`${scenario.name}: unknown scenario format ${scenario.format}`);
  const steps = substitute(scenario.steps, token);
  for (const [i, step] of steps.entries()) {
    const where = `${scenario.name} step ${i} (${step.call})`;
    const op = OPERATIONS[step.call];
    if (!op) throw new Error(`${where}: unknown call "${step.call}"`);
    let result;
    try {
      result = await op(client, fromForms(step.args ?? {}));
    } catch (e) {
      if (!step.error) throw new Error(`${where}: failed: ${e.message}`, { cause: e });
      const entry = kf.ERROR_CODES[step.error.code];
      if (!entry) throw new Error(`${where}: the scenario names an unknown error code ${step.error.code}`);
      if (!(e instanceof entry[1])) {
        throw new Error(`${where}: expected ${entry[1].name}, got ${e?.constructor?.name}: ${e.message}`, { cause: e });
      }
      if (e.status !== step.error.status || e.code !== step.error.code || !e.message) {
        throw new Error(`${where}: error ${e.status} ${e.code} "${e.message}", expected ${step.error.status} ${step.error.code}`);
      }
      continue;
    }
    if (step.error) throw new Error(`${where}: succeeded, expected ${step.error.status} ${step.error.code}`);
    if ('expect' in step) {
      const bad = mismatches(step.expect, result);
      if (bad.length) throw new Error(`${where}: result does not match:\n  ${bad.join('\n  ')}`);
    }
  }
}
