/**
 * The images' server: `npm run build:server` compiles it to plain JavaScript, the compiled signaling starts on
 * plain node (no TypeScript loader: Node 20 cannot load a `.ts` file, so any left would fail), its SFU worker
 * too, it answers /healthz and the images' HEALTHCHECK script, and stops cleanly on SIGTERM. No Docker engine
 * runs here, so docker/Dockerfile is checked against the same build: every path it copies and runs exists.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { DEFAULT_OUT, SERVER_ASSETS } from '../../docker/build-server.ts';
import { execForm, last, parseCopy, parseDockerfile, resolvedInstructions } from './dockerfile.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The build output laid out as in the image (WORKDIR /app): the compiled tree with node_modules beside it. */
const work = mkdtempSync(join(tmpdir(), 'livecam-build-'));
const app = join(work, 'app');
const built = spawnSync('npm', ['run', '--silent', 'build:server', '--', '--out', app], { cwd: root, encoding: 'utf8', timeout: 180_000 });
if (built.status === 0) symlinkSync(join(root, 'node_modules'), join(app, 'node_modules'));

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === 'node_modules') return [];
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** Exit code of the images' HEALTHCHECK script against PORT. */
function healthcheck(port: number): number | null {
  return spawnSync(process.execPath, [join(app, 'docker', 'healthcheck.js')], { cwd: app, env: { PATH: process.env.PATH, PORT: String(port) }, encoding: 'utf8', timeout: 15_000 }).status;
}

/** Command lines of the live processes whose parent is `ppid`. */
function children(ppid: number): string[] {
  const out: string[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) !== ppid) continue;
      out.push(readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').join(' ').trim());
    } catch { /* gone */ }
  }
  return out;
}

const build = suite('build:server');

build('npm run build:server succeeds', () => {
  assert.is(built.status, 0, `build:server failed:\n${built.stdout}${built.stderr}`);
});

