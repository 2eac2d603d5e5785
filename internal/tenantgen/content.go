package tenantgen

import (
	"strconv"
	"strings"
)

// The generators below follow fr-config-pull's file layout and the shapes of
// real AIC exports, trimmed to the fields that matter for promotion: ids,
// names, cross-references, ESV placeholders and free text.

// ---- AM realm base ----

var realmConfigs = []string{"authentication", "session", "security", "selfService", "user"}

var amServices = []string{
	"oauth-oidc", "baseurl", "CorsService", "SocialIdentityProviders", "validation",
	"policyconfiguration", "amSessionPropertyWhitelist", "transaction", "dashboard", "RemoteConsentService",
}

func (g *gen) realmBase(realm string) {
	base := "realms/" + realm + "/"
	for _, name := range realmConfigs {
		o := &obj{
			{"_id", ""},
			{"_type", obj{{"_id", name}, {"name", name}, {"collection", false}}},
			{"description", g.sentence(6)},
		}
		switch name {
		case "authentication":
			*o = append(*o,
				field{"core", obj{{"adminAuthModule", "Login"}, {"orgConfig", "Login"}}},
				field{"general", obj{{"defaultAuthLevel", 0}, {"statelessSessionsEnabled", false}, {"twoFactorRequired", g.typed("bool")}}},
				field{"trees", obj{{"authenticationSessionsMaxDuration", obj{{"$int", g.phDefault("esv-session-max-minutes", "5")}}}}},
			)
		case "session":
			*o = append(*o, field{"dynamic", obj{{"maxSessionTime", g.typed("int")}, {"maxIdleTime", 30}}})
		default:
			*o = append(*o, field{"settings", g.settings(4)})
		}
		g.add(base+"realm-config/"+name+".json", Static, o)
	}
	for _, name := range amServices {
		o := &obj{
			{"_id", ""},
			{"_type", obj{{"_id", name}, {"name", name}, {"collection", false}}},
			{"description", g.sentence(5)},
		}
		switch name {
		case "baseurl":
			*o = append(*o, field{"source", "FIXED_VALUE"}, field{"fixedValue", "https://" + g.ph("esv-tenant-fqdn")})
		case "CorsService":
			*o = append(*o, field{"acceptedOrigins", obj{{"$list", g.ph("esv-cors-origins")}}}, field{"enabled", true})
		default:
			*o = append(*o, field{"settings", g.settings(6)})
		}
		g.add(base+"services/"+name+".json", Static, o)
	}
	g.add(base+"password-policy/"+realm+"_user-password-policy.json", Static, &obj{
		{"_id", realm + "_user-password-policy"},
		{"description", "Password rules for " + realm + " users"},
		{"resourceCollection", "managed/" + realm + "_user"},
		{"policies", arr{
			obj{{"policyId", "minimum-length"}, {"params", obj{{"minLength", 10}}}},
			obj{{"policyId", "at-least-X-capitals"}, {"params", obj{{"numCaps", 1}}}},
			obj{{"policyId", "cannot-contain-others"}, {"params", obj{{"disallowedFields", arr{"userName", "givenName", "sn"}}}}},
		}},
	})
	for _, theme := range []string{"Starter Theme", "Corporate"} {
		dir := base + "themes/" + theme + "/"
		g.add(dir+theme+".json", Static, &obj{
			{"_id", g.uuid()},
			{"name", theme},
			{"description", g.sentence(5)},
			{"backgroundColor", "#324054"},
			{"primaryColor", "#324054"},
			{"logoProfile", "https://" + g.ph("esv-tenant-fqdn") + "/assets/logo.svg"},
			{"accountFooter", obj{{"file", "accountFooter.html"}}},
		})
		g.add(dir+"accountFooter.html", Static, []byte("<div class=\"footer\">\n  <a href=\"https://example.com/privacy\">Privacy</a> | "+g.sentence(8)+"\n</div>\n"))
	}
	for _, m := range []string{"am.services.oauth2.jwt.authenticity.signing", "am.services.saml2.metadata.signing.RSA"} {
		g.add(base+"secret-mappings/"+m+".json", Static, &obj{
			{"_id", m},
			{"secretId", m},
			{"description", g.sentence(4)},
			{"aliases", arr{g.pick(g.secrets)}}, // mapped by name, not by placeholder
		})
	}
}

