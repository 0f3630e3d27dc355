// The package as users get it: `npm pack` of the built package installs into
// an empty project from the tarball alone (no registry: it has no runtime
// dependencies), imports by its name, and runs the README's example against a
// real keyfoldd. Also: the library code imports nothing Node-only.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { distDir, oracleCases, packageDir, scratchDir, startDaemon, tensorFromHex } from './helpers.mjs';

const run = promisify(execFile);
let scratch;
let project;
let daemon;

before(async () => {
  scratch = scratchDir('keyfold-ts-pack-');
  // Stage what `files` of package.json names: the source tree is not written to.
  const stage = join(scratch.dir, 'stage');
  cpSync(join(packageDir, 'package.json'), join(stage, 'package.json'));
  cpSync(join(packageDir, 'README.md'), join(stage, 'README.md'));
  cpSync(distDir, join(stage, 'dist'), { recursive: true });
  const npmEnv = { ...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' };
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', scratch.dir], { cwd: stage, env: npmEnv });
  const [{ filename, files }] = JSON.parse(stdout);
  // Only the compiled library and the README ship.
  for (const f of files) assert.match(f.path, /^(package\.json|README\.md|dist\/(generated\/)?[a-z0-9]+\.(js|d\.ts))$/, f.path);
  project = join(scratch.dir, 'project');
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  await run('npm', ['install', '--offline', '--no-save', join(scratch.dir, filename)], { cwd: project, env: npmEnv });
  daemon = await startDaemon();
});

after(async () => {
  await daemon?.stop();
  scratch?.remove();
});

test('the installed tarball imports by name, with its types', async () => {
  writeFileSync(join(project, 'probe.mjs'), `
    import * as kf from '@keyfold/client';
    const t = kf.decodeNpy(kf.encodeNpy({ dtype: 'float32', shape: [2], data: new Float32Array([0.1, -2]) }));
    console.log(JSON.stringify({ client: typeof kf.KeyfoldClient, error: typeof kf.NotFoundError, data: Array.from(t.data) }));
  `);
  const { stdout } = await run(process.execPath, ['probe.mjs'], { cwd: project });
  assert.deepEqual(JSON.parse(stdout), { client: 'function', error: 'function', data: [Math.fround(0.1), -2] });
  const pkg = join(project, 'node_modules', '@keyfold', 'client');
  assert.equal(JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')).version, '1.1.0');
  assert.match(readFileSync(join(pkg, 'dist', 'index.d.ts'), 'utf8'), /KeyfoldClient/);
});

test('the README example runs and prints what JAX computes', async () => {
  const readme = readFileSync(join(packageDir, 'README.md'), 'utf8');
  const code = /```js\n([\s\S]*?)```/.exec(readme)?.[1];
  assert.ok(code, 'README.md has a ```js block');
  assert.ok(code.trim().split('\n').length <= 12, 'the example stays about ten lines');
  writeFileSync(join(project, 'readme-example.mjs'), code);
  const { stdout } = await run(process.execPath, ['readme-example.mjs'], {
    cwd: project,
    env: { ...process.env, KEYFOLD_URL: daemon.url },
  });
  console.log(stdout);
  // rngs.params() twice from nnx.Rngs(params=0): fold_in(key(0), 0) and (key(0), 1), as JAX prints them.
  const keys = [0, 1].map((n) => {
    const c = oracleCases().find((x) => x.op === 'fold_in' && x.mode === 'partitionable' && x.args.key[0] === 0 && x.args.key[1] === 0 && x.args.data === n);
    return `[ ${Array.from(tensorFromHex('uint32', [2], c.expect).data).join(', ')} ]`;
  });
  const lines = stdout.trim().split('\n');
  assert.match(lines.slice(0, 4).join(' ').replace(/\s+/g, ' '), new RegExp(`\\[ ${keys.map((k) => k.replace(/[[\]]/g, '\\$&')).join(', ')} \\]`));
  assert.match(stdout, /^float32 \[ 3 \] -?[0-9.e+-]+ -?[0-9.e+-]+ -?[0-9.e+-]+$/m);
  assert.match(stdout, /^true 404 not_found$/m);
});

test('the library imports nothing Node-only (it runs in browsers)', () => {
  const files = readdirSync(distDir, { recursive: true }).filter((f) => String(f).endsWith('.js'));
  assert.ok(files.length >= 5);
  for (const f of files) {
    const text = readFileSync(join(distDir, String(f)), 'utf8');
    const imports = [...text.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)].map((m) => m[1]);
    for (const spec of imports) assert.match(spec, /^\.\.?\//, `${f} imports ${spec}`);
    assert.doesNotMatch(text, /\brequire\(|\bprocess\.|\bBuffer\b/, f);
  }
});
