package redact

// Identifiers. Machine identifiers carry long digit runs that are no one's card or SSN: a
// contact ID (UUID) such as "8f14e45f-ceea-467a-9af1-123456789abc" holds nine digits in a row
// (about one random UUID in seventy), so contact IDs in flow logs would read as SSNs. A token is a maximal run
// of letters, digits, masks, '-' and '_' (spaces and other punctuation end it, so the parts of
// an ARN or URL are separate tokens). A token is glued when a letter touches a digit (or a
// mask that replaced digits) inside it.
//
//   - A hex identifier is a glued token whose letters are all a-f ("deadbeef01234567",
//     "9a1b2c3d4e5f60718293"), or any token shaped like a UUID (8-4-4-4-12 hex digits).
//     Its digits are read by no detector.
//   - Any other glued token ("ssn123456789", "AB123456789", a base64 fragment) is an
//     alphanumeric identifier: its digits are no SSN, routing number or CVV, whose checks
//     are weak. A card number inside it is still found ("card4111111111111111"), because
//     Luhn, IIN range and length together rarely hold by chance.
//
// A number set apart from letters by a space or punctuation ("card 4111…", "ssn:123-45-6789",
// "card-4111-1111-1111-1111") is read as usual. IBANs are found before identifiers are set
// aside (an IBAN is a glued token by nature), except inside a UUID.

// tokenChar reports whether c continues a token.
func tokenChar(c byte) bool {
	return isLetter(c) || isDigit(c) || isMask(c) || c == cIdent || c == '-' || c == '_'
}

// setUUIDsAside sets the digits of UUID-shaped tokens aside (class cIdent). It runs first, so
// that not even an IBAN is read inside a UUID ("…-be42-014031b8c01f" passes the IBAN check).
func (s *scan) setUUIDsAside() {
	n := s.n
	for i := 0; i < len(n); {
		if !tokenChar(n[i].c) {
			i++
			continue
		}
		j := i
		for j < len(n) && tokenChar(n[j].c) {
			j++
		}
		if uuidShaped(n[i:j]) {
			for k := i; k < j; k++ {
				if isDigit(n[k].c) {
					n[k].c = cIdent
				}
			}
		}
		i = j
	}
}

// findIdentifiers sets the digits of glued hex tokens aside (class cIdent) and lists the other
// glued tokens in s.weak for setWeakAside. It runs after the IBAN stage (an IBAN is a glued
// token by nature) and before the card stage.
func (s *scan) findIdentifiers() {
	n := s.n
	s.weak = s.weak[:0]
	for i := 0; i < len(n); {
		if !tokenChar(n[i].c) {
			i++
			continue
		}
		glued, hex := false, true
		j := i
		for ; j < len(n) && tokenChar(n[j].c); j++ {
			c := n[j].c
			switch {
			case isLetter(c):
				if c > 'f' {
					hex = false
				}
				if j > i && (isDigit(n[j-1].c) || isMask(n[j-1].c) || n[j-1].c == cIdent) {
					glued = true
				}
			case isDigit(c) || isMask(c) || c == cIdent:
				if j > i && isLetter(n[j-1].c) {
					glued = true
				}
			}
		}
		switch {
		case glued && hex:
			for k := i; k < j; k++ {
				if isDigit(n[k].c) {
					n[k].c = cIdent
				}
			}
		case glued:
			s.weak = append(s.weak, span{i, j - 1})
		}
		i = j
	}
}

// setWeakAside sets the digits left in alphanumeric identifiers aside once cards are found.
func (s *scan) setWeakAside() {
	for _, sp := range s.weak {
		for k := sp.first; k <= sp.last; k++ {
			if isDigit(s.n[k].c) {
				s.n[k].c = cIdent
			}
		}
	}
}

// uuidShaped reports whether tok is 36 characters in the UUID layout of RFC 9562 section 4:
// hex digits in groups of 8, 4, 4, 4 and 12 joined by '-'.
func uuidShaped(tok []nchar) bool {
	if len(tok) != 36 {
		return false
	}
	for k, c := range tok {
		switch k {
		case 8, 13, 18, 23:
			if c.c != '-' {
				return false
			}
		default:
			if !isDigit(c.c) && (c.c < 'a' || c.c > 'f') {
				return false
			}
		}
	}
	return true
}
