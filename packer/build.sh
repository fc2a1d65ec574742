#!/usr/bin/env bash
# Builds the OneKE appliance image: the oneke binary (npm run build), then the qcow2 with Packer.
#
#   packer/build.sh --one-context PATH|URL [--arch x86_64|aarch64] [--airgapped YES|NO]
#                   [--version V] [--output DIR] [--sha256sums FILE] [--skip-binary] [--force]
#                   [-- PACKER_BUILD_ARGS...]
#
# --sha256sums FILE: "<sha256>  <file>" lines for the downloads of `oneke install` that it does not
# pin itself (the RKE2 tarball and sha256sum-<arch>.txt of its release, the charts' digests, the
# air-gap archives). oneke install refuses any download without a trusted checksum.
#
# Needs: Node/npm (the repository's dependencies installed), Packer >= 1.7 with network access for
# `packer init` (the QEMU plugin) and the Ubuntu cloud image, qemu-system-<arch> (with KVM, or pass
# `-- -var accelerator=tcg -var cpu_model=max`), qemu-img, ssh-keygen, curl, md5sum, sha256sum.
# aarch64 also needs UEFI firmware (package qemu-efi-aarch64; see the aarch64_firmware variable).
#
# Writes DIR/oneke-<version>-<arch>[-airgapped].qcow2, an empty 10 GiB storage disk, and
# DIR/release.yaml with the sizes and checksums that the marketplace metadata needs.
# DIR defaults to packer/output/oneke-<version>-<arch>[-airgapped].
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
arch=x86_64
airgapped=NO
version=
output=
one_context=${ONE_CONTEXT_DEB:-}
sha256sums=
skip_binary=no
force=no
packer_args=()

die() {
    echo "build.sh: $*" >&2
    exit 2
}

usage() {
    sed -n '2,15s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
}

while [ $# -gt 0 ]; do
    case "$1" in
        --arch) arch=${2:?--arch needs a value}; shift 2 ;;
        --airgapped) airgapped=${2:?--airgapped needs YES or NO}; shift 2 ;;
        --version) version=${2:?--version needs a value}; shift 2 ;;
        --output) output=${2:?--output needs a folder}; shift 2 ;;
        --one-context) one_context=${2:?--one-context needs a path or URL}; shift 2 ;;
        --sha256sums) sha256sums=${2:?--sha256sums needs a file}; shift 2 ;;
        --skip-binary) skip_binary=yes; shift ;;
        --force) force=yes; shift ;;
        -h | --help) usage; exit 0 ;;
        --) shift; packer_args=("$@"); break ;;
        *) die "unknown argument: $1 (see --help)" ;;
    esac
done

case "${arch}" in
    x86_64) node_arch=x64 ;;
    aarch64) node_arch=arm64 ;;
    *) die "--arch must be x86_64 or aarch64, not ${arch}" ;;
esac
case "${airgapped}" in
    YES | NO) ;;
    *) die "--airgapped must be YES or NO, not ${airgapped}" ;;
esac
[ -n "${one_context}" ] || die "--one-context (or ONE_CONTEXT_DEB) must give the one-context .deb, a path or a URL"

for tool in npm packer qemu-img ssh-keygen curl md5sum sha256sum; do
    command -v "${tool}" >/dev/null || die "${tool} is needed and not on PATH"
done
# Packer 1.6 has no `packer init` and rejects packer/plugins.pkr.hcl.
packer_version=$(packer version | sed -n '1s/^Packer v\([0-9]*\)\.\([0-9]*\).*/\1 \2/p')
read -r packer_major packer_minor <<<"${packer_version:-0 0}"
if [ "${packer_major}" -lt 1 ] || { [ "${packer_major}" -eq 1 ] && [ "${packer_minor}" -lt 7 ]; }; then
    die "Packer >= 1.7 is needed to build (found: $(packer version | head -n 1))"
fi

