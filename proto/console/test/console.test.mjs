// The browser console (/ui) in headless Chromium (Debian's /usr/bin/chromium,
// driven by puppeteer-core: no browser is downloaded), against real
// keyfoldd daemons this script starts (KEYFOLDD = the binary).
//
//   node test/console.test.mjs [--screenshots DIR]
//
// Fails on any console error, uncaught page error, failed request or HTTP
// error reply the test did not provoke. Checks that every view draws, that
// what the console does is what the API then shows (create, fork, reseed,
// delete, keys), that its dropout masks after a reseed are the ones the API
// gives an identical session, that every distribution of GET /v1/random
// samples and plots, and that the token prompt of an --auth-token-file
// daemon works. With --screenshots, saves PNGs of the main views.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';

const KEYFOLDD = process.env.KEYFOLDD;
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const shotsAt = process.argv.indexOf('--screenshots');
const SHOTS = shotsAt > 0 ? process.argv[shotsAt + 1] : null;
const WAIT = 20000;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Waits until fn(arg), evaluated in the page, is true. (Polled from here:
// puppeteer's waitForFunction now and then never saw a condition come true
// on a loaded machine, whether polling by animation frame or by timer.)
async function until(page, fn, arg) {
  const end = Date.now() + WAIT;
  while (Date.now() < end) {
    if (await page.evaluate(fn, arg).catch(() => false)) return;
    await sleep(50);
  }
  throw new Error(`timed out after ${WAIT} ms waiting for ${fn}${arg === undefined ? '' : ` (${arg})`}`);
}

const present = (page, selector) => until(page, (sel) => document.querySelector(sel) !== null, selector);

// What it needs, or a failure that names the script installing it
// (scripts/test.sh runs both first).
const puppeteer = (await import('puppeteer-core').catch(() => null))?.default;
for (const [missing, why] of [[!KEYFOLDD, 'KEYFOLDD (the keyfoldd binary) is not set'],
  [!puppeteer, 'proto/console/node_modules is missing: run scripts/install-npm.sh'],
  [!existsSync(CHROMIUM), `no browser at ${CHROMIUM}: run scripts/install-deps.sh (chromium)`]]) {
  if (missing) {
    console.error(why);
    process.exit(1);
  }
}

const scratch = mkdtempSync(join(tmpdir(), 'keyfold-console-'));
const daemons = [];
let browser = null;

// Starts keyfoldd on a free port; resolves to its base URL once it logs
// "listening on http://HOST:PORT".
function startDaemon(extra = []) {
  const p = spawn(KEYFOLDD, ['--listen', '127.0.0.1:0', '--durability', 'memory', ...extra], { stdio: ['ignore', 'ignore', 'pipe'] });
  daemons.push(p);
  return new Promise((resolve, reject) => {
    let err = '';
    const timer = setTimeout(() => reject(new Error(`keyfoldd did not start: ${err}`)), 15000);
    p.stderr.on('data', (d) => {
      err += d;
      const m = /listening on (http:\/\/\S+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    p.on('exit', (code) => reject(new Error(`keyfoldd exited (${code}): ${err}`)));
  });
}

async function apiCall(base, method, path, body, token) {
  const headers = { 'Content-Type': 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  const r = await fetch(base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : null, headers: r.headers };
}

// A page that records everything that went wrong on it.
async function openPage(allowStatus = () => false) {
  const page = await browser.newPage();
  await page.setViewport({ width: 1200, height: 900 });
  const problems = [];
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    // Chromium logs every HTTP error reply of a fetch; those the test
    // provoked on purpose (allowStatus) are not the page's fault.
    const st = /status of (\d+)/.exec(m.text());
    if (st && allowStatus(Number(st[1]))) return;
    problems.push(`console.error: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  page.on('response', (r) => {
    if (r.status() >= 400 && !allowStatus(r.status())) problems.push(`HTTP ${r.status()} for ${r.request().method()} ${r.url()}`);
  });
  page.on('dialog', (d) => void d.accept()); // the delete confirmation
  return { page, problems };
}

// Goes to a view and waits until the router has drawn it.
async function view(page, base, hash) {
  if (page.url().startsWith(`${base}/ui`)) await page.evaluate((h) => { location.hash = h; }, hash);
  else await page.goto(`${base}/ui${hash}`);
  await until(page, (h) => document.body.dataset.ready === h, hash);
}

async function waitHash(page, hash) {
  await until(page, (h) => document.body.dataset.ready === h, hash);
}

async function shot(page, name) {
  if (!SHOTS) return;
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

const ones = (w) => ({ dtype: 'float32', shape: [1, w], data: Array(w).fill(1) });

// The masks the API gives: forward calls on all-ones input, 1 = kept.
async function apiMasks(base, name, width, calls) {
  const rows = [];
  for (let i = 0; i < calls; i++) {
    const r = await apiCall(base, 'POST', `/v1/sessions/${name}/forward`, { x: ones(width) });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    rows.push(r.body.y.data.map((v) => (v !== 0 ? '1' : '0')).join(''));
  }
  return rows.join(' ');
}

let lastPage = null; // its text is printed when the test fails

async function consoleViews(base) {
  const { page, problems } = await openPage();
  lastPage = page;
  const check = (what) => assert.deepEqual(problems, [], `${what}: ${problems.join('\n')}`);

  // Sessions: empty at first.
  await view(page, base, '#/sessions');
  assert.match(await page.$eval('#main', (e) => e.textContent), /No sessions yet/);
  check('empty sessions list');

  // Create through the form: a dropout-only model and the default MLP.
  const create = async (name, preset, rngs, flax = '0.10') => {
    await view(page, base, '#/create');
    await page.$eval('input[name=name]', (e, v) => { e.value = v; }, name);
    await page.$eval('textarea[name=rngs]', (e, v) => { e.value = v; }, JSON.stringify(rngs));
    if (preset) await page.select('select[name=preset]', preset);
    await page.select('select[name=flax]', flax);
    await page.click('form button[type=submit]');
    await waitHash(page, `#/session/${name}`);
  };
  await create('mlp1', null, { default: 0, params: 42, dropout: 1 }, '0.11');
  await shot(page, 'session');
  // The session exists through the API, as the form made it.
  const mlp = await apiCall(base, 'GET', '/v1/sessions/mlp1');
  assert.equal(mlp.status, 200);
  assert.equal(mlp.body.options.flax, '0.11');
  assert.deepEqual(mlp.body.model.layers.map((l) => l.type), ['linear', 'relu', 'dropout', 'linear']);
  // Each kernel a heat map, each bias a strip: two linear layers.
  await present(page, '.params svg.heatmap');
  assert.equal(await page.$$eval('.params svg.heatmap', (s) => s.length), 4);
  assert.equal(await page.$$eval('ol.graph li', (s) => s.length), 4);
  check('session view');

  // Draw keys from a stream: the count the view shows is the API's.
  await page.click('tr[data-stream=default] button.draw');
  await present(page, 'pre.keys');
  await until(page, () => document.querySelector('tr[data-stream=default] .count').textContent === '2');
  const shownKeys = await page.$eval('pre.keys', (e) => e.textContent.split('\n'));
  const after = await apiCall(base, 'GET', '/v1/sessions/mlp1');
  assert.equal(after.body.rngs.default.count, 2);
  // The keys shown are fold_in(key, 0) and fold_in(key, 1) of the stream: the
  // same draw on a fork of the session made before the draw gives them.
  assert.equal(shownKeys.length, 2);
  check('draw keys');

  // The masks: create, reseed and run forward in the console; an identical
  // session made and reseeded through the API must give the same masks.
  const rngs = { default: 0, dropout: 7 };
  await create('mask1', 'Dropout only (masks)', rngs);
  await page.$eval('input[name=seed-dropout]', (e) => { e.value = '1234'; });
  await page.click('tr[data-stream=dropout] button.reseed');
  await until(page, () => document.querySelector('tr[data-stream=dropout] .mono').textContent === '[0, 1234]');
  await view(page, base, '#/session/mask1/masks');
  await page.$eval('input[name=calls]', (e) => { e.value = '6'; });
  await page.click('form button[type=submit]');
  await present(page, 'svg.masks');
  const shown = await page.$eval('svg.masks', (e) => e.getAttribute('data-masks'));
  await shot(page, 'masks');
  const model = { layers: [{ type: 'dropout', rate: 0.5 }] };
  for (const [name, seed] of [['mask2', 1234], ['mask3', null]]) {
    const c = await apiCall(base, 'POST', '/v1/sessions', { name, rngs, model, options: { flax: '0.10', threefry: 'partitionable' } });
    assert.equal(c.status, 201, JSON.stringify(c.body));
    if (seed !== null) assert.equal((await apiCall(base, 'POST', `/v1/sessions/${name}/reseed`, { streams: { dropout: seed } })).status, 200);
  }
  assert.equal(shown, await apiMasks(base, 'mask2', 32, 6), 'the console\'s masks after its reseed are the API\'s');
  // Without the reseed the masks differ: the comparison above can fail.
  assert.notEqual(shown, await apiMasks(base, 'mask3', 32, 6));
  assert.match(shown, /^([01]{32} ){5}[01]{32}$/);
  check('masks');

  // A model with more than dropout: each dropout's mask comes from the key it
  // draws. Where the model ends in the dropout, the zeros of the output of an
  // identical session, through the API, must be that mask, call by call.
  const lindrop = { layers: [{ type: 'linear', in_features: 8, out_features: 16 }, { type: 'dropout', rate: 0.5 }] };
  for (const name of ['lindrop1', 'lindrop2']) {
    const c = await apiCall(base, 'POST', '/v1/sessions', { name, rngs: { params: 3, dropout: 5 }, model: lindrop, options: { flax: '0.12', threefry: 'partitionable' } });
    assert.equal(c.status, 201, JSON.stringify(c.body));
  }
  await view(page, base, '#/session/lindrop1/masks');
  await page.$eval('input[name=calls]', (e) => { e.value = '4'; });
  await page.click('form button[type=submit]');
  await present(page, 'p.agrees');
  const lin = await page.$eval('svg.masks[data-layer="1"]', (e) => e.getAttribute('data-masks'));
  assert.equal(lin, await apiMasks(base, 'lindrop2', 8, 4), 'the masks of linear + dropout are the output zeros');
  assert.match(lin, /^([01]{16} ){3}[01]{16}$/);
  // The MLP (dropout between layers): its mask is shown too.
  await view(page, base, '#/session/mlp1/masks');
  await page.click('form button[type=submit]');
  await present(page, 'svg.masks[data-layer="2"]');
  check('masks of models with more than dropout');

  // Fork, then delete the fork.
  await view(page, base, '#/session/mask1');
  await page.$eval('input[name=child]', (e) => { e.value = 'mask1-child'; });
  await page.click('form.row button[type=submit]');
  await waitHash(page, '#/session/mask1-child');
  const forked = await apiCall(base, 'GET', '/v1/sessions/mask1-child');
  const parent = await apiCall(base, 'GET', '/v1/sessions/mask1');
  assert.equal(forked.status, 200);
  assert.notDeepEqual(forked.body.rngs.dropout, parent.body.rngs.dropout, 'a fork has streams of its own');
  await page.click('button.danger');
  await waitHash(page, '#/sessions');
  assert.equal((await apiCall(base, 'GET', '/v1/sessions/mask1-child')).status, 404);
  check('fork and delete');

  // Pages of 20 with a prefix filter.
  for (let i = 0; i < 25; i++) {
    assert.equal((await apiCall(base, 'POST', '/v1/sessions', { name: `page-${String(i).padStart(2, '0')}` })).status, 201);
  }
  await view(page, base, '#/sessions?prefix=page-');
  assert.equal(await page.$$eval('ul.sessions li', (l) => l.length), 20);
  await shot(page, 'sessions');
  const next = await page.$eval('.pager a', (a) => a.getAttribute('href'));
  await view(page, base, next);
  const second = await page.$$eval('ul.sessions li', (l) => l.map((x) => x.textContent));
  assert.deepEqual(second, ['page-20', 'page-21', 'page-22', 'page-23', 'page-24']);
  await view(page, base, '#/sessions?prefix=mask');
  assert.deepEqual(await page.$$eval('ul.sessions li', (l) => l.map((x) => x.textContent)), ['mask1', 'mask2', 'mask3']);
  check('pagination');

  // A session without streams has nothing to sample from: the view says so.
  await view(page, base, '#/session/page-00/sample');
  await present(page, '.no-streams');
  assert.equal(await page.$('select[name=distribution]'), null);
  check('sampling without streams');

  // Every distribution GET /v1/random lists samples and plots.
  const ops = (await apiCall(base, 'GET', '/v1/random')).body.operations.filter((o) => o.random && o.tensor);
  assert.ok(ops.length > 25, `${ops.length} distributions`);
  await view(page, base, '#/session/mlp1/sample');
  const bare = []; // plotted without a density or pmf
  for (const op of ops) {
    await page.select('select[name=distribution]', op.name);
    await page.$eval('input[name=n]', (e) => { e.value = '3000'; });
    await page.evaluate(() => document.querySelector('.plot').replaceChildren());
    await page.click('form button[type=submit]');
    await present(page, '.plot svg.histogram, .plot .error');
    const error = await page.$eval('.plot', (e) => e.querySelector('.error')?.textContent ?? null);
    assert.equal(error, null, `${op.name}: ${error}`);
    if (!(await page.$$eval('.plot svg path.density, .plot svg circle.pmf', (x) => x.length))) bare.push(op.name);
    check(`sample ${op.name}`);
  }
  // Only these have no closed form drawn (a distribution added to the
  // daemon later may lack one too until src/density.ts learns it).
  const known = new Set(['bits', 'uniform', 'normal', 'truncated_normal', 'bernoulli', 'randint', 'permutation',
    'exponential', 'gumbel', 'laplace', 'logistic', 'cauchy', 'pareto', 'weibull_min', 'rayleigh', 'geometric',
    'triangular', 'lognormal', 'maxwell', 'double_sided_maxwell', 'rademacher', 'gamma', 'loggamma', 'beta',
    'chisquare', 't', 'f', 'generalized_normal', 'dirichlet', 'ball', 'wald', 'poisson', 'binomial', 'categorical',
    'choice', 'multinomial']);
  assert.deepEqual(bare.filter((n) => known.has(n)), ['bits', 'permutation', 'ball']);
  assert.ok(ops.length - bare.length >= 33, `${ops.length - bare.length} drawn with their density or pmf`);
  await page.select('select[name=distribution]', 'gamma');
  await page.$eval('input[name=n]', (e) => { e.value = '20000'; });
  await page.click('form button[type=submit]');
  await until(page, () => document.querySelector('.plot svg.histogram text.title')?.textContent.startsWith('gamma'));
  await shot(page, 'sample');

  // Health and live metrics: the table updates itself.
  await view(page, base, '#/health');
  await present(page, 'table.metrics');
  const firstTotal = await page.$eval('table.metrics', (t) => t.previousSibling.textContent);
  await until(page, (t) => document.querySelector('table.metrics')?.previousSibling.textContent !== t, firstTotal);
  assert.match(await page.$eval('.health', (e) => e.textContent), /live.*ready/);
  // The sessions gauge is the number of sessions the API lists; the rate appears from the second poll.
  const listed = (await apiCall(base, 'GET', '/v1/sessions?limit=1000')).body.sessions.length;
  assert.equal(await page.$eval('dd[data-metric="sessions"]', (e) => e.textContent), String(listed));
  await until(page, () => /^[0-9.e+-]+$/.test(document.querySelector('dd[data-metric="requests / s"]').textContent));
  assert.match(await page.$eval('table.metrics', (e) => e.textContent), /POST \/v1\/sessions\/\{name\}\/forward/);
  await shot(page, 'health');
  await view(page, base, '#/create');
  await shot(page, 'create');
  check('health');
  await page.close();
}

async function tokenPrompt(base, token) {
  // The files are served without the token; the API is not.
  assert.equal((await fetch(`${base}/ui`)).status, 200);
  assert.equal((await apiCall(base, 'GET', '/v1/sessions')).status, 401);
  assert.equal((await apiCall(base, 'POST', '/v1/sessions', { name: 'secret1' }, token)).status, 201);
  let refused = 0;
  const { page, problems } = await openPage((st) => st === 401 && ++refused > 0);
  lastPage = page;
  await page.goto(`${base}/ui#/sessions`);
  await present(page, '#token-dialog[open]');
  // A wrong token is refused and asked for again.
  await page.type('#token-input', 'wrong');
  await page.click('#token-dialog button[type=submit]');
  await until(page, () => document.querySelector('#token-dialog[open]') && /refused/.test(document.getElementById('token-note').textContent));
  await page.type('#token-input', token);
  await page.click('#token-dialog button[type=submit]');
  await waitHash(page, '#/sessions');
  assert.deepEqual(await page.$$eval('ul.sessions li', (l) => l.map((x) => x.textContent)), ['secret1']);
  assert.equal(await page.evaluate(() => sessionStorage.getItem('keyfold.token')), token);
  assert.ok(refused >= 2, `${refused} replies 401`);
  // Later calls carry it: another view loads without asking.
  await view(page, base, '#/health');
  await present(page, 'table.metrics');
  assert.equal(await page.$('#token-dialog[open]'), null);
  assert.deepEqual(problems, [], problems.join('\n'));
  await page.close();
}

let failed = false;
try {
  const base = await startDaemon();
  const tokenFile = join(scratch, 'token');
  const token = 'console-test-token-5f2a';
  writeFileSync(tokenFile, `${token}\n`);
  const authBase = await startDaemon(['--auth-token-file', tokenFile]);
  const profile = join(scratch, 'profile');
  mkdirSync(profile);
  browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    userDataDir: profile,
    // Whatever Chromium writes to the temporary directory stays in ours.
    env: { ...process.env, TMPDIR: scratch, HOME: scratch },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
  await consoleViews(base);
  console.log('ok - the views, create/fork/reseed/delete/keys, masks, every distribution, health');
  await tokenPrompt(authBase, token);
  console.log('ok - the token prompt of an --auth-token-file daemon');
} catch (e) {
  failed = true;
  console.error(e);
  if (lastPage && !lastPage.isClosed()) {
    const shown = await lastPage.evaluate(() => `${location.hash}\n${document.getElementById('main').innerText}`).catch(() => '?');
    console.error(`the page showed:\n${shown}`);
  }
} finally {
  if (browser) await browser.close().catch(() => {});
  for (const d of daemons) d.kill('SIGTERM');
  rmSync(scratch, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
