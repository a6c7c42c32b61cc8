import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';

const root = fileURLToPath(new URL('../..', import.meta.url));
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

/** Runs tsc on one project; returns its exit status and its diagnostics, one per line. */
function typecheck(project: string): { status: number | null; errors: string[] } {
  const run = spawnSync(process.execPath, [tsc, '-p', project, '--pretty', 'false'], { cwd: root, encoding: 'utf8', timeout: 240_000 });
  const errors = `${run.stdout}${run.stderr}`.split('\n').filter((l) => /error TS\d+/.test(l));
  return { status: run.status, errors };
}

const tree = suite('npm run typecheck: each project compiles');

for (const [project, what] of [
  ['tsconfig.browser.json', 'browser code (client/ and the browser-safe shared modules) with the DOM, without Node types'],
  ['tsconfig.server.json', 'server code (crypto, contracts, signaling, sfu) with Node types, without the DOM'],
  ['tsconfig.json', 'everything with both, as the tests need'],
] as const) {
  tree(`${project}: ${what}`, () => {
    const { status, errors } = typecheck(project);
    assert.equal(errors, []);
    assert.is(status, 0);
  });
}

const lists = suite('one list of browser-safe modules');

/** Our .ts files under `dir`, relative to the root. */
function tsFiles(dir: string): string[] {
  return readdirSync(join(root, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => relative(root, join(e.parentPath, e.name)))
    .filter((f) => !f.startsWith('contracts/artifacts/'));
}

lists('tsconfig.browser.json checks exactly the shared modules that .dependency-cruiser.cjs lets the client import', async () => {
  const options = await extractDepcruiseOptions(join(root, '.dependency-cruiser.cjs'));
  const rule = options.ruleSet?.forbidden?.find((r) => r.name === 'browser-safe-imports-browser-safe-only');
  const patterns = [rule?.from.path ?? []].flat().map((p) => new RegExp(p));
  assert.ok(patterns.length > 0, 'the rule lists the browser-safe modules');
  const fromRules = ['crypto', 'contracts', 'signaling', 'sfu'].flatMap(tsFiles).filter((f) => patterns.some((p) => p.test(f))).sort();
  const config = ts.getParsedCommandLineOfConfigFile(join(root, 'tsconfig.browser.json'), {}, {
    ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => assert.unreachable(String(d.messageText)),
  });
  const fromProject = (config?.fileNames ?? []).map((f) => relative(root, f)).filter((f) => !f.startsWith('client/')).sort();
  assert.ok(fromRules.length > 0);
  assert.equal(fromProject, fromRules);
});

const wrong = suite('the layer projects refuse the other environment (tests/layers/fixtures/typecheck)');

wrong('browser code cannot use node:fs, Buffer or process, even importing ethers (which references Node types)', () => {
  const { status, errors } = typecheck('tests/layers/fixtures/typecheck/tsconfig.browser.json');
  assert.is.not(status, 0);
  assert.ok(errors.some((e) => e.includes("TS2307: Cannot find module 'node:fs'")), errors.join('\n'));
  assert.ok(errors.some((e) => e.includes("Cannot find name 'Buffer'")), errors.join('\n'));
  assert.ok(errors.some((e) => e.includes("Cannot find name 'process'")), errors.join('\n'));
  assert.not.ok(errors.some((e) => e.includes('ethers')), 'importing ethers itself is fine in the browser');
});

wrong('server code cannot use document or RTCPeerConnection', () => {
  const { status, errors } = typecheck('tests/layers/fixtures/typecheck/tsconfig.server.json');
  assert.is.not(status, 0);
  assert.ok(errors.some((e) => e.includes("Cannot find name 'document'")), errors.join('\n'));
  assert.ok(errors.some((e) => e.includes("Cannot find name 'RTCPeerConnection'")), errors.join('\n'));
});

tree.run();
lists.run();
wrong.run();
