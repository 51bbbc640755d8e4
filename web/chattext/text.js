// Text from customers, flows and attributes reaches the page only through these helpers:
// DOM text nodes (never HTML), with the characters that could disguise content shown as
// visible markers instead of acting: bidirectional overrides, embeddings and isolates
// (a "gnp.exe" written backwards), zero-width spaces and joiners between Latin letters
// ("pay\u200Dpal"), word joiners and byte-order marks.

// Always marked: bidi controls and invisible separators.
const ALWAYS = new Set([
  0x061c, 0x200b, 0x200e, 0x200f, 0x202a, 0x202b, 0x202c, 0x202d, 0x202e,
  0x2060, 0x2061, 0x2062, 0x2063, 0x2064, 0x2066, 0x2067, 0x2068, 0x2069, 0xfeff,
]);
// Marked unless they join two non-ASCII characters: ZWNJ and ZWJ have real uses in
// Persian and Indic scripts and in emoji sequences, none between ASCII letters.
const JOINERS = new Set([0x200c, 0x200d]);

const NAMES = {
  0x061c: 'ARABIC LETTER MARK', 0x200b: 'ZERO WIDTH SPACE', 0x200c: 'ZERO WIDTH NON-JOINER',
  0x200d: 'ZERO WIDTH JOINER', 0x200e: 'LEFT-TO-RIGHT MARK', 0x200f: 'RIGHT-TO-LEFT MARK',
  0x202a: 'LEFT-TO-RIGHT EMBEDDING', 0x202b: 'RIGHT-TO-LEFT EMBEDDING', 0x202c: 'POP DIRECTIONAL FORMATTING',
  0x202d: 'LEFT-TO-RIGHT OVERRIDE', 0x202e: 'RIGHT-TO-LEFT OVERRIDE', 0x2060: 'WORD JOINER',
  0x2066: 'LEFT-TO-RIGHT ISOLATE', 0x2067: 'RIGHT-TO-LEFT ISOLATE', 0x2068: 'FIRST STRONG ISOLATE',
  0x2069: 'POP DIRECTIONAL ISOLATE', 0xfeff: 'ZERO WIDTH NO-BREAK SPACE',
};

function hex(cp) {
  return 'U+' + cp.toString(16).toUpperCase().padStart(4, '0');
}

function marked(chars, i) {
  const cp = chars[i].codePointAt(0);
  if (ALWAYS.has(cp)) return true;
  if (!JOINERS.has(cp)) return false;
  const before = i > 0 ? chars[i - 1].codePointAt(0) : 0;
  const after = i + 1 < chars.length ? chars[i + 1].codePointAt(0) : 0;
  return before < 0x80 || after < 0x80;
}

// appendText appends s to el as text, with disguising characters as visible markers
// (<span class="invisible-char">⟨U+202E⟩</span>).
export function appendText(el, s) {
  const str = String(s ?? '');
  const chars = Array.from(str);
  let run = '';
  for (let i = 0; i < chars.length; i++) {
    if (!marked(chars, i)) {
      run += chars[i];
      continue;
    }
    if (run) el.append(document.createTextNode(run));
    run = '';
    const cp = chars[i].codePointAt(0);
    const m = document.createElement('span');
    m.className = 'invisible-char';
    m.title = NAMES[cp] ?? hex(cp);
    m.textContent = '⟨' + hex(cp) + '⟩';
    el.append(m);
  }
  if (run) el.append(document.createTextNode(run));
  return el;
}

// plainText returns s with the disguising characters written as visible markers
// ("⟨U+202E⟩"), for places that take text but no elements (option labels).
export function plainText(s) {
  const chars = Array.from(String(s ?? ''));
  return chars.map((ch, i) => (marked(chars, i) ? '⟨' + hex(ch.codePointAt(0)) + '⟩' : ch)).join('');
}

// setText replaces el's content with s (as appendText).
export function setText(el, s) {
  el.replaceChildren();
  return appendText(el, s);
}

// make creates an element with a class and optional text.
export function make(tag, className, text) {
  const el = document.createElement(tag);
  if (className) el.className = className;
  if (text !== undefined) appendText(el, text);
  return el;
}
