package esv

import (
	"encoding/json"
	"time"
)

// Variable is an environment variable as the AIC API shows it. Its JSON form
// is the wire format (valueBase64 holds Value).
type Variable struct {
	Name           string         `json:"_id"`
	Description    string         `json:"description"`
	ExpressionType ExpressionType `json:"expressionType"`
	Value          string         `json:"-"`
	LastChangedBy  string         `json:"lastChangedBy"`
	LastChangeDate time.Time      `json:"lastChangeDate"`
	// Loaded is true when the environment runs with this value and type,
	// false while the change waits for a restart.
	Loaded bool `json:"loaded"`
}

type variableJSON Variable // without methods, for the default encoding

// MarshalJSON writes the wire format, with Value as valueBase64.
func (v Variable) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		variableJSON
		ValueBase64 []byte `json:"valueBase64"`
	}{variableJSON(v), []byte(v.Value)})
}

// UnmarshalJSON reads the wire format.
func (v *Variable) UnmarshalJSON(b []byte) error {
	var w struct {
		variableJSON
		ValueBase64 []byte `json:"valueBase64"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*v = Variable(w.variableJSON)
	v.Value = string(w.ValueBase64)
	return nil
}

// VariableSpec is what a caller sets on a variable.
type VariableSpec struct {
	Description string
	// ExpressionType is fixed when the variable is created; zero means
	// TypeString. On update it must be zero or the existing type.
	ExpressionType ExpressionType
	Value          string // at most MaxValueLen bytes, valid for the type
}

// Secret is an environment secret's metadata as the AIC API shows it. It
// never holds a value. Its JSON form is the wire format.
type Secret struct {
	Name              string   `json:"_id"`
	Description       string   `json:"description"`
	Encoding          Encoding `json:"encoding"`
	UseInPlaceholders bool     `json:"useInPlaceholders"`
	// ActiveVersion is the latest version: the one a restart loads.
	ActiveVersion int `json:"activeVersion,string"`
	// LoadedVersion is the version the environment runs with; 0 if none.
	LoadedVersion  int       `json:"loadedVersion,string"`
	LastChangedBy  string    `json:"lastChangedBy"`
	LastChangeDate time.Time `json:"lastChangeDate"`
	// Loaded is true when the environment runs with the current versions
	// and settings, false while a change waits for a restart.
	Loaded bool `json:"loaded"`
}

// SecretSpec is what a caller gives to create a secret.
type SecretSpec struct {
	Description       string
	Encoding          Encoding // zero means EncodingGeneric
	UseInPlaceholders bool     // whether placeholders in configuration may use it
	Value             SecretValue
}

// SecretVersion is one version of a secret, without its value. Its JSON
// form is the wire format.
type SecretVersion struct {
	Version    int           `json:"version,string"` // 1, 2, … never reused
	CreateDate time.Time     `json:"createDate"`
	Status     VersionStatus `json:"status"`
	Loaded     bool          `json:"loaded"` // the environment runs with it
}

// Latest, passed as a version number, names a secret's latest version.
const Latest = 0

// ListOptions filters listings. The zero value lists everything.
type ListOptions struct {
	OnlyPending bool // only ESVs with changes waiting for a restart
}
