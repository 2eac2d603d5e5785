package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/envpromote/envpromote/internal/tenantgen"
	"github.com/envpromote/envpromote/promotion"
	"github.com/envpromote/envpromote/store"
)

// runCmd runs the command in process in dir and returns its stdout,
// failing the test unless it exits with want.
func runCmd(t *testing.T, dir string, want int, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	t.Setenv("ENVPROMOTE_KEY", "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")
	t.Setenv("USER", "tester")
	args = append([]string{"--repo", filepath.Join(dir, "repo.git")}, args...)
	if code := run(context.Background(), args, strings.NewReader(""), &out, &errb); code != want {
		t.Fatalf("envpromote %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, want, out.String(), errb.String())
	}
	return out.String()
}

// TestImportThenExportRoundTripsExactly imports a generated tenant export
// (realms, scripts, journeys, IDM config, identities, ESV definitions), then
// an edited version of it with files added, changed and deleted, and checks
// that each export gives back exactly the files imported.
func TestImportThenExportRoundTripsExactly(t *testing.T) {
	dir := t.TempDir()
	runCmd(t, dir, 0, "init", "--org", "acme", "--license", "lic-1")
	runCmd(t, dir, 0, "env", "create", "dev", "--type", "PRODUCTION", "--region", "EU")
	tenant := tenantgen.Generate(tenantgen.Options{Seed: 7, Files: 800})
	edited, _ := tenant.Edit(8, 40)
	for i, tn := range []*tenantgen.Tenant{tenant, edited} {
		in := filepath.Join(dir, "in", string(rune('a'+i)))
		if err := tn.WriteDir(context.Background(), in); err != nil {
			t.Fatal(err)
		}
		// A deleted file, so the second import must delete it.
		if i == 1 {
			for p := range tn.Files {
				if strings.HasPrefix(p, "realms/") {
					if err := os.Remove(filepath.Join(in, filepath.FromSlash(p))); err != nil {
						t.Fatal(err)
					}
					break
				}
			}
		}
		runCmd(t, dir, 0, "import", in, "--env", "dev")
		out := filepath.Join(dir, "out", string(rune('a'+i)))
		runCmd(t, dir, 0, "export", out, "--env", "dev")
		want, err := store.LoadDir(in)
		if err != nil {
			t.Fatal(err)
		}
		got, err := store.LoadDir(out)
		if err != nil {
			t.Fatal(err)
		}
		if !got.Equal(want) {
			d, _ := store.Diff(want, got)
			t.Fatalf("export %d differs from its import: %v", i, d)
		}
	}
}

func TestBeforeTakesRFC3339DatesAndDurationsAgo(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Time{
		"2026-11-30T10:00:00Z":      time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC),
		"2026-11-30T10:00:00+01:00": time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC),
		"2026-11-29":                time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC),
		"90m":                       now.Add(-90 * time.Minute),
		"3d":                        now.Add(-72 * time.Hour),
	} {
		got, err := parseTime(in, now)
		if err != nil || !got.Equal(want) {
			t.Errorf("parseTime(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "yesterday", "-2h", "3 d", "2026-13-01", "1.5d", "d"} {
		if _, err := parseTime(in, now); err == nil || exitCode(err) != exitUsage {
			t.Errorf("parseTime(%q): err %v, want a usage error", in, err)
		}
	}
}

func TestProgressIsABarOnATerminalAndLinesElsewhere(t *testing.T) {
	names := map[string]string{"d": "dev", "s": "staging"}
	events := []promotion.Event{
		{Op: "lock", Lower: "d", Upper: "s", Status: promotion.StatusComplete},
		{Op: "promotion", Lower: "d", Upper: "s", Status: promotion.StatusRunning, Message: "Promotion running"},
		{Op: "promotion", Lower: "d", Upper: "s", Status: promotion.StatusComplete, Message: "Promotion d → s complete: 3 change(s)"},
		{Op: "unlock", Lower: "d", Upper: "s", Status: promotion.StatusComplete},
	}
	var lines bytes.Buffer
	p := newProgress(&lines, 4, names)
	for _, ev := range events {
		p.observe(ev)
	}
	p.finish()
	want := "[1/4] locked dev → staging\n[2/4] promotion dev → staging: checking\n[3/4] promotion dev → staging complete: 3 change(s)\n[4/4] unlocked dev → staging\n"
	if lines.String() != want {
		t.Errorf("plain progress:\n%s\nwant:\n%s", lines.String(), want)
	}
	var bar bytes.Buffer
	p = newProgress(&bar, 4, names)
	p.tty = true
	for _, ev := range events {
		p.observe(ev)
	}
	p.finish()
	p.finish()
	if got := bar.String(); strings.Count(got, "\r\033[K") != 4 || !strings.HasSuffix(got, "[████████████████████████] 4/4 unlocked dev → staging\n") || strings.Count(got, "\n") != 1 {
		t.Errorf("terminal progress %q: want four redraws of one line, ending full", got)
	}
}

func FuzzReadValues(f *testing.F) {
	for _, s := range []string{"A=YQ==\n", "# c\n\nexport B='Yg=='\n", "=x\n", "A\n", "A B=1\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		vals, err := readValues("-", strings.NewReader(s))
		if err == nil && vals == nil {
			t.Fatal("nil map without error")
		}
	})
}

func FuzzReadESVDefs(f *testing.F) {
	f.Add(`{"_id":"esv-a","expressionType":"string","valueBase64":"${ESV_A}"}`, `{"_id":"esv-b","versions":[{"valueBase64":"${ESV_B_1}"}]}`)
	f.Add(`{"_id":"esv-a","valueBase64":"eA=="}`, `{"_id":"esv-b","valueBase64":"eA=="}`)
	f.Add(`[]`, `{"_id":"esv-c"}`)
	f.Fuzz(func(t *testing.T, v, s string) {
		snap, err := store.New(map[string][]byte{"esvs/variables/esv-a.json": []byte(v), "esvs/secrets/esv-b.json": []byte(s)})
		if err != nil {
			t.Fatal(err)
		}
		d, err := readESVDefs(snap, map[string]string{"ESV_A": "eA==", "ESV_B_1": "eQ=="})
		if err != nil {
			return
		}
		if n := len(d.vars) + len(d.secrets) + len(d.skipped); n != 2 {
			t.Fatalf("%d definitions from 2 files", n)
		}
	})
}
