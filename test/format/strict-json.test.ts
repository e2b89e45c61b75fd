/** The strict JSON parser refuses what JSON.parse lets through; canonical JSON reads back unchanged. */
import { describe, expect, it } from 'vitest';
import { canonicalByParts, canonicalCopy, canonicalJson, decodeUtf8Strict, parseByStrictParser, parseStrictJson, StrictJsonError } from '../../src/format/strict-json.js';

function refusal(text: string, maxDepth?: number): StrictJsonError {
  try {
    parseStrictJson(text, maxDepth);
  } catch (error) {
    expect(error).toBeInstanceOf(StrictJsonError);
    return error as StrictJsonError;
  }
  throw new Error(`accepted ${text}`);
}

describe('parseStrictJson refuses', () => {
  const table: Array<[string, string, RegExp, string?]> = [
    ['duplicate keys', '{"a":1,"a":2}', /duplicate key "a"/, '$.a'],
    ['duplicate keys, nested', '{"x":{"b":true,"b":false}}', /duplicate key "b"/, '$.x.b'],
    ['duplicate keys spelled with an escape', '{"ab":1,"a\\u0062":2}', /duplicate key "ab"/],
    ['__proto__ key', '{"__proto__":{"polluted":true}}', /forbidden key "__proto__"/],
    ['__proto__ key spelled with escapes', '{"\\u005f_proto__":{}}', /forbidden key "__proto__"/],
    ['constructor key', '{"constructor":{"prototype":{}}}', /forbidden key "constructor"/],
    ['prototype key', '{"a":{"prototype":1}}', /forbidden key "prototype"/],
    ['a fraction', '{"size":1.5}', /only integers/],
    ['an exponent', '{"size":1e3}', /only integers/],
    ['an integer spelled as a fraction', '{"size":10.0}', /only integers/],
    ['an unsafe integer', '{"size":9007199254740992}', /outside the safe range/],
    ['a negative unsafe integer', '[-9007199254740993]', /outside the safe range/],
    ['negative zero', '[-0]', /outside the safe range/],
    ['a huge integer', `[${'9'.repeat(500)}]`, /outside the safe range|malformed/],
    ['leading zeros', '[01]', /expected "," or "\]"/],
    ['NaN', '[NaN]', /unexpected character/],
    ['a lone high surrogate', '["\ud800"]', /lone surrogate/],
    ['a lone escaped surrogate', '["\\udc00"]', /lone surrogate/],
    ['an escaped high surrogate without its pair', '["\\ud800x"]', /lone surrogate/],
    ['a raw control character in a string', '["a\u0001b"]', /control character/],
    ['a bad escape', '["\\x41"]', /bad escape/],
    ['single quotes', "{'a':1}", /expected a string key/],
    ['a trailing comma', '{"a":1,}', /expected a string key/],
    ['trailing data', '{"a":1} {"a":2}', /unexpected data after the document/],
    ['an unterminated string', '{"a":"b', /unterminated string/],
    ['an empty document', '', /unexpected end of document/],
    ['a comment', '{"a":1 /* x */}', /expected "," or "}"/],
  ];
  for (const [name, text, message, path] of table) {
    it(name, () => {
      const error = refusal(text);
      expect(error.message).toMatch(message);
      if (path) expect(error.path).toBe(path);
    });
  }

  it('nesting deeper than the cap', () => {
    expect(refusal('[[[[1]]]]', 3).message).toMatch(/nesting too deep/);
    expect(parseStrictJson('[[[1]]]', 3)).toEqual([[[1]]]);
    expect(refusal(`${'['.repeat(100_000)}${']'.repeat(100_000)}`).message).toMatch(/nesting too deep/);
  });
});

describe('parseStrictJson accepts', () => {
  it('objects with a null prototype, safe integers, escapes and surrogate pairs', () => {
    const value = parseStrictJson('{"n":9007199254740991,"m":-9007199254740991,"s":"a\\u00e9\\ud83d\\ude00\\n\u00e9\ud83d\ude00","t":[true,false,null]}') as Record<string, unknown>;
    expect(Object.getPrototypeOf(value)).toBeNull();
    expect(value.n).toBe(Number.MAX_SAFE_INTEGER);
    expect(value.m).toBe(-Number.MAX_SAFE_INTEGER);
    expect(value.s).toBe('a\u00e9\u{1F600}\n\u00e9\u{1F600}');
  });
});

describe('decodeUtf8Strict', () => {
  it('refuses a byte-order mark', () => {
    expect(() => decodeUtf8Strict(Buffer.from('\ufeff{}', 'utf8'))).toThrow(/byte-order mark/);
  });
  const invalid: Array<[string, number[]]> = [
    ['a lone continuation byte', [0x7b, 0x80, 0x7d]],
    ['0xff', [0x22, 0xff, 0x22]],
    ['an overlong "/"', [0x22, 0xc0, 0xaf, 0x22]],
    ['an encoded surrogate', [0x22, 0xed, 0xa0, 0x80, 0x22]],
    ['a truncated sequence', [0x22, 0xe2, 0x82]],
    ['a code point above U+10FFFF', [0x22, 0xf4, 0x90, 0x80, 0x80, 0x22]],
  ];
  for (const [name, bytes] of invalid) {
    it(`refuses invalid UTF-8: ${name}`, () => {
      expect(() => decodeUtf8Strict(Buffer.from(bytes))).toThrow(/invalid UTF-8/);
    });
  }
});

