package redact

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Character classes of the normalized text. Digits are '0'..'9' (any Unicode decimal digit,
// fullwidth included, mapped to its value), letters are 'a'..'z' (ASCII and fullwidth Latin,
// lower-cased), separators are ' ' (any white space), '-' (any dash) and '.'; '/' is kept for
// the expiry-date rule; other ASCII punctuation keeps its byte; everything else is cOther.
// Zero-width and other format characters (Unicode Cf), combining marks (Mn, Me) and variation
// selectors produce no class at all, so they cannot split a number.
const (
	cMaskCard byte = 0x01 // "[CARD]" or a card found in this pass
	cMask     byte = 0x02 // "[CVV]", "[SSN]", "[IBAN]", "[ROUTING]" or such a finding
	cBIN      byte = 0x03 // "[CARD 411111******1111]" (BIN + last 4 token)
	cIdent    byte = 0x04 // a digit inside an identifier (see findIdentifiers)
	cOther    byte = 0x7f
)

// nchar is one significant character of the input: its class and its byte span.
type nchar struct {
	c          byte
	start, end int32
}

func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
func isLetter(c byte) bool { return c >= 'a' && c <= 'z' }
func isSep(c byte) bool    { return c == ' ' || c == '-' || c == '.' }
func isMask(c byte) bool   { return c >= cMaskCard && c <= cBIN }

// alnumLike reports whether c counts as part of a word for IBAN boundaries. Masks count,
// so that text around a redaction behaves the same on a second pass; so do digits set aside
// in a UUID.
func alnumLike(c byte) bool { return isDigit(c) || isLetter(c) || isMask(c) || c == cIdent }

// weight is 1 for characters that count toward context distance: everything but digits
// (identifier digits included), separators and masks, so that replacing digits by a mask, or
// setting digits aside as part of an identifier, never changes a distance.
func weight(c byte) int32 {
	if isDigit(c) || isSep(c) || isMask(c) || c == cIdent {
		return 0
	}
	return 1
}

func asciiClass(b byte) byte {
	switch {
	case b >= '0' && b <= '9', b >= 'a' && b <= 'z', b == '-', b == '.', b == '/':
		return b
	case b >= 'A' && b <= 'Z':
		return b + ('a' - 'A')
	case b == ' ', b == '\t', b == '\n', b == '\r', b == '\v', b == '\f':
		return ' '
	case b < 0x20, b == 0x7f:
		return cOther
	}
	return b
}

// normalize maps s to its significant characters, appending to buf[:0]. It runs in one pass
// over s.
func normalize(s string, buf []nchar) []nchar {
	out := buf[:0]
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			if b == '[' {
				if n, c := maskAt(s[i:]); n > 0 {
					out = append(out, nchar{c: c, start: int32(i), end: int32(i + n)})
					i += n
					continue
				}
			}
			out = append(out, nchar{c: asciiClass(b), start: int32(i), end: int32(i + 1)})
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if c, keep := runeClass(r, size); keep {
			out = append(out, nchar{c: c, start: int32(i), end: int32(i + size)})
		}
		i += size
	}
	return out
}

// runeClass classifies a non-ASCII rune; keep is false for characters that are ignored.
func runeClass(r rune, size int) (c byte, keep bool) {
	switch {
	case r == utf8.RuneError && size == 1:
		return cOther, true
	case r >= 0xFF21 && r <= 0xFF3A: // fullwidth A..Z
		return byte('a' + r - 0xFF21), true
	case r >= 0xFF41 && r <= 0xFF5A: // fullwidth a..z
		return byte('a' + r - 0xFF41), true
	case r == 0xFF0E || r == 0x3002: // fullwidth and ideographic full stop
		return '.', true
	case r == 0xFF0F: // fullwidth solidus
		return '/', true
	case (r >= 0x2010 && r <= 0x2015) || r == 0x2212 || r == 0xFE58 || r == 0xFE63 || r == 0xFF0D:
		return '-', true
	case (r >= 0xFE00 && r <= 0xFE0F) || r == 0x034F:
		return 0, false
	case unicode.IsDigit(r):
		return '0' + digitValue(r), true
	case unicode.IsSpace(r):
		return ' ', true
	case unicode.In(r, unicode.Cf, unicode.Mn, unicode.Me):
		return 0, false
	}
	return cOther, true
}

// digitValue returns the value of a Unicode decimal digit. Decimal digits are encoded in
// contiguous ranges of ten from 0 to 9 (Unicode Standard, section 4.6, Numeric_Type=Decimal),
// so the value is the offset from the start of the contiguous run of digits, modulo 10.
func digitValue(r rune) byte {
	s := r
	for unicode.IsDigit(s - 1) {
		s--
	}
	return byte((r - s) % 10)
}

// Replacement tokens. A second Redact leaves them alone.
const (
	maskCard    = "[CARD]"
	maskCVV     = "[CVV]"
	maskSSN     = "[SSN]"
	maskIBAN    = "[IBAN]"
	maskRouting = "[ROUTING]"
	binPrefix   = "[CARD "
)

// maskAt reports whether s starts with a replacement token and returns its length and class.
func maskAt(s string) (int, byte) {
	switch {
	case strings.HasPrefix(s, maskCard):
		return len(maskCard), cMaskCard
	case strings.HasPrefix(s, maskCVV):
		return len(maskCVV), cMask
	case strings.HasPrefix(s, maskSSN):
		return len(maskSSN), cMask
	case strings.HasPrefix(s, maskIBAN):
		return len(maskIBAN), cMask
	case strings.HasPrefix(s, maskRouting):
		return len(maskRouting), cMask
	case strings.HasPrefix(s, binPrefix):
		if n := binTokenLen(s[len(binPrefix):]); n > 0 {
			return len(binPrefix) + n, cBIN
		}
	}
	return 0, 0
}

// binTokenLen matches 6 ASCII digits, 3..9 '*', 4 ASCII digits and ']' (the tail of a BIN +
// last 4 token) and returns its length, or 0.
func binTokenLen(s string) int {
	i := 0
	digits := func(n int) bool {
		for range n {
			if i >= len(s) || s[i] < '0' || s[i] > '9' {
				return false
			}
			i++
		}
		return true
	}
	if !digits(6) {
		return 0
	}
	stars := 0
	for i < len(s) && s[i] == '*' {
		stars++
		i++
	}
	if stars < 3 || stars > 9 || !digits(4) || i >= len(s) || s[i] != ']' {
		return 0
	}
	return i + 1
}
