#!/usr/bin/env bash
# A local base disk image for the test build of the appliance image (packer/, source
# "qemu.local-base"), made without downloading anything but Debian packages from this machine's apt
# sources:
#
#   test/e2e/image/build-base-image.sh [--cache DIR]
#
# It is a Debian 12 (bookworm) root made with mmdebstrap, with a kernel and initramfs, systemd,
# systemd-networkd (DHCP on eth0), openssh-server, apt, and already installed the packages that the
# image build would otherwise fetch (prepare-os.sh: curl, jq, ca-certificates; `oneke install`:
# the OS packages of src/install/packages.ts): the build VM reaches no network,
# so its apt sources are left empty and apt-get update/install find everything in place. The
# production image starts from Ubuntu 24.04's cloud image instead; Debian is what this machine's apt
# sources carry, and no cloud image can be downloaded here.
#
# The root becomes an ext4 file system on the whole disk (mkfs.ext4 -d, no partition table, no
# boot loader: QEMU boots it with -kernel/-initrd, given the files next to the image), then a qcow2.
# A throw-away ed25519 key for Packer's ssh login is made with it and put in root's
# authorized_keys; the image build removes it (packer/scripts/generalize.sh).
#
# Output, in DIR/qemu-base-<hash of the inputs> (DIR: --cache, $ONEKE_TEST_CACHE or
# /var/cache/oneke-test): base.qcow2, vmlinuz, initrd.img, build-key, build-key.pub, append (the
# kernel command line) and inputs (what the hash covers). A folder that exists is complete (it is
# renamed into place last) and is reused. The last line printed is the folder. Needs root.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "${here}/../../.." && pwd)
# shellcheck source-path=SCRIPTDIR source=appliance-packages.sh
. "${here}/appliance-packages.sh"
cache=${ONEKE_TEST_CACHE:-/var/cache/oneke-test}
while [ $# -gt 0 ]; do
    case "$1" in
        --cache) cache=${2:?--cache needs a folder}; shift 2 ;;
        -h | --help) sed -n '2,25s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; exit 0 ;;
        *) echo "build-base-image: unknown argument: $1" >&2; exit 2 ;;
    esac
done
[ "$(id -u)" -eq 0 ] || { echo "build-base-image: needs root (mmdebstrap, file ownership in the image)" >&2; exit 2; }
for tool in mmdebstrap mkfs.ext4 qemu-img ssh-keygen sha256sum; do
    command -v "${tool}" >/dev/null || { echo "build-base-image: ${tool} is needed (see scripts/test-deps.sh)" >&2; exit 2; }
done

suite=bookworm
disk_size=4G
append="root=/dev/vda rw console=ttyS0 net.ifnames=0 biosdevname=0"
# shellcheck disable=SC2207 # package names have no spaces
packages=(
    # boot and log in
    systemd systemd-sysv dbus udev kmod linux-image-cloud-amd64 initramfs-tools
    openssh-server iproute2 netbase procps less
    # what prepare-os.sh installs
    curl jq ca-certificates
    # what `oneke install` installs (src/install/packages.ts)
    $(appliance_packages "${top}")
    # what generalize.sh and the checks use
    util-linux e2fsprogs
)

# The inputs: this script, the package list and the apt sources the packages come from. A new
# Debian point release does not change the hash (the cache is per machine, rebuild it by removing it).
sources=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null | grep -v '^\s*#' || true)
inputs=$(printf '%s\n' "suite ${suite}" "disk ${disk_size}" "append ${append}" "packages ${packages[*]}" "--- sources" "${sources}" "--- script" | cat - "${BASH_SOURCE[0]}")
hash=$(printf '%s' "${inputs}" | sha256sum | cut -c1-16)
out="${cache}/qemu-base-${hash}"
if [ -f "${out}/base.qcow2" ]; then
    echo "build-base-image: reusing ${out}" >&2
    echo "${out}"
    exit 0
fi

mkdir -p "${cache}"
work=$(mktemp -d "${cache}/qemu-base-${hash}.tmp-XXXXXX")
# --one-file-system: should mmdebstrap ever leave a mount behind, never delete through it.
trap 'rm -rf --one-file-system "${work}"' EXIT
root="${work}/root"

echo "build-base-image: mmdebstrap ${suite} with ${#packages[@]} packages into ${root}" >&2
ssh-keygen -q -t ed25519 -N '' -C oneke-test-image-build -f "${work}/build-key"
# Packages pulled in as dependencies are marked automatic; the listed ones stay manual, so the
# image build's `apt-get autoremove` keeps them. The hooks' $1 is mmdebstrap's, hence the single quotes.
# shellcheck disable=SC2016
mmdebstrap --variant=apt --mode=root --format=directory \
    --include="$(IFS=,; echo "${packages[*]}")" \
    --customize-hook='echo oneke-base >"$1/etc/hostname"' \
    --customize-hook='printf "/dev/vda / ext4 defaults,discard 0 1\n" >"$1/etc/fstab"' \
    --customize-hook='mkdir -p "$1/etc/systemd/network" && printf "[Match]\nName=eth0\n\n[Network]\nDHCP=yes\n" >"$1/etc/systemd/network/10-eth0.network"' \
    --customize-hook='chroot "$1" systemctl enable systemd-networkd.service ssh.service' \
    --customize-hook="install -d -m 0700 \"\$1/root/.ssh\" && install -m 0600 \"${work}/build-key.pub\" \"\$1/root/.ssh/authorized_keys\"" \
    --customize-hook='rm -f "$1"/etc/apt/sources.list "$1"/etc/apt/sources.list.d/* && echo "# Empty: the test build VM reaches no network; every package it needs is already here." >"$1/etc/apt/sources.list"' \
    --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin' \
    --customize-hook='truncate -s 0 "$1/etc/machine-id"' \
    "${suite}" "${root}" >&2

cp -L "${root}/vmlinuz" "${work}/vmlinuz"
cp -L "${root}/initrd.img" "${work}/initrd.img"
truncate -s "${disk_size}" "${work}/base.raw"
mkfs.ext4 -q -L oneke-base -d "${root}" "${work}/base.raw"
qemu-img convert -f raw -O qcow2 "${work}/base.raw" "${work}/base.qcow2"
rm -rf "${root}" "${work}/base.raw"
printf '%s\n' "${append}" >"${work}/append"
printf '%s\n' "${inputs}" >"${work}/inputs"
chmod 0755 "${work}"
mv -T "${work}" "${out}"
trap - EXIT
echo "build-base-image: made ${out} ($(du -sh "${out}/base.qcow2" | cut -f1))" >&2
echo "${out}"
