package tenantgen

import (
	"encoding/base64"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
)

// gen builds one tenant. Files are kept as value trees until the end so
// that missing-ESV placeholders and $crypto objects can be placed into
// already generated config; then everything is encoded once.
type gen struct {
	r     *rand.Rand
	t     *Tenant
	files []pending
	refs  []string // ESV names referenced by the file being built
	arena arena

	vars    map[string][]string // expressionType → defined names
	secrets []string

	staticSites []site // top-level objects of static JSON files
	cryptoSites []site // IDM objects where a $crypto value is plausible
	scriptIDs   map[string][]string
}

type pending struct {
	path string
	v    any // *obj or []byte
	kind Kind
}

type site struct {
	path string
	o    *obj
}

func newGen(opts Options) *gen {
	return &gen{
		r: rand.New(rand.NewPCG(uint64(opts.Seed), 0x74656e616e74)), // "tenant"
		t: &Tenant{
			Options: opts,
			Files:   make(map[string][]byte, opts.Files),
			Kinds:   make(map[string]Kind, opts.Files),
			Vars:    map[string]string{},
			Secrets: map[string]string{},
			Refs:    map[string][]string{},
			Crypto:  map[string]int{},
		},
		vars:      map[string][]string{},
		scriptIDs: map[string][]string{},
	}
}

func (g *gen) run() {
	o := g.t.Options
	nVars, nSecrets := max(len(fixedVars), o.Files/40), max(len(fixedSecrets), o.Files/150)
	g.defineESVs(nVars, nSecrets)
	realms := make([]string, o.Realms)
	for i := range realms {
		realms[i] = realmName(i)
	}
	for _, realm := range realms {
		g.realmBase(realm)
		for _, typ := range managedTypes {
			g.managedObject(realm + "_" + typ)
		}
	}
	g.idmBase()

	// Share what is left between the scaled categories; each returns how
	// much of its share it used and passes the rest on, and service
	// objects, one file each, take the remainder exactly.
	left := o.Files - len(g.files) - nVars - nSecrets
	budget := left
	for _, c := range categories {
		share := min(left, int(c.weight*float64(budget)))
		left -= share
		for i := 0; share >= c.min; i++ {
			share -= c.unit(g, realms[i%len(realms)], i, share)
		}
		left += share
	}
	for i := 0; left > 0; i++ {
		g.serviceObject(realms[i%len(realms)], i)
		left--
	}

	g.writeESVs()
	g.placeMissing(o.MissingESVs)
	g.placeCrypto(o.Crypto)
	g.finish()
}

// category is a scaled part of the tenant. unit adds one unit (a journey
// with its nodes, a script with its source, …) using at most budget files,
// budget ≥ min, and returns the number of files it added.
type category struct {
	weight float64
	min    int
	unit   func(g *gen, realm string, i, budget int) int
}

var categories = []category{
	{0.12, 2, (*gen).script}, // before journeys, whose nodes use them
	{0.36, 2, (*gen).journey},
	{0.07, 1, (*gen).agent},
	{0.03, 2, (*gen).policySet},
	{0.005, 1, (*gen).resourceType},
	{0.02, 1, (*gen).mapping},
	{0.015, 1, (*gen).connector},
	{0.02, 3, (*gen).emailTemplate},
	{0.015, 2, (*gen).endpoint},
	{0.01, 2, (*gen).schedule},
	{0.01, 1, (*gen).internalRole},
	{0.08, 1, (*gen).identity},
}

// add records one file; ESV references made since the previous add belong
// to it.
func (g *gen) add(path string, kind Kind, v any) {
	g.files = append(g.files, pending{path, v, kind})
	if len(g.refs) > 0 {
		g.t.Refs[path] = append(g.t.Refs[path], g.refs...)
		g.refs = g.refs[:0]
	}
	if o, ok := v.(*obj); ok && kind == Static {
		g.staticSites = append(g.staticSites, site{path, o})
	}
}

func (g *gen) finish() {
	for _, f := range g.files {
		b, ok := f.v.([]byte)
		if !ok {
			b = g.arena.done(appendJSON(g.arena.start(), f.v))
		}
		g.t.Files[f.path] = b
		g.t.Kinds[f.path] = f.kind
	}
	for _, names := range g.t.Refs {
		slices.Sort(names)
	}
	g.t.paths = slices.Sorted(maps.Keys(g.t.Files))
	g.files, g.staticSites, g.cryptoSites = nil, nil, nil
}

// ---- ESVs ----

var fixedVars = []struct{ name, typ string }{
	{"esv-tenant-fqdn", "string"},
	{"esv-smtp-host", "string"},
	{"esv-smtp-port", "int"},
	{"esv-smtp-username", "string"},
	{"esv-email-from", "string"},
	{"esv-mfa-enabled", "bool"},
	{"esv-cors-origins", "list"},
	{"esv-session-max-minutes", "int"},
	{"esv-feature-flags", "object"},
	{"esv-allowed-ip-ranges", "array"},
	{"esv-risk-threshold", "number"},
	{"esv-saml-signing-cert", "base64encodedinlined"},
	{"esv-ldap-attribute-map", "keyvaluelist"},
}

