#!/usr/bin/env bash
# Makes a new GPG signing key pair inside the SDK container, as root and without network.
#   /keygen/secret  read-only, optional: passphrase (the new key is protected with it; without it the key
#                   has no passphrase)
#   /keygen/out     read-write: private.asc (the armored secret key, mode 0600) and public.asc are written
#                   here, owned by HOST_UID:HOST_GID; neither may exist yet
#   env KEY_NAME, KEY_EMAIL (the user id "KEY_NAME <KEY_EMAIL>"), KEY_ALGO (default rsa3072: every rpm
#   verifies RSA; ed25519 needs rpm 4.16 or later where the RPMs are checked), KEY_EXPIRE (default never),
#   HOST_UID, HOST_GID
# The keyring is a throwaway GNUPGHOME under /tmp; the passphrase reaches gpg only as a file name.
# Output: `twoliter-fingerprint <tab> <fingerprint>` and progress lines; on failure
# `twoliter-error: <kind> <detail>` and exit 2 (usage, a tool missing), 10 (key exists) or 11 (gpg failed).
set -euo pipefail
set +x
umask 077

# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

: "${KEY_NAME:?}" "${KEY_EMAIL:?}" "${HOST_UID:?}" "${HOST_GID:?}"
algo=${KEY_ALGO:-rsa3072}
expire=${KEY_EXPIRE:-never}
case "$algo" in
  rsa2048 | rsa3072 | rsa4096 | ed25519) ;;
  *) error usage 2 "unsupported KEY_ALGO $algo" ;;
esac
for tool in gpg gpg-agent gpgconf; do
  command -v "$tool" >/dev/null || error sdk-missing-tool 2 "$tool"
done
out=/keygen/out
for file in private.asc public.asc; do
  [ ! -e "$out/$file" ] || error key-exists 10 "$file"
done

work=$(mktemp -d /tmp/twoliter-keygen.XXXXXX)
chmod 0700 "$work"
export GNUPGHOME=$work/gnupg
mkdir -m 0700 "$GNUPGHOME"
echo allow-loopback-pinentry >"$GNUPGHOME/gpg-agent.conf"
cleanup() {
  gpgconf --kill gpg-agent >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

# Without a passphrase file the key gets none: an empty passphrase on the command line is no secret.
pass=(--batch --pinentry-mode loopback)
if [ -f /keygen/secret/passphrase ]; then
  pass+=(--passphrase-file /keygen/secret/passphrase)
else
  pass+=(--passphrase '')
fi

echo "generating a $algo signing key for $KEY_NAME <$KEY_EMAIL>"
if ! gpg "${pass[@]}" --quick-generate-key "$KEY_NAME <$KEY_EMAIL>" "$algo" sign "$expire" >"$work/gen.log" 2>&1; then
  show_log "$work/gen.log"
  error keygen-failed 11 "gpg --quick-generate-key failed"
fi
fpr=$(gpg --batch --with-colons --list-secret-keys 2>/dev/null | awk -F: '$1 == "fpr" { print $10; exit }')
[ -n "$fpr" ] || error keygen-failed 11 "gpg made no key"

if ! gpg "${pass[@]}" --armor --export-secret-keys "$fpr" >"$work/private.asc" 2>"$work/export.log" || [ ! -s "$work/private.asc" ]; then
  show_log "$work/export.log"
  error keygen-failed 11 "gpg --export-secret-keys failed"
fi
gpg --batch --armor --export "$fpr" >"$work/public.asc" 2>/dev/null

install -m 0600 -o "$HOST_UID" -g "$HOST_GID" "$work/private.asc" "$out/private.asc"
install -m 0644 -o "$HOST_UID" -g "$HOST_GID" "$work/public.asc" "$out/public.asc"
printf 'twoliter-fingerprint\t%s\n' "$fpr"
echo "wrote private.asc and public.asc"
