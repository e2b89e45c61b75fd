/**
 * Reads the most common migration statements of SQLite without the grammar: CREATE TABLE
 * with plain column definitions and constraints, CREATE INDEX, DROP TABLE, DROP INDEX and
 * the ALTER TABLE actions ADD COLUMN, DROP COLUMN and RENAME. For a script made of nothing
 * else it returns exactly the statements sql-parser-cst's SQLite grammar gives with
 * `includeRange` (the same nodes, keys, key order and ranges); for anything else, including
 * every script the grammar would refuse, it returns undefined and the grammar reads the
 * script. The grammar is a backtracking parser over every dialect it knows and costs about
 * half a millisecond for a short statement; this reader costs a few microseconds.
 *
 * It accepts only what it can answer for exactly: bare ASCII names that are no SQLite keyword
 * (a keyword may be a name in some places and not others), unsigned decimal numbers,
 * single-quoted strings, NULL, and the statements' own keywords; a quoted or qualified
 * name, an expression, a clause it does not know, or any other character sends the whole
 * script to the grammar.
 */
import { createRequire } from 'node:module';
import { isDigit, isWordPart, isWordStart } from '../ascii-words.js';

type Node = Record<string, unknown>;
type Range = [number, number];
/** A statement as the grammar gives it: its type and range, and its parts. */
export type CstNode = { type: string; range: Range } & Node;

interface Token {
  kind: 'word' | 'number' | 'string' | '(' | ')' | ',' | ';';
  start: number;
  end: number;
  /** For a word: its text in upper case. */
  upper: string;
}

let keywords: Set<string> | undefined;
let nameKeywords: Set<string> | undefined;
const require = createRequire(import.meta.url);

/** SQLite's keywords as the grammar knows them (its own list, so the two never drift apart). */
function isKeyword(upper: string): boolean {
  keywords ??= new Set(Object.keys((require('sql-parser-cst/lib/keywords/sqlite.keywords.js') as { keywordDefs: object }).keywordDefs));
  return keywords.has(upper);
}

/**
 * Words that are no name here: SQLite's keywords, every other dialect's the grammar knows (it
 * reads all dialects with one grammar, and some of its rules look at them), and the words it
 * reads as values in an expression (a column of an index is one).
 */
function isNameKeyword(upper: string): boolean {
  if (!nameKeywords) {
    nameKeywords = new Set(['TRUE', 'FALSE', 'CURRENT_DATE', 'CURRENT_TIME', 'CURRENT_TIMESTAMP']);
    for (const dialect of ['mysql', 'mariadb', 'postgresql', 'bigquery']) {
      for (const word of Object.keys((require(`sql-parser-cst/lib/keywords/${dialect}.keywords.js`) as Record<string, object>)[`${dialect}Keywords`]!)) nameKeywords.add(word);
    }
  }
  return isKeyword(upper) || nameKeywords.has(upper);
}

/** The statements of `text` as the grammar reads them, or undefined when this reader cannot answer for them. */
export function readCommonDdl(text: string): CstNode[] | undefined {
  const tokens = tokenize(text);
  if (!tokens) return undefined;
  try {
    return new Reader(text, tokens).program();
  } catch (error) {
    if (error === UNKNOWN) return undefined;
    throw error;
  }
}

const UNKNOWN = Symbol('not a common statement');

