package secret_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/ringfence/ringfence/secret"
)

const canary = "4111111111111111"

func TestValueNeverPrints(t *testing.T) {
	v := secret.New(canary)
	type holder struct {
		PAN secret.Value[string]
		Raw secret.Value[[]byte]
	}
	h := holder{PAN: v, Raw: secret.New([]byte(canary))}
	// fmt cannot call methods on unexported fields and prints them by reflection.
	type hidden struct {
		pan secret.Value[string]
		raw secret.Value[[]byte]
		ptr *secret.Value[string]
	}
	hv := hidden{pan: v, raw: secret.New([]byte(canary)), ptr: &v}

	var outs []string
	for _, verb := range []string{"%s", "%v", "%+v", "%#v", "%q", "%x", "%X", "%d", "%T"} {
		outs = append(outs, fmt.Sprintf(verb, v), fmt.Sprintf(verb, h), fmt.Sprintf(verb, &h),
			fmt.Sprintf(verb, hv), fmt.Sprintf(verb, &hv), fmt.Sprintf(verb, []any{hv}))
	}
	outs = append(outs, fmt.Sprint(v), fmt.Sprintln(h))

	js, err := json.Marshal(h)
	if err != nil {
		t.Fatalf("json.Marshal: %v", err)
	}
	outs = append(outs, string(js))

	x, err := xml.Marshal(h)
	if err != nil {
		t.Fatalf("xml.Marshal: %v", err)
	}
	outs = append(outs, string(x))

	var buf bytes.Buffer
	for _, hd := range []slog.Handler{slog.NewJSONHandler(&buf, nil), slog.NewTextHandler(&buf, nil)} {
		l := slog.New(hd)
		l.Info("msg", "pan", v, "holder", h, "any", any(v))
		l.Info("msg", slog.Any("group", map[string]any{"pan": v}))
	}
	outs = append(outs, buf.String())

	for _, out := range outs {
		if strings.Contains(out, canary) || strings.Contains(out, fmt.Sprintf("%x", canary)) {
			t.Errorf("output leaks the value: %s", out)
		}
	}
	if got := v.Reveal(); got != canary {
		t.Errorf("Reveal() = %q, want %q", got, canary)
	}
	if !strings.Contains(string(js), secret.Redacted) {
		t.Errorf("json = %s, want it to contain %s", js, secret.Redacted)
	}
}
