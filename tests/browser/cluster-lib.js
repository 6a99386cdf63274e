// Helpers of the cluster scenarios (cluster-peerjs.js, cluster-rooms.js): a private redis-server
// and several `peerkit serve --cluster` nodes, all started by the scenario inside run.sh's
// namespace (loopback only), each stopped by its PID; and a TCP balancer that hands each new
// connection to the first backend that accepts it, as a load balancer with health checks would.
'use strict';
const { spawn } = require('child_process');
const fs = require('fs');
const net = require('net');
const os = require('os');
const path = require('path');

const PEERKIT = process.env.PEERKIT || path.join(__dirname, '../../build/bin/peerkit');

// Polls `probe` (async, truthy = done) every 100 ms until `timeoutMs`; throws with `what`.
async function waitFor(what, probe, timeoutMs = 10000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try { last = await probe(); if (last) return last; } catch (err) { last = err.message; }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${last})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function exited(child) { return child.spawnError !== undefined || child.exitCode !== null || child.signalCode !== null; }

class Cluster {
  constructor() {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'peerkit-cluster-'));
    this.children = [];
    this.nodes = new Map();
  }

  logOf(name) { return path.join(this.dir, name + '.log'); }

  #spawn(name, cmd, args) {
    const out = fs.openSync(this.logOf(name), 'a');
    const child = spawn(cmd, args, { stdio: ['ignore', out, out] });
    fs.closeSync(out);
    // A missing binary (e.g. redis-server not installed): say so instead of crashing node.
    child.on('error', (err) => { child.spawnError = err; fs.appendFileSync(this.logOf(name), `cannot start ${cmd}: ${err.message}\n`); });
    this.children.push(child);
    return child;
  }

  // A throwaway redis-server: no persistence, its own directory, loopback only.
  async startRedis(port = 6390) {
    this.redisPort = port;
    this.redis = this.#spawn('redis', 'redis-server', ['--port', String(port), '--bind', '127.0.0.1',
      '--save', '', '--appendonly', 'no', '--dir', this.dir]);
    await waitFor('redis-server to accept connections', () => new Promise((resolve) => {
      if (exited(this.redis)) throw new Error('redis-server exited: ' + this.tail('redis'));
      const s = net.connect(port, '127.0.0.1', () => { s.end(); resolve(true); });
      s.on('error', () => resolve(false));
    }));
  }

  // One `peerkit serve` node on `port` (TURN on `turnPort`), with `extra` flags.
  startNode(id, port, turnPort, extra = []) {
    const child = this.#spawn(id, PEERKIT, ['serve', '--port', String(port), '--turn-port', String(turnPort),
      '--cluster', `redis://127.0.0.1:${this.redisPort}/0`, '--node-id', id,
      '--log-level', process.env.LOG_LEVEL || 'info', ...extra]);
    const node = { id, port, child, base: `http://127.0.0.1:${port}` };
    this.nodes.set(id, node);
    return node;
  }

  // Waits until every running node's /healthz says it is registered and sees all the others.
  async waitRegistered(timeoutMs = 10000) {
    const alive = [...this.nodes.values()].filter((n) => !n.killed);
    for (const node of alive) {
      await waitFor(`node ${node.id} registered with ${alive.length - 1} peer node(s)`, async () => {
        if (exited(node.child)) throw new Error(`node ${node.id} exited: ${this.tail(node.id)}`);
        const text = await (await fetch(node.base + '/healthz')).text();
        return text.includes(`registered, ${alive.length - 1} other node(s) alive`) ? text : false;
      }, timeoutMs);
    }
  }

  // SIGKILL, as a crashed machine: no goodbye reaches Redis or the clients.
  async kill9(id) {
    const node = this.nodes.get(id);
    node.killed = true;
    node.child.kill('SIGKILL');
    await waitFor(`node ${id} to die`, () => exited(node.child), 5000);
  }

  tail(name, lines = 15) {
    try { return fs.readFileSync(this.logOf(name), 'utf8').trimEnd().split('\n').slice(-lines).join('\n'); } catch { return ''; }
  }

  // Nodes that died on their own (not by kill9) are a failure of the scenario.
  unexpectedExits() {
    return [...this.nodes.values()].filter((n) => !n.killed && exited(n.child)).map((n) => n.id);
  }

  async stop(failedRun) {
    if (failedRun) for (const n of this.nodes.keys()) console.log(`# log of ${n}:\n${this.tail(n)}`);
    for (const child of this.children.slice().reverse()) {
      if (exited(child)) continue;
      child.kill('SIGTERM');
      await waitFor('a child to stop', () => exited(child), 5000).catch(() => child.kill('SIGKILL'));
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

// A TCP balancer on `port`: each new connection goes to the first of `backends` (ports on
// 127.0.0.1) that accepts it; a refused backend is skipped. Bytes are piped both ways; either
// side closing closes the other. `connections` counts where each connection went.
function startBalancer(port, backends) {
  const connections = new Map(backends.map((b) => [b, 0]));
  const server = net.createServer((client) => {
    client.pause();
    const attempt = (i) => {
      if (i >= backends.length) { client.destroy(); return; }
      const upstream = net.connect(backends[i], '127.0.0.1');
      let up = false;
      upstream.once('error', () => { if (!up) attempt(i + 1); });
      upstream.once('connect', () => {
        up = true;
        connections.set(backends[i], connections.get(backends[i]) + 1);
        upstream.on('error', () => client.destroy());
        client.on('error', () => upstream.destroy());
        upstream.on('close', () => client.destroy());
        client.on('close', () => upstream.destroy());
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
      });
    };
    attempt(0);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve({ server, connections, base: `http://127.0.0.1:${port}`,
      close: () => new Promise((r) => { server.close(r); for (const s of sockets) s.destroy(); }) }));
    const sockets = new Set();
    server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  });
}

module.exports = { Cluster, startBalancer, waitFor };
