/** The context of a VNF VM (VM 0 of service 10): public eth0, private eth1, a VIP on each. */
export const VNF_CONTEXT: Record<string, string> = {
  ONEGATE_ENDPOINT: 'http://127.0.0.1:5030',
  VMID: '0',
  TOKENTXT: 'emulated-token-s10-vm0',
  SERVICE_ID: '10',
  ETH0_IP: '192.168.150.100',
  ETH0_MASK: '255.255.255.0',
  ETH0_MAC: '02:00:c0:a8:96:64',
  ETH1_IP: '172.20.0.100',
  ETH1_MASK: '255.255.255.0',
  ETH1_MAC: '02:00:ac:14:00:64',
  ONEAPP_VROUTER_ETH0_VIP0: '192.168.150.86',
  ONEAPP_VROUTER_ETH1_VIP0: '172.20.0.86',
  ONEAPP_VNF_NAT4_ENABLED: 'YES',
  ONEAPP_VNF_NAT4_INTERFACES_OUT: 'eth0',
  ONEAPP_VNF_KEEPALIVED_PASSWORD: 'vrrp-pw',
};

/** What a master publishes as a backend of LB0 and LB1 at `ip`. */
export function masterBackend(ip: string): Record<string, string> {
  return {
    ONEGATE_HAPROXY_LB0_IP: '192.168.150.86',
    ONEGATE_HAPROXY_LB0_PORT: '9345',
    ONEGATE_HAPROXY_LB0_SERVER_HOST: ip,
    ONEGATE_HAPROXY_LB0_SERVER_PORT: '9345',
    ONEGATE_HAPROXY_LB1_IP: '192.168.150.86',
    ONEGATE_HAPROXY_LB1_PORT: '6443',
    ONEGATE_HAPROXY_LB1_SERVER_HOST: ip,
    ONEGATE_HAPROXY_LB1_SERVER_PORT: '6443',
  };
}

/** What a worker publishes as a backend of LB2 and LB3 at `ip`. */
export function workerBackend(ip: string): Record<string, string> {
  return {
    ONEGATE_HAPROXY_LB2_IP: '192.168.150.86',
    ONEGATE_HAPROXY_LB2_PORT: '443',
    ONEGATE_HAPROXY_LB2_SERVER_HOST: ip,
    ONEGATE_HAPROXY_LB2_SERVER_PORT: '32443',
    ONEGATE_HAPROXY_LB3_IP: '192.168.150.86',
    ONEGATE_HAPROXY_LB3_PORT: '80',
    ONEGATE_HAPROXY_LB3_SERVER_HOST: ip,
    ONEGATE_HAPROXY_LB3_SERVER_PORT: '32080',
  };
}
