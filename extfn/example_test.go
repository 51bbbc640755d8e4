package extfn_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"time"

	"github.com/ringfence/ringfence/extfn"
	"github.com/ringfence/ringfence/secret"
)

// A function endpoint checks each request before trusting its event: read the exact body
// (bounded), verify the signature and timestamp, then decode.
func ExampleVerifyRequest() {
	key := secret.New("shared-signing-secret-from-the-admin-console")
	now := time.Unix(1764000000, 0) // the receiver's clock; time.Now() in production

	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 6<<20))
		if err != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		if err := extfn.VerifyRequest(r.Header, body, key, now, 5*time.Minute); err != nil {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		_, _ = io.WriteString(w, `{"Verified":"yes"}`)
	})

	body := `{"Details":{"ContactData":{},"Parameters":{}},"Name":"ContactFlowEvent"}`
	for _, signer := range []string{"shared-signing-secret-from-the-admin-console", "some-other-secret-entirely"} {
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		req.Header.Set(extfn.HeaderTimestamp, strconv.FormatInt(now.Unix(), 10))
		req.Header.Set(extfn.HeaderSignature, extfn.Sign(secret.New(signer), now.Unix(), []byte(body)))
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		fmt.Println(rec.Code)
	}
	// Output:
	// 200
	// 401
}
