// SPDX-License-Identifier: Apache-2.0
// jose-tool.mjs - the npm `jose` library as an independent JOSE
// implementation for the interop cases (tests/data/cli/interop): it makes
// keys and tokens that tollgate must accept or reject, and verifies the
// JWT-SVIDs tollgate issues. Usage (one command per run):
//   keygen ALG PRIV.jwk PUB.jwks [KID]   key pair; kid defaults to the RFC 7638 thumbprint
//   keygens ALG:NAME...                 several: NAME.jwk and NAME.jwks each
//   spiffe-bundle OUT PUB.jwks...       SPIFFE bundle of those keys as JWT authorities
//   sign PRIV.jwk CLAIMS.json [TYP]     compact JWT signed with the key's alg and kid
//   signs TYP PRIV.jwk:CLAIMS.json:OUT...  several, each into its OUT file ("-": no typ)
//   hs256 SECRET-FILE CLAIMS.json KID   HS256 over the file's bytes as the secret
//   unsecured CLAIMS.json [KID]         an "alg":"none" JWT (jose's UnsecuredJWT)
//   verify JWKS TOKEN|- AUD [ISS]       verify (with -, each line of stdin); print
//                                       {"header":...,"payload":...} per token
import { readFileSync, writeFileSync } from 'node:fs';
import * as jose from 'jose';

const [cmd, ...args] = process.argv.slice(2);
const readJSON = (p) => JSON.parse(readFileSync(p, 'utf8'));
const out = (s) => process.stdout.write(s + '\n');

function keyOptions(alg) {
  if (alg.startsWith('RS') || alg.startsWith('PS')) return { modulusLength: 2048, extractable: true };
  if (alg === 'EdDSA') return { crv: 'Ed25519', extractable: true };
  return { extractable: true };
}

async function keygen(alg, privPath, pubPath, kidArg) {
  const { publicKey, privateKey } = await jose.generateKeyPair(alg, keyOptions(alg));
  const pub = await jose.exportJWK(publicKey);
  const kid = kidArg || (await jose.calculateJwkThumbprint(pub, 'sha256'));
  const priv = await jose.exportJWK(privateKey);
  Object.assign(pub, { kid, alg });
  Object.assign(priv, { kid, alg });
  writeFileSync(privPath, JSON.stringify(priv), { mode: 0o600 });
  writeFileSync(pubPath, JSON.stringify({ keys: [pub] }));
  return kid;
}

async function sign(privPath, claimsPath, typ) {
  const jwk = readJSON(privPath);
  const key = await jose.importJWK(jwk, jwk.alg);
  const header = { alg: jwk.alg, kid: jwk.kid };
  if (typ) header.typ = typ;
  return new jose.SignJWT(readJSON(claimsPath)).setProtectedHeader(header).sign(key);
}

async function main() {
  switch (cmd) {
    case 'keygen':
      out(await keygen(...args));
      break;
    case 'keygens':
      for (const spec of args) {
        const [alg, name] = spec.split(':');
        await keygen(alg, `${name}.jwk`, `${name}.jwks`);
      }
      break;
    case 'signs': {
      const [typ, ...specs] = args;
      for (const spec of specs) {
        const [priv, claims, outPath] = spec.split(':');
        writeFileSync(outPath, (await sign(priv, claims, typ === '-' ? undefined : typ)) + '\n');
      }
      break;
    }
    case 'spiffe-bundle': {
      const [outPath, ...sets] = args;
      const keys = [];
      for (const p of sets)
        for (const k of readJSON(p).keys) {
          const { alg, ...rest } = k; // a SPIFFE bundle names no alg: the key decides
          void alg;
          keys.push({ ...rest, use: 'jwt-svid' });
        }
      writeFileSync(outPath, JSON.stringify({ keys, spiffe_sequence: 1 }));
      break;
    }
    case 'sign':
      out(await sign(...args));
      break;
    case 'hs256': {
      const [secretPath, claimsPath, kid] = args;
      const secret = new Uint8Array(readFileSync(secretPath));
      out(
        await new jose.SignJWT(readJSON(claimsPath))
          .setProtectedHeader({ alg: 'HS256', kid, typ: 'JWT' })
          .sign(secret),
      );
      break;
    }
    case 'unsecured': {
      const [claimsPath, kid] = args;
      const t = new jose.UnsecuredJWT(readJSON(claimsPath)).encode();
      if (!kid) {
        out(t);
        break;
      }
      // the same token with a kid in its header, so a verifier cannot
      // dismiss it before looking at the algorithm
      const [, payload] = t.split('.');
      const h = jose.base64url.encode(JSON.stringify({ alg: 'none', kid, typ: 'JWT' }));
      out(`${h}.${payload}.`);
      break;
    }
    case 'verify': {
      const [jwksPath, tokenArg, aud, iss] = args;
      const tokens = tokenArg === '-' ? readFileSync(0, 'utf8').split('\n').filter((l) => l) : [tokenArg];
      const jwks = jose.createLocalJWKSet(readJSON(jwksPath));
      const opts = { audience: aud, algorithms: ['ES256', 'ES384', 'RS256', 'PS256'] };
      if (iss) opts.issuer = iss;
      for (const token of tokens) {
        const { payload, protectedHeader } = await jose.jwtVerify(token, jwks, opts);
        out(JSON.stringify({ header: protectedHeader, payload }));
      }
      break;
    }
    default:
      throw new Error(`unknown command '${cmd}'`);
  }
}

main().catch((e) => {
  process.stderr.write(`jose-tool: ${e.code || ''} ${e.message}\n`);
  process.exit(1);
});
