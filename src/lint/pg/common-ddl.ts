/**
 * Reads the most common migration statements of PostgreSQL without the parser: CREATE TABLE
 * with plain column definitions and PRIMARY KEY, UNIQUE, NOT NULL, NULL and DEFAULT constants,
 * CREATE INDEX on plain columns, and DROP TABLE or INDEX. For a script made of nothing else it
 * returns exactly the statements libpg_query's parseSync gives (the same nodes, keys, key order,
 * locations and statement spans); for anything else, including every script the parser would
 * refuse, it returns undefined and the parser reads the script. The parser runs as WebAssembly
 * and hands back JSON to decode, tens of microseconds for a short statement; this reader costs
 * a few.
 *
 * It accepts only what it can answer for exactly: ASCII text, bare names that are no keyword or
 * an unreserved one (lower-cased, at most 63 characters, as the scanner leaves them), unsigned
 * integers that fit 32 bits (a minus sign written against one), single-quoted strings without
 * backslashes, TRUE, FALSE and NULL, a few built-in type names, and the statements' own
 * keywords. A quoted name, an operator, a cast, a clause it does not know, or any other
 * character sends the whole script to the parser.
 */
import { isDigit, isWordPart, isWordStart } from '../ascii-words.js';
import { NOT_NAMES, UNRESERVED } from './keywords.js';

type Node = Record<string, unknown>;

/** A statement as parseSync gives it in `stmts`. */
export interface RawStmt {
  stmt: Node;
  stmt_location?: number;
  stmt_len?: number;
}

const WORD = 1;
const NUMBER = 2;
const STRING = 3;
const PUNCT = 4;

interface Token {
  kind: number;
  start: number;
  end: number;
  /** A word lower-cased, a string's value, a number's digits, a punctuation mark itself. */
  text: string;
}

const UNKNOWN = Symbol('not a common statement');
/** The scanner truncates longer names (NAMEDATALEN - 1 bytes); such scripts go to the parser. */
const MAX_NAME = 63;
const MAX_INT4 = 2147483647;

/** The statements of `text` as parseSync reads them, or undefined when this reader cannot answer for them. */
export function readCommonPgDdl(text: string): RawStmt[] | undefined {
  // The parser's binding refuses an empty string outright.
  if (text === '') return undefined;
  const tokens = tokenize(text);
  if (!tokens) return undefined;
  try {
    return new Reader(tokens).program();
  } catch (error) {
    if (error === UNKNOWN) return undefined;
    throw error;
  }
}

function tokenize(text: string): Token[] | undefined {
  const tokens: Token[] = [];
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 32 || c === 9 || c === 10 || c === 13) {
      i++;
    } else if (c === 45 /* - */ && text.charCodeAt(i + 1) === 45) {
      // A comment runs to the end of the line, a line feed or a carriage return.
      while (i < n && text.charCodeAt(i) !== 10 && text.charCodeAt(i) !== 13) {
        if (!isText(text.charCodeAt(i))) return undefined;
        i++;
      }
    } else if (c === 47 /* / */ && text.charCodeAt(i + 1) === 42 /* * */) {
      // Block comments nest in PostgreSQL; one that opens another is left to the parser.
      const close = text.indexOf('*/', i + 2);
      if (close < 0) return undefined;
      for (let k = i + 2; k < close; k++) {
        const d = text.charCodeAt(k);
        if (!isText(d) || (d === 47 && text.charCodeAt(k + 1) === 42)) return undefined;
      }
      i = close + 2;
    } else if (isWordStart(c)) {
      const start = i;
      while (i < n && isWordPart(text.charCodeAt(i))) i++;
      const next = text.charCodeAt(i);
      // A dollar sign continues a name; a quote right after a word makes E'', B'', X'', N'' and the like.
      if (next === 36 || next === 39 || next === 34 || i - start > MAX_NAME) return undefined;
      tokens.push({ kind: WORD, start, end: i, text: text.slice(start, i).toLowerCase() });
    } else if (c >= 48 && c <= 57) {
      const start = i;
      while (i < n && isDigit(text.charCodeAt(i))) i++;
      // Decimals, exponents, hexadecimal, underscores and trailing letters are left to the parser.
      const next = text.charCodeAt(i);
      if (isWordPart(next) || next === 46 || next === 36 || next === 39 || next === 34) return undefined;
      tokens.push({ kind: NUMBER, start, end: i, text: text.slice(start, i) });
    } else if (c === 39 /* ' */) {
      const start = i;
      let value = '';
      for (i++; ; i++) {
        const close = text.indexOf("'", i);
        if (close < 0) return undefined;
        value += text.slice(i, close);
        i = close;
        if (text.charCodeAt(i + 1) !== 39) break;
        value += "'";
        i++;
      }
      i++;
      for (let k = start + 1; k < i - 1; k++) if (!isText(text.charCodeAt(k)) || text.charCodeAt(k) === 92 /* \ */) return undefined;
      // Strings are concatenated across a line break, and a name or a number may follow a quote: the parser decides.
      const next = text.charCodeAt(i);
      if (isWordPart(next) || next === 39 || next === 36 || next === 34) return undefined;
      tokens.push({ kind: STRING, start, end: i, text: value });
    } else if (c === 40 || c === 41 || c === 44 || c === 59 || c === 46) {
      tokens.push({ kind: PUNCT, start: i, end: i + 1, text: text[i]! });
      i++;
    } else if (c === 45 && isDigit(text.charCodeAt(i + 1))) {
      // A minus sign written against a number (other operators are left to the parser).
      tokens.push({ kind: PUNCT, start: i, end: i + 1, text: '-' });
      i++;
    } else {
      return undefined;
    }
  }
  return tokens;
}

