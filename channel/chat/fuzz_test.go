package chat

import (
	"encoding/json"
	"testing"
)

// FuzzNextToken: any NextToken a client sends either decodes to a positive Seq that encodes
// back to itself, or is refused.
func FuzzNextToken(f *testing.F) {
	f.Add(encodeNextToken(1))
	f.Add(encodeNextToken(1 << 62))
	f.Add("")
	f.Add("!!")
	f.Fuzz(func(t *testing.T, tok string) {
		seq, ok := decodeNextToken(tok)
		if !ok {
			return
		}
		if seq < 1 {
			t.Fatalf("decoded Seq %d from %q", seq, tok)
		}
		if back, ok := decodeNextToken(encodeNextToken(seq)); !ok || back != seq {
			t.Fatalf("Seq %d does not round-trip", seq)
		}
	})
}

// FuzzReceipt: receipt content from the network is accepted only as {"messageId": ...} with
// a bounded, non-empty ID, and never panics.
func FuzzReceipt(f *testing.F) {
	f.Add(`{"messageId":"abc"}`)
	f.Add(`{"messageId":""}`)
	f.Add(`[1,2]`)
	f.Add(`{"messageId":"a"} {"x":1}`)
	f.Fuzz(func(t *testing.T, content string) {
		id, err := receiptMessageID(content)
		if err != nil {
			return
		}
		if id == "" || len(id) > 256 {
			t.Fatalf("accepted message ID %q", id)
		}
		var v map[string]any
		if json.Unmarshal([]byte(content), &v) != nil {
			t.Fatalf("accepted %q, which is not one JSON object", content)
		}
	})
}
