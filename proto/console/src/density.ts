// The densities (continuous samplers) and probability mass functions
// (discrete ones) of the distributions GET /v1/random lists, in the
// parameterisation of jax.random, so that a histogram of draws can be
// compared with what it should approach. Parameters arrive as plain numbers
// (the console sends scalars; arrays broadcast, a scalar is one value).
import { lbeta, lchoose, lgamma, normalCdf } from './special.js';

export type Params = Record<string, number>;

const SQRT_2PI = Math.sqrt(2 * Math.PI);
const phi = (x: number): number => Math.exp(-0.5 * x * x) / SQRT_2PI;
const gammaPdf = (x: number, a: number): number => (x <= 0 ? 0 : Math.exp((a - 1) * Math.log(x) - x - lgamma(a)));
const maxwellPdf = (x: number): number => (x < 0 ? 0 : Math.sqrt(2 / Math.PI) * x * x * Math.exp(-0.5 * x * x));
const p = (ps: Params, name: string, fallback: number): number => (Number.isFinite(ps[name]) ? ps[name]! : fallback);

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
  beta: (x, ps) => {
    const a = p(ps, 'a', 1), b = p(ps, 'b', 1);
    return x <= 0 || x >= 1 ? 0 : Math.exp((a - 1) * Math.log(x) + (b - 1) * Math.log1p(-x) - lbeta(a, b));
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
  binomial: (k, ps) => {
    const n = p(ps, 'n', 10), q = p(ps, 'p', 0.5);
    if (k < 0 || k > n) return 0;
    return Math.exp(lchoose(n, k) + k * Math.log(q) + (n - k) * Math.log1p(-q));
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
};
