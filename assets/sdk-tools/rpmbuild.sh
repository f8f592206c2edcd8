#!/usr/bin/env bash
# Builds one RPM package inside the SDK container, without network. twoliter runs it as root with:
#   /twoliter/input     the package directory: its spec, sources and patches (read-only)
#   /twoliter/external  the package's external files, fetched and verified on the host (read-only, optional)
#   /twoliter/deps/*    RPMs of the packages it is built against, a directory each (read-only, optional)
#   /twoliter/kits/*  yum repositories of kits it may take build dependencies from (read-only, optional)
#   /twoliter/output  where the built RPMs go, owned by HOST_UID:HOST_GID afterwards
# and PACKAGE, ARCH, DIST, HOST_UID, HOST_GID in the environment. Root installs the build dependencies;
# rpmbuild itself runs as the unprivileged builder user, as in the Bottlerocket SDK.
set -euo pipefail
: "${PACKAGE:?}" "${ARCH:?}" "${DIST:?}" "${HOST_UID:?}" "${HOST_GID:?}"

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
mkdir -p /tmp/deps-repo
if [ -d /twoliter/deps ]; then
  find /twoliter/deps -name '*.rpm' -size +0c ! -name '*-debuginfo-*' ! -name '*-debugsource-*' -exec cp -t /tmp/deps-repo {} +
fi
if compgen -G '/tmp/deps-repo/*.rpm' >/dev/null; then
  createrepo_c --quiet --no-database /tmp/deps-repo
  repos+=(--repofrompath "local,/tmp/deps-repo" --enablerepo local)
fi
for kit in /twoliter/kits/*/; do
  [ -d "$kit/repodata" ] || continue
  name=$(basename "$kit")
  repos+=(--repofrompath "$name,$kit" --enablerepo "$name")
done

if [ -n "$(rpmspec -q --buildrequires "$spec" 2>/dev/null)" ]; then
  echo "twoliter: installing build dependencies"
  dnf -y --quiet --disablerepo '*' "${repos[@]}" --nogpgcheck --forcearch "$ARCH" \
    --setopt=install_weak_deps=False builddep "$spec"
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