// settings returns n plain or placeholder-valued settings.
func (g *gen) settings(n int) obj {
	o := make(obj, 0, n)
	for i := range n {
		k := g.pick(words) + strconv.Itoa(i)
		var v any
		switch g.r.IntN(8) {
		case 0:
			v = g.str()
		case 1:
			v = g.typed(g.pick([]string{"int", "bool", "list"}))
		case 2, 3:
			v = g.chance(50)
		case 4:
			v = g.r.IntN(1000)
		default:
			v = g.sentence(3)
		}
		o = append(o, field{k, v})
	}
	return o
}

// ---- IDM base ----

var managedTypes = []string{"user", "role", "assignment", "organization", "group", "application"}

func (g *gen) managedObject(name string) {
	dir := "managed-objects/" + name + "/"
	props := obj{}
	for i := range 12 + g.r.IntN(30) {
		p := g.pick(words) + strconv.Itoa(i)
		props = append(props, field{p, obj{
			{"title", strings.ToUpper(p[:1]) + p[1:]},
			{"description", g.sentence(7)},
			{"type", g.pick([]string{"string", "string", "boolean", "number", "array"})},
			{"viewable", true},
			{"searchable", g.chance(40)},
			{"userEditable", g.chance(50)},
			{"policies", arr{obj{{"policyId", "maximum-length"}, {"params", obj{{"maxLength", 255}}}}}},
		}})
	}
	o := &obj{
		{"name", name},
		{"schema", obj{
			{"$schema", "http://forgerock.org/json-schema#"},
			{"title", name},
			{"description", "Managed object " + name},
			{"icon", "fa-database"},
			{"mat-icon", "people"},
			{"order", arr{}},
			{"properties", props},
		}},
	}
	for _, hook := range []string{"onCreate", "postUpdate"} {
		if strings.HasSuffix(name, "_user") || g.chance(30) {
			file := name + "." + hook + ".js"
			*o = append(*o, field{hook, obj{{"type", "text/javascript"}, {"file", file}}})
			g.add(dir+file, Static, g.js(12))
		}
	}
	g.add(dir+name+".json", Static, o)
}

