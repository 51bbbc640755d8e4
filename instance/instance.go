// Package instance holds the Connect instance: the isolation unit of Ringfence. Every row, key,
// log line and metric belongs to exactly one instance, and every query is scoped by its ID.
//
// Shapes follow the Amazon Connect API reference, data type "Instance"
// (https://docs.aws.amazon.com/connect/latest/APIReference/API_Instance.html).
package instance

import (
	"context"
	"fmt"
	"regexp"
	"time"

	"github.com/ringfence/ringfence/apierr"
)

// IdentityManagementType says how users of an instance are managed; Connect calls it
// DirectoryType. One of the IdentityManagement* constants.
type IdentityManagementType string

// Identity management types, as Connect names them.
const (
	// IdentityManagementSAML: users sign in through a SAML 2.0 identity provider.
	IdentityManagementSAML IdentityManagementType = "SAML"
	// IdentityManagementConnectManaged: users and passwords live in Ringfence.
	IdentityManagementConnectManaged IdentityManagementType = "CONNECT_MANAGED"
	// IdentityManagementExistingDirectory: an external directory (accepted for compatibility;
	// sign-in through it is not provided, users are managed as CONNECT_MANAGED).
	IdentityManagementExistingDirectory IdentityManagementType = "EXISTING_DIRECTORY"
)

// Status is the lifecycle state of an instance (Connect's InstanceStatus).
type Status string

// Instance states. Ringfence creates instances synchronously, so a stored instance is ACTIVE.
const (
	StatusCreationInProgress Status = "CREATION_IN_PROGRESS"
	StatusActive             Status = "ACTIVE"
	StatusCreationFailed     Status = "CREATION_FAILED"
)

// Instance is one Connect instance.
type Instance struct {
	// ID is a random UUID (lower-case, 36 characters).
	ID string
	// Alias is unique across the deployment: 1–45 characters, letters, digits and '-',
	// starting and ending with a letter or digit (Connect's InstanceAlias rule).
	Alias                  string
	IdentityManagementType IdentityManagementType
	InboundCallsEnabled    bool
	OutboundCallsEnabled   bool
	Status                 Status
	// CreatedTime is UTC with millisecond precision.
	CreatedTime time.Time
	// DeletionProtected is true from creation until an operator lifts it with
	// `ringfence admin instance unprotect`; DeleteInstance is refused while it is true.
	DeletionProtected bool
	// Tags are at most 50 key/value pairs.
	Tags map[string]string
}

// ARN returns the instance ARN in Connect's shape:
// arn:aws:connect:{region}:{account}:instance/{id}.
func (i Instance) ARN(region, account string) string { return ARN(region, account, i.ID) }

// ARN builds an instance ARN from its parts.
func ARN(region, account, id string) string {
	return fmt.Sprintf("arn:aws:connect:%s:%s:instance/%s", region, account, id)
}

// AccessURL is the URL people use to reach the instance's pages: {endpoint}/ui/{alias}.
func (i Instance) AccessURL(endpoint string) string { return endpoint + "/ui/" + i.Alias }

var (
	aliasRe = regexp.MustCompile(`^[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,43}[a-zA-Z0-9])?$`)
	idRe    = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
)

// ValidID reports whether s has the shape of an instance ID (a lower-case UUID).
func ValidID(s string) bool { return idRe.MatchString(s) }

// Validate checks the fields a caller supplies. It returns an *apierr.Error with code
// InvalidParameterException naming the first bad field.
func (i Instance) Validate() error {
	if !aliasRe.MatchString(i.Alias) {
		return apierr.InvalidParameter("InstanceAlias must be 1-45 characters of letters, digits and '-', starting and ending with a letter or digit")
	}
	switch i.IdentityManagementType {
	case IdentityManagementSAML, IdentityManagementConnectManaged, IdentityManagementExistingDirectory:
	default:
		return apierr.InvalidParameter("IdentityManagementType must be one of SAML, CONNECT_MANAGED, EXISTING_DIRECTORY")
	}
	if len(i.Tags) > 50 {
		return apierr.InvalidParameter("Tags must have at most 50 entries")
	}
	for k, v := range i.Tags {
		if len(k) < 1 || len(k) > 128 || len(v) > 256 {
			return apierr.InvalidParameter("tag keys must be 1-128 characters and values at most 256")
		}
	}
	return nil
}

// Store is the persistence contract for instances. Implementations live in store/sqlite and
// store/postgres; store/storetest checks both. Methods return *apierr.Error values with code
// ResourceNotFoundException (unknown ID) or DuplicateResourceException (alias taken) where
// those apply; any other error is an internal failure.
type Store interface {
	// CreateInstance stores a new instance. The alias must be unused.
	CreateInstance(ctx context.Context, in Instance) error
	// GetInstance returns the instance with the given ID.
	GetInstance(ctx context.Context, id string) (Instance, error)
	// GetInstanceByAlias returns the instance with the given alias.
	GetInstanceByAlias(ctx context.Context, alias string) (Instance, error)
	// ListInstances returns up to limit instances ordered by creation time then ID, starting
	// after the instance whose ID is after ("" for the first page).
	ListInstances(ctx context.Context, after string, limit int) ([]Instance, error)
	// SetDeletionProtection turns deletion protection on or off.
	SetDeletionProtection(ctx context.Context, id string, protected bool) error
	// DeleteInstance removes the instance and every row that carries its ID.
	DeleteInstance(ctx context.Context, id string) error
}
