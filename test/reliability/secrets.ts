// Secret hunting for the reliability suite: which files under a VM root hold a secret (as written,
// JSON-escaped as in a log line, or base64 at any alignment inside a longer base64 text), and which
// files that must stay private can be read by anyone.

import fs from 'node:fs';
import path from 'node:path';

export type SecretForm = 'raw' | 'json' | 'base64';

export interface SecretHit {
  /** The file as the VM sees it: its path under the root, with a leading `/`. */
  file: string;
  /** The secret found (as given to findSecrets, not the form it was found in). */
  secret: string;
  form: SecretForm;
  /** Permission bits of the file (`& 0o777`). */
  mode: number;
}

/** Secrets shorter than this would match ordinary text; they are not searched. */
export const MIN_SECRET_LENGTH = 4;
/** A base64 fragment shorter than this says nothing (it matches by chance). */
const MIN_BASE64_FRAGMENT = 8;

/**
 * The base64 texts that any base64 encoding containing `secret`'s bytes must contain, whatever the
 * number of bytes before it: for an offset of k = 0, 1 or 2 bytes, the characters of
 * base64(k bytes + secret) that depend on the secret's bytes only.
 */
export function base64Fragments(secret: string): string[] {
  const bytes = Buffer.from(secret, 'utf8');
  const fragments = new Set<string>();
  for (let k = 0; k < 3; k++) {
    const encoded = Buffer.concat([Buffer.alloc(k), bytes]).toString('base64');
    const first = Math.ceil((8 * k) / 6);
    const end = Math.floor((8 * (k + bytes.length)) / 6);
    const fragment = encoded.slice(first, end);
    if (fragment.length >= MIN_BASE64_FRAGMENT) fragments.add(fragment);
  }
  // The whole encoding too, padding included, for a secret encoded on its own.
  fragments.add(bytes.toString('base64'));
  return [...fragments];
}

/** Every form a secret can take in a file: as is, JSON-escaped (log lines), base64 (any alignment). */
export function secretForms(secret: string): { form: SecretForm; text: string }[] {
  const forms: { form: SecretForm; text: string }[] = [{ form: 'raw', text: secret }];
  const json = JSON.stringify(secret).slice(1, -1);
  if (json !== secret) forms.push({ form: 'json', text: json });
  for (const fragment of base64Fragments(secret)) forms.push({ form: 'base64', text: fragment });
  return forms;
}

/** Every regular file under `root` (symbolic links are not followed), as host paths. */
export function listFiles(root: string): string[] {
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) files.push(full);
    }
  };
  walk(root);
  return files.sort();
}

/** Every entry under `root` (files, directories, links…) as VM paths (`/etc/motd`), sorted. */
export function listTree(root: string): { file: string; kind: 'file' | 'directory' | 'other' }[] {
  const out: { file: string; kind: 'file' | 'directory' | 'other' }[] = [];
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      const file = `/${path.relative(root, full)}`;
      if (entry.isDirectory()) {
        out.push({ file, kind: 'directory' });
        walk(full);
      } else {
        out.push({ file, kind: entry.isFile() ? 'file' : 'other' });
      }
    }
  };
  walk(root);
  return out.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
}

/**
 * Scans every regular file under `root` (logs, motd, status files, configuration, anything) for each
 * secret in every form of secretForms. Secrets shorter than MIN_SECRET_LENGTH are skipped. Returns one
 * hit per file, secret and form; the caller decides which files may hold which secret (see
 * isLogOrWorldReadable).
 */
export function findSecrets(root: string, secrets: readonly string[]): SecretHit[] {
  const wanted = [...new Set(secrets)].filter((secret) => secret.length >= MIN_SECRET_LENGTH);
  const searched = wanted.map((secret) => ({ secret, forms: secretForms(secret).map((f) => ({ form: f.form, bytes: Buffer.from(f.text, 'utf8') })) }));
  const hits: SecretHit[] = [];
  for (const full of listFiles(root)) {
    const content = fs.readFileSync(full);
    const mode = fs.statSync(full).mode & 0o777;
    const file = `/${path.relative(root, full)}`;
    for (const { secret, forms } of searched) {
      const seen = new Set<SecretForm>();
      for (const { form, bytes } of forms) {
        if (seen.has(form) || !content.includes(bytes)) continue;
        seen.add(form);
        hits.push({ file, secret, form, mode });
      }
    }
  }
  return hits;
}

/** A hit that matters wherever it is: in a log, or in a file anyone on the VM can read. */
export function isLogOrWorldReadable(hit: SecretHit): boolean {
  return hit.file.startsWith('/var/log/') || (hit.mode & 0o004) !== 0;
}

/**
 * Of `paths` (VM paths of files that hold secrets, e.g. `/etc/rancher/rke2/config.yaml`), those that
 * exist under `root` and that others can read (o+r) or write (o+w), with their mode. Missing files
 * are not reported: the caller checks existence separately when it matters.
 */
export function worldReadableSecrets(root: string, paths: readonly string[]): { file: string; mode: number }[] {
  const out: { file: string; mode: number }[] = [];
  for (const file of paths) {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(path.join(root, file));
    } catch {
      continue;
    }
    const mode = stat.mode & 0o777;
    if ((mode & 0o006) !== 0) out.push({ file, mode });
  }
  return out;
}

/** One line per hit, for failure messages. */
export function describeHits(hits: readonly { file: string; secret: string; form?: string; mode?: number }[]): string {
  return hits
    .map((hit) => `${hit.file}${hit.mode === undefined ? '' : ` (mode ${hit.mode.toString(8)})`}: ${hit.form ?? 'raw'} ${JSON.stringify(hit.secret.slice(0, 24))}${hit.secret.length > 24 ? '…' : ''}`)
    .join('\n');
}
