// Starts the presence binary for an end-to-end test and stops it cleanly.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import assert from 'node:assert/strict';

const START_DEADLINE_MS = 15_000;
const STOP_DEADLINE_MS = 10_000;

/** Fails with a clear message when `npm ci` was not run: the tests never skip. */
export function requireNodeModules() {
  const require = createRequire(import.meta.url);
  for (const name of ['eventsource', 'playwright-core']) {
    try {
      require.resolve(name);
    } catch {
      throw new Error(`e2e dependency "${name}" is not installed: run \`npm ci --prefix tests/e2e\``);
    }
  }
}

/** Path of the binary under test, from PRESENCE_BINARY (required). */
export function presenceBinary() {
  const binary = process.env.PRESENCE_BINARY;
  if (!binary)
    throw new Error('PRESENCE_BINARY is not set: point it at the built presence binary '
                    + '(ctest sets it; by hand: PRESENCE_BINARY=build/<dir>/app/presence)');
  if (!existsSync(binary))
    throw new Error(`PRESENCE_BINARY=${binary} does not exist: build the project first`);
  return binary;
}

/**
 * Starts `presence --headless --listen 127.0.0.1:0 ...args` and resolves once it logged
 * `listening on http(s)://127.0.0.1:PORT`. Returns {port, baseUrl, stop(), log()}.
 */
export async function startServer(args = []) {
  const binary = presenceBinary();
  const child = spawn(binary, ['--headless', '--listen', '127.0.0.1:0', ...args],
                      { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let scheme = 'http';
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));

  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`no "listening on" line within ${START_DEADLINE_MS} ms`)),
                             START_DEADLINE_MS);
    let settled = false;
    function fail(error) {
      if (settled)
        return;
      settled = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${error.message}\n--- presence output ---\n${output}`));
    }
    const onData = (chunk) => {
      output += chunk;
      const match = /listening on (https?):\/\/127\.0\.0\.1:(\d+)/.exec(output);
      if (match && !settled) {
        settled = true;
        clearTimeout(timer);
        scheme = match[1];
        resolve(Number(match[2]));
      }
    };
    child.stderr.setEncoding('utf8').on('data', onData);
    child.stdout.setEncoding('utf8').on('data', onData);
    child.once('error', fail);
    exited.then(({ code, signal }) => fail(new Error(`presence exited early (code ${code}, signal ${signal})`)));
  });

  const baseUrl = `${scheme}://127.0.0.1:${port}`;
  let stopped = false;
  async function stop() {
    if (stopped)
      return;
    stopped = true;
    child.kill('SIGTERM');
    let timer;
    const deadline = new Promise((resolve) => { timer = setTimeout(() => resolve(null), STOP_DEADLINE_MS); });
    const result = await Promise.race([exited, deadline]);
    clearTimeout(timer);
    if (!result) {
      child.kill('SIGKILL');
      assert.fail(`presence did not exit within ${STOP_DEADLINE_MS} ms of SIGTERM\n${output}`);
    }
    assert.equal(result.code, 0, `presence exit code after SIGTERM (signal ${result.signal})\n${output}`);
  }
  return { port, baseUrl, stop, log: () => output };
}
