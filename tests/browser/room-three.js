// Acceptance 3: three pages in one room; everyone sees everyone's video.
'use strict';
const crypto = require('crypto');
const { launch, check, run, joinThroughUi, waitForVideoFrom } = require('./lib');

run('three-person room', async () => {
  const browser = await launch();
  try {
    const room = 'three-' + crypto.randomBytes(4).toString('hex');
    const names = ['Ann', 'Ben', 'Cy'];
    const pages = [];
    for (const name of names) pages.push(await joinThroughUi(browser, { name, room }));
    for (let i = 0; i < names.length; i++) {
      for (const other of names) {
        if (other === names[i]) continue;
        const seen = await waitForVideoFrom(pages[i], other, 45000);
        check(seen.frames > 0, `${names[i]} sees ${other}`, seen);
      }
      const tiles = await pages[i].$$eval('figure.tile[data-member]', (t) => t.length);
      check(tiles === 2, `${names[i]} has exactly two remote tiles`, tiles);
    }
  } finally {
    await browser.close();
  }
});
