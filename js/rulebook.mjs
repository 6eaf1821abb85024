// Rulebook for JavaScript: evaluates a policy module written by
// `rulebook compile` (docs/abi.md), in Node (18 or later) and in browsers.
// No dependencies: WebAssembly, BigInt, DataView and TextEncoder only.
//
//   import { Policy } from './rulebook.mjs';
//   const policy = await Policy.load(bytes);            // Uint8Array or ArrayBuffer
//   const out = policy.evaluate({ age: 70 }, '2026-01-01');
//
// `evaluate` gives the decisions object of docs/language.md section 17, with
// the same keys, order and value formats as `rulebook eval`. Facts are a
// plain object (or JSON text) as in docs/language.md section 16, checked like
// the Rust host checks them: a bad value throws an InputError naming the field
// path, the value and what was expected. Money and decimals are exact: they
// are read from their decimal text into BigInt scaled integers, never through
// floating point arithmetic.

const ABI_VERSION = 1;
const META_SECTION = 'rulebook.meta';
const PAGE = 65536;
/** The module's declared maximum memory (docs/abi.md): 64 MiB. */
const MAX_PAGES = 1024;

const STATUS_OK = 0;
const STATUS_OVERFLOW = 1;
const STATUS_DIVISION_BY_ZERO = 2;
const STATUS_PARAM_UNDEFINED = 3;
const STATUS_NO_CLAUSE = 4;

const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;
const SAFE_MAX = BigInt(Number.MAX_SAFE_INTEGER);
const MONEY_PLACES = 2;
const DECIMAL_PLACES = 6;
const DECIMAL_SCALE = 1000000n;

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

/** Every error this module throws on purpose. */
export class RulebookError extends Error {
  constructor(message, options) {
    super(message, options);
    this.name = 'RulebookError';
  }
}

/** The bytes are not a Rulebook policy module this host can run. */
export class LoadError extends RulebookError {
  constructor(message, options) {
    super(message, options);
    this.name = 'LoadError';
  }
}

/**
 * The facts do not fit the policy's inputs. `problems` lists each one
 * (`{path, value, expected, kind}`, kind `"value"` or `"given_twice"`);
 * `path` is the first problem's field path (`children[1].age`, or `""` when
 * the facts as a whole are not an object). The message is the Rust host's:
 * one `input error at PATH: expected WHAT, got VALUE` line per problem.
 */
export class InputError extends RulebookError {
  constructor(problems) {
    super(problems.map(renderProblem).join('\n'));
    this.name = 'InputError';
    this.problems = problems;
    this.path = problems.length > 0 ? problems[0].path : '';
  }
}

/**
 * The evaluation failed as a whole (overflow, division by zero, a param
 * with no value on the date, no `when` clause applies, or the facts do not
 * fit the module's memory). The message is the Rust host's.
 */
export class EvaluationError extends RulebookError {
  constructor(message, status = null, options) {
    super(message, options);
    this.name = 'EvaluationError';
    /** The result record's status (1 to 4), or null for a host-side failure. */
    this.status = status;
  }
}

function renderProblem(p) {
  if (p.kind === 'given_twice') {
    return `input error at ${p.path}: the field is given twice in one object (again as ${p.value}); give each field once`;
  }
  if (p.path === '') return `input error: expected ${p.expected}, got ${p.value}`;
  return `input error at ${p.path}: expected ${p.expected}, got ${p.value}`;
}

// ---------------------------------------------------------------------------
// Numbers and dates (the Rust host's parsing and formatting rules)
// ---------------------------------------------------------------------------

const ERR_EMPTY = 'empty';
const ERR_INVALID = 'invalid';
const ERR_EXPONENT = 'exponent';
const ERR_TOO_MANY_DECIMALS = 'too_many_decimals';
const ERR_NOT_INTEGER = 'not_integer';
const ERR_OVERFLOW = 'overflow';

const PLAIN_UNSIGNED = /^[0-9]+(?:\.[0-9]+)?$/;
const ALL_DIGITS = /^[0-9]+$/;

/** Why a text that is not a plain number was refused: an exponent, or not a number. */
function classifyBad(s) {
  const at = s.search(/[eE]/);
  if (at < 0) return ERR_INVALID;
  let mantissa = s.slice(0, at);
  let exponent = s.slice(at + 1);
  if (mantissa.startsWith('-')) mantissa = mantissa.slice(1);
  if (exponent.startsWith('+') || exponent.startsWith('-')) exponent = exponent.slice(1);
  return PLAIN_UNSIGNED.test(mantissa) && ALL_DIGITS.test(exponent) ? ERR_EXPONENT : ERR_INVALID;
}

/**
 * Reads `[-]digits[.digits]` as a BigInt times 10^places, within i64; else
 * one of the ERR_ strings.
 */
function parseScaled(s, places) {
  if (s === '') return ERR_EMPTY;
  const neg = s.startsWith('-');
  const body = neg ? s.slice(1) : s;
  if (body === '') return ERR_EMPTY;
  if (!PLAIN_UNSIGNED.test(body)) return classifyBad(s);
  const dot = body.indexOf('.');
  const whole = dot < 0 ? body : body.slice(0, dot);
  const frac = dot < 0 ? '' : body.slice(dot + 1);
  if (frac.length > places) return places === 0 ? ERR_NOT_INTEGER : ERR_TOO_MANY_DECIMALS;
  // more than 40 significant digits is far beyond i64 (and keeps BigInt cheap)
  if (whole.replace(/^0+/, '').length > 40) return ERR_OVERFLOW;
  let v = BigInt(whole) * 10n ** BigInt(places);
  if (frac !== '') v += BigInt(frac.padEnd(places, '0'));
  if (neg) v = -v;
  return v < I64_MIN || v > I64_MAX ? ERR_OVERFLOW : v;
}

