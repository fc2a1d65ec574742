import { describe, expect, it } from 'vitest';
import { parseOneEnv } from '../../../src/context/index.ts';
import { oneEnvEntry, TRICKY_ROWS } from './tricky-values.ts';

const BEFORE = 'export TOKENTXT="tok"\nexport VMID="7"\nexport ONEGATE_ENDPOINT="http://169.254.16.9:5030"\n';
const AFTER = 'export NEXT_ONE="after"\n';

describe('parseOneEnv', () => {
  describe('formats.md §5.3, raw folding column', () => {
    it.each(TRICKY_ROWS)('row $row: $what', ({ oneEnv, rawFold, rawFoldMissing }) => {
      const values = parseOneEnv(BEFORE + oneEnv + AFTER);
      for (const [name, value] of Object.entries(rawFold)) expect(values.get(name)).toBe(value);
      for (const name of rawFoldMissing ?? []) expect(values.has(name)).toBe(false);
      expect(values.get('NEXT_ONE')).toBe('after');
      expect(values.get('TOKENTXT')).toBe('tok');
    });

    it('is exact for every row but 9 (raw folding cannot tell a continuation that looks like an entry)', () => {
      const exact = TRICKY_ROWS.filter(({ name, value, oneEnv }) => parseOneEnv(oneEnv).get(name) === value).map(({ row }) => row);
      expect(exact).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 10]);
    });
  });

  it.each([
    { what: 'text after the last quote', text: 'export A="x" trailing junk\nexport B="y"z\n', expected: { A: 'x', B: 'y' } },
    { what: 'the last quote of a folded entry', text: 'export A="l1 "q"\nl2" tail\n', expected: { A: 'l1 "q"\nl2' } },
    { what: '= inside a value', text: 'export A="k=v=w"\n', expected: { A: 'k=v=w' } },
    { what: 'names with digits', text: 'export ETH0_IP="10.0.0.2"\nexport ONEAPP_VNF_HAPROXY_LB0_SERVER1_HOST="h"\n', expected: { ETH0_IP: '10.0.0.2', ONEAPP_VNF_HAPROXY_LB0_SERVER1_HOST: 'h' } },
    { what: 'a CR inside a value', text: 'export A="x\ry"\n', expected: { A: 'x\ry' } },
    { what: 'a CRLF file', text: 'export A="1"\r\nexport B="2"\r\n', expected: { A: '1', B: '2' } },
    { what: 'non-ASCII text', text: 'export A="naïve ✓ 日本 🚀"\n', expected: { A: 'naïve ✓ 日本 🚀' } },
    { what: 'an empty value', text: 'export A=""\n', expected: { A: '' } },
    { what: "a value that is only '", text: oneEnvEntry('A', "'"), expected: { A: "'" } },
    { what: 'a value that is only "', text: oneEnvEntry('A', '"'), expected: { A: '"' } },
    { what: 'no unescaping at all', text: 'export A="\\"\\n\\\\n\\t"\n', expected: { A: '\\"\\n\\\\n\\t' } },
    { what: 'blank lines inside a value', text: 'export A="\nx\n\ny\n"\n', expected: { A: '\nx\n\ny\n' } },
    { what: 'a later duplicate wins', text: 'export VMID="1"\nexport VMID="2"\n', expected: { VMID: '2' } },
    { what: 'lines before the first entry are ignored', text: '# comment\ngarbage\nexport A="1"\n', expected: { A: '1' } },
    { what: 'an entry with no closing quote is skipped', text: 'export A="1"\nexport B="no end\nstill none\nexport C="3"\n', expected: { A: '1', C: '3' } },
    { what: 'an unclosed duplicate keeps the earlier value', text: 'export A="1"\nexport A="broken\n', expected: { A: '1' } },
    { what: 'an indented export is a continuation', text: 'export A="x\n  export B="y"\n', expected: { A: 'x\n  export B="y' } },
    { what: 'an empty file', text: '', expected: {} },
  ])('$what', ({ text, expected }) => {
    expect(Object.fromEntries(parseOneEnv(text))).toEqual(expected);
  });

  it('reads a 1 MB value', () => {
    const big = 'y"'.repeat(512 * 1024);
    const values = parseOneEnv(BEFORE + oneEnvEntry('BIG', big) + AFTER);
    expect(values.get('BIG')).toBe(big);
    expect(values.get('NEXT_ONE')).toBe('after');
  });
});
