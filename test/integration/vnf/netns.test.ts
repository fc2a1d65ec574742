// The namespace harness itself: it builds working networks without touching the host's namespace,
// and removes everything, after a failed test too, and after crashed runs.

import { execa } from 'execa';
import { describe, expect, test } from 'vitest';
import { isRoot, NEEDS_ROOT, removeLeftovers, TestNet } from '../../support/netns.ts';
import { useTestNet } from '../../support/use-test-net.ts';
import { connectOnce, startServer } from './tcp-tools.ts';

async function hostLinks(): Promise<string> {
  const { stdout } = await execa('ip', ['-o', 'link', 'show']);
  return stdout
    .split('\n')
    .map((line) => line.split(':')[1]?.trim())
    .sort()
    .join(' ');
}

async function namespaces(): Promise<string[]> {
  const { stdout } = await execa('ip', ['netns', 'list']);
  return stdout.split('\n').map((line) => line.split(' ')[0] ?? '');
}

describe.skipIf(!isRoot())(`test networks (${NEEDS_ROOT})`, () => {
  let failedNetPrefix = '';

  test('two namespaces on a bridge talk TCP; the host namespace gets no link', async () => {
    const before = await hostLinks();
    const net = useTestNet();
    const a = await net.namespace('a');
    const b = await net.namespace('b');
    await net.bridge('lan');
    await net.attach(a, 'eth0', 'lan', { mac: '02:00:0a:00:00:02', addresses: ['10.0.0.2/24'] });
    await net.attach(b, 'eth0', 'lan', { mac: '02:00:0a:00:00:03', addresses: ['10.0.0.3/24'] });
    expect(await net.ipv4Addresses(a, 'eth0')).toEqual(['10.0.0.2']);
    expect(await net.ip(a, ['-br', 'link', 'show', 'eth0'])).toContain('02:00:0a:00:00:02');

    await startServer(net, b, 'b', 7000);
    expect(await connectOnce(net, a, '10.0.0.3', 7000)).toBe('b 10.0.0.2');
    expect(await hostLinks()).toBe(before);
  });

  test('a direct cable, and processes that are gone after cleanup', async () => {
    const net = new TestNet();
    try {
      const a = await net.namespace('a');
      const b = await net.namespace('b');
      await net.wire({ ns: a, ifname: 'eth1', addresses: ['192.0.2.1/30'] }, { ns: b, ifname: 'eth0', addresses: ['192.0.2.2/30'] });
      const server = await startServer(net, b, 'b', 7001);
      expect(await connectOnce(net, a, '192.0.2.2', 7001)).toBe('b 192.0.2.1');
      expect(server.running()).toBe(true);
      await net.cleanup();
      expect(server.running()).toBe(false);
      expect(await net.existingNamespaces()).toEqual([]);
    } finally {
      await net.cleanup();
    }
  });

  test.fails('a failing test still has its network removed (this test fails on purpose)', async () => {
    const net = useTestNet();
    failedNetPrefix = net.prefix;
    const ns = await net.namespace('doomed');
    net.spawn(ns, 'sleep', ['600']);
    throw new Error('the test fails here');
  });

  test('… and after it, nothing of that network is left', async () => {
    expect(failedNetPrefix).not.toBe('');
    expect((await namespaces()).filter((ns) => ns.startsWith(failedNetPrefix))).toEqual([]);
  });

  test('removeLeftovers deletes namespaces of dead test processes, with what runs inside, and nothing else', async () => {
    // A pid above pid_max cannot belong to a live process.
    const deadPid = 4_194_304 + 17;
    const stale = `okt-${deadPid}-1-stale`;
    await execa('ip', ['netns', 'add', stale]);
    const sleeper = execa('ip', ['netns', 'exec', stale, 'sleep', '600'], { reject: false, detached: true });
    const mine = new TestNet();
    try {
      await mine.namespace('alive');
      await new Promise((resolve) => setTimeout(resolve, 100));
      const removed = await removeLeftovers();
      expect(removed).toContain(stale);
      expect(removed.filter((ns) => ns.startsWith(mine.prefix))).toEqual([]);
      expect(await namespaces()).not.toContain(stale);
      expect(await mine.existingNamespaces()).toHaveLength(1);
      const result = await sleeper;
      expect(result.signal).toBe('SIGKILL');
    } finally {
      await execa('ip', ['netns', 'del', stale], { reject: false });
      await mine.cleanup();
    }
  });
});
