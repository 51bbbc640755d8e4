// A small, safe Markdown renderer for chat messages (text/markdown). It never parses HTML:
// it builds DOM nodes from the text and sets every piece of text with textContent, so markup
// in a message stays text. Supported: paragraphs and line breaks, bullet lists ("- " or "* "),
// numbered lists ("1. "), fenced code blocks (```), inline code (`x`), bold (**x** or __x__),
// italic (*x* or _x_), and links [text](url) whose URL is https: or mailto: (opened in a new
// tab with rel="noopener noreferrer"); any other link, and a URL with spaces or parentheses,
// is shown as text.

import { visible } from './visible.js';

const LINK_SCHEMES = new Set(['https:', 'mailto:']);

// safeURL returns the URL as a string when its scheme is allowed, else null.
export function safeURL(raw) {
  let u;
  try {
    u = new URL(raw);
  } catch {
    return null;
  }
  if (!LINK_SCHEMES.has(u.protocol)) {
    return null;
  }
  return u.href;
}

// renderMarkdown returns a DocumentFragment for the Markdown text src.
export function renderMarkdown(doc, src) {
  const out = doc.createDocumentFragment();
  const lines = String(src).replace(/\r\n?/g, '\n').split('\n');
  let i = 0;
  let para = [];
  const flush = () => {
    if (para.length === 0) {
      return;
    }
    const p = doc.createElement('p');
    para.forEach((line, n) => {
      if (n > 0) {
        p.appendChild(doc.createElement('br'));
      }
      inline(doc, p, line);
    });
    out.appendChild(p);
    para = [];
  };
  while (i < lines.length) {
    const line = lines[i];
    if (/^```/.test(line)) {
      flush();
      const code = [];
      i++;
      while (i < lines.length && !/^```/.test(lines[i])) {
        code.push(lines[i]);
        i++;
      }
      i++; // the closing fence (or the end)
      const pre = doc.createElement('pre');
      const c = doc.createElement('code');
      c.textContent = visible(code.join('\n'));
      pre.appendChild(c);
      out.appendChild(pre);
      continue;
    }
    const bullet = /^\s*[-*]\s+(.*)$/;
    const numbered = /^\s*\d{1,9}[.)]\s+(.*)$/;
    if (bullet.test(line) || numbered.test(line)) {
      flush();
      const kind = bullet.test(line) ? bullet : numbered;
      const list = doc.createElement(kind === bullet ? 'ul' : 'ol');
      while (i < lines.length && kind.test(lines[i])) {
        const li = doc.createElement('li');
        inline(doc, li, kind.exec(lines[i])[1]);
        list.appendChild(li);
        i++;
      }
      out.appendChild(list);
      continue;
    }
    if (line.trim() === '') {
      flush();
    } else {
      para.push(line);
    }
    i++;
  }
  flush();
  return out;
}

// inline appends the inline Markdown of text to parent.
function inline(doc, parent, text) {
  let buf = '';
  const text0 = () => {
    if (buf !== '') {
      parent.appendChild(doc.createTextNode(visible(buf)));
      buf = '';
    }
  };
  let i = 0;
  while (i < text.length) {
    const rest = text.slice(i);
    let m;
    if ((m = /^`([^`]+)`/.exec(rest))) {
      text0();
      const c = doc.createElement('code');
      c.textContent = visible(m[1]);
      parent.appendChild(c);
      i += m[0].length;
      continue;
    }
    if ((m = /^\[([^\]]{1,500})\]\(([^()\s]{1,2000})\)/.exec(rest))) {
      text0();
      const href = safeURL(m[2]);
      if (href) {
        const a = doc.createElement('a');
        a.href = href;
        a.target = '_blank';
        a.rel = 'noopener noreferrer';
        inline(doc, a, m[1]);
        parent.appendChild(a);
      } else {
        parent.appendChild(doc.createTextNode(visible(m[1])));
      }
      i += m[0].length;
      continue;
    }
    if ((m = /^(\*\*|__)(?=\S)([\s\S]*?\S)\1/.exec(rest))) {
      text0();
      const b = doc.createElement('strong');
      inline(doc, b, m[2]);
      parent.appendChild(b);
      i += m[0].length;
      continue;
    }
    if ((m = /^(\*|_)(?=\S)([\s\S]*?\S)\1/.exec(rest))) {
      text0();
      const em = doc.createElement('em');
      inline(doc, em, m[2]);
      parent.appendChild(em);
      i += m[0].length;
      continue;
    }
    buf += text[i];
    i++;
  }
  text0();
}
