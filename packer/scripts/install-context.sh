#!/usr/bin/env bash
# Image build, step 2 (as root in the build VM): OpenNebula's contextualization packages.
# The one-context .deb conflicts with cloud-init, so installing it removes cloud-init.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
staging=${ONEKE_STAGING:?ONEKE_STAGING must name the folder the build uploaded to}

deb="${staging}/one-context.deb"
dpkg-deb --field "${deb}" Package | grep -qx 'one-context' || {
    echo "install-context: ${deb} is not a one-context package" >&2
    exit 1
}
apt-get -y -q install "${deb}"
apt-get -y -q purge cloud-init || true
dpkg-query -W -f='${Package} ${Version}\n' one-context
