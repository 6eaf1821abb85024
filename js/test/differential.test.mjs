// The JavaScript host against the Rust host, case by case: every case of
// rules/*.test.yaml and crates/rulebook-testing/tests/cases/*.test.yaml, and
// every rules/*.example.json, is evaluated by `rulebook eval --compact` and by
// js/rulebook.mjs on the module `rulebook compile` writes, with the same
// facts and date. The outputs must be the same text (so the same keys, order
// and value formats); where eval exits 1, the JS host must throw the same
// kind of error with the same message.
//
// Each case is given to the JS host twice: as the JSON text eval reads, and,
// when JSON.parse keeps every number of it exactly, as the parsed object.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { EvaluationError, InputError, toJson } from '../rulebook.mjs';
import {
  cliError, compileAndLoad, policyFromSource, pool, readCases, root, rulebookBin, run, tempDir, today,
} from '../testkit/helpers.mjs';

const bin = rulebookBin();
const dir = tempDir();
const testFiles = [
  ...readdirSync(path.join(root, 'rules')).filter((f) => f.endsWith('.test.yaml')).map((f) => path.join(root, 'rules', f)),
  ...readdirSync(path.join(root, 'crates/rulebook-testing/tests/cases'))
    .filter((f) => f.endsWith('.test.yaml'))
    .map((f) => path.join(root, 'crates/rulebook-testing/tests/cases', f)),
].sort();

const counts = { cases: 0, outputs: 0, inputErrors: 0, evaluationErrors: 0, objectForm: 0, mutated: 0 };

after(() => {
  console.log(
    `compared ${counts.cases} cases with rulebook eval: ${counts.outputs} outputs, ` +
      `${counts.inputErrors} input errors, ${counts.evaluationErrors} evaluation errors; ` +
      `${counts.objectForm} of them also given as a JS object; ${counts.mutated} of them mutated texts`,
  );
});

/** What the JS host does with some facts: {ok: text} or {error}. */
function jsRun(f) {
  try {
    return { ok: f() };
  } catch (error) {
    return { error };
  }
}

/**
 * Whether JSON.parse keeps the facts of this text exactly: every number is
 * one a JS number writes back the same (not 9223372036854775807, 1.0 or 1e2),
 * and no key is an integer (JS objects put those first).
 */
function exactInJs(text) {
  try {
    JSON.parse(text);
  } catch {
    return false; // not JSON: compared as text only
  }
  const tokens = text.matchAll(/("(?:[^"\\]|\\.)*")(\s*:)?|-?[0-9][0-9.eE+-]*/g);
  for (const [tok, string, colon] of tokens) {
    if (string !== undefined ? colon && /^"[0-9]+"$/.test(string) : String(Number(tok)) !== tok) return false;
  }
  return true;
}

/** Asserts that the JS host did what `rulebook eval` did. */
function assertSame(cli, js, form) {
  if (cli.code === 0) {
    if (js.error) assert.fail(`${form}: rulebook eval gave decisions, the JS host threw ${js.error.stack}`);
    assert.equal(js.ok, cli.stdout.trim(), `${form}: outputs differ`);
    return;
  }
  assert.equal(cli.code, 1, `rulebook eval exited ${cli.code}: ${cli.stderr}`);
  const message = cliError(cli.stderr);
  if (!js.error) assert.fail(`${form}: rulebook eval failed (${message}), the JS host gave ${js.ok}`);
  const kind = message.startsWith('input error') ? InputError : EvaluationError;
  assert.ok(js.error instanceof kind, `${form}: expected ${kind.name} "${message}", got ${js.error.stack}`);
  assert.equal(js.error.message, message, `${form}: error messages differ`);
}

