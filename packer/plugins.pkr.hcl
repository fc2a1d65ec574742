# Current Packer (1.10 and later) no longer carries the QEMU builder: `packer init packer/` installs
# it from here. Kept in a file of its own because Packer 1.6 (Debian's, which the tests use to
# validate the rest) has the builder built in and does not know this block.
packer {
  required_version = ">= 1.7.0"

  required_plugins {
    qemu = {
      source  = "github.com/hashicorp/qemu"
      version = "~> 1.1"
    }
  }
}