function isLeap(y) {
  return y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
}

function daysInMonth(y, m) {
  switch (m) {
    case 1: case 3: case 5: case 7: case 8: case 10: case 12: return 31;
    case 4: case 6: case 9: case 11: return 30;
    case 2: return isLeap(y) ? 29 : 28;
    default: return 0;
  }
}

/** Days since 1970-01-01 of y-m-d (proleptic Gregorian), or null when no such day. */
function daysFromCivil(y, m, d) {
  if (m < 1 || m > 12 || d < 1 || d > daysInMonth(y, m)) return null;
  const yy = y - (m <= 2 ? 1 : 0);
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const mp = m > 2 ? m - 3 : m + 9;
  const doy = Math.floor((153 * mp + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** `YYYY-MM-DD`, exactly, that is a real calendar date: its day number, else null. */
function parseDate(s) {
  const m = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/.exec(s);
  if (m === null) return null;
  return daysFromCivil(Number(m[1]), Number(m[2]), Number(m[3]));
}

function formatDate(days) {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  const sign = y < 0 ? '-' : '';
  return `${sign}${String(Math.abs(y)).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

function formatMoney(pence) {
  const a = pence < 0n ? -pence : pence;
  return `${pence < 0n ? '-' : ''}${a / 100n}.${String(a % 100n).padStart(2, '0')}`;
}

function formatDecimal(scaled) {
  const a = scaled < 0n ? -scaled : scaled;
  const frac = a % DECIMAL_SCALE;
  let out = `${scaled < 0n ? '-' : ''}${a / DECIMAL_SCALE}`;
  if (frac !== 0n) out += `.${String(frac).padStart(DECIMAL_PLACES, '0').replace(/0+$/, '')}`;
  return out;
}

/** An i64 result as a JS number when exact, else as a BigInt. */
function intValue(v) {
  return v >= -SAFE_MAX && v <= SAFE_MAX ? Number(v) : v;
}

// ---------------------------------------------------------------------------
// Reading facts: JSON text (exact) and plain JS values, through one checker
// ---------------------------------------------------------------------------

// A "node" source gives, for a value, its kind descriptor and how it is
// shown in messages:
//   {k: 'null'} | {k: 'bool', v} | {k: 'num', v: text, inexact, whole}
//   | {k: 'str', v} | {k: 'arr', v: [item...]} | {k: 'obj', v: [[key, item]...]}
//   | {k: 'invalid'}

const WHITESPACE = /[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/;

/** A value's text as messages show it: whitespace runs collapsed when it spans lines, at most 60 characters. */
function shorten(text) {
  let s = text;
  if (/[\n\r\t]/.test(s)) s = s.split(WHITESPACE).filter((w) => w !== '').join(' ');
  const chars = Array.from(s);
  return chars.length > 60 ? `${chars.slice(0, 57).join('')}...` : s;
}

function isWellFormed(s) {
  if (typeof s.isWellFormed === 'function') return s.isWellFormed();
  return !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(s);
}

class JsonSyntaxError extends Error {}

/**
 * Parses JSON text keeping what JSON.parse loses: each number's exact text,
 * every key of an object in order (duplicates included), and each value's
 * place in the text (for messages). Iterative: any depth of nesting is read
 * (as the Rust host reads it) without deep recursion. A string with an
 * unpaired surrogate escape (`"\ud800"`), or an object with such a key, is
 * valid JSON but not Unicode text: its node's kind is 'invalid', so that it
 * is refused where a value is expected, as by the Rust host.
 */
function parseJsonText(text) {
  if (!isWellFormed(text)) throw new JsonSyntaxError('it is not valid Unicode text');
  let i = 0;
  const n = text.length;
  // serde_json's way of placing errors: just after the offending character
  // (a control character in a string, or the end of the text: just before)
  const fail = (what, before = false) => {
    const end = i < n && !before ? i + 1 : i;
    const read = text.slice(0, end);
    const line = (read.match(/\n/g) || []).length + 1;
    const column = end - (read.lastIndexOf('\n') + 1);
    throw new JsonSyntaxError(`${what} at line ${line} column ${column}`);
  };
  const ws = () => {
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
      else break;
    }
  };
  const hex4 = () => {
    const h = text.slice(i, i + 4);
    if (!/^[0-9a-fA-F]{4}$/.test(h)) {
      i = Math.min(i + 4, n);
      if (i === n) fail('EOF while parsing a string');
      i -= 1;
      fail('invalid escape');
    }
    i += 4;
    return parseInt(h, 16);
  };
  // a string at i: {v, bad} (bad: it has an unpaired surrogate escape)
  const string = () => {
    i++; // the opening quote
    let v = '';
    let bad = false;
    let run = i;
    for (;;) {
      if (i >= n) fail('EOF while parsing a string');
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        v += text.slice(run, i);
        i++;
        return { v, bad };
      }
      if (c < 0x20) fail('control character (\\u0000-\\u001F) found while parsing a string', true);
      if (c !== 0x5c) {
        i++;
        continue;
      }
      v += text.slice(run, i);
      i++;
      if (i >= n) fail('EOF while parsing a string');
      const e = text[i];
      i++;
      const simple = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' }[e];
      if (simple !== undefined) {
        v += simple;
      } else if (e === 'u') {
        const u = hex4();
        if (u >= 0xd800 && u <= 0xdbff && text.startsWith('\\u', i)) {
          i += 2;
          const low = hex4();
          if (low >= 0xdc00 && low <= 0xdfff) {
            v += String.fromCharCode(u, low);
          } else {
            bad = true;
            v += String.fromCharCode(u, low);
          }
        } else {
          if (u >= 0xd800 && u <= 0xdfff) bad = true;
          v += String.fromCharCode(u);
        }
      } else {
        i -= 1;
        fail('invalid escape');
      }
      run = i;
    }
  };
  const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
  // a value that is not an object or a list
  const scalar = () => {
    const s = i;
    const c = text[i];
    if (c === '"') {
      const { v, bad } = string();
      return bad ? { k: 'invalid', s, e: i } : { k: 'str', v, s, e: i };
    }
    for (const [word, node] of [['true', { k: 'bool', v: true }], ['false', { k: 'bool', v: false }], ['null', { k: 'null' }]]) {
      if (c === word[0]) {
        for (const ch of word) {
          if (i >= n) fail('EOF while parsing a value');
          if (text[i] !== ch) fail('expected ident');
          i++;
        }
        return { ...node, s, e: i };
      }
    }
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(text);
    if (m === null) {
      if (c === '-') {
        i++;
        fail(i >= n ? 'EOF while parsing a value' : 'invalid number');
      }
      return fail(i >= n ? 'EOF while parsing a value' : 'expected value');
    }
    i += m[0].length;
    // a number that cannot go on: `01`, `1.`, `1e`, `1e+` (serde_json's place: the first character that cannot)
    const next = text[i];
    const dot = next === '.' && !/[.eE]/.test(m[0]);
    const exp = (next === 'e' || next === 'E') && !/[eE]/.test(m[0]);
    if (/[0-9]/.test(next ?? '') || dot || exp) {
      if (dot) i++;
      if (exp) i += text[i + 1] === '+' || text[i + 1] === '-' ? 2 : 1;
      fail(i >= n ? 'EOF while parsing a value' : 'invalid number');
    }
    return { k: 'num', v: m[0], inexact: false, s, e: i };
  };
  // after `{` or `,` in an object: the next key and its colon
  const key = (obj) => {
    if (i >= n) fail('EOF while parsing an object');
    if (text[i] !== '"') fail('key must be a string');
    const k = string();
    if (k.bad) obj.badKey = true;
    ws();
    if (i >= n) fail('EOF while parsing an object');
    if (text[i] !== ':') fail('expected `:`');
    i++;
    ws();
    obj.pending = k.v;
  };
  const open = []; // the objects and lists being read, innermost last
  ws();
  for (;;) {
    // one value at i
    if (i >= n) fail('EOF while parsing a value');
    let node;
    const c = text[i];
    if (c === '{' || c === '[') {
      node = { k: c === '{' ? 'obj' : 'arr', v: [], s: i, e: -1, pending: null, badKey: false };
      i++;
      ws();
      if (text[i] === (c === '{' ? '}' : ']')) {
        i++;
        node.e = i;
      } else {
        open.push(node);
        if (c === '{') key(node);
        continue;
      }
    } else {
      node = scalar();
    }
    // the value is complete: add it to its container, closing containers as they end
    let more = false;
    while (open.length > 0) {
      const parent = open[open.length - 1];
      const obj = parent.k === 'obj';
      parent.v.push(obj ? [parent.pending, node] : node);
      ws();
      if (text[i] === ',') {
        i++;
        ws();
        if (obj) key(parent);
        more = true;
        break;
      }
      if (text[i] === (obj ? '}' : ']')) {
        i++;
        parent.e = i;
        open.pop();
        // an object with a key that is not Unicode text is not an object of facts
        if (parent.badKey) parent.k = 'invalid';
        node = parent;
        continue;
      }
      if (i >= n) fail(obj ? 'EOF while parsing an object' : 'EOF while parsing a list');
      fail(obj ? 'expected `,` or `}`' : 'expected `,` or `]`');
    }
    if (!more) {
      ws();
      if (i < n) fail('trailing characters');
      return node;
    }
  }
}

/** Nodes of parsed JSON text: shown as they were written. */
function jsonSource(text) {
  return {
    kind: (node) => node,
    show: (node) => shorten(text.slice(node.s, node.e)),
  };
}

function significantDigits(numberText) {
  const mantissa = numberText.replace(/^-/, '').split(/[eE]/)[0].replace('.', '');
  return mantissa.replace(/^0+/, '').length;
}

function isPlainObject(x) {
  if (x === null || typeof x !== 'object' || Array.isArray(x)) return false;
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

/** Plain JS values (a JSON.parse result, or an object built in code). */
const jsSource = {
  kind(x) {
    if (x === null || x === undefined) return { k: 'null' };
    switch (typeof x) {
      case 'boolean':
        return { k: 'bool', v: x };
      case 'number': {
        if (!Number.isFinite(x)) return { k: 'invalid' };
        const v = String(x);
        const whole = Number.isInteger(x);
        // A number beyond 2^53, or with more than 15 significant digits, may
        // not be the number that was written: it is refused, never rounded.
        const inexact = whole ? !Number.isSafeInteger(x) : significantDigits(v) > 15;
        return { k: 'num', v, inexact, whole };
      }
      case 'bigint':
        return { k: 'num', v: x.toString(), inexact: false, whole: true };
      case 'string':
        // a string with an unpaired surrogate is not Unicode text (the Rust
        // host refuses the JSON escape `"\ud800"` the same way)
        return isWellFormed(x) ? { k: 'str', v: x } : { k: 'invalid' };
      default:
        break;
    }
    if (Array.isArray(x)) {
      const items = [];
      for (let j = 0; j < x.length; j++) items.push(x[j]);
      return { k: 'arr', v: items };
    }
    if (isPlainObject(x)) {
      const entries = [];
      for (const key of Object.keys(x)) {
        if (!isWellFormed(key)) return { k: 'invalid' };
        const v = x[key];
        if (v !== undefined) entries.push([key, v]);
      }
      return { k: 'obj', v: entries };
    }
    return { k: 'invalid' };
  },
  show(x) {
    return shorten(showJs(x));
  },
};

function showJs(x) {
  if (typeof x === 'bigint' || typeof x === 'number' || x === undefined) return String(x);
  try {
    const marker = '\u0000bigint:';
    const s = JSON.stringify(x, (_, v) => (typeof v === 'bigint' ? `${marker}${v}` : v));
    if (s === undefined) return String(x);
    return s.replace(/"\\u0000bigint:(-?[0-9]+)"/g, '$1');
  } catch {
    return Object.prototype.toString.call(x);
  }
}

function renderPath(path) {
  if (path === null) return '';
  if (path.index !== undefined) return `${renderPath(path.parent)}[${path.index}]`;
  return path.parent === null ? path.name : `${renderPath(path.parent)}.${path.name}`;
}

/** The path of fact `name` at this place as `fact_paths` writes it (`children[].age`). */
function factPath(at, name) {
  const prefix = (p) => {
    if (p === null) return '';
    if (p.index !== undefined) return `${prefix(p.parent)}[]`;
    const before = prefix(p.parent);
    return before === '' ? p.name : `${before}.${p.name}`;
  };
  const before = prefix(at);
  return before === '' ? name : `${before}.${name}`;
}

function expectedWord(type) {
  switch (type.kind) {
    case 'bool': return 'bool (true or false)';
    case 'int': return 'int (a whole number)';
    case 'decimal': return 'decimal (a number or a string such as "0.55")';
    case 'money': return 'money (a number or a string such as "1200.50")';
    case 'date': return 'date (a string "YYYY-MM-DD")';
    case 'text': return 'text (a string)';
    case 'enum': return `one of ${type.variants.join(', ')}`;
    default: return 'a list (an array of objects)';
  }
}

function numberExpected(kind, example, err) {
  switch (err) {
    case ERR_TOO_MANY_DECIMALS:
      return `${kind} with at most ${kind === 'money' ? MONEY_PLACES : DECIMAL_PLACES} decimal places`;
    case ERR_OVERFLOW:
      return `${kind} of at most about ±${kind === 'money' ? '92,233,720,368,547,758.07' : '9,223,372,036,854.775807'}`;
    case ERR_EXPONENT:
      return `${kind} written out in full, without an exponent`;
    default:
      return `${kind} (a number or a string such as ${example})`;
  }
}

/** Checks one record's entries against a layout: its values (null when unknown). */
function checkRecord(layout, entries, at, cx) {
  const values = new Array(layout.fields.length).fill(null);
  const given = new Uint8Array(layout.fields.length);
  for (const [key, node] of entries) {
    const i = layout.byName.get(key);
    if (i === undefined) {
      // facts the policy does not declare are ignored, and noted
      const path = factPath(at, key);
      if (!cx.ignoredSet.has(path)) {
        cx.ignoredSet.add(path);
        cx.ignored.push(path);
      }
      continue;
    }
    const field = layout.fields[i];
    const path = { parent: at, name: field.name };
    if (given[i]) {
      // only JSON text can give a key twice: which one was meant is not guessed
      const rendered = renderPath(path);
      const reported = cx.problems.some((p) => p.kind === 'given_twice' && p.path === rendered);
      if (!reported) {
        cx.problems.push({ path: rendered, value: cx.src.show(node), expected: 'each field once', kind: 'given_twice' });
      }
      continue;
    }
    given[i] = 1;
    values[i] = checkValue(field.type, node, path, cx);
  }
  return values;
}

/**
 * One present value: a BigInt (bool, int, decimal, money, date, enum), a
 * Uint8Array (text, UTF-8), an array of records (list), or null (unknown,
 * or refused: then a problem is noted).
 */
function checkValue(type, node, path, cx) {
  const d = cx.src.kind(node);
  if (d.k === 'null') return null;
  const bad = (expected) => {
    cx.problems.push({ path: renderPath(path), value: cx.src.show(node), expected, kind: 'value' });
    return null;
  };
  switch (type.kind) {
    case 'bool':
      if (d.k === 'bool') return d.v ? 1n : 0n;
      break;
    case 'int':
      if (d.k === 'num') {
        if (d.inexact && d.whole) {
          return bad('int as a BigInt (a JavaScript number beyond ±9007199254740991 is not exact)');
        }
        const v = parseScaled(d.v, 0);
        if (typeof v === 'bigint') return v;
        return bad(v === ERR_OVERFLOW ? 'int (a whole number that fits in 64 bits)' : 'int (a whole number)');
      }
      break;
    case 'decimal':
    case 'money':
      if (d.k === 'num' || d.k === 'str') {
        const money = type.kind === 'money';
        const example = money ? '"1200.50"' : '"0.55"';
        if (d.inexact) {
          return bad(`${type.kind} as a string such as ${example} (a JavaScript number this large or this precise is not exact)`);
        }
        const v = parseScaled(d.v, money ? MONEY_PLACES : DECIMAL_PLACES);
        if (typeof v === 'bigint') return v;
        return bad(numberExpected(type.kind, example, v));
      }
      break;
    case 'date':
      if (d.k === 'str') {
        const days = parseDate(d.v);
        return days === null ? bad('date (a real calendar date "YYYY-MM-DD")') : BigInt(days);
      }
      break;
    case 'text':
      if (d.k === 'str') return cx.encoder.encode(d.v);
      break;
    case 'enum':
      if (d.k === 'str') {
        const i = type.variants.indexOf(d.v);
        return i < 0 ? bad(`one of ${type.variants.join(', ')}`) : BigInt(i);
      }
      break;
    case 'list':
      if (d.k === 'arr') {
        const records = [];
        d.v.forEach((item, j) => {
          const at = { parent: path, index: j };
          const e = cx.src.kind(item);
          if (e.k === 'obj') {
            records.push(checkRecord(type.element, e.v, at, cx));
          } else {
            cx.problems.push({ path: renderPath(at), value: cx.src.show(item), expected: 'an object (a list element)', kind: 'value' });
            records.push([]);
          }
        });
        return records;
      }
      break;
    default:
      break;
  }
  return bad(expectedWord(type));
}

// ---------------------------------------------------------------------------
// Metadata
// ---------------------------------------------------------------------------

function metaProblem(what) {
  return new LoadError(`not a Rulebook policy module: unreadable metadata: ${what}`);
}

function isCount(x) {
  return Number.isSafeInteger(x) && x >= 0;
}

function checkString(x, what, optional = false) {
  if (optional && (x === undefined || x === null)) return;
  if (typeof x !== 'string') throw metaProblem(`${what} is not a string`);
}

function checkCount(x, what) {
  if (!isCount(x)) throw metaProblem(`${what} is not a non-negative integer`);
}

function checkArray(x, what) {
  if (!Array.isArray(x)) throw metaProblem(`${what} is not a list`);
}

function checkType(type, what) {
  if (type === null || typeof type !== 'object') throw metaProblem(`${what} is not a type`);
  switch (type.kind) {
    case 'bool': case 'int': case 'decimal': case 'money': case 'date': case 'text':
      return;
    case 'enum':
      checkArray(type.variants, `${what}.variants`);
      type.variants.forEach((v, i) => checkString(v, `${what}.variants[${i}]`));
      return;
    case 'list':
      checkLayout(type.element, `${what}.element`);
      return;
    default:
      throw metaProblem(`${what} has an unknown kind ${JSON.stringify(type.kind)}`);
  }
}

/** Checks a record layout and adds `byName` (field name -> position). */
function checkLayout(layout, what) {
  if (layout === null || typeof layout !== 'object') throw metaProblem(`${what} is not a layout`);
  checkCount(layout.size, `${what}.size`);
  checkCount(layout.presence_words, `${what}.presence_words`);
  checkArray(layout.fields, `${what}.fields`);
  if (layout.fields.length > layout.presence_words * 64 || layout.presence_words * 8 > layout.size) {
    throw metaProblem(`${what} has too few presence words`);
  }
  const byName = new Map();
  layout.fields.forEach((f, i) => {
    const at = `${what}.fields[${i}]`;
    if (f === null || typeof f !== 'object') throw metaProblem(`${at} is not a field`);
    checkString(f.name, `${at}.name`);
    checkCount(f.fact, `${at}.fact`);
    checkCount(f.offset, `${at}.offset`);
    if (f.offset + 8 > layout.size) throw metaProblem(`${at}.offset is outside the record`);
    checkType(f.type, `${at}.type`);
    if (!byName.has(f.name)) byName.set(f.name, i);
  });
  Object.defineProperty(layout, 'byName', { value: byName, enumerable: false });
}

function checkMeta(meta) {
  if (meta === null || typeof meta !== 'object' || Array.isArray(meta)) throw metaProblem('it is not a JSON object');
  if (meta.abi_version !== ABI_VERSION) {
    if (isCount(meta.abi_version)) {
      throw new LoadError(
        `the module was built for ABI version ${meta.abi_version}, this host reads version ${ABI_VERSION}: recompile the policy`,
      );
    }
    throw metaProblem('abi_version is not a number');
  }
  checkString(meta.policy, 'policy');
  checkString(meta.title, 'title', true);
  checkString(meta.version, 'version', true);
  checkString(meta.hash, 'hash');
  checkCount(meta.heap_base, 'heap_base');
  checkLayout(meta.input, 'input');
  checkArray(meta.fact_paths, 'fact_paths');
  meta.fact_paths.forEach((p, i) => checkString(p, `fact_paths[${i}]`));
  checkCount(meta.missing_words, 'missing_words');
  checkCount(meta.result_size, 'result_size');
  if (meta.result_size < 8) throw metaProblem('result_size is smaller than a status and detail');
  checkArray(meta.decisions, 'decisions');
  meta.decisions.forEach((d, i) => {
    const at = `decisions[${i}]`;
    if (d === null || typeof d !== 'object') throw metaProblem(`${at} is not a decision`);
    checkString(d.name, `${at}.name`);
    checkType(d.type, `${at}.type`);
    if (d.type.kind === 'list') throw metaProblem(`${at}.type is a list`);
    if (!['expr', 'requires', 'whens'].includes(d.kind)) throw metaProblem(`${at}.kind is unknown`);
    checkCount(d.offset, `${at}.offset`);
    checkCount(d.reason_words, `${at}.reason_words`);
    if (d.offset + 16 + 8 * (meta.missing_words + d.reason_words) > meta.result_size) {
      throw metaProblem(`${at} lies outside the result record`);
    }
    checkArray(d.clauses, `${at}.clauses`);
    d.clauses.forEach((c, j) => {
      const cat = `${at}.clauses[${j}]`;
      if (c === null || typeof c !== 'object') throw metaProblem(`${cat} is not a clause`);
      checkCount(c.line, `${cat}.line`);
      checkString(c.because, `${cat}.because`, true);
      checkString(c.source, `${cat}.source`, true);
      checkString(c.text, `${cat}.text`);
    });
  });
  checkArray(meta.params, 'params');
  meta.params.forEach((p, i) => {
    checkString(p?.name, `params[${i}].name`);
    checkString(p.first_from, `params[${i}].first_from`, true);
  });
  checkArray(meta.sites, 'sites');
  meta.sites.forEach((s, i) => {
    checkString(s?.context, `sites[${i}].context`);
    checkCount(s.line, `sites[${i}].line`);
  });
}

function deepFreeze(x) {
  if (x !== null && typeof x === 'object' && !Object.isFrozen(x)) {
    Object.freeze(x);
    for (const v of Object.values(x)) deepFreeze(v);
  }
  return x;
}

// ---------------------------------------------------------------------------
// Writing fact records (docs/abi.md, "Fact records")
// ---------------------------------------------------------------------------

/** Bytes that the texts and list elements of one record may need after the records. */
function extraSize(layout, values) {
  let bytes = 0;
  layout.fields.forEach((field, i) => {
    const v = values[i];
    if (v instanceof Uint8Array) {
      bytes += v.length;
    } else if (Array.isArray(v)) {
      const element = field.type.element;
      bytes += 7 + v.length * element.size;
      for (const item of v) bytes += extraSize(element, item);
    }
  });
  return bytes;
}

const align8 = (n) => Math.ceil(n / 8) * 8;
const packed = (ptr, len) => BigInt(ptr) | (BigInt(len) << 32n);

/** Writes one record at `at`, its texts and list elements from `heap`; returns the new heap end. */
function writeRecord(view, bytes, at, layout, values, heapStart) {
  let heap = heapStart;
  bytes.fill(0, at, at + layout.size);
  const words = new Array(layout.presence_words).fill(0n);
  layout.fields.forEach((field, i) => {
    const v = values[i];
    if (v === null || v === undefined) return;
    words[i >> 6] |= 1n << BigInt(i & 63);
    let slot;
    if (typeof v === 'bigint') {
      slot = v;
    } else if (v instanceof Uint8Array) {
      bytes.set(v, heap);
      slot = packed(heap, v.length);
      heap += v.length;
    } else {
      const element = field.type.element;
      const start = align8(heap);
      heap = start + v.length * element.size;
      v.forEach((item, j) => {
        heap = writeRecord(view, bytes, start + j * element.size, element, item, heap);
      });
      slot = packed(start, v.length);
    }
    view.setBigInt64(at + field.offset, slot, true);
  });
  words.forEach((w, k) => view.setBigUint64(at + 8 * k, w, true));
  return heap;
}

// ---------------------------------------------------------------------------
// The policy
// ---------------------------------------------------------------------------

function toBytes(bytes) {
  if (bytes instanceof Uint8Array) return bytes;
  if (bytes instanceof ArrayBuffer) return new Uint8Array(bytes);
  if (ArrayBuffer.isView(bytes)) return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  throw new TypeError('Policy.load expects the module as a Uint8Array or an ArrayBuffer');
}

/** The evaluation date as days since 1970-01-01: a `YYYY-MM-DD` string, a Date (its UTC day), or today (UTC). */
function asOfDays(asOf) {
  if (asOf === undefined) return Math.floor(Date.now() / 86400000);
  if (asOf instanceof Date) {
    const t = asOf.getTime();
    if (Number.isNaN(t)) throw new RangeError('as_of is an invalid Date');
    return Math.floor(t / 86400000);
  }
  if (typeof asOf !== 'string') {
    throw new TypeError('as_of must be a string YYYY-MM-DD, a Date, or left out for today');
  }
  const days = parseDate(asOf);
  if (days === null) {
    throw new RangeError(`\`${Array.from(asOf).slice(0, 40).join('')}\` is not a date: expected a real calendar date written YYYY-MM-DD`);
  }
  return days;
}

