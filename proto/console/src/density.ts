// The densities (continuous samplers) and probability mass functions
// (discrete ones) of the distributions GET /v1/random lists, in the
// parameterisation of jax.random, so that a histogram of draws can be
// compared with what it should approach. Parameters arrive as plain numbers
// (the console sends scalars; arrays broadcast, a scalar is one value).
import { lbeta, lchoose, lgamma, normalCdf } from './special.js';

// The request's parameters as sent: numbers, or arrays (logits, alpha, p).
export type Params = Record<string, unknown>;

const SQRT_2PI = Math.sqrt(2 * Math.PI);
const phi = (x: number): number => Math.exp(-0.5 * x * x) / SQRT_2PI;
const gammaPdf = (x: number, a: number): number => (x <= 0 ? 0 : Math.exp((a - 1) * Math.log(x) - x - lgamma(a)));
const maxwellPdf = (x: number): number => (x < 0 ? 0 : Math.sqrt(2 / Math.PI) * x * x * Math.exp(-0.5 * x * x));
const p = (ps: Params, name: string, fallback: number): number => {
  const v = ps[name];
  return typeof v === 'number' && Number.isFinite(v) ? v : fallback;
};
// A flat vector parameter, or null.
const vec = (ps: Params, name: string): number[] | null => {
  const v = ps[name];
  return Array.isArray(v) && v.every((e) => typeof e === 'number') ? (v as number[]) : null;
};
const betaPdf = (x: number, a: number, b: number): number =>
  x <= 0 || x >= 1 ? 0 : Math.exp((a - 1) * Math.log(x) + (b - 1) * Math.log1p(-x) - lbeta(a, b));
const binomialPmf = (k: number, n: number, q: number): number =>
  k < 0 || k > n || !Number.isInteger(k) ? 0 : Math.exp(lchoose(n, k) + k * Math.log(q) + (n - k) * Math.log1p(-q));

export const DENSITIES: Record<string, (x: number, ps: Params) => number> = {
  normal: (x) => phi(x),
  uniform: (x, ps) => {
    const lo = p(ps, 'minval', 0), hi = p(ps, 'maxval', 1);
    return x >= lo && x < hi ? 1 / (hi - lo) : 0;
  },
  truncated_normal: (x, ps) => {
    const lo = p(ps, 'lower', -2), hi = p(ps, 'upper', 2);
    return x < lo || x > hi ? 0 : phi(x) / (normalCdf(hi) - normalCdf(lo));
  },
  exponential: (x) => (x < 0 ? 0 : Math.exp(-x)),
  gamma: (x, ps) => gammaPdf(x, p(ps, 'a', 1)),
  loggamma: (x, ps) => {
    const a = p(ps, 'a', 1);
    return Math.exp(a * x - Math.exp(x) - lgamma(a));
  },
  beta: (x, ps) => betaPdf(x, p(ps, 'a', 1), p(ps, 'b', 1)),
  // Every component of every draw, pooled: the mean of the marginals
  // Beta(alpha_i, sum(alpha) - alpha_i).
  dirichlet: (x, ps) => {
    const alpha = vec(ps, 'alpha');
    if (!alpha || alpha.length < 2) return NaN;
    const total = alpha.reduce((a, b) => a + b, 0);
    return alpha.reduce((acc, a) => acc + betaPdf(x, a, total - a), 0) / alpha.length;
  },
  // Every component pooled: the mean of the marginals N(mean_i, cov_ii).
  multivariate_normal: (x, ps) => {
    const mean = vec(ps, 'mean');
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
    const n = p(ps, 'n', 3);
    if (ps.m !== undefined && ps.m !== null && Number(ps.m) !== n) return NaN;
    if (n < 2 || Math.abs(x) >= 1) return n < 2 ? NaN : 0;
    const k = (n - 3) / 2;
    return Math.exp(k * Math.log1p(-x * x) + lgamma(n / 2) - lgamma((n - 1) / 2) - 0.5 * Math.log(Math.PI));
  },
  chisquare: (x, ps) => gammaPdf(x / 2, p(ps, 'df', 1) / 2) / 2,
  t: (x, ps) => {
    const v = p(ps, 'df', 1);
    return Math.exp(lgamma((v + 1) / 2) - lgamma(v / 2) - 0.5 * Math.log(v * Math.PI) - ((v + 1) / 2) * Math.log1p((x * x) / v));
  },
  f: (x, ps) => {
    const d1 = p(ps, 'dfnum', 1), d2 = p(ps, 'dfden', 1);
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
    const s = p(ps, 'sigma', 1);
    return x <= 0 ? 0 : Math.exp(-(Math.log(x) ** 2) / (2 * s * s)) / (x * s * SQRT_2PI);
  },
  pareto: (x, ps) => {
    const b = p(ps, 'b', 1);
    return x < 1 ? 0 : b / x ** (b + 1);
  },
  weibull_min: (x, ps) => {
    const l = p(ps, 'scale', 1), k = p(ps, 'concentration', 1);
    return x < 0 ? 0 : (k / l) * (x / l) ** (k - 1) * Math.exp(-((x / l) ** k));
  },
  rayleigh: (x, ps) => {
    const s = p(ps, 'scale', 1);
    return x < 0 ? 0 : (x / (s * s)) * Math.exp((-x * x) / (2 * s * s));
  },
  maxwell: (x) => maxwellPdf(x),
  double_sided_maxwell: (x, ps) => {
    const loc = p(ps, 'loc', 0), s = p(ps, 'scale', 1);
    return (0.5 * maxwellPdf(Math.abs(x - loc) / s)) / s;
  },
  generalized_normal: (x, ps) => {
    const q = p(ps, 'p', 2);
    return Math.exp(Math.log(q) - Math.log(2) - lgamma(1 / q) - Math.abs(x) ** q);
  },
  triangular: (x, ps) => {
    const a = p(ps, 'left', 0), c = p(ps, 'mode', 0.5), b = p(ps, 'right', 1);
    if (x < a || x > b) return 0;
    return x < c ? (2 * (x - a)) / ((b - a) * (c - a)) : (2 * (b - x)) / ((b - a) * (b - c));
  },
  wald: (x, ps) => {
    const m = p(ps, 'mean', 1);
    return x <= 0 ? 0 : Math.sqrt(1 / (2 * Math.PI * x ** 3)) * Math.exp(-((x - m) ** 2) / (2 * m * m * x));
  },
};

