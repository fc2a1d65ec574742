#!/usr/bin/env bash
# Installs the stand-in for OpenNebula's contextualization in the simulated VMs' root (run inside the
# build container, where the image build would run install-context.sh): the network stage of
# one-context as a unit, and the mount point of the context folder the harness binds in at boot
# (the root is shared read-only by the VMs).
set -euo pipefail
from=${1:?usage: install-standins.sh FOLDER}
units=/usr/local/lib/systemd/system

install -d -m 0755 "${units}" /usr/local/sbin /media/one-context /etc/one-context.d
install -m 0755 "${from}/one-contextd-standin" /usr/local/sbin/one-contextd-standin
install -m 0644 "${from}/one-context.service" "${units}/"
systemctl daemon-reload
systemctl enable one-context.service