function tokenize(text: string): Token[] | undefined {
  const tokens: Token[] = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 32 || c === 9 || c === 10) {
      i++;
    } else if (c === 13) {
      // The grammar reads a carriage return as a space only before a line feed.
      if (text.charCodeAt(i + 1) !== 10) return undefined;
      i += 2;
    } else if (c === 45 /* - */ && text.charCodeAt(i + 1) === 45) {
      const nl = text.indexOf('\n', i);
      const end = nl < 0 ? n : nl;
      // A carriage return ends the comment too, and is a space only before a line feed.
      const cr = text.indexOf('\r', i);
      if (cr >= 0 && cr < end && cr !== nl - 1) return undefined;
      i = nl < 0 ? n : nl + 1;
    } else if (c === 47 /* / */ && text.charCodeAt(i + 1) === 42 /* * */) {
      const close = text.indexOf('*/', i + 2);
      if (close < 0) return undefined;
      i = close + 2;
    } else if (isWordStart(c)) {
      const start = i;
      while (i < n && isWordPart(text.charCodeAt(i))) i++;
      tokens.push({ kind: 'word', start, end: i, upper: text.slice(start, i).toUpperCase() });
    } else if (c >= 48 && c <= 57) {
      const start = i;
      while (i < n && isDigit(text.charCodeAt(i))) i++;
      if (text.charCodeAt(i) === 46 /* . */) {
        i++;
        if (!isDigit(text.charCodeAt(i))) return undefined;
        while (i < n && isDigit(text.charCodeAt(i))) i++;
      }
      if (i < n && (isWordPart(text.charCodeAt(i)) || text.charCodeAt(i) === 46)) return undefined;
      tokens.push({ kind: 'number', start, end: i, upper: '' });
    } else if (c === 39 /* ' */) {
      const start = i;
      for (i++; ; i += 2) {
        i = text.indexOf("'", i);
        if (i < 0) return undefined;
        if (text.charCodeAt(i + 1) !== 39) break;
      }
      i++;
      if (i < n && (isWordPart(text.charCodeAt(i)) || text.charCodeAt(i) === 39)) return undefined;
      tokens.push({ kind: 'string', start, end: i, upper: '' });
    } else if (c === 40 || c === 41 || c === 44 || c === 59) {
      tokens.push({ kind: text[i] as Token['kind'], start: i, end: i + 1, upper: '' });
      i++;
    } else {
      return undefined;
    }
  }
  return tokens;
}


class Reader {
  private at = 0;
  constructor(
    private readonly text: string,
    private readonly tokens: Token[],
  ) {}

  program(): CstNode[] {
    const out: CstNode[] = [];
    for (;;) {
      const next = this.tokens[this.at];
      if (next === undefined || next.kind === ';') {
        // An empty statement sits where the next token (or the end of the text) is.
        const where = next?.start ?? this.text.length;
        out.push({ type: 'empty', range: [where, where] });
      } else {
        out.push(this.statement() as CstNode);
      }
      const after = this.tokens[this.at];
      if (after === undefined) return out;
      if (after.kind !== ';') throw UNKNOWN;
      this.at++;
      // The statement after the last semicolon is empty and sits at the end of the text's trivia.
      if (this.tokens[this.at] === undefined) {
        const where = this.text.length;
        out.push({ type: 'empty', range: [where, where] });
        return out;
      }
    }
  }

  private statement(): Node {
    const first = this.peekWord();
    if (first === 'CREATE') {
      const second = this.tokens[this.at + 1]?.upper;
      if (second === 'TABLE') return this.createTable();
      if (second === 'INDEX' || (second === 'UNIQUE' && this.tokens[this.at + 2]?.upper === 'INDEX')) return this.createIndex();
    } else if (first === 'DROP') {
      const second = this.tokens[this.at + 1]?.upper;
      if (second === 'TABLE') return this.drop('drop_table_stmt', 'tableKw', 'tables');
      if (second === 'INDEX') return this.drop('drop_index_stmt', 'indexKw', 'indexes');
    } else if (first === 'ALTER') {
      return this.alterTable();
    }
    throw UNKNOWN;
  }

