// Issue 11 acceptance through the web app and `peerkit serve`: a room that starts as a mesh of
// two grows to five and moves to the server's SFU without anyone rejoining; a sixth joins; each
// page then decodes the five others' video and receives their audio with no peer-to-peer
// connection left; a room link with mode=sfu makes even a pair an SFU room.
'use strict';
const crypto = require('crypto');
const { launch, check, run, joinThroughUi, waitForVideoFrom, waitForAsync } = require('./lib');

const mode = (page) => page.evaluate(() => window.peerkitApp.mode);
const links = (page) => page.evaluate(() => window.peerkitApp.links.size);

// Inbound audio streams on the page's SFU subscribe connection that have received packets.
async function audioSources(page) {
  return page.evaluate(async () => {
    const sfu = window.peerkitApp.sfu;
    if (!sfu || !sfu.subscriber) return 0;
    const stats = await sfu.subscriber.getStats();
    let n = 0;
    stats.forEach((s) => { if (s.type === 'inbound-rtp' && s.kind === 'audio' && s.packetsReceived > 0) n++; });
    return n;
  });
}

async function seesAll(pages, names, count, what) {
  for (let i = 0; i < count; i++) {
    for (let j = 0; j < count; j++) {
      if (i === j) continue;
      const seen = await waitForVideoFrom(pages[i], names[j], 60000).catch((e) => ({ error: e.message.split('\n')[0] }));
      check(seen.frames > 0, `${what}: ${names[i]} decodes ${names[j]}'s video`, seen);
    }
  }
}

