# Inputs of the OneKE image build. packer/build.sh sets the ones without a default; see its --help.

variable "arch" {
  type        = string
  default     = "x86_64"
  description = "CPU architecture of the image: x86_64 or aarch64."

  validation {
    condition     = contains(["x86_64", "aarch64"], var.arch)
    error_message = "The arch must be x86_64 or aarch64."
  }
}

variable "airgapped" {
  type        = string
  default     = "NO"
  description = "YES bakes every container image into the image (ONE_SERVICE_AIRGAPPED for `oneke install`)."

  validation {
    condition     = contains(["YES", "NO"], var.airgapped)
    error_message = "The airgapped variable must be YES or NO."
  }
}

variable "version" {
  type        = string
  default     = "dev"
  description = "Version string put in the image file name."
}

variable "ubuntu_release" {
  type        = string
  default     = "release"
  description = "Folder of https://cloud-images.ubuntu.com/releases/24.04/ to take the cloud image from: `release` (the newest) or a dated one such as `release-20250704` for a reproducible build."
}

variable "ubuntu_image_url" {
  type        = string
  default     = ""
  description = "Base image; empty means the Ubuntu 24.04 cloud image of ubuntu_release for the arch."
}

variable "ubuntu_image_checksum" {
  type        = string
  default     = ""
  description = "Packer iso_checksum of the base image; empty means the SHA256SUMS file next to the default image."
}

variable "one_context_deb" {
  type        = string
  description = "Local path of the one-context .deb (OpenNebula contextualization package). build.sh downloads it first when given a URL."
}

variable "artifact_sha256sums" {
  type        = string
  description = "Local path of a sha256sum-format file with the SHA-256 of the RKE2, chart and air-gap downloads that oneke install does not pin itself (it refuses unverified downloads). build.sh writes an empty one when none is given."
}

variable "oneke_binary" {
  type        = string
  description = "Local path of the oneke single executable for the arch (dist/oneke from `npm run build`)."
}

variable "appliance_dir" {
  type        = string
  description = "Local path of the repository's appliance/ folder (boot hooks, systemd units, profile)."
}

variable "seed_dir" {
  type        = string
  description = "Folder with the cloud-init NoCloud seed (user-data, meta-data) that lets the build log in; written by build.sh."
}

variable "ssh_private_key_file" {
  type        = string
  description = "Private half of the throw-away build key whose public half is in the seed's user-data."
}

variable "output_dir" {
  type        = string
  default     = "build"
  description = "Where Packer writes the image (must not exist)."
}

variable "headless" {
  type    = bool
  default = true
}

variable "accelerator" {
  type        = string
  default     = "kvm"
  description = "QEMU accelerator: kvm, or tcg to emulate (slow; e.g. aarch64 on an x86_64 host)."
}

variable "cpu_model" {
  type        = string
  default     = "host"
  description = "QEMU -cpu model of the build VM: host with kvm, max with tcg."
}

variable "aarch64_firmware" {
  type        = string
  default     = "/usr/share/qemu-efi-aarch64/QEMU_EFI.fd"
  description = "UEFI firmware that boots the aarch64 build VM (Debian/Ubuntu package qemu-efi-aarch64)."
}

variable "cpus" {
  type    = number
  default = 2
}

variable "memory" {
  type        = number
  default     = 4096
  description = "MiB of RAM of the build VM."
}

variable "disk_size" {
  type        = string
  default     = "25600M"
  description = "Virtual size of the image; the marketplace metadata's image size is this in bytes."
}

# ---- oneke install's downloads ----

variable "artifact_mirror" {
  type        = string
  default     = ""
  description = "ONEKE_ARTIFACT_MIRROR for `oneke install`, as the build VM reaches it: a base URL serving the artifacts under their upstream names. Empty: upstream."
}

variable "install_environment" {
  type        = list(string)
  default     = []
  description = "More NAME=VALUE settings for `oneke install` (its ONE_SERVICE_*/ONEAPP_K8S_* version variables)."
}

# ---- an offline build from a local base disk image (the tests') ----
# With local_base_image set, the build starts from that qcow2 instead of the Ubuntu cloud image: a
# disk holding one ext4 file system and no boot loader (test/e2e/image/build-base-image.sh), booted
# with the kernel and initramfs given here, x86_64 only. The VM's user network is restricted: it
# reaches nothing but the forwarded ssh port and, when local_mirror_port is set, the artifact
# mirror on the host's loopback, forwarded to http://10.0.2.100 (the value for artifact_mirror).

variable "local_base_image" {
  type        = string
  default     = ""
  description = "Path of a local base qcow2 to build from instead of the Ubuntu cloud image (empty: Ubuntu)."
}

variable "local_base_checksum" {
  type        = string
  default     = "none"
  description = "Packer iso_checksum of local_base_image, e.g. sha256:<hex>."
}

variable "local_base_kernel" {
  type        = string
  default     = "vmlinuz"
  description = "Kernel that QEMU boots the local base with."
}

variable "local_base_initrd" {
  type        = string
  default     = "initrd.img"
  description = "Initramfs of local_base_kernel."
}

variable "local_base_append" {
  type        = string
  default     = "root=/dev/vda rw console=ttyS0 net.ifnames=0 biosdevname=0"
  description = "Kernel command line of the local base."
}

variable "local_mirror_port" {
  type        = number
  default     = 0
  description = "Port of an artifact mirror on the host's 127.0.0.1, reached by the build VM as http://10.0.2.100 (QEMU guestfwd through socat). 0: none."
}

variable "console_log" {
  type        = string
  default     = ""
  description = "File that gets the build VM's serial console (empty: none)."
}
