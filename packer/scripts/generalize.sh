#!/usr/bin/env bash
# Image build, last step (as root in the build VM): nothing of this build VM may stay in the image,
# so that every VM made from it is itself (host keys, machine id) and nobody else can log in.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
staging=${ONEKE_STAGING:?ONEKE_STAGING must name the folder the build uploaded to}

apt-get -y -q autoremove --purge
apt-get -q clean
rm -rf /var/lib/apt/lists/* /etc/apt/apt.conf.d/90oneke-build-lock

# What cloud-init left: its state, its network configuration (it names the build VM's MAC; one-context
# writes the real one at boot) and its sshd settings.
rm -rf /etc/cloud /var/lib/cloud
rm -f /etc/netplan/50-cloud-init.yaml /etc/ssh/sshd_config.d/*cloud-init*

# The build key, the host keys (oneke-ssh-host-keys.service makes new ones on first boot) and the
# machine id (systemd makes a new one when the file is empty).
rm -f /root/.ssh/authorized_keys /etc/ssh/ssh_host_*
truncate -s 0 /etc/machine-id
if [ -d /var/lib/dbus ]; then
    ln -sf /etc/machine-id /var/lib/dbus/machine-id
fi

rm -rf "${staging}" /tmp/* /var/tmp/* /root/.bash_history
journalctl --rotate >/dev/null 2>&1 || true
journalctl --vacuum-time=1s >/dev/null 2>&1 || true
find /var/log -type f \( -name '*.gz' -o -name '*.[0-9]' \) -delete
# Keep /var/log/one-appliance/install.log: it tells what the image carries.
find /var/log -type f ! -path '/var/log/one-appliance/*' -exec truncate -s 0 {} +

# Free blocks become holes in the qcow2 (the disk is attached with discard=unmap).
fstrim -av || true
sync
