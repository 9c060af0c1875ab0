// rpc.mjs: a small MessagePack-RPC client over TCP for the browser test,
// written against the wire contract ([0, msgid, method, [args]] ->
// [1, msgid, error, result]) with a MessagePack codec of its own, so the
// test needs no package beyond playwright-core.
import net from 'node:net';

// ---- MessagePack ----

function encodeInto(out, v) {
  if (v === null || v === undefined) {
    out.push(Buffer.from([0xc0]));
  } else if (v === true || v === false) {
    out.push(Buffer.from([v ? 0xc3 : 0xc2]));
  } else if (typeof v === 'number' && Number.isInteger(v) &&
             v >= -0x80000000 && v <= 0xffffffff) {
    let b;
    if (v >= 0 && v < 128) b = Buffer.from([v]);
    else if (v < 0 && v >= -32) b = Buffer.from([v & 0xff]);
    else if (v >= 0 && v < 0x100) b = Buffer.from([0xcc, v]);
    else if (v >= 0 && v < 0x10000) { b = Buffer.alloc(3); b[0] = 0xcd; b.writeUInt16BE(v, 1); }
    else if (v >= 0) { b = Buffer.alloc(5); b[0] = 0xce; b.writeUInt32BE(v, 1); }
    else { b = Buffer.alloc(5); b[0] = 0xd2; b.writeInt32BE(v, 1); }
    out.push(b);
  } else if (typeof v === 'number') {
    const b = Buffer.alloc(9);
    b[0] = 0xcb;
    b.writeDoubleBE(v, 1);
    out.push(b);
  } else if (typeof v === 'string') {
    const s = Buffer.from(v, 'utf8');
    const n = s.length;
    let h;
    if (n < 32) h = Buffer.from([0xa0 | n]);
    else if (n < 0x100) h = Buffer.from([0xd9, n]);
    else if (n < 0x10000) { h = Buffer.alloc(3); h[0] = 0xda; h.writeUInt16BE(n, 1); }
    else { h = Buffer.alloc(5); h[0] = 0xdb; h.writeUInt32BE(n, 1); }
    out.push(h, s);
  } else if (Array.isArray(v)) {
    const n = v.length;
    let h;
    if (n < 16) h = Buffer.from([0x90 | n]);
    else if (n < 0x10000) { h = Buffer.alloc(3); h[0] = 0xdc; h.writeUInt16BE(n, 1); }
    else { h = Buffer.alloc(5); h[0] = 0xdd; h.writeUInt32BE(n, 1); }
    out.push(h);
    for (const x of v) encodeInto(out, x);
  } else if (typeof v === 'object') {
    const keys = Object.keys(v);
    const n = keys.length;
    let h;
    if (n < 16) h = Buffer.from([0x80 | n]);
    else if (n < 0x10000) { h = Buffer.alloc(3); h[0] = 0xde; h.writeUInt16BE(n, 1); }
    else { h = Buffer.alloc(5); h[0] = 0xdf; h.writeUInt32BE(n, 1); }
    out.push(h);
    for (const k of keys) { encodeInto(out, k); encodeInto(out, v[k]); }
  } else {
    throw new TypeError('cannot encode ' + typeof v);
  }
}

export function encode(v) {
  const out = [];
  encodeInto(out, v);
  return Buffer.concat(out);
}

// Thrown when the buffer ends inside an object: wait for more bytes.
class Short extends Error {}