run('SFU rooms in the web app', async () => {
  const browser = await launch();
  try {
    const room = 'grow-' + crypto.randomBytes(4).toString('hex');
    const names = ['Ann', 'Ben', 'Cy', 'Dee', 'Eve', 'Fay'];
    const pages = [];
    for (const name of names.slice(0, 2)) pages.push(await joinThroughUi(browser, { name, room }));
    await seesAll(pages, names, 2, 'mesh of two');
    check((await mode(pages[0])) === 'mesh' && (await links(pages[0])) === 1, 'two people are a mesh (one peer-to-peer link each)');

    for (const name of names.slice(2, 5)) pages.push(await joinThroughUi(browser, { name, room }));
    for (let i = 0; i < 5; i++) {
      await pages[i].waitForFunction(() => window.peerkitApp.mode === 'sfu', null, { timeout: 20000 }).catch(() => {});
      check((await mode(pages[i])) === 'sfu', `${names[i]}'s page moved to the SFU on its own when the fifth joined`);
    }
    await seesAll(pages, names, 5, 'five through the SFU');

    pages.push(await joinThroughUi(browser, { name: names[5], room }));
    await seesAll(pages, names, 6, 'six through the SFU');
    for (let i = 0; i < 6; i++) {
      check((await links(pages[i])) === 0, `${names[i]} has no peer-to-peer connection`, await links(pages[i]));
      await waitForAsync(pages[i], async () => {
        const sfu = window.peerkitApp.sfu;
        if (!sfu || !sfu.subscriber) return false;
        const stats = await sfu.subscriber.getStats();
        let n = 0;
        stats.forEach((s) => { if (s.type === 'inbound-rtp' && s.kind === 'audio' && s.packetsReceived > 0) n++; });
        return n >= 5;
      }, null, { timeout: 30000, polling: 500 }).catch(() => {});
      const audio = await audioSources(pages[i]);
      check(audio === 5, `${names[i]} receives the five others' audio`, audio);
    }
    // The details panel's SFU path: the server's own view of what it forwards to us.
    await pages[0].click('button[data-tab="details"]');
    const stats = await pages[0].waitForFunction(() => {
      const s = window.peerkitApp.sfu && window.peerkitApp.sfu.lastStats;
      // Each of the five others publishes microphone, camera and a (not yet shared) screen.
      return s && s.subscriptions && s.subscriptions.length === 15 && s.subscribeConnected ? s : false;
    }, null, { timeout: 15000, polling: 250 }).then((h) => h.jsonValue()).catch(() => null);
    check(stats !== null, 'sfu-stats: the server forwards 15 tracks to Ann over a connected subscribe connection', stats);
    // The server's sender reports come back in Ann's receiver reports: it knows her round trip.
    // On loopback it is milliseconds; six pages decoding 30 streams on two cores can hold one
    // report for a second or two, so the figure is the first under a second within 20 s (the
    // last one seen is printed when none is).
    const rtt = await pages[0].waitForFunction(() => {
      const s = window.peerkitApp.sfu && window.peerkitApp.sfu.lastStats;
      if (s && typeof s.rtt === 'number') window.lastRtt = s.rtt;
      return s && typeof s.rtt === 'number' && s.rtt >= 0 && s.rtt < 1 ? s.rtt : false;
    }, null, { timeout: 20000, polling: 250 }).then((h) => h.jsonValue()).catch(() => null);
    check(rtt !== null, 'sfu-stats: the server measured Ann\'s round trip from her receiver reports',
          rtt !== null ? rtt : await pages[0].evaluate(() => ({ lastSeen: window.lastRtt })));
    // The panel is redrawn every second from the latest stats.
    await pages[0].waitForFunction(() => /round trip to the server\s*\d+ ms/.test(document.querySelector('#peer-details').textContent),
      null, { timeout: 5000, polling: 250 }).catch(() => {});
    const panel = await pages[0].textContent('#peer-details');
    check(/SFU — publish connected, receive connected/.test(panel) && /video of Fay/.test(panel) &&
          /round trip to the server\s*\d+ ms/.test(panel), 'the details panel shows the SFU path and the round trip', panel.slice(0, 400));

    for (const p of pages) await p.context().close();

    const pair = 'forced-' + crypto.randomBytes(4).toString('hex');
    const forced = [await joinThroughUi(browser, { name: 'Gil', room: pair, mode: 'sfu' }),
      await joinThroughUi(browser, { name: 'Hal', room: pair })];
    await seesAll(forced, ['Gil', 'Hal'], 2, 'mode=sfu pair');
    check((await mode(forced[1])) === 'sfu' && (await links(forced[1])) === 0, 'a mode=sfu link makes a pair an SFU room');
    // Constraints from the tiles (sfu-constraints): Hal's one tile fills Gil's window, so Gil
    // asks for (and gets) more than Hal's lowest layer; in a small window his tile is small and
    // he gets the lowest; back at full size, more again.
    const cameraLayer = (page, want) => page.waitForFunction((w) => {
      const s = window.peerkitApp.sfu && window.peerkitApp.sfu.lastStats;
      const layers = ((s && s.subscriptions) || []).filter((x) => x.kind === 'video' && x.layer !== null).map((x) => x.layer);
      return layers.length === 1 && (w === 'lowest' ? layers[0] === 0 : layers[0] > 0) ? { layer: layers[0] } : false;
    }, want, { timeout: 30000, polling: 250 }).then((h) => h.jsonValue()).catch(() => null);
    const fullSize = await cameraLayer(forced[0], 'higher');
    check(fullSize !== null, 'sfu-constraints: with one large tile Gil gets above Hal\'s lowest layer', fullSize);
    await forced[0].setViewportSize({ width: 360, height: 260 });
    const small = await cameraLayer(forced[0], 'lowest');
    check(small !== null, 'sfu-constraints: in a small window he gets Hal\'s lowest layer',
          await forced[0].evaluate(() => ({ asked: window.peerkitApp.sfuConstraints, stats: window.peerkitApp.sfu.lastStats })));
    await forced[0].setViewportSize({ width: 1100, height: 720 });
    const large = await cameraLayer(forced[0], 'higher');
    check(large !== null, 'sfu-constraints: back at full size a higher layer again', large);
    console.log(`  Gil's layer of Hal: ${JSON.stringify(fullSize)} at full size, ${JSON.stringify(small)} small, ${JSON.stringify(large)} again`);


    // Someone leaves and someone else joins: the leaver's sections end (port 0) and the
    // newcomer's tracks reuse those slots under new mids (RFC 8829 §5.2.2 recycling), which
    // Chromium must take without starting its subscribe connection again.
    const ivy = await joinThroughUi(browser, { name: 'Ivy', room: pair });
    await seesAll([...forced, ivy], ['Gil', 'Hal', 'Ivy'], 3, 'three');
    const before = await forced[0].evaluate(() => window.peerkitApp.sfu.connection);
    await ivy.context().close();
    await forced[0].waitForFunction(() => !document.querySelector('figure.tile[data-member]') ||
      [...document.querySelectorAll('figure.tile[data-member] figcaption')].every((c) => c.textContent !== 'Ivy'), null, { timeout: 15000 });
    const jo = await joinThroughUi(browser, { name: 'Jo', room: pair });
    for (const [page, who] of [[forced[0], 'Gil'], [forced[1], 'Hal']]) {
      const seen = await waitForVideoFrom(page, 'Jo', 45000).catch((e) => ({ error: e.message.split('\n')[0] }));
      check(seen.frames > 0, `${who} decodes Jo, who took Ivy's place`, seen);
    }
    const after = await forced[0].evaluate(() => ({ connection: window.peerkitApp.sfu.connection,
      failures: window.peerkitApp.sfu.log.filter((l) => /failed|refused/.test(l)) }));
    check(after.connection === before && after.failures.length === 0,
      "Gil's subscribe connection took the recycled sections without starting again", { before, after });
    const mlines = await forced[0].evaluate(() => (window.peerkitApp.sfu.subscriber.remoteDescription.sdp.match(/^m=/gm) || []).length);
    check(mlines === 6, "the slots were reused: Gil's offer still has 6 sections (Hal's 3, Jo's 3 in Ivy's)", mlines);
    await jo.context().close();
  } finally {
    await browser.close();
  }
}, 290000);
