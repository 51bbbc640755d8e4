package contact

import (
	"encoding/json"
	"fmt"
	"sort"
	"time"
)

// RecordFormatVersion is the contact-record format version Connect writes
// (AWSContactTraceRecordFormatVersion).
const RecordFormatVersion = "2017-03-10"

// RecordContext is what a contact record needs beyond the contact itself: ARNs and names.
type RecordContext struct {
	AccountID   string
	InstanceARN string
	// QueueARN and QueueName describe Contact.Queue.QueueID; AgentARN, AgentUsername,
	// RoutingProfileARN and RoutingProfileName describe Contact.Agent.AgentID.
	QueueARN, QueueName                                            string
	AgentARN, AgentUsername, RoutingProfileARN, RoutingProfileName string
	// ExcludedAttributes are attribute keys never written to records (sensitive attributes).
	ExcludedAttributes map[string]bool
	// Transcript describes the chat transcript of a chat contact; nil for contacts without
	// one. The record then lists it in Recordings (MediaStreamType CHAT) and counts its
	// messages in ChatMetrics.
	Transcript *TranscriptInfo
}

// Record is a contact record in Connect's data model (reference/CONTACT_RECORD.md §2): every
// top-level key is present, absent objects are null, timestamps are UTC strings with second
// precision, durations whole seconds.
type Record struct {
	AWSAccountID                       string              `json:"AWSAccountId"`
	AWSContactTraceRecordFormatVersion string              `json:"AWSContactTraceRecordFormatVersion"`
	Agent                              *RecordAgent        `json:"Agent"`
	AgentConnectionAttempts            int                 `json:"AgentConnectionAttempts"`
	Attributes                         map[string]string   `json:"Attributes"`
	Channel                            Channel             `json:"Channel"`
	ConnectedToSystemTimestamp         *string             `json:"ConnectedToSystemTimestamp"`
	ContactDetails                     map[string]string   `json:"ContactDetails"`
	ContactID                          string              `json:"ContactId"`
	CustomerEndpoint                   *Endpoint           `json:"CustomerEndpoint"`
	DisconnectReason                   *string             `json:"DisconnectReason"`
	DisconnectTimestamp                *string             `json:"DisconnectTimestamp"`
	InitialContactID                   *string             `json:"InitialContactId"`
	InitiationMethod                   InitiationMethod    `json:"InitiationMethod"`
	InitiationTimestamp                string              `json:"InitiationTimestamp"`
	InstanceARN                        string              `json:"InstanceARN"`
	LastUpdateTimestamp                string              `json:"LastUpdateTimestamp"`
	MediaStreams                       []map[string]string `json:"MediaStreams"`
	NextContactID                      *string             `json:"NextContactId"`
	PreviousContactID                  *string             `json:"PreviousContactId"`
	Queue                              *RecordQueue        `json:"Queue"`
	Recording                          *struct{}           `json:"Recording"`
	Recordings                         []RecordRecording   `json:"Recordings"`
	References                         []RecordReference   `json:"References"`
	RelatedContactID                   *string             `json:"RelatedContactId"`
	ScheduledTimestamp                 *string             `json:"ScheduledTimestamp"`
	SystemEndpoint                     *Endpoint           `json:"SystemEndpoint"`
	Tags                               map[string]string   `json:"Tags"`
	Name                               *string             `json:"Name"`
	Description                        *string             `json:"Description"`
	ChatMetrics                        *RecordChatMetrics  `json:"ChatMetrics"`
}

// RecordRecording is one entry of the record's Recordings (Connect's RecordingsInfo,
// reference/CONTACT_RECORD.md §3.2), which lists recordings and transcripts. Ringfence
// writes one for a chat contact's transcript: MediaStreamType "CHAT", ParticipantType "All",
// Status "AVAILABLE", StorageType "RINGFENCE" (the transcript is kept by Ringfence, not in S3
// or Kinesis Video Streams), Location the path of the administrator read on the API
// (TranscriptPath), and the times of the transcript's first and last item.
type RecordRecording struct {
	DeletionReason      *string `json:"DeletionReason"`
	FragmentStartNumber *string `json:"FragmentStartNumber"`
	FragmentStopNumber  *string `json:"FragmentStopNumber"`
	Location            string  `json:"Location"`
	MediaStreamType     string  `json:"MediaStreamType"`
	ParticipantType     string  `json:"ParticipantType"`
	StartTimestamp      *string `json:"StartTimestamp"`
	StopTimestamp       *string `json:"StopTimestamp"`
	Status              string  `json:"Status"`
	StorageType         string  `json:"StorageType"`
}

