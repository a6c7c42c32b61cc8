/**
 * The small Markdown of the project's own documents (contracts/RATING.md) as Lit templates: headings, paragraphs
 * (hard-wrapped lines joined), lists with continuation lines, indented code, pipe tables, and inline `code`,
 * **strong** and *em*. Text always goes in as text, never as HTML.
 */
import { html, type TemplateResult } from 'lit';

function inline(text: string): (string | TemplateResult)[] {
  const out: (string | TemplateResult)[] = [];
  const re = /`([^`]+)`|\*\*([^*]+)\*\*|\*([^*]+)\*/g;
  let at = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (m.index > at) out.push(text.slice(at, m.index));
    out.push(m[1] !== undefined ? html`<code>${m[1]}</code>` : m[2] !== undefined ? html`<strong>${m[2]}</strong>` : html`<em>${m[3]}</em>`);
    at = m.index + m[0].length;
  }
  if (at < text.length) out.push(text.slice(at));
  return out;
}

const cells = (row: string) => row.trim().replace(/^\||\|$/g, '').split('|').map((c) => c.trim());

export function renderMarkdown(source: string): TemplateResult[] {
  const lines = source.split('\n');
  const blocks: TemplateResult[] = [];
  for (let i = 0; i < lines.length;) {
    const line = lines[i]!;
    const heading = /^(#{1,3}) (.*)$/.exec(line);
    if (line.trim() === '') { i++; continue; }
    if (heading) {
      const text = inline(heading[2]!);
      blocks.push(heading[1]!.length === 1 ? html`<h2>${text}</h2>` : heading[1]!.length === 2 ? html`<h3>${text}</h3>` : html`<h4>${text}</h4>`);
      i++;
    } else if (line.startsWith('    ')) {
      const code: string[] = [];
      while (i < lines.length && (lines[i]!.startsWith('    ') || (lines[i]!.trim() === '' && lines[i + 1]?.startsWith('    ')))) code.push(lines[i++]!.slice(4));
      // Focusable: a wide block scrolls sideways, and keyboard users must be able to scroll it too.
      blocks.push(html`<pre tabindex="0"><code>${code.join('\n')}</code></pre>`);
    } else if (line.startsWith('|')) {
      const rows: string[][] = [];
      while (i < lines.length && lines[i]!.startsWith('|')) rows.push(cells(lines[i++]!));
      const [head, , ...body] = rows;
      blocks.push(html`<table><thead><tr>${head!.map((c) => html`<th>${inline(c)}</th>`)}</tr></thead>
        <tbody>${body.map((r) => html`<tr>${r.map((c) => html`<td>${inline(c)}</td>`)}</tr>`)}</tbody></table>`);
    } else if (/^(- |\d+\. )/.test(line)) {
      const items: string[] = [];
      while (i < lines.length && lines[i]!.trim() !== '') {
        if (/^(- |\d+\. )/.test(lines[i]!)) items.push(lines[i]!.replace(/^(- |\d+\. )/, ''));
        else items[items.length - 1] += ` ${lines[i]!.trim()}`;
        i++;
      }
      blocks.push(html`<ul>${items.map((t) => html`<li>${inline(t)}</li>`)}</ul>`);
    } else {
      const para: string[] = [];
      while (i < lines.length && lines[i]!.trim() !== '' && !/^(#{1,3} |\||- |\d+\. |    )/.test(lines[i]!)) para.push(lines[i++]!.trim());
      blocks.push(html`<p>${inline(para.join(' '))}</p>`);
    }
  }
  return blocks;
}
