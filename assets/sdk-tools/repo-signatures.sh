# Sourced by variant-install.sh and rpmbuild.sh. dnf's gpgcheck checks every RPM against all the keys it
# imported, whichever repo listed them; check_repo_signatures checks each RPM again against the keys of
# its own repo only, in a keyring of their own.
#   check_repo_signatures <dir of RPMs> <file of "<repo id> <repo dir>" lines, most preferred first>
# An RPM's repo is the most preferred one holding a file of the same name and content; a repo's keys are
# /twoliter/keys/<repo id>/*.asc, and a repo without keys is not checked. Prints
# `twoliter: signature refused: <repo> <rpm>: <reason>` for each refused RPM; returns 1 if any was.
check_repo_signatures() {
  local rpms=$1 repo_dirs=$2 refused=0 rpm name repo id dir candidate keyring result status
  for rpm in "$rpms"/*.rpm; do
    [ -f "$rpm" ] || continue
    name=$(basename "$rpm")
    repo=""
    while read -r id dir; do
      candidate=$(find -L "$dir" -type f -name "$name" -print -quit)
      if [ -n "$candidate" ] && cmp -s "$candidate" "$rpm"; then repo=$id; break; fi
    done <"$repo_dirs"
    [ -n "$repo" ] && compgen -G "/twoliter/keys/$repo/*.asc" >/dev/null || continue
    keyring="/tmp/keyrings/$repo"
    if [ ! -d "$keyring" ]; then
      mkdir -p "$keyring"
      rpmkeys --dbpath "$keyring" --import "/twoliter/keys/$repo"/*.asc
    fi
    result=$(rpmkeys --dbpath "$keyring" -Kv "$rpm" 2>&1) && status=0 || status=$?
    if grep -q 'NOKEY' <<<"$result"; then
      echo "twoliter: signature refused: $repo $name: it is signed with the $(grep -o 'key ID [0-9a-f]*' <<<"$result" | head -n 1), which is not among the keys of its repository"
      refused=1
    elif [ "$status" -ne 0 ] || grep -Eq 'NOT OK|BAD' <<<"$result"; then
      echo "twoliter: signature refused: $repo $name: it does not verify, so it was changed after signing ($(grep -E 'NOT OK|BAD' <<<"$result" | sed 's/^ *//' | paste -sd ';' -))"
      refused=1
    elif ! grep -Eq 'Signature, key ID [0-9a-f]+: OK' <<<"$result"; then
      echo "twoliter: signature refused: $repo $name: it is not signed"
      refused=1
    fi
  done
  return "$refused"
}

# The dnf options of a repo: gpgcheck against its keys when it has some, else none.
#   repo_gpg_settings <repo id>  → prints `gpgcheck=1\ngpgkey=file://... file://...` or `gpgcheck=0`
repo_gpg_settings() {
  local key gpgkey=""
  if compgen -G "/twoliter/keys/$1/*.asc" >/dev/null; then
    for key in "/twoliter/keys/$1"/*.asc; do gpgkey+="${gpgkey:+ }file://$key"; done
    printf 'gpgcheck=1\ngpgkey=%s\n' "$gpgkey"
  else
    printf 'gpgcheck=0\n'
  fi
}
