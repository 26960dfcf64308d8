# SPDX-License-Identifier: Apache-2.0
# key generate --type ecdsa-p384 writes a 0600 PKCS#8 PEM key that 'openssl pkey'
# reads and checks (interop).
. "$DATA/generate.inc"
check_generate ecdsa-p384 'NIST CURVE: P-384'
