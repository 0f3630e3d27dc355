// KeyfoldClient: the keyfoldd HTTP/JSON API (proto/openapi.yaml) over fetch.
// No Node-only imports: the same module runs in Node >= 18 and in browsers.
import type { components } from './generated/openapi.js';
import { KeyfoldConnectionError, KeyfoldError, UnavailableError, errorFromResponse } from './errors.js';
import { decodeNpyAny, encodeNpy } from './npy.js';
import {
  type AnyTensor,
  type Key,
  type Sample,
  type Seed,
  type Tensor,
  type Uint64Tensor,
  tensorFromJson,
  toJsonText,
} from './tensor.js';

type Schemas = components['schemas'];
/** POST /v1/sessions body (the SessionCreate schema). */
export type CreateSessionRequest = Schemas['SessionCreate'];
/** A session as the API returns it (the Session schema). */
export type Session = Schemas['Session'];
/** A layer spec of a model (the Layer schema): every Flax NNX layer type, and the containers sequential, residual, repeat. */
export type Layer = Schemas['Layer'];
/** A layer as a Session echoes it (the ResolvedLayer schema): defaults filled in, held streams as `rngs`. */
export type ResolvedLayer = Schemas['ResolvedLayer'];
/** One entry of a Session's `model.variables`: kind (params or batch_stats), shape, dtype. */
export type VariableSpec = Schemas['VariableSpec'];
/** One operation of GET /v1/random (the RandomOperation schema). */
export type RandomOperation = Schemas['RandomOperation'];
/** POST /v1/sessions/{name}/keys reply, keys as [hi, lo] tuples. */
export interface KeyDraw {
  stream: string;
  source: string;
  counts: number[];
  keys: Key[];
}

export interface KeyfoldClientOptions {
  /** The daemon's URL, with an optional path prefix; "" for the page's own origin. Default http://127.0.0.1:8470. */
  baseUrl?: string;
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string;
  /** The fetch to use (default: the global one). */
  fetch?: typeof fetch;
  /** Per-request timeout in milliseconds (default 30000; 0 for none). */
  timeoutMs?: number;
}

export const DEFAULT_BASE_URL = 'http://127.0.0.1:8470';
const NPY = 'application/x-npy';
// The operations of /v1/random that answer keys rather than one tensor.
const KEY_OPERATIONS = new Set(['key', 'fold_in']);

interface RequestOptions {
  body?: string | Uint8Array;
  contentType?: string;
  accept?: string;
}

export class KeyfoldClient {
  readonly baseUrl: string;
  readonly timeoutMs: number;
  readonly #token: string | undefined;
  readonly #fetch: typeof fetch;

  constructor(opts: KeyfoldClientOptions = {}) {
    this.baseUrl = (opts.baseUrl ?? DEFAULT_BASE_URL).replace(/\/+$/, '');
    this.#token = opts.token === '' ? undefined : opts.token;
    // Bound to globalThis: browsers refuse a fetch called as a method of another object.
    this.#fetch = opts.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.timeoutMs = opts.timeoutMs ?? 30000;
  }

  // ------------------------------------------------------------------ transport

  /** One request; the reply body as bytes, or a typed error. */
  async #send(method: string, path: string, opts: RequestOptions = {}): Promise<{ bytes: Uint8Array; response: Response }> {
    const headers: Record<string, string> = { Accept: opts.accept ?? 'application/json' };
    if (opts.contentType !== undefined) headers['Content-Type'] = opts.contentType;
    if (this.#token !== undefined) headers.Authorization = `Bearer ${this.#token}`;
    const controller = new AbortController();
    const timer = this.timeoutMs > 0 ? setTimeout(() => controller.abort(), this.timeoutMs) : undefined;
    const url = this.baseUrl + path;
    try {
      let response: Response | undefined;
      let bytes = new Uint8Array();
      // keyfoldd closes idle keep-alive connections (--connection-timeout): a
      // request can meet a connection the daemon is closing that moment. A GET
      // changes nothing, so it is tried once more on a fresh connection; other
      // methods are not (a POST that was received must not run twice).
      for (let attempt = 1; response === undefined; attempt++) {
        try {
          const init: RequestInit = { method, headers, signal: controller.signal };
          if (opts.body !== undefined) init.body = opts.body as BodyInit;
          const r = await this.#fetch(url, init);
          // Read the whole body under the same timeout: a reply cut short is a connection error.
          bytes = new Uint8Array(await r.arrayBuffer());
          response = r;
        } catch (e) {
          if (method === 'GET' && attempt === 1 && !controller.signal.aborted) continue;
          const what = controller.signal.aborted ? `timed out after ${this.timeoutMs} ms` : `failed: ${describe(e)}`;
          throw new KeyfoldConnectionError(`${method} ${url} ${what}`, 0, 'connection_error', { cause: e });
        }
      }
      if (response.status >= 400) throw errorFromResponse(response.status, new TextDecoder().decode(bytes));
      return { bytes, response };
    } finally {
      if (timer !== undefined) clearTimeout(timer);
    }
  }

