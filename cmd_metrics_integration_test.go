package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lockwatch/lockwatch/service/config"
	"github.com/lockwatch/lockwatch/service/demo/demotest"
)

// The metrics end to end, with the real parts: a real Prometheus server
// scrapes a real service (metrics_listen) every second while it watches a
// real repository. A backup killed by its PID shows in Prometheus as one
// orphaned lock; once auto-unlock is turned on, as none, and the removal
// is counted. promtool finds no lint problem in the service's own scrape,
// and the textfile (textfile_path) holds the same metrics.
func TestPrometheusScrapesTheService(t *testing.T) {
	prometheusBin, err := exec.LookPath("prometheus")
	if err != nil {
		t.Fatalf("prometheus is not installed (run `make deps`, or apt-get install --no-install-recommends prometheus): %v", err)
	}
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Fatalf("promtool is not installed (it comes with Debian's prometheus package): %v", err)
	}
	repo := demotest.LocalRepo(t)
	metricsAddr := freeLoopbackAddr(t)
	textfile := filepath.Join(t.TempDir(), "lockwatch.prom")
	cfgPath := writeConfig(t, fmt.Sprintf("[defaults]\nrestic = %q\ncheck_interval = \"1h\"\nmetrics_listen = %q\ntextfile_path = %q\n",
		demotest.Restic(t), metricsAddr, textfile)+repoTOML("nas", repo, ""))
	svc := startService(t, cfgPath, serviceEnv(t))

	// promtool on a real scrape of the service.
	var scrape []byte
	waitFor(t, 30*time.Second, "the service serves /metrics with nas checked", func() bool {
		scrape = httpGet(t, "http://"+metricsAddr+"/metrics")
		return bytes.Contains(scrape, []byte(`lockwatch_repo_up{repo="nas"} 1`))
	})
	check := exec.Command(promtool, "check", "metrics")
	check.Stdin = bytes.NewReader(scrape)
	if out, err := check.CombinedOutput(); err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("promtool check metrics on the service's scrape: %v\n%s", err, out)
	}
	if bytes.Contains(scrape, []byte(repo.Location)) || bytes.Contains(scrape, []byte(repo.PasswordFile)) {
		t.Errorf("the metrics name the repository's location or password file, not just its name:\n%s", scrape)
	}

	// A real Prometheus, scraping every second.
	promAddr := freeLoopbackAddr(t)
	dir := t.TempDir()
	promConfig := filepath.Join(dir, "prometheus.yml")
	os.WriteFile(promConfig, []byte(fmt.Sprintf(`global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: lockwatch
    static_configs:
      - targets: [%q]
`, metricsAddr)), 0o600)
	prom := exec.Command(prometheusBin, "--config.file="+promConfig, "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+promAddr, "--log.level=warn")
	var promLog syncBuffer
	prom.Stdout, prom.Stderr = &promLog, &promLog
	if err := prom.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		prom.Process.Kill()
		prom.Wait()
		if t.Failed() {
			t.Logf("prometheus log:\n%s", promLog.String())
		}
	})
	query := func(q string) (float64, bool) {
		body := httpGet(t, "http://"+promAddr+"/api/v1/query?query="+url.QueryEscape(q))
		var answer struct {
			Status string `json:"status"`
			Data   struct {
				Result []struct {
					Value [2]any `json:"value"`
				} `json:"result"`
			} `json:"data"`
		}
		if json.Unmarshal(body, &answer) != nil || answer.Status != "success" || len(answer.Data.Result) != 1 {
			return 0, false
		}
		s, _ := answer.Data.Result[0].Value[1].(string)
		v, err := strconv.ParseFloat(s, 64)
		return v, err == nil
	}
	waitValue := func(q string, want func(float64) bool, what string) float64 {
		t.Helper()
		var got float64
		waitFor(t, 60*time.Second, what, func() bool {
			v, ok := query(q)
			got = v
			return ok && want(v)
		})
		return got
	}
	const orphaned = `sum(lockwatch_locks{job="lockwatch",verdict="orphaned"})`
	waitValue(orphaned, func(v float64) bool { return v == 0 }, "Prometheus sees nas with no orphaned lock")

	// A backup killed by its PID: the service sees its lock at once (it
	// watches locks/), Prometheus at its next scrape.
	dead := demotest.Orphan(t, repo)
	waitValue(orphaned, func(v float64) bool { return v == 1 }, "Prometheus sees the orphaned lock")
	before, _ := query(`sum(lockwatch_lock_removals_total{repo="nas",by="auto"}) or vector(0)`)

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := svc.client.SetAutoUnlock(ctx, "nas", config.AutoUnlockStale); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 60*time.Second, "auto-unlock removes the orphaned lock", func() bool { return !lockFile(repo, dead.LockID) })
	waitValue(orphaned, func(v float64) bool { return v == 0 }, "Prometheus sees no orphaned lock after auto-unlock")
	after := waitValue(`sum(lockwatch_lock_removals_total{repo="nas",by="auto",verdict="orphaned"})`,
		func(v float64) bool { return v > before }, "Prometheus counts the removal")
	if after != before+1 {
		t.Errorf("lockwatch_lock_removals_total went from %v to %v; want one removal", before, after)
	}

	// The textfile holds what the listener serves; it is written after the
	// check that Prometheus may already have scraped.
	var data []byte
	waitFor(t, 30*time.Second, "the textfile counts the removal", func() bool {
		data, _ = os.ReadFile(textfile)
		return strings.Contains(string(data), `lockwatch_lock_removals_total{by="auto",repo="nas",verdict="orphaned"} 1`)
	})
	check = exec.Command(promtool, "check", "metrics")
	check.Stdin = bytes.NewReader(data)
	if out, err := check.CombinedOutput(); err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("promtool check metrics on the textfile: %v\n%s", err, out)
	}
}

// freeLoopbackAddr is a loopback address with a port nobody listens on.
func freeLoopbackAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// httpGet returns the body of a GET (at most 4 MiB), or nil on any error:
// the callers wait for what they want to see.
func httpGet(t *testing.T, u string) []byte {
	t.Helper()
	client := http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get(u)
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	return body
}
