// A small markdown renderer for chat messages sent as text/markdown. It builds DOM nodes
// (text nodes, never HTML), so markup in a message shows as the characters typed. What it
// understands: paragraphs and line breaks, "- " / "* " / "1. " lists, "#" headings (shown as
// bold lines), fenced code blocks (```), **bold**, *italic* / _italic_, `code` and [text](url)
// links. A link is made
// only for an absolute https: or mailto: URL, opens in a new tab with rel="noopener
// noreferrer"; any other link (javascript:, data:, http:, relative) stays as its literal
// text.

import { appendText } from './text.js';

// safeURL returns the normalised URL when it may become a link, else null.
export function safeURL(raw) {
  if (typeof raw !== 'string' || raw.length > 2000 || /[\s\u0000-\u001f\u007f]/.test(raw)) return null;
  let u;
  try {
    u = new URL(raw);
  } catch {
    return null;
  }
  if (u.protocol !== 'https:' && u.protocol !== 'mailto:') return null;
  if (u.protocol === 'https:' && (u.username || u.password)) return null;
  return u.href;
}

// link returns an <a> for url (already checked by safeURL) showing text.
export function link(url, text) {
  const a = document.createElement('a');
  a.href = url;
  a.rel = 'noopener noreferrer';
  a.target = '_blank';
  a.referrerPolicy = 'no-referrer';
  appendText(a, text);
  return a;
}

const INLINE = /`([^`\n]{1,2000})`|\*\*([^*\n]{1,2000})\*\*|__([^_\n]{1,2000})__|\*([^*\n]{1,2000})\*|_([^_\n]{1,2000})_|\[([^\]\n]{1,500})\]\(([^()\s]{1,2000})\)/g;

// inline appends the inline content of one line to el. depth bounds nested emphasis.
function inline(el, text, depth) {
  if (depth > 3) {
    appendText(el, text);
    return;
  }
  let last = 0;
  for (const m of text.matchAll(INLINE)) {
    if (m.index > last) appendText(el, text.slice(last, m.index));
    last = m.index + m[0].length;
    const [, code, bold1, bold2, em1, em2, label, url] = m;
    if (code !== undefined) {
      el.append(appendText(document.createElement('code'), code));
    } else if (bold1 !== undefined || bold2 !== undefined) {
      const b = document.createElement('strong');
      inline(b, bold1 ?? bold2, depth + 1);
      el.append(b);
    } else if (em1 !== undefined || em2 !== undefined) {
      const i = document.createElement('em');
      inline(i, em1 ?? em2, depth + 1);
      el.append(i);
    } else {
      const href = safeURL(url);
      if (href) el.append(link(href, label));
      else appendText(el, m[0]);
    }
  }
  if (last < text.length) appendText(el, text.slice(last));
}

const BULLET = /^\s{0,3}[-*+]\s+(.*)$/;
const NUMBERED = /^\s{0,3}\d{1,9}[.)]\s+(.*)$/;
const HEADING = /^\s{0,3}#{1,6}\s+(.*)$/;
const FENCE = /^\s{0,3}```/;

// renderMarkdown returns a DocumentFragment for text.
export function renderMarkdown(text) {
  const frag = document.createDocumentFragment();
  const lines = String(text ?? '').replace(/\r\n?/g, '\n').split('\n');
  let para = null;
  let list = null;
  let listKind = '';
  const close = () => {
    para = null;
    list = null;
    listKind = '';
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.trim() === '') {
      close();
      continue;
    }
    if (FENCE.test(line)) {
      // A fenced code block runs to the closing fence or the end of the message.
      close();
      const code = [];
      for (i++; i < lines.length && !FENCE.test(lines[i]); i++) code.push(lines[i]);
      const pre = document.createElement('pre');
      pre.append(appendText(document.createElement('code'), code.join('\n')));
      frag.append(pre);
      continue;
    }
    let m;
    if ((m = line.match(BULLET)) || (m = line.match(NUMBERED))) {
      const kind = BULLET.test(line) ? 'ul' : 'ol';
      if (!list || listKind !== kind) {
        close();
        list = document.createElement(kind);
        listKind = kind;
        frag.append(list);
      }
      const li = document.createElement('li');
      inline(li, m[1], 0);
      list.append(li);
      continue;
    }
    if ((m = line.match(HEADING))) {
      close();
      const p = document.createElement('p');
      const b = document.createElement('strong');
      inline(b, m[1], 0);
      p.append(b);
      frag.append(p);
      continue;
    }
    if (list) close();
    if (!para) {
      para = document.createElement('p');
      frag.append(para);
    } else {
      para.append(document.createElement('br'));
    }
    inline(para, line, 0);
  }
  return frag;
}
