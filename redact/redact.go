// Package redact finds payment card numbers, card security codes, US Social Security
// numbers, IBANs and US routing numbers in free text (chat messages, transcripts, flow logs,
// task descriptions) and replaces them before the text is stored, indexed or shown.
//
// Detection works on a normalized view of the text: any Unicode decimal digit (fullwidth
// "４１１１" included) counts as its digit, zero-width and other invisible format characters
// are ignored, and digits may be grouped with spaces, dashes or dots. Each detector reads
// every character a bounded number of times, so Redact is linear in the input. Digits inside
// machine identifiers (UUIDs, hex runs, the parts of ARNs, codes such as "AB123456789") are
// not taken for SSNs, routing numbers or CVVs; see identifier.go for the exact rule.
//
// Replacements are fixed tokens ("[CARD]", "[CVV]", "[SSN]", "[IBAN]", "[ROUTING]", or
// "[CARD 411111******1111]" where a profile may see BIN and last 4). A later Redact leaves
// them untouched, so redacting twice gives the same text as redacting once.
package redact

import (
	"slices"
	"strings"
	"sync"
)

// Kind names what a Finding is. Kinds are stable strings, safe to log and audit.
type Kind string

// The kinds Redact finds.
const (
	KindCard    Kind = "card"        // payment card number (PAN), ISO/IEC 7812
	KindCVV     Kind = "cvv"         // card security code (CVV2/CVC2/CID), 3-4 digits
	KindSSN     Kind = "ssn"         // US Social Security number
	KindIBAN    Kind = "iban"        // International Bank Account Number, ISO 13616
	KindRouting Kind = "aba_routing" // US ABA routing transit number
)

// Finding is one redacted value: its kind and where it was in the input, as byte offsets
// [Start, End) into the string given to Redact. It never holds the value.
type Finding struct {
	Kind  Kind
	Start int
	End   int
	// Brand is the card brand for KindCard ("Visa", "Mastercard", ...), "" otherwise and for
	// an already masked BIN + last 4 token.
	Brand string
}

// CardFormat says how a card number is replaced.
type CardFormat int

const (
	// CardMaskAll replaces a card number with "[CARD]". It also turns BIN + last 4 tokens
	// already in the text into "[CARD]", so text stored for a privileged viewer can be
	// re-redacted for others.
	CardMaskAll CardFormat = iota
	// CardBINLast4 replaces a card number with "[CARD " + first 6 digits + one '*' per hidden
	// digit + last 4 digits + "]" (PCI DSS v4.0.1 requirement 3.4.1: at most BIN and last four
	// digits displayed). Use it only for profiles allowed to see that much.
	CardBINLast4
)

// Policy configures a Redactor. The zero value masks everything.
type Policy struct {
	Card CardFormat
}

// Redactor redacts text under a Policy. It holds no mutable state and is safe for concurrent
// use.
type Redactor struct {
	policy Policy
	// scans recycles the working buffers of Redact calls (*scan).
	scans sync.Pool
}

// New returns a Redactor for p.
func New(p Policy) *Redactor { return &Redactor{policy: p} }

// maxPooled is the largest input, in bytes, whose buffers are kept for reuse.
const maxPooled = 64 << 10

// finding is a Finding in nchar indices (inclusive), with the card digits for BIN + last 4.
type finding struct {
	kind        Kind
	first, last int
	brand       string
	pan         [19]byte // card digits, ASCII; panLen of them
	panLen      int
	binToken    bool
}

// scan is the state of one Redact call.
type scan struct {
	n        []nchar
	groups   []group
	prefix   []int32 // prefix[i] = sum of weight(n[k].c) for k < i
	findings []finding
	weak     []span // alphanumeric identifiers (see findIdentifiers)
}

// add records f and masks its characters so that later stages skip them.
func (s *scan) add(f finding, mask byte) {
	s.findings = append(s.findings, f)
	for k := f.first; k <= f.last; k++ {
		s.n[k].c = mask
	}
}

// Redact returns text with every detected value replaced per the policy, and the findings in
// text order. Text without findings is returned as is. The output is never longer than twice
// the input. Invalid UTF-8 is passed through. Memory use is about 12 bytes per character of
// text plus the output.
func (r *Redactor) Redact(text string) (string, []Finding) {
	s, _ := r.scans.Get().(*scan)
	if s == nil {
		s = &scan{}
	}
	defer func() {
		if len(text) <= maxPooled {
			// Pooled buffers must not keep the digits of what was redacted.
			clear(s.n)
			clear(s.findings)
			s.n, s.findings = s.n[:0], s.findings[:0]
			r.scans.Put(s)
		}
	}()
	if cap(s.n) < len(text) {
		s.n = make([]nchar, 0, len(text)) // at most one nchar per byte
	}
	s.n = normalize(text, s.n)
	if r.policy.Card == CardMaskAll {
		for i, c := range s.n {
			if c.c == cBIN {
				s.add(finding{kind: KindCard, first: i, last: i, binToken: true}, cMaskCard)
			}
		}
	}
	s.setUUIDsAside()
	s.detectIBANs()
	s.findIdentifiers()
	s.groups = buildGroups(s.n, s.groups)
	s.detectCards()
	s.setWeakAside()
	s.prefix = slices.Grow(s.prefix[:0], len(s.n)+1)[:len(s.n)+1]
	s.prefix[0] = 0
	for i, c := range s.n {
		s.prefix[i+1] = s.prefix[i] + weight(c.c)
	}
	cvv, bank := s.contexts()
	s.groups = buildGroups(s.n, s.groups)
	s.detectNineDigits(bank)
	s.detectCVVs(cvv)
	if len(s.findings) == 0 {
		return text, nil
	}
	slices.SortFunc(s.findings, func(a, b finding) int { return a.first - b.first })

	var out strings.Builder
	out.Grow(len(text))
	found := make([]Finding, len(s.findings))
	at := 0
	for i, f := range s.findings {
		start, end := int(s.n[f.first].start), int(s.n[f.last].end)
		found[i] = Finding{Kind: f.kind, Start: start, End: end, Brand: f.brand}
		out.WriteString(text[at:start])
		r.writeMask(&out, f)
		at = end
	}
	out.WriteString(text[at:])
	return out.String(), found
}

func (r *Redactor) writeMask(out *strings.Builder, f finding) {
	switch f.kind {
	case KindCard:
		if r.policy.Card == CardBINLast4 && !f.binToken {
			out.WriteString(binPrefix)
			pan := f.pan[:f.panLen]
			out.Write(pan[:6])
			for range len(pan) - 10 {
				out.WriteByte('*')
			}
			out.Write(pan[len(pan)-4:])
			out.WriteByte(']')
			return
		}
		out.WriteString(maskCard)
	case KindCVV:
		out.WriteString(maskCVV)
	case KindSSN:
		out.WriteString(maskSSN)
	case KindIBAN:
		out.WriteString(maskIBAN)
	case KindRouting:
		out.WriteString(maskRouting)
	}
}
