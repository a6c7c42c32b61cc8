/**
 * One error dialect: a library error reaches the wire only as the caller's code when it says the input was bad;
 * an internal fault is answered INTERNAL without details and logged with its cause chain; every HTTP route answers
 * errors as `{ error: { code, message } }`.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Writable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { CryptoError } from '../../crypto/crypto-error.ts';
import { PaymentError } from '../../contracts/errors.ts';
import { SignalingError, answerFor, asWireError, fail } from '../../signaling/errors.ts';
import { createLogger, serializeError } from '../../signaling/logger.ts';
import { AGE_DOCUMENT_PATH, LIMITS } from '../../signaling/protocol.ts';
import { createIdentity, type Identity } from '../../crypto/identity.ts';
import { verifierAuthorization } from '../../crypto/verifier-auth.ts';
import { call, login, ok, startRedis, startServer, testConfig, type RedisHandle, type Running } from './helpers.ts';

const codeOf = async (work: () => Promise<unknown>): Promise<string> => {
  try {
    await work();
    return 'none';
  } catch (err) {
    return err instanceof SignalingError ? `wire ${err.code}` : `passed ${(err as { code?: string }).code ?? 'plain'}`;
  }
};

const mapping = suite('library error to wire error');
mapping('input faults take the caller\'s code with the field; internal faults and bugs pass through', async () => {
  assert.is(await codeOf(() => asWireError('LOGIN_FAILED', '', () => { throw new CryptoError('CRYPTO_BAD_SIGNATURE', 'bad'); })), 'wire LOGIN_FAILED');
  assert.is(await codeOf(() => asWireError('VOUCHER_INVALID', 'voucher', async () => { throw new PaymentError('PAYMENT_VOUCHER_MALFORMED', 'x'); })), 'wire VOUCHER_INVALID');
  assert.is(await codeOf(() => asWireError('LOGIN_FAILED', '', () => { throw new CryptoError('CRYPTO_INTERNAL', 'libsodium broke'); })), 'passed CRYPTO_INTERNAL');
  assert.is(await codeOf(() => asWireError('VOUCHER_INVALID', '', () => { throw new PaymentError('PAYMENT_RPC_ERROR', 'rpc down'); })), 'passed PAYMENT_RPC_ERROR');
  assert.is(await codeOf(() => asWireError('BAD_REQUEST', '', () => { throw new TypeError('bug'); })), 'passed plain');
  assert.is(await asWireError('BAD_REQUEST', '', () => 7), 7);
  try {
    await asWireError('BAD_REQUEST', 'attestation', () => { throw new CryptoError('CRYPTO_BAD_ENCODING', 'not JSON'); });
  } catch (err) {
    assert.is((err as Error).message, 'attestation: not JSON');
    assert.is(((err as Error).cause as CryptoError).code, 'CRYPTO_BAD_ENCODING', 'the cause is kept');
  }
});

mapping('answerFor: protocol errors as they are, everything else INTERNAL, and what the log hears', () => {
  const input = new SignalingError('BAD_REQUEST', 'fingerprint: bad', { cause: new CryptoError('CRYPTO_BAD_SIGNATURE', 'x') });
  assert.equal(answerFor(input), { error: { code: 'BAD_REQUEST', message: 'fingerprint: bad' }, log: null });
  const rpc = new SignalingError('CHAIN_UNAVAILABLE', 'cannot read the channel', { cause: new Error('ECONNREFUSED') });
  assert.equal(answerFor(rpc), { error: { code: 'CHAIN_UNAVAILABLE', message: 'cannot read the channel' }, log: 'warn' });
  const internal = new SignalingError('INTERNAL', 'profile cannot be decrypted', { cause: new CryptoError('CRYPTO_UNKNOWN_KEY_ID', 'k9') });
  assert.equal(answerFor(internal), { error: { code: 'INTERNAL', message: 'internal error' }, log: 'error' });
  assert.equal(answerFor(new CryptoError('CRYPTO_INTERNAL', 'x')), { error: { code: 'INTERNAL', message: 'internal error' }, log: 'error' });
  assert.equal(answerFor('thrown string'), { error: { code: 'INTERNAL', message: 'internal error' }, log: 'error' });
  assert.throws(() => fail('NOT_FOUND', 'x'), (e: unknown) => e instanceof SignalingError && e.code === 'NOT_FOUND');
});

mapping('the log shape of an error carries its causes; of a library error with a short message, only that', () => {
  const rpc = Object.assign(new Error('could not coalesce error (payload={"data":"0xabcdef0123"})'), { code: 'UNKNOWN_ERROR', shortMessage: 'could not coalesce error' });
  const top = new SignalingError('INTERNAL', 'outer', { cause: new CryptoError('CRYPTO_INTERNAL', 'middle', { cause: rpc }) });
  const logged = serializeError(top);
  assert.equal([logged.code, logged.cause?.code, logged.cause?.cause?.code], ['INTERNAL', 'CRYPTO_INTERNAL', 'UNKNOWN_ERROR']);
  assert.is(logged.cause?.cause?.message, 'could not coalesce error');
  assert.not.ok(JSON.stringify(logged).includes('0xabcdef0123'), 'no call data in the log');
});

const internal = suite('an internal fault over the socket');
let redis: RedisHandle;
const lines: string[] = [];
internal.before(async () => { redis = await startRedis(); });
internal.after(async () => { await redis.stop(); });

internal('is answered INTERNAL without details; the server log has the cause chain', async () => {
  // A record sealed under a master key this node does not hold: the vault cannot open it (not the client's fault).
  const first = await startServer({ env: { REDIS_URL: redis.url } });
  const model = await login(first.url, 'model');
  await ok(model.socket, 'profile:set', { fields: { displayName: 'x' } });
  model.socket.close();
  await first.server.close();

  const sink = new Writable({ write(chunk, _enc, cb) { lines.push(...String(chunk).split('\n').filter(Boolean)); cb(); } });
  const config = testConfig({ REDIS_URL: redis.url, MASTER_KEYS: `k9:${randomBytes(32).toString('base64')}` });
  const second: Running = await startServer({ config, logger: createLogger('info', sink) });
  const again = await login(second.url, 'model', model.identity);
  const res = await call(again.socket, 'profile:get', {});
  assert.equal(res, { ok: false, error: { code: 'INTERNAL', message: 'internal error' } });
  const failed = lines.map((l) => JSON.parse(l) as { msg: string; err?: { code?: string; cause?: { code?: string } } }).find((l) => l.msg === 'handler failed');
  assert.ok(failed, 'the fault is logged');
  assert.is(failed!.err?.code, 'INTERNAL');
  assert.is(failed!.err?.cause?.code, 'CRYPTO_UNKNOWN_KEY_ID', 'with the library fault behind it');
  again.socket.close();
  await second.server.close();
});

const http = suite('HTTP error body');
let run: Running;
let verifier: Identity;
http.before(async () => {
  verifier = await createIdentity();
  run = await startServer({ env: { VERIFIER_PUBLIC_KEYS: verifier.publicKey, AGE_VERIFICATION: 'required' } });
});
http.after(async () => { await run.server.close(); });

http('every signaling route answers errors as { error: { code, message } } and nothing else', async () => {
  const model = await login(run.url, 'model');
  const bodyOf = async (path: string, init: RequestInit = {}) => {
    const res = await fetch(`${run.url}${path}`, init);
    return { status: res.status, body: await res.json() as Record<string, unknown> };
  };
  const upload = (headers: Record<string, string>, body: Uint8Array) => bodyOf(`${AGE_DOCUMENT_PATH}?verifierKey=${'A'.repeat(43)}`, {
    method: 'POST', headers: { 'content-type': 'application/octet-stream', ...headers }, body: body as unknown as BodyInit,
  });
  // Signed by the verifier (the route refuses unsigned requests before reading the body).
  const json = async (path: string, body: string, signed = true) => bodyOf(path, {
    method: 'POST', body,
    headers: { 'content-type': 'application/json', ...(signed ? { authorization: await verifierAuthorization(verifier, 'POST', path) } : {}) },
  });
  const cases = [
    ['no token', await upload({}, new Uint8Array(10)), 401, 'UNAUTHENTICATED'],
    ['bad token', await upload({ authorization: 'Bearer nope' }, new Uint8Array(10)), 401, 'SESSION_EXPIRED'],
    ['too large', await upload({ authorization: `Bearer ${model.token}` }, new Uint8Array(LIMITS.ageDocumentMaxBytes + 1)), 413, 'BAD_REQUEST'],
    ['empty', await upload({ authorization: `Bearer ${model.token}` }, new Uint8Array(0)), 400, 'BAD_REQUEST'],
    ['unsigned verifier', await bodyOf('/verifier/pending'), 401, 'UNAUTHENTICATED'],
    ['malformed JSON', await json('/verifier/attestations', '{nope'), 400, 'BAD_REQUEST'],
    ['no attestation', await json('/verifier/attestations', '{}'), 400, 'BAD_REQUEST'],
    ['unsigned attestation', await json('/verifier/attestations', '{}', false), 401, 'UNAUTHENTICATED'],
    ['bad page cursor', await bodyOf('/verifier/pending?after=%00', { headers: { authorization: await verifierAuthorization(verifier, 'GET', '/verifier/pending') } }), 400, 'BAD_REQUEST'],
  ] as const;
  for (const [what, { status, body }, wantStatus, wantCode] of cases) {
    assert.is(status, wantStatus, what);
    assert.equal(Object.keys(body), ['error'], `${what}: ${JSON.stringify(body)}`);
    const error = body.error as { code: string; message: string };
    assert.equal(Object.keys(error).sort(), ['code', 'message'], what);
    assert.is(error.code, wantCode, what);
    assert.type(error.message, 'string');
  }
  model.socket.close();
});

mapping.run();
internal.run();
http.run();