build('the tree is JavaScript only, ES modules, with the assets the code reads beside it', () => {
  const files = filesUnder(app).map((f) => relative(app, f));
  assert.ok(files.includes('signaling/main.js') && files.includes('sfu/worker/main.js') && files.includes('docker/healthcheck.js'));
  assert.equal(files.filter((f) => f.endsWith('.ts')), [], 'no TypeScript in the output');
  assert.is(JSON.parse(readFileSync(join(app, 'package.json'), 'utf8')).type, 'module');
  const tsImports = files.filter((f) => f.endsWith('.js'))
    .filter((f) => /(from\s+|import\s*\()\s*['"]\.{1,2}\/[^'"]*\.ts['"]/.test(readFileSync(join(app, f), 'utf8')));
  assert.equal(tsImports, [], 'every relative import points at a .js file');
  for (const asset of SERVER_ASSETS) {
    if (existsSync(join(root, asset.from))) assert.ok(existsSync(join(app, asset.from)), `${asset.from} copied`);
  }
  assert.ok(files.some((f) => f.startsWith('contracts/artifacts/') && f.endsWith('.json')), 'contract artifacts');
});

build('the compiled server imports production dependencies only: never tsx, vite or a dev dependency', () => {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
  const imported = new Set<string>();
  for (const file of filesUnder(app).filter((f) => f.endsWith('.js'))) {
    // Static imports and re-exports (`from` at the start of a statement or after a multi-line `}`), side-effect imports, import(), require().
    for (const m of readFileSync(file, 'utf8').matchAll(/(?:^(?:import|export)[^'"\n]*?\bfrom[ \t]*|^\}[ \t]*from[ \t]*|^import[ \t]*|\bimport\([ \t]*|\brequire\([ \t]*|createRequire\(import\.meta\.url\)\([ \t]*)['"]([^'".][^'"]*)['"]/gm)) {
      const spec = m[1]!;
      if (spec.startsWith('node:')) continue;
      imported.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
    }
  }
  assert.ok(imported.has('express') && imported.has('secp256k1'), [...imported].join(' '));
  const notProduction = [...imported].filter((name) => !(name in pkg.dependencies) || name in pkg.devDependencies || name === 'tsx' || name === 'vite');
  assert.equal(notProduction, [], 'packages the image would not have');
});

build('the compiled signaling runs on plain node: /healthz, HEALTHCHECK, worker without tsx, clean SIGTERM', async () => {
  let output = '';
  const child: ChildProcess = spawn(process.execPath, [join(app, 'signaling', 'main.js')], {
    cwd: app,
    // A bare environment (no NODE_OPTIONS that could carry a loader), as in the image.
    env: {
      PATH: process.env.PATH, HOST: '127.0.0.1', PORT: '0', CHAIN_PORT: '0', SFU_WORKERS: '1', SERVE_CLIENT: 'false',
      LOG_LEVEL: 'warn', TURN_URLS: 'turn:127.0.0.1:3478', TURN_SECRET: 'a-turn-secret-for-this-test',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d: Buffer) => { output += d; });
  child.stderr!.on('data', (d: Buffer) => { output += d; });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    const deadline = Date.now() + 90_000;
    let url = '';
    while (!url && child.exitCode === null && Date.now() < deadline) {
      url = /running at (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1] ?? '';
      if (!url) await sleep(100);
    }
    assert.ok(url, `no banner:\n${output}`);
    const port = Number(new URL(url).port);
    const res = await fetch(`${url}/healthz`);
    assert.is(res.status, 200);
    assert.equal(((await res.json()) as { ok: boolean }).ok, true);
    assert.is(healthcheck(port), 0, 'HEALTHCHECK passes on a healthy node');

    const kids = children(child.pid!);
    const workers = kids.filter((c) => c.includes('sfu/worker/main.js'));
    assert.is(workers.length, 1, `one SFU worker, compiled: ${kids.join(' | ')}`);
    assert.not.match(workers[0]!, 'tsx');
    assert.not.match(readFileSync(`/proc/${child.pid}/cmdline`, 'utf8'), 'tsx');

    child.kill('SIGTERM');
    const code = await Promise.race([exited, sleep(20_000).then(() => 'timeout' as const)]);
    assert.is(code, 0, `SIGTERM: exit 0 within 20 s\n${output}`);
    assert.is.not(healthcheck(port), 0, 'HEALTHCHECK fails once the node is gone');
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
});

const image = suite('docker/Dockerfile against the build');
const stages = parseDockerfile(join(root, 'docker', 'Dockerfile'));
const buildStage = stages.find((s) => s.name === 'build')!;
const buildDir = last(buildStage.instructions, 'WORKDIR')!;

image('the build stage copies files that exist, runs npm ci, both builds, then drops the dev dependencies', () => {
  const runs = buildStage.instructions.filter((i) => i.op === 'RUN').map((i) => i.args).join('\n');
  for (const step of ['npm ci', 'npm run build:client', 'npm run build:server', 'npm prune --omit=dev']) assert.match(runs, step);
  assert.not.match(runs, /build:server\s+--\s+--out/, 'the default output, which the runtime stage copies');
  for (const copy of buildStage.instructions.filter((i) => i.op === 'COPY').map((i) => parseCopy(i.args))) {
    assert.is(copy.from, undefined);
    for (const source of copy.sources) assert.ok(existsSync(join(root, source)), `COPY ${source}: in the repository`);
  }
});

image('every image copies only the build\'s output, runs compiled files as a non-root user, and is health-checked', () => {
  const runtimes = stages.filter((s) => s.name !== 'build' && s.name !== 'runtime');
  assert.equal(runtimes.map((s) => s.name).sort(), ['sfu', 'signaling']);
  const inImage: string[] = [];
  for (const s of resolvedInstructions(stages, 'runtime').filter((i) => i.op === 'COPY')) {
    const copy = parseCopy(s.args);
    assert.is(copy.from, 'build', 'runtime files come from the build stage only');
    for (const source of copy.sources) {
      const path = relative(buildDir, source);
      assert.ok(path === DEFAULT_OUT || path === 'node_modules', `COPY --from=build ${source}: build:server's output or node_modules`);
      if (path === DEFAULT_OUT) inImage.push(copy.dest);
    }
  }
  assert.equal(inImage, ['./'], 'the compiled tree becomes the image\'s WORKDIR');
  for (const stage of runtimes) {
    const all = resolvedInstructions(stages, stage.name);
    const user = last(all, 'USER');
    assert.ok(user && user !== 'root' && user !== '0', `${stage.name}: USER is not root`);
    const health = last(all, 'HEALTHCHECK');
    const healthCmd = execForm(/CMD\s+(\[.*\])$/.exec(health ?? '')?.[1]);
    assert.equal(healthCmd?.slice(0, 1), ['node'], `${stage.name}: HEALTHCHECK runs node`);
    const cmd = execForm(last(all, 'CMD'))!;
    assert.is(cmd[0], 'node');
    assert.not.ok([...cmd, ...healthCmd!, ...execForm(last(all, 'ENTRYPOINT'))!].some((w) => /tsx|\.ts$/.test(w)), `${stage.name}: no tsx, no .ts at run time`);
    for (const file of [cmd[1]!, healthCmd![1]!]) assert.ok(existsSync(join(app, file)), `${stage.name}: ${file} is in build:server's output`);
  }
});

image('the build context leaves out local builds and node_modules', () => {
  const ignore = readFileSync(join(root, 'docker', 'Dockerfile.dockerignore'), 'utf8');
  for (const entry of ['**/node_modules', 'dist', 'client/dist', 'sfu/native/build', '.git']) assert.match(ignore, new RegExp(`^${entry.replace(/[.*]/g, '\\$&')}$`, 'm'));
});

image.after(() => rmSync(work, { recursive: true, force: true }));

build.run();
image.run();
