// The JS host's own checks: bad facts throw an InputError naming the field
// path (never another exception, never a wrong answer), values JavaScript
// cannot hold exactly are refused or taken as BigInt, bad dates, bad modules.

import { test } from 'node:test';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import assert from 'node:assert/strict';
import {
  EvaluationError, InputError, LoadError, Policy, RulebookError, toJson,
} from '../rulebook.mjs';
import { policyFromSource, rulebookBin, tempDir } from '../testkit/helpers.mjs';

const SOURCE = `policy echo
  version "1"

input {
  resident: bool
  size: int
  rate: decimal
  income: money
  born: date
  postcode: text
  status: enum(employed, student, retired)
  household: list of {
    age: int
    incomes: list of {
      amount: money
    }
  }
}

decision resident_out: bool = resident
decision size_out: int = size
decision rate_out: decimal = rate
decision income_out: money = income
decision born_out: date = born
decision postcode_out: text = postcode
decision status_out: enum(employed, student, retired)
  when status == "employed" -> "employed"
  when status == "student" -> "student"
  otherwise -> "retired"
decision total: money = sum(p in household: sum(i in p.incomes: i.amount))
decision share: money = income / size
`;

const bin = rulebookBin();
const dir = tempDir();
const { policy } = await policyFromSource(bin, 'echo', SOURCE, dir);
const DAY = '2026-01-01';

/** Asserts that `facts` throw an InputError at `path` whose message contains `text`. */
function refused(facts, path, text) {
  assert.throws(
    () => policy.evaluate(facts, DAY),
    (e) => {
      assert.ok(e instanceof InputError, `expected an InputError, got ${e.stack}`);
      assert.ok(e instanceof RulebookError && e instanceof Error);
      assert.equal(e.name, 'InputError');
      assert.equal(e.path, path);
      assert.ok(e.message.includes(`input error at ${path}: expected `), e.message);
      if (text) assert.ok(e.message.includes(text), `"${e.message}" should contain "${text}"`);
      return true;
    },
  );
}

const value = (facts, decision) => policy.evaluate(facts, DAY).decisions[decision].value;

test('name, hash, version and decision names come from the metadata', () => {
  assert.equal(policy.name, 'echo');
  assert.equal(policy.version, '1');
  assert.equal(policy.title, null);
  assert.match(policy.hash, /^[0-9a-f]{64}$/);
  assert.deepEqual(policy.decisions, [
    'resident_out', 'size_out', 'rate_out', 'income_out', 'born_out', 'postcode_out', 'status_out', 'total', 'share',
  ]);
  assert.equal(policy.meta.abi_version, 1);
  assert.ok(Object.isFrozen(policy.meta));
});

test('well-formed facts of every type', () => {
  const out = policy.evaluate({
    resident: true,
    size: 3,
    rate: '0.550000',
    income: '1200.5',
    born: '2000-02-29',
    postcode: 'EH1 1AA ✓',
    status: 'student',
    household: [{ age: 30, incomes: [{ amount: 0.1 }, { amount: '0.2' }] }, { age: 4, incomes: [] }],
  }, DAY);
  assert.deepEqual(Object.keys(out), ['policy', 'version', 'hash', 'as_of', 'decisions', 'missing']);
  assert.deepEqual(out.decisions, {
    resident_out: { value: true },
    size_out: { value: 3 },
    rate_out: { value: '0.55' },
    income_out: { value: '1200.50' },
    born_out: { value: '2000-02-29' },
    postcode_out: { value: 'EH1 1AA ✓' },
    status_out: { value: 'student', line: 28 },
    total: { value: '0.30' },
    share: { value: '400.17' },
  });
  assert.deepEqual(out.missing, []);
  assert.equal(out.as_of, DAY);
});

test('null and undefined are unknown; undeclared facts are listed as ignored', () => {
  const out = policy.evaluate({ size: null, income: undefined, agee: 3, household: [{ agee: 1, incomes: null }] }, DAY);
  assert.deepEqual(out.decisions.size_out, { value: null, missing: ['size'] });
  assert.deepEqual(out.decisions.total, { value: null, missing: ['household[].incomes'] });
  assert.deepEqual(out.ignored, ['agee', 'household[].agee']);
  assert.deepEqual(out.missing, [
    'resident', 'size', 'rate', 'income', 'born', 'postcode', 'status', 'household[].incomes',
  ]);
});

