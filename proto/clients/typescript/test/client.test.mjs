// KeyfoldClient against a real keyfoldd: every method, typed errors, .npy, and
// float32 exactness against values printed by real JAX/Flax (the oracle vectors).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { hexOf, kf, oracleCases, startDaemon, tensorFromHex, uniqueName } from './helpers.mjs';

const { KeyfoldClient } = kf;
let daemon;
let client;
before(async () => {
  daemon = await startDaemon();
  client = new KeyfoldClient({ baseUrl: daemon.url });
});
after(async () => daemon?.stop());

const DESIGN_MODEL = {
  layers: [
    { type: 'linear', in_features: 2, out_features: 3 },
    { type: 'dropout', rate: 0.5 },
  ],
};

describe('operations', () => {
  test('health: live and ready', async () => {
    assert.deepEqual(await client.health(), { live: true, ready: true });
  });
  test('metrics: Prometheus text', async () => {
    const text = await client.metrics();
    assert.match(text, /^# (HELP|TYPE) keyfold/m);
  });
});

describe('sessions', () => {
  test('create, get, keys, delete', async () => {
    const name = uniqueName('s');
    const s = await client.createSession({ name, rngs: { params: 0, dropout: [0, 42] } });
    assert.equal(s.name, name);
    // nnx.Rngs(params=0): key(0) = [0, 0]; a key given as [hi, lo] is kept.
    assert.deepEqual(s.rngs.params, { key: [0, 0], count: 0 });
    assert.deepEqual(s.rngs.dropout, { key: [0, 42], count: 0 });
    assert.equal(s.model, null);
    const draw = await client.keys(name, { stream: 'params', n: 2 });
    // rngs.params() twice = fold_in(key(0), 0), fold_in(key(0), 1): JAX's values.
    const folds = oracleCases().filter((c) => c.op === 'fold_in' && c.mode === 'partitionable' && c.args.key[0] === 0 && c.args.key[1] === 0);
    const expected = [0, 1].map((n) => {
      const c = folds.find((f) => f.args.data === n);
      assert.ok(c, `oracle fold_in(key(0), ${n})`);
      return Array.from(tensorFromHex('uint32', [2], c.expect).data);
    });
    assert.deepEqual(draw, { stream: 'params', source: 'params', counts: [0, 1], keys: expected });
    // An unknown stream falls back to default; there is none here: 404.
    await assert.rejects(client.keys(name, { stream: 'nosuch' }), kf.NotFoundError);
    assert.deepEqual((await client.getSession(name)).rngs.params.count, 2);
    await client.deleteSession(name);
    await assert.rejects(client.getSession(name), kf.NotFoundError);
  });

  test('sample: a float32 tensor with the draw\'s key and count', async () => {
    const name = uniqueName('sample');
    await client.createSession({ name, rngs: { default: 0 } });
    const s = await client.sample(name, 'uniform', { shape: [2, 3], params: { minval: -1, maxval: 1 } });
    assert.equal(s.dtype, 'float32');
    assert.deepEqual(s.shape, [2, 3]);
    assert.ok(s.data instanceof Float32Array);
    assert.equal(s.count, 0);
    assert.equal(s.source, 'default');
    // The same draw stateless: uniform(fold_in(key(0), 0), ...) — the session's contract.
    const again = await client.random('uniform', { key: s.key, shape: [2, 3], minval: -1, maxval: 1 });
    assert.equal(hexOf(again), hexOf(s));
    const bern = await client.sample(name, 'bernoulli', { shape: [4], stream: 'default', params: { p: 0.5 } });
    assert.equal(bern.dtype, 'bool');
    assert.ok(bern.data.every((v) => v === 0 || v === 1));
  });

  test('fork and reseed', async () => {
    const parent = uniqueName('parent');
    const child = uniqueName('child');
    await client.createSession({ name: parent, rngs: { params: 5, dropout: 0 } });
    const c = await client.fork(parent, child, { streams: ['dropout'] });
    assert.equal(c.name, child);
    assert.deepEqual(Object.keys(c.rngs), ['dropout']);
    // child key = fold_in(parent key, parent count) = fold_in(key(0), 0), as JAX computes it.
    const fold = oracleCases().find((x) => x.op === 'fold_in' && x.mode === 'partitionable' && x.args.key[0] === 0 && x.args.key[1] === 0 && x.args.data === 0);
    assert.deepEqual(c.rngs.dropout, { key: Array.from(tensorFromHex('uint32', [2], fold.expect).data), count: 0 });
    assert.equal((await client.getSession(parent)).rngs.dropout.count, 1);
    await assert.rejects(client.fork(parent, child), kf.AlreadyExistsError);
    const r = await client.reseed(parent, { dropout: 7, params: [3, 4] });
    assert.deepEqual(r.rngs.dropout, { key: [0, 7], count: 0 });
    assert.deepEqual(r.rngs.params, { key: [3, 4], count: 0 });
  });

  test('params and forward match Flax (oracle flax_session)', async () => {
    const c = oracleCases().find((x) => x.op === 'flax_session' && x.id === 'flax_session/partitionable/reseed-docstring/model');
    assert.ok(c, 'oracle case');
    const name = uniqueName('model');
    await client.createSession({ name, rngs: c.args.rngs, model: { layers: c.args.layers }, options: { flax: '0.12' } });
    const params = await client.params(name);
    assert.equal(params.length, 2);
    assert.deepEqual(params[1], {});
    for (const p of c.expect.params) {
      const got = params[0][p.path.split('.').pop()];
      assert.deepEqual(got.shape, p.value.shape);
      assert.equal(hexOf(got), p.value.expect, p.path);
    }
    const step = c.args.steps[0];
    const x = c.args.inputs[step.forward];
    const input = { dtype: 'float32', shape: [x.length, x[0].length], data: Float32Array.from(x.flat()) };
    const y = await client.forward(name, input);
    assert.equal(hexOf(y), c.expect.steps[0].y.expect);
    // deterministic: dropout off, y = x @ kernel + bias.
    const yd = await client.forward(name, input, { deterministic: true });
    const yn = await client.forward(name, input, { deterministic: true, encoding: 'npy' });
    assert.equal(hexOf(yn), hexOf(yd));
    assert.ok(yn.data instanceof Float32Array);
  });

  test('forward sends float32 inputs bit-exactly (JSON and .npy agree on awkward values)', async () => {
    const name = uniqueName('fwd');
    // Linear(2, 2) with a zero bias: y = x @ kernel; compare the JSON path with the
    // binary .npy path on inputs whose text forms are long or denormal.
    await client.createSession({ name, rngs: { params: 3 }, model: { layers: [{ type: 'linear', in_features: 2, out_features: 2 }] } });
    const bits = new Uint32Array([0x3f9e0652, 0x00000001, 0x7f7fffff >>> 8, 0xbeaaaaab, 0x80000000, 0x33d6bf95, 0x4b800001, 0x3dcccccd]);
    const x = { dtype: 'float32', shape: [4, 2], data: new Float32Array(bits.buffer) };
    const viaJson = await client.forward(name, x);
    const viaNpy = await client.forward(name, x, { encoding: 'npy' });
    assert.equal(hexOf(viaJson), hexOf(viaNpy));
  });
});

describe('listing', () => {
  test('listSessions pages and iterSessions follows next_page_token', async () => {
    const prefix = uniqueName('list');
    const names = Array.from({ length: 7 }, (_, i) => `${prefix}-${String(i).padStart(2, '0')}`);
    for (const name of names) await client.createSession({ name });
    const first = await client.listSessions({ prefix, limit: 3 });
    assert.deepEqual(first.sessions, names.slice(0, 3));
    assert.ok(first.nextPageToken);
    const second = await client.listSessions({ prefix, limit: 3, pageToken: first.nextPageToken });
    assert.deepEqual(second.sessions, names.slice(3, 6));
    const all = [];
    for await (const n of client.iterSessions({ prefix, pageSize: 2 })) all.push(n);
    assert.deepEqual(all, names);
    const last = await client.listSessions({ prefix, limit: 7 });
    assert.equal(last.nextPageToken, undefined);
  });
});

describe('random', () => {
  test('randomOperations lists JAX operations', async () => {
    const ops = await client.randomOperations();
    const names = ops.map((o) => o.name);
    for (const n of ['key', 'fold_in', 'split', 'bits', 'uniform', 'normal']) assert.ok(names.includes(n), n);
  });

  // Every exact partitionable/legacy case of these ops from real JAX, through the typed API.
  const ops = ['key', 'fold_in', 'split', 'bits', 'uniform', 'randint', 'bernoulli', 'permutation', 'truncated_normal'];
  test('random matches JAX bit for bit (oracle vectors)', async () => {
    let checked = 0;
    for (const c of oracleCases()) {
      if (!ops.includes(c.op) || c.tolerance !== 'exact' || c.x64 || c.args.legacy_prngkey) continue;
      const body = { ...c.args, threefry: c.mode };
      for (const k of ['lower', 'upper', 'minval', 'maxval']) {
        if (body[k] === 'inf') body[k] = Infinity;
        if (body[k] === '-inf') body[k] = -Infinity;
      }
      if (Object.values(body).some((v) => v === Infinity || v === -Infinity)) continue; // not JSON numbers
      const r = await client.random(c.op, body);
      let hex;
      if (c.op === 'key' || c.op === 'fold_in') hex = hexOf({ data: Uint32Array.from(r) });
      else if (c.op === 'split') hex = hexOf({ data: Uint32Array.from(r.flat()) });
      else {
        // The oracle names bernoulli's bool result by its bytes' numpy dtype, uint8.
        assert.equal(r.dtype, c.op === 'bernoulli' ? 'bool' : c.dtype, c.id);
        assert.deepEqual(r.shape, c.shape, c.id);
        hex = hexOf(r);
      }
      assert.equal(hex, c.expect, c.id);
      checked += 1;
    }
    assert.ok(checked > 500, `checked ${checked} cases`);
  });

  test('bits with bit_width 64 is a Uint64Tensor (decimal strings on the wire)', async () => {
    const c = oracleCases().find((x) => x.op === 'bits' && x.mode === 'partitionable' && x.args.bit_width === 64 && x.shape.length === 1);
    assert.ok(c, 'oracle bits/64 case');
    const r = await client.random('bits', { ...c.args, threefry: c.mode });
    assert.equal(r.dtype, 'uint64');
    assert.ok(r.data instanceof BigUint64Array);
    assert.equal(hexOf(r), c.expect);
  });

  test('float32 tensor parameters are sent bit-exactly (JAX uniform on [0.1, 0.7))', async () => {
    // JAX drew with minval/maxval the float32s nearest 0.1 and 0.7; sent as
    // float32 tensors they travel as their shortest text ("0.1", "0.7").
    const c = oracleCases().find((x) => x.id === 'uniform/partitionable/key(0)/[]/[0.1,0.7)');
    assert.ok(c, 'oracle case');
    const scalar = (v) => ({ dtype: 'float32', shape: [], data: new Float32Array([v]) });
    const r = await client.random('uniform', {
      key: c.args.key, shape: c.args.shape, minval: scalar(c.args.minval), maxval: scalar(c.args.maxval),
    });
    assert.equal(hexOf(r), c.expect);
  });
});

describe('errors', () => {
  test('404 not_found is NotFoundError with status, code and message', async () => {
    const err = await client.getSession(uniqueName('missing')).catch((e) => e);
    assert.ok(err instanceof kf.NotFoundError);
    assert.ok(err instanceof kf.KeyfoldError);
    assert.equal(err.status, 404);
    assert.equal(err.code, 'not_found');
    assert.match(err.message, /not found/);
  });
  test('400 invalid_argument', async () => {
    const err = await client.createSession({ name: '-bad name-' }).catch((e) => e);
    assert.ok(err instanceof kf.InvalidArgumentError, String(err));
    assert.equal(err.status, 400);
    assert.equal(err.code, 'invalid_argument');
  });
  test('409 already_exists', async () => {
    const name = uniqueName('dup');
    await client.createSession({ name });
    const err = await client.createSession({ name }).catch((e) => e);
    assert.ok(err instanceof kf.AlreadyExistsError);
    assert.equal(err.status, 409);
  });
  test('409 failed_precondition: forward without a model', async () => {
    const name = uniqueName('nomodel');
    await client.createSession({ name });
    const err = await client.forward(name, { dtype: 'float32', shape: [1], data: new Float32Array([1]) }).catch((e) => e);
    assert.ok(err instanceof kf.FailedPreconditionError, String(err));
  });
  test('connection refused is KeyfoldConnectionError', async () => {
    const c = new KeyfoldClient({ baseUrl: 'http://127.0.0.1:1' });
    const err = await c.health().catch((e) => e);
    assert.ok(err instanceof kf.KeyfoldConnectionError, String(err));
    assert.equal(err.status, 0);
    assert.equal(err.code, 'connection_error');
  });
  test('a GET that meets a dropped connection is tried once more; a POST is not', async () => {
    let calls = 0;
    const flaky = (failures) => (url, init) => {
      calls += 1;
      return calls <= failures ? Promise.reject(new TypeError('fetch failed')) : fetch(url, init);
    };
    calls = 0;
    const once = new KeyfoldClient({ baseUrl: daemon.url, fetch: flaky(1) });
    assert.match(await once.metrics(), /keyfold/);
    assert.equal(calls, 2);
    calls = 0;
    const twice = new KeyfoldClient({ baseUrl: daemon.url, fetch: flaky(2) });
    await assert.rejects(twice.metrics(), kf.KeyfoldConnectionError);
    assert.equal(calls, 2);
    calls = 0;
    const post = new KeyfoldClient({ baseUrl: daemon.url, fetch: flaky(1) });
    await assert.rejects(post.createSession({ name: uniqueName('flaky') }), kf.KeyfoldConnectionError);
    assert.equal(calls, 1);
  });
  test('a timeout is KeyfoldConnectionError', async () => {
    const never = () => new Promise((_, reject) => setTimeout(() => reject(new Error('late')), 5000));
    const c = new KeyfoldClient({
      baseUrl: daemon.url,
      timeoutMs: 50,
      fetch: (url, init) => new Promise((resolve, reject) => {
        init.signal.addEventListener('abort', () => reject(init.signal.reason));
        never().catch(() => {});
      }),
    });
    const err = await c.metrics().catch((e) => e);
    assert.ok(err instanceof kf.KeyfoldConnectionError);
    assert.match(err.message, /timed out/);
  });
  test('every code of the daemon\'s table has its class (keyfoldd --dump-tables)', async () => {
    const { execFileSync } = await import('node:child_process');
    const tables = JSON.parse(execFileSync(process.env.KEYFOLDD, ['--dump-tables'], { encoding: 'utf8' }));
    const codes = tables.errors ?? tables.error_codes;
    assert.ok(Array.isArray(codes) && codes.length > 0, 'dump-tables lists the error codes');
    for (const e of codes) {
      if (e.code === 'ok' || e.name === 'ok') continue;
      const code = e.code ?? e.name;
      const err = kf.errorFromResponse(e.status, JSON.stringify({ error: { code, message: 'm' } }));
      assert.notEqual(err.constructor, kf.KeyfoldError, code);
      assert.equal(err.code, code);
      assert.deepEqual(kf.ERROR_CODES[code][0], e.status, code);
    }
  });
});

describe('auth', () => {
  test('401 without the token, success with it', async () => {
    const { scratchDir } = await import('./helpers.mjs');
    const { writeFileSync } = await import('node:fs');
    const scratch = scratchDir();
    const tokenFile = `${scratch.dir}/token`;
    writeFileSync(tokenFile, 's3cret-token\n', { mode: 0o600 });
    const d = await startDaemon(['--auth-token-file', tokenFile]);
    try {
      const anon = new KeyfoldClient({ baseUrl: d.url });
      // The health routes stay open (the API's Authentication convention).
      assert.deepEqual(await anon.health(), { live: true, ready: true });
      await assert.rejects(anon.metrics(), kf.UnauthenticatedError);
      const err = await anon.listSessions().catch((e) => e);
      assert.ok(err instanceof kf.UnauthenticatedError, String(err));
      assert.equal(err.status, 401);
      const wrong = await new KeyfoldClient({ baseUrl: d.url, token: 'nope' }).listSessions().catch((e) => e);
      assert.ok(wrong instanceof kf.UnauthenticatedError);
      const authed = new KeyfoldClient({ baseUrl: d.url, token: 's3cret-token' });
      const name = uniqueName('auth');
      await authed.createSession({ name });
      assert.deepEqual((await authed.listSessions()).sessions, [name]);
    } finally {
      await d.stop();
      scratch.remove();
    }
  });
});

describe('keep-alive', () => {
  test('a connection the daemon closed while idle is not reused (--connection-timeout 1)', async () => {
    const d = await startDaemon(['--connection-timeout', '1']);
    try {
      const c = new KeyfoldClient({ baseUrl: d.url });
      await c.createSession({ name: 'idle-a' });
      await new Promise((r) => setTimeout(r, 1500));
      // A POST is never retried: it succeeds only if the closed connection was dropped from the pool.
      await c.createSession({ name: 'idle-b' });
      assert.deepEqual((await c.listSessions()).sessions, ['idle-a', 'idle-b']);
    } finally {
      await d.stop();
    }
  });
  test('sequential requests reuse one connection', async () => {
    // A counting TCP relay in front of the daemon: Node's fetch (undici) keeps
    // connections alive by default. undici may open a second connection while
    // the first is still being released after its reply, but 40 requests
    // (20 health() calls) must not open more than that.
    const net = await import('node:net');
    const target = new URL(daemon.url);
    let opened = 0;
    const sockets = new Set();
    const relay = net.createServer((inbound) => {
      opened += 1;
      const outbound = net.connect(Number(target.port), target.hostname);
      sockets.add(inbound).add(outbound);
      inbound.pipe(outbound).pipe(inbound);
      const close = () => { inbound.destroy(); outbound.destroy(); };
      inbound.on('error', close).on('close', close);
      outbound.on('error', close).on('close', close);
    });
    await new Promise((r) => relay.listen(0, '127.0.0.1', r));
    try {
      const c = new KeyfoldClient({ baseUrl: `http://127.0.0.1:${relay.address().port}` });
      const seen = [];
      for (let i = 0; i < 20; i++) { await c.health(); seen.push(opened); }
      // when undici opens its second connection depends on timing (a loaded
      // machine); that 20 calls need at most two is what keep-alive promises
      assert.ok(opened <= 2, `connections opened after each call: ${seen.join(',')}`);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => relay.close(r));
    }
  });
});