func (g *gen) idmBase() {
	auth := &obj{
		{"type", "login"},
		{"user", g.ph("esv-smtp-username")},
	}
	g.add("email-provider/external.email.json", Static, &obj{
		{"_id", "external.email"},
		{"host", g.ph("esv-smtp-host")},
		{"port", obj{{"$int", g.phDefault("esv-smtp-port", "465")}}},
		{"ssl", obj{{"enable", true}}},
		{"starttls", obj{{"enable", false}}},
		{"from", g.ph("esv-email-from")},
		{"auth", auth},
		{"description", "Outbound mail"},
	})
	g.cryptoSites = append(g.cryptoSites, site{"email-provider/external.email.json", auth})
	g.add("sync/rcs/provisioner.openicf.connectorinfoprovider.json", Static, &obj{
		{"_id", "provisioner.openicf.connectorinfoprovider"},
		{"description", "Remote connector servers"},
		{"remoteConnectorClients", arr{obj{{"name", "rcs"}, {"displayName", "RCS"}, {"enabled", true}}}},
		{"connectorsLocation", "connectors"},
	})
	g.add("access-config/access.json", Static, &obj{
		{"_id", "access"},
		{"description", "IDM access rules"},
		{"configs", g.accessRules(30)},
	})
	g.add("cors/cors-config.json", Static, &obj{
		{"_id", "servletfilter/cors"},
		{"description", "CORS filter"},
		{"allowedOrigins", obj{{"$list", g.ph("esv-cors-origins")}}},
		{"allowCredentials", true},
		{"allowedMethods", "GET,POST,PUT,PATCH,DELETE"},
	})
	g.add("kba/selfservice.kba.json", Static, &obj{
		{"_id", "selfservice.kba"},
		{"description", "Security questions"},
		{"minimumAnswersToDefine", 2},
		{"minimumAnswersToVerify", 1},
		{"questions", obj{{"1", obj{{"en", "What's your favorite color?"}}}, {"2", obj{{"en", "Who was your first employer?"}}}}},
	})
	g.add("terms-conditions/terms-conditions.json", Static, &obj{
		{"_id", "selfservice.terms"},
		{"active", "0.1"},
		{"uiConfig", obj{{"displayName", "Terms and conditions"}, {"purpose", g.sentence(6)}}},
		{"versions", arr{obj{{"version", "0.1"}, {"termsTranslations", obj{{"en", g.sentence(40)}}}}}},
	})
	g.add("ui/ui-configuration.json", Static, &obj{
		{"_id", "ui/configuration"},
		{"description", "Platform UI"},
		{"configuration", obj{{"platformSettings", obj{{"adminOauthClient", "idmAdminClient"}, {"managedRealm", "alpha"}}}}},
	})
	for _, lang := range []string{"en", "fr"} {
		msgs := obj{{"description", "UI strings " + lang}}
		for i := range 40 {
			msgs = append(msgs, field{"msg" + strconv.Itoa(i), g.sentence(6)})
		}
		g.add("locales/"+lang+".json", Static, &msgs)
	}
	g.add("audit/audit.json", Static, &obj{
		{"_id", "audit"},
		{"description", "Audit event handlers"},
		{"eventHandlers", arr{obj{{"class", "org.forgerock.audit.handlers.json.JsonStdoutAuditEventHandler"}, {"config", obj{{"name", "json"}, {"topics", arr{"access", "activity", "config", "authentication"}}}}}}},
	})
	g.add("org-privileges/privilegeAssignments.json", Static, &obj{
		{"_id", "privilegeAssignments"},
		{"description", "Organisation admin privileges"},
		{"privilegeAssignments", arr{obj{{"name", "ownerPrivileges"}, {"privileges", arr{"owner-view-update-delete-orgs"}}, {"relationshipField", "ownerOfOrg"}}}},
	})
}

func (g *gen) accessRules(n int) arr {
	a := make(arr, 0, n)
	for range n {
		a = append(a, obj{
			{"pattern", g.pick([]string{"managed/*", "endpoint/*", "config/*", "schema/*", "consent"})},
			{"roles", g.pick([]string{"internal/role/openidm-admin", "internal/role/openidm-authorized"})},
			{"methods", "read,query,action"},
			{"actions", "*"},
		})
	}
	return a
}

// ---- journeys ----

var journeyNames = []string{"Login", "Registration", "ResetPassword", "ForgottenUsername", "ProgressiveProfile", "UpdatePassword", "MFA", "StepUp", "SocialLogin", "Passwordless", "DeviceBinding", "Consent"}

type nodeType struct{ id, name string }

var nodeTypes = []nodeType{
	{"ValidatedUsernameNode", "Platform Username"},
	{"ValidatedPasswordNode", "Platform Password"},
	{"DataStoreDecisionNode", "Data Store Decision"},
	{"IncrementLoginCountNode", "Increment Login Count"},
	{"ScriptedDecisionNode", "Scripted Decision"},
	{"EmailSuspendNode", "Email Suspend Node"},
	{"InnerTreeEvaluatorNode", "Inner Tree Evaluator"},
	{"IdentifyExistingUserNode", "Identify Existing User"},
	{"CreateObjectNode", "Create Object"},
	{"AttributeCollectorNode", "Attribute Collector"},
	{"OneTimePasswordSmtpSenderNode", "OTP Email Sender"},
	{"SetSessionPropertiesNode", "Set Session Properties"},
	{"PageNode", "Page Node"},
}

const (
	successNode = "70e691a5-1e33-4ac3-a356-e7b6d60d92e0"
	failureNode = "e301438c-0bd0-429c-ab0c-66126501069a"
)

