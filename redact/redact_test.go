package redact_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/ringfence/ringfence/redact"
)

func TestRedactMaskAll(t *testing.T) {
	t.Parallel()
	r := redact.New(redact.Policy{})
	for _, tc := range []struct {
		name, in, want string
	}{
		// Cards: the brands' published test PANs.
		{"visa", "my card is 4111111111111111 thanks", "my card is [CARD] thanks"},
		{"visa 4242", "4242424242424242", "[CARD]"},
		{"visa 13 digits", "4222222222222", "[CARD]"},
		{"mastercard", "5555555555554444", "[CARD]"},
		{"mastercard 2-series", "2223003122003222", "[CARD]"},
		{"amex", "378282246310005", "[CARD]"},
		{"amex grouped", "3714 496353 98431", "[CARD]"},
		{"discover", "6011111111111117", "[CARD]"},
		{"discover 65", "6500000000000002", "[CARD]"},
		{"jcb", "3530111333300000", "[CARD]"},
		{"diners 14", "30569309025904", "[CARD]"},
		{"diners 38", "38520000023237", "[CARD]"},
		{"unionpay", "6200000000000005", "[CARD]"},
		{"unionpay 19", "6212345678901232", "[CARD]"},
		{"maestro", "6759649826438453", "[CARD]"},
		{"spaces", "4111 1111 1111 1111", "[CARD]"},
		{"dashes", "4111-1111-1111-1111", "[CARD]"},
		{"dots", "4111.1111.1111.1111", "[CARD]"},
		{"spaced dash", "4111 - 1111 - 1111 - 1111", "[CARD]"},
		{"every digit spaced", "4 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1", "[CARD]"},
		{"line breaks", "4111\n1111\n1111\n1111", "[CARD]"},
		{"fullwidth digits", "カード４１１１１１１１１１１１１１１１です", "カード[CARD]です"},
		{"fullwidth separated", "４１１１－１１１１－１１１１－１１１１", "[CARD]"},
		{"arabic-indic digits", "٤١١١١١١١١١١١١١١١", "[CARD]"},
		{"zero-width space", "4111\u200b1111\u200b1111\u200b1111", "[CARD]"},
		{"zero-width joiner and soft hyphen", "41\u200d11111111\u00ad111111", "[CARD]"},
		{"bidi override inside", "4111\u202e1111\u202c11111111", "[CARD]"},
		{"combining mark inside", "41\u030111111111111111", "[CARD]"},
		{"glued to letters", "card:4111111111111111,exp", "card:[CARD],exp"},
		{"digit group before", "qty 12 4111 1111 1111 1111", "qty 12 [CARD]"},
		{"two cards", "4111111111111111 and 5555555555554444", "[CARD] and [CARD]"},
		// Left alone.
		{"not luhn", "4111111111111112", "4111111111111112"},
		{"unknown iin", "1234567812345670", "1234567812345670"},
		{"amex wrong length", "3782822463100050", "3782822463100050"},
		{"too short", "411111111111", "411111111111"},
		{"too long run", "41111111111111111111111", "41111111111111111111111"},
		{"us phone", "call +1 (555) 123-4567 or 555.123.4567", "call +1 (555) 123-4567 or 555.123.4567"},
		{"uk phone", "ring +44 20 7946 0958", "ring +44 20 7946 0958"},
		{"order id", "order #1000234578 shipped", "order #1000234578 shipped"},
		{"nine-digit order id is an ssn", "order #100023457", "order #[SSN]"},
		{"long order id", "order 1000234571234567890", "order 1000234571234567890"},
		{"date", "on 2024-05-17 at 10:30", "on 2024-05-17 at 10:30"},
		{"amount", "you owe $1,234.56", "you owe $1,234.56"},
		{"zip+4", "zip 12345-6789", "zip 12345-6789"},
		// SSNs.
		{"ssn dashed", "ssn 123-45-6789", "ssn [SSN]"},
		{"ssn spaced", "ssn 123 45 6789", "ssn [SSN]"},
		{"ssn plain", "ssn 123456789", "ssn [SSN]"},
		{"ssn area 000", "000-12-3456", "000-12-3456"},
		{"ssn area 666", "666-12-3456", "666-12-3456"},
		{"ssn area 9xx", "912-34-5678", "912-34-5678"},
		{"ssn group 00", "123-00-4567", "123-00-4567"},
		{"ssn serial 0000", "123-45-0000", "123-45-0000"},
		{"ssn plain area 9xx", "order 912345678", "order 912345678"},
		// IBANs.
		{"iban de", "IBAN DE89 3704 0044 0532 0130 00 please", "IBAN [IBAN] please"},
		{"iban de electronic", "DE89370400440532013000", "[IBAN]"},
		{"iban gb", "GB82 WEST 1234 5698 7654 32", "[IBAN]"},
		{"iban gb lower", "gb82west12345698765432.", "[IBAN]."},
		{"iban fr", "FR14 2004 1010 0505 0001 3M02 606", "[IBAN]"},
		{"iban nl", "NL91ABNA0417164300", "[IBAN]"},
		{"iban no", "NO9386011117947", "[IBAN]"},
		{"iban bad check", "DE89 3704 0044 0532 0130 01", "DE89 3704 0044 0532 0130 01"},
		{"iban wrong length", "DE89 3704 0044 0532 0130", "DE89 3704 0044 0532 0130"},
		{"iban unknown country", "ZZ89370400440532013000", "ZZ89370400440532013000"},
		// Routing numbers.
		{"aba with context", "routing number 021000021", "routing number [ROUTING]"},
		{"aba bank word after", "011000015 is my bank's", "[ROUTING] is my bank's"},
		{"aba without context", "ref 021000021", "ref 021000021"},
		{"aba bad checksum", "routing 021000022", "routing 021000022"},
		{"aba bad checksum valid ssn", "routing 123456789", "routing [SSN]"},
		// CVVs.
		{"cvv", "cvv 123", "cvv [CVV]"},
		{"cvc colon", "CVC: 1234", "CVC: [CVV]"},
		{"security code phrase", "the security code on the back is 737", "the security code on the back is [CVV]"},
		{"cvv before word", "737 is the cvv", "[CVV] is the cvv"},
		{"cvv after card", "4111 1111 1111 1111 exp 12/27 737", "[CARD] exp 12/27 [CVV]"},
		{"expiry year not cvv", "4111111111111111 12/2027", "[CARD] 12/2027"},
		{"no context", "I have 123 apples", "I have 123 apples"},
		{"context too far", "cvv? that is a question I would rather not answer today, ok 123", "cvv? that is a question I would rather not answer today, ok 123"},
		{"word inside word", "acidic 123", "acidic 123"},
		// Tokens are left alone.
		{"masks", "[CARD] [CVV] [SSN] [IBAN] [ROUTING]", "[CARD] [CVV] [SSN] [IBAN] [ROUTING]"},
		{"bin token re-masked", "[CARD 411111******1111]", "[CARD]"},
		{"fake token redacted", "[CARD 4111111111111111]", "[CARD [CARD]]"},
		{"empty", "", ""},
		{"invalid utf-8", "\xff4111111111111111\xfe", "\xff[CARD]\xfe"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, _ := r.Redact(tc.in)
			if got != tc.want {
				t.Errorf("Redact(%q) = %q, want %q", tc.in, got, tc.want)
			}
			if again, _ := r.Redact(got); again != got {
				t.Errorf("Redact(Redact(%q)) = %q, want %q", tc.in, again, got)
			}
		})
	}
}

