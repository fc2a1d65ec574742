// Reads one_env (formats.md §5.2) by raw folding. loc-16-gen-env writes `export NAME="value"` with a
// plain `echo` and no escaping, so nothing here may be unescaped; it is never sourced either.

/** Only a line that starts exactly like this begins a new entry (the producer writes it at column 0). */
const ENTRY_START = /^export ([A-Za-z_][A-Za-z0-9_]*)="/;

/**
 * Parses one_env text into NAME → value. An entry starts at a line `export NAME="`; the following lines
 * that do not start an entry are folded into it (joined by LF); the value is the raw text up to the
 * last `"` of the folded entry, and whatever follows that quote is dropped. An entry without any
 * closing quote is skipped (a continuation line that looks like `export X="` splits a value, see
 * formats.md §5.3 row 9). Lines before the first entry are ignored. Later duplicates win.
 */
export function parseOneEnv(text: string): Map<string, string> {
  const values = new Map<string, string>();
  let name: string | undefined;
  let folded: string[] = [];

  const finishEntry = (): void => {
    if (name === undefined) return;
    const entry = folded.join('\n');
    const lastQuote = entry.lastIndexOf('"');
    if (lastQuote !== -1) values.set(name, entry.slice(0, lastQuote));
    name = undefined;
    folded = [];
  };

  for (const line of text.split('\n')) {
    const start = ENTRY_START.exec(line);
    if (start !== null) {
      finishEntry();
      name = start[1] as string;
      folded = [line.slice(start[0].length)];
    } else if (name !== undefined) {
      folded.push(line);
    }
  }
  finishEntry();
  return values;
}
