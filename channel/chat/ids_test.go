package chat_test

import (
	"testing"

	"github.com/google/uuid"

	"github.com/ringfence/ringfence/channel/chat"
)

// TestItemIDsTimeOrdered: stored items get version 7 UUIDs by default, in the order they
// were stored, so the store's index of item IDs grows at one end.
func TestItemIDsTimeOrdered(t *testing.T) {
	e := newEnv(t, chat.Limits{})
	cust := e.start("contact-1", "Customer")
	var prev string
	for i := range 5 {
		id := cust.send("message").ID
		u, err := uuid.Parse(id)
		if err != nil || u.Version() != 7 || u.String() != id {
			t.Fatalf("item ID %q is not a lower-case version 7 UUID (%v)", id, err)
		}
		if i > 0 && id <= prev {
			t.Errorf("item ID %s does not sort after the one before, %s", id, prev)
		}
		prev = id
	}
}