func (g *gen) journey(realm string, i, budget int) int {
	name := journeyNames[i%len(journeyNames)]
	if i >= len(journeyNames) {
		name += strconv.Itoa(i / len(journeyNames))
	}
	dir := "realms/" + realm + "/journeys/" + name + "/"
	files, total := 1, min(budget, 3+g.r.IntN(12)) // the journey, then nodes
	nodes := obj{}
	var ids []string
	for files < total {
		id, t := g.uuid(), nodeTypes[g.r.IntN(len(nodeTypes))]
		if t.id == "PageNode" && total-files < 2 {
			t = nodeTypes[0]
		}
		display := t.name
		file := dir + "nodes/" + display + " - " + id
		files++
		var inner arr
		if t.id == "PageNode" { // inner nodes live in a directory named like the page
			for range min(1+g.r.IntN(3), total-files) {
				sid, st := g.uuid(), nodeTypes[g.r.IntN(2)]
				inner = append(inner, obj{{"_id", sid}, {"displayName", st.name}, {"nodeType", st.id}})
				g.add(file+"/"+st.name+" - "+sid+".json", Static, g.node(realm, sid, st))
				files++
			}
		}
		o := g.node(realm, id, t)
		if inner != nil {
			*o = append(*o, field{"nodes", inner}, field{"pageHeader", obj{{"en", g.sentence(3)}}})
		}
		g.add(file+".json", Static, o)
		ids = append(ids, id)
		nodes = append(nodes, field{id, obj{
			{"connections", obj{{"outcome", successNode}}},
			{"displayName", display},
			{"nodeType", t.id},
			{"x", 100 + 150*len(ids)},
			{"y", 50 + g.r.IntN(300)},
		}})
	}
	for j := range len(ids) - 1 { // chain the nodes: entry → … → success
		nodes[j].v.(obj)[0].v = obj{{"outcome", ids[j+1]}, {"false", failureNode}}
	}
	g.add(dir+name+".json", Static, &obj{
		{"_id", name},
		{"description", g.sentence(8)},
		{"identityResource", "managed/" + realm + "_user"},
		{"uiConfig", obj{{"categories", `["Authentication"]`}}},
		{"entryNodeId", ids[0]},
		{"innerTreeOnly", false},
		{"nodes", nodes},
		{"staticNodes", obj{
			{"startNode", obj{{"x", 20}, {"y", 20}}},
			{successNode, obj{{"x", 900}, {"y", 80}}},
			{failureNode, obj{{"x", 900}, {"y", 240}}},
		}},
		{"enabled", true},
	})
	return files
}

func (g *gen) node(realm, id string, t nodeType) *obj {
	o := &obj{
		{"_id", id},
		{"_type", obj{{"_id", t.id}, {"name", t.name}, {"collection", true}}},
	}
	switch t.id {
	case "ValidatedUsernameNode":
		*o = append(*o, field{"usernameAttribute", "userName"}, field{"validateInput", false})
	case "ValidatedPasswordNode":
		*o = append(*o, field{"passwordAttribute", "password"}, field{"validateInput", false})
	case "ScriptedDecisionNode":
		script := "01e1a3c0-038b-4c16-956a-6c9d89328cff"
		if ids := g.scriptIDs[realm]; len(ids) > 0 {
			script = g.pick(ids)
		}
		*o = append(*o, field{"script", script}, field{"outcomes", arr{"true", "false"}}, field{"outputs", arr{"*"}}, field{"inputs", arr{"*"}})
	case "EmailSuspendNode":
		*o = append(*o, field{"emailTemplateName", "registration"}, field{"emailAttribute", "mail"}, field{"emailSuspendMessage", obj{{"en", g.sentence(10)}}}, field{"objectLookup", false})
	case "InnerTreeEvaluatorNode":
		*o = append(*o, field{"tree", g.pick(journeyNames)})
	case "CreateObjectNode", "IdentifyExistingUserNode":
		*o = append(*o, field{"identityResource", "managed/" + realm + "_user"}, field{"identityAttribute", "mail"})
	case "AttributeCollectorNode":
		*o = append(*o, field{"attributesToCollect", arr{"givenName", "sn", "mail"}}, field{"identityAttribute", "userName"}, field{"validateInputs", true}, field{"required", true})
	case "OneTimePasswordSmtpSenderNode":
		*o = append(*o,
			field{"hostName", g.ph("esv-smtp-host")},
			field{"hostPort", obj{{"$int", g.phDefault("esv-smtp-port", "465")}}},
			field{"username", g.ph("esv-smtp-username")},
			field{"password", g.ph("esv-smtp-password")},
			field{"fromEmailAddress", g.ph("esv-email-from")},
			field{"emailContent", obj{{"en", g.sentence(12)}}},
			field{"sslOption", "SSL"},
		)
	case "SetSessionPropertiesNode":
		*o = append(*o, field{"properties", obj{{"riskThreshold", g.ph(g.esv("string"))}, {"portal", "https://" + g.ph("esv-tenant-fqdn") + "/" + realm}}})
	case "DataStoreDecisionNode", "IncrementLoginCountNode", "PageNode":
		*o = append(*o, field{"identityAttribute", "userName"})
	}
	if g.chance(15) {
		*o = append(*o, field{"mfaEnabled", g.typed("bool")})
	}
	*o = append(*o, field{"_outcomes", arr{
		obj{{"id", "true"}, {"displayName", "True"}},
		obj{{"id", "false"}, {"displayName", "False"}},
	}})
	return o
}

