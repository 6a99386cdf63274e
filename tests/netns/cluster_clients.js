// Raw WebSocket clients for tests/netns/cluster.sh: PeerJS (<path>peerjs) and rooms (/ws) clients
// on several `peerkit serve --cluster` nodes. One scenario per invocation:
//   node cluster_clients.js SCENARIO key=value...
// Each check prints "ok   - …" or "FAIL - …" (the format of lib.sh); the exit code is 1 when
// one failed. Every wait is for a condition with a deadline, never a fixed sleep.
'use strict';
const path = require('path');
const WebSocket = require(path.join(__dirname, '../browser/node_modules/ws'));

const args = Object.fromEntries(process.argv.slice(3).map((a) => a.split(/=(.*)/s).slice(0, 2)));
const url = (name) => `127.0.0.1:${args[name]}`; // a=9101 b=9102 c=9103 (ports)
let failures = 0;
function check(what, ok, detail) {
  console.log(`${ok ? 'ok  ' : 'FAIL'} - ${what}${ok || !detail ? '' : ` (${detail})`}`);
  if (!ok) failures++;
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// A WebSocket whose frames are kept, so that a test can wait for one that arrived earlier.
class Client {
  constructor(wsUrl) {
    this.frames = [];
    this.waiters = [];
    this.closed = null; // {code, reason} once closed
    this.ws = new WebSocket(wsUrl);
    this.ws.on('message', (data) => {
      let m;
      try { m = JSON.parse(data.toString()); } catch { m = { type: '<bad json>', raw: data.toString() }; }
      this.frames.push(m);
      this.poke();
    });
    this.ws.on('close', (code, reason) => { this.closed = { code, reason: reason.toString() }; this.poke(); });
    this.ws.on('error', (e) => { this.error = e.message; this.poke(); });
  }
  poke() { for (const w of this.waiters.slice()) w(); }
  // Resolves with the first kept frame matching pred (and removes it), or null at the deadline.
  next(pred, ms = 3000) {
    return new Promise((resolve) => {
      const look = () => {
        const i = this.frames.findIndex(pred);
        if (i >= 0) { done(); resolve(this.frames.splice(i, 1)[0]); return true; }
        return false;
      };
      const timer = setTimeout(() => { done(); resolve(null); }, ms);
      const done = () => { clearTimeout(timer); this.waiters = this.waiters.filter((w) => w !== look); };
      if (!look()) this.waiters.push(look);
    });
  }
  closedWithin(ms) {
    return new Promise((resolve) => {
      const look = () => { if (this.closed) { done(); resolve(true); } };
      const timer = setTimeout(() => { done(); resolve(false); }, ms);
      const done = () => { clearTimeout(timer); this.waiters = this.waiters.filter((w) => w !== look); };
      this.waiters.push(look);
      look();
    });
  }
  send(obj) { if (this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(obj)); }
  close() { this.ws.terminate(); clearInterval(this.beat); }
}

// PeerJS client: resolves with {c, first} where first is OPEN, ID-TAKEN, … (null: none in time).
async function peer(node, id, token, ms = 3000) {
  const c = new Client(`ws://${url(node)}/peerjs?key=peerjs&id=${id}&token=${token}`);
  c.beat = setInterval(() => c.send({ type: 'HEARTBEAT' }), 1000);
  const first = await c.next((m) => m.type !== 'HEARTBEAT', ms);
  return { c, first: first && first.type };
}
// Rooms client: connected and welcomed.
async function member(node) {
  const c = new Client(`ws://${url(node)}/ws`);
  const w = await c.next((m) => m.type === 'welcome');
  c.id = w && w.id;
  return c;
}
async function joined(c, room, name) {
  c.send({ type: 'join', room, name });
  return c.next((m) => m.type === 'joined' || m.type === 'error');
}
async function http(node, p) {
  try {
    const r = await fetch(`http://${url(node)}${p}`);
    return { status: r.status, text: await r.text() };
  } catch (e) { return { status: 0, text: e.message }; }
}
// Polls fn (async → truthy) until it holds or ms pass; resolves with the last value.
async function until(fn, ms, every = 100) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v || Date.now() >= end) return v;
    await sleep(every);
  }
}
// One relayed PeerJS frame from → to (to is {c, id}); true when it arrived with src and payload.
async function relayed(type, from, fromId, to, toId, ms = 3000) {
  const payload = { n: Math.random() };
  from.send({ type, dst: toId, payload });
  const m = await to.next((f) => f.type === type && f.payload && f.payload.n === payload.n, ms);
  return !!m && m.src === fromId && m.dst === toId;
}
const healthz = (node) => http(node, '/healthz').then((r) => r.text);

