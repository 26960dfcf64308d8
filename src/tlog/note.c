/* SPDX-License-Identifier: Apache-2.0 */
/*
 * note.c - C2SP signed notes: verifier keys, Go signer keys, parsing,
 * signing and verifying (Ed25519, ECDSA P-256, tlog-cosignature v1).
 */
#include "tlog/tlog.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/codec.h"
#include "core/fs.h"
#include "core/limits.h"
#include "core/mem.h"
#include "core/utf8.h"

#define EM_DASH "\xe2\x80\x94" /* U+2014 */

void tg_note_key_release(struct tg_note_key *k)
{
	if (!k)
		return;
	tg_key_free(k->key);
	k->key = NULL;
}

/* signed-note: names are non-empty, valid UTF-8, without Unicode spaces
 * or '+'. */
static bool name_valid(const char *s, size_t n)
{
	size_t i = 0;
	if (n == 0 || n > TG_NOTE_NAME_MAX)
		return false;
	while (i < n) {
		uint32_t cp;
		size_t k = tg_utf8_decode((const uint8_t *)s + i, n - i, &cp);
		if (k == 0)
			return false;
		/* Unicode White_Space, and '+' */
		if (cp == '+' || (cp >= 0x09 && cp <= 0x0d) || cp == 0x20 || cp == 0x85 ||
		    cp == 0xa0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 ||
		    cp == 0x2029 || cp == 0x202f || cp == 0x205f || cp == 0x3000 || cp < 0x20)
			return false;
		i += k;
	}
	return true;
}

/* Raw public key bytes of the note encoding: 32 bytes for Ed25519, SPKI
 * DER for ECDSA. */
