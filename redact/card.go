package redact

// iinRange is a range of issuer identification numbers (the leading digits of a PAN) of one
// card brand, with the PAN lengths the brand issues there.
type iinRange struct {
	lo, hi         string // same-length digit prefixes, inclusive
	minLen, maxLen int
	brand          string
}

// iinRanges lists card brands by IIN range and length, most specific first (the first range
// that matches prefix and length gives the brand). Sources: ISO/IEC 7812-1 (PAN structure,
// 8-19 digits) and the ranges the schemes publish, as summarised in the public reference
// "Payment card number" (IIN ranges table). Lengths below 13 are not detected.
var iinRanges = [...]iinRange{
	{"34", "34", 15, 15, "American Express"},
	{"37", "37", 15, 15, "American Express"},
	{"2200", "2204", 16, 19, "Mir"},
	{"2221", "2720", 16, 16, "Mastercard"},
	{"51", "55", 16, 16, "Mastercard"},
	{"4", "4", 13, 19, "Visa"},
	{"300", "305", 14, 19, "Diners Club"},
	{"3095", "3095", 14, 19, "Diners Club"},
	{"36", "36", 14, 19, "Diners Club"},
	{"38", "39", 14, 19, "Diners Club"},
	{"3528", "3589", 16, 19, "JCB"},
	{"6011", "6011", 16, 19, "Discover"},
	{"622126", "622925", 16, 19, "Discover"},
	{"644", "649", 16, 19, "Discover"},
	{"65", "65", 16, 19, "Discover"},
	{"62", "62", 16, 19, "UnionPay"},
	{"81", "81", 16, 19, "UnionPay"},
	{"9792", "9792", 16, 16, "Troy"},
	{"50", "50", 13, 19, "Maestro"},
	{"56", "69", 13, 19, "Maestro"},
}

// cardBrand returns the brand of a PAN given as ASCII digits, or "" when no known IIN range
// and length match.
func cardBrand(pan []byte) string {
	for _, r := range iinRanges {
		p := len(r.lo)
		if len(pan) < r.minLen || len(pan) > r.maxLen || len(pan) < p {
			continue
		}
		if pre := string(pan[:p]); pre >= r.lo && pre <= r.hi {
			return r.brand
		}
	}
	return ""
}

// luhnValid reports whether the ASCII digits pass the Luhn check (ISO/IEC 7812-1 Annex B).
func luhnValid(d []byte) bool {
	sum := 0
	double := false
	for i := len(d) - 1; i >= 0; i-- {
		v := int(d[i] - '0')
		if double {
			v *= 2
			if v > 9 {
				v -= 9
			}
		}
		sum += v
		double = !double
	}
	return sum%10 == 0
}

// detectCards finds card numbers: 13-19 digits made of whole consecutive groups of one run,
// Luhn-valid and in a known IIN range. From each starting group the longest valid candidate
// wins; scanning then resumes after it. Each start looks at most 19 groups ahead, so the work
// is linear in the input.
func (s *scan) detectCards() {
	gs := s.groups
	var buf [32]byte
	for i := 0; i < len(gs); {
		best, bestBrand := -1, ""
		total := 0
		for j := i; j < len(gs) && gs[j].run == gs[i].run; j++ {
			total += gs[j].digits
			if total > 19 {
				break
			}
			if total < 13 {
				continue
			}
			d := appendDigits(buf[:0], s.n, gs[i].first, gs[j].last)
			if luhnValid(d) {
				if b := cardBrand(d); b != "" {
					best, bestBrand = j, b
				}
			}
		}
		if best < 0 {
			i++
			continue
		}
		f := finding{kind: KindCard, first: gs[i].first, last: gs[best].last, brand: bestBrand}
		f.panLen = len(appendDigits(f.pan[:0], s.n, f.first, f.last))
		s.add(f, cMaskCard)
		i = best + 1
	}
}
