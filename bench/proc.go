package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/panther-triage/panther-triage/panther/panthersim"
)

// benchSecret is the webhook secret of every service the benchmarks start.
const benchSecret = "bench-secret"

// defaultPostgres is the server PostgreSQL runs use unless -postgres or
// PANTHER_TRIAGE_TEST_POSTGRES says otherwise.
const defaultPostgres = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// moduleRoot is the directory of this module's go.mod.
// workDir makes the temp dir of one benchmark; cleanup removes it unless
// keep asks to leave it (its path is then printed).
func workDir(name string, keep bool, out io.Writer) (dir string, cleanup func(), err error) {
	dir, err = os.MkdirTemp("", "panther-triage-bench-"+name+"-")
	if err != nil {
		return "", nil, err
	}
	if keep {
		fmt.Fprintf(out, "Temp dir: %s\n\n", dir)
		return dir, func() {}, nil
	}
	return dir, func() { _ = os.RemoveAll(dir) }, nil
}

func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("run the benchmarks from inside the panther-triage module")
	}
	return filepath.Dir(gomod), nil
}

// build compiles the main package pkg of the module at src into dir and
// returns the binary's path.
func build(ctx context.Context, src, pkg, dir, name string) (string, error) {
	bin := filepath.Join(dir, name)
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, pkg)
	cmd.Dir = src
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build %s in %s: %w\n%s", pkg, src, err, out)
	}
	return bin, nil
}

// buildService builds panther-triage from the module at src.
func buildService(ctx context.Context, src, dir, name string) (string, error) {
	return build(ctx, src, "./cmd/panther-triage", dir, name)
}

// process is a server started by the benchmark.
type process struct {
	name string
	cmd  *exec.Cmd
	// base is the server's URL, e.g. http://127.0.0.1:41234.
	base string
	log  *os.File
	done chan error
}

// start runs bin with args and env (added to this process's environment
// without any PANTHER_* variable), waits for its "listening on http://ADDR"
// line and for GET /readyz to answer 200. stderr goes to logPath.
func start(ctx context.Context, name, bin string, args, env []string, logPath string) (*process, error) {
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(cleanEnv(), env...)
	cmd.Stderr = logFile
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		logFile.Close()
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &process{name: name, cmd: cmd, log: logFile, done: make(chan error, 1)}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if _, a, ok := strings.Cut(sc.Text(), "listening on "); ok {
				select {
				case addr <- strings.TrimSpace(a):
				default:
				}
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
	}()
	go func() { p.done <- cmd.Wait() }()

	select {
	case p.base = <-addr:
	case err := <-p.done:
		logFile.Close()
		return nil, fmt.Errorf("%s exited before listening: %v (log: %s)", name, err, logPath)
	case <-time.After(60 * time.Second):
		p.stop()
		return nil, fmt.Errorf("%s did not print its address within 60s (log: %s)", name, logPath)
	case <-ctx.Done():
		p.stop()
		return nil, ctx.Err()
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(p.base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p, nil
			}
		}
		if time.Now().After(deadline) {
			p.stop()
			return nil, fmt.Errorf("%s not ready within 30s (log: %s)", name, logPath)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// cleanEnv is this process's environment without PANTHER_* variables, so
// that a developer's settings do not change what is measured.
func cleanEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PANTHER_") {
			out = append(out, kv)
		}
	}
	return out
}

// peakRSS is the process's peak resident set size (VmHWM), in bytes.
func (p *process) peakRSS() (int64, error) {
	return statusBytes(p.cmd.Process.Pid, "VmHWM:")
}

// statusBytes reads a "Key:  1234 kB" line of /proc/<pid>/status.
func statusBytes(pid int, key string) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, key); ok {
			f := strings.Fields(v)
			if len(f) == 2 && f[1] == "kB" {
				n, err := strconv.ParseInt(f[0], 10, 64)
				return n * 1024, err
			}
		}
	}
	return 0, fmt.Errorf("no %s in /proc/%d/status", key, pid)
}

// cpuTime is the CPU time (user and system) the process has used so far.
func (p *process) cpuTime() (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	// Fields after the command name, which is in parentheses.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	if len(f) < 13 {
		return 0, fmt.Errorf("short /proc/%d/stat", p.cmd.Process.Pid)
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * time.Second / 100, nil // USER_HZ is 100 on Linux
}

// stop sends SIGTERM and waits up to 30 seconds, then kills.
func (p *process) stop() {
	if p.cmd.Process == nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
	p.log.Close()
}

// serviceEnv is the environment of a panther-triage serve subprocess
// against sim, with the database db; extra settings follow and win.
func serviceEnv(sim *panthersim.Server, db string, extra ...string) []string {
	env := []string{
		"PANTHER_API_URL=" + sim.GraphQLURL(),
		"PANTHER_API_TOKEN=" + panthersim.DefaultToken,
		"PANTHER_TRIAGE_ADDR=127.0.0.1:0",
		"PANTHER_TRIAGE_DB=" + db,
		"PANTHER_TRIAGE_WEBHOOK_SECRET=" + benchSecret,
	}
	return append(env, extra...)
}

// postgresAdmin is the server to create benchmark databases on.
func postgresAdmin(flagValue string) string {
	if flagValue != "" {
		return flagValue
	}
	if v := os.Getenv("PANTHER_TRIAGE_TEST_POSTGRES"); v != "" {
		return v
	}
	return defaultPostgres
}

// createDatabase creates a fresh database on the server at admin and returns
// its URL and a function that drops it.
func createDatabase(ctx context.Context, admin string) (string, func(), error) {
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return "", nil, fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	defer conn.Close(ctx)
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "triage_bench_" + hex.EncodeToString(b[:])
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return "", nil, fmt.Errorf("create database %s: %w", name, err)
	}
	drop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, admin)
		if err != nil {
			fmt.Fprintf(os.Stderr, "bench: drop database %s: %v\n", name, err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			fmt.Fprintf(os.Stderr, "bench: drop database %s: %v\n", name, err)
		}
	}
	u, err := url.Parse(admin)
	if err != nil {
		drop()
		return "", nil, err
	}
	u.Path = "/" + name
	return u.String(), drop, nil
}

// postgresSettings reads the server settings that bear on commit cost.
func postgresSettings(ctx context.Context, admin string) string {
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return "unreachable: " + err.Error()
	}
	defer conn.Close(ctx)
	var parts []string
	for _, name := range []string{"server_version", "fsync", "synchronous_commit", "wal_sync_method", "commit_delay"} {
		var v string
		if err := conn.QueryRow(ctx, "SELECT current_setting($1)", name).Scan(&v); err == nil {
			parts = append(parts, name+"="+v)
		}
	}
	return strings.Join(parts, ", ")
}

// printMachine prints what the figures were measured on.
func printMachine(w io.Writer) {
	cpu := "unknown"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "model name"); ok {
				cpu = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	mem := "unknown"
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		if _, v, ok := bytes.Cut(b, []byte("MemTotal:")); ok {
			f := strings.Fields(string(v))
			if len(f) > 0 {
				kb, _ := strconv.ParseInt(f[0], 10, 64)
				mem = fmt.Sprintf("%.1f GiB", float64(kb)/(1<<20))
			}
		}
	}
	fmt.Fprintf(w, "Machine: %d CPUs (nproc), %s memory, %s, %s %s/%s\n\n",
		runtime.NumCPU(), mem, cpu, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
