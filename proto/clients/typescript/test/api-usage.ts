// Type-level test (tsc --strict --noEmit, run by scripts/run-tests.sh): the
// public API as the console and other consumers code against it. Never run;
// it fails to compile when a name or signature drifts.
import {
  AlreadyExistsError,
  type CreateSessionRequest,
  decodeNpy,
  encodeNpy,
  type Key,
  type KeyDraw,
  KeyfoldClient,
  KeyfoldConnectionError,
  KeyfoldError,
  InvalidArgumentError,
  type Layer,
  NotFoundError,
  type RandomOperation,
  type Seed,
  type Session,
  type Tensor,
  UnauthenticatedError,
  type ResolvedLayer,
  type VariableSpec,
} from '../src/index.js';

export async function usage(): Promise<void> {
  const c = new KeyfoldClient({ baseUrl: '', token: 't', fetch: globalThis.fetch, timeoutMs: 1000 });
  new KeyfoldClient();
  const h: { live: boolean; ready: boolean } = await c.health();
  const m: string = await c.metrics();
  const req: CreateSessionRequest = { name: 'a', rngs: { params: 0, dropout: [0, 42] }, options: { flax: '0.12' } };
  const s: Session = await c.createSession(req);
  // Nested models: a CNN and a pre-norm transformer block repeated twice.
  const cnn: Layer[] = [
    { type: 'conv', in_features: 1, out_features: 32, kernel_size: [3, 3], name: 'conv1' },
    { type: 'relu' },
    { type: 'avg_pool', window_shape: [2, 2], strides: [2, 2] },
    { type: 'flatten' },
    { type: 'linear', in_features: 6272, out_features: 10 },
  ];
  const block: Layer = {
    type: 'repeat', count: 2, name: 'blocks', layers: [
      { type: 'residual', layers: [{ type: 'layer_norm', num_features: 8 },
        { type: 'multi_head_attention', num_heads: 2, in_features: 8, dropout_rate: 0.1, causal: true }] },
      { type: 'residual', layers: [{ type: 'rms_norm', num_features: 8 }, { type: 'linear', in_features: 8, out_features: 8 },
        { type: 'gelu', approximate: false }, { type: 'dropout', rate: 0.1 }] },
    ],
  };
  await c.createSession({ name: 'cnn', rngs: { params: 0 }, model: { layers: [...cnn, { type: 'sequential', layers: [block] }] } });
  const echoed: ResolvedLayer[] = s.model ? s.model.layers : [];
  const vars: Record<string, VariableSpec> = s.model ? s.model.variables : {};
  const kind: VariableSpec['kind'] = 'batch_stats';
  void [echoed, vars, kind];
  const g: Session = await c.getSession('a');
  const d: void = await c.deleteSession('a');
  const page: { sessions: string[]; nextPageToken?: string } = await c.listSessions({ prefix: 'a', limit: 2, pageToken: 'x' });
  const names: AsyncIterable<string> = c.iterSessions({ prefix: 'a', pageSize: 10 });
  const k: KeyDraw = await c.keys('a', { stream: 'params', n: 2 });
  const firstKey: Key | undefined = k.keys[0];
  const t: Tensor = await c.sample('a', 'uniform', { shape: [2], stream: 'default', params: { minval: -1 } });
  const y: Tensor = await c.forward('a', t, { deterministic: true, encoding: 'npy' });
  const seeds: Record<string, Seed> = { dropout: 1, params: [0, 1] };
  const r: Session = await c.reseed('a', seeds);
  const f: Session = await c.fork('a', 'b', { streams: ['params'] });
  const p: Array<Record<string, Tensor>> = await c.params('a');
  const ops: RandomOperation[] = await c.randomOperations();
  const out = await c.random('split', { key: [0, 0], num: 2 });
  const dtype: Tensor['dtype'] = 'bool';
  const data: Tensor['data'] = new Float32Array(1);
  const bytes: Uint8Array = encodeNpy(t);
  const back: Tensor = decodeNpy(bytes);
  try {
    await c.getSession('x');
  } catch (e) {
    if (e instanceof NotFoundError || e instanceof InvalidArgumentError || e instanceof AlreadyExistsError ||
        e instanceof UnauthenticatedError || e instanceof KeyfoldConnectionError) {
      const status: number = e.status;
      const code: string = e.code;
      const base: KeyfoldError = e;
      void [status, code, base];
    }
  }
  void [h, m, s, g, d, page, names, firstKey, y, r, f, p, ops, out, dtype, data, back];
}
