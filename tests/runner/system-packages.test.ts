import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SYSTEM_COMMANDS, missingSystemCommands, systemCheck } from './system-packages.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** A directory to use as the whole PATH, holding fake executables named `present` (and a non-executable `turnserver`). */
function fakePath(present: string[]): { dir: string; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'livecam-path-'));
  for (const name of present) {
    writeFileSync(join(dir, name), '#!/bin/sh\nexit 0\n');
    chmodSync(join(dir, name), 0o755);
  }
  if (!present.includes('turnserver')) writeFileSync(join(dir, 'turnserver'), 'not executable\n', { mode: 0o644 });
  return { dir, done: () => rmSync(dir, { recursive: true, force: true }) };
}

const check = suite('system commands the tests need');

check('only the commands absent from PATH (or not executable) are missing; Chromium where the helper starts it', () => {
  const path = fakePath(['ip', 'unshare', 'redis-server', 'chromium', 'nginx']);
  try {
    const missing = missingSystemCommands({ PATH: path.dir, CHROMIUM_PATH: join(path.dir, 'chromium') });
    assert.equal(missing.map((m) => m.command), ['turnserver', 'docker-compose']);
    const noChromium = missingSystemCommands({ PATH: path.dir, CHROMIUM_PATH: join(path.dir, 'no-chromium') });
    assert.equal(noChromium.map((m) => m.command), ['chromium', 'turnserver', 'docker-compose']);
    assert.equal(missingSystemCommands({ PATH: path.dir, CHROMIUM_PATH: 'chromium' }).map((m) => m.command), ['turnserver', 'docker-compose']);
  } finally {
    path.done();
  }
});

check('a full run stops on any missing command; a filtered run only without the namespace commands', () => {
  const path = fakePath(['ip', 'unshare']);
  try {
    const env = { PATH: path.dir, CHROMIUM_PATH: '/nonexistent/chromium' };
    const full = systemCheck(false, env, true);
    assert.equal(full, { line: 'tests/run: missing chromium, redis-server, turnserver, nginx, docker-compose (install with: apt-get install -y chromium redis-server coturn nginx docker-compose)', stop: true });
    const filtered = systemCheck(true, env, false);
    assert.is(filtered?.stop, false);
    assert.match(filtered!.line, /sudo apt-get install -y chromium redis-server coturn nginx docker-compose/);
    assert.is(systemCheck(true, { PATH: '', CHROMIUM_PATH: '/nonexistent' }, true)?.stop, true);
  } finally {
    path.done();
  }
});

check('npm test with a PATH that hides them says it in one line, with the install command, and runs nothing', () => {
  const path = fakePath([]);
  try {
    const env: NodeJS.ProcessEnv = { HOME: process.env.HOME, PATH: path.dir, CHROMIUM_PATH: '/nonexistent/chromium' };
    const run = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'tests', 'run.ts')], { cwd: root, env, encoding: 'utf8', timeout: 60_000 });
    assert.is(run.status, 2, run.stderr);
    assert.is(run.stdout, '');
    const lines = run.stderr.trim().split('\n');
    assert.is(lines.length, 1, run.stderr);
    for (const { command, pkg } of SYSTEM_COMMANDS) {
      assert.ok(lines[0]!.includes(command), `${command} named`);
      assert.ok(lines[0]!.includes(` ${pkg}`), `${pkg} in the install command`);
    }
    assert.match(lines[0]!, /apt-get install -y iproute2 util-linux chromium redis-server coturn nginx docker-compose\)$/);
  } finally {
    path.done();
  }
});

check.run();
