/**
 * The layer rules of DESIGN.md as a check (`npm run check:layers`, also run by `npm test` through
 * tests/layers/layers.test.ts):
 *
 *   crypto <- contracts <- signaling -> sfu;   client -> browser-safe modules only
 *
 * Paths are relative to the folder cruised from (the repo root, or a fixture tree in the tests). tests/ are
 * exempt: a test may import any layer. client/vite.config.ts is build tooling run by Node, not browser code.
 *
 * Run by tests/layers/check-layers.ts through dependency-cruiser's `cruise()` API (17.x, the last line that
 * supports Node 20), which formats each violation as `rule: from -> to`; the same rules also run as
 * `npx depcruise -c .dependency-cruiser.cjs crypto contracts signaling sfu client tests`.
 */
const { builtinModules } = require('node:module');

/** Node's built-in modules, as dependency-cruiser names them (`node:fs` resolves to `fs`). */
const NODE_BUILTIN = `^(node:)?(${builtinModules.map((m) => m.replace(/[/]/g, '\\/')).join('|')})$`;

/**
 * The shared modules the browser may import, listed one by one: each has no `node:` import and imports only
 * other browser-safe modules (rule browser-safe-imports-browser-safe-only). A new shared file is server-only
 * until someone adds it here on purpose.
 */
const BROWSER_SAFE_SHARED = [
  '^crypto/',
  '^signaling/protocol\\.ts$',
  '^contracts/abi\\.ts$',
  '^contracts/client\\.ts$',
  '^contracts/errors\\.ts$',
  '^contracts/metering\\.ts$',
  '^contracts/rating\\.ts$',
  '^contracts/rating-ledger\\.ts$',
  // Text, bundled by the rating page as `?raw`.
  '^contracts/RATING\\.md$',
  '^contracts/voucher\\.ts$',
  '^contracts/wallet-binding\\.ts$',
];

/** Browser code: everything under client/ except its build config. */
const CLIENT = '^client/';
const CLIENT_NOT = '^client/vite\\.config\\.ts$';

/** npm packages that only run in Node (servers, native addons, the dev chain, test tooling). */
const NODE_ONLY_PACKAGES = [
  'express', 'socket\\.io', '@socket\\.io/redis-adapter', 'redis', 'pino', 'prom-client', 'rate-limiter-flexible',
  'werift', 'secp256k1', '@nomicfoundation/edr', 'solc', 'tsx', 'vite', 'playwright-core', 'uvu', 'fast-check',
  'dependency-cruiser', 'typescript',
];
const NODE_ONLY_PACKAGE = `node_modules/(${NODE_ONLY_PACKAGES.join('|')})/`;

/**
 * Cycles that were in the tree when the check came, exempt by the files in them (a new cycle through any other
 * file is still caught):
 * - signaling/context.ts <-> payments.ts: type-only, through the Ctx service locator;
 * - contracts/artifacts.ts <-> compile.ts: artifacts.ts lazily imports the compiler when the artifacts are stale.
 */
const KNOWN_CYCLES = ['^signaling/(context|payments)\\.ts$', '^contracts/(artifacts|compile)\\.ts$'];

const NPM = ['npm', 'npm-dev', 'npm-optional', 'npm-peer', 'npm-bundled', 'npm-no-pkg', 'npm-unknown'];

