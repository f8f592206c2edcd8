#!/usr/bin/env bash
# Makes a kit's yum repository inside the SDK container, without network. twoliter runs it as root with:
#   /twoliter/repo  the kit's repository: Packages/<package>/*.rpm, gathered on the host; repodata/ goes
#                   next to them, and the whole directory is owned by HOST_UID:HOST_GID afterwards
# and ARCH, REVISION (the build's commit time, seconds since the epoch), HOST_UID, HOST_GID in the
# environment. Every RPM must then be listed by dnf repoquery, as rpm2kit of the Rust twoliter checks.
set -euo pipefail
: "${ARCH:?}" "${REVISION:?}" "${HOST_UID:?}" "${HOST_GID:?}"

repo=/twoliter/repo
cd "$repo"

# A fixed revision and timestamps make the same RPMs give the same repodata, byte for byte.
echo "twoliter: createrepo_c ($ARCH)"
createrepo_c --revision "$REVISION" --set-timestamp-to-revision "$repo"

echo "twoliter: dnf repoquery ($ARCH)"
find Packages -type f -name '*.rpm' | LC_ALL=C sort >/tmp/expected
dnf repoquery -q --releasever 0 --disablerepo '*' --repofrompath "kit,$repo" --enablerepo kit \
  --forcearch "$ARCH" --qf '%{location}' | LC_ALL=C sort -u >/tmp/listed
missing=$(LC_ALL=C comm -23 /tmp/expected /tmp/listed)
if [ -n "$missing" ]; then
  echo "twoliter: dnf repoquery does not list these RPMs of the kit's repository, so dnf could not install them:" >&2
  sed 's/^/    /' <<<"$missing" >&2
  exit 1
fi
echo "twoliter: the repository lists all $(wc -l </tmp/expected) RPMs"

chown -R "$HOST_UID:$HOST_GID" "$repo"
