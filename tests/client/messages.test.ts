/**
 * The one code-to-words map: every server and client code has plain words, and every thrown thing (server
 * answers, contract reverts, wallet refusals, plain errors) is shown through a known code, never raw text.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { PaymentError } from '../../contracts/errors.ts';
import { CryptoError } from '../../crypto/crypto-error.ts';
import { CLIENT_ERROR_CODES, ClientError, toClientError } from '../../client/errors.ts';
import { MESSAGES, messageFor } from '../../client/messages.ts';
import { PlatformError } from '../../crypto/errors.ts';
import { ERROR_CODES } from '../../signaling/protocol.ts';

const words = suite('messages');

words('every server and client code has words, and no code has more than one entry', () => {
  const codes = [...ERROR_CODES, ...CLIENT_ERROR_CODES];
  assert.is(new Set(codes).size, codes.length, 'client codes do not reuse server codes');
  assert.equal(Object.keys(MESSAGES).sort(), [...codes].sort());
  for (const code of codes) assert.ok(MESSAGES[code].length > 10 && !MESSAGES[code].includes(code), code);
});

words('a ClientError is a PlatformError with its code', () => {
  const e = new ClientError('WALLET_REJECTED', 'user said no');
  assert.ok(e instanceof PlatformError);
  assert.is(e.name, 'ClientError');
  assert.equal(e.toJSON(), { code: 'WALLET_REJECTED', message: 'user said no' });
});

words('library, wallet and unknown errors map to client codes', () => {
  assert.is(toClientError(new PaymentError('PAYMENT_INSUFFICIENT_BALANCE', 'ERC20InsufficientBalance(...)')).code, 'INSUFFICIENT_FUNDS');
  assert.is(toClientError(new PaymentError('PAYMENT_CHALLENGE_PERIOD_ACTIVE', 'x')).code, 'WITHDRAW_TOO_EARLY');
  assert.is(toClientError(new PaymentError('PAYMENT_RPC_ERROR', 'x')).code, 'CHAIN_UNAVAILABLE');
  assert.is(toClientError({ code: 4001, message: 'User rejected the request.' }).code, 'WALLET_REJECTED');
  assert.is(toClientError({ code: 'ACTION_REJECTED' }).code, 'WALLET_REJECTED');
  assert.is(toClientError({ code: 'INSUFFICIENT_FUNDS', message: 'insufficient funds for gas' }).code, 'INSUFFICIENT_GAS');
  assert.is(toClientError(new CryptoError('CRYPTO_INTERNAL', 'x')).code, 'UNKNOWN');
  assert.is(toClientError(new TypeError('Failed to fetch')).code, 'NETWORK');
  assert.is(toClientError(new Error('boom'), 'TX_FAILED').code, 'TX_FAILED');
  const kept = new ClientError('TIMEOUT', 'x');
  assert.is(toClientError(kept), kept);
});

words('what people see is the map\'s words, never the developer message', () => {
  assert.is(messageFor(new PaymentError('PAYMENT_INSUFFICIENT_BALANCE', 'ERC20InsufficientBalance(0xabc, 1, 2)')), MESSAGES.INSUFFICIENT_FUNDS);
  assert.is(messageFor(new Error('TypeError: cannot read properties of undefined')), MESSAGES.UNKNOWN);
});
words.run();
