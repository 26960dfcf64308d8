/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pem.c - strict RFC 7468 blocks.
 * Explanatory text between blocks is skipped, anything odd inside one is an error.
 */
#include "core/pem.h"

#include <stdlib.h>
#include <string.h>

#include "core/codec.h"
#include "core/cursor.h"
#include "core/limits.h"
#include "core/mem.h"

#define PEM_DASHES "-----"
/* RFC 7468 2: generators wrap at 64 characters, parsers may accept other
 * line lengths. Sigstore log entries carry PEM bodies on a single line, so
 * any line length is accepted up to this cap (the file cap bounds the rest). */
#define PEM_LINE_MAX (64 * 1024)

void tg_pem_list_release(struct tg_pem_list *l)
{
	size_t i;
	if (!l)
		return;
	for (i = 0; i < l->count; i++)
		free(l->blocks[i].der);
	free(l->blocks);
	l->blocks = NULL;
	l->count = 0;
}

/* Reads one line (without its LF or CRLF) from c. */
static int next_line(struct tg_cursor *c, const uint8_t **line, size_t *len)
{
	const uint8_t *start, *nl;
	size_t left = tg_cursor_left(c);
	if (left == 0)
		return 0;
	start = c->p + c->off;
	nl = memchr(start, '\n', left);
	*line = start;
	if (nl) {
		*len = (size_t)(nl - start);
		c->off += *len + 1;
	} else {
		*len = left;
		c->off += left;
	}
	if (*len && start[*len - 1] == '\r')
		(*len)--;
	return 1;
}

/* Trailing spaces and tabs are tolerated on boundary and data lines. */
static size_t rtrim(const uint8_t *p, size_t n)
{
	while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	return n;
}

/* Matches "-----BEGIN label-----" / "-----END label-----"; copies label. */
static int boundary(const uint8_t *p, size_t n, const char *kind, char *label)
{
	size_t kl = strlen(kind), ll;
	if (n < 10 + kl || memcmp(p, PEM_DASHES, 5) != 0 || memcmp(p + 5, kind, kl) != 0 ||
	    memcmp(p + n - 5, PEM_DASHES, 5) != 0)
		return 0;
	p += 5 + kl;
	n -= 10 + kl;
	if (n == 0) {
		label[0] = '\0';
		return 1;
	}
	if (p[0] != ' ')
		return 0;
	p++;
	n--;
	if (n == 0 || n >= TG_PEM_LABEL_MAX)
		return 0;
	for (ll = 0; ll < n; ll++) {
		/* RFC 7468 3: labelchar = %x21-2C / %x2E-7E, and single spaces */
		if (p[ll] < 0x20 || p[ll] > 0x7e || (p[ll] == '-' && ll + 1 == n))
			return 0;
	}
	memcpy(label, p, n);
	label[n] = '\0';
	return 1;
}

tg_err tg_pem_decode(const char *text, size_t n, struct tg_pem_list *out,
		     struct tg_diag *d)
{
	struct tg_cursor c;
	struct tg_pem_list l = {NULL, 0};
	struct tg_buf b64 = TG_BUF_INIT(TG_LIMIT_PEM_FILE);
	struct tg_buf der = TG_BUF_INIT(TG_LIMIT_DER);
	const uint8_t *line;
	size_t len, line_off;
	uint32_t lno, col;
	char label[TG_PEM_LABEL_MAX], endlabel[TG_PEM_LABEL_MAX];
	tg_err r = TG_E_INTERNAL;

