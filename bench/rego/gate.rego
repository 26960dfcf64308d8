package gate

# A supply-chain deploy gate: the artifact must be signed by a trusted
# identity, built by a trusted builder from a protected branch, and carry no
# critical vulnerability without an exception.

default allow := false

allow if count(deny) == 0

deny contains msg if {
	not signed_by_trusted
	msg := sprintf("artifact %s is not signed by a trusted identity", [input.artifact.digest])
}

deny contains msg if {
	input.provenance.builder.id != data.trusted_builder
	msg := sprintf("built by %s, not by the trusted builder", [input.provenance.builder.id])
}

deny contains msg if {
	not startswith(input.provenance.source.ref, "refs/heads/main")
	msg := sprintf("built from %s, not from main", [input.provenance.source.ref])
}

deny contains msg if {
	some v in input.vulnerabilities
	v.severity == "CRITICAL"
	not v.id in data.exceptions
	msg := sprintf("critical vulnerability %s in %s", [v.id, v.package])
}

signed_by_trusted if {
	some sig in input.signatures
	sig.verified
	some id in data.identities
	glob.match(id.subject, ["/"], sig.subject)
	sig.issuer == id.issuer
}
