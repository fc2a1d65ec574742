# The OneKE appliance image: Ubuntu 24.04 LTS cloud image + OpenNebula contextualization + the oneke
# agent and its boot wiring + whatever `oneke install` puts in (RKE2, Helm, add-on charts, and with
# airgapped=YES the container images). Run through packer/build.sh, which prepares the inputs.
#
# Written for the QEMU builder as both Packer 1.6 (built-in builder) and current Packer with the
# external plugin (plugins.pkr.hcl) accept it: no argument that only one of them knows.

locals {
  arch_settings = {
    x86_64 = {
      ubuntu_arch  = "amd64"
      qemu_binary  = "qemu-system-x86_64"
      machine_type = "pc"
      firmware     = []
    }
    aarch64 = {
      ubuntu_arch  = "arm64"
      qemu_binary  = "qemu-system-aarch64"
      machine_type = "virt"
      firmware     = [["-bios", var.aarch64_firmware]]
    }
  }
  arch = local.arch_settings[var.arch]

  ubuntu_dir      = "https://cloud-images.ubuntu.com/releases/24.04/${var.ubuntu_release}"
  ubuntu_url      = var.ubuntu_image_url != "" ? var.ubuntu_image_url : "${local.ubuntu_dir}/ubuntu-24.04-server-cloudimg-${local.arch.ubuntu_arch}.img"
  ubuntu_checksum = var.ubuntu_image_checksum != "" ? var.ubuntu_image_checksum : "file:${local.ubuntu_dir}/SHA256SUMS"

  image_name = "oneke-${var.version}-${var.arch}${var.airgapped == "YES" ? "-airgapped" : ""}"

  # Where the provisioners stage the files they upload; removed by generalize.sh.
  staging = "/var/tmp/oneke-build"

  # A local base (var.local_base_image, see variables.pkr.hcl) instead of the Ubuntu cloud image:
  # booted with its own kernel, on a user network restricted to the ssh port forwarded to the
  # host's loopback and, when local_mirror_port is set, the artifact mirror forwarded in.
  local_base     = var.local_base_image != ""
  mirror_forward = var.local_mirror_port > 0 ? ",guestfwd=tcp:10.0.2.100:80-cmd:socat - TCP:127.0.0.1:${var.local_mirror_port}" : ""
  local_base_args = [
    ["-kernel", var.local_base_kernel],
    ["-initrd", var.local_base_initrd],
    ["-append", var.local_base_append],
    ["-netdev", "user,id=user.0,restrict=on,hostfwd=tcp:127.0.0.1:{{ .SSHHostPort }}-:22${local.mirror_forward}"],
  ]
}

source "qemu" "oneke" {
  iso_url      = local.local_base ? var.local_base_image : local.ubuntu_url
  iso_checksum = local.local_base ? var.local_base_checksum : local.ubuntu_checksum
  disk_image   = true
  disk_size    = var.disk_size
  format       = "qcow2"

  # Discarded blocks become holes, so that the final compaction (qemu-img convert -c) drops them.
  disk_interface     = "virtio"
  disk_discard       = "unmap"
  disk_detect_zeroes = "unmap"
  disk_compression   = true
  skip_compaction    = false

  accelerator  = var.accelerator
  qemu_binary  = local.arch.qemu_binary
  machine_type = local.arch.machine_type
  cpus         = var.cpus
  memory       = var.memory
  net_device   = "virtio-net"
  headless     = var.headless

  # The cloud image's cloud-init reads its NoCloud seed over HTTP from Packer's own server (the
  # SMBIOS serial tells it where). No seed ISO: nothing to make on the host, and aarch64's `virt`
  # machine has no IDE for a CD-ROM. (A local base has no cloud-init: the seed goes unread.)
  http_directory = var.seed_dir
  qemuargs = concat(
    [
      ["-cpu", var.cpu_model],
      ["-smbios", "type=1,serial=ds=nocloud;s=http://{{ .HTTPIP }}:{{ .HTTPPort }}/"],
    ],
    local.arch.firmware,
    local.local_base ? local.local_base_args : [],
    var.console_log != "" ? [["-serial", "file:${var.console_log}"]] : [],
  )

  communicator         = "ssh"
  ssh_username         = "root"
  ssh_private_key_file = var.ssh_private_key_file
  ssh_timeout          = "20m"
  shutdown_command     = "poweroff"

  output_directory = var.output_dir
  vm_name          = "${local.image_name}.qcow2"
}

build {
  sources = ["source.qemu.oneke"]

  # Base system: cloud-init done, packages up to date, classic NIC names (eth0, eth1: the VNF and
  # the context variables count NICs that way).
  provisioner "shell" {
    script = "${path.root}/scripts/prepare-os.sh"
  }

  provisioner "shell" {
    inline = ["install -d -m 0700 ${local.staging} ${local.staging}/appliance"]
  }

  provisioner "file" {
    source      = var.one_context_deb
    destination = "${local.staging}/one-context.deb"
  }

  provisioner "file" {
    source      = var.oneke_binary
    destination = "${local.staging}/oneke"
  }

  provisioner "file" {
    source      = var.artifact_sha256sums
    destination = "${local.staging}/artifacts.sha256"
  }

  # The trailing slash uploads the folder's content into the staging folder made above.
  provisioner "file" {
    source      = "${var.appliance_dir}/"
    destination = "${local.staging}/appliance"
  }

  # one-context replaces cloud-init; then the agent, the one-context hooks and the systemd units.
  provisioner "shell" {
    environment_vars = ["ONEKE_STAGING=${local.staging}"]
    scripts = [
      "${path.root}/scripts/install-context.sh",
      "${path.root}/scripts/install-appliance.sh",
    ]
  }

  # The install step of the appliance, once, at build time.
  provisioner "shell" {
    environment_vars = concat(
      ["ONE_SERVICE_AIRGAPPED=${var.airgapped}", "ONEKE_ARTIFACT_SHA256SUMS=${local.staging}/artifacts.sha256", "ONEKE_ARTIFACT_MIRROR=${var.artifact_mirror}"],
      var.install_environment,
    )
    inline = ["/usr/local/bin/oneke install", "sync"]
  }

  # Make the image anonymous: no build key, host keys, machine id, cloud-init state or caches.
  provisioner "shell" {
    environment_vars = ["ONEKE_STAGING=${local.staging}"]
    script           = "${path.root}/scripts/generalize.sh"
  }
}
