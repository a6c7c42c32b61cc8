/**
 * The age verifier's command-line tool (Node only). The verifier runs it on
 * their own machine; the platform never sees the document or this key.
 *
 *   npm run verifier -- keygen --out FILE [--passphrase-env VAR] [--force]
 *   npm run verifier -- open   --key FILE --in SEALED --out DOCUMENT [--passphrase-env VAR]
 *   npm run verifier -- decide --key FILE --in SEALED --adult yes|no [--out ATTESTATION] [--log FILE] [--passphrase-env VAR]
 *   npm run verifier -- verify --in ATTESTATION --trusted KEY[,KEY...] [--model KEY]
 *
 * SEALED is the blob from the model's browser: raw bytes, base64url text, or
 * JSON with a `sealedDocument` field (as the signaling API lists pending ones).
 * `decide` re-opens the blob (so a decision is always about a document that
 * really is for this verifier and signed by the model), signs the attestation
 * (stdout or --out) and appends one line to the decision log (default
 * `decisions.jsonl` next to the key). Exit codes: 0 done, 1 refused (a
 * CryptoError code is printed), 2 usage error. See crypto/AGE_VERIFICATION.md.
 */
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { openDocument, signAttestation, verifyAttestation, type OpenedDocument } from './age.ts';
import { CryptoError } from './crypto-error.ts';
import { fromBase64url, isBase64url, toBase64url } from './encoding.ts';
import { createIdentity, exportIdentity, identityFromSecretKey, importIdentity, type Identity } from './identity.ts';
import { asObject } from './statement.ts';

/** Where output goes (replaceable in tests). */
export interface CliIo {
  /** Normal output (public key, metadata, attestation JSON). */
  out: (line: string) => void;
  /** Diagnostics and errors. */
  err: (line: string) => void;
  /** Environment (for --passphrase-env). */
  env: Record<string, string | undefined>;
  /** Directory relative paths are resolved against. */
  cwd: string;
}

class UsageError extends Error {}

const USAGE = `usage:
  verifier keygen --out FILE [--passphrase-env VAR] [--force]
  verifier open   --key FILE --in SEALED --out DOCUMENT [--passphrase-env VAR]
  verifier decide --key FILE --in SEALED --adult yes|no [--out ATTESTATION] [--log FILE] [--passphrase-env VAR]
  verifier verify --in ATTESTATION --trusted KEY[,KEY...] [--model KEY]`;

/** Run the CLI; returns the exit code. */
export async function main(argv: string[], io: CliIo = defaultIo()): Promise<number> {
  try {
    const [command, ...rest] = argv;
    const { values } = parseArgs({
      args: rest,
      strict: true,
      options: {
        out: { type: 'string' }, key: { type: 'string' }, in: { type: 'string' }, adult: { type: 'string' },
        log: { type: 'string' }, trusted: { type: 'string' }, model: { type: 'string' },
        'passphrase-env': { type: 'string' }, force: { type: 'boolean' },
      },
    });
    for (const name of ['out', 'key', 'in', 'log'] as const) {
      const v = values[name];
      if (typeof v === 'string' && v !== '') values[name] = resolve(io.cwd, v);
    }
    switch (command) {
      case 'keygen': return await keygen(values, io);
      case 'open': return await open(values, io);
      case 'decide': return await decide(values, io);
      case 'verify': return await verify(values, io);
      default: throw new UsageError(command === undefined ? 'missing command' : `unknown command ${command}`);
    }
  } catch (err) {
    if (err instanceof CryptoError) {
      io.err(`${err.code}: ${err.message}`);
      return 1;
    }
    if (err instanceof UsageError || (err as { code?: string })?.code?.startsWith?.('ERR_PARSE_ARGS')) {
      io.err(`${(err as Error).message}\n${USAGE}`);
      return 2;
    }
    io.err(`error: ${(err as Error)?.message ?? String(err)}`);
    return 1;
  }
}

type Values = Record<string, string | boolean | undefined>;

function need(values: Values, name: string): string {
  const v = values[name];
  if (typeof v !== 'string' || v === '') throw new UsageError(`missing --${name}`);
  return v;
}

function passphrase(values: Values, io: CliIo): string | undefined {
  const name = values['passphrase-env'];
  if (name === undefined) return undefined;
  const p = io.env[name as string];
  if (!p) throw new UsageError(`environment variable ${String(name)} is empty`);
  return p;
}

async function keygen(values: Values, io: CliIo): Promise<number> {
  const out = need(values, 'out');
  if (existsSync(out) && values.force !== true) throw new UsageError(`${out} exists (use --force to overwrite)`);
  const id = await createIdentity();
  const pass = passphrase(values, io);
  const text = pass === undefined
    ? JSON.stringify({ v: 1, kind: 'livecam-verifier-key', publicKey: id.publicKey, secretKey: toBase64url(id.secretKey) })
    : await exportIdentity(id, pass);
  writeFileSync(out, `${text}\n`, { mode: 0o600 });
  io.err(`verifier key written to ${out}; give operators this public key (VERIFIER_PUBLIC_KEYS):`);
  io.out(id.publicKey);
  return 0;
}

