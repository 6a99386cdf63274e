// The app's states that are not the happy path: camera access denied, an insecure page (no file
// transfer), and the signaling server going away and coming back (reconnect with backoff,
// rejoin, calls rebuilt).
'use strict';
const { spawn } = require('child_process');
const { launch, check, run, joinThroughUi, waitForVideoFrom } = require('./lib');

const PORT = 9100;  // a server of this test's own, so it can be stopped and started again
const BASE = `http://127.0.0.1:${PORT}`;

function startServer() {
  const child = spawn(process.env.PEERKIT, ['serve', '--port', String(PORT), '--no-turn', '--sfu-port', '0', '--log-level', 'warn'],
    { stdio: ['ignore', 'ignore', 'inherit'] });
  return child;
}
async function waitUp() {
  for (let i = 0; i < 100; i++) {
    try { if ((await fetch(BASE + '/healthz')).ok) return; } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('server did not start');
}
function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => { child.once('exit', resolve); child.kill('SIGTERM'); });
}

run('app states', async () => {
  // 1. Camera access denied: the page says so, and still joins the room.
  const denied = await launch({ mediaPermission: false });
  let server = startServer();
  try {
    await waitUp();
    const page = await joinThroughUi(denied, { name: 'NoCam', room: 'states', base: BASE });
    const banner = await page.textContent('#banner');
    check(/denied/.test(banner) && await page.isVisible('#banner'), 'camera denied is explained', banner);
    check(await page.isDisabled('#mute') && await page.isDisabled('#camera'), 'mute and camera controls are disabled');
  } finally {
    await denied.close();
  }

  // 2. Plain http from a name that is not localhost: not a secure context, so no crypto.subtle.
  // The name maps to 127.0.0.1 inside Chromium only (nothing leaves loopback). The page says
  // file transfer is off and disables it, as it does the camera.
  const insecure = await launch({ extraArgs: ['--host-resolver-rules=MAP peerkit.test 127.0.0.1'] });
  try {
    const page = await joinThroughUi(insecure, { name: 'Plain', room: 'insecure', base: `http://peerkit.test:${PORT}` });
    check(await page.evaluate(() => !window.isSecureContext), 'http://peerkit.test is not a secure context');
    check(await page.isDisabled('#file-input'), 'file transfer is disabled on an insecure page');
    await page.click('[data-tab="files"]');
    const note = await page.isVisible('#files-insecure') ? await page.textContent('#files-insecure') : '';
    check(/secure page/.test(note), 'the Files tab says why', note);
    check(/file transfer/.test(await page.textContent('#banner')), 'the banner names file transfer too');
  } finally {
    await insecure.close();
  }

  // 3. Server unreachable: both pages show it, retry, rejoin, and see each other again.
  const browser = await launch();
  try {
    const a = await joinThroughUi(browser, { name: 'Ann', room: 'comeback', base: BASE });
    const b = await joinThroughUi(browser, { name: 'Bo', room: 'comeback', base: BASE });
    await waitForVideoFrom(a, 'Bo');
    await stop(server);
    await a.waitForFunction(() => /unreachable/.test(document.querySelector('#banner').textContent), null, { timeout: 10000 });
    check(true, 'server unreachable is shown');
    server = startServer();
    await waitUp();
    // Backoff is 1 s, 2 s, 4 s …: both rejoin within a few seconds of the server's return.
    await a.waitForFunction(() => window.peerkitApp.state === 'in-room' && document.querySelector('#banner').hidden, null, { timeout: 20000 });
    check(true, 'the page reconnects and rejoins by itself');
    const seen = await waitForVideoFrom(a, 'Bo', 30000);
    check(seen.frames > 0, 'the call is rebuilt after the server came back', seen);
    await b.close();
    await a.waitForFunction(() => /Bo (left|disconnected)/.test(document.querySelector('#chat-log').textContent), null, { timeout: 15000 });
    check(true, 'a peer leaving is announced');
  } finally {
    await browser.close();
    await stop(server);
  }
});