test('wrong types name the field path and what was expected', () => {
  refused({ resident: 'yes' }, 'resident', 'expected bool (true or false), got "yes"');
  refused({ resident: 1 }, 'resident', 'bool');
  refused({ size: '3' }, 'size', 'expected int (a whole number), got "3"');
  refused({ size: 2.5 }, 'size', 'expected int (a whole number), got 2.5');
  refused({ size: true }, 'size', 'int');
  refused({ rate: true }, 'rate', 'decimal (a number or a string such as "0.55")');
  refused({ income: [] }, 'income', 'money (a number or a string such as "1200.50"), got []');
  refused({ born: 20260101 }, 'born', 'date (a string "YYYY-MM-DD")');
  refused({ postcode: 42 }, 'postcode', 'expected text (a string), got 42');
  refused({ status: 1 }, 'status', 'one of employed, student, retired');
  refused({ household: 'none' }, 'household', 'a list (an array of objects)');
  refused({ household: { age: 1 } }, 'household', 'got {"age":1}');
  refused({ size: NaN }, 'size', 'got NaN');
  refused({ postcode: Symbol('x') }, 'postcode', 'text');
  refused({ born: new Date(0) }, 'born', 'date');
  refused({ household: [new Map()] }, 'household[0]', 'an object (a list element)');
});

test('an enum string that is not a variant', () => {
  refused({ status: 'unemployed' }, 'status', 'expected one of employed, student, retired, got "unemployed"');
  refused({ status: 'Student' }, 'status', 'one of employed, student, retired');
});

test('bad money and decimal text', () => {
  refused({ income: '12.345' }, 'income', 'expected money with at most 2 decimal places, got "12.345"');
  refused({ income: 12.345 }, 'income', 'money with at most 2 decimal places');
  refused({ income: '1,200' }, 'income', 'expected money (a number or a string such as "1200.50"), got "1,200"');
  refused({ income: '£12' }, 'income', 'money (a number or a string');
  refused({ income: '' }, 'income', 'money (a number or a string');
  refused({ income: ' 12' }, 'income', 'money (a number or a string');
  refused({ income: '+12' }, 'income', 'money (a number or a string');
  refused({ income: '12.' }, 'income', 'money (a number or a string');
  refused({ income: '1e3' }, 'income', 'money written out in full, without an exponent');
  refused({ income: '92233720368547758.08' }, 'income', 'money of at most about ±92,233,720,368,547,758.07');
  refused({ rate: '1.1234567' }, 'rate', 'decimal with at most 6 decimal places');
  refused({ rate: '9223372036854.775808' }, 'rate', 'decimal of at most about ±9,223,372,036,854.775807');
  refused({ rate: 'abc' }, 'rate', 'decimal (a number or a string such as "0.55"), got "abc"');
});

test('money and decimals are exact: strings and BigInt, never binary floating point', () => {
  assert.equal(value({ income: '92233720368547758.07' }, 'income_out'), '92233720368547758.07');
  assert.equal(value({ income: '-92233720368547758.08' }, 'income_out'), '-92233720368547758.08');
  assert.equal(value({ income: 0.07 }, 'income_out'), '0.07');
  assert.equal(value({ income: 7n }, 'income_out'), '7.00');
  assert.equal(value({ rate: '9223372036854.775807' }, 'rate_out'), '9223372036854.775807');
  assert.equal(value({ rate: 1n }, 'rate_out'), '1');
  assert.equal(value({ income: '10.00', size: 3 }, 'share'), '3.33');
  // a JS number that may not be the number written is refused, not rounded
  refused({ income: 0.1 + 0.2 }, 'income', 'money as a string such as "1200.50" (a JavaScript number this large or this precise is not exact)');
  refused({ income: 2 ** 60 }, 'income', 'not exact');
  refused({ rate: 1234567890.1234567 }, 'rate', 'not exact');
});

