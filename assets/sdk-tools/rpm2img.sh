#!/usr/bin/env bash
# Turns a variant's installed root file system into its disk images inside the SDK container, without
# network, as rpm2img of the Rust twoliter does after `rpm -i --root`. twoliter runs it as root with:
#   /twoliter/rootfs.tar  the installed root (read-only); /boot holds the kernel and boot files
#   /twoliter/inventory.json  application-inventory.json (optional), installed into the root
#   /twoliter/out         where the images go, each written under a temporary name and then renamed,
#                         owned by HOST_UID:HOST_GID
# and in the environment (twoliter computes the partition plan and the file names):
#   VARIANT ARCH VERSION_ID BUILD_ID PRETTY_NAME OUTPUT_FMT (raw|qcow2|vmdk) KERNEL_PARAMETERS
#   GRUB_SET_PRIVATE_VAR XFS_DATA_PARTITION EROFS_ROOT_PARTITION UEFI_SECURE_BOOT (yes|no)
#   OS_DISK_MIB, OS_SGDISK_ARGS (sgdisk arguments, one a line); DATA_DISK_MIB (0 without a data disk),
#   DATA_SGDISK_ARGS
#   PART_BOOT PART_ROOT PART_HASH PART_PRIVATE PART_DATA as <offset MiB>:<size MiB> of bank A's partitions,
#   PART_EFI and PART_BIOS likewise or empty, DATA_DISK (os|data): the disk PART_DATA is on
#   OS_IMAGE_FILE DATA_IMAGE_FILE BOOT_IMAGE_FILE ROOT_IMAGE_FILE VERITY_IMAGE_FILE: output names
#   HOST_UID HOST_GID
# Results are stdout lines `twoliter-result: <key> <value>`; a failure twoliter can explain is a line
# `twoliter-error: <kind> ...` followed by exit code 3.
set -euo pipefail
shopt -s nullglob dotglob
: "${VARIANT:?}" "${ARCH:?}" "${VERSION_ID:?}" "${BUILD_ID:?}" "${PRETTY_NAME:?}" "${OUTPUT_FMT:?}"
: "${OS_DISK_MIB:?}" "${OS_SGDISK_ARGS:?}" "${DATA_DISK_MIB:?}" "${DATA_DISK:?}"
: "${PART_BOOT:?}" "${PART_ROOT:?}" "${PART_HASH:?}" "${PART_PRIVATE:?}" "${PART_DATA:?}"
: "${OS_IMAGE_FILE:?}" "${BOOT_IMAGE_FILE:?}" "${ROOT_IMAGE_FILE:?}" "${VERITY_IMAGE_FILE:?}"
: "${HOST_UID:?}" "${HOST_GID:?}"
KERNEL_PARAMETERS="${KERNEL_PARAMETERS:-}"
GRUB_SET_PRIVATE_VAR="${GRUB_SET_PRIVATE_VAR:-no}"
XFS_DATA_PARTITION="${XFS_DATA_PARTITION:-no}"
EROFS_ROOT_PARTITION="${EROFS_ROOT_PARTITION:-no}"
PART_EFI="${PART_EFI:-}"
PART_BIOS="${PART_BIOS:-}"
DATA_SGDISK_ARGS="${DATA_SGDISK_ARGS:-}"
DATA_IMAGE_FILE="${DATA_IMAGE_FILE:-}"

case "$OUTPUT_FMT" in
  raw | qcow2 | vmdk) ;;
  *) echo "unexpected image output format '$OUTPUT_FMT'" >&2; exit 1 ;;
esac

OUT=/twoliter/out
WORK=/tmp/rpm2img
ROOT="$WORK/root"
BOOT="$WORK/boot"
EFI="$WORK/efi"
PRIVATE="$WORK/private"
OS_IMAGE="$WORK/os.img"
DATA_IMAGE="$WORK/data.img"
ROOT_IMAGE="$WORK/root.img"
VERITY_IMAGE="$WORK/root.verity"
BOOT_IMAGE="$WORK/boot.ext4"
EFI_IMAGE="$WORK/efi.vfat"
PRIVATE_IMAGE="$WORK/private.ext4"
DATA_FS="$WORK/data.ext4"
BOOTCONFIG_INPUT="$WORK/bootconfig.in"
mkdir -p "$ROOT" "$BOOT" "$EFI" "$PRIVATE"