  private createTable(): Node {
    const start = this.pos();
    const createKw = this.keyword('CREATE');
    const tableKw = this.keyword('TABLE');
    const ifNotExistsKw = this.peekWord() === 'IF' ? [this.keyword('IF'), this.keyword('NOT'), this.keyword('EXISTS')] : undefined;
    const name = this.identifier();
    const columns = this.parenList(() => (this.isTableConstraint() ? this.tableConstraint() : this.columnDefinition()));
    return { type: 'create_table_stmt', createKw, tableKw, ...(ifNotExistsKw && { ifNotExistsKw }), name, columns, clauses: [], range: this.range(start) };
  }

  private isTableConstraint(): boolean {
    const word = this.peekWord();
    return word === 'PRIMARY' || word === 'UNIQUE' || word === 'FOREIGN';
  }

  private tableConstraint(): Node {
    const start = this.pos();
    const word = this.peekWord();
    if (word === 'PRIMARY') {
      const primaryKeyKw = [this.keyword('PRIMARY'), this.keyword('KEY')];
      const columns = this.parenList(() => this.indexSpecification(false));
      return { type: 'constraint_primary_key', primaryKeyKw, columns, clauses: [], range: this.range(start) };
    }
    if (word === 'UNIQUE') {
      const uniqueKw = this.keyword('UNIQUE');
      const columns = this.parenList(() => this.identifier());
      return { type: 'constraint_unique', uniqueKw, columns, clauses: [], range: this.range(start) };
    }
    const foreignKeyKw = [this.keyword('FOREIGN'), this.keyword('KEY')];
    const columns = this.parenList(() => this.identifier());
    const references = this.references();
    return { type: 'constraint_foreign_key', foreignKeyKw, columns, references, range: this.range(start) };
  }

  private columnDefinition(): Node {
    const start = this.pos();
    const name = this.identifier();
    const dataType = this.peekNameWord() ? this.dataType() : undefined;
    const constraints: Node[] = [];
    while (this.tokens[this.at]?.kind === 'word') constraints.push(this.columnConstraint());
    return { type: 'column_definition', name, ...(dataType && { dataType }), constraints, range: this.range(start) };
  }

  private dataType(): Node {
    const start = this.pos();
    const words: Node[] = [];
    while (this.peekNameWord()) words.push(this.keywordToken(this.tokens[this.at++]!));
    const typeName = { type: 'data_type_name', name: words.length === 1 ? words[0] : words, range: this.range(start) };
    if (this.tokens[this.at]?.kind !== '(') return typeName;
    const modifiers = this.parenList(() => this.number(), 2);
    return { type: 'modified_data_type', dataType: typeName, modifiers, range: this.range(start) };
  }

  private columnConstraint(): Node {
    const start = this.pos();
    switch (this.peekWord()) {
      case 'PRIMARY':
        return { type: 'constraint_primary_key', primaryKeyKw: [this.keyword('PRIMARY'), this.keyword('KEY')], clauses: [], range: this.range(start) };
      case 'AUTOINCREMENT':
        return { type: 'constraint_auto_increment', autoIncrementKw: this.keyword('AUTOINCREMENT'), range: this.range(start) };
      case 'NOT':
        return { type: 'constraint_not_null', notNullKw: [this.keyword('NOT'), this.keyword('NULL')], clauses: [], range: this.range(start) };
      case 'NULL':
        return { type: 'constraint_null', nullKw: this.keyword('NULL'), range: this.range(start) };
      case 'UNIQUE':
        return { type: 'constraint_unique', uniqueKw: this.keyword('UNIQUE'), clauses: [], range: this.range(start) };
      case 'DEFAULT': {
        const defaultKw = this.keyword('DEFAULT');
        const value = this.literal();
        // The grammar reads `DEFAULT 0 NOT NULL` as a default of the expression `0 NOT NULL`.
        let expr = value;
        if (this.peekWord() === 'NOT' && this.tokens[this.at + 1]?.upper === 'NULL') {
          const operator = [this.keyword('NOT'), this.keyword('NULL')];
          expr = { type: 'postfix_op_expr', expr: value, operator, range: this.range((value.range as Range)[0]) };
        }
        // Anything else after the value could continue the expression; only what cannot is read here.
        const next = this.tokens[this.at];
        if (next !== undefined && next.kind !== ',' && next.kind !== ')' && next.kind !== ';' && !['PRIMARY', 'UNIQUE', 'REFERENCES', 'DEFAULT'].includes(next.upper)) throw UNKNOWN;
        return { type: 'constraint_default', defaultKw, expr, range: this.range(start) };
      }
      case 'REFERENCES':
        return this.references();
      default:
        throw UNKNOWN;
    }
  }

