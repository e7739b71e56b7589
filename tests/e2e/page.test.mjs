// The web page at / in a real Chromium (Debian's, driven by playwright-core).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { requireNodeModules, startServer } from './server.mjs';
import { online } from './sse.mjs';

requireNodeModules();
const { chromium } = await import('playwright-core');

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
                       '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const DEADLINE_MS = 10_000;

async function withBrowser(colorScheme, body) {
  const profile = await mkdtemp(path.join(os.tmpdir(), 'presence-e2e-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    args: CHROMIUM_ARGS,
    headless: true,
    colorScheme,
    viewport: { width: 900, height: 520 },
    timeout: 30_000,
  });
  try {
    const page = context.pages()[0] ?? await context.newPage();
    page.setDefaultTimeout(DEADLINE_MS);
    await body(page);
  } finally {
    await context.close();
    await rm(profile, { recursive: true, force: true });
  }
}

async function screenshot(page, name) {
  const dir = process.env.PRESENCE_E2E_ARTIFACTS || os.tmpdir();
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, name);
  await page.screenshot({ path: file, fullPage: true });
  console.log(`screenshot: ${file}`);
}

for (const colorScheme of ['light', 'dark']) {
  test(`the page shows dave come and go (${colorScheme})`, async () => {
    const server = await startServer(['--grace', '0s', '--heartbeat', '500ms']);
    const others = [];
    try {
      await withBrowser(colorScheme, async (page) => {
        others.push(await online(server.baseUrl, 'alice'));
        await page.goto(`${server.baseUrl}/?client=viewer`);
        await page.locator('#state', { hasText: 'live' }).waitFor();
        assert.equal(await page.locator('#me').textContent(), 'viewer');
        await page.locator('tr[data-client="alice"].ONLINE').waitFor();

        const dave = await online(server.baseUrl, 'dave');
        others.push(dave);
        const row = page.locator('tr[data-client="dave"]');
        await page.locator('tr[data-client="dave"].ONLINE').waitFor();
        assert.match(await row.innerText(), /ONLINE/, 'status is written out, not colour alone');

        dave.close();
        await page.locator('tr[data-client="dave"].OFFLINE').waitFor();
        assert.match(await row.innerText(), /OFFLINE/);
        assert.match(await row.innerText(), /left/);
        const listed = await page.locator('#roster tr').evaluateAll((rows) => rows.map((r) => r.dataset.client));
        assert.deepEqual(listed.sort(), ['alice', 'dave'], 'only the others are listed (not the viewer, no favicon.ico)');
        assert.equal(await page.locator('#count').textContent(), '1');
        await screenshot(page, `presence-page-${colorScheme}.png`);
      });
    } finally {
      for (const client of others)
        client.close();
      await server.stop();
    }
  });
}

test('the page joins the rooms in its address and shows only them', async () => {
  const server = await startServer(['--grace', '0s', '--heartbeat', '500ms']);
  const others = [];
  try {
    await withBrowser('light', async (page) => {
      others.push(await online(server.baseUrl, 'outsider'));
      others.push(await online(server.baseUrl, 'ann', undefined, ['lobby']));
      others.push(await online(server.baseUrl, 'ben', undefined, ['doc:42', 'lobby']));
      await page.goto(`${server.baseUrl}/?client=viewer&room=lobby&room=doc:42`);
      await page.locator('#state', { hasText: 'live' }).waitFor();
      assert.equal(await page.locator('#me').textContent(), 'viewer in lobby, doc:42');
      await page.locator('tr[data-client="ann"][data-room="lobby"].ONLINE').waitFor();
      await page.locator('tr[data-client="ben"][data-room="doc:42"].ONLINE').waitFor();
      await page.locator('tr[data-client="ben"][data-room="lobby"].ONLINE').waitFor();
      assert.ok(await page.locator('th.room').isVisible(), 'the room column is shown');
      const listed = await page.locator('#roster tr').evaluateAll((rows) => rows.map((r) => `${r.dataset.room}/${r.dataset.client}`));
      assert.deepEqual(listed.sort(), ['doc:42/ben', 'lobby/ann', 'lobby/ben'], 'nobody from the default room');
      assert.equal(await page.locator('#count').textContent(), '2', 'ben in two rooms counts once');
      await screenshot(page, 'presence-page-rooms.png');
    });
  } finally {
    for (const client of others)
      client.close();
    await server.stop();
  }
});

test('the page watches without joining (/?watch): a room picker, who is in each room', async () => {
  const server = await startServer(['--grace', '0s', '--heartbeat', '500ms']);
  const others = [];
  try {
    await withBrowser('light', async (page) => {
      others.push(await online(server.baseUrl, 'alice', undefined, ['lobby']));
      others.push(await online(server.baseUrl, 'bob'));
      await page.goto(`${server.baseUrl}/?watch`);
      await page.locator('#state', { hasText: 'watching' }).waitFor();
      await page.locator('tr[data-client="alice"][data-room="lobby"].ONLINE').waitFor();
      await page.locator('tr[data-client="bob"][data-room="default"].ONLINE').waitFor();
      // Who is in each room: a button per room with its ONLINE count, names in the tooltip.
      await page.locator('#room-list button[data-room="lobby"]', { hasText: 'lobby 1' }).waitFor();
      assert.equal(await page.locator('#room-list button[data-room="lobby"]').getAttribute('title'), 'alice');
      await page.locator('#room-picker option[value="lobby"]').waitFor({ state: 'attached' });

      // Picking a room shows that room only, live.
      await page.selectOption('#room-picker', 'lobby');
      await page.locator('#state', { hasText: 'watching' }).waitFor();
      await page.locator('tr[data-client="alice"].ONLINE').waitFor();
      const dave = await online(server.baseUrl, 'dave', undefined, ['lobby']);
      others.push(dave);
      await page.locator('tr[data-client="dave"][data-room="lobby"].ONLINE').waitFor();
      const listed = await page.locator('#roster tr').evaluateAll((rows) => rows.map((r) => r.dataset.room));
      assert.ok(listed.every((room) => room === 'lobby'), `only lobby rows: ${listed}`);
      // Every room stays listed with its count while one is picked.
      await page.locator('#room-list button[data-room="lobby"]', { hasText: 'lobby 2' }).waitFor();
      await page.locator('#room-list button[data-room="default"]', { hasText: 'default 1' }).waitFor();
      dave.close();
      await page.locator('tr[data-client="dave"].OFFLINE').waitFor();
      await screenshot(page, 'presence-page-watch.png');

      // The viewer is in no roster: the node lists the three real clients only.
      const roster = await (await fetch(`${server.baseUrl}/api/presence`)).json();
      assert.deepEqual(roster.clients.map((c) => c.client).sort(), ['alice', 'bob', 'dave']);
      assert.equal(await page.locator('#me').textContent(), 'watching (not present)');
    });
  } finally {
    for (const client of others)
      client.close();
    await server.stop();
  }
});
