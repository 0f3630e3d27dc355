// keyfoldd's browser console, served at /ui. Every call to the daemon goes
// through the TypeScript client (@keyfold/client). The views are routed by
// the URL's hash (#/sessions, #/session/NAME, …) so that each can be
// bookmarked and reloaded; nothing is fetched from anywhere but the daemon.
import { KeyfoldClient, KeyfoldError } from '@keyfold/client';
import type { RandomOperation, Tensor } from '@keyfold/client';

import { DENSITIES, PMFS, SUGGESTED, drawShape, type Params } from './density.js';
import { fmt, heatmap, histogram, masks } from './plot.js';

// --------------------------------------------------------------- the client

const TOKEN_KEY = 'keyfold.token';

function makeClient(): KeyfoldClient {
  const token = sessionStorage.getItem(TOKEN_KEY) ?? undefined;
  // "": the page's own origin, the daemon that served it.
  return new KeyfoldClient(token ? { baseUrl: '', token } : { baseUrl: '' });
}

let client = makeClient();
let tokenPrompt: Promise<void> | null = null;

// Asks for the bearer token (a daemon started with --auth-token-file answered
// 401) and keeps it for this tab only (sessionStorage). Concurrent calls share
// one dialog.
function askToken(message: string): Promise<void> {
  if (tokenPrompt) return tokenPrompt;
  const dialog = document.getElementById('token-dialog') as HTMLDialogElement;
  const input = document.getElementById('token-input') as HTMLInputElement;
  const note = document.getElementById('token-note')!;
  note.textContent = message;
  input.value = '';
  // Escape would close the dialog and leave the calls waiting for it: the
  // page can do nothing without the token, so it stays open.
  dialog.oncancel = (ev) => ev.preventDefault();
  tokenPrompt = new Promise<void>((resolve) => {
    const form = dialog.querySelector('form')!;
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

// Runs an API call; on 401 asks for the token and tries again.
async function api<T>(f: (c: KeyfoldClient) => Promise<T>): Promise<T> {
  for (;;) {
    try {
      return await f(client);
    } catch (e) {
      if (e instanceof KeyfoldError && e.status === 401) {
        await askToken(sessionStorage.getItem(TOKEN_KEY) ? 'The token was refused. Enter the daemon\'s bearer token:' : 'This daemon requires a bearer token:');
        continue;
      }
      throw e;
    }
  }
}

// ------------------------------------------------------------ DOM helpers

type Child = Node | string | null | undefined | false;

function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string | number | boolean | ((ev: Event) => void)> = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (typeof v === 'function') e.addEventListener(k.replace(/^on/, ''), v);
    else if (typeof v === 'boolean') {
      if (v) e.setAttribute(k, '');
    } else e.setAttribute(k, String(v));
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) e.append(c);
  return e;
}

const main = (): HTMLElement => document.getElementById('main')!;

function show(...children: Child[]): void {
  main().replaceChildren(...(children.filter(Boolean) as Array<Node | string>));
}

// Shows an error where the action was started (not console.error: the page
// reports failures to its user, and the browser test treats console errors
// as bugs of the page).
function report(where: HTMLElement, e: unknown): void {
  const msg = e instanceof KeyfoldError ? `${e.status} ${e.code}: ${e.message}` : e instanceof Error ? e.message : String(e);
  where.replaceChildren(h('p', { class: 'error', role: 'alert' }, msg));
}

// Runs f; on failure shows the error in `where` and gives undefined.
async function attempt<T>(where: HTMLElement, f: () => Promise<T>): Promise<T | undefined> {
  try {
    return await f();
  } catch (e) {
    report(where, e);
    return undefined;
  }
}

function field(label: string, input: HTMLElement): HTMLElement {
  return h('label', { class: 'field' }, h('span', {}, label), input);
}

function keyText(k: unknown): string {
  return Array.isArray(k) ? `[${k.join(', ')}]` : JSON.stringify(k);
}

const sessionHref = (name: string, sub = ''): string => `#/session/${encodeURIComponent(name)}${sub}`;

// --------------------------------------------------------------- sessions

interface StreamState {
  key: unknown;
  count: number;
}
interface LayerView {
  type: string;
  [k: string]: unknown;
}
// The parts of the Session schema the console shows.
interface SessionView {
  name: string;
  rngs: Record<string, StreamState>;
  model: { layers: LayerView[]; params: Array<Record<string, { shape: number[]; dtype: string }>> } | null;
  options: { threefry: string; flax: string };
}

const getSession = async (name: string): Promise<SessionView> => (await api((c) => c.getSession(name))) as unknown as SessionView;

const PAGE = 20;

async function viewSessions(query: URLSearchParams): Promise<void> {
  const prefix = query.get('prefix') ?? '';
  const token = query.get('page') ?? '';
  const prev = query.getAll('back');
  const out = h('div');
  const filter = h('input', { type: 'search', name: 'prefix', value: prefix, placeholder: 'name prefix' });
  const form = h('form', { class: 'row', onsubmit: (ev: Event) => { ev.preventDefault(); location.hash = `#/sessions?prefix=${encodeURIComponent(filter.value)}`; } },
    field('Prefix', filter), h('button', { type: 'submit' }, 'Filter'), h('a', { href: '#/create', class: 'button' }, 'New session'));
  show(h('h1', {}, 'Sessions'), form, out);
  try {
    const page = await api((c) => c.listSessions({ prefix: prefix || undefined, limit: PAGE, pageToken: token || undefined }));
    const rows = page.sessions.map((n) => h('li', {}, h('a', { href: sessionHref(n), 'data-session': n }, n)));
    const nav = h('div', { class: 'row pager' });
    const link = (label: string, page: string, back: string[]): HTMLElement => {
      const q = new URLSearchParams({ prefix });
      if (page) q.set('page', page);
      for (const b of back) q.append('back', b);
      return h('a', { href: `#/sessions?${q}`, class: 'button' }, label);
    };
    if (token) nav.append(link('← Previous', prev[prev.length - 1] ?? '', prev.slice(0, -1)));
    if (page.nextPageToken) nav.append(link('Next →', page.nextPageToken, [...prev, token]));
    out.replaceChildren(
      rows.length ? h('ul', { class: 'sessions' }, ...rows) : h('p', { class: 'muted' }, prefix ? `No session starts with "${prefix}".` : 'No sessions yet.'),
      nav,
    );
  } catch (e) {
    report(out, e);
  }
}

// The model a new session gets unless edited: a small MLP whose dropout
// makes forward calls random (and draws from the "dropout" stream).
const PRESETS: Record<string, unknown> = {
  'MLP 8-16-4 with dropout': {
    layers: [
      { type: 'linear', in_features: 8, out_features: 16 },
      { type: 'relu' },
      { type: 'dropout', rate: 0.5 },
      { type: 'linear', in_features: 16, out_features: 4 },
    ],
  },
  'Dropout only (masks)': { layers: [{ type: 'dropout', rate: 0.5 }] },
  'Embedding + linear': {
    layers: [
      { type: 'embed', num_embeddings: 10, features: 6 },
      { type: 'linear', in_features: 6, out_features: 3 },
    ],
  },
  'No model': null,
};

function viewCreate(): void {
  const name = h('input', { name: 'name', required: true, pattern: '[A-Za-z0-9][A-Za-z0-9._\\-]{0,127}', value: `s${Date.now() % 100000}` });
  const rngs = h('textarea', { name: 'rngs', rows: 3 }, JSON.stringify({ default: 0, params: 42, dropout: 1 }));
  const preset = h('select', { name: 'preset' }, ...Object.keys(PRESETS).map((k) => h('option', { value: k }, k)));
  const model = h('textarea', { name: 'model', rows: 10 });
  const setModel = (): void => {
    const m = PRESETS[preset.value];
    model.value = m === null ? '' : JSON.stringify(m, null, 2);
  };
  preset.addEventListener('change', setModel);
  setModel();
  const flax = h('select', { name: 'flax' }, ...['0.10', '0.11', '0.12'].map((v) => h('option', { value: v }, v)));
  const threefry = h('select', { name: 'threefry' }, ...['partitionable', 'legacy'].map((v) => h('option', { value: v }, v)));
  const out = h('div');
  const form = h('form', {
    class: 'stack',
    onsubmit: async (ev: Event) => {
      ev.preventDefault();
      try {
        const req: Record<string, unknown> = {
          name: name.value,
          rngs: JSON.parse(rngs.value || '{}'),
          options: { flax: flax.value, threefry: threefry.value },
        };
        if (model.value.trim()) req.model = JSON.parse(model.value);
        const s = await api((c) => c.createSession(req as never));
        location.hash = sessionHref(s.name);
      } catch (e) {
        report(out, e);
      }
    },
  },
  field('Name', name), field('Streams (name → seed)', rngs), field('Model preset', preset), field('Model (JSON layers)', model),
  h('div', { class: 'row' }, field('Flax era', flax), field('Threefry', threefry)),
  h('button', { type: 'submit' }, 'Create'), out);
  show(h('h1', {}, 'New session'), form);
}

function layerLabel(l: LayerView): string {
  switch (l.type) {
    case 'linear': return `Linear ${l.in_features}→${l.out_features}`;
    case 'embed': return `Embed ${l.num_embeddings}×${l.features}`;
    case 'dropout': return `Dropout ${l.rate}${l.rng_collection && l.rng_collection !== 'dropout' ? ` (${l.rng_collection})` : ''}`;
    default: return String(l.type);
  }
}

// The model as a chain of boxes; each box lists the layer's settings.
function modelGraph(s: SessionView): HTMLElement {
  if (!s.model) return h('p', { class: 'muted' }, 'This session has no model.');
  return h('ol', { class: 'graph' }, ...s.model.layers.map((l, i) => {
    // A Flax 0.11+ dropout's held stream: its tag and count (the key is in the streams table's terms).
    const held = (v: unknown): string => {
      const r = v as { tag?: string; count?: number };
      return r && typeof r === 'object' && 'tag' in r ? `stream ${r.tag}, count ${r.count}` : JSON.stringify(v);
    };
    const details = Object.entries(l).filter(([k]) => k !== 'type').map(([k, v]) => `${k}: ${k === 'rngs' ? held(v) : typeof v === 'object' ? JSON.stringify(v) : v}`);
    const shapes = Object.entries(s.model!.params[i] ?? {}).map(([k, p]) => `${k} ${p.dtype}[${p.shape.join('×')}]`);
    return h('li', { class: `layer layer-${l.type}` }, h('strong', {}, layerLabel(l)), h('small', {}, [...shapes, ...details].join(' · ')));
  }));
}

async function viewSession(name: string): Promise<void> {
  const top = h('div');
  show(h('h1', {}, 'Session ', h('code', {}, name)), top);
  const s = await attempt(top, () => getSession(name));
  if (!s) return;
  const status = h('div', { class: 'status' });
  const streams = Object.entries(s.rngs).sort(([a], [b]) => a.localeCompare(b));
  const streamTable = h('table', { class: 'streams' },
    h('thead', {}, h('tr', {}, h('th', {}, 'stream'), h('th', {}, 'key'), h('th', {}, 'count'), h('th', {}, 'draw'), h('th', {}, 'reseed'))),
    h('tbody', {}, ...streams.map(([stream, st]) => {
      const n = h('input', { type: 'number', min: 1, max: 64, value: 2, class: 'narrow', 'aria-label': `keys to draw from ${stream}` });
      const seed = h('input', { type: 'number', value: 0, class: 'narrow', name: `seed-${stream}`, 'aria-label': `new seed of ${stream}` });
      return h('tr', { 'data-stream': stream },
        h('td', {}, stream), h('td', { class: 'mono' }, keyText(st.key)), h('td', { class: 'mono count' }, String(st.count)),
        h('td', {}, n, h('button', {
          class: 'draw', onclick: async () => {
            try {
              const d = await api((c) => c.keys(name, { stream, n: Number(n.value) }));
              status.replaceChildren(h('p', {}, `Drew ${d.keys.length} from ${d.source} (counts ${d.counts.join(', ')}): `),
                h('pre', { class: 'keys' }, d.keys.map(keyText).join('\n')));
              refreshCounts();
            } catch (e) {
              report(status, e);
            }
          },
        }, 'Draw')),
        h('td', {}, seed, h('button', {
          class: 'reseed', onclick: async () => {
            try {
              await api((c) => c.reseed(name, { [stream]: Number(seed.value) }));
              await viewSession(name);
            } catch (e) {
              report(status, e);
            }
          },
        }, 'Reseed')));
    })));
  const refreshCounts = async (): Promise<void> => {
    const now = await getSession(name);
    for (const tr of streamTable.querySelectorAll<HTMLElement>('tr[data-stream]')) {
      const st = now.rngs[tr.dataset.stream!];
      tr.querySelector('.count')!.textContent = st ? String(st.count) : '?';
    }
  };
  const child = h('input', { name: 'child', placeholder: 'child name', value: `${name}-fork` });
  const actions = h('div', { class: 'row' },
    h('form', {
      class: 'row', onsubmit: async (ev: Event) => {
        ev.preventDefault();
        try {
          const f = await api((c) => c.fork(name, child.value));
          location.hash = sessionHref(f.name);
        } catch (e) {
          report(status, e);
        }
      },
    }, child, h('button', { type: 'submit' }, 'Fork')),
    h('a', { href: sessionHref(name, '/sample'), class: 'button' }, 'Sample'),
    h('a', { href: sessionHref(name, '/masks'), class: 'button' }, 'Dropout masks'),
    h('button', {
      class: 'danger', onclick: async () => {
        if (!confirm(`Delete session ${name}?`)) return;
        try {
          await api((c) => c.deleteSession(name));
          location.hash = '#/sessions';
        } catch (e) {
          report(status, e);
        }
      },
    }, 'Delete'));
  const params = h('div', { class: 'params' });
  top.replaceChildren(
    h('p', { class: 'meta' }, `Flax era ${s.options.flax} · threefry ${s.options.threefry}`),
    actions, status,
    h('h2', {}, 'Streams'), streamTable,
    h('h2', {}, 'Model'), modelGraph(s),
    ...(s.model ? [h('h2', {}, 'Parameters'), params] : []));
  if (s.model) await showParams(name, params);
}

// Each kernel and embedding as a heat map, each bias as a strip.
async function showParams(name: string, where: HTMLElement): Promise<void> {
  try {
    const layers = await api((c) => c.params(name));
    const maps: HTMLElement[] = [];
    layers.forEach((ps, i) => {
      for (const [pname, t] of Object.entries(ps)) {
        maps.push(h('figure', {}, heatmap(t.data, t.shape, `layer ${i} ${pname} [${t.shape.join('×')}]`) as unknown as HTMLElement));
      }
    });
    where.replaceChildren(...(maps.length ? maps : [h('p', { class: 'muted' }, 'The model has no parameters.')]));
  } catch (e) {
    report(where, e);
  }
}

// ---------------------------------------------------------------- sampling

let operations: RandomOperation[] | null = null;

async function samplers(): Promise<RandomOperation[]> {
  // Random operations that answer a tensor: every distribution.
  operations ??= (await api((c) => c.randomOperations())).filter((o) => o.random && o.tensor);
  return operations;
}

// The parameters a form asks for (key, shape and dtype are the console's).
const askable = (o: RandomOperation): RandomOperation['params'] => o.params.filter((p) => !['key', 'shape', 'dtype', 'threefry'].includes(p.name));

async function viewSample(name: string, query: URLSearchParams): Promise<void> {
  const out = h('div', { class: 'plot' });
  show(h('h1', {}, 'Sample from ', h('a', { href: sessionHref(name) }, name)), out);
  const loaded = await attempt(out, () => Promise.all([samplers(), getSession(name)]));
  if (!loaded) return;
  const [ops, s] = loaded;
  if (Object.keys(s.rngs).length === 0) {
    out.replaceChildren(h('p', { class: 'muted no-streams' }, 'This session has no streams to draw from: create one with rngs, e.g. {"default": 0}.'));
    return;
  }
  const dist = h('select', { name: 'distribution' }, ...ops.map((o) => h('option', { value: o.name }, o.name)));
  dist.value = query.get('d') ?? 'normal';
  const stream = h('select', { name: 'stream' }, ...Object.keys(s.rngs).sort().map((k) => h('option', { value: k }, k)));
  stream.value = s.rngs.default ? 'default' : (Object.keys(s.rngs)[0] ?? 'default');
  const n = h('input', { type: 'number', name: 'n', min: 1, max: 1000000, value: 10000, class: 'narrow' });
  const paramBox = h('div', { class: 'row' });
  const summary = h('p', { class: 'muted' });
  const inputs = new Map<string, HTMLInputElement | HTMLSelectElement>();
  const fillParams = (): void => {
    const op = ops.find((o) => o.name === dist.value)!;
    summary.textContent = op.summary ?? '';
    inputs.clear();
    paramBox.replaceChildren(...askable(op).map((p) => {
      const suggested = SUGGESTED[op.name]?.[p.name];
      const values = (p as { values?: Array<string | number> }).values;
      const input = values
        ? h('select', { name: p.name, 'data-numeric': typeof values[0] === 'number' }, ...values.map((v) => h('option', { value: v }, String(v))))
        : h('input', { name: p.name, class: 'narrow', value: suggested !== undefined ? JSON.stringify(suggested) : String(p.default ?? '') });
      if (values) input.value = String(p.default ?? values[0]);
      input.title = p.description ?? '';
      inputs.set(p.name, input);
      return field(p.name, input);
    }));
  };
  dist.addEventListener('change', fillParams);
  fillParams();
  const run = async (ev: Event): Promise<void> => {
    ev.preventDefault();
    const op = ops.find((o) => o.name === dist.value)!;
    const body: Params = {};
    for (const [k, input] of inputs) {
      if (input.value === '') continue;
      // Choices are sent as listed (bit_width's are numbers); typed values as JSON.
      const v = input instanceof HTMLSelectElement && !input.hasAttribute('data-numeric') ? input.value : JSON.parse(input.value);
      body[k] = v;
    }
    // Samplers with trailing dimensions of their own (dirichlet, ball,
    // multinomial) give several elements per draw: all are plotted.
    const shape = drawShape(op.name, Number(n.value), body);
    try {
      let t: Tensor;
      if (op.session_sample) {
        t = await api((c) => c.sample(name, op.name, { shape, stream: stream.value, params: body }));
      } else {
        // Stateless only (wald, poisson, binomial, permutation): a key from
        // the stream, then the stateless operation with it.
        const draw = await api((c) => c.keys(name, { stream: stream.value, n: 1 }));
        const req: Record<string, unknown> = { key: draw.keys[0], ...body };
        if (shape) req.shape = shape;
        t = (await api((c) => c.random(op.name, req))) as Tensor;
      }
      const values = t.dtype === 'bool' ? Array.from(t.data, (b) => (b ? 1 : 0)) : t.data;
      const pmf = PMFS[op.name], pdf = DENSITIES[op.name];
      const discrete = !!pmf || t.dtype !== 'float32' || op.name === 'binomial';
      const f = pmf ?? pdf;
      const plot = histogram({ values, discrete, density: f ? (x: number) => f(x, body) : undefined, title: `${op.name} ${JSON.stringify(body)}` });
      out.replaceChildren(plot as unknown as HTMLElement,
        h('p', { class: 'legend' }, plot.querySelector('path.density, circle.pmf')
          ? (discrete ? 'Bars: frequencies · dots: pmf' : 'Bars: histogram (as a density) · line: density')
          : 'Bars: histogram (no closed-form density drawn for this one)'));
    } catch (e) {
      report(out, e);
    }
  };
  const form = h('form', { class: 'stack', onsubmit: run },
    h('div', { class: 'row' }, field('Distribution', dist), field('Stream', stream), field('Draws', n)), summary, paramBox,
    h('button', { type: 'submit' }, 'Draw'));
  main().insertBefore(form, out);
}

// ------------------------------------------------------------------ masks

type Key = [number, number];

// The key each stochastic dropout of the model draws in the next forward
// call, in layer order, from the session's state before the call: Flax 0.10
// draws rngs[rng_collection]() (fold_in(key, count), falling back to
// 'default'), each dropout advancing its stream in turn; Flax 0.11+ each
// dropout draws from the stream it holds (its own key and count).
function dropoutKeys(s: SessionView, layers: LayerView[]): Array<{ layer: number; key: Key; count: number }> {
  const counts: Record<string, number> = {};
  const out: Array<{ layer: number; key: Key; count: number }> = [];
  layers.forEach((l, i) => {
    const rate = Number(l.rate);
    if (l.type !== 'dropout' || l.deterministic === true || !(rate > 0 && rate < 1)) return;
    const held = l.rngs as { key: Key; count: number } | undefined;
    if (held) {
      out.push({ layer: i, key: held.key, count: held.count });
      return;
    }
    const name = s.rngs[String(l.rng_collection)] ? String(l.rng_collection) : 'default';
    const st = s.rngs[name]!;
    const count = (counts[name] ?? st.count);
    counts[name] = count + 1;
    out.push({ layer: i, key: st.key as Key, count });
  });
  return out;
}

// The feature width reaching each layer for an input of width w.
function widths(layers: LayerView[], w: number): number[] {
  const out: number[] = [];
  for (const l of layers) {
    out.push(w);
    if (l.type === 'linear') w = Number(l.out_features);
    else if (l.type === 'embed') w = Number(l.features);
  }
  return out;
}

// Runs forward several times on an all-ones input and shows, for each
// dropout layer, the mask each call drew: bernoulli(key, 1 - rate, shape)
// as JAX's Dropout draws it, with the key the layer takes (dropoutKeys) and
// its input's shape (broadcast_dims as 1). Where the model ends in a
// dropout, the zeros of the output must be that mask's: the view says so.
async function viewMasks(name: string): Promise<void> {
  const out = h('div', { class: 'plot' });
  show(h('h1', {}, 'Dropout masks of ', h('a', { href: sessionHref(name) }, name)), out);
  const s = await attempt(out, () => getSession(name));
  if (!s) return;
  if (!s.model) {
    out.replaceChildren(h('p', { class: 'muted' }, 'This session has no model.'));
    return;
  }
  const layers = s.model.layers;
  const first = layers[0]!;
  if (first.type === 'embed') {
    out.replaceChildren(h('p', { class: 'muted' }, 'This model reads indices (embed first): the view runs float inputs.'));
    return;
  }
  const drops = layers.map((l, i) => [l, i] as const).filter(([l]) => l.type === 'dropout');
  if (drops.length === 0) {
    out.replaceChildren(h('p', { class: 'muted' }, 'This model has no dropout layer.'));
    return;
  }
  const width = h('input', { type: 'number', name: 'width', min: 1, max: 256, value: first.type === 'linear' ? Number(first.in_features) : 32, class: 'narrow', disabled: first.type !== 'dropout' });
  const calls = h('input', { type: 'number', name: 'calls', min: 1, max: 32, value: 6, class: 'narrow' });
  const lastIsDropout = layers[layers.length - 1]!.type === 'dropout';
  const run = async (ev: Event): Promise<void> => {
    ev.preventDefault();
    try {
      const w = Number(width.value);
      const at = widths(layers, w);
      const x: Tensor = { dtype: 'float32', shape: [1, w], data: new Float32Array(w).fill(1) };
      const rows: Record<number, boolean[][]> = {};
      const labels: string[] = [];
      let agrees = true;
      for (let i = 0; i < Number(calls.value); i++) {
        const before = await getSession(name);
        const keys = dropoutKeys(before, before.model!.layers);
        const y = await api((c) => c.forward(name, x));
        for (const [l, j] of drops) {
          const k = keys.find((d) => d.layer === j);
          const n = at[j]!;
          const bdims = ((l.broadcast_dims as number[] | undefined) ?? []).map((d) => (d < 0 ? d + 2 : d));
          const shape = [1, n].map((dim, d) => (bdims.includes(d) ? 1 : dim));
          let kept: boolean[];
          if (!k) {
            kept = new Array<boolean>(n).fill(Number(l.rate) < 1); // deterministic or rate 0 / 1
          } else {
            const key = (await api((c) => c.random('fold_in', { key: k.key, data: k.count, threefry: before.options.threefry }))) as Key;
            const m = (await api((c) => c.random('bernoulli', { key, p: 1 - Number(l.rate), shape, threefry: before.options.threefry }))) as Tensor;
            const flat = Array.from(m.data, (v) => v !== 0);
            kept = Array.from({ length: n }, (_, t) => flat[shape[1] === 1 ? 0 : t]!);
          }
          (rows[j] ??= []).push(kept);
          if (lastIsDropout && j === layers.length - 1)
            agrees &&= kept.every((keep, t) => keep === (y.data[t] !== 0));
        }
        labels.push(`call ${i + 1}`);
      }
      const grids = drops.map(([l, j]) => {
        const grid = masks(rows[j]!, labels);
        // The masks as text too, for the test and for copying.
        grid.setAttribute('data-masks', rows[j]!.map((r) => r.map((k) => (k ? '1' : '0')).join('')).join(' '));
        grid.setAttribute('data-layer', String(j));
        return h('div', { class: 'mask-layer' }, h('h3', {}, `layers.${j}: dropout ${String(l.rate)}`), grid as unknown as HTMLElement);
      });
      const notes: HTMLElement[] = [h('p', { class: 'legend' }, 'Filled: kept (scaled by 1/(1-rate)) · empty: zeroed')];
      if (lastIsDropout)
        notes.push(h('p', { class: agrees ? 'muted agrees' : 'error' }, agrees ? 'The output\'s zeros are the last mask\'s, call by call.' : 'The output\'s zeros differ from the last mask.'));
      out.replaceChildren(...grids, ...notes);
    } catch (e) {
      report(out, e);
    }
  };
  const form = h('form', { class: 'row', onsubmit: run }, field('Width', width), field('Forward calls', calls), h('button', { type: 'submit' }, 'Run'));
  main().insertBefore(h('div', {},
    h('p', { class: 'muted' }, 'Each forward call draws one key per dropout layer; the masks are bernoulli(key, 1 - rate) as JAX\'s Dropout draws them. Reseed the stream in the session view to replay.'),
    form), out);
}

// ----------------------------------------------------------------- health

let poller: number | undefined;

interface MetricRow {
  labels: Record<string, string>;
  value: number;
}

// The samples of one metric family of Prometheus' text format.
export function parseMetric(text: string, metric: string): MetricRow[] {
  const rows: MetricRow[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith(metric)) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m || m[1] !== metric) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    rows.push({ labels, value: Number(m[3]) });
  }
  return rows;
}

