package redact

// ibanLength returns the IBAN length for an ISO 3166-1 alpha-2 country code (upper case), or
// 0 when the country does not use IBANs. Source: SWIFT IBAN Registry (ISO 13616).
func ibanLength(cc string) int {
	switch cc {
	case "NO":
		return 15
	case "BE":
		return 16
	case "DK", "FI", "FK", "FO", "GL", "NL", "SD":
		return 18
	case "MK", "SI":
		return 19
	case "AT", "BA", "EE", "KZ", "LT", "LU", "MN", "XK":
		return 20
	case "CH", "HR", "LI", "LV":
		return 21
	case "BG", "BH", "CR", "DE", "GB", "GE", "IE", "ME", "RS", "VA":
		return 22
	case "AE", "GI", "IL", "IQ", "OM", "SO", "TL":
		return 23
	case "AD", "CZ", "ES", "MD", "PK", "RO", "SA", "SE", "SK", "TN", "VG":
		return 24
	case "LY", "PT", "ST":
		return 25
	case "IS", "TR":
		return 26
	case "BI", "DJ", "FR", "GR", "IT", "MC", "MR", "SM":
		return 27
	case "AL", "AZ", "BY", "CY", "DO", "GT", "HU", "LB", "NI", "PL", "SV":
		return 28
	case "BR", "EG", "PS", "QA", "UA":
		return 29
	case "JO", "KW", "MU", "YE":
		return 30
	case "MT", "SC":
		return 31
	case "LC":
		return 32
	case "RU":
		return 33
	}
	return 0
}

// detectIBANs finds IBANs (ISO 13616): a country code, two check digits and the BBAN, of the
// country's registered length, in electronic form or grouped with single spaces or dashes,
// case-insensitive, not glued to other letters or digits, with ISO 7064 MOD 97-10 remainder 1.
// Each candidate start reads at most 34 characters and one separator between each, so the
// work is linear in the input.
func (s *scan) detectIBANs() {
	n := s.n
	for i := 0; i+3 < len(n); i++ {
		if !isLetter(n[i].c) || !isLetter(n[i+1].c) || !isDigit(n[i+2].c) || !isDigit(n[i+3].c) {
			continue
		}
		if i > 0 && alnumLike(n[i-1].c) {
			continue
		}
		cc := string([]byte{n[i].c - 'a' + 'A', n[i+1].c - 'a' + 'A'})
		want := ibanLength(cc)
		if want == 0 {
			continue
		}
		var chars [34]byte
		count, j, sep := 0, i, false
		for count < want && j < len(n) {
			c := n[j].c
			switch {
			case isLetter(c) || isDigit(c):
				chars[count] = c
				count++
				sep = false
			case (c == ' ' || c == '-') && !sep:
				sep = true
			default:
				j = len(n)
				continue
			}
			j++
		}
		if count < want || (j < len(n) && alnumLike(n[j].c)) || !ibanChecksumOK(chars[:want]) {
			continue
		}
		s.add(finding{kind: KindIBAN, first: i, last: j - 1}, cMask)
		i = j - 1
	}
}

// ibanChecksumOK applies ISO 7064 MOD 97-10 to an IBAN in normalized form (digits and
// lower-case letters): move the first four characters to the end, read letters as 10..35,
// and the remainder modulo 97 must be 1.
func ibanChecksumOK(iban []byte) bool {
	r := 0
	for k := range iban {
		c := iban[(k+4)%len(iban)]
		if isDigit(c) {
			r = (r*10 + int(c-'0')) % 97
		} else {
			r = (r*100 + int(c-'a') + 10) % 97
		}
	}
	return r == 1
}