// ---- scripts ----

var scriptContexts = []string{
	"AUTHENTICATION_TREE_DECISION_NODE", "AUTHENTICATION_TREE_DECISION_NODE", "AUTHENTICATION_TREE_DECISION_NODE",
	"OAUTH2_ACCESS_TOKEN_MODIFICATION", "OIDC_CLAIMS", "SAML2_IDP_ATTRIBUTE_MAPPER",
	"POLICY_CONDITION", "LIBRARY", "SOCIAL_IDP_PROFILE_TRANSFORMATION", "CONFIG_PROVIDER_NODE",
}

func (g *gen) script(realm string, i, _ int) int {
	id, ctx := g.uuid(), g.pick(scriptContexts)
	name := realm + "-" + g.pick(words) + "-" + g.pick(words) + "-" + strconv.Itoa(i)
	dir := "realms/" + realm + "/scripts/"
	content := "scripts-content/" + ctx + "/" + name + ".js"
	g.add(dir+content, Static, g.js(80+g.r.IntN(600)))
	g.add(dir+"scripts-config/"+id+".json", Static, &obj{
		{"_id", id},
		{"name", name},
		{"description", g.sentence(8)},
		{"script", obj{{"file", content}}},
		{"default", false},
		{"language", "JAVASCRIPT"},
		{"context", ctx},
		{"evaluatorVersion", "2.0"},
		{"createdBy", "null"},
		{"creationDate", 0},
		{"lastModifiedBy", "null"},
		{"lastModifiedDate", 0},
	})
	if ctx == "AUTHENTICATION_TREE_DECISION_NODE" {
		g.scriptIDs[realm] = append(g.scriptIDs[realm], id)
	}
	return 2
}

// js returns a script of about n lines that reads some ESVs.
func (g *gen) js(n int) []byte {
	b := append(g.arena.start(), "/*\n * "...)
	b = append(g.appendSentence(b, 10), "\n */\n\n"...)
	reads := 1 + n/40
	for i := range reads {
		src := "systemEnv"
		if g.chance(30) {
			src = "identityServer"
		}
		name := g.esv("string")
		if g.chance(20) {
			name = g.pick(g.secrets)
		}
		b = strconv.AppendInt(append(b, "var esv"...), int64(i), 10)
		b = append(append(append(b, " = "...), g.getProperty(src, name)...), ";\n"...)
	}
	b = append(b, '\n')
	for i := reads; i < n; i++ {
		w, x := g.pick(words), g.pick(words)
		switch g.r.IntN(6) {
		case 0:
			b = append(append(append(append(b, "function "...), w...), strconv.Itoa(i)...), '(')
			b = append(append(append(append(b, x...), ") {\n  return "...), x...), " && "...)
			b = append(append(append(append(b, x...), '.'), w...), ";\n}\n"...)
		case 1:
			b = append(append(append(append(b, "if ("...), w...), "Enabled && "...), x...)
			b = append(append(append(b, ".length > 3) {\n  outcome = \""...), w...), "\";\n}\n"...)
		case 2:
			b = append(g.appendSentence(append(b, "logger.message(\""...), 6), "\");\n"...)
		case 3:
			b = append(append(append(append(b, "var "...), w...), strconv.Itoa(i)...), " = nodeState.get(\""...)
			b = append(append(b, x...), "\");\n"...)
		default:
			b = append(g.appendSentence(append(b, "// "...), 9), '\n')
		}
	}
	return g.arena.done(b)
}

