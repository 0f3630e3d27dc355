// The console's drawings, as SVG built here (no charting library: the page
// loads nothing from the network): a histogram against a density or pmf,
// heat maps of parameter matrices and strips of vectors, dropout masks.

const SVG_NS = 'http://www.w3.org/2000/svg';

function el(name: string, attrs: Record<string, string | number>, parent?: Element): SVGElement {
  const e = document.createElementNS(SVG_NS, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (parent) parent.appendChild(e);
  return e;
}

function svg(width: number, height: number, label: string): SVGSVGElement {
  const s = el('svg', { width, height, viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': label }) as SVGSVGElement;
  return s;
}

function text(parent: Element, x: number, y: number, s: string, anchor = 'middle', cls = 'axis'): void {
  const t = el('text', { x, y, 'text-anchor': anchor, class: cls }, parent);
  t.textContent = s;
}

export function fmt(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a >= 1e4 || a < 1e-3 ? v.toExponential(1) : Number(v.toPrecision(3)).toString();
}

export interface HistogramInput {
  values: ArrayLike<number>;
  // Continuous: the density at x; discrete: the pmf at an integer k.
  density?: (x: number) => number;
  discrete: boolean;
  title: string;
}

// The range a histogram shows: all of the data, unless it has long tails
// (Cauchy, Pareto, lognormal), where the quartiles widened by 5 IQR on each
// side keep the bulk readable; the plot says how many draws fall outside.
function range(sorted: Float64Array): [number, number] {
  const n = sorted.length;
  let lo = sorted[0]!, hi = sorted[n - 1]!;
  const q1 = sorted[Math.floor(n * 0.25)]!, q3 = sorted[Math.min(n - 1, Math.floor(n * 0.75))]!;
  const iqr = q3 - q1;
  if (iqr > 0 && hi - lo > 15 * iqr) [lo, hi] = [Math.max(lo, q1 - 5 * iqr), Math.min(hi, q3 + 5 * iqr)];
  if (hi === lo) [lo, hi] = [lo - 0.5, hi + 0.5];
  return [lo, hi];
}

export function histogram(input: HistogramInput): SVGSVGElement {
  const W = 640, H = 300, L = 50, R = 16, T = 24, B = 36;
  const s = svg(W, H, input.title);
  s.classList.add('histogram');
  const sorted = Float64Array.from(input.values).filter(Number.isFinite).sort();
  const n = sorted.length;
  text(s, W / 2, 16, input.title, 'middle', 'title');
  if (n === 0) {
    text(s, W / 2, H / 2, 'no finite values');
    return s;
  }
  let lo: number, hi: number, bins: number, width: number;
  if (input.discrete && sorted[n - 1]! - sorted[0]! <= 60) {
    // One bar per integer value.
    lo = sorted[0]! - 0.5;
    hi = sorted[n - 1]! + 0.5;
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
    counts[Math.min(bins - 1, Math.floor((v - lo) / width))]! += 1;
    shown++;
  }
  // Bars as densities (count / n / width), so that they compare with the
  // density directly; for discrete data width is 1: frequencies vs pmf.
  const heights = Array.from(counts, (c) => c / n / width);
  const curve: Array<[number, number]> = [];
  if (input.density) {
    if (input.discrete) {
      for (let k = Math.ceil(lo); k <= Math.floor(hi); k++) curve.push([k, input.density(k)]);
    } else {
      for (let i = 0; i <= 200; i++) {
        const x = lo + ((hi - lo) * i) / 200;
        curve.push([x, input.density(x)]);
      }
    }
  }
  // NaN: no density for these parameters (density.ts); those points are left out.
  const drawn = curve.filter((c) => Number.isFinite(c[1]));
  const ymax = Math.max(...heights, ...drawn.map((c) => c[1])) * 1.08 || 1;
  const sx = (x: number): number => L + ((x - lo) / (hi - lo)) * (W - L - R);
  const sy = (y: number): number => H - B - (Math.min(y, ymax) / ymax) * (H - T - B);
  for (let i = 0; i < bins; i++) {
    const x0 = sx(lo + i * width), x1 = sx(lo + (i + 1) * width);
    el('rect', { x: x0 + 0.5, y: sy(heights[i]!), width: Math.max(0.5, x1 - x0 - 1), height: H - B - sy(heights[i]!), class: 'bar' }, s);
  }
  if (drawn.length) {
    if (input.discrete) {
      for (const [k, pk] of drawn) el('circle', { cx: sx(k), cy: sy(pk), r: 3.5, class: 'pmf' }, s);
    } else {
      const d = drawn.map((c, i) => `${i ? 'L' : 'M'}${sx(c[0]).toFixed(1)},${sy(c[1]).toFixed(1)}`).join('');
      el('path', { d, class: 'density' }, s);
    }
  }
  el('line', { x1: L, y1: H - B, x2: W - R, y2: H - B, class: 'frame' }, s);
  el('line', { x1: L, y1: T, x2: L, y2: H - B, class: 'frame' }, s);
  // x ticks: integers under the bars of a discrete plot, quarters otherwise.
  const step = Math.max(1, Math.ceil((hi - lo) / 8));
  const xticks = width === 1
    ? Array.from({ length: Math.floor((hi - lo) / step) + 1 }, (_, i) => Math.ceil(lo) + i * step).filter((x) => x <= hi)
    : [0, 1, 2, 3, 4].map((i) => lo + ((hi - lo) * i) / 4);
  for (const x of xticks) text(s, sx(x), H - B + 16, fmt(x));
  for (let i = 0; i <= 4; i++) text(s, L - 6, sy((ymax * i) / 4) + 4, fmt((ymax * i) / 4), 'end');
  text(s, W - R, H - 4, `${n} values${shown < n ? `, ${n - shown} outside the range shown` : ''}`, 'end');
  return s;
}

// A diverging color for v in [-m, m]: blue below zero, red above.
function color(v: number, m: number): string {
  const t = m > 0 ? Math.max(-1, Math.min(1, v / m)) : 0;
  const a = Math.round(255 * (1 - Math.abs(t)));
  return t >= 0 ? `rgb(255,${a},${a})` : `rgb(${a},${a},255)`;
}

// A matrix [rows, cols] (a kernel: in_features x out_features) as cells; a
// vector (a bias) as one row, a strip. Cells carry their value as a tooltip.
export function heatmap(data: ArrayLike<number>, shape: number[], title: string): SVGSVGElement {
  const rows = shape.length >= 2 ? shape[0]! : 1;
  const cols = shape.length >= 2 ? shape.slice(1).reduce((a, b) => a * b, 1) : (shape[0] ?? 1);
  const cell = Math.max(4, Math.min(22, Math.floor(420 / Math.max(rows, cols))));
  const T = 20;
  const W = Math.max(160, cols * cell + 2), H = rows * cell + T + 16;
  const s = svg(W, H, title);
  s.classList.add('heatmap');
  let m = 0;
  for (let i = 0; i < data.length; i++) m = Math.max(m, Math.abs(data[i]!));
  text(s, 0, 14, title, 'start', 'title');
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const v = data[r * cols + c]!;
      const rect = el('rect', { x: 1 + c * cell, y: T + r * cell, width: cell, height: cell, fill: color(v, m), class: 'cell' }, s);
      el('title', {}, rect).textContent = `[${shape.length >= 2 ? `${r}, ${c}` : c}] ${v}`;
    }
  }
  // A frame, so that an all-zero strip (a fresh bias) is still visible.
  el('rect', { x: 1, y: T, width: cols * cell, height: rows * cell, class: 'frame-box' }, s);
  text(s, 0, H - 3, m === 0 ? 'all zero' : `|max| ${fmt(m)} · red > 0 > blue`, 'start');
  return s;
}

// Masks of successive forward calls, one row each: a filled cell is a unit
// kept, an empty one a unit the dropout zeroed.
export function masks(rows: boolean[][], labels: string[]): SVGSVGElement {
  const cols = rows[0]?.length ?? 0;
  const cell = Math.max(6, Math.min(18, Math.floor(560 / Math.max(1, cols))));
  const L = 90, W = L + cols * cell + 4, H = rows.length * (cell + 4) + 8;
  const s = svg(W, H, 'dropout masks');
  s.classList.add('masks');
  rows.forEach((row, r) => {
    const y = 4 + r * (cell + 4);
    text(s, L - 8, y + cell - 3, labels[r] ?? '', 'end');
    row.forEach((kept, c) => {
      el('rect', { x: L + c * cell, y, width: cell - 1, height: cell, class: kept ? 'kept' : 'dropped' }, s);
    });
  });
  return s;
}
