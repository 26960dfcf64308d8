#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# render.sh - fills the manifests of this directory for one cluster, so
# that nothing is edited by hand: names, image, trust domain, the
# webhook's caBundle (the deployment's ca.pem) and how the API server
# authenticates to /v1/admission. docs/kubernetes.md tells the steps.
set -eu
usage() {
	cat <<'USAGE'
usage: render.sh --image REF [--namespace NS] [--service NAME]
                 [--trust-domain TD] [--ca-file PEM]
                 [--client-name NAME]... [--client-auth none] [--out DIR]

Prints the manifests (or writes them to DIR, one file each): namespace,
ServiceAccount, ConfigMap, PersistentVolumeClaim, Deployment, Service and,
with --ca-file, the ValidatingWebhookConfiguration whose caBundle is that
file (the deployment's ca.pem: kubectl -n NS exec deploy/tollgate -c
tollgated -- cat /var/lib/tollgate/ca.pem). Without --ca-file the webhook
is left out: apply the rest, fetch ca.pem, render again with it.

  --image REF         the tollgate image (tollgate and tollgated, a POSIX sh),
                      best pinned by digest
  --namespace NS      default tollgate-system
  --service NAME      default tollgate; the server's DNS names are
                      NAME.NS.svc and NAME.NS.svc.cluster.local
  --trust-domain TD   the SPIFFE trust domain made on first start
                      (default tollgate.internal)
  --ca-file PEM       the deployment's ca.pem, for caBundle
  --client-name NAME  an allowed subject CN or DNS SAN of the API server's
                      client certificate (repeatable; default: any
                      certificate of the CA in the Secret
                      tollgate-admission-client-ca, key ca.pem)
  --client-auth none  the API server presents no client certificate: leave
                      /v1/admission open (admission_allow_unauthenticated)
  --out DIR           write DIR/<file>.yaml instead of printing
USAGE
}
die() {
	echo "render.sh: $*" >&2
	exit 2
}
here=$(cd "$(dirname "$0")" && pwd)
image='' ns=tollgate-system svc=tollgate td=tollgate.internal ca='' out='' names='' auth=cert
while [ $# -gt 0 ]; do
	case $1 in
	--image | --namespace | --service | --trust-domain | --ca-file | --client-name | --client-auth | --out)
		[ $# -ge 2 ] || die "$1 needs a value"
		case $1 in
		--image) image=$2 ;;
		--namespace) ns=$2 ;;
		--service) svc=$2 ;;
		--trust-domain) td=$2 ;;
		--ca-file) ca=$2 ;;
		--client-name) names="$names${names:+, }\"$2\"" ;;
		--client-auth) auth=$2 ;;
		--out) out=$2 ;;
		esac
		shift 2
		;;
	-h | --help)
		usage
		exit 0
		;;
	*)
		usage >&2
		die "unknown argument '$1'"
		;;
	esac
done
[ -n "$image" ] || die "--image is required"
# every value goes into YAML and JSON as it is: only safe characters
label='^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$'
printf '%s' "$ns" | grep -Eq "$label" || die "--namespace '$ns' is not a DNS label"
printf '%s' "$svc" | grep -Eq "$label" || die "--service '$svc' is not a DNS label"
printf '%s' "$td" | grep -Eq '^[a-z0-9]([-a-z0-9.]{0,250}[a-z0-9])?$' ||
	die "--trust-domain '$td' is not a trust domain name"
printf '%s' "$image" | grep -Eq '^[A-Za-z0-9][A-Za-z0-9./:@_-]{0,510}$' ||
	die "--image '$image' is not an image reference"
[ -z "$names" ] || printf '%s' "$names" | grep -Eq '^("[A-Za-z0-9.:@_-]{1,255}"(, )?)*$' ||
	die "a --client-name has characters other than A-Z a-z 0-9 . : @ _ -"
case $auth in
cert | none) ;;
*) die "--client-auth takes only 'none'" ;;
esac
[ "$auth" = none ] && [ -n "$names" ] && die "--client-name needs client-certificate authentication"
bundle=
if [ -n "$ca" ]; then
	[ -r "$ca" ] || die "cannot read --ca-file '$ca'"
	openssl x509 -in "$ca" -noout 2>/dev/null || die "--ca-file '$ca' is not a PEM certificate"
	bundle=$(base64 <"$ca" | tr -d '\n')
fi
if [ "$auth" = none ]; then
	authline='"admission_allow_unauthenticated": true,'
elif [ -n "$names" ]; then
	authline="\"admission_client_ca\": \"/etc/tollgate-client-ca/ca.pem\", \"admission_client_names\": [$names],"
else
	authline='"admission_client_ca": "/etc/tollgate-client-ca/ca.pem",'
fi
render() {
	sed -e "s|__NAMESPACE__|$ns|g" -e "s|__SERVICE__|$svc|g" -e "s|__IMAGE__|$image|g" \
		-e "s|__TRUST_DOMAIN__|$td|g" -e "s|__CA_BUNDLE__|$bundle|g" \
		-e "s|\"admission_client_ca\": \"/etc/tollgate-client-ca/ca.pem\",|$authline|" \
		"$here/$1.yaml"
}
files="namespace serviceaccount configmap pvc deployment service"
[ -n "$bundle" ] && files="$files webhook"
[ -n "$bundle" ] || echo "render.sh: no --ca-file: the ValidatingWebhookConfiguration is left out" >&2
if [ -n "$out" ]; then
	mkdir -p "$out"
	for f in $files; do
		render "$f" >"$out/$f.yaml"
	done
else
	first=1
	for f in $files; do
		[ "$first" = 1 ] || echo ---
		first=0
		render "$f"
	done
fi
