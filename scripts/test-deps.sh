#!/usr/bin/env bash
# Installs the Debian packages the tests use (real keepalived, HAProxy, filesystems, namespaces).
# As root it installs what is missing; otherwise it says exactly what is missing and stops.
set -euo pipefail

packages=(keepalived haproxy unbound bind9-dnsutils iproute2 nftables xfsprogs e2fsprogs util-linux openssl shellcheck packer systemd procps etcd-server time
  # air-gapped add-on images: copied with skopeo from a local registry in the install tests
  skopeo docker-registry
  # the image build (test/e2e/image/): the base root, the QEMU guest, the mirror forwarded into it
  mmdebstrap qemu-system-x86 qemu-utils socat openssh-client zstd
  # every simulated VM a container with real systemd (test/support/nspawn.ts)
  systemd-container)
# kubectl from outside the cluster: Debian's, unless the machine has one already (another package
# owning /usr/bin/kubectl would make Debian's fail to install).
command -v kubectl >/dev/null || packages+=(kubernetes-client)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "test-deps: missing Debian packages: ${missing[*]}" >&2
  echo "test-deps: run as root, or: apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "test-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
