import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { PlatformError, isPlatformError } from '../../crypto/errors.ts';

const errors = suite('PlatformError');

errors('carries a stable code and serializes without stack or cause', () => {
  const err = new PlatformError('X_CODE', 'bad thing', { cause: new Error('inner secret') });
  assert.is(err.code, 'X_CODE');
  assert.is(err.name, 'PlatformError');
  assert.equal(JSON.parse(JSON.stringify(err)), { code: 'X_CODE', message: 'bad thing' });
  assert.ok(isPlatformError(err, 'X_CODE'));
  assert.not.ok(isPlatformError(err, 'OTHER'));
  assert.not.ok(isPlatformError(new Error('x')));
});

errors.run();