// RecordStorageType is the StorageType of a transcript Ringfence keeps itself.
const RecordStorageType = "RINGFENCE"

// RecordChatMetrics is the record's ChatMetrics (Connect's ChatMetrics, as DescribeContact
// returns it), null for contacts that are not chats. Ringfence fills the message counts only.
type RecordChatMetrics struct {
	ChatContactMetrics RecordChatContactMetrics  `json:"ChatContactMetrics"`
	AgentMetrics       *RecordParticipantMetrics `json:"AgentMetrics"`
	CustomerMetrics    *RecordParticipantMetrics `json:"CustomerMetrics"`
}

// RecordChatContactMetrics counts a chat's messages: TotalMessages of every participant,
// TotalBotMessages of the flow's (SYSTEM) automated messages.
type RecordChatContactMetrics struct {
	TotalMessages    int `json:"TotalMessages"`
	TotalBotMessages int `json:"TotalBotMessages"`
}

// RecordParticipantMetrics counts the messages one side of a chat sent (ParticipantType
// AGENT or CUSTOMER; the agents of a chat count together).
type RecordParticipantMetrics struct {
	ParticipantType string `json:"ParticipantType"`
	MessagesSent    int    `json:"MessagesSent"`
}

// RecordAgent is the contact record's Agent object (§3.1).
type RecordAgent struct {
	ARN                            string         `json:"ARN"`
	AfterContactWorkDuration       int            `json:"AfterContactWorkDuration"`
	AfterContactWorkEndTimestamp   *string        `json:"AfterContactWorkEndTimestamp"`
	AfterContactWorkStartTimestamp *string        `json:"AfterContactWorkStartTimestamp"`
	AgentInteractionDuration       int            `json:"AgentInteractionDuration"`
	ConnectedToAgentTimestamp      *string        `json:"ConnectedToAgentTimestamp"`
	CustomerHoldDuration           int            `json:"CustomerHoldDuration"`
	HierarchyGroups                *struct{}      `json:"HierarchyGroups"`
	LongestHoldDuration            int            `json:"LongestHoldDuration"`
	NumberOfHolds                  int            `json:"NumberOfHolds"`
	RoutingProfile                 *RecordNamedID `json:"RoutingProfile"`
	Username                       string         `json:"Username"`
}

// RecordNamedID is an {ARN, Name} pair.
type RecordNamedID struct {
	ARN  string `json:"ARN"`
	Name string `json:"Name"`
}

// RecordQueue is the contact record's Queue object (§3.2 QueueInfo).
type RecordQueue struct {
	ARN              string  `json:"ARN"`
	Name             string  `json:"Name"`
	EnqueueTimestamp *string `json:"EnqueueTimestamp"`
	DequeueTimestamp *string `json:"DequeueTimestamp"`
	Duration         int     `json:"Duration"`
}

// RecordReference is one entry of References: {Name, Type, Value}.
type RecordReference struct {
	Name  string `json:"Name"`
	Type  string `json:"Type"`
	Value string `json:"Value"`
}

const recordTime = "2006-01-02T15:04:05Z"

func ts(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.UTC().Format(recordTime)
	return &s
}

