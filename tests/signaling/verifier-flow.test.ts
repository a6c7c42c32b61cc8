/**
 * The age verifier's whole job against a running signaling server: a model
 * seals and submits a document and cannot go live; the verifier's CLI (a
 * child process, as an operator runs it) fetches, decides and submits, or
 * reviews interactively; the model is told and can open a show. Plus the
 * refusals: a wrong verifier key (401), an adult=no decision, server errors
 * (exit 1 with the server's code) and bad arguments (exit 2).
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sealDocument, signAttestation } from '../../crypto/age.ts';
import { toBase64url } from '../../crypto/encoding.ts';
import { identityFromSecretKey } from '../../crypto/identity.ts';
import { fromBase64url } from '../../crypto/encoding.ts';
import { main, type CliIo } from '../../signaling/verifier-cli/main.ts';
import { call, freePort, login, next, ok, startServer, testConfig, type Running, type User } from './helpers.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = join(ROOT, 'signaling', 'verifier-cli', 'main.ts');
const DOC = new TextEncoder().encode('PNG... passport of Ottoline Brisk, born 1991-04-05, no. ZX441903');
const DOC_MARK = 'ZX441903';

interface Result { code: number | null; stdout: string; stderr: string }

/** Runs the CLI as its own process; `interact` sees stderr as it grows and may write to stdin. */
function cli(cwd: string, args: string[], interact?: (stderr: string, stdin: NodeJS.WritableStream) => void, started?: (child: ChildProcess) => void): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
      // As `npm run verifier` does: started in the package root, relative paths from INIT_CWD.
      cwd: ROOT, env: { ...process.env, INIT_CWD: cwd }, stdio: ['pipe', 'pipe', 'pipe'],
    });
    started?.(child);
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`verifier ${args[0]} timed out: ${stderr}`)); }, 60_000);
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      try {
        interact?.(stderr, child.stdin);
      } catch (err) {
        clearTimeout(timer);
        child.kill('SIGKILL');
        reject(err);
      }
    });
    if (!interact) child.stdin.end();
    child.once('error', reject);
    child.once('close', (code, signal) => { clearTimeout(timer); resolve({ code: code ?? (signal ? -1 : null), stdout, stderr }); });
  });
}

/** The CLI in this process (for refusals: no process start-up per case). */
function inProcess(cwd: string) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (l) => out.push(l), err: (l) => err.push(l), env: {}, cwd };
  return { out, err, run: (...args: string[]) => main(args, io) };
}

async function keygen(dir: string, file: string): Promise<string> {
  const t = inProcess(dir);
  assert.is(await t.run('keygen', '--out', file), 0, t.err.join('\n'));
  return t.out[0]!;
}

async function modelWithPendingDocument(run: Running, verifierKey: string): Promise<{ model: User; sealed: string }> {
  const model = await login(run.url, 'model');
  const refused = await call(model.socket, 'show:open', {});
  assert.is(refused.ok ? null : refused.error.code, 'AGE_VERIFICATION_REQUIRED');
  const sealed = toBase64url(await sealDocument(verifierKey, DOC, model.identity, { mimeType: 'image/png' }));
  const submitted = await ok(model.socket, 'age:submit', { sealedDocument: sealed, verifierKey });
  assert.is(submitted.status, 'pending');
  return { model, sealed };
}

function setup(name: string) {
  const t = suite(name);
  const ctx = { dir: '', key: '', verifierKey: '', strangerKey: '', run: undefined as unknown as Running };
  t.before(async () => {
    ctx.dir = mkdtempSync(join(tmpdir(), 'verifier-flow-'));
    ctx.key = join(ctx.dir, 'verifier.key');
    ctx.verifierKey = await keygen(ctx.dir, ctx.key);
    await keygen(ctx.dir, join(ctx.dir, 'stranger.key'));
    ctx.strangerKey = join(ctx.dir, 'stranger.key');
    ctx.run = await startServer({ config: testConfig({ VERIFIER_PUBLIC_KEYS: ctx.verifierKey, AGE_VERIFICATION: 'required', PORT: '0' }) });
  });
  t.after(async () => {
    await ctx.run?.server.close();
    if (ctx.dir) rmSync(ctx.dir, { recursive: true, force: true });
  });
  return { t, ctx };
}

