/** Named timers: one per name, cancellable, their work tracked, all cleared on close. */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Writable } from 'node:stream';
import { createLogger } from '../../signaling/logger.ts';
import { Timers } from '../../signaling/timers.ts';
import { sleep } from './helpers.ts';

function make() {
  const tracked: Promise<unknown>[] = [];
  const logs: string[] = [];
  const logger = createLogger('error', new Writable({ write(c, _e, cb) { logs.push(String(c)); cb(); } }));
  return { t: new Timers((w) => tracked.push(w), logger), tracked, logs };
}

const t = suite('timers');

t('a name holds one timer: setting it again replaces it; has() while pending', async () => {
  const { t: timers, tracked } = make();
  const fired: string[] = [];
  timers.set('viewers:a', 30, () => { fired.push('first'); });
  timers.set('viewers:a', 60, () => { fired.push('second'); });
  assert.ok(timers.has('viewers:a'));
  await sleep(120);
  assert.equal(fired, ['second']);
  assert.not.ok(timers.has('viewers:a'), 'a fired timer is no longer pending');
  assert.is(tracked.length, 1, 'its work was handed to track');
});

t('cancel stops one name; a failing callback is logged by its prefix only', async () => {
  const { t: timers, tracked, logs } = make();
  const fired: string[] = [];
  timers.set('model:secret-key', 20, () => { fired.push('model'); });
  timers.set('peer:s1:secret-key', 20, () => { throw new Error('boom'); });
  timers.cancel('model:secret-key');
  await sleep(60);
  await Promise.all(tracked);
  assert.equal(fired, []);
  const text = logs.join('');
  assert.ok(text.includes('"timer":"peer"'), text);
  assert.not.ok(text.includes('secret-key'), 'the name (it holds a key) is not logged');
});

t('close clears every pending timer and refuses new ones', async () => {
  const { t: timers } = make();
  const fired: string[] = [];
  timers.set('a:1', 20, () => { fired.push('a'); });
  timers.set('b:1', 20, () => { fired.push('b'); });
  timers.close();
  timers.set('c:1', 10, () => { fired.push('c'); });
  assert.not.ok(timers.has('c:1'));
  await sleep(60);
  assert.equal(fired, []);
  timers.close();
});

t.run();
