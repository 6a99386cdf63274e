// Shared helpers of the browser tests: launch Debian's Chromium through playwright-core with a
// fake camera and microphone, loopback-only ICE (the tests run inside their own network
// namespace, see ../../../shared/testing/environment.md §0-1), and a tiny check/report API.
'use strict';
const { chromium } = require('playwright-core');
const fs = require('fs');
const path = require('path');

const BASE = process.env.PEERKIT_URL || 'http://127.0.0.1:9000';
const ARTIFACTS = path.join(__dirname, 'artifacts');

const CHROMIUM_ARGS = [
  '--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
  '--allow-loopback-in-peer-connection',
  // Several pages share one renderer budget; keep the hidden ones running at full speed.
  '--disable-background-timer-throttling', '--disable-renderer-backgrounding',
  '--disable-backgrounding-occluded-windows',
];

async function launch({ mediaPermission = true, extraArgs = [] } = {}) {
  // headless:false plus our own --headless=new, so Playwright adds no --headless of its own.
  const args = CHROMIUM_ARGS.filter((a) => mediaPermission || a !== '--use-fake-ui-for-media-stream').concat(extraArgs);
  return chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: false, args });
}

let passed = 0, failed = 0;
function check(ok, what, detail) {
  if (ok) { passed++; console.log(`ok - ${what}`); }
  else { failed++; console.log(`not ok - ${what}${detail !== undefined ? ': ' + JSON.stringify(detail) : ''}`); }
  return ok;
}

// Runs `body` with a whole-test deadline; prints a summary; exits non-zero on any failure.
async function run(name, body, timeoutMs = 180000) {
  const timer = setTimeout(() => { console.log(`not ok - ${name}: timed out after ${timeoutMs} ms`); process.exit(1); }, timeoutMs);
  try {
    await body();
  } catch (err) {
    failed++;
    console.log(`not ok - ${name}: ${err.stack || err}`);
  }
  clearTimeout(timer);
  console.log(`${name}: ${passed} passed, ${failed} failed`);
  process.exit(failed || !passed ? 1 : 0);
}

// Joins a room through the lobby UI, as a person would.
// `mode` ('sfu' or 'mesh') opens the lobby from a link that forces the room's mode.
async function joinThroughUi(browser, { name, room, relay = false, base = BASE, mode = '' }) {
  const context = await browser.newContext({ viewport: { width: 1100, height: 720 } });
  const page = await context.newPage();
  page.on('pageerror', (e) => console.log(`[${name}] page error: ${e.message}`));
  await page.goto(base + '/' + (mode ? `?mode=${mode}` : ''));
  await page.fill('#name', name);
  await page.fill('#room', room);
  if (relay) await page.check('#relay');
  await page.click('#join');
  await page.waitForFunction(() => window.peerkitApp && window.peerkitApp.state === 'in-room', null, { timeout: 15000 });
  return page;
}

// Waits until `page` shows a remote tile captioned `name` whose video decodes new frames.
// `tiles`/`caption`/`minFrames`/`memo` pick another kind of tile (a shared screen, say); frames
// are counted from the first call per name and memo (reset window[memo] to count from now).
async function waitForVideoFrom(page, name, timeout = 30000,
  { tiles = 'figure.tile[data-member]', caption = name, minFrames = 10, memo = '__frames' } = {}) {
  const handle = await page.waitForFunction(([who, sel, cap, min, key]) => {
    const tile = [...document.querySelectorAll(sel)].find((t) => t.querySelector('figcaption').textContent === cap);
    if (!tile) return false;
    const v = tile.querySelector('video');
    const frames = v.getVideoPlaybackQuality().totalVideoFrames;
    window[key] = window[key] || {};
    const first = window[key][who] ??= frames;
    return frames >= first + min && v.videoWidth > 0 ? { frames, width: v.videoWidth, height: v.videoHeight } : false;
  }, [name, tiles, caption, minFrames, memo], { timeout, polling: 100 });
  return handle.jsonValue();
}

// page.waitForFunction for an async predicate (getStats): Playwright does not await the
// predicate's promise — a promise is truthy, so it returned at once and the caller read a
// `false` — hence this: `fn(arg)` in the page every `polling` ms until its value is truthy,
// that value; a rejection at the deadline, with the last value seen.
async function waitForAsync(page, fn, arg, { timeout = 30000, polling = 250 } = {}) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = await page.evaluate(fn, arg);
    if (value) return value;
    if (Date.now() >= deadline) throw new Error(`waitForAsync: not within ${timeout} ms (last: ${JSON.stringify(value)})`);
    await page.waitForTimeout(polling);  // the poll interval, as waitForFunction's
  }
}

// The selected candidate pair of the link to member `name`, once ICE has one.
async function selectedPair(page, name, timeout = 30000) {
  return waitForAsync(page, async (who) => {
    for (const link of window.peerkitApp.links.values()) {
      if (link.name !== who) continue;
      const s = await link.stats();
      if (s.selectedPair && s.selectedPair.local && s.selectedPair.remote) return s.selectedPair;
    }
    return false;
  }, name, { timeout, polling: 200 });
}

function artifact(file) {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  return path.join(ARTIFACTS, file);
}

module.exports = { BASE, launch, check, run, joinThroughUi, waitForVideoFrom, waitForAsync, selectedPair, artifact };
