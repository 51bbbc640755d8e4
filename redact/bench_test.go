package redact_test

import (
	"strings"
	"testing"

	"github.com/ringfence/ringfence/redact"
)

// chatMessage builds a message of exactly 1024 bytes by repeating line.
func chatMessage(line string) string {
	return strings.Repeat(line, 1024/len(line)+1)[:1024]
}

// BenchmarkRedact1KB measures throughput on 1 KB chat messages:
//
//	go test -run=^$ -bench=Redact1KB -benchmem ./redact/
func BenchmarkRedact1KB(b *testing.B) {
	for _, bc := range []struct{ name, msg string }{
		{"plain", chatMessage("Hi, I ordered a blue jacket last week and it still has not arrived. Could you check? ")},
		{"numbers", chatMessage("Order 1000234578 on 2024-05-17, call me at +1 (555) 123-4567, total $1,234.56. ")},
		{"card", chatMessage("Sure, my card is 4111 1111 1111 1111, exp 12/27, the cvv is 737. Thanks! ")},
		{"unicode", chatMessage("カード番号は４１１１－１１１１－１１１１－１１１１です。よろしく。 ")},
	} {
		for _, p := range []redact.Policy{{Card: redact.CardMaskAll}, {Card: redact.CardBINLast4}} {
			name := bc.name + "/mask-all"
			if p.Card == redact.CardBINLast4 {
				name = bc.name + "/bin-last4"
			}
			b.Run(name, func(b *testing.B) {
				r := redact.New(p)
				b.SetBytes(int64(len(bc.msg)))
				b.ReportAllocs()
				for b.Loop() {
					r.Redact(bc.msg)
				}
			})
		}
	}
}

// BenchmarkRedactScaling shows that time grows linearly with input size.
func BenchmarkRedactScaling(b *testing.B) {
	line := "pay 4111 1111 1111 1111 cvv 123, call 555-123-4567, iban DE89 3704 0044 0532 0130 00. "
	for _, size := range []int{1 << 10, 64 << 10, 1 << 20} {
		msg := strings.Repeat(line, size/len(line)+1)[:size]
		b.Run(byteSize(size), func(b *testing.B) {
			r := redact.New(redact.Policy{})
			b.SetBytes(int64(len(msg)))
			for b.Loop() {
				r.Redact(msg)
			}
		})
	}
}

func byteSize(n int) string {
	switch {
	case n >= 1<<20:
		return itoa(n>>20) + "MiB"
	case n >= 1<<10:
		return itoa(n>>10) + "KiB"
	}
	return itoa(n) + "B"
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var d []byte
	for ; n > 0; n /= 10 {
		d = append([]byte{byte('0' + n%10)}, d...)
	}
	return string(d)
}
