// ../clients/typescript/src/errors.ts
var KeyfoldError = class extends Error {
  /** The HTTP status (0 when there was no reply). */
  status;
  /** The API's error code (`not_found`, …), or `connection_error`, `bad_response`, `http_<status>`. */
  code;
  constructor(message, status, code, options) {
    super(message, options);
    this.status = status;
    this.code = code;
  }
};
var InvalidArgumentError = class extends KeyfoldError {
};
var UnauthenticatedError = class extends KeyfoldError {
};
var NotFoundError = class extends KeyfoldError {
};
var MethodNotAllowedError = class extends KeyfoldError {
};
var NotAcceptableError = class extends KeyfoldError {
};
var AlreadyExistsError = class extends KeyfoldError {
};
var FailedPreconditionError = class extends KeyfoldError {
};
var PayloadTooLargeError = class extends KeyfoldError {
};
var UnsupportedMediaTypeError = class extends KeyfoldError {
};
var ResourceExhaustedError = class extends KeyfoldError {
};
var InternalError = class extends KeyfoldError {
};
var UnavailableError = class extends KeyfoldError {
};
var KeyfoldConnectionError = class extends KeyfoldError {
};
var ERROR_CODES = {
  invalid_argument: [400, InvalidArgumentError],
  unauthenticated: [401, UnauthenticatedError],
  not_found: [404, NotFoundError],
  method_not_allowed: [405, MethodNotAllowedError],
  not_acceptable: [406, NotAcceptableError],
  already_exists: [409, AlreadyExistsError],
  failed_precondition: [409, FailedPreconditionError],
  payload_too_large: [413, PayloadTooLargeError],
  unsupported_media_type: [415, UnsupportedMediaTypeError],
  resource_exhausted: [429, ResourceExhaustedError],
  internal: [500, InternalError],
  unavailable: [503, UnavailableError]
};
for (const [cls, name] of [
  [KeyfoldError, "KeyfoldError"],
  [KeyfoldConnectionError, "KeyfoldConnectionError"],
  ...Object.entries(ERROR_CODES).map(([code, [, c]]) => [c, `${code.replace(/(^|_)([a-z])/g, (_m, _u, ch) => ch.toUpperCase())}Error`])
]) {
  Object.defineProperty(cls.prototype, "name", { value: name, writable: true, configurable: true });
}
function errorFromResponse(status, bodyText) {
  let code;
  let message;
  try {
    const body = JSON.parse(bodyText);
    const err = typeof body === "object" && body !== null ? body.error : void 0;
    if (typeof err === "string") message = err;
    else if (typeof err === "object" && err !== null) {
      const e = err;
      if (typeof e.code === "string") code = e.code;
      if (typeof e.message === "string") message = e.message;
    }
  } catch {
  }
  message ??= bodyText.trim().slice(0, 500) || `HTTP ${status}`;
  let entry = code === void 0 ? void 0 : ERROR_CODES[code];
  if (entry === void 0 && status !== 409) {
    const byStatus = Object.entries(ERROR_CODES).find(([, [s]]) => s === status);
    if (byStatus !== void 0) [code, entry] = [code ?? byStatus[0], byStatus[1]];
  }
  const cls = entry?.[1] ?? KeyfoldError;
  return new cls(message, status, code ?? `http_${status}`);
}

// ../clients/typescript/src/float32.ts
var NONFINITE = {
  NaN: NaN,
  Infinity: Infinity,
  "-Infinity": -Infinity
};
function formatFloat32(x) {
  const target = Math.fround(x);
  if (Number.isNaN(target)) return "NaN";
  if (target === Infinity) return "Infinity";
  if (target === -Infinity) return "-Infinity";
  if (target === 0) return Object.is(target, -0) ? "-0" : "0";
  for (let digits = 1; digits < 9; digits++) {
    const text2 = target.toPrecision(digits);
    if (Math.fround(Number(text2)) === target) return text2;
  }
  return target.toPrecision(9);
}
function encodeFloat32Json(x) {
  const text2 = formatFloat32(x);
  return text2 in NONFINITE ? `"${text2}"` : text2;
}
function parseFloat32(v) {
  if (typeof v === "number") return Math.fround(v);
  if (typeof v === "string" && v in NONFINITE) return NONFINITE[v];
  throw new TypeError(`not a float32 JSON value: ${JSON.stringify(v)}`);
}

// ../clients/typescript/src/tensor.ts
function elementCount(shape) {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}
function isTensor(v) {
  if (typeof v !== "object" || v === null) return false;
  const t = v;
  return typeof t.dtype === "string" && Array.isArray(t.shape) && ArrayBuffer.isView(t.data);
}
function tensorFromJson(obj) {
  if (typeof obj !== "object" || obj === null) throw new TypeError("a tensor must be an object");
  const { dtype, shape, data } = obj;
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new TypeError("tensor shape must be an array of non-negative integers");
  }
  if (!Array.isArray(data) || data.length !== elementCount(shape)) {
    throw new TypeError(`tensor data must be an array of ${elementCount(shape)} elements`);
  }
  const dims = shape.slice();
  switch (dtype) {
    case "float32":
      return { dtype, shape: dims, data: Float32Array.from(data, parseFloat32) };
    case "int32":
      return { dtype, shape: dims, data: Int32Array.from(data, checkedInt(-2147483648, 2147483647)) };
    case "uint32":
      return { dtype, shape: dims, data: Uint32Array.from(data, checkedInt(0, 4294967295)) };
    case "uint16":
      return { dtype, shape: dims, data: Uint16Array.from(data, checkedInt(0, 65535)) };
    case "uint8":
      return { dtype, shape: dims, data: Uint8Array.from(data, checkedInt(0, 255)) };
    case "bool":
      return {
        dtype,
        shape: dims,
        data: Uint8Array.from(data, (v) => {
          if (typeof v !== "boolean") throw new TypeError("bool tensor elements must be booleans");
          return v ? 1 : 0;
        })
      };
    case "uint64":
      return {
        dtype,
        shape: dims,
        data: BigUint64Array.from(data, (v) => {
          if (typeof v !== "string" || !/^(0|[1-9][0-9]{0,19})$/.test(v)) {
            throw new TypeError("uint64 tensor elements must be decimal strings");
          }
          return BigInt(v);
        })
      };
    default:
      throw new TypeError(`unknown tensor dtype ${JSON.stringify(dtype)}`);
  }
}
function checkedInt(min, max) {
  return (v) => {
    if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
      throw new TypeError(`tensor element ${JSON.stringify(v)} is not in [${min}, ${max}]`);
    }
    return v;
  };
}
function tensorToJsonText(t) {
  if (t.data.length !== elementCount(t.shape)) {
    throw new TypeError(`tensor of shape [${t.shape}] needs ${elementCount(t.shape)} elements, has ${t.data.length}`);
  }
  const items = new Array(t.data.length);
  for (let i = 0; i < t.data.length; i++) {
    const v = t.data[i];
    if (t.dtype === "float32") items[i] = encodeFloat32Json(v);
    else if (t.dtype === "bool") items[i] = v ? "true" : "false";
    else if (t.dtype === "uint64") items[i] = `"${v}"`;
    else items[i] = String(v);
  }
  return `{"shape":${JSON.stringify(t.shape)},"dtype":"${t.dtype}","data":[${items.join(",")}]}`;
}
function toJsonText(v) {
  if (isTensor(v)) return tensorToJsonText(v);
  if (Array.isArray(v)) return `[${v.map((e) => e === void 0 ? "null" : toJsonText(e)).join(",")}]`;
  if (typeof v === "object" && v !== null && !ArrayBuffer.isView(v)) {
    const parts = [];
    for (const [k, e] of Object.entries(v)) {
      if (e !== void 0) parts.push(`${JSON.stringify(k)}:${toJsonText(e)}`);
    }
    return `{${parts.join(",")}}`;
  }
  if (typeof v === "number" && !Number.isFinite(v)) {
    throw new TypeError(`${v} cannot be sent as a JSON number (give a float32 tensor for NaN/Infinity)`);
  }
  if (typeof v === "bigint") return v.toString();
  const text2 = JSON.stringify(v);
  if (text2 === void 0) throw new TypeError(`cannot send ${typeof v} as JSON`);
  return text2;
}

