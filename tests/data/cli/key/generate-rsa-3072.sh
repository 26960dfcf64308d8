# SPDX-License-Identifier: Apache-2.0
# key generate --type rsa-3072 writes a 0600 PKCS#8 PEM key that 'openssl pkey'
# reads and checks (interop).
. "$DATA/generate.inc"
check_generate rsa-3072 '^Private-Key: \(3072 bit'
