/**
 * `npm run build:server [-- --out DIR]`: the server as plain JavaScript for plain `node` (the images run no
 * TypeScript loader). tsc compiles crypto, contracts, signaling and sfu with tsconfig.build.json, rewriting the
 * `.ts` import specifiers to `.js`; then the files the code finds next to itself (by `import.meta.url`) are copied
 * beside the output, so DIR is a tree that runs as it is with a `node_modules` next to it:
 *
 *   DIR/package.json                      "type": "module", so node reads the .js files as ES modules
 *   DIR/{crypto,contracts,signaling,sfu}  the compiled modules (entry points: signaling/main.js, sfu/worker/main.js)
 *   DIR/contracts/{src,artifacts}         Solidity sources and compiled artifacts (the embedded chain, ABI checks)
 *   DIR/sfu/native/build/Release          the native SRTP addon, when `npm ci` built it
 *   DIR/client/dist                       the built web client, when `npm run build:client` ran first
 *
 * Default DIR: dist/server (DEFAULT_OUT). docker/Dockerfile copies exactly these paths (tests/docker checks that).
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { PlatformError } from '../crypto/errors.ts';

export class ServerBuildError extends PlatformError<'SERVER_BUILD_FAILED'> {}

const root = fileURLToPath(new URL('..', import.meta.url));

/** Where `npm run build:server` writes without `--out` (docker/Dockerfile copies it from there). */
export const DEFAULT_OUT = 'dist/server';

/** What the build copies next to the compiled modules: source path in the repo → path under DIR; optional ones may be missing. */
export const SERVER_ASSETS: readonly { from: string; optional: string | null }[] = [
  { from: 'contracts/src', optional: null },
  { from: 'contracts/artifacts', optional: null },
  { from: 'sfu/native/build/Release/srtp_send.node', optional: 'the SFU forwards with its TypeScript SRTP path (npm ci builds the addon)' },
  { from: 'client/dist', optional: 'SERVE_CLIENT needs it: run `npm run build:client` first' },
];

export interface BuildResult {
  /** The output directory (absolute). */
  out: string;
  /** Optional assets that were missing, with what that means. */
  missing: string[];
}

/** Compiles the server into `out` (emptied first) and copies its assets; throws with tsc's output on a type error. */
export function buildServer(out = join(root, DEFAULT_OUT)): BuildResult {
  const dir = resolve(out);
  rmSync(dir, { recursive: true, force: true });
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const run = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json'), '--outDir', dir], { cwd: root, encoding: 'utf8' });
  if (run.status !== 0) throw new ServerBuildError('SERVER_BUILD_FAILED', `tsc failed (exit ${run.status ?? run.signal}):\n${run.stdout}${run.stderr}`);
  const missing: string[] = [];
  for (const asset of SERVER_ASSETS) {
    const from = join(root, asset.from);
    if (!existsSync(from)) {
      if (asset.optional === null) throw new ServerBuildError('SERVER_BUILD_FAILED', `${asset.from} is missing`);
      missing.push(`${asset.from}: ${asset.optional}`);
      continue;
    }
    mkdirSync(dirname(join(dir, asset.from)), { recursive: true });
    cpSync(from, join(dir, asset.from), { recursive: true });
  }
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ name: 'livecam-server', private: true, type: 'module' }, null, 2)}\n`);
  return { out: dir, missing };
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const { values } = parseArgs({ options: { out: { type: 'string' } } });
  try {
    const { out, missing } = buildServer(values.out);
    for (const line of missing) console.warn(`build:server: without ${line}`);
    console.log(`build:server: ${relative(process.cwd(), out) || '.'} (run: node ${join(relative(process.cwd(), out), 'signaling', 'main.js')})`);
  } catch (err) {
    console.error(`build:server: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
}