// ---- end to end ----

const flow = setup('verifier CLI against a running server');

flow.t('fetch, decide adult=yes, submit (child processes): the model is told and can go live', async () => {
  const { dir, key, run } = flow.ctx;
  const { model, sealed } = await modelWithPendingDocument(run, flow.ctx.verifierKey);
  const server = run.url;

  const fetched = await cli(dir, ['fetch', '--server', server, '--key', key, '--out', 'pending']);
  assert.is(fetched.code, 0, fetched.stderr);
  const lines = fetched.stdout.trim().split('\n').map((l) => JSON.parse(l) as { modelKey: string; file: string });
  assert.equal(lines.map((l) => l.modelKey), [model.key]);
  assert.not.ok(fetched.stdout.includes(sealed.slice(0, 40)) || fetched.stderr.includes(sealed.slice(0, 40)), 'no content printed');
  const file = join(dir, 'pending', `${model.key}.json`);
  assert.is(lines[0]!.file, file);
  assert.is(statSync(file).mode & 0o777, 0o600);
  assert.is(JSON.parse(readFileSync(file, 'utf8')).sealedDocument, sealed);

  const decided = await cli(dir, ['decide', '--key', key, '--in', file, '--adult', 'yes', '--out', 'att.json']);
  assert.is(decided.code, 0, decided.stderr);

  const told = next(model.socket, 'age:status');
  const submitted = await cli(dir, ['submit', '--server', server, '--key', key, '--in', 'att.json']);
  assert.is(submitted.code, 0, submitted.stderr);
  assert.equal(JSON.parse(submitted.stdout), { modelKey: model.key, adult: true, status: 'verified' });
  assert.equal(await told, { status: 'verified' });
  const opened = await ok(model.socket, 'show:open', {});
  assert.type(opened.showId, 'string');

  const again = await cli(dir, ['fetch', '--server', server, '--key', key, '--out', 'pending2']);
  assert.is(again.code, 0, again.stderr);
  assert.is(again.stdout.trim(), '', 'the server deleted the decided document');
  const log = readFileSync(join(dir, 'decisions.jsonl'), 'utf8');
  assert.ok(log.includes(model.key));
  assert.not.ok(log.includes(DOC_MARK), 'the decision log holds no document');
});

flow.t('review, interactively: a private temp file to inspect, a yes on stdin, submitted, file deleted', async () => {
  const { dir, key, run } = flow.ctx;
  const { model } = await modelWithPendingDocument(run, flow.ctx.verifierKey);
  const told = next(model.socket, 'age:status');
  let docPath = '';
  let answered = 0;
  const reviewed = await cli(dir, ['review', '--server', run.url, '--key', key], (stderr, stdin) => {
    const prompts = stderr.split('[yes/no/skip]').length - 1;
    if (prompts === 1 && answered === 0) {
      answered = 1;
      docPath = /is at (\S+), readable by you only/.exec(stderr)?.[1] ?? '';
      // While the human looks: the decrypted document, readable by its owner only.
      assert.is(statSync(docPath).mode & 0o777, 0o600);
      assert.equal(new Uint8Array(readFileSync(docPath)), DOC);
      assert.ok(docPath.endsWith('.png'));
      stdin.write('maybe\n');
    } else if (prompts === 2 && answered === 1) {
      answered = 2;
      stdin.end('yes\n');
    }
  });
  assert.is(reviewed.code, 0, reviewed.stderr);
  assert.is(answered, 2, 'asked again after an unclear answer');
  assert.ok(docPath !== '' && !existsSync(docPath), 'the decrypted document is deleted');
  assert.not.ok(existsSync(join(docPath, '..')), 'and its private directory');
  assert.not.ok(reviewed.stdout.includes(DOC_MARK) || reviewed.stderr.includes(DOC_MARK), 'never printed');
  assert.equal(JSON.parse(reviewed.stdout.trim().split('\n').at(-1)!), { modelKey: model.key, adult: true, status: 'verified' });
  assert.equal(await told, { status: 'verified' });
  await ok(model.socket, 'show:open', {});
});