test('ints beyond 2^53 are taken and given as BigInt', () => {
  const max = 9223372036854775807n;
  assert.equal(value({ size: max }, 'size_out'), max);
  assert.equal(value({ size: -max - 1n }, 'size_out'), -max - 1n);
  assert.equal(value({ size: 2 ** 53 - 1 }, 'size_out'), 2 ** 53 - 1);
  assert.equal(typeof value({ size: 2 ** 53 - 1 }, 'size_out'), 'number');
  refused({ size: max + 1n }, 'size', 'int (a whole number that fits in 64 bits), got 9223372036854775808');
  refused({ size: 2 ** 53 }, 'size', 'int as a BigInt (a JavaScript number beyond ±9007199254740991 is not exact)');
  // JSON text keeps every digit
  assert.match(policy.evaluateJson('{"size": 9223372036854775807}', DAY), /"size_out":\{"value":9223372036854775807\}/);
  assert.equal(toJson({ a: [1n, -2n, 'x', null, true] }), '{"a":[1,-2,"x",null,true]}');
});

test('bad dates', () => {
  refused({ born: '2025-02-29' }, 'born', 'expected date (a real calendar date "YYYY-MM-DD"), got "2025-02-29"');
  refused({ born: '2026-02-30' }, 'born', 'date');
  refused({ born: '2026-13-01' }, 'born', 'date');
  refused({ born: '2026/01/01' }, 'born', 'date');
  refused({ born: '2026-1-1' }, 'born', 'date');
  refused({ born: '26-01-01' }, 'born', 'date');
  refused({ born: '2026-01-01T00:00' }, 'born', 'date');
  refused({ born: '２０２６-01-01' }, 'born', 'date');
  assert.equal(value({ born: '0001-01-01' }, 'born_out'), '0001-01-01');
  assert.equal(value({ born: '9999-12-31' }, 'born_out'), '9999-12-31');
  assert.equal(value({ born: '1969-12-31' }, 'born_out'), '1969-12-31');
});

test('lists with wrong elements name the element and field', () => {
  refused({ household: [{ age: 1 }, 2] }, 'household[1]', 'expected an object (a list element), got 2');
  refused({ household: [null] }, 'household[0]', 'an object (a list element), got null');
  refused({ household: [[]] }, 'household[0]', 'an object (a list element)');
  refused({ household: [{ age: 1 }, { age: 'five' }] }, 'household[1].age', 'expected int (a whole number), got "five"');
  refused({ household: [{ incomes: [{ amount: 1 }, { amount: 'x' }] }] }, 'household[0].incomes[1].amount', 'money');
  refused({ household: [{ incomes: 'none' }] }, 'household[0].incomes', 'a list (an array of objects)');
});

test('every problem is reported, in the order given', () => {
  try {
    policy.evaluate({ size: '3', ok: 1, household: [{ age: 'a' }, 5], income: '1.234' }, DAY);
    assert.fail('no error');
  } catch (e) {
    assert.ok(e instanceof InputError);
    assert.deepEqual(e.problems.map((p) => p.path), ['size', 'household[0].age', 'household[1]', 'income']);
    assert.equal(e.message.split('\n').length, 4);
    assert.deepEqual(e.problems[0], { path: 'size', value: '"3"', expected: 'int (a whole number)', kind: 'value' });
  }
});

test('long values are shortened in messages', () => {
  try {
    policy.evaluate({ postcode: [...Array(100).keys()] }, DAY);
    assert.fail('no error');
  } catch (e) {
    assert.equal(e.problems[0].value, `${JSON.stringify([...Array(100).keys()]).slice(0, 57)}...`);
  }
});

test('facts that are not an object', () => {
  for (const facts of [null, undefined, 42, [], [{}], true, new Date()]) {
    assert.throws(() => policy.evaluate(facts, DAY), (e) => {
      assert.ok(e instanceof InputError);
      assert.equal(e.path, '');
      assert.match(e.message, /^input error: expected a JSON object of facts, got /);
      return true;
    });
  }
});