VERITY_VERSION=1
VERITY_HASH_ALGORITHM=sha256
VERITY_DATA_BLOCK_SIZE=4096
VERITY_HASH_BLOCK_SIZE=4096
# 4 MiB stripes of 4 KiB ext4 blocks: Bottlerocket boots faster from EBS with them.
ROOT_STRIDE=1024
ROOT_STRIPE_WIDTH=1024

offset_of() { echo "${1%%:*}"; }
size_of() { echo "${1##*:}"; }
mib_of_bytes() { echo $((($1 + 1048575) / 1048576)); }

explained_failure() {
  echo "twoliter-error: $*"
  exit 3
}

# Writes a file system image into its partition; zero blocks are skipped, the disk file is sparse and
# its partitions start zeroed.
write_partition() {
  local image=$1 disk=$2 offset_mib=$3
  dd if="$image" of="$disk" bs=1M seek="$offset_mib" conv=notrunc,sparse status=none
}

# Resolves a path inside the root as the booted system sees it: symbolic links, absolute ones too, stay
# inside the root.
in_root() {
  local rel=${1#/} resolved="" part target hops=0
  local -a parts more
  IFS=/ read -ra parts <<<"$rel"
  while ((${#parts[@]} > 0)); do
    part=${parts[0]}
    parts=("${parts[@]:1}")
    case "$part" in
      '' | .) continue ;;
      ..) resolved=${resolved%/*}; continue ;;
    esac
    if [ -L "$ROOT$resolved/$part" ]; then
      hops=$((hops + 1))
      if ((hops > 40)); then echo "too many symbolic links below /$rel in the root" >&2; return 1; fi
      target=$(readlink "$ROOT$resolved/$part")
      [[ "$target" == /* ]] && resolved=""
      IFS=/ read -ra more <<<"${target#/}"
      parts=("${more[@]}" "${parts[@]}")
    else
      resolved="$resolved/$part"
    fi
  done
  printf '%s%s\n' "$ROOT" "$resolved"
}

# mkfs.ext4 -d, reporting a tree that does not fit as such rather than as mke2fs' own words.
mkfs_ext4_from() {
  local role=$1 need_mib=$2 part_mib=$3
  shift 3
  local output
  if ! output=$(mkfs.ext4 -q "$@" 2>&1); then
    printf '%s\n' "$output" >&2
    if grep -Eqi 'could not allocate|no space left|not enough space|too small|too many inodes' <<<"$output"; then
      explained_failure too-big "$role" "$need_mib" "$part_mib"
    fi
    exit 1
  fi
  [ -z "$output" ] || printf '%s\n' "$output"
}

if [ "${UEFI_SECURE_BOOT:-no}" == yes ]; then
  echo "twoliter: warning: uefi-secure-boot is on, but this build does not sign shim, grub, the kernel or grub.cfg" >&2
fi

echo "twoliter: extracting the root file system"
tar --numeric-owner --xattrs --xattrs-include='security.capability' -xpf /twoliter/rootfs.tar -C "$ROOT"
# As the reference: the RPM database stays out of the image, the inventory describes what is installed.
rm -rf "$ROOT/var/lib"
if [ -f /twoliter/inventory.json ]; then
  install -D -m 0644 /twoliter/inventory.json "$ROOT/usr/share/bottlerocket/application-inventory.json"
fi

echo "twoliter: partitioning the disk image(s)"
truncate -s "${OS_DISK_MIB}M" "$OS_IMAGE"
mapfile -t os_args <<<"$OS_SGDISK_ARGS"
# sgdisk syncs and sleeps a second after writing any disk, even a file: both disks at once.
sgdisk "${os_args[@]}" "$OS_IMAGE" &
os_sgdisk=$!
if ((DATA_DISK_MIB > 0)); then
  truncate -s "${DATA_DISK_MIB}M" "$DATA_IMAGE"
  mapfile -t data_args <<<"$DATA_SGDISK_ARGS"
  sgdisk "${data_args[@]}" "$DATA_IMAGE"
fi
wait "$os_sgdisk"

# MBR and BIOS-BOOT: the root's own grub-bios-setup, as the reference runs it; only x86_64 roots with grub.
grub_bios_setup=$(in_root /sbin/grub-bios-setup)
if [ "$ARCH" == x86_64 ] && [ -n "$PART_BIOS" ] && [ -x "$grub_bios_setup" ] && [ "$(uname -m)" == x86_64 ]; then
  echo "twoliter: grub-bios-setup"
  echo "(hd0) $OS_IMAGE" >"$ROOT/boot/grub/device.map"
  "$grub_bios_setup" --directory="$ROOT/boot/grub" --device-map="$ROOT/boot/grub/device.map" \
    --root=hd0 --skip-fs-probe "$OS_IMAGE"
  rm -vf "$ROOT"/boot/grub/* "$ROOT"/sbin/grub*
fi

# EFI-SYSTEM: the EFI binaries grub's package put in /boot/efi/EFI/BOOT.
if [ -d "$ROOT/boot/efi" ]; then
  efi_entries=("$ROOT/boot/efi"/*)
  ((${#efi_entries[@]} == 0)) || mv "${efi_entries[@]}" "$EFI"/
  rmdir "$ROOT/boot/efi"
fi
efi_binaries=("$EFI"/EFI/BOOT/*.efi)
if [ -n "$PART_EFI" ] && ((${#efi_binaries[@]} > 0)); then
  echo "twoliter: EFI system partition"
  efi_mib=$(size_of "$PART_EFI")
  truncate -s "${efi_mib}M" "$EFI_IMAGE"
  mkfs.vfat -I -S 512 "$EFI_IMAGE" $((efi_mib * 1024)) >/dev/null
  mmd -i "$EFI_IMAGE" ::/EFI
  mmd -i "$EFI_IMAGE" ::/EFI/BOOT
  efi_need=$(du -s -B1M -c "${efi_binaries[@]}" | tail -n1 | cut -f1)
  mcopy -i "$EFI_IMAGE" "${efi_binaries[@]}" ::/EFI/BOOT || explained_failure too-big efi "$efi_need" "$efi_mib"
  write_partition "$EFI_IMAGE" "$OS_IMAGE" "$(offset_of "$PART_EFI")"
elif [ -n "$PART_EFI" ]; then
  echo "twoliter: the root has no EFI binaries in /boot/efi/EFI/BOOT; the EFI system partition stays empty"
fi

mkdir -p "$ROOT/boot/grub"
mv "$ROOT/boot"/* "$BOOT"/

if [ -f "$BOOT/vmlinuz" ]; then
  # The FIPS HMAC of the kernel, which the kernel checks in FIPS mode.
  if command -v openssl >/dev/null; then
    openssl sha512 -hmac FIPS-FTW-RHT2009 -hex "$BOOT/vmlinuz" | awk '{ print $2 "  vmlinuz" }' >"$BOOT/.vmlinuz.hmac"
  else
    python3 -c 'import hashlib, hmac, sys; print(hmac.new(b"FIPS-FTW-RHT2009", open(sys.argv[1], "rb").read(), hashlib.sha512).hexdigest() + "  vmlinuz")' \
      "$BOOT/vmlinuz" >"$BOOT/.vmlinuz.hmac"
  fi
else
  echo "twoliter: warning: the root has no /boot/vmlinuz, so the image has no kernel to boot" >&2
fi

echo "twoliter: os-release"
# Bottlerocket roots keep /usr in the cross sys-root, where the reference writes.
SYS_ROOT=""
[ -d "$ROOT/$ARCH-bottlerocket-linux-gnu/sys-root" ] && SYS_ROOT="/$ARCH-bottlerocket-linux-gnu/sys-root"
os_release=$(in_root "$SYS_ROOT/usr/lib/os-release")
mkdir -p "$(dirname "$os_release")"
VERSION="$VERSION_ID ($VARIANT)"
cat <<EOF >>"$os_release"
VERSION="$VERSION"
PRETTY_NAME="$PRETTY_NAME $VERSION"
VARIANT_ID=$VARIANT
VERSION_ID=$VERSION_ID
BUILD_ID=$BUILD_ID
HOME_URL="https://github.com/bottlerocket-os/bottlerocket"
SUPPORT_URL="https://github.com/bottlerocket-os/bottlerocket/discussions"
BUG_REPORT_URL="https://github.com/bottlerocket-os/bottlerocket/issues"
DOCUMENTATION_URL="https://bottlerocket.dev"
EOF
image_features=$(in_root "$SYS_ROOT/usr/share/bottlerocket/image-features.env")
mkdir -p "$(dirname "$image_features")"
if [ "$XFS_DATA_PARTITION" == yes ]; then
  echo "DATA_PARTITION_FILESYSTEM=xfs" >>"$image_features"
else
  echo "DATA_PARTITION_FILESYSTEM=ext4" >>"$image_features"
fi

root_mib=$(size_of "$PART_ROOT")
file_contexts="$ROOT/etc/selinux/fortified/contexts/files/file_contexts"
if [ "$EROFS_ROOT_PARTITION" == yes ]; then
  echo "twoliter: root file system (erofs, lz4hc)"
  erofs_args=(-zlz4hc,12 --quiet)
  [ -f "$file_contexts" ] && erofs_args+=(--file-contexts="$file_contexts")
  mkfs.erofs "${erofs_args[@]}" "$ROOT_IMAGE" "$ROOT"
  root_need=$(mib_of_bytes "$(stat -c %s "$ROOT_IMAGE")")
  ((root_need <= root_mib)) || explained_failure too-big root "$root_need" "$root_mib"
else
  echo "twoliter: root file system (ext4)"
  root_need=$(du -s -x -B1M "$ROOT" | cut -f1)
  ((root_need <= root_mib)) || explained_failure too-big root "$root_need" "$root_mib"
  mkdir -p "$ROOT/lost+found"
  mkfs_ext4_from root "$root_need" "$root_mib" \
    -E "lazy_itable_init=0,stride=$ROOT_STRIDE,stripe_width=$ROOT_STRIPE_WIDTH" \
    -O ^has_journal -b "$VERITY_DATA_BLOCK_SIZE" -d "$ROOT" "$ROOT_IMAGE" "${root_mib}M"
  if [ -f "$file_contexts" ] && command -v setfiles >/dev/null; then
    setfiles -n -d -F -m -r "$ROOT" "$file_contexts" "$ROOT" |
      awk -v root="$ROOT" '{gsub(root"/","/"); gsub(root,"/"); print "ea_set", $1, "security.selinux", $4}' |
      debugfs -w -f - "$ROOT_IMAGE" >/dev/null
  else
    echo "twoliter: no SELinux labels on the root (needs setfiles in the SDK and the policy's file_contexts in the root)"
  fi
  resize2fs -M "$ROOT_IMAGE"
fi
write_partition "$ROOT_IMAGE" "$OS_IMAGE" "$(offset_of "$PART_ROOT")"

echo "twoliter: dm-verity"
hash_mib=$(size_of "$PART_HASH")
truncate -s "${hash_mib}M" "$VERITY_IMAGE"
verity_output=$(veritysetup format \
  --format "$VERITY_VERSION" \
  --hash "$VERITY_HASH_ALGORITHM" \
  --data-block-size "$VERITY_DATA_BLOCK_SIZE" \
  --hash-block-size "$VERITY_HASH_BLOCK_SIZE" \
  "$ROOT_IMAGE" "$VERITY_IMAGE")
printf '%s\n' "$verity_output"
verity_bytes=$(stat -c %s "$VERITY_IMAGE")
if ((verity_bytes > hash_mib * 1048576)); then
  explained_failure too-big hash "$(mib_of_bytes "$verity_bytes")" "$hash_mib"
fi
VERITY_DATA_4K_BLOCKS=$(awk '/^Data blocks:/ { print $NF }' <<<"$verity_output")
VERITY_DATA_512B_BLOCKS=$((VERITY_DATA_4K_BLOCKS * 8))
VERITY_ROOT_HASH=$(awk '/^Root hash:/ { print $NF }' <<<"$verity_output")
VERITY_SALT=$(awk '/^Salt:/ { print $NF }' <<<"$verity_output")
veritysetup verify "$ROOT_IMAGE" "$VERITY_IMAGE" "$VERITY_ROOT_HASH"
write_partition "$VERITY_IMAGE" "$OS_IMAGE" "$(offset_of "$PART_HASH")"

DM_VERITY_ROOT=(
  "root,,,ro,0"
  "$VERITY_DATA_512B_BLOCKS"
  "verity"
  "$VERITY_VERSION"
  "PARTUUID=\$boot_uuid/PARTNROFF=1"
  "PARTUUID=\$boot_uuid/PARTNROFF=2"
  "$VERITY_DATA_BLOCK_SIZE"
  "$VERITY_HASH_BLOCK_SIZE"
  "$VERITY_DATA_4K_BLOCKS"
  "1"
  "$VERITY_HASH_ALGORITHM"
  "$VERITY_ROOT_HASH"
  "$VERITY_SALT"
  "2"
  "restart_on_corruption"
  "ignore_zero_blocks"
)
echo "twoliter-result: root-hash $VERITY_ROOT_HASH"
echo "twoliter-result: salt $VERITY_SALT"
echo "twoliter-result: data-blocks $VERITY_DATA_4K_BLOCKS"
echo "twoliter-result: table ${DM_VERITY_ROOT[*]}"

echo "twoliter: grub.cfg"
if [ "$GRUB_SET_PRIVATE_VAR" == yes ]; then
  BOOTCONFIG='bootconfig'
  INITRD="initrd (\$private)/bootconfig.data"
else
  BOOTCONFIG=""
  INITRD=""
fi
cat <<EOF >>"$BOOT/grub/grub.cfg"
set default="0"
set timeout="0"
set dm_verity_root="${DM_VERITY_ROOT[*]}"

menuentry "$PRETTY_NAME $VERSION_ID" --unrestricted {
   linux (\$root)/vmlinuz \\
       $KERNEL_PARAMETERS \\
       $BOOTCONFIG \\
       root=/dev/dm-0 rootwait ro \\
       raid=noautodetect \\
       random.trust_cpu=on \\
       selinux=1 enforcing=1 \\
       dm-mod.create="\$dm_verity_root" \\
       -- \\
       systemd.log_target=journal-or-kmsg \\
       systemd.log_color=0 \\
       systemd.show_status=true
   $INITRD
   boot
}
EOF

# The bootconfig snippets packages put in /boot/boot-config.d become PRIVATE's bootconfig.data.
: >"$BOOTCONFIG_INPUT"
if [ -d "$BOOT/boot-config.d" ]; then
  find "$BOOT/boot-config.d" -mindepth 1 -maxdepth 1 -type f -print0 | sort -Vz | xargs -0 -r cat >"$BOOTCONFIG_INPUT"
  rm -rf "$BOOT/boot-config.d"
fi
if [ -s "$BOOTCONFIG_INPUT" ] && [ "$GRUB_SET_PRIVATE_VAR" != yes ]; then
  explained_failure bootconfig-without-private-var
fi
[ -s "$BOOTCONFIG_INPUT" ] || printf 'kernel {}\ninit {}\n' >"$BOOTCONFIG_INPUT"

echo "twoliter: boot file system"
mkdir -p "$BOOT/lost+found"
chmod -R go-rwx "$BOOT"
boot_mib=$(size_of "$PART_BOOT")
boot_need=$(du -s -x -B1M "$BOOT" | cut -f1)
((boot_need <= boot_mib)) || explained_failure too-big boot "$boot_need" "$boot_mib"
mkfs_ext4_from boot "$boot_need" "$boot_mib" -O ^has_journal -d "$BOOT" "$BOOT_IMAGE" "${boot_mib}M"
resize2fs -M "$BOOT_IMAGE"
write_partition "$BOOT_IMAGE" "$OS_IMAGE" "$(offset_of "$PART_BOOT")"

echo "twoliter: private file system"
# bootconfig.data is what `bootconfig -a` appends to an empty initrd: the text, NUL-terminated and
# padded to 4 bytes, then its size and checksum (32-bit little endian) and the magic "#BOOTCONFIG\n".
if command -v bootconfig >/dev/null; then
  : >"$PRIVATE/bootconfig.data"
  bootconfig -a "$BOOTCONFIG_INPUT" "$PRIVATE/bootconfig.data"
else
  python3 - "$BOOTCONFIG_INPUT" "$PRIVATE/bootconfig.data" <<'EOF'
import struct, sys
data = open(sys.argv[1], "rb").read().rstrip(b"\0") + b"\0"
checksum = sum(data) & 0xFFFFFFFF
magic = b"#BOOTCONFIG\n"
pad = (len(data) + 8 + len(magic)) % 4
data += b"\0" * ((4 - pad) % 4)
open(sys.argv[2], "wb").write(data + struct.pack("<II", len(data), checksum) + magic)
EOF
fi
# Many small files (the API's settings), inline in 256-byte inodes, 4 KiB blocks for any hardware.
private_mib=$(size_of "$PART_PRIVATE")
mkfs_ext4_from private 1 "$private_mib" -b 4096 -i 4096 -I 256 -d "$PRIVATE" "$PRIVATE_IMAGE" "${private_mib}M"
write_partition "$PRIVATE_IMAGE" "$OS_IMAGE" "$(offset_of "$PART_PRIVATE")"

data_disk="$OS_IMAGE"
[ "$DATA_DISK" == data ] && data_disk="$DATA_IMAGE"
data_mib=$(size_of "$PART_DATA")
if [ "$XFS_DATA_PARTITION" == yes ]; then
  # The partition stays blank: the system makes its XFS file system at first boot.
  echo "twoliter: writing blank partition for DATA"
else
  echo "twoliter: writing ext4 filesystem for DATA"
  mkfs.ext4 -q -m 0 "$DATA_FS" "${data_mib}M"
  write_partition "$DATA_FS" "$data_disk" "$(offset_of "$PART_DATA")"
fi

sgdisk -v "$OS_IMAGE"
((DATA_DISK_MIB == 0)) || sgdisk -v "$DATA_IMAGE"

# Each output is written under a temporary name and renamed, so that out/ never holds half a file, and
# a run that fails takes back what it had written: out/ holds all of the images or none.
published=()
take_back() {
  local status=$?
  if ((status != 0)); then
    for name in "${published[@]}"; do rm -f "$OUT/$name" "$OUT/.$name.partial"; done
  fi
  exit "$status"
}
trap take_back EXIT
# Outputs are written in parallel (compression is most of the time); `published` lists them all first,
# so that a failure takes back whichever were written.
publishing=()
publish() {
  local name=$1
  shift
  published+=("$name")
  (
    "$@" "$OUT/.$name.partial"
    chown "$HOST_UID:$HOST_GID" "$OUT/.$name.partial"
    mv -f "$OUT/.$name.partial" "$OUT/$name"
    echo "twoliter: wrote $name"
  ) &
  publishing+=($!)
}
wait_for_outputs() {
  local pid failed=0
  for pid in "${publishing[@]}"; do wait "$pid" || failed=1; done
  return "$failed"
}
lz4_to() { lz4 -q -f "$1" "$2"; }
lz4_best_to() { lz4 -q -9 -f "$1" "$2"; }
qcow2_to() { qemu-img convert -f raw -O qcow2 "$1" "$2"; }
vmdk_to() { qemu-img convert -f raw -O vmdk -o subformat=streamOptimized "$1" "$2"; }

echo "twoliter: writing the $OUTPUT_FMT image(s)"
case "$OUTPUT_FMT" in
  raw) convert=lz4_to ;;
  qcow2) convert=qcow2_to ;;
  vmdk) convert=vmdk_to ;;
esac
publish "$OS_IMAGE_FILE" "$convert" "$OS_IMAGE"
if ((DATA_DISK_MIB > 0)); then
  publish "$DATA_IMAGE_FILE" "$convert" "$DATA_IMAGE"
fi
publish "$BOOT_IMAGE_FILE" lz4_best_to "$BOOT_IMAGE"
publish "$VERITY_IMAGE_FILE" lz4_best_to "$VERITY_IMAGE"
publish "$ROOT_IMAGE_FILE" lz4_best_to "$ROOT_IMAGE"
wait_for_outputs