// ---- AM dynamic config ----

var agentTypes = []string{"OAuth2Client", "OAuth2Client", "OAuth2Client", "OAuth2Client", "IdentityGatewayAgent", "WebAgent", "J2EEAgent", "RemoteConsentAgent"}

func (g *gen) agent(realm string, i, _ int) int {
	typ := g.pick(agentTypes)
	id := g.pick(words) + "-" + strings.ToLower(typ) + "-" + strconv.Itoa(i)
	o := &obj{
		{"_id", id},
		{"_type", obj{{"_id", typ}, {"name", typ}, {"collection", true}}},
	}
	if typ == "OAuth2Client" {
		*o = append(*o,
			field{"coreOAuth2ClientConfig", obj{
				{"clientName", arr{id}},
				{"clientType", g.pick([]string{"Confidential", "Public"})},
				{"redirectionUris", arr{"https://" + g.ph("esv-tenant-fqdn") + "/" + g.pick(words) + "/callback", "https://app.example.com/" + id}},
				{"scopes", arr{"openid", "profile", "email", g.pick(words)}},
				{"accessTokenLifetime", g.r.IntN(3600)},
				{"status", "Active"},
			}},
			field{"advancedOAuth2ClientConfig", obj{
				{"grantTypes", arr{"authorization_code", "refresh_token"}},
				{"tokenEndpointAuthMethod", "client_secret_basic"},
				{"descriptions", arr{g.sentence(8)}},
				{"logoUri", arr{"https://cdn.example.com/" + id + ".png"}},
			}},
			field{"signEncOAuth2ClientConfig", obj{{"idTokenSignedResponseAlg", "RS256"}, {"jwksUri", "https://app.example.com/" + id + "/jwks"}}},
		)
	} else {
		*o = append(*o, field{"agentUrl", "https://" + id + ".example.com"}, field{"status", "Active"}, field{"description", g.sentence(6)})
	}
	g.add("realms/"+realm+"/realm-config/agents/"+typ+"/"+id+".json", Dynamic, o)
	return 1
}

func (g *gen) policySet(realm string, i, budget int) int {
	name := realm + "-" + g.pick(words) + "-policies-" + strconv.Itoa(i)
	dir := "realms/" + realm + "/authorization/policy-sets/" + name + "/"
	g.add(dir+name+".json", Dynamic, &obj{
		{"name", name},
		{"displayName", name},
		{"description", g.sentence(6)},
		{"applicationType", "iPlanetAMWebAgentService"},
		{"resourceTypeUuids", arr{g.uuid()}},
		{"subjects", arr{"AuthenticatedUsers", "Identity", "JwtClaim"}},
		{"conditions", arr{"IPv4", "Time", "Script"}},
		{"entitlementCombiner", "DenyOverride"},
	})
	n := min(budget-1, 1+g.r.IntN(5))
	for j := range n {
		p := name + "-rule-" + strconv.Itoa(j)
		g.add(dir+"policies/"+p+".json", Dynamic, &obj{
			{"_id", p},
			{"name", p},
			{"active", true},
			{"description", g.sentence(5)},
			{"applicationName", name},
			{"actionValues", obj{{"GET", true}, {"POST", g.chance(50)}}},
			{"resources", arr{"https://" + g.pick(words) + ".example.com/*"}},
			{"subject", obj{{"type", "AuthenticatedUsers"}}},
		})
	}
	return 1 + n
}

