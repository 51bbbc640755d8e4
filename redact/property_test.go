package redact_test

import (
	"strings"
	"testing"
	"unicode"

	"github.com/ringfence/ringfence/redact"
	"pgregory.net/rapid"
)

// panShapes are IIN prefixes and lengths of known brands.
var panShapes = []struct {
	prefix string
	length int
}{
	{"4", 13}, {"4", 16}, {"4", 19}, {"51", 16}, {"55", 16}, {"2221", 16}, {"2720", 16},
	{"34", 15}, {"37", 15}, {"6011", 16}, {"65", 19}, {"3528", 16}, {"3589", 19},
	{"36", 14}, {"300", 14}, {"62", 17}, {"6759", 18}, {"50", 13}, {"2200", 16},
}

// genPAN draws a Luhn-valid PAN of a known brand as ASCII digits.
func genPAN(t *rapid.T) string {
	shape := rapid.SampledFrom(panShapes).Draw(t, "shape")
	d := []byte(shape.prefix)
	for len(d) < shape.length-1 {
		d = append(d, byte('0'+rapid.IntRange(0, 9).Draw(t, "digit")))
	}
	// Luhn check digit: double every second digit from the right, starting with the last
	// payload digit.
	sum := 0
	for i := len(d) - 1; i >= 0; i-- {
		v := int(d[i] - '0')
		if (len(d)-1-i)%2 == 0 {
			v *= 2
			if v > 9 {
				v -= 9
			}
		}
		sum += v
	}
	return string(append(d, byte('0'+(10-sum%10)%10)))
}

// render writes pan with random digit scripts and separators between digits.
func render(t *rapid.T, pan string) string {
	seps := []string{"", "", "", "", " ", "-", ".", "\u200b", " - ", "\u00a0", "\u3000", "\u200d\u200b", "\n"}
	var b strings.Builder
	for i, c := range pan {
		if i > 0 {
			b.WriteString(rapid.SampledFrom(seps).Draw(t, "sep"))
		}
		switch rapid.IntRange(0, 5).Draw(t, "script") {
		case 0:
			b.WriteRune('０' + (c - '0')) // fullwidth
		case 1:
			b.WriteRune('٠' + (c - '0')) // Arabic-Indic
		default:
			b.WriteRune(c)
		}
	}
	return b.String()
}

// textRunes are the characters of the text around a PAN: no digits of any script.
var textRunes = []rune("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ  .,!?:;#()[]*-/\n\téßü中文カード💳\u200b")

func genText(t *rapid.T, label string) string {
	return rapid.StringOfN(rapid.SampledFrom(textRunes), 0, 60, -1).Draw(t, label)
}

// boundaries end the text around a PAN so that the PAN is not part of a hex identifier
// (identifier.go): punctuation, white space, or a letter outside a-f.
var boundaries = []string{" ", ".", ",", ":", "#", "\n", "(", "g", "Z", "x", "カ"}

func genBoundary(t *rapid.T, label string) string {
	return rapid.SampledFrom(boundaries).Draw(t, label)
}

// digitsOnly projects s onto its decimal digits (any script), as ASCII.
func digitsOnly(s string) string {
	var b strings.Builder
	for _, r := range s {
		if unicode.IsDigit(r) {
			z := r
			for unicode.IsDigit(z - 1) {
				z--
			}
			b.WriteByte(byte('0' + (r-z)%10))
		}
	}
	return b.String()
}

func TestPropertyPANRedacted(t *testing.T) {
	t.Parallel()
	for _, p := range []redact.Policy{{Card: redact.CardMaskAll}, {Card: redact.CardBINLast4}} {
		r := redact.New(p)
		rapid.Check(t, func(t *rapid.T) {
			pan := genPAN(t)
			in := genText(t, "before") + genBoundary(t, "open") + render(t, pan) + genBoundary(t, "close") + genText(t, "after")
			out, fs := r.Redact(in)
			if strings.Contains(digitsOnly(out), pan) {
				t.Fatalf("Redact(%q) = %q still holds PAN %s", in, out, pan)
			}
			if len(fs) == 0 {
				t.Fatalf("Redact(%q): no findings", in)
			}
			if again, _ := r.Redact(out); again != out {
				t.Fatalf("Redact(Redact(%q)) = %q, want %q", in, again, out)
			}
		})
	}
}

