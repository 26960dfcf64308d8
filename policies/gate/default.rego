# SPDX-License-Identifier: Apache-2.0
# default.rego - tollgate's default deployment gate policy (Rego v1).
# The gate hands it only verified facts (docs/gate.md, "The input
# document"); it answers deny, a set of reasons, and allow. The
# configuration is data.tollgate.gate.config (policies/gate/config.json):
#   signers             [{"identity"|"identity_regex", "issuer"}]: who may sign
#   builders            [{"id"|"id_regex"}]: trusted SLSA builder ids
#   sources             [{"repository"|"repository_regex"}]: allowed source repositories
#   require_signature   a signature over the artifact by an allowed signer (default true)
#   require_provenance  SLSA provenance v1 by an allowed signer, from a trusted
#                       builder and an allowed source (default true)
#   max_age_seconds     evidence signed longer ago is refused (0: no limit)
# Regular expressions are RE2 and match the whole value.
package tollgate.gate

default conf := {}

conf := data.tollgate.gate.config

defaults := {
	"signers": [],
	"builders": [],
	"sources": [],
	"require_signature": true,
	"require_provenance": true,
	"max_age_seconds": 0,
}

cfg := object.union(defaults, conf)

slsa_v1 := "https://slsa.dev/provenance/v1"

default allow := false

allow if count(deny) == 0

# ---- the evidence, by kind ----

signatures contains e if {
	some e in input.evidence
	e.kind == "signature"
}

provenances contains e if {
	some e in input.evidence
	e.kind == "attestation"
	e.predicate_type == slsa_v1
}

# ---- checks ----

whole(re, s) if regex.match(sprintf("^(?:%s)$", [re]), s)

signer_ok(e) if {
	some s in cfg.signers
	s.issuer == e.signer.issuer
	s.identity == e.signer.identity
}

signer_ok(e) if {
	some s in cfg.signers
	s.issuer == e.signer.issuer
	whole(s.identity_regex, e.signer.identity)
}

builder_ok(e) if {
	some b in cfg.builders
	b.id == e.provenance.builder_id
}

builder_ok(e) if {
	some b in cfg.builders
	whole(b.id_regex, e.provenance.builder_id)
}

source_ok(e) if {
	some s in cfg.sources
	s.repository == e.provenance.source.repository
}

source_ok(e) if {
	some s in cfg.sources
	whole(s.repository_regex, e.provenance.source.repository)
}

fresh(_) if cfg.max_age_seconds <= 0

fresh(e) if {
	cfg.max_age_seconds > 0
	input.context.time_unix - e.signed_at_unix <= cfg.max_age_seconds
}

label(e) := object.get(e.bundle, "name", e.bundle.digest)

# ---- what is wrong with each piece: [bundle digest, label, reason] ----

signature_problem contains [e.bundle.digest, label(e), msg] if {
	some e in signatures
	not signer_ok(e)
	msg := sprintf("signer %s (issuer %s) is not an allowed identity", [e.signer.identity, e.signer.issuer])
}

signature_problem contains [e.bundle.digest, label(e), msg] if {
	some e in signatures
	not fresh(e)
	msg := sprintf("signed at %s, more than %d seconds ago", [object.get(e, "signed_at", "an unverified time"), cfg.max_age_seconds])
}

provenance_problem contains [e.bundle.digest, label(e), msg] if {
	some e in provenances
	not signer_ok(e)
	msg := sprintf("signer %s (issuer %s) is not an allowed identity", [e.signer.identity, e.signer.issuer])
}

provenance_problem contains [e.bundle.digest, label(e), msg] if {
	some e in provenances
	not builder_ok(e)
	id := object.get(e, ["provenance", "builder_id"], "(none)")
	msg := sprintf("builder %s is not a trusted builder", [id])
}

provenance_problem contains [e.bundle.digest, label(e), msg] if {
	some e in provenances
	not source_ok(e)
	repo := object.get(e, ["provenance", "source", "repository"], "(none)")
	msg := sprintf("source repository %s is not allowed", [repo])
}

provenance_problem contains [e.bundle.digest, label(e), msg] if {
	some e in provenances
	not fresh(e)
	msg := sprintf("signed at %s, more than %d seconds ago", [object.get(e, "signed_at", "an unverified time"), cfg.max_age_seconds])
}

good_signatures contains e if {
	some e in signatures
	not has_problem(signature_problem, e)
}

good_provenances contains e if {
	some e in provenances
	not has_problem(provenance_problem, e)
}

has_problem(problems, e) if {
	some p in problems
	p[0] == e.bundle.digest
}

# ---- reasons ----

deny contains "no signer identities are configured (data.tollgate.gate.config.signers is empty)" if {
	count(cfg.signers) == 0
}

deny contains "no verified signature over the artifact" if {
	cfg.require_signature
	count(signatures) == 0
}

deny contains msg if {
	cfg.require_signature
	count(good_signatures) == 0
	some p in signature_problem
	msg := sprintf("signature %s: %s", [p[1], p[2]])
}

deny contains "no verified SLSA provenance v1 attestation for the artifact" if {
	cfg.require_provenance
	count(provenances) == 0
}

deny contains "no trusted builders are configured (data.tollgate.gate.config.builders is empty)" if {
	cfg.require_provenance
	count(cfg.builders) == 0
}

deny contains "no source repositories are allowed (data.tollgate.gate.config.sources is empty)" if {
	cfg.require_provenance
	count(cfg.sources) == 0
}

deny contains msg if {
	cfg.require_provenance
	count(good_provenances) == 0
	some p in provenance_problem
	msg := sprintf("provenance %s: %s", [p[1], p[2]])
}
