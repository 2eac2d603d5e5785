package environment

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/envpromote/envpromote/internal/uuid"
)

// Environment is a PingOne environment. Its JSON encoding uses the field
// names of the PingOne Platform API (hardDeleteAllowedAt is spelled as the
// current PingOne docs spell it).
type Environment struct {
	ID              string          `json:"id,omitempty"`
	Name            string          `json:"name"`
	Description     string          `json:"description,omitempty"`
	Type            Type            `json:"type"`
	Region          Region          `json:"region"`
	License         Ref             `json:"license"`
	Organization    Ref             `json:"organization"`
	Icon            string          `json:"icon,omitempty"`
	BillOfMaterials BillOfMaterials `json:"billOfMaterials,omitzero"`
	Status          Status          `json:"status,omitempty"`
	CreatedAt       time.Time       `json:"createdAt,omitzero"`
	UpdatedAt       time.Time       `json:"updatedAt,omitzero"`
	// SoftDeletedAt and HardDeleteAllowedAt are set only while the
	// environment is DELETE_PENDING.
	SoftDeletedAt       time.Time `json:"softDeletedAt,omitzero"`
	HardDeleteAllowedAt time.Time `json:"hardDeleteAllowedAt,omitzero"`
}

// Ref refers to another resource by id, as PingOne's {"id": …} objects do.
type Ref struct {
	ID string `json:"id"`
}

// BillOfMaterials lists the products an environment uses, with every
// field of the PingOne API's BillOfMaterials.
type BillOfMaterials struct {
	// SolutionType is chosen when the environment is created; as in
	// PingOne, a later bill of materials cannot change it (the value given
	// then is ignored).
	SolutionType SolutionType `json:"solutionType,omitempty"`
	Products     []Product    `json:"products"`
	// CreatedAt and UpdatedAt are set by the Registry; values given are
	// ignored.
	CreatedAt time.Time `json:"createdAt,omitzero"`
	UpdatedAt time.Time `json:"updatedAt,omitzero"`
}

// Product is one entry of a bill of materials.
type Product struct {
	// ID is assigned by the Registry when the product is added and never
	// changes (PingOne's billOfMaterials.products[].id): on a change, an id
	// given must be empty or the product's current one.
	ID              string       `json:"id,omitempty"`
	Type            ProductType  `json:"type"`
	Description     string       `json:"description,omitempty"`
	Console         Console      `json:"console,omitzero"`
	Tags            []ProductTag `json:"tags,omitempty"`
	SoftwareLicense Ref          `json:"softwareLicense,omitzero"`
	Deployment      Ref          `json:"deployment,omitzero"`
	// Bookmarks are at most MaxBookmarks custom links, with distinct names.
	Bookmarks []Bookmark `json:"bookmarks,omitempty"`
}

// Console is a product's primary console link.
type Console struct {
	Href string `json:"href"`
}

// Bookmark is a custom link of a product.
type Bookmark struct {
	Name string `json:"name"`
	Href string `json:"href"`
}

// Bookmark limits, as PingOne sets them.
const (
	MaxBookmarks       = 5
	MaxBookmarkNameLen = 50
)

// SolutionType is the solution chosen when an environment is created.
type SolutionType string

// Solution types: every value of the PingOne API's EnumSolutionType.
const (
	SolutionWorkforce SolutionType = "WORKFORCE"
	SolutionCustomer  SolutionType = "CUSTOMER"
	SolutionCIAMTrial SolutionType = "CIAM_TRIAL"
	SolutionWFTrial   SolutionType = "WF_TRIAL"
)

// ProductTag is a tag of a bill-of-materials product.
type ProductTag string

// Product tags: every value of the PingOne API's EnumBillOfMaterialsProductTags.
const TagDaVinciMinimal ProductTag = "DAVINCI_MINIMAL"

// DefaultBillOfMaterials is what an environment created without products
// gets: the PingOne base services.
func DefaultBillOfMaterials() BillOfMaterials {
	return BillOfMaterials{Products: []Product{{Type: PingOneBase, Description: "PingOne Base"}}}
}

// Type is an environment type.
type Type string

// Environment types.
const (
	Production Type = "PRODUCTION"
	Sandbox    Type = "SANDBOX"
)

// Region is the PingOne region code an environment lives in.
type Region string

// Regions.
const (
	RegionNA Region = "NA"
	RegionCA Region = "CA"
	RegionEU Region = "EU"
	RegionAU Region = "AU"
	RegionSG Region = "SG"
	RegionAP Region = "AP"
)

// Status is an environment's lifecycle status.
type Status string

// Statuses.
const (
	Active        Status = "ACTIVE"
	DeletePending Status = "DELETE_PENDING"
)

// ProductType names a Ping Identity product in a bill of materials.
type ProductType string

