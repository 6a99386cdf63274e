// Issue 11 acceptance: under a bandwidth cap on one subscriber, that subscriber drops to a lower
// simulcast layer and climbs back once the cap is lifted, while another subscriber of the same
// publisher stays on the top layer. The cap is an iptables hashlimit rule on the SFU's packets
// to that subscriber's port (there is no netem here); the test runs inside run.sh's namespace,
// so the rule never touches the machine's own traffic.
'use strict';
const crypto = require('crypto');
const { execFileSync } = require('child_process');
const { launch, check, run, joinThroughUi, waitForVideoFrom } = require('./lib');

const SFU_PORTS = '3480:3543';  // serve's default --sfu-port and the workers after it
const CAP = '40kb/s';           // bytes: 320 kbit/s, above the lowest layer, below the next

// The layer `page` receives of `source`'s video, as the server reports it (sfu-stats).
async function layerOf(page, source) {
  return page.evaluate(async (who) => {
    const app = window.peerkitApp;
    app.sfu.requestStats();
    const before = app.sfu.lastStats;
    for (let i = 0; i < 20 && app.sfu.lastStats === before; i++) await new Promise((r) => setTimeout(r, 50));
    const s = app.sfu.lastStats || {};
    const sub = (s.subscriptions || []).find((x) => x.kind === 'video' && app.members.get(x.source) === who);
    return sub ? sub.layer : undefined;
  }, source);
}

async function waitLayer(page, source, predicate, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let layer;
  while (Date.now() < deadline) {
    layer = await layerOf(page, source);
    if (layer !== undefined && layer !== null && predicate(layer)) return { layer, ms: timeoutMs - (deadline - Date.now()) };
    await new Promise((r) => setTimeout(r, 500));
  }
  return { layer, timedOut: true };
}

// The local UDP port of the page's subscribe connection (where the SFU sends to it).
async function subscribePort(page) {
  return page.evaluate(async () => {
    const stats = await window.peerkitApp.sfu.subscriber.getStats();
    let pair = null;
    stats.forEach((s) => { if (s.type === 'transport' && s.selectedCandidatePairId) pair = stats.get(s.selectedCandidatePairId); });
    return pair ? stats.get(pair.localCandidateId).port : null;
  });
}

function iptables(action, port) {
  execFileSync('iptables', [action, 'OUTPUT', '-p', 'udp', '--sport', SFU_PORTS, '--dport', String(port),
    '-m', 'hashlimit', '--hashlimit-name', `cap${port}`, '--hashlimit-above', CAP,
    '--hashlimit-mode', 'dstport', '-j', 'DROP']);
}

run('SFU: a capped subscriber drops a layer and climbs back', async () => {
  const browser = await launch();
  let capped = null;
  try {
    const room = 'cap-' + crypto.randomBytes(4).toString('hex');
    const pub = await joinThroughUi(browser, { name: 'Pia', room, mode: 'sfu' });
    const slow = await joinThroughUi(browser, { name: 'Sam', room });
    const fast = await joinThroughUi(browser, { name: 'Flo', room });
    for (const [page, who] of [[slow, 'Sam'], [fast, 'Flo']]) {
      const seen = await waitForVideoFrom(page, 'Pia', 45000);
      check(seen.frames > 0, `${who} decodes Pia's video through the SFU`, seen);
    }
    // Chrome sends as many layers as the camera's size allows; the top is what both reach.
    const top = await waitLayer(fast, 'Pia', (l) => l >= 1, 40000);
    check(!top.timedOut, 'Flo climbs above the lowest layer on the estimate alone', top);
    const topLayer = top.layer;
    const slowTop = await waitLayer(slow, 'Pia', (l) => l >= topLayer, 40000);
    check(!slowTop.timedOut, `Sam reaches the top layer (${topLayer}) too`, slowTop);

    const port = await subscribePort(slow);
    check(Number.isInteger(port), "Sam's subscribe connection has a selected pair", port);
    iptables('-A', port);
    capped = port;
    const warned = slow.waitForFunction(() => [...document.querySelectorAll('figure.tile[data-member] .tile-quality')]
      .some((q) => q.textContent === 'poor connection'), null, { timeout: 30000, polling: 100 }).then(() => true).catch(() => false);
    const down = await waitLayer(slow, 'Pia', (l) => l < topLayer, 30000);
    check(!down.timedOut, `under a ${CAP} cap Sam drops below layer ${topLayer} (to ${down.layer} after ${down.ms} ms)`, down);
    check(await warned, "Sam's tile of Pia says 'poor connection' under the cap");
    const flo = await layerOf(fast, 'Pia');
    check(flo === topLayer, `Flo stays on layer ${topLayer} meanwhile`, flo);

    iptables('-D', port);
    capped = null;
    const up = await waitLayer(slow, 'Pia', (l) => l >= topLayer, 60000);
    check(!up.timedOut, `with the cap lifted Sam climbs back to the top layer (after ${up.ms} ms)`, up);
    await slow.evaluate(() => { window.__frames = {}; });  // count frames from now on
    const still = await waitForVideoFrom(slow, 'Pia', 15000).catch((e) => ({ error: e.message.split('\n')[0] }));
    check(still.frames > 0, "Sam's video kept decoding", still);
  } finally {
    if (capped !== null) iptables('-D', capped);
    await browser.close();
  }
}, 280000);