  async #json(method: string, path: string, body?: unknown): Promise<unknown> {
    const opts: RequestOptions = body === undefined ? {} : { body: toJsonText(body), contentType: 'application/json' };
    const { bytes, response } = await this.#send(method, path, opts);
    if (bytes.length === 0) return null;
    try {
      return JSON.parse(new TextDecoder().decode(bytes));
    } catch (e) {
      throw new KeyfoldError(`${method} ${path}: the reply is not JSON: ${describe(e)}`, response.status, 'bad_response', { cause: e });
    }
  }

  /** Wraps a reply-parsing failure (a shape the client does not expect) in a KeyfoldError. */
  #parse<T>(what: string, f: () => T): T {
    try {
      return f();
    } catch (e) {
      if (e instanceof KeyfoldError) throw e;
      throw new KeyfoldError(`${what}: unexpected reply: ${describe(e)}`, 200, 'bad_response', { cause: e });
    }
  }

  static #name(name: string): string {
    return encodeURIComponent(name);
  }

  // ------------------------------------------------------------------ operations

  /** GET /v2/health/live and /v2/health/ready: false while the daemon answers 503. */
  async health(): Promise<{ live: boolean; ready: boolean }> {
    const probe = async (path: string): Promise<boolean> => {
      try {
        await this.#send('GET', path);
        return true;
      } catch (e) {
        if (e instanceof UnavailableError) return false;
        throw e;
      }
    };
    const live = await probe('/v2/health/live');
    const ready = await probe('/v2/health/ready');
    return { live, ready };
  }

  /** GET /metrics: the Prometheus text exposition. */
  async metrics(): Promise<string> {
    const { bytes } = await this.#send('GET', '/metrics', { accept: 'text/plain' });
    return new TextDecoder().decode(bytes);
  }

  // ------------------------------------------------------------------ sessions

  /** POST /v1/sessions: a named nnx.Rngs with an optional model. */
  async createSession(req: CreateSessionRequest): Promise<Session> {
    return (await this.#json('POST', '/v1/sessions', req)) as Session;
  }

  /** GET /v1/sessions/{name}. */
  async getSession(name: string): Promise<Session> {
    return (await this.#json('GET', `/v1/sessions/${KeyfoldClient.#name(name)}`)) as Session;
  }

  /** DELETE /v1/sessions/{name}. */
  async deleteSession(name: string): Promise<void> {
    await this.#send('DELETE', `/v1/sessions/${KeyfoldClient.#name(name)}`);
  }

  /** GET /v1/sessions: one page of names (in byte order); pass nextPageToken back as pageToken. */
  async listSessions(
    opts: { prefix?: string; limit?: number; pageToken?: string } = {},
  ): Promise<{ sessions: string[]; nextPageToken?: string }> {
    const query = new URLSearchParams();
    if (opts.limit !== undefined) query.set('limit', String(opts.limit));
    if (opts.prefix) query.set('prefix', opts.prefix);
    if (opts.pageToken) query.set('page_token', opts.pageToken);
    const q = query.toString();
    const page = (await this.#json('GET', `/v1/sessions${q ? `?${q}` : ''}`)) as Schemas['SessionList'];
    return page.next_page_token === undefined
      ? { sessions: page.sessions }
      : { sessions: page.sessions, nextPageToken: page.next_page_token };
  }

  /** Every session name starting with `prefix`, fetched `pageSize` (1..10000) at a time. */
  async *iterSessions(opts: { prefix?: string; pageSize?: number } = {}): AsyncIterable<string> {
    let pageToken: string | undefined;
    do {
      const page = await this.listSessions({
        ...(opts.prefix === undefined ? {} : { prefix: opts.prefix }),
        ...(opts.pageSize === undefined ? {} : { limit: opts.pageSize }),
        ...(pageToken === undefined ? {} : { pageToken }),
      });
      yield* page.sessions;
      pageToken = page.nextPageToken;
    } while (pageToken);
  }

  /** POST /v1/sessions/{name}/keys: rngs.<stream>() n times (stream default "default", n 1). */
  async keys(name: string, opts: { stream?: string; n?: number } = {}): Promise<KeyDraw> {
    const b = (await this.#json('POST', `/v1/sessions/${KeyfoldClient.#name(name)}/keys`, {
      stream: opts.stream,
      n: opts.n,
    })) as Schemas['KeysResponse'];
    return this.#parse('keys', () => ({
      stream: b.stream,
      source: b.source,
      counts: b.counts.slice(),
      keys: b.keys.map(toKey),
    }));
  }

  /**
   * POST /v1/sessions/{name}/sample: rngs.<stream>.<distribution>(shape, ...params).
   * `params` are the sampler's, by JAX's names (minval, p, ...): numbers, nested
   * arrays or Tensors. Returns the tensor with the key, count and streams of the draw.
   */
  async sample(
    name: string,
    distribution: string,
    opts: { shape?: number[]; stream?: string; params?: Record<string, unknown> } = {},
  ): Promise<Sample> {
    const body = { ...opts.params, distribution, shape: opts.shape, stream: opts.stream };
    const b = (await this.#json('POST', `/v1/sessions/${KeyfoldClient.#name(name)}/sample`, body)) as Schemas['SampleResponse'];
    return this.#parse('sample', () => {
      const t = tensorFromJson(b);
      if (t.dtype === 'uint64') throw new TypeError('a session sample is never uint64');
      return { ...t, key: toKey(b.key), count: b.count, stream: b.stream, source: b.source };
    });
  }

  /**
   * POST /v1/sessions/{name}/forward: the model's output for x. `deterministic`
   * overrides every dropout layer; `encoding: 'npy'` sends x and receives y as .npy.
   */
  async forward(name: string, x: Tensor, opts: { deterministic?: boolean; encoding?: 'json' | 'npy' } = {}): Promise<Tensor> {
    let path = `/v1/sessions/${KeyfoldClient.#name(name)}/forward`;
    if (opts.encoding === 'npy') {
      // With a .npy body, deterministic moves to the query (the JSON member has no place to go).
      if (opts.deterministic !== undefined) path += `?deterministic=${opts.deterministic}`;
      const { bytes } = await this.#send('POST', path, { body: encodeNpy(x), contentType: NPY, accept: NPY });
      return this.#parse('forward', () => narrow(decodeNpyAny(bytes)));
    }
    const b = (await this.#json('POST', path, { x, deterministic: opts.deterministic })) as Schemas['ForwardResponse'];
    return this.#parse('forward', () => narrow(tensorFromJson(b.y)));
  }

  /**
   * POST /v1/sessions/{name}/reseed: nnx.reseed(stream=seed or key, ...). Flax 0.11+
   * sessions: `target` 'model', 'rngs' or 'all' (default), `policy` as Flax's.
   * Returns the session.
   */
  async reseed(
    name: string,
    streams: Record<string, Seed>,
    opts: { target?: 'all' | 'model' | 'rngs'; policy?: 'scalars_only' | 'match_shape' } = {},
  ): Promise<Session> {
    const body = { streams, target: opts.target, policy: opts.policy };
    return (await this.#json('POST', `/v1/sessions/${KeyfoldClient.#name(name)}/reseed`, body)) as Session;
  }

  /** POST /v1/sessions/{name}/fork: Rngs.fork() as the new session `child` (streams: default every one). */
  async fork(name: string, child: string, opts: { streams?: string[] } = {}): Promise<Session> {
    const body = { name: child, streams: opts.streams };
    return (await this.#json('POST', `/v1/sessions/${KeyfoldClient.#name(name)}/fork`, body)) as Session;
  }

  /** GET /v1/sessions/{name}/params: one object per layer, parameter name -> tensor. */
  async params(name: string): Promise<Array<Record<string, Tensor>>> {
    const b = (await this.#json('GET', `/v1/sessions/${KeyfoldClient.#name(name)}/params`)) as Schemas['ParamsResponse'];
    return this.#parse('params', () =>
      b.params.map((layer) => Object.fromEntries(Object.entries(layer).map(([k, v]) => [k, narrow(tensorFromJson(v))]))),
    );
  }

  // ------------------------------------------------------------------ stateless jax.random

  /** GET /v1/random: every operation with its parameters, in JAX's order. */
  async randomOperations(): Promise<RandomOperation[]> {
    const b = (await this.#json('GET', '/v1/random')) as Schemas['RandomOperationList'];
    return b.operations;
  }

  /**
   * POST /v1/random/{op} with the request body by JAX's names, e.g.
   * random('uniform', { key: [0, 42], shape: [3], minval: -1 }). Returns a Tensor
   * (a Uint64Tensor for bits with bit_width 64), the Key of `key`/`fold_in`, the
   * Key[] of `split`.
   */
  async random(op: string, body: Record<string, unknown>): Promise<Tensor | Uint64Tensor | Key | Key[]> {
    const b = (await this.#json('POST', `/v1/random/${KeyfoldClient.#name(op)}`, body)) as Record<string, unknown>;
    return this.#parse(op, () => {
      if (KEY_OPERATIONS.has(op)) return toKey(b.key);
      if (op === 'split') return (b.keys as unknown[]).map(toKey);
      return tensorFromJson(b);
    });
  }
}

function toKey(v: unknown): Key {
  if (!Array.isArray(v) || v.length !== 2 || !v.every((x) => Number.isInteger(x) && x >= 0 && x <= 4294967295)) {
    throw new TypeError(`not a key: ${JSON.stringify(v)}`);
  }
  return [v[0] as number, v[1] as number];
}

function narrow(t: AnyTensor): Tensor {
  if (t.dtype === 'uint64') throw new TypeError('unexpected uint64 tensor');
  return t;
}

function describe(e: unknown): string {
  if (e instanceof Error) {
    // undici puts the socket error (ECONNREFUSED, …) in cause; "fetch failed" alone says little.
    const cause = (e as { cause?: unknown }).cause;
    return cause instanceof Error ? `${e.message} (${cause.message})` : e.message;
  }
  return String(e);
}