/** A compiled Rulebook policy module, instantiated and ready to evaluate facts. */
export class Policy {
  #meta;
  #memory;
  #evaluate;
  #encoder = new TextEncoder();
  #decoder = new TextDecoder('utf-8', { fatal: true });

  /** Use `await Policy.load(bytes)`. */
  constructor(meta, instance) {
    this.#meta = meta;
    this.#memory = instance.exports.memory;
    this.#evaluate = instance.exports.evaluate;
  }

  /**
   * Loads a module written by `rulebook compile` (a Uint8Array, an
   * ArrayBuffer or another view of its bytes): checks that it is a Rulebook
   * policy module of ABI version 1 with readable metadata, and instantiates it
   * (with no imports: it has none).
   */
  static async load(bytes) {
    const data = toBytes(bytes);
    let module;
    try {
      module = await WebAssembly.compile(data);
    } catch (e) {
      throw new LoadError(`the module is not valid WebAssembly: ${e.message}`, { cause: e });
    }
    const sections = WebAssembly.Module.customSections(module, META_SECTION);
    if (sections.length === 0) {
      throw new LoadError(`not a Rulebook policy module: it has no \`${META_SECTION}\` section`);
    }
    if (sections.length > 1) {
      throw new LoadError(`not a Rulebook policy module: it has more than one \`${META_SECTION}\` section`);
    }
    let meta;
    try {
      meta = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(sections[0]));
    } catch (e) {
      throw metaProblem(e.message);
    }
    checkMeta(meta);
    const imports = WebAssembly.Module.imports(module);
    if (imports.length > 0) {
      throw new LoadError(`not a Rulebook policy module: it imports ${imports.map((m) => `${m.module}.${m.name}`).join(', ')}`);
    }
    const exports = new Map(WebAssembly.Module.exports(module).map((e) => [e.name, e.kind]));
    if (exports.get('memory') !== 'memory' || exports.get('evaluate') !== 'function') {
      throw new LoadError('not a Rulebook policy module: it does not export `memory` and `evaluate`');
    }
    let instance;
    try {
      instance = await WebAssembly.instantiate(module, {});
    } catch (e) {
      throw new LoadError(`the module could not be made ready to run: ${e.message}`, { cause: e });
    }
    return new Policy(deepFreeze(meta), instance);
  }

  /** The policy's name (`policy NAME` in the rule file). */
  get name() {
    return this.#meta.policy;
  }

  /** The `title` of the rule file, or null. */
  get title() {
    return this.#meta.title ?? null;
  }

  /** The `version` of the rule file, or null. */
  get version() {
    return this.#meta.version ?? null;
  }

  /** SHA-256 (hex) of the rule file the module was compiled from, as its metadata says. */
  get hash() {
    return this.#meta.hash;
  }

  /** The decision names, in source order. */
  get decisions() {
    return this.#meta.decisions.map((d) => d.name);
  }

  /** The module's metadata (docs/abi.md, "Metadata"), frozen. */
  get meta() {
    return this.#meta;
  }

  /**
   * Evaluates one set of facts on `asOf` (`"YYYY-MM-DD"`, a Date, or today
   * when left out) and returns the decisions object of docs/language.md
   * section 17, as `rulebook eval` prints it. `facts` is a plain object, or
   * JSON text (read exactly: numbers keep every digit, a key given twice is
   * refused). An int outside ±(2^53 - 1) comes out as a BigInt.
   *
   * Throws InputError (bad facts), EvaluationError (the evaluation failed),
   * TypeError or RangeError (a bad `asOf`).
   */
  evaluate(facts, asOf) {
    const day = asOfDays(asOf);
    const meta = this.#meta;
    const cx = {
      src: jsSource,
      problems: [],
      ignored: [],
      ignoredSet: new Set(),
      encoder: this.#encoder,
    };
    let root = facts;
    if (typeof facts === 'string') {
      try {
        root = parseJsonText(facts);
      } catch (e) {
        if (!(e instanceof JsonSyntaxError)) throw e;
        throw new InputError([{
          path: '',
          value: `text that is not valid JSON (${e.message})`,
          expected: 'a JSON object of facts',
          kind: 'value',
        }]);
      }
      cx.src = jsonSource(facts);
    }
    const top = cx.src.kind(root);
    if (top.k !== 'obj') {
      throw new InputError([{ path: '', value: cx.src.show(root), expected: 'a JSON object of facts', kind: 'value' }]);
    }
    const values = checkRecord(meta.input, top.v, null, cx);
    if (cx.problems.length > 0) throw new InputError(cx.problems);
    return this.#run(values, day, cx.ignored);
  }

  /**
   * Like `evaluate`, but returns the decisions as compact JSON text: the
   * exact text `rulebook eval --compact` prints (ints of any size as written).
   */
  evaluateJson(facts, asOf) {
    return toJson(this.evaluate(facts, asOf));
  }

  #run(values, day, ignored) {
    const meta = this.#meta;
    const records = meta.heap_base;
    const results = align8(records + meta.input.size);
    const extra = results + meta.result_size;
    const needed = extra + extraSize(meta.input, values);
    const limit = MAX_PAGES * PAGE;
    const have = this.#memory.buffer.byteLength;
    if (needed > have) {
      const tooLarge = () => new EvaluationError(
        `evaluation error: the record's facts need ${needed} bytes, more than the ${limit} bytes of memory an evaluation may use`,
      );
      if (needed > limit) throw tooLarge();
      try {
        this.#memory.grow(Math.ceil((needed - have) / PAGE));
      } catch {
        throw tooLarge();
      }
    }
    const buffer = this.#memory.buffer;
    writeRecord(new DataView(buffer), new Uint8Array(buffer), records, meta.input, values, extra);
    let ret;
    try {
      ret = this.#evaluate(records, 1, results, day);
    } catch (e) {
      throw new EvaluationError(`evaluation error: the policy module failed: ${e.message}`, null, { cause: e });
    }
    if (ret !== 0) {
      throw new EvaluationError(`evaluation error: the policy module failed: evaluate returned ${ret}`);
    }
    return this.#report(results, day, ignored);
  }

  /** The decisions object of the result record at `at`. */
  #report(at, day, ignored) {
    const meta = this.#meta;
    const buffer = this.#memory.buffer;
    if (at + meta.result_size > buffer.byteLength) {
      throw new EvaluationError('evaluation error: the policy module failed: no result');
    }
    const view = new DataView(buffer);
    const status = view.getInt32(at, true);
    const detail = view.getInt32(at + 4, true);
    const asOf = formatDate(day);
    if (status !== STATUS_OK) throw statusError(meta, status, detail, asOf);

    const bits = (from, words) => {
      const out = [];
      for (let w = 0; w < words; w++) {
        let word = view.getBigUint64(from + 8 * w, true);
        for (let b = 0; word !== 0n; b++, word >>= 1n) {
          if (word & 1n) out.push(w * 64 + b);
        }
      }
      return out;
    };
    const paths = (facts) => facts.filter((f) => f < meta.fact_paths.length).map((f) => meta.fact_paths[f]);
    const allMissing = new Set();
    const decisions = {};
    for (const d of meta.decisions) {
      const block = at + d.offset;
      const missing = bits(block + 16, meta.missing_words);
      let out;
      if (missing.length > 0) {
        for (const f of missing) allMissing.add(f);
        out = { value: null, missing: paths(missing) };
      } else {
        out = { value: this.#value(d.type, view, block) };
        if (d.kind === 'requires') {
          const reasons = bits(block + 16 + 8 * meta.missing_words, d.reason_words);
          if (reasons.length > 0) {
            out.reasons = reasons
              .filter((i) => i < d.clauses.length)
              .map((i) => {
                const c = d.clauses[i];
                const reason = { because: c.because ?? c.text };
                if (c.source != null) reason.source = c.source;
                reason.line = c.line;
                return reason;
              });
          }
        } else if (d.kind === 'whens') {
          const aux = view.getBigUint64(block + 8, true);
          if (aux < BigInt(d.clauses.length)) {
            const c = d.clauses[Number(aux)];
            out.line = c.line;
            if (c.because != null) out.because = c.because;
            if (c.source != null) out.source = c.source;
          }
        }
      }
      // defineProperty: a decision may be called anything, `__proto__` too
      Object.defineProperty(decisions, d.name, { value: out, enumerable: true, writable: true, configurable: true });
    }
    const output = {
      policy: meta.policy,
      version: meta.version ?? null,
      hash: meta.hash,
      as_of: asOf,
      decisions,
      missing: paths([...allMissing].sort((a, b) => a - b)),
    };
    if (ignored.length > 0) output.ignored = ignored;
    return output;
  }

  /** A known decision value, formatted by its declared type. */
  #value(type, view, at) {
    switch (type.kind) {
      case 'bool':
        return view.getBigInt64(at, true) !== 0n;
      case 'text': {
        const ptr = view.getUint32(at, true);
        const len = view.getUint32(at + 4, true);
        if (ptr + len > view.byteLength) {
          throw new EvaluationError('evaluation error: the policy module failed: the module wrote a result outside its memory');
        }
        try {
          return this.#decoder.decode(new Uint8Array(view.buffer, ptr, len));
        } catch {
          throw new EvaluationError('evaluation error: the policy module failed: a text result is not UTF-8');
        }
      }
      case 'money':
        return formatMoney(view.getBigInt64(at, true));
      case 'decimal':
        return formatDecimal(view.getBigInt64(at, true));
      case 'date': {
        const v = view.getBigInt64(at, true);
        // a date is an i32 day count
        return formatDate(v >= -(2n ** 31n) && v < 2n ** 31n ? Number(v) : 0);
      }
      case 'enum': {
        const v = view.getBigInt64(at, true);
        return v >= 0n && v < BigInt(type.variants.length) ? type.variants[Number(v)] : '';
      }
      default:
        return intValue(view.getBigInt64(at, true));
    }
  }
}