// Product types: every value of the PingOne API's EnumProductType.
const (
	PingOneMFA           ProductType = "PING_ONE_MFA"
	PingOneDaVinci       ProductType = "PING_ONE_DAVINCI"
	PingOneOrchestrate   ProductType = "PING_ONE_ORCHESTRATE"
	PingOneRisk          ProductType = "PING_ONE_RISK"
	PingOneFraud         ProductType = "PING_ONE_FRAUD"
	PingOneProvisioning  ProductType = "PING_ONE_PROVISIONING"
	PingDataSync         ProductType = "PING_DATA_SYNC"
	PingDataGovernance   ProductType = "PING_DATA_GOVERNANCE"
	PingOneForEnterprise ProductType = "PING_ONE_FOR_ENTERPRISE"
	PingIDSDK            ProductType = "PING_ID_SDK"
	PingOneForSaaS       ProductType = "PING_ONE_FOR_SAAS"
	PingOneVerify        ProductType = "PING_ONE_VERIFY"
	PingOneCredentials   ProductType = "PING_ONE_CREDENTIALS"
	PingOneAuthorize     ProductType = "PING_ONE_AUTHORIZE"
	PingOneBase          ProductType = "PING_ONE_BASE"
	PingFederate         ProductType = "PING_FEDERATE"
	PingAccess           ProductType = "PING_ACCESS"
	PingDirectory        ProductType = "PING_DIRECTORY"
	PingAuthorize        ProductType = "PING_AUTHORIZE"
	PingID               ProductType = "PING_ID"
	PingOneID            ProductType = "PING_ONE_ID"
	PingIntelligence     ProductType = "PING_INTELLIGENCE"
	PingCentral          ProductType = "PING_CENTRAL"
)

var (
	types        = []Type{Production, Sandbox}
	regions      = []Region{RegionNA, RegionCA, RegionEU, RegionAU, RegionSG, RegionAP}
	statuses     = []Status{Active, DeletePending}
	solutions    = []SolutionType{SolutionWorkforce, SolutionCustomer, SolutionCIAMTrial, SolutionWFTrial}
	productTags  = []ProductTag{TagDaVinciMinimal}
	productTypes = []ProductType{
		PingOneMFA, PingOneDaVinci, PingOneOrchestrate, PingOneRisk, PingOneFraud,
		PingOneProvisioning, PingDataSync, PingDataGovernance, PingOneForEnterprise,
		PingIDSDK, PingOneForSaaS, PingOneVerify, PingOneCredentials, PingOneAuthorize,
		PingOneBase, PingFederate, PingAccess, PingDirectory, PingAuthorize, PingID,
		PingOneID, PingIntelligence, PingCentral,
	}
)

// ProductTypes returns every accepted product type.
func ProductTypes() []ProductType { return slices.Clone(productTypes) }

// Validate reports whether t is a known environment type.
func (t Type) Validate() error { return oneOf("type", t, types) }

// Validate reports whether r is a known region code.
func (r Region) Validate() error { return oneOf("region", r, regions) }

// Validate reports whether s is a known status.
func (s Status) Validate() error { return oneOf("status", s, statuses) }

// Validate reports whether p is a known product type.
func (p ProductType) Validate() error { return oneOf("product type", p, productTypes) }

func oneOf[T ~string](field string, v T, allowed []T) error {
	if slices.Contains(allowed, v) {
		return nil
	}
	names := make([]string, len(allowed))
	for i, a := range allowed {
		names[i] = string(a)
	}
	if v == "" {
		return fmt.Errorf("%w: %s is required (allowed: %s)", ErrInvalid, field, strings.Join(names, ", "))
	}
	return fmt.Errorf("%w: unknown %s %q (allowed: %s)", ErrInvalid, field, string(v), strings.Join(names, ", "))
}

// MaxNameLen bounds an environment name, in characters.
const MaxNameLen = 256

// validateName checks the rules for an environment name: non-empty, at most
// MaxNameLen characters, no control characters, no surrounding spaces (which
// would make "Prod" and "Prod " look like two names).
func validateName(name string) error {
	switch {
	case strings.TrimSpace(name) == "":
		return fmt.Errorf("%w: name is required", ErrInvalid)
	case !utf8.ValidString(name):
		return fmt.Errorf("%w: name is not valid UTF-8", ErrInvalid)
	case utf8.RuneCountInString(name) > MaxNameLen:
		return fmt.Errorf("%w: name is longer than %d characters", ErrInvalid, MaxNameLen)
	case strings.TrimSpace(name) != name:
		return fmt.Errorf("%w: name %q begins or ends with white space", ErrInvalid, name)
	case strings.ContainsFunc(name, unicode.IsControl):
		return fmt.Errorf("%w: name %q contains a control character", ErrInvalid, name)
	}
	return nil
}

