/**
 * The studio's profile checks (client/lib/profile-fields.ts): what the form accepts fits the server's schema
 * (`profile:set`, `model:setPrice`), what it refuses is said in plain words per field, and a saved profile
 * reads back as it was written.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { schemas } from '../../signaling/protocol.ts';
import { checkProfile, formOf, profileFromFields, profileToFields, type ProfileForm } from '../../client/lib/profile-fields.ts';

const fields = suite('profile fields');
const good: ProfileForm = { stageName: ' Luna ', about: 'Hi', languages: ['en', 'fr'], tags: 'Music, cosplay, music', price: '1.5', minMinutes: '3' };

fields('a good form is normalized and the server schemas accept it', () => {
  const r = checkProfile(good);
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  assert.equal(r.value.profile, { stageName: 'Luna', about: 'Hi', languages: ['en', 'fr'], tags: ['music', 'cosplay'] });
  assert.is(r.value.pricePerMinute, 1_500_000_000_000_000_000n);
  assert.ok(schemas['profile:set'].safeParse({ fields: profileToFields(r.value.profile) }).success);
  assert.ok(schemas['model:setPrice'].safeParse({ pricePerMinute: r.value.pricePerMinute.toString(), minMinutes: r.value.minMinutes }).success);
  assert.equal(profileFromFields(profileToFields(r.value.profile)), r.value.profile);
  assert.equal(formOf(r.value.profile, r.value.pricePerMinute, 3), { ...good, stageName: 'Luna', tags: 'music, cosplay' });
});

fields('the longest accepted values still fit the server', () => {
  const r = checkProfile({ ...good, stageName: 'a'.repeat(40), about: 'b'.repeat(1000), tags: Array.from({ length: 8 }, (_, i) => `${'t'.repeat(23)}${i}`).join(','), languages: ['en', 'fr', 'de', 'it', 'es'], price: '10000', minMinutes: '240' });
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  assert.ok(schemas['profile:set'].safeParse({ fields: profileToFields(r.value.profile) }).success);
});

fields('bad values are refused field by field in plain words', () => {
  const r = checkProfile({ stageName: 'x'.repeat(41), about: 'a\u202eb', languages: ['en', 'xx'], tags: 'ok, <b>', price: '-1', minMinutes: '241' });
  assert.is(r.ok, false);
  if (r.ok) return;
  assert.equal(Object.keys(r.problems).sort(), ['about', 'languages', 'minMinutes', 'price', 'stageName', 'tags']);
  assert.is(r.problems.stageName, 'Your stage name can have at most 40 characters (it has 41).');
  for (const text of Object.values(r.problems)) assert.ok(text!.length > 10 && !/[A-Z_]{6,}/.test(text!), text);
  const many = checkProfile({ ...good, tags: 'a1,b2,c3,d4,e5,f6,g7,h8,i9', languages: ['en', 'fr', 'de', 'it', 'es', 'pt'], price: '10000.1', minMinutes: '1.5' });
  assert.equal(many.ok ? [] : Object.keys(many.problems).sort(), ['languages', 'minMinutes', 'price', 'tags']);
});

fields.run();