function statusError(meta, status, detail, asOf) {
  const site = meta.sites[detail] ?? { context: '?', line: 0 };
  switch (status) {
    case STATUS_OVERFLOW:
      return new EvaluationError(`evaluation error: overflow in ${site.context} (line ${site.line})`, status);
    case STATUS_DIVISION_BY_ZERO:
      return new EvaluationError(`evaluation error: division by zero in ${site.context} (line ${site.line})`, status);
    case STATUS_PARAM_UNDEFINED: {
      const p = meta.params[detail];
      return new EvaluationError(
        `evaluation error: param ${p?.name ?? ''} has no value on ${asOf} (its first \`from\` is ${p?.first_from ?? ''})`,
        status,
      );
    }
    case STATUS_NO_CLAUSE:
      return new EvaluationError(
        `evaluation error: no clause of decision ${meta.decisions[detail]?.name ?? ''} applies on ${asOf}`,
        status,
      );
    default:
      return new EvaluationError(`evaluation error: the policy module failed: unknown status ${status}`, status);
  }
}

/**
 * A decisions object (or any JSON-like value) as compact JSON text, BigInts
 * written as plain integers: for an output of `evaluate`, the text
 * `rulebook eval --compact` prints.
 */
export function toJson(value) {
  if (value === null || value === undefined) return 'null';
  switch (typeof value) {
    case 'bigint':
      return value.toString();
    case 'number':
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    default:
      break;
  }
  if (Array.isArray(value)) return `[${value.map(toJson).join(',')}]`;
  const parts = [];
  for (const key of Object.keys(value)) {
    if (value[key] !== undefined) parts.push(`${JSON.stringify(key)}:${toJson(value[key])}`);
  }
  return `{${parts.join(',')}}`;
}
