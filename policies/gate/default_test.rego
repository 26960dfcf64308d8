# SPDX-License-Identifier: Apache-2.0
# default_test.rego - unit tests of the default gate policy; run them with
# `tollgate policy test policies/gate`. Inputs have the shape of the gate's
# input document (docs/gate.md).
package tollgate.gate_test

import data.tollgate.gate

gh := "https://token.actions.githubusercontent.com"

release := "https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main"

conf := {
	"signers": [{"identity": release, "issuer": gh}],
	"builders": [{"id_regex": "https://github\\.com/acme/[a-z]+/\\.github/workflows/release\\.yml@refs/heads/main"}],
	"sources": [{"repository": "https://github.com/acme/app"}],
	"max_age_seconds": 3600,
}

sig(identity, issuer, at) := {
	"kind": "signature",
	"bundle": {"digest": "sha256:01", "name": "app.sig.json"},
	"signer": {"identity": identity, "issuer": issuer},
	"log": {"index": 0, "url": "https://sign.example.test"},
	"signed_at": "2026-01-01T00:00:00Z",
	"signed_at_unix": at,
}

prov(identity, builder, repo, at) := {
	"kind": "attestation",
	"bundle": {"digest": "sha256:02", "name": "app.prov.json"},
	"signer": {"identity": identity, "issuer": gh},
	"log": {"index": 1, "url": "https://sign.example.test"},
	"signed_at": "2026-01-01T00:00:00Z",
	"signed_at_unix": at,
	"predicate_type": "https://slsa.dev/provenance/v1",
	"provenance": {
		"builder_id": builder,
		"build_type": "https://actions.github.io/buildtypes/workflow/v1",
		"source": {"repository": repo, "uri": concat("", ["git+", repo, "@refs/heads/main"])},
	},
}

now := 1767225600 # 2026-01-01T00:00:00Z

doc(evidence) := {
	"artifact": {"digest": "sha256:aa"},
	"evidence": evidence,
	"context": {"time": "2026-01-01T00:10:00Z", "time_unix": now + 600},
}

good := [sig(release, gh, now), prov(release, release, "https://github.com/acme/app", now)]

test_allowed if {
	gate.allow with input as doc(good) with data.tollgate.gate.config as conf
	count(gate.deny) == 0 with input as doc(good) with data.tollgate.gate.config as conf
}

test_nothing_configured if {
	r := gate.deny with input as doc(good) with data.tollgate.gate.config as {}
	r["no signer identities are configured (data.tollgate.gate.config.signers is empty)"]
	r["no trusted builders are configured (data.tollgate.gate.config.builders is empty)"]
	r["no source repositories are allowed (data.tollgate.gate.config.sources is empty)"]
	not gate.allow with input as doc(good) with data.tollgate.gate.config as {}
}

test_no_evidence if {
	r := gate.deny with input as doc([]) with data.tollgate.gate.config as conf
	r == {
		"no verified signature over the artifact",
		"no verified SLSA provenance v1 attestation for the artifact",
	}
}

test_unknown_signer if {
	ev := [sig("https://github.com/acme/evil/.github/workflows/release.yml@refs/heads/main", gh, now), good[1]]
	r := gate.deny with input as doc(ev) with data.tollgate.gate.config as conf
	r == {"signature app.sig.json: signer https://github.com/acme/evil/.github/workflows/release.yml@refs/heads/main (issuer https://token.actions.githubusercontent.com) is not an allowed identity"}
}

test_issuer_must_match if {
	ev := [sig(release, "https://gitlab.com", now), good[1]]
	r := gate.deny with input as doc(ev) with data.tollgate.gate.config as conf
	count(r) == 1
	some m in r
	contains(m, "(issuer https://gitlab.com) is not an allowed identity")
}

test_identity_regex_is_anchored if {
	c := object.union(conf, {"signers": [{"identity_regex": "https://github\\.com/acme/ap", "issuer": gh}]})
	not gate.allow with input as doc(good) with data.tollgate.gate.config as c
	c2 := object.union(conf, {"signers": [{"identity_regex": "https://github\\.com/acme/app/.*", "issuer": gh}]})
	gate.allow with input as doc(good) with data.tollgate.gate.config as c2
}

test_one_good_signature_is_enough if {
	stranger := object.union(sig("https://example.com/someone", gh, now), {"bundle": {"digest": "sha256:03", "name": "x.json"}})
	ev := array.concat(good, [stranger])
	gate.allow with input as doc(ev) with data.tollgate.gate.config as conf
}

test_untrusted_builder if {
	ev := [good[0], prov(release, "https://ci.example.com/runner", "https://github.com/acme/app", now)]
	r := gate.deny with input as doc(ev) with data.tollgate.gate.config as conf
	r == {"provenance app.prov.json: builder https://ci.example.com/runner is not a trusted builder"}
}

test_source_not_allowed if {
	ev := [good[0], prov(release, release, "https://github.com/acme/fork", now)]
	r := gate.deny with input as doc(ev) with data.tollgate.gate.config as conf
	r == {"provenance app.prov.json: source repository https://github.com/acme/fork is not allowed"}
}

test_source_regex if {
	c := object.union(conf, {"sources": [{"repository_regex": "https://github\\.com/acme/.*"}]})
	ev := [good[0], prov(release, release, "https://github.com/acme/fork", now)]
	gate.allow with input as doc(ev) with data.tollgate.gate.config as c
}

test_provenance_signed_by_stranger if {
	ev := [good[0], prov("https://example.com/someone", release, "https://github.com/acme/app", now)]
	r := gate.deny with input as doc(ev) with data.tollgate.gate.config as conf
	r == {"provenance app.prov.json: signer https://example.com/someone (issuer https://token.actions.githubusercontent.com) is not an allowed identity"}
}

test_too_old if {
	ev := [sig(release, gh, now - 7200), prov(release, release, "https://github.com/acme/app", now - 7200)]
	r := gate.deny with input as doc(ev) with data.tollgate.gate.config as conf
	r == {
		"signature app.sig.json: signed at 2026-01-01T00:00:00Z, more than 3600 seconds ago",
		"provenance app.prov.json: signed at 2026-01-01T00:00:00Z, more than 3600 seconds ago",
	}
}

test_no_age_limit if {
	c := object.union(conf, {"max_age_seconds": 0})
	ev := [sig(release, gh, now - 7200000), prov(release, release, "https://github.com/acme/app", now - 7200000)]
	gate.allow with input as doc(ev) with data.tollgate.gate.config as c
}

test_provenance_optional if {
	c := object.union(conf, {"require_provenance": false})
	gate.allow with input as doc([good[0]]) with data.tollgate.gate.config as c
	not gate.allow with input as doc([good[0]]) with data.tollgate.gate.config as conf
}

test_other_predicates_are_not_provenance if {
	other := object.union(good[1], {"predicate_type": "https://spdx.dev/Document"})
	r := gate.deny with input as doc([good[0], other]) with data.tollgate.gate.config as conf
	r == {"no verified SLSA provenance v1 attestation for the artifact"}
}

test_unverified_time_is_too_old if {
	undated := object.remove(sig(release, gh, now), ["signed_at", "signed_at_unix"])
	r := gate.deny with input as doc([undated, good[1]]) with data.tollgate.gate.config as conf
	r == {"signature app.sig.json: signed at an unverified time, more than 3600 seconds ago"}
}