describe('canonicalJson', () => {
  it('sorts keys, drops undefined, ends in one newline, and reads back unchanged', () => {
    const value = { b: [1, { y: 'é', x: null }], a: true, c: undefined, '': 'empty' };
    const text = canonicalJson(value);
    expect(text).toBe('{"":"empty","a":true,"b":[1,{"x":null,"y":"é"}]}\n');
    expect(canonicalJson(parseStrictJson(text))).toBe(text);
  });
  it('orders keys by UTF-16 code units, whatever order they were made in', () => {
    const value = { z: 1, Z: 2, '\u{1F600}': 3, '\uFFFD': 4, é: 5, a: undefined, '10': 6, '9': 7, b: { d: undefined, c: [undefined === undefined, null] } };
    expect(canonicalJson(value)).toBe('{"10":6,"9":7,"Z":2,"b":{"c":[true,null]},"z":1,"é":5,"\u{1F600}":3,"\uFFFD":4}\n');
  });
  it('refuses numbers it could not read back', () => {
    expect(() => canonicalJson({ size: 1.5 })).toThrow(expect.objectContaining({ code: 'INTERNAL' }));
    expect(() => canonicalJson({ size: 2 ** 53 })).toThrow(expect.objectContaining({ code: 'INTERNAL' }));
  });
});

describe('canonicalJson through its sorted copy, held against the text built value by value', () => {
  /** The text, or the error's code and message. */
  const outcome = (serialize: (value: unknown) => string, value: unknown): string => {
    try {
      return serialize(value);
    } catch (error) {
      return `${(error as { code?: string }).code ?? (error as Error).name}: ${(error as Error).message}`;
    }
  };
  const same = (value: unknown): void => expect(outcome(canonicalJson, value)).toBe(outcome(canonicalByParts, value));

  const sparse: unknown[] = [1];
  sparse[2] = 3;
  class Point {
    x = 1;
  }
  const withProto = JSON.parse('{"a":1,"__proto__":{"b":2}}') as unknown;
  const leftToParts: Array<[string, unknown]> = [
    ['a fraction', { a: [1, 2.5] }],
    ['a number past 2^53', { a: 2 ** 53 }],
    ['NaN', [Number.NaN]],
    ['undefined in an array', [1, undefined]],
    ['an array with a hole', sparse],
    ['a function', { f: () => 1 }],
    ['a symbol', [Symbol('s')]],
    ['a bigint', { n: 1n }],
    ['a Date', { at: new Date(0) }],
    ['a class instance', { p: new Point() }],
    ['a boxed string', { s: Object('ab') as unknown }],
    ['an array index key', { b: 1, '10': 2, '9': 3 }],
    ['a key that starts with a digit', { '1a': 1, a: 2 }],
    ['an own __proto__ key', withProto],
    ['undefined alone', undefined],
  ];
  it.each(leftToParts)('leaves %s to the text built value by value, with its text or its error', (_, value) => {
    expect(canonicalCopy(value)).toBeUndefined();
    same(value);
  });

  it('copies plain values, objects with a null prototype among them, with their keys sorted and undefined left out', () => {
    const bare = Object.assign(Object.create(null) as object, { b: 1, a: [true, null, 'x'] });
    expect(JSON.stringify(canonicalCopy({ z: { y: undefined, x: bare }, '': -0, é: 'é' }))).toBe('{"":0,"z":{"x":{"a":[true,null,"x"],"b":1}},"é":"é"}');
    for (const value of [bare, { z: 1, Z: 2, '\u{1F600}': 3, '\uFFFD': 4, é: 5, a: undefined }, '\ud800', [], {}, 0, -0, 2 ** 53 - 1, -(2 ** 53 - 1), 'a"\\\n\u0000\u2028', null, true]) same(value);
  });

  it('gives the same text on 3,000 generated values (objects in arrays share or change their keys)', () => {
    let seed = 7;
    const next = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const KEYS = ['rule', 'file', 'line', 'a', 'B', 'é', '', '\u{1F600}', '\uFFFD', 'x1', '_', '$', '9', '__proto__', 'constructor', 'toJSON'];
    const LEAVES: unknown[] = [0, 1, -1, 42, 2 ** 53 - 1, 1.5, 'text', '', 'é\u2028"\\', '\udc00', true, false, null, undefined];
    const make = (depth: number): unknown => {
      const kind = next(depth > 3 ? 2 : 5);
      if (kind < 2) return LEAVES[next(LEAVES.length - (next(10) === 0 ? 0 : 4))];
      if (kind === 2) return Array.from({ length: next(5) }, () => make(depth + 1));
      if (kind === 3) {
        // Entries of one shape, as a manifest's are, now and then one of another.
        const shape = Array.from({ length: 1 + next(4) }, () => KEYS[next(KEYS.length - (next(8) === 0 ? 0 : 3))]!);
        return Array.from({ length: next(6) }, () => Object.fromEntries((next(5) === 0 ? [...shape].reverse() : shape).map((k) => [k, make(depth + 2)])));
      }
      const o: Record<string, unknown> = {};
      for (let i = next(5); i > 0; i--) o[KEYS[next(KEYS.length - 3)]!] = make(depth + 1);
      return o;
    };
    let copied = 0;
    for (let i = 0; i < 3000; i++) {
      const value = make(0);
      if (canonicalCopy(value) !== undefined) copied++;
      same(value);
    }
    // Both paths are exercised.
    expect(copied).toBeGreaterThan(1000);
    expect(copied).toBeLessThan(2900);
  });
});

