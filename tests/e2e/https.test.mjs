// HTTPS on the listener (--tls-cert, --tls-key) end to end: the eventsource package (Node trusts
// the test CA through NODE_EXTRA_CA_CERTS, set by ctest) and Debian's Chromium (told to trust
// exactly the server's key) against a node serving the page, the API and the streams over TLS.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { requireNodeModules, startServer } from './server.mjs';
import { connect } from './sse.mjs';

requireNodeModules();
const { chromium } = await import('playwright-core');

const certs = process.env.PRESENCE_E2E_TLS;
if (!certs)
  throw new Error('PRESENCE_E2E_TLS is not set: ctest sets it (tests/e2e/make-test-ca.sh DIR)');
const tlsArgs = ['--tls-cert', path.join(certs, 'server.crt'), '--tls-key', path.join(certs, 'server.key')];

test('SSE and the API over HTTPS with the eventsource package', async () => {
  const server = await startServer(['--grace', '0s', ...tlsArgs]);
  const clients = [];
  try {
    assert.match(server.baseUrl, /^https:\/\//);
    const health = await fetch(`${server.baseUrl}/health`);
    assert.equal(health.status, 200);
    const alice = connect(server.baseUrl, 'alice');
    clients.push(alice);
    await alice.opened;
    const bob = connect(server.baseUrl, 'bob');
    clients.push(bob);
    await alice.sees('bob', 'ONLINE');
    await bob.sees('alice', 'ONLINE');
    // Enough traffic to span many TLS records, through the socket's TLS layer only.
    const many = [];
    for (let i = 0; i < 40; ++i)
      many.push(connect(server.baseUrl, `guest-${i}`));
    clients.push(...many);
    await alice.sees('guest-39', 'ONLINE');
    bob.source.close();
    await alice.sees('bob', 'OFFLINE');
    const roster = await (await fetch(`${server.baseUrl}/api/presence`)).json();
    assert.ok(JSON.stringify(roster).includes('"guest-0"'), JSON.stringify(roster).slice(0, 400));
    // Plain HTTP to the HTTPS port gets nothing it could mistake for an answer.
    const plain = await fetch(`http://127.0.0.1:${server.port}/health`).then(() => 'answered', () => 'refused');
    assert.equal(plain, 'refused');
  } finally {
    for (const client of clients)
      client.source.close();
    await server.stop();
  }
});

test('the page over HTTPS in Chromium', async () => {
  const server = await startServer(['--grace', '0s', '--heartbeat', '500ms', ...tlsArgs]);
  const profile = await mkdtemp(path.join(os.tmpdir(), 'presence-e2e-https-'));
  const spki = readFileSync(path.join(certs, 'spki.txt'), 'utf8').trim();
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-quic',
           `--ignore-certificate-errors-spki-list=${spki}`],
    headless: true,
    timeout: 30_000,
  });
  const others = [];
  try {
    const page = context.pages()[0] ?? await context.newPage();
    page.setDefaultTimeout(10_000);
    const response = await page.goto(`${server.baseUrl}/?client=viewer`);
    assert.equal(response.status(), 200);
    assert.ok(response.url().startsWith('https://'));
    await page.locator('#state', { hasText: 'live' }).waitFor();
    const dave = connect(server.baseUrl, 'dave');
    others.push(dave);
    await page.locator('tr[data-client="dave"].ONLINE').waitFor();
    dave.source.close();
    await page.locator('tr[data-client="dave"].OFFLINE').waitFor();
  } finally {
    for (const client of others)
      client.source.close();
    await context.close();
    await rm(profile, { recursive: true, force: true });
    await server.stop();
  }
});
