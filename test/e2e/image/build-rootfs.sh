#!/usr/bin/env bash
# The root file system of every simulated VM, made by the project (as root):
#
#   test/e2e/image/build-rootfs.sh          prints the path of the finished root on stdout
#
# Two layers, each cached under ONEKE_TEST_CACHE (default /var/cache/oneke-test, outside the clone) by
# a hash of its inputs, so a second run prints the path at once:
#   base-<hash>       Debian bookworm from mmdebstrap, with the machine's apt sources: systemd and
#                     the packages the appliance runs (keepalived, HAProxy, unbound, nftables...) and
#                     etcd for the RKE2 stand-in. Inputs: the package list, the apt sources, build_base.
#   appliance-<hash>  the base, booted once in systemd-nspawn, with the appliance installed the way
#                     packer/oneke.pkr.hcl installs it, from a staging folder holding dist/oneke and
#                     appliance/: packer/scripts/install-appliance.sh, `oneke install` with the
#                     artefact mirror of artifact-mirror.ts served on loopback (RKE2's layout around
#                     the RKE2 stand-in, Helm and charts), then generalize.sh. Two build steps do not
#                     run: prepare-os.sh (apt upgrades from the network; its packages are in the base)
#                     and install-context.sh (OpenNebula's one-context package is not available here:
#                     test/e2e/image/files has a stand-in for its network stage, installed instead).
#                     Inputs: the base, dist/oneke, appliance/, packer/scripts, those files, the
#                     mirror's checksums, build_appliance.
#
# The root is Debian, not the Ubuntu 24.04 of the appliance image: mmdebstrap makes it offline from
# the apt mirror this machine already uses, in about two minutes, with the same systemd, keepalived
# and HAProxy behaviour the agent relies on. A new layer replaces the older ones of its kind.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "${here}/../../.." && pwd)
cache=${ONEKE_TEST_CACHE:-/var/cache/oneke-test}

node=${NODE:-${top}/node_modules/node/bin/node}
# shellcheck source-path=SCRIPTDIR source=appliance-packages.sh
. "${here}/appliance-packages.sh"
# shellcheck disable=SC2207 # package names have no spaces
packages=(
    systemd systemd-sysv dbus iproute2 ca-certificates procps kmod iputils-ping e2fsprogs curl jq
    etcd-server etcd-client
    # what `oneke install` installs: the VMs' root has no apt sources
    $(appliance_packages "${top}")
)

say() { printf 'build-rootfs: %s\n' "$*" >&2; }
die() {
    say "$*"
    exit 1
}

[ "$(id -u)" -eq 0 ] || die "run it as root (mmdebstrap, systemd-nspawn)"
for tool in mmdebstrap systemd-nspawn nsenter sha256sum "${node}"; do
    command -v "${tool}" >/dev/null || die "${tool} is missing: run scripts/test-deps.sh as root"
done

# The machine's apt sources, deb822 or one-line, as mmdebstrap takes them (it reads a file given as
# its mirror argument).
apt_sources() {
    local f
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
        [ -f "${f}" ] && [ -s "${f}" ] && printf '%s\n' "${f}"
    done
}

hash_of() { sha256sum | cut -c1-16; }

