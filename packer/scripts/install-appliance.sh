#!/usr/bin/env bash
# Image build, step 3 (as root in the build VM): the oneke agent and its boot wiring, from the files
# the build uploaded to $ONEKE_STAGING (the binary `oneke` and the repository's appliance/ folder).
set -euo pipefail
staging=${ONEKE_STAGING:?ONEKE_STAGING must name the folder the build uploaded to}
app="${staging}/appliance"
units=/usr/local/lib/systemd/system

install -m 0755 -o root -g root "${staging}/oneke" /usr/local/bin/oneke
# A binary for the wrong architecture fails here, not at the first boot.
/usr/local/bin/oneke --version

install -d -m 0750 /etc/one-appliance /var/log/one-appliance
install -d -m 0755 /etc/one-context.d "${units}" /usr/local/share/doc/oneke /usr/local/share/oneke

# configure + bootstrap on every boot, from one-context's network stage (see appliance/README.md,
# "How the appliance boots"). A base image from one-apps may carry the Ruby appliance's hook: it
# must not run as well.
rm -f /etc/one-context.d/net-90-service-appliance
install -m 0755 -o root -g root "${app}/one-context.d/net-90-oneke" /etc/one-context.d/net-90-oneke

# The packaged net-99-report-ready reports READY=YES even when the appliance failed. Move it out of
# /etc/one-context.d for good (one-contextd runs every file there, whatever its name, so it must go
# elsewhere): with a diversion, package upgrades write their copy to the diverted path too.
dpkg-divert --local --rename \
    --divert /usr/local/share/oneke/net-99-report-ready.one-context \
    --add /etc/one-context.d/net-99-report-ready
install -m 0755 -o root -g root "${app}/one-context.d/net-99-report-ready" /etc/one-context.d/net-99-report-ready

for unit in "${app}"/systemd/*.service "${app}"/systemd/*.timer; do
    install -m 0644 -o root -g root "${unit}" "${units}/"
done
systemctl daemon-reload
# oneke-vnf-sync.service is started by `oneke configure` on VNF VMs only; it has no [Install].
systemctl enable oneke-clean.timer oneke-ssh-host-keys.service

install -m 0644 -o root -g root "${app}/profile.d/oneke.sh" /etc/profile.d/oneke.sh
install -m 0644 -o root -g root "${app}/README.md" /usr/local/share/doc/oneke/README.md
