// `json.dumps(json.loads(body))` as Python's defaults write it, for the seed chapter's LPUSH queue: its worker's
// acknowledge() removes `json.dumps(event)` from the processing list, which finds the entry only if the bytes match.
// Python keeps the key order of the body (JavaScript objects put integer-like keys first), prints numbers its own
// way (1.0, 1e-05, 1e+16, big integers exactly) and escapes every non-ASCII character: so a parser of our own.
import { OperationError } from '../../errors.js';

type PyValue = string | boolean | null | { num: string } | PyValue[] | PyObject;
interface PyObject {
  keys: string[];
  values: Map<string, PyValue>;
}

export class PythonJsonError extends OperationError {}

/** The text Python's `json.dumps(json.loads(text))` gives (separators ', ' and ': ', ensure_ascii). */
export function pythonJsonDumps(text: string): string {
  const p = new Parser(text);
  p.ws();
  const v = p.value();
  p.ws();
  if (p.i !== text.length) throw new PythonJsonError(`unexpected text at ${p.i}`);
  return dump(v);
}

class Parser {
  i = 0;
  constructor(private readonly s: string) {
    if (s.charCodeAt(0) === 0xfeff) throw new PythonJsonError('a byte-order mark (Python json.loads refuses it)');
  }
  ws(): void {
    while (this.i < this.s.length) {
      const c = this.s.charCodeAt(this.i);
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) break;
      this.i++;
    }
  }
  value(): PyValue {
    const c = this.s[this.i];
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === '"') return this.string();
    if (this.s.startsWith('true', this.i)) return (this.i += 4), true;
    if (this.s.startsWith('false', this.i)) return (this.i += 5), false;
    if (this.s.startsWith('null', this.i)) return (this.i += 4), null;
    const m = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(this.s.slice(this.i, this.i + 400));
    if (!m) throw new PythonJsonError(`unexpected character at ${this.i}`);
    this.i += m[0].length;
    return { num: m[0] };
  }
  object(): PyObject {
    this.i++;
    const obj: PyObject = { keys: [], values: new Map() };
    this.ws();
    if (this.s[this.i] === '}') return this.i++, obj;
    for (;;) {
      this.ws();
      if (this.s[this.i] !== '"') throw new PythonJsonError(`expected a key at ${this.i}`);
      const k = this.string();
      this.ws();
      if (this.s[this.i++] !== ':') throw new PythonJsonError(`expected ':' at ${this.i - 1}`);
      this.ws();
      const v = this.value();
      // dict(pairs): a repeated key keeps its first place and its last value.
      if (!obj.values.has(k)) obj.keys.push(k);
      obj.values.set(k, v);
      this.ws();
      const c = this.s[this.i++];
      if (c === '}') return obj;
      if (c !== ',') throw new PythonJsonError(`expected ',' or '}' at ${this.i - 1}`);
    }
  }
  array(): PyValue[] {
    this.i++;
    const arr: PyValue[] = [];
    this.ws();
    if (this.s[this.i] === ']') return this.i++, arr;
    for (;;) {
      this.ws();
      arr.push(this.value());
      this.ws();
      const c = this.s[this.i++];
      if (c === ']') return arr;
      if (c !== ',') throw new PythonJsonError(`expected ',' or ']' at ${this.i - 1}`);
    }
  }
  string(): string {
    // JSON.parse decodes escapes exactly as Python does (lone surrogates included); find the closing quote first.
    const start = this.i;
    this.i++;
    for (;;) {
      const c = this.s.charCodeAt(this.i);
      if (Number.isNaN(c)) throw new PythonJsonError('unterminated string');
      if (c === 0x5c) this.i += 2;
      else if (c === 0x22) break;
      else this.i++;
    }
    this.i++;
    return JSON.parse(this.s.slice(start, this.i)) as string;
  }
}

function dump(v: PyValue): string {
  if (v === null) return 'null';
  if (v === true) return 'true';
  if (v === false) return 'false';
  if (typeof v === 'string') return pyString(v);
  if (Array.isArray(v)) return `[${v.map(dump).join(', ')}]`;
  if ('num' in v) return pyNumber(v.num);
  return `{${v.keys.map((k) => `${pyString(k)}: ${dump(v.values.get(k)!)}`).join(', ')}}`;
}

const SHORT: Record<string, string> = { '"': '\\"', '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f' };

/** Python's ensure_ascii: printable ASCII as is, everything else \uXXXX (UTF-16 units, so astral = a pair). */
function pyString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    const c = s.charCodeAt(i);
    if (SHORT[ch] !== undefined) out += SHORT[ch];
    else if (c >= 0x20 && c <= 0x7e) out += ch;
    else out += `\\u${c.toString(16).padStart(4, '0')}`;
  }
  return `${out}"`;
}

/** int(token) or float(token) as Python prints it. */
function pyNumber(token: string): string {
  if (!/[.eE]/.test(token)) {
    // An integer of any size, exactly; "-0" is 0.
    const t = token.replace(/^(-?)0+(?=\d)/, '$1');
    return t === '-0' ? '0' : t;
  }
  return pyFloatRepr(Number(token));
}

/** repr(float): the shortest round-tripping digits, fixed notation for 1e-4 <= |x| < 1e16, else d.ddde+XX. */
export function pyFloatRepr(x: number): string {
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  if (Number.isNaN(x)) return 'NaN';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const sign = x < 0 ? '-' : '';
  const [mant, expText] = Math.abs(x).toExponential().split('e') as [string, string];
  const digits = mant.replace('.', '');
  const exp = Number(expText);
  const decpt = exp + 1;
  if (decpt > -4 && decpt <= 16) {
    if (decpt <= 0) return `${sign}0.${'0'.repeat(-decpt)}${digits}`;
    if (decpt >= digits.length) return `${sign}${digits}${'0'.repeat(decpt - digits.length)}.0`;
    return `${sign}${digits.slice(0, decpt)}.${digits.slice(decpt)}`;
  }
  const m = digits.length === 1 ? digits : `${digits[0]}.${digits.slice(1)}`;
  const e = Math.abs(exp);
  return `${sign}${m}e${exp < 0 ? '-' : '+'}${e < 10 ? `0${e}` : e}`;
}
