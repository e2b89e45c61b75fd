/**
 * The character classes the grammar-free statement readers share (PostgreSQL's and SQLite's
 * common-statement readers): the ASCII letters, digits and underscore an unquoted name is
 * made of. Anything outside them sends a script to the full parser.
 */
export function isWordStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}
export function isWordPart(c: number): boolean {
  return isWordStart(c) || isDigit(c);
}
export function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