test('facts as JSON text: exact numbers, a key given twice, text that is not JSON', () => {
  assert.equal(policy.evaluate('{"income": 0.1}', DAY).decisions.income_out.value, '0.10');
  assert.throws(() => policy.evaluate('{"size": 1, "size": 2}', DAY), {
    name: 'InputError',
    message: 'input error at size: the field is given twice in one object (again as 2); give each field once',
  });
  assert.throws(() => policy.evaluate('{"household": [{"age": 1, "age": 1}]}', DAY), /at household\[0\]\.age: the field is given twice/);
  assert.throws(() => policy.evaluate('{"size": 1.0}', DAY), /at size: expected int \(a whole number\), got 1\.0/);
  assert.throws(() => policy.evaluate('{"size": 1', DAY), /^InputError: input error: expected a JSON object of facts, got text that is not valid JSON/);
  assert.throws(() => policy.evaluate('{"size": 01}', DAY), InputError);
  assert.throws(() => policy.evaluate('[1]', DAY), { message: 'input error: expected a JSON object of facts, got [1]' });
  assert.equal(policy.evaluate('{"postcode": "a\\u00e9\\ud83d\\ude00\\n"}', DAY).decisions.postcode_out.value, 'aé😀\n');
});

test('text must be Unicode: a lone surrogate is refused, as the Rust host refuses "\\ud800"', () => {
  refused({ postcode: 'a\ud800' }, 'postcode', 'expected text (a string), got "a\\ud800"');
  refused({ status: '\udc00' }, 'status', 'expected one of employed, student, retired, got "\\udc00"');
  refused({ household: [{ ['\ud800']: 1 }] }, 'household[0]', 'an object (a list element)');
  assert.throws(() => policy.evaluate({ ['\ud800']: 1 }, DAY), /^InputError: input error: expected a JSON object of facts/);
  assert.throws(() => policy.evaluate('{"postcode": "\\ud800"}', DAY), { message: 'input error at postcode: expected text (a string), got "\\ud800"' });
  // undeclared, it is only ignored
  assert.deepEqual(policy.evaluate('{"other": "\\ud800"}', DAY).ignored, ['other']);
});

test('random values never throw anything but an InputError', () => {
  const pool = [
    null, undefined, true, false, 0, -1, 2.5, 1e300, -0, NaN, Infinity, 2 ** 63, 12n, -(2n ** 70n), '', 'x', '1.5', '-3',
    '2026-01-01', 'student', [], [{}], [1], {}, { age: 1 }, [{ age: 1, incomes: [{ amount: '1.00' }] }], new Date(0),
    () => 1, Symbol('s'), new Map(), Object.create(null),
  ];
  const names = ['resident', 'size', 'rate', 'income', 'born', 'postcode', 'status', 'household', 'other'];
  let seed = 42;
  const next = (n) => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  let decided = 0;
  for (let k = 0; k < 3000; k++) {
    const facts = {};
    for (let j = next(4); j > 0; j--) facts[names[next(names.length)]] = pool[next(pool.length)];
    try {
      policy.evaluate(facts, DAY);
      decided++;
    } catch (e) {
      if (e instanceof EvaluationError && /division by zero|overflow/.test(e.message)) continue;
      assert.ok(e instanceof InputError, `${e.stack} for ${String(Object.keys(facts))}`);
    }
  }
  assert.ok(decided > 100);
});

test('evaluation errors are EvaluationErrors with the Rust host message', () => {
  assert.throws(() => policy.evaluate({ income: '1', size: 0 }, DAY), (e) => {
    assert.ok(e instanceof EvaluationError);
    assert.equal(e.status, 2);
    assert.equal(e.message, 'evaluation error: division by zero in decision share (line 31)');
    return true;
  });
});

