package httpapi

import "github.com/envpromote/envpromote/environment"

// PermissionRow is one row of the authorization table, for the tests.
type PermissionRow struct {
	Op     string
	Grants []environment.RoleAssignment // Scope.ID empty
}

// Permissions returns the authorization table.
func Permissions() []PermissionRow {
	var out []PermissionRow
	for _, row := range permissions {
		r := PermissionRow{Op: string(row.op)}
		for _, g := range row.grants {
			r.Grants = append(r.Grants, environment.RoleAssignment{Role: g.role, Scope: environment.Scope{Type: g.scope}})
		}
		out = append(out, r)
	}
	return out
}

// PermissionTable is the table as the package documentation shows it.
func PermissionTable() string { return permissionTable() }