var fixedSecrets = []struct{ name, encoding string }{
	{"esv-smtp-password", "generic"},
	{"esv-oauth-client-secret", "generic"},
	{"esv-saml-signing-key", "pem"},
	{"esv-jwt-hmac-key", "base64hmac"},
	{"esv-idm-aes-key", "base64aes"},
}

// varTypes weights the expressionTypes of generated variables.
var varTypes = []string{
	"string", "string", "string", "string", "string", "string", "string", "string",
	"int", "int", "int", "bool", "bool", "list", "array", "object", "number",
	"base64encodedinlined", "keyvaluelist",
}

var esvAreas = []string{"smtp", "idp", "ldap", "crm", "hr", "risk", "kyc", "sms", "push", "api", "portal", "partner", "billing", "audit", "fraud"}
var esvThings = []string{"url", "host", "port", "timeout", "client-id", "tenant", "enabled", "scopes", "realm", "region", "retries", "domain", "issuer", "audience", "path"}

func (g *gen) defineESVs(nVars, nSecrets int) {
	for i := range nVars {
		name, typ := "", ""
		if i < len(fixedVars) {
			name, typ = fixedVars[i].name, fixedVars[i].typ
		} else {
			name = "esv-" + g.pick(esvAreas) + "-" + g.pick(esvThings) + "-" + strconv.Itoa(i)
			typ = g.pick(varTypes)
		}
		g.t.Vars[name] = typ
		g.vars[typ] = append(g.vars[typ], name)
	}
	encodings := []string{"generic", "generic", "generic", "pem", "base64hmac", "base64aes"}
	for i := range nSecrets {
		name, enc := "", ""
		if i < len(fixedSecrets) {
			name, enc = fixedSecrets[i].name, fixedSecrets[i].encoding
		} else {
			name = "esv-" + g.pick(esvAreas) + "-" + g.pick([]string{"password", "api-key", "client-secret", "token", "signing-key"}) + "-" + strconv.Itoa(i)
			enc = g.pick(encodings)
		}
		g.t.Secrets[name] = enc
		g.secrets = append(g.secrets, name)
	}
}

// writeESVs writes the definitions the way fr-config-pull does: values are
// references to deployment environment variables, never the values.
func (g *gen) writeESVs() {
	for _, name := range slices.Sorted(maps.Keys(g.t.Vars)) {
		g.add("esvs/variables/"+name+".json", ESV, &obj{
			{"_id", name},
			{"expressionType", g.t.Vars[name]},
			{"description", "Variable for " + strings.ReplaceAll(strings.TrimPrefix(name, "esv-"), "-", " ")},
			{"valueBase64", "${" + envName(name) + "}"},
		})
	}
	for _, name := range slices.Sorted(maps.Keys(g.t.Secrets)) {
		g.add("esvs/secrets/"+name+".json", ESV, &obj{
			{"_id", name},
			{"encoding", g.t.Secrets[name]},
			{"useInPlaceholders", true},
			{"description", "Secret for " + strings.ReplaceAll(strings.TrimPrefix(name, "esv-"), "-", " ")},
			{"versions", arr{obj{{"version", "1"}, {"valueBase64", "${" + envName(name) + "_1}"}}}},
		})
	}
}

func envName(esv string) string {
	return strings.ToUpper(strings.ReplaceAll(esv, "-", "_"))
}

// placeholderName is the &{…} form of an ESV name: esv-smtp-port → esv.smtp.port.
func placeholderName(esv string) string { return strings.ReplaceAll(esv, "-", ".") }

// ph returns the placeholder for name and records the reference.
func (g *gen) ph(name string) string {
	g.refs = append(g.refs, name)
	return "&{" + placeholderName(name) + "}"
}

// phDefault is ph with a default value, &{esv.x|def}.
func (g *gen) phDefault(name, def string) string {
	g.refs = append(g.refs, name)
	return "&{" + placeholderName(name) + "|" + def + "}"
}

// getProperty returns a script's read of an ESV.
func (g *gen) getProperty(obj string, name string) string {
	g.refs = append(g.refs, name)
	return obj + `.getProperty("` + placeholderName(name) + `")`
}

// esv returns a defined variable of type typ.
func (g *gen) esv(typ string) string { return g.pick(g.vars[typ]) }

// str returns a string-valued placeholder, whole or inside a URL.
func (g *gen) str() string {
	switch g.r.IntN(6) {
	case 0:
		return g.ph(g.pick(g.secrets))
	case 1:
		return "https://" + g.ph("esv-tenant-fqdn") + "/" + g.pick(words) + "/" + g.pick(words)
	}
	return g.ph(g.esv("string"))
}

