#!/usr/bin/env bash
# Installs a variant's root file system inside the SDK container, without network. twoliter runs it as
# root with:
#   /twoliter/repos/<id>  the composite repository's repos (read-only): yum repositories, or directories
#                         of RPMs that this script indexes itself
#   /twoliter/work        read-write, owned by HOST_UID:HOST_GID afterwards. twoliter puts there
#                         metadata.spec (the variant's metadata RPM) and repos.list (`<id> <priority>`
#                         per line, most preferred first); this script writes rootfs.tar (the installed
#                         root), packages.jsonl (one JSON object per installed RPM), install-time
#   /twoliter/keys/<id>/*.asc  the armored GPG public keys the RPMs of repo <id> must be signed with
#                         (read-only, optional): such a repo gets gpgcheck=1, the others gpgcheck=0
# and ARCH, PACKAGES (the included packages, without the bottlerocket- prefix), HOST_UID, HOST_GID in
# the environment. Exit codes: 3 the metadata RPM failed to build, 4 dnf could not resolve the packages,
# 5 rpm could not install them, 6 an RPM's signature was refused (dnf's gpgcheck, or the check below of
# each RPM against the keys of the repo it came from), anything else an unexpected failure.
set -euo pipefail
: "${ARCH:?}" "${PACKAGES?}" "${HOST_UID:?}" "${HOST_GID:?}"
# shellcheck source=repo-signatures.sh
source "$(dirname "$0")/repo-signatures.sh"

work=/twoliter/work
repos=/tmp/repos
rpms=/tmp/rpms
root=/tmp/root
mkdir -p "$repos" "$rpms" "$root" /tmp/empty /tmp/no-repos

# Nothing half-written is left in the work directory: outputs appear only when everything succeeded.
finish() {
  local status=$?
  if [ "$status" -ne 0 ]; then rm -f "$work"/rootfs.tar* "$work"/packages.jsonl* "$work/install-time"; fi
  chown -R "$HOST_UID:$HOST_GID" "$work" 2>/dev/null || true
  exit "$status"
}
trap finish EXIT

macros="/usr/lib/rpm/platform/$ARCH-bottlerocket/macros"
[ -f "$macros" ] || { echo "the SDK has no RPM macros for $ARCH ($macros)" >&2; exit 1; }

echo "twoliter: building the metadata RPM"
home=/home/builder
topdir=/tmp/metadata-build
install -d -o builder -g builder "$topdir" "$topdir/SPECS"
install -o builder -g builder -m 0644 "$macros" "$home/.rpmmacros"
install -o builder -g builder -m 0644 "$work/metadata.spec" "$topdir/SPECS/metadata.spec"
if ! runuser -u builder -- rpmbuild -bb --clean --quiet \
  --undefine _auto_set_build_flags \
  --define "_topdir $topdir" \
  --define "_target_cpu $ARCH" \
  "$topdir/SPECS/metadata.spec"; then
  exit 3