[ -n "${version}" ] || version=$(node -p "require('${top}/package.json').version")
suffix=${arch}
[ "${airgapped}" = NO ] || suffix="${arch}-airgapped"
[ -n "${output}" ] || output="${top}/packer/output/oneke-${version}-${suffix}"
if [ -e "${output}" ]; then
    [ "${force}" = yes ] || die "${output} exists; remove it or pass --force"
    rm -rf "${output}"
fi
mkdir -p "$(dirname "${output}")"
output=$(cd "$(dirname "${output}")" && pwd)/$(basename "${output}")

work=$(mktemp -d)
trap 'rm -rf "${work}"' EXIT

if [ "${skip_binary}" = no ]; then
    echo "build.sh: building dist/oneke for ${node_arch}"
    (cd "${top}" && npm run build -- --arch "${node_arch}")
fi
[ -x "${top}/dist/oneke" ] || die "${top}/dist/oneke is missing (run without --skip-binary)"

case "${one_context}" in
    http://* | https://*)
        echo "build.sh: downloading ${one_context}"
        curl -fsSL --retry 3 -o "${work}/one-context.deb" "${one_context}"
        one_context="${work}/one-context.deb"
        ;;
esac
[ -f "${one_context}" ] || die "one-context package ${one_context} not found"

# A throw-away key lets Packer log in as root; cloud-init installs it from the NoCloud seed, and the
# image leaves without it (scripts/generalize.sh).
ssh-keygen -q -t ed25519 -N '' -C oneke-image-build -f "${work}/build-key"

# The checksums oneke install trusts beyond its own pins (an empty file: only its pins).
sums_file="${work}/artifacts.sha256"
if [ -n "${sha256sums}" ]; then
    [ -r "${sha256sums}" ] || die "--sha256sums: cannot read ${sha256sums}"
    cp "${sha256sums}" "${sums_file}"
else
    : >"${sums_file}"
fi
mkdir -m 0755 "${work}/seed"
cat >"${work}/seed/user-data" <<EOF
#cloud-config
disable_root: false
ssh_pwauth: false
users:
  - name: root
    ssh_authorized_keys:
      - $(cat "${work}/build-key.pub")
EOF
printf 'instance-id: oneke-build-%s\nlocal-hostname: oneke-build\n' "$$" >"${work}/seed/meta-data"
: >"${work}/seed/vendor-data"

cd "${top}"
# The downloaded cloud image is kept between builds, out of git (packer/.gitignore).
export PACKER_CACHE_DIR=${PACKER_CACHE_DIR:-${top}/packer/.cache}
packer init packer/
packer build \
    -var "arch=${arch}" \
    -var "airgapped=${airgapped}" \
    -var "version=${version}" \
    -var "output_dir=${output}" \
    -var "one_context_deb=$(cd "$(dirname "${one_context}")" && pwd)/$(basename "${one_context}")" \
    -var "oneke_binary=${top}/dist/oneke" \
    -var "artifact_sha256sums=${sums_file}" \
    -var "appliance_dir=${top}/appliance" \
    -var "seed_dir=${work}/seed" \
    -var "ssh_private_key_file=${work}/build-key" \
    "${packer_args[@]}" \
    packer/

image="${output}/oneke-${version}-${suffix}.qcow2"
storage="${output}/oneke-storage-10G.qcow2"
qemu-img create -q -f qcow2 "${storage}" 10G

# What the marketplace metadata (appliance/marketplace/*.yaml) must be given at release.
{
    echo "# Values for appliance/marketplace/*.yaml; images are published under the file names below."
    for file in "${image}" "${storage}"; do
        echo "- file: $(basename "${file}")"
        echo "  size: $(qemu-img info --output json "${file}" | sed -n 's/.*"virtual-size": *\([0-9]*\).*/\1/p')"
        echo "  md5: $(md5sum "${file}" | cut -d' ' -f1)"
        echo "  sha256: $(sha256sum "${file}" | cut -d' ' -f1)"
    done
} >"${output}/release.yaml"
echo "build.sh: done: ${image}"
cat "${output}/release.yaml"
