package redact

// ssnValid applies the Social Security Administration's rules for numbers that can be issued
// (9 ASCII digits AAAGGSSSS): area not 000, 666 or 900-999; group not 00; serial not 0000.
func ssnValid(d []byte) bool {
	area, group, serial := string(d[:3]), string(d[3:5]), string(d[5:])
	return area != "000" && area != "666" && d[0] != '9' && group != "00" && serial != "0000"
}

// abaValid checks a 9-digit ABA routing transit number: the first two digits are a Federal
// Reserve routing symbol (00-12, 21-32, 61-72, 80) and 3(d1+d4+d7) + 7(d2+d5+d8) + (d3+d6+d9)
// is a multiple of 10 (ABA "Key to Routing Numbers").
func abaValid(d []byte) bool {
	p := int(d[0]-'0')*10 + int(d[1]-'0')
	if !(p <= 12 || (p >= 21 && p <= 32) || (p >= 61 && p <= 72) || p == 80) {
		return false
	}
	var v [9]int
	for i := range v {
		v[i] = int(d[i] - '0')
	}
	sum := 3*(v[0]+v[3]+v[6]) + 7*(v[1]+v[4]+v[7]) + v[2] + v[5] + v[8]
	return sum%10 == 0
}

// Windows, in weighted characters (see weight), within which a context word counts.
const (
	bankWindow = 40
	cvvWindow  = 24
)

// detectNineDigits finds US SSNs and ABA routing numbers. A group of exactly 9 digits is a
// routing number when bank context is near and the checksum holds, else an SSN when the SSA
// rules hold. Three consecutive groups of 3, 2 and 4 digits in one run (AAA-GG-SSSS, any
// separators) are an SSN when the rules hold.
func (s *scan) detectNineDigits(bank []span) {
	gs := s.groups
	nr := nearer{hits: bank, window: bankWindow}
	var buf [9]byte
	for i := 0; i < len(gs); i++ {
		g := gs[i]
		if !isDigit(s.n[g.first].c) {
			continue // masked by an earlier stage
		}
		switch {
		case g.digits == 9:
			d := appendDigits(buf[:0], s.n, g.first, g.last)
			near := nr.near(s, span{g.first, g.last})
			switch {
			case near && abaValid(d):
				s.add(finding{kind: KindRouting, first: g.first, last: g.last}, cMask)
			case ssnValid(d):
				s.add(finding{kind: KindSSN, first: g.first, last: g.last}, cMask)
			}
		case g.digits == 3 && i+2 < len(gs) && gs[i+1].digits == 2 && gs[i+2].digits == 4 &&
			gs[i+1].run == g.run && gs[i+2].run == g.run &&
			isDigit(s.n[gs[i+1].first].c) && isDigit(s.n[gs[i+2].first].c):
			d := appendDigits(buf[:0], s.n, g.first, gs[i+2].last)
			if ssnValid(d) {
				s.add(finding{kind: KindSSN, first: g.first, last: gs[i+2].last}, cMask)
				i += 2
			}
		}
	}
}

// detectCVVs finds card security codes: a group of 3 or 4 digits within cvvWindow of a CVV
// context word or phrase or of a card number, not written as part of a date ("12/2027").
func (s *scan) detectCVVs(cvv []span) {
	nr := nearer{hits: cvv, window: cvvWindow}
	for _, g := range s.groups {
		if (g.digits != 3 && g.digits != 4) || !isDigit(s.n[g.first].c) {
			continue
		}
		if (g.first > 0 && s.n[g.first-1].c == '/') || (g.last+1 < len(s.n) && s.n[g.last+1].c == '/') {
			continue
		}
		if nr.near(s, span{g.first, g.last}) {
			s.add(finding{kind: KindCVV, first: g.first, last: g.last}, cMask)
		}
	}
}
