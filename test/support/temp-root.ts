import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { onTestFinished } from 'vitest';

/** A fresh folder to use as `--root`, removed when the test ends. */
export async function tempRoot(files: Record<string, string> = {}): Promise<string> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'oneke-root-'));
  onTestFinished(() => fs.rm(root, { recursive: true, force: true }));
  for (const [vmPath, content] of Object.entries(files)) {
    const target = path.join(root, vmPath);
    await fs.mkdir(path.dirname(target), { recursive: true });
    await fs.writeFile(target, content);
  }
  return root;
}