/** Printable ASCII, tab, line feed, carriage return: what this reader's offsets (bytes = characters) allow. */
function isText(c: number): boolean {
  return (c >= 32 && c < 127) || c === 9 || c === 10 || c === 13;
}

class Reader {
  private at = 0;
  constructor(private readonly tokens: Token[]) {}

  program(): RawStmt[] {
    const out: RawStmt[] = [];
    const tokens = this.tokens;
    while (this.at < tokens.length) {
      if (tokens[this.at]!.text === ';' && tokens[this.at]!.kind === PUNCT) {
        this.at++;
        continue;
      }
      const location = tokens[this.at]!.start;
      const stmt = this.statement();
      const after = tokens[this.at];
      if (after !== undefined && !(after.kind === PUNCT && after.text === ';')) throw UNKNOWN;
      const raw: RawStmt = { stmt };
      if (location !== 0) raw.stmt_location = location;
      if (after !== undefined) raw.stmt_len = after.start - location;
      out.push(raw);
    }
    return out;
  }

  private statement(): Node {
    const first = this.word();
    if (first === 'create') {
      const second = this.peekWord();
      if (second === 'table') return this.createTable();
      if (second === 'index' || second === 'unique') return this.createIndex();
    } else if (first === 'drop') {
      return this.drop();
    }
    throw UNKNOWN;
  }

  private createTable(): Node {
    this.expectWord('table');
    const ifNotExists = this.ifWords('not');
    const relation = this.rangeVar();
    this.expect('(');
    const tableElts: Node[] = [];
    do tableElts.push(this.tableElement());
    while (this.accept(','));
    this.expect(')');
    return { CreateStmt: { relation, tableElts, oncommit: 'ONCOMMIT_NOOP', ...(ifNotExists && { if_not_exists: true }) } };
  }

  private tableElement(): Node {
    const next = this.peekWord();
    if (next === 'primary' || next === 'unique') {
      const location = this.token().start;
      this.at++;
      if (next === 'primary') this.expectWord('key');
      this.expect('(');
      const keys: Node[] = [];
      do keys.push({ String: { sval: this.name() } });
      while (this.accept(','));
      this.expect(')');
      this.endOfElement();
      return { Constraint: { contype: next === 'primary' ? 'CONSTR_PRIMARY' : 'CONSTR_UNIQUE', keys, location } };
    }
    const location = this.token().start;
    const colname = this.name();
    const typeName = this.typeName();
    const constraints: Node[] = [];
    while (!this.atEndOfElement()) constraints.push(this.columnConstraint());
    return { ColumnDef: { colname, typeName, is_local: true, ...(constraints.length > 0 && { constraints }), location } };
  }