// validateBOM checks b: a known solution type, if any, and products of
// known, distinct types with known tags and valid bookmarks.
func validateBOM(b BillOfMaterials) error {
	if b.SolutionType != "" {
		if err := oneOf("billOfMaterials.solutionType", b.SolutionType, solutions); err != nil {
			return err
		}
	}
	seen := make(map[ProductType]bool, len(b.Products))
	for i, p := range b.Products {
		if err := validateProduct(p); err != nil {
			return fmt.Errorf("billOfMaterials.products[%d]: %w", i, err)
		}
		if seen[p.Type] {
			return fmt.Errorf("%w: billOfMaterials.products[%d]: product type %s listed twice", ErrInvalid, i, p.Type)
		}
		seen[p.Type] = true
	}
	return nil
}

func validateProduct(p Product) error {
	if err := p.Type.Validate(); err != nil {
		return err
	}
	for _, t := range p.Tags {
		if err := oneOf("tag", t, productTags); err != nil {
			return err
		}
	}
	if len(p.Bookmarks) > MaxBookmarks {
		return fmt.Errorf("%w: %d bookmarks (at most %d)", ErrInvalid, len(p.Bookmarks), MaxBookmarks)
	}
	names := map[string]bool{}
	for j, b := range p.Bookmarks {
		u, err := url.Parse(b.Href)
		switch {
		case strings.TrimSpace(b.Name) == "" || utf8.RuneCountInString(b.Name) > MaxBookmarkNameLen:
			return fmt.Errorf("%w: bookmarks[%d].name must be 1-%d characters", ErrInvalid, j, MaxBookmarkNameLen)
		case names[b.Name]:
			return fmt.Errorf("%w: bookmarks[%d].name %q is used twice (names are unique within a product)", ErrInvalid, j, b.Name)
		case err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "":
			return fmt.Errorf("%w: bookmarks[%d].href must be an absolute http or https URL", ErrInvalid, j)
		}
		names[b.Name] = true
	}
	return nil
}

// settle sets what the Registry owns in next, a bill of materials
// replacing prev (zero on create) at now: the solution type chosen at
// creation, product ids, and the timestamps. A product keeps the id of
// prev's product of its type, and a new product gets a new id; ids are
// immutable, so on a change an id given that is not the product's current
// one is an error wrapping ErrInvalid (on create, ids given are ignored).
func (next BillOfMaterials) settle(prev BillOfMaterials, now time.Time) (BillOfMaterials, error) {
	creating := len(prev.Products) == 0
	next.Products = slices.Clone(next.Products)
	next.CreatedAt, next.UpdatedAt = prev.CreatedAt, now
	if next.CreatedAt.IsZero() {
		next.CreatedAt = now
	}
	if !creating {
		next.SolutionType = prev.SolutionType
	}
	ids := make(map[ProductType]string, len(prev.Products))
	for _, p := range prev.Products {
		ids[p.Type] = p.ID
	}
	for i, p := range next.Products {
		id, had := ids[p.Type]
		switch {
		case creating || p.ID == "" || p.ID == id:
		case had:
			return BillOfMaterials{}, fmt.Errorf("%w: billOfMaterials.products[%d].id cannot change from %s to %s: product ids are immutable; leave it empty or unchanged", ErrInvalid, i, id, p.ID)
		default:
			return BillOfMaterials{}, fmt.Errorf("%w: billOfMaterials.products[%d].id %s names no product of this environment: ids of new products are assigned by the Registry; leave it empty", ErrInvalid, i, p.ID)
		}
		if id == "" {
			id = uuid.New()
		}
		next.Products[i].ID = id
	}
	return next, nil
}

// MaxIDLen bounds organization ids and group names.
const MaxIDLen = 128

// validateID checks an organization id or group name, which the stores use
// in record keys: letters, digits, '.', '_' and '-', starting with a letter
// or digit.
func validateID(sentinel error, field, id string) error {
	ok := id != "" && len(id) <= MaxIDLen && isAlnum(id[0])
	for i := 0; ok && i < len(id); i++ {
		ok = isAlnum(id[i]) || id[i] == '.' || id[i] == '_' || id[i] == '-'
	}
	if !ok {
		return fmt.Errorf("%w: %s %q must be 1-%d letters, digits, '.', '_' or '-', starting with a letter or digit", sentinel, field, id, MaxIDLen)
	}
	return nil
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// clone returns a deep copy of e, so callers never share a slice of its
// bill of materials with the Registry.
func (e Environment) clone() Environment {
	e.BillOfMaterials.Products = slices.Clone(e.BillOfMaterials.Products)
	for i, p := range e.BillOfMaterials.Products {
		e.BillOfMaterials.Products[i].Tags = slices.Clone(p.Tags)
		e.BillOfMaterials.Products[i].Bookmarks = slices.Clone(p.Bookmarks)
	}
	return e
}