static tg_err note_pubkey(const struct tg_key *key, enum tg_note_alg alg, struct tg_buf *out)
{
	struct tg_buf spki = TG_BUF_INIT(TG_LIMIT_DER);
	uint8_t raw[32];
	tg_err r;

	if (alg != TG_NOTE_ECDSA) {
		r = tg_key_ed25519_raw(key, false, raw);
		return r == TG_OK ? tg_buf_add(out, raw, 32) : r;
	}
	r = tg_key_to_spki_der(key, &spki);
	if (r == TG_OK)
		r = tg_buf_add(out, spki.data, spki.len);
	tg_buf_release(&spki);
	return r;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The key ID the spec derives for (name, alg, public key). */
static tg_err compute_id(const char *name, enum tg_note_alg alg, const struct tg_key *key,
			 uint32_t *id)
{
	struct tg_buf b = TG_BUF_INIT(TG_LIMIT_DER + TG_NOTE_NAME_MAX + 2);
	struct tg_buf pub = TG_BUF_INIT(TG_LIMIT_DER);
	uint8_t h[32], type = (uint8_t)alg;
	tg_err r;

	r = note_pubkey(key, alg, &pub);
	if (r != TG_OK)
		goto out;
	if (alg == TG_NOTE_ECDSA) {
		/* transparency-dev/witness: SHA-256 of the SPKI alone */
		r = tg_hash(TG_SHA256, pub.data, pub.len, h);
	} else {
		r = tg_buf_adds(&b, name);
		if (r == TG_OK)
			r = tg_buf_addc(&b, '\n');
		if (r == TG_OK)
			r = tg_buf_add(&b, &type, 1);
		if (r == TG_OK)
			r = tg_buf_add(&b, pub.data, pub.len);
		if (r == TG_OK)
			r = tg_hash(TG_SHA256, b.data, b.len, h);
	}
	if (r == TG_OK)
		*id = be32(h);
out:
	tg_buf_release(&b);
	tg_buf_release(&pub);
	return r;
}

static bool alg_fits(enum tg_note_alg alg, const struct tg_key *key)
{
	switch (alg) {
	case TG_NOTE_ED25519:
	case TG_NOTE_COSIG_V1:
		return tg_key_type(key) == TG_KEY_ED25519;
	case TG_NOTE_ECDSA:
		return tg_key_type(key) == TG_KEY_EC_P256;
	}
	return false;
}

tg_err tg_note_key_from(const char *name, enum tg_note_alg alg, struct tg_key *key,
			struct tg_note_key *out, struct tg_diag *d)
{
	size_t n = strlen(name);
	uint32_t id;
	tg_err r;

	if (!name_valid(name, n)) {
		tg_diag_set(d, "invalid note key name '%s' (no spaces or '+')", name);
		return TG_E_INVAL;
	}
	if (!alg_fits(alg, key)) {
		tg_diag_set(d, "a %s key cannot make note signatures of type 0x%02x",
			    tg_key_type_name(tg_key_type(key)), alg);
		return TG_E_KEY;
	}
	r = compute_id(name, alg, key, &id);
	if (r != TG_OK)
		return r;
	memcpy(out->name, name, n + 1);
	out->id = id;
	out->alg = alg;
	out->key = tg_key_ref(key);
	return TG_OK;
}

tg_err tg_note_vkey_format(const struct tg_note_key *k, struct tg_buf *out)
{
	struct tg_buf raw = TG_BUF_INIT(TG_LIMIT_DER + 1);
	uint8_t type = (uint8_t)k->alg;
	size_t orig = out->len;
	tg_err r;

	r = tg_buf_add(&raw, &type, 1);
	if (r == TG_OK)
		r = note_pubkey(k->key, k->alg, &raw);
	if (r == TG_OK)
		r = tg_buf_addf(out, "%s+%08x+", k->name, (unsigned)k->id);
	if (r == TG_OK)
		r = tg_b64_encode(out, raw.data, raw.len, TG_B64_STD);
	if (r != TG_OK)
		tg_buf_truncate(out, orig);
	tg_buf_release(&raw);
	return r;
}

/* Builds an Ed25519 key from its 32 raw bytes (public key or seed). */
static tg_err ed25519_from_raw(const uint8_t *raw, bool is_private, struct tg_key **out,
			       struct tg_diag *d)
{
	tg_err r = tg_key_from_ed25519_raw(raw, is_private, out);
	if (r != TG_OK)
		tg_diag_set(d, "invalid Ed25519 key");
	return r;
}

/* Splits "a+b+c" at the first want-1 '+' signs; the last part is the
 * rest (base64 key material may itself contain '+'). */
static bool split_plus(const char *s, size_t n, const char **parts, size_t *lens, size_t want)
{
	size_t i, p = 0, start = 0;
	for (i = 0; i < n && p + 1 < want; i++) {
		if (s[i] == '+') {
			parts[p] = s + start;
			lens[p] = i - start;
			p++;
			start = i + 1;
		}
	}
	if (p + 1 != want)
		return false;
	parts[p] = s + start;
	lens[p] = n - start;
	return true;
}

static bool parse_hex8(const char *s, size_t n, uint32_t *out)
{
	uint8_t b[4];
	/* exactly 8 lower-case hex digits, as the Go implementation writes */
	size_t i;
	if (n != 8)
		return false;
	for (i = 0; i < 8; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	if (tg_hex_decode_to(b, 4, s, 8) != TG_OK)
		return false;
	*out = be32(b);
	return true;
}

tg_err tg_note_vkey_parse(const char *s, size_t n, struct tg_note_key *out, struct tg_diag *d)
{
	const char *parts[3];
	size_t lens[3];
	struct tg_buf raw = TG_BUF_INIT(TG_LIMIT_DER + 1);
	struct tg_key *key = NULL;
	struct tg_note_key k;
	uint32_t id;
	char name[TG_NOTE_NAME_MAX + 1];
	tg_err r = TG_E_PARSE;

	memset(&k, 0, sizeof(k));
	if (!split_plus(s, n, parts, lens, 3) || !name_valid(parts[0], lens[0]) ||
	    !parse_hex8(parts[1], lens[1], &id)) {
		tg_diag_set(d, "malformed verifier key (want name+hex8+base64)");
		goto out;
	}
	if (tg_b64_decode(&raw, parts[2], lens[2], TG_B64_STD, NULL) != TG_OK || raw.len < 2) {
		tg_diag_set(d, "malformed verifier key: bad base64 key");
		goto out;
	}
	memcpy(name, parts[0], lens[0]);
	name[lens[0]] = '\0';
	switch (raw.data[0]) {
	case TG_NOTE_ED25519:
	case TG_NOTE_COSIG_V1:
		if (raw.len != 33) {
			tg_diag_set(d, "verifier key: Ed25519 key must be 32 bytes");
			goto out;
		}
		r = ed25519_from_raw(raw.data + 1, false, &key, d);
		break;
	case TG_NOTE_ECDSA:
		r = tg_key_from_der(raw.data + 1, raw.len - 1, false, &key, d);
		break;
	default:
		tg_diag_set(d, "verifier key: unsupported signature type 0x%02x", raw.data[0]);
		r = TG_E_UNSUPPORTED;
		goto out;
	}
	if (r != TG_OK)
		goto out;
	r = tg_note_key_from(name, (enum tg_note_alg)raw.data[0], key, &k, d);
	if (r != TG_OK)
		goto out;
	if (k.id != id) {
		tg_diag_set(d, "verifier key: key ID %08x does not match the key (%08x)",
			    (unsigned)id, (unsigned)k.id);
		r = TG_E_PARSE;
		goto out;
	}
	*out = k;
	k.key = NULL;
	r = TG_OK;
out:
	tg_note_key_release(&k);
	tg_key_free(key);
	tg_buf_release(&raw);
	return r;
}

tg_err tg_note_skey_format(const struct tg_note_key *k, struct tg_buf *out)
{
	uint8_t raw[33];
	size_t orig = out->len;
	tg_err r;
	if (k->alg != TG_NOTE_ED25519)
		return TG_E_UNSUPPORTED;
	raw[0] = TG_NOTE_ED25519;
	r = tg_key_ed25519_raw(k->key, true, raw + 1);
	if (r == TG_OK)
		r = tg_buf_addf(out, "PRIVATE+KEY+%s+%08x+", k->name, (unsigned)k->id);
	if (r == TG_OK)
		r = tg_b64_encode(out, raw, sizeof(raw), TG_B64_STD);
	if (r != TG_OK)
		tg_buf_truncate(out, orig);
	tg_wipe(raw, sizeof(raw));
	return r;
}

tg_err tg_note_skey_parse(const char *s, size_t n, struct tg_note_key *out, struct tg_diag *d)
{
	const char *parts[5];
	size_t lens[5];
	struct tg_buf raw = TG_BUF_INIT(64);
	struct tg_key *key = NULL;
	struct tg_note_key k;
	uint32_t id;
	char name[TG_NOTE_NAME_MAX + 1];
	tg_err r = TG_E_PARSE;

	memset(&k, 0, sizeof(k));
	if (!split_plus(s, n, parts, lens, 5) || lens[0] != 7 || memcmp(parts[0], "PRIVATE", 7) ||
	    lens[1] != 3 || memcmp(parts[1], "KEY", 3) || !name_valid(parts[2], lens[2]) ||
	    !parse_hex8(parts[3], lens[3], &id)) {
		tg_diag_set(d, "malformed signer key (want PRIVATE+KEY+name+hex8+base64)");
		goto out;
	}
	if (tg_b64_decode(&raw, parts[4], lens[4], TG_B64_STD, NULL) != TG_OK || raw.len != 33 ||
	    raw.data[0] != TG_NOTE_ED25519) {
		tg_diag_set(d, "signer key: want an Ed25519 seed (type 0x01, 32 bytes)");
		goto out;
	}
	r = ed25519_from_raw(raw.data + 1, true, &key, d);
	if (r != TG_OK)
		goto out;
	memcpy(name, parts[2], lens[2]);
	name[lens[2]] = '\0';
	r = tg_note_key_from(name, TG_NOTE_ED25519, key, &k, d);
	if (r != TG_OK)
		goto out;
	if (k.id != id) {
		tg_diag_set(d, "signer key: key ID %08x does not match the key", (unsigned)id);
		r = TG_E_PARSE;
		goto out;
	}
	*out = k;
	k.key = NULL;
out:
	tg_note_key_release(&k);
	tg_key_free(key);
	tg_buf_release_wipe(&raw);
	return r;
}

tg_err tg_note_key_load(const char *path, const char *name, enum tg_note_alg alg,
			struct tg_note_key *out, struct tg_diag *d)
{
	struct tg_buf b = TG_BUF_INIT(TG_LIMIT_SMALL_FILE);
	struct tg_key *key = NULL;
	tg_err r = TG_OK;

	/* one allocation for any real key file: no stray copy on growth */
	if (!tg_buf_reserve(&b, 64 * 1024))
		return TG_E_TOOBIG;
	r = tg_fs_read(path, &b, d);
	if (r != TG_OK)
		goto out;
	if (b.len > 12 && memcmp(b.data, "PRIVATE+KEY+", 12) == 0) {
		struct tg_note_key sk;
		size_t n = b.len;
		while (n && (b.data[n - 1] == '\n' || b.data[n - 1] == '\r'))
			n--;
		memset(&sk, 0, sizeof(sk));
		r = tg_note_skey_parse((const char *)b.data, n, &sk, d);
		if (r == TG_OK && name && strcmp(name, sk.name) != 0) {
			tg_diag_set(d, "key '%s' is a note signer key for '%s', not '%s'", path,
				    sk.name, name);
			r = TG_E_KEY;
		}
		/* The same seed may sign cosignatures (type 0x04): its key ID
		 * then differs, as signed-note requires. */
		if (r == TG_OK)
			r = tg_note_key_from(sk.name, alg, sk.key, out, d);
		tg_note_key_release(&sk);
		goto out;
	}
	r = tg_key_from_pem((const char *)b.data, b.len, &key, d);
	if (r != TG_OK) {
		tg_diag_prefix(d, "cannot load key '%s'", path);
		goto out;
	}
	if (!tg_key_is_private(key)) {
		tg_diag_set(d, "'%s' holds a public key; a signer needs the private key", path);
		r = TG_E_KEY;
		goto out;
	}
	if (!name) {
		tg_diag_set(d, "a name is needed to use the PEM key '%s' for notes", path);
		r = TG_E_USAGE;
		goto out;
	}
	r = tg_note_key_from(name, alg, key, out, d);
out:
	tg_key_free(key);
	tg_buf_release_wipe(&b);
	return r;
}

/* ---- notes ---- */

void tg_note_release(struct tg_note *note)
{
	size_t i;
	if (!note)
		return;
	for (i = 0; i < note->nsigs; i++)
		free(note->sigs[i].sig);
	free(note->sigs);
	note->sigs = NULL;
	note->nsigs = 0;
}

tg_err tg_note_parse(const char *s, size_t n, struct tg_note *out, struct tg_diag *d)
{
	const uint8_t *p = (const uint8_t *)s;
	struct tg_note note = {NULL, 0, NULL, 0};
	size_t i, bad, sep, off;
	tg_err r = TG_E_PARSE;

	if (n > TG_NOTE_MAX) {
		tg_diag_set(d, "note larger than %d bytes", TG_NOTE_MAX);
		return TG_E_TOOBIG;
	}
	if (!tg_utf8_valid(p, n, &bad)) {
		tg_diag_set(d, "note is not valid UTF-8 at byte %zu", bad);
		return TG_E_PARSE;
	}
	for (i = 0; i < n; i++) {
		if (p[i] < 0x20 && p[i] != '\n') {
			tg_diag_set(d, "control character 0x%02x in note at byte %zu", p[i], i);
			return TG_E_PARSE;
		}
	}
	if (n == 0 || p[n - 1] != '\n') {
		tg_diag_set(d, "note does not end with a newline");
		return TG_E_PARSE;
	}
	/* The last "\n\n" separates text from signatures. */
	sep = SIZE_MAX;
	for (i = n - 1; i > 0; i--) {
		if (p[i] == '\n' && p[i - 1] == '\n') {
			sep = i - 1;
			break;
		}
	}
	if (sep == SIZE_MAX || sep == 0) {
		tg_diag_set(d, "note has no signature block (blank line then signatures)");
		return TG_E_PARSE;
	}
	note.text = s;
	note.text_len = sep + 1;
	off = sep + 2;
	if (off >= n) {
		tg_diag_set(d, "note has no signatures");
		return TG_E_PARSE;
	}
	while (off < n) {
		const char *line = s + off, *nl = memchr(line, '\n', n - off);
		size_t ll = (size_t)(nl - line), sp;
		struct tg_note_sig sig;
		struct tg_buf raw = TG_BUF_INIT(8192);
		const char *name, *b64;

		memset(&sig, 0, sizeof(sig));
		if (note.nsigs == TG_NOTE_MAX_SIGS) {
			tg_diag_set(d, "more than %d signatures in note", TG_NOTE_MAX_SIGS);
			r = TG_E_TOOBIG;
			goto out;
		}
		if (ll < 4 || memcmp(line, EM_DASH " ", 4) != 0) {
			tg_diag_set(d, "malformed signature line %zu (want \"— name signature\")",
				    note.nsigs + 1);
			goto out;
		}
		name = line + 4;
		for (sp = 0; sp < ll - 4 && name[sp] != ' '; sp++)
			;
		if (sp == ll - 4 || !name_valid(name, sp)) {
			tg_diag_set(d, "malformed signature line %zu: bad key name", note.nsigs + 1);
			goto out;
		}
		b64 = name + sp + 1;
		if (tg_b64_decode(&raw, b64, (size_t)(line + ll - b64), TG_B64_STD, NULL) != TG_OK ||
		    raw.len < 5) {
			tg_buf_release(&raw);
			tg_diag_set(d, "malformed signature line %zu: bad base64 signature",
				    note.nsigs + 1);
			goto out;
		}
		memcpy(sig.name, name, sp);
		sig.name[sp] = '\0';
		sig.id = be32(raw.data);
		sig.len = raw.len - 4;
		sig.sig = tg_xmalloc(sig.len);
		memcpy(sig.sig, raw.data + 4, sig.len);
		sig.line = line;
		sig.line_len = ll + 1;
		tg_buf_release(&raw);
		note.sigs = tg_xreallocarray(note.sigs, note.nsigs + 1, sizeof(*note.sigs));
		note.sigs[note.nsigs++] = sig;
		off += ll + 1;
	}
	*out = note;
	note.sigs = NULL;
	note.nsigs = 0;
	r = TG_OK;
out:
	tg_note_release(&note);
	return r;
}

/* The message a key signs for a note text. */
static tg_err signed_message(enum tg_note_alg alg, const char *text, size_t n, uint64_t ts,
			     struct tg_buf *out)
{
	tg_err r = TG_OK;
	if (alg == TG_NOTE_COSIG_V1)
		r = tg_buf_addf(out, "cosignature/v1\ntime %llu\n", (unsigned long long)ts);
	if (r == TG_OK)
		r = tg_buf_add(out, text, n);
	return r;
}

tg_err tg_note_verify(const struct tg_note *note, const struct tg_note_key *keys, size_t nkeys,
		      bool *verified, size_t *nverified, uint64_t *cosig_time, struct tg_diag *d)
{
	size_t i, k, count = 0;
	bool *seen = tg_xcalloc(nkeys ? nkeys : 1, sizeof(*seen));
	tg_err r = TG_OK;

	for (i = 0; i < note->nsigs; i++) {
		const struct tg_note_sig *s = &note->sigs[i];
		for (k = 0; k < nkeys; k++) {
			const struct tg_note_key *key = &keys[k];
			struct tg_buf msg = TG_BUF_INIT(TG_NOTE_MAX + 64);
			uint8_t digest[32];
			const uint8_t *sig = s->sig;
			size_t siglen = s->len;
			uint64_t ts = 0;

			if (key->id != s->id || strcmp(key->name, s->name) != 0)
				continue;
			if (key->alg == TG_NOTE_COSIG_V1) {
				if (siglen != 8 + 64) {
					r = TG_E_VERIFY;
				} else {
					size_t j;
					for (j = 0; j < 8; j++)
						ts = ts << 8 | sig[j];
					sig += 8;
					siglen -= 8;
					if (ts > INT64_MAX)
						r = TG_E_VERIFY;
				}
			}
			if (r == TG_OK)
				r = signed_message(key->alg, note->text, note->text_len, ts, &msg);
			if (r == TG_OK) {
				if (key->alg == TG_NOTE_ECDSA) {
					r = tg_hash(TG_SHA256, msg.data, msg.len, digest);
					if (r == TG_OK)
						r = tg_verify_digest(key->key, TG_SIG_ES256,
								     TG_SIG_FORMAT_DER, digest, 32,
								     sig, siglen);
				} else {
					r = tg_verify(key->key, TG_SIG_EDDSA, TG_SIG_FORMAT_RAW,
						      msg.data, msg.len, sig, siglen);
				}
			}
			tg_buf_release(&msg);
			if (r != TG_OK) {
				/* A known key's bad signature rejects the note. */
				tg_diag_set(d, "signature by %s+%08x does not verify", key->name,
					    (unsigned)key->id);
				free(seen);
				return TG_E_VERIFY;
			}
			if (!seen[k])
				count++; /* a key counts once, however often it signed */
			seen[k] = true;
			if (cosig_time)
				cosig_time[k] = ts;
		}
	}
	if (verified)
		memcpy(verified, seen, nkeys * sizeof(*verified));
	free(seen);
	if (nverified)
		*nverified = count;
	if (count == 0) {
		tg_diag_set(d, "no signature by a known key");
		return TG_E_NOTFOUND;
	}
	return TG_OK;
}

tg_err tg_note_sign_line(const struct tg_note_key *signer, const char *text, size_t text_len,
			 uint64_t timestamp, struct tg_buf *out)
{
	struct tg_buf msg = TG_BUF_INIT(TG_NOTE_MAX + 64);
	struct tg_buf sig = TG_BUF_INIT(8192);
	uint8_t id[4];
	size_t orig = out->len, j;
	tg_err r;

	if (signer->alg == TG_NOTE_ECDSA)
		return TG_E_UNSUPPORTED; /* tollgate signs with Ed25519 */
	if (timestamp > INT64_MAX)
		return TG_E_RANGE;
	id[0] = (uint8_t)(signer->id >> 24);
	id[1] = (uint8_t)(signer->id >> 16);
	id[2] = (uint8_t)(signer->id >> 8);
	id[3] = (uint8_t)signer->id;
	r = tg_buf_add(&sig, id, 4);
	if (r == TG_OK && signer->alg == TG_NOTE_COSIG_V1) {
		for (j = 0; r == TG_OK && j < 8; j++)
			r = tg_buf_addc(&sig, (uint8_t)(timestamp >> (56 - 8 * j)));
	}
	if (r == TG_OK)
		r = signed_message(signer->alg, text, text_len, timestamp, &msg);
	if (r == TG_OK)
		r = tg_sign(signer->key, TG_SIG_EDDSA, TG_SIG_FORMAT_RAW, msg.data, msg.len, &sig);
	if (r == TG_OK)
		r = tg_buf_addf(out, EM_DASH " %s ", signer->name);
	if (r == TG_OK)
		r = tg_b64_encode(out, sig.data, sig.len, TG_B64_STD);
	if (r == TG_OK)
		r = tg_buf_addc(out, '\n');
	if (r != TG_OK)
		tg_buf_truncate(out, orig);
	tg_buf_release(&msg);
	tg_buf_release(&sig);
	return r;
}