  private columnConstraint(): Node {
    const location = this.token().start;
    switch (this.word()) {
      case 'not':
        this.expectWord('null');
        return { Constraint: { contype: 'CONSTR_NOTNULL', is_enforced: true, initially_valid: true, location } };
      case 'null':
        return { Constraint: { contype: 'CONSTR_NULL', location } };
      case 'primary':
        this.expectWord('key');
        return { Constraint: { contype: 'CONSTR_PRIMARY', location } };
      case 'unique':
        return { Constraint: { contype: 'CONSTR_UNIQUE', location } };
      case 'default':
        return { Constraint: { contype: 'CONSTR_DEFAULT', raw_expr: this.constant(), location } };
      default:
        throw UNKNOWN;
    }
  }

  /** A constant after DEFAULT, as the parser folds it into an A_Const. */
  private constant(): Node {
    const token = this.token();
    const location = token.start;
    this.at++;
    if (token.kind === NUMBER) return { A_Const: { ival: int4(token.text, 1), location } };
    if (token.kind === PUNCT && token.text === '-') {
      const digits = this.token();
      if (digits.kind !== NUMBER || digits.start !== token.end) throw UNKNOWN;
      this.at++;
      return { A_Const: { ival: int4(digits.text, -1), location } };
    }
    if (token.kind === STRING) return { A_Const: { sval: { sval: token.text }, location } };
    if (token.kind === WORD) {
      if (token.text === 'true') return { A_Const: { boolval: { boolval: true }, location } };
      if (token.text === 'false') return { A_Const: { boolval: {}, location } };
      if (token.text === 'null') return { A_Const: { isnull: true, location } };
    }
    throw UNKNOWN;
  }

  /** A column's type: a name of the parser's own types (pg_catalog's), or any other plain name as written. */
  private typeName(): Node {
    const location = this.token().start;
    const word = this.word();
    let name: string | undefined;
    let typmods: Node[] | undefined;
    switch (word) {
      case 'bigint':
        name = 'int8';
        break;
      case 'int':
      case 'integer':
        name = 'int4';
        break;
      case 'smallint':
        name = 'int2';
        break;
      case 'real':
        name = 'float4';
        break;
      case 'boolean':
        name = 'bool';
        break;
      case 'float':
        if (this.peekPunct('(')) throw UNKNOWN;
        name = 'float8';
        break;
      case 'numeric':
      case 'decimal':
      case 'dec':
        name = 'numeric';
        typmods = this.typmods(2);
        break;
      case 'varchar':
        name = 'varchar';
        typmods = this.typmods(1);
        break;
      case 'timestamp': {
        typmods = this.typmods(1);
        const zone = this.peekWord();
        if (zone === 'with' || zone === 'without') {
          this.at++;
          this.expectWord('time');
          this.expectWord('zone');
        }
        name = zone === 'with' ? 'timestamptz' : 'timestamp';
        break;
      }
      case 'double':
        if (this.peekWord() === 'precision') {
          this.at++;
          name = 'float8';
        }
        break;
    }
    if (name !== undefined) return { names: [{ String: { sval: 'pg_catalog' } }, { String: { sval: name } }], ...(typmods && { typmods }), typemod: -1, location };
    if (NOT_NAMES.has(word)) throw UNKNOWN;
    // A name with modifiers, a schema or array bounds is left to the parser.
    const next = this.tokens[this.at];
    if (next?.kind === PUNCT && (next.text === '(' || next.text === '.')) throw UNKNOWN;
    return { names: [{ String: { sval: word } }], typemod: -1, location };
  }

  /** `(n)` or, where `most` is 2, `(n, m)` after a type name: its modifiers, or undefined when there are none. */
  private typmods(most: number): Node[] | undefined {
    if (!this.accept('(')) return undefined;
    const mods: Node[] = [];
    do {
      const token = this.token();
      if (token.kind !== NUMBER || mods.length === most) throw UNKNOWN;
      this.at++;
      mods.push({ A_Const: { ival: int4(token.text, 1), location: token.start } });
    } while (this.accept(','));
    this.expect(')');
    return mods;
  }