module.exports = {
  forbidden: [
    // ---- crypto: the root layer, pure, browser + Node ----
    {
      name: 'crypto-imports-no-other-layer',
      comment: 'crypto/ is the root of the layers: it imports only its own files (DESIGN.md: "talks to nothing").',
      severity: 'error',
      from: { path: '^crypto/' },
      to: { path: '^(contracts|signaling|sfu|client|tests)/' },
    },
    {
      name: 'crypto-npm-only-libsodium',
      comment: 'The only runtime dependency of crypto/ is libsodium-wrappers-sumo (ethers, noble, zod... belong to other layers).',
      severity: 'error',
      from: { path: '^crypto/' },
      to: { dependencyTypes: NPM, pathNot: 'node_modules/libsodium-wrappers-sumo/' },
    },

    // ---- contracts: payments, on top of crypto ----
    {
      name: 'contracts-imports-only-crypto',
      comment: 'contracts/ may use crypto/ (and npm packages), never the layers above it.',
      severity: 'error',
      from: { path: '^contracts/' },
      to: { path: '^(signaling|sfu|client|tests)/' },
    },

    // ---- sfu: media, used by signaling, knows nothing of it ----
    {
      name: 'sfu-imports-no-platform-layer',
      comment: 'signaling -> sfu, never back: the SFU knows no sessions, payments or browser code.',
      severity: 'error',
      from: { path: '^sfu/' },
      to: { path: '^(signaling|contracts|client|tests)/' },
    },
    {
      name: 'sfu-crypto-only-platform-error',
      comment: 'Of crypto/, the SFU uses only the PlatformError root (crypto/errors.ts says every folder may import it).',
      severity: 'error',
      from: { path: '^sfu/' },
      to: { path: '^crypto/', pathNot: '^crypto/errors\\.ts$' },
    },

    // ---- signaling: the server, on top of crypto, contracts and sfu ----
    {
      name: 'signaling-not-client',
      comment: 'The server never imports browser code (the client imports the shared protocol, not the reverse).',
      severity: 'error',
      from: { path: '^signaling/' },
      to: { path: '^(client|tests)/' },
    },

    // ---- client: browser code ----
    {
      name: 'client-imports-browser-safe-modules-only',
      comment: 'client/ may import client/, crypto/, signaling/protocol.ts and the listed browser-safe files of contracts/.',
      severity: 'error',
      from: { path: CLIENT, pathNot: CLIENT_NOT },
      to: { path: '^(signaling|contracts|sfu|tests)/', pathNot: BROWSER_SAFE_SHARED },
    },
    {
      name: 'browser-safe-imports-browser-safe-only',
      comment: 'A shared browser-safe module imports only other browser-safe modules, so the client never reaches server code through it.',
      severity: 'error',
      from: { path: BROWSER_SAFE_SHARED },
      to: { path: '^(signaling|contracts|sfu|client|tests)/', pathNot: BROWSER_SAFE_SHARED },
    },
    {
      name: 'browser-no-node-builtins',
      comment: 'Browser code and the shared browser-safe modules import no Node built-in (node:fs, node:crypto...).',
      severity: 'error',
      from: { path: [CLIENT, ...BROWSER_SAFE_SHARED], pathNot: CLIENT_NOT },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'client-never-reaches-node-builtins',
      comment: 'No chain of imports from a client file ends at a Node built-in (names the client file, whichever helper imports it).',
      severity: 'error',
      from: { path: CLIENT, pathNot: CLIENT_NOT },
      to: { path: NODE_BUILTIN, reachable: true },
    },
    {
      name: 'browser-no-node-only-packages',
      comment: 'Browser code does not import npm packages that only run in Node (servers, native addons, tooling).',
      severity: 'error',
      from: { path: [CLIENT, ...BROWSER_SAFE_SHARED], pathNot: CLIENT_NOT },
      to: { dependencyTypes: NPM, path: NODE_ONLY_PACKAGE },
    },

    // ---- everywhere ----
    {
      name: 'production-code-not-from-tests',
      comment: 'Only tests import from tests/.',
      severity: 'error',
      from: { pathNot: '^tests/' },
      to: { path: '^tests/' },
    },
    {
      name: 'no-unresolvable-import',
      comment: 'An import that resolves to nothing would escape every rule above.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: 'no-cycles',
      comment: 'No import cycles, except the ones there were when the check came (KNOWN_CYCLES).',
      severity: 'error',
      from: { pathNot: KNOWN_CYCLES },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^contracts/artifacts/|^client/dist/|^sfu/native/build/|^tests/layers/fixtures/' },
    // Count `import type` too: a type-only import is still a dependency between layers.
    tsPreCompilationDeps: true,
    // Paths as written (node_modules may be a link to a shared install).
    preserveSymlinks: true,
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
      extensions: ['.ts', '.js', '.mjs', '.cjs', '.json', '.d.ts'],
    },
  },
};