// wrappers are the typed placeholder wrappers per expressionType.
var wrappers = map[string]string{
	"int": "$int", "bool": "$bool", "list": "$list", "array": "$array",
	"object": "$object", "number": "$number", "base64encodedinlined": "$base64:decode",
}

// typed returns {"$int": "&{esv.x}"} and the like for a variable of typ.
func (g *gen) typed(typ string) obj {
	return obj{{wrappers[typ], g.ph(g.esv(typ))}}
}

// ---- Missing ESVs and $crypto ----

var missingKeys = []string{"externalUrl", "issuerUrl", "apiEndpoint", "webhookUrl", "tenantDomain", "callbackUrl"}

func (g *gen) placeMissing(n int) {
	for i := range n {
		name := "esv-missing-" + g.pick(esvAreas) + "-" + strconv.Itoa(i)
		s := g.staticSites[g.r.IntN(len(g.staticSites))]
		v := g.ph(name)
		if g.r.IntN(2) == 0 {
			v = "https://" + v + "/" + g.pick(words)
		}
		*s.o = append(*s.o, field{freeKey(*s.o, missingKeys, i), v})
		g.t.Refs[s.path] = append(g.t.Refs[s.path], g.refs...)
		g.refs = g.refs[:0]
		g.t.Missing = append(g.t.Missing, name)
	}
	slices.Sort(g.t.Missing)
}

var cryptoKeys = []string{"password", "credentials", "clientSecret", "keyPassword", "privateKey"}

func (g *gen) placeCrypto(n int) {
	for i := range n {
		s := g.cryptoSites[g.r.IntN(len(g.cryptoSites))]
		*s.o = append(*s.o, field{freeKey(*s.o, cryptoKeys, i), g.crypto()})
		g.t.Crypto[s.path]++
	}
}

// freeKey returns a key from keys, starting at i, that o does not have yet.
func freeKey(o obj, keys []string, i int) string {
	for j := range keys {
		if k := keys[(i+j)%len(keys)]; !o.has(k) {
			return k
		}
	}
	for n := 2; ; n++ {
		if k := keys[i%len(keys)] + strconv.Itoa(n); !o.has(k) {
			return k
		}
	}
}

// crypto returns an IDM x-simple-encryption object.
func (g *gen) crypto() obj {
	return obj{{"$crypto", obj{
		{"type", "x-simple-encryption"},
		{"value", obj{
			{"cipher", "AES/CBC/PKCS5Padding"},
			{"stableId", "openidm-sym-default"},
			{"salt", g.b64(16)},
			{"data", g.b64(32)},
			{"keySize", 16},
			{"purpose", "idm.password.encryption"},
			{"iv", g.b64(16)},
			{"mac", g.b64(16)},
		}},
	}}}
}

// ---- helpers ----

func (g *gen) pick(s []string) string { return s[g.r.IntN(len(s))] }

func (g *gen) chance(percent int) bool { return g.r.IntN(100) < percent }

func (g *gen) uuid() string {
	var b [36]byte
	hi, lo := g.r.Uint64(), g.r.Uint64()
	hi = hi&^(0xf<<12) | 4<<12 // version 4
	lo = lo&^(3<<62) | 2<<62   // RFC 4122 variant
	j := 0
	for i := range 32 {
		if i == 8 || i == 12 || i == 16 || i == 20 {
			b[j] = '-'
			j++
		}
		var nib uint64
		if i < 16 {
			nib = hi >> (60 - 4*i)
		} else {
			nib = lo >> (60 - 4*(i-16))
		}
		b[j] = hexDigits[nib&0xf]
		j++
	}
	return string(b[:])
}

func (g *gen) b64(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(g.r.Uint32())
	}
	return base64.StdEncoding.EncodeToString(b)
}

// sentence returns n words of filler text.
func (g *gen) sentence(n int) string {
	pool := sentences[min(n, len(sentences)-1)]
	return pool[g.r.IntN(len(pool))]
}

func (g *gen) appendSentence(b []byte, n int) []byte { return append(b, g.sentence(n)...) }

// sentences[n] holds filler texts of n words (of at least 40 for larger
// n). Picking from a fixed pool costs one random draw and no allocation,
// which matters at Large's size; the seed still decides every pick.
var sentences = func() [][]string {
	r := rand.New(rand.NewPCG(1, 2))
	pools := make([][]string, 41)
	for n := range pools {
		for range 64 {
			var b []byte
			for i := range n {
				if i > 0 {
					b = append(b, ' ')
				}
				b = append(b, words[r.IntN(len(words))]...)
			}
			pools[n] = append(pools[n], string(b))
		}
	}
	return pools
}()

var nato = []string{"alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel"}

func realmName(i int) string {
	if i < len(nato) {
		return nato[i]
	}
	return "realm" + strconv.Itoa(i)
}

var words = []string{
	"account", "access", "profile", "session", "device", "consent", "member", "partner",
	"customer", "employee", "portal", "mobile", "login", "verify", "register", "recovery",
	"identity", "trust", "policy", "token", "claims", "risk", "journey", "support",
}