  private createIndex(): Node {
    const unique = this.peekWord() === 'unique';
    if (unique) this.at++;
    this.expectWord('index');
    const concurrent = this.peekWord() === 'concurrently';
    if (concurrent) this.at++;
    const ifNotExists = this.ifWords('not');
    const idxname = this.name();
    this.expectWord('on');
    const relation = this.rangeVar();
    this.expect('(');
    const indexParams: Node[] = [];
    do {
      const name = this.name();
      const order = this.peekWord();
      if (order === 'asc' || order === 'desc') this.at++;
      indexParams.push({ IndexElem: { name, ordering: order === 'asc' ? 'SORTBY_ASC' : order === 'desc' ? 'SORTBY_DESC' : 'SORTBY_DEFAULT', nulls_ordering: 'SORTBY_NULLS_DEFAULT' } });
    } while (this.accept(','));
    this.expect(')');
    return { IndexStmt: { idxname, relation, accessMethod: 'btree', indexParams, ...(unique && { unique: true }), ...(concurrent && { concurrent: true }), ...(ifNotExists && { if_not_exists: true }) } };
  }

  private drop(): Node {
    const what = this.word();
    if (what !== 'table' && what !== 'index') throw UNKNOWN;
    const concurrent = what === 'index' && this.peekWord() === 'concurrently';
    if (concurrent) this.at++;
    const missingOk = this.ifWords();
    const objects: Node[] = [];
    do {
      const items = [{ String: { sval: this.name() } }];
      if (this.accept('.')) items.push({ String: { sval: this.name() } });
      objects.push({ List: { items } });
    } while (this.accept(','));
    const behavior = this.peekWord();
    if (behavior === 'cascade' || behavior === 'restrict') this.at++;
    return {
      DropStmt: { objects, removeType: what === 'table' ? 'OBJECT_TABLE' : 'OBJECT_INDEX', behavior: behavior === 'cascade' ? 'DROP_CASCADE' : 'DROP_RESTRICT', ...(missingOk && { missing_ok: true }), ...(concurrent && { concurrent: true }) },
    };
  }

  /** IF [NOT] EXISTS: whether it is there. */
  private ifWords(not?: 'not'): boolean {
    if (this.peekWord() !== 'if') return false;
    this.at++;
    if (not) this.expectWord('not');
    this.expectWord('exists');
    return true;
  }

  private rangeVar(): Node {
    const location = this.token().start;
    const first = this.name();
    if (!this.accept('.')) return { relname: first, inh: true, relpersistence: 'p', location };
    return { schemaname: first, relname: this.name(), inh: true, relpersistence: 'p', location };
  }

  /** A name: a word that is no keyword, or an unreserved one. */
  private name(): string {
    const token = this.token();
    if (token.kind !== WORD || NOT_NAMES.has(token.text)) throw UNKNOWN;
    this.at++;
    return token.text;
  }

  private atEndOfElement(): boolean {
    const next = this.tokens[this.at];
    return next?.kind === PUNCT && (next.text === ',' || next.text === ')');
  }

  private endOfElement(): void {
    if (!this.atEndOfElement()) throw UNKNOWN;
  }

  private token(): Token {
    const token = this.tokens[this.at];
    if (token === undefined) throw UNKNOWN;
    return token;
  }

  private word(): string {
    const token = this.token();
    if (token.kind !== WORD) throw UNKNOWN;
    this.at++;
    return token.text;
  }

  private peekWord(): string | undefined {
    const token = this.tokens[this.at];
    return token?.kind === WORD ? token.text : undefined;
  }

  private peekPunct(mark: string): boolean {
    const token = this.tokens[this.at];
    return token?.kind === PUNCT && token.text === mark;
  }

  private expectWord(word: string): void {
    if (this.word() !== word) throw UNKNOWN;
  }

  private accept(mark: string): boolean {
    if (!this.peekPunct(mark)) return false;
    this.at++;
    return true;
  }

  private expect(mark: string): void {
    if (!this.accept(mark)) throw UNKNOWN;
  }
}

/** An integer constant as an A_Const's ival: 0 is written as an empty object, as the parser writes it. */
function int4(digits: string, sign: 1 | -1): Node {
  const value = Number(digits);
  if (value > MAX_INT4) throw UNKNOWN;
  return value === 0 ? {} : { ival: sign * value };
}