flow.t('review --adult no --model KEY: rejected, and the model still cannot go live', async () => {
  const { dir, key, run } = flow.ctx;
  const { model } = await modelWithPendingDocument(run, flow.ctx.verifierKey);
  const other = await modelWithPendingDocument(run, flow.ctx.verifierKey);
  const told = next(model.socket, 'age:status');
  const t = inProcess(dir);
  assert.is(await t.run('review', '--server', run.url, '--key', key, '--model', model.key, '--adult', 'no'), 0, t.err.join('\n'));
  assert.equal(await told, { status: 'rejected' });
  assert.equal(JSON.parse(t.out.at(-1)!), { modelKey: model.key, adult: false, status: 'rejected' });
  const docPath = t.err.map((l) => /is at (\S+), readable/.exec(l)?.[1]).find((p) => p);
  assert.ok(docPath && !existsSync(docPath), 'the decrypted document is deleted');
  const refused = await call(model.socket, 'show:open', {});
  assert.is(refused.ok ? null : refused.error.code, 'AGE_VERIFICATION_REQUIRED');
  assert.is((await ok(model.socket, 'age:status', {})).status, 'rejected');
  assert.is((await ok(other.model.socket, 'age:status', {})).status, 'pending', 'only the named model was decided');
  // Nothing left for the rejected model; the other one is still listed.
  const again = inProcess(dir);
  assert.is(await again.run('review', '--server', run.url, '--key', key, '--model', model.key, '--adult', 'yes'), 1);
  assert.match(again.err.at(-1)!, /^NOT_PENDING: /);
  const fetched = inProcess(dir);
  assert.is(await fetched.run('fetch', '--server', run.url, '--key', key, '--out', 'pending3'), 0);
  assert.equal(fetched.out.map((l) => JSON.parse(l).modelKey), [other.model.key]);
});

flow.t.run();

// ---- refusals ----

const bad = setup('verifier CLI refusals against a running server');

bad.t('a key that is not a configured verifier gets 401 (exit 1, the server\'s code)', async () => {
  const { dir, strangerKey, run } = bad.ctx;
  await modelWithPendingDocument(run, bad.ctx.verifierKey);
  const t = inProcess(dir);
  assert.is(await t.run('fetch', '--server', run.url, '--key', strangerKey, '--out', 'x'), 1);
  assert.match(t.err.at(-1)!, /^UNAUTHENTICATED: .*HTTP 401/);
  assert.not.ok(existsSync(join(dir, 'x')), 'nothing written');
  assert.is(await t.run('review', '--server', run.url, '--key', strangerKey), 1);
  assert.match(t.err.at(-1)!, /^UNAUTHENTICATED: .*HTTP 401/);
});

bad.t('submit: an untrusted signer is refused by the server, a tampered file never leaves, a dead server is reported', async () => {
  const { dir, strangerKey, run } = bad.ctx;
  const { model } = await modelWithPendingDocument(run, bad.ctx.verifierKey);
  const stranger = JSON.parse(readFileSync(strangerKey, 'utf8')) as { secretKey: string };
  const strangerId = await identityFromSecretKey(fromBase64url(stranger.secretKey, 64));
  const forged = await signAttestation(strangerId, { modelKey: model.key, adult: true });
  writeFileSync(join(dir, 'forged.json'), JSON.stringify(forged));
  const t = inProcess(dir);
  assert.is(await t.run('submit', '--server', run.url, '--key', bad.ctx.key, '--in', 'forged.json'), 1);
  assert.match(t.err.at(-1)!, /^BAD_REQUEST: .*HTTP 400/);
  writeFileSync(join(dir, 'tampered.json'), JSON.stringify({ ...forged, adult: false }));
  assert.is(await t.run('submit', '--server', run.url, '--key', bad.ctx.key, '--in', 'tampered.json'), 1);
  assert.match(t.err.at(-1)!, /^CRYPTO_BAD_SIGNATURE/);
  writeFileSync(join(dir, 'junk.json'), '{not json');
  assert.is(await t.run('submit', '--server', run.url, '--key', bad.ctx.key, '--in', 'junk.json'), 1);
  assert.match(t.err.at(-1)!, /^CRYPTO_BAD_ENCODING/);
  const dead = `http://127.0.0.1:${await freePort()}`;
  assert.is(await t.run('submit', '--server', dead, '--key', bad.ctx.key, '--in', 'forged.json'), 1);
  assert.match(t.err.at(-1)!, /^UNREACHABLE: /);
  assert.is((await ok(model.socket, 'age:status', {})).status, 'pending', 'no decision was recorded');
});

