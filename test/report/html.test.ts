/** The page's only way to write markup escapes what it interpolates, in text and in attributes. */
import { describe, expect, it } from 'vitest';
import { escapeHtml, html, raw } from '../../src/report/html.js';

describe('html', () => {
  it('escapes every interpolated value, including inside attributes and arrays', () => {
    const name = `"><img src=x onerror=alert(1)>`;
    const out = html`<td title="${name}">${[name, '</td><script>alert(2)</script>']}</td>`.toString();
    expect(out).toBe('<td title="&quot;&gt;&lt;img src=x onerror=alert(1)&gt;">&quot;&gt;&lt;img src=x onerror=alert(1)&gt;&lt;/td&gt;&lt;script&gt;alert(2)&lt;/script&gt;</td>');
  });

  it('keeps markup it made itself, and drops empty values', () => {
    const inner = html`<b>${'<i>'}</b>`;
    expect(html`<p>${inner}${undefined}${null}${false}${0}</p>`.toString()).toBe('<p><b>&lt;i&gt;</b>0</p>');
    expect(html`${raw('<hr>')}`.toString()).toBe('<hr>');
  });

  it('escapes quotes and backticks', () => {
    expect(escapeHtml(`a&b'c"d\`e`)).toBe('a&amp;b&#39;c&quot;d&#96;e');
  });
});
