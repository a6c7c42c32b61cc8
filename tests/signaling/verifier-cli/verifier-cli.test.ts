import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main, type CliIo } from '../../../signaling/verifier-cli/main.ts';
import { createIdentity } from '../../../crypto/identity.ts';
import { sealDocument, verifyAttestation } from '../../../crypto/age.ts';
import { toBase64url } from '../../../crypto/encoding.ts';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const DOC = new TextEncoder().encode('JPEG... identity card of an adult');

function io(env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'verifier-cli-'));
  const cli: CliIo = { out: (l) => out.push(l), err: (l) => err.push(l), env, cwd: dir };
  return { out, err, dir, cli, run: (...args: string[]) => main(args, cli) };
}

const cli = suite('verifier CLI');

cli('keygen, open, decide (yes and no), verify: the whole verifier workflow on files', async () => {
  const t = io();
  try {
    assert.is(await t.run('keygen', '--out', 'verifier.key'), 0);
    const verifierKey = t.out[0]!;
    assert.match(verifierKey, /^[A-Za-z0-9_-]{43}$/);
    assert.is(statSync(join(t.dir, 'verifier.key')).mode & 0o777, 0o600);
    assert.is(await t.run('keygen', '--out', 'verifier.key'), 2, 'refuses to overwrite');

    const model = await createIdentity();
    const sealed = await sealDocument(verifierKey, DOC, model, { mimeType: 'image/jpeg' });
    writeFileSync(join(t.dir, 'blob.bin'), sealed);
    writeFileSync(join(t.dir, 'blob.txt'), toBase64url(sealed));
    writeFileSync(join(t.dir, 'pending.json'), JSON.stringify({ modelKey: model.publicKey, sealedDocument: toBase64url(sealed) }));

    assert.is(await t.run('open', '--key', 'verifier.key', '--in', 'blob.bin', '--out', 'doc.jpg'), 0);
    assert.equal(new Uint8Array(readFileSync(join(t.dir, 'doc.jpg'))), DOC);
    assert.is(JSON.parse(t.out[1]!).modelKey, model.publicKey);

    assert.is(await t.run('decide', '--key', 'verifier.key', '--in', 'blob.txt', '--adult', 'yes', '--out', 'att.json'), 0);
    const att = JSON.parse(readFileSync(join(t.dir, 'att.json'), 'utf8'));
    const ok = await verifyAttestation(att, [verifierKey], undefined, { modelKey: model.publicKey });
    assert.is(ok.adult, true);
    assert.is(await t.run('verify', '--in', 'att.json', '--trusted', `${model.publicKey},${verifierKey}`, '--model', model.publicKey), 0);
    assert.is(JSON.parse(t.out.at(-1)!).valid, true);

    assert.is(await t.run('decide', '--key', 'verifier.key', '--in', 'pending.json', '--adult', 'no'), 0);
    const no = JSON.parse(t.out.at(-1)!);
    assert.is(no.adult, false);

    const log = readFileSync(join(t.dir, 'decisions.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.is(log.length, 2);
    assert.equal(log.map((l) => l.adult), [true, false]);
    assert.is(log[0].modelKey, model.publicKey);
    assert.not.ok(JSON.stringify(log).includes('identity card'), 'the log holds no document');
  } finally {
    rmSync(t.dir, { recursive: true, force: true });
  }
});

cli('refusals: other verifier\'s blob, tampered blob, untrusted attestation, usage errors', async () => {
  const t = io();
  try {
    await t.run('keygen', '--out', 'a.key');
    await t.run('keygen', '--out', 'b.key');
    const [keyA, keyB] = t.out;
    const model = await createIdentity();
    const sealed = await sealDocument(keyA!, DOC, model);
    writeFileSync(join(t.dir, 'blob.bin'), sealed);
    assert.is(await t.run('decide', '--key', 'b.key', '--in', 'blob.bin', '--adult', 'yes'), 1);
    assert.match(t.err.at(-1)!, /^CRYPTO_DECRYPT_FAILED/);
    const bad = sealed.slice();
    bad[50] = bad[50]! ^ 1;
    writeFileSync(join(t.dir, 'bad.bin'), bad);
    assert.is(await t.run('open', '--key', 'a.key', '--in', 'bad.bin', '--out', 'x'), 1);
    writeFileSync(join(t.dir, 'junk.key'), 'not json');
    assert.is(await t.run('open', '--key', 'junk.key', '--in', 'blob.bin', '--out', 'x'), 1);
    assert.match(t.err.at(-1)!, /^CRYPTO_BAD_ENCODING/);

    assert.is(await t.run('decide', '--key', 'a.key', '--in', 'blob.bin', '--adult', 'yes', '--out', 'att.json'), 0);
    assert.is(await t.run('verify', '--in', 'att.json', '--trusted', keyB!), 1);
    assert.match(t.err.at(-1)!, /^CRYPTO_UNTRUSTED_VERIFIER/);

    assert.is(await t.run('decide', '--key', 'a.key', '--in', 'blob.bin', '--adult', 'maybe'), 2);
    assert.is(await t.run('decide', '--key', 'a.key', '--adult', 'yes'), 2);
    assert.is(await t.run('frobnicate'), 2);
    assert.is(await t.run(), 2);
    assert.is(await t.run('open', '--bogus-flag'), 2);
  } finally {
    rmSync(t.dir, { recursive: true, force: true });
  }
});

cli('a passphrase-protected key file needs the passphrase', async () => {
  const t = io({ VPASS: 'a long verifier passphrase' });
  try {
    assert.is(await t.run('keygen', '--out', 'p.key', '--passphrase-env', 'VPASS'), 0);
    const key = t.out[0]!;
    assert.not.ok(readFileSync(join(t.dir, 'p.key'), 'utf8').includes('secretKey'));
    const model = await createIdentity();
    writeFileSync(join(t.dir, 'blob.bin'), await sealDocument(key, DOC, model));
    assert.is(await t.run('decide', '--key', 'p.key', '--in', 'blob.bin', '--adult', 'yes'), 2);
    assert.is(await t.run('decide', '--key', 'p.key', '--in', 'blob.bin', '--adult', 'yes', '--passphrase-env', 'VPASS'), 0);
    t.cli.env.VPASS = 'the wrong passphrase!';
    assert.is(await t.run('decide', '--key', 'p.key', '--in', 'blob.bin', '--adult', 'yes', '--passphrase-env', 'VPASS'), 1);
    assert.match(t.err.at(-1)!, /^CRYPTO_BAD_PASSPHRASE/);
  } finally {
    rmSync(t.dir, { recursive: true, force: true });
  }
});

cli('`npm run verifier` works end to end from another directory', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'verifier-npm-'));
  try {
    const run = (...args: string[]) => spawnSync('npm', ['run', '-s', '--prefix', root, 'verifier', '--', ...args], {
      cwd: dir, encoding: 'utf8', env: { ...process.env, INIT_CWD: undefined }, timeout: 60_000,
    });
    const keygen = run('keygen', '--out', 'v.key');
    assert.is(keygen.status, 0, keygen.stderr);
    const verifierKey = keygen.stdout.trim();
    const model = await createIdentity();
    writeFileSync(join(dir, 'blob.bin'), await sealDocument(verifierKey, DOC, model));
    const decide = run('decide', '--key', 'v.key', '--in', 'blob.bin', '--adult', 'yes');
    assert.is(decide.status, 0, decide.stderr);
    const att = JSON.parse(decide.stdout.trim());
    assert.is((await verifyAttestation(att, [verifierKey])).modelKey, model.publicKey);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

cli.run();
