#!/usr/bin/env bash
# GPG signatures of RPMs, inside the SDK container, as root and without network. Two modes:
#
#   rpm-sign.sh sign     signs every *.rpm under /sign/rpms (recursively) in place, then checks each one
#     /sign/key   read-only: key.asc (an armored secret key) or gnupg/ (what gpg needs of a GnuPG home:
#                 pubring.kbx or pubring.gpg, trustdb.gpg, private-keys-v1.d/), and, when the key has one,
#                 passphrase
#     /sign/rpms  read-write: the RPMs; each keeps its owner and mode
#     /sign/out   read-write: RPM-GPG-KEY (the armored public key) is written here, owned by HOST_UID:HOST_GID
#     env HOST_UID, HOST_GID; KEY_ID (optional): the fingerprint, key id or user id to sign with, needed
#     only when key.asc or gnupg/ holds several secret keys that can sign
#
#   rpm-sign.sh verify   checks every *.rpm under /sign/rpms against the public keys /sign/keys/*.asc
#     /sign/keys  read-only: armored public keys
#     /sign/rpms  read-only: the RPMs
#
# The keyring is a throwaway GNUPGHOME under /tmp (key.asc imported into it, or a copy of gnupg/, so the
# mounted files are never written) and the rpm database of the checks another one, so the
# image's own are never touched; the container is removed after the run. The passphrase is only ever
# handed to gpg as a file name (--passphrase-file), never on a command line, and nothing here prints it:
# there is no `set -x` and the output of gpg and rpmsign is kept in files and shown only on failure.
#
# Output on stdout, one record a line (paths relative to /sign/rpms, fields separated by a tab):
#   twoliter-fingerprint <fingerprint>           sign: the key that signed
#   twoliter-signed      <rpm>                   sign: one RPM signed
#   twoliter-verify      ok|bad <rpm> <reason>   verify: one RPM's result (sign checks its own too)
#   twoliter-error: <kind> <detail>              before a non-zero exit (a space after the kind)
# Other lines are progress for people. Exit codes: 0 done, 2 usage or the SDK lacks a tool, 10 key file
# missing, 11 not an OpenPGP key, 12 no secret key, 13 KEY_ID not found, 14 several keys and no KEY_ID,
# 15 wrong passphrase, 16 passphrase needed, 17 key unusable, 18 rpmsign failed, 19 a signed RPM did not
# verify, 20 no usable public key (verify).
set -euo pipefail
set +x
umask 077

mode=${1:-}
TAB=$'\t'

# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

tools=(gpg gpgconf rpmkeys find sort stat)
if [ "$mode" = sign ]; then tools+=(gpg-agent rpmsign); fi
for tool in "${tools[@]}"; do
  command -v "$tool" >/dev/null || error sdk-missing-tool 2 "$tool"
done

work=$(mktemp -d /tmp/twoliter-sign.XXXXXX)
chmod 0700 "$work"
export GNUPGHOME=$work/gnupg
mkdir -m 0700 "$GNUPGHOME"
echo allow-loopback-pinentry >"$GNUPGHOME/gpg-agent.conf"
rpmdb=$work/rpmdb
mkdir "$rpmdb"

