// Chromium in the web app and `peerkit join` in one room (issue 10 acceptance): offers in both
// directions (the later member offers: browser first → join offers; join first → the browser
// offers, with its audio and video sections, which join answers rejected: receive_media off), chat both ways, a
// 20 MiB file with a matching SHA-256 each way, and the close seen on both sides.
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { BASE, launch, check, run } = require('./lib');
const { Proc } = require('./join-lib');

const MIB = 1024 * 1024;
const SIZE = 20 * MIB;
const sha = (b) => crypto.createHash('sha256').update(b).digest('hex');

function startJoin(name, room, dir) {
  const args = ['join', '--server', BASE, '--room', room, '--name', name, '--allow-loopback', '--echo',
    '--send', path.join(dir, 'from-join.bin'), '--recv', path.join(dir, 'in')];
  return new Proc(process.env.PEERKIT, args, name);
}

async function openApp(browser, name, room) {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.on('pageerror', (e) => console.log(`[${name}] page error: ${e.message}`));
  await page.goto(`${BASE}/?room=${room}&name=${name}`);
  await page.waitForFunction(() => window.peerkitApp && window.peerkitApp.state === 'in-room', null, { timeout: 15000 });
  return page;
}

// What the page's link to `who` says: its state and its signaling log.
const linkTo = (page, who) => page.evaluate((w) => {
  const l = [...window.peerkitApp.links.values()].find((x) => x.name === w);
  return l ? { state: l.state, chat: l.chat.readyState, file: l.file.readyState, log: l.log } : null;
}, who);

