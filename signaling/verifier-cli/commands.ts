/**
 * The verifier CLI's commands. Offline on files: keygen, open, decide, verify.
 * Against a signaling server (http-client.ts): fetch, submit, and review, the
 * whole loop where each pending document is decrypted to a private temp file
 * (0600) for the human to inspect, the answer (stdin, or --adult) is signed,
 * logged and submitted, and the decrypted file is deleted.
 */
import { appendFileSync, chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { openDocument, signAttestation, verifyAttestation, type AgeAttestation, type OpenedDocument } from '../../crypto/age.ts';
import { CryptoError } from '../../crypto/crypto-error.ts';
import { fromBase64url, isBase64url, toBase64url } from '../../crypto/encoding.ts';
import { createIdentity, exportIdentity, identityFromSecretKey, importIdentity, type Identity } from '../../crypto/identity.ts';
import { asObject } from '../../crypto/statement.ts';
import { UsageError, VerifierServerError } from './errors.ts';
import { listPending, postAttestation } from './http-client.ts';
import { adultFlag, modelFlag, need, passphrase, serverFlag, type CliIo, type Values } from './options.ts';

/** One function per command; each resolves the exit code or throws (main.ts maps the error to one). */
export const COMMANDS: Record<string, (values: Values, io: CliIo) => Promise<number>> = {
  keygen, open, decide, verify, fetch: fetchPending, submit, review,
};

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


function decisionLog(values: Values, keyPath: string): string {
  return typeof values.log === 'string' ? values.log : join(dirname(resolve(keyPath)), 'decisions.jsonl');
}

/** One line per decision: never the document, only its hash. */
function logDecision(log: string, doc: OpenedDocument, attestation: AgeAttestation): void {
  appendFileSync(log, `${JSON.stringify({
    decidedAt: new Date(attestation.issuedAt * 1000).toISOString(), modelKey: doc.modelKey, adult: attestation.adult,
    submittedAt: doc.submittedAt, mimeType: doc.mimeType, documentSha256: createHash('sha256').update(doc.document).digest('hex'),
    attestationSignature: attestation.signature,
  })}\n`, { mode: 0o600 });
}

async function decide(values: Values, io: CliIo): Promise<number> {
  const adult = adultFlag(values);
  const keyPath = need(values, 'key');
  const id = await loadKey(values, io);
  const doc = await openDocument(id, loadSealed(need(values, 'in')));
  const attestation = await signAttestation(id, { modelKey: doc.modelKey, adult: adult === 'yes' });
  const log = decisionLog(values, keyPath);
  logDecision(log, doc, attestation);
  const text = JSON.stringify(attestation);
  if (typeof values.out === 'string') writeFileSync(values.out, `${text}\n`);
  else io.out(text);
  io.err(`decision for ${doc.modelKey}: ${adult === 'yes' ? 'adult' : 'NOT adult'}; logged to ${log}`);
  return 0;
}

async function verify(values: Values, io: CliIo): Promise<number> {
  const path = need(values, 'in');
  let parsed: unknown;
  try { parsed = JSON.parse(readFileSync(path, 'utf8')); } catch { throw new CryptoError('CRYPTO_BAD_ENCODING', `${path}: not JSON`); }
  const trusted = need(values, 'trusted').split(',').map((k) => k.trim()).filter((k) => k !== '');
  const model = modelFlag(values);
  const a = await verifyAttestation(parsed, trusted, undefined, { requireAdult: false, ...(model ? { modelKey: model } : {}) });
  io.out(JSON.stringify({ valid: true, modelKey: a.modelKey, adult: a.adult, issuedAt: a.issuedAt, verifierKey: a.verifierKey }));
  return 0;
}

/** Writes a file only its owner can read, also when it already existed. */
function writePrivate(path: string, data: string | Uint8Array): void {
  writeFileSync(path, data, { mode: 0o600 });
  chmodSync(path, 0o600);
}

async function fetchPending(values: Values, io: CliIo): Promise<number> {
  const server = serverFlag(values, io);
  const dir = need(values, 'out');
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new UsageError(`--out ${dir} exists and is not a directory`);
  need(values, 'key');
  const id = await loadKey(values, io);
  const docs = await listPending(server, id);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  for (const doc of docs) {
    const file = join(dir, `${doc.modelKey}.json`);
    writePrivate(file, `${JSON.stringify(doc)}\n`);
    io.out(JSON.stringify({ modelKey: doc.modelKey, submittedAt: new Date(doc.submittedAt * 1000).toISOString(), file }));
  }
  io.err(`${docs.length} pending document(s) written to ${dir}; decide each with: verifier decide --key KEY --in FILE --adult yes|no --out ATTESTATION`);
  return 0;
}

async function readAttestationFile(path: string): Promise<AgeAttestation> {
  const text = readFileSync(path, 'utf8');
  let parsed: unknown;
  try { parsed = JSON.parse(text); } catch { throw new CryptoError('CRYPTO_BAD_ENCODING', `${path}: not JSON`); }
  const o = asObject(parsed, 'attestation');
  // Only the signature can be checked here (the server decides which verifier keys count).
  return verifyAttestation(o, typeof o.verifierKey === 'string' ? [o.verifierKey] : [], undefined, { requireAdult: false });
}

async function submit(values: Values, io: CliIo): Promise<number> {
  const server = serverFlag(values, io);
  const path = need(values, 'in');
  if (!existsSync(path)) throw new UsageError(`--in ${path}: no such file`);
  need(values, 'key');
  const attestation = await readAttestationFile(path);
  const id = await loadKey(values, io);
  const res = await postAttestation(server, id, attestation);
  io.out(JSON.stringify({ modelKey: res.modelKey, adult: attestation.adult, status: res.status }));
  return 0;
}

const EXTENSIONS: Record<string, string> = {
  'image/jpeg': '.jpg', 'image/png': '.png', 'image/webp': '.webp', 'image/heic': '.heic', 'image/gif': '.gif',
  'image/tiff': '.tif', 'application/pdf': '.pdf',
};

/** Asks until the answer is yes, no or skip; null when stdin has ended. */
async function askAdult(io: CliIo, modelKey: string): Promise<boolean | 'skip' | null> {
  if (!io.ask) throw new UsageError('no interactive input: pass --model KEY --adult yes|no');
  for (;;) {
    const answer = await io.ask(`Is the person in the document of ${modelKey} an adult? [yes/no/skip] `);
    if (answer === null) return null;
    const a = answer.trim().toLowerCase();
    if (a === 'yes' || a === 'y') return true;
    if (a === 'no' || a === 'n') return false;
    if (a === 'skip' || a === 's') return 'skip';
    io.err('please answer yes, no or skip');
  }
}

async function review(values: Values, io: CliIo): Promise<number> {
  const server = serverFlag(values, io);
  const keyPath = need(values, 'key');
  const model = modelFlag(values);
  const flag = values.adult === undefined ? undefined : adultFlag(values);
  if (flag !== undefined && model === undefined) throw new UsageError('--adult needs --model KEY: a non-interactive decision is about one model');
  const log = decisionLog(values, keyPath);
  const id = await loadKey(values, io);
  let docs = await listPending(server, id);
  if (model !== undefined) {
    docs = docs.filter((d) => d.modelKey === model);
    if (docs.length === 0) throw new VerifierServerError('NOT_PENDING', `no pending document for ${model}`);
  }
  if (docs.length === 0) {
    io.err('no pending documents');
    return 0;
  }
  const tmp = mkdtempSync(join(tmpdir(), 'livecam-review-'));
  chmodSync(tmp, 0o700);
  // Ctrl-C while the human looks at a document must not leave it on disk.
  const onSignal = (signal: NodeJS.Signals) => {
    rmSync(tmp, { recursive: true, force: true });
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let failures = 0;
  try {
    for (const pending of docs) {
      let doc: OpenedDocument;
      try {
        doc = await openDocument(id, pending.sealedDocument);
      } catch (err) {
        if (!(err instanceof CryptoError)) throw err;
        io.err(`${pending.modelKey}: ${err.code}: ${err.message}; skipped`);
        failures++;
        continue;
      }
      if (doc.modelKey !== pending.modelKey) {
        io.err(`${pending.modelKey}: the document inside is signed by another model (${doc.modelKey}); skipped`);
        failures++;
        continue;
      }
      const file = join(tmp, `document${EXTENSIONS[doc.mimeType.toLowerCase()] ?? '.bin'}`);
      writePrivate(file, doc.document);
      try {
        io.out(describe(doc));
        io.err(`document of ${doc.modelKey} (${doc.mimeType}) is at ${file}, readable by you only; it is deleted after the decision`);
        const answer = flag !== undefined ? flag === 'yes' : await askAdult(io, doc.modelKey);
        if (answer === null) throw new UsageError('input ended before a decision; nothing was signed for this document');
        if (answer === 'skip') {
          io.err(`${doc.modelKey}: skipped, still pending`);
          continue;
        }
        const attestation = await signAttestation(id, { modelKey: doc.modelKey, adult: answer });
        logDecision(log, doc, attestation);
        try {
          const res = await postAttestation(server, id, attestation);
          io.out(JSON.stringify({ modelKey: res.modelKey, adult: answer, status: res.status }));
          io.err(`decision for ${doc.modelKey}: ${answer ? 'adult' : 'NOT adult'}; logged to ${log}; server status ${res.status}`);
        } catch (err) {
          if (!(err instanceof VerifierServerError)) throw err;
          const saved = join(dirname(log), `attestation-${doc.modelKey}.json`);
          writePrivate(saved, `${JSON.stringify(attestation)}\n`);
          io.err(`${err.code}: ${err.message}; the signed decision is saved in ${saved}: retry with verifier submit --server ${server} --in ${saved}`);
          failures++;
        }
      } finally {
        rmSync(file, { force: true });
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  return failures === 0 ? 0 : 1;
}
