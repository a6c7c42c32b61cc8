import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { fileURLToPath } from 'node:url';
import { checkLayers, formatViolation, type LayerViolation } from './check-layers.ts';

const fixtures = fileURLToPath(new URL('./fixtures', import.meta.url));

const tree = suite('layer rules on the real tree');

tree('no import breaks a layer rule (npm run check:layers)', async () => {
  const report = await checkLayers();
  assert.ok(report.modules > 100, `only ${report.modules} modules cruised: the check is not reading the tree`);
  assert.equal(report.violations.map(formatViolation), []);
});

const wrong = suite('layer rules catch deliberately wrong imports (tests/layers/fixtures)');

/** Each wrong import of the fixture tree, by the rule that must name it (see fixtures/README.md). */
const EXPECTED: { rule: string; from: string; to: RegExp }[] = [
  { rule: 'crypto-imports-no-other-layer', from: 'crypto/uses-signaling.ts', to: /^signaling\/server\.ts$/ },
  { rule: 'browser-safe-imports-browser-safe-only', from: 'crypto/uses-signaling.ts', to: /^signaling\/server\.ts$/ },
  { rule: 'crypto-npm-only-libsodium', from: 'crypto/uses-ethers.ts', to: /node_modules\/ethers\// },
  { rule: 'browser-no-node-builtins', from: 'crypto/uses-node-crypto.ts', to: /^crypto$/ },
  { rule: 'client-never-reaches-node-builtins', from: 'client/pages/home.ts', to: /^fs$/ },
  { rule: 'client-never-reaches-node-builtins', from: 'client/lib/files.ts', to: /^fs$/ },
  { rule: 'browser-no-node-builtins', from: 'client/lib/files.ts', to: /^fs$/ },
  { rule: 'client-imports-browser-safe-modules-only', from: 'client/pages/studio.ts', to: /^signaling\/server\.ts$/ },
  { rule: 'browser-no-node-only-packages', from: 'client/lib/live-socket.ts', to: /node_modules\/socket\.io\// },
  { rule: 'contracts-imports-only-crypto', from: 'contracts/uses-signaling.ts', to: /^signaling\/server\.ts$/ },
  { rule: 'sfu-imports-no-platform-layer', from: 'sfu/engine.ts', to: /^signaling\/server\.ts$/ },
  { rule: 'sfu-crypto-only-platform-error', from: 'sfu/engine.ts', to: /^crypto\/sodium\.ts$/ },
  { rule: 'browser-safe-imports-browser-safe-only', from: 'signaling/protocol.ts', to: /^contracts\/channel-store\.ts$/ },
  { rule: 'no-cycles', from: 'signaling/presence.ts', to: /^signaling\/rooms\.ts$/ },
];

const matches = (v: LayerViolation, e: (typeof EXPECTED)[number]) => v.rule === e.rule && v.from === e.from && e.to.test(v.to);

let found: LayerViolation[] = [];
wrong.before(async () => {
  found = (await checkLayers(fixtures)).violations;
});

wrong('each wrong import is caught by the rule named for it', () => {
  for (const e of EXPECTED) {
    assert.ok(found.some((v) => matches(v, e)), `${e.rule} did not catch ${e.from} -> ${e.to}; found:\n${found.map(formatViolation).join('\n')}`);
  }
});

wrong('the client file is named even when a helper does the node: import', () => {
  const reach = found.find((v) => v.rule === 'client-never-reaches-node-builtins' && v.from === 'client/pages/home.ts');
  assert.equal(reach?.via, ['client/lib/files.ts', 'fs']);
});

wrong('allowed imports are not flagged (the fixture files that follow the rules stay clean)', () => {
  const unexpected = found.filter((v) => !EXPECTED.some((e) => matches(v, e)));
  assert.equal(unexpected.map(formatViolation), []);
  const clean = ['client/pages/directory.ts', 'crypto/sodium.ts', 'crypto/errors.ts', 'contracts/voucher.ts', 'signaling/server.ts', 'sfu/errors.ts'];
  for (const file of clean) assert.not.ok(found.some((v) => v.from === file), `${file} follows the rules`);
});

tree.run();
wrong.run();
