/* SPDX-License-Identifier: Apache-2.0 */
/*
 * re2_shim.cc - the extern "C" API of re2_shim.h over RE2: Go's regexp
 * syntax and messages, a per-process cache of compiled expressions, and
 * Go's find-all and replace-all loops. The only C++ file in tollgate.
 */

/*
 * Every entry point catches all exceptions (RE2 and the standard library
 * throw std::bad_alloc at most) and reports TG_E_INTERNAL instead. Go and
 * RE2 share one parser design, so RE2's options below (non-POSIX syntax,
 * leftmost-first, UTF-8, one-line) give Go's syntax; the differences that
 * remain are patched before compiling: Go 1.22 accepts (?<name>...) (this
 * RE2 only (?P<name>...)), and Go rejects \C (RE2 would match any byte,
 * which could cut a UTF-8 sequence in half).
 */
#include "rego/re2_shim.h"

#include <re2/re2.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <new>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/limits.h"

struct tg_rego_re {
	re2::RE2 *re;
	std::atomic<long> refs;
	int ngroups;
};

namespace {

struct re_cache {
	std::mutex mu;
	std::unordered_map<std::string, tg_rego_re *> map;
};

// Allocated once and never freed: reachable for the life of the process.
re_cache *cache()
{
	static re_cache *c = new re_cache;
	return c;
}

void unref(tg_rego_re *e)
{
	if (e && e->refs.fetch_sub(1) == 1) {
		delete e->re;
		delete e;
	}
}

// Go's regexp/syntax ErrorCode strings for RE2's codes.
const char *go_code_text(re2::RE2::ErrorCode c)
{
	switch (c) {
	case re2::RE2::ErrorBadEscape:
		return "invalid escape sequence";
	case re2::RE2::ErrorBadCharClass:
		return "invalid character class";
	case re2::RE2::ErrorBadCharRange:
		return "invalid character class range";
	case re2::RE2::ErrorMissingBracket:
		return "missing closing ]";
	case re2::RE2::ErrorMissingParen:
		return "missing closing )";
	case re2::RE2::ErrorUnexpectedParen:
		return "unexpected )";
	case re2::RE2::ErrorTrailingBackslash:
		return "trailing backslash at end of expression";
	case re2::RE2::ErrorRepeatArgument:
		return "missing argument to repetition operator";
	case re2::RE2::ErrorRepeatSize:
		return "invalid repeat count";
	case re2::RE2::ErrorRepeatOp:
		return "invalid nested repetition operator";
	case re2::RE2::ErrorBadPerlOp:
		return "invalid or unsupported Perl syntax";
	case re2::RE2::ErrorBadUTF8:
		return "invalid UTF-8";
	case re2::RE2::ErrorBadNamedCapture:
		return "invalid named capture";
	case re2::RE2::ErrorPatternTooLarge:
		return "expression too large";
	default:
		return "regexp/syntax: internal error";
	}
}

void set_err(char *err, size_t errlen, const char *what, const std::string &arg)
{
	if (err && errlen)
		std::snprintf(err, errlen, "error parsing regexp: %s: `%s`", what, arg.c_str());
}

// Rewrites Go-only syntax for RE2. Returns false (and sets the message) for
// syntax Go rejects but RE2 accepts.
bool go_to_re2(const char *p, size_t n, std::string *out, char *err, size_t errlen)
{
	out->reserve(n + 8);
	for (size_t i = 0; i < n; i++) {
		char ch = p[i];
		if (ch == '\\' && i + 1 < n) {
			if (p[i + 1] == 'C') {
				set_err(err, errlen, "invalid escape sequence", "\\C");
				return false;
			}
			out->push_back(ch);
			out->push_back(p[++i]);
			continue;
		}
		// (?<name>  ->  (?P<name>   (but not the look-behind (?<= (?<!,
		// which both reject anyway)
		if (ch == '(' && i + 2 < n && p[i + 1] == '?' && p[i + 2] == '<' &&
		    (i + 3 >= n || (p[i + 3] != '=' && p[i + 3] != '!'))) {
			out->append("(?P<");
			i += 2;
			continue;
		}
		out->push_back(ch);
	}
	return true;
}

tg_err compile_new(const char *p, size_t n, tg_rego_re **out, char *err, size_t errlen)
{
	std::string pat;
	if (!go_to_re2(p, n, &pat, err, errlen))
		return TG_E_PARSE;
	re2::RE2::Options opt;
	opt.set_log_errors(false);
	opt.set_encoding(re2::RE2::Options::EncodingUTF8);
	opt.set_posix_syntax(false);
	opt.set_longest_match(false);
	opt.set_max_mem(static_cast<int64_t>(TG_LIMIT_REGEX_MEM));
	re2::RE2 *re = new re2::RE2(re2::StringPiece(pat.data(), pat.size()), opt);
	if (!re->ok()) {
		re2::RE2::ErrorCode code = re->error_code();
		set_err(err, errlen, go_code_text(code), re->error_arg());
		delete re;
		return code == re2::RE2::ErrorPatternTooLarge ? TG_E_TOOBIG : TG_E_PARSE;
	}
	tg_rego_re *e = new tg_rego_re;
	e->re = re;
	e->refs.store(1);
	e->ngroups = re->NumberOfCapturingGroups();
	*out = e;
	return TG_OK;
}

// One search; fills ofs (2 * nsub values) with offsets or -1.
int search(const tg_rego_re *e, const char *text, size_t len, size_t pos, long *ofs, int nsub)
{
	re2::StringPiece sub[32];
	std::vector<re2::StringPiece> big;
	re2::StringPiece *m = sub;
	static const char empty[1] = {0};
	if (!text)
		text = empty;
	if (nsub > 32) {
		big.resize(static_cast<size_t>(nsub));
		m = big.data();
	}
	re2::StringPiece t(text, len);
	if (pos > len || !e->re->Match(t, pos, len, re2::RE2::UNANCHORED, m, nsub))
		return 0;
	for (int i = 0; i < nsub; i++) {
		if (m[i].data() == nullptr) {
			ofs[2 * i] = -1;
			ofs[2 * i + 1] = -1;
		} else {
			ofs[2 * i] = static_cast<long>(m[i].data() - text);
			ofs[2 * i + 1] = static_cast<long>(m[i].data() - text + m[i].size());
		}
	}
	return 1;
}

// Width of the UTF-8 sequence at s[0..n) (1 for an invalid byte, 0 at end),
// as Go's utf8.DecodeRuneInString measures it.
size_t rune_width(const unsigned char *s, size_t n)
{
	if (n == 0)
		return 0;
	if (s[0] < 0x80)
		return 1;
	size_t w = s[0] >= 0xF0 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC0 ? 2 : 1;
	if (w > n)
		return 1;
	for (size_t i = 1; i < w; i++)
		if ((s[i] & 0xC0) != 0x80)
			return 1;
	return w;
}

// Go's extract(): after a '$', reads "name" or "{name}" where a name is a
// run of letters, digits and '_' (non-ASCII letters approximated by the
// common letter blocks). num is the group number when the name is decimal
// without a leading zero and below 1e9, else -1.
bool is_letter_rune(unsigned long r)
{
	if (r < 0x80)
		return (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') ||
		       r == '_';
	if (r == 0xAA || r == 0xB5 || r == 0xBA)
		return true;
	if (r >= 0xC0 && r <= 0x24F)
		return r != 0xD7 && r != 0xF7;
	return (r >= 0x370 && r <= 0x3FF && r != 0x37E && r != 0x387) ||
	       (r >= 0x400 && r <= 0x52F) || (r >= 0x5D0 && r <= 0x5EA) ||
	       (r >= 0x620 && r <= 0x64A) || (r >= 0x660 && r <= 0x669) ||
	       (r >= 0x3040 && r <= 0x30FF && r != 0x30FB) || (r >= 0x4E00 && r <= 0x9FFF) ||
	       (r >= 0xAC00 && r <= 0xD7A3);
}

size_t name_len(const char *s, size_t n)
{
	const unsigned char *u = reinterpret_cast<const unsigned char *>(s);
	size_t i = 0;
	while (i < n) {
		size_t w = rune_width(u + i, n - i);
		unsigned long r = u[i];
		if (w == 2)
			r = ((u[i] & 0x1Ful) << 6) | (u[i + 1] & 0x3Ful);
		else if (w == 3)
			r = ((u[i] & 0x0Ful) << 12) | ((u[i + 1] & 0x3Ful) << 6) | (u[i + 2] & 0x3Ful);
		else if (w == 4)
			r = ((u[i] & 0x07ul) << 18) | ((u[i + 1] & 0x3Ful) << 12) |
			    ((u[i + 2] & 0x3Ful) << 6) | (u[i + 3] & 0x3Ful);
		if (!is_letter_rune(r))
			break;
		i += w;
	}
	return i;
}

bool extract(const char *s, size_t n, std::string *name, long *num, size_t *used)
{
	size_t off = 0;
	bool brace = false;
	if (n == 0)
		return false;
	if (s[0] == '{') {
		brace = true;
		off = 1;
	}
	size_t l = name_len(s + off, n - off);
	if (l == 0)
		return false;
	name->assign(s + off, l);
	size_t end = off + l;
	if (brace) {
		if (end >= n || s[end] != '}')
			return false;
		end++;
	}
	long v = 0;
	for (char c : *name) {
		if (c < '0' || c > '9' || v >= 100000000L) {
			v = -1;
			break;
		}
		v = v * 10 + (c - '0');
	}
	if ((*name)[0] == '0' && name->size() > 1)
		v = -1;
	*num = v;
	*used = end;
	return true;
}

// Go's Regexp.expand for one match: $1 ${1} $name ${name} $$.
tg_err expand(const tg_rego_re *e, const char *text, const char *repl, size_t rlen,
	      const long *ofs, int nofs, struct tg_buf *out)
{
	size_t i = 0;
	std::string name;
	while (i < rlen) {
		const char *dollar = static_cast<const char *>(std::memchr(repl + i, '$', rlen - i));
		size_t lit = dollar ? static_cast<size_t>(dollar - (repl + i)) : rlen - i;
		if (lit && tg_buf_add(out, repl + i, lit) != TG_OK)
			return TG_E_TOOBIG;
		i += lit;
		if (!dollar)
			break;
		i++; // past '$'
		if (i < rlen && repl[i] == '$') {
			if (tg_buf_addc(out, '$') != TG_OK)
				return TG_E_TOOBIG;
			i++;
			continue;
		}
		long num;
		size_t used;
		if (!extract(repl + i, rlen - i, &name, &num, &used)) {
			// malformed: Go copies the '$' and goes on
			if (tg_buf_addc(out, '$') != TG_OK)
				return TG_E_TOOBIG;
			continue;
		}
		i += used;
		if (num < 0) {
			const std::map<std::string, int> &named = e->re->NamedCapturingGroups();
			auto it = named.find(name);
			if (it != named.end())
				num = it->second;
		}
		if (num >= 0 && 2 * num + 1 < nofs && ofs[2 * num] >= 0) {
			size_t a = static_cast<size_t>(ofs[2 * num]);
			size_t b = static_cast<size_t>(ofs[2 * num + 1]);
			if (b > a && tg_buf_add(out, text + a, b - a) != TG_OK)
				return TG_E_TOOBIG;
		}
	}
	return TG_OK;
}

} // namespace

extern "C" {

tg_err tg_rego_re_compile(const char *pattern, size_t n, struct tg_rego_re **out, char *err,
			  size_t errlen)
{
	if (err && errlen)
		err[0] = '\0';
	if (n > TG_LIMIT_REGEX_PATTERN) {
		if (err && errlen)
			std::snprintf(err, errlen,
				      "error parsing regexp: expression too large: pattern of %zu bytes",
				      n);
		return TG_E_TOOBIG;
	}
	try {
		re_cache *c = cache();
		std::string key(pattern ? pattern : "", n);
		{
			std::lock_guard<std::mutex> lk(c->mu);
			auto it = c->map.find(key);
			if (it != c->map.end()) {
				it->second->refs.fetch_add(1);
				*out = it->second;
				return TG_OK;
			}
		}
		tg_rego_re *e = nullptr;
		tg_err r = compile_new(pattern ? pattern : "", n, &e, err, errlen);
		if (r != TG_OK)
			return r;
		{
			std::lock_guard<std::mutex> lk(c->mu);
			auto it = c->map.find(key);
			if (it != c->map.end()) {
				// another thread won the race: use its entry
				it->second->refs.fetch_add(1);
				unref(e);
				*out = it->second;
				return TG_OK;
			}
			if (c->map.size() >= TG_LIMIT_REGEX_CACHE) {
				auto victim = c->map.begin();
				unref(victim->second);
				c->map.erase(victim);
			}
			e->refs.fetch_add(1); // the cache's reference
			try {
				c->map.emplace(std::move(key), e);
			} catch (...) {
				e->refs.fetch_sub(1);
				throw;
			}
		}
		*out = e;
		return TG_OK;
	} catch (...) {
		if (err && errlen)
			std::snprintf(err, errlen, "error compiling regexp: out of memory");
		return TG_E_INTERNAL;
	}
}

void tg_rego_re_release(struct tg_rego_re *re)
{
	unref(re);
}

int tg_rego_re_ngroups(const struct tg_rego_re *re)
{
	return re->ngroups;
}

int tg_rego_re_search(const struct tg_rego_re *re, const char *text, size_t len, size_t pos,
		      long *ofs, int nofs)
{
	try {
		long tmp[2];
		int nsub = nofs / 2;
		if (nsub < 1) {
			ofs = tmp;
			nsub = 1;
		}
		return search(re, text, len, pos, ofs, nsub);
	} catch (...) {
		return -1;
	}
}

tg_err tg_rego_re_find_all(const struct tg_rego_re *re, const char *text, size_t len, long max,
			   tg_rego_re_match_fn cb, void *ctx)
{
	try {
		int nsub = re->ngroups + 1;
		std::vector<long> ofs(static_cast<size_t>(2 * nsub));
		const unsigned char *u = reinterpret_cast<const unsigned char *>(text);
		long found = 0;
		long prev_end = -1;
		size_t pos = 0;
		if (max < 0)
			max = static_cast<long>(len) + 1;
		while (found < max && pos <= len) {
			if (search(re, text, len, pos, ofs.data(), nsub) == 0)
				break;
			bool accept = true;
			if (static_cast<size_t>(ofs[1]) == pos) {
				// an empty match: never right after the previous match
				if (ofs[0] == prev_end)
					accept = false;
				size_t w = rune_width(u + pos, len - pos);
				pos += w ? w : 1;
			} else {
				pos = static_cast<size_t>(ofs[1]);
			}
			prev_end = ofs[1];
			if (accept) {
				tg_err r = cb(ctx, ofs.data(), 2 * nsub);
				if (r != TG_OK)
					return r;
				found++;
			}
		}
		return TG_OK;
	} catch (...) {
		return TG_E_INTERNAL;
	}
}

tg_err tg_rego_re_replace_all(const struct tg_rego_re *re, const char *text, size_t len,
			      const char *repl, size_t rlen, struct tg_buf *out)
{
	try {
		int nsub = re->ngroups + 1;
		std::vector<long> ofs(static_cast<size_t>(2 * nsub));
		const unsigned char *u = reinterpret_cast<const unsigned char *>(text);
		size_t last_end = 0, pos = 0;
		while (pos <= len) {
			if (search(re, text, len, pos, ofs.data(), nsub) == 0)
				break;
			size_t a0 = static_cast<size_t>(ofs[0]), a1 = static_cast<size_t>(ofs[1]);
			if (a0 > last_end && tg_buf_add(out, text + last_end, a0 - last_end) != TG_OK)
				return TG_E_TOOBIG;
			// no replacement for an empty match right after a match
			if (a1 > last_end || a0 == 0) {
				tg_err r = expand(re, text, repl, rlen, ofs.data(), 2 * nsub, out);
				if (r != TG_OK)
					return r;
			}
			last_end = a1;
			size_t w = rune_width(u + pos, len - pos);
			if (pos + w > a1)
				pos += w;
			else if (pos + 1 > a1)
				pos++;
			else
				pos = a1;
		}
		if (len > last_end && tg_buf_add(out, text + last_end, len - last_end) != TG_OK)
			return TG_E_TOOBIG;
		return TG_OK;
	} catch (...) {
		return TG_E_INTERNAL;
	}
}

size_t tg_rego_re_cache_size(void)
{
	try {
		re_cache *c = cache();
		std::lock_guard<std::mutex> lk(c->mu);
		return c->map.size();
	} catch (...) {
		return 0;
	}
}

} // extern "C"
