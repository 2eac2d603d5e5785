package promotion

import (
	"path"
	"strings"

	"github.com/tidwall/gjson"
)

// Product is the part of the platform a config item belongs to; reports
// group changes by it.
type Product string

// The products, named as the AIC report names its groups.
const (
	AM  Product = "AMConfig"
	IDM Product = "IDMConfig"
)

// Item is what a file of a tenant export is part of, as reports show it.
type Item struct {
	Product    Product
	ConfigItem string // the report's group, e.g. "Authentication > Journeys"
	Realm      string // the AM realm as AIC writes it ("/alpha"); empty outside realms
	Name       string // e.g. the journey's name
	UID        string // the item's "_id" when the file holds it
	// Part is true for a file that is a piece of a larger item (a journey's
	// node, a script's source, an email template's HTML): adding or deleting
	// it modifies the item rather than adding or deleting it.
	Part bool
}

// Layout maps the paths of an environment's configuration to what they are.
// Implementations must be safe for concurrent use and depend on nothing but
// their arguments.
type Layout interface {
	// Dynamic reports whether the file or directory at path belongs to the
	// environment itself (identities, applications, policies, data, ESV
	// definitions) rather than to the configuration promoted into it. A
	// directory is dynamic when every path below it is. Promotion keeps the
	// upper environment's dynamic paths and takes every other one from the
	// lower environment.
	Dynamic(path string) bool
	// Describe says which report item the file at path, holding data,
	// belongs to. It never fails: unknown paths get a generic item.
	Describe(path string, data []byte) Item
}

// StaticLayout is a Layout that also knows the directories holding no
// dynamic path. Promotion takes such a directory whole, by its hash,
// without visiting its files, so building the target and its static view
// costs the directories that hold both kinds, not the tenant size. With a
// plain Layout promotion visits every path. DefaultLayout is one.
type StaticLayout interface {
	Layout
	// Static reports whether no path at or below the directory dir is
	// dynamic. It may answer false when unsure; true must be exact.
	Static(dir string) bool
}

// DefaultLayout is the directory layout of ForgeRock's fr-config-manager
// (fr-config-pull/fr-config-push), which internal/tenantgen writes, so a
// repository pulled with fr-config-pull promotes as is. Path by path
// (<r> is a realm, shown in reports as "/<r>"):
//
//	realms/<r>/journeys/<j>/<j>.json           AM  Authentication > Journeys  name <j>; nodes/** are parts
//	realms/<r>/scripts/**/*.json               AM  Scripts                    name "name", uid "_id"
//	realms/<r>/scripts/**/<name>.js            AM  Scripts                    part of script <name>
//	realms/<r>/services/*.json                 AM  Services
//	realms/<r>/password-policy/*.json          AM  Password Policy
//	realms/<r>/themes/<t>/**                   AM  Themes                     name <t>
//	realms/<r>/secret-mappings/*.json          AM  Secret Mappings
//	realms/<r>/realm-config/*.json             AM  Realm Settings
//	realms/<r>/realm-config/agents/**          AM  Applications               DYNAMIC (agents, gateways, OAuth2 clients)
//	realms/<r>/authorization/**                AM  Access Policies            DYNAMIC (policy sets, resource types)
//	realms/<r>/<other>/**                      AM  <other>
//	identities/<r>/**                          AM  Identities                 DYNAMIC (users, things, admins, roles, assignments)
//	managed-objects/<o>/<o>.json               IDM Managed Objects            name <o>; trigger scripts are parts
//	sync/connectors/*.json, sync/rcs/**        IDM Connectors
//	sync/mappings/<m>/**                       IDM Mappings                   name <m>
//	email-templates/<t>/**                     IDM Email > Templates          name <t>; HTML bodies are parts
//	email-provider/**                          IDM Email > Provider
//	endpoints/<e>/**                           IDM Custom Endpoints           name <e>
//	schedules/<s>/**                           IDM Schedules                  name <s>
//	access-config/ cors/ kba/ terms-conditions/ ui/ locales/ audit/ org-privileges/
//	                                           IDM Access Configuration, CORS, KBA, Terms & Conditions,
//	                                               UI, Locales, Audit, Organization Privileges
//	service-objects/<type>/<id>.json           IDM Managed Object Data        DYNAMIC
//	internal-roles/*.json                      IDM Internal Roles             DYNAMIC
//	esvs/**                                    IDM ESVs                       DYNAMIC: ESV definitions belong to
//	                                                                          each environment and are never promoted
//	<other>/**                                 IDM <other>
//
// Everything not marked DYNAMIC is static. In a directory item (<j>, <t>,
// <o>, …) the file named after the directory is the item itself and every
// other file a part. Unless stated, an item's name is the file's "name" field
// or else its file name without extension, and its uid the file's "_id".
type DefaultLayout struct{}

var _ StaticLayout = DefaultLayout{}

// Dynamic implements Layout for the paths marked DYNAMIC above.
func (DefaultLayout) Dynamic(p string) bool {
	top, rest, _ := strings.Cut(p, "/")
	switch top {
	case "identities", "service-objects", "internal-roles", "esvs":
		return true
	case "realms":
		_, rest, _ = strings.Cut(rest, "/") // the realm
		dir, rest, _ := strings.Cut(rest, "/")
		if dir == "authorization" {
			return true
		}
		sub, _, _ := strings.Cut(rest, "/")
		return dir == "realm-config" && sub == "agents"
	}
	return false
}

