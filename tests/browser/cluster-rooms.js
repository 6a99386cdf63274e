// Issue 12 acceptance 2: a room of the web app spanning two `peerkit serve --cluster` nodes.
// Ann and Ben are on node A; Cy reaches the cluster through a TCP balancer that hands new
// connections to node B first, else to A. Everyone sees everyone's video. Then node B is killed
// with SIGKILL: A's pages must hear Cy's old member leave (reason disconnected) within ~10 s,
// Cy's page must reconnect through the balancer (now to A) and the calls be rebuilt, until all
// three pages again play two remote videos.
'use strict';
const crypto = require('crypto');
const { launch, check, run, joinThroughUi } = require('./lib');
const { Cluster, startBalancer, waitFor } = require('./cluster-lib');

const A_PORT = 9301, B_PORT = 9302, LB_PORT = 9310;

// The remote tiles of `page`: member id, caption, and whether its video decoded `min` frames
// since the tile was first seen here (counted per member id, so a rebuilt call starts afresh).
async function playingTiles(page, min = 10) {
  return page.evaluate((n) => {
    window.__firstFrames = window.__firstFrames || {};
    return [...document.querySelectorAll('figure.tile[data-member]')].map((t) => {
      const v = t.querySelector('video');
      const frames = v.getVideoPlaybackQuality().totalVideoFrames;
      const first = window.__firstFrames[t.dataset.member] ??= frames;
      return { id: t.dataset.member, name: t.querySelector('figcaption').textContent, playing: frames >= first + n && v.videoWidth > 0 };
    });
  }, min);
}

// Waits until `page` has exactly the tiles of `names`, each playing; returns them.
async function waitAllPlaying(page, names, timeoutMs) {
  return waitFor(`${names.join(', ')} playing`, async () => {
    const tiles = await playingTiles(page);
    const ok = tiles.length === names.length && names.every((n) => tiles.some((t) => t.name === n && t.playing));
    return ok ? tiles : false;
  }, timeoutMs);
}

run('cluster rooms (2 nodes, kill -9)', async () => {
  const cluster = new Cluster();
  let browser, balancer;
  let ok = false;
  try {
    await cluster.startRedis(6392);
    // The balancer's origin is not the nodes' own: allow it the /ws socket and TURN credentials.
    const allow = ['--allow-origin', `http://127.0.0.1:${LB_PORT}`];
    const nodeA = cluster.startNode('roomA', A_PORT, 3591, allow);
    cluster.startNode('roomB', B_PORT, 3592, allow);
    await cluster.waitRegistered();
    balancer = await startBalancer(LB_PORT, [B_PORT, A_PORT]);

    browser = await launch();
    const room = 'cluster-' + crypto.randomBytes(4).toString('hex');
    const ann = await joinThroughUi(browser, { name: 'Ann', room, base: nodeA.base });
    const ben = await joinThroughUi(browser, { name: 'Ben', room, base: nodeA.base });
    const cy = await joinThroughUi(browser, { name: 'Cy', room, base: balancer.base });
    const pages = { Ann: ann, Ben: ben, Cy: cy };
    const others = (me) => Object.keys(pages).filter((n) => n !== me);
    check(balancer.connections.get(B_PORT) > 0 && balancer.connections.get(A_PORT) === 0, 'Cy\'s page went through the balancer to node B',
      Object.fromEntries(balancer.connections));

    for (const [name, page] of Object.entries(pages)) {
      const tiles = await waitAllPlaying(page, others(name), 30000).catch((e) => e.message);
      check(Array.isArray(tiles), `${name} sees the other two playing (3 participants across 2 nodes)`, tiles);
    }
    const cyOld = await cy.evaluate(() => window.peerkitApp.selfId);
    check(typeof cyOld === 'string' && cyOld.length > 0, 'Cy has a member id (on node B)', cyOld);
    for (const page of [ann, ben]) {
      await page.evaluate(() => {
        window.__left = [];
        window.peerkitApp.rooms.addEventListener('member-left', (e) => window.__left.push({ ...e.detail, at: Date.now() }));
      });
    }

    // Until the survivors notice B is dead, Redis still lists Cy's old member in the room, so
    // the rejoin's member list can name it: Cy's page must not call its own ghost.
    await cy.evaluate(() => {
      window.__tilesAdded = [];
      new MutationObserver((records) => {
        for (const r of records) for (const n of r.addedNodes) if (n.dataset && n.dataset.member) window.__tilesAdded.push(n.dataset.member);
      }).observe(document.getElementById('videos'), { childList: true });
    });
    const killedAt = Date.now();
    await cluster.kill9('roomB');

    for (const [name, page] of [['Ann', ann], ['Ben', ben]]) {
      const left = await waitFor(`${name} to hear Cy's old member leave`, () =>
        page.evaluate((id) => window.__left.find((l) => l.id === id), cyOld), 15000).catch((e) => e.message);
      const after = left && left.at ? left.at - killedAt : undefined;
      check(left && left.reason === 'disconnected' && after <= 10000, `${name}: Cy (node B) announced left, reason disconnected, within 10 s`,
        { ...left, afterMs: after });
      if (after !== undefined) console.log(`# ${name} heard member-left ${after} ms after the SIGKILL`);
    }

    const rejoined = await waitFor('Cy\'s page to rejoin', () => cy.evaluate((old) => {
      const a = window.peerkitApp;
      return a.state === 'in-room' && a.selfId && a.selfId !== old ? a.selfId : false;
    }, cyOld), 20000).catch((e) => e.message);
    check(typeof rejoined === 'string', 'Cy\'s page rejoined the room with a new member id', rejoined);
    check(balancer.connections.get(A_PORT) > 0, 'the balancer sent Cy\'s reconnection to node A', Object.fromEntries(balancer.connections));

    for (const [name, page] of Object.entries(pages)) {
      const tiles = await waitAllPlaying(page, others(name), 20000).catch((e) => e.message);
      check(Array.isArray(tiles) && !tiles.some((t) => t.id === cyOld), `${name} again plays two remote videos after the failover`, tiles);
    }
    const added = await cy.evaluate(() => window.__tilesAdded);
    check(!added.includes(cyOld), 'Cy\'s page never shows a tile for its own previous member id', added);
    const reconnectedIn = Date.now() - killedAt;
    console.log(`# call rebuilt ${reconnectedIn} ms after the SIGKILL`);
    check(cluster.unexpectedExits().length === 0, 'node A and Redis kept running', cluster.unexpectedExits());
    ok = true;
  } finally {
    if (browser) await browser.close();
    if (balancer) await balancer.close();
    await cluster.stop(!ok);
  }
}, 60000);