// ../clients/typescript/src/npy.ts
var DESCR = {
  float32: "<f4",
  int32: "<i4",
  uint32: "<u4",
  bool: "|b1",
  uint8: "|u1",
  uint16: "<u2",
  uint64: "<u8"
};
var DTYPE_OF_DESCR = Object.fromEntries(
  Object.entries(DESCR).map(([dtype, descr]) => [descr, dtype])
);
var MAGIC = [147, 78, 85, 77, 80, 89];
function encodeNpy(t) {
  const n = elementCount(t.shape);
  if (t.data.length !== n) throw new TypeError(`tensor of shape [${t.shape}] needs ${n} elements, has ${t.data.length}`);
  const dims = t.shape.join(", ") + (t.shape.length === 1 ? "," : "");
  let header = `{'descr': '${DESCR[t.dtype]}', 'fortran_order': False, 'shape': (${dims}), }`;
  if (t.shape.length > 0) header += " ".repeat(21 - String(t.shape[0]).length);
  header += " ".repeat(64 - (10 + header.length + 1) % 64) + "\n";
  const itemsize = t.data.BYTES_PER_ELEMENT;
  const out = new Uint8Array(10 + header.length + n * itemsize);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  const view = new DataView(out.buffer, 10 + header.length);
  for (let i = 0; i < n; i++) writeElement(view, i * itemsize, t.dtype, t.data[i]);
  return out;
}
function writeElement(v, at, dtype, x) {
  switch (dtype) {
    case "float32":
      v.setFloat32(at, x, true);
      break;
    case "int32":
      v.setInt32(at, x, true);
      break;
    case "uint32":
      v.setUint32(at, x, true);
      break;
    case "uint16":
      v.setUint16(at, x, true);
      break;
    case "uint8":
      v.setUint8(at, x);
      break;
    case "bool":
      v.setUint8(at, x ? 1 : 0);
      break;
    case "uint64":
      v.setBigUint64(at, x, true);
      break;
  }
}
function decodeNpyAny(b) {
  if (b.length < 10 || !MAGIC.every((m, i) => b[i] === m) || ![1, 2, 3].includes(b[6])) {
    throw new TypeError("not a .npy file (format 1.0, 2.0 or 3.0)");
  }
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const [hlen, start] = b[6] === 1 ? [dv.getUint16(8, true), 10] : [dv.getUint32(8, true), 12];
  if (start + hlen > b.length) throw new TypeError(".npy header runs past the end of the file");
  let header = "";
  for (let i = start; i < start + hlen; i++) header += String.fromCharCode(b[i]);
  const descr = /'descr':\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === void 0 || fortran === void 0 || shapeText === void 0) {
    throw new TypeError(`not a .npy header: ${header.trim()}`);
  }
  const dtype = DTYPE_OF_DESCR[descr.replace(/^=/, "<")] ?? DTYPE_OF_DESCR[descr.replace(/^=/, "|")];
  if (dtype === void 0 || fortran !== "False") {
    throw new TypeError(`.npy descr ${descr} / fortran_order ${fortran} is not a keyfold tensor`);
  }
  const shape = shapeText.split(",").map((s) => s.trim()).filter((s) => s !== "").map(Number);
  if (!shape.every((d) => Number.isInteger(d) && d >= 0)) throw new TypeError(`bad .npy shape (${shapeText})`);
  const n = elementCount(shape);
  const body = start + hlen;
  const itemsize = Number(descr.slice(2));
  if (b.length - body !== n * itemsize) {
    throw new TypeError(`.npy data is ${b.length - body} bytes, shape (${shapeText}) needs ${n * itemsize}`);
  }
  const v = new DataView(b.buffer, b.byteOffset + body, n * itemsize);
  switch (dtype) {
    case "float32":
      return { dtype, shape, data: Float32Array.from({ length: n }, (_, i) => v.getFloat32(i * 4, true)) };
    case "int32":
      return { dtype, shape, data: Int32Array.from({ length: n }, (_, i) => v.getInt32(i * 4, true)) };
    case "uint32":
      return { dtype, shape, data: Uint32Array.from({ length: n }, (_, i) => v.getUint32(i * 4, true)) };
    case "uint16":
      return { dtype, shape, data: Uint16Array.from({ length: n }, (_, i) => v.getUint16(i * 2, true)) };
    case "uint8":
      return { dtype, shape, data: Uint8Array.from({ length: n }, (_, i) => v.getUint8(i)) };
    case "bool":
      return { dtype, shape, data: Uint8Array.from({ length: n }, (_, i) => v.getUint8(i) ? 1 : 0) };
    case "uint64":
      return { dtype, shape, data: BigUint64Array.from({ length: n }, (_, i) => v.getBigUint64(i * 8, true)) };
  }
}

