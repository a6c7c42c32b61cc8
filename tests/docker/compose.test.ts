/**
 * docker/compose.yml resolved by Debian's `docker-compose config` for each profile: what goes online and what
 * must not (the dev chain), Redis persistence, the reverse proxy the signaling nodes trust, two SFU hosts, coturn
 * over TLS, our images non-root and health-checked, the production profile refusing to start without an RPC, and
 * every variable documented.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { CONFIG_VARIABLES } from '../../signaling/config.ts';
import { DEV_SECRETS, PRODUCTION_ENV, composeConfig, composeFile, published, root, type Resolved } from './compose.ts';
import { last, parseDockerfile, resolvedInstructions } from './dockerfile.ts';

const production = composeConfig('production', PRODUCTION_ENV);
const dev = composeConfig('dev', DEV_SECRETS, join(root, 'docker', 'dev.env'));
const profiles: [string, Resolved][] = [['production', production.config!], ['dev', dev.config!]];

const resolve = suite('compose: profiles resolve');

resolve('both profiles resolve; each has its own entry point, and the chain is in dev only', () => {
  assert.is(production.status, 0, production.stderr);
  assert.is(dev.status, 0, dev.stderr);
  const p = Object.keys(production.config!.services).sort();
  const d = Object.keys(dev.config!.services).sort();
  for (const name of ['signaling-a', 'signaling-b', 'sfu-1', 'sfu-2', 'redis', 'coturn']) {
    assert.ok(p.includes(name) && d.includes(name), name);
  }
  assert.ok(p.includes('entry') && !p.includes('entry-dev') && !p.includes('chain'), p.join(' '));
  assert.ok(d.includes('entry-dev') && d.includes('chain') && !d.includes('entry'), d.join(' '));
});

resolve('the production profile refuses to start without an RPC_URL, naming it', () => {
  const { RPC_URL: _, ...without } = PRODUCTION_ENV;
  const run = composeConfig('production', without);
  assert.is.not(run.status, 0);
  assert.match(run.stderr, /RPC_URL/);
  assert.is(run.config, null);
});

const exposure = suite('compose: what is reachable');

exposure('the dev chain publishes no port and sits only on an internal network', () => {
  const { services, networks } = dev.config!;
  const chain = services.chain!;
  assert.equal(published(chain), []);
  assert.is(chain.network_mode, undefined);
  assert.equal(Object.keys(chain.networks ?? {}), ['chain']);
  assert.is(networks!.chain?.internal, true, 'the chain network has no way out');
  const onChainNet = Object.entries(services).filter(([, s]) => Object.keys(s.networks ?? {}).includes('chain')).map(([n]) => n).sort();
  assert.equal(onChainNet, ['chain', 'signaling-a', 'signaling-b'], 'only signaling reaches the chain');
  for (const [name, s] of Object.entries(services)) assert.ok(!published(s).some((p) => p.endsWith(':8545')), `${name} publishes no chain port`);
});

exposure('dev publishes on the Docker host\'s loopback only; Redis is never published beyond loopback', () => {
  for (const [name, s] of Object.entries(dev.config!.services)) {
    for (const p of published(s)) assert.ok(p.startsWith('127.0.0.1:'), `${name}: ${p} on loopback`);
  }
  for (const [, config] of profiles) assert.equal(published(config.services.redis!), ['127.0.0.1:6379']);
});

exposure('production: only the entry point publishes, for HTTP, HTTPS and the two SFU hosts\' WHIP/WHEP', () => {
  const { services } = production.config!;
  const publishing = Object.entries(services).filter(([n, s]) => n !== 'redis' && published(s).length > 0).map(([n]) => n);
  assert.equal(publishing, ['entry']);
  assert.equal(published(services.entry!).sort(), [':443', ':80', ':8441', ':8442']);
});

const parts = suite('compose: the parts');

parts('Redis persists every write: append-only file on a named volume, and a password', () => {
  for (const [profile, config] of profiles) {
    const redis = config.services.redis!;
    const cmd = redis.command!.join(' ');
    assert.match(cmd, /--appendonly yes/, profile);
    assert.match(cmd, /--dir \/data/, profile);
    assert.match(cmd, `--requirepass ${PRODUCTION_ENV.REDIS_PASSWORD}`, profile);
    assert.not.match(cmd, /--save ''|--appendonly no/, profile);
    const volume = redis.volumes!.find((v) => v.split(':')[1] === '/data');
    assert.ok(volume, `${profile}: /data is a volume`);
    assert.ok(Object.keys(config.volumes ?? {}).includes(volume!.split(':')[0]!), `${profile}: a named volume`);
  }
});

parts('two signaling nodes trust exactly the entry point\'s address and header, with per-address limits on', () => {
  const proxyConf = readFileSync(join(root, 'docker', 'nginx', 'proxy.conf'), 'utf8');
  assert.match(proxyConf, /^proxy_set_header X-Forwarded-For \$remote_addr;$/m, 'nginx writes the peer address, not the client\'s header');
  assert.match(proxyConf, /^proxy_set_header Upgrade \$http_upgrade;$/m);
  assert.match(proxyConf, /^proxy_set_header Connection \$connection_upgrade;$/m);
  for (const [profile, config] of profiles) {
    const entry = config.services[profile === 'dev' ? 'entry-dev' : 'entry']!;
    const address = entry.networks!.front!.ipv4_address!;
    for (const name of ['signaling-a', 'signaling-b']) {
      const env = config.services[name]!.environment!;
      assert.is(env.TRUSTED_PROXIES, address, `${profile} ${name}`);
      assert.is(env.TRUSTED_PROXY_HEADER, 'x-forwarded-for');
      assert.is(env.ADDRESS_RATE_LIMITS, 'on');
      assert.is(env.SFU_MODE, 'remote');
      assert.match(env.REDIS_URL!, /^redis:\/\/:[^@]+@redis:6379$/);
    }
    const template = readFileSync(join(root, 'docker', 'nginx', `${profile}.conf.template`), 'utf8');
    for (const upstream of ['server signaling-a:8080', 'server signaling-b:8080']) assert.match(template, upstream);
    assert.match(template, /include \/etc\/nginx\/snippets\/livecam-proxy\.conf;/);
    assert.ok(entry.volumes!.some((v) => v.endsWith(`docker/nginx/${profile}.conf.template:/etc/nginx/templates/default.conf.template:ro`)));
  }
  const tls = readFileSync(join(root, 'docker', 'nginx', 'production.conf.template'), 'utf8');
  for (const port of [443, 8441, 8442]) assert.match(tls, `listen ${port} ssl`);
  assert.match(tls, /return 301 https:/);
});

parts('two SFU hosts, each its own id and public URL, announcing the public address', () => {
  for (const [profile, config] of profiles) {
    const hosts = ['sfu-1', 'sfu-2'].map((n) => config.services[n]!.environment!);
    assert.equal(hosts.map((e) => e.SFU_HOST_ID), ['sfu-1', 'sfu-2'], profile);
    assert.is(new Set(hosts.map((e) => e.SFU_PUBLIC_URL)).size, 2, `${profile}: distinct public URLs`);
    assert.is(new Set(hosts.map((e) => e.PORT)).size, 2, `${profile}: distinct ports on the host's network`);
    for (const e of hosts) assert.ok(e.SFU_ANNOUNCED_IP, `${profile}: announced IP`);
  }
  assert.equal(['sfu-1', 'sfu-2'].map((n) => production.config!.services[n]!.environment!.SFU_PUBLIC_URL), [PRODUCTION_ENV.SFU_1_PUBLIC_URL, PRODUCTION_ENV.SFU_2_PUBLIC_URL]);
});

parts('coturn runs the checked config file, and signaling hands out TURN over TLS as well as UDP', () => {
  for (const [profile, config] of profiles) {
    const coturn = config.services.coturn!;
    assert.equal(coturn.command!.slice(0, 2), ['-c', '/etc/coturn/turnserver.conf'], profile);
    assert.ok(coturn.volumes!.some((v) => v.endsWith('docker/coturn/turnserver.conf:/etc/coturn/turnserver.conf:ro')));
    assert.ok(coturn.volumes!.some((v) => v.endsWith(':/etc/coturn/certs:ro')), `${profile}: certificates mounted`);
    assert.not.ok(coturn.command!.some((a) => /allow-loopback-peers|allowed-peer-ip|--denied-peer-ip/.test(a)), 'the ranges are the file\'s only');
    assert.ok(coturn.user && coturn.user !== 'root', `${profile}: coturn is not root`);
    const urls = config.services['signaling-a']!.environment!.TURN_URLS!.split(',');
    assert.ok(urls.some((u) => /^turns:[^:]+:5349\?transport=tcp$/.test(u)), urls.join(','));
    assert.ok(urls.some((u) => /^turn:[^:]+:3478\?transport=udp$/.test(u)), urls.join(','));
  }
});

parts('our images: non-root, health-checked, never overridden to root or without the check', () => {
  const stages = parseDockerfile(join(root, 'docker', 'Dockerfile'));
  for (const [profile, config] of profiles) {
    const ours = Object.entries(config.services).filter(([, s]) => s.build);
    assert.ok(ours.length >= 4, profile);
    for (const [name, s] of ours) {
      assert.is(s.build!.dockerfile, 'docker/Dockerfile');
      const stage = resolvedInstructions(stages, s.build!.target!);
      const user = s.user ?? last(stage, 'USER');
      assert.ok(user && !['root', '0'].includes(user), `${profile} ${name}: runs as ${user}`);
      assert.ok(last(stage, 'HEALTHCHECK') || s.healthcheck?.test, `${profile} ${name}: health-checked`);
      assert.is.not(s.healthcheck?.disable, true, `${profile} ${name}`);
    }
  }
});

parts('start order waits for health: nodes for a healthy Redis, the entry for healthy signaling nodes', () => {
  for (const [profile, config] of profiles) {
    for (const name of ['signaling-a', 'signaling-b', 'sfu-1', 'sfu-2']) {
      assert.equal(config.services[name]!.depends_on, { redis: { condition: 'service_healthy' } }, `${profile} ${name}`);
    }
    const entry = config.services[profile === 'dev' ? 'entry-dev' : 'entry']!;
    assert.equal(entry.depends_on, { 'signaling-a': { condition: 'service_healthy' }, 'signaling-b': { condition: 'service_healthy' } }, profile);
    assert.ok(config.services.redis!.healthcheck?.test, `${profile}: Redis is health-checked`);
  }
});

const docs = suite('compose: every variable documented');

docs('every variable compose.yml reads and every variable of signaling/config.ts is in the docs', () => {
  const guide = readFileSync(join(root, 'docker', 'README.md'), 'utf8');
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const composeVars = [...readFileSync(composeFile, 'utf8').matchAll(/\$\{([A-Z0-9_]+)/g)].map((m) => m[1]!);
  assert.ok(composeVars.length > 10);
  const undocumented = [...new Set(composeVars)].filter((v) => !guide.includes(`\`${v}\``));
  assert.equal(undocumented, [], 'compose variables missing from docker/README.md');
  const configUndocumented = CONFIG_VARIABLES.filter((v) => !guide.includes(`\`${v}\``) && !readme.includes(`\`${v}\``));
  assert.equal(configUndocumented, [], 'signaling/config.ts variables missing from README.md and docker/README.md');
});

resolve.run();
exposure.run();
parts.run();
docs.run();