fi
mkdir -p "$repos/metadata"
find "$topdir/RPMS" -name '*.rpm' -exec cp -t "$repos/metadata" {} +
rpm -qp --provides "$repos/metadata"/*.rpm

echo "twoliter: composite repository"
conf=/tmp/dnf.conf
cat >"$conf" <<EOF
[main]
gpgcheck=0
reposdir=/tmp/no-repos
cachedir=/tmp/dnf-cache
keepcache=0
skip_if_unavailable=False
EOF
add_repo() { # id priority dir
  cat >>"$conf" <<EOF

[$1]
name=$1
baseurl=file://$3
priority=$2
enabled=1
$(repo_gpg_settings "$1")
repo_gpgcheck=0
module_hotfixes=1
skip_if_unavailable=False
EOF
  echo "$1 $3" >>/tmp/repo-dirs
}
createrepo_c --quiet --no-database "$repos/metadata"
: >/tmp/repo-dirs
add_repo metadata 1 "$repos/metadata"
while read -r id priority; do
  [ -n "$id" ] || continue
  dir="/twoliter/repos/$id"
  if [ -f "$dir/repodata/repomd.xml" ]; then
    add_repo "$id" "$priority" "$dir"
  else
    # A directory of RPMs (the project's packages): index links to them, since the mount is read-only.
    mkdir -p "$repos/$id"
    find -L "$dir" -type f -name '*.rpm' -size +0c -exec ln -s -t "$repos/$id" {} +
    createrepo_c --quiet --no-database "$repos/$id"
    add_repo "$id" "$priority" "$repos/$id"
  fi
  if compgen -G "/twoliter/keys/$id/*.asc" >/dev/null; then
    echo "    $id (priority $priority, gpgcheck against $(find "/twoliter/keys/$id" -name '*.asc' | wc -l) key(s))"
  else
    echo "    $id (priority $priority)"
  fi
done <"$work/repos.list"

requested=(bottlerocket-metadata)
for package in $PACKAGES; do requested+=("bottlerocket-$package"); done
echo "twoliter: dnf install ${requested[*]}"
# -y imports the repos' keys (gpgkey) into the rpm database of the empty install root, never the image's.
if ! dnf -y --noplugins -c "$conf" --releasever 0 --installroot /tmp/empty --forcearch "$ARCH" \
  --setopt=install_weak_deps=True \
  --downloadonly --downloaddir "$rpms" \
  install "${requested[@]}" 2>&1 | tee /tmp/dnf.log; then
  if grep -q 'GPG check FAILED' /tmp/dnf.log; then exit 6; fi
  exit 4
fi

echo "twoliter: checking the signatures of the RPMs against the keys of their repos"
if ! check_repo_signatures "$rpms" /tmp/repo-dirs; then exit 6; fi

echo "twoliter: rpm -i"
install_time="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
if ! rpm -iv --ignorearch --root "$root" "$rpms"/*.rpm; then
  exit 5
fi

echo "twoliter: describing the installed RPMs"
# The repo of each downloaded RPM is the most preferred repo holding a file of the same name and the
# same content; dnf itself took it from the most preferred repo that offers the package.
python3 - "$rpms" /tmp/repo-dirs >"$work/packages.jsonl.tmp" <<'PY'
import hashlib, json, os, sys
import rpm

rpms_dir, repo_list = sys.argv[1], sys.argv[2]
repos = [line.split(' ', 1) for line in open(repo_list).read().splitlines() if line]
files = sorted(f for f in os.listdir(rpms_dir) if f.endswith('.rpm'))
wanted = set(files)

def sha256(path):
    digest = hashlib.sha256()
    with open(path, 'rb') as stream:
        for block in iter(lambda: stream.read(1 << 20), b''):
            digest.update(block)
    return digest.hexdigest()

located = {}
for repo_id, repo_dir in repos:
    for parent, _, names in os.walk(repo_dir, followlinks=True):
        for name in names:
            if name in wanted:
                located.setdefault(name, []).append((repo_id, os.path.join(parent, name)))

ts = rpm.TransactionSet()
ts.setVSFlags(rpm._RPMVSF_NOSIGNATURES | rpm._RPMVSF_NODIGESTS)

def text(value):
    if value is None:
        return None
    return value.decode('utf-8', 'replace') if isinstance(value, bytes) else str(value)

def texts(values):
    return [text(v) for v in (values or [])]

for name in files:
    path = os.path.join(rpms_dir, name)
    digest = sha256(path)
    repo = next((r for r, candidate in located.get(name, []) if sha256(candidate) == digest), None)
    with open(path, 'rb') as stream:
        header = ts.hdrFromFdno(stream.fileno())
    flags = header[rpm.RPMTAG_FILEFLAGS] or []
    filenames = texts(header[rpm.RPMTAG_FILENAMES])
    epoch = header[rpm.RPMTAG_EPOCH]
    print(json.dumps({
        'file': name,
        'repo': repo,
        'name': text(header[rpm.RPMTAG_NAME]),
        'epoch': None if epoch is None else str(epoch),
        'version': text(header[rpm.RPMTAG_VERSION]),
        'release': text(header[rpm.RPMTAG_RELEASE]),
        'arch': text(header[rpm.RPMTAG_ARCH]),
        'license': text(header[rpm.RPMTAG_LICENSE]),
        'summary': text(header[rpm.RPMTAG_SUMMARY]),
        'url': text(header[rpm.RPMTAG_URL]),
        'vendor': text(header[rpm.RPMTAG_VENDOR]),
        'group': text(header[rpm.RPMTAG_GROUP]),
        'requires': texts(header[rpm.RPMTAG_REQUIRENEVRS]),
        'recommends': texts(header[rpm.RPMTAG_RECOMMENDNEVRS]),
        'provides': texts(header[rpm.RPMTAG_PROVIDENEVRS]),
        'licenseFiles': [f for f, flag in zip(filenames, flags) if flag & rpm.RPMFILE_LICENSE],
    }, sort_keys=True))
PY

echo "twoliter: archiving the root"
tar --numeric-owner --xattrs --sort=name -C "$root" -cf "$work/rootfs.tar.tmp" .
echo "$install_time" >"$work/install-time"
mv "$work/packages.jsonl.tmp" "$work/packages.jsonl"
mv "$work/rootfs.tar.tmp" "$work/rootfs.tar"
echo "twoliter: installed $(wc -l <"$work/packages.jsonl") RPMs"
