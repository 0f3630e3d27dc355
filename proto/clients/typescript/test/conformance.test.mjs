// Every conformance scenario (proto/conformance/scenarios/*.json, and this
// client's own test/scenarios/*.json) replayed through the TypeScript client
// against one keyfoldd; and the runner's own checks: it fails on a wrong
// expectation, an unexpected success and an unknown call.
import assert from 'node:assert/strict';
import { relative } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { here, kf, sourceRoot, startDaemon } from './helpers.mjs';
import { loadScenarios, mismatches, runScenario } from './conformance-runner.mjs';

const DIRS = [`${sourceRoot}/proto/conformance/scenarios`, here('scenarios')];
const scenarios = loadScenarios(DIRS);

let daemon;
let client;
before(async () => {
  daemon = await startDaemon();
  client = new kf.KeyfoldClient({ baseUrl: daemon.url });
});
after(async () => daemon?.stop());

describe('scenarios', () => {
  test('found the scenario files', () => {
    assert.ok(scenarios.length >= 3, `scenarios in ${DIRS.join(', ')}: ${scenarios.length}`);
  });
  for (const { path, scenario } of scenarios) {
    test(`${scenario.name} (${relative(sourceRoot, path)})`, async () => {
      await runScenario(client, scenario);
    });
  }
});

describe('runner', () => {
  const own = (name) => structuredClone(scenarios.find((s) => s.scenario.name === name).scenario);

  test('matching: extra actual keys ignored, arrays by length, scalars by equality', () => {
    assert.deepEqual(mismatches({ a: 1 }, { a: 1, b: 2 }), []);
    assert.equal(mismatches({ a: 1, c: 3 }, { a: 1 }).length, 1);
    assert.equal(mismatches([1, 2], [1, 2, 3]).length, 1);
    assert.equal(mismatches(null, 0).length, 1);
    assert.equal(mismatches({ x: [0, 42] }, { x: [0, 43] }).length, 1);
  });

  test('a wrong expectation fails (one flipped bit of a JAX uniform)', async () => {
    const s = own('ts-random-oracle');
    const step = s.steps.find((st) => st.args.op === 'uniform');
    step.expect.hex = step.expect.hex.replace(/^e2/, 'e3');
    await assert.rejects(runScenario(client, s), /does not match[\s\S]*\$\.hex/);
  });

  test('an expected error that does not happen fails, and so does the wrong code', async () => {
    const s = own('ts-random-oracle');
    s.steps = [{ call: 'random', args: { op: 'key', args: { seed: 1 } }, error: { status: 404, code: 'not_found' } }];
    await assert.rejects(runScenario(client, s), /succeeded, expected 404/);
    s.steps = [{ call: 'random', args: { op: 'nosuch', args: {} }, error: { status: 400, code: 'invalid_argument' } }];
    await assert.rejects(runScenario(client, s), /expected InvalidArgumentError, got NotFoundError/);
  });

  test('an unknown call fails', async () => {
    const s = own('ts-random-oracle');
    s.steps = [{ call: 'no_such_call', args: {} }];
    await assert.rejects(runScenario(client, s), /unknown call "no_such_call"/);
  });
});
