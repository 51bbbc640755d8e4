// Package samples holds Ringfence's own sample contact flows (Flow language, Version
// 2019-10-30), loaded by `ringfence demo` and used by the flow tests:
//
//   - greeting_menu_queue.json: voice greeting, hours check, DTMF menu, transfer to a queue;
//   - secure_card_capture.json: card number captured with encryption, never logged;
//   - chat.json: chat greeting, a verification module, topic menu, transfer to a queue;
//   - chat_queue.json: customer queue flow that keeps a waiting chat customer informed;
//   - verify_customer_module.json: a flow module calling an external function.
//
// The files refer to resources of a placeholder instance (Placeholder) by readable names such
// as ".../flow-module/verify-customer"; Instantiate rewrites them for a real instance.
package samples

import (
	"embed"
	"fmt"
	"strings"
)

//go:embed *.json
var files embed.FS

// Placeholder is the instance ARN the sample files are written against.
const Placeholder = "arn:aws:connect:eu-west-2:111122223333:instance/ringfence-demo"

// Sample is one sample flow or module.
type Sample struct {
	// File is the file name, e.g. "chat.json".
	File string
	// Name is the flow's name in the instance.
	Name string
	// Ref is the readable name other samples use for it (".../contact-flow/{Ref}").
	Ref string
	// Module is true for a flow module.
	Module bool
	// Type is the Connect flow type (empty for modules).
	Type string
}

// All lists the samples in dependency order: a sample appears after those it refers to.
func All() []Sample {
	return []Sample{
		{File: "verify_customer_module.json", Name: "Verify customer", Ref: "verify-customer", Module: true},
		{File: "chat_queue.json", Name: "Chat queue", Ref: "chat-queue", Type: "CUSTOMER_QUEUE"},
		{File: "chat.json", Name: "Chat with topic menu", Ref: "chat", Type: "CONTACT_FLOW"},
		{File: "greeting_menu_queue.json", Name: "Greeting, menu and queue", Ref: "greeting", Type: "CONTACT_FLOW"},
		{File: "secure_card_capture.json", Name: "Secure card capture", Ref: "card-capture", Type: "CONTACT_FLOW"},
	}
}

// Content returns the raw content of a sample file.
func Content(file string) (string, error) {
	b, err := files.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("sample %s: %w", file, err)
	}
	return string(b), nil
}

// Instantiate returns content with the placeholder instance ARN replaced by instanceARN and
// each readable resource name in ids (".../contact-flow/chat-queue" → the flow's ID) replaced
// by its ID. Keys of ids are paths below the instance ARN, e.g. "flow-module/verify-customer".
func Instantiate(content, instanceARN string, ids map[string]string) string {
	pairs := []string{}
	for path, id := range ids {
		seg, _, _ := strings.Cut(path, "/")
		pairs = append(pairs, Placeholder+"/"+path+`"`, instanceARN+"/"+seg+"/"+id+`"`)
	}
	pairs = append(pairs, Placeholder, instanceARN)
	return strings.NewReplacer(pairs...).Replace(content)
}
