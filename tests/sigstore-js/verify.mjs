// SPDX-License-Identifier: Apache-2.0
// verify.mjs - sigstore-js (@sigstore/verify) as the independent verifier
// of a tollgate bundle:
//   node verify.mjs TRUSTED_ROOT BUNDLE ARTIFACT SAN_REGEX ISSUER
// SAN_REGEX is anchored here (^...$). Verifies with ctlogThreshold 0 (a
// tollgate root has no CT log), one tlog entry and one RFC 3161 timestamp.
// Prints "sigstore-js: verified <SAN>" and exits 0, or prints the error
// and exits 1.
import { readFileSync } from 'node:fs';
import { bundleFromJSON } from '@sigstore/bundle';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { Verifier, toSignedEntity, toTrustMaterial } from '@sigstore/verify';

const [rootPath, bundlePath, artifactPath, sanRegex, issuer] = process.argv.slice(2);
if (!issuer) {
	console.error('usage: node verify.mjs TRUSTED_ROOT BUNDLE ARTIFACT SAN_REGEX ISSUER');
	process.exit(2);
}
try {
	const root = TrustedRoot.fromJSON(JSON.parse(readFileSync(rootPath, 'utf8')));
	const bundle = bundleFromJSON(JSON.parse(readFileSync(bundlePath, 'utf8')));
	const verifier = new Verifier(toTrustMaterial(root), {
		ctlogThreshold: 0,
		tlogThreshold: 1,
		timestampThreshold: 1,
	});
	const entity = toSignedEntity(bundle, readFileSync(artifactPath));
	const signer = verifier.verify(entity, {
		subjectAlternativeName: new RegExp('^(?:' + sanRegex + ')$'),
		extensions: { issuer },
	});
	console.log('sigstore-js: verified ' + signer.identity.subjectAlternativeName);
} catch (e) {
	console.log('sigstore-js: rejected: ' + (e.code ? e.code + ': ' : '') + e.message);
	process.exit(1);
}