func str(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func seconds(from, to time.Time) int {
	if from.IsZero() || to.IsZero() || to.Before(from) {
		return 0
	}
	return int(to.Truncate(time.Second).Sub(from.Truncate(time.Second)) / time.Second)
}

// BuildRecord returns the contact record of c. $.External values and stored customer input
// never reach it: they live only in the flow session.
func BuildRecord(c Contact, rc RecordContext) Record {
	r := Record{
		AWSAccountID: rc.AccountID, AWSContactTraceRecordFormatVersion: RecordFormatVersion,
		Attributes: map[string]string{}, Channel: c.Channel, ContactDetails: map[string]string{},
		ContactID: c.ID, CustomerEndpoint: c.CustomerEndpoint, DisconnectReason: str(c.DisconnectReason),
		DisconnectTimestamp: ts(c.DisconnectTimestamp), InitialContactID: str(c.InitialContactID),
		InitiationMethod: c.InitiationMethod, InitiationTimestamp: *ts(c.InitiationTimestamp),
		ConnectedToSystemTimestamp: ts(c.InitiationTimestamp),
		InstanceARN:                rc.InstanceARN, LastUpdateTimestamp: *ts(c.LastUpdateTimestamp),
		MediaStreams: []map[string]string{{"Type": mediaType(c.Channel)}}, PreviousContactID: str(c.PreviousContactID),
		Recordings: []RecordRecording{}, References: []RecordReference{}, RelatedContactID: str(c.RelatedContactID),
		ScheduledTimestamp: ts(c.ScheduledTimestamp), SystemEndpoint: c.SystemEndpoint, Tags: map[string]string{},
		Name: str(c.Name), Description: str(c.Description),
	}
	for k, v := range c.Attributes {
		if !rc.ExcludedAttributes[k] {
			r.Attributes[k] = v
		}
	}
	for k, v := range c.Tags {
		r.Tags[k] = v
	}
	names := make([]string, 0, len(c.References))
	for k := range c.References {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		r.References = append(r.References, RecordReference{Name: k, Type: c.References[k].Type, Value: c.References[k].Value})
	}
	if tr := rc.Transcript; tr != nil {
		r.Recordings = append(r.Recordings, RecordRecording{Location: tr.Location, MediaStreamType: "CHAT", ParticipantType: "All",
			StartTimestamp: ts(tr.Start), StopTimestamp: ts(tr.Stop), Status: "AVAILABLE", StorageType: RecordStorageType})
		r.ChatMetrics = &RecordChatMetrics{
			ChatContactMetrics: RecordChatContactMetrics{TotalMessages: tr.Messages(), TotalBotMessages: tr.SystemMessages},
			AgentMetrics:       &RecordParticipantMetrics{ParticipantType: "AGENT", MessagesSent: tr.AgentMessages},
			CustomerMetrics:    &RecordParticipantMetrics{ParticipantType: "CUSTOMER", MessagesSent: tr.CustomerMessages},
		}
	}
	if !c.Queue.EnqueueTimestamp.IsZero() {
		r.Queue = &RecordQueue{ARN: rc.QueueARN, Name: rc.QueueName, EnqueueTimestamp: ts(c.Queue.EnqueueTimestamp),
			DequeueTimestamp: ts(c.Queue.DequeueTimestamp), Duration: seconds(c.Queue.EnqueueTimestamp, c.Queue.DequeueTimestamp)}
	}
	if c.Agent.AgentID != "" && !c.Agent.ConnectedToAgentTimestamp.IsZero() {
		a := c.Agent
		interactionEnd := a.AfterContactWorkStartTimestamp
		if interactionEnd.IsZero() {
			interactionEnd = c.DisconnectTimestamp
		}
		r.AgentConnectionAttempts = 1
		r.Agent = &RecordAgent{
			ARN: rc.AgentARN, Username: rc.AgentUsername,
			ConnectedToAgentTimestamp:      ts(a.ConnectedToAgentTimestamp),
			AfterContactWorkStartTimestamp: ts(a.AfterContactWorkStartTimestamp),
			AfterContactWorkEndTimestamp:   ts(a.AfterContactWorkEndTimestamp),
			AfterContactWorkDuration:       seconds(a.AfterContactWorkStartTimestamp, a.AfterContactWorkEndTimestamp),
			AgentInteractionDuration:       seconds(a.ConnectedToAgentTimestamp, interactionEnd),
		}
		if rc.RoutingProfileARN != "" {
			r.Agent.RoutingProfile = &RecordNamedID{ARN: rc.RoutingProfileARN, Name: rc.RoutingProfileName}
		}
	}
	return r
}

func mediaType(ch Channel) string {
	switch ch {
	case ChannelVoice:
		return "AUDIO"
	case ChannelChat:
		return "CHAT"
	}
	return string(ch)
}

// Marshal encodes the record as one JSON object (one line of a JSON Lines sink).
func (r Record) Marshal() ([]byte, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("contact record %s: %w", r.ContactID, err)
	}
	return b, nil
}