// genUUID draws a UUID in its text form, lower or upper case, biased toward long digit runs.
func genUUID(t *rapid.T) string {
	hex := rapid.SampledFrom([]string{"0123456789abcdef", "0123456789ABCDEF", "0123456789", "01234567890123456789abcdef"}).Draw(t, "alphabet")
	var b strings.Builder
	for i := range 32 {
		if i == 8 || i == 12 || i == 16 || i == 20 {
			b.WriteByte('-')
		}
		b.WriteByte(hex[rapid.IntRange(0, len(hex)-1).Draw(t, "hex")])
	}
	return b.String()
}

// TestPropertyIdentifiersUnchanged: UUIDs (contact IDs, inside ARNs or alone) and hex runs
// that mix letters and digits are never redacted, whatever digits they hold.
func TestPropertyIdentifiersUnchanged(t *testing.T) {
	t.Parallel()
	for _, p := range []redact.Policy{{Card: redact.CardMaskAll}, {Card: redact.CardBINLast4}} {
		r := redact.New(p)
		rapid.Check(t, func(t *rapid.T) {
			var id string
			switch rapid.IntRange(0, 2).Draw(t, "form") {
			case 0:
				id = genUUID(t)
			case 1:
				id = "arn:aws:connect:us-east-1:111122223333:instance/" + genUUID(t) + "/contact/" + genUUID(t)
			default:
				// A hex run with at least one letter touching a digit. Two letters then digits
				// could be a valid IBAN as a whole (an IBAN wins), so letters come one or 3+.
				d := rapid.StringOfN(rapid.SampledFrom([]rune("0123456789")), 9, 40, -1).Draw(t, "digits")
				l := rapid.StringOfN(rapid.SampledFrom([]rune("abcdefABCDEF")), 1, 8, -1).Filter(func(s string) bool { return len(s) != 2 }).Draw(t, "letters")
				tail := rapid.StringOfN(rapid.SampledFrom([]rune("0123456789abcdef")), 0, 24, -1).Draw(t, "tail")
				id = l + d + tail
				if rapid.Bool().Draw(t, "letters last") {
					id = d + l + tail
				}
			}
			in := "contact " + id + " done"
			if out, fs := r.Redact(in); out != in {
				t.Fatalf("Redact(%q) = %q (findings %v), want it unchanged", in, out, fs)
			}
		})
	}
}

// pieces build adversarial text for the idempotence property.
var pieces = []string{
	"4111111111111111", "4111", "1111", "5555 5555 5555 4444", "378282246310005", "123", "1234",
	"12", "123-45-6789", "123456789", "021000021", "DE89", "370400440532013000", "GB82WEST12345698765432",
	"cvv", "security", "code", "routing", "bank", "card", "[CARD]", "[CVV]", "[SSN]", "[", "]",
	"[CARD 411111******1111]", "[CARD ", "******", " ", " ", "-", ".", "/", "\u200b", "４", "１",
	"a", "Z", "é", "\n", "0", "9", ":",
	"8f14e45f-ceea-467a-9af1-123456789abc", "deadbeef", "ab", "zz", "x", "_", "f0", "ssn",
}

func TestPropertyIdempotent(t *testing.T) {
	t.Parallel()
	for _, p := range []redact.Policy{{Card: redact.CardMaskAll}, {Card: redact.CardBINLast4}} {
		r := redact.New(p)
		rapid.Check(t, func(t *rapid.T) {
			parts := rapid.SliceOfN(rapid.SampledFrom(pieces), 0, 30).Draw(t, "parts")
			in := strings.Join(parts, "")
			out, fs := r.Redact(in)
			if again, _ := r.Redact(out); again != out {
				t.Fatalf("Redact(Redact(%q)) = %q, want %q", in, again, out)
			}
			checkFindings(t, in, out, fs)
		})
	}
}

// checkFindings asserts the output bound and that findings are ordered, disjoint spans of in.
func checkFindings(t interface{ Fatalf(string, ...any) }, in, out string, fs []redact.Finding) {
	if len(out) > 2*len(in) {
		t.Fatalf("len(Redact(%q)) = %d, want <= %d", in, len(out), 2*len(in))
	}
	at := 0
	for _, f := range fs {
		if f.Start < at || f.End <= f.Start || f.End > len(in) {
			t.Fatalf("Redact(%q): finding %+v out of order or range", in, f)
		}
		at = f.End
	}
}