export const PMFS: Record<string, (k: number, ps: Params) => number> = {
  bernoulli: (k, ps) => (k === 1 ? p(ps, 'p', 0.5) : k === 0 ? 1 - p(ps, 'p', 0.5) : 0),
  randint: (k, ps) => {
    const lo = p(ps, 'minval', 0), hi = p(ps, 'maxval', 10);
    return k >= lo && k < hi ? 1 / (hi - lo) : 0;
  },
  rademacher: (k) => (k === 1 || k === -1 ? 0.5 : 0),
  geometric: (k, ps) => (k >= 1 ? (1 - p(ps, 'p', 0.5)) ** (k - 1) * p(ps, 'p', 0.5) : 0),
  poisson: (k, ps) => {
    const lam = p(ps, 'lam', 1);
    return k < 0 ? 0 : Math.exp(k * Math.log(lam) - lam - lgamma(k + 1));
  },
  binomial: (k, ps) => binomialPmf(k, p(ps, 'n', 10), p(ps, 'p', 0.5)),
  // softmax(logits) over the last axis of a vector of logits.
  categorical: (k, ps) => {
    const logits = vec(ps, 'logits');
    if (!logits) return NaN;
    const m = Math.max(...logits);
    const z = logits.reduce((a, l) => a + Math.exp(l - m), 0);
    return Number.isInteger(k) && k >= 0 && k < logits.length ? Math.exp(logits[k]! - m) / z : 0;
  },
  // Indices 0..a-1 drawn with replacement, uniformly or by p (normalized).
  choice: (k, ps) => {
    const a = p(ps, 'a', NaN), probs = vec(ps, 'p');
    if (!Number.isInteger(a) || ps.replace === false) return NaN;
    if (!Number.isInteger(k) || k < 0 || k >= a) return 0;
    return probs ? probs[k]! / probs.reduce((x, y) => x + y, 0) : 1 / a;
  },
  // Every count of every draw, pooled: the mean of the marginals Binomial(n, p_i).
  multinomial: (k, ps) => {
    const n = p(ps, 'n', NaN), probs = vec(ps, 'p');
    if (!probs || !Number.isFinite(n)) return NaN;
    const total = probs.reduce((x, y) => x + y, 0);
    return probs.reduce((acc, q) => acc + binomialPmf(k, n, q / total), 0) / probs.length;
  },
};

// Parameters the daemon requires without a default, with values that make
// a readable plot (JSON values: dirichlet's alpha is a vector).
export const SUGGESTED: Record<string, Record<string, unknown>> = {
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
  orthogonal: { n: 3 },
};

// The shape asked for `count` draws: most samplers take [count]; a
// permutation's is its own; a multinomial's ends with the categories.
export function drawShape(op: string, count: number, ps: Params): number[] | undefined {
  if (op === 'permutation') return undefined;
  if (op === 'multinomial') return [count, vec(ps, 'p')?.length ?? 1];
  return [count];
}
