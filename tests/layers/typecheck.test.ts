import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

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
wrong.run();
