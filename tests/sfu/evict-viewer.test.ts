/**
 * How a ban reaches the media: `evictViewer(showId, sub)` ends every viewer session of the show whose token
 * subject is `sub` (reason `evicted`, on every device of that viewer) and refuses that subject's joins for the
 * rest of the show even with a still-valid token (until `readmitViewer`), while other viewers keep their media. Real worker process,
 * werift publisher and viewers over loopback.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createSfu, type Sfu } from '../../sfu/sfu.ts';
import { mintSfuToken } from '../../sfu/tokens.ts';
import { exitSoon, startOrigin, waitFor, type Origin } from './helpers/browser.ts';
import { publishWhip } from './helpers/weriftPublisher.ts';
import { joinWhep } from './helpers/weriftViewer.ts';

const secret = new Uint8Array(32).fill(31);
let sfu: Sfu;
let origin: Origin;

const evict = suite('evict a viewer');

evict.before(async () => {
  sfu = await createSfu({ workers: 1, listenIp: '127.0.0.1' });
  origin = await startOrigin(sfu.engine, secret);
});

evict.after(async () => {
  await origin?.close();
  await sfu?.close();
  exitSoon();
});

const whep = (show: string, sub: string) => ({ endpoint: `${origin.url}/whep/${show}`, token: mintSfuToken(secret, { kind: 'whep', showId: show, sub, ttlSeconds: 600 }) });

evict('the evicted subject loses its media on every session and cannot join again; others keep watching', async () => {
  const show = 'evicts';
  const closed: { resourceId: string; reason: string }[] = [];
  sfu.engine.events.on('resourceclosed', (s, resourceId, role, reason) => { if (s === show && role === 'viewer') closed.push({ resourceId, reason }); });
  const publisher = await publishWhip(`${origin.url}/whip/${show}`, mintSfuToken(secret, { kind: 'whip', showId: show, sub: 'model', ttlSeconds: 600 }));
  await waitFor(() => sfu.engine.hasShow(show), 10_000, 'show live');
  const banned = whep(show, 'banned-viewer');
  const [phone, laptop, other] = await Promise.all([joinWhep(banned), joinWhep(banned), joinWhep(whep(show, 'other-viewer'))]);
  try {
    for (const v of [phone, laptop, other]) await waitFor(() => v.videoPackets() > 10, 10_000, 'viewer receiving');

    await sfu.engine.evictViewer(show, 'banned-viewer');
    const evicted = await waitFor(() => (closed.length >= 2 ? closed : undefined), 5000, 'both sessions closed');
    const ids = (l: string) => l.split('/').pop()!;
    assert.equal(evicted.map((c) => c.resourceId).sort(), [ids(phone.location), ids(laptop.location)].sort(), 'both of the banned subject\'s sessions, nobody else\'s');
    assert.equal(evicted.map((c) => c.reason), ['evicted', 'evicted']);

    // Media stops for the evicted sessions and goes on for the other viewer.
    await new Promise((r) => setTimeout(r, 300));
    const stopped = [phone.videoPackets(), laptop.videoPackets()];
    const going = other.videoPackets();
    await waitFor(() => other.videoPackets() > going + 20, 5000, 'the other viewer keeps receiving');
    assert.equal([phone.videoPackets(), laptop.videoPackets()], stopped, 'no packet reaches an evicted session');

    // The same (still valid) token is refused from now on.
    const again = await fetch(banned.endpoint, { method: 'POST', headers: { 'Content-Type': 'application/sdp', Authorization: `Bearer ${banned.token}` }, body: 'v=0\r\n' });
    assert.is(again.status, 403);
    assert.is(((await again.json()) as { error: { code: string } }).error.code, 'SFU_FORBIDDEN');
    const fresh = await joinWhep(whep(show, 'late-viewer'));
    await waitFor(() => fresh.videoPackets() > 5, 10_000, 'another subject still joins');
    await fresh.close();
    // Readmitted (the model lifted the ban): the same subject joins again.
    await sfu.engine.readmitViewer(show, 'banned-viewer');
    const back = await joinWhep(banned);
    await waitFor(() => back.videoPackets() > 5, 10_000, 'the readmitted subject receives again');
    await back.close();
    // Evicting from a show nobody publishes is a no-op, not an error.
    await sfu.engine.evictViewer('nobody-here', 'banned-viewer');
  } finally {
    await Promise.all([phone.close(), laptop.close(), other.close()]);
    await publisher.close();
  }
});

evict.run();