func TestRedactBINLast4(t *testing.T) {
	t.Parallel()
	r := redact.New(redact.Policy{Card: redact.CardBINLast4})
	for _, tc := range []struct {
		name, in, want string
	}{
		{"visa", "4111 1111 1111 1111", "[CARD 411111******1111]"},
		{"amex", "378282246310005", "[CARD 378282*****0005]"},
		{"13 digits", "4222222222222", "[CARD 422222***2222]"},
		{"19 digits", "6212345678901265", "[CARD 621234******1265]"},
		{"fullwidth", "４１１１１１１１１１１１１１１１", "[CARD 411111******1111]"},
		{"token kept", "[CARD 411111******1111]", "[CARD 411111******1111]"},
		{"cvv next to token", "[CARD 411111******1111] cvv 123", "[CARD 411111******1111] cvv [CVV]"},
		{"ssn still masked", "123-45-6789", "[SSN]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, _ := r.Redact(tc.in)
			if got != tc.want {
				t.Errorf("Redact(%q) = %q, want %q", tc.in, got, tc.want)
			}
			if again, _ := r.Redact(got); again != got {
				t.Errorf("Redact(Redact(%q)) = %q, want %q", tc.in, again, got)
			}
		})
	}
}

func TestFindings(t *testing.T) {
	t.Parallel()
	r := redact.New(redact.Policy{})
	in := "card ４１１１ 1111 1111 1111, cvv 123, ssn 123-45-6789, iban GB82WEST12345698765432, routing 021000021"
	_, got := r.Redact(in)
	want := []redact.Finding{
		{Kind: redact.KindCard, Start: 5, End: 5 + 12 + 15, Brand: "Visa"},
		{Kind: redact.KindCVV, Start: strings.Index(in, "123,"), End: strings.Index(in, "123,") + 3},
		{Kind: redact.KindSSN, Start: strings.Index(in, "123-"), End: strings.Index(in, "123-") + 11},
		{Kind: redact.KindIBAN, Start: strings.Index(in, "GB82"), End: strings.Index(in, "GB82") + 22},
		{Kind: redact.KindRouting, Start: strings.Index(in, "0210"), End: len(in)},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
	if _, none := r.Redact("nothing to see here"); none != nil {
		t.Errorf("findings = %v, want nil", none)
	}
}

func TestLongInputs(t *testing.T) {
	t.Parallel()
	r := redact.New(redact.Policy{})
	for _, tc := range []struct {
		name   string
		in     string
		wantN  int
		wantIn string
	}{
		{"1 MiB of spaced digits", strings.Repeat("1 ", 512<<10), 0, ""},
		{"1 MiB of digits", strings.Repeat("7", 1<<20), 0, ""},
		{"1 MiB of letters and digits", strings.Repeat("DE89 ", 200<<10), 0, ""},
		{"cards every 40 bytes", strings.Repeat("pay 4111 1111 1111 1111 thanks cvv 123 ", 20000), 40000, "[CARD]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, fs := r.Redact(tc.in)
			if len(fs) != tc.wantN {
				t.Errorf("%d findings, want %d", len(fs), tc.wantN)
			}
			if tc.wantIn != "" && !strings.Contains(got, tc.wantIn) {
				t.Errorf("output lacks %q", tc.wantIn)
			}
		})
	}
}