  private references(): Node {
    const start = this.pos();
    const referencesKw = this.keyword('REFERENCES');
    const table = this.identifier();
    const columns = this.tokens[this.at]?.kind === '(' ? this.parenList(() => this.identifier()) : undefined;
    return { type: 'references_specification', referencesKw, table, ...(columns && { columns }), options: [], range: this.range(start) };
  }

  private createIndex(): Node {
    const start = this.pos();
    const createKw = this.keyword('CREATE');
    const indexTypeKw = this.peekWord() === 'UNIQUE' ? this.keyword('UNIQUE') : undefined;
    const indexKw = this.keyword('INDEX');
    const ifNotExistsKw = this.peekWord() === 'IF' ? [this.keyword('IF'), this.keyword('NOT'), this.keyword('EXISTS')] : undefined;
    const name = this.identifier();
    const onKw = this.keyword('ON');
    const table = this.identifier();
    const columns = this.parenList(() => this.indexSpecification(true));
    return { type: 'create_index_stmt', createKw, ...(indexTypeKw && { indexTypeKw }), indexKw, ...(ifNotExistsKw && { ifNotExistsKw }), name, onKw, table, columns, clauses: [], range: this.range(start) };
  }

  private indexSpecification(withDirection: boolean): Node {
    const start = this.pos();
    const expr = this.identifier();
    const word = withDirection ? this.peekWord() : undefined;
    const direction =
      word === 'ASC' || word === 'DESC'
        ? (() => {
            const at = this.pos();
            const kw = this.keyword(word);
            return word === 'ASC' ? { type: 'sort_direction_asc', ascKw: kw, range: this.range(at) } : { type: 'sort_direction_desc', descKw: kw, range: this.range(at) };
          })()
        : undefined;
    return { type: 'index_specification', expr, ...(direction && { direction }), range: this.range(start) };
  }

  private drop(type: string, kindKey: string, listKey: string): Node {
    const start = this.pos();
    const dropKw = this.keyword('DROP');
    const kindKw = this.keyword(kindKey === 'tableKw' ? 'TABLE' : 'INDEX');
    const ifExistsKw = this.peekWord() === 'IF' ? [this.keyword('IF'), this.keyword('EXISTS')] : undefined;
    const list = this.list(() => this.identifier());
    return { type, dropKw, [kindKey]: kindKw, ...(ifExistsKw && { ifExistsKw }), [listKey]: list, range: this.range(start) };
  }

  private alterTable(): Node {
    const start = this.pos();
    const alterTableKw = [this.keyword('ALTER'), this.keyword('TABLE')];
    const table = this.identifier();
    const actionStart = this.pos();
    const action = this.alterAction();
    const actions = { type: 'list_expr', items: [action], range: this.range(actionStart) };
    return { type: 'alter_table_stmt', alterTableKw, table, actions, range: this.range(start) };
  }

