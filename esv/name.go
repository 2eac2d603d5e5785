package esv

import (
	"fmt"
	"strings"
)

// MaxNameLen is the longest ESV name, "esv-" prefix included.
const MaxNameLen = 124

const namePrefix = "esv-"

// ValidateName reports whether name is a valid ESV name: "esv-" followed by
// at least one lowercase letter a–z, digit, '_' or '-', at most MaxNameLen
// characters in all. The error wraps ErrInvalidName and names the broken rule.
func ValidateName(name string) error {
	bad := func(why string) error {
		return fmt.Errorf("%w %.130q: %s (allowed: %q then lowercase a-z, 0-9, '_' and '-', at most %d characters)",
			ErrInvalidName, name, why, namePrefix, MaxNameLen)
	}
	switch {
	case !strings.HasPrefix(name, namePrefix):
		return bad(`does not start with "esv-"`)
	case len(name) == len(namePrefix):
		return bad(`nothing follows "esv-"`)
	case len(name) > MaxNameLen:
		return bad(fmt.Sprintf("is %d characters long", len(name)))
	}
	for i := len(namePrefix); i < len(name); i++ {
		if c := name[i]; !isNameByte(c) && c != '-' {
			return bad(fmt.Sprintf("character %q at position %d is not allowed", c, i+1))
		}
	}
	return nil
}

// isNameByte reports whether c may appear in an ESV name and, unchanged, in
// its placeholder form (where '-' is written as '.').
func isNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_'
}

// Placeholder returns the placeholder that refers to the ESV name in
// configuration: "esv-my-var" becomes "&{esv.my.var}" (hyphens are written
// as dots). It does not validate name.
func Placeholder(name string) string {
	return "&{" + propertyOf(name) + "}"
}

// propertyOf maps an ESV name to the property name used in placeholders and
// scripts: "esv-my-var" → "esv.my.var".
func propertyOf(name string) string {
	return strings.ReplaceAll(name, "-", ".")
}

// nameOf maps the part of a property after "esv." back to the ESV name,
// explaining what is wrong when it cannot name one.
func nameOf(prop []byte) (string, string) {
	if len(prop) == 0 {
		return "", "the name after \"esv.\" is empty"
	}
	for i, c := range prop {
		if c == '-' {
			return "", "hyphens are written as dots in references (esv.my.var names esv-my-var)"
		}
		if !isNameByte(c) && c != '.' {
			return "", fmt.Sprintf("character %q at position %d is not allowed (allowed: lowercase a-z, 0-9, '_' and '.')", c, i+5)
		}
	}
	name := namePrefix + strings.ReplaceAll(string(prop), ".", "-")
	if len(name) > MaxNameLen {
		return "", fmt.Sprintf("the name is %d characters long, more than %d", len(name), MaxNameLen)
	}
	return name, ""
}