build_base() {
    local out=$1
    local -a mirrors=()
    mapfile -t mirrors < <(apt_sources)
    [ ${#mirrors[@]} -gt 0 ] || die "no apt sources on this machine"
    # Debian starts every daemon it installs; on the VMs the agent starts what a role needs. etcd
    # belongs to the RKE2 stand-in only, which runs its own. No apt sources stay in the root: the
    # appliance build finds every package in place, as the offline image build does. ($1 in the
    # hooks is mmdebstrap's, for the root.)
    # shellcheck disable=SC2016
    mmdebstrap --variant=minbase --include="$(
        IFS=,
        echo "${packages[*]}"
    )" \
        --customize-hook='chroot "$1" systemctl mask etcd.service' \
        --customize-hook='chroot "$1" systemctl disable keepalived.service haproxy.service unbound.service' \
        --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin "$1"/etc/apt/sources.list "$1"/etc/apt/sources.list.d/*' \
        bookworm "${out}" "${mirrors[@]}" >&2
}

base_key=$(
    {
        printf '%s\n' "${packages[@]}"
        apt_sources | xargs cat
        declare -f build_base
    } | hash_of
)
base=${cache}/base-${base_key}

mkdir -p "${cache}"
exec 9>"${cache}/.lock"
flock 9

if [ ! -d "${base}" ]; then
    say "making the Debian root ${base} (a few minutes, once)"
    rm -rf "${base}.tmp"
    build_base "${base}.tmp"
    mv "${base}.tmp" "${base}"
    find "${cache}" -maxdepth 1 -name 'base-*' ! -name "base-${base_key}" ! -name '*.tmp' -exec rm -rf {} +
fi

# ---- the appliance layer --------------------------------------------------------------------------

[ -x "${top}/dist/oneke" ] || die "dist/oneke is missing: npm run build first"

# The artefact mirror (reused when its inputs did not change); its checksums are an input below.
mirror=${cache}/mirror
"${node}" "${top}/test/e2e/image/artifact-mirror.ts" build "${mirror}" >/dev/null

# Boots ROOT in a container of its own (own cgroup; the machine's network, to reach the mirror on
# loopback, but without the capabilities to change it), installs the appliance, halts it.
build_appliance() {
    local root=$1 name=oneke-build-$$
    local staging=/root/oneke-staging
    rm -rf "${root}${staging}"
    install -d -m 0700 "${root}${staging}"
    cp -a "${top}/dist/oneke" "${root}${staging}/oneke"
    cp -a "${top}/appliance" "${root}${staging}/appliance"
    cp -a "${top}/packer/scripts" "${root}${staging}/scripts"
    cp -a "${mirror}/SHA256SUMS" "${root}${staging}/artifacts.sha256"
    cp -a "${here}/files" "${root}${staging}/standins"

    local served url=''
    served=$(mktemp)
    "${node}" "${top}/test/e2e/image/artifact-mirror.ts" serve "${mirror}" >"${served}" &
    local server=$!
    for _ in $(seq 100); do
        url=$(head -n1 "${served}")
        [ -n "${url}" ] && break
        sleep 0.1
    done
    rm -f "${served}"
    [ -n "${url}" ] || die "the artefact mirror did not start"

    local cg
    for cg in systemd unified; do mkdir -p "/sys/fs/cgroup/${cg}/${name}"; done
    (
        for cg in systemd unified; do echo "${BASHPID}" >"/sys/fs/cgroup/${cg}/${name}/cgroup.procs"; done
        # generalize.sh trims the disk of the image it runs on; here that disk is the machine's own.
        exec systemd-nspawn -q -D "${root}" --machine="${name}" --register=no --keep-unit \
            --bind-ro=/bin/true:/usr/sbin/fstrim --console=passive -b >/dev/null 2>&1
    ) &
    local nspawn=$!
    local pid=''
    for _ in $(seq 100); do
        pid=$(pgrep -P "${nspawn}" -x systemd || true)
        [ -n "${pid}" ] && break
        sleep 0.2
    done
    [ -n "${pid}" ] || die "the build container did not start"
    # systemctl answers once the container's systemd has its private socket.
    for _ in $(seq 300); do
        [ -S "/proc/${pid}/root/run/systemd/private" ] && break
        sleep 0.2
    done
    local in=(nsenter -t "${pid}" -a)
    local state
    state=$(timeout 120 "${in[@]}" systemctl is-system-running --wait || true)
    say "build container ${state}: installing the appliance (mirror ${url})"
    local rc=0
    "${in[@]}" env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
        ONEKE_STAGING="${staging}" ONEKE_ARTIFACT_MIRROR="${url}" ONEKE_ARTIFACT_SHA256SUMS="${staging}/artifacts.sha256" \
        ONE_SERVICE_AIRGAPPED=NO ONE_SERVICE_HELM_VERSION="$(helm_version)" bash -c "
        set -euo pipefail
        bash ${staging}/standins/install-standins.sh ${staging}/standins
        bash ${staging}/scripts/install-appliance.sh
        /usr/local/bin/oneke install
        bash ${staging}/scripts/generalize.sh
    " >&2 || rc=$?
    kill -TERM "${nspawn}" "${server}" 2>/dev/null || true
    wait "${nspawn}" "${server}" || true
    for cg in systemd unified; do
        find "/sys/fs/cgroup/${cg}/${name}" -depth -type d -exec rmdir {} + 2>/dev/null || true
    done
    [ "${rc}" -eq 0 ] || die "installing the appliance failed (exit ${rc})"
}

# The Helm version of the mirror's stand-in, which install must ask for (artifact-mirror.ts INSTALL_ENV).
helm_version() {
    "${node}" --input-type=module -e "
        const m = await import('${top}/test/e2e/image/artifact-mirror.ts');
        process.stdout.write(m.INSTALL_ENV.ONE_SERVICE_HELM_VERSION);"
}

appliance_key=$(
    {
        echo "${base_key}"
        cd "${top}"
        find dist/oneke appliance packer/scripts test/e2e/image/files -type f | LC_ALL=C sort | xargs sha256sum
        cat "${mirror}/SHA256SUMS"
        declare -f helm_version
        declare -f build_appliance
    } | hash_of
)
appliance=${cache}/appliance-${appliance_key}

if [ ! -d "${appliance}" ]; then
    say "installing the appliance into a copy of the root (${appliance})"
    rm -rf "${appliance}.tmp"
    cp -a --reflink=auto "${base}" "${appliance}.tmp"
    build_appliance "${appliance}.tmp"
    mv "${appliance}.tmp" "${appliance}"
    # Older appliance layers: nothing refers to them once a new one is there.
    find "${cache}" -maxdepth 1 -name 'appliance-*' ! -name "appliance-${appliance_key}" ! -name '*.tmp' \
        -exec rm -rf {} +
fi
printf '%s\n' "${appliance}"
