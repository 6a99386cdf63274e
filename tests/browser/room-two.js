// Acceptance 1 and 5: two pages join one room through the UI; each sees the other's video with
// frames advancing; a chat message arrives; a 5 MiB file arrives with a matching SHA-256; a
// screenshot of the room is saved. With --relay (acceptance 2) everything goes through TURN
// and the selected pair must be relay/relay.
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const { BASE, launch, check, run, joinThroughUi, waitForVideoFrom, selectedPair, artifact } = require('./lib');

const relay = process.argv.includes('--relay');
const label = relay ? 'relay-only room' : 'two-person room';

run(label, async () => {
  const browser = await launch();
  try {
    const room = (relay ? 'relay-' : 'two-') + crypto.randomBytes(4).toString('hex');
    const alice = await joinThroughUi(browser, { name: 'Alice', room, relay });
    const bob = await joinThroughUi(browser, { name: 'Bob', room, relay });

    const bobSees = await waitForVideoFrom(bob, 'Alice');
    check(bobSees.frames > 0 && bobSees.width > 0, 'Bob sees Alice\'s video with frames advancing', bobSees);
    const aliceSees = await waitForVideoFrom(alice, 'Bob');
    check(aliceSees.frames > 0 && aliceSees.width > 0, 'Alice sees Bob\'s video with frames advancing', aliceSees);

    const pair = await selectedPair(alice, 'Bob');
    console.log(`# selected pair: ${JSON.stringify(pair)}`);
    if (relay) {
      check(pair.local.type === 'relay' && pair.remote.type === 'relay', 'selected pair is relay/relay', pair);
      const metrics = await (await fetch(BASE + '/metrics')).text();
      const line = (prefix) => metrics.split('\n').find((l) => l.startsWith(prefix)) || '';
      const allocations = Number(line('peerkit_turn_allocations ').split(' ')[1]);
      const packets = Number(line('peerkit_turn_relayed_packets_total{direction="to_peer"}').split(' ')[1]);
      check(allocations >= 2 && packets > 100, 'peerkit\'s TURN server holds the allocations and relays the media', { allocations, packets });
    } else {
      check(pair.local.type !== 'relay' && pair.remote.type !== 'relay', 'without relay-only the pair is direct', pair);
    }

    await alice.fill('#chat-input', 'hello from Alice');
    await alice.press('#chat-input', 'Enter');
    await bob.waitForFunction(() => [...document.querySelectorAll('#chat-log li')].some((li) => li.textContent === 'Alicehello from Alice'), null, { timeout: 10000 });
    check(true, 'chat message arrives');

    const data = crypto.randomBytes(5 * 1024 * 1024);
    const expected = crypto.createHash('sha256').update(data).digest('hex');
    await alice.click('.tabs button[data-tab="files"]');
    await bob.click('.tabs button[data-tab="files"]');
    const t0 = Date.now();
    await alice.setInputFiles('#file-input', { name: 'random-5MiB.bin', mimeType: 'application/octet-stream', buffer: data });
    const shown = await bob.waitForFunction(() => {
      const li = document.querySelector('#file-list li');
      return li && li.querySelector('.ok, .bad') ? { hash: li.querySelector('.hash').textContent, verdict: li.querySelector('.ok, .bad').className, value: li.querySelector('progress').value } : false;
    }, null, { timeout: 60000 });
    const result = await shown.jsonValue();
    check(result.hash === `SHA-256 ${expected}` && result.verdict === 'ok', '5 MiB file arrives with a matching SHA-256', { result, expected });
    console.log(`# 5 MiB in ${Date.now() - t0} ms`);

    if (!relay) {
      await alice.click('.tabs button[data-tab="details"]');
      await alice.waitForFunction(() => document.querySelector('#peer-details table'), null, { timeout: 5000 });
      const file = artifact('room-two-participants.png');
      await alice.screenshot({ path: file });
      const png = fs.readFileSync(file);
      check(png.length > 10000 && png.subarray(1, 4).toString() === 'PNG', 'screenshot of a two-person room saved', { file, bytes: png.length });
      const details = await alice.textContent('#tab-details');
      check(/selected pair/.test(details) && /offer/.test(details) && /candidate/.test(details), 'details panel shows signaling log and selected pair');
    }

    // Bob leaves: Alice's tile for him goes away.
    await bob.click('#leave');
    await alice.waitForFunction(() => !document.querySelector('figure.tile[data-member]'), null, { timeout: 10000 });
    check(true, 'a member leaving removes their tile');
  } finally {
    await browser.close();
  }
});