func TestConcurrentRedact(t *testing.T) {
	t.Parallel()
	r := redact.New(redact.Policy{Card: redact.CardBINLast4})
	inputs := map[string]string{
		"card 4111 1111 1111 1111 cvv 123": "card [CARD 411111******1111] cvv [CVV]",
		"ssn 123-45-6789":                  "ssn [SSN]",
		"nothing here":                     "nothing here",
	}
	done := make(chan struct{})
	for range 4 {
		go func() {
			defer func() { done <- struct{}{} }()
			for range 200 {
				for in, want := range inputs {
					if got, _ := r.Redact(in); got != want {
						t.Errorf("Redact(%q) = %q, want %q", in, got, want)
						return
					}
				}
			}
		}()
	}
	for range 4 {
		<-done
	}
}

// TestIdentifiersLeftAlone is the regression test for digits inside identifiers: a contact ID
// whose last group holds nine digits in a row was redacted as an SSN.
func TestIdentifiersLeftAlone(t *testing.T) {
	t.Parallel()
	r := redact.New(redact.Policy{})
	for _, tc := range []struct {
		name, in, want string
	}{
		{"uuid with nine digits", "contact 8f14e45f-ceea-467a-9af1-123456789abc ended", "contact 8f14e45f-ceea-467a-9af1-123456789abc ended"},
		{"uuid with nine digits first", "8f14e45f-ceea-467a-9af1-a12345678900", "8f14e45f-ceea-467a-9af1-a12345678900"},
		{"uuid of digits only", "12345678-1234-4123-8123-123456789012", "12345678-1234-4123-8123-123456789012"},
		{"upper-case uuid", "8F14E45F-CEEA-467A-9AF1-123456789ABC", "8F14E45F-CEEA-467A-9AF1-123456789ABC"},
		{"contact arn", "arn:aws:connect:us-east-1:111122223333:instance/5b2f4c3e-0d1a-4e6b-9c7d-8e9f0a1b2c3d/contact/8f14e45f-ceea-467a-9af1-123456789abc",
			"arn:aws:connect:us-east-1:111122223333:instance/5b2f4c3e-0d1a-4e6b-9c7d-8e9f0a1b2c3d/contact/8f14e45f-ceea-467a-9af1-123456789abc"},
		{"hex digest", "sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"},
		{"hex run with a card inside", "deadbeef4111111111111111cafe", "deadbeef4111111111111111cafe"},
		{"code with nine digits", "case AB123456789 opened", "case AB123456789 opened"},
		{"code with cvv context", "cvv x123y", "cvv x123y"},
		// Numbers set apart from letters are still found.
		{"card after word glued", "card4111111111111111", "card[CARD]"},
		{"card in alphanumeric code", "zz4111111111111111", "zz[CARD]"},
		{"ssn after dash", "ssn-123-45-6789", "ssn-[SSN]"},
		{"ssn after colon", "ssn:123456789", "ssn:[SSN]"},
		{"card after word and dash", "card-4111-1111-1111-1111", "card-[CARD]"},
		{"ssn beside uuid", "8f14e45f-ceea-467a-9af1-123456789abc 123-45-6789", "8f14e45f-ceea-467a-9af1-123456789abc [SSN]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, _ := r.Redact(tc.in)
			if got != tc.want {
				t.Errorf("Redact(%q) = %q, want %q", tc.in, got, tc.want)
			}
			if again, _ := r.Redact(got); again != got {
				t.Errorf("Redact(Redact(%q)) = %q, want %q", tc.in, again, got)
			}
		})
	}
}
