#!/usr/bin/env bash
# sign.sh -- sign a certificate signing request (CSR) with your own small CA.
#
# The spirit of mod_ssl's old pkg.contrib/sign.sh, for OpenSSL 3: it wraps
# `openssl ca` with the minimal configuration in openssl-ca.cnf (kept next to
# this script), keeps a database of what it issued in ca.db/, signs with SHA-256,
# refuses RSA keys under 2048 bits, and always gives the certificate a
# subjectAltName (browsers ignore the CN): the CSR's own, the one you pass with
# -san, or DNS:<CN> (IP:<CN> for an address).
#
# usage: sign.sh [options] request.csr
#   -ca FILE      CA certificate                  (default: ca.crt)
#   -cakey FILE   CA private key                  (default: ca.key)
#   -days N       validity in days                (default: 365)
#   -san LIST     subjectAltName, e.g. DNS:www.example.com,DNS:example.com
#   -client       issue a client certificate (for SSLVerifyClient), not a server one
#   -out FILE     the new certificate             (default: request.crt)
#   -passin ARG   where the CA key's pass phrase comes from (openssl -passin syntax);
#                 without it openssl asks on the terminal
#
# example: ./sign.sh server.csr     -> server.crt, signed by ca.crt/ca.key
set -euo pipefail

die() { echo "sign.sh: $*" >&2; exit 1; }

ca_cert=ca.crt ca_key=ca.key days=365 san="" kind=server out="" csr=""
passin=()
while [ $# -gt 0 ]; do
    case "$1" in
        -ca) ca_cert=${2:?-ca needs a file}; shift 2 ;;
        -cakey) ca_key=${2:?-cakey needs a file}; shift 2 ;;
        -days) days=${2:?-days needs a number}; shift 2 ;;
        -san) san=${2:?-san needs a list}; shift 2 ;;
        -client) kind=client; shift ;;
        -out) out=${2:?-out needs a file}; shift 2 ;;
        -passin) passin=(-passin "${2:?-passin needs an argument}"); shift 2 ;;
        -h|-help|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        -*) die "unknown option $1 (try -help)" ;;
        *) [ -z "$csr" ] || die "only one CSR at a time"; csr=$1; shift ;;
    esac
done
[ -n "$csr" ] || die "usage: sign.sh [options] request.csr (try -help)"
[ -r "$csr" ] || die "cannot read $csr"
[ -r "$ca_cert" ] || die "cannot read the CA certificate $ca_cert"
[ -r "$ca_key" ] || die "cannot read the CA key $ca_key"
[ -z "$out" ] && out="${csr%.csr}.crt"
[ "$out" != "$csr" ] || out="$csr.crt"

# The config sits next to this script; fall back to the current directory.
config="$(dirname -- "$0")/openssl-ca.cnf"
[ -r "$config" ] || config=./openssl-ca.cnf
[ -r "$config" ] || die "openssl-ca.cnf not found next to sign.sh or in $(pwd)"

# 1. The request must be intact: its self-signature proves the requester holds the key.
openssl req -in "$csr" -noout -verify 2>/dev/null \
    || die "$csr is not a valid CSR (openssl req -verify failed)"

# 2. Key strength: what OpenSSL 3 accepts at its default security level 2.
#    Prints the key type and size, or fails.
key_check() {  # $1 = what, then the public key in PEM on stdin
    local text bits
    text=$(openssl pkey -pubin -noout -text) || die "cannot read the public key of $1"
    bits=$(sed -n 's/.*Public-Key: (\([0-9]*\) bit).*/\1/p' <<<"$text" | head -n 1)
    if grep -q '^Modulus:' <<<"$text"; then
        [ "${bits:-0}" -ge 2048 ] || die "$1 has a ${bits}-bit RSA key: at least 2048 bits are needed"
        echo "RSA $bits"
    elif grep -q 'ASN1 OID\|NIST CURVE' <<<"$text"; then
        [ "${bits:-0}" -ge 256 ] || die "$1 has a ${bits}-bit EC key: at least 256 bits are needed"
        echo "EC $bits"
    elif grep -q '^ED25519\|^ED448' <<<"$text"; then
        echo "EdDSA ${bits:-}"
    else
        die "$1 has a key type sign.sh does not sign for TLS (use RSA >= 2048 or EC P-256/P-384)"
    fi
}
read -r key_type key_bits < <(openssl req -in "$csr" -noout -pubkey | key_check "$csr")
openssl x509 -in "$ca_cert" -noout -pubkey | key_check "the CA certificate $ca_cert" >/dev/null

# 3. subjectAltName: from -san, else copied from the CSR, else made from the CN.
cn=$(openssl req -in "$csr" -noout -subject -nameopt RFC2253 | sed -n 's/^subject=.*CN=\([^,]*\).*/\1/p')
if [ -z "$san" ]; then
    # "DNS:a, DNS:b, IP Address:192.0.2.1" as printed -> "DNS:a,DNS:b,IP:192.0.2.1" as configured
    san=$(openssl req -in "$csr" -noout -text \
          | sed -n '/X509v3 Subject Alternative Name/{n;p;}' \
          | sed 's/^ *//; s/, /,/g; s/IP Address:/IP:/g')
fi
if [ -z "$san" ] && [ "$kind" = server ]; then
    [ -n "$cn" ] || die "$csr has neither a subjectAltName nor a CN; pass -san"
    if [[ "$cn" =~ ^[0-9.]+$ || "$cn" == *:* ]]; then san="IP:$cn"; else san="DNS:$cn"; fi
fi
extensions=${kind}_cert
[ "$kind" = client ] && [ -n "$san" ] && extensions=client_cert_san

if [ "$key_type" = RSA ]; then key_usage="digitalSignature, keyEncipherment"; else key_usage=digitalSignature; fi

# 4. The CA database: created on first use, kept next to the CA certificate.
ca_dir="$(dirname -- "$ca_cert")/ca.db"
mkdir -p "$ca_dir/certs"
[ -e "$ca_dir/index.txt" ] || : > "$ca_dir/index.txt"

echo "Signing $csr ($key_type $key_bits) for CN=${cn:-(none)} as a $kind certificate"
echo "  subjectAltName: ${san:-(none)}; valid $days days; SHA-256; issuer $ca_cert"
CA_DIR=$ca_dir CA_CERT=$ca_cert CA_KEY=$ca_key SAN=${san:-none} KEY_USAGE=$key_usage \
    openssl ca -batch -notext -config "$config" -extensions "$extensions" \
        -days "$days" -in "$csr" -out "$out" "${passin[@]}" 2>"$ca_dir/last.log" \
    || { cat "$ca_dir/last.log" >&2; die "openssl ca failed"; }

# 5. Check the result the way a client will.
openssl verify -CAfile "$ca_cert" "$out" >/dev/null || die "$out does not verify against $ca_cert"
echo "Wrote $out:"
openssl x509 -in "$out" -noout -subject -issuer -enddate -ext subjectAltName,extendedKeyUsage \
    | sed 's/^/  /'
