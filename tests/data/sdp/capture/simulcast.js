// Captures the Chromium simulcast SDP in tests/data/sdp/ (not run by the tests). Run inside a
// loopback-only namespace: NODE_PATH=tests/browser/node_modules unshare -n sh -c 'ip link set lo up && exec node tests/data/sdp/capture/simulcast.js'
const { chromium } = require('playwright-core');
const fs = require('fs'), os = require('os'), path = require('path');
(async () => {
  const udd = fs.mkdtempSync(path.join(os.tmpdir(), 'chr-'));
  const args = ['--headless=new','--no-sandbox','--disable-gpu','--disable-quic','--no-first-run',
    '--disable-background-networking','--disable-component-update','--disable-sync',
    '--use-fake-ui-for-media-stream','--use-fake-device-for-media-stream','--allow-loopback-in-peer-connection'];
  const ctx = await chromium.launchPersistentContext(udd, { executablePath: '/usr/bin/chromium', headless: false, args });
  const page = ctx.pages()[0] || await ctx.newPage();
  await page.goto('file://' + path.join(__dirname, 'simulcast.html'));
  const r = await page.evaluate(() => window.run());
  fs.writeFileSync(path.join(__dirname, '..', 'chromium156-simulcast-offer.sdp'), r.offer);
  fs.writeFileSync(path.join(__dirname, '..', 'chromium156-simulcast-answer.sdp'), r.answer);
  fs.writeFileSync(path.join(__dirname, '..', 'chromium156-simulcast-offer-stopped.sdp'), r.offerStopped);
  console.log('ok');
  await ctx.close(); fs.rmSync(udd, { recursive: true, force: true });
})().catch(e => { console.error(e); process.exit(1); });
