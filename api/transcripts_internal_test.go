package api

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ringfence/ringfence/apierr"
	"github.com/ringfence/ringfence/contact"
)

// TestTranscriptQuery: ContactAnalysis.Transcript becomes word criteria; every bad shape is
// refused with InvalidParameterException naming the member, never echoing the search text.
func TestTranscriptQuery(t *testing.T) {
	parse := func(body string) (contact.Query, error) {
		var in transcriptCriteriaJSON
		if err := json.Unmarshal([]byte(body), &in); err != nil {
			t.Fatalf("bad test body %s: %v", body, err)
		}
		var q contact.Query
		return q, transcriptQuery(&in, &q)
	}
	q, err := parse(`{"Criteria":[{"ParticipantRole":"CUSTOMER","SearchText":["Parcel not ARRIVED","refund"],"MatchType":"MATCH_ANY"},
		{"ParticipantRole":"AGENT","SearchText":["sorry"],"MatchType":"MATCH_ALL"}],"MatchType":"MATCH_ANY"}`)
	if err != nil {
		t.Fatal(err)
	}
	want := contact.Query{TranscriptMatchAny: true, Transcript: []contact.TranscriptCriterion{
		{ParticipantRole: "CUSTOMER", MatchAny: true, Texts: [][]string{{"parcel", "not", "arrived"}, {"refund"}}},
		{ParticipantRole: "AGENT", Texts: [][]string{{"sorry"}}},
	}}
	if diff := cmp.Diff(want, q); diff != "" {
		t.Errorf("query (-want +got):\n%s", diff)
	}
	if q, err := parse(`{"Criteria":[{"ParticipantRole":"SUPERVISOR","SearchText":["x"],"MatchType":"MATCH_ALL"}]}`); err != nil || q.TranscriptMatchAny {
		t.Errorf("top-level MatchType left out = %+v, %v; want MATCH_ALL", q, err)
	}

	crit := func(role, match string, texts ...string) string {
		b, _ := json.Marshal(map[string]any{"ParticipantRole": role, "SearchText": texts, "MatchType": match})
		return string(b)
	}
	many := func(n int, item string) string { return strings.TrimSuffix(strings.Repeat(item+",", n), ",") }
	hundred := make([]string, 101)
	for i := range hundred {
		hundred[i] = "w"
	}
	words := make([]string, 21)
	for i := range words {
		words[i] = "one two three four five six seven eight nine ten"
	}
	for _, tc := range []struct{ name, body, member string }{
		{"no criteria", `{"Criteria":[]}`, "Criteria must have 1-6"},
		{"seven criteria", `{"Criteria":[` + many(7, crit("AGENT", "MATCH_ALL", "x")) + `]}`, "Criteria must have 1-6"},
		{"top-level MATCH_NONE", `{"Criteria":[` + crit("AGENT", "MATCH_ALL", "x") + `],"MatchType":"MATCH_NONE"}`, "Transcript.MatchType"},
		{"unknown role", `{"Criteria":[` + crit("BOT", "MATCH_ALL", "x") + `]}`, "Criteria[0].ParticipantRole"},
		{"criterion MatchType missing", `{"Criteria":[` + crit("AGENT", "", "x") + `]}`, "Criteria[0].MatchType"},
		{"MATCH_EXACT", `{"Criteria":[` + crit("AGENT", "MATCH_EXACT", "x") + `]}`, "Criteria[0].MatchType"},
		{"no search text", `{"Criteria":[` + crit("AGENT", "MATCH_ALL") + `]}`, "Criteria[0].SearchText must have 1-100"},
		{"101 search texts", `{"Criteria":[` + crit("AGENT", "MATCH_ALL", hundred...) + `]}`, "SearchText must have 1-100"},
		{"129 characters", `{"Criteria":[` + crit("AGENT", "MATCH_ALL", strings.Repeat("a", 129)) + `]}`, "SearchText[0] must be at most 128"},
		{"a card number", `{"Criteria":[` + crit("CUSTOMER", "MATCH_ALL", "ok", "card 4539 1488 0343 6467") + `]}`, "SearchText[1] holds a card number"},
		{"an SSN", `{"Criteria":[` + crit("CUSTOMER", "MATCH_ALL", "ssn 536-22-8841") + `]}`, "holds a social security number"},
		{"a redaction mark", `{"Criteria":[` + crit("CUSTOMER", "MATCH_ALL", "[CARD]") + `]}`, "SearchText[0] has no word"},
		{"punctuation only", `{"Criteria":[` + crit("CUSTOMER", "MATCH_ALL", "?!") + `]}`, "has no word"},
		{"too many words", `{"Criteria":[` + crit("CUSTOMER", "MATCH_ALL", words...) + `]}`, "at most 200 words"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parse(tc.body)
			var e *apierr.Error
			if !apierr.HasCode(err, apierr.CodeInvalidParameter) || !errors.As(err, &e) || !strings.Contains(e.Message, tc.member) {
				t.Fatalf("error = %v; want InvalidParameterException about %q", err, tc.member)
			}
			for _, secret := range []string{"4539", "536-22", "8841"} {
				if strings.Contains(e.Message, secret) {
					t.Errorf("error message %q echoes the search text", e.Message)
				}
			}
		})
	}
}
