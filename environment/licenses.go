package environment

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/envpromote/envpromote/actor"
)

const licensePrefix = "licenses/"

// StoreLicenses keeps an organization's licenses as records of the Store
// that holds its environments ("licenses/<organization>/<id>"), so with
// gitenv they live, with their history, in the same Git branch. It
// implements Licenses.
type StoreLicenses struct {
	store Store
	clock func() time.Time
}

var _ Licenses = (*StoreLicenses)(nil)

// NewStoreLicenses returns the licenses kept in store; clock stamps the
// changes (nil means time.Now).
func NewStoreLicenses(store Store, clock func() time.Time) (*StoreLicenses, error) {
	if store == nil {
		return nil, fmt.Errorf("%w: NewStoreLicenses needs a Store (memenv.New or gitenv.New)", ErrInvalid)
	}
	if clock == nil {
		clock = time.Now
	}
	return &StoreLicenses{store: store, clock: clock}, nil
}

// licenseRecord is a license as stored; Active false keeps a revoked
// license's record (and its history) without granting it.
type licenseRecord struct {
	ID           string `json:"id"`
	Organization string `json:"organization"`
	Trial        bool   `json:"trial,omitempty"`
	Active       bool   `json:"active"`
}

// Active returns the organization's active licenses, sorted by id.
func (l *StoreLicenses) Active(ctx context.Context, organization string) ([]License, error) {
	if err := validateID(ErrInvalid, "organization id", organization); err != nil {
		return nil, err
	}
	recs, err := l.store.List(ctx, licensePrefix+organization+"/")
	if err != nil {
		return nil, fmt.Errorf("licenses of %s: %w", organization, err)
	}
	var out []License
	for _, rec := range recs {
		var lr licenseRecord
		if err := decode(rec, &lr); err != nil {
			return nil, err
		}
		if lr.Active {
			out = append(out, License{ID: lr.ID, Organization: lr.Organization, Trial: lr.Trial})
		}
	}
	return out, nil
}

// Put grants lic to its organization, or changes whether it is a trial. The
// context's actor (actor.With) makes the change. Errors wrap
// actor.ErrMissing, or ErrInvalid for a malformed license or organization id.
func (l *StoreLicenses) Put(ctx context.Context, lic License) error {
	return l.write(ctx, lic, true)
}

// Revoke stops lic granting anything; environments already using it keep
// it. Revoking an unknown license is an error wrapping ErrNotFound.
func (l *StoreLicenses) Revoke(ctx context.Context, lic License) error {
	return l.write(ctx, lic, false)
}

func (l *StoreLicenses) write(ctx context.Context, lic License, active bool) error {
	who, err := actor.Resolve(ctx, "", "license "+lic.ID)
	if err != nil {
		return err
	}
	if err := validateID(ErrInvalid, "organization id", lic.Organization); err != nil {
		return err
	}
	if err := validateID(ErrInvalid, "license id", lic.ID); err != nil {
		return err
	}
	key := licensePrefix + lic.Organization + "/" + lic.ID
	verb := "grant"
	if !active {
		verb = "revoke"
	}
	for {
		var version Version
		rec, err := l.store.Get(ctx, key)
		switch {
		case err == nil:
			version = rec.Version
		case errors.Is(err, ErrNotFound) && active:
		default:
			return fmt.Errorf("license %s of %s: %w", lic.ID, lic.Organization, err)
		}
		err = l.store.Apply(ctx, Batch{
			Actor:   who,
			Message: fmt.Sprintf("%s license %s of organization %s", verb, lic.ID, lic.Organization),
			Time:    l.clock().UTC(),
			Writes:  []Write{{Key: key, Version: version, Data: encode(licenseRecord{ID: lic.ID, Organization: lic.Organization, Trial: lic.Trial, Active: active})}},
		})
		if !errors.Is(err, ErrConflict) {
			return err
		}
	}
}