async function loadKey(values: Values, io: CliIo): Promise<Identity> {
  const path = need(values, 'key');
  const text = readFileSync(path, 'utf8').trim();
  let parsed: unknown;
  try { parsed = JSON.parse(text); } catch { throw new CryptoError('CRYPTO_BAD_ENCODING', `${path}: not a verifier key file`); }
  const o = asObject(parsed, 'key file');
  if (o.kind === 'livecam-identity') {
    const pass = passphrase(values, io);
    if (pass === undefined) throw new UsageError(`${path} is passphrase-protected: pass --passphrase-env VAR`);
    return importIdentity(text, pass);
  }
  if (o.kind !== 'livecam-verifier-key' || o.v !== 1) throw new CryptoError('CRYPTO_BAD_ENCODING', `${path}: not a verifier key file`);
  const id = await identityFromSecretKey(fromBase64url(o.secretKey, 64, 'secretKey'));
  if (id.publicKey !== o.publicKey) throw new CryptoError('CRYPTO_BAD_KEY', `${path}: public key does not match`);
  return id;
}

function loadSealed(path: string): Uint8Array | string {
  const raw = readFileSync(path);
  const text = raw.toString('utf8').trim();
  if (text.startsWith('{')) {
    let o: Record<string, unknown>;
    try { o = asObject(JSON.parse(text), 'sealed document file'); } catch { throw new CryptoError('CRYPTO_BAD_ENCODING', `${path}: bad JSON`); }
    if (typeof o.sealedDocument !== 'string') throw new CryptoError('CRYPTO_BAD_ENCODING', `${path}: no sealedDocument field`);
    return o.sealedDocument;
  }
  return isBase64url(text) ? text : new Uint8Array(raw);
}

function describe(doc: OpenedDocument): string {
  return JSON.stringify({
    modelKey: doc.modelKey, mimeType: doc.mimeType, submittedAt: new Date(doc.submittedAt * 1000).toISOString(),
    bytes: doc.document.length, sha256: createHash('sha256').update(doc.document).digest('hex'),
  });
}

async function open(values: Values, io: CliIo): Promise<number> {
  const out = need(values, 'out');
  const id = await loadKey(values, io);
  const doc = await openDocument(id, loadSealed(need(values, 'in')));
  writeFileSync(out, doc.document, { mode: 0o600 });
  io.out(describe(doc));
  io.err(`document written to ${out}: inspect it, then run decide; delete it when your retention rules allow`);
  return 0;
}

async function decide(values: Values, io: CliIo): Promise<number> {
  const adultFlag = need(values, 'adult');
  if (adultFlag !== 'yes' && adultFlag !== 'no') throw new UsageError('--adult must be yes or no');
  const keyPath = need(values, 'key');
  const id = await loadKey(values, io);
  const doc = await openDocument(id, loadSealed(need(values, 'in')));
  const attestation = await signAttestation(id, { modelKey: doc.modelKey, adult: adultFlag === 'yes' });
  const log = typeof values.log === 'string' ? values.log : join(dirname(resolve(keyPath)), 'decisions.jsonl');
  appendFileSync(log, `${JSON.stringify({
    decidedAt: new Date(attestation.issuedAt * 1000).toISOString(), modelKey: doc.modelKey, adult: attestation.adult,
    submittedAt: doc.submittedAt, mimeType: doc.mimeType, documentSha256: createHash('sha256').update(doc.document).digest('hex'),
    attestationSignature: attestation.signature,
  })}\n`, { mode: 0o600 });
  const text = JSON.stringify(attestation);
  if (typeof values.out === 'string') writeFileSync(values.out, `${text}\n`);
  else io.out(text);
  io.err(`decision for ${doc.modelKey}: ${adultFlag === 'yes' ? 'adult' : 'NOT adult'}; logged to ${log}`);
  return 0;
}

async function verify(values: Values, io: CliIo): Promise<number> {
  const path = need(values, 'in');
  let parsed: unknown;
  try { parsed = JSON.parse(readFileSync(path, 'utf8')); } catch { throw new CryptoError('CRYPTO_BAD_ENCODING', `${path}: not JSON`); }
  const trusted = need(values, 'trusted').split(',').map((k) => k.trim()).filter((k) => k !== '');
  const model = typeof values.model === 'string' ? values.model : undefined;
  const a = await verifyAttestation(parsed, trusted, undefined, { requireAdult: false, ...(model ? { modelKey: model } : {}) });
  io.out(JSON.stringify({ valid: true, modelKey: a.modelKey, adult: a.adult, issuedAt: a.issuedAt, verifierKey: a.verifierKey }));
  return 0;
}

function defaultIo(): CliIo {
  // `npm run` changes to the package root; INIT_CWD is where the user typed the command.
  return {
    out: (l) => process.stdout.write(`${l}\n`), err: (l) => process.stderr.write(`${l}\n`),
    env: process.env, cwd: process.env.INIT_CWD ?? process.cwd(),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exitCode = await main(process.argv.slice(2));
}
