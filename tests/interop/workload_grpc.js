// SPDX-License-Identifier: Apache-2.0
// workload_grpc.js - an independent SPIFFE Workload API client: @grpc/grpc-js
// with @grpc/proto-loader, reading workload.proto from $TG_TESTDATA/spiffe at
// run time (never copied). It talks to a tollgate agent on a Unix socket and
// checks every RPC with node's own crypto. Run by tests/data/cli/agent/
// grpc-interop.sh. Usage:
//   node workload_grpc.js SOCKET TRUST_DOMAIN SPIFFE_ID...
// SPIFFE_ID... are the identities the caller must receive, default first.
// Exit 0: all checks passed; 1: a check failed; 77: skipped (no testdata).
import { createPrivateKey, createPublicKey, verify as cryptoVerify, X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import grpc from '@grpc/grpc-js';
import protoLoader from '@grpc/proto-loader';

const [sock, td, ...wantIds] = process.argv.slice(2);
if (!sock || !td || wantIds.length === 0) {
  console.error('usage: node workload_grpc.js SOCKET TRUST_DOMAIN SPIFFE_ID...');
  process.exit(2);
}
const testdata = process.env.TG_TESTDATA;
const protoPath = testdata ? join(testdata, 'spiffe', 'workload.proto') : '';
if (!testdata || !existsSync(protoPath)) {
  console.error(`SKIPPED: ${protoPath || '$TG_TESTDATA/spiffe/workload.proto'} not found`);
  process.exit(77);
}

let passed = 0;
let failed = 0;
function check(cond, what) {
  if (cond) {
    passed++;
  } else {
    failed++;
    console.error(`FAIL: ${what}`);
  }
}

const def = protoLoader.loadSync(protoPath, {
  keepCase: true, longs: String, enums: String, defaults: true, oneofs: true,
});
const Svc = grpc.loadPackageDefinition(def).SpiffeWorkloadAPI;
const client = new Svc(`unix://${sock}`, grpc.credentials.createInsecure());
const tdKey = `spiffe://${td}`;

function md(withHeader = true) {
  const m = new grpc.Metadata();
  if (withHeader) m.set('workload.spiffe.io', 'true');
  return m;
}

// Splits concatenated DER certificates (SEQUENCE with a definite length).
function splitDer(buf) {
  const out = [];
  let off = 0;
  while (off < buf.length) {
    if (buf[off] !== 0x30) throw new Error(`not a DER SEQUENCE at ${off}`);
    let len = buf[off + 1];
    let hdr = 2;
    if (len & 0x80) {
      const n = len & 0x7f;
      len = 0;
      for (let i = 0; i < n; i++) len = len * 256 + buf[off + 2 + i];
      hdr += n;
    }
    out.push(new X509Certificate(buf.subarray(off, off + hdr + len)));
    off += hdr + len;
  }
  return out;
}

// The first message of a server stream, then a client-side cancel.
function firstOf(stream) {
  return new Promise((resolve, reject) => {
    let done = false;
    stream.on('data', (msg) => {
      if (done) return;
      done = true;
      resolve(msg);
      stream.cancel();
    });
    stream.on('error', (err) => {
      if (!done) reject(err);
    });
  });
}

// The status a call ends with ({code, details}).
function statusOf(stream) {
  return new Promise((resolve) => {
    stream.on('data', () => {});
    stream.on('error', (err) => resolve(err));
    stream.on('status', (st) => resolve(st));
  });
}

function unary(method, req, meta = md()) {
  return new Promise((resolve) => {
    client[method](req, meta, (err, resp) => resolve({ err, resp }));
  });
}

function structToJs(v) {
  if (v === null || v === undefined) return v;
  if (v.fields) {
    const o = {};
    for (const [k, x] of Object.entries(v.fields)) o[k] = structToJs(x);
    return o;
  }
  const kind = v.kind;
  switch (kind) {
    case 'nullValue': return null;
    case 'numberValue': return v.numberValue;
    case 'stringValue': return v.stringValue;
    case 'boolValue': return v.boolValue;
    case 'structValue': return structToJs(v.structValue);
    case 'listValue': return (v.listValue.values || []).map(structToJs);
    default: throw new Error(`Value without a kind: ${JSON.stringify(v)}`);
  }
}

function b64urlJson(part) {
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
}

async function main() {
  // --- FetchX509SVID ---
  const x = await firstOf(client.FetchX509SVID({}, md()));
  check(x.svids.length === wantIds.length, `FetchX509SVID: ${x.svids.length} SVIDs, want ${wantIds.length}`);
  const roots = [];
  x.svids.forEach((sv, i) => {
    check(sv.spiffe_id === wantIds[i], `X509-SVID ${i} is ${sv.spiffe_id}, want ${wantIds[i]}`);
    const chain = splitDer(sv.x509_svid);
    const bundle = splitDer(sv.bundle);
    roots.push(...bundle);
    const leaf = chain[0];
    check(chain.length === 2, `X509-SVID ${i}: chain of ${chain.length}`);
    check(leaf.subjectAltName === `URI:${sv.spiffe_id}`, `X509-SVID ${i}: SAN ${leaf.subjectAltName}`);
    check(!leaf.ca, `X509-SVID ${i}: leaf is a CA`);
    check(leaf.verify(chain[1].publicKey), `X509-SVID ${i}: leaf not signed by the intermediate`);
    check(bundle.some((r) => chain[1].verify(r.publicKey)),
      `X509-SVID ${i}: intermediate not signed by a bundle root`);
    const now = Date.now();
    check(new Date(leaf.validFrom).getTime() <= now && now < new Date(leaf.validTo).getTime(),
      `X509-SVID ${i}: not valid now`);
    const key = createPrivateKey({ key: sv.x509_svid_key, format: 'der', type: 'pkcs8' });
    check(key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails.namedCurve === 'prime256v1',
      `X509-SVID ${i}: key is not P-256`);
    check(leaf.checkPrivateKey(key), `X509-SVID ${i}: key does not match the certificate`);
  });
  check(Object.keys(x.federated_bundles).length === 0, 'no federated bundles expected');

  // --- FetchX509Bundles ---
  const xb = await firstOf(client.FetchX509Bundles({}, md()));
  check(Object.keys(xb.bundles).length === 1 && xb.bundles[tdKey],
    `FetchX509Bundles keys: ${Object.keys(xb.bundles)}`);
  if (xb.bundles[tdKey]) {
    const certs = splitDer(xb.bundles[tdKey]);
    check(certs.length >= 1 && certs.every((c) => c.ca), 'X.509 bundle holds CA certificates');
    check(certs.some((c) => roots.some((r) => r.fingerprint256 === c.fingerprint256)),
      'X.509 bundle matches the SVID bundle');
  }

  // --- FetchJWTBundles ---
  const jb = await firstOf(client.FetchJWTBundles({}, md()));
  check(jb.bundles[tdKey], `FetchJWTBundles keys: ${Object.keys(jb.bundles)}`);
  const jwks = jb.bundles[tdKey] ? JSON.parse(jb.bundles[tdKey].toString('utf8')) : { keys: [] };
  check(Array.isArray(jwks.keys) && jwks.keys.length >= 1, 'JWT bundle has keys');
  check(jwks.keys.every((k) => !k.d), 'JWT bundle holds no private keys');

  // --- FetchJWTSVID ---
  const js = await unary('FetchJWTSVID', { audience: ['interop.example'] });
  check(!js.err, `FetchJWTSVID: ${js.err && js.err.message}`);
  const tokens = js.resp ? js.resp.svids : [];
  check(tokens.length === wantIds.length, `FetchJWTSVID: ${tokens.length} tokens`);
  tokens.forEach((t, i) => {
    const [h, p, s] = t.svid.split('.');
    const hdr = b64urlJson(h);
    const claims = b64urlJson(p);
    check(t.spiffe_id === wantIds[i] && claims.sub === wantIds[i], `JWT-SVID ${i}: sub ${claims.sub}`);
    const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    check(aud.includes('interop.example'), `JWT-SVID ${i}: aud ${claims.aud}`);
    check(claims.exp * 1000 > Date.now(), `JWT-SVID ${i}: expired`);
    const jwk = jwks.keys.find((k) => k.kid === hdr.kid);
    check(jwk, `JWT-SVID ${i}: kid ${hdr.kid} not in the JWT bundle`);
    if (jwk) {
      const hash = { ES256: 'sha256', ES384: 'sha384', ES512: 'sha512' }[hdr.alg];
      check(hash, `JWT-SVID ${i}: alg ${hdr.alg}`);
      const pub = createPublicKey({ key: { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y }, format: 'jwk' });
      const ok = cryptoVerify(hash, Buffer.from(`${h}.${p}`), { key: pub, dsaEncoding: 'ieee-p1363' },
        Buffer.from(s, 'base64url'));
      check(ok, `JWT-SVID ${i}: signature does not verify with the bundle key`);
    }
  });
  const one = await unary('FetchJWTSVID', { audience: ['a', 'b'], spiffe_id: wantIds[wantIds.length - 1] });
  check(!one.err && one.resp.svids.length === 1 && one.resp.svids[0].spiffe_id === wantIds[wantIds.length - 1],
    'FetchJWTSVID with spiffe_id returns that one');
  const noAud = await unary('FetchJWTSVID', { audience: [] });
  check(noAud.err && noAud.err.code === grpc.status.INVALID_ARGUMENT,
    `FetchJWTSVID without audience: ${noAud.err && noAud.err.code}`);
  const notMine = await unary('FetchJWTSVID', { audience: ['a'], spiffe_id: `spiffe://${td}/not-mine` });
  check(notMine.err && notMine.err.code === grpc.status.PERMISSION_DENIED,
    `FetchJWTSVID for another identity: ${notMine.err && notMine.err.code}`);

  // --- ValidateJWTSVID ---
  if (tokens.length) {
    const v = await unary('ValidateJWTSVID', { audience: 'interop.example', svid: tokens[0].svid });
    check(!v.err, `ValidateJWTSVID: ${v.err && v.err.message}`);
    if (v.resp) {
      check(v.resp.spiffe_id === wantIds[0], `ValidateJWTSVID spiffe_id ${v.resp.spiffe_id}`);
      const c = structToJs(v.resp.claims);
      check(c.sub === wantIds[0], `claims.sub ${c.sub}`);
      check(typeof c.exp === 'number' && typeof c.iat === 'number', 'claims exp and iat are numbers');
      check(c.aud === 'interop.example' || (Array.isArray(c.aud) && c.aud.includes('interop.example')),
        `claims.aud ${JSON.stringify(c.aud)}`);
    }
    const bad = await unary('ValidateJWTSVID', { audience: 'someone-else', svid: tokens[0].svid });
    check(bad.err && bad.err.code === grpc.status.INVALID_ARGUMENT,
      `ValidateJWTSVID with the wrong audience: ${bad.err && bad.err.code}`);
  }

  // --- without the security header: refused (SPIFFE Workload Endpoint 6) ---
  const r1 = await unary('FetchJWTSVID', { audience: ['x'] }, md(false));
  check(r1.err && r1.err.code === grpc.status.INVALID_ARGUMENT,
    `FetchJWTSVID without workload.spiffe.io: ${r1.err && r1.err.code}`);
  const r2 = await statusOf(client.FetchX509SVID({}, md(false)));
  check(r2.code === grpc.status.INVALID_ARGUMENT, `FetchX509SVID without workload.spiffe.io: ${r2.code}`);

  // --- the WIT-SVID profile is not served (Workload API 7: Unimplemented) ---
  const w = await statusOf(client.FetchWITSVID({}, md()));
  check(w.code === grpc.status.UNIMPLEMENTED, `FetchWITSVID: ${w.code}`);

  client.close();
  console.log(`workload_grpc: ${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

main().catch((err) => {
  console.error(`FAIL: ${err.stack || err}`);
  process.exit(1);
});
