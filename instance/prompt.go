package instance

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ringfence/ringfence/apierr"
)

// Prompt is a recorded audio prompt of an instance (Connect's Prompt resource: CreatePrompt,
// DescribePrompt, ListPrompts, UpdatePrompt, DeletePrompt). Ringfence stores the record so
// that flows can name prompts (PromptId) and publishing can check them; it does not fetch or
// play the audio yet.
type Prompt struct {
	InstanceID string
	// ID is a random UUID.
	ID string
	// Name is unique in the instance: 1–256 characters.
	Name string
	// Description is at most 250 characters.
	Description string
	// S3URI is where the audio lives: an s3:// or https:// URI of 1–2,000 characters
	// (Connect's S3Uri; the audio is not fetched).
	S3URI string
	// Tags are at most 50 key/value pairs.
	Tags map[string]string
	// LastModified is UTC with millisecond precision.
	LastModified time.Time
}

// Prompt limits (Amazon Connect API reference, CreatePrompt).
const (
	MaxPromptName        = 256
	MaxPromptDescription = 250
	MaxPromptS3URI       = 2000
)

// Validate checks the fields a caller supplies and returns an InvalidParameterException
// naming the first bad field.
func (p Prompt) Validate() error {
	if n := utf8.RuneCountInString(p.Name); n < 1 || n > MaxPromptName || !utf8.ValidString(p.Name) {
		return apierr.InvalidParameter("Name must be 1-256 characters")
	}
	if utf8.RuneCountInString(p.Description) > MaxPromptDescription || !utf8.ValidString(p.Description) {
		return apierr.InvalidParameter("Description must be at most 250 characters")
	}
	if n := len(p.S3URI); n < 1 || n > MaxPromptS3URI {
		return apierr.InvalidParameter("S3Uri must be 1-2000 characters")
	}
	if !strings.HasPrefix(p.S3URI, "s3://") && !strings.HasPrefix(p.S3URI, "https://") {
		return apierr.InvalidParameter("S3Uri must be an s3:// or https:// URI")
	}
	if strings.ContainsFunc(p.S3URI, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return apierr.InvalidParameter("S3Uri must not contain spaces or control characters")
	}
	return nil
}

// PromptStore persists prompts, scoped by instance. Errors are *apierr.Error:
// ResourceNotFoundException for an unknown ID, DuplicateResourceException for a name in use.
type PromptStore interface {
	// CreatePrompt stores a new prompt.
	CreatePrompt(ctx context.Context, p Prompt) error
	// GetPrompt returns the prompt with the given ID.
	GetPrompt(ctx context.Context, instanceID, id string) (Prompt, error)
	// ListPrompts returns at most limit prompts whose ID sorts after after, in ID order.
	ListPrompts(ctx context.Context, instanceID, after string, limit int) ([]Prompt, error)
	// UpdatePrompt replaces the name, description, URI and modification time of a prompt.
	UpdatePrompt(ctx context.Context, p Prompt) error
	// DeletePrompt removes a prompt.
	DeletePrompt(ctx context.Context, instanceID, id string) error
}