// ../clients/typescript/src/client.ts
var DEFAULT_BASE_URL = "http://127.0.0.1:8470";
var NPY = "application/x-npy";
var KEY_OPERATIONS = /* @__PURE__ */ new Set(["key", "fold_in"]);
var KeyfoldClient = class _KeyfoldClient {
  baseUrl;
  timeoutMs;
  #token;
  #fetch;
  constructor(opts = {}) {
    this.baseUrl = (opts.baseUrl ?? DEFAULT_BASE_URL).replace(/\/+$/, "");
    this.#token = opts.token === "" ? void 0 : opts.token;
    this.#fetch = opts.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.timeoutMs = opts.timeoutMs ?? 3e4;
  }
  // ------------------------------------------------------------------ transport
  /** One request; the reply body as bytes, or a typed error. */
  async #send(method, path, opts = {}) {
    const headers = { Accept: opts.accept ?? "application/json" };
    if (opts.contentType !== void 0) headers["Content-Type"] = opts.contentType;
    if (this.#token !== void 0) headers.Authorization = `Bearer ${this.#token}`;
    const controller = new AbortController();
    const timer = this.timeoutMs > 0 ? setTimeout(() => controller.abort(), this.timeoutMs) : void 0;
    const url = this.baseUrl + path;
    try {
      let response;
      let bytes = new Uint8Array();
      for (let attempt2 = 1; response === void 0; attempt2++) {
        try {
          const init = { method, headers, signal: controller.signal };
          if (opts.body !== void 0) init.body = opts.body;
          const r = await this.#fetch(url, init);
          bytes = new Uint8Array(await r.arrayBuffer());
          response = r;
        } catch (e) {
          if (method === "GET" && attempt2 === 1 && !controller.signal.aborted) continue;
          const what = controller.signal.aborted ? `timed out after ${this.timeoutMs} ms` : `failed: ${describe(e)}`;
          throw new KeyfoldConnectionError(`${method} ${url} ${what}`, 0, "connection_error", { cause: e });
        }
      }
      if (response.status >= 400) throw errorFromResponse(response.status, new TextDecoder().decode(bytes));
      return { bytes, response };
    } finally {
      if (timer !== void 0) clearTimeout(timer);
    }
  }
  async #json(method, path, body) {
    const opts = body === void 0 ? {} : { body: toJsonText(body), contentType: "application/json" };
    const { bytes, response } = await this.#send(method, path, opts);
    if (bytes.length === 0) return null;
    try {
      return JSON.parse(new TextDecoder().decode(bytes));
    } catch (e) {
      throw new KeyfoldError(`${method} ${path}: the reply is not JSON: ${describe(e)}`, response.status, "bad_response", { cause: e });
    }
  }
  /** Wraps a reply-parsing failure (a shape the client does not expect) in a KeyfoldError. */
  #parse(what, f) {
    try {
      return f();
    } catch (e) {
      if (e instanceof KeyfoldError) throw e;
      throw new KeyfoldError(`${what}: unexpected reply: ${describe(e)}`, 200, "bad_response", { cause: e });
    }
  }
  static #name(name) {
    return encodeURIComponent(name);
  }
  // ------------------------------------------------------------------ operations
  /** GET /v2/health/live and /v2/health/ready: false while the daemon answers 503. */
  async health() {
    const probe = async (path) => {
      try {
        await this.#send("GET", path);
        return true;
      } catch (e) {
        if (e instanceof UnavailableError) return false;
        throw e;
      }
    };
    const live = await probe("/v2/health/live");
    const ready = await probe("/v2/health/ready");
    return { live, ready };
  }
  /** GET /metrics: the Prometheus text exposition. */
  async metrics() {
    const { bytes } = await this.#send("GET", "/metrics", { accept: "text/plain" });
    return new TextDecoder().decode(bytes);
  }
  // ------------------------------------------------------------------ sessions
  /** POST /v1/sessions: a named nnx.Rngs with an optional model. */
  async createSession(req) {
    return await this.#json("POST", "/v1/sessions", req);
  }
  /** GET /v1/sessions/{name}. */
  async getSession(name) {
    return await this.#json("GET", `/v1/sessions/${_KeyfoldClient.#name(name)}`);
  }
  /** DELETE /v1/sessions/{name}. */
  async deleteSession(name) {
    await this.#send("DELETE", `/v1/sessions/${_KeyfoldClient.#name(name)}`);
  }
  /** GET /v1/sessions: one page of names (in byte order); pass nextPageToken back as pageToken. */
  async listSessions(opts = {}) {
    const query = new URLSearchParams();
    if (opts.limit !== void 0) query.set("limit", String(opts.limit));
    if (opts.prefix) query.set("prefix", opts.prefix);
    if (opts.pageToken) query.set("page_token", opts.pageToken);
    const q = query.toString();
    const page = await this.#json("GET", `/v1/sessions${q ? `?${q}` : ""}`);
    return page.next_page_token === void 0 ? { sessions: page.sessions } : { sessions: page.sessions, nextPageToken: page.next_page_token };
  }
  /** Every session name starting with `prefix`, fetched `pageSize` (1..10000) at a time. */
  async *iterSessions(opts = {}) {
    let pageToken;
    do {
      const page = await this.listSessions({
        ...opts.prefix === void 0 ? {} : { prefix: opts.prefix },
        ...opts.pageSize === void 0 ? {} : { limit: opts.pageSize },
        ...pageToken === void 0 ? {} : { pageToken }
      });
      yield* page.sessions;
      pageToken = page.nextPageToken;
    } while (pageToken);
  }
  /** POST /v1/sessions/{name}/keys: rngs.<stream>() n times (stream default "default", n 1). */
  async keys(name, opts = {}) {
    const b = await this.#json("POST", `/v1/sessions/${_KeyfoldClient.#name(name)}/keys`, {
      stream: opts.stream,
      n: opts.n
    });
    return this.#parse("keys", () => ({
      stream: b.stream,
      source: b.source,
      counts: b.counts.slice(),
      keys: b.keys.map(toKey)
    }));
  }
  /**
   * POST /v1/sessions/{name}/sample: rngs.<stream>.<distribution>(shape, ...params).
   * `params` are the sampler's, by JAX's names (minval, p, ...): numbers, nested
   * arrays or Tensors. Returns the tensor with the key, count and streams of the draw.
   */
  async sample(name, distribution, opts = {}) {
    const body = { ...opts.params, distribution, shape: opts.shape, stream: opts.stream };
    const b = await this.#json("POST", `/v1/sessions/${_KeyfoldClient.#name(name)}/sample`, body);
    return this.#parse("sample", () => {
      const t = tensorFromJson(b);
      if (t.dtype === "uint64") throw new TypeError("a session sample is never uint64");
      return { ...t, key: toKey(b.key), count: b.count, stream: b.stream, source: b.source };
    });
  }
  /**
   * POST /v1/sessions/{name}/forward: the model's output for x. `deterministic`
   * overrides every dropout layer; `encoding: 'npy'` sends x and receives y as .npy.
   */
  async forward(name, x, opts = {}) {
    let path = `/v1/sessions/${_KeyfoldClient.#name(name)}/forward`;
    if (opts.encoding === "npy") {
      if (opts.deterministic !== void 0) path += `?deterministic=${opts.deterministic}`;
      const { bytes } = await this.#send("POST", path, { body: encodeNpy(x), contentType: NPY, accept: NPY });
      return this.#parse("forward", () => narrow(decodeNpyAny(bytes)));
    }
    const b = await this.#json("POST", path, { x, deterministic: opts.deterministic });
    return this.#parse("forward", () => narrow(tensorFromJson(b.y)));
  }
  /**
   * POST /v1/sessions/{name}/reseed: nnx.reseed(stream=seed or key, ...). Flax 0.11+
   * sessions: `target` 'model', 'rngs' or 'all' (default), `policy` as Flax's.
   * Returns the session.
   */
  async reseed(name, streams, opts = {}) {
    const body = { streams, target: opts.target, policy: opts.policy };
    return await this.#json("POST", `/v1/sessions/${_KeyfoldClient.#name(name)}/reseed`, body);
  }
  /** POST /v1/sessions/{name}/fork: Rngs.fork() as the new session `child` (streams: default every one). */
  async fork(name, child, opts = {}) {
    const body = { name: child, streams: opts.streams };
    return await this.#json("POST", `/v1/sessions/${_KeyfoldClient.#name(name)}/fork`, body);
  }
  /** GET /v1/sessions/{name}/params: one object per layer, parameter name -> tensor. */
  async params(name) {
    const b = await this.#json("GET", `/v1/sessions/${_KeyfoldClient.#name(name)}/params`);
    return this.#parse(
      "params",
      () => b.params.map((layer) => Object.fromEntries(Object.entries(layer).map(([k, v]) => [k, narrow(tensorFromJson(v))])))
    );
  }
  // ------------------------------------------------------------------ stateless jax.random
  /** GET /v1/random: every operation with its parameters, in JAX's order. */
  async randomOperations() {
    const b = await this.#json("GET", "/v1/random");
    return b.operations;
  }
  /**
   * POST /v1/random/{op} with the request body by JAX's names, e.g.
   * random('uniform', { key: [0, 42], shape: [3], minval: -1 }). Returns a Tensor
   * (a Uint64Tensor for bits with bit_width 64), the Key of `key`/`fold_in`, the
   * Key[] of `split`.
   */
  async random(op, body) {
    const b = await this.#json("POST", `/v1/random/${_KeyfoldClient.#name(op)}`, body);
    return this.#parse(op, () => {
      if (KEY_OPERATIONS.has(op)) return toKey(b.key);
      if (op === "split") return b.keys.map(toKey);
      return tensorFromJson(b);
    });
  }
};
function toKey(v) {
  if (!Array.isArray(v) || v.length !== 2 || !v.every((x) => Number.isInteger(x) && x >= 0 && x <= 4294967295)) {
    throw new TypeError(`not a key: ${JSON.stringify(v)}`);
  }
  return [v[0], v[1]];
}
function narrow(t) {
  if (t.dtype === "uint64") throw new TypeError("unexpected uint64 tensor");
  return t;
}
function describe(e) {
  if (e instanceof Error) {
    const cause = e.cause;
    return cause instanceof Error ? `${e.message} (${cause.message})` : e.message;
  }
  return String(e);
}

// src/special.ts
var LANCZOS = [
  0.9999999999998099,
  676.5203681218851,
  -1259.1392167224028,
  771.3234287776531,
  -176.61503916999186,
  12.507343278686905,
  -0.13857109526572012,
  9984369578019572e-21,
  15056327351493116e-23
];
function lgamma(x) {
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - lgamma(1 - x);
  x -= 1;
  let a = LANCZOS[0];
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += LANCZOS[i] / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}
function lbeta(a, b) {
  return lgamma(a) + lgamma(b) - lgamma(a + b);
}
function erf(x) {
  const s = x < 0 ? -1 : 1;
  const ax = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * ax);
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-ax * ax);
  return s * y;
}
function normalCdf(x) {
  return 0.5 * (1 + erf(x / Math.SQRT2));
}
function lchoose(n, k) {
  return lgamma(n + 1) - lgamma(k + 1) - lgamma(n - k + 1);
}