const sum = (rows: MetricRow[]): number => rows.reduce((a, r) => a + r.value, 0);

async function viewHealth(): Promise<void> {
  const state = h('p', { class: 'health' });
  const glance = h('dl', { class: 'glance' });
  const table = h('div');
  show(h('h1', {}, 'Health and metrics'), state, glance, h('h2', {}, 'Requests by route'), table);
  // The previous poll's request total and time, for a rate.
  let before: { total: number; at: number } | null = null;
  const tick = async (): Promise<void> => {
    try {
      const [hl, text] = await Promise.all([api((c) => c.health()), api((c) => c.metrics())]);
      state.replaceChildren(h('span', { class: hl.live ? 'ok' : 'bad' }, hl.live ? 'live' : 'not live'), ' ', h('span', { class: hl.ready ? 'ok' : 'bad' }, hl.ready ? 'ready' : 'not ready'),
        ` · updated ${new Date().toLocaleTimeString()}`);
      const byRoute = new Map<string, Map<string, number>>();
      for (const r of parseMetric(text, 'keyfold_requests_total')) {
        const key = `${r.labels.method ?? ''} ${r.labels.route ?? ''}`;
        const m = byRoute.get(key) ?? new Map<string, number>();
        m.set(r.labels.status ?? '?', (m.get(r.labels.status ?? '?') ?? 0) + r.value);
        byRoute.set(key, m);
      }
      const total = [...byRoute.values()].reduce((a, m) => a + [...m.values()].reduce((x, y) => x + y, 0), 0);
      const now = performance.now();
      const rate = before && now > before.at ? ((total - before.total) * 1000) / (now - before.at) : null;
      before = { total, at: now };
      const durations = sum(parseMetric(text, 'keyfold_request_duration_seconds_sum'));
      const timed = sum(parseMetric(text, 'keyfold_request_duration_seconds_count'));
      const build = parseMetric(text, 'keyfold_build_info')[0]?.labels ?? {};
      const items: Array<[string, string]> = [
        ['sessions', fmt(sum(parseMetric(text, 'keyfold_sessions')))],
        ['keys drawn', fmt(sum(parseMetric(text, 'keyfold_keys_drawn_total')))],
        ['requests / s', rate === null ? '…' : fmt(rate)],
        ['mean latency', timed ? `${fmt((durations / timed) * 1000)} ms` : '–'],
        ['version', `${build.version ?? '?'} (${build.kernels ?? '?'})`],
      ];
      glance.replaceChildren(...items.flatMap(([k, v]) => [h('dt', {}, k), h('dd', { 'data-metric': k }, v)]));
      table.replaceChildren(h('p', {}, `${total} requests in all`), h('table', { class: 'metrics' },
        h('thead', {}, h('tr', {}, h('th', {}, 'route'), h('th', {}, 'by status'), h('th', {}, 'total'))),
        h('tbody', {}, ...[...byRoute.entries()].sort().map(([route, m]) => h('tr', {},
          h('td', { class: 'mono' }, route), h('td', {}, [...m.entries()].map(([st, v]) => `${st}: ${v}`).join(', ')),
          h('td', { class: 'num' }, fmt([...m.values()].reduce((x, y) => x + y, 0))))))));
    } catch (e) {
      report(table, e);
    }
  };
  await tick();
  poller = window.setInterval(() => void tick(), 2000);
}

// ------------------------------------------------------------------ router

async function route(): Promise<void> {
  if (poller !== undefined) window.clearInterval(poller);
  poller = undefined;
  const [path, q] = location.hash.replace(/^#/, '').split('?') as [string, string | undefined];
  const query = new URLSearchParams(q ?? '');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  document.querySelectorAll('nav a').forEach((a) => a.classList.toggle('active', path.startsWith((a as HTMLAnchorElement).hash.slice(1))));
  document.body.dataset.view = parts[0] ?? 'sessions';
  if (parts[0] === 'session' && parts[1]) {
    if (parts[2] === 'sample') await viewSample(parts[1], query);
    else if (parts[2] === 'masks') await viewMasks(parts[1]);
    else await viewSession(parts[1]);
  } else if (parts[0] === 'create') viewCreate();
  else if (parts[0] === 'health') await viewHealth();
  else await viewSessions(query);
  // Marks the view as drawn: the browser test waits for it.
  document.body.dataset.ready = location.hash;
}

window.addEventListener('hashchange', () => void route());
void route();
