#!/usr/bin/env bash
# Installs the stand-ins of the simulated VMs (run inside the build container, before the image
# build's own install-appliance.sh): the one-context network stage, and RKE2's units and command
# where RKE2's installer puts them. The mount points of what the harness binds in at boot (Node.js
# and the repository, the context folder) exist in the root, which the VMs share read-only.
set -euo pipefail
from=${1:?usage: install-standins.sh FOLDER}
units=/usr/local/lib/systemd/system

install -d -m 0755 "${units}" /usr/local/sbin /usr/local/lib/oneke-test/repo /media/one-context
touch /usr/local/lib/oneke-test/node
install -m 0755 "${from}/one-contextd-standin" /usr/local/sbin/one-contextd-standin
install -m 0755 "${from}/rke2" /usr/local/bin/rke2
install -m 0644 "${from}/one-context.service" "${from}/rke2-server.service" "${from}/rke2-agent.service" "${units}/"
install -d -m 0755 /etc/one-context.d
systemctl daemon-reload
systemctl enable one-context.service
# RKE2's installer enables neither unit: the agent starts the one its role needs.
