// The test-support reader of OpenNebula template syntax (support/one-template.ts).

import { describe, expect, test } from 'vitest';
import { OneTemplateSyntaxError, parseOneTemplate, single, vector, vectors } from './support/one-template.ts';

describe('parseOneTemplate', () => {
  test('single and vector attributes, comments, repeated names, upper-cased names', () => {
    const template = parseOneTemplate(
      [
        '# a comment',
        'NAME = "OneKE" # after a value',
        'memory = 4096',
        'DISK = [ IMAGE = "os", DEV_PREFIX = "vd" ]',
        'DISK = [',
        '  TYPE = "fs",   # a comment inside',
        '  SIZE = "10240"',
        ']',
        'CONTEXT = [ A = "$B", C = "x, y]" ]',
        '',
      ].join('\n'),
    );
    expect(single(template, 'NAME')).toBe('OneKE');
    expect(single(template, 'MEMORY')).toBe('4096');
    expect(vectors(template, 'DISK').map((d) => Object.fromEntries(d))).toEqual([
      { IMAGE: 'os', DEV_PREFIX: 'vd' },
      { TYPE: 'fs', SIZE: '10240' },
    ]);
    expect(Object.fromEntries(vector(template, 'CONTEXT'))).toEqual({ A: '$B', C: 'x, y]' });
  });

  test('strings span lines and keep | and escaped quotes', () => {
    const [attribute] = parseOneTemplate('X = "line 1\nline \\"2\\" | O|text|a||b"\n');
    expect(attribute).toEqual({ name: 'X', kind: 'single', value: 'line 1\nline "2" | O|text|a||b' });
  });

  test.each([
    ['NAME "x"', /expected "="/],
    ['NAME = "x', /unterminated string/],
    ['V = [ A = "1" B = "2" ]', /expected "," or "\]"/],
    ['V = [ A = "1", A = "2" ]', /A given twice/],
    ['A = "1" B = "2"', /end of the line/],
    ['1A = "x"', /attribute name/],
  ])('rejects %j', (text, expected) => {
    expect(() => parseOneTemplate(text)).toThrow(OneTemplateSyntaxError);
    expect(() => parseOneTemplate(text)).toThrow(expected);
  });

  test('the error names the line', () => {
    expect(() => parseOneTemplate('A = "1"\n\nB = [ C ]')).toThrow(/line 3/);
  });

  test('single() and vector() insist on exactly one attribute', () => {
    const template = parseOneTemplate('A = "1"\nA = "2"\nV = [ X = "1" ]');
    expect(() => single(template, 'A')).toThrow(/found 2/);
    expect(() => single(template, 'V')).toThrow();
    expect(() => vector(template, 'A')).toThrow();
    expect(() => vector(template, 'MISSING')).toThrow(/found 0/);
  });
});
