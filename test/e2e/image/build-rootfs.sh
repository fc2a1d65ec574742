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
#   appliance-<hash>  the base, booted once in systemd-nspawn, with the appliance installed by the
#                     image build's own scripts (packer/scripts/install-appliance.sh, then
#                     generalize.sh) from a staging folder holding dist/oneke and appliance/, plus the
#                     stand-ins of test/e2e/image/files (one-context, the RKE2 units and command).
#                     Inputs: the base, dist/oneke, appliance/, those scripts and files, build_appliance.
#
# The root is Debian, not the Ubuntu 24.04 of the appliance image: mmdebstrap makes it offline from
# the apt mirror this machine already uses, in about two minutes, with the same systemd, keepalived
# and HAProxy behaviour the agent relies on. Only the old layers of this cache are removed.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "${here}/../../.." && pwd)
cache=${ONEKE_TEST_CACHE:-/var/cache/oneke-test}

packages=(
    systemd systemd-sysv dbus iproute2 ca-certificates procps kmod iputils-ping
    keepalived haproxy unbound nftables xfsprogs e2fsprogs curl jq
    etcd-server etcd-client
)

say() { printf 'build-rootfs: %s\n' "$*" >&2; }
die() {
    say "$*"
    exit 1
}

[ "$(id -u)" -eq 0 ] || die "run it as root (mmdebstrap, systemd-nspawn)"
for tool in mmdebstrap systemd-nspawn nsenter sha256sum; do
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
    # belongs to the RKE2 stand-in only, which runs its own. ($1 in the hooks is mmdebstrap's, for the root.)
    # shellcheck disable=SC2016
    mmdebstrap --variant=minbase --include="$(
        IFS=,
        echo "${packages[*]}"
    )" \
        --customize-hook='chroot "$1" systemctl mask etcd.service' \
        --customize-hook='chroot "$1" systemctl disable keepalived.service haproxy.service unbound.service' \
        --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin' \
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
fi

# ---- the appliance layer --------------------------------------------------------------------------

[ -x "${top}/dist/oneke" ] || die "dist/oneke is missing: npm run build first"

# Boots ROOT in a container of its own (own cgroup, own network namespace), runs the install, halts it.
build_appliance() {
    local root=$1 name=oneke-build-$$
    local staging=/root/oneke-staging
    rm -rf "${root}${staging}"
    install -d -m 0700 "${root}${staging}"
    cp -a "${top}/dist/oneke" "${root}${staging}/oneke"
    cp -a "${top}/appliance" "${root}${staging}/appliance"
    cp -a "${top}/packer/scripts" "${root}${staging}/scripts"
    cp -a "${here}/files" "${root}${staging}/standins"

    local cg
    for cg in systemd unified; do mkdir -p "/sys/fs/cgroup/${cg}/${name}"; done
    (
        for cg in systemd unified; do echo "${BASHPID}" >"/sys/fs/cgroup/${cg}/${name}/cgroup.procs"; done
        # generalize.sh trims the disk of the image it runs on; here that disk is the machine's own.
        exec systemd-nspawn -q -D "${root}" --machine="${name}" --register=no --keep-unit --private-network \
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
    say "build container ${state}: installing the appliance"
    local rc=0
    "${in[@]}" env ONEKE_STAGING="${staging}" bash -c "
        set -euo pipefail
        bash ${staging}/standins/install-standins.sh ${staging}/standins
        bash ${staging}/scripts/install-appliance.sh
        bash ${staging}/scripts/generalize.sh
    " >&2 || rc=$?
    kill -TERM "${nspawn}" 2>/dev/null || true
    wait "${nspawn}" || true
    for cg in systemd unified; do
        find "/sys/fs/cgroup/${cg}/${name}" -depth -type d -exec rmdir {} + 2>/dev/null || true
    done
    [ "${rc}" -eq 0 ] || die "installing the appliance failed (exit ${rc})"
}

appliance_key=$(
    {
        echo "${base_key}"
        cd "${top}"
        find dist/oneke appliance packer/scripts test/e2e/image/files -type f | LC_ALL=C sort | xargs sha256sum
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
