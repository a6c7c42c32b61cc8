/**
 * The Store's kept vouchers, in memory and on a real Redis: keep-if-higher per channel (atomic under concurrent
 * raises), the per-receiver index, and nothing kept beyond the voucher, both addresses and the time.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import { MemoryKv } from '../../signaling/kv-memory.ts';
import { RedisKv, connectRedis } from '../../signaling/kv-redis.ts';
import type { Kv } from '../../signaling/kv.ts';
import type { KeptVoucher } from '../../signaling/protocol.ts';
import { Store } from '../../signaling/store.ts';
import { startRedis, type RedisHandle } from './helpers.ts';

const hex = (bytes: number) => `0x${randomBytes(bytes).toString('hex')}`;

function voucher(channelId: string, amount: bigint, receiver: string, sender = hex(20)): KeptVoucher {
  return { channelId, cumulativeAmount: amount.toString(), signature: hex(65), sender, receiver, updatedAt: Date.now() };
}

function kept(name: string, make: () => Promise<Kv>, teardown: () => Promise<void> = async () => {}) {
  const t = suite(`kept vouchers (${name})`);
  let kv: Kv;
  let store: Store;
  t.before(async () => { kv = await make(); store = new Store(kv); });
  t.after(async () => { await kv.close(); await teardown(); });

  t('a voucher is kept only when it is higher than the one kept', async () => {
    const id = hex(32);
    const receiver = hex(20);
    assert.is(await store.keptVoucher(id), null);
    const first = voucher(id, 5n, receiver);
    assert.ok(await store.keepVoucher(first));
    assert.not.ok(await store.keepVoucher(voucher(id, 5n, receiver)), 'an equal amount is not kept');
    assert.not.ok(await store.keepVoucher(voucher(id, 4n, receiver)), 'a lower amount is not kept');
    assert.equal(await store.keptVoucher(id), first);
    // Decimal comparison, not string comparison: 10 > 9.
    const nine = voucher(id, 9n, receiver, first.sender);
    assert.ok(await store.keepVoucher(nine));
    const ten = voucher(id, 10n, receiver, first.sender);
    assert.ok(await store.keepVoucher(ten));
    assert.is((await store.keptVoucher(id.toUpperCase().replace('0X', '0x')))?.cumulativeAmount, '10', 'ids compare lower-case');
    assert.equal(await store.keptVoucher(id), ten);
  });

  t('concurrent raises on one channel leave the highest, each amount kept at most once', async () => {
    const id = hex(32);
    const receiver = hex(20);
    const amounts = Array.from({ length: 40 }, (_, i) => BigInt(1 + ((i * 17) % 40)) * 10n ** 18n);
    const results = await Promise.all(amounts.map((a) => store.keepVoucher(voucher(id, a, receiver))));
    assert.is((await store.keptVoucher(id))?.cumulativeAmount, (40n * 10n ** 18n).toString());
    assert.ok(results.some(Boolean));
    // Replaying every amount now keeps nothing.
    const again = await Promise.all(amounts.map((a) => store.keepVoucher(voucher(id, a, receiver))));
    assert.not.ok(again.some(Boolean));
    assert.is((await store.keptVouchersFor(receiver)).length, 1);
  });

  t('keptVouchersFor lists the latest voucher of every channel paying a receiver, and only those', async () => {
    const receiver = hex(20);
    const other = hex(20);
    const a = hex(32);
    const b = hex(32);
    await store.keepVoucher(voucher(a, 1n, receiver.toUpperCase().replace('0X', '0x')));
    await store.keepVoucher(voucher(a, 3n, receiver));
    await store.keepVoucher(voucher(b, 2n, receiver));
    await store.keepVoucher(voucher(hex(32), 7n, other));
    const list = await store.keptVouchersFor(receiver.toUpperCase().replace('0X', '0x'));
    assert.equal(list.map((v) => [v.channelId, v.cumulativeAmount]).sort(), [[a, '3'], [b, '2']].sort());
    for (const v of list) {
      assert.equal(Object.keys(v).sort(), ['channelId', 'cumulativeAmount', 'receiver', 'sender', 'signature', 'updatedAt']);
      assert.is(v.receiver, receiver);
    }
    assert.equal(await store.keptVouchersFor(hex(20)), []);
  });

  t('a settlement claim is held by one caller until released or expired', async () => {
    const id = hex(32);
    assert.ok(await store.claimSettlement(id, 60_000));
    assert.not.ok(await store.claimSettlement(id, 60_000));
    await store.releaseSettlement(id);
    assert.ok(await store.claimSettlement(id, 50));
    await new Promise((r) => setTimeout(r, 120));
    assert.ok(await store.claimSettlement(id, 60_000), 'an expired claim is free again');
  });

  return t;
}

kept('memory', async () => new MemoryKv()).run();

let redis: RedisHandle;
kept('redis', async () => {
  redis = await startRedis();
  return new RedisKv(await connectRedis(redis.url, () => {}));
}, () => redis.stop()).run();