describe('parseStrictJson on compact documents (read by the engine, checked by the strict rules)', () => {
  /** The verdict of parseStrictJson on `text`, and the strict parser's alone. */
  function both(text: string, maxDepth?: number): [string, string] {
    const outcome = (parse: typeof parseStrictJson) => {
      try {
        const value = parse(text, maxDepth);
        const prototypes = new Set<unknown>();
        const visit = (v: unknown): void => {
          if (v === null || typeof v !== 'object') return;
          if (!Array.isArray(v)) prototypes.add(Object.getPrototypeOf(v));
          for (const child of Object.values(v)) visit(child);
        };
        visit(value);
        return `ok ${JSON.stringify(value)} prototypes ${[...prototypes].map(String).join(',')}`;
      } catch (error) {
        if (!(error instanceof StrictJsonError)) throw error;
        return `refused ${error.message}`;
      }
    };
    return [outcome(parseStrictJson), outcome(parseByStrictParser)];
  }

  it('gives what the strict parser gives, on what it takes and on every refusal', () => {
    const documents = [
      '{"a":1,"b":[true,false,null,"x"],"c":{"d":-9007199254740991}}',
      '{"a":1,"a":2}',
      '{"b":1,"a":{"c":1,"c":1}}',
      '{"__proto__":{"polluted":true}}',
      '{"a":{"constructor":1}}',
      '{"prototype":1}',
      '["__proto__"]',
      '{"x":"\\"__proto__\\":"}',
      '[1.5]',
      '[1e3]',
      '[10.0]',
      '[-0]',
      '[9007199254740992]',
      '["\\ud800"]',
      '["\\udc00x"]',
      '["\ud800"]',
      '["\\\\ud800"]',
      '["a\\u0001b\\n\\"\\\\"]',
      '["\\/"]',
      '{"2":1,"1":2}',
      '{"1":2,"2":1}',
      '{}',
      '[]',
      '""',
      '0',
      'null',
      '{"a":1}\n',
      '{"a":1}\n\n',
      '{"a":1}x',
      `${'['.repeat(64)}1${']'.repeat(64)}`,
      `${'['.repeat(65)}1${']'.repeat(65)}`,
      `${'['.repeat(65)}${']'.repeat(65)}`,
      `${'{"a":'.repeat(65)}1${'}'.repeat(65)}`,
      `${'['.repeat(100_000)}${']'.repeat(100_000)}`,
      '{"a" :1,"a":2}',
      '{"a"\n:1,"a":2}',
      '{"a":":","a":2}',
      '{"a":"\\":","a":1}',
      '{"a":"x:1","b":"\\":"}',
      '{"__prot\\u006f__":{"polluted":true}}',
      '{"a":{"constructo\\u0072":1}}',
      '[1E3]',
      '[1e+3]',
      '[ 2.0]',
      '{"a":-0}',
      '[-0.0]',
      '2.0',
      '{"a":"1.5, 2e3"}',
    ];
    for (const text of documents) {
      const [compact, strict] = both(text);
      expect(compact, text.slice(0, 80)).toBe(strict);
    }
    expect(both('[[[1]]]', 2)[0]).toBe(both('[[[1]]]', 2)[1]);
    expect(both('[[[1]]]', 2)[0]).toMatch(/nesting too deep/);
  });

  it('gives what the strict parser gives on random compact documents', () => {
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const pick = <T>(items: T[]): T => items[Math.floor(random() * items.length)]!;
    const value = (depth: number): string => {
      const r = random();
      if (depth > 4 || r < 0.3) return pick(['1', '-1', '0', '1.5', '1e2', '9007199254740993', '"a"', '"\\ud83d\\ude00"', '"\\ud800"', 'true', 'null', '"é"']);
      if (r < 0.6) return `[${Array.from({ length: Math.floor(random() * 4) }, () => value(depth + 1)).join(',')}]`;
      const keys = Array.from({ length: Math.floor(random() * 4) }, () => pick(['"a"', '"b"', '"1"', '"__proto__"', '"z"', '"\\u0061"']));
      return `{${keys.map((k) => `${k}:${value(depth + 1)}`).join(',')}}`;
    };
    let compared = 0;
    for (let i = 0; i < 2000; i++) {
      const text = value(0);
      const [compact, strict] = both(text, 3);
      expect(compact, text).toBe(strict);
      compared++;
    }
    expect(compared).toBe(2000);
  });
});
