// A production log's CSV read back by RFC 4180, as a spreadsheet would: quoted fields may hold
// commas, quotes (doubled) and line breaks; every record ends with CRLF.
import { expect } from 'vitest';

/** Every record of a CSV document, each a list of its cells. */
export function readCsv(text: string): string[][] {
  const records: string[][] = [];
  let i = 0;
  while (i < text.length) {
    const cells: string[] = [];
    for (;;) {
      let cell = '';
      if (text[i] === '"') {
        i++;
        for (;;) {
          const quote = text.indexOf('"', i);
          expect(quote, 'an unclosed quoted cell').toBeGreaterThanOrEqual(0);
          cell += text.slice(i, quote);
          i = quote + 1;
          if (text[i] !== '"') break;
          cell += '"';
          i++;
        }
      } else {
        const end = text.slice(i).search(/,|\r\n/);
        expect(end, 'a record without its CRLF').toBeGreaterThanOrEqual(0);
        cell = text.slice(i, i + end);
        i += end;
      }
      cells.push(cell);
      if (text.startsWith('\r\n', i)) {
        i += 2;
        break;
      }
      expect(text[i]).toBe(',');
      i++;
    }
    records.push(cells);
  }
  return records;
}

/** The one record a CSV line holds. */
export function readCsvRecord(text: string): string[] {
  const records = readCsv(text);
  expect(records).toHaveLength(1);
  return records[0]!;
}
