// Helpers for the tests that put `peerkit join` (or tests/browser/dc_peer) next to Chromium:
// a child process whose output lines can be waited for (with a deadline, never a sleep).
'use strict';
const { spawn } = require('child_process');

class Proc {
  constructor(cmd, args, name) {
    this.name = name;
    this.lines = [];   // {stream, text}
    this.waiters = [];
    this.child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => { this.code = code; this.signal = signal; resolve(code); this.#poke(); }));
    for (const stream of ['stdout', 'stderr']) {
      let pending = '';
      this.child[stream].on('data', (d) => {
        pending += d.toString();
        let nl;
        while ((nl = pending.indexOf('\n')) >= 0) {
          const text = pending.slice(0, nl);
          pending = pending.slice(nl + 1);
          this.lines.push({ stream, text });
          if (process.env.VERBOSE) console.log(`# [${name} ${stream}] ${text}`);
          this.#poke();
        }
      });
    }
  }
  #poke() { for (const w of this.waiters.splice(0)) w(); }
  // The first line (from now on or already seen, as `since` says) matching `re`, or a rejection
  // at the deadline / when the process exits without printing it.
  async waitLine(re, { timeout = 20000, stream = null, since = 0 } = {}) {
    const deadline = Date.now() + timeout;
    for (;;) {
      const hit = this.lines.slice(since).find((l) => (!stream || l.stream === stream) && re.test(l.text));
      if (hit) return hit.text;
      if (this.code !== undefined) throw new Error(`${this.name} exited (${this.code}) without printing ${re}; last lines:\n${this.tail()}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${this.name}: no line ${re} within ${timeout} ms; last lines:\n${this.tail()}`);
      await new Promise((resolve) => { const t = setTimeout(resolve, left); this.waiters.push(() => { clearTimeout(t); resolve(); }); });
    }
  }
  mark() { return this.lines.length; }
  write(text) { this.child.stdin.write(text); }
  tail(n = 15) { return this.lines.slice(-n).map((l) => `  ${l.stream}: ${l.text}`).join('\n'); }
  async stop(signal = 'SIGTERM', timeout = 10000) {
    if (this.code !== undefined) return this.code;
    this.child.kill(signal);
    const t = setTimeout(() => this.child.kill('SIGKILL'), timeout);
    const code = await this.exited;
    clearTimeout(t);
    return code;
  }
}

module.exports = { Proc };