  private alterAction(): Node {
    const start = this.pos();
    const word = this.peekWord();
    const second = this.tokens[this.at + 1]?.upper;
    if (word === 'ADD') {
      const addKw = second === 'COLUMN' ? [this.keyword('ADD'), this.keyword('COLUMN')] : this.keyword('ADD');
      return { type: 'alter_action_add_column', addKw, column: this.columnDefinition(), range: this.range(start) };
    }
    if (word === 'DROP') {
      const dropKw = second === 'COLUMN' ? [this.keyword('DROP'), this.keyword('COLUMN')] : this.keyword('DROP');
      return { type: 'alter_action_drop_column', dropKw, column: this.identifier(), range: this.range(start) };
    }
    if (word === 'RENAME' && second === 'TO') {
      const renameKw = [this.keyword('RENAME'), this.keyword('TO')];
      return { type: 'alter_action_rename', renameKw, newName: this.identifier(), range: this.range(start) };
    }
    if (word === 'RENAME') {
      const renameKw = second === 'COLUMN' ? [this.keyword('RENAME'), this.keyword('COLUMN')] : this.keyword('RENAME');
      const oldName = this.identifier();
      const toKw = this.keyword('TO');
      return { type: 'alter_action_rename_column', renameKw, oldName, toKw, newName: this.identifier(), range: this.range(start) };
    }
    throw UNKNOWN;
  }

  private literal(): Node {
    const token = this.tokens[this.at];
    if (token?.kind === 'number') return this.number();
    if (token?.kind === 'string') {
      this.at++;
      const text = this.text.slice(token.start, token.end);
      return { type: 'string_literal', text, value: text.slice(1, -1).replaceAll("''", "'"), range: [token.start, token.end] };
    }
    if (token?.upper === 'NULL') {
      const start = this.pos();
      return { type: 'null_literal', nullKw: this.keyword('NULL'), value: null, range: this.range(start) };
    }
    throw UNKNOWN;
  }

  private number(): Node {
    const token = this.tokens[this.at];
    if (token?.kind !== 'number') throw UNKNOWN;
    this.at++;
    const text = this.text.slice(token.start, token.end);
    return { type: 'number_literal', text, value: Number(text), range: [token.start, token.end] };
  }

  /** `( item, ... )`: a paren_expr around a list_expr, at most `max` items. */
  private parenList(item: () => Node, max = Infinity): Node {
    const open = this.expect('(');
    const list = this.list(item);
    if ((list.items as Node[]).length > max) throw UNKNOWN;
    const close = this.expect(')');
    return { type: 'paren_expr', expr: list, range: [open.start, close.end] };
  }

  private list(item: () => Node): Node {
    const start = this.pos();
    const items = [item()];
    while (this.tokens[this.at]?.kind === ',') {
      this.at++;
      items.push(item());
    }
    return { type: 'list_expr', items, range: this.range(start) };
  }

  private identifier(): Node {
    const token = this.tokens[this.at];
    if (token?.kind !== 'word' || isNameKeyword(token.upper)) throw UNKNOWN;
    this.at++;
    const text = this.text.slice(token.start, token.end);
    return { type: 'identifier', text, name: text, range: [token.start, token.end] };
  }

  private keyword(upper: string): Node {
    const token = this.tokens[this.at];
    if (token?.kind !== 'word' || token.upper !== upper) throw UNKNOWN;
    this.at++;
    return this.keywordToken(token);
  }

  private keywordToken(token: Token): Node {
    return { type: 'keyword', text: this.text.slice(token.start, token.end), name: token.upper, range: [token.start, token.end] };
  }

  private expect(kind: Token['kind']): Token {
    const token = this.tokens[this.at];
    if (token?.kind !== kind) throw UNKNOWN;
    this.at++;
    return token;
  }

  private peekWord(): string | undefined {
    const token = this.tokens[this.at];
    return token?.kind === 'word' ? token.upper : undefined;
  }

  /** A word that may be part of a type name: any word but a keyword. */
  private peekNameWord(): boolean {
    const token = this.tokens[this.at];
    return token?.kind === 'word' && !isKeyword(token.upper);
  }

  private pos(): number {
    const token = this.tokens[this.at];
    if (token === undefined) throw UNKNOWN;
    return token.start;
  }

  private range(start: number): Range {
    return [start, this.tokens[this.at - 1]!.end];
  }
}