func (g *gen) resourceType(realm string, i, _ int) int {
	name := g.pick(words) + "-resources-" + strconv.Itoa(i)
	g.add("realms/"+realm+"/authorization/resource-types/"+name+".json", Dynamic, &obj{
		{"uuid", g.uuid()},
		{"name", name},
		{"description", g.sentence(5)},
		{"patterns", arr{"*://*:*/*", "*://*:*/*?*"}},
		{"actions", obj{{"GET", true}, {"POST", true}, {"DELETE", false}}},
	})
	return 1
}

// ---- IDM scaled config ----

func (g *gen) connector(_ string, i, _ int) int {
	name := g.pick([]string{"ldap", "ad", "hr", "crm", "db", "scim"}) + strconv.Itoa(i)
	props := &obj{
		{"host", g.ph(g.esv("string"))},
		{"port", g.typed("int")},
		{"ssl", g.typed("bool")},
		{"principal", "uid=admin," + g.pick(words)},
		{"baseContexts", arr{"ou=people,dc=example,dc=com"}},
	}
	path := "sync/connectors/" + name + ".json"
	g.add(path, Static, &obj{
		{"_id", "provisioner.openicf/" + name},
		{"description", g.sentence(6)},
		{"connectorRef", obj{{"bundleName", "org.forgerock.openicf.connectors.ldap-connector"}, {"bundleVersion", "[1.5.0.0,1.6.0.0)"}, {"connectorHostRef", "rcs"}}},
		{"configurationProperties", props},
		{"objectTypes", obj{{"account", obj{{"nativeType", "__ACCOUNT__"}, {"properties", g.settings(12)}}}}},
		{"enabled", true},
	})
	g.cryptoSites = append(g.cryptoSites, site{path, props})
	return 1
}

func (g *gen) mapping(realm string, i, budget int) int {
	name := "system" + g.pick(words) + "_managed" + realm + "_user_" + strconv.Itoa(i)
	dir := "sync/mappings/" + name + "/"
	props := arr{}
	for range 5 + g.r.IntN(20) {
		props = append(props, obj{{"source", g.pick(words)}, {"target", g.pick(words)}})
	}
	o := &obj{
		{"name", name},
		{"displayName", g.sentence(3)},
		{"source", "system/" + g.pick(words) + "/account"},
		{"target", "managed/" + realm + "_user"},
		{"properties", props},
		{"policies", arr{obj{{"situation", "ABSENT"}, {"action", "CREATE"}}, obj{{"situation", "FOUND"}, {"action", "UPDATE"}}}},
	}
	files := 1
	if budget > 1 && g.chance(40) {
		file := name + ".onCreate.js"
		g.add(dir+file, Static, g.js(15))
		*o = append(*o, field{"onCreate", obj{{"type", "text/javascript"}, {"file", file}}})
		files++
	}
	g.add(dir+name+".json", Static, o)
	return files
}

func (g *gen) emailTemplate(_ string, i, _ int) int {
	second := g.pick(words)
	name := g.pick(words) + strings.ToUpper(second[:1]) + second[1:] + strconv.Itoa(i)
	dir := "email-templates/" + name + "/"
	g.add(dir+name+".json", Static, &obj{
		{"_id", "emailTemplate/" + name},
		{"enabled", true},
		{"from", g.ph("esv-email-from")},
		{"displayName", g.sentence(3)},
		{"subject", obj{{"en", g.sentence(5)}, {"fr", g.sentence(5)}}},
		{"html", obj{{"en", obj{{"file", name + ".en.html"}}}, {"fr", obj{{"file", name + ".fr.html"}}}}},
		{"mimeType", "text/html"},
	})
	for _, lang := range []string{"en", "fr"} {
		var b strings.Builder
		b.WriteString("<html>\n<body>\n<h1>" + g.sentence(4) + "</h1>\n")
		for range 10 + g.r.IntN(30) {
			b.WriteString("<p>" + g.sentence(12) + "</p>\n")
		}
		b.WriteString("<p><a href=\"{{object.resumeURI}}\">" + g.sentence(2) + "</a></p>\n</body>\n</html>\n")
		g.add(dir+name+"."+lang+".html", Static, []byte(b.String()))
	}
	return 3
}

