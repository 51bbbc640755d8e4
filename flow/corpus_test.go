package flow

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// corpusDir returns ../shared/corpus relative to the module root, or skips.
func corpusDir(t testing.TB, sub string) string {
	t.Helper()
	dir := filepath.Join("..", "..", "shared", "corpus", sub)
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("public flow corpus not found at %s (it is shared test data, not part of the repository): %v", dir, err)
	}
	return dir
}

func corpusFiles(t testing.TB, sub string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(corpusDir(t, sub), "*.json"))
	if err != nil {
		t.Fatalf("glob: %v", err)
	}
	if len(files) == 0 {
		t.Skipf("no flows in %s", sub)
	}
	return files
}

// placeholdersOutsideMetadata finds template placeholders with an independent scan of
// the document minus its Metadata.
func placeholdersOutsideMetadata(t *testing.T, data []byte) []string {
	t.Helper()
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatalf("unmarshal: %v", err)
	}
	delete(doc, "Metadata")
	delete(doc, "Settings")
	b, _ := json.Marshal(doc)
	re := regexp.MustCompile(`\$\{[^{}\s"]*\}|%\{[^{}"]*\}|\{\{[^{}"]*\}\}|%[A-Za-z_][A-Za-z0-9_]*%|<<[^<>"]+>>|<[A-Za-z]+(?: [A-Za-z]+)+>|<[A-Z][A-Z0-9_]+>`)
	var out []string
	// Decode string escapes by walking the JSON rather than matching raw bytes.
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case string:
			out = append(out, re.FindAllString(x, -1)...)
		case map[string]any:
			for k, e := range x {
				out = append(out, re.FindAllString(k, -1)...)
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	var v any
	_ = json.Unmarshal(b, &v)
	walk(v)
	sort.Strings(out)
	return out
}

func TestCorpusFlowsValidate(t *testing.T) {
	for _, file := range corpusFiles(t, "flows") {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			f, ps := Parse(data, Limits{})
			if f == nil {
				t.Fatalf("Parse returned no flow: %v", ps)
			}
			ps = append(ps, Validate(f)...)
			var gotPlaceholders []string
			for _, p := range ps {
				if p.Kind == KindPlaceholder {
					_, ph, _ := strings.Cut(p.Message, "placeholder ")
					gotPlaceholders = append(gotPlaceholders, strings.Trim(ph, `"`))
					continue
				}
				if p.Severity == SeverityWarning {
					t.Logf("warning: %s", p)
					continue
				}
				t.Errorf("unexpected problem: %s", p)
			}
			sort.Strings(gotPlaceholders)
			want := placeholdersOutsideMetadata(t, data)
			if diff := cmp.Diff(want, gotPlaceholders); diff != "" {
				t.Errorf("placeholders (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCorpusInvalidFlowRejected(t *testing.T) {
	for _, file := range corpusFiles(t, "flows-invalid") {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			_, ps, err := Load(data, Limits{})
			if err == nil {
				t.Fatalf("Load accepted an invalid flow")
			}
			var got []string
			for _, p := range ps {
				if p.Kind == KindUnknownType {
					got = append(got, p.Message)
				}
			}
			// Independently: every Type in the file that the catalogue lacks.
			known := map[string]bool{}
			for _, a := range Actions() {
				known[a.Type] = true
			}
			var doc struct{ Actions []struct{ Type string } }
			if err := json.Unmarshal(data, &doc); err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, a := range doc.Actions {
				if !known[a.Type] {
					want = append(want, fmt.Sprintf("unknown action Type %q", a.Type))
				}
			}
			if len(want) == 0 {
				t.Fatalf("test data has no unknown Type")
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("unknown_type messages (-want +got):\n%s", diff)
			}
			if !strings.Contains(err.Error(), want[0]) {
				t.Errorf("error %q does not name %s", err, want[0])
			}
		})
	}
}