/** Compares one case: the facts as JSON text, and as an object where that is exact. */
async function compare(policy, rules, input, asOf, expectedError) {
  const cli = await run(bin, ['eval', rules, '--as-of', asOf, '--compact'], input);
  const asText = jsRun(() => policy.evaluateJson(input, asOf));
  assertSame(cli, asText, 'facts as JSON text');
  counts.cases += 1;
  if (cli.code === 0) counts.outputs += 1;
  else if (asText.error instanceof InputError) counts.inputErrors += 1;
  else counts.evaluationErrors += 1;

  if (expectedError) {
    // the test file's own expectation holds for the JS host too
    const want = typeof expectedError === 'string' ? { contains: expectedError } : expectedError;
    const kind = { input: InputError, eval: EvaluationError }[want.kind];
    if (kind) assert.ok(asText.error instanceof kind, `expected a ${kind.name}`);
    assert.ok(asText.error?.message.includes(want.contains), `expected an error containing ${want.contains}`);
  }

  if (exactInJs(input)) {
    const facts = JSON.parse(input);
    const asObject = jsRun(() => policy.evaluate(facts, asOf));
    assertSame(cli, asObject.error ? asObject : { ok: toJson(asObject.ok) }, 'facts as an object');
    if (cli.code === 0 && !cli.stdout.match(/:-?[0-9]{16,}[,}]/)) {
      // no int beyond 2^53: the object is JSON.parse of eval's output
      assert.deepStrictEqual(asObject.ok, JSON.parse(cli.stdout));
    }
    counts.objectForm += 1;
  }
}

for (const file of readCases(testFiles)) {
  const name = path.relative(root, file.file);
  test(name, async (t) => {
    let rules;
    let policy;
    if (file.source !== null) {
      ({ rules, policy } = await policyFromSource(bin, path.basename(file.file, '.test.yaml'), file.source, dir));
    } else {
      rules = file.policy;
      policy = await compileAndLoad(bin, rules, dir);
    }
    // the eval processes run a few at a time; the comparisons in case order
    const runs = file.cases.map((c) => {
      const asOf = c.as_of ?? file.as_of ?? today();
      return { c, asOf, done: null };
    });
    await pool(runs.map((r) => async () => {
      try {
        await compare(policy, rules, r.c.input, r.asOf, r.c.error);
        r.done = null;
      } catch (e) {
        r.done = e;
      }
    }));
    for (const r of runs) {
      await t.test(r.c.name, () => {
        if (r.done) throw r.done;
      });
    }
  });
}

test('rules/*.example.json on several dates', async (t) => {
  const examples = readdirSync(path.join(root, 'rules')).filter((f) => f.endsWith('.example.json')).sort();
  assert.ok(examples.length > 0);
  for (const example of examples) {
    const rules = path.join(root, 'rules', example.replace(/\.example\.json$/, '.rules'));
    const policy = await compileAndLoad(bin, rules, dir);
    const input = readFileSync(path.join(root, 'rules', example), 'utf8');
    for (const asOf of ['2023-06-01', '2024-04-07', '2025-06-01', '2026-11-27', today()]) {
      await t.test(`${example} on ${asOf}`, () => compare(policy, rules, input, asOf, null));
    }
  }
});

test('mutated facts texts (seeded): the same decisions or the same input error', async () => {
  // The facts of input_errors.test.yaml, with characters dropped, added or
  // changed: broken JSON, numbers, escapes and types, read by both hosts.
  const [file] = readCases([path.join(root, 'crates/rulebook-testing/tests/cases/input_errors.test.yaml')]);
  const { rules, policy } = await policyFromSource(bin, 'mutated', file.source, dir);
  const seeds = file.cases.map((c) => c.input).filter((s) => s.length > 20);
  const alphabet = '{}[]",:0123456789.-eE+ \n\\utfnl';
  let state = 20260101;
  const random = (k) => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state % k;
  };
  const texts = [];
  for (let k = 0; k < 200; k++) {
    let text = seeds[random(seeds.length)];
    for (let m = 1 + random(3); m > 0; m--) {
      const at = random(text.length + 1);
      const c = alphabet[random(alphabet.length)];
      text = [text.slice(0, at) + text.slice(at + 1), text.slice(0, at) + c + text.slice(at), text.slice(0, at) + c + text.slice(at + 1)][random(3)];
    }
    texts.push(text);
  }
  const failures = await pool(texts.map((text) => async () => {
    try {
      await compare(policy, rules, text, '2026-01-01', null);
      return null;
    } catch (e) {
      return `${JSON.stringify(text)}: ${e.message}`;
    }
  }));
  counts.mutated += texts.length;
  assert.deepEqual(failures.filter((f) => f !== null), []);
});