// src/density.ts
var SQRT_2PI = Math.sqrt(2 * Math.PI);
var phi = (x) => Math.exp(-0.5 * x * x) / SQRT_2PI;
var gammaPdf = (x, a) => x <= 0 ? 0 : Math.exp((a - 1) * Math.log(x) - x - lgamma(a));
var maxwellPdf = (x) => x < 0 ? 0 : Math.sqrt(2 / Math.PI) * x * x * Math.exp(-0.5 * x * x);
var p = (ps, name, fallback) => {
  const v = ps[name];
  return typeof v === "number" && Number.isFinite(v) ? v : fallback;
};
var vec = (ps, name) => {
  const v = ps[name];
  return Array.isArray(v) && v.every((e) => typeof e === "number") ? v : null;
};
var betaPdf = (x, a, b) => x <= 0 || x >= 1 ? 0 : Math.exp((a - 1) * Math.log(x) + (b - 1) * Math.log1p(-x) - lbeta(a, b));
var binomialPmf = (k, n, q) => k < 0 || k > n || !Number.isInteger(k) ? 0 : Math.exp(lchoose(n, k) + k * Math.log(q) + (n - k) * Math.log1p(-q));
var DENSITIES = {
  normal: (x) => phi(x),
  uniform: (x, ps) => {
    const lo = p(ps, "minval", 0), hi = p(ps, "maxval", 1);
    return x >= lo && x < hi ? 1 / (hi - lo) : 0;
  },
  truncated_normal: (x, ps) => {
    const lo = p(ps, "lower", -2), hi = p(ps, "upper", 2);
    return x < lo || x > hi ? 0 : phi(x) / (normalCdf(hi) - normalCdf(lo));
  },
  exponential: (x) => x < 0 ? 0 : Math.exp(-x),
  gamma: (x, ps) => gammaPdf(x, p(ps, "a", 1)),
  loggamma: (x, ps) => {
    const a = p(ps, "a", 1);
    return Math.exp(a * x - Math.exp(x) - lgamma(a));
  },
  beta: (x, ps) => betaPdf(x, p(ps, "a", 1), p(ps, "b", 1)),
  // Every component of every draw, pooled: the mean of the marginals
  // Beta(alpha_i, sum(alpha) - alpha_i).
  dirichlet: (x, ps) => {
    const alpha = vec(ps, "alpha");
    if (!alpha || alpha.length < 2) return NaN;
    const total = alpha.reduce((a, b) => a + b, 0);
    return alpha.reduce((acc, a) => acc + betaPdf(x, a, total - a), 0) / alpha.length;
  },
  // Every component pooled: the mean of the marginals N(mean_i, cov_ii).
  multivariate_normal: (x, ps) => {
    const mean = vec(ps, "mean");
    const cov = ps.cov;
    if (!mean || !Array.isArray(cov) || cov.length !== mean.length) return NaN;
    return mean.reduce((acc, m, i) => {
      const row = cov[i];
      const v = Array.isArray(row) ? Number(row[i]) : NaN;
      return acc + (v > 0 ? phi((x - m) / Math.sqrt(v)) / Math.sqrt(v) : NaN);
    }, 0) / mean.length;
  },
  // Every entry of a Haar orthogonal n x n matrix: density proportional to
  // (1 - x^2)^((n - 3) / 2) on (-1, 1) (uniform for n = 3); square only.
  orthogonal: (x, ps) => {
    const n = p(ps, "n", 3);
    if (ps.m !== void 0 && ps.m !== null && Number(ps.m) !== n) return NaN;
    if (n < 2 || Math.abs(x) >= 1) return n < 2 ? NaN : 0;
    const k = (n - 3) / 2;
    return Math.exp(k * Math.log1p(-x * x) + lgamma(n / 2) - lgamma((n - 1) / 2) - 0.5 * Math.log(Math.PI));
  },
  chisquare: (x, ps) => gammaPdf(x / 2, p(ps, "df", 1) / 2) / 2,
  t: (x, ps) => {
    const v = p(ps, "df", 1);
    return Math.exp(lgamma((v + 1) / 2) - lgamma(v / 2) - 0.5 * Math.log(v * Math.PI) - (v + 1) / 2 * Math.log1p(x * x / v));
  },
  f: (x, ps) => {
    const d1 = p(ps, "dfnum", 1), d2 = p(ps, "dfden", 1);
    if (x <= 0) return 0;
    return Math.exp(0.5 * (d1 * Math.log(d1 * x) + d2 * Math.log(d2) - (d1 + d2) * Math.log(d1 * x + d2)) - Math.log(x) - lbeta(d1 / 2, d2 / 2));
  },
  laplace: (x) => 0.5 * Math.exp(-Math.abs(x)),
  logistic: (x) => {
    const e = Math.exp(-Math.abs(x));
    return e / ((1 + e) * (1 + e));
  },
  gumbel: (x) => Math.exp(-(x + Math.exp(-x))),
  cauchy: (x) => 1 / (Math.PI * (1 + x * x)),
  lognormal: (x, ps) => {
    const s = p(ps, "sigma", 1);
    return x <= 0 ? 0 : Math.exp(-(Math.log(x) ** 2) / (2 * s * s)) / (x * s * SQRT_2PI);
  },
  pareto: (x, ps) => {
    const b = p(ps, "b", 1);
    return x < 1 ? 0 : b / x ** (b + 1);
  },
  weibull_min: (x, ps) => {
    const l = p(ps, "scale", 1), k = p(ps, "concentration", 1);
    return x < 0 ? 0 : k / l * (x / l) ** (k - 1) * Math.exp(-((x / l) ** k));
  },
  rayleigh: (x, ps) => {
    const s = p(ps, "scale", 1);
    return x < 0 ? 0 : x / (s * s) * Math.exp(-x * x / (2 * s * s));
  },
  maxwell: (x) => maxwellPdf(x),
  double_sided_maxwell: (x, ps) => {
    const loc = p(ps, "loc", 0), s = p(ps, "scale", 1);
    return 0.5 * maxwellPdf(Math.abs(x - loc) / s) / s;
  },
  generalized_normal: (x, ps) => {
    const q = p(ps, "p", 2);
    return Math.exp(Math.log(q) - Math.log(2) - lgamma(1 / q) - Math.abs(x) ** q);
  },
  triangular: (x, ps) => {
    const a = p(ps, "left", 0), c = p(ps, "mode", 0.5), b = p(ps, "right", 1);
    if (x < a || x > b) return 0;
    return x < c ? 2 * (x - a) / ((b - a) * (c - a)) : 2 * (b - x) / ((b - a) * (b - c));
  },
  wald: (x, ps) => {
    const m = p(ps, "mean", 1);
    return x <= 0 ? 0 : Math.sqrt(1 / (2 * Math.PI * x ** 3)) * Math.exp(-((x - m) ** 2) / (2 * m * m * x));
  }
};
var PMFS = {
  bernoulli: (k, ps) => k === 1 ? p(ps, "p", 0.5) : k === 0 ? 1 - p(ps, "p", 0.5) : 0,
  randint: (k, ps) => {
    const lo = p(ps, "minval", 0), hi = p(ps, "maxval", 10);
    return k >= lo && k < hi ? 1 / (hi - lo) : 0;
  },
  rademacher: (k) => k === 1 || k === -1 ? 0.5 : 0,
  geometric: (k, ps) => k >= 1 ? (1 - p(ps, "p", 0.5)) ** (k - 1) * p(ps, "p", 0.5) : 0,
  poisson: (k, ps) => {
    const lam = p(ps, "lam", 1);
    return k < 0 ? 0 : Math.exp(k * Math.log(lam) - lam - lgamma(k + 1));
  },
  binomial: (k, ps) => binomialPmf(k, p(ps, "n", 10), p(ps, "p", 0.5)),
  // softmax(logits) over the last axis of a vector of logits.
  categorical: (k, ps) => {
    const logits = vec(ps, "logits");
    if (!logits) return NaN;
    const m = Math.max(...logits);
    const z = logits.reduce((a, l) => a + Math.exp(l - m), 0);
    return Number.isInteger(k) && k >= 0 && k < logits.length ? Math.exp(logits[k] - m) / z : 0;
  },
  // Indices 0..a-1 drawn with replacement, uniformly or by p (normalized).
  choice: (k, ps) => {
    const a = p(ps, "a", NaN), probs = vec(ps, "p");
    if (!Number.isInteger(a) || ps.replace === false) return NaN;
    if (!Number.isInteger(k) || k < 0 || k >= a) return 0;
    return probs ? probs[k] / probs.reduce((x, y) => x + y, 0) : 1 / a;
  },
  // Every count of every draw, pooled: the mean of the marginals Binomial(n, p_i).
  multinomial: (k, ps) => {
    const n = p(ps, "n", NaN), probs = vec(ps, "p");
    if (!probs || !Number.isFinite(n)) return NaN;
    const total = probs.reduce((x, y) => x + y, 0);
    return probs.reduce((acc, q) => acc + binomialPmf(k, n, q / total), 0) / probs.length;
  }
};
var SUGGESTED = {
  truncated_normal: { lower: -2, upper: 2 },
  randint: { minval: 0, maxval: 10 },
  pareto: { b: 3 },
  weibull_min: { scale: 1, concentration: 1.5 },
  rayleigh: { scale: 1 },
  geometric: { p: 0.3 },
  triangular: { left: 0, mode: 0.3, right: 1 },
  double_sided_maxwell: { loc: 0, scale: 1 },
  gamma: { a: 2 },
  loggamma: { a: 2 },
  beta: { a: 2, b: 5 },
  chisquare: { df: 3 },
  t: { df: 4 },
  f: { dfnum: 5, dfden: 10 },
  generalized_normal: { p: 1.5 },
  dirichlet: { alpha: [2, 2, 2] },
  ball: { d: 2 },
  wald: { mean: 1 },
  poisson: { lam: 3 },
  binomial: { n: 10, p: 0.3 },
  permutation: { n: 100 },
  categorical: { logits: [0, 1, 2, 0.5] },
  choice: { a: 8, p: [1, 2, 3, 4, 4, 3, 2, 1] },
  multinomial: { n: 20, p: [0.2, 0.3, 0.5] },
  multivariate_normal: { mean: [0, 0], cov: [[1, 0.6], [0.6, 1]] },
  orthogonal: { n: 3 }
};
function drawShape(op, count, ps) {
  if (op === "permutation") return void 0;
  if (op === "multinomial") return [count, vec(ps, "p")?.length ?? 1];
  return [count];
}

