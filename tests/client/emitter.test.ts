/** The services' typed emitter: listeners in order, removal by the returned function, a throwing listener contained. */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Emitter } from '../../client/services/emitter.ts';

const t = suite('emitter');

t('calls listeners in order with the arguments; the returned function removes one', () => {
  const e = new Emitter<{ change: [number, string] }>();
  const seen: string[] = [];
  const stopA = e.on('change', (n, s) => seen.push(`a${n}${s}`));
  e.on('change', (n, s) => seen.push(`b${n}${s}`));
  e.emit('change', 1, 'x');
  stopA();
  stopA();
  e.emit('change', 2, 'y');
  assert.equal(seen, ['a1x', 'b1x', 'b2y']);
});

t('a listener that throws does not stop the others or the caller', async () => {
  const e = new Emitter<{ tick: [] }>();
  let after = 0;
  const thrown: unknown[] = [];
  const onError = (err: unknown) => thrown.push(err);
  process.on('uncaughtException', onError);
  e.on('tick', () => { throw new Error('listener bug'); });
  e.on('tick', () => { after++; });
  e.emit('tick');
  await new Promise((r) => setTimeout(r, 0));
  process.off('uncaughtException', onError);
  assert.is(after, 1);
  assert.is((thrown[0] as Error).message, 'listener bug', 'the error is reported, not swallowed');
});

t('clear drops every listener', () => {
  const e = new Emitter<{ tick: [] }>();
  let n = 0;
  e.on('tick', () => { n++; });
  e.clear();
  e.emit('tick');
  assert.is(n, 0);
});

t.run();
