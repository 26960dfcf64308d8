# SPDX-License-Identifier: Apache-2.0
# key generate --type rsa-4096 writes a 0600 PKCS#8 PEM key that 'openssl pkey'
# reads and checks (interop).
. "$DATA/generate.inc"
check_generate rsa-4096 '^Private-Key: \(4096 bit'
