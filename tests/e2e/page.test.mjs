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
