// Shared by the tests: the built client, a real keyfoldd, the JAX oracle vectors.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const here = (p) => fileURLToPath(new URL(p, import.meta.url));
export const packageDir = here('..');
export const sourceRoot = here('../../../..');

// The compiled package: run-tests.sh builds it into the meson build dir and
// names it; a plain `npm test` uses dist/.
export const distDir = process.env.KEYFOLD_TS_DIST ?? here('../dist');
export const kf = await import(pathToFileURL(join(distDir, 'index.js')).href);

/** A scratch directory under TMPDIR, removed by the returned function. */
export function scratchDir(prefix = 'keyfold-ts-') {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Starts `keyfoldd --listen 127.0.0.1:0 --durability memory [args]`, waits for
 * "listening on http://HOST:PORT" on stderr and GET /v2/health/ready = 200.
 */
export async function startDaemon(args = []) {
  const exe = process.env.KEYFOLDD;
  if (!exe) throw new Error('KEYFOLDD must name the keyfoldd executable');
  const child = spawn(exe, ['--listen', '127.0.0.1:0', '--durability', 'memory', ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`keyfoldd did not listen within 10 s:\n${stderr}`)), 10000);
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      const m = /listening on (http:\/\/[0-9.]+:[0-9]+)/.exec(stderr);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`keyfoldd exited (${code}) before listening:\n${stderr}`));
    });
  });
  child.removeAllListeners('exit');
  const exited = new Promise((resolve) => child.on('exit', resolve));
  const deadline = Date.now() + 10000;
  for (;;) {
    const r = await fetch(`${url}/v2/health/ready`).catch(() => null);
    if (r) await r.arrayBuffer();
    if (r?.status === 200) break;
    if (Date.now() > deadline) throw new Error(`keyfoldd at ${url} not ready within 10 s`);
    await new Promise((res) => setTimeout(res, 50));
  }
  return {
    url,
    stderr: () => stderr,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

let runCounter = 0;
/** A fresh session-name prefix per test, so tests can share one daemon. */
export function uniqueName(label) {
  runCounter += 1;
  return `${label}-${process.pid}-${runCounter}`;
}

export function hexOf(t) {
  const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  return Buffer.from(bytes).toString('hex');
}

/** A tensor with the given dtype/shape whose little-endian bytes are `hex`. */
export function tensorFromHex(dtype, shape, hex) {
  const bytes = Uint8Array.from(Buffer.from(hex, 'hex'));
  const ctor = {
    float32: Float32Array, int32: Int32Array, uint32: Uint32Array, bool: Uint8Array,
    uint8: Uint8Array, uint16: Uint16Array, uint64: BigUint64Array,
  }[dtype];
  if (!ctor) throw new Error(`unknown dtype ${dtype}`);
  // Copy into an aligned buffer of the element type (bytes are little-endian; so is every host we run on).
  return { dtype, shape, data: new ctor(bytes.buffer.slice(0)) };
}

let oracle;
/** The cases of tests/vectors/jax-oracle-flax-0.12.json (values printed by real JAX and Flax). */
export function oracleCases() {
  oracle ??= JSON.parse(readFileSync(join(sourceRoot, 'tests/vectors/jax-oracle-flax-0.12.json'), 'utf8')).cases;
  return oracle;
}
