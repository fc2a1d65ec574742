import { describe, expect, it } from 'vitest';
import { countCharacters, maskUrlPassword, MAX_SHOWN_LENGTH, showValue } from '../../../src/config/show-value.ts';

describe('showValue', () => {
  it.each([
    ['70000', '"70000"'],
    ['', '""'],
    ['say "hi"', '"say \\"hi\\""'],
    ['a\nb\r\tc', '"a\\nb\\r\\tc"'],
    ['back\\slash', '"back\\\\slash"'],
    ['naïve ✓', '"naïve ✓"'],
    ['\u0000\u001b[31m', '"\\u0000\\u001b[31m"'],
    ['del\u007f nel\u0085 ls\u2028 ps\u2029 bom\ufeff rlo\u202e', '"del\\u007f nel\\u0085 ls\\u2028 ps\\u2029 bom\\ufeff rlo\\u202e"'],
    ['lone \ud800 surrogate', '"lone \\ud800 surrogate"'],
  ])('quotes %j on one line', (value, shown) => {
    expect(showValue(value)).toBe(shown);
  });

  it('keeps a value of exactly the limit whole', () => {
    const value = 'x'.repeat(MAX_SHOWN_LENGTH - 2);
    expect(showValue(value)).toBe(`"${value}"`);
  });

  it('shortens a long value with an ellipsis and the total length', () => {
    const shown = showValue('y'.repeat(61));
    expect(shown).toBe(`"${'y'.repeat(40)}…" (61 characters)`);
    expect(shown.length).toBeLessThanOrEqual(MAX_SHOWN_LENGTH + 10);
  });

  it('shortens a value that is short but long once escaped', () => {
    const shown = showValue('\u0001'.repeat(20));
    expect(shown).toMatch(/^"(\\u0001)+…" \(20 characters\)$/);
  });

  it('keeps binary junk on one short line', () => {
    const junk = String.fromCharCode(...Array.from({ length: 256 }, (_, index) => index)).repeat(4);
    const shown = showValue(junk);
    expect(shown).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/);
    expect(shown.length).toBeLessThanOrEqual(70);
    expect(shown).toContain('(1024 characters)');
  });

  it('shows a 10 MB value shortened', () => {
    const shown = showValue('z'.repeat(10 * 1024 * 1024));
    expect(shown).toBe(`"${'z'.repeat(40)}…" (10485760 characters)`);
  });

  it('never shows a secret, only its length', () => {
    expect(showValue('hunter22', { secret: true })).toBe('<hidden, 8 characters>');
    expect(showValue('🔑🔑', { secret: true })).toBe('<hidden, 2 characters>');
  });

  it('does not split a surrogate pair when shortening', () => {
    const shown = showValue('🚀'.repeat(50));
    expect(shown).toBe(`"${'🚀'.repeat(20)}…" (50 characters)`);
  });
});

describe('countCharacters', () => {
  it.each([
    ['', 0],
    ['abc', 3],
    ['naïve', 5],
    ['🚀x', 2],
    ['\ud800', 1],
  ])('%j has %i', (value, count) => {
    expect(countCharacters(value)).toBe(count);
  });
});

describe('maskUrlPassword', () => {
  it.each([
    ['http://user:pass@proxy:3128', 'http://user:<hidden>@proxy:3128'],
    ['https://:p%40ss@proxy', 'https://:<hidden>@proxy'],
    ['http://user@proxy:3128', 'http://user@proxy:3128'],
    ['http://proxy:3128', 'http://proxy:3128'],
  ])('%s → %s', (value, masked) => {
    expect(maskUrlPassword(value)).toBe(masked);
  });
});
