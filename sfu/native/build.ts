/**
 * `npm install` hook: compiles the native SRTP addon with node-gyp against
 * the running Node's own headers (and so its OpenSSL). A machine without a
 * C compiler still installs: the SFU then uses its TypeScript SRTP path and
 * this prints why. `.ci/run` installs the compiler so CI tests the addon.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
if (process.env.SFU_NATIVE === 'off') {
  console.log('sfu/native: SFU_NATIVE=off, not building the native SRTP addon');
  process.exit(0);
}
// npm exports the node-gyp it bundles to lifecycle scripts; fall back to one on PATH.
const gyp = process.env.npm_config_node_gyp;
const command = gyp ? process.execPath : 'node-gyp';
const args = gyp ? [gyp, 'rebuild'] : ['rebuild'];
// Node installs that ship their headers (official tarballs, NodeSource, Debian) need no download.
const prefix = dirname(dirname(process.execPath));
if (!process.env.npm_config_nodedir && existsSync(join(prefix, 'include', 'node', 'node_api.h'))) args.push(`--nodedir=${prefix}`);
const result = spawnSync(command, args, { cwd: here, stdio: 'inherit' });
if (result.status !== 0) {
  console.warn('sfu/native: the native SRTP addon was not built (needs python3, make and a C compiler);'
    + ' the SFU will use its slower TypeScript SRTP path.');
}
