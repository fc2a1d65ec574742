# shellcheck shell=bash
# Sourced by the image scripts: the OS packages `oneke install` installs (src/install/packages.ts, the
# one list), printed space-separated by the project's pinned Node (TypeScript needs Node 24; npm's
# own NODE may be an older one), so that a root made ahead of the install already holds them when the
# install step has no network.
appliance_packages() {
    local top=$1
    "${top}/node_modules/node/bin/node" --input-type=module -e "const m = await import('${top}/src/install/packages.ts'); console.log(m.OS_PACKAGES.map((p) => p.name).join(' '));"
}