const scenarios = {
  // 1. PeerJS across nodes.
  async peerjs() {
    const pa = await peer('a', 'pa', 'ta'); const pb = await peer('b', 'pb', 'tb');
    const pc = await peer('c', 'pc', 'tc');
    check('PeerJS ids open on nodes a, b and c', pa.first === 'OPEN' && pb.first === 'OPEN' && pc.first === 'OPEN',
          `${pa.first} ${pb.first} ${pc.first}`);
    for (const t of ['OFFER', 'ANSWER', 'CANDIDATE'])
      check(`${t} relayed a → b`, await relayed(t, pa.c, 'pa', pb.c, 'pb'));
    for (const t of ['OFFER', 'ANSWER', 'CANDIDATE'])
      check(`${t} relayed b → c`, await relayed(t, pb.c, 'pb', pc.c, 'pc'));
    check('ANSWER relayed c → a', await relayed('ANSWER', pc.c, 'pc', pa.c, 'pa'));
    check('LEAVE relayed a → c', await relayed('LEAVE', pa.c, 'pa', pc.c, 'pc'));
    // The sender's node publishes to the owner's channel only: node c hears none of a → b.
    const inC = async () => +((await http('c', '/metrics')).text.match(/^peerkit_cluster_messages_in_total (\S+)/m) || [])[1];
    const before = await inC();
    let all20 = true;
    for (let i = 0; i < 20; i++) all20 = (await relayed('CANDIDATE', pa.c, 'pa', pb.c, 'pb')) && all20;
    const after = await inC();
    check(`20 relays a → b reach b and none reaches node c's channel (messages_in ${before} → ${after})`,
          all20 && Number.isFinite(before) && after === before);
    const taken = await peer('c', 'pa', 'other');
    check('an id held on node a is ID-TAKEN on node c with another token', taken.first === 'ID-TAKEN', taken.first);
    check('the ID-TAKEN socket is closed', taken.first === 'ID-TAKEN' && (await taken.c.closedWithin(3000)));
    check('the holder on node a keeps its socket', !pa.c.closed && (await relayed('OFFER', pc.c, 'pc', pa.c, 'pa')));

    // Offline queue across nodes: an OFFER to an id not open yet waits in Redis and is delivered
    // when the id opens on another node.
    pa.c.send({ type: 'OFFER', dst: 'late', payload: { queued: 1 } });
    await until(async () => +((await http('a', '/metrics')).text.match(/^peerkit_cluster_peerjs_queued_total (\S+)/m) || [])[1] >= 1, 2000);
    const late = await peer('c', 'late', 'tl');
    const q = await late.c.next((m) => m.type === 'OFFER');
    check('an OFFER queued for an absent id is delivered when it opens on node c',
          late.first === 'OPEN' && q && q.src === 'pa' && q.payload.queued === 1, JSON.stringify(q));
    const t0 = Date.now();
    pa.c.send({ type: 'OFFER', dst: 'nobody-here', payload: { x: 1 } });
    const exp = await pa.c.next((m) => m.type === 'EXPIRE', +args.expire + 4000);
    const took = Date.now() - t0;
    check(`EXPIRE for an OFFER to an unknown id after the expire timeout (${took} ms, timeout ${args.expire})`,
          !!exp && exp.src === 'nobody-here' && took >= +args.expire - 100, exp ? JSON.stringify(exp) : 'none');

    check('the delivered queued OFFER brought no EXPIRE', !pa.c.frames.some((m) => m.type === 'EXPIRE' && m.src === 'late'));
    late.c.close();
    const all = await until(async () => {
      const r = await http('b', '/peerjs/peers');
      try { const ids = JSON.parse(r.text); return ['pa', 'pb', 'pc'].every((i) => ids.includes(i)) && ids; } catch { return false; }
    }, 5000);
    check('GET /peerjs/peers on node b lists the ids of all nodes', !!all, JSON.stringify(all));

    const old = await peer('a', 'tk', 'same');
    const neu = await peer('c', 'tk', 'same');
    check('the same id+token on another node is a takeover (OPEN there)', old.first === 'OPEN' && neu.first === 'OPEN',
          `${old.first} ${neu.first}`);
    check('the old socket on node a is closed by the takeover', old.first === 'OPEN' && (await old.c.closedWithin(5000)),
          JSON.stringify(old.c.closed));
    check('frames for the taken-over id reach the new socket', await relayed('OFFER', pb.c, 'pb', neu.c, 'tk'));
    for (const x of [pa, pb, pc, neu]) x.c.close();
  },

  // 2. Rooms across nodes, room-full cluster-wide (--room-capacity 2).
  async rooms() {
    const A = await member('a'); const B = await member('b'); const C = await member('c');
    check('rooms members get distinct ids on the three nodes', A.id && B.id && C.id && new Set([A.id, B.id, C.id]).size === 3);
    const ja = await joined(A, 'r1', 'Ann');
    check('first member (node a) joins an empty room', ja && ja.type === 'joined' && ja.members.length === 0, JSON.stringify(ja));
    const jb = await joined(B, 'r1', 'Bo');
    check('member on node b sees node a\'s member in joined', jb && jb.type === 'joined' &&
          jb.members.length === 1 && jb.members[0].id === A.id && jb.members[0].name === 'Ann', JSON.stringify(jb));
    const mj = await A.next((m) => m.type === 'member-joined');
    check('node a\'s member gets member-joined for node b\'s', mj && mj.member.id === B.id && mj.member.name === 'Bo', JSON.stringify(mj));
    A.send({ type: 'signal', to: B.id, data: { sdp: { type: 'offer', sdp: 'v=0 a' } } });
    const sb = await B.next((m) => m.type === 'signal');
    check('signal relayed a → b', sb && sb.from === A.id && sb.data.sdp.sdp === 'v=0 a', JSON.stringify(sb));
    B.send({ type: 'signal', to: A.id, data: { candidate: null } });
    const sa = await A.next((m) => m.type === 'signal');
    check('signal relayed b → a', sa && sa.from === B.id && sa.data.candidate === null, JSON.stringify(sa));
    const jc = await joined(C, 'r1', 'Cy');
    check('a third member on node c is refused room-full (capacity 2, cluster-wide)',
          jc && jc.type === 'error' && jc.code === 'room-full', JSON.stringify(jc));
    B.send({ type: 'leave' });
    const ml = await A.next((m) => m.type === 'member-left');
    check('node a\'s member hears member-left (left) for node b\'s', ml && ml.id === B.id && ml.reason === 'left', JSON.stringify(ml));
    const jc2 = await joined(C, 'r1', 'Cy');
    check('the freed place can be taken from node c', jc2 && jc2.type === 'joined' && jc2.members.length === 1 &&
          jc2.members[0].id === A.id, JSON.stringify(jc2));
    for (const x of [A, B, C]) x.close();
  },

  // 3. kill -9 node b (pid=…): its member and id are given up by the survivors.
  async failover() {
    const A = await member('a'); const B = await member('b');
    await joined(A, 'r2', 'Ann');
    const jb = await joined(B, 'r2', 'Bo');
    await A.next((m) => m.type === 'member-joined');
    const pb = await peer('b', 'victim', 'tb');
    check('before the kill: member on node b in the room with node a\'s, id "victim" open on b',
          jb && jb.type === 'joined' && jb.members.length === 1 && pb.first === 'OPEN');
    const h0 = await healthz('a');
    check('before the kill: node a sees 2 other nodes', /registered, 2 other node\(s\) alive/.test(h0), h0.trim());
    if (!(jb && jb.type === 'joined' && pb.first === 'OPEN')) return;
    const t0 = Date.now();
    process.kill(+args.pid, 'SIGKILL');
    const ml = await A.next((m) => m.type === 'member-left', +args.left_deadline);
    const took = Date.now() - t0;
    check(`node b's member announced member-left "disconnected" on node a within ${args.left_deadline} ms (${took} ms)`,
          ml && ml.id === B.id && ml.reason === 'disconnected', JSON.stringify(ml));
    const freed = await until(async () => {
      const p = await peer('a', 'victim', 'another', 1500);
      if (p.first === 'OPEN') return p;
      p.c.close();
      return null;
    }, +args.alive - (Date.now() - t0), 200);
    const took2 = Date.now() - t0;
    check(`node b's PeerJS id is openable on node a with another token within the alive timeout ${args.alive} ms (${took2} ms)`,
          !!freed);
    for (const n of ['a', 'c']) {
      const h = await until(async () => { const t = await healthz(n); return /registered, 1 other node\(s\) alive/.test(t) && t; }, 8000);
      check(`node ${n}'s /healthz reports 1 other node alive`, !!h, await healthz(n));
    }
    if (freed) freed.c.close();
    A.close();
  },

  // 4. Redis stopped for a while (the script stops and restarts it once we print "ready").
  async outage() {
    const p1 = await peer('a', 'loc1', 't'); const p2 = await peer('a', 'loc2', 't');
    const pc = await peer('c', 'far', 't');
    const A1 = await member('a'); const A2 = await member('a');
    await joined(A1, 'r3', 'One');
    const j2 = await joined(A2, 'r3', 'Two');
    const X = await member('a'); const Y = await member('c');
    await joined(X, 'r4', 'Xa');
    const jy = await joined(Y, 'r4', 'Yc');
    const X2 = await member('a'); const Z = await member('c'); // Z leaves r5 during the outage
    await joined(X2, 'r5', 'X2');
    await joined(Z, 'r5', 'Zc');
    check('before the outage: cross-node relay a → c', await relayed('OFFER', p1.c, 'loc1', pc.c, 'far'));
    check('before the outage: members on a and c share room r4', jy && jy.type === 'joined' && jy.members.length === 1, JSON.stringify(jy));
    console.log('ready'); // cluster.sh stops Redis now
    const deg = await until(async () => {
      const [ha, hc] = await Promise.all([healthz('a'), healthz('c')]);
      return /degraded: redis unreachable/.test(ha) && /degraded/.test(hc) && ha;
    }, 5000);
    check('during the outage /healthz of nodes a and c says degraded', !!deg, await healthz('a'));
    console.log('degraded-seen');
    check('during the outage: PeerJS relay between two clients on node a', await relayed('OFFER', p1.c, 'loc1', p2.c, 'loc2'));
    check('during the outage: PeerJS ANSWER back on node a', await relayed('ANSWER', p2.c, 'loc2', p1.c, 'loc1'));
    A1.send({ type: 'signal', to: A2.id, data: { during: 'outage' } });
    const s = await A2.next((m) => m.type === 'signal');
    check('during the outage: rooms signal on node a', j2 && j2.type === 'joined' && s && s.from === A1.id && s.data.during === 'outage', JSON.stringify(s));
    Y.send({ type: 'signal', to: X.id, data: { n: 1 } });
    const ue = await Y.next((m) => m.type === 'error' || m.type === 'signal');
    check('during the outage: a cross-node rooms signal is refused unknown-member', ue && ue.code === 'unknown-member', JSON.stringify(ue));
    Z.send({ type: 'leave' }); // node c cannot tell node a now
    check('during the outage: a member on node c leaves its room', !!(await Z.next((m) => m.type === 'left')));
    const t1 = Date.now();
    p1.c.send({ type: 'OFFER', dst: 'far', payload: { during: 1 } });
    const ex = await p1.c.next((m) => m.type === 'EXPIRE' && m.src === 'far', +args.expire + 4000);
    check(`during the outage: a PeerJS OFFER for node c's id expires back to the sender (${Date.now() - t1} ms)`, !!ex);
    const p3 = await peer('a', 'newcomer', 't');
    check('during the outage: a new PeerJS id opens on node a', p3.first === 'OPEN', p3.first);
    // The script restarts Redis after its 10 s outage; the nodes re-register on their own.
    const back = await until(async () => {
      const [ha, hc] = await Promise.all([healthz('a'), healthz('c')]);
      return /registered, 1 other/.test(ha) && /registered, 1 other/.test(hc) && ha;
    }, +args.back_deadline);
    check(`after the restart /healthz of nodes a and c says registered again`, !!back, await healthz('a'));
    const ok = await until(() => relayed('OFFER', p1.c, 'loc1', pc.c, 'far', 500), 5000, 0);
    check('after the restart: cross-node relay a → c works again (same sockets)', ok);
    check('after the restart: cross-node relay c → a to an id opened during the outage',
          await until(() => relayed('ANSWER', pc.c, 'far', p3.c, 'newcomer', 500), 5000, 0));
    const sig = await until(async () => {
      Y.send({ type: 'signal', to: X.id, data: { n: 2 } });
      return X.next((m) => m.type === 'signal' && m.data.n === 2, 300);
    }, 5000, 0);
    check('after the restart: a rooms signal c → a works again', sig && sig.from === Y.id, JSON.stringify(sig));
    // Who left during the outage is announced once Redis is back (node_ttl later, the resync's
    // final pass); by then nobody else may have been announced left.
    const backAt = Date.now();
    const zl = await X2.next((m) => m.type === 'member-left', 12000);
    check(`after the restart: the member who left r5 on node c during the outage is announced left on node a (${Date.now() - backAt} ms)`,
          zl && zl.id === Z.id, JSON.stringify(zl));
    const events = [X, Y, A1, A2].map((c, i) => `${'XYAB'[i]}:${JSON.stringify(c.frames.filter((m) => m.type.startsWith('member-')))}`);
    check('nobody was announced left because of the outage', ![X, Y, A1, A2].some((c) => c.frames.some((m) => m.type === 'member-left')),
          `${events.join(' ')} X=${X.id} Y=${Y.id}`);
    X.close(); Y.close(); X2.close(); Z.close();
    check('no client socket was closed by the outage', ![p1, p2, pc, p3].some((p) => p.c.closed) && !A1.closed && !A2.closed);
    for (const x of [p1, p2, pc, p3]) x.c.close();
    A1.close(); A2.close();
  },
};

(async () => {
  const s = scenarios[process.argv[2]];
  if (!s) { console.log(`unknown scenario ${process.argv[2]}`); process.exit(2); }
  await s();
  process.exit(failures ? 1 : 0);
})().catch((e) => { console.log(`FAIL - scenario crashed: ${e.stack}`); process.exit(1); });
