// Issue 11 acceptance, in mesh and SFU rooms alike: speaking indicators, a shared screen (getDisplayMedia; Chromium's
// fake screen here) reaches every other page as a large tile of its own and goes away when the
// sharing stops; switching the camera mid-call keeps the call (the others keep decoding it, and
// no connection renegotiates: the new track replaces the old one on the same sender).
'use strict';
const crypto = require('crypto');
const { launch, check, run, joinThroughUi, waitForVideoFrom } = require('./lib');

// Waits until `page` shows `name`'s screen tile decoding new frames.
const waitForScreen = (page, name, timeout = 30000) => waitForVideoFrom(page, name, timeout,
  { tiles: 'figure.tile.screen', caption: `${name}'s screen`, minFrames: 5, memo: '__screenFrames' })
  .catch((e) => ({ error: e.message.split('\n')[0] }));
const screenTiles = (page) => page.$$eval('figure.tile.screen', (t) => t.length);

// How many times the page's connections negotiated (offers and answers applied) so far.
const negotiations = (page) => page.evaluate(() => {
  const app = window.peerkitApp;
  let n = 0;
  for (const l of app.links.values()) n += l.log.filter((x) => / (offer|answer)/.test(x)).length;
  if (app.sfu) n += app.sfu.log.filter((x) => /offer|answer/.test(x)).length;
  return n;
});

async function scenario(browser, mode, names) {
  const room = `${mode}-share-` + crypto.randomBytes(4).toString('hex');
  const pages = [];
  for (const name of names) pages.push(await joinThroughUi(browser, { name, room, mode }));
  for (let i = 1; i < pages.length; i++) {
    const seen = await waitForVideoFrom(pages[i], names[0], 45000);
    check(seen.frames > 0, `${mode}: ${names[i]} decodes ${names[0]}'s camera`, seen);
  }
  check((await pages[0].evaluate(() => window.peerkitApp.mode)) === mode, `${mode}: the room is a ${mode} room`);
  // Chromium's fake microphone beeps: its audio level lights the speaker's tile on the others.
  const lit = await pages[1].waitForFunction((who) => {
    const tile = [...document.querySelectorAll('figure.tile[data-member]')].find((t) => t.querySelector('figcaption').textContent === who);
    return tile && tile.classList.contains('speaking');
  }, names[0], { timeout: 15000, polling: 50 }).then(() => true).catch(() => false);
  check(lit, `${mode}: ${names[1]}'s page shows ${names[0]} speaking`);
  // "speaking" lights on the first loud packet; "dominant" follows a smoothed level, some
  // 100 ms ticks later, so wait for it rather than read it at once. Every page's fake
  // microphone beeps, so which of the others it is may vary; that there is exactly one may not.
  const dominant = await pages[1].waitForFunction(() => {
    const tiles = [...document.querySelectorAll('figure.tile.dominant')];
    return tiles.length === 1 ? tiles[0].querySelector('figcaption').textContent : null;
  }, { timeout: 10000, polling: 50 }).then((h) => h.jsonValue()).catch(() => null);
  check(dominant !== null && names.includes(dominant), `${mode}: one tile is marked the dominant speaker`, dominant);

  await pages[0].click('#screen');
  for (let i = 1; i < pages.length; i++) {
    const seen = await waitForScreen(pages[i], names[0]);
    if (!(seen.frames > 0)) {
      seen.screens = await pages[i].evaluate(() => [...window.peerkitApp.screens.entries()].map(([id, v]) =>
        ({ id, on: v.on, tracks: v.stream.getTracks().map((t) => `${t.readyState} muted=${t.muted}`), tile: !!v.tile })));
      seen.sharing = await pages[0].evaluate(() => !!window.peerkitApp.screenTrack);
      seen.sharerLog = (await pages[0].textContent('#chat-log')).slice(-300);
      seen.button = await pages[0].$eval('#screen', (b) => ({ disabled: b.disabled, text: b.textContent }));
    }
    check(seen.frames > 0 && seen.width > 0, `${mode}: ${names[i]} sees ${names[0]}'s shared screen`, seen);
  }
  await pages[0].click('#screen');  // stop sharing
  for (let i = 1; i < pages.length; i++) {
    const gone = await pages[i].waitForFunction(() => document.querySelectorAll('figure.tile.screen').length === 0, null, { timeout: 10000 })
      .then(() => true).catch(() => false);
    check(gone, `${mode}: ${names[i]}'s screen tile goes when the sharing stops`, await screenTiles(pages[i]));
  }

  // Switch the last page's camera (the fake device is the only one: a fresh track from it).
  const switcher = pages[pages.length - 1];
  const who = names[names.length - 1];
  const before = await negotiations(switcher);
  const device = await switcher.$eval('#camera-select', (s) => s.value);
  await switcher.selectOption('#camera-select', device);
  const switched = await switcher.waitForFunction(() => window.peerkitApp.switches === 1, null, { timeout: 10000 }).then(() => true).catch(() => false);
  check(switched, `${mode}: ${who} switches the camera`);
  await pages[0].evaluate(() => { window.__frames = {}; });  // count frames from the switch on
  const seen = await waitForVideoFrom(pages[0], who, 20000).catch((e) => ({ error: e.message.split('\n')[0] }));
  check(seen.frames > 0, `${mode}: ${names[0]} keeps decoding ${who}'s camera after the switch`, seen);
  check((await negotiations(switcher)) === before, `${mode}: the switch renegotiated nothing`, { before, after: await negotiations(switcher) });
  for (const p of pages) await p.context().close();
}

run('screen sharing, camera switching, speaking indicators', async () => {
  const browser = await launch();
  try {
    await scenario(browser, 'mesh', ['Ann', 'Ben', 'Cy']);
    await scenario(browser, 'sfu', ['Dee', 'Eve', 'Fay']);
  } finally {
    await browser.close();
  }
}, 280000);