// Static implements StaticLayout: every directory is static except those
// marked DYNAMIC above and their parents (the root, realms/, realms/<r>/
// and realms/<r>/realm-config/).
func (DefaultLayout) Static(dir string) bool {
	top, rest, _ := strings.Cut(dir, "/")
	switch top {
	case "", "identities", "service-objects", "internal-roles", "esvs":
		return false
	case "realms":
		_, rest, ok := strings.Cut(rest, "/") // the realm
		if !ok {
			return false
		}
		sub, rest, ok := strings.Cut(rest, "/")
		switch sub {
		case "authorization":
			return false
		case "realm-config":
			if !ok {
				return false
			}
			agents, _, _ := strings.Cut(rest, "/")
			return agents != "agents"
		}
	}
	return true
}

// idmItems names the IDM config items kept in one top-level directory of
// flat files.
var idmItems = map[string]string{
	"access-config":    "Access Configuration",
	"audit":            "Audit",
	"cors":             "CORS",
	"email-provider":   "Email > Provider",
	"internal-roles":   "Internal Roles",
	"kba":              "KBA",
	"locales":          "Locales",
	"org-privileges":   "Organization Privileges",
	"terms-conditions": "Terms & Conditions",
	"ui":               "UI",
}

// Describe implements Layout, following the table above.
func (DefaultLayout) Describe(p string, data []byte) Item {
	seg := strings.Split(p, "/")
	switch seg[0] {
	case "realms":
		if len(seg) < 3 {
			return flatItem(AM, "Realm Settings", "", p, data)
		}
		realm := "/" + seg[1]
		switch seg[2] {
		case "journeys":
			return dirItem(AM, "Authentication > Journeys", realm, seg[3:], p, data)
		case "scripts":
			if path.Ext(p) == ".json" {
				return flatItem(AM, "Scripts", realm, p, data)
			}
			return Item{Product: AM, ConfigItem: "Scripts", Realm: realm, Name: baseName(p), Part: true}
		case "themes":
			return dirItem(AM, "Themes", realm, seg[3:], p, data)
		case "services":
			return flatItem(AM, "Services", realm, p, data)
		case "password-policy":
			return flatItem(AM, "Password Policy", realm, p, data)
		case "secret-mappings":
			return flatItem(AM, "Secret Mappings", realm, p, data)
		case "authorization":
			return flatItem(AM, "Access Policies", realm, p, data)
		case "realm-config":
			if len(seg) > 4 && seg[3] == "agents" {
				return flatItem(AM, "Applications", realm, p, data)
			}
			return flatItem(AM, "Realm Settings", realm, p, data)
		}
		return flatItem(AM, seg[2], realm, p, data)
	case "identities":
		realm := ""
		if len(seg) > 2 {
			realm = "/" + seg[1]
		}
		return flatItem(AM, "Identities", realm, p, data)
	case "managed-objects":
		return dirItem(IDM, "Managed Objects", "", seg[1:], p, data)
	case "email-templates":
		return dirItem(IDM, "Email > Templates", "", seg[1:], p, data)
	case "endpoints":
		return dirItem(IDM, "Custom Endpoints", "", seg[1:], p, data)
	case "schedules":
		return dirItem(IDM, "Schedules", "", seg[1:], p, data)
	case "sync":
		if len(seg) > 2 && seg[1] == "mappings" {
			return dirItem(IDM, "Mappings", "", seg[2:], p, data)
		}
		return flatItem(IDM, "Connectors", "", p, data)
	case "service-objects":
		return flatItem(IDM, "Managed Object Data", "", p, data)
	case "esvs":
		return flatItem(IDM, "ESVs", "", p, data)
	}
	if item, ok := idmItems[seg[0]]; ok {
		return flatItem(IDM, item, "", p, data)
	}
	return flatItem(IDM, seg[0], "", p, data)
}

// dirItem describes a file of an item kept in its own directory: rel is the
// path below the item directories' parent, rel[0] the item's name.
func dirItem(prod Product, ci, realm string, rel []string, p string, data []byte) Item {
	if len(rel) < 2 { // a file beside the item directories
		return flatItem(prod, ci, realm, p, data)
	}
	it := Item{Product: prod, ConfigItem: ci, Realm: realm, Name: rel[0]}
	if len(rel) == 2 && baseName(rel[1]) == rel[0] && path.Ext(rel[1]) == ".json" {
		it.UID = gjson.GetBytes(data, "_id").String()
	} else {
		it.Part = true
	}
	return it
}

// flatItem describes a file that is a whole item on its own.
func flatItem(prod Product, ci, realm, p string, data []byte) Item {
	it := Item{Product: prod, ConfigItem: ci, Realm: realm, Name: baseName(p)}
	if path.Ext(p) == ".json" {
		if n := gjson.GetBytes(data, "name"); n.Type == gjson.String && n.Str != "" {
			it.Name = n.Str
		}
		it.UID = gjson.GetBytes(data, "_id").String()
	}
	return it
}

// baseName is the file name of p without its extension.
func baseName(p string) string {
	b := path.Base(p)
	return strings.TrimSuffix(b, path.Ext(b))
}
