# shellcheck shell=sh
# OneKE: login shells get kubectl, crictl and ctr from RKE2 and find their configuration, so that
# `kubectl get nodes` works on a master right after logging in. Values already set are kept.
# Installed as /etc/profile.d/oneke.sh (sourced by /etc/profile; POSIX sh).

: "${KUBECONFIG:=/etc/rancher/rke2/rke2.yaml}"
: "${CRI_CONFIG_FILE:=/var/lib/rancher/rke2/agent/etc/crictl.yaml}"
: "${CONTAINERD_ADDRESS:=/run/k3s/containerd/containerd.sock}"
: "${CONTAINERD_NAMESPACE:=k8s.io}"
export KUBECONFIG CRI_CONFIG_FILE CONTAINERD_ADDRESS CONTAINERD_NAMESPACE

case ":${PATH}:" in
    *:/var/lib/rancher/rke2/bin:*) ;;
    *) PATH="${PATH:+${PATH}:}/var/lib/rancher/rke2/bin" ;;
esac
export PATH
