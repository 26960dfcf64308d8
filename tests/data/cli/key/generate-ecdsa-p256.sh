# SPDX-License-Identifier: Apache-2.0
# key generate --type ecdsa-p256 writes a 0600 PKCS#8 PEM key that 'openssl pkey'
# reads and checks (interop).
. "$DATA/generate.inc"
check_generate ecdsa-p256 'NIST CURVE: P-256'
