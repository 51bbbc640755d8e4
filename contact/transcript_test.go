package contact_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/google/go-cmp/cmp"

	"github.com/ringfence/ringfence/contact"
	"github.com/ringfence/ringfence/redact"
)

func TestTranscriptWords(t *testing.T) {
	long := strings.Repeat("a", contact.MaxTranscriptWordRunes)
	for _, tc := range []struct {
		name, text string
		want       []string
	}{
		{"plain", "My parcel has not arrived.", []string{"my", "parcel", "has", "not", "arrived"}},
		{"case and repeats", "Refund REFUND refund, refunds", []string{"refund", "refunds"}},
		{"punctuation cuts", "don't e-mail me@example.com", []string{"don", "t", "e", "mail", "me", "example", "com"}},
		{"markdown", "**Order** [status](https://x.example/o?id=42)", []string{"order", "status", "https", "x", "example", "o", "id", "42"}},
		{"digits kept", "order 1000234578 from 2024-05-17", []string{"order", "1000234578", "from", "2024", "05", "17"}},
		{"fullwidth folded", "ＲＥＦＵＮＤ ４２", []string{"refund", "42"}},
		{"other scripts' digits", "٤٢ ४२", []string{"42"}},
		{"accents kept", "Café crème", []string{"café", "crème"}},
		{"zero-width does not cut", "ca\u200brd re\u2060fund", []string{"card", "refund"}},
		{"bidi override dropped", "\u202eevil\u202c text", []string{"evil", "text"}},
		{"redaction marks skipped", "my card is [CARD], cvv [CVV], ssn [SSN]", []string{"my", "card", "is", "cvv", "ssn"}},
		{"bank marks skipped", "[IBAN] and [ROUTING]", []string{"and"}},
		{"bin and last 4 skipped", "card [CARD 453914******6467] ok", []string{"card", "ok"}},
		{"secure input skipped", "[SECURE INPUT]", nil},
		{"other brackets are text", "[note] see [CARD", []string{"note", "see", "card"}},
		{"emoji cut", "thanks🙂bye", []string{"thanks", "bye"}},
		{"longest word kept", long, []string{long}},
		{"longer word skipped", long + "a ok", []string{"ok"}},
		{"invalid UTF-8 cuts", "ab\xffcd", []string{"ab", "cd"}},
		{"empty", " ,;!? ", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, contact.TranscriptWords(tc.text)); diff != "" {
				t.Errorf("TranscriptWords(%q) (-want +got):\n%s", tc.text, diff)
			}
		})
	}
}

// The words of a redacted message never hold a digit of the card number, CVV or SSN it had.
func TestTranscriptWordsOfRedactedText(t *testing.T) {
	for _, p := range []redact.Policy{{Card: redact.CardMaskAll}, {Card: redact.CardBINLast4}} {
		red, found := redact.New(p).Redact("card 4539 1488 0343 6467 cvv 829 ssn 536-22-8841, thanks")
		if len(found) != 3 {
			t.Fatalf("redact found %d values in %q, want 3", len(found), red)
		}
		if diff := cmp.Diff([]string{"card", "cvv", "ssn", "thanks"}, contact.TranscriptWords(red)); diff != "" {
			t.Errorf("words of %q (-want +got):\n%s", red, diff)
		}
	}
}

func TestTranscriptWordsLimit(t *testing.T) {
	var b strings.Builder
	for i := range contact.MaxTranscriptWords + 50 {
		b.WriteString("w")
		b.WriteString(strings.Repeat("x", i%7))
		b.WriteString(string(rune('a' + i%26)))
		b.WriteString(string(rune('a' + i/26%26)))
		b.WriteString(" ")
	}
	if got := len(contact.TranscriptWords(b.String())); got != contact.MaxTranscriptWords {
		t.Errorf("%d words, want the limit %d", got, contact.MaxTranscriptWords)
	}
}

// Decimal digits are read as offsets in their range of unicode.Nd: every range must be a run
// of whole zero-to-nine sets.
func TestDecimalDigitRanges(t *testing.T) {
	for _, r := range unicode.Nd.R16 {
		if r.Stride != 1 || (r.Hi-r.Lo+1)%10 != 0 {
			t.Errorf("Nd range %#x-%#x stride %d is not whole sets of ten", r.Lo, r.Hi, r.Stride)
		}
	}
	for _, r := range unicode.Nd.R32 {
		if r.Stride != 1 || (r.Hi-r.Lo+1)%10 != 0 {
			t.Errorf("Nd range %#x-%#x stride %d is not whole sets of ten", r.Lo, r.Hi, r.Stride)
		}
	}
}

func TestRecordTranscript(t *testing.T) {
	at := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	c := contact.Contact{ID: "c-1", InstanceID: "i-1", Channel: contact.ChannelChat, InitiationMethod: contact.InitiationAPI,
		InitiationTimestamp: at, LastUpdateTimestamp: at.Add(time.Minute)}
	tr := &contact.TranscriptInfo{Location: contact.TranscriptPath("i-1", "c-1"), AgentMessages: 2, CustomerMessages: 3, SystemMessages: 1,
		Start: at, Stop: at.Add(90*time.Second + 400*time.Millisecond)}
	b, err := contact.BuildRecord(c, contact.RecordContext{Transcript: tr}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Recordings  []map[string]any
		ChatMetrics map[string]any
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	wantRec := []map[string]any{{"DeletionReason": nil, "FragmentStartNumber": nil, "FragmentStopNumber": nil,
		"Location": "/contact-transcripts/i-1/c-1", "MediaStreamType": "CHAT", "ParticipantType": "All",
		"StartTimestamp": "2026-11-21T10:00:00Z", "StopTimestamp": "2026-11-21T10:01:30Z", "Status": "AVAILABLE", "StorageType": "RINGFENCE"}}
	if diff := cmp.Diff(wantRec, got.Recordings); diff != "" {
		t.Errorf("Recordings (-want +got):\n%s", diff)
	}
	wantMetrics := map[string]any{
		"ChatContactMetrics": map[string]any{"TotalMessages": 6.0, "TotalBotMessages": 1.0},
		"AgentMetrics":       map[string]any{"ParticipantType": "AGENT", "MessagesSent": 2.0},
		"CustomerMetrics":    map[string]any{"ParticipantType": "CUSTOMER", "MessagesSent": 3.0},
	}
	if diff := cmp.Diff(wantMetrics, got.ChatMetrics); diff != "" {
		t.Errorf("ChatMetrics (-want +got):\n%s", diff)
	}

	// A contact without a transcript keeps Connect's empty Recordings and a null ChatMetrics.
	c.Channel = contact.ChannelTask
	b, err = contact.BuildRecord(c, contact.RecordContext{}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"Recordings":[]`) || !strings.Contains(string(b), `"ChatMetrics":null`) {
		t.Errorf("task record = %s; want Recordings [] and ChatMetrics null", b)
	}
}
