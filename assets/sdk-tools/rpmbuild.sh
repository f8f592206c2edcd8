#!/usr/bin/env bash
# Builds one RPM package inside the SDK container, without network. twoliter runs it as root with:
#   /twoliter/input     the package directory: its spec, sources and patches (read-only)
#   /twoliter/external  the package's external files, fetched and verified on the host (read-only, optional)
#   /twoliter/deps/*    RPMs of the packages it is built against, a directory each (read-only, optional)
#   /twoliter/kits/*  yum repositories of kits it may take build dependencies from (read-only, optional)
#   /twoliter/output  where the built RPMs go, owned by HOST_UID:HOST_GID afterwards
#   /twoliter/keys/<id>/*.asc  the armored GPG public keys the RPMs of repo <id> (`local` for /twoliter/deps,
#                     else a kit's directory name) must be signed with (read-only, optional); the
#                     other repos are not checked
# and PACKAGE, ARCH, DIST, HOST_UID, HOST_GID in the environment. Root installs the build dependencies;
# rpmbuild itself runs as the unprivileged builder user, as in the Bottlerocket SDK. Exit code 6: the
# signature of a build dependency was refused.
set -euo pipefail
: "${PACKAGE:?}" "${ARCH:?}" "${DIST:?}" "${HOST_UID:?}" "${HOST_GID:?}"
# shellcheck source=repo-signatures.sh
source "$(dirname "$0")/repo-signatures.sh"

home=/home/builder
topdir="$home/rpmbuild"
spec="$topdir/SPECS/$PACKAGE.spec"

macros="/usr/lib/rpm/platform/$ARCH-bottlerocket/macros"
[ -f "$macros" ] || { echo "the SDK has no RPM macros for $ARCH ($macros)" >&2; exit 1; }
install -o builder -g builder -m 0644 "$macros" "$home/.rpmmacros"
# dnf and rpm run as root below and must expand the same %_cross_* macros.
cp "$macros" /etc/rpm/macros

install -o builder -g builder -m 0644 "/twoliter/input/$PACKAGE.spec" "$spec"
for dir in /twoliter/input /twoliter/external; do
  [ -d "$dir" ] || continue
  find -L "$dir" -mindepth 1 -maxdepth 1 -type f ! -name '.*' ! -name "$PACKAGE.spec" \
    -exec install -o builder -g builder -m 0644 -t "$topdir/SOURCES" {} +
done

repos=()
: >/tmp/repo-dirs
add_repo() { # id dir
  repos+=(--repofrompath "$1,$2" --enablerepo "$1")
  while IFS='=' read -r option value; do repos+=("--setopt=$1.$option=$value"); done < <(repo_gpg_settings "$1")
  echo "$1 $2" >>/tmp/repo-dirs
}
mkdir -p /tmp/deps-repo
if [ -d /twoliter/deps ]; then
  find /twoliter/deps -name '*.rpm' -size +0c ! -name '*-debuginfo-*' ! -name '*-debugsource-*' -exec cp -t /tmp/deps-repo {} +
fi
if compgen -G '/tmp/deps-repo/*.rpm' >/dev/null; then
  createrepo_c --quiet --no-database /tmp/deps-repo
  add_repo local /tmp/deps-repo
fi
for kit in /twoliter/kits/*/; do
  [ -d "$kit/repodata" ] || continue
  add_repo "$(basename "$kit")" "$kit"
done

if [ -n "$(rpmspec -q --buildrequires "$spec" 2>/dev/null)" ]; then
  echo "twoliter: installing build dependencies"
  # Downloaded first, so that each RPM is checked against the keys of its own repo before dnf installs
  # them (dnf's gpgcheck, with -y importing the keys, checks against the keys of every repo).
  dnf=(dnf -y --quiet --disablerepo '*' "${repos[@]}" --forcearch "$ARCH" --setopt=install_weak_deps=False)
  mkdir -p /tmp/builddeps
  if ! "${dnf[@]}" --downloadonly --downloaddir /tmp/builddeps builddep "$spec" 2>&1 | tee /tmp/dnf.log; then
    if grep -q 'GPG check FAILED' /tmp/dnf.log; then exit 6; fi
    exit 1
  fi
  if ! check_repo_signatures /tmp/builddeps /tmp/repo-dirs; then exit 6; fi
  "${dnf[@]}" builddep "$spec"
fi

echo "twoliter: rpmbuild $PACKAGE ($ARCH, dist $DIST)"
runuser -u builder -- rpmbuild -bb --clean \
  --undefine _auto_set_build_flags \
  --define "_topdir $topdir" \
  --define "_target_cpu $ARCH" \
  --define "dist $DIST" \
  "$spec"

find "$topdir/RPMS" -name '*.rpm' -exec cp -t /twoliter/output {} +
chown -R "$HOST_UID:$HOST_GID" /twoliter/output
