package extfn

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseStringMap(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		body      string
		stringify bool
		want      map[string]string
		wantErr   string
	}{
		{"doc example", `{ "AccountId": "a12345689", "Balance": "$1000" }`, false, map[string]string{"AccountId": "a12345689", "Balance": "$1000"}, ""},
		{"empty object", `{}`, false, map[string]string{}, ""},
		{"any characters", `{"Greeting":"héllo, wörld <b> \"q\" \u00e9"}`, false, map[string]string{"Greeting": `héllo, wörld <b> "q" é`}, ""},
		{"null becomes empty", `{"a":null}`, false, map[string]string{"a": ""}, ""},
		{"surrounding space", " \n{\"a\":\"1\"}\n ", false, map[string]string{"a": "1"}, ""},
		{"number refused", `{"count":5}`, false, nil, `value of key "count" is a number, want a string`},
		{"boolean refused", `{"ok":true}`, false, nil, `value of key "ok" is a boolean, want a string`},
		{"number stringified", `{"count":5,"big":1.5e3,"neg":-0.25}`, true, map[string]string{"count": "5", "big": "1.5e3", "neg": "-0.25"}, ""},
		{"boolean stringified", `{"ok":true,"no":false}`, true, map[string]string{"ok": "true", "no": "false"}, ""},
		{"nested object", `{"Name":{"First":"J"}}`, false, nil, `value of key "Name" is an object; nested values need ResponseValidation JSON`},
		{"array value", `{"Ids":["x"]}`, true, nil, `value of key "Ids" is an array; nested values need ResponseValidation JSON`},
		{"top-level array", `["a"]`, false, nil, "response is an array, want a JSON object"},
		{"top-level string", `"a"`, false, nil, "response is a string, want a JSON object"},
		{"top-level null", `null`, false, nil, "response is null, want a JSON object"},
		{"duplicate key", `{"a":"1","a":"2"}`, false, nil, `key "a" appears twice`},
		{"trailing data", `{"a":"1"}{"b":"2"}`, false, nil, "data after the JSON object"},
		{"trailing garbage", `{"a":"1"} x`, false, nil, "data after the JSON object"},
		{"truncated", `{"a":"1"`, false, nil, "response is not JSON: unexpected end of input"},
		{"empty body", ``, false, nil, "response is not JSON: unexpected end of input"},
		{"not json", `<html>`, false, nil, "response is not JSON: syntax error at offset 1"},
		{"invalid utf-8", "{\"a\":\"\xff\"}", false, nil, "response is not valid UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseStringMap([]byte(tt.body), tt.stringify)
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
			}
			if gotErr != tt.wantErr {
				t.Fatalf("error = %q, want %q", gotErr, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("values (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		body    string
		want    string
		wantErr string
	}{
		{"doc example", `{"Name":{"First":"John","Last":"Doe"},"AccountId":"a12345689","OrderIds":["x123","y123"]}`, `{"Name":{"First":"John","Last":"Doe"},"AccountId":"a12345689","OrderIds":["x123","y123"]}`, ""},
		{"compacted", "{ \"a\" : [ 1, true, null ] }\n", `{"a":[1,true,null]}`, ""},
		{"scalar", `42`, `42`, ""},
		{"deep but small", strings.Repeat("[", 500) + strings.Repeat("]", 500), strings.Repeat("[", 500) + strings.Repeat("]", 500), ""},
		{"invalid", `{"a":}`, "", "response is not valid JSON"},
		{"two values", `{} {}`, "", "response is not valid JSON"},
		{"empty", ``, "", "response is not valid JSON"},
		{"invalid utf-8", "\"\xff\"", "", "response is not valid UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseJSON([]byte(tt.body))
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
			}
			if gotErr != tt.wantErr {
				t.Fatalf("error = %q, want %q", gotErr, tt.wantErr)
			}
			if string(got) != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

// FuzzParseStringMap checks that ParseStringMap never panics and that what it accepts is a
// JSON object ParseJSON also accepts. Seeds: testdata/fuzz/FuzzParseStringMap.
func FuzzParseStringMap(f *testing.F) {
	f.Add([]byte(`{"a":"b"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		m, err := ParseStringMap(body, true)
		if err != nil {
			return
		}
		if m == nil {
			t.Fatalf("ParseStringMap(%q) = nil map without error", body)
		}
		if _, err := ParseJSON(body); err != nil {
			t.Fatalf("ParseStringMap accepted %q but ParseJSON refused it: %v", body, err)
		}
	})
}