test('as_of: YYYY-MM-DD, a Date (its UTC day), or today', () => {
  assert.equal(policy.evaluate({}, '2024-02-29').as_of, '2024-02-29');
  assert.equal(policy.evaluate({}, new Date(Date.UTC(2025, 5, 1, 23, 59))).as_of, '2025-06-01');
  assert.equal(policy.evaluate({}).as_of, new Date().toISOString().slice(0, 10));
  assert.throws(() => policy.evaluate({}, '2025-02-29'), RangeError);
  assert.throws(() => policy.evaluate({}, '1/1/2025'), /is not a date: expected a real calendar date written YYYY-MM-DD/);
  assert.throws(() => policy.evaluate({}, 20250101), TypeError);
  assert.throws(() => policy.evaluate({}, new Date(NaN)), RangeError);
});

test('large facts grow the memory; facts beyond its 64 MiB are an evaluation error', () => {
  const household = Array.from({ length: 20000 }, (_, i) => ({ age: i, incomes: [{ amount: '1.01' }] }));
  assert.equal(value({ household, postcode: 'x'.repeat(100000) }, 'total'), '20200.00');
  assert.equal(value({ postcode: 'short' }, 'postcode_out'), 'short');
  assert.throws(() => policy.evaluate({ postcode: 'x'.repeat(65 * 2 ** 20) }, DAY), {
    name: 'EvaluationError',
    message: /^evaluation error: the record's facts need [0-9]+ bytes, more than the 67108864 bytes of memory an evaluation may use$/,
  });
  // and the policy still works afterwards
  assert.equal(value({ size: 2 }, 'size_out'), 2);
});

/** A module with nothing but a `rulebook.meta` custom section holding `meta`. */
function moduleWithMeta(meta) {
  const name = new TextEncoder().encode('rulebook.meta');
  const body = new TextEncoder().encode(meta);
  const leb = (n) => {
    const out = [];
    do {
      let b = n & 0x7f;
      n >>>= 7;
      if (n) b |= 0x80;
      out.push(b);
    } while (n);
    return out;
  };
  const payload = [...leb(name.length), ...name, ...body];
  return new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 0, ...leb(payload.length), ...payload]);
}

test('modules that are not Rulebook policies are refused with a LoadError', async () => {
  await assert.rejects(Policy.load(new Uint8Array([1, 2, 3])), { name: 'LoadError', message: /^the module is not valid WebAssembly: / });
  await assert.rejects(Policy.load(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0])), {
    name: 'LoadError',
    message: 'not a Rulebook policy module: it has no `rulebook.meta` section',
  });
  await assert.rejects(Policy.load(moduleWithMeta('{"abi_version": 2}')), {
    message: 'the module was built for ABI version 2, this host reads version 1: recompile the policy',
  });
  await assert.rejects(Policy.load(moduleWithMeta('{"abi_version": 1}')), {
    name: 'LoadError',
    message: /^not a Rulebook policy module: unreadable metadata: policy is not a string/,
  });
  await assert.rejects(Policy.load(moduleWithMeta('not json')), (e) => e instanceof LoadError);
  const meta = structuredClone(policy.meta);
  meta.decisions[0].offset = 100000;
  await assert.rejects(Policy.load(moduleWithMeta(JSON.stringify(meta))), { message: /decisions\[0\] lies outside the result record/ });
  const good = JSON.stringify(policy.meta);
  await assert.rejects(Policy.load(moduleWithMeta(good)), { message: /does not export `memory` and `evaluate`/ });
  await assert.rejects(Policy.load('not bytes'), TypeError);
});

test('a module loads from an ArrayBuffer and from a Uint8Array view', async () => {
  const rules = path.join(dir, 'tiny.rules');
  const wasm = path.join(dir, 'tiny.wasm');
  writeFileSync(rules, 'policy tiny\ninput { a: int }\ndecision b: int = a + 1\n');
  execFileSync(bin, ['compile', rules, '-o', wasm], { stdio: 'ignore' });
  const bytes = readFileSync(wasm);
  const copy = new ArrayBuffer(bytes.length + 3);
  new Uint8Array(copy).set(bytes, 3);
  for (const given of [copy.slice(3), new Uint8Array(copy, 3), new DataView(copy, 3)]) {
    const p = await Policy.load(given);
    assert.deepEqual(p.evaluate({ a: 1 }, DAY).decisions, { b: { value: 2 } });
  }
});
