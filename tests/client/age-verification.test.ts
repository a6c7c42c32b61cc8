/**
 * The age page refuses, before sealing anything, a file the server could not take once sealed (protocol
 * LIMITS.ageDocumentMaxBytes, minus what sealing adds) or that is not a photo or PDF of a document.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { sealDocument } from '../../crypto/age.ts';
import { createIdentity } from '../../crypto/identity.ts';
import { MAX_DOCUMENT_BYTES, checkDocument } from '../../client/services/age-verification.ts';
import { ClientError } from '../../client/errors.ts';
import { LIMITS } from '../../signaling/protocol.ts';

const files = suite('age document checks');

function code(fn: () => void): string | null {
  try {
    fn();
    return null;
  } catch (err) {
    assert.instance(err, ClientError);
    return (err as ClientError).code;
  }
}

files('images and PDFs up to the limit pass; empty, other types and bigger files are refused with their code', () => {
  for (const type of ['image/jpeg', 'image/png', 'image/webp', 'application/pdf']) assert.is(code(() => checkDocument(new Blob([new Uint8Array(10)], { type }))), null, type);
  assert.is(code(() => checkDocument(new Blob([], { type: 'image/png' }))), 'DOCUMENT_UNSUPPORTED');
  assert.is(code(() => checkDocument(new Blob([new Uint8Array(10)], { type: 'text/html' }))), 'DOCUMENT_UNSUPPORTED');
  assert.is(code(() => checkDocument(new Blob([new Uint8Array(10)]))), 'DOCUMENT_UNSUPPORTED', 'no type');
  assert.is(code(() => checkDocument(new Blob([new Uint8Array(MAX_DOCUMENT_BYTES)], { type: 'image/jpeg' }))), null);
  assert.is(code(() => checkDocument(new Blob([new Uint8Array(MAX_DOCUMENT_BYTES + 1)], { type: 'image/jpeg' }))), 'DOCUMENT_TOO_LARGE');
});

files('the largest document accepted still fits the server\'s upload limit once sealed', async () => {
  const sealed = await sealDocument((await createIdentity()).publicKey, new Uint8Array(MAX_DOCUMENT_BYTES).fill(1), await createIdentity(), { mimeType: 'application/pdf' });
  assert.ok(sealed.length <= LIMITS.ageDocumentMaxBytes, `${sealed.length} bytes`);
});

files.run();
