#!/usr/bin/env bash
# Image build, step 1 (as root in the build VM): the base system of the OneKE image.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

# cloud-init brought the VM up for the build (network, our build key); let it finish first so that
# it does not race apt or rewrite files behind us.
cloud-init status --wait >/dev/null || true

# The agent starts every service itself on each boot; apt's timers upgrading packages (and
# needrestart restarting containerd or HAProxy) under a running cluster is not wanted on an
# appliance. Operators who want them can enable them again. Stopped first, so that they do not take
# apt's lock during the build; for a run already under way, apt waits up to 10 minutes for its lock
# (a build-only setting that generalize.sh removes).
systemctl disable --now apt-daily.timer apt-daily-upgrade.timer
echo 'DPkg::Lock::Timeout "600";' >/etc/apt/apt.conf.d/90oneke-build-lock

apt-get update -q
apt-get -y -q -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold dist-upgrade
apt-get -y -q install --no-install-recommends curl jq ca-certificates

# eth0, eth1, ... as the context variables (ETH0_IP, ETH1_MAC, ...) and the VNF settings count NICs;
# no boot menu delay. A base without GRUB (the tests' local base, booted by QEMU with its kernel and
# command line) has no boot loader to configure.
if command -v update-grub >/dev/null; then
    mkdir -p /etc/default/grub.d
    cat >/etc/default/grub.d/90-oneke.cfg <<'GRUB'
GRUB_CMDLINE_LINUX="${GRUB_CMDLINE_LINUX} net.ifnames=0 biosdevname=0"
GRUB_TIMEOUT=0
GRUB_TIMEOUT_STYLE=hidden
GRUB
    update-grub
fi
