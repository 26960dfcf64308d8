// SPDX-License-Identifier: Apache-2.0
// x509-check.mjs - an independent X509-SVID check with @peculiar/x509 (not
// OpenSSL, not tollgate): the SPIFFE X509-SVID rules (spec sections 4 and
// 5) on the leaf and signing certificates, and the chain's signatures and
// validity up to a root of the bundle. Usage:
//   x509-check.mjs SVID.pem BUNDLE.pem [--id SPIFFE-ID] [--key SVID.key]
//   x509-check.mjs --leaf-only LEAF.pem   (the leaf rules, no chain)
// Prints "ok <spiffe id>" or the first rule broken (exit 1).
import { readFileSync } from 'node:fs';
import { webcrypto, createPublicKey, createPrivateKey } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto);

const fail = (msg) => {
  process.stdout.write(`fail: ${msg}\n`);
  process.exit(1);
};

function certs(path) {
  const text = readFileSync(path, 'utf8');
  return x509.PemConverter.decode(text).map((der) => new x509.X509Certificate(der));
}

// SPIFFE-ID 2: scheme, trust domain of [a-z0-9.-_], path segments of
// [a-zA-Z0-9.-_] that are not empty, "." or "..".
function spiffeIdOk(s) {
  const m = /^spiffe:\/\/([a-z0-9._-]+)((?:\/[A-Za-z0-9._-]+)*)$/.exec(s);
  if (!m) return false;
  return m[2].split('/').slice(1).every((seg) => seg !== '.' && seg !== '..');
}

function uriSans(c) {
  const ext = c.getExtension(x509.SubjectAlternativeNameExtension);
  if (!ext) return [];
  return ext.names.items.filter((n) => n.type === 'url').map((n) => n.value);
}

function leafRules(leaf) {
  const uris = uriSans(leaf);
  if (uris.length !== 1) fail(`leaf has ${uris.length} URI SANs, not exactly one`);
  if (!spiffeIdOk(uris[0])) fail(`leaf URI SAN '${uris[0]}' is not a valid SPIFFE ID`);
  const m = /^spiffe:\/\/[^/]+(\/.*)?$/.exec(uris[0]);
  if (!m[1]) fail('leaf SPIFFE ID has no path');
  const bc = leaf.getExtension(x509.BasicConstraintsExtension);
  if (bc && bc.ca) fail('leaf has CA:TRUE');
  const ku = leaf.getExtension(x509.KeyUsagesExtension);
  if (!ku) fail('leaf has no key usage extension');
  if (!ku.critical) fail('leaf key usage is not critical');
  if (!(ku.usages & x509.KeyUsageFlags.digitalSignature)) fail('leaf lacks digitalSignature');
  if (ku.usages & x509.KeyUsageFlags.keyCertSign) fail('leaf has keyCertSign');
  if (ku.usages & x509.KeyUsageFlags.cRLSign) fail('leaf has cRLSign');
  const eku = leaf.getExtension(x509.ExtendedKeyUsageExtension);
  if (eku) {
    const u = eku.usages.map(String);
    if (!u.includes(x509.ExtendedKeyUsage.serverAuth) || !u.includes(x509.ExtendedKeyUsage.clientAuth))
      fail(`leaf extended key usage ${u.join(',')} lacks serverAuth or clientAuth`);
  }
  return uris[0];
}

function signingRules(c, what) {
  const bc = c.getExtension(x509.BasicConstraintsExtension);
  if (!bc || !bc.ca) fail(`${what} is not a CA`);
  const ku = c.getExtension(x509.KeyUsagesExtension);
  if (!ku || !(ku.usages & x509.KeyUsageFlags.keyCertSign)) fail(`${what} lacks keyCertSign`);
  for (const u of uriSans(c))
    if (!/^spiffe:\/\/[a-z0-9._-]+$/.test(u)) fail(`${what} has SPIFFE ID '${u}' with a path`);
}

async function main() {
  const args = process.argv.slice(2);
  if (args[0] === '--leaf-only') {
    process.stdout.write(`ok ${leafRules(certs(args[1])[0])}\n`);
    return;
  }
  const [svidPath, bundlePath, ...rest] = args;
  let wantId, keyPath;
  for (let i = 0; i < rest.length; i += 2) {
    if (rest[i] === '--id') wantId = rest[i + 1];
    else if (rest[i] === '--key') keyPath = rest[i + 1];
  }
  const chain = certs(svidPath);
  const roots = certs(bundlePath);
  if (chain.length < 1) fail('no certificate');
  const id = leafRules(chain[0]);
  if (wantId && id !== wantId) fail(`SPIFFE ID ${id}, want ${wantId}`);
  const td = /^spiffe:\/\/([^/]+)/.exec(id)[1];
  chain.slice(1).forEach((c, i) => signingRules(c, `intermediate ${i + 1}`));
  roots.forEach((c, i) => signingRules(c, `root ${i + 1}`));
  for (const c of [...chain.slice(1), ...roots])
    for (const u of uriSans(c))
      if (u !== `spiffe://${td}`) fail(`signing certificate names ${u}, not the trust domain`);

  // The path: each certificate signed by the next, valid now; the last one
  // signed by a self-signed root of the bundle.
  const now = new Date();
  const builder = new x509.X509ChainBuilder({ certificates: [...chain.slice(1), ...roots] });
  const path = await builder.build(chain[0]);
  const last = path[path.length - 1];
  if (!roots.some((r) => r.equal(last))) fail('the chain does not end at a root of the bundle');
  for (let i = 0; i < path.length; i++) {
    const issuer = i + 1 < path.length ? path[i + 1] : path[i];
    const ok = await path[i].verify({ publicKey: issuer.publicKey, date: now });
    if (!ok) fail(`certificate ${i} (${path[i].subject}) does not verify or is not valid now`);
  }
  if (!(await last.isSelfSigned())) fail('the root is not self-signed');

  if (keyPath) {
    const pub = createPublicKey(createPrivateKey(readFileSync(keyPath)));
    const leafPub = createPublicKey({ key: Buffer.from(chain[0].publicKey.rawData), format: 'der', type: 'spki' });
    if (!pub.equals(leafPub)) fail('the key does not match the leaf certificate');
    const d = pub.asymmetricKeyDetails;
    if (pub.asymmetricKeyType !== 'ec' || d.namedCurve !== 'prime256v1') fail('the key is not ECDSA P-256');
  }
  process.stdout.write(`ok ${id} (path of ${path.length})\n`);
}

main().catch((e) => fail(e.message));