cleanup() {
  gpgconf --kill gpg-agent >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

# The RPMs under /sign/rpms, NUL-separated, in a stable order.
list_rpms() {
  find /sign/rpms -type f -name '*.rpm' -print0 | LC_ALL=C sort -z
}

# Checks one RPM against the keys in $rpmdb and prints its twoliter-verify record; returns 1 when not OK.
# rpmkeys says "digests signatures OK" for a good signature, "digests OK" (and exits 0) for an RPM without
# any, and "... NOT OK" with details in -v for a missing key, a bad signature or a changed payload.
check_rpm() {
  local file=$1 rel=${1#/sign/rpms/} output summary details rc
  output=$(rpmkeys --dbpath "$rpmdb" --checksig -- "$file" 2>&1) && rc=0 || rc=$?
  summary=$(tail -n 1 <<<"$output")
  summary=${summary##*: }
  if [ "$rc" -eq 0 ] && [[ "$summary" == *"signatures OK"* ]]; then
    echo "twoliter-verify${TAB}ok${TAB}${rel}${TAB}${summary}"
    return 0
  fi
  if [ "$rc" -eq 0 ]; then
    echo "twoliter-verify${TAB}bad${TAB}${rel}${TAB}${summary}; no signature"
    return 1
  fi
  # The verbose lines that are not OK, without the legacy header+payload signatures rpmsign does not make.
  details=$(rpmkeys --dbpath "$rpmdb" --checksig -v -- "$file" 2>&1 | sed -n 's/^ *//; /: OK$/d; /^\(RSA\|DSA\) signature: NOTFOUND$/d; /^\//d; p' | paste -sd ';' - | sed 's/;/; /g') || true
  echo "twoliter-verify${TAB}bad${TAB}${rel}${TAB}${summary}${details:+; $details}"
  return 1
}

verify_mode() {
  local imported=0 failed=0 total=0 key file
  shopt -s nullglob
  for key in /sign/keys/*.asc; do
    if rpmkeys --dbpath "$rpmdb" --import "$key" >"$work/import.log" 2>&1; then
      imported=$((imported + 1))
    else
      echo "could not import ${key##*/} into the rpm database:"
      show_log "$work/import.log"
    fi
  done
  [ "$imported" -gt 0 ] || error no-public-key 20 "none of the public keys could be imported"
  while IFS= read -r -d '' file; do
    total=$((total + 1))
    check_rpm "$file" || failed=$((failed + 1))
  done < <(list_rpms)
  echo "checked $total RPMs: $((total - failed)) OK, $failed not OK"
}

# Prints the fingerprints of the secret keys that can sign, of KEY_ID only when it is set; a key whose
# primary part is only a stub counts when a signing subkey has its secret part.
signing_keys() {
  local -a which=()
  if [ -n "${KEY_ID:-}" ]; then which=(-- "$KEY_ID"); fi
  gpg --batch --with-colons --list-secret-keys "${which[@]}" 2>/dev/null | awk -F: '
    function flush() { if (fpr != "" && usable) print fpr }
    $1 == "sec" { flush(); fpr = ""; want = 1; usable = ($12 ~ /s/ && $15 != "#"); next }
    $1 == "ssb" { want = 0; if ($12 ~ /s/ && $15 != "#") usable = 1; next }
    $1 == "fpr" && want { fpr = $10; want = 0; next }
    END { flush() }'
}

sign_mode() {
  : "${HOST_UID:?}" "${HOST_GID:?}"
  local key=/sign/key/key.asc home=/sign/key/gnupg passphrase=/sign/key/passphrase fpr count file rel owner perms signed=0 failed=0
  if [ -d "$home" ]; then
    echo "using a copy of the signing keyring"
    cp -R -- "$home/." "$GNUPGHOME/" || error key-missing 10 "gnupg"
    chmod -R go-rwx "$GNUPGHOME"
    if ! gpg --batch --with-colons --list-keys >"$work/list.log" 2>&1 || ! grep -q '^pub' "$work/list.log"; then
      show_log "$work/list.log"
      error key-invalid 11 "the keyring holds no public key"
    fi
    if ! gpg --batch --with-colons --list-secret-keys 2>/dev/null | grep -q '^sec'; then
      error no-secret-key 12 "the keyring holds only public keys"
    fi
  else
    [ -f "$key" ] && [ -r "$key" ] || error key-missing 10 "key.asc"
    echo "importing the signing key"
    # A file with one bad block among good keys makes gpg exit non-zero: what counts is what it imported.
    gpg --batch --import "$key" >"$work/import.log" 2>&1 || true
    if ! gpg --batch --with-colons --list-keys 2>/dev/null | grep -q '^pub'; then
      show_log "$work/import.log"
      error key-invalid 11 "$(grep '^gpg: ' "$work/import.log" | grep -v -e 'keybox' -e 'Total number' -e 'directory' | head -n 1 | sed 's/^gpg: //' || true)"
    fi
    if ! gpg --batch --with-colons --list-secret-keys 2>/dev/null | grep -q '^sec'; then
      error no-secret-key 12 "the file holds only public keys"
    fi
  fi

  mapfile -t fprs < <(signing_keys)
  count=${#fprs[@]}
  if [ "$count" -eq 0 ]; then
    if [ -n "${KEY_ID:-}" ]; then error key-not-found 13 "$KEY_ID"; fi
    error no-secret-key 12 "no secret key in it can sign"
  fi
  [ "$count" -eq 1 ] || error key-ambiguous 14 "${fprs[*]}"
  fpr=${fprs[0]}
  echo "twoliter-fingerprint${TAB}${fpr}"

  # Options that hand gpg the passphrase: a file name, so the passphrase is on no command line.
  local -a pass=(--batch --pinentry-mode loopback)
  [ -f "$passphrase" ] && pass+=(--passphrase-file "$passphrase")

  # One signature of a few bytes tells a wrong or missing passphrase apart from rpmsign's other failures;
  # the agent keeps the unlocked key for rpmsign's gpg.
  if ! printf 'twoliter' | gpg "${pass[@]}" --local-user "$fpr" --detach-sign --output "$work/probe.sig" >"$work/probe.log" 2>&1; then
    if grep -q 'Bad passphrase' "$work/probe.log"; then
      error bad-passphrase 15 "$fpr"
    elif grep -q -e "can't get input" -e 'No passphrase given' -e 'No pinentry' "$work/probe.log"; then
      error passphrase-required 16 "$fpr"
    fi
    show_log "$work/probe.log"
    error key-unusable 17 "$(grep -m1 '^gpg: ' "$work/probe.log" | sed 's/^gpg: //' || true)"
  fi

  # Debian's rpm runs /usr/bin/gpg2 by default, which does not exist: name gpg explicitly.
  local -a macros=(
    --define "__gpg /usr/bin/gpg"
    --define "_gpg_path $GNUPGHOME"
    --define "_gpg_name $fpr"
    --define "_gpg_sign_cmd_extra_args ${pass[*]}"
  )

  gpg --batch --armor --export "$fpr" >"$work/RPM-GPG-KEY" 2>"$work/export.log"
  rpmkeys --dbpath "$rpmdb" --import "$work/RPM-GPG-KEY" >"$work/rpmimport.log" 2>&1 || {
    show_log "$work/rpmimport.log"
    error verify-failed 19 "rpmkeys could not import the public key"
  }

  while IFS= read -r -d '' file; do
    rel=${file#/sign/rpms/}
    owner=$(stat -c '%u:%g' -- "$file")
    perms=$(stat -c '%a' -- "$file")
    if ! rpmsign --addsign "${macros[@]}" -- "$file" </dev/null >"$work/rpmsign.log" 2>&1; then
      echo "rpmsign failed for $rel:"
      show_log "$work/rpmsign.log"
      error rpmsign-failed 18 "$rel"
    fi
    chown "$owner" -- "$file"
    chmod "$perms" -- "$file"
    echo "twoliter-signed${TAB}${rel}"
    signed=$((signed + 1))
  done < <(list_rpms)
  echo "signed $signed RPMs with $fpr"

  while IFS= read -r -d '' file; do
    check_rpm "$file" || { failed=$((failed + 1)); echo "twoliter-error: verify-failed ${file#/sign/rpms/}"; }
  done < <(list_rpms)
  [ "$failed" -eq 0 ] || exit 19
  echo "rpmkeys --checksig: all $signed signed RPMs OK"

  umask 022
  cp "$work/RPM-GPG-KEY" /sign/out/RPM-GPG-KEY
  chmod 0644 /sign/out/RPM-GPG-KEY
  chown "$HOST_UID:$HOST_GID" /sign/out/RPM-GPG-KEY
}

case "$mode" in
  sign) sign_mode ;;
  verify) verify_mode ;;
  *) error usage 2 "rpm-sign.sh sign|verify" ;;
esac