// src/plot.ts
var SVG_NS = "http://www.w3.org/2000/svg";
function el(name, attrs, parent) {
  const e = document.createElementNS(SVG_NS, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (parent) parent.appendChild(e);
  return e;
}
function svg(width, height, label) {
  const s = el("svg", { width, height, viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": label });
  return s;
}
function text(parent, x, y, s, anchor = "middle", cls = "axis") {
  const t = el("text", { x, y, "text-anchor": anchor, class: cls }, parent);
  t.textContent = s;
}
function fmt(v) {
  if (v === 0) return "0";
  const a = Math.abs(v);
  return a >= 1e4 || a < 1e-3 ? v.toExponential(1) : Number(v.toPrecision(3)).toString();
}
function range(sorted) {
  const n = sorted.length;
  let lo = sorted[0], hi = sorted[n - 1];
  const q1 = sorted[Math.floor(n * 0.25)], q3 = sorted[Math.min(n - 1, Math.floor(n * 0.75))];
  const iqr = q3 - q1;
  if (iqr > 0 && hi - lo > 15 * iqr) [lo, hi] = [Math.max(lo, q1 - 5 * iqr), Math.min(hi, q3 + 5 * iqr)];
  if (hi === lo) [lo, hi] = [lo - 0.5, hi + 0.5];
  return [lo, hi];
}
function histogram(input) {
  const W = 640, H = 300, L = 50, R = 16, T = 24, B = 36;
  const s = svg(W, H, input.title);
  s.classList.add("histogram");
  const sorted = Float64Array.from(input.values).filter(Number.isFinite).sort();
  const n = sorted.length;
  text(s, W / 2, 16, input.title, "middle", "title");
  if (n === 0) {
    text(s, W / 2, H / 2, "no finite values");
    return s;
  }
  let lo, hi, bins, width;
  if (input.discrete && sorted[n - 1] - sorted[0] <= 60) {
    lo = sorted[0] - 0.5;
    hi = sorted[n - 1] + 0.5;
    bins = Math.round(hi - lo);
    width = 1;
  } else {
    [lo, hi] = range(sorted);
    bins = Math.max(10, Math.min(80, Math.round(Math.sqrt(n))));
    width = (hi - lo) / bins;
  }
  const counts = new Float64Array(bins);
  let shown = 0;
  for (const v of sorted) {
    if (v < lo || v > hi) continue;
    counts[Math.min(bins - 1, Math.floor((v - lo) / width))] += 1;
    shown++;
  }
  const heights = Array.from(counts, (c) => c / n / width);
  const curve = [];
  if (input.density) {
    if (input.discrete) {
      for (let k = Math.ceil(lo); k <= Math.floor(hi); k++) curve.push([k, input.density(k)]);
    } else {
      for (let i = 0; i <= 200; i++) {
        const x = lo + (hi - lo) * i / 200;
        curve.push([x, input.density(x)]);
      }
    }
  }
  const drawn = curve.filter((c) => Number.isFinite(c[1]));
  const ymax = Math.max(...heights, ...drawn.map((c) => c[1])) * 1.08 || 1;
  const sx = (x) => L + (x - lo) / (hi - lo) * (W - L - R);
  const sy = (y) => H - B - Math.min(y, ymax) / ymax * (H - T - B);
  for (let i = 0; i < bins; i++) {
    const x0 = sx(lo + i * width), x1 = sx(lo + (i + 1) * width);
    el("rect", { x: x0 + 0.5, y: sy(heights[i]), width: Math.max(0.5, x1 - x0 - 1), height: H - B - sy(heights[i]), class: "bar" }, s);
  }
  if (drawn.length) {
    if (input.discrete) {
      for (const [k, pk] of drawn) el("circle", { cx: sx(k), cy: sy(pk), r: 3.5, class: "pmf" }, s);
    } else {
      const d = drawn.map((c, i) => `${i ? "L" : "M"}${sx(c[0]).toFixed(1)},${sy(c[1]).toFixed(1)}`).join("");
      el("path", { d, class: "density" }, s);
    }
  }
  el("line", { x1: L, y1: H - B, x2: W - R, y2: H - B, class: "frame" }, s);
  el("line", { x1: L, y1: T, x2: L, y2: H - B, class: "frame" }, s);
  const step = Math.max(1, Math.ceil((hi - lo) / 8));
  const xticks = width === 1 ? Array.from({ length: Math.floor((hi - lo) / step) + 1 }, (_, i) => Math.ceil(lo) + i * step).filter((x) => x <= hi) : [0, 1, 2, 3, 4].map((i) => lo + (hi - lo) * i / 4);
  for (const x of xticks) text(s, sx(x), H - B + 16, fmt(x));
  for (let i = 0; i <= 4; i++) text(s, L - 6, sy(ymax * i / 4) + 4, fmt(ymax * i / 4), "end");
  text(s, W - R, H - 4, `${n} values${shown < n ? `, ${n - shown} outside the range shown` : ""}`, "end");
  return s;
}
function color(v, m) {
  const t = m > 0 ? Math.max(-1, Math.min(1, v / m)) : 0;
  const a = Math.round(255 * (1 - Math.abs(t)));
  return t >= 0 ? `rgb(255,${a},${a})` : `rgb(${a},${a},255)`;
}
function heatmap(data, shape, title) {
  const rows = shape.length >= 2 ? shape[0] : 1;
  const cols = shape.length >= 2 ? shape.slice(1).reduce((a, b) => a * b, 1) : shape[0] ?? 1;
  const cell = Math.max(4, Math.min(22, Math.floor(420 / Math.max(rows, cols))));
  const T = 20;
  const W = Math.max(160, cols * cell + 2), H = rows * cell + T + 16;
  const s = svg(W, H, title);
  s.classList.add("heatmap");
  let m = 0;
  for (let i = 0; i < data.length; i++) m = Math.max(m, Math.abs(data[i]));
  text(s, 0, 14, title, "start", "title");
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const v = data[r * cols + c];
      const rect = el("rect", { x: 1 + c * cell, y: T + r * cell, width: cell, height: cell, fill: color(v, m), class: "cell" }, s);
      el("title", {}, rect).textContent = `[${shape.length >= 2 ? `${r}, ${c}` : c}] ${v}`;
    }
  }
  el("rect", { x: 1, y: T, width: cols * cell, height: rows * cell, class: "frame-box" }, s);
  text(s, 0, H - 3, m === 0 ? "all zero" : `|max| ${fmt(m)} · red > 0 > blue`, "start");
  return s;
}
function masks(rows, labels) {
  const cols = rows[0]?.length ?? 0;
  const cell = Math.max(6, Math.min(18, Math.floor(560 / Math.max(1, cols))));
  const L = 90, W = L + cols * cell + 4, H = rows.length * (cell + 4) + 8;
  const s = svg(W, H, "dropout masks");
  s.classList.add("masks");
  rows.forEach((row, r) => {
    const y = 4 + r * (cell + 4);
    text(s, L - 8, y + cell - 3, labels[r] ?? "", "end");
    row.forEach((kept, c) => {
      el("rect", { x: L + c * cell, y, width: cell - 1, height: cell, class: kept ? "kept" : "dropped" }, s);
    });
  });
  return s;
}

// src/main.ts
var TOKEN_KEY = "keyfold.token";
function makeClient() {
  const token = sessionStorage.getItem(TOKEN_KEY) ?? void 0;
  return new KeyfoldClient(token ? { baseUrl: "", token } : { baseUrl: "" });
}
var client = makeClient();
var tokenPrompt = null;
function askToken(message) {
  if (tokenPrompt) return tokenPrompt;
  const dialog = document.getElementById("token-dialog");
  const input = document.getElementById("token-input");
  const note = document.getElementById("token-note");
  note.textContent = message;
  input.value = "";
  dialog.oncancel = (ev) => ev.preventDefault();
  tokenPrompt = new Promise((resolve) => {
    const form = dialog.querySelector("form");
    form.onsubmit = (ev) => {
      ev.preventDefault();
      sessionStorage.setItem(TOKEN_KEY, input.value.trim());
      client = makeClient();
      dialog.close();
      tokenPrompt = null;
      resolve();
    };
  });
  dialog.showModal();
  input.focus();
  return tokenPrompt;
}
async function api(f) {
  for (; ; ) {
    try {
      return await f(client);
    } catch (e) {
      if (e instanceof KeyfoldError && e.status === 401) {
        await askToken(sessionStorage.getItem(TOKEN_KEY) ? "The token was refused. Enter the daemon's bearer token:" : "This daemon requires a bearer token:");
        continue;
      }
      throw e;
    }
  }
}
function h(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (typeof v === "function") e.addEventListener(k.replace(/^on/, ""), v);
    else if (typeof v === "boolean") {
      if (v) e.setAttribute(k, "");
    } else e.setAttribute(k, String(v));
  }
  for (const c of children) if (c !== null && c !== void 0 && c !== false) e.append(c);
  return e;
}
var main = () => document.getElementById("main");
function show(...children) {
  main().replaceChildren(...children.filter(Boolean));
}
function report(where, e) {
  const msg = e instanceof KeyfoldError ? `${e.status} ${e.code}: ${e.message}` : e instanceof Error ? e.message : String(e);
  where.replaceChildren(h("p", { class: "error", role: "alert" }, msg));
}
async function attempt(where, f) {
  try {
    return await f();
  } catch (e) {
    report(where, e);
    return void 0;
  }
}
function field(label, input) {
  return h("label", { class: "field" }, h("span", {}, label), input);
}
function keyText(k) {
  return Array.isArray(k) ? `[${k.join(", ")}]` : JSON.stringify(k);
}
var sessionHref = (name, sub = "") => `#/session/${encodeURIComponent(name)}${sub}`;
var getSession = async (name) => await api((c) => c.getSession(name));
var PAGE = 20;
async function viewSessions(query) {
  const prefix = query.get("prefix") ?? "";
  const token = query.get("page") ?? "";
  const prev = query.getAll("back");
  const out = h("div");
  const filter = h("input", { type: "search", name: "prefix", value: prefix, placeholder: "name prefix" });
  const form = h(
    "form",
    { class: "row", onsubmit: (ev) => {
      ev.preventDefault();
      location.hash = `#/sessions?prefix=${encodeURIComponent(filter.value)}`;
    } },
    field("Prefix", filter),
    h("button", { type: "submit" }, "Filter"),
    h("a", { href: "#/create", class: "button" }, "New session")
  );
  show(h("h1", {}, "Sessions"), form, out);
  try {
    const page = await api((c) => c.listSessions({ prefix: prefix || void 0, limit: PAGE, pageToken: token || void 0 }));
    const rows = page.sessions.map((n) => h("li", {}, h("a", { href: sessionHref(n), "data-session": n }, n)));
    const nav = h("div", { class: "row pager" });
    const link = (label, page2, back) => {
      const q = new URLSearchParams({ prefix });
      if (page2) q.set("page", page2);
      for (const b of back) q.append("back", b);
      return h("a", { href: `#/sessions?${q}`, class: "button" }, label);
    };
    if (token) nav.append(link("← Previous", prev[prev.length - 1] ?? "", prev.slice(0, -1)));
    if (page.nextPageToken) nav.append(link("Next →", page.nextPageToken, [...prev, token]));
    out.replaceChildren(
      rows.length ? h("ul", { class: "sessions" }, ...rows) : h("p", { class: "muted" }, prefix ? `No session starts with "${prefix}".` : "No sessions yet."),
      nav
    );
  } catch (e) {
    report(out, e);
  }
}
var PRESETS = {
  "MLP 8-16-4 with dropout": {
    layers: [
      { type: "linear", in_features: 8, out_features: 16 },
      { type: "relu" },
      { type: "dropout", rate: 0.5 },
      { type: "linear", in_features: 16, out_features: 4 }
    ]
  },
  "Dropout only (masks)": { layers: [{ type: "dropout", rate: 0.5 }] },
  "Embedding + linear": {
    layers: [
      { type: "embed", num_embeddings: 10, features: 6 },
      { type: "linear", in_features: 6, out_features: 3 }
    ]
  },
  "No model": null
};
function viewCreate() {
  const name = h("input", { name: "name", required: true, pattern: "[A-Za-z0-9][A-Za-z0-9._\\-]{0,127}", value: `s${Date.now() % 1e5}` });
  const rngs = h("textarea", { name: "rngs", rows: 3 }, JSON.stringify({ default: 0, params: 42, dropout: 1 }));
  const preset = h("select", { name: "preset" }, ...Object.keys(PRESETS).map((k) => h("option", { value: k }, k)));
  const model = h("textarea", { name: "model", rows: 10 });
  const setModel = () => {
    const m = PRESETS[preset.value];
    model.value = m === null ? "" : JSON.stringify(m, null, 2);
  };
  preset.addEventListener("change", setModel);
  setModel();
  const flax = h("select", { name: "flax" }, ...["0.10", "0.11", "0.12"].map((v) => h("option", { value: v }, v)));
  const threefry = h("select", { name: "threefry" }, ...["partitionable", "legacy"].map((v) => h("option", { value: v }, v)));
  const out = h("div");
  const form = h(
    "form",
    {
      class: "stack",
      onsubmit: async (ev) => {
        ev.preventDefault();
        try {
          const req = {
            name: name.value,
            rngs: JSON.parse(rngs.value || "{}"),
            options: { flax: flax.value, threefry: threefry.value }
          };
          if (model.value.trim()) req.model = JSON.parse(model.value);
          const s = await api((c) => c.createSession(req));
          location.hash = sessionHref(s.name);
        } catch (e) {
          report(out, e);
        }
      }
    },
    field("Name", name),
    field("Streams (name → seed)", rngs),
    field("Model preset", preset),
    field("Model (JSON layers)", model),
    h("div", { class: "row" }, field("Flax era", flax), field("Threefry", threefry)),
    h("button", { type: "submit" }, "Create"),
    out
  );
  show(h("h1", {}, "New session"), form);
}
function layerLabel(l) {
  switch (l.type) {
    case "linear":
      return `Linear ${l.in_features}→${l.out_features}`;
    case "embed":
      return `Embed ${l.num_embeddings}×${l.features}`;
    case "dropout":
      return `Dropout ${l.rate}${l.rng_collection && l.rng_collection !== "dropout" ? ` (${l.rng_collection})` : ""}`;
    default:
      return String(l.type);
  }
}
function modelGraph(s) {
  if (!s.model) return h("p", { class: "muted" }, "This session has no model.");
  return h("ol", { class: "graph" }, ...s.model.layers.map((l, i) => {
    const held = (v) => {
      const r = v;
      return r && typeof r === "object" && "tag" in r ? `stream ${r.tag}, count ${r.count}` : JSON.stringify(v);
    };
    const details = Object.entries(l).filter(([k]) => k !== "type").map(([k, v]) => `${k}: ${k === "rngs" ? held(v) : typeof v === "object" ? JSON.stringify(v) : v}`);
    const shapes = Object.entries(s.model.params[i] ?? {}).map(([k, p2]) => `${k} ${p2.dtype}[${p2.shape.join("×")}]`);
    return h("li", { class: `layer layer-${l.type}` }, h("strong", {}, layerLabel(l)), h("small", {}, [...shapes, ...details].join(" · ")));
  }));
}
async function viewSession(name) {
  const top = h("div");
  show(h("h1", {}, "Session ", h("code", {}, name)), top);
  const s = await attempt(top, () => getSession(name));
  if (!s) return;
  const status = h("div", { class: "status" });
  const streams = Object.entries(s.rngs).sort(([a], [b]) => a.localeCompare(b));
  const streamTable = h(
    "table",
    { class: "streams" },
    h("thead", {}, h("tr", {}, h("th", {}, "stream"), h("th", {}, "key"), h("th", {}, "count"), h("th", {}, "draw"), h("th", {}, "reseed"))),
    h("tbody", {}, ...streams.map(([stream, st]) => {
      const n = h("input", { type: "number", min: 1, max: 64, value: 2, class: "narrow", "aria-label": `keys to draw from ${stream}` });
      const seed = h("input", { type: "number", value: 0, class: "narrow", name: `seed-${stream}`, "aria-label": `new seed of ${stream}` });
      return h(
        "tr",
        { "data-stream": stream },
        h("td", {}, stream),
        h("td", { class: "mono" }, keyText(st.key)),
        h("td", { class: "mono count" }, String(st.count)),
        h("td", {}, n, h("button", {
          class: "draw",
          onclick: async () => {
            try {
              const d = await api((c) => c.keys(name, { stream, n: Number(n.value) }));
              status.replaceChildren(
                h("p", {}, `Drew ${d.keys.length} from ${d.source} (counts ${d.counts.join(", ")}): `),
                h("pre", { class: "keys" }, d.keys.map(keyText).join("\n"))
              );
              refreshCounts();
            } catch (e) {
              report(status, e);
            }
          }
        }, "Draw")),
        h("td", {}, seed, h("button", {
          class: "reseed",
          onclick: async () => {
            try {
              await api((c) => c.reseed(name, { [stream]: Number(seed.value) }));
              await viewSession(name);
            } catch (e) {
              report(status, e);
            }
          }
        }, "Reseed"))
      );
    }))
  );
  const refreshCounts = async () => {
    const now = await getSession(name);
    for (const tr of streamTable.querySelectorAll("tr[data-stream]")) {
      const st = now.rngs[tr.dataset.stream];
      tr.querySelector(".count").textContent = st ? String(st.count) : "?";
    }
  };
  const child = h("input", { name: "child", placeholder: "child name", value: `${name}-fork` });
  const actions = h(
    "div",
    { class: "row" },
    h("form", {
      class: "row",
      onsubmit: async (ev) => {
        ev.preventDefault();
        try {
          const f = await api((c) => c.fork(name, child.value));
          location.hash = sessionHref(f.name);
        } catch (e) {
          report(status, e);
        }
      }
    }, child, h("button", { type: "submit" }, "Fork")),
    h("a", { href: sessionHref(name, "/sample"), class: "button" }, "Sample"),
    h("a", { href: sessionHref(name, "/masks"), class: "button" }, "Dropout masks"),
    h("button", {
      class: "danger",
      onclick: async () => {
        if (!confirm(`Delete session ${name}?`)) return;
        try {
          await api((c) => c.deleteSession(name));
          location.hash = "#/sessions";
        } catch (e) {
          report(status, e);
        }
      }
    }, "Delete")
  );
  const params = h("div", { class: "params" });
  top.replaceChildren(
    h("p", { class: "meta" }, `Flax era ${s.options.flax} · threefry ${s.options.threefry}`),
    actions,
    status,
    h("h2", {}, "Streams"),
    streamTable,
    h("h2", {}, "Model"),
    modelGraph(s),
    ...s.model ? [h("h2", {}, "Parameters"), params] : []
  );
  if (s.model) await showParams(name, params);
}
async function showParams(name, where) {
  try {
    const layers = await api((c) => c.params(name));
    const maps = [];
    layers.forEach((ps, i) => {
      for (const [pname, t] of Object.entries(ps)) {
        maps.push(h("figure", {}, heatmap(t.data, t.shape, `layer ${i} ${pname} [${t.shape.join("×")}]`)));
      }
    });
    where.replaceChildren(...maps.length ? maps : [h("p", { class: "muted" }, "The model has no parameters.")]);
  } catch (e) {
    report(where, e);
  }
}
var operations = null;
async function samplers() {
  operations ??= (await api((c) => c.randomOperations())).filter((o) => o.random && o.tensor);
  return operations;
}
var askable = (o) => o.params.filter((p2) => !["key", "shape", "dtype", "threefry"].includes(p2.name));
async function viewSample(name, query) {
  const out = h("div", { class: "plot" });
  show(h("h1", {}, "Sample from ", h("a", { href: sessionHref(name) }, name)), out);
  const loaded = await attempt(out, () => Promise.all([samplers(), getSession(name)]));
  if (!loaded) return;
  const [ops, s] = loaded;
  if (Object.keys(s.rngs).length === 0) {
    out.replaceChildren(h("p", { class: "muted no-streams" }, 'This session has no streams to draw from: create one with rngs, e.g. {"default": 0}.'));
    return;
  }
  const dist = h("select", { name: "distribution" }, ...ops.map((o) => h("option", { value: o.name }, o.name)));
  dist.value = query.get("d") ?? "normal";
  const stream = h("select", { name: "stream" }, ...Object.keys(s.rngs).sort().map((k) => h("option", { value: k }, k)));
  stream.value = s.rngs.default ? "default" : Object.keys(s.rngs)[0] ?? "default";
  const n = h("input", { type: "number", name: "n", min: 1, max: 1e6, value: 1e4, class: "narrow" });
  const paramBox = h("div", { class: "row" });
  const summary = h("p", { class: "muted" });
  const inputs = /* @__PURE__ */ new Map();
  const fillParams = () => {
    const op = ops.find((o) => o.name === dist.value);
    summary.textContent = op.summary ?? "";
    inputs.clear();
    paramBox.replaceChildren(...askable(op).map((p2) => {
      const suggested = SUGGESTED[op.name]?.[p2.name];
      const values = p2.values;
      const input = values ? h("select", { name: p2.name, "data-numeric": typeof values[0] === "number" }, ...values.map((v) => h("option", { value: v }, String(v)))) : h("input", { name: p2.name, class: "narrow", value: suggested !== void 0 ? JSON.stringify(suggested) : String(p2.default ?? "") });
      if (values) input.value = String(p2.default ?? values[0]);
      input.title = p2.description ?? "";
      inputs.set(p2.name, input);
      return field(p2.name, input);
    }));
  };
  dist.addEventListener("change", fillParams);
  fillParams();
  const run = async (ev) => {
    ev.preventDefault();
    const op = ops.find((o) => o.name === dist.value);
    const body = {};
    for (const [k, input] of inputs) {
      if (input.value === "") continue;
      const v = input instanceof HTMLSelectElement && !input.hasAttribute("data-numeric") ? input.value : JSON.parse(input.value);
      body[k] = v;
    }
    const shape = drawShape(op.name, Number(n.value), body);
    try {
      let t;
      if (op.session_sample) {
        t = await api((c) => c.sample(name, op.name, { shape, stream: stream.value, params: body }));
      } else {
        const draw = await api((c) => c.keys(name, { stream: stream.value, n: 1 }));
        const req = { key: draw.keys[0], ...body };
        if (shape) req.shape = shape;
        t = await api((c) => c.random(op.name, req));
      }
      const values = t.dtype === "bool" ? Array.from(t.data, (b) => b ? 1 : 0) : t.data;
      const pmf = PMFS[op.name], pdf = DENSITIES[op.name];
      const discrete = !!pmf || t.dtype !== "float32" || op.name === "binomial";
      const f = pmf ?? pdf;
      const plot = histogram({ values, discrete, density: f ? (x) => f(x, body) : void 0, title: `${op.name} ${JSON.stringify(body)}` });
      out.replaceChildren(
        plot,
        h("p", { class: "legend" }, plot.querySelector("path.density, circle.pmf") ? discrete ? "Bars: frequencies · dots: pmf" : "Bars: histogram (as a density) · line: density" : "Bars: histogram (no closed-form density drawn for this one)")
      );
    } catch (e) {
      report(out, e);
    }
  };
  const form = h(
    "form",
    { class: "stack", onsubmit: run },
    h("div", { class: "row" }, field("Distribution", dist), field("Stream", stream), field("Draws", n)),
    summary,
    paramBox,
    h("button", { type: "submit" }, "Draw")
  );
  main().insertBefore(form, out);
}
function dropoutKeys(s, layers) {
  const counts = {};
  const out = [];
  layers.forEach((l, i) => {
    const rate = Number(l.rate);
    if (l.type !== "dropout" || l.deterministic === true || !(rate > 0 && rate < 1)) return;
    const held = l.rngs;
    if (held) {
      out.push({ layer: i, key: held.key, count: held.count });
      return;
    }
    const name = s.rngs[String(l.rng_collection)] ? String(l.rng_collection) : "default";
    const st = s.rngs[name];
    const count = counts[name] ?? st.count;
    counts[name] = count + 1;
    out.push({ layer: i, key: st.key, count });
  });
  return out;
}
function widths(layers, w) {
  const out = [];
  for (const l of layers) {
    out.push(w);
    if (l.type === "linear") w = Number(l.out_features);
    else if (l.type === "embed") w = Number(l.features);
  }
  return out;
}
async function viewMasks(name) {
  const out = h("div", { class: "plot" });
  show(h("h1", {}, "Dropout masks of ", h("a", { href: sessionHref(name) }, name)), out);
  const s = await attempt(out, () => getSession(name));
  if (!s) return;
  if (!s.model) {
    out.replaceChildren(h("p", { class: "muted" }, "This session has no model."));
    return;
  }
  const layers = s.model.layers;
  const first = layers[0];
  if (first.type === "embed") {
    out.replaceChildren(h("p", { class: "muted" }, "This model reads indices (embed first): the view runs float inputs."));
    return;
  }
  const drops = layers.map((l, i) => [l, i]).filter(([l]) => l.type === "dropout");
  if (drops.length === 0) {
    out.replaceChildren(h("p", { class: "muted" }, "This model has no dropout layer."));
    return;
  }
  const width = h("input", { type: "number", name: "width", min: 1, max: 256, value: first.type === "linear" ? Number(first.in_features) : 32, class: "narrow", disabled: first.type !== "dropout" });
  const calls = h("input", { type: "number", name: "calls", min: 1, max: 32, value: 6, class: "narrow" });
  const lastIsDropout = layers[layers.length - 1].type === "dropout";
  const run = async (ev) => {
    ev.preventDefault();
    try {
      const w = Number(width.value);
      const at = widths(layers, w);
      const x = { dtype: "float32", shape: [1, w], data: new Float32Array(w).fill(1) };
      const rows = {};
      const labels = [];
      let agrees = true;
      for (let i = 0; i < Number(calls.value); i++) {
        const before = await getSession(name);
        const keys = dropoutKeys(before, before.model.layers);
        const y = await api((c) => c.forward(name, x));
        for (const [l, j] of drops) {
          const k = keys.find((d) => d.layer === j);
          const n = at[j];
          const bdims = (l.broadcast_dims ?? []).map((d) => d < 0 ? d + 2 : d);
          const shape = [1, n].map((dim, d) => bdims.includes(d) ? 1 : dim);
          let kept;
          if (!k) {
            kept = new Array(n).fill(Number(l.rate) < 1);
          } else {
            const key = await api((c) => c.random("fold_in", { key: k.key, data: k.count, threefry: before.options.threefry }));
            const m = await api((c) => c.random("bernoulli", { key, p: 1 - Number(l.rate), shape, threefry: before.options.threefry }));
            const flat = Array.from(m.data, (v) => v !== 0);
            kept = Array.from({ length: n }, (_, t) => flat[shape[1] === 1 ? 0 : t]);
          }
          (rows[j] ??= []).push(kept);
          if (lastIsDropout && j === layers.length - 1)
            agrees &&= kept.every((keep, t) => keep === (y.data[t] !== 0));
        }
        labels.push(`call ${i + 1}`);
      }
      const grids = drops.map(([l, j]) => {
        const grid = masks(rows[j], labels);
        grid.setAttribute("data-masks", rows[j].map((r) => r.map((k) => k ? "1" : "0").join("")).join(" "));
        grid.setAttribute("data-layer", String(j));
        return h("div", { class: "mask-layer" }, h("h3", {}, `layers.${j}: dropout ${String(l.rate)}`), grid);
      });
      const notes = [h("p", { class: "legend" }, "Filled: kept (scaled by 1/(1-rate)) · empty: zeroed")];
      if (lastIsDropout)
        notes.push(h("p", { class: agrees ? "muted agrees" : "error" }, agrees ? "The output's zeros are the last mask's, call by call." : "The output's zeros differ from the last mask."));
      out.replaceChildren(...grids, ...notes);
    } catch (e) {
      report(out, e);
    }
  };
  const form = h("form", { class: "row", onsubmit: run }, field("Width", width), field("Forward calls", calls), h("button", { type: "submit" }, "Run"));
  main().insertBefore(h(
    "div",
    {},
    h("p", { class: "muted" }, "Each forward call draws one key per dropout layer; the masks are bernoulli(key, 1 - rate) as JAX's Dropout draws them. Reseed the stream in the session view to replay."),
    form
  ), out);
}
var poller;
function parseMetric(text2, metric) {
  const rows = [];
  for (const line of text2.split("\n")) {
    if (!line.startsWith(metric)) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m || m[1] !== metric) continue;
    const labels = {};
    for (const l of (m[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
    rows.push({ labels, value: Number(m[3]) });
  }
  return rows;
}
var sum = (rows) => rows.reduce((a, r) => a + r.value, 0);
async function viewHealth() {
  const state = h("p", { class: "health" });
  const glance = h("dl", { class: "glance" });
  const table = h("div");
  show(h("h1", {}, "Health and metrics"), state, glance, h("h2", {}, "Requests by route"), table);
  let before = null;
  const tick = async () => {
    try {
      const [hl, text2] = await Promise.all([api((c) => c.health()), api((c) => c.metrics())]);
      state.replaceChildren(
        h("span", { class: hl.live ? "ok" : "bad" }, hl.live ? "live" : "not live"),
        " ",
        h("span", { class: hl.ready ? "ok" : "bad" }, hl.ready ? "ready" : "not ready"),
        ` · updated ${(/* @__PURE__ */ new Date()).toLocaleTimeString()}`
      );
      const byRoute = /* @__PURE__ */ new Map();
      for (const r of parseMetric(text2, "keyfold_requests_total")) {
        const key = `${r.labels.method ?? ""} ${r.labels.route ?? ""}`;
        const m = byRoute.get(key) ?? /* @__PURE__ */ new Map();
        m.set(r.labels.status ?? "?", (m.get(r.labels.status ?? "?") ?? 0) + r.value);
        byRoute.set(key, m);
      }
      const total = [...byRoute.values()].reduce((a, m) => a + [...m.values()].reduce((x, y) => x + y, 0), 0);
      const now = performance.now();
      const rate = before && now > before.at ? (total - before.total) * 1e3 / (now - before.at) : null;
      before = { total, at: now };
      const durations = sum(parseMetric(text2, "keyfold_request_duration_seconds_sum"));
      const timed = sum(parseMetric(text2, "keyfold_request_duration_seconds_count"));
      const build = parseMetric(text2, "keyfold_build_info")[0]?.labels ?? {};
      const items = [
        ["sessions", fmt(sum(parseMetric(text2, "keyfold_sessions")))],
        ["keys drawn", fmt(sum(parseMetric(text2, "keyfold_keys_drawn_total")))],
        ["requests / s", rate === null ? "…" : fmt(rate)],
        ["mean latency", timed ? `${fmt(durations / timed * 1e3)} ms` : "–"],
        ["version", `${build.version ?? "?"} (${build.kernels ?? "?"})`]
      ];
      glance.replaceChildren(...items.flatMap(([k, v]) => [h("dt", {}, k), h("dd", { "data-metric": k }, v)]));
      table.replaceChildren(h("p", {}, `${total} requests in all`), h(
        "table",
        { class: "metrics" },
        h("thead", {}, h("tr", {}, h("th", {}, "route"), h("th", {}, "by status"), h("th", {}, "total"))),
        h("tbody", {}, ...[...byRoute.entries()].sort().map(([route2, m]) => h(
          "tr",
          {},
          h("td", { class: "mono" }, route2),
          h("td", {}, [...m.entries()].map(([st, v]) => `${st}: ${v}`).join(", ")),
          h("td", { class: "num" }, fmt([...m.values()].reduce((x, y) => x + y, 0)))
        )))
      ));
    } catch (e) {
      report(table, e);
    }
  };
  await tick();
  poller = window.setInterval(() => void tick(), 2e3);
}
async function route() {
  if (poller !== void 0) window.clearInterval(poller);
  poller = void 0;
  const [path, q] = location.hash.replace(/^#/, "").split("?");
  const query = new URLSearchParams(q ?? "");
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  document.querySelectorAll("nav a").forEach((a) => a.classList.toggle("active", path.startsWith(a.hash.slice(1))));
  document.body.dataset.view = parts[0] ?? "sessions";
  if (parts[0] === "session" && parts[1]) {
    if (parts[2] === "sample") await viewSample(parts[1], query);
    else if (parts[2] === "masks") await viewMasks(parts[1]);
    else await viewSession(parts[1]);
  } else if (parts[0] === "create") viewCreate();
  else if (parts[0] === "health") await viewHealth();
  else await viewSessions(query);
  document.body.dataset.ready = location.hash;
}
window.addEventListener("hashchange", () => void route());
void route();
export {
  parseMetric
};