func (g *gen) endpoint(_ string, i, _ int) int {
	name := g.pick(words) + strconv.Itoa(i)
	dir := "endpoints/" + name + "/"
	g.add(dir+name+".js", Static, g.js(30+g.r.IntN(80)))
	g.add(dir+name+".json", Static, &obj{
		{"_id", "endpoint/" + name},
		{"description", g.sentence(6)},
		{"type", "text/javascript"},
		{"file", name + ".js"},
		{"context", "endpoint/" + name},
	})
	return 2
}

func (g *gen) schedule(_ string, i, _ int) int {
	name := g.pick(words) + "-job-" + strconv.Itoa(i)
	dir := "schedules/" + name + "/"
	g.add(dir+name+".js", Static, g.js(20+g.r.IntN(40)))
	g.add(dir+name+".json", Static, &obj{
		{"_id", "schedule/" + name},
		{"description", g.sentence(6)},
		{"enabled", g.typed("bool")},
		{"persisted", true},
		{"type", "cron"},
		{"schedule", "0 0 * * * ?"},
		{"invokeService", "script"},
		{"invokeContext", obj{{"script", obj{{"type", "text/javascript"}, {"file", name + ".js"}}}}},
	})
	return 2
}

// ---- IDM dynamic data ----

func (g *gen) internalRole(_ string, i, _ int) int {
	name := g.pick(words) + "-admin-" + strconv.Itoa(i)
	privs := arr{}
	for range 1 + g.r.IntN(6) {
		privs = append(privs, obj{{"name", g.pick(words)}, {"path", "managed/alpha_user"}, {"permissions", arr{"VIEW", "UPDATE"}}, {"accessFlags", arr{obj{{"attribute", g.pick(words)}, {"readOnly", g.chance(50)}}}}})
	}
	g.add("internal-roles/"+name+".json", Dynamic, &obj{
		{"_id", g.uuid()},
		{"name", name},
		{"description", g.sentence(6)},
		{"privileges", privs},
		{"condition", nil},
	})
	return 1
}

var identityKinds = []string{"users", "users", "users", "things", "admins", "roles", "assignments"}

func (g *gen) identity(realm string, _, _ int) int {
	id := g.uuid()
	g.add("identities/"+realm+"/"+g.pick(identityKinds)+"/"+id+".json", Dynamic, g.record(id, 8))
	return 1
}

func (g *gen) serviceObject(realm string, _ int) {
	id, typ := g.uuid(), managedTypes[g.r.IntN(len(managedTypes))]
	g.add("service-objects/"+realm+"_"+typ+"/"+id+".json", Dynamic, g.record(id, 60+g.r.IntN(100)))
}

// attrKeys are unique custom attribute names, like the custom_… and
// frIndexed… extensions of real user schemas.
var attrKeys = func() []string {
	keys := make([]string, 256)
	for i := range keys {
		keys[i] = []string{"custom_", "frIndexed", "fr_", "ext_"}[i%4] + words[i%len(words)] + strconv.Itoa(i)
	}
	return keys
}()

// record is a managed object or identity with n attributes.
func (g *gen) record(id string, n int) *obj {
	o := make(obj, 0, 5+n)
	o = append(o,
		field{"_id", id},
		field{"userName", g.pick(words) + "." + g.pick(words) + strconv.Itoa(g.r.IntN(10000))},
		field{"mail", g.pick(words) + "@example.com"},
		field{"accountStatus", "active"},
		field{"description", g.sentence(5)},
	)
	for j := range min(n, len(attrKeys)) {
		o = append(o, field{attrKeys[j], g.sentence(1 + g.r.IntN(4))})
	}
	return &o
}
