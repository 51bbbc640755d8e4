// Package chattext holds the browser modules that put chat text on a page, shared by the
// customer chat widget (package web/widget) and the agent workspace (package workspace) so
// that both screens show a message the same way:
//
//   - text.js: text as DOM text nodes, never HTML, with the characters that could disguise a
//     message (bidirectional controls, zero-width characters between Latin letters) shown as
//     visible markers (SECURITY.md "Web").
//   - markdown.js: a small Markdown renderer for text/markdown messages built on text.js:
//     paragraphs, lists, headings, fenced code, emphasis, inline code and links for https:
//     and mailto: only.
//
// Both are ES modules that import each other by relative URL ("./text.js"), so a page serves
// them from the same directory as its own modules (Overlay).
package chattext

import (
	"embed"
	"io/fs"
	"slices"
)

// files holds the modules; Names lists them.
//
//go:embed markdown.js text.js
var files embed.FS

// Names are the file names of the modules, for pages that serve an allow-list of assets.
var Names = []string{"markdown.js", "text.js"}

// FS returns the modules as a file system with the files at its root.
func FS() fs.FS { return files }

// Overlay returns a file system that serves the modules (Names) at its root and every other
// path from base, so that a page's own static directory and the shared modules are served
// side by side. Opening one of Names always gives the shared module, whatever base holds.
func Overlay(base fs.FS) fs.FS { return overlay{base: base} }

type overlay struct{ base fs.FS }

func (o overlay) Open(name string) (fs.File, error) {
	if slices.Contains(Names, name) {
		return files.Open(name)
	}
	return o.base.Open(name)
}
