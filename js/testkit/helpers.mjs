// Shared by the tests in js/test/: the `rulebook` binary (compile, eval),
// the test files' cases, and a small pool for running many processes.
// (Kept outside js/test/ so that `node --test js/test/` does not run it as a test file.)

import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Policy } from '../rulebook.mjs';

/** The repository's root. */
export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * The `rulebook` binary: $RULEBOOK_BIN, else target/debug/rulebook in the
 * repository (built by `cargo build` or `cargo test`).
 */
export function rulebookBin() {
  const bin = process.env.RULEBOOK_BIN
    ? path.resolve(process.env.RULEBOOK_BIN)
    : path.join(root, 'target', 'debug', 'rulebook');
  if (!existsSync(bin)) {
    throw new Error(
      `the rulebook binary is not at ${bin}: build it with \`cargo build\` (it writes target/debug/rulebook) ` +
        'or set RULEBOOK_BIN to its path',
    );
  }
  return bin;
}

/** A fresh temporary folder, removed when the process exits. */
export function tempDir() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'rulebook-js-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Runs `bin args`, writing `input` to its stdin: {code, stdout, stderr}. */
export function run(bin, args, input = '') {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out = [];
    const err = [];
    child.stdout.on('data', (b) => out.push(b));
    child.stderr.on('data', (b) => err.push(b));
    child.on('error', reject);
    child.on('close', (code) => {
      resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
    child.stdin.on('error', () => {}); // a process that exits without reading its input
    child.stdin.end(input);
  });
}

/** Runs the tasks (functions giving promises), a few at a time; their results in order. */
export async function pool(tasks, width = Math.max(1, Math.min(4, os.availableParallelism?.() ?? os.cpus().length))) {
  const results = new Array(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await tasks[i]();
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, tasks.length) }, worker));
  return results;
}

/** Compiles a rule file with the binary and loads the module with the JS host. */
export async function compileAndLoad(bin, rulesPath, dir) {
  const wasm = path.join(dir, `${path.basename(rulesPath, '.rules')}-${Math.random().toString(36).slice(2)}.wasm`);
  execFileSync(bin, ['compile', rulesPath, '-o', wasm], { stdio: ['ignore', 'ignore', 'pipe'] });
  return Policy.load(readFileSync(wasm));
}

/** Writes policy text to DIR/NAME.rules and loads its compiled module: {rules, policy}. */
export async function policyFromSource(bin, name, source, dir) {
  const rules = path.join(dir, `${name}.rules`);
  writeFileSync(rules, source);
  return { rules, policy: await compileAndLoad(bin, rules, dir) };
}

/** The cases of test files, read by js/testkit/cases.py (PyYAML). */
export function readCases(files) {
  const script = path.join(root, 'js', 'testkit', 'cases.py');
  let text;
  try {
    text = execFileSync('python3', [script, ...files], { encoding: 'utf8', maxBuffer: 64 << 20 });
  } catch (e) {
    throw new Error(`reading the test files failed (python3 with PyYAML is needed: apt-get install python3-yaml): ${e.stderr || e.message}`);
  }
  return JSON.parse(text);
}

/** `rulebook eval`'s error message: its stderr without the `warning:` lines. */
export function cliError(stderr) {
  return stderr
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('warning: '))
    .join('\n');
}

/** Today (UTC) as YYYY-MM-DD, as the CLI's default. */
export function today() {
  return new Date().toISOString().slice(0, 10);
}
