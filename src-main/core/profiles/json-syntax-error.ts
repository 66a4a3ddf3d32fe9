// JSON.parse says a profile is broken but, for several mistakes, not where ("Unexpected
// token '}', ... is not valid JSON"). People edit profiles by hand, so after JSON.parse has
// refused a file this small scanner walks it again to find the first error's line and
// column and to say what was expected there, in words.

export interface JsonSyntaxError {
  /** 1-based line of the first error. */
  line: number;
  /** 1-based column (in UTF-16 units) of the first error. */
  column: number;
  message: string;
}

class SyntaxStop {
  constructor(
    readonly offset: number,
    readonly message: string,
  ) {}
}

/** The first syntax error in text, or null when it is valid JSON. */
export function findJsonSyntaxError(text: string): JsonSyntaxError | null {
  try {
    new Scanner(text).document();
    return null;
  } catch (error) {
    if (!(error instanceof SyntaxStop)) return null; // e.g. absurd nesting: no position to give
    return { ...lineAndColumn(text, error.offset), message: error.message };
  }
}

export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

class Scanner {
  private pos = 0;

  constructor(private readonly text: string) {}

  document(): void {
    if (this.text.charCodeAt(0) === 0xfeff) this.pos = 1;
    this.value();
    this.space();
    if (this.pos < this.text.length) this.stop('unexpected text after the end of the JSON value');
  }

  private value(): void {
    this.space();
    const ch = this.text[this.pos];
    if (ch === '{') return this.object();
    if (ch === '[') return this.array();
    if (ch === '"') return this.string();
    if (ch === '-' || (ch !== undefined && ch >= '0' && ch <= '9')) return this.number();
    for (const word of ['true', 'false', 'null']) {
      if (this.text.startsWith(word, this.pos)) {
        this.pos += word.length;
        return;
      }
    }
    if (ch === undefined) this.stop('unexpected end of file, a value was expected');
    this.stop(`expected a value, found ${describe(ch)}${ch === "'" ? ' (strings need double quotes)' : ''}`);
  }

  private object(): void {
    this.pos++;
    this.space();
    if (this.text[this.pos] === '}') {
      this.pos++;
      return;
    }
    for (;;) {
      this.space();
      if (this.text[this.pos] !== '"') {
        const ch = this.text[this.pos];
        const hint = ch === '}' ? ' (a comma before the closing brace?)' : '';
        this.stop(`expected a property name in double quotes, found ${describe(ch)}${hint}`);
      }
      this.string();
      this.space();
      if (this.text[this.pos] !== ':') this.stop(`expected ':' after the property name, found ${describe(this.text[this.pos])}`);
      this.pos++;
      this.value();
      this.space();
      const ch = this.text[this.pos];
      this.pos++;
      if (ch === '}') return;
      if (ch !== ',') {
        this.pos--;
        this.stop(`expected ',' or '}' after a property, found ${describe(ch)}`);
      }
    }
  }

  private array(): void {
    this.pos++;
    this.space();
    if (this.text[this.pos] === ']') {
      this.pos++;
      return;
    }
    for (;;) {
      this.space();
      if (this.text[this.pos] === ']') this.stop("expected a value, found ']' (a comma before the closing bracket?)");
      this.value();
      this.space();
      const ch = this.text[this.pos];
      this.pos++;
      if (ch === ']') return;
      if (ch !== ',') {
        this.pos--;
        this.stop(`expected ',' or ']' after an array element, found ${describe(ch)}`);
      }
    }
  }

  private string(): void {
    this.pos++;
    for (;;) {
      const code = this.text.charCodeAt(this.pos);
      if (Number.isNaN(code)) this.stop('unexpected end of file inside a string');
      if (code === 0x22) {
        this.pos++;
        return;
      }
      if (code < 0x20) this.stop('a line break or control character inside a string (write \\n for a new line)');
      if (code === 0x5c) {
        const escape = this.text[this.pos + 1];
        if (escape === 'u') {
          const hex = this.text.slice(this.pos + 2, this.pos + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.stop('bad \\u escape: four hex digits expected');
          this.pos += 6;
          continue;
        }
        if (escape === undefined || !'"\\/bfnrt'.includes(escape)) {
          this.stop(`bad escape \\${escape ?? ''} in a string (a backslash in a pattern is written \\\\)`);
        }
        this.pos += 2;
        continue;
      }
      this.pos++;
    }
  }

  private number(): void {
    NUMBER.lastIndex = this.pos;
    const match = NUMBER.exec(this.text);
    if (!match) this.stop(`expected a number, found ${describe(this.text[this.pos + 1])}`);
    this.pos += match[0].length;
  }

  private space(): void {
    while (this.pos < this.text.length && ' \t\r\n'.includes(this.text[this.pos] as string)) this.pos++;
  }

  private stop(message: string): never {
    throw new SyntaxStop(this.pos, message);
  }
}

function describe(ch: string | undefined): string {
  if (ch === undefined) return 'the end of the file';
  return JSON.stringify(ch);
}
