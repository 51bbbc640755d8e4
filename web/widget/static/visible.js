// visible returns s with the characters that could disguise a message written as visible
// markers ("⟨U+202E⟩") instead of acting: bidirectional overrides, embeddings, isolates and
// marks, zero-width spaces, word joiners and byte-order marks always; zero-width joiners and
// non-joiners when they touch an ASCII character (between non-ASCII characters they have real
// uses: Persian and Indic scripts, emoji sequences). SECURITY.md "Web": text cannot disguise
// its content. The agent workspace marks the same characters.
const ALWAYS = /[\u061c\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/;
const JOINER = /[\u200c\u200d]/;

function marker(ch) {
  return '\u27e8U+' + ch.codePointAt(0).toString(16).toUpperCase().padStart(4, '0') + '\u27e9';
}

export function visible(s) {
  const chars = Array.from(String(s ?? ''));
  return chars.map((ch, i) => {
    if (ALWAYS.test(ch)) return marker(ch);
    if (!JOINER.test(ch)) return ch;
    const before = i > 0 ? chars[i - 1].codePointAt(0) : 0;
    const after = i + 1 < chars.length ? chars[i + 1].codePointAt(0) : 0;
    return before < 0x80 || after < 0x80 ? marker(ch) : ch;
  }).join('');
}