bad.t('review: skip and end of input decide nothing; Ctrl-C deletes the decrypted document', async () => {
  const { dir, key, run } = bad.ctx;
  const { model } = await modelWithPendingDocument(run, bad.ctx.verifierKey);
  for (const [answer, code] of [['skip', 0], [null, 2]] as const) {
    const out: string[] = [];
    const err: string[] = [];
    const io: CliIo = { out: (l) => out.push(l), err: (l) => err.push(l), env: {}, cwd: dir, ask: async () => answer };
    assert.is(await main(['review', '--server', run.url, '--key', key, '--model', model.key], io), code, err.join(' | '));
    const docPath = err.map((l) => /is at (\S+), readable/.exec(l)?.[1]).find((p) => p);
    assert.ok(docPath && !existsSync(docPath), 'the decrypted document is deleted');
  }
  let docPath = '';
  let interruptedChild: ChildProcess | undefined;
  const interrupted = await cli(dir, ['review', '--server', run.url, '--key', key, '--model', model.key], (stderr, _stdin) => {
    if (docPath === '' && stderr.includes('[yes/no/skip]')) {
      docPath = /is at (\S+), readable by you only/.exec(stderr)?.[1] ?? '';
      assert.ok(existsSync(docPath));
      interruptedChild?.kill('SIGINT');
    }
  }, (child) => { interruptedChild = child; });
  assert.is(interrupted.code, 130, interrupted.stderr);
  assert.ok(docPath !== '' && !existsSync(docPath) && !existsSync(join(docPath, '..')), 'Ctrl-C removed the document and its directory');
  assert.is((await ok(model.socket, 'age:status', {})).status, 'pending', 'nothing was decided');
});

bad.t('bad arguments: exit 2 with a message, before any request', async () => {
  const { dir, key, run } = bad.ctx;
  writeFileSync(join(dir, 'a-file'), 'x');
  const cases: string[][] = [
    ['fetch', '--key', key, '--out', 'o'],
    ['fetch', '--server', 'ftp://127.0.0.1/', '--key', key, '--out', 'o'],
    ['fetch', '--server', 'not a url', '--key', key, '--out', 'o'],
    ['fetch', '--server', `http://user:pw@127.0.0.1:${run.port}`, '--key', key, '--out', 'o'],
    ['fetch', '--server', `${run.url}/?x=1`, '--key', key, '--out', 'o'],
    ['fetch', '--server', run.url, '--key', key],
    ['fetch', '--server', run.url, '--out', 'o'],
    ['fetch', '--server', run.url, '--key', key, '--out', 'a-file'],
    ['fetch', '--server', run.url, '--key', 'no-such.key', '--out', 'o'],
    ['fetch', '--server', run.url, '--key', key, '--out', 'o', '--unknown'],
    ['fetch', '--server', run.url, '--key', key, '--out', 'o', '--adult', 'yes'],
    ['fetch', '--server', run.url, '--key', key, '--out', 'o', 'extra'],
    ['submit', '--server', run.url],
    ['submit', '--server', run.url, '--in', 'no-such.json'],
    ['submit', '--in', 'a-file'],
    ['submit', '--server', run.url, '--in', 'a-file'],
    ['review', '--server', run.url],
    ['review', '--server', run.url, '--key', key, '--adult', 'yes'],
    ['review', '--server', run.url, '--key', key, '--adult', 'maybe', '--model', bad.ctx.verifierKey],
    ['review', '--server', run.url, '--key', key, '--model', 'not-a-key'],
  ];
  for (const args of cases) {
    const t = inProcess(dir);
    assert.is(await t.run(...args), 2, `${args.join(' ')}: ${t.err.join(' | ')}`);
    assert.ok(t.err.length > 0 && t.err[0]!.length > 5, 'a message');
  }
  assert.not.ok(readdirSync(dir).includes('o'), 'nothing fetched');
});

bad.t.run();
