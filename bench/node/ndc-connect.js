// The named peer for the ICE set-up benchmark: libdatachannel (libjuice ICE) through
// node-datachannel, the same shape as bench/iceconnect.cpp — two peers in one process, host
// candidates on 127.0.0.1 only, descriptions and candidates handed over the moment they appear.
// Measures creation → both ICE states "connected"; prints p50/p99 in µs.
const ndc = require('node-datachannel');
const wire = require('./ndc-wire');
ndc.initLogger('Error', () => {});
const runs = Number(process.argv[2] || 200);
const cfg = { iceServers: [], bindAddress: '127.0.0.1' };

function once() {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const a = new ndc.PeerConnection('a', cfg), b = new ndc.PeerConnection('b', cfg);
    let up = 0;
    const timer = setTimeout(() => reject(new Error('timeout')), 10000);
    const done = (s) => {
      if (s !== 'connected' && s !== 'completed') return;
      if (++up === 2) {
        const us = Number(process.hrtime.bigint() - t0) / 1000;
        clearTimeout(timer);
        setImmediate(() => { dc.close(); a.close(); b.close(); resolve(us); });
      }
    };
    a.onIceStateChange(done);
    b.onIceStateChange(done);
    wire(a, b);
    wire(b, a);
    const dc = a.createDataChannel('bench');  // creating a channel starts negotiation
  });
}

(async () => {
  const us = [];
  for (let i = 0; i < runs; i++) us.push(await once());
  us.sort((x, y) => x - y);
  const pct = (p) => us[Math.min(us.length - 1, Math.floor(p * us.length))];
  console.log(`runs=${runs} p50_us=${pct(0.5).toFixed(0)} p99_us=${pct(0.99).toFixed(0)} ` +
              `min_us=${us[0].toFixed(0)} max_us=${us[us.length - 1].toFixed(0)}`);
  // ndc.cleanup() crashed the process at exit (bus error) in 0.33.4; the numbers are out.
  process.exit(0);
})().catch((e) => { console.error(e); process.exit(1); });