	if (n > TG_LIMIT_PEM_FILE) {
		tg_diag_set(d, "PEM input of %zu bytes exceeds the limit of %zu", n,
			    (size_t)TG_LIMIT_PEM_FILE);
		return TG_E_TOOBIG;
	}
	tg_cursor_init(&c, text, n);
	for (;;) {
		int in_block = 0, ended = 0;
		line_off = c.off;
		if (!next_line(&c, &line, &len))
			break;
		len = rtrim(line, len);
		if (!boundary(line, len, "BEGIN", label))
			continue; /* explanatory text between blocks */
		if (l.count == TG_LIMIT_PEM_BLOCKS) {
			tg_diag_set(d, "more than %d PEM blocks", TG_LIMIT_PEM_BLOCKS);
			r = TG_E_TOOBIG;
			goto out;
		}
		in_block = 1;
		tg_buf_reset(&b64);
		while (in_block) {
			line_off = c.off;
			if (!next_line(&c, &line, &len)) {
				tg_text_linecol((const uint8_t *)text, n, line_off, &lno, &col);
				tg_diag_at(d, lno, col, line_off,
					   "missing \"-----END %s-----\"", label);
				r = TG_E_PARSE;
				goto out;
			}
			len = rtrim(line, len);
			if (len >= 5 && memcmp(line, PEM_DASHES, 5) == 0) {
				if (!boundary(line, len, "END", endlabel) ||
				    strcmp(label, endlabel) != 0) {
					tg_text_linecol((const uint8_t *)text, n, line_off, &lno, &col);
					tg_diag_at(d, lno, col, line_off,
						   "expected \"-----END %s-----\"", label);
					r = TG_E_PARSE;
					goto out;
				}
				in_block = 0;
				ended = 1;
				break;
			}
			if (memchr(line, ':', len)) {
				tg_text_linecol((const uint8_t *)text, n, line_off, &lno, &col);
				tg_diag_at(d, lno, col, line_off,
					   "PEM headers (encrypted legacy PEM) are not supported");
				r = TG_E_UNSUPPORTED;
				goto out;
			}
			if (len > PEM_LINE_MAX) {
				tg_text_linecol((const uint8_t *)text, n, line_off, &lno, &col);
				tg_diag_at(d, lno, col, line_off, "PEM line longer than %d characters",
					   PEM_LINE_MAX);
				r = TG_E_PARSE;
				goto out;
			}
			/* Padding may only end the data: nothing after a line with '='. */
			if (b64.len && b64.data[b64.len - 1] == '=' && len) {
				tg_text_linecol((const uint8_t *)text, n, line_off, &lno, &col);
				tg_diag_at(d, lno, col, line_off, "data after base64 padding");
				r = TG_E_PARSE;
				goto out;
			}
			r = tg_buf_add(&b64, line, len);
			if (r != TG_OK)
				goto out;
		}
		if (!ended)
			break;
		tg_buf_reset(&der);
		{
			struct tg_diag bd;
			tg_diag_init(&bd);
			r = tg_b64_decode(&der, (const char *)b64.data, b64.len, TG_B64_STD, &bd);
			if (r != TG_OK) {
				tg_text_linecol((const uint8_t *)text, n, line_off, &lno, &col);
				tg_diag_at(d, lno, col, line_off, "bad base64 in PEM block \"%s\": %s",
					   label, bd.msg);
				r = r == TG_E_TOOBIG ? r : TG_E_PARSE;
				goto out;
			}
		}
		if (der.len == 0) {
			tg_diag_set(d, "empty PEM block \"%s\"", label);
			r = TG_E_PARSE;
			goto out;
		}
		l.blocks = tg_xreallocarray(l.blocks, l.count + 1, sizeof(*l.blocks));
		memcpy(l.blocks[l.count].label, label, sizeof(label));
		tg_buf_detach(&der, &l.blocks[l.count].der, &l.blocks[l.count].len);
		l.count++;
	}
	if (l.count == 0) {
		tg_diag_set(d, "no PEM block found");
		r = TG_E_NOTFOUND;
		goto out;
	}
	*out = l;
	l.blocks = NULL;
	l.count = 0;
	r = TG_OK;
out:
	tg_pem_list_release(&l);
	tg_buf_release(&b64);
	tg_buf_release(&der);
	return r;
}

tg_err tg_pem_encode(struct tg_buf *out, const char *label, const void *der, size_t n)
{
	struct tg_buf b64 = TG_BUF_INIT(TG_LIMIT_PEM_FILE);
	size_t i, orig = out->len;
	tg_err r;

	r = tg_b64_encode(&b64, der, n, TG_B64_STD);
	if (r == TG_OK)
		r = tg_buf_addf(out, "-----BEGIN %s-----\n", label);
	for (i = 0; r == TG_OK && i < b64.len; i += 64) {
		size_t take = b64.len - i < 64 ? b64.len - i : 64;
		r = tg_buf_add(out, b64.data + i, take);
		if (r == TG_OK)
			r = tg_buf_addc(out, '\n');
	}
	if (r == TG_OK)
		r = tg_buf_addf(out, "-----END %s-----\n", label);
	if (r != TG_OK)
		tg_buf_truncate(out, orig);
	tg_buf_release(&b64);
	return r;
}
