package chattext_test

import (
	"bytes"
	"io/fs"
	"testing"
	"testing/fstest"

	"github.com/ringfence/ringfence/web/chattext"
)

// TestModulesHaveNoHTMLSinks: the shared modules build pages from text nodes only; none of
// them names an API that parses HTML or runs strings as code.
func TestModulesHaveNoHTMLSinks(t *testing.T) {
	sinks := []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function",
		"createContextualFragment", "DOMParser", "setAttribute('on", "srcdoc", ".src =", "setTimeout('", "setInterval('"}
	for _, n := range chattext.Names {
		js, err := fs.ReadFile(chattext.FS(), n)
		if err != nil || len(js) == 0 {
			t.Fatalf("%s: %v", n, err)
		}
		for _, s := range sinks {
			if bytes.Contains(js, []byte(s)) {
				t.Errorf("%s uses %s", n, s)
			}
		}
	}
}

// TestOverlay: the shared modules win over a page's files of the same name; the page's
// other files are served as they are; nothing else appears.
func TestOverlay(t *testing.T) {
	base := fstest.MapFS{"page.js": {Data: []byte("page")}, "text.js": {Data: []byte("stale copy")}}
	o := chattext.Overlay(base)
	if b, err := fs.ReadFile(o, "page.js"); err != nil || string(b) != "page" {
		t.Errorf("page.js = %q, %v", b, err)
	}
	want, _ := fs.ReadFile(chattext.FS(), "text.js")
	if b, err := fs.ReadFile(o, "text.js"); err != nil || !bytes.Equal(b, want) {
		t.Errorf("text.js is not the shared module (%v)", err)
	}
	if _, err := fs.ReadFile(o, "markdown.js"); err != nil {
		t.Errorf("markdown.js: %v", err)
	}
	if _, err := o.Open("missing.js"); err == nil {
		t.Error("a missing file opened")
	}
}
