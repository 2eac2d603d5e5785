// Package tenantgen generates deterministic synthetic PingOne Advanced
// Identity Cloud tenants for tests and benchmarks, in the fr-config-manager
// export layout (ARCHITECTURE.md, "Tenant export layout").
//
// A tenant has AM realms (alpha, bravo, …) with journeys and their nodes
// (page nodes with inner nodes in a subdirectory), scripts split into
// scripts-config/<id>.json and scripts-content/<context>/<name>.js as
// fr-config-pull writes them, services, realm config, themes, secret
// mappings, agents and authorization policies; IDM managed objects with
// trigger scripts, connectors, mappings, email templates, endpoints,
// schedules and flat config (access-config, cors, ui, …); service-object,
// identity and internal-role data; and ESV definitions under esvs/.
//
// Config refers to ESVs the ways real tenants do: &{esv.x} placeholders,
// whole or inside URLs, with defaults (&{esv.smtp.port|465}), typed through
// wrappers ({"$int": "&{esv.x}"}, $bool, $list, …) matching the variable's
// expressionType, and scripts calling systemEnv.getProperty("esv.x") or
// identityServer.getProperty("esv.x"). Every reference names a defined ESV
// unless Options.MissingESVs asks for undefined ones; Options.Crypto adds
// IDM $crypto objects. The Tenant reports exactly where both are, so tests
// can state the findings they expect.
//
// Generate is deterministic: equal Options give byte-identical files. The
// package does not depend on store; build a snapshot from Tenant.Files.
package tenantgen
