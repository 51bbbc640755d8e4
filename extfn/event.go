package extfn

// EventName is the top-level "Name" of every event Amazon Connect sends to a function
// (LAMBDA_EVENT.md §1; Administrator Guide, connect-lambda-functions.html).
const EventName = "ContactFlowEvent"

// Event is the request body sent to an external function: the Amazon Connect Lambda event
//
//	{"Details":{"ContactData":{...},"Parameters":{...}},"Name":"ContactFlowEvent"}
//
// Field names, and which fields are null rather than omitted, follow LAMBDA_EVENT.md §2. The
// Invoker sets Name to EventName when it is empty and sends empty maps, never null, for
// Details.Parameters and ContactData.Attributes. Decoding ignores unknown keys, as consumers of
// the Connect event must (newer instances add fields such as Tags and SegmentAttributes).
type Event struct {
	Details Details `json:"Details"`
	// Name is "ContactFlowEvent".
	Name string `json:"Name"`
}

// Details holds the contact and the block's input parameters.
type Details struct {
	// ContactData describes the current contact. Always sent.
	ContactData ContactData `json:"ContactData"`
	// Parameters are the block's "Function input parameters" (flow language
	// LambdaInvocationAttributes), already resolved to strings. Sent as {} when there are none.
	Parameters map[string]string `json:"Parameters"`
}

// ContactData is Details.ContactData (LAMBDA_EVENT.md §2.2). Fields marked "null" are sent as
// JSON null when unset; fields marked "omitted" are left out when empty.
type ContactData struct {
	// Attributes are the contact's user-defined attributes; sent as {} when there are none.
	Attributes map[string]string `json:"Attributes"`
	// Channel is VOICE, CHAT, TASK or EMAIL.
	Channel string `json:"Channel"`
	// ContactID is the current contact's ID.
	ContactID string `json:"ContactId"`
	// CustomerEndpoint is the customer's address (E.164 for voice); null when not applicable,
	// for example for tasks.
	CustomerEndpoint *Endpoint `json:"CustomerEndpoint"`
	// CustomerID is a Customer Profiles or external customer ID; omitted when unset.
	CustomerID string `json:"CustomerId,omitempty"`
	// Description is the contact description (tasks); omitted when unset.
	Description string `json:"Description,omitempty"`
	// InitialContactID is the first contact of the chain (equals ContactID on the first leg).
	InitialContactID string `json:"InitialContactId"`
	// InitiationMethod is INBOUND, OUTBOUND, TRANSFER, CALLBACK, API, ... (CONTACT_RECORD.md §3.3).
	InitiationMethod string `json:"InitiationMethod"`
	// InstanceARN is the instance's ARN.
	InstanceARN string `json:"InstanceARN"`
	// LanguageCode is the flow's language, for example en-US; omitted when unset.
	LanguageCode string `json:"LanguageCode,omitempty"`
	// MediaStreams describes live media streaming; omitted when the instance does not stream.
	MediaStreams *MediaStreams `json:"MediaStreams,omitempty"`
	// Name is the contact's name (tasks); omitted when unset.
	Name string `json:"Name,omitempty"`
	// PreviousContactID is the previous contact of the chain.
	PreviousContactID string `json:"PreviousContactId"`
	// Queue is the current working queue; null when none is set.
	Queue *Queue `json:"Queue"`
	// References are task references by name (for example Type "url"); omitted when none.
	References map[string]Reference `json:"References,omitempty"`
	// SystemEndpoint is the address the customer contacted; null when not applicable.
	SystemEndpoint *Endpoint `json:"SystemEndpoint"`
}

// Endpoint is an address and its type, for example {"Address":"+15550100","Type":"TELEPHONE_NUMBER"}.
type Endpoint struct {
	Address string `json:"Address"`
	Type    string `json:"Type"`
}

// Queue is ContactData.Queue.
type Queue struct {
	ARN  string `json:"ARN"`
	Name string `json:"Name"`
	// OutboundCallerID is the queue's outbound caller ID; omitted when the queue has none.
	OutboundCallerID *Endpoint `json:"OutboundCallerId,omitempty"`
}

// Reference is one task reference, for example {"Type":"url","Value":"https://..."}.
type Reference struct {
	Type  string `json:"Type"`
	Value string `json:"Value"`
}

// MediaStreams is ContactData.MediaStreams.
type MediaStreams struct {
	Customer CustomerMedia `json:"Customer"`
}

// CustomerMedia is MediaStreams.Customer.
type CustomerMedia struct {
	// Audio is null until Start media streaming has run.
	Audio *AudioStream `json:"Audio"`
}

// AudioStream locates the customer's audio in a Kinesis Video stream. Timestamps are epoch
// milliseconds as decimal strings; the Stop fields are omitted until streaming stops.
type AudioStream struct {
	StartFragmentNumber string `json:"StartFragmentNumber,omitempty"`
	StartTimestamp      string `json:"StartTimestamp,omitempty"`
	StopFragmentNumber  string `json:"StopFragmentNumber,omitempty"`
	StopTimestamp       string `json:"StopTimestamp,omitempty"`
	StreamARN           string `json:"StreamARN"`
}

// normalized returns e with the defaults the wire format needs: Name set, and empty maps
// instead of nil where Connect always sends an object.
func (e Event) normalized() Event {
	if e.Name == "" {
		e.Name = EventName
	}
	if e.Details.Parameters == nil {
		e.Details.Parameters = map[string]string{}
	}
	if e.Details.ContactData.Attributes == nil {
		e.Details.ContactData.Attributes = map[string]string{}
	}
	return e
}