async function scenario(browser, order) {
  const room = `join-${order}-${crypto.randomBytes(3).toString('hex')}`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'peerkit-join-'));
  fs.mkdirSync(path.join(dir, 'in'));
  const fromJoin = crypto.randomBytes(SIZE);
  fs.writeFileSync(path.join(dir, 'from-join.bin'), fromJoin);
  const fromBrowser = crypto.randomBytes(SIZE);
  const person = order === 'browser-first' ? 'Ann' : 'Bea';
  const bot = order === 'browser-first' ? 'Bot1' : 'Bot2';
  let join, page;
  try {
    if (order === 'browser-first') {
      page = await openApp(browser, person, room);
      join = startJoin(bot, room, dir);
    } else {
      join = startJoin(bot, room, dir);
      await join.waitLine(/joined room .* \(0 others here\)/);
      page = await openApp(browser, person, room);
    }
    await join.waitLine(new RegExp(`connected to ${person}$`), { timeout: 20000 });
    const t0 = Date.now();
    await page.waitForFunction((w) => [...window.peerkitApp.links.values()].some((l) => l.name === w && l.state === 'connected' && l.chat.readyState === 'open'), bot, { timeout: 20000 });
    const link = await linkTo(page, bot);
    const browserOffered = link.log.some((l) => / → offer/.test(l));
    const browserAnswered = link.log.some((l) => / → answer/.test(l));
    check(order === 'browser-first' ? browserAnswered && !browserOffered : browserOffered && !browserAnswered,
      `${order}: the later member offers (${order === 'browser-first' ? 'peerkit join' : 'the browser'})`, link.log);
    console.log(`# ${order}: connected, channels chat=${link.chat} file=${link.file}`);
    // The page takes join's signaling as it takes a browser's: its candidates are added, nothing refused.
    // (The end of candidates may come after the connection is up: wait for it.)
    await page.waitForFunction((w) => [...window.peerkitApp.links.values()].some((l) => l.name === w && l.log.some((x) => / ← end-of-candidates/.test(x))), bot, { timeout: 10000 }).catch(() => {});
    const log = (await linkTo(page, bot)).log;
    const trouble = log.filter((l) => / ! /.test(l));
    check(trouble.length === 0 && log.some((l) => / ← candidate host/.test(l)) && log.some((l) => / ← end-of-candidates/.test(l)),
      `${order}: the page adds join's trickled candidates and refuses nothing`, trouble.length ? trouble : log.filter((l) => /←/.test(l)));

    // Chat: the browser types; join prints it and (--echo) sends it back; join's stdin reaches the page.
    await page.fill('#chat-input', `hello from ${person}`);
    await page.press('#chat-input', 'Enter');
    await join.waitLine(new RegExp(`^${person}: hello from ${person}$`), { stream: 'stdout' });
    check(true, `${order}: browser → join chat printed as "${person}: …"`);
    join.write(`hi from ${bot}\n`);
    const chatSeen = (text) => page.waitForFunction(([w, t]) => window.peerkitApp.chat.some((c) => c.who === w && c.text === t), [bot, text], { timeout: 10000 });
    await chatSeen(`hi from ${bot}`);
    await chatSeen(`hello from ${person}`);
    check(true, `${order}: join → browser chat, and --echo sends the browser's line back`);

    // Files both ways at once: join --send starts when the file channel opens.
    const t1 = Date.now();
    await page.setInputFiles('#file-input', { name: 'from-browser.bin', mimeType: 'application/octet-stream', buffer: fromBrowser });
    const got = await page.waitForFunction((w) => window.peerkitApp.files.find((f) => f.done && f.title.startsWith(`from ${w}:`)), bot, { timeout: 60000 });
    const inBrowser = await got.jsonValue();
    const tIn = Date.now() - t1;
    check(inBrowser.ok === true && inBrowser.sha256 === sha(fromJoin) && inBrowser.size === SIZE,
      `${order}: 20 MiB from join --send arrives in the browser with a matching SHA-256`, { ok: inBrowser.ok, sha256: inBrowser.sha256, size: inBrowser.size });
    const line = await join.waitLine(/received from-browser\.bin from .* matches/, { timeout: 60000 });
    const tOut = Date.now() - t1;
    const stored = fs.readFileSync(path.join(dir, 'in', 'from-browser.bin'));
    check(stored.length === SIZE && sha(stored) === sha(fromBrowser) && line.includes(sha(fromBrowser)),
      `${order}: 20 MiB from the browser stored by join --recv with a matching SHA-256`, line);
    const sent = await page.waitForFunction(() => window.peerkitApp.files.find((f) => f.done && f.sent), null, { timeout: 10000 });
    check((await sent.jsonValue()).sha256 === sha(fromBrowser), `${order}: the browser's own hash is the one join checked`);
    console.log(`# ${order}: both 20 MiB transfers at once: browser got its file in ${tIn} ms, join stored its file after ${tOut} ms (set-up to connected ${t1 - t0} ms before)`);

    // Close, seen on the other side.
    if (order === 'browser-first') {
      const code = await join.stop('SIGTERM');
      check(code === 0, `${order}: join exits 0 on SIGTERM`, { code, tail: join.tail() });
      await page.waitForFunction((w) => ![...window.peerkitApp.links.values()].some((l) => l.name === w) &&
        [...document.querySelectorAll('#chat-log li.system')].some((li) => li.textContent === `${w} left`), bot, { timeout: 10000 });
      check(true, `${order}: the browser sees join leave ("${bot} left", link removed)`);
    } else {
      const mark = join.mark();
      // The page's channels close with it: watch them from join's side.
      await page.close();
      const left = await join.waitLine(new RegExp(`^\\* ${person} (left|disconnected)$`), { since: mark, timeout: 10000 });
      check(true, `${order}: join sees the browser page close ("${left}")`);
      const code = await join.stop('SIGINT');
      check(code === 0, `${order}: join exits 0 on SIGINT`, { code });
    }
  } finally {
    if (join) await join.stop('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// An SFU room (the page's link says mode=sfu): no member-to-member connection, and chat both
// ways over the rooms protocol, as the app does it there.
async function sfuScenario(browser) {
  const room = 'join-sfu-' + crypto.randomBytes(4).toString('hex');
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${BASE}/?room=${room}&name=Sue&mode=sfu`);
  await page.waitForFunction(() => window.peerkitApp && window.peerkitApp.state === 'in-room', null, { timeout: 15000 });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'join-sfu-'));
  fs.writeFileSync(path.join(dir, 'from-join.bin'), 'x');
  fs.mkdirSync(path.join(dir, 'in'));
  const join = startJoin('Bot', room, dir);
  try {
    await join.waitLine(/runs through the server's SFU/, { stream: 'stderr' });
    check(true, "sfu: peerkit join says the room runs through the SFU");
    await page.fill('#chat-input', 'hello from Sue');
    await page.press('#chat-input', 'Enter');
    await join.waitLine(/^Sue: hello from Sue$/, { stream: 'stdout' });
    check(true, 'sfu: browser → join chat over the rooms protocol');
    join.write('hi from Bot\n');
    const chatSeen = (text) => page.waitForFunction(([t]) => window.peerkitApp.chat.some((c) => c.who === 'Bot' && c.text === t), [text], { timeout: 10000 });
    await chatSeen('hi from Bot');
    await chatSeen('hello from Sue');
    check(true, "sfu: join → browser chat, and --echo sends the browser's line back");
    check((await page.evaluate(() => window.peerkitApp.links.size)) === 0, 'sfu: no peer-to-peer link to peerkit join');
  } finally {
    join.child.kill('SIGINT');
    await join.exited;
    await context.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

run('peerkit join with Chromium', async () => {
  const browser = await launch();
  try {
    await scenario(browser, 'browser-first');
    await scenario(browser, 'join-first');
    await sfuScenario(browser);
  } finally {
    await browser.close();
  }
}, 240000);
