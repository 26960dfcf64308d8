// SPDX-License-Identifier: Apache-2.0
// workload_fetch.js - fetches the caller's SVIDs from a SPIFFE Workload API
// endpoint with an independent client (@grpc/grpc-js, @grpc/proto-loader,
// workload.proto read from $TG_TESTDATA/spiffe at run time) and writes them
// out for other tools (openssl, tollgate svid verify) to check. Used by
// tests/data/cli/daemon/agent-server.sh. Usage:
//   node workload_fetch.js SOCKET OUTDIR AUDIENCE
// writes OUTDIR/svid.pem (leaf first), OUTDIR/svid.key (PKCS#8 PEM),
// OUTDIR/bundle.pem (the X.509 bundle of the SVID) and OUTDIR/jwt (a
// JWT-SVID for AUDIENCE); prints the SPIFFE ID of the default (first)
// X509-SVID. Exit 0: fetched; 1: a call failed (gRPC status on stderr);
// 77: skipped (no testdata).
import { createPrivateKey } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import grpc from '@grpc/grpc-js';
import protoLoader from '@grpc/proto-loader';

const [sock, outDir, audience] = process.argv.slice(2);
if (!sock || !outDir || !audience) {
  console.error('usage: node workload_fetch.js SOCKET OUTDIR AUDIENCE');
  process.exit(2);
}
const testdata = process.env.TG_TESTDATA;
const protoPath = testdata ? join(testdata, 'spiffe', 'workload.proto') : '';
if (!testdata || !existsSync(protoPath)) {
  console.error(`SKIPPED: ${protoPath || '$TG_TESTDATA/spiffe/workload.proto'} not found`);
  process.exit(77);
}
const def = protoLoader.loadSync(protoPath, {
  keepCase: true, longs: String, enums: String, defaults: true, oneofs: true,
});
const Svc = grpc.loadPackageDefinition(def).SpiffeWorkloadAPI;
const client = new Svc(`unix://${sock}`, grpc.credentials.createInsecure());
const md = new grpc.Metadata();
md.set('workload.spiffe.io', 'true');

// Concatenated DER certificates (definite-length SEQUENCEs) as PEM.
function derToPem(buf) {
  let out = '';
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
    const b64 = buf.subarray(off, off + hdr + len).toString('base64');
    out += `-----BEGIN CERTIFICATE-----\n${b64.match(/.{1,64}/g).join('\n')}\n-----END CERTIFICATE-----\n`;
    off += hdr + len;
  }
  return out;
}

function firstX509() {
  return new Promise((resolve, reject) => {
    const st = client.FetchX509SVID({}, md);
    let done = false;
    st.on('data', (msg) => {
      if (done) return;
      done = true;
      resolve(msg);
      st.cancel();
    });
    st.on('error', (err) => { if (!done) reject(err); });
  });
}

function jwt() {
  return new Promise((resolve, reject) => {
    client.FetchJWTSVID({ audience: [audience] }, md, (err, resp) => (err ? reject(err) : resolve(resp)));
  });
}

async function main() {
  const x = await firstX509();
  if (!x.svids.length) throw new Error('FetchX509SVID: no SVID');
  const sv = x.svids[0];
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'svid.pem'), derToPem(sv.x509_svid));
  const key = createPrivateKey({ key: sv.x509_svid_key, format: 'der', type: 'pkcs8' });
  writeFileSync(join(outDir, 'svid.key'), key.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
  writeFileSync(join(outDir, 'bundle.pem'), derToPem(sv.bundle));
  const j = await jwt();
  if (!j.svids.length) throw new Error('FetchJWTSVID: no SVID');
  writeFileSync(join(outDir, 'jwt'), `${j.svids[0].svid}\n`);
  console.log(sv.spiffe_id);
}

main().then(() => {
  client.close();
  process.exit(0);
}, (err) => {
  console.error(`workload_fetch: ${err.code !== undefined ? `gRPC status ${err.code}: ` : ''}${err.details || err.message}`);
  client.close();
  process.exit(1);
});
