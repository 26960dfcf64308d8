# SPDX-License-Identifier: Apache-2.0
# key generate --type ed25519 writes a 0600 PKCS#8 PEM key that 'openssl pkey'
# reads and checks (interop).
. "$DATA/generate.inc"
check_generate ed25519 '^ED25519 Private-Key'
