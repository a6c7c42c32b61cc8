/**
 * The SFU's figures on the /metrics of the real `npm start` process (issue
 * 17): a show published and watched through signaling, then the page
 * scraped as a monitoring system would, from loopback (no METRICS_TOKEN).
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { npmStart } from '../helpers/npm-start.ts';
import { login, ok, type User } from '../signaling/helpers.ts';
import { exitSoon } from './helpers/browser.ts';
import { publishWhip, type WeriftPublisherClient } from './helpers/weriftPublisher.ts';
import { joinWhep, type WeriftViewerClient } from './helpers/weriftViewer.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const metrics = suite('npm start: /metrics carries the SFU');

metrics('per-show and per-worker SFU figures of a watched show', async () => {
  const { npm, url, output } = await npmStart();
  const users: User[] = [];
  let publisher: WeriftPublisherClient | undefined;
  let viewer: WeriftViewerClient | undefined;
  try {
    assert.ok(url, `no URL printed:\n${output()}`);
    const deadline = Date.now() + 120_000;

    const model = await login(url, 'model');
    const client = await login(url, 'client');
    users.push(model, client);
    const opened = await ok(model.socket, 'show:open', {});
    publisher = await publishWhip(opened.whipUrl, opened.whipToken);
    // The show is watchable once the publisher's media reached the SFU.
    let watch: Awaited<ReturnType<typeof ok<'show:watch'>>> | undefined;
    while (!watch && Date.now() < deadline) {
      watch = await ok(client.socket, 'show:watch', { model: model.key }).catch(() => undefined);
      if (!watch) await sleep(250);
    }
    assert.ok(watch, 'the show started');
    viewer = await joinWhep({ endpoint: watch.whepUrl, token: watch.whepToken, transportCc: true });
    const show = `show="${opened.showId}"`;

    // Gauges are read from the workers at scrape time: poll until the viewer's media shows in them.
    const wanted: [string, RegExp][] = [
      ['viewers', new RegExp(`^sfu_show_viewers\\{${show}\\} 1$`, 'm')],
      ['publisher bitrate', new RegExp(`^sfu_show_publisher_bitrate_kbps\\{${show}\\} [1-9]`, 'm')],
      ['forwarded bitrate', new RegExp(`^sfu_show_forwarded_bitrate_kbps\\{${show}\\} [1-9]`, 'm')],
      ['viewer loss', new RegExp(`^sfu_show_viewer_loss_fraction\\{${show}\\} [\\d.e-]+$`, 'm')],
      ['layer counts', new RegExp(`^sfu_show_layer_viewers\\{${show},layer="(low|medium|high)"\\} 1$`, 'm')],
      ['retransmitted bytes', new RegExp(`^sfu_show_retransmitted_bytes\\{${show}\\} \\d+$`, 'm')],
      // A transport-cc viewer has a send-side estimate: it sits in a finite bucket, not in "none".
      ['estimate distribution', new RegExp(`^sfu_show_viewer_estimate_viewers\\{${show},le="\\d+"\\} 1$`, 'm')],
      ['worker viewers', /^sfu_worker_viewers\{worker="\d+"\} 1$/m],
      ['worker shows', /^sfu_worker_shows\{worker="\d+"\} 1$/m],
      ['worker cpu', /^sfu_worker_cpu_seconds\{worker="1"\} [\d.e-]+$/m],
    ];
    let page = '';
    let missing = wanted.map(([name]) => name);
    while (missing.length && Date.now() < deadline) {
      const res = await fetch(`${url}/metrics`);
      assert.is(res.status, 200, 'a loopback scrape needs no token');
      page = await res.text();
      missing = wanted.filter(([, re]) => !re.test(page)).map(([name]) => name);
      if (missing.length) await sleep(500);
    }
    assert.equal(missing, [], `missing from /metrics: ${missing.join(', ')}\n${page.split('\n').filter((l) => l.startsWith('sfu_')).join('\n')}`);
    assert.ok(viewer.videoPackets() > 0, 'the viewer got video');
  } finally {
    await viewer?.close().catch(() => {});
    await publisher?.close().catch(() => {});
    for (const u of users) u.socket.close();
    if (npm.exitCode === null) {
      npm.kill('SIGTERM');
      await new Promise((r) => { const t = setTimeout(r, 15_000); npm.once('exit', () => { clearTimeout(t); r(null); }); });
      if (npm.exitCode === null) npm.kill('SIGKILL');
    }
  }
});

// werift keeps timers of its own after close: end the process once the suite is done.
metrics.after(exitSoon);
metrics.run();