function decodeAt(b, p) {
  const need = (n) => { if (p.i + n > b.length) throw new Short(); };
  need(1);
  const t = b[p.i++];
  const str = (n) => { need(n); const s = b.toString('utf8', p.i, p.i + n); p.i += n; return s; };
  const bin = (n) => { need(n); const s = b.subarray(p.i, p.i + n); p.i += n; return s; };
  const arr = (n) => { const a = []; for (let k = 0; k < n; k++) a.push(decodeAt(b, p)); return a; };
  const map = (n) => {
    const o = {};
    for (let k = 0; k < n; k++) { const key = decodeAt(b, p); o[key] = decodeAt(b, p); }
    return o;
  };
  const u = (n) => {
    need(n);
    let v;
    if (n === 1) v = b[p.i];
    else if (n === 2) v = b.readUInt16BE(p.i);
    else if (n === 4) v = b.readUInt32BE(p.i);
    else v = Number(b.readBigUInt64BE(p.i));
    p.i += n;
    return v;
  };
  const s = (n) => {
    need(n);
    let v;
    if (n === 1) v = b.readInt8(p.i);
    else if (n === 2) v = b.readInt16BE(p.i);
    else if (n === 4) v = b.readInt32BE(p.i);
    else v = Number(b.readBigInt64BE(p.i));
    p.i += n;
    return v;
  };
  if (t < 0x80) return t;
  if (t >= 0xe0) return t - 0x100;
  if ((t & 0xf0) === 0x80) return map(t & 0x0f);
  if ((t & 0xf0) === 0x90) return arr(t & 0x0f);
  if ((t & 0xe0) === 0xa0) return str(t & 0x1f);
  switch (t) {
    case 0xc0: return null;
    case 0xc2: return false;
    case 0xc3: return true;
    case 0xc4: return bin(u(1));
    case 0xc5: return bin(u(2));
    case 0xc6: return bin(u(4));
    case 0xca: { need(4); const v = b.readFloatBE(p.i); p.i += 4; return v; }
    case 0xcb: { need(8); const v = b.readDoubleBE(p.i); p.i += 8; return v; }
    case 0xcc: return u(1);
    case 0xcd: return u(2);
    case 0xce: return u(4);
    case 0xcf: return u(8);
    case 0xd0: return s(1);
    case 0xd1: return s(2);
    case 0xd2: return s(4);
    case 0xd3: return s(8);
    case 0xd9: return str(u(1));
    case 0xda: return str(u(2));
    case 0xdb: return str(u(4));
    case 0xdc: return arr(u(2));
    case 0xdd: return arr(u(4));
    case 0xde: return map(u(2));
    case 0xdf: return map(u(4));
    default: throw new Error('unsupported MessagePack type 0x' + t.toString(16));
  }
}

// ---- the client ----

export class RpcError extends Error {
  constructor(err) {
    super((err && err.code) + ': ' + (err && err.message));
    this.code = err && err.code;
  }
}

export class Client {
  static connect(port, host = '127.0.0.1', timeoutMs = 5000) {
    return new Promise((resolve, reject) => {
      const sock = net.connect({ port, host });
      const timer = setTimeout(() => { sock.destroy(); reject(new Error('connect timeout')); }, timeoutMs);
      sock.once('error', (e) => { clearTimeout(timer); reject(e); });
      sock.once('connect', () => { clearTimeout(timer); resolve(new Client(sock, timeoutMs)); });
    });
  }

  constructor(sock, timeoutMs) {
    this.sock = sock;
    this.timeoutMs = timeoutMs;
    this.nextId = 1;
    this.waiting = new Map();
    this.buf = Buffer.alloc(0);
    sock.on('data', (d) => this.onData(d));
    sock.on('close', () => {
      for (const w of this.waiting.values()) w.reject(new Error('connection closed'));
      this.waiting.clear();
    });
    sock.on('error', () => { /* close follows */ });
  }

  onData(d) {
    this.buf = Buffer.concat([this.buf, d]);
    for (;;) {
      const p = { i: 0 };
      let msg;
      try {
        msg = decodeAt(this.buf, p);
      } catch (e) {
        if (e instanceof Short) return;
        throw e;
      }
      this.buf = this.buf.subarray(p.i);
      if (Array.isArray(msg) && msg[0] === 1) {
        const w = this.waiting.get(msg[1]);
        if (!w) continue;
        this.waiting.delete(msg[1]);
        clearTimeout(w.timer);
        if (msg[2] !== null) w.reject(new RpcError(msg[2]));
        else w.resolve(msg[3]);
      }
    }
  }

  call(method, args) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error(method + ': no reply within ' + this.timeoutMs + ' ms'));
      }, this.timeoutMs);
      this.waiting.set(id, { resolve, reject, timer });
      this.sock.write(encode([0, id, method, args === undefined ? [] : [args]]));
    });
  }

  close() { this.sock.destroy(); }
}
